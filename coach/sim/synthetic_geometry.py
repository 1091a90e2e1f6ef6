"""The synthetic generator's own geometry: rotations, the head point model and the camera.

Written from the words of DESIGN.md and sharing nothing with the estimator (`coach.angles.headpose`
and the modules it uses: `tests/test_synthetic.py` checks the imports), so that a sign, axis
order or head-model mistake made by both would still show in the synthetic error. Rotations
swing named anatomical directions into each other with quaternions (`head_rotation`); the head
is an anatomical point model from anthropometric averages (`HEAD_POINTS_M`); `Camera` is a
pinhole camera in MediaPipe camera axes, and `mp_to_gl` the axis map of the face matrix.

Pure numpy: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from coach.landmarks import MIRROR_PAIRS, Landmark

# -- the head: anatomical points from anthropometric averages ---------------------------------
# Head axes (l, u, f): l toward the person's left ear, u up, f out of the face; origin at the
# midpoint of the two tragions (the ear landmarks). The head's horizontal plane is the
# Frankfort horizontal (through the ear canals and the lower orbital rims), the anatomical
# neutral, so pitch 0 is the head held in the Frankfort plane.
# Sources (adult means, male and female averaged, rounded to the millimetre):
# - widths, Farkas LG, "Anthropometry of the Head and Face", 2nd ed. (1994), North American
#   white norms, and the 3D Facial Norms database (Weinberg et al., Biol Sex Differ 2016):
#   tragion-tragion ~142 mm (also the real model's world ear span, ~14 cm), endocanthion-
#   endocanthion ~32 mm, exocanthion-exocanthion ~90 mm, cheilion-cheilion ~53 mm;
#   interpupillary distance ~63 mm (Dodgson, Proc. SPIE 5291, 2004);
# - heights: the pupils sit ~15 mm above the Frankfort plane (the orbitale, on that plane, is
#   the lowest point of the ~35 mm high orbit, ~15 mm below the pupil); the canthi 2-3 mm
#   lower than the pupil, the outer one above the inner (positive canthal tilt); nasion ~10 mm
#   above the pupils; nose tip = nasion - a ~46 mm nasal bridge (n-prn) at ~25 deg to the
#   vertical, i.e. ~17 mm below the plane; mouth corners at stomion level, nasion-stomion
#   ~75 mm, i.e. ~50 mm below the plane;
# - depths from the tragion midpoint: 3D photogrammetry of one adult (Prog Orthod 2013,
#   14:32: tragion-midpoint to nasion 88.5 mm, pronasale 103.8 mm, labrale superius 94.4 mm,
#   tragion span 131 mm) scaled to the 142 mm mean span, less the heights above: nasion ~92 mm
#   forward, nose tip ~110 mm, upper lip ~94 mm; the cornea ~12 mm behind the nasion (the
#   spectacle vertex distance), the inner canthus ~2 mm behind the cornea, the outer one
#   ~15 mm behind it (Hertel exophthalmometry: the lateral orbital rim is ~16 mm behind the
#   corneal apex); the mouth corners ~15 mm behind the upper lip along the dental arch.
# Rounded; each value is within the spread of the published norms, not a fit to any model.
# The person's left half (x > 0) and the nose; the right half is its mirror image.
_LEFT_HALF_AND_NOSE_M = (
    (Landmark.NOSE, (0.0, -0.017, 0.110)),
    (Landmark.LEFT_EYE_INNER, (0.016, 0.013, 0.078)),
    (Landmark.LEFT_EYE, (0.0315, 0.015, 0.080)),
    (Landmark.LEFT_EYE_OUTER, (0.045, 0.017, 0.065)),
    (Landmark.LEFT_EAR, (0.071, 0.0, 0.0)),
    (Landmark.MOUTH_LEFT, (0.026, -0.050, 0.079)),
)
_RIGHT_OF_LEFT = dict(MIRROR_PAIRS)  # left landmark -> its right twin
HEAD_POINTS_M: Mapping[int, tuple[float, float, float]] = MappingProxyType({
    **dict(_LEFT_HALF_AND_NOSE_M),
    **{_RIGHT_OF_LEFT[i]: (-x, y, z) for i, (x, y, z) in _LEFT_HALF_AND_NOSE_M if i in _RIGHT_OF_LEFT},
})
# The real model's world landmarks squeeze the eyes together (measured ~3 cm apart, with the
# inner/outer points on top of the eye centre, ~1.6 cm above and ~9.7 cm in front of the ear
# midpoint); mimic that so estimators cannot rely on them.
_WORLD_EYE_M = (0.015, 0.016, 0.097)
HEAD_POINTS_WORLD: Mapping[int, tuple[float, float, float]] = MappingProxyType({
    **HEAD_POINTS_M,
    **{i: _WORLD_EYE_M for i in (Landmark.LEFT_EYE_INNER, Landmark.LEFT_EYE, Landmark.LEFT_EYE_OUTER)},
    **{i: (-_WORLD_EYE_M[0], *_WORLD_EYE_M[1:])
       for i in (Landmark.RIGHT_EYE_INNER, Landmark.RIGHT_EYE, Landmark.RIGHT_EYE_OUTER)},
})
# The head nods and turns on the top of the neck: the atlanto-occipital and atlanto-axial
# joints lie in the midline roughly under the ear canals, 2-3 cm below them (lateral-
# cephalogram norms: basion-nasion ~105 mm at ~27 deg to the Frankfort plane, Ricketts'
# cranial deflection, put the basion ~2-2.5 cm below the ear canals and within a few mm of
# the vertical through them). In head axes, from the tragion midpoint.
NECK_PIVOT_FROM_EARS_M = (0.0, -0.025, 0.0)


# -- rotations, from the words of DESIGN.md ---------------------------------------------------
# An orientation is a triad: a 3x3 array whose ROWS are the (left, up, forward) directions of a
# body part in the parent's coordinates. Every rotation below is "swing this named direction
# toward that one", turned into a unit quaternion about the axis that does it.


def quaternion(axis: np.ndarray, angle_rad: float) -> np.ndarray:
    """Unit quaternion (w, x, y, z) of a right-handed rotation by `angle_rad` about `axis`."""
    axis = np.asarray(axis, dtype=float)
    return np.concatenate([[math.cos(angle_rad / 2.0)], math.sin(angle_rad / 2.0) * axis / np.linalg.norm(axis)])


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vector(s) `v` (last axis 3) rotated by the unit quaternion `q`: q v q*, expanded."""
    t = 2.0 * np.cross(q[1:], v)
    return v + q[0] * t + np.cross(q[1:], t)


