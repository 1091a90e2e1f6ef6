"""The torso frame from the shoulders: what the head angles are relative to. Pure numpy.

The torso frame's axes are the person's left (along the shoulder line), up (perpendicular to it,
with no component along the optical axis, so a rolled camera rolls the frame with it) and
forward (left x up). Hips are often out of frame for a seated user, so only the shoulders count.

**Roll** comes from the shoulder line in the image, with a level prior: a line within
`TORSO_ROLL_LEVEL_DEG` of horizontal is taken as level (webcams are level and people sit
upright; the model's shoulder line wanders +-2 deg frame to frame and has a 1.2 deg left/right
bias on the webcam clip).

**Yaw** (the trunk turned against the camera) is the hard part (`TrunkYaw`). The pose model's
shoulders turn WITH the head: on rendered humans whose torso never moves, the world shoulders'
depth difference read -24..-47 deg with the head turned 45-90 to the left, and the shoulder span
in pixels fell to 0.79 of neutral at a head turned 90 (male2): nothing read from the shoulders
can be trusted while the head is turned far from the camera. With the head near the camera they
are steady (span within 0.97-1.01 of neutral on every head-only render within 25 deg of the
camera but one tilted back, against 0.93-0.965 on the trunk renders turned 20 deg). So:

- the **size** of the turn is the foreshortening of the shoulder span in pixels, cos(t), against
  the calibrated neutral's span, with the distance to the camera taken out by the face's
  distance (the face matrix) or, without a face, the head's size, both refreshed only while the
  head faces the camera (`FRONTAL_DEG`; head size falls by 5-12% with the head turned, the face
  distance by 2-5%, so they are held while it is turned), and only when the head moved away
  (a nearer face is mostly a lean or a nod: the shoulders stay);
- the **sign** is where the head sits between the shoulders: the ears are ahead of the turning
  axis, so a trunk turned to the right carries them to the image's left of the shoulders'
  midpoint (0.035-0.083 head widths on the trunk renders) on top of the head's own turn, which
  shifts them by `EAR_SHIFT_PER_DEG` per degree of the head's camera yaw (fitted on the full
  renders, both characters: 0.0068 male1, 0.0075 male2). It gave the right sign on all 16 trunk
  images; the world depth difference, which follows the head, on 15;
- it is read only while the head is within `TRUSTED_HEAD_DEG` of its neutral camera pose and
  neither tilted nor nodded (`TRUSTED_TILT_DEG`), with a
  dead zone (`TRUNK_IGNORED_DEG`: the head-only renders read up to 13.4 deg of foreshortening
  there, a head tilted back); further turned, the last trusted turn is held, unless the
  foreshortening exceeds a dead zone that widens with the head's turn (`wide_ignored_deg`) so
  that a big trunk turn is still seen;
- the shoulders are not read while an arm is raised: an elbow up, a seen wrist above the
  shoulders or well above its elbow (a hand at the chin; `ARMS_DOWN_MIN_SPANS`,
  `FOREARM_RAISED_SPANS`): the last trusted turn is held;
- the span is compared with the reference's only while the **arms** sit as they did then: the
  model's shoulder points move with the upper arms (the `_full` renders' arms, passing inside
  the chest, narrow the span 2-5% against the same body with the arms hanging, which read as a
  trunk turn of 6-20 deg), so a person who calibrated with the hands in the lap and then lets the
  arms hang would get a phantom turn. The cue is the elbows' spread in shoulder spans
  (`TorsoCues.elbow_spread`): a trunk turn foreshortens the elbows with the shoulders and leaves
  it (trunk renders turned 20 deg: within 0.075 of their neutral), an arm change moves it by
  0.36-0.53. When it moved (`ARMS_MOVED_SPANS`) and the head faces the camera with the ears
  still centred over the shoulders (`EAR_CENTRED_HEADS`; a trunk turn of 20 deg carries them
  0.036-0.083 head widths), the reference is re-anchored on the new arm position; otherwise the
  last trusted turn is held. A re-anchor can only hide a turn, never make one: it happens with
  the ears centred, and a span wider than the reference reads no turn.

A whole-body turn of 20 deg with the head is thus measured, and the neck's yaw (head against
the torso) no longer counts it; a trunk turn made only at the far end of a head turn is seen
only when it is large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from coach.angles.headfit import ASSUMED_HFOV_DEG
from coach.landmarks import Landmark, PoseFrame
from coach.rotations import axis_rotation, focal_px

#: The trunk's turn is read while the head is within this of its neutral camera pose (the
#: rotation between them, deg). Beyond, the model's shoulders follow the head (module docstring).
TRUSTED_HEAD_DEG = 25.0
#: ... and only while its roll and pitch from the neutral (combined) stay within this: a head
#: tilted or nodded drags the model's shoulders as a turn does (a side bend passing roll 20-30
#: read 15-18 deg of foreshortening, male2), whereas a trunk turned with the head comes with
#: yaw (the trunk renders: roll and pitch within 6 deg).
TRUSTED_TILT_DEG = 10.0
#: Foreshortening below this is noise while trusted (the head-only renders read up to 13.4 deg,
#: male2 tilted back; the trunk renders turned 20 deg read 15.2-21.2), fully trusted from
#: TRUNK_FULL_DEG on (linear in between).
TRUNK_IGNORED_DEG = 12.5
TRUNK_FULL_DEG = 15.0
#: The model's shoulders foreshorten less than cos(t): the trunk renders turned 20 deg read
#: 17.8 (male1) and 17.1 (male2) on average, a gain of 1.12 and 1.17; the smaller, rounded
#: down, is applied (each character's own gain on the other: within 5 deg on all 16 images).
TRUNK_GAIN = 1.1
#: Beyond TRUSTED_HEAD_DEG the dead zone starts at WIDE_IGNORED_START_DEG and widens by
#: WIDE_IGNORED_PER_DEG per degree of head turn, up to WIDE_IGNORED_MAX_DEG: the head-only
#: renders read up to 16.3 deg of foreshortening at a head 26 deg from neutral (tilted back 25),
#: 19 at 30, 25 at 45-60, 32 at 80 and 38 at 90.
WIDE_IGNORED_START_DEG = 18.0
WIDE_IGNORED_PER_DEG = 1.2
WIDE_IGNORED_MAX_DEG = 45.0
#: The trunk's turn is read only while both shoulders are at least this far above the image's
#: bottom edge (normalised y): at the edge the model guesses the cut-off shoulder (the webcam
#: clips with the shoulders at y 0.9-1.02 read phantom turns of 16-30 deg from leaning in and
#: a hand at the chin). The renders' shoulders are at 0.68, a seated webcam user's 0.66-0.81.
TRUNK_SHOULDER_MAX_Y = 0.88
#: ... and only while both elbows hang at least this far (shoulder spans) below the shoulders
#: and no seen wrist is above them: a raised arm moves the model's shoulder point (a hand
#: going behind the head read 12.5 deg of foreshortening a fifth of the way up, male1). Arms
#: at the sides have their elbows 0.8 spans below (renders), or below the frame.
ARMS_DOWN_MIN_SPANS = 0.5
#: The arms count as moved since the reference when the elbows' spread (image x, in shoulder
#: spans) changed by more than this: the trunk renders turned 20 deg changed it by at most 0.075
#: (male1; male2 0.048), the `_full` renders' arms inside the chest against the hanging arms by
#: 0.36-0.53. A person's elbows that wander +-0.1 span only stop the span being compared
#: until a re-anchor, never invent a turn.
ARMS_MOVED_SPANS = 0.15
#: ... and the reference is re-anchored on the new arm position only while the ears' shift
#: across the shoulders (the sign cue, head widths) stays under this: a trunk turn of 20 deg
#: moved it 0.036-0.083 (both characters, mirrored), so a turn made while the arms moved is
#: not absorbed as a new reference.
EAR_CENTRED_HEADS = 0.03
#: After the arms were seen moved, the reference keeps being re-anchored (on every frame with the
#: head frontal and the ears centred) for this long: an arm moving takes a second or so, and a
#: reference taken half-way (male2 mirrored: span 1% off) let a head turn's own shoulder drag
#: pass the dead zone (a phantom -10 deg).
ARMS_SETTLE_S = 1.5
#: A wrist at least this visible counts as seen (a hand at the chin or behind the head).
WRIST_MIN_VISIBILITY = 0.5
#: ... and a seen wrist this far (shoulder spans) above its elbow is a raised forearm (a hand at
#: the chin or the chest), which pulls the shoulder point in like a turn: the finger-on-chin
#: renders (wrist 0.44-0.48 spans above the elbow, below the shoulders) narrowed the span by
#: 4-7% and read trunk turns of 10-22 deg against the arms hanging. Hanging arms have the wrist
#: below the elbow; a forearm resting level (typing) is within this.
FOREARM_RAISED_SPANS = 0.25
#: With the head turned more than this (camera yaw from neutral), a trunk read turned the
#: OTHER way is taken as the head's drag, not a trunk turn: people turn the trunk with the head,
#: not against it (the webcam clip read +20 for a head turning left past 19 deg).
COUNTER_TURN_HEAD_DEG = 8.0
#: The distance scale (face distance or head size) is refreshed only while the head is within
#: this of its neutral camera pose.
FRONTAL_DEG = 12.0
#: How far the ears shift across the shoulders (head widths) per degree of the head's own
#: camera yaw, to the image's left for a turn to the person's right (full renders: 0.0068
#: male1, 0.0075 male2, at yaw 20).
EAR_SHIFT_PER_DEG = 0.007
#: A shoulder line within this of the image horizontal is taken as level, and fully trusted
#: from TORSO_ROLL_FULL_DEG on. On a static image the real model's shoulder line wanders +-2 deg
#: (astronaut); on the webcam clip it has a 1.2 deg left/right bias. Without this prior the
#: mean mirror roll error was 1.86 deg (webcam clip) and 1.53 (astronaut); with it 0.53 and
#: 0.45. A camera rolled 15 deg is far outside the zone.
TORSO_ROLL_LEVEL_DEG = 4.0
TORSO_ROLL_FULL_DEG = 8.0

#: The two shoulder landmarks, left then right (the person's own sides).
SHOULDER_IDS = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]


def dead_zone(angle_deg: float, ignored_deg: float, full_deg: float) -> float:
    """0 below `ignored_deg`, the angle itself from `full_deg` on, linear in between."""
    ramp = (abs(angle_deg) - ignored_deg) / (full_deg - ignored_deg)
    return angle_deg * min(1.0, max(0.0, ramp))


@dataclass(frozen=True)
class Shoulders:
    """What one frame's shoulders say about the torso.

    Attributes:
        span_px: Shoulder span in the image, pixels.
        span_m: Shoulder span in the world landmarks, metres.
        depth_yaw_deg: Torso yaw from the world landmarks' depth difference (> 0 turned to the
            person's right). Unreliable in size (it follows the head); its sign is used.
    """

    span_px: float
    span_m: float
    depth_yaw_deg: float

    @classmethod
    def from_frame(cls, frame: PoseFrame) -> Shoulders | None:
        """The shoulders of a frame, or None when they are missing or degenerate."""
        lm, wl = frame.landmarks, frame.world_landmarks
        if lm is None or wl is None:
            return None
        px = lm[SHOULDER_IDS, :2] * np.array([frame.width, frame.height], dtype=float)
        span_px = float(np.linalg.norm(px[0] - px[1]))
        s_w = wl[Landmark.LEFT_SHOULDER] - wl[Landmark.RIGHT_SHOULDER]
        span_m = float(np.linalg.norm(s_w))
        if not (math.isfinite(span_px) and math.isfinite(span_m)) or span_px < 1.0 or span_m < 1e-3:
            return None
        # Left shoulder nearer the camera (smaller z) = torso turned to the person's right.
        depth_yaw = math.degrees(math.atan2(-float(s_w[2]), float(np.hypot(s_w[0], s_w[1])) or 1e-9))
        return cls(span_px=span_px, span_m=span_m, depth_yaw_deg=depth_yaw)


def wide_ignored_deg(head_from_neutral_deg: float) -> float:
    """The foreshortening dead zone with the head this far (deg) from its neutral camera pose."""
    extra = WIDE_IGNORED_PER_DEG * max(0.0, head_from_neutral_deg - TRUSTED_HEAD_DEG)
    return min(WIDE_IGNORED_MAX_DEG, WIDE_IGNORED_START_DEG + extra)


@dataclass(frozen=True)
class TorsoCues:
    """What one frame says about the trunk's turn (pixels; NaN where not measured).

    Attributes:
        span_px: Shoulder span in the image.
        lowest_y: The lower shoulder's normalised image y (1 = the bottom edge).
        arms_down: Both elbows well below the shoulders and no seen wrist above them
            (`ARMS_DOWN_MIN_SPANS`) or well above its elbow (`FOREARM_RAISED_SPANS`).
        scale: The distance scale: the face's distance in cm when a face is seen, else NaN.
        head_px: The fitted head's ear span in pixels (the scale without a face).
        ear_offset_heads: Ears' midpoint minus the shoulders' midpoint along the image x,
            in head widths (> 0 = toward the image's right).
        elbow_spread: The elbows' distance along the image x over the shoulder span: where
            the arms are (a trunk turn foreshortens both alike; `ARMS_MOVED_SPANS`).
    """

    span_px: float
    scale: float
    head_px: float
    ear_offset_heads: float
    lowest_y: float = 0.5
    arms_down: bool = True
    elbow_spread: float = math.nan

    @classmethod
    def from_frame(cls, frame: PoseFrame, shoulders: Shoulders, head_px: float, face_distance_cm: float) -> TorsoCues:
        """The cues of a frame whose shoulders were measured."""
        lm = frame.landmarks
        assert lm is not None
        x = lm[:, 0] * frame.width
        ears_x = float(np.mean(x[[Landmark.LEFT_EAR, Landmark.RIGHT_EAR]]))
        shoulders_x = float(np.mean(x[SHOULDER_IDS]))
        offset = (ears_x - shoulders_x) / head_px if head_px > 0 else math.nan
        y_px = lm[:, 1] * frame.height
        shoulders_y = float(np.max(y_px[SHOULDER_IDS]))
        elbows_low = bool(np.all(y_px[[Landmark.LEFT_ELBOW, Landmark.RIGHT_ELBOW]] - shoulders_y
                                 >= ARMS_DOWN_MIN_SPANS * shoulders.span_px))
        wrists = [Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST]
        elbows_y = y_px[[Landmark.LEFT_ELBOW, Landmark.RIGHT_ELBOW]]
        raised = (y_px[wrists] < shoulders_y) | (y_px[wrists] < elbows_y - FOREARM_RAISED_SPANS * shoulders.span_px)
        wrist_up = bool(np.any((lm[wrists, 3] >= WRIST_MIN_VISIBILITY) & raised))
        elbow_spread = abs(float(x[Landmark.LEFT_ELBOW] - x[Landmark.RIGHT_ELBOW])) / shoulders.span_px
        return cls(shoulders.span_px, face_distance_cm, head_px, offset, float(np.max(lm[SHOULDER_IDS, 1])),
                   elbows_low and not wrist_up, elbow_spread)

    @staticmethod
    def median(cues: list[TorsoCues]) -> TorsoCues | None:
        """The per-field median of a window of cues (NaNs left out), or None without spans."""
        def med(values: list[float]) -> float:
            ok = [v for v in values if math.isfinite(v)]
            return float(np.median(ok)) if ok else math.nan

        span = med([c.span_px for c in cues])
        if not math.isfinite(span):
            return None
        return TorsoCues(span, med([c.scale for c in cues]), med([c.head_px for c in cues]),
                         med([c.ear_offset_heads for c in cues]), med([c.lowest_y for c in cues]),
                         elbow_spread=med([c.elbow_spread for c in cues]))


class TrunkYaw:
    """The trunk's yaw against a reference pose (the calibrated neutral), frame by frame.

    See the module docstring for the method. State: the distance scale last seen with the head
    facing the camera, the last turn read while the shoulders could be trusted, and the
    reference (replaced when the arms move with the ears centred: `reanchors` counts it).

    Args:
        reference: The cues with the trunk facing the camera.
    """

    def __init__(self, reference: TorsoCues) -> None:
        self.reference = reference
        self._distance_ratio = 1.0  # now / reference; > 1 = farther away
        self._held_deg = 0.0
        self.reanchors = 0
        self._arms_moved_s: float | None = None

    def update(self, cues: TorsoCues, head_from_neutral_deg: float, head_yaw_deg: float,
               head_tilt_deg: float = 0.0, ideal: bool = False, t_s: float | None = None) -> float:
        """The trunk's yaw now (deg, > 0 turned to the person's right).

        Args:
            cues: This frame's cues.
            head_from_neutral_deg: Rotation of the head from its neutral camera pose (deg).
            head_yaw_deg: The head's yaw relative to the camera, from the neutral (deg).
            head_tilt_deg: The head's roll and pitch from the neutral, combined (deg).
            ideal: Ideal landmarks (`PoseFrame.synthetic`): their shoulders do not follow the
                head, so they are trusted at any head turn (the model's response is not there).
            t_s: The frame's time (s), for `ARMS_SETTLE_S`; None re-anchors only on the frames
                that show the arms moved.
        """
        ref = self.reference
        if head_from_neutral_deg <= FRONTAL_DEG:
            ratio = math.nan
            if math.isfinite(cues.scale) and math.isfinite(ref.scale) and ref.scale > 0:
                ratio = cues.scale / ref.scale
            elif cues.head_px > 0 and ref.head_px > 0:
                ratio = ref.head_px / cues.head_px
            # Only a head that moved AWAY widens the span back: the head leans in and nods
            # nearer while the shoulders stay (the nodding clip: face 3-5% nearer, span 1.00),
            # so shrinking the span for a nearer face would invent a turn. Moved back, the
            # shoulders move at most as much as the face: this can hide a turn, never invent one.
            self._distance_ratio = max(1.0, ratio) if math.isfinite(ratio) else self._distance_ratio
        ratio = cues.span_px * self._distance_ratio / ref.span_px
        if not (math.isfinite(ratio) and ratio > 0) or cues.lowest_y > TRUNK_SHOULDER_MAX_Y or not cues.arms_down:
            return self._held_deg
        shift = cues.ear_offset_heads - ref.ear_offset_heads + EAR_SHIFT_PER_DEG * head_yaw_deg
        moved = not ideal and abs(cues.elbow_spread - ref.elbow_spread) > ARMS_MOVED_SPANS
        if moved and t_s is not None:
            self._arms_moved_s = t_s
        settling = t_s is not None and self._arms_moved_s is not None and t_s - self._arms_moved_s <= ARMS_SETTLE_S
        if moved or settling:
            # The arms are (or were just) not where they were: the span is not comparable
            # (module docstring). The ears' shift is re-anchored too: an arm change moves the
            # shoulders' midpoint (male2 mirrored: 0.04 head widths).
            if (head_from_neutral_deg <= FRONTAL_DEG and head_tilt_deg <= TRUSTED_TILT_DEG
                    and abs(shift) <= EAR_CENTRED_HEADS):
                self.reference = replace(ref, span_px=cues.span_px * self._distance_ratio,
                                         elbow_spread=cues.elbow_spread,
                                         ear_offset_heads=cues.ear_offset_heads + EAR_SHIFT_PER_DEG * head_yaw_deg)
                self.reanchors += 1
                self._held_deg = 0.0
                return self._held_deg
            if moved:
                return self._held_deg
        turned = math.degrees(math.acos(min(1.0, ratio)))
        sign = -1.0 if shift > 0 else 1.0
        if not ideal and abs(head_yaw_deg) > COUNTER_TURN_HEAD_DEG and sign * head_yaw_deg < 0:
            turned = 0.0  # "turned" against the head's own turn: the model's drag
        if ideal or (head_from_neutral_deg <= TRUSTED_HEAD_DEG and head_tilt_deg <= TRUSTED_TILT_DEG):
            self._held_deg = sign * TRUNK_GAIN * dead_zone(turned, TRUNK_IGNORED_DEG, TRUNK_FULL_DEG)
            return self._held_deg
        ignored = wide_ignored_deg(head_from_neutral_deg)
        wide = sign * TRUNK_GAIN * dead_zone(turned, ignored, ignored + TRUNK_FULL_DEG - TRUNK_IGNORED_DEG)
        return wide if abs(wide) > abs(self._held_deg) else self._held_deg


def torso_axes(frame: PoseFrame, shoulders: Shoulders, yaw_deg: float = 0.0,
               hfov_deg: float = ASSUMED_HFOV_DEG) -> np.ndarray | None:
    """Torso axes (columns left, up, forward) in MediaPipe camera axes, or None.

    The shoulder line is rebuilt in 3D from the two image rays through the shoulders (so
    perspective does not tilt it when the torso is turned), a depth difference that turns it by
    ``yaw_deg`` and the world shoulder span. With ``yaw_deg = 0`` this is the *view frame*: the
    camera, rolled with the shoulder line (what `coach.angles.correction` is applied in).
    """
    if frame.landmarks is None:
        return None
    size = np.array([frame.width, frame.height], dtype=float)
    px = frame.landmarks[SHOULDER_IDS, :2] * size
    span_m = shoulders.span_m
    dz_m = -span_m * math.sin(math.radians(yaw_deg))
    rays = np.column_stack([(px - size / 2.0) / focal_px(frame.width, hfov_deg), np.ones(2)])
    # Shoulders at depths zc +- dz/2 along their rays, span_m apart: solve |zc a + b| = span_m.
    a = rays[0] - rays[1]
    b = dz_m / 2.0 * (rays[0] + rays[1])
    aa, ab, bb = float(a @ a), float(a @ b), float(b @ b)
    if aa < 1e-12:
        return None
    zc = (-ab + math.sqrt(max(ab * ab - aa * (bb - span_m * span_m), 0.0))) / aa
    left = zc * a + b
    left /= np.linalg.norm(left)
    # Level prior: turn the shoulder line about the optical axis onto the horizontal when it
    # is nearly level (see TORSO_ROLL_LEVEL_DEG).
    roll_deg = math.degrees(math.atan2(float(left[1]), float(left[0])))
    turn_deg = dead_zone(roll_deg, TORSO_ROLL_LEVEL_DEG, TORSO_ROLL_FULL_DEG) - roll_deg
    left = axis_rotation(2, turn_deg) @ left
    up = np.cross(left, [0.0, 0.0, 1.0])
    norm_up = float(np.linalg.norm(up))
    if norm_up < 1e-6:
        return None
    up /= norm_up
    return np.column_stack([left, up, np.cross(left, up)])
