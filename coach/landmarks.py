"""Our own landmark types: what every stage after `coach.vision.pose` sees instead of MediaPipe objects.

A `PoseFrame` is one frame's worth of landmarks, exactly the landmark log format of DESIGN.md
(one JSON object per line). It is produced by `coach.vision.pose` from the real model, by
`coach.sim.synthetic` from a 3D stick model, and by `read_log` from a JSONL file, so the rest of
the pipeline cannot tell the three apart.

Pure numpy and json: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from enum import IntEnum
from pathlib import Path
from typing import IO

import numpy as np

from coach.errors import CoachError
from coach.rotations import nearest_rotation, rotation_angle_deg

NUM_POSE_LANDMARKS = 33
#: Below this visibility an image landmark counts as not seen (setup check, body features,
#: skeleton drawing): MediaPipe's own default threshold for drawing landmarks.
MIN_VISIBILITY = 0.5


class Landmark(IntEnum):
    """BlazePose landmark indices (MediaPipe PoseLandmarker). LEFT/RIGHT are the person's own."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


# Index pairs for mirroring: a horizontally flipped image swaps the person's left and right.
MIRROR_PAIRS: tuple[tuple[int, int], ...] = (
    (1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18),
    (19, 20), (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32),
)


@dataclass(frozen=True)
class PoseFrame:
    """One frame of pose (and optional face) landmarks, in MediaPipe's conventions.

    Attributes:
        t_ms: Frame timestamp in milliseconds; strictly increasing within a stream.
        width: Image width in pixels (needed to turn normalised x/y into metric directions).
        height: Image height in pixels.
        landmarks: ``(33, 4)`` float array of image landmarks ``x, y, z, visibility``;
            x to the image right and y down, normalised to [0, 1] by width and height;
            z smaller = nearer the camera. ``None`` when no person was detected.
        world_landmarks: ``(33, 3)`` float array in metres, origin between the hips, same x and
            y directions as the image. ``None`` when no person was detected.
        face_matrix: ``(4, 4)`` FaceLandmarker facial transformation matrix (row-major), or
            ``None`` when no face was detected or the face model is not used.
        people: How many people the model saw; the landmarks are those of the one being
            coached (the most central, larger person) when more than one is seen.
        synthetic: Made by `coach.sim.synthetic`, not by the models: ideal landmarks that follow
            the head exactly, so the head-angle estimator does not undo the real models'
            measured response on them (`coach.angles.correction`). Logged as ``"synthetic": true``.
        flip_tested: The models' output on the image averaged with their output on its mirror
            image (`flip_average`); the models' response differs, so it has its own correction.
            Logged as ``"flip_test": true``.
    """

    t_ms: int
    width: int
    height: int
    landmarks: np.ndarray | None = None
    world_landmarks: np.ndarray | None = None
    face_matrix: np.ndarray | None = None
    people: int = -1
    synthetic: bool = False
    flip_tested: bool = False

    def __post_init__(self) -> None:
        # -1 means "derive": one person when landmarks are present, none otherwise.
        if self.people < 0:
            object.__setattr__(self, "people", 0 if self.landmarks is None else 1)

    @property
    def detected(self) -> bool:
        """True when a person's landmarks are present."""
        return self.landmarks is not None and self.world_landmarks is not None

    def to_json(self) -> dict:
        """Return the DESIGN.md landmark-log object for this frame (JSON-serialisable)."""

        def rows(a: np.ndarray | None, ndigits: int) -> list | None:
            if a is None:
                return None
            return [[_json_float(v, ndigits) for v in row] for row in np.asarray(a, dtype=float)]

        out = {
            "t_ms": int(self.t_ms),
            "width": int(self.width),
            "height": int(self.height),
            "landmarks": rows(self.landmarks, 6),
            "world_landmarks": rows(self.world_landmarks, 6),
            "face_matrix": rows(self.face_matrix, 6),
        }
        if self.people != (0 if self.landmarks is None else 1):
            out["people"] = int(self.people)
        if self.synthetic:
            out["synthetic"] = True
        if self.flip_tested:
            out["flip_test"] = True
        return out

    @classmethod
    def from_json(cls, obj: dict) -> PoseFrame:
        """Build a frame from one landmark-log object.

        Raises:
            ValueError: if a field is missing or has the wrong shape.
        """
        if not isinstance(obj, dict):
            raise ValueError("each line must be a JSON object")
        try:
            t_ms = int(obj["t_ms"])
            width = int(obj["width"])
            height = int(obj["height"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"needs integer t_ms, width and height ({exc})") from None
        return cls(
            t_ms=t_ms,
            width=width,
            height=height,
            landmarks=_array_or_none(obj.get("landmarks"), (NUM_POSE_LANDMARKS, 4), "landmarks"),
            world_landmarks=_array_or_none(
                obj.get("world_landmarks"), (NUM_POSE_LANDMARKS, 3), "world_landmarks"
            ),
            face_matrix=_array_or_none(obj.get("face_matrix"), (4, 4), "face_matrix"),
            people=int(obj.get("people", -1)),
            synthetic=obj.get("synthetic") is True,
            flip_tested=obj.get("flip_test") is True,
        )

    def mirrored(self) -> PoseFrame:
        """The same frame as the model would see it in a horizontally flipped image.

        x is reflected and the person's left/right landmarks swap, so a head turned to the
        person's right becomes a head turned to their left. Used by tests and by symmetry checks.
        """
        lm = wl = fm = None
        if self.landmarks is not None:
            lm = _swap_pairs(self.landmarks.copy())
            lm[:, 0] = 1.0 - lm[:, 0]
        if self.world_landmarks is not None:
            wl = _swap_pairs(self.world_landmarks.copy())
            wl[:, 0] = -wl[:, 0]
        if self.face_matrix is not None:
            flip = np.diag([-1.0, 1.0, 1.0, 1.0])
            fm = flip @ self.face_matrix @ flip
        return PoseFrame(self.t_ms, self.width, self.height, lm, wl, fm, self.people, self.synthetic,
                         self.flip_tested)


#: Flip test: the two runs found different people when their shoulder midpoints are this many
#: shoulder widths apart (the same person's runs agree within a few hundredths).
FLIP_SAME_PERSON_SPANS = 0.25
#: Flip test: two face orientations this far apart (deg) are not averaged: one of them is the
#: face model failing near profile (it returned -110 for a head at -80 on a render, while the
#: mirror run found no face), and the average of a failure is a failure too. Good runs of the
#: same image differ by up to ~8 deg near 60 deg of turn.
FLIP_MAX_FACE_DISAGREEMENT_DEG = 20.0


def flip_average(frame: PoseFrame, of_mirror: PoseFrame) -> PoseFrame:
    """The flip test: the models' output on an image averaged with their output on its mirror.

    Neither model is mirror-symmetric: near profile a turn to the left and the same turn to the
    right read up to 7 deg apart (measured on rendered humans, bench/renders.py), which would
    show as a left/right difference the person does not have. Averaging each landmark with its
    mirror twin (the standard flip test of pose estimation) makes the result mirror-symmetric
    by construction: the flip average of a mirrored image is the mirror of the flip average.
    What only one run found (a person, a face) is used as it is, which keeps that symmetry.
    The one exception: when the runs chose different people, the image's own run is kept.

    Args:
        frame: The models' output on the image.
        of_mirror: Their output on the horizontally flipped image, in that image's coordinates.

    Returns:
        A `PoseFrame` with ``flip_tested`` set, at ``frame``'s time.
    """
    back = of_mirror.mirrored()
    if frame.detected and back.detected and not _same_person(frame.landmarks, back.landmarks,
                                                             frame.width, frame.height):
        # With several people in view each run may have chosen someone else: the image's own
        # choice stands, face and all.
        return replace(frame, flip_tested=True)
    lm, wl = frame.landmarks, frame.world_landmarks
    if not frame.detected:
        lm, wl = back.landmarks, back.world_landmarks
    elif back.detected:
        lm = (np.asarray(frame.landmarks, float) + back.landmarks) / 2.0
        wl = (np.asarray(frame.world_landmarks, float) + back.world_landmarks) / 2.0
    return replace(frame, landmarks=lm, world_landmarks=wl,
                   face_matrix=_face_average(frame.face_matrix, back.face_matrix),
                   people=max(frame.people, back.people), flip_tested=True)


def _same_person(a: np.ndarray, b: np.ndarray, width: int, height: int) -> bool:
    size = np.array([width, height], dtype=float)
    sh = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
    pa, pb = np.asarray(a, float)[sh, :2] * size, np.asarray(b, float)[sh, :2] * size
    span = max(float(np.linalg.norm(pa[0] - pa[1])), float(np.linalg.norm(pb[0] - pb[1])), 1.0)
    return bool(np.linalg.norm(pa.mean(axis=0) - pb.mean(axis=0)) <= FLIP_SAME_PERSON_SPANS * span)


def _face_average(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return a if b is None else b
    a, b = np.asarray(a, float), np.asarray(b, float)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return None
    ra, rb = nearest_rotation(a[:3, :3]), nearest_rotation(b[:3, :3])
    if rotation_angle_deg(ra, rb) > FLIP_MAX_FACE_DISAGREEMENT_DEG:
        return None
    out = (a + b) / 2.0
    # The mean of two rotations is not a rotation; its nearest one is their midpoint.
    out[:3, :3] = nearest_rotation(ra + rb)
    out.setflags(write=False)
    return out


def _swap_pairs(a: np.ndarray) -> np.ndarray:
    for i, j in MIRROR_PAIRS:
        a[[i, j]] = a[[j, i]]
    return a


def _json_float(v: float, ndigits: int) -> float | None:
    # JSON has no NaN; a non-finite coordinate is written as null and read back as NaN.
    return round(float(v), ndigits) if math.isfinite(v) else None


def _array_or_none(value, shape: tuple[int, int], name: str) -> np.ndarray | None:
    if value is None:
        return None
    try:
        arr = np.array(value, dtype=float)  # null entries become NaN
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a {shape[0]}x{shape[1]} array of numbers") from None
    if arr.shape != shape:
        raise ValueError(f"{name} must be {shape[0]}x{shape[1]}, got shape {arr.shape}")
    arr.setflags(write=False)
    return arr


def write_log(frames: Iterable[PoseFrame], out: IO[str]) -> int:
    """Write frames as JSONL (one object per line) and return how many were written."""
    n = 0
    for frame in frames:
        out.write(json.dumps(frame.to_json(), separators=(",", ":")) + "\n")
        n += 1
    return n


def read_log(path: str | Path) -> Iterator[PoseFrame]:
    """Yield the frames of a JSONL landmark log.

    Raises:
        CoachError: if the file is missing or a line is not a valid frame (names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise CoachError(f"landmark log not found: {path}")
    try:
        fh = path.open("r", encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CoachError(f"cannot read landmark log {path}: {exc.strerror}") from None
    with fh:
        last_t = None
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                frame = PoseFrame.from_json(json.loads(line))
            except json.JSONDecodeError:
                raise CoachError(f"{path}:{lineno}: not a JSON object (is this a landmark log?)") from None
            except ValueError as exc:
                raise CoachError(f"{path}:{lineno}: {exc}") from None
            if last_t is not None and frame.t_ms <= last_t:
                raise CoachError(f"{path}:{lineno}: t_ms must strictly increase ({frame.t_ms} after {last_t})")
            last_t = frame.t_ms
            yield frame
