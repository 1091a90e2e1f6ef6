"""Synthetic MediaPipe-like landmarks from a 3D stick model of a seated person.

Unit and table tests need head poses with a KNOWN answer. This module builds a small 3D body
(hips, a shoulder girdle, arms with elbows/wrists/hands, a head on a neck pivot with ears, eyes,
nose and mouth), poses it (`BodyPose`: torso-relative head yaw/roll/pitch, chin retraction,
arm poses, shoulder hikes), places it in front of a pinhole camera (`Camera`: distance, roll,
torso yaw, offsets) and returns a `PoseFrame` shaped like the real model's output:

- image landmarks: normalised x, y (x right, y down), MediaPipe-like relative z and visibility
  (low for points outside the image and for an ear turned away from the camera);
- world landmarks in metres, origin between the hips, x to the image right, y down, z away
  from the camera;
- optionally a FaceLandmarker-style facial transformation matrix.

The generator's geometry is its OWN, written from the words of DESIGN.md, and shares nothing
with the estimator (`coach.headpose`): a sign, axis order or head-model mistake made by both
would otherwise never show in the synthetic error. Rotations are built by swinging named
anatomical directions into each other with quaternions (`head_rotation`); the head is an
anatomical point model from anthropometric averages (`HEAD_POINTS_M`), not the estimator's
fitted model, so the pose-only estimate pays for its model the way it would on a real person;
the pinhole projection and the MediaPipe-to-OpenGL axis map for the face matrix are written
here. `Anatomy` makes other people (head size and shape, posture), `Camera.hfov_deg` other
lenses, and `Response` the real models' systematic misreadings of the head orientation.
`sweep_cases` is the issue's accuracy sweep, shared by the tests and bench/accuracy.py.

The body proportions and quirks below were MEASURED on the real model (pose_landmarker_full,
face landmarker) on ../shared/data/webcam_person_then_cartoon.mov (person at rest) and
astronaut.png:

- world ear midpoint is ~17.8 cm above and ~8.5 cm IN FRONT of the shoulder midpoint; shoulder
  midpoint ~43 cm above and ~11 cm in front of the hip midpoint; shoulders ~32 cm apart,
  ears ~14 cm apart;
- in world landmarks the eyes are squeezed laterally (left/right eye ~3 cm apart, inner/outer
  eye points almost identical) while image landmarks show anatomical proportions;
- image z is about 3.4x the world z (relative to the hips), in image-width units;
- rest jitter (frame-to-frame, per landmark): image ~0.4 px independent, world x/y ~0.7 mm,
  world z ~4.5 mm on the head but mostly shared (ear-to-ear z 1.3 mm, ears-to-shoulders z
  2.5 mm); face matrix ~0.07 deg and ~0.03 cm;
- face matrix: rotation maps the canonical face axes (x = person's left, y = up, z = out of
  the face) into an OpenGL-style camera frame (x right, y UP, z toward the viewer); translation
  in centimetres with negative z (in front of the camera); identity rotation when looking
  straight into the camera.

Pure numpy: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal

import numpy as np

from coach.landmarks import MIRROR_PAIRS, NUM_POSE_LANDMARKS, Landmark, PoseFrame

__all__ = ["Anatomy", "ArmPose", "BodyPose", "Camera", "Noise", "Response", "make_frame",
           "make_landmarks", "sweep_cases", "head_rotation", "head_rotation_angles"]

ArmPose = Literal["rest", "down", "behind_head"]
ARM_POSES: tuple[str, ...] = ("rest", "down", "behind_head")

# -- measured proportions (metres), person frame: l = person's left, u = up, f = forward ------
SHOULDER_HALF_WIDTH_M = 0.162
SHOULDER_ABOVE_HIPS_M = 0.43
SHOULDER_FORWARD_OF_HIPS_M = 0.11
EAR_ABOVE_SHOULDERS_M = 0.178
# World ear midpoint in front of the shoulder midpoint, sitting upright (webcam clip 8.5 cm,
# astronaut 8.4 cm).
EAR_FORWARD_OF_SHOULDERS_M = 0.085
HIP_HALF_WIDTH_M = 0.14
# Image z is ~3.4x world z (relative to the hips) on both real inputs.
IMAGE_Z_PER_WORLD_M = 3.4

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
_HEAD_POINTS_WORLD: Mapping[int, tuple[float, float, float]] = MappingProxyType({
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
# The face model loses the face when it is turned further than this from the camera.
FACE_LOST_BEYOND_DEG = 60.0
# FaceLandmarker's canonical face origin sits inside the head, a few cm in front of the ear line.
_FACE_ORIGIN_FORWARD_M = 0.03
# Points whose visibility falls when they face away from the camera, with their outward normal
# in head axes.
_HEAD_NORMALS: dict[int, tuple[float, float, float]] = {
    Landmark.LEFT_EAR: (1.0, 0.0, 0.0),
    Landmark.RIGHT_EAR: (-1.0, 0.0, 0.0),
    Landmark.LEFT_EYE_OUTER: (0.7, 0.0, 0.7),
    Landmark.RIGHT_EYE_OUTER: (-0.7, 0.0, 0.7),
    Landmark.MOUTH_LEFT: (0.5, 0.0, 0.85),
    Landmark.MOUTH_RIGHT: (-0.5, 0.0, 0.85),
}


# -- rotations, from the words of DESIGN.md ---------------------------------------------------
# An orientation is a triad: a 3x3 array whose ROWS are the (left, up, forward) directions of a
# body part in the parent's coordinates. Every rotation below is "swing this named direction
# toward that one", turned into a unit quaternion about the axis that does it.


def _quaternion(axis: np.ndarray, angle_rad: float) -> np.ndarray:
    """Unit quaternion (w, x, y, z) of a right-handed rotation by `angle_rad` about `axis`."""
    axis = np.asarray(axis, dtype=float)
    return np.concatenate([[math.cos(angle_rad / 2.0)], math.sin(angle_rad / 2.0) * axis / np.linalg.norm(axis)])


def _rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vector(s) `v` (last axis 3) rotated by the unit quaternion `q`: q v q*, expanded."""
    t = 2.0 * np.cross(q[1:], v)
    return v + q[0] * t + np.cross(q[1:], t)


