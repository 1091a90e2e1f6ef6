"""The rep/hold state machine, driven by scripted head-angle streams (no landmarks).

The whole chain (landmarks -> HeadTracker -> engine) is exercised in tests/test_replay.py;
here the engine's rules are pinned down one by one on exact, known angle streams.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.angles.body import BodyFeatures
from coach.angles.headpose import HeadAngles, Tracking
from coach.coaching.chain import LostTime
from coach.coaching.engine import Engine, EngineConfig, EventKind, Phase, Priority
from coach.coaching.exercise import load_exercise
from coach.coaching.report import ExerciseResult
from coach.sim.motion import (
    EXERCISE_IDS,
    Circle,
    Hold,
    Move,
    RepPlan,
    Script,
    head_circles,
    lead_in,
    session_script,
)
from coach.sim.synthetic import BodyPose


def body_from_pose(pose: BodyPose, side_of_hand_check: str | None = None) -> BodyFeatures:
    """What an ideal BodyFeatures would say about a scripted pose."""
    return BodyFeatures(
        right_shoulder_hike_cm=pose.right_shoulder_hike_cm,
        left_shoulder_hike_cm=pose.left_shoulder_hike_cm,
        right_arm_down=pose.right_arm == "down",
        left_arm_down=pose.left_arm == "down",
        right_hand_behind_head=pose.right_arm == "behind_head",
        left_hand_behind_head=pose.left_arm == "behind_head",
    )


def run(exercise_id: str, script: Script, *, jitter_deg: float = 0.3, seed: int = 0, with_body: bool = True,
        engine: Engine | None = None, fps: float = 30.0):
    engine = engine or Engine(load_exercise(exercise_id))
    events = []
    samples = list(script.samples(fps))
    for (t_ms, angles), sample in zip(script.angles(fps, seed=seed, jitter_deg=jitter_deg), samples):
        body = body_from_pose(sample.pose) if with_body and sample.detected else None
        events += engine.step(t_ms, angles, body)
    return engine, events


def lost_s(script: Script, fps: float = 30.0) -> float:
    """Tracking-lost time of a script's angle stream, as the session counts it."""
    lost = LostTime()
    for t_ms, angles in script.angles(fps):
        lost.update(t_ms, angles.usable)
    return lost.total_s


def kinds(events) -> Counter:
    return Counter(e.kind for e in events)


def holds(events):
    return [e.hold for e in events if e.kind is EventKind.HOLD_DONE]


# -- counting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_correct_session_counts_exactly_ten_per_side(exercise_id):
    engine, events = run(exercise_id, session_script(exercise_id))
    expected = {"center": 10} if exercise_id == "chin-tuck" else {"right": 10, "left": 10}
    assert engine.reps == expected
    k = kinds(events)
    assert k[EventKind.REP_COUNTED] == sum(expected.values())
    assert k[EventKind.EXERCISE_DONE] == 1 and engine.phase is Phase.FINISHED
    assert k[EventKind.SAFETY_STOP] == 0 and k[EventKind.FAULT] == 0 and k[EventKind.WRONG_SIDE] == 0
    # Time in the zone: the 7 s hold plus the ends of the moves that are already past the threshold.
    assert all(h.counted and 7.0 <= h.held_s <= 8.5 for h in holds(events))


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
@pytest.mark.parametrize(
    "variant, plan_kw",
    [
        ("hold 3 s", dict(hold_s=3.0)),
        ("hold 3.5 s", dict(hold_s=3.5)),
        ("half the range", dict(reach=0.5)),
    ],
)
def test_incomplete_reps_count_nothing(exercise_id, variant, plan_kw):
    engine, events = run(exercise_id, session_script(exercise_id, reps_per_side=3, **plan_kw))
    assert sum(engine.reps.values()) == 0, variant
    assert kinds(events)[EventKind.REP_COUNTED] == 0


