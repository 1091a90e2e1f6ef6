"""Chin retraction from the face model's distance to the camera. Pure numpy: no cv2, no clock.

A chin tuck moves the head straight back, along a frontal camera's axis: the face gets smaller
in the picture (a 4 cm tuck at 70 cm: ~6%). FaceLandmarker's facial transformation matrix turns
that size into a translation: its z is the face's distance, in cm, as the model's own virtual
camera (63 deg vertical field of view) would see it. Scaled to the camera we assume
(`coach.angles.headfit.ASSUMED_HFOV_DEG`, the frame's aspect) and taken at the ear midpoint (the point
the renders' truth moves), it is the head's distance from the camera; its change since the
neutral is the retraction.

Why this and not the other candidates (measured on the retraction renders, 0-4 cm straight
back, face level, both characters): the face matrix's z moved 0.78 / 0.80 model-cm per true cm,
monotonic on every image; the pose world landmarks' ear-vs-shoulder depth moved < 0.4 cm over
the whole 4 cm and the wrong way on some images (the old reading); the pose model's ear span
against the shoulder span moved < 1% (its head points do not scale with the head). The
shoulder span itself wobbles 1.5% with the head (the model's shoulders follow it), which is
~1 cm at this distance, so the shoulders are NOT used to cancel the body's own motion: moving
the whole trunk toward or away from the camera reads as retraction until the next calibration.
Pitch moves the ears too (a nod is a rotation about the neck): that is measured, not removed,
and the exercise's pitch checks catch a tilt or nod.
"""

from __future__ import annotations

import math

import numpy as np

#: MediaPipe's face geometry pipeline projects its canonical face with this vertical field of
#: view (geometry_pipeline_metadata: perspective_camera vertical_fov_degrees 63).
FACE_MODEL_VFOV_DEG = 63.0
#: The ear midpoint in the canonical face model's coordinates (cm; x left-right, y up, z toward
#: the viewer): the model's cheek-side points 234/454 sit at z -2.4, y 0.7, the ear canals about
#: 1 cm behind them.
EAR_MID_CANONICAL_CM = np.array([0.0, 0.5, -3.5])


def camera_scale(width: int, height: int, hfov_deg: float) -> float:
    """True distance over the face model's distance, for a camera of ``hfov_deg`` horizontally.

    Both cameras see the same normalised image: distances scale with their focal lengths in
    image heights.
    """
    tan_v_true = math.tan(math.radians(hfov_deg) / 2.0) * height / width
    return math.tan(math.radians(FACE_MODEL_VFOV_DEG) / 2.0) / tan_v_true


def face_distance_cm(face_matrix: np.ndarray | None, width: int, height: int, hfov_deg: float) -> float:
    """The ear midpoint's distance from the camera (cm) from a face matrix, or NaN.

    Args:
        face_matrix: FaceLandmarker's 4x4 facial transformation matrix (row-major; its camera
            looks down -z), or None.
        width: Image width, pixels.
        height: Image height, pixels.
        hfov_deg: The camera's assumed horizontal field of view.
    """
    if face_matrix is None or width <= 0 or height <= 0:
        return math.nan
    m = np.asarray(face_matrix, dtype=float)
    if m.shape != (4, 4) or not np.all(np.isfinite(m)):
        return math.nan
    ear_z = float(m[2, :3] @ EAR_MID_CANONICAL_CM + m[2, 3])
    if ear_z >= 0.0:
        return math.nan  # behind the camera: not a face
    return -ear_z * camera_scale(width, height, hfov_deg)


class FaceDistanceNeutral:
    """The neutral face distance: the median of the samples seen since a calibration window began.

    `HeadTracker` feeds every frame's distance (`add`) and, when its steady neutral window
    completes, calls `calibrate` with that window's start time. Samples older than
    ``keep_s`` are dropped.
    """

    def __init__(self, keep_s: float = 30.0) -> None:
        self.keep_s = float(keep_s)
        self._samples: list[tuple[float, float]] = []
        self.neutral_cm = math.nan

    def add(self, t_s: float, distance_cm: float) -> None:
        """Remember one frame's distance (NaN is ignored)."""
        if math.isfinite(distance_cm):
            self._samples.append((t_s, distance_cm))
        while self._samples and t_s - self._samples[0][0] > self.keep_s:
            self._samples.pop(0)

    def calibrate(self, since_s: float) -> None:
        """Set the neutral from the samples at or after ``since_s`` (NaN when there are none)."""
        vals = [d for t, d in self._samples if t >= since_s]
        self.neutral_cm = float(np.median(vals)) if vals else math.nan

    def reset(self) -> None:
        """Forget the neutral and the samples."""
        self._samples.clear()
        self.neutral_cm = math.nan

    def retraction_cm(self, distance_cm: float) -> float:
        """Distance now minus the neutral distance (> 0 = head further back), or NaN."""
        return distance_cm - self.neutral_cm
