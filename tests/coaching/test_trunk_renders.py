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

A change of arm position since the calibration is not a trunk turn: the `_full` sets' arms pass
inside the chest (the shoulder span 2-5% narrower than the same body's with the arms hanging, in
the other sets), so a tracker calibrated on one set's neutral reads the other sets' still-torso
images (neutral, head turned 20, tucks, the arm and finger renders) as a person who moved the
arms after calibrating: the trunk must read 0 (within 5), also as a rotation session.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from coach.angles.headpose import measure
from coach.angles.torso import ARMS_MOVED_SPANS, TorsoCues
from coach.coaching.chain import Coach
from coach.coaching.engine import EventKind
from coach.coaching.exercise import load_exercise
from coach.sim.groundtruth import evaluate, held_after_neutral, run_renders
from coach.sim.render_session import Rep, blend, model_frames, session_frames

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


# -- an arm change since the calibration is not a trunk turn --------------------------------------

FINGER = Path(__file__).parents[1] / "data" / "renders"
HEAD_20 = ("y+020_r+000_p+000.png", "y-020_r+000_p+000.png")


def _still_torso(folder: str, file: str) -> bool:
    """The renders read against the other arm position: torso still, head within reach."""
    kind = folder.split("_", 1)[1]
    return ((kind == "full" and file in (NEUTRAL, *HEAD_20)) or (kind == "profile" and file == NEUTRAL)
            or kind in ("arms", "finger") or (kind == "retraction" and "_p+000_" in file))


@pytest.fixture(scope="module")
def still_torso(model_dir, shared_data):
    samples = run_renders(shared_data / "renders", model_dir, sets=("_full", "_profile", "_arms", "_retraction"),
                          only=_still_torso)
    samples += run_renders(FINGER, model_dir, sets=("_finger",))
    assert len(samples) == 2 * 2 * (3 + 1 + 10 + 6 + 5)
    return samples


def _cues(frame) -> TorsoCues:
    m = measure(frame, True)
    return TorsoCues.from_frame(frame, m.shoulders, m.head_px, math.nan)


def test_a_tracker_calibrated_with_other_arms_reads_no_trunk_turn_on_a_still_torso(still_torso):
    """Calibrated on the `_full` neutral (arms inside the chest) or the `_profile` one (arms
    hanging), each other still-torso image of the same character and mirroring read within 5 deg
    of 0. Measured before the elbows' spread was checked: male2 mirrored, calibrated on the
    hanging arms, read the `_full` neutral as a trunk turn of -19.7 (-6.5 not mirrored); now
    every image reads 0.0."""
    rows = []
    for ref in (s for s in still_torso if s.file == NEUTRAL and s.character.endswith(("_full", "_profile"))):
        c = ref.character.split("_")[0]
        for s in still_torso:
            if s.character.split("_")[0] != c or s.mirrored != ref.mirrored or s is ref:
                continue
            tracker, a = held_after_neutral(ref.frame, s.frame, hold_s=4.0)
            assert a is not None and a.ok, (ref.character, s.character, s.file)
            moved = abs(_cues(s.frame).elbow_spread - _cues(ref.frame).elbow_spread)
            rows.append((ref.character, s.character, s.file, s.mirrored, tracker.torso_yaw_deg, moved))
    print("\ncalibrated on | read | mirrored | torso yaw (truth 0) | elbows' spread moved (spans)")
    for row in rows:
        print("{} | {} {} | {:d} | {:+.1f} | {:.2f}".format(*row[:3], int(row[3]), *row[4:]))
    assert len(rows) == 2 * 2 * 2 * 24
    # The arm change is really there between the two neutrals (what the test is about).
    assert all(m > ARMS_MOVED_SPANS for ref, ch, f, _, _, m in rows if f == NEUTRAL and ch.endswith(("_full", "_profile")))
    bad = [row for row in rows if abs(row[4]) > BOUND_DEG]
    assert bad == []


@pytest.fixture(scope="module")
def arm_change_images(model_dir, shared_data):
    renders = shared_data / "renders"
    out = {}
    for c in CHARACTERS:
        for mirrored in (False, True):
            # Mirrored, the right turn is the left image.
            turns = (NECK_LEFT, NECK_RIGHT) if mirrored else (NECK_RIGHT, NECK_LEFT)
            paths = [renders / f"{c}_profile" / NEUTRAL] + [renders / f"{c}_full" / n for n in (NEUTRAL, *turns)]
            out[(c, mirrored)] = model_frames(paths, model_dir, mirrored=mirrored)
    return out


@pytest.mark.parametrize("mirrored", [False, True], ids=["", "mirrored"])
@pytest.mark.parametrize("character", CHARACTERS)
def test_arms_moved_after_the_calibration_raise_no_trunk_turn_in_a_rotation(arm_change_images, character, mirrored):
    """Calibrated with the arms hanging (`_profile` neutral), the arms then moved in over 1 s (the
    `_full` neutral) and the neck rotations made that way: both count, no trunk-turn fault."""
    hanging, inside, right, left = arm_change_images[(character, mirrored)]
    frames = session_frames(hanging, [], lead_s=3.0)
    t0 = frames[-1].t_ms
    frames += [blend(hanging, inside, i / 30, t0 + 33 * i) for i in range(1, 31)]
    frames += session_frames(inside, [Rep(right), Rep(left)], lead_s=1.0, t0_ms=frames[-1].t_ms + 33)
    coach = Coach(load_exercise("neck-rotation").model_copy(update={"sides": ("right", "left")}))
    trunk = []
    for f in frames:
        coach.process(f)
        trunk.append(coach.reader.tracker.torso_yaw_deg)
    print(f"\n{character} mirrored={mirrored}: |torso yaw| max {max(map(abs, trunk)):.1f}, "
          f"re-anchors {coach.reader.tracker._trunk.reanchors if coach.reader.tracker._trunk else 0}")
    assert coach.engine.reps == {"right": 1, "left": 1}
    assert _trunk_faults(coach) == []
    assert max(map(abs, trunk)) <= BOUND_DEG