@pytest.mark.parametrize("exercise_id", ["neck-rotation", "lateral-flexion", "levator-scapulae"])
def test_wrong_side_gets_feedback_and_no_count(exercise_id):
    plans = [RepPlan("left"), RepPlan("left"), RepPlan("right"), RepPlan("right")]
    engine, events = run(exercise_id, session_script(exercise_id, plans))
    # Left first is wrong (right comes first); after the right rep, a second right is wrong.
    assert engine.reps == {"right": 1, "left": 0}
    wrong = [e for e in events if e.kind is EventKind.WRONG_SIDE]
    assert len(wrong) == 3
    assert wrong[0].side == "right" and "RIGHT" in wrong[0].message
    assert wrong[-1].side == "left"


def test_sides_alternate_in_file_order():
    engine, events = run("neck-rotation", session_script("neck-rotation", reps_per_side=2))
    assert [e.side for e in events if e.kind is EventKind.REP_COUNTED] == ["right", "left", "right", "left"]


def test_event_order_of_one_rep_and_ticks_once_per_second():
    _, events = run("neck-rotation", session_script("neck-rotation", [RepPlan("right", hold_s=7.0)]))
    order = [e.kind for e in events if e.kind is not EventKind.HOLD_TICK]
    assert order == [EventKind.CALIBRATED, EventKind.HOLD_STARTED, EventKind.HOLD_MIN_REACHED,
                     EventKind.HOLD_DONE, EventKind.REP_COUNTED]
    ticks = [e.value for e in events if e.kind is EventKind.HOLD_TICK]
    assert ticks == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


def test_release_at_hold_max_and_still_counts():
    _, events = run("neck-rotation", session_script("neck-rotation", [RepPlan("right", hold_s=13.0)]))
    release = [e for e in events if e.kind is EventKind.HOLD_RELEASE]
    assert len(release) == 1 and 10.0 <= release[0].value < 10.1 and "come back" in release[0].message
    assert kinds(events)[EventKind.REP_COUNTED] == 1
    assert max(e.value for e in events if e.kind is EventKind.HOLD_TICK) == 10.0  # no ticks past max


def test_rep_counts_only_back_at_neutral():
    # Hold long enough but never come back to neutral: no rep yet.
    held = BodyPose(yaw_deg=70.0)
    script = lead_in() + Script((Move(held, 1.5), Hold(7.0), Move(BodyPose(yaw_deg=30.0), 1.0), Hold(3.0)))
    engine, events = run("neck-rotation", script)
    assert engine.reps == {"right": 0, "left": 0} and engine.phase is Phase.RETURNING
    assert holds(events)[0].counted


# -- hysteresis, dwell, drop-outs -----------------------------------------------------------------------


def test_hovering_between_exit_and_enter_keeps_the_hold():
    # Enter at 62 deg, then hover at 57 (below the 60 enter, above the 55 exit threshold).
    script = lead_in() + Script((Move(BodyPose(yaw_deg=62.0), 1.5), Move(BodyPose(yaw_deg=57.0), 0.5), Hold(6.5),
                                 Move(BodyPose(), 1.5), Hold(2.0)))
    engine, events = run("neck-rotation", script, jitter_deg=1.0)
    assert [h.counted for h in holds(events)] == [True]
    assert engine.reps["right"] == 1


def test_hovering_below_enter_never_starts_a_hold():
    script = lead_in() + Script((Move(BodyPose(yaw_deg=57.0), 1.5), Hold(8.0), Move(BodyPose(), 1.5), Hold(2.0)))
    _, events = run("neck-rotation", script, jitter_deg=1.0)
    assert kinds(events)[EventKind.HOLD_STARTED] == 0


