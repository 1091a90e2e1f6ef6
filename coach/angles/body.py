"""Arm and shoulder features for the form checks, from one `PoseFrame`. Pure numpy.

The exercises need three facts about the body that the head angles do not carry:

* **shoulder hike** (lateral flexion: "bring the ear to the shoulder, not the shoulder to the
  ear"): how far each shoulder rose toward the head compared with the neutral pose;
* **arm lengthened down along the body** (lateral flexion, the opposite arm);
* **hand behind the head** (levator scapulae, the same-side hand; wrist above the shoulder near
  the head, elbow raised).

Everything is measured in MediaPipe's world landmarks (metres, origin between the hips), in a
torso frame (up = from the hips' centre to the shoulders' centre, falling back to the world
vertical when the hips are implausible), so the camera's position does not matter. Anything that
cannot be measured (no person, NaN, a landmark the model marks as not visible) is ``None``
("unknown"), never an exception: the engine skips a check it cannot make.

No mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from coach.landmarks import MIN_VISIBILITY, Landmark, PoseFrame

#: An arm counts as "down along the body" when the shoulder->wrist direction is within this many
#: degrees of the torso's down direction ...
ARM_DOWN_MAX_DEG = 25.0
#: ... and the elbow is nearly straight ("lengthen"), i.e. its inner angle is at least this.
ARM_STRAIGHT_MIN_DEG = 145.0
#: Hand behind the head: the elbow at least this far above its shoulder (cm) ...
ELBOW_RAISED_MIN_CM = 3.0
#: ... and, when the wrist is seen, the wrist above the shoulder and within this many shoulder
#: widths of the head centre (the ears' midpoint).
WRIST_NEAR_HEAD_MAX_WIDTHS = 0.9

_SIDES = ("right", "left")
_IDX = {
    "right": (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    "left": (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
}


@dataclass(frozen=True)
class BodyFeatures:
    """Per-side body facts for one frame; ``None`` means "could not tell".

    Attributes:
        right_shoulder_elev_cm: Height of the right shoulder above the hips' centre along the
            torso's up axis (raw; compare with a neutral value to get a hike).
        left_shoulder_elev_cm: The same for the left shoulder.
        right_shoulder_hike_cm: Rise of the right shoulder since neutral (> 0 = hiked toward the
            ear); ``None`` unless a neutral was given to :meth:`from_frame`.
        left_shoulder_hike_cm: The same for the left shoulder.
        right_arm_down: Right arm lengthened down along the body.
        left_arm_down: Left arm lengthened down along the body.
        right_hand_behind_head: Right hand behind the head (elbow raised, wrist near the head).
        left_hand_behind_head: Left hand behind the head.
    """

    right_shoulder_elev_cm: float | None = None
    left_shoulder_elev_cm: float | None = None
    right_shoulder_hike_cm: float | None = None
    left_shoulder_hike_cm: float | None = None
    right_arm_down: bool | None = None
    left_arm_down: bool | None = None
    right_hand_behind_head: bool | None = None
    left_hand_behind_head: bool | None = None

    def shoulder_hike_cm(self, side: str) -> float | None:
        """Hike of the shoulder on ``side`` ("right"/"left"), or None when unknown."""
        return getattr(self, f"{side}_shoulder_hike_cm", None)

    def arm_down(self, side: str) -> bool | None:
        """Whether the arm on ``side`` is lengthened down along the body (None: unknown)."""
        return getattr(self, f"{side}_arm_down", None)

    def hand_behind_head(self, side: str) -> bool | None:
        """Whether the hand on ``side`` is behind the head (None: unknown)."""
        return getattr(self, f"{side}_hand_behind_head", None)

    @classmethod
    def from_frame(cls, frame: PoseFrame | None, neutral: BodyNeutral | None = None) -> BodyFeatures:
        """Measure the features of one frame (all ``None`` when there is no usable person).

        Args:
            frame: The landmarks of one frame.
            neutral: Shoulder elevations of the neutral pose; when given, hikes are filled in.
        """
        if frame is None or not frame.detected:
            return cls()
        try:
            return _measure(frame, neutral)
        except (ValueError, FloatingPointError, IndexError, TypeError):
            # Degenerate geometry (e.g. both shoulders at the same point): unknown, not a crash.
            return cls()


@dataclass(frozen=True)
class BodyNeutral:
    """The neutral shoulder elevations (cm), measured while the head is calibrated."""

    right_shoulder_elev_cm: float
    left_shoulder_elev_cm: float

    @classmethod
    def from_features(cls, samples: Iterable[BodyFeatures]) -> BodyNeutral | None:
        """Median elevations over calibration frames; None if either side was never measured."""
        right, left = [], []
        for f in samples:
            if f.right_shoulder_elev_cm is not None:
                right.append(f.right_shoulder_elev_cm)
            if f.left_shoulder_elev_cm is not None:
                left.append(f.left_shoulder_elev_cm)
        if not right or not left:
            return None
        return cls(float(np.median(right)), float(np.median(left)))


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = math.sqrt(float(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
    if not math.isfinite(n) or n < 1e-6:
        return None
    return v / n


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(a, b))))))


def _measure(frame: PoseFrame, neutral: BodyNeutral | None) -> BodyFeatures:
    world = np.asarray(frame.world_landmarks, dtype=float)
    image = np.asarray(frame.landmarks, dtype=float)
    if world.shape != (33, 3) or image.shape != (33, 4):
        return BodyFeatures()

    # One vectorised validity pass instead of per-landmark checks: this runs on every frame.
    finite = np.isfinite(world).all(axis=1)
    visible = finite & np.isfinite(image[:, 3]) & (image[:, 3] >= MIN_VISIBILITY)

    def seen(i: int) -> np.ndarray | None:
        return world[int(i)] if visible[int(i)] else None

    def guessed(i: int) -> np.ndarray | None:
        # Arms: in a head-and-shoulders webcam view the elbows and wrists are usually below the
        # image, where the model still places them (with low visibility) from the body's
        # posture. That guess is all there is, so arm checks use it whenever it is finite.
        return world[int(i)] if finite[int(i)] else None

    r_sh, l_sh = seen(Landmark.RIGHT_SHOULDER), seen(Landmark.LEFT_SHOULDER)
    if r_sh is None or l_sh is None:
        return BodyFeatures()
    width_m = math.dist(l_sh, r_sh)
    lateral = _unit(l_sh - r_sh)  # toward the person's left
    if lateral is None or not 0.15 <= width_m <= 0.8:
        return BodyFeatures()
    shoulder_mid = (l_sh + r_sh) / 2.0

    # Torso up: hips' centre -> shoulders' centre. The hips come from world landmarks even when
    # they are out of frame (the model extrapolates them), so accept them only when they give a
    # plausible torso; otherwise use the world vertical (y is down in MediaPipe's frame).
    hip_ok = finite[Landmark.RIGHT_HIP] and finite[Landmark.LEFT_HIP]
    hip_mid = (world[Landmark.RIGHT_HIP] + world[Landmark.LEFT_HIP]) / 2.0 if hip_ok else np.zeros(3)
    # Not orthogonalised against the shoulder line on purpose: a one-sided hike tilts that line,
    # and projecting on an axis perpendicular to it would hide exactly the hike we look for.
    up = _unit(shoulder_mid - hip_mid)
    if up is None or -float(up[1]) < 0.7:  # more than ~45 deg from the world vertical
        up = np.array([0.0, -1.0, 0.0])

    elev = {s: float(np.dot(p - hip_mid, up)) * 100.0 for s, p in (("right", r_sh), ("left", l_sh))}
    hike = {s: None for s in _SIDES}
    if neutral is not None:
        hike = {
            "right": elev["right"] - neutral.right_shoulder_elev_cm,
            "left": elev["left"] - neutral.left_shoulder_elev_cm,
        }

    ears = [seen(Landmark.RIGHT_EAR), seen(Landmark.LEFT_EAR)]
    ears_seen = [e for e in ears if e is not None]
    head = np.mean(ears_seen, axis=0) if ears_seen else None

    arm_down: dict[str, bool | None] = {}
    behind: dict[str, bool | None] = {}
    for side in _SIDES:
        i_sh, i_el, i_wr = _IDX[side]
        sh, el, wr = seen(i_sh), guessed(i_el), guessed(i_wr)
        arm_down[side] = _arm_down(sh, el, wr, up)
        behind[side] = _hand_behind_head(sh, el, wr, up, head, width_m)

    return BodyFeatures(
        right_shoulder_elev_cm=elev["right"],
        left_shoulder_elev_cm=elev["left"],
        right_shoulder_hike_cm=hike["right"],
        left_shoulder_hike_cm=hike["left"],
        right_arm_down=arm_down["right"],
        left_arm_down=arm_down["left"],
        right_hand_behind_head=behind["right"],
        left_hand_behind_head=behind["left"],
    )


def _arm_down(sh, el, wr, up) -> bool | None:
    if sh is None or el is None or wr is None:
        return None
    to_wrist = _unit(wr - sh)
    upper, fore = _unit(el - sh), _unit(wr - el)
    if to_wrist is None or upper is None or fore is None:
        return None
    pointing_down = _angle_deg(to_wrist, -up) <= ARM_DOWN_MAX_DEG
    # Inner elbow angle = 180 - angle between the upper arm and forearm directions.
    straight = 180.0 - _angle_deg(upper, fore) >= ARM_STRAIGHT_MIN_DEG
    return pointing_down and straight


def _hand_behind_head(sh, el, wr, up, head, width_m: float) -> bool | None:
    if sh is None or el is None:
        return None
    elbow_rise_cm = float(np.dot(el - sh, up)) * 100.0
    if elbow_rise_cm < 0.0:
        return False  # elbow below the shoulder: the hand cannot be behind the head
    if elbow_rise_cm < ELBOW_RAISED_MIN_CM:
        return False
    if wr is None or head is None:
        # No wrist position at all: a raised elbow is the best evidence we have.
        return True
    wrist_above_shoulder = float(np.dot(wr - sh, up)) > 0.0
    near_head = math.dist(wr, head) <= WRIST_NEAR_HEAD_MAX_WIDTHS * width_m
    return wrist_above_shoulder and near_head
