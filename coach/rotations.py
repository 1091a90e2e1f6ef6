"""Rotation helpers for the head-angle estimator. Pure numpy: no mediapipe, no cv2, no clock.

The angle convention (DESIGN.md) lives here once: `head_rotation` builds a head orientation in
torso axes (left, up, forward) from yaw/roll/pitch and `head_rotation_angles` reads them back.
The synthetic generator (`coach.sim.synthetic`) deliberately does NOT use this module: it builds
its own geometry, so a mistake here shows up as an error in the synthetic tests.
"""

from __future__ import annotations

import math

import numpy as np

#: MediaPipe camera axes (x right, y down, z away) <-> FaceLandmarker's OpenGL-style axes
#: (x right, y up, z toward the viewer). It is also the torso frame (columns left, up,
#: forward) of a person squarely facing a level camera: the person's left is the image's
#: right, up is -y, forward (toward the camera) is -z.
MP_TO_GL = np.diag([1.0, -1.0, -1.0])


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


def nearest_rotation(m: np.ndarray) -> np.ndarray:
    """The rotation nearest a 3x3 matrix (chordal projection via SVD)."""
    u, _, vt = np.linalg.svd(m)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    return u @ np.diag([1.0, 1.0, d]) @ vt


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of the rotation taking `a` to `b`, in degrees."""
    c = (float(np.trace(a.T @ b)) - 1.0) / 2.0
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


def focal_px(width: int, hfov_deg: float) -> float:
    """Pinhole focal length in pixels of an image `width` pixels wide with this field of view."""
    return (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