def _swing(triad: np.ndarray, moving: np.ndarray, toward: np.ndarray, angle_deg: float) -> np.ndarray:
    """The triad rotated so that its direction `moving` swings by `angle_deg` toward `toward`.

    `moving` and `toward` are perpendicular unit directions; the rotation is about the third
    direction, moving x toward (the right-hand rule swings one into the other).
    """
    return _rotate(_quaternion(np.cross(moving, toward), math.radians(angle_deg)), triad)


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


def _roll_picture(v: np.ndarray, roll_deg: float) -> np.ndarray:
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


def _torso_in_camera(camera: "Camera") -> np.ndarray:
    """The torso triad (rows: left, up, forward) in MediaPipe camera axes."""
    torso = _FACING_CAMERA
    # The whole body turned to the person's right: the chest swings toward their right.
    torso = _swing(torso, torso[2], -torso[0], camera.torso_yaw_deg)
    # Leaning toward the person's right: the body's up swings toward its right.
    torso = _swing(torso, torso[1], -torso[0], camera.torso_roll_deg)
    return _roll_picture(torso, camera.camera_roll_deg)


def _mp_to_gl(v: np.ndarray) -> np.ndarray:
    """MediaPipe camera axes (x right, y down, z away) to FaceLandmarker's OpenGL-style ones
    (x right, y up, z toward the viewer): x stays, y and z flip."""
    return np.asarray(v, dtype=float) * np.array([1.0, -1.0, -1.0])


def _camera_relative(triad_cam: np.ndarray) -> tuple[float, float, float]:
    """DESIGN.md angles of a head triad (MediaPipe camera axes) against a person squarely
    facing the camera."""
    # Coordinates along the facing person's (left, up, forward) = (x, -y, -z).
    return head_rotation_angles((triad_cam @ _FACING_CAMERA.T).T)


def _from_camera_relative(angles: tuple[float, float, float]) -> np.ndarray:
    """The head triad (rows, MediaPipe camera axes) of camera-relative DESIGN.md angles."""
    return head_rotation(*angles).T @ _FACING_CAMERA


def _identity_response(yaw_deg: float, roll_deg: float, pitch_deg: float) -> tuple[float, float, float]:
    """A perfect model: reports the true orientation."""
    return yaw_deg, roll_deg, pitch_deg


AngleResponse = Callable[[float, float, float], tuple[float, float, float]]


