"""Replayed sessions built from the real models' landmarks on still images (rendered people).

A render shows one pose; an exercise is a movement. A session is built the way the issue asks:
each pose image's landmarks are reached from the neutral image's by interpolation (over
``move_s``), held (``hold_s``, with small jitter, so that nothing is frozen bit-exact) and left
again, then the neutral is held for a rest. The landmarks are the models' own output on the
images (`model_frame`), so the session exercises the whole chain (head angles, body features,
engine) on what the models really say about rendered people, not on our own geometry.

Used by the model tests (tests/test_arms_renders.py, tests/test_circle_renders.py); nothing here
writes a frame to disk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from coach.landmarks import PoseFrame
from coach.rotations import nearest_rotation

#: Session frame rate (a webcam's).
SESSION_FPS = 30.0
#: Jitter of a held pose: image landmarks (pixels), world landmarks (metres), face matrix
#: translation (cm). About the real model's own frame-to-frame noise on a still person.
JITTER_PX = 0.5
JITTER_WORLD_M = 0.002
JITTER_FACE_CM = 0.05


def blend(a: PoseFrame, b: PoseFrame, weight: float, t_ms: int) -> PoseFrame:
    """The frame ``weight`` of the way from ``a`` to ``b`` (0 = a, 1 = b), at ``t_ms``.

    Landmarks blend linearly; the face matrix's rotation is the nearest rotation to the blended
    matrix, its translation blends linearly. A face seen in only one of the two frames is lost
    as soon as the head leaves that frame's pose: where the other end has no face there is no
    face matrix to blend toward, and holding the old one while the landmarks turn would be a
    face frozen against a moving head, which no face model does (the fusion then learned that
    frozen face's disagreement as the person's offset, and an 80 deg turn read 55).
    """
    w = float(min(1.0, max(0.0, weight)))
    lm = (1.0 - w) * a.landmarks + w * b.landmarks
    wl = (1.0 - w) * a.world_landmarks + w * b.world_landmarks
    if a.face_matrix is not None and b.face_matrix is not None:
        face = (1.0 - w) * a.face_matrix + w * b.face_matrix
        face[:3, :3] = nearest_rotation(face[:3, :3])
    else:
        face = a.face_matrix if w == 0.0 else b.face_matrix if w == 1.0 else None
    return replace(b, t_ms=int(t_ms), landmarks=lm, world_landmarks=wl, face_matrix=face)


def jittered(frame: PoseFrame, rng: np.random.Generator) -> PoseFrame:
    """``frame`` with small random noise on every landmark and the face matrix's translation."""
    lm = frame.landmarks.copy()
    lm[:, 0] += rng.normal(0.0, JITTER_PX / frame.width, len(lm))
    lm[:, 1] += rng.normal(0.0, JITTER_PX / frame.height, len(lm))
    wl = frame.world_landmarks + rng.normal(0.0, JITTER_WORLD_M, frame.world_landmarks.shape)
    face = frame.face_matrix
    if face is not None:
        face = face.copy()
        face[:3, 3] += rng.normal(0.0, JITTER_FACE_CM, 3)
    return replace(frame, landmarks=lm, world_landmarks=wl, face_matrix=face)


@dataclass(frozen=True)
class Rep:
    """One rep of a replayed session: reach ``pose`` from neutral, hold it, come back, rest.

    Attributes:
        pose: The held pose's landmarks.
        move_s: Time to reach it (and to come back).
        hold_s: Time held.
        rest_s: Time at neutral afterwards.
    """

    pose: PoseFrame
    move_s: float = 1.5
    hold_s: float = 7.0
    rest_s: float = 2.5


def session_frames(neutral: PoseFrame, reps: Iterable[Rep], *, lead_s: float = 3.0, fps: float = SESSION_FPS,
                   seed: int = 0, t0_ms: int = 0) -> list[PoseFrame]:
    """The frames of a session: ``lead_s`` at neutral (the calibration), then each rep.

    Moves ease in and out (a cosine), as people move. Every frame but those in motion is jittered.
    """
    rng = np.random.default_rng(seed)
    step_ms = 1000.0 / fps
    frames: list[PoseFrame] = []

    def clock() -> int:
        return int(round(t0_ms + len(frames) * step_ms))

    def still(frame: PoseFrame, seconds: float) -> None:
        for _ in range(int(round(seconds * fps))):
            frames.append(replace(jittered(frame, rng), t_ms=clock()))

    def move(a: PoseFrame, b: PoseFrame, seconds: float) -> None:
        n = max(1, int(round(seconds * fps)))
        for i in range(1, n + 1):
            frames.append(jittered(blend(a, b, 0.5 - 0.5 * math.cos(math.pi * i / n), clock()), rng))

    still(neutral, lead_s)
    for rep in reps:
        move(neutral, rep.pose, rep.move_s)
        still(rep.pose, rep.hold_s)
        move(rep.pose, neutral, rep.move_s)
        still(neutral, rep.rest_s)
    return frames


def sequence_frames(images: Sequence[PoseFrame], *, fps: float, t0_ms: int = 0) -> list[PoseFrame]:
    """An image sequence (e.g. the frames of a rendered movement) as frames ``1/fps`` apart."""
    return [replace(f, t_ms=int(round(t0_ms + i * 1000.0 / fps))) for i, f in enumerate(images)]


def model_frames(paths: Iterable[Path], model_dir: Path, *, mirrored: bool = False) -> list[PoseFrame]:
    """The real models' landmarks on each image (each a fresh short still video).

    Raises:
        CoachError: the models cannot be loaded.
    """
    from coach.sim.groundtruth import model_frame  # the models: only where they are needed

    return [model_frame(Path(p), model_dir, mirrored=mirrored) for p in paths]