def _swing(triad: np.ndarray, moving: np.ndarray, toward: np.ndarray, angle_deg: float) -> np.ndarray:
    """The triad rotated so that its direction `moving` swings by `angle_deg` toward `toward`.

    `moving` and `toward` are perpendicular unit directions; the rotation is about the third
    direction, moving x toward (the right-hand rule swings one into the other).
    """
    return rotate(quaternion(np.cross(moving, toward), math.radians(angle_deg)), triad)


def head_rotation(yaw_deg: float, roll_deg: float, pitch_deg: float) -> np.ndarray:
    """The head's axes in torso axes (left, up, forward) for DESIGN.md angles.

    Composed from the words of the contract: first the head turns about the torso's up axis
    (yaw > 0: the face swings toward the person's right); then it nods about the TURNED head's
    own left-right axis (pitch > 0: the face swings toward the head's own down, chin down);
    then it tilts about the head's own forward axis (roll > 0: the top of the head swings
    toward the head's own right, so the right ear drops toward the right shoulder).

    Returns:
        3x3 matrix whose COLUMNS are the head's left, up and forward directions in torso axes
        (so ``R @ p`` takes a point from head to torso axes).
    """
    head = np.eye(3)  # rows: left, up, forward; neutral = the torso's own axes
    head = _swing(head, head[2], -head[0], yaw_deg)
    head = _swing(head, head[2], -head[1], pitch_deg)
    head = _swing(head, head[1], -head[0], roll_deg)
    return head.T


def head_rotation_angles(r: np.ndarray) -> tuple[float, float, float]:
    """``(yaw_deg, roll_deg, pitch_deg)`` of head axes (columns of `r`), inverse of `head_rotation`.

    Read off the directions themselves: roll spins the head about its forward direction, so
    the face direction alone gives yaw (its turn to the person's right) and pitch (how far it
    points below the horizontal); roll is then the angle from the turned head's left axis (the
    torso's left turned by yaw, still horizontal) toward the nodded head's up axis.
    """
    left, _, forward = np.asarray(r, dtype=float).T
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, -float(forward[1])))))
    yaw = math.degrees(math.atan2(-float(forward[0]), float(forward[2])))
    a = math.radians(yaw)
    # Turning right swings the left ear forward: the turned left axis, before roll.
    turned_left = np.array([math.cos(a), 0.0, math.sin(a)])
    nodded_up = np.cross(forward, turned_left)  # (l, u, f) is right-handed: f x l = u
    roll = math.degrees(math.atan2(float(left @ nodded_up), float(left @ turned_left)))
    return yaw, roll, pitch


