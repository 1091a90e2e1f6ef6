"""Whole sessions of stiff necks (issue 15): synthetic landmarks through the real tracker, the
guided flow with today's range check, and the engine; no camera, no model.

A person whose turns stop at 45 deg completes 10 of 10 per side with personal targets; a person
whose right side turns 40 and left 70 never stalls, with the check (personal targets) and
without it (the right side's attempts are recorded below target, the left side counts).
"""

from __future__ import annotations

import pytest
from scripted import ScriptSource

from coach.app.run import SessionConfig, run_session
from coach.coaching.exercise import load_exercise
from coach.coaching.flow import HEADLESS_TIMING
from coach.coaching.rangecheck import RangeCheckConfig
from coach.sim import motion
from coach.store.history_safe import NullHistory
from coach.ui.audio import AudioCues, FakeBackend

FPS = 15.0
AMPLITUDE_DEG = 70.0  # coach.sim.motion's neck rotation at reach 1.0


def _script(right_deg: float, left_deg: float, *, check: bool, reps: int = 10):
    """Calibration, the range check's two still holds (3 s), then ``reps`` alternating reps."""
    reach = {"right": right_deg / AMPLITUDE_DEG, "left": left_deg / AMPLITUDE_DEG}
    script = motion.lead_in(4.0)
    if check:
        for side in ("right", "left"):
            script = script + motion.rep_script("neck-rotation", motion.RepPlan(side, hold_s=3.0, reach=reach[side],
                                                                                rest_s=1.5))
    for _ in range(reps):
        for side in ("right", "left"):
            script = script + motion.rep_script("neck-rotation", motion.RepPlan(side, hold_s=7.0, reach=reach[side]))
    return script


def _run(right_deg: float, left_deg: float, *, check: bool):
    audio = AudioCues(FakeBackend())
    try:
        outcome = run_session([load_exercise("neck-rotation")], ScriptSource(_script(right_deg, left_deg, check=check),
                                                                              FPS, draw=False),
                              audio=audio, history=NullHistory(), config=SessionConfig(timing=HEADLESS_TIMING),
                              use_face=False, range_check=RangeCheckConfig() if check else None)
    finally:
        audio.close()
    return outcome.report


@pytest.fixture(scope="module")
def stiff():
    return _run(45.0, 45.0, check=True)


def test_stiff_neck_completes_ten_of_ten_with_personal_targets(stiff):
    assert stiff["reps"] == {"right": 10, "left": 10}
    assert stiff["ended"] == "done" and stiff["below_target"] == {"right": 0, "left": 0}
    checked = {r["side"]: r for r in stiff["range_check"]}
    for side in ("right", "left"):
        assert checked[side]["status"] == "small"
        assert 40.0 <= checked[side]["range"] <= 48.0  # the 45 deg held, as the tracker reads it
        assert checked[side]["target"] == pytest.approx(0.85 * checked[side]["range"], abs=0.01)
    assert stiff["targets"]["today"] == {s: checked[s]["target"] for s in ("right", "left")}
    # Only the held turns count: 10 + 10 counted holds, none in the rests.
    assert sum(h["counted"] for h in stiff["holds"]) == 20


@pytest.mark.parametrize("check", [True, False], ids=["range-check", "no-check"])
def test_one_side_at_40_the_other_at_70_never_stalls(check):
    rep = _run(40.0, 70.0, check=check)
    assert rep["ended"] == "done"  # every rep of both sides used: the exercise finished
    if check:
        assert rep["reps"] == {"right": 10, "left": 10}
        right = next(r for r in rep["range_check"] if r["side"] == "right")
        assert right["target"] < 40.0
    else:
        # The file's 60 deg is out of reach on the right: each right turn is an attempt below
        # target (not a rep), and the left side is coached between them.
        assert rep["reps"] == {"right": 0, "left": 10}
        assert rep["below_target"] == {"right": 10, "left": 0}
        below = [h for h in rep["holds"] if h["fault"] == "below-target"]
        assert all(35.0 <= h["peak_deg"] <= 45.0 for h in below)
        assert not any(f["kind"] == "wrong-side" for f in rep["faults"])
