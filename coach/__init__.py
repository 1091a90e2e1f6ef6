"""neck-coach: a webcam coach for neck and upper-back exercises."""

__version__ = "0.1.0"