@dataclass(frozen=True)
class Response:
    """How the real models read a head orientation: the hook for their measured responses.

    Both callables take the TRUE head orientation relative to the camera as
    ``(yaw_deg, roll_deg, pitch_deg)`` (DESIGN.md signs and order, against a person squarely
    facing an upright camera) and return the orientation the model reports. The default is
    the identity: perfect models.

    Attributes:
        pose_head: The orientation the pose model's IMAGE head landmarks (nose, eyes, ears,
            mouth) follow; they turn about the ear midpoint, which stays where it is. World
            landmarks, visibility (a physical occlusion) and the hand behind the head follow
            the true head.
        face: The orientation the face matrix reports. Whether the face is found at all
            still depends on the true orientation (FACE_LOST_BEYOND_DEG).

    Example:
        >>> under_reads_flexion = Response(face=lambda y, r, p: (y, r, 0.8 * p if p > 0 else p))
    """

    pose_head: AngleResponse = _identity_response
    face: AngleResponse = _identity_response


def _respond(read: AngleResponse, triad_cam: np.ndarray) -> np.ndarray:
    """The head triad a model with response `read` reports for the true `triad_cam`."""
    if read is _identity_response:
        return triad_cam
    return _from_camera_relative(read(*_camera_relative(triad_cam)))


@dataclass(frozen=True)
class BodyPose:
    """What the person is doing, relative to their own torso (DESIGN.md signs).

    Attributes:
        yaw_deg: Head rotation; > 0 turned to the person's right.
        roll_deg: Lateral tilt; > 0 right ear toward the right shoulder.
        pitch_deg: > 0 flexion (chin down), < 0 extension.
        retraction_cm: > 0 head moved straight back along the torso's forward axis.
        right_arm: Pose of the person's right arm.
        left_arm: Pose of the person's left arm.
        right_shoulder_hike_cm: Right shoulder raised toward the ear.
        left_shoulder_hike_cm: Left shoulder raised toward the ear.
    """

    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    retraction_cm: float = 0.0
    right_arm: ArmPose = "rest"
    left_arm: ArmPose = "rest"
    right_shoulder_hike_cm: float = 0.0
    left_shoulder_hike_cm: float = 0.0

    def __post_init__(self) -> None:
        for name in ("right_arm", "left_arm"):
            if getattr(self, name) not in ARM_POSES:
                raise ValueError(f"{name} must be one of {ARM_POSES}, got {getattr(self, name)!r}")


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


@dataclass(frozen=True)
class Noise:
    """Per-frame landmark noise, as standard deviations.

    The default is the real model's rest jitter, measured frame-to-frame on
    webcam_person_then_cartoon.mov (see the module docstring).

    Attributes:
        image_px: Independent image x/y noise per landmark, pixels.
        image_common_px: Image x/y offset shared by all points of one body part, pixels.
        image_z: Independent image z noise (normalised units).
        image_common_z: Image z offset shared by one body part.
        world_m: Independent world x/y noise per landmark, metres.
        world_z_m: Independent world z noise per landmark, metres.
        world_part_z_m: World z offset shared by the points of one body part (head,
            shoulders, arms, rest), metres.
        world_common_z_m: World z offset shared by the whole body, metres.
        visibility: Visibility noise (clipped to 0..1).
        face_deg: Face-matrix rotation noise, degrees.
        face_cm: Face-matrix translation noise, centimetres.
    """

    image_px: float = 0.4
    image_common_px: float = 0.3
    image_z: float = 0.012
    image_common_z: float = 0.06
    world_m: float = 0.0007
    world_z_m: float = 0.001
    world_part_z_m: float = 0.0018
    world_common_z_m: float = 0.004
    visibility: float = 0.002
    face_deg: float = 0.07
    face_cm: float = 0.03

    @classmethod
    def none(cls) -> "Noise":
        """No noise at all: exact projections."""
        return cls(**{name: 0.0 for name in cls.__dataclass_fields__})

    def scaled(self, factor: float) -> "Noise":
        """The same noise with every standard deviation multiplied by `factor`."""
        return Noise(**{k: v * factor for k, v in self.__dict__.items()})


