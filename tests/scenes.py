"""Test scenes composed from the shared images (no model here)."""

from __future__ import annotations

import cv2
import numpy as np


def two_people(astronaut: np.ndarray, mirrored: bool = False) -> np.ndarray:
    """A 768x512 scene: the full-size astronaut right of centre, a half-size one bottom left."""
    canvas = np.full((512, 768, 3), 128, np.uint8)
    canvas[:, 256:768] = astronaut
    canvas[256:512, 0:256] = cv2.resize(astronaut, (256, 256))
    return np.ascontiguousarray(canvas[:, ::-1]) if mirrored else canvas
