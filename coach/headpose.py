"""Torso-relative head angles from landmarks. Pure numpy: no mediapipe, no cv2, no clock.

CONTRACT (the types below are used by the engine, overlay and CLI; keep their fields):
landmarks (`coach.landmarks.PoseFrame`) go in, `HeadAngles` comes out, relative to a torso frame
built from the shoulders (hips are often out of frame). Sign conventions (DESIGN.md):
yaw > 0 head turned to the person's RIGHT; roll > 0 right ear toward right shoulder;
pitch > 0 flexion (chin down); retraction_cm > 0 head moved straight back.

How it works (every number below was measured on the real model, see the constants):

- **Torso frame** (`torso_frame`): x along the shoulder line, up perpendicular to it with no
  component along the optical axis (so a rolled camera rolls the frame with it), forward =
  x cross up. The shoulder line is rebuilt in 3D from the two IMAGE rays through the shoulders;
  the pose model's world landmarks only give its depth (torso yaw) and length. The world
  landmarks' in-plane direction is not used: it carries a left/right bias (the person's left
  side 1-2 cm higher whichever way the picture is flipped) that broke mirror symmetry. Two
  priors tame the model's remaining shoulder errors (see the constants): a torso yaw below
  15 deg is taken as facing the camera (the model's shoulder depth is off by up to ~13 deg:
  12.8 deg on the webcam clip, 4.7 deg on it flipped, 6-7 deg with the camera rolled), and a
  shoulder line within 4 deg of horizontal is taken as level.
- **Head orientation**: FaceLandmarker's facial transformation matrix when there is one
  (jitter ~0.07 deg, mirror-symmetric within ~1 deg); otherwise (pose only, or the face lost at
  large yaw) a perspective-n-point fit of a 3D head model to the pose model's IMAGE landmarks
  (nose, eyes, ears, mouth), weighted by visibility. The pose world landmarks are not used for
  the head: they squeeze the eyes to 3 cm apart and tilt the ear line by ~8 deg.
- **Retraction**: the head's neck pivot (a little below the ear midpoint, so nodding does not
  read as a chin tuck) moved backward along the torso's forward axis, from world landmarks.
- `HeadTracker` adds One Euro smoothing (time from ``frame.t_ms``), the neutral calibration
  (a rotation: ``R_neutral.T @ R``), and a face-to-pose offset so that losing the face at large
  yaw does not make the angles jump.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from coach.filters import FilterFactory, one_euro, pass_through
from coach.landmarks import NUM_POSE_LANDMARKS, Landmark, PoseFrame


class Tracking(str, Enum):
    """Why an estimate is or is not usable. The value is what the CSV/report/overlay shows."""

    OK = "ok"
    NO_PERSON = "no-person"
    SHOULDERS_NOT_VISIBLE = "shoulders-not-visible"
    FACE_NOT_VISIBLE = "face-not-visible"
    LOW_CONFIDENCE = "low-confidence"


@dataclass(frozen=True)
class HeadAngles:
    """Head orientation relative to the torso, for one frame.

    Attributes:
        yaw_deg: Rotation; > 0 turned to the person's right.
        roll_deg: Lateral tilt; > 0 right ear toward the right shoulder.
        pitch_deg: > 0 flexion (chin down), < 0 extension.
        retraction_cm: > 0 head moved straight back (chin tuck).
        confidence: 0..1; below ~0.5 the angles should not be coached.
        tracking: `Tracking.OK`, or why the angles are missing / not trustworthy. When not OK
            the angle fields are NaN.
    """

    yaw_deg: float
    roll_deg: float
    pitch_deg: float
    retraction_cm: float
    confidence: float
    tracking: Tracking = Tracking.OK

    @property
    def ok(self) -> bool:
        """True when the angles can be used for coaching."""
        return self.tracking is Tracking.OK


# -- measured constants ----------------------------------------------------------------------------

#: Shoulders whose visibility is below this are "not visible". Real shoulders in view: >= 0.99
#: (webcam clip, astronaut); the shoulders the model invents below a face close-up: median 0.81.
SHOULDER_MIN_VISIBILITY = 0.9
#: Shoulders below this normalised image y are out of the picture. The webcam clip's real
#: shoulders reach y = 1.01-1.03 (cut by the bottom edge); of the close-up's invented ones
#: (y 0.98-1.37) none is both above 1.04 and visible >= SHOULDER_MIN_VISIBILITY.
SHOULDER_MAX_IMAGE_Y = 1.04
#: A head point below this visibility counts as hidden.
HEAD_MIN_VISIBILITY = 0.5
#: Below this confidence the angles are reported as `Tracking.LOW_CONFIDENCE`.
MIN_CONFIDENCE = 0.5
#: Torso yaw (from the shoulders' depth) below this is treated as facing the camera, and fully
#: trusted from TORSO_YAW_FULL_DEG on (linear in between); see the module docstring.
TORSO_YAW_IGNORED_DEG = 15.0
TORSO_YAW_FULL_DEG = 30.0
#: Likewise a shoulder line within this of the image horizontal is taken as level, and fully
#: trusted from TORSO_ROLL_FULL_DEG on (a prior: webcams are level and people sit upright). On a
#: static image the real model's shoulder line wanders +-2 deg from frame to frame (astronaut),
#: and on the webcam clip it has a 1.2 deg left/right bias (-0.55 deg, and -1.76 instead of
#: +0.55 on the flipped clip). Without this prior the mean mirror roll error was 1.86 deg
#: (webcam clip) and 1.53 deg (astronaut); with it 0.53 and 0.45. A camera rolled 15 deg is
#: far outside the zone.
TORSO_ROLL_LEVEL_DEG = 4.0
TORSO_ROLL_FULL_DEG = 8.0
#: Plausible (shoulder midpoint - ear midpoint) distance along the torso's up axis, as a
#: fraction of the shoulder width, in the image. Real people: 0.57-0.62; the "people" the pose
#: model finds in the cartoon part of the webcam clip: -0.05-0.3.
NECK_HEIGHT_RANGE = (0.35, 1.1)
#: Horizontal field of view assumed for the pose-only head fit (typical webcams: 55-78 deg).
ASSUMED_HFOV_DEG = 60.0
#: The head turns about the top of the neck, a little below the ear canals.
NECK_PIVOT_BELOW_EARS_M = 0.03
#: Typical world-landmark offset of the ear midpoint in front of the shoulder midpoint, sitting
#: upright (webcam clip: 8.5 cm, astronaut: 8.4 cm); uncalibrated retraction is relative to it.
EAR_FORWARD_OF_SHOULDERS_M = 0.085
#: One Euro smoothing of the output angles. At rest the face path jitters only ~0.07 deg, so the
#: cut-off is set by slow drift and lag: 0.5 Hz at rest, opening by 0.02 Hz per deg/s (2.5 Hz at
#: 100 deg/s; a 45 deg step is 90% through in 0.07 s). Webcam clip at rest, every frame: std
#: yaw/roll/pitch 0.28/0.11/0.45 deg (1 Hz, beta 0.05: 0.31/0.15/0.53; the person nods ~2 deg).
SMOOTH_MIN_CUTOFF_HZ = 0.5
SMOOTH_BETA = 0.02
#: Time constant of the face-to-pose offset average used when the face is lost.
FACE_OFFSET_TAU_S = 1.0
#: Landmark coordinates beyond these are garbage, not a pose (normalised image units, metres).
_MAX_ABS_IMAGE = 4.0
_MAX_ABS_WORLD_M = 3.0

#: The 3D head model (metres) in head axes (left, up, forward), origin at the ear midpoint:
#: anatomical proportions, matching the real model's IMAGE landmarks (eyes ~6.4 cm apart,
#: ears ~14.4 cm, nose ~11 cm in front of the ear line).
HEAD_MODEL_M: dict[int, tuple[float, float, float]] = {
    Landmark.NOSE: (0.0, -0.012, 0.11),
    Landmark.LEFT_EYE_INNER: (0.016, 0.028, 0.09),
    Landmark.LEFT_EYE: (0.032, 0.03, 0.086),
    Landmark.LEFT_EYE_OUTER: (0.047, 0.029, 0.078),
    Landmark.RIGHT_EYE_INNER: (-0.016, 0.028, 0.09),
    Landmark.RIGHT_EYE: (-0.032, 0.03, 0.086),
    Landmark.RIGHT_EYE_OUTER: (-0.047, 0.029, 0.078),
    Landmark.LEFT_EAR: (0.072, 0.0, 0.0),
    Landmark.RIGHT_EAR: (-0.072, 0.0, 0.0),
    Landmark.MOUTH_LEFT: (0.024, -0.048, 0.085),
    Landmark.MOUTH_RIGHT: (-0.024, -0.048, 0.085),
}
# The head landmarks are 0..10, so a landmark index is also its row in these arrays.
_HEAD_IDS = np.arange(11)
_HEAD_PTS = np.array([HEAD_MODEL_M[i] for i in range(11)])
_SHOULDERS = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
_EARS = [Landmark.LEFT_EAR, Landmark.RIGHT_EAR]

#: MediaPipe camera axes (x right, y down, z away) <-> FaceLandmarker's OpenGL-style axes
#: (x right, y up, z toward the viewer). The face matrix's rotation columns are the face's
#: (left, up, out-of-the-face) axes in the latter.
MP_TO_GL = np.diag([1.0, -1.0, -1.0])


# -- rotations -------------------------------------------------------------------------------------


def axis_rotation(axis: int, angle_deg: float) -> np.ndarray:
    """Right-handed rotation about coordinate axis 0, 1 or 2."""
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r = np.eye(3)
    r[i, i] = c
    r[i, j] = -s
    r[j, i] = s
    r[j, j] = c
    return r


def head_rotation(yaw_deg: float, roll_deg: float, pitch_deg: float) -> np.ndarray:
    """Head rotation in torso axes (left, up, forward) from DESIGN.md angles.

    The order is intrinsic yaw, then pitch, then roll: turn the head, then nod about the
    turned head's own left axis (so "turn 45 degrees, then pull down toward the armpit" is
    yaw then pitch), then tilt about the head's own forward axis.

    Signs: turning right moves the nose toward -left (rotation about up by -yaw); flexion moves
    the nose down (rotation about left by +pitch); right ear toward the right shoulder moves
    the top of the head toward -left (rotation about forward by +roll).
    """
    return axis_rotation(1, -yaw_deg) @ axis_rotation(0, pitch_deg) @ axis_rotation(2, roll_deg)


def head_rotation_angles(r: np.ndarray) -> tuple[float, float, float]:
    """Inverse of `head_rotation`: ``(yaw_deg, roll_deg, pitch_deg)`` of a rotation matrix."""
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, -float(r[1, 2])))))
    yaw = -math.degrees(math.atan2(float(r[0, 2]), float(r[2, 2])))
    roll = math.degrees(math.atan2(float(r[1, 0]), float(r[1, 1])))
    return yaw, roll, pitch


def rotation_from_vector(w: np.ndarray) -> np.ndarray:
    """Rotation matrix of a rotation vector (Rodrigues)."""
    a = float(np.linalg.norm(w))
    if a < 1e-12:
        return np.eye(3)
    k = w / a
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + math.sin(a) * kx + (1.0 - math.cos(a)) * (kx @ kx)


def _nearest_rotation(m: np.ndarray) -> np.ndarray:
    """The rotation nearest a 3x3 matrix (chordal projection via SVD)."""
    u, _, vt = np.linalg.svd(m)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    return u @ np.diag([1.0, 1.0, d]) @ vt


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of the rotation taking `a` to `b`, in degrees."""
    c = (float(np.trace(a.T @ b)) - 1.0) / 2.0
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