def test_brief_spike_into_target_is_not_a_hold():
    # 0.1 s above the threshold is shorter than the dwell: no phantom hold.
    script = lead_in() + Script((Move(BodyPose(yaw_deg=58.0), 1.0), Move(BodyPose(yaw_deg=64.0), 0.05),
                                 Move(BodyPose(yaw_deg=58.0), 0.05), Move(BodyPose(), 1.0), Hold(2.0)))
    _, events = run("neck-rotation", script, jitter_deg=0.0)
    assert kinds(events)[EventKind.HOLD_STARTED] == 0


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
@pytest.mark.parametrize("dropout_s", [0.1, 0.3, 0.45])
def test_brief_dropouts_inside_a_hold_do_not_break_it(exercise_id, dropout_s):
    side = "center" if exercise_id == "chin-tuck" else "right"
    plan = RepPlan(side, hold_s=6.0, dropout_at_s=2.5, dropout_s=dropout_s)
    script = session_script(exercise_id, [plan])
    engine, events = run(exercise_id, script)
    assert [h.counted for h in holds(events)] == [True]
    assert sum(engine.reps.values()) == 1
    assert kinds(events)[EventKind.TRACKING_LOST] == 0
    assert lost_s(script) == pytest.approx(dropout_s, abs=0.05)


@pytest.mark.parametrize("dropout_s, ends", [(0.4, False), (0.7, True)])
def test_the_grace_for_a_dropout_is_half_a_second(dropout_s, ends):
    """0.4 s without tracking 2 s into a hold: the hold goes on. 0.7 s: longer than the 0.5 s
    grace, the hold ends where tracking was last seen (2 s held, not counted)."""
    plan = RepPlan("right", hold_s=8.0, dropout_at_s=2.0, dropout_s=dropout_s)
    engine, events = run("neck-rotation", session_script("neck-rotation", [plan]), jitter_deg=0.0)
    first = holds(events)[0]
    assert kinds(events)[EventKind.TRACKING_LOST] == (1 if ends else 0)
    if ends:
        assert not first.counted and 2.0 <= first.held_s < 2.3
    else:
        assert first.counted and first.held_s >= 8.0 and len(holds(events)) == 1


def test_long_dropout_ends_the_hold():
    plan = RepPlan("right", hold_s=6.0, dropout_at_s=2.0, dropout_s=2.0)
    engine, events = run("neck-rotation", session_script("neck-rotation", [plan]))
    k = kinds(events)
    assert k[EventKind.TRACKING_LOST] == 1 and k[EventKind.TRACKING_RESTORED] == 1
    assert holds(events)[0].counted is False and engine.reps["right"] == 0


# -- form ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exercise_id, side, fault, expected",
    [
        ("neck-rotation", "right", "pitch", "pitch-during-rotation"),
        ("neck-rotation", "left", "pitch", "pitch-during-rotation"),
        ("lateral-flexion", "right", "rotate", "rotation-during-flexion"),
        ("lateral-flexion", "right", "shoulder-hike", "shoulder-hike"),
        ("lateral-flexion", "left", "arm-not-down", "arm-not-down"),
        ("chin-tuck", "center", "tilt-back", "tilting-back"),
        ("levator-scapulae", "right", "no-hand", "hand-not-behind-head"),
        ("levator-scapulae", "left", "no-hand", "hand-not-behind-head"),
    ],
)
def test_form_fault_during_hold_is_reported_and_not_counted(exercise_id, side, fault, expected):
    plans = [RepPlan(side, hold_s=7.0, fault=fault, fault_after_s=1.0)]
    if side == "left":
        plans.insert(0, RepPlan("right"))
    engine, events = run(exercise_id, session_script(exercise_id, plans))
    faults = [e for e in events if e.kind is EventKind.FAULT]
    assert [f.fault for f in faults] == [expected]
    assert faults[0].message  # says what to fix
    last = holds(events)[-1]
    assert last.fault == expected and not last.counted
    assert last.held_s < 3.0  # the hold clock paused at the fault
    assert engine.reps.get(side, 0) == 0


def test_fault_message_outranks_guidance_and_hold_resumes_after_fix():
    ex = load_exercise("neck-rotation")
    engine = Engine(ex)
    held, bad = BodyPose(yaw_deg=70.0), BodyPose(yaw_deg=70.0, pitch_deg=25.0)
    script = lead_in() + Script((Move(held, 1.5), Hold(2.0), Move(bad, 0.3), Hold(2.0)))
    run("neck-rotation", script, engine=engine)
    view = engine.view()
    assert view.phase is Phase.IN_TARGET and view.faults == ("pitch-during-rotation",)
    assert view.message.priority is Priority.FORM and "chin level" in view.message.text
    paused_at = view.hold_s
    # Fix the form: the same hold continues and counts.
    script2 = Script((Move(held, 0.3), Hold(5.0), Move(BodyPose(), 1.5), Hold(2.0)), bad)
    _, events = run("neck-rotation", script2, engine=engine, seed=1)
    shifted = [e for e in events]
    assert any(e.kind is EventKind.REP_COUNTED for e in shifted)
    assert 2.0 <= paused_at <= 2.6


