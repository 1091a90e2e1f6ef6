"""The setup check of the guided flow: is one person in view, ears and shoulders visible, not
too close or too far, and the room light enough? Each failing condition says what to change.

Pure numpy: no cv2, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.landmarks import MIN_VISIBILITY, Landmark, PoseFrame
from coach.texts import people_text

#: Shoulder width as a fraction of the image width: outside this band the person is too far
#: (landmarks get noisy) or too close (the head leaves the frame when turning).
SHOULDER_WIDTH_MIN = 0.14
SHOULDER_WIDTH_MAX = 0.65
#: Ear-to-ear span (fraction of the image width) beyond which the head is too close.
EAR_WIDTH_MAX = 0.3
#: Mean luminance (0-255) below which the model's landmarks get unreliable.
MIN_MEAN_LUMA = 45.0


@dataclass(frozen=True)
class SetupCheck:
    """Result of the setup check for one frame.

    Attributes:
        problems: What to change, one instruction per failing condition (empty when fine).
        notes: Things to know that do not block (e.g. two people: the central one is coached).
    """

    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing blocks the session from starting."""
        return not self.problems


def check_setup(pose: PoseFrame | None, mean_luma: float) -> SetupCheck:
    """Check whether the person and the room are ready for coaching.

    Args:
        pose: The model's landmarks for the frame (None or undetected: no one in view).
        mean_luma: Mean luminance of the frame, 0-255.

    Returns:
        A `SetupCheck` whose problems each say what to change.
    """
    problems: list[str] = []
    notes: list[str] = []
    if math.isfinite(mean_luma) and mean_luma < MIN_MEAN_LUMA:
        problems.append("Too dark: turn on a light or face a window")
    if pose is None or not pose.detected:
        problems.append("No one in view: sit facing the camera with your head and shoulders in the picture")
        return SetupCheck(tuple(problems))
    if pose.people > 1:
        notes.append(people_text(pose.people))
    lm = np.asarray(pose.landmarks, dtype=float)

    def visible(idx: int) -> bool:
        x, y, _z, vis = lm[idx]
        return bool(np.isfinite([x, y, vis]).all() and vis >= MIN_VISIBILITY
                    and 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0)

    def span(a: int, b: int) -> float:
        dx = (lm[a, 0] - lm[b, 0]) * pose.width
        dy = (lm[a, 1] - lm[b, 1]) * pose.height
        return math.hypot(dx, dy) / max(pose.width, 1)

    ears = visible(Landmark.LEFT_EAR) and visible(Landmark.RIGHT_EAR)
    if not ears:
        problems.append("Face the camera so both ears are visible")
    shoulders = visible(Landmark.LEFT_SHOULDER) and visible(Landmark.RIGHT_SHOULDER)
    if not shoulders:
        # Very close to the camera the shoulders drop out of the picture: the big head says why.
        if ears and span(Landmark.LEFT_EAR, Landmark.RIGHT_EAR) > EAR_WIDTH_MAX:
            problems.append("Too close: move back until both shoulders are in the picture")
        else:
            problems.append("Move back or tilt the camera down so both shoulders are in the picture")
    else:
        width_frac = span(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
        if width_frac > SHOULDER_WIDTH_MAX:
            problems.append("Too close: move back a little")
        elif width_frac < SHOULDER_WIDTH_MIN:
            problems.append("Too far: move closer to the camera")
    return SetupCheck(tuple(problems), tuple(notes))


def mean_luminance(frame_bgr: np.ndarray) -> float:
    """Mean luminance (0-255, Rec. 601 weights) of a BGR frame, on a subsample for speed."""
    small = np.asarray(frame_bgr[::8, ::8], dtype=np.float32)
    if small.ndim == 2:
        return float(small.mean())
    return float((small[..., 0] * 0.114 + small[..., 1] * 0.587 + small[..., 2] * 0.299).mean())


class SetupGate:
    """The setup stage's rule: the check must pass for ``need_s`` without a break.

    Attributes:
        check: The last frame's check (what the setup card shows).
        progress: 0..1 of the ``need_s`` passed so far.
    """

    def __init__(self, need_s: float) -> None:
        self._need_ms = need_s * 1000.0
        self._ok_since_ms: int | None = None
        self.check = SetupCheck(())
        self.progress = 0.0

    def passed(self, t_ms: int, check: SetupCheck) -> bool:
        """Feed one frame's check at ``t_ms``; True once it has passed long enough."""
        self.check = check
        if not check.ok:
            self._ok_since_ms = None
        elif self._ok_since_ms is None:
            self._ok_since_ms = t_ms
        held_ms = 0 if self._ok_since_ms is None else t_ms - self._ok_since_ms
        self.progress = min(1.0, held_ms / max(1.0, self._need_ms))
        return self._ok_since_ms is not None and held_ms >= self._need_ms
