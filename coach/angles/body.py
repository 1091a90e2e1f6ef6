"""Arm and shoulder features for the form checks, from one `PoseFrame`. Pure numpy.

The exercises need three facts about the body that the head angles do not carry:

* **shoulder hike** (lateral flexion: "bring the ear to the shoulder, not the shoulder to the
  ear"): how far each shoulder rose toward the head compared with the neutral pose;
* **arm lengthened down along the body** (lateral flexion, the opposite arm);
* **hand behind the head** (levator scapulae, the same-side hand; elbow raised by the head);

and, for the chin tuck, the hand at the chin (`coach.angles.chin_hand`, measured in the picture).

Everything is measured in MediaPipe's world landmarks (metres, origin between the hips), in a
torso frame (up = from the hips' centre to the shoulders' centre, falling back to the world
vertical when the hips are implausible), so the camera's position does not matter. Anything that
cannot be measured (no person, NaN, a landmark the model marks as not visible) is ``None``
("unknown"), never an exception: the engine skips a check it cannot make.

**The arm rule: False only for what is clearly seen.** On a laptop webcam the hands are below
the frame (a lengthened arm's hand always is) and a hand behind the head is hidden by it; the
pose model still places those points, from the body's posture, with a low visibility. On the
rendered people of ``../shared/data/renders`` these guesses rejected every correct pose, so an
arm feature is ``False`` (the coach refuses the rep) only when the picture shows the wrong
position, ``True`` when it shows the right one, and ``None`` (count the rep, give a cue)
otherwise:

* arm down: ``False`` when the wrist is in the picture (visible, inside the frame) in front of
  the body: moved in from its shoulder by `HAND_IN_FRONT_MIN_WIDTHS` shoulder widths or more
  (hands in the lap, crossed, on the belly), with both hands together (`HANDS_TOGETHER_MAX_WIDTHS`:
  clasped) or with the elbow bent to `ARM_BENT_MAX_DEG` or less
  (forearm held up or forward); ``True`` when the wrist is in the picture, straight below the
  shoulder; ``None`` when the hand is out of the picture (below the frame) or hangs relaxed;
* hand behind the head: ``True`` when the elbow is raised (the hand may well be hidden
  behind the head); ``False`` when the upper arm goes DOWN from the shoulder: the elbow
  `ELBOW_DOWN_MIN_CM` below it in the world landmarks AND lower than the shoulder in the image
  by `ELBOW_DOWN_MIN_WIDTHS` shoulder spans. That upper arm is in the picture even when the
  elbow itself is at or below the frame's edge, and a hand behind the head puts the elbow up by
  the head, in the frame (on the renders: elbow 17-18 cm above the shoulder, visibility
  0.89-1.0; hanging arms 18-25 cm below, at the frame's bottom edge); ``None`` in between.

No key is on what only the renders do (their lengthened arm also lowers the shoulder by 10 deg):
the hands-in-the-lap rule is judged on the real clip ``sagor_lateral_flexion_seated.mp4``.

No mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from coach.angles.chin_hand import ChinHand
from coach.landmarks import MIN_VISIBILITY, Landmark, PoseFrame

#: An arm counts as "down along the body" when the shoulder->wrist direction is within this many
#: degrees of the torso's down direction ...
ARM_DOWN_MAX_DEG = 25.0
#: ... and the elbow is nearly straight ("lengthen"), i.e. its inner angle is at least this.
ARM_STRAIGHT_MIN_DEG = 145.0
#: A wrist seen this many shoulder widths in from its own shoulder (toward the other one) is in
#: front of the body, not along it. A hanging arm's wrist is beside the thigh, level with the
#: shoulder or outside it (renders: -0.1..-0.3); hands clasped in the lap on the real clip are
#: 0.3-0.6 in.
HAND_IN_FRONT_MIN_WIDTHS = 0.25
#: Both wrists seen closer than this many shoulder widths: the hands are together (clasped,
#: folded), which they can only be in front of the body. Lengthened arms have them more than a
#: hip width apart; on the real clip's clasped hands: 0.13-0.46.
HANDS_TOGETHER_MAX_WIDTHS = 0.6
#: A seen wrist with the elbow's inner angle at most this is a bent arm (held up or forward).
ARM_BENT_MAX_DEG = 110.0
#: Hand behind the head: the elbow at least this far above its shoulder (cm).
ELBOW_RAISED_MIN_CM = 3.0
#: Hand clearly NOT behind the head: the elbow at least this far below its shoulder (cm) in the
#: world landmarks ...
ELBOW_DOWN_MIN_CM = 8.0
#: ... and at least this many shoulder spans lower than the shoulder in the image.
ELBOW_DOWN_MIN_WIDTHS = 0.3
#: Points within this margin (normalised image units) of the frame's edge are not "in the
#: picture": the model's visibility of a point at the edge is unreliable.
IN_FRAME_MARGIN = 0.01

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
        right_arm_down: Right arm lengthened down along the body: True seen so, False seen
            in front of the body or bent, None not seen (hand below the frame) or relaxed.
        left_arm_down: The same for the left arm.
        right_hand_behind_head: Right hand behind the head: True elbow seen raised, False
            upper arm seen going down, None undecided.
        left_hand_behind_head: The same for the left hand.
        chin_hand: The hand nearest the chin (chin tucks: a finger on the chin), or None when
            the head cannot be measured.
    """

    right_shoulder_elev_cm: float | None = None
    left_shoulder_elev_cm: float | None = None
    right_shoulder_hike_cm: float | None = None
    left_shoulder_hike_cm: float | None = None
    right_arm_down: bool | None = None
    left_arm_down: bool | None = None
    right_hand_behind_head: bool | None = None
    left_hand_behind_head: bool | None = None
    chin_hand: ChinHand | None = None

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
    hike: dict[str, float | None] = {s: None for s in _SIDES}
    if neutral is not None:
        hike = {
            "right": elev["right"] - neutral.right_shoulder_elev_cm,
            "left": elev["left"] - neutral.left_shoulder_elev_cm,
        }

    size_px = np.array([frame.width, frame.height], dtype=float)
    in_frame = visible & np.all((image[:, :2] >= IN_FRAME_MARGIN) & (image[:, :2] <= 1.0 - IN_FRAME_MARGIN), axis=1)
    image_px = image[:, :2] * size_px
    sh_px = {"right": image_px[Landmark.RIGHT_SHOULDER], "left": image_px[Landmark.LEFT_SHOULDER]}
    span_px = float(np.linalg.norm(sh_px["left"] - sh_px["right"]))

    wrists = [world[int(i)] if in_frame[int(i)] else None for i in (Landmark.RIGHT_WRIST, Landmark.LEFT_WRIST)]
    hands_together = (wrists[0] is not None and wrists[1] is not None
                      and math.dist(wrists[0], wrists[1]) <= HANDS_TOGETHER_MAX_WIDTHS * width_m)

    arm_down: dict[str, bool | None] = {}
    behind: dict[str, bool | None] = {}
    for side in _SIDES:
        i_sh, i_el, i_wr = _IDX[side]
        sh, el = seen(i_sh), guessed(i_el)
        wrist_seen = world[int(i_wr)] if in_frame[int(i_wr)] else None
        inward = -lateral if side == "left" else lateral  # from this shoulder toward the other
        arm_down[side] = False if hands_together else _arm_down(sh, el, wrist_seen, up, inward, width_m)
        # How far the elbow is below the shoulder in the picture, in shoulder spans (the image's
        # own "down": y grows downward).
        drop = (float(image_px[int(i_el), 1] - sh_px[side][1]) / span_px
                if span_px > 1.0 and np.isfinite(image_px[int(i_el)]).all() else math.nan)
        behind[side] = _hand_behind_head(sh, el, drop, up)

    return BodyFeatures(
        right_shoulder_elev_cm=elev["right"],
        left_shoulder_elev_cm=elev["left"],
        right_shoulder_hike_cm=hike["right"],
        left_shoulder_hike_cm=hike["left"],
        right_arm_down=arm_down["right"],
        left_arm_down=arm_down["left"],
        right_hand_behind_head=behind["right"],
        left_hand_behind_head=behind["left"],
        chin_hand=ChinHand.from_frame(frame),
    )


