"""Head angles on the REAL model and the real clips in ../shared (the issue's "Must show").

The model runs once per module (a module-scoped fixture) on a subsample of frames, so the file
stays well under a minute on two shared cores. Expected values are physical facts (a flipped
picture negates yaw and roll; a rolled camera does not change torso-relative angles; a person
sitting still is still; a close-up has no shoulders), not numbers produced by the code.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from coach.angles.headpose import HeadTracker, Tracking, head_angles
from coach.app.angles import rotate_keep_all
from coach.landmarks import PoseFrame
from coach.vision.capture import ImageSource, VideoFileSource

pytestmark = pytest.mark.model

PERSON_FRAMES = 72  # webcam_person_then_cartoon.mov: the person is in frames 0..71
STEP = 3  # every 3rd frame: ~9 fps, enough for rest stability and cheap enough for CI
ASTRONAUT_REPEATS = 5  # a still image fed as a short video (VIDEO mode tracks across frames)


TRANSFORMS = {
    "orig": lambda im: im,
    "flip": lambda im: cv2.flip(im, 1),
    "roll+15": lambda im: rotate_keep_all(im, 15.0),
    "roll-15": lambda im: rotate_keep_all(im, -15.0),
}


def _track(model_dir, frames: list[tuple[int, np.ndarray]]) -> list[PoseFrame]:
    from coach.vision.pose import open_tracker

    with open_tracker(model_dir, use_face=True, download=False) as tracker:
        return [tracker.process(t_ms, np.ascontiguousarray(image)) for t_ms, image in frames]


@pytest.fixture(scope="module")
def runs(model_dir, shared_data) -> dict[str, list[PoseFrame]]:
    """Landmark frames of each clip and transform, from the real pose + face models."""
    with VideoFileSource(shared_data / "webcam_person_then_cartoon.mov") as src:
        video = list(src)
    person = [video[i] for i in range(0, PERSON_FRAMES, STEP)]
    cartoon = [video[i] for i in range(PERSON_FRAMES + 10, len(video), 10)]
    with ImageSource(shared_data / "astronaut.png") as src:
        (_, still), = list(src)
    astronaut = [(i * 100, still) for i in range(ASTRONAUT_REPEATS)]
    with VideoFileSource(shared_data / "face_closeup_turns.mp4") as src:
        closeup = [item for i, item in enumerate(src) if i % 12 == 0]

    out: dict[str, list[PoseFrame]] = {}
    for name, transform in TRANSFORMS.items():
        out[f"webcam/{name}"] = _track(model_dir, [(t, transform(im)) for t, im in person])
    for name in ("orig", "flip"):
        out[f"astronaut/{name}"] = _track(model_dir, [(t, TRANSFORMS[name](im)) for t, im in astronaut])
    out["cartoon"] = _track(model_dir, cartoon)
    out["closeup"] = _track(model_dir, closeup)
    return out


def _angles(frames: list[PoseFrame], use_face: bool = True) -> np.ndarray:
    rows = []
    for f in frames:
        a = head_angles(f, use_face)
        assert a.ok, f"t_ms={f.t_ms}: {a.tracking.value}"
        rows.append((a.yaw_deg, a.roll_deg, a.pitch_deg, a.retraction_cm))
    return np.array(rows)


def _mirror_errors(runs, clip: str, use_face: bool = True) -> tuple[float, float, float]:
    a = _angles(runs[f"{clip}/orig"], use_face)
    b = _angles(runs[f"{clip}/flip"], use_face)
    return (float(np.mean(np.abs(a[:, 0] + b[:, 0]))), float(np.mean(np.abs(a[:, 1] + b[:, 1]))),
            float(np.mean(np.abs(a[:, 2] - b[:, 2]))))


@pytest.mark.parametrize("clip", ["webcam", "astronaut"])
def test_mirror_symmetry(runs, clip):
    """Flipped picture: yaw and roll negate, pitch stays (mean over every frame)."""
    yaw_err, roll_err, pitch_err = _mirror_errors(runs, clip)
    print(f"\n{clip} mirror: yaw {yaw_err:.2f} roll {roll_err:.2f} pitch {pitch_err:.2f} deg")
    assert yaw_err <= 1.5
    assert roll_err <= 1.5
    assert pitch_err <= 1.5


def test_the_person_is_not_symmetric_so_the_mirror_test_can_fail(runs):
    """Guard against a vacuous pass: negating is not the same as leaving angles unchanged."""
    a = _angles(runs["webcam/orig"])
    b = _angles(runs["webcam/flip"])
    # The person's head is tilted ~3 deg: if the flip did NOT negate roll, the test would see it.
    assert np.mean(np.abs(a[:, 1] - b[:, 1])) > 3.0


@pytest.mark.parametrize("roll", ["roll+15", "roll-15"])
def test_camera_roll_invariance(runs, roll):
    """The camera rolled 15 deg: torso-relative angles change by <= 2 deg (mean over frames)."""
    base = _angles(runs["webcam/orig"])
    rolled = _angles(runs[f"webcam/{roll}"])
    change = np.mean(np.abs(rolled[:, :3] - base[:, :3]), axis=0)
    print(f"\n{roll}: yaw {change[0]:.2f} roll {change[1]:.2f} pitch {change[2]:.2f} deg")
    assert np.all(change <= 2.0), change
    # The head's roll IN THE IMAGE did change by ~15 deg, so this is not vacuous.
    def ear_line_deg(f):
        lm = f.landmarks
        d = (lm[7, :2] - lm[8, :2]) * [f.width, f.height]
        return math.degrees(math.atan2(-d[1], d[0]))
    image_roll = np.mean([ear_line_deg(r) - ear_line_deg(b)
                          for r, b in zip(runs[f"webcam/{roll}"], runs["webcam/orig"])])
    assert abs(abs(image_roll) - 15.0) < 3.0


def test_rest_stability(runs):
    """Sitting still: the smoothed angles have std <= 0.5 deg."""
    tracker = HeadTracker(calibrate=False)
    rows = []
    for f in runs["webcam/orig"]:
        a = tracker.update(f)
        assert a.ok
        rows.append((a.yaw_deg, a.roll_deg, a.pitch_deg))
    std = np.std(np.array(rows), axis=0)
    print(f"\nrest std: yaw {std[0]:.2f} roll {std[1]:.2f} pitch {std[2]:.2f} deg")
    assert np.all(std <= 0.5), std


def test_calibrated_rest_is_near_zero(runs):
    """After the neutral calibration the person at rest reads ~0 on every axis."""
    tracker = HeadTracker(calibration_s=1.0)
    values = [tracker.update(f) for f in runs["webcam/orig"]]
    assert tracker.calibrated
    after = np.array([(a.yaw_deg, a.roll_deg, a.pitch_deg, a.retraction_cm) for a in values[12:]])
    assert np.all(np.abs(after.mean(axis=0)) < 2.0), after.mean(axis=0)


def test_closeup_without_shoulders_reports_shoulders_not_visible(runs):
    results = [head_angles(f) for f in runs["closeup"]]
    states = [a.tracking for a in results]
    frac = states.count(Tracking.SHOULDERS_NOT_VISIBLE) / len(states)
    print(f"\nclose-up: {frac:.0%} of {len(states)} frames shoulders-not-visible")
    # The model DID see a face and invent shoulders: the rejection comes from our checks.
    assert sum(f.detected for f in runs["closeup"]) >= 0.9 * len(states)
    assert frac >= 0.95
    assert not any(a.ok for a in results)
    assert all(math.isnan(a.yaw_deg) for a in results if not a.ok)


def test_cartoon_part_is_never_tracked(runs):
    assert not any(head_angles(f).ok for f in runs["cartoon"])