@dataclass(frozen=True)
class Anatomy:
    """The person's proportions: people differ from the average head and posture.

    Attributes:
        head_scale: Size of the head relative to the average (0.8..1.2 covers adults).
        head_shape_mm: Each head point moved by a fixed random offset of this standard
            deviation (the same for every frame of the person), millimetres.
        seed: Seed of those offsets (different seeds = different people).
        shoulder_half_width_m: Half the shoulder span.
        ear_above_shoulders_m: Neutral ear midpoint above the shoulder midpoint.
        ear_forward_of_shoulders_m: Neutral ear midpoint in front of the shoulder midpoint.
    """

    head_scale: float = 1.0
    head_shape_mm: float = 0.0
    seed: int = 0
    shoulder_half_width_m: float = SHOULDER_HALF_WIDTH_M
    ear_above_shoulders_m: float = EAR_ABOVE_SHOULDERS_M
    ear_forward_of_shoulders_m: float = EAR_FORWARD_OF_SHOULDERS_M

    def head_points(self, model: Mapping[int, tuple[float, float, float]]) -> dict[int, np.ndarray]:
        """This person's version of a head model (mirror-symmetric offsets for left/right pairs)."""
        rng = np.random.default_rng(self.seed)
        out: dict[int, np.ndarray] = {}
        for idx in sorted(model):
            p = np.array(model[idx]) * self.head_scale
            twin = _MIRROR_TWIN.get(idx)
            if twin is not None and twin in out:
                # Faces are roughly symmetric: the right point mirrors the left one's offset.
                off = (out[twin] - np.array(model[twin]) * self.head_scale) * np.array([-1.0, 1.0, 1.0])
            else:
                off = rng.normal(0.0, self.head_shape_mm / 1000.0, 3)
                if idx == Landmark.NOSE:
                    off[0] = 0.0
            out[idx] = p + off
        return out


_MIRROR_TWIN = {4: 1, 5: 2, 6: 3, 8: 7, 10: 9}