# -- the torso frame -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TorsoFrame:
    """Torso axes from the shoulders, in MediaPipe camera axes (x right, y down, z away).

    Attributes:
        axes: 3x3, columns = the person's left, up and forward directions.
        yaw_deg: Torso yaw against the camera measured from the shoulders' depth (> 0 turned
            to the person's right), before the dead zone.
        shoulder_px: Shoulder span in pixels.
    """

    axes: np.ndarray
    yaw_deg: float
    shoulder_px: float


def focal_px(width: int, hfov_deg: float) -> float:
    """Pinhole focal length in pixels of an image `width` pixels wide with this field of view."""
    return (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)


def _dead_zone(angle_deg: float, ignored_deg: float, full_deg: float) -> float:
    """0 below `ignored_deg`, the angle itself from `full_deg` on, linear in between."""
    ramp = (abs(angle_deg) - ignored_deg) / (full_deg - ignored_deg)
    return angle_deg * min(1.0, max(0.0, ramp))


def torso_frame(frame: PoseFrame, hfov_deg: float = ASSUMED_HFOV_DEG) -> TorsoFrame | None:
    """The torso frame of a frame's shoulders, or None when it cannot be built.

    The shoulder line is rebuilt in 3D from the two image rays through the shoulders (so
    perspective does not tilt it when the torso is turned), their depth difference from the
    world landmarks (after the dead zone) and the world shoulder span. The up axis is
    perpendicular to the shoulder line with no component along the optical axis, so the frame
    rolls with a rolled camera and torso-relative angles do not change.
    """
    lm, wl = frame.landmarks, frame.world_landmarks
    if lm is None or wl is None:
        return None
    size = np.array([frame.width, frame.height], dtype=float)
    px = lm[_SHOULDERS, :2] * size
    span_px = float(np.linalg.norm(px[0] - px[1]))
    s_w = wl[Landmark.LEFT_SHOULDER] - wl[Landmark.RIGHT_SHOULDER]
    span_m = float(np.linalg.norm(s_w))
    if not (np.all(np.isfinite(px)) and np.isfinite(span_m)) or span_px < 1.0 or span_m < 1e-3:
        return None
    # Left shoulder nearer the camera (smaller z) = torso turned to the person's right.
    measured_yaw = math.degrees(math.atan2(-float(s_w[2]), float(np.hypot(s_w[0], s_w[1])) or 1e-9))
    dz_m = -span_m * math.sin(math.radians(_dead_zone(measured_yaw, TORSO_YAW_IGNORED_DEG, TORSO_YAW_FULL_DEG)))
    f_px = focal_px(frame.width, hfov_deg)
    rays = np.column_stack([(px - size / 2.0) / f_px, np.ones(2)])
    # Shoulders at depths zc +- dz/2 along their rays, span_m apart: solve |zc a + b| = span_m.
    a = rays[0] - rays[1]
    b = dz_m / 2.0 * (rays[0] + rays[1])
    aa, ab, bb = float(a @ a), float(a @ b), float(b @ b)
    zc = (-ab + math.sqrt(max(ab * ab - aa * (bb - span_m * span_m), 0.0))) / aa
    left = zc * a + b
    left /= np.linalg.norm(left)
    # Level prior: turn the shoulder line about the optical axis onto the horizontal when it
    # is nearly level (see TORSO_ROLL_LEVEL_DEG).
    roll_deg = math.degrees(math.atan2(float(left[1]), float(left[0])))
    turn = math.radians(_dead_zone(roll_deg, TORSO_ROLL_LEVEL_DEG, TORSO_ROLL_FULL_DEG) - roll_deg)
    left = axis_rotation(2, math.degrees(turn)) @ left
    up = np.cross(left, [0.0, 0.0, 1.0])
    norm_up = float(np.linalg.norm(up))
    if norm_up < 1e-6:
        return None
    up /= norm_up
    forward = np.cross(left, up)
    return TorsoFrame(axes=np.column_stack([left, up, forward]), yaw_deg=measured_yaw, shoulder_px=span_px)


