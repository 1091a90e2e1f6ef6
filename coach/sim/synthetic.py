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

The generator's geometry (`coach.sim.synthetic_geometry`) is its OWN, written from the words of
DESIGN.md, and shares nothing with the estimator (`coach.angles.headpose`): a sign, axis order or
head-model mistake made by both would otherwise never show in the synthetic error. Rotations
are built by swinging named anatomical directions into each other with quaternions
(`head_rotation`); the head is an anatomical point model from anthropometric averages
(`HEAD_POINTS_M`), not the estimator's fitted model, so the pose-only estimate pays for its
model the way it would on a real person; the pinhole projection and the MediaPipe-to-OpenGL
axis map for the face matrix are written there. The body (`BodyPose`, the posed body and arm
points) is `coach.sim.synthetic_body`; this module assembles the frame, with the models' response
and the noise. `Anatomy` makes other people (head size and shape, posture), `Camera.hfov_deg`
other lenses, and `Response` the real models' systematic misreadings of the head orientation.
`sweep_cases` is the issue's accuracy sweep, shared by the tests and bench/accuracy.py.

The generator's body proportions and quirks were MEASURED on the real model
(pose_landmarker_full, face landmarker) on ../shared/data/webcam_person_then_cartoon.mov
(person at rest) and astronaut.png:

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
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from coach.landmarks import NUM_POSE_LANDMARKS, Landmark, PoseFrame
from coach.sim.synthetic_body import (
    SHOULDER_ABOVE_HIPS_M,
    SHOULDER_FORWARD_OF_HIPS_M,
    Anatomy,
    ArmPose,
    BodyPose,
    body_points,
)
from coach.sim.synthetic_geometry import (
    Camera,
    camera_relative,
    from_camera_relative,
    head_rotation,
    head_rotation_angles,
    mp_to_gl,
    quaternion,
    roll_picture,
    rotate,
    torso_in_camera,
)

# The generator's public API, wherever it lives (`ArmPose` and `head_rotation_angles` are only
# re-exported here).
__all__ = ["Anatomy", "ArmPose", "BodyPose", "Camera", "Noise", "Response", "make_frame",
           "make_landmarks", "sweep_cases", "head_rotation", "head_rotation_angles"]

# Image z is ~3.4x world z (relative to the hips) on both real inputs.
IMAGE_Z_PER_WORLD_M = 3.4
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
    return from_camera_relative(read(*camera_relative(triad_cam)))


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
    def none(cls) -> Noise:
        """No noise at all: exact projections."""
        return cls(**{name: 0.0 for name in cls.__dataclass_fields__})

    def scaled(self, factor: float) -> Noise:
        """The same noise with every standard deviation multiplied by `factor`."""
        return Noise(**{k: v * factor for k, v in self.__dict__.items()})


_HEAD_IDS = tuple(range(11))
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
    if pose.trunk_yaw_deg:
        camera = replace(camera, torso_yaw_deg=camera.torso_yaw_deg + pose.trunk_yaw_deg)
    torso = torso_in_camera(camera)
    head = head_rotation(pose.yaw_deg, pose.roll_deg, pose.pitch_deg).T  # rows, person axes
    head_cam = head @ torso  # the true head triad in camera axes
    # The response is camera-relative: the head the pose model draws, brought back to person axes.
    image_head = _respond(response.pose_head, head_cam) @ torso.T
    image_pts, world_pts = body_points(pose, anatomy, head, image_head)

    # Place the shoulder midpoint at the camera offsets (which turn with a rolled camera).
    shoulder_mid = np.array([0.0, SHOULDER_ABOVE_HIPS_M, SHOULDER_FORWARD_OF_HIPS_M])
    anchor = roll_picture(np.array([camera.offset_x_m, camera.offset_y_m, camera.distance_m]),
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
    rot_gl = mp_to_gl(reported_cam).T
    t_cm = mp_to_gl(ear_mid + _FACE_ORIGIN_FORWARD_M * reported_cam[2]) * 100.0
    if noise.face_deg > 0.0:
        axis = rng.normal(size=3)
        # Each direction turned about one random axis (the columns turn together, in camera axes).
        rot_gl = rotate(quaternion(axis, math.radians(rng.normal(0.0, noise.face_deg))), rot_gl.T).T
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