def test_body_checks_skipped_without_body_data():
    plans = [RepPlan("right", fault="no-hand")]
    engine, events = run("levator-scapulae", session_script("levator-scapulae", plans), with_body=False)
    assert kinds(events)[EventKind.FAULT] == 0 and engine.reps["right"] == 1


def test_too_fast_says_slowly():
    fast = lead_in() + Script((Move(BodyPose(yaw_deg=70.0), 0.3), Hold(7.0), Move(BodyPose(), 1.5), Hold(2.0)))
    engine, events = run("neck-rotation", fast)
    slow = [e for e in events if e.kind is EventKind.FAULT and e.fault == "too-fast"]
    assert len(slow) == 1 and "Slowly" in slow[0].message
    assert engine.reps["right"] == 1  # speed is coaching, not a reason to void the hold


# -- safety ---------------------------------------------------------------------------------------------


def test_circle_voids_the_hold_and_shows_stop():
    ex = load_exercise("neck-rotation")
    engine = Engine(ex)
    script = lead_in() + Script((Move(BodyPose(yaw_deg=70.0), 1.5), Hold(6.0), Move(BodyPose(), 1.0)))
    run("neck-rotation", script, engine=engine)
    assert engine.view().hold_counted  # a counted hold is waiting for the return...
    # ...but the person circles the head instead of returning.
    circles = head_circles(1, circle_s=3.0)
    _, events = run("neck-rotation", Script(circles.segments, BodyPose()), engine=engine)
    assert kinds(events)[EventKind.SAFETY_STOP] == 1
    stop = next(e for e in events if e.kind is EventKind.SAFETY_STOP)
    assert stop.fault == "head-circle" and "STOP" in stop.message
    assert engine.reps == {"right": 0, "left": 0}
    # Not only the rep: the hold it came from is void too.
    [void] = [e.hold for e in events if e.kind is EventKind.HOLD_VOIDED]
    assert void.side == "right" and void.held_s >= 5.0 and not void.counted and void.fault == "head-circle"


def test_a_circle_from_the_held_pose_voids_the_hold_and_counts_no_rep():
    """Lateral flexion: a counted hold, then a head circle started from the held pose. Half-way
    round the roll is back at neutral (chin down): no rep may be counted there, and once the
    circle is caught the hold is void."""
    ex = load_exercise("lateral-flexion")
    held = BodyPose(roll_deg=38.0)
    script = lead_in() + Script((Move(held, 1.5), Hold(6.0), Circle(5.0, amplitude_deg=38.0), Move(BodyPose(), 1.5),
                                 Hold(3.0)))
    engine, events = run("lateral-flexion", script, with_body=False)
    result = ExerciseResult.from_events(ex, events)
    assert kinds(events)[EventKind.REP_COUNTED] == 0 and engine.reps == {"right": 0, "left": 0}
    assert [e.kind for e in events if e.kind in (EventKind.HOLD_DONE, EventKind.SAFETY_STOP, EventKind.HOLD_VOIDED)] == [
        EventKind.HOLD_DONE, EventKind.SAFETY_STOP, EventKind.HOLD_VOIDED]
    [hold] = result.holds
    assert hold.held_s >= 5.0 and not hold.counted and hold.fault == "head-circle"
    assert result.safety_events[0].kind == "head-circle"


