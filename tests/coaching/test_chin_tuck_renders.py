"""Chin tucks as replayed sessions from rendered people: the finger-on-chin cue, the faults.

Sessions are built as in tests/coaching/test_arms_renders.py (`coach.sim.render_session`): the
real models' landmarks on each render, reached from the neutral image's over 1.5 s, held 7 s with
small jitter, and back. Renders: ../shared/data/renders/<c>_retraction (no finger: straight tucks
of 2 and 3 cm, a tilt back and a nod with 0.5 cm of retraction) and tests/data/renders/<c>_finger
(the index finger on the chin: still through 2 and 3.5 cm tucks, or `_follow`: moved back with
the head). The finger is a cue, never a block: every straight tuck counts, with or without it.

The first tests (no model) pin `FingerWatch` and the engine's hook down on exact readings.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from coach.angles.body import BodyFeatures
from coach.angles.chin_hand import ChinHand
from coach.coaching.chain import Coach
from coach.coaching.checks import FingerWatch
from coach.coaching.engine import Engine, EventKind
from coach.coaching.exercise import FingerOnChin, load_exercise
from coach.sim.motion import RepPlan, session_script
from coach.sim.render_session import Rep, model_frames, session_frames

PLACE = "Place a finger on your chin"
STILL_CUE = "Keep your finger still, move your head back"
CHARACTERS = ("male1", "male2")
FINGER = Path(__file__).parents[1] / "data" / "renders"
P = "y+000_r+000_p+000_"


def _check() -> FingerOnChin:
    return next(c for c in load_exercise("chin-tuck").form if isinstance(c, FingerOnChin))


def _at_chin(below: float = 1.4) -> ChinHand:
    return ChinHand(mouth_dist_heads=below, lateral_heads=0.2, below_mouth_heads=below, hand="right")


# -- FingerWatch and the engine's hook (no model) -------------------------------------------------


def test_the_chin_tuck_file_has_the_finger_check():
    check = _check()
    assert check.cue == PLACE and check.message == STILL_CUE and check.follow_max_growth_heads == 0.0


@pytest.mark.parametrize("rest, started", [
    ([], None),                                    # nothing measured at neutral: no cue
    ([None] * 10, None),
    ([ChinHand()] * 10, False),                    # head measured, no hand seen
    ([_at_chin()] * 6 + [ChinHand()] * 4, True),   # a finger on most frames
    ([_at_chin()] * 4 + [ChinHand()] * 6, False),
])
def test_finger_watch_decides_at_the_rep_start_by_the_majority(rest, started):
    watch = FingerWatch(_check())
    for i, c in enumerate(rest):
        watch.rest(i * 33, c)
    assert watch.start() is started


def test_finger_watch_keeps_only_the_last_second_at_neutral():
    watch = FingerWatch(_check(), window_s=1.0)
    for i in range(60):  # 2 s: a finger for the first, none for the last
        watch.rest(i * 33, _at_chin() if i < 30 else ChinHand())
    assert watch.start() is False


@pytest.mark.parametrize("growth, follows", [(0.06, False), (-0.05, True), (0.0, True)])
def test_finger_watch_judges_the_hold_once_by_the_median_growth(growth, follows):
    watch = FingerWatch(_check(), after_s=1.0)
    for i in range(30):
        watch.rest(i * 33, _at_chin(1.4))
    assert watch.start() is True
    said = [watch.hold(1000 + i * 33, _at_chin(1.4 + growth)) for i in range(90)]
    assert said.count(True) == (1 if follows else 0)
    if follows:
        assert said.index(True) >= 30  # not before 1 s of hold


def test_finger_watch_has_no_reference_without_a_finger_at_the_start():
    watch = FingerWatch(_check())
    watch.rest(0, ChinHand())
    assert watch.start() is False
    assert not any(watch.hold(t, _at_chin(1.0)) for t in range(0, 3000, 33))


def test_finger_watch_validates_its_times():
    with pytest.raises(ValueError, match="window_s"):
        FingerWatch(_check(), window_s=0)


def _scripted(chin_of_retraction, reps: int = 2):
    """A scripted chin-tuck session with the given hand at each frame (``retraction_cm`` in)."""
    engine = Engine(load_exercise("chin-tuck"))
    script = session_script("chin-tuck", [RepPlan("center")] * reps)
    events = []
    for (t_ms, angles), sample in zip(script.angles(30.0, seed=0, jitter_deg=0.3), script.samples(30.0)):
        body = BodyFeatures(chin_hand=chin_of_retraction(sample.pose.retraction_cm))
        events += engine.step(t_ms, angles, body)
    return engine, events


@pytest.mark.parametrize("hand, cues", [
    (lambda r: ChinHand(), {PLACE: 2}),
    (lambda r: _at_chin(1.4 + 0.03 * r), {}),
    (lambda r: _at_chin(1.4 - 0.03 * r), {STILL_CUE: 2}),
    (lambda r: None, {}),  # the head not measured: nothing to say
], ids=["no-finger", "still", "follows", "unknown"])
def test_engine_cues_the_finger_and_counts_every_rep(hand, cues):
    engine, events = _scripted(hand)
    assert engine.reps == {"center": 2}
    assert Counter(e.message for e in events if e.kind is EventKind.CUE) == cues
    assert all(e.fault == "finger-on-chin" for e in events if e.kind is EventKind.CUE)
    assert not [e for e in events if e.kind is EventKind.FAULT and e.fault == "finger-on-chin"]


def test_the_place_a_finger_cue_comes_as_the_rep_starts():
    engine, events = _scripted(lambda r: ChinHand(), reps=1)
    cue = next(e for e in events if e.kind is EventKind.CUE)
    hold = next(e for e in events if e.kind is EventKind.HOLD_STARTED)
    assert cue.t_ms < hold.t_ms
    assert engine.view().message is not None


def test_a_hold_paused_by_a_fault_ends_repeating_the_fault():
    """Tilted back 1 s into the hold and kept so: the hold ends short because of the fault, and
    says the fault again, not "hold at least 5 seconds"."""
    engine = Engine(load_exercise("chin-tuck"))
    script = session_script("chin-tuck", [RepPlan("center", fault="tilt-back", fault_after_s=1.0)])
    events = []
    for t_ms, angles in script.angles(30.0, seed=0, jitter_deg=0.3):
        events += engine.step(t_ms, angles, None)
    fault = next(e for e in events if e.kind is EventKind.FAULT and e.fault == "tilting-back")
    done = [e for e in events if e.kind is EventKind.HOLD_DONE]
    assert done and all(not e.hold.counted and e.message == fault.message for e in done)
    assert engine.reps == {"center": 0}


# -- replayed sessions from the renders (real models) -----------------------------------------------


@pytest.fixture(scope="module")
def images(model_dir, shared_data):
    """``{(character, file): frame}``: the retraction set's and the finger set's images."""
    out = {}
    for c in CHARACTERS:
        retraction = shared_data / "renders" / f"{c}_retraction"
        paths = [retraction / f"{P}t+000.png", retraction / f"{P}t+020.png", retraction / f"{P}t+030.png",
                 retraction / "y+000_r+000_p-020_t+005.png", retraction / "y+000_r+000_p+020_t+005.png"]
        paths += [FINGER / f"{c}_finger" / f"{P}{n}" for n in
                  ("t+000_arms-cf-sd.png", "t+020_arms-cf-sd.png", "t+035_arms-cf-sd.png",
                   "t+020_arms-cf-sd_follow.png", "t+000_arms-sd-sd.png")]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            pytest.fail(f"missing renders: {missing}", pytrace=False)
        for p, f in zip(paths, model_frames(paths, model_dir)):
            out[(c, p.name)] = f
    return out


SESSIONS = {
    # name: (neutral, held poses)
    "no-finger": (f"{P}t+000.png", [f"{P}t+020.png", f"{P}t+030.png"]),
    "no-finger-finger-set": (f"{P}t+000_arms-sd-sd.png", [f"{P}t+020.png", f"{P}t+030.png"]),
    "finger-still": (f"{P}t+000_arms-cf-sd.png", [f"{P}t+020_arms-cf-sd.png", f"{P}t+035_arms-cf-sd.png"]),
    "finger-follows": (f"{P}t+000_arms-cf-sd.png", [f"{P}t+020_arms-cf-sd_follow.png"] * 2),
    "tilt-back": (f"{P}t+000.png", ["y+000_r+000_p-020_t+005.png"] * 2),
    "nod": (f"{P}t+000.png", ["y+000_r+000_p+020_t+005.png"] * 2),
}


@pytest.fixture(scope="module")
def sessions(images):
    """``{(character, session): Coach}``, each session played once for the module."""
    out = {}
    for c in CHARACTERS:
        for name, (neutral, poses) in SESSIONS.items():
            coach = Coach(load_exercise("chin-tuck"))
            for f in session_frames(images[(c, neutral)], [Rep(images[(c, p)]) for p in poses]):
                coach.process(f)
            out[(c, name)] = coach
    return out


def _cues(coach) -> Counter:
    return Counter(e.message for e in coach.events if e.kind is EventKind.CUE)


@pytest.mark.model
@pytest.mark.parametrize("character", CHARACTERS)
@pytest.mark.parametrize("session, cues", [
    ("no-finger", {PLACE: 2}),
    ("no-finger-finger-set", {PLACE: 2}),
    ("finger-still", {}),
    ("finger-follows", {STILL_CUE: 2}),
])
def test_straight_tucks_count_every_rep_with_the_finger_cues(sessions, character, session, cues):
    coach = sessions[(character, session)]
    assert coach.engine.reps == {"center": 2}
    assert _cues(coach) == cues
    assert not [e for e in coach.events if e.kind is EventKind.FAULT]


@pytest.mark.model
@pytest.mark.parametrize("character", CHARACTERS)
@pytest.mark.parametrize("session, fault", [("tilt-back", "tilting-back"), ("nod", "nodding-down")])
def test_tilting_back_or_nodding_counts_no_rep_and_says_so_while_moving(sessions, character, session, fault):
    coach = sessions[(character, session)]
    assert coach.engine.reps == {"center": 0}
    faults = [e for e in coach.events if e.kind is EventKind.FAULT and e.fault == fault]
    assert len(faults) >= 2  # once per movement
    # The fault comes while moving: before any hold starts, and for both movements.
    starts = [e.t_ms for e in coach.events if e.kind is EventKind.HOLD_STARTED]
    assert not starts or faults[0].t_ms <= starts[0]
    # A hold it paused ends repeating the fault, not "hold at least 5 seconds".
    message = next(e.message for e in coach.events if e.kind is EventKind.FAULT and e.fault == fault)
    for done in (e for e in coach.events if e.kind is EventKind.HOLD_DONE):
        assert done.message == message and not done.hold.counted
    assert _cues(coach) == {PLACE: 2}  # no finger in the retraction set
