"""Head orientation sources: the face matrix and a head model fitted to the pose landmarks.

Pure numpy: no mediapipe, no cv2, no clock. Both give the head's axes (left, up, forward) in
MediaPipe camera axes (x right, y down, z away), as the models report them; `coach.angles.correction`
then corrects the models' measured response and `coach.angles.headpose` makes them torso-relative.

- `face_head_axes`: FaceLandmarker's facial transformation matrix (jitter ~0.07 deg; the face
  is lost beyond a yaw of ~60-70 deg).
- `pose_head_axes`: a perspective-n-point fit of a 3D head model to the pose model's IMAGE
  landmarks (nose, eyes, ears, mouth), weighted by visibility. The pose world landmarks are not
  used for the head: they squeeze the eyes to 3 cm apart and tilt the ear line by ~8 deg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.landmarks import Landmark, PoseFrame
from coach.rotations import MP_TO_GL, focal_px, nearest_rotation, rotation_from_vector

#: Horizontal field of view assumed for the pose-only head fit (typical webcams: 55-78 deg).
ASSUMED_HFOV_DEG = 60.0

#: The 3D head model (metres) in head axes (left, up, forward), origin at the ear midpoint:
#: anatomical proportions of an average adult head (eyes ~6.4 cm apart, ears ~14.4 cm, nose
#: ~11 cm in front of the ear line; the eyes 1.5 cm above the ear canals, so that pitch 0 is the
#: Frankfort horizontal). A bundle adjustment of a rigid head to the pose model's image landmarks
#: on the rendered humans (true rotations known) also put the eyes 1.5 cm above the ears, but the
#: nose only 9 cm in front: the landmarks move less than the head. That under-read is the pose
#: model's response and `coach.angles.correction` undoes it; this model stays a real head, so ideal
#: (synthetic) landmarks are read exactly without any correction.
HEAD_MODEL_M: dict[int, tuple[float, float, float]] = {
    Landmark.NOSE: (0.0, -0.018, 0.11),
    Landmark.LEFT_EYE_INNER: (0.016, 0.014, 0.09),
    Landmark.LEFT_EYE: (0.032, 0.015, 0.086),
    Landmark.LEFT_EYE_OUTER: (0.047, 0.016, 0.078),
    Landmark.RIGHT_EYE_INNER: (-0.016, 0.014, 0.09),
    Landmark.RIGHT_EYE: (-0.032, 0.015, 0.086),
    Landmark.RIGHT_EYE_OUTER: (-0.047, 0.016, 0.078),
    Landmark.LEFT_EAR: (0.072, 0.0, 0.0),
    Landmark.RIGHT_EAR: (-0.072, 0.0, 0.0),
    Landmark.MOUTH_LEFT: (0.024, -0.05, 0.085),
    Landmark.MOUTH_RIGHT: (-0.024, -0.05, 0.085),
}
# The head landmarks are 0..10, so a landmark index is also its row in these arrays.
_HEAD_IDS = np.arange(11)
_HEAD_PTS = np.array([HEAD_MODEL_M[i] for i in range(11)])


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
    return MP_TO_GL @ nearest_rotation(r)


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
