"""The torso frame from the shoulders: what the head angles are relative to. Pure numpy.

The torso frame's axes are the person's left (along the shoulder line), up (perpendicular to it,
with no component along the optical axis, so a rolled camera rolls the frame with it) and
forward (left x up). Hips are often out of frame for a seated user, so only the shoulders count.

**Roll** comes from the shoulder line in the image, with a level prior: a line within
`TORSO_ROLL_LEVEL_DEG` of horizontal is taken as level (webcams are level and people sit
upright; the model's shoulder line wanders +-2 deg frame to frame and has a 1.2 deg left/right
bias on the webcam clip).

**Yaw** (the trunk turned against the camera) is the hard part. The pose model's world
landmarks turn the shoulders WITH the head: on rendered humans whose torso never moves, the
shoulders' depth difference read a torso yaw of -24..-47 deg when the head turned 45-80 deg to
the left (+8..+19 to the right), so it cannot be subtracted. What the image shows is steadier:
a trunk turned by t shows its shoulders foreshortened by cos(t). So the torso yaw is measured
from the shoulder span in pixels, divided by the head's size in pixels (the fitted head
model's ear span, so that moving nearer or farther does not count), against the same ratio in
a reference pose (the calibrated neutral; `HeadTracker` keeps it). The world depth gives only
the sign. Foreshortening cannot see small turns (cos 20 deg = 0.94) and the model still pulls
the shoulders a little with the head (on the renders the ratio dropped to 0.93 of neutral at
worst, i.e. 22 deg), so turns below `TORSO_YAW_IGNORED_DEG` (more with the head turned far) are read as facing the
camera and a turn is fully trusted `TORSO_YAW_RAMP_DEG` beyond. A person who turns the whole body
by 45 deg or more is therefore measured against their shoulders; a smaller trunk turn is partly
read as neck rotation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.angles.headfit import ASSUMED_HFOV_DEG
from coach.landmarks import Landmark, PoseFrame
from coach.rotations import axis_rotation, focal_px

#: Foreshortening below this torso yaw is noise (see the module docstring), fully trusted
#: TORSO_YAW_RAMP_DEG further on (linear in between). The model drags the shoulders more the
#: further the head is turned from the camera: on the renders the span fell to 0.93 of
#: neutral (22 deg) with the head within 45 deg of the camera, and to 0.83 (34 deg) at 80 deg,
#: so the ignored zone widens by TORSO_YAW_IGNORED_PER_HEAD at a head turned 80 deg.
TORSO_YAW_IGNORED_DEG = 30.0
TORSO_YAW_IGNORED_PER_HEAD = 10.0
TORSO_YAW_RAMP_DEG = 15.0
#: A shoulder line within this of the image horizontal is taken as level, and fully trusted
#: from TORSO_ROLL_FULL_DEG on. On a static image the real model's shoulder line wanders +-2 deg
#: (astronaut); on the webcam clip it has a 1.2 deg left/right bias. Without this prior the
#: mean mirror roll error was 1.86 deg (webcam clip) and 1.53 (astronaut); with it 0.53 and
#: 0.45. A camera rolled 15 deg is far outside the zone.
TORSO_ROLL_LEVEL_DEG = 4.0
TORSO_ROLL_FULL_DEG = 8.0

_SHOULDERS = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]


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
        px = lm[_SHOULDERS, :2] * np.array([frame.width, frame.height], dtype=float)
        span_px = float(np.linalg.norm(px[0] - px[1]))
        s_w = wl[Landmark.LEFT_SHOULDER] - wl[Landmark.RIGHT_SHOULDER]
        span_m = float(np.linalg.norm(s_w))
        if not (math.isfinite(span_px) and math.isfinite(span_m)) or span_px < 1.0 or span_m < 1e-3:
            return None
        # Left shoulder nearer the camera (smaller z) = torso turned to the person's right.
        depth_yaw = math.degrees(math.atan2(-float(s_w[2]), float(np.hypot(s_w[0], s_w[1])) or 1e-9))
        return cls(span_px=span_px, span_m=span_m, depth_yaw_deg=depth_yaw)


def foreshortening_yaw_deg(ratio: float, reference: float, sign_deg: float, head_yaw_deg: float = 0.0) -> float:
    """Torso yaw from the span ratio against its reference, after the dead zone.

    Args:
        ratio: Shoulder span / head size now (both in pixels).
        reference: The same ratio with the torso facing the camera.
        sign_deg: Any angle whose sign says which way the torso turned (the depth yaw).
        head_yaw_deg: The head's yaw relative to the camera (widens the dead zone).
    """
    if not (math.isfinite(ratio) and math.isfinite(reference)) or reference <= 0:
        return 0.0
    turned = math.degrees(math.acos(min(1.0, max(0.0, ratio / reference))))
    ignored = TORSO_YAW_IGNORED_DEG + TORSO_YAW_IGNORED_PER_HEAD * min(1.0, (head_yaw_deg / 80.0) ** 2)
    return math.copysign(dead_zone(turned, ignored, ignored + TORSO_YAW_RAMP_DEG), sign_deg)


def torso_axes(frame: PoseFrame, shoulders: Shoulders, yaw_deg: float = 0.0,
               hfov_deg: float = ASSUMED_HFOV_DEG) -> np.ndarray | None:
    """Torso axes (columns left, up, forward) in MediaPipe camera axes, or None.

    The shoulder line is rebuilt in 3D from the two image rays through the shoulders (so
    perspective does not tilt it when the torso is turned), a depth difference that turns it by
    ``yaw_deg`` and the world shoulder span. With ``yaw_deg = 0`` this is the *view frame*: the
    camera, rolled with the shoulder line (what `coach.angles.correction` is applied in).
    """
    size = np.array([frame.width, frame.height], dtype=float)
    px = frame.landmarks[_SHOULDERS, :2] * size
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
