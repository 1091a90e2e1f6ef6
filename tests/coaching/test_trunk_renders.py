"""Trunk turns on rendered people: torso-relative yaw and the trunk-turn check (issue 16, Build 5).

../shared/data/renders/<c>_trunk: the whole character turned 20 deg about the pelvis, the head
either kept to the camera (head against the torso -+20) or turned with the body (0); truth.json
gives ``torso_yaw`` and ``yaw`` (head against the torso). Every image is used mirrored too.

Per image (`coach.sim.groundtruth.evaluate`, calibrated at the character's neutral render, the
pose held 4 s so that the trunk's low-pass settles): the trunk's yaw and the head's yaw against
it within 5 deg of the truth. As sessions (`coach.sim.render_session`: the models' landmarks on
each image reached from the neutral's over 1.5 s, held 7 s with jitter, and back): a body turned
with the head counts no neck rotation and says ``trunk-turn``; a real neck turn of the same
character (the `_full` set's yaw 70) counts with no trunk fault. That the torso never reads a
turn on the `_full`/`_profile` renders (head to 90, torso still) is
tests/angles/test_renders.py::test_calibrated_tracker_keeps_the_torso_still.
"""

from __future__ import annotations

import math

import pytest

from coach.coaching.chain import Coach
from coach.coaching.engine import EventKind
from coach.coaching.exercise import load_exercise
from coach.sim.groundtruth import evaluate, run_renders
from coach.sim.render_session import Rep, model_frames, session_frames

pytestmark = pytest.mark.model

CHARACTERS = ("male1", "male2")
NEUTRAL = "y+000_r+000_p+000.png"
#: Head and body turned together (head against the torso 0), to each side.
BODY_RIGHT = "y+000_r+000_p+000_torso+020.png"
BODY_LEFT = "y+000_r+000_p+000_torso-020.png"
#: Body turned, face kept to the camera (the neck turned back by 20).
FACE_KEPT = "y-020_r+000_p+000_torso+020.png"
#: A neck rotation with the torso still (the `_full` set).
NECK_RIGHT = "y+070_r+000_p+000.png"
NECK_LEFT = "y-070_r+000_p+000.png"
BOUND_DEG = 5.0


@pytest.fixture(scope="module")
def trunk_results(model_dir, shared_data):
    samples = run_renders(shared_data / "renders", model_dir, sets=("_trunk",))
    assert {s.character for s in samples} == {f"{c}_trunk" for c in CHARACTERS} and len(samples) == 20
    return evaluate(samples, use_face=True, calibrated=True, hold_s=4.0)


def test_trunk_renders_torso_and_neck_yaw_within_5_deg(trunk_results):
    """Both characters, mirrored too. Measured (hold 4 s): trunk error <= 3.4 deg, head against
    the trunk <= 4.1 (the old foreshortening dead zone read the turned bodies as 0 deg, and the
    body turned with the head as a neck turn of 21.8)."""
    rows = []
    for r in trunk_results:
        s = r.sample
        rows.append((s.character, s.file, s.mirrored, s.torso_yaw, r.torso_yaw_deg, s.truth[0], r.angles[0]))
    print("\ncharacter file mirrored | torso truth read | yaw truth read")
    for row in rows:
        print("{} {} {:d} | {:+.0f} {:+.1f} | {:+.0f} {:+.1f}".format(*row[:2], int(row[2]), *row[3:]))
    assert all(r.tracked for r in trunk_results)
    assert sum(abs(row[3]) > 0 for row in rows) == 16  # the turned bodies, both characters, mirrored
    bad = [row for row in rows if abs(row[4] - row[3]) > BOUND_DEG or abs(row[6] - row[5]) > BOUND_DEG]
    assert bad == []


@pytest.fixture(scope="module")
def images(model_dir, shared_data):
    renders = shared_data / "renders"
    out = {}
    for c in CHARACTERS:
        trunk = [renders / f"{c}_trunk" / n for n in (NEUTRAL, BODY_RIGHT, BODY_LEFT, FACE_KEPT)]
        full = [renders / f"{c}_full" / n for n in (NEUTRAL, NECK_RIGHT, NECK_LEFT)]
        missing = [p for p in trunk + full if not p.is_file()]
        if missing:
            pytest.fail(f"missing renders: {missing}", pytrace=False)
        frames = model_frames(trunk + full, model_dir)
        out[c] = {"trunk": dict(zip((NEUTRAL, BODY_RIGHT, BODY_LEFT, FACE_KEPT), frames[:4])),
                  "full": dict(zip((NEUTRAL, NECK_RIGHT, NECK_LEFT), frames[4:]))}
    return out


def _rotation(images, character, which, poses, sides=("right", "left")) -> Coach:
    imgs = images[character][which]
    ex = load_exercise("neck-rotation").model_copy(update={"sides": tuple(sides)})
    coach = Coach(ex)
    for f in session_frames(imgs[NEUTRAL], [Rep(imgs[p]) for p in poses]):
        coach.process(f)
    return coach


def _trunk_faults(coach):
    return [e for e in coach.events if e.kind is EventKind.FAULT and e.fault == "trunk-turn"]


@pytest.mark.parametrize("character", CHARACTERS)
def test_body_turned_with_the_head_counts_no_rotation_and_says_trunk_turn(images, character):
    coach = _rotation(images, character, "trunk", [BODY_RIGHT, BODY_LEFT])
    assert coach.engine.reps == {"right": 0, "left": 0}
    assert not [e for e in coach.events if e.kind is EventKind.HOLD_STARTED]
    faults = _trunk_faults(coach)
    assert len(faults) >= 2  # once per turned hold
    assert all(e.message == "Turn only your head: keep your shoulders facing the screen" for e in faults)


@pytest.mark.parametrize("character", CHARACTERS)
def test_body_turned_under_a_still_face_says_trunk_turn(images, character):
    coach = _rotation(images, character, "trunk", [FACE_KEPT], sides=("left",))
    assert coach.engine.reps == {"left": 0}
    assert _trunk_faults(coach)


@pytest.mark.parametrize("character", CHARACTERS)
def test_a_neck_rotation_with_the_torso_still_counts_without_a_trunk_fault(images, character):
    """Guard: the check does not fire on the head-only turn (torso read 0 at a head of 70)."""
    coach = _rotation(images, character, "full", [NECK_RIGHT, NECK_LEFT])
    assert coach.engine.reps == {"right": 1, "left": 1}
    assert _trunk_faults(coach) == []
    assert math.isfinite(coach.reader.tracker.torso_yaw_deg) and coach.reader.tracker.torso_yaw_deg == 0.0
