"""Which of the people the pose model sees to coach, and whose face is theirs: pure numpy.

`coach.vision.pose.PoseTracker` drops poses that are not upright people (`is_upright`), picks the
person to coach when several are in view (`choose_person`) and keeps only the face that belongs
to that person (`match_face`). No mediapipe: these take our own landmark arrays, so they are
tested without the model.
"""

from __future__ import annotations

import numpy as np

from coach.landmarks import Landmark


def is_upright(lm: np.ndarray, width: int, height: int, max_lean_deg: float = 45.0) -> bool:
    """Whether a pose is plausibly an upright person in front of the camera.

    A pose fails only when BOTH its shoulder line is steeper than ``max_lean_deg`` from the
    image horizontal AND its nose lies more than ``max_lean_deg`` away from straight up, seen
    from the shoulder midpoint. Either test alone would drop real users: the shoulder line
    is meaningless when someone stands side-on (the shoulders overlap), and the nose drops
    toward the armpit in the levator stretch. A tilted camera (+/-15 deg) passes both.

    Args:
        lm: ``(33, >=2)`` normalised image landmarks.
        width: Image width in pixels.
        height: Image height in pixels.
        max_lean_deg: Allowed lean of each test, in degrees.
    """
    scale = np.array([width, height], dtype=float)
    left = lm[Landmark.LEFT_SHOULDER, :2] * scale
    right = lm[Landmark.RIGHT_SHOULDER, :2] * scale
    nose = lm[Landmark.NOSE, :2] * scale
    dx, dy = np.abs(left - right)
    shoulder_tilt_deg = np.degrees(np.arctan2(dy, dx))
    up = (left + right) / 2.0 - nose  # image y grows downward: "up" is mid minus nose
    nose_off_up_deg = np.degrees(np.arctan2(abs(up[0]), up[1]))
    if not (np.isfinite(shoulder_tilt_deg) and np.isfinite(nose_off_up_deg)):
        return False
    return bool(shoulder_tilt_deg <= max_lean_deg or nose_off_up_deg <= max_lean_deg)


def choose_person(people: list[np.ndarray], width: int, height: int) -> int:
    """Index of the person to coach: large (shoulder span) and central (shoulder midpoint).

    Both measures are in pixels divided by the image diagonal so they compare across aspect
    ratios; score = span - distance of the shoulder midpoint from the image centre. A person
    twice as wide wins unless they are far off to the side.

    Args:
        people: ``(33, >=2)`` normalised image landmark arrays, one per person.
        width: Image width in pixels.
        height: Image height in pixels.

    Returns:
        Index into ``people`` (0 when there is only one).
    """
    if len(people) <= 1:
        return 0
    scale = np.array([width, height], dtype=float)
    diag = float(np.hypot(width, height))
    centre = scale / 2.0
    best, best_score = 0, -np.inf
    for i, lm in enumerate(people):
        left = lm[Landmark.LEFT_SHOULDER, :2] * scale
        right = lm[Landmark.RIGHT_SHOULDER, :2] * scale
        span = np.linalg.norm(left - right) / diag
        off_centre = np.linalg.norm((left + right) / 2.0 - centre) / diag
        score = span - off_centre
        if np.isfinite(score) and score > best_score:
            best, best_score = i, score
    return best


def match_face(face_noses: np.ndarray, pose_lm: np.ndarray, width: int, height: int) -> int | None:
    """Index of the face whose nose tip is nearest the chosen pose's nose, or None.

    A face farther than half the person's shoulder span (at least 5% of the image diagonal)
    from their pose nose belongs to somebody else, so no face is better than a wrong one.

    Args:
        face_noses: ``(N, 2)`` normalised nose-tip positions of the detected faces.
        pose_lm: ``(33, >=2)`` normalised image landmarks of the chosen person.
        width: Image width in pixels.
        height: Image height in pixels.
    """
    if len(face_noses) == 0:
        return None
    scale = np.array([width, height], dtype=float)
    diag = float(np.hypot(width, height))
    nose = pose_lm[Landmark.NOSE, :2] * scale
    dists = np.linalg.norm(face_noses * scale - nose, axis=1) / diag
    span = np.linalg.norm(
        (pose_lm[Landmark.LEFT_SHOULDER, :2] - pose_lm[Landmark.RIGHT_SHOULDER, :2]) * scale
    ) / diag
    limit = max(0.5 * span, 0.05) if np.isfinite(span) else 0.05
    idx = int(np.argmin(dists))
    return idx if dists[idx] <= limit else None