def test_stop_banner_stays_until_the_head_is_back_near_neutral():
    """After a circle the STOP banner stays while the head is away from neutral, however long
    (here 6 s, twice its minimum time), and goes once the head is back."""
    engine = Engine(load_exercise("neck-rotation"))
    circle = head_circles(1, circle_s=3.0).segments
    away = BodyPose(yaw_deg=30.0)  # outside the 15 deg neutral zone, short of the 60 deg target
    script = lead_in() + Script((*circle[:2], Move(away, 1.0), Hold(6.0), Move(BodyPose(), 1.0), Hold(1.0)))
    back_ms = (script.duration_s - 2.0) * 1000  # the move back to neutral starts here
    stop_ms, banner = None, []
    for t_ms, angles in script.angles(30.0):
        events = engine.step(t_ms, angles)
        if any(e.kind is EventKind.SAFETY_STOP for e in events):
            stop_ms = t_ms
        banner.append((t_ms, engine.view().safety_stop))
    assert stop_ms is not None and back_ms - stop_ms > 2 * EngineConfig().safety_hold_s * 1000
    assert all(up for t, up in banner if stop_ms <= t < back_ms), "STOP went while the head was away"
    assert banner[-1][1] is False and engine.phase is Phase.READY


def test_stop_banner_has_top_priority():
    engine = Engine(load_exercise("neck-rotation"))
    run("neck-rotation", lead_in() + Script((Move(BodyPose(roll_deg=30.0), 1.0),
                                            *head_circles(1, circle_s=3.0).segments[1:2])), engine=engine)
    view = engine.view()
    assert view.safety_stop and view.message.priority is Priority.SAFETY


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_three_circles_in_a_session_three_stops_no_reps(exercise_id):
    script = session_script(exercise_id, reps_per_side=1) + head_circles(3, circle_s=3.0)
    engine, events = run(exercise_id, script)
    assert kinds(events)[EventKind.SAFETY_STOP] == 3
    assert sum(engine.reps.values()) == (1 if exercise_id == "chin-tuck" else 2)


# -- noise, calibration, control ------------------------------------------------------------------------


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
@pytest.mark.parametrize("jitter_deg", [0.5, 2.0])
def test_jitter_at_rest_never_counts(exercise_id, jitter_deg):
    engine, events = run(exercise_id, lead_in(120.0), jitter_deg=jitter_deg, seed=7)
    k = kinds(events)
    assert sum(engine.reps.values()) == 0 and k[EventKind.HOLD_STARTED] == 0 and k[EventKind.SAFETY_STOP] == 0


def test_waits_for_calibration():
    engine = Engine(load_exercise("neck-rotation"))
    held = HeadAngles(70.0, 0.0, 0.0, 0.0, 1.0)
    for t in range(0, 3000, 33):
        assert engine.step(t, held, calibrated=False) == []
    assert engine.view().phase is Phase.WAITING_CALIBRATION
    assert "calibrating" in engine.view().message.text
    events = engine.step(3000, HeadAngles(0.0, 0.0, 0.0, 0.0, 1.0))
    assert [e.kind for e in events] == [EventKind.CALIBRATED]


def test_lost_frames_are_never_coached():
    engine = Engine(load_exercise("neck-rotation"))
    lost = HeadAngles(math.nan, math.nan, math.nan, math.nan, 0.0, Tracking.SHOULDERS_NOT_VISIBLE)
    events, lost_time = [], LostTime()
    for t in range(0, 10000, 33):
        events += engine.step(t, lost)
        lost_time.update(t, lost.usable)
    assert kinds(events)[EventKind.TRACKING_LOST] == 1
    assert engine.view().tracking_ok is False and lost_time.total_s == pytest.approx(9.966, abs=0.05)
    assert lost_time.spans == ((0.0, 9.999),)


def test_reset_rep_abandons_the_hold():
    engine = Engine(load_exercise("neck-rotation"))
    run("neck-rotation", lead_in() + Script((Move(BodyPose(yaw_deg=70.0), 1.5), Hold(6.0))), engine=engine)
    events = engine.reset_rep(20_000)
    assert [e.kind for e in events] == [EventKind.HOLD_DONE]
    assert events[0].hold.counted is False and events[0].hold.fault == "interrupted"
    assert engine.phase is Phase.READY