# -- head orientation sources ----------------------------------------------------------------------


def face_head_axes(face_matrix: np.ndarray | None) -> np.ndarray | None:
    """Head axes (left, up, forward) in MediaPipe camera axes from a face matrix, or None.

    Returns None for a missing, non-finite or non-rotation matrix (a corrupt log line must not
    become a head pose).
    """
    if face_matrix is None:
        return None
    m = np.asarray(face_matrix, dtype=float)
    if m.shape != (4, 4) or not np.all(np.isfinite(m)):
        return None
    r = m[:3, :3]
    if np.abs(r @ r.T - np.eye(3)).max() > 0.05 or np.linalg.det(r) < 0.9:
        return None
    return MP_TO_GL @ _nearest_rotation(r)


@dataclass(frozen=True)
class HeadFit:
    """The head model fitted to one frame's image landmarks.

    Attributes:
        axes: 3x3, columns = the head's left, up and forward axes in MediaPipe camera axes.
        rms_px: Visibility-weighted RMS reprojection error, pixels.
        head_px: The model's ear-to-ear span at the fitted depth, pixels (the error's scale).
    """

    axes: np.ndarray
    rms_px: float
    head_px: float


def pose_head_axes(frame: PoseFrame, hfov_deg: float = ASSUMED_HFOV_DEG) -> HeadFit | None:
    """Fit `HEAD_MODEL_M` to the pose model's image landmarks (perspective, visibility-weighted).

    A weak-perspective (affine) fit gives the start; Levenberg-Marquardt on the perspective
    reprojection error (rotation and translation) refines it.

    Returns None when fewer than 4 head points are usable or the fit fails.
    """
    lm = frame.landmarks
    size = np.array([frame.width, frame.height], dtype=float)
    pts = lm[_HEAD_IDS, :2] * size
    vis = lm[_HEAD_IDS, 3]
    ok = np.all(np.isfinite(pts), axis=1) & np.isfinite(vis)
    w = np.where(ok, np.clip(np.nan_to_num(vis), 0.0, 1.0) ** 2, 0.0)
    if np.count_nonzero(w > 0.05) < 4:
        return None
    pts = np.where(ok[:, None], pts, 0.0)
    f_px = focal_px(frame.width, hfov_deg)
    centre = size / 2.0

    # Start: weak-perspective (affine) fit, its rows made orthonormal.
    wn = w / w.sum()
    p_mean = wn @ pts
    m_mean = wn @ _HEAD_PTS
    pc, mc = pts - p_mean, _HEAD_PTS - m_mean
    gram = (mc * wn[:, None]).T @ mc
    if np.linalg.cond(gram) > 1e8:
        return None
    a = np.linalg.solve(gram, (mc * wn[:, None]).T @ pc).T  # 2x3: pts ~ a @ model
    u, sv, vt = np.linalg.svd(a, full_matrices=False)
    if sv[1] <= 1e-9:
        return None
    rows = u @ vt
    axes = np.vstack([rows, np.cross(rows[0], rows[1])])  # camera-from-head rotation
    scale = float(sv.mean())
    tz = f_px / scale
    origin_px = p_mean - a @ m_mean
    t = np.array([(origin_px[0] - centre[0]) * tz / f_px, (origin_px[1] - centre[1]) * tz / f_px, tz])

    sw = np.sqrt(w)
    n = len(_HEAD_IDS)
    # Per-point 2x3 projection Jacobians and rotation skews, filled in place each iteration
    # (one vectorised pass instead of a Python loop over the points: the fit was ~60% of
    # the head tracker's time per frame, bench/bench.py).
    jp = np.zeros((n, 2, 3))
    skew = np.zeros((n, 3, 3))
    jac = np.empty((n, 2, 6))
    for _ in range(12):
        rp = _HEAD_PTS @ axes.T
        x = rp + t
        z = np.maximum(x[:, 2], 1e-3)
        proj = f_px * x[:, :2] / z[:, None] + centre
        r = ((proj - pts) * sw[:, None]).ravel()
        g = f_px * sw / z
        jp[:, 0, 0] = g
        jp[:, 1, 1] = g
        jp[:, 0, 2] = -g * x[:, 0] / z
        jp[:, 1, 2] = -g * x[:, 1] / z
        skew[:, 0, 1], skew[:, 0, 2] = -rp[:, 2], rp[:, 1]
        skew[:, 1, 0], skew[:, 1, 2] = rp[:, 2], -rp[:, 0]
        skew[:, 2, 0], skew[:, 2, 1] = -rp[:, 1], rp[:, 0]
        np.matmul(jp, -skew, out=jac[:, :, :3])
        jac[:, :, 3:] = jp
        jac2 = jac.reshape(2 * n, 6)
        h = jac2.T @ jac2
        # A little Levenberg-Marquardt damping keeps a poor start from overshooting.
        step = np.linalg.solve(h + 1e-3 * np.diag(np.diag(h) + 1e-9), -jac2.T @ r)
        if not np.all(np.isfinite(step)):
            return None
        axes = rotation_from_vector(step[:3]) @ axes
        t = t + step[3:]
        if np.abs(step[:3]).max() < 1e-7:
            break
    x = _HEAD_PTS @ axes.T + t
    if np.any(x[:, 2] <= 0):
        return None
    proj = f_px * x[:, :2] / x[:, 2:3] + centre
    rms = float(np.sqrt((w * ((proj - pts) ** 2).sum(axis=1)).sum() / w.sum()))
    ear_span_m = float(np.linalg.norm(_HEAD_PTS[Landmark.LEFT_EAR] - _HEAD_PTS[Landmark.RIGHT_EAR]))
    return HeadFit(axes=axes, rms_px=rms, head_px=f_px * ear_span_m / float(t[2]))


