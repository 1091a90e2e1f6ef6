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

The head uses the same anatomical model as `coach.headpose` (HEAD_MODEL_M), so the default
person is the estimator's ideal; `Anatomy` makes other people (head size and shape, posture)
and `Camera.hfov_deg` other lenses, to measure what the estimator's assumptions cost.
`sweep_cases` is the issue's accuracy sweep, shared by the tests and bench/accuracy.py.

The proportions and quirks below were MEASURED on the real model (pose_landmarker_full, face
landmarker) on ../shared/data/webcam_person_then_cartoon.mov (person at rest) and astronaut.png:

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
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from coach.headpose import (
    EAR_FORWARD_OF_SHOULDERS_M,
    HEAD_MODEL_M,
    MP_TO_GL,
    NECK_PIVOT_BELOW_EARS_M,
    rotation_from_vector,
    axis_rotation,
    focal_px,
    head_rotation,
    head_rotation_angles,
)
from coach.landmarks import NUM_POSE_LANDMARKS, Landmark, PoseFrame

__all__ = ["Anatomy", "ArmPose", "BodyPose", "Camera", "Noise", "make_frame", "make_landmarks",
           "sweep_cases", "head_rotation", "head_rotation_angles"]

ArmPose = Literal["rest", "down", "behind_head"]
ARM_POSES: tuple[str, ...] = ("rest", "down", "behind_head")

# -- measured proportions (metres), person frame: l = person's left, u = up, f = forward ------
SHOULDER_HALF_WIDTH_M = 0.162
SHOULDER_ABOVE_HIPS_M = 0.43
SHOULDER_FORWARD_OF_HIPS_M = 0.11
EAR_ABOVE_SHOULDERS_M = 0.178
HIP_HALF_WIDTH_M = 0.14
# Image z is ~3.4x world z (relative to the hips) on both real inputs.
IMAGE_Z_PER_WORLD_M = 3.4

# Head points relative to the ear midpoint in head axes (l, u, f): the anatomical model the
# image landmarks follow (shared with the estimator, which fits it to image landmarks).
_HEAD_POINTS_IMAGE = HEAD_MODEL_M
# The real model's world landmarks squeeze the eyes together (measured ~3 cm apart, with the
# inner/outer points on top of the eye centre); mimic that so estimators cannot rely on it.
_HEAD_POINTS_WORLD = dict(_HEAD_POINTS_IMAGE)
for _side, _eyes in ((1.0, (1, 2, 3)), (-1.0, (4, 5, 6))):
    for _i in _eyes:
        _HEAD_POINTS_WORLD[_i] = (0.015 * _side, 0.016, 0.097)
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
        """Focal length in pixels."""
        return focal_px(self.width, self.hfov_deg)


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
    """The person's proportions: people differ from the estimator's head model.

    Attributes:
        head_scale: Size of the head relative to the standard model (0.8..1.2 covers adults).
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

    def head_points(self, model: dict[int, tuple[float, float, float]]) -> dict[int, np.ndarray]:
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


# Person axes (l, u, f) expressed in MediaPipe camera axes for a person squarely facing the
# camera: their left is the image right (+x), up is -y, forward is toward the camera (-z).
_PERSON_TO_MP = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])


def _body_points(pose: BodyPose, anatomy: Anatomy) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray], np.ndarray]:
    """The posed body in person axes (l, u, f), origin between the hips.

    Returns:
        (image points, world points, head rotation): the image points are anatomical, the
        world points carry the real model's face squeeze.
    """
    r_head = head_rotation(pose.yaw_deg, pose.roll_deg, pose.pitch_deg)
    shoulder_mid = np.array([0.0, SHOULDER_ABOVE_HIPS_M, SHOULDER_FORWARD_OF_HIPS_M])
    ear_mid_neutral = shoulder_mid + np.array([0.0, anatomy.ear_above_shoulders_m,
                                               anatomy.ear_forward_of_shoulders_m])
    pivot = ear_mid_neutral - np.array([0.0, NECK_PIVOT_BELOW_EARS_M, 0.0])
    pivot = pivot - np.array([0.0, 0.0, pose.retraction_cm / 100.0])
    ear_mid = pivot + r_head @ np.array([0.0, NECK_PIVOT_BELOW_EARS_M, 0.0])

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
                 ear_mid, r_head)

    image = dict(common)
    world = dict(common)
    for idx, p in anatomy.head_points(_HEAD_POINTS_IMAGE).items():
        image[idx] = ear_mid + r_head @ p
    for idx, p in anatomy.head_points(_HEAD_POINTS_WORLD).items():
        world[idx] = ear_mid + r_head @ p
    return image, world, r_head


def _add_arm(points: dict[int, np.ndarray], side: float, arm: str, shoulder: np.ndarray,
             ear_mid: np.ndarray, r_head: np.ndarray) -> None:
    """Elbow, wrist and hand points of one arm; `side` is +1 for the left arm, -1 for the right."""
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
        wrist = ear_mid + r_head @ np.array([side * 0.05, 0.03, -0.10])
        index = ear_mid + r_head @ np.array([side * -0.03, 0.05, -0.11])
        pinky = ear_mid + r_head @ np.array([side * -0.02, 0.01, -0.11])
        thumb = ear_mid + r_head @ np.array([side * 0.01, 0.07, -0.09])
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
        anatomy: The person's proportions (default: the estimator's standard model).

    Returns:
        One `PoseFrame`.
    """
    noise = noise or Noise.none()
    rng = rng if rng is not None else np.random.default_rng(0)
    image_pts, world_pts, r_head = _body_points(pose, anatomy)

    # Body orientation in MediaPipe camera axes: the torso turns and leans, then the camera rolls.
    # In these y-down axes a rotation about +z by -angle turns the picture counter-clockwise on
    # screen, the same direction as cv2.getRotationMatrix2D(centre, +angle, 1).
    r_cam_roll = axis_rotation(2, -camera.camera_roll_deg)
    r_body = r_cam_roll @ _PERSON_TO_MP @ axis_rotation(1, -camera.torso_yaw_deg) @ axis_rotation(2, camera.torso_roll_deg)
    shoulder_mid = np.array([0.0, SHOULDER_ABOVE_HIPS_M, SHOULDER_FORWARD_OF_HIPS_M])
    anchor = r_cam_roll @ np.array([camera.offset_x_m, camera.offset_y_m, camera.distance_m])

    n = NUM_POSE_LANDMARKS
    cam = np.zeros((n, 3))
    world = np.zeros((n, 3))
    for i in range(n):
        cam[i] = anchor + r_body @ (image_pts[i] - shoulder_mid)
        world[i] = r_body @ world_pts[i]
    hip_cam = anchor + r_body @ (np.zeros(3) - shoulder_mid)

    f_px = camera.focal_px
    z = np.maximum(cam[:, 2], 0.05)
    x_px = camera.width / 2.0 + f_px * cam[:, 0] / z
    y_px = camera.height / 2.0 + f_px * cam[:, 1] / z
    lm = np.zeros((n, 4))
    lm[:, 0] = x_px / camera.width
    lm[:, 1] = y_px / camera.height
    lm[:, 2] = IMAGE_Z_PER_WORLD_M * (cam[:, 2] - hip_cam[2])

    # Visibility: high for points inside the image that face the camera; falls off outside the
    # image and for an ear (or far-side eye/mouth corner) turned away from the camera.
    r_head_cam = r_body @ r_head
    vis = np.full(n, 0.999)
    outside = np.maximum.reduce([-lm[:, 0], lm[:, 0] - 1.0, -lm[:, 1], lm[:, 1] - 1.0, np.zeros(n)])
    vis *= np.exp(-((outside / 0.06) ** 2))
    for idx, normal in _HEAD_NORMALS.items():
        to_cam = -cam[idx] / np.linalg.norm(cam[idx])
        facing = float((r_head_cam @ np.array(normal)) @ to_cam)
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
        face = _face_matrix(r_head_cam, cam, noise, rng)
    return PoseFrame(t_ms=int(t_ms), width=camera.width, height=camera.height,
                     landmarks=lm, world_landmarks=world, face_matrix=face)