def _body_points(pose: BodyPose, anatomy: Anatomy, head: np.ndarray,
                 image_head: np.ndarray) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """The posed body in person axes (l, u, f), origin between the hips.

    Args:
        pose: The pose.
        anatomy: The person.
        head: The head triad (rows: left, up, forward) in person axes.
        image_head: The triad the image head points follow (the pose model's response).

    Returns:
        (image points, world points): the image points are anatomical, the world points carry
        the real model's face squeeze.
    """
    shoulder_mid = np.array([0.0, SHOULDER_ABOVE_HIPS_M, SHOULDER_FORWARD_OF_HIPS_M])
    ear_mid_neutral = shoulder_mid + np.array([0.0, anatomy.ear_above_shoulders_m,
                                               anatomy.ear_forward_of_shoulders_m])
    # The neutral head's axes are the torso's, so the pivot offset is already in person axes;
    # a chin tuck slides the pivot straight back.
    pivot_from_ears = np.array(NECK_PIVOT_FROM_EARS_M)
    pivot = ear_mid_neutral + pivot_from_ears - np.array([0.0, 0.0, pose.retraction_cm / 100.0])
    ear_mid = pivot - pivot_from_ears @ head

    common: dict[int, np.ndarray] = {}
    for side, idx, hike in ((1.0, Landmark.LEFT_SHOULDER, pose.left_shoulder_hike_cm),
                            (-1.0, Landmark.RIGHT_SHOULDER, pose.right_shoulder_hike_cm)):
        common[idx] = shoulder_mid + np.array([side * anatomy.shoulder_half_width_m, hike / 100.0, 0.0])
    for side, idx in ((1.0, Landmark.LEFT_HIP), (-1.0, Landmark.RIGHT_HIP)):
        common[idx] = np.array([side * HIP_HALF_WIDTH_M, 0.0, 0.0])
    # Seated legs: thighs forward, shins down (out of the image in any webcam view).
    for side, knee, ankle, heel, toe in (
        (1.0, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
        (-1.0, Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    ):
        common[knee] = np.array([side * 0.13, -0.02, 0.45])
        common[ankle] = np.array([side * 0.13, -0.46, 0.42])
        common[heel] = np.array([side * 0.13, -0.50, 0.38])
        common[toe] = np.array([side * 0.13, -0.52, 0.55])
    for side, arm in ((1.0, pose.left_arm), (-1.0, pose.right_arm)):
        _add_arm(common, side, arm, common[Landmark.LEFT_SHOULDER if side > 0 else Landmark.RIGHT_SHOULDER],
                 ear_mid, head)

    image = dict(common)
    world = dict(common)
    for idx, p in anatomy.head_points(HEAD_POINTS_M).items():
        image[idx] = ear_mid + p @ image_head
    for idx, p in anatomy.head_points(_HEAD_POINTS_WORLD).items():
        world[idx] = ear_mid + p @ head
    return image, world


def _add_arm(points: dict[int, np.ndarray], side: float, arm: str, shoulder: np.ndarray,
             ear_mid: np.ndarray, head: np.ndarray) -> None:
    """Elbow, wrist and hand points of one arm; `side` is +1 for the left arm, -1 for the right.

    `head` is the head triad (rows: left, up, forward) in person axes.
    """
    left = side > 0
    elbow_i = Landmark.LEFT_ELBOW if left else Landmark.RIGHT_ELBOW
    wrist_i = Landmark.LEFT_WRIST if left else Landmark.RIGHT_WRIST
    pinky_i = Landmark.LEFT_PINKY if left else Landmark.RIGHT_PINKY
    index_i = Landmark.LEFT_INDEX if left else Landmark.RIGHT_INDEX
    thumb_i = Landmark.LEFT_THUMB if left else Landmark.RIGHT_THUMB
    if arm == "down":
        # Lengthened straight down along the body, palm facing down (fingers point to the floor).
        elbow = shoulder + np.array([side * 0.03, -0.29, 0.0])
        wrist = elbow + np.array([side * 0.01, -0.26, 0.0])
        index = wrist + np.array([side * 0.0, -0.09, 0.01])
        pinky = wrist + np.array([side * 0.01, -0.08, -0.01])
        thumb = wrist + np.array([side * -0.01, -0.05, 0.02])
    elif arm == "behind_head":
        # Hand on the back of the head, elbow raised out to the side.
        elbow = shoulder + np.array([side * 0.22, 0.13, -0.03])
        wrist = ear_mid + np.array([side * 0.05, 0.03, -0.10]) @ head
        index = ear_mid + np.array([side * -0.03, 0.05, -0.11]) @ head
        pinky = ear_mid + np.array([side * -0.02, 0.01, -0.11]) @ head
        thumb = ear_mid + np.array([side * 0.01, 0.07, -0.09]) @ head
    else:  # rest: hands low in front, on the lap or a desk
        elbow = shoulder + np.array([side * 0.04, -0.27, 0.06])
        wrist = elbow + np.array([side * -0.07, -0.03, 0.24])
        index = wrist + np.array([side * -0.06, -0.01, 0.06])
        pinky = wrist + np.array([side * -0.04, -0.02, 0.05])
        thumb = wrist + np.array([side * -0.06, 0.01, 0.03])
    points[elbow_i] = elbow
    points[wrist_i] = wrist
    points[index_i] = index
    points[pinky_i] = pinky
    points[thumb_i] = thumb


_HEAD_IDS = tuple(range(0, 11))
_ARM_IDS = tuple(range(13, 23))


def _part_of(idx: int) -> int:
    """Body part of a landmark, for noise shared within a part: 0 head, 1 shoulders, 2 arms, 3 rest."""
    if idx in _HEAD_IDS:
        return 0
    if idx in (11, 12):
        return 1
    if idx in _ARM_IDS:
        return 2
    return 3


_PARTS = np.array([_part_of(i) for i in range(NUM_POSE_LANDMARKS)])


def make_frame(
    pose: BodyPose,
    t_ms: int = 0,
    *,
    camera: Camera = Camera(),
    noise: Noise | None = None,
    rng: np.random.Generator | None = None,
    with_face: bool = False,
    anatomy: Anatomy = Anatomy(),
    response: Response = Response(),
) -> PoseFrame:
    """Pose the 3D model, view it through `camera` and return MediaPipe-like landmarks.

    Args:
        pose: Torso-relative head and arm pose.
        t_ms: Frame timestamp.
        camera: Camera placement (distance, roll, torso yaw, offsets).
        noise: Landmark noise; ``None`` means no noise (exact), `Noise()` the real model's rest
            jitter.
        rng: Random generator for the noise (a fixed-seed one is made when omitted).
        with_face: Also return a FaceLandmarker-style face matrix (``None`` when the face is
            turned too far from the camera for the face model to find it).
        anatomy: The person's proportions (default: the anthropometric average).
        response: How the models misread the head orientation (default: not at all).

    Returns:
        One `PoseFrame`.
    """
    noise = noise or Noise.none()
    rng = rng if rng is not None else np.random.default_rng(0)
    torso = _torso_in_camera(camera)
    head = head_rotation(pose.yaw_deg, pose.roll_deg, pose.pitch_deg).T  # rows, person axes
    head_cam = head @ torso  # the true head triad in camera axes
    # The response is camera-relative: the head the pose model draws, brought back to person axes.
    image_head = _respond(response.pose_head, head_cam) @ torso.T
    image_pts, world_pts = _body_points(pose, anatomy, head, image_head)

    # Place the shoulder midpoint at the camera offsets (which turn with a rolled camera).
    shoulder_mid = np.array([0.0, SHOULDER_ABOVE_HIPS_M, SHOULDER_FORWARD_OF_HIPS_M])
    anchor = _roll_picture(np.array([camera.offset_x_m, camera.offset_y_m, camera.distance_m]),
                           camera.camera_roll_deg)
    n = NUM_POSE_LANDMARKS
    cam = anchor + (np.array([image_pts[i] for i in range(n)]) - shoulder_mid) @ torso
    world = np.array([world_pts[i] for i in range(n)]) @ torso
    hip_depth = float((anchor - shoulder_mid @ torso)[2])

    lm = np.zeros((n, 4))
    lm[:, :2] = camera.project(cam)
    lm[:, 2] = IMAGE_Z_PER_WORLD_M * (cam[:, 2] - hip_depth)

    # Visibility: high for points inside the image that face the camera; falls off outside the
    # image and for an ear (or far-side eye/mouth corner) turned away from the camera (by the
    # true head: occlusion is physical).
    vis = np.full(n, 0.999)
    outside = np.maximum.reduce([-lm[:, 0], lm[:, 0] - 1.0, -lm[:, 1], lm[:, 1] - 1.0, np.zeros(n)])
    vis *= np.exp(-((outside / 0.06) ** 2))
    for idx, normal in _HEAD_NORMALS.items():
        to_cam = -cam[idx] / np.linalg.norm(cam[idx])
        facing = float((np.array(normal) @ head_cam) @ to_cam)
        if facing < -0.3:
            vis[idx] *= max(0.03, 1.0 - 2.5 * (-0.3 - facing))
    for side_arm, ids in ((pose.left_arm, (15, 17, 19, 21)), (pose.right_arm, (16, 18, 20, 22))):
        if side_arm == "behind_head":
            vis[list(ids)] *= 0.6  # hidden behind the head: the model guesses them
    lm[:, 3] = vis

    if noise != Noise.none():
        parts = _PARTS
        common_px = rng.normal(0.0, noise.image_common_px, (4, 2))[parts]
        lm[:, 0] += (rng.normal(0.0, noise.image_px, n) + common_px[:, 0]) / camera.width
        lm[:, 1] += (rng.normal(0.0, noise.image_px, n) + common_px[:, 1]) / camera.height
        lm[:, 2] += rng.normal(0.0, noise.image_z, n) + rng.normal(0.0, noise.image_common_z, 4)[parts]
        lm[:, 3] = np.clip(lm[:, 3] + rng.normal(0.0, noise.visibility, n), 0.0, 1.0)
        world[:, :2] += rng.normal(0.0, noise.world_m, (n, 2))
        world[:, 2] += (rng.normal(0.0, noise.world_z_m, n) + rng.normal(0.0, noise.world_part_z_m, 4)[parts]
                        + rng.normal(0.0, noise.world_common_z_m))

    face = None
    if with_face:
        ear_mid = (cam[Landmark.LEFT_EAR] + cam[Landmark.RIGHT_EAR]) / 2.0
        face = _face_matrix(head_cam, _respond(response.face, head_cam), ear_mid, noise, rng)
    # Marked synthetic: the estimator does not undo the real models' measured response on it.
    return PoseFrame(t_ms=int(t_ms), width=camera.width, height=camera.height,
                     landmarks=lm, world_landmarks=world, face_matrix=face, synthetic=True)


def _face_matrix(head_cam: np.ndarray, reported_cam: np.ndarray, ear_mid: np.ndarray, noise: Noise,
                 rng: np.random.Generator) -> np.ndarray | None:
    """FaceLandmarker-style 4x4 matrix, or None when the face is turned away too far.

    Args:
        head_cam: The true head triad (rows: left, up, forward) in MediaPipe camera axes.
        reported_cam: The triad the face model reports (its response to the true one).
        ear_mid: The ear midpoint in MediaPipe camera axes, metres.
        noise: Face matrix noise.
        rng: Random generator for the noise.
    """
    to_cam = -ear_mid / np.linalg.norm(ear_mid)
    if math.degrees(math.acos(max(-1.0, min(1.0, float(head_cam[2] @ to_cam))))) > FACE_LOST_BEYOND_DEG:
        return None
    # The canonical face axes are the head's (x = left, y = up, z = out of the face): the
    # matrix's columns are those directions in OpenGL-style camera axes.
    rot_gl = _mp_to_gl(reported_cam).T
    t_cm = _mp_to_gl(ear_mid + _FACE_ORIGIN_FORWARD_M * reported_cam[2]) * 100.0
    if noise.face_deg > 0.0:
        axis = rng.normal(size=3)
        # Each direction turned about one random axis (the columns turn together, in camera axes).
        rot_gl = _rotate(_quaternion(axis, math.radians(rng.normal(0.0, noise.face_deg))), rot_gl.T).T
    if noise.face_cm > 0.0:
        t_cm = t_cm + rng.normal(0.0, noise.face_cm, 3)
    m = np.eye(4)
    m[:3, :3] = rot_gl
    m[:3, 3] = t_cm
    return m


_POSE_FIELDS = frozenset(BodyPose.__dataclass_fields__)
_CAMERA_FIELDS = frozenset(Camera.__dataclass_fields__)


def make_landmarks(yaw_deg: float = 0.0, roll_deg: float = 0.0, pitch_deg: float = 0.0,
                   retraction_cm: float = 0.0, **kw) -> PoseFrame:
    """Convenience wrapper around `make_frame` for table tests.

    Keyword arguments may be any `BodyPose` field (``right_arm="down"``), any `Camera` field
    (``camera_roll_deg=15``), or `make_frame`'s ``t_ms``, ``camera``, ``noise``, ``rng``,
    ``with_face``, ``anatomy`` and ``response``.

    Example:
        >>> frame = make_landmarks(yaw_deg=30, camera_roll_deg=10, noise=Noise())
    """
    pose_kw = {k: kw.pop(k) for k in list(kw) if k in _POSE_FIELDS}
    cam_kw = {k: kw.pop(k) for k in list(kw) if k in _CAMERA_FIELDS}
    allowed = {"t_ms", "camera", "noise", "rng", "with_face", "anatomy", "response"}
    unknown = set(kw) - allowed
    if unknown:
        raise TypeError(f"make_landmarks got unknown arguments {sorted(unknown)}")
    camera = kw.pop("camera", Camera())
    if cam_kw:
        camera = replace(camera, **cam_kw)
    pose = BodyPose(yaw_deg=yaw_deg, roll_deg=roll_deg, pitch_deg=pitch_deg,
                    retraction_cm=retraction_cm, **pose_kw)
    return make_frame(pose, kw.pop("t_ms", 0), camera=camera, **kw)


def sweep_cases(n_mixed: int = 60, seed: int = 11) -> list[tuple[float, float, float, float]]:
    """The issue's accuracy sweep as ``(yaw_deg, roll_deg, pitch_deg, retraction_cm)`` cases.

    Each axis alone over its range (yaw -80..80 and pitch -40..40 in 5 deg steps, roll -45..45,
    retraction 0..3 cm in 0.25 cm steps), then `n_mixed` random mixed poses (yaw +-60, roll
    and pitch +-30, retraction 0..3).
    """
    rng = np.random.default_rng(seed)
    cases = [(float(y), 0.0, 0.0, 0.0) for y in range(-80, 81, 5)]
    cases += [(0.0, float(r), 0.0, 0.0) for r in range(-45, 46, 5)]
    cases += [(0.0, 0.0, float(p), 0.0) for p in range(-40, 41, 5)]
    cases += [(0.0, 0.0, 0.0, float(c)) for c in np.arange(0.0, 3.01, 0.25)]
    cases += [tuple(map(float, v)) for v in rng.uniform([-60, -30, -30, 0], [60, 30, 30, 3], (n_mixed, 4))]
    return cases
