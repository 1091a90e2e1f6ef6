"""A ``cv2.VideoCapture`` stand-in for camera tests: numbered frames at a fixed rate, unpluggable.

Shared by the capture tests and by any test that needs a camera without hardware.
"""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np


class FakeCapture:
    """Produces frames at ``fps`` whose first pixel encodes the frame number (see `frame_number`).

    Args:
        fps: Frame rate; ``read()`` blocks for one interval like a real camera.
        size: ``(width, height)``.
        opened: What ``isOpened()`` reports (``False`` simulates a camera that will not open).
    """

    def __init__(self, fps: float = 100.0, size: tuple[int, int] = (64, 48), opened: bool = True):
        self.fps = fps
        self.size = size
        self._opened = opened
        self.produced = 0
        self.released = False
        self.unplugged = threading.Event()  # set: read() fails, as with a pulled USB cable

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's spelling
        return self._opened and not self.released

    def read(self):
        time.sleep(1.0 / self.fps)
        if self.unplugged.is_set() or self.released:
            return False, None
        self.produced += 1
        frame = np.zeros((self.size[1], self.size[0], 3), np.uint8)
        frame[0, 0] = [self.produced & 0xFF, (self.produced >> 8) & 0xFF, (self.produced >> 16) & 0xFF]
        return True, frame

    def get(self, prop_id: int) -> float:
        return float(self.fps) if prop_id == cv2.CAP_PROP_FPS else 0.0

    def release(self) -> None:
        self.released = True


def frame_number(frame: np.ndarray) -> int:
    """The 1-based number `FakeCapture` wrote into a frame."""
    b, g, r = (int(v) for v in frame[0, 0])
    return b | (g << 8) | (r << 16)