# -- one frame ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadMeasurement:
    """Everything one frame says about the head, before calibration and smoothing.

    Attributes:
        tracking: OK, or why not.
        confidence: 0..1.
        rotation: Head axes in torso axes (face when used and present, else pose), or None.
        pose_rotation: The pose-only head rotation in torso axes, or None.
        face_rotation: The face-matrix head rotation in torso axes, or None.
        forward_m: Neck pivot in front of the shoulder midpoint along the torso's forward axis
            (world landmarks), metres; NaN when unknown.
        source: "face", "pose" or "" (nothing usable).
    """

    tracking: Tracking
    confidence: float
    rotation: np.ndarray | None = None
    pose_rotation: np.ndarray | None = None
    face_rotation: np.ndarray | None = None
    forward_m: float = float("nan")
    source: str = ""

    @property
    def ok(self) -> bool:
        """True when the rotation can be used."""
        return self.tracking is Tracking.OK


def _fail(tracking: Tracking, confidence: float = 0.0) -> HeadMeasurement:
    return HeadMeasurement(tracking=tracking, confidence=float(np.clip(confidence, 0.0, 1.0)))


def _valid_arrays(frame: PoseFrame) -> bool:
    lm, wl = frame.landmarks, frame.world_landmarks
    try:
        return (
            lm is not None and wl is not None
            and np.shape(lm) == (NUM_POSE_LANDMARKS, 4) and np.shape(wl) == (NUM_POSE_LANDMARKS, 3)
            and frame.width > 0 and frame.height > 0
        )
    except TypeError:
        return False