def test_reset_rep_voids_a_counted_hold_whose_rep_waited_for_the_return():
    """Paused (or recalibrated) after "That counts!" but before coming back to neutral: the rep
    is dropped, so the hold it came from is voided too; report and history agree."""
    ex = load_exercise("neck-rotation")
    engine = Engine(ex)
    _, before = run("neck-rotation", lead_in() + Script((Move(BodyPose(yaw_deg=70.0), 1.5), Hold(6.0),
                                                        Move(BodyPose(yaw_deg=30.0), 0.5), Hold(1.0))), engine=engine)
    assert engine.view().hold_counted and engine.reps == {"right": 0, "left": 0}
    events = engine.reset_rep(30_000)
    assert [e.kind for e in events] == [EventKind.HOLD_VOIDED]
    assert events[0].hold.counted is False and events[0].hold.fault == "interrupted"
    result = ExerciseResult.from_events(ex, before + events)
    assert [h.counted for h in result.holds] == [False] and sum(result.reps.values()) == 0
    assert engine.reset_rep(31_000) == []  # nothing left to void


def test_skip_finishes():
    engine = Engine(load_exercise("chin-tuck"))
    events = engine.skip(0)
    assert [e.kind for e in events] == [EventKind.EXERCISE_DONE] and engine.finished


def test_personal_target_lowers_the_threshold():
    plans = [RepPlan("right", reach=0.7)]  # 49 deg: short of 60, past a personal 45
    script = session_script("neck-rotation", plans)
    assert run("neck-rotation", script)[0].reps["right"] == 0
    engine = Engine(load_exercise("neck-rotation"), targets={"yaw": 45.0})
    assert run("neck-rotation", script, engine=engine)[0].reps["right"] == 1


def test_gauges_follow_the_side():
    engine = Engine(load_exercise("neck-rotation"))
    g = {x.axis: x for x in engine.view().gauges}
    assert (g["yaw"].target_min, g["yaw"].target_max) == (60.0, 90.0)
    assert (g["pitch"].target_min, g["pitch"].target_max) == (-15.0, 15.0)
    run("neck-rotation", session_script("neck-rotation", [RepPlan("right")]), engine=engine)
    g = {x.axis: x for x in engine.view().gauges}
    assert engine.view().side == "left" and (g["yaw"].target_min, g["yaw"].target_max) == (-90.0, -60.0)


def test_levator_needs_both_turn_and_pull_down():
    # Turned 45 deg but not pulled down: no hold.
    script = lead_in(pose=BodyPose(right_arm="behind_head")) + Script(
        (Move(BodyPose(yaw_deg=45.0, right_arm="behind_head"), 1.5), Hold(7.0),
         Move(BodyPose(right_arm="behind_head"), 1.5), Hold(2.0)))
    _, events = run("levator-scapulae", script)
    assert kinds(events)[EventKind.HOLD_STARTED] == 0
    # Turned too far (80 deg, beyond 45 + 15) and pulled down: no hold either.
    too_far = lead_in(pose=BodyPose(right_arm="behind_head")) + Script(
        (Move(BodyPose(yaw_deg=80.0, pitch_deg=30.0, right_arm="behind_head"), 2.0), Hold(7.0),
         Move(BodyPose(right_arm="behind_head"), 2.0), Hold(2.0)))
    _, events = run("levator-scapulae", too_far)
    assert kinds(events)[EventKind.HOLD_STARTED] == 0


def test_engine_config_validated():
    with pytest.raises(ValueError, match="grace_s"):
        EngineConfig(grace_s=-1.0)
    with pytest.raises(ValueError, match="wrong_side_fraction"):
        replace(EngineConfig(), wrong_side_fraction=2.0)


# -- invariants under arbitrary input ---------------------------------------------------------------

