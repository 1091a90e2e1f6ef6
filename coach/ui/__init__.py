"""UI: the overlay and card screens (OpenCV pixels), the window and recording, and sound.

May import `coach.coaching`, `coach.angles` and the root modules; never the store.
"""