def measure(frame: PoseFrame, use_face: bool = True) -> HeadMeasurement:
    """Measure one frame: tracking state, confidence and raw torso-relative head rotation.

    Never raises for bad landmark values: NaN, infinite, out-of-range or low-visibility
    landmarks give a non-OK tracking state.
    """
    if not _valid_arrays(frame):
        return _fail(Tracking.NO_PERSON)
    lm = np.asarray(frame.landmarks, dtype=float)
    wl = np.asarray(frame.world_landmarks, dtype=float)
    frame = PoseFrame(frame.t_ms, frame.width, frame.height, lm, wl, frame.face_matrix, frame.people)

    sh = lm[_SHOULDERS]
    if not (np.all(np.isfinite(sh)) and np.all(np.isfinite(wl[_SHOULDERS]))):
        return _fail(Tracking.SHOULDERS_NOT_VISIBLE)
    sh_vis = float(np.clip(sh[:, 3].min(), 0.0, 1.0))
    # The pose model invents shoulders below a close-up face, with fair visibility: the image
    # position is the reliable tell (see SHOULDER_MAX_IMAGE_Y).
    if (sh_vis < SHOULDER_MIN_VISIBILITY or sh[:, 1].max() > SHOULDER_MAX_IMAGE_Y
            or sh[:, 0].min() < -0.02 or sh[:, 0].max() > 1.02 or sh[:, 1].min() < -0.02):
        return _fail(Tracking.SHOULDERS_NOT_VISIBLE, sh_vis * 0.3)

    head = lm[_HEAD_IDS]
    head_ok = np.all(np.isfinite(head), axis=1) & (head[:, 3] >= HEAD_MIN_VISIBILITY)
    ears_ok = head_ok[Landmark.LEFT_EAR] or head_ok[Landmark.RIGHT_EAR]
    if not head_ok[Landmark.NOSE] or not ears_ok or np.count_nonzero(head_ok) < 5:
        return _fail(Tracking.FACE_NOT_VISIBLE, 0.2)
    used = np.concatenate([head[head_ok, :3].ravel(), sh[:, :3].ravel()])
    # Both world ears feed the retraction even when one is hidden (the model always gives all 33).
    world_used = wl[sorted(set(_HEAD_IDS[head_ok]) | set(_EARS) | set(_SHOULDERS))]
    if (np.abs(used[np.isfinite(used)]).max() > _MAX_ABS_IMAGE or not np.all(np.isfinite(world_used))
            or np.abs(world_used).max() > _MAX_ABS_WORLD_M):
        return _fail(Tracking.LOW_CONFIDENCE)

    torso = torso_frame(frame)
    if torso is None:
        return _fail(Tracking.LOW_CONFIDENCE)
    t_axes = torso.axes

    # Body plausibility: the ears must sit well above the shoulder line (cartoon "people" the
    # pose model finds have them at shoulder height).
    size = np.array([frame.width, frame.height], dtype=float)
    ear_vis = lm[_EARS, 3]
    ear_px = (lm[_EARS, :2] * size)
    ear_mid_px = ear_px[np.argmax(ear_vis)] if ear_vis.min() < HEAD_MIN_VISIBILITY else ear_px.mean(axis=0)
    sh_mid_px = (sh[:, :2] * size).mean(axis=0)
    up_img = np.array([t_axes[0, 1], t_axes[1, 1]])  # torso up in image x, y (y down)
    up_img = up_img / (np.linalg.norm(up_img) or 1.0)
    neck = float((ear_mid_px - sh_mid_px) @ up_img) / torso.shoulder_px
    plausible = NECK_HEIGHT_RANGE[0] <= neck <= NECK_HEIGHT_RANGE[1]

    pnp = pose_head_axes(frame)
    pose_rot = t_axes.T @ pnp.axes if pnp is not None else None
    face_axes = face_head_axes(frame.face_matrix) if use_face else None
    face_rot = t_axes.T @ face_axes if face_axes is not None else None
    if pose_rot is None and face_rot is None:
        return _fail(Tracking.LOW_CONFIDENCE, 0.2)

    # Confidence: visibility of what was used, times how well the head model fits the points.
    head_vis = float(np.clip(head[head_ok, 3], 0.0, 1.0).mean())
    fit = 0.0
    if pnp is not None:
        fit = float(np.clip(1.0 - pnp.rms_px / (0.15 * max(pnp.head_px, 1.0)), 0.0, 1.0))
    if face_rot is not None:
        fit = max(fit, 0.95)
    confidence = float(np.clip(sh_vis * head_vis * fit * (1.0 if plausible else 0.3), 0.0, 1.0))

    rotation, source = (face_rot, "face") if face_rot is not None else (pose_rot, "pose")
    # Retraction: the neck pivot (below the ears) along the torso's forward axis, in world
    # landmarks. Using the pivot rather than the ears keeps nodding from reading as a tuck.
    ear_mid_w = wl[_EARS].mean(axis=0)
    head_up_cam = (t_axes @ rotation)[:, 1]
    pivot_w = ear_mid_w - NECK_PIVOT_BELOW_EARS_M * head_up_cam
    forward_m = float((pivot_w - wl[_SHOULDERS].mean(axis=0)) @ t_axes[:, 2])

    tracking = Tracking.OK if confidence >= MIN_CONFIDENCE else Tracking.LOW_CONFIDENCE
    return HeadMeasurement(tracking=tracking, confidence=float(confidence), rotation=rotation,
                           pose_rotation=pose_rot, face_rotation=face_rot, forward_m=forward_m,
                           source=source)


