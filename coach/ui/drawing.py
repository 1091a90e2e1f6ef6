"""The overlay's drawing primitives: colours, the size scale, the frame to draw on, landmark
pixels, translucent panels and outlined, wrapped text. OpenCV only; used by `coach.ui.overlay`,
`coach.ui.widgets` and the cards' screen (`coach.ui.overlay.render_card`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import cv2
import numpy as np

from coach.coaching.engine import Priority
from coach.landmarks import MIN_VISIBILITY

# Layout is designed in a 1280x720 reference frame and scaled by height / REFERENCE_HEIGHT.
REFERENCE_HEIGHT = 720.0
REFERENCE_WIDTH = 960.0

FONT = cv2.FONT_HERSHEY_DUPLEX

# BGR colours, chosen for contrast on a dimmed camera image.
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
DARK = (25, 25, 25)
GREY = (150, 150, 150)
RED = (40, 40, 235)
ORANGE = (0, 150, 255)
YELLOW = (0, 230, 255)
GREEN = (80, 215, 80)
CYAN = (230, 200, 60)

PRIORITY_COLOURS: Mapping[Priority, tuple[int, int, int]] = MappingProxyType({
    Priority.SAFETY: RED,
    Priority.FORM: ORANGE,
    Priority.GUIDANCE: WHITE,
    Priority.PRAISE: GREEN,
})


def prepare(frame_bgr: np.ndarray, mirror: bool, min_height: int) -> np.ndarray:
    """A BGR copy of the frame to draw on: upscaled to ``min_height`` if smaller, mirrored if asked."""
    if frame_bgr.ndim == 2:
        frame_bgr = cv2.cvtColor(frame_bgr, cv2.COLOR_GRAY2BGR)
    h = frame_bgr.shape[0]
    if h < min_height:
        f = min_height / h
        frame_bgr = cv2.resize(frame_bgr, (round(frame_bgr.shape[1] * f), min_height),
                               interpolation=cv2.INTER_LINEAR)
        return cv2.flip(frame_bgr, 1) if mirror else frame_bgr
    return cv2.flip(frame_bgr, 1) if mirror else frame_bgr.copy()


def scale_of(img: np.ndarray) -> float:
    """The size factor of everything drawn on ``img`` (1.0 in the 1280x720 reference frame)."""
    # Height sets the size, but narrow (square or portrait) frames must still fit the text.
    return min(img.shape[0] / REFERENCE_HEIGHT, img.shape[1] / REFERENCE_WIDTH)


def pixel_points(landmarks: np.ndarray, shape: tuple[int, ...], mirror: bool,
                 min_visibility: float = MIN_VISIBILITY):
    """Display pixel of each landmark, or None where it is not finite, not visible or far off
    (a guessed point drawn confidently misleads)."""
    h, w = shape[:2]
    lm = np.asarray(landmarks, dtype=float)
    x = 1.0 - lm[:, 0] if mirror else lm[:, 0]
    px, py, vis = x * w, lm[:, 1] * h, lm[:, 3]
    with np.errstate(invalid="ignore"):
        # Far-off-image points (a guessed hip) would make cv2 draw across the whole screen.
        good = (np.isfinite(px) & np.isfinite(py) & ~(vis < min_visibility)
                & (px >= -w) & (px <= 2 * w) & (py >= -h) & (py <= 2 * h))
    pxi = np.where(good, np.round(px), 0).astype(int)
    pyi = np.where(good, np.round(py), 0).astype(int)
    return [(int(a), int(b)) if g else None for a, b, g in zip(pxi, pyi, good)]


def midpoint(a, b):
    """The pixel halfway between two points, or None when either is missing."""
    if a is None or b is None:
        return None
    return ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)


def panel(img: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], colour, alpha: float) -> None:
    """Blend a filled rectangle into img (in place) so the camera image stays faintly visible.

    Done as scale-then-add on the ROI view (two cheap saturating OpenCV calls, no temporary
    image): this runs several times per frame and must not cost more than the model.
    """
    h, w = img.shape[:2]
    x0, y0 = max(0, p0[0]), max(0, p0[1])
    x1, y1 = min(w, p1[0]), min(h, p1[1])
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    if colour[0] == colour[1] == colour[2]:
        cv2.convertScaleAbs(roi, dst=roi, alpha=1.0 - alpha, beta=alpha * colour[0])
    else:
        cv2.convertScaleAbs(roi, dst=roi, alpha=1.0 - alpha, beta=0.0)
        cv2.add(roi, (alpha * colour[0], alpha * colour[1], alpha * colour[2], 0.0), dst=roi)


def text_size(text: str, scale: float, thickness: int) -> tuple[int, int]:
    """Width and height in pixels of ``text`` drawn at ``scale`` and ``thickness``."""
    (w, h), _ = cv2.getTextSize(text, FONT, scale, thickness)
    return w, h


def put_text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour, thickness: int = 1,
             *, outline: bool = True) -> None:
    """Text, with a dark outline when it sits on the camera image (legible on any background).

    OpenCV 5 renders a TrueType face where thickness selects the weight (1 regular, >= 2 bold)
    and changes the advance, so the outline is the same text drawn at small diagonal offsets
    rather than a thicker copy (which would not line up). Text on a dark panel needs none.
    """
    x, y = org
    if outline:
        d = max(1, int(round(2.0 * scale)))
        for ox, oy in ((-d, -d), (d, d), (-d, d), (d, -d)):
            cv2.putText(img, text, (x + ox, y + oy), FONT, scale, BLACK, thickness, cv2.LINE_AA)
    cv2.putText(img, text, (x, y), FONT, scale, colour, thickness, cv2.LINE_AA)


def fit_lines(lines: Sequence[str], scale: float, max_w: int, max_h: int):
    """Wrap lines to max_w, shrinking the text until the block fits in max_h pixels."""
    floor = scale * 0.5
    while True:
        wrapped = [wrap(line, scale, 1, max_w) for line in lines]
        n = sum(len(w) for w in wrapped)
        if n * int(scale * 46) <= max_h or scale <= floor:
            return scale, wrapped
        scale *= 0.9


def wrap(text: str, scale: float, thickness: int, max_w: int) -> list[str]:
    """Split ``text`` into lines no wider than ``max_w`` pixels (at least one line)."""
    words, lines, cur = text.split(), [], ""
    for word in words:
        trial = f"{cur} {word}".strip()
        if cur and text_size(trial, scale, thickness)[0] > max_w:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines or [""]