# -- the camera: MediaPipe camera axes x right, y down, z away from the camera -----------------

# A person squarely facing an upright camera: their left is the image right (+x), their up is
# the image up (-y: y points down), their forward points at the camera (-z: z grows away).
_FACING_CAMERA = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])


def roll_picture(v: np.ndarray, roll_deg: float) -> np.ndarray:
    """Vectors (last axis 3) of a scene whose picture turns counter-clockwise by `roll_deg`.

    Counter-clockwise ON SCREEN with y down (as ``cv2.getRotationMatrix2D`` with a positive
    angle): a point right of the centre moves up (-y), a point above it moves left; the depth
    z is unchanged.
    """
    c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
    out = np.array(v, dtype=float)
    out[..., 0] = c * v[..., 0] + s * v[..., 1]
    out[..., 1] = -s * v[..., 0] + c * v[..., 1]
    return out


def torso_in_camera(camera: Camera) -> np.ndarray:
    """The torso triad (rows: left, up, forward) in MediaPipe camera axes."""
    torso = _FACING_CAMERA
    # The whole body turned to the person's right: the chest swings toward their right.
    torso = _swing(torso, torso[2], -torso[0], camera.torso_yaw_deg)
    # Leaning toward the person's right: the body's up swings toward its right.
    torso = _swing(torso, torso[1], -torso[0], camera.torso_roll_deg)
    return roll_picture(torso, camera.camera_roll_deg)


def mp_to_gl(v: np.ndarray) -> np.ndarray:
    """MediaPipe camera axes (x right, y down, z away) to FaceLandmarker's OpenGL-style ones
    (x right, y up, z toward the viewer): x stays, y and z flip."""
    return np.asarray(v, dtype=float) * np.array([1.0, -1.0, -1.0])


def camera_relative(triad_cam: np.ndarray) -> tuple[float, float, float]:
    """DESIGN.md angles of a head triad (MediaPipe camera axes) against a person squarely
    facing the camera."""
    # Coordinates along the facing person's (left, up, forward) = (x, -y, -z).
    return head_rotation_angles((triad_cam @ _FACING_CAMERA.T).T)


def from_camera_relative(angles: tuple[float, float, float]) -> np.ndarray:
    """The head triad (rows, MediaPipe camera axes) of camera-relative DESIGN.md angles."""
    return head_rotation(*angles).T @ _FACING_CAMERA


@dataclass(frozen=True)
class Camera:
    """Where the camera is relative to the person.

    Attributes:
        width: Image width in pixels.
        height: Image height in pixels.
        hfov_deg: Horizontal field of view.
        distance_m: Distance from the camera to the shoulder midpoint along the optical axis.
        camera_roll_deg: The camera rolled about its optical axis; the image content appears
            rotated counter-clockwise by this angle (as `cv2.getRotationMatrix2D` with a
            positive angle).
        torso_yaw_deg: The person's whole body turned relative to the camera; > 0 toward the
            person's right.
        torso_roll_deg: The whole body leaning sideways; > 0 toward the person's right.
        offset_x_m: Shoulder midpoint to the image right of the optical axis.
        offset_y_m: Shoulder midpoint below the optical axis (the default puts the shoulders in
            the lower part of the image and the ears near the centre, like a webcam).
    """

    width: int = 640
    height: int = 480
    hfov_deg: float = 60.0
    distance_m: float = 0.75
    camera_roll_deg: float = 0.0
    torso_yaw_deg: float = 0.0
    torso_roll_deg: float = 0.0
    offset_x_m: float = 0.0
    offset_y_m: float = 0.18

    @property
    def focal_px(self) -> float:
        """Pinhole focal length in pixels: half the width over the tangent of half the FOV."""
        return (self.width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Normalised image x, y (x right, y down) of camera-axes points (metres), pinhole.

        Points closer than 5 cm (or behind the camera) are projected as if 5 cm away, so a
        wild pose gives far-off coordinates rather than a division by zero.
        """
        depth = np.maximum(points[:, 2], 0.05)
        f_px = self.focal_px
        x_px = self.width / 2.0 + f_px * points[:, 0] / depth
        y_px = self.height / 2.0 + f_px * points[:, 1] / depth
        return np.column_stack([x_px / self.width, y_px / self.height])