_NAN = float("nan")


def _angles(rotation: np.ndarray, retraction_cm: float, m: HeadMeasurement) -> HeadAngles:
    yaw, roll, pitch = head_rotation_angles(rotation)
    return HeadAngles(yaw, roll, pitch, retraction_cm, m.confidence, m.tracking)


def _lost(m: HeadMeasurement) -> HeadAngles:
    return HeadAngles(_NAN, _NAN, _NAN, _NAN, m.confidence, m.tracking)


def head_angles(frame: PoseFrame, use_face: bool = True) -> HeadAngles:
    """Torso-relative head angles of one frame: no smoothing, no calibration.

    Retraction is relative to the typical upright head position (EAR_FORWARD_OF_SHOULDERS_M).

    Args:
        frame: One frame of landmarks.
        use_face: Use the face matrix when the frame has one (else pose landmarks only).

    Returns:
        `HeadAngles`; NaN angles with the reason in ``tracking`` when not OK.
    """
    m = measure(frame, use_face)
    if not m.ok:
        return _lost(m)
    return _angles(m.rotation, (EAR_FORWARD_OF_SHOULDERS_M - m.forward_m) * 100.0, m)


# -- over time -----------------------------------------------------------------------------------------


class HeadTracker:
    """Smoothed, optionally neutral-calibrated head angles from a stream of frames.

    Calibration collects ``calibration_s`` of STEADY frames (every frame within
    ``steady_deg`` / ``steady_cm`` of the window's mean; a move restarts the window), averages
    their rotations (projected back onto a rotation) and pivot offsets, and from then on
    reports ``R_neutral.T @ R`` (so yaw is measured about the neutral head's own up axis, not by
    subtracting Euler angles) and retraction relative to the neutral.

    Args:
        use_face: Use the face matrix when present (fused); False = pose landmarks only.
        smooth: One Euro smoothing of each output signal.
        calibrate: Collect a neutral; False reports raw torso-relative angles forever.
        calibration_s: Seconds of steady frames the neutral needs (> 0).
        filter_factory: Makes one filter per signal (default One Euro, see SMOOTH_MIN_CUTOFF_HZ).
        steady_deg: Largest rotation from the window's mean that still counts as steady (> 0).
        steady_cm: Largest retraction change that still counts as steady (> 0). The real
            model's head-to-shoulder depth wanders +-0.8 cm at rest (webcam clip), so 1.5.
        max_dropout_s: Tracking lost for longer than this restarts a calibration in progress.

    Raises:
        ValueError: a parameter is out of range (the message names the range).
    """

    def __init__(self, *, use_face: bool = True, smooth: bool = True, calibrate: bool = True,
                 calibration_s: float = 2.0, filter_factory: FilterFactory | None = None,
                 steady_deg: float = 4.0, steady_cm: float = 1.5, max_dropout_s: float = 0.5) -> None:
        for name, value in (("calibration_s", calibration_s), ("steady_deg", steady_deg),
                            ("steady_cm", steady_cm), ("max_dropout_s", max_dropout_s)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value}")
        self.use_face = use_face
        self.calibrate = calibrate
        self.calibration_s = float(calibration_s)
        self.steady_deg = float(steady_deg)
        self.steady_cm = float(steady_cm)
        self.max_dropout_s = float(max_dropout_s)
        factory = filter_factory or (one_euro(SMOOTH_MIN_CUTOFF_HZ, SMOOTH_BETA) if smooth else pass_through())
        self._filters = [factory() for _ in range(4)]
        self._neutral_rot: np.ndarray | None = None
        self._neutral_forward_m = EAR_FORWARD_OF_SHOULDERS_M
        self._window: list[tuple[float, np.ndarray, float]] = []
        self._last_ok_s: float | None = None
        self._calibration_hint: str | None = None
        # Face-from-pose offset rotation, learned while both are seen, applied when the face is
        # lost (large yaw) so the angles do not jump between the two sources.
        self._face_offset: np.ndarray | None = None
        self._offset_t_s: float | None = None

    # -- calibration state --
    @property
    def calibrated(self) -> bool:
        """True once a neutral has been collected (or set)."""
        return self._neutral_rot is not None

    @property
    def calibration_progress(self) -> float:
        """0..1: how much of the steady calibration window has been collected."""
        if self.calibrated:
            return 1.0
        if len(self._window) < 2:
            return 0.0
        return min(1.0, (self._window[-1][0] - self._window[0][0]) / self.calibration_s)

    @property
    def calibration_hint(self) -> str | None:
        """What keeps the calibration from progressing, in words for the screen, or None.

        For example "Look straight ahead" while the head is turned, tilted or nodded away from
        a plausible neutral. None once calibrated, or while the steady window is filling.
        """
        if self.calibrated:
            return None
        return self._calibration_hint

    @property
    def calibration(self) -> dict | None:
        """The neutral as a JSON-serialisable dict (for history), or None before calibration."""
        if self._neutral_rot is None:
            return None
        yaw, roll, pitch = head_rotation_angles(self._neutral_rot)
        return {
            "rotation": [[round(float(v), 6) for v in row] for row in self._neutral_rot],
            "forward_cm": round(self._neutral_forward_m * 100.0, 3),
            "yaw_deg": round(yaw, 2), "roll_deg": round(roll, 2), "pitch_deg": round(pitch, 2),
            "use_face": self.use_face,
        }

    def set_calibration(self, calibration: dict) -> None:
        """Restore a neutral saved from `calibration`.

        Raises:
            ValueError: the dict has no valid 3x3 ``rotation`` or numeric ``forward_cm``.
        """
        try:
            rot = np.array(calibration["rotation"], dtype=float)
            forward_cm = float(calibration["forward_cm"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("calibration needs a 3x3 'rotation' and a number 'forward_cm'") from None
        if rot.shape != (3, 3) or not np.all(np.isfinite(rot)) or not math.isfinite(forward_cm):
            raise ValueError("calibration 'rotation' must be a finite 3x3 matrix")
        self._neutral_rot = _nearest_rotation(rot)
        self._neutral_forward_m = forward_cm / 100.0
        self._window.clear()
        self._reset_filters()

    def recalibrate(self) -> None:
        """Forget the neutral and start collecting a new one."""
        self._neutral_rot = None
        self._neutral_forward_m = EAR_FORWARD_OF_SHOULDERS_M
        self._window.clear()
        self._reset_filters()

    def _reset_filters(self) -> None:
        for f in self._filters:
            f.reset()

    # -- per frame --
    def update(self, frame: PoseFrame) -> HeadAngles:
        """Feed one frame; return smoothed (and, once calibrated, neutral-relative) angles."""
        t_s = frame.t_ms / 1000.0
        m = measure(frame, self.use_face)
        if not m.ok:
            if self._window and self._last_ok_s is not None and t_s - self._last_ok_s > self.max_dropout_s:
                self._window.clear()
            return _lost(m)
        self._last_ok_s = t_s
        rotation = self._fused_rotation(m, t_s)
        if self.calibrate and not self.calibrated:
            self._collect(t_s, rotation, m.forward_m)
        if self._neutral_rot is not None:
            rel = self._neutral_rot.T @ rotation
        else:
            rel = rotation
        retraction_cm = (self._neutral_forward_m - m.forward_m) * 100.0
        yaw, roll, pitch = head_rotation_angles(rel)
        values = [f(t_s, v) for f, v in zip(self._filters, (yaw, roll, pitch, retraction_cm))]
        return HeadAngles(*values, confidence=m.confidence, tracking=m.tracking)

    def _fused_rotation(self, m: HeadMeasurement, t_s: float) -> np.ndarray:
        if m.face_rotation is not None and m.pose_rotation is not None:
            offset = m.face_rotation @ m.pose_rotation.T
            if self._face_offset is None or self._offset_t_s is None:
                self._face_offset = offset
            else:
                # A slow average (time constant FACE_OFFSET_TAU_S): the offset is a bias of the
                # pose fit against the face model, not a signal.
                dt_s = max(0.0, t_s - self._offset_t_s)
                weight = 1.0 - math.exp(-dt_s / FACE_OFFSET_TAU_S)
                self._face_offset = _nearest_rotation((1.0 - weight) * self._face_offset + weight * offset)
            self._offset_t_s = t_s
        if m.source == "face":
            return m.rotation
        if self._face_offset is not None and m.pose_rotation is not None:
            return self._face_offset @ m.pose_rotation
        return m.rotation

    def _collect(self, t_s: float, rotation: np.ndarray, forward_m: float) -> None:
        if self._window:
            mean_rot = _nearest_rotation(sum(r for _, r, _ in self._window))
            mean_fwd = float(np.mean([f for _, _, f in self._window]))
            if (rotation_angle_deg(mean_rot, rotation) > self.steady_deg
                    or abs(forward_m - mean_fwd) * 100.0 > self.steady_cm):
                self._window.clear()  # moved: start the steady window again
        self._window.append((t_s, rotation, forward_m))
        if self._window[-1][0] - self._window[0][0] >= self.calibration_s and len(self._window) >= 5:
            self._neutral_rot = _nearest_rotation(sum(r for _, r, _ in self._window))
            self._neutral_forward_m = float(np.mean([f for _, _, f in self._window]))
            self._window.clear()
            # The reference just changed: do not smooth across the jump.
            self._reset_filters()