_angle = st.one_of(st.floats(-120.0, 120.0), st.just(math.nan), st.just(math.inf))
_frame = st.tuples(st.integers(1, 400), _angle, _angle, _angle, st.floats(-4.0, 6.0), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(EXERCISE_IDS), st.lists(st.tuples(_frame, st.integers(1, 40)), max_size=60))
def test_any_stream_no_exception_and_reps_only_after_counted_holds(exercise_id, segments):
    """Adversarial streams (jumps, NaN/inf, oscillation, held segments): never an exception,
    and every rep is preceded by a counted hold of at least hold_min_s on that side."""
    engine = Engine(load_exercise(exercise_id))
    t_ms = 0
    events = []
    for (dt, yaw, roll, pitch, retr, ok), repeat in segments:
        angles = HeadAngles(yaw, roll, pitch, retr, 1.0, Tracking.OK if ok else Tracking.LOW_CONFIDENCE)
        for _ in range(repeat):
            t_ms += dt
            events += engine.step(t_ms, angles)
        engine.view()
    pending = {}
    for e in events:
        if e.kind is EventKind.HOLD_DONE and e.hold.counted:
            assert e.hold.held_s >= 5.0
            pending[e.hold.side] = True
        elif e.kind is EventKind.REP_COUNTED:
            assert pending.pop(e.side, False), "rep without a counted hold"


def test_low_confidence_is_treated_as_lost():
    engine = Engine(load_exercise("neck-rotation"))
    events = []
    for t in range(0, 3000, 33):
        events += engine.step(t, HeadAngles(70.0, 0.0, 0.0, 0.0, 0.3))
    assert kinds(events)[EventKind.HOLD_STARTED] == 0 and kinds(events)[EventKind.TRACKING_LOST] == 1


@pytest.mark.parametrize("pitch_deg, fault", [(-20.0, "tilting-back"), (20.0, "nodding-down")])
def test_a_tuck_that_only_tilts_or_nods_hears_its_fault_before_the_target_and_counts_nothing(pitch_deg, fault):
    """Issue 16: 0.5 cm of retraction with the head tilted back (or nodded) never reaches the
    1.5 cm target; its fault must be said while it happens, and no rep counts."""
    engine = Engine(load_exercise("chin-tuck"))
    events = []
    for i in range(300):  # 10 s at 30 fps
        events += engine.step(i * 33, HeadAngles(0.0, 0.0, pitch_deg, 0.5, 1.0))
    faults = [e.fault for e in events if e.kind is EventKind.FAULT]
    assert fault in faults
    assert sum(engine.reps.values()) == 0


@pytest.mark.parametrize("exercise_id, side, wrong", [
    ("levator-scapulae", "right", dict(right_arm="rest")),
    ("levator-scapulae", "left", dict(left_arm="rest")),
    ("lateral-flexion", "right", dict(left_arm="rest")),
])
def test_a_wrong_arm_is_said_on_the_way_out_even_short_of_the_target(exercise_id, side, wrong):
    """A person who places the wrong arm and stops short of the target (a stiff neck) is told
    about the arm while moving, not only "a little further"; with the right arm: no fault."""
    from coach.sim.motion import rep_script, rest_pose, target_pose

    faults = {}
    for name, pose_of in (("wrong", lambda p: replace(p, **wrong)), ("right", lambda p: p)):
        out = target_pose(exercise_id, side, reach=0.6)
        script = lead_in(pose=rest_pose(exercise_id, "right"))
        if side == "left":  # the coach asks for the right side first: one correct rep there
            script = script + rep_script(exercise_id, RepPlan("right"))
        script = script + Script(
            (Move(pose_of(rest_pose(exercise_id, side)), 1.0), Move(pose_of(out), 1.5), Hold(6.0),
             Move(pose_of(rest_pose(exercise_id, side)), 1.5), Hold(2.0)))
        engine, events = run(exercise_id, script)
        assert engine.reps.get(side, 0) == 0 and sum(engine.reps.values()) == (side == "left")
        faults[name] = [e.fault for e in events if e.kind is EventKind.FAULT and e.side == side]
    arm_fault = "hand-not-behind-head" if exercise_id == "levator-scapulae" else "arm-not-down"
    assert arm_fault in faults["wrong"]
    assert arm_fault not in faults["right"]