def _arm_down(sh, el, wrist_seen, up, inward, width_m: float) -> bool | None:
    """The arm-down rule of the module docstring; ``wrist_seen`` is None unless in the picture."""
    if sh is None or el is None or wrist_seen is None:
        return None  # the hand is not in the picture: nothing to refuse
    to_wrist = _unit(wrist_seen - sh)
    upper, fore = _unit(el - sh), _unit(wrist_seen - el)
    if to_wrist is None or upper is None or fore is None:
        return None
    # Inner elbow angle = 180 - angle between the upper arm and forearm directions.
    inner_deg = 180.0 - _angle_deg(upper, fore)
    in_front = float(np.dot(wrist_seen - sh, inward)) >= HAND_IN_FRONT_MIN_WIDTHS * width_m
    if in_front or inner_deg <= ARM_BENT_MAX_DEG:
        return False
    if _angle_deg(to_wrist, -up) <= ARM_DOWN_MAX_DEG and inner_deg >= ARM_STRAIGHT_MIN_DEG:
        return True
    return None  # hanging, not lengthened: counted, with a cue


def _hand_behind_head(sh, el, drop_widths: float, up) -> bool | None:
    """The hand-behind-head rule of the module docstring."""
    if sh is None or el is None:
        return None
    elbow_rise_cm = float(np.dot(el - sh, up)) * 100.0
    if elbow_rise_cm >= ELBOW_RAISED_MIN_CM:
        # Raised (even beside the frame's edge): the hand itself may be hidden behind the head.
        return True
    if elbow_rise_cm <= -ELBOW_DOWN_MIN_CM and drop_widths >= ELBOW_DOWN_MIN_WIDTHS:
        return False  # the upper arm goes down from the shoulder: the hand is not at the head
    return None