# The face model loses the face when it is turned further than this from the camera.
FACE_LOST_BEYOND_DEG = 60.0


def _face_matrix(r_head_cam: np.ndarray, cam: np.ndarray, noise: Noise,
                 rng: np.random.Generator) -> np.ndarray | None:
    """FaceLandmarker-style 4x4 matrix, or None when the face is turned away too far."""
    ear_mid = (cam[Landmark.LEFT_EAR] + cam[Landmark.RIGHT_EAR]) / 2.0
    # Columns of r_head_cam are the head's (left, up, forward) axes in MediaPipe camera axes,
    # which are exactly the canonical face axes (x = left, y = up, z = out of the face).
    axes_mp = r_head_cam
    forward_mp = axes_mp[:, 2]
    to_cam = -ear_mid / np.linalg.norm(ear_mid)
    if math.degrees(math.acos(max(-1.0, min(1.0, float(forward_mp @ to_cam))))) > FACE_LOST_BEYOND_DEG:
        return None
    rot_gl = MP_TO_GL @ axes_mp
    # The canonical face origin sits inside the head, a few cm in front of the ear line.
    origin_mp = ear_mid + axes_mp @ np.array([0.0, 0.0, 0.03])
    t_cm = MP_TO_GL @ origin_mp * 100.0
    if noise.face_deg > 0.0:
        axis = rng.normal(size=3)
        axis /= np.linalg.norm(axis)
        rot_gl = rotation_from_vector(axis * math.radians(rng.normal(0.0, noise.face_deg))) @ rot_gl
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
    ``with_face`` and ``anatomy``.

    Example:
        >>> frame = make_landmarks(yaw_deg=30, camera_roll_deg=10, noise=Noise())
    """
    pose_kw = {k: kw.pop(k) for k in list(kw) if k in _POSE_FIELDS}
    cam_kw = {k: kw.pop(k) for k in list(kw) if k in _CAMERA_FIELDS}
    allowed = {"t_ms", "camera", "noise", "rng", "with_face", "anatomy"}
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
