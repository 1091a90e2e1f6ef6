"""The guided flow as a pure state machine: one frame's reading and key in, actions out.

    setup check -> calibration -> for each exercise: instruction card, range check (today's
    comfortable range per side, `coach.coaching.rangecheck`), live coaching, result card -> summary

`Flow.step(t_ms, seen, key)` returns the frame's `Action`s the way `coach.coaching.engine.Engine.step`
returns events; the driver (`coach.app.run`) turns them into sound, history writes, a new
calibration of the tracker and pixels. Keys: space pause/resume, c recalibrate, n next exercise,
m mute, p pain stop (in the range check: that side's target is lowered), q/Esc quit.

Until an exercise starts the flow keeps why it has not (`coach.coaching.why`): the failing setup check,
or what stops the calibration with the angle and its value; the screen, the report and the
summary say it.

Stage timers run on the frames' own timestamps minus the time paused (never the wall clock),
so a headless run on a file is deterministic. Tracking-lost time is counted here, once for the
whole session (`coach.coaching.chain.LostTime`); each exercise's figure is its slice of that count.

Pure: no cv2, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from coach.angles.setup_check import SetupGate
from coach.coaching.chain import Coach, LostTime, Reading
from coach.coaching.engine import EngineConfig, Event
from coach.coaching.exercise import Exercise
from coach.coaching.flow_types import (  # noqa: F401  (re-exported: callers import these from coach.coaching.flow)
    HEADLESS_TIMING,
    Action,
    Coached,
    EndSession,
    FinishExercise,
    FlowTiming,
    Key,
    Recalibrate,
    SaveCalibration,
    Screen,
    Seen,
    Show,
    Stage,
    StartExercise,
    ToggleMute,
    bound_key,
    key_code,
    key_for,
)
from coach.coaching.plan import TargetSuggestion
from coach.coaching.rangecheck import RangeCheck, RangeCheckConfig, targets_line
from coach.coaching.report import ExerciseResult, ExerciseRun, SessionReport
from coach.coaching.safety import CircleGuard
from coach.coaching.why import Why
from coach.texts import CAMERA_STOPPED_TEXT, people_text, tracking_text

# -- the flow ----------------------------------------------------------------------------------------


@dataclass
class _Run:
    """Bookkeeping of one exercise of the session (it grows as the session goes)."""

    exercise: Exercise
    plan: TargetSuggestion | None = None
    ended: str = "not started"
    check: RangeCheck | None = None
    coach: Coach | None = None
    start_ms: int | None = None
    lost_mark_s: float = 0.0  # the session's lost time when the exercise started
    result: ExerciseResult | None = None


@dataclass
class _Clock:
    """The flow clock: frame time minus the time paused."""

    paused: bool = False
    pause_t_ms: int = 0
    paused_ms: int = 0

    def flow_ms(self, t_ms: int) -> int:
        return t_ms - self.paused_ms


class Flow:
    """One guided session: stages, keys, the engine of the exercise being coached.

    Example:
        >>> flow = Flow(exercises)
        >>> for t_ms, seen, key in frames:
        ...     for action in flow.step(t_ms, seen, key):
        ...         driver.do(action)
        >>> flow.end("completed")

    Args:
        exercises: The exercises, in order.
        timing: How long the cards stay up.
        plans: ``{exercise_id: TargetSuggestion}``: the thresholds to coach each exercise with,
            shown on its instruction card (absent: the file's, no line).
        engine_config: Engine timing overrides.
        range_check: Check today's range before each exercise whose file allows it (None:
            no check, the plan's targets as they are).
    """

    def __init__(self, exercises: Sequence[Exercise], *, timing: FlowTiming = FlowTiming(),
                 plans: Mapping[str, TargetSuggestion] | None = None,
                 engine_config: EngineConfig | None = None,
                 range_check: RangeCheckConfig | None = None) -> None:
        self._runs = [_Run(ex, (plans or {}).get(ex.id)) for ex in exercises]
        self._timing, self._engine_config = timing, engine_config
        self._range_config = range_check
        self._circle = CircleGuard()  # the range check's own: the engine's guard starts with it
        self._why = Why()
        self.stage = Stage.SETUP
        self._stage_ms = 0  # flow time the stage started
        self._index = 0
        self._resume: Stage | None = None  # where a recalibration returns to
        self._setup = SetupGate(timing.setup_ok_s)
        self._clock = _Clock()
        self.ended_by: str | None = None
        self._pain_stopped = False
        self.frames = 0
        self._first_ms: int | None = None
        self._last_ms: int | None = None
        self._lost = LostTime()
        self._status: str | None = None
        self._reading: Reading | None = None

    @property
    def paused(self) -> bool:
        """True while the session is paused (space)."""
        return self._clock.paused

    # -- input -------------------------------------------------------------------------------------

    def step(self, t_ms: int, seen: Seen | None, key: Key | None = None) -> list[Action]:
        """Advance by one frame.

        Args:
            t_ms: The frame's time (for a stalled camera: the last frame's).
            seen: The frame, or None when no frame came (the camera stalled).
            key: The key pressed since the last step, if any (applied first).

        Returns:
            The actions of this frame, in order; the last one is `Show` unless the session
            ended on this step.
        """
        if self.ended_by is not None:
            return []
        actions = self._key(key, t_ms) if key is not None else []
        if self.ended_by is not None:
            return actions
        if seen is not None and any(isinstance(a, Recalibrate) for a in actions):
            # The frame was read before the key: measured against the neutral just dropped.
            seen = replace(seen, reading=_uncalibrated(seen.reading))
        if seen is None:
            self._status = CAMERA_STOPPED_TEXT
            return actions + [Show(self.screen(stalled=True))]
        self.frames += 1
        if self._first_ms is None:
            self._first_ms = t_ms
        if self._clock.paused:
            self._lost.skip(t_ms)  # paused time is neither coached nor lost
        else:
            actions += self._frame(self._clock.flow_ms(t_ms), t_ms, seen)
        self._last_ms = t_ms
        return actions + [Show(self.screen())]

    def end(self, ended_by: str) -> list[Action]:
        """End the session (source ended, quit, Ctrl-C, camera gone); the exercise in progress
        is finished as it is. Returns the actions that store it."""
        if self.ended_by is not None:
            return []
        if ended_by == "completed" and self._pain_stopped:
            ended_by = "pain-stop"
        self.ended_by = ended_by
        actions = self._finish_current(ended_by if ended_by != "completed" else "not finished")
        self._enter(Stage.SUMMARY, self._stage_ms)
        return actions + [EndSession(ended_by)]

    # -- per frame ---------------------------------------------------------------------------------

    def _frame(self, flow_ms: int, t_ms: int, seen: Seen) -> list[Action]:
        reading = self._reading = seen.reading
        self._lost.update(t_ms, reading.usable)
        self._status = None if reading.usable else tracking_text(reading.angles.tracking.value)
        if self._status is None and reading.people > 1:
            # The model follows one of them (`coach.vision.people.choose_person`): say which one.
            self._status = people_text(reading.people)
        timing = self._timing
        actions: list[Action] = []
        if self.stage in (Stage.SETUP, Stage.CALIBRATE):
            self._why.update(self.stage.value, seen.setup, reading, self._status)
        if self.stage is Stage.SETUP and self._setup.passed(flow_ms, seen.setup):
            self._enter(Stage.CALIBRATE, flow_ms)
            actions += self._recalibrate()
        elif self.stage is Stage.CALIBRATE and reading.calibrated:
            actions.append(SaveCalibration())
            back, self._resume = self._resume, None
            run = self._current()
            if back is Stage.EXERCISE and run is not None and run.start_ms is not None:
                self._enter(Stage.EXERCISE, flow_ms)
            elif back is Stage.RANGE_CHECK:
                actions += self._check_or_start(flow_ms)  # the check starts again
            elif back is not None and back is not Stage.EXERCISE:
                self._enter(back, flow_ms)
            else:
                self._enter(Stage.INSTRUCT, flow_ms)
        elif self.stage is Stage.INSTRUCT and self._elapsed_s(flow_ms) >= timing.instruction_s:
            actions += self._check_or_start(flow_ms)
        elif self.stage is Stage.RANGE_CHECK:
            check = self._current_check()
            check.step(flow_ms, reading)
            angles = reading.angles
            if reading.usable and self._circle.update(flow_ms, angles.yaw_deg, angles.roll_deg, angles.pitch_deg):
                # A head circle is never coached, the range check included: the exercise starts
                # at once (with the ranges checked so far) and its engine gives the STOP, which
                # goes into the report and the history like any other.
                actions += self._start_current(flow_ms)
                run = self._current()
                assert run is not None and run.coach is not None
                actions += self._coached(run.coach.head_circle_seen(flow_ms))
            elif check.done_ms is not None and (flow_ms - check.done_ms) / 1000.0 >= timing.range_result_s:
                actions += self._start_current(flow_ms)
        elif self.stage is Stage.RESULT and self._elapsed_s(flow_ms) >= timing.result_s:
            self._next_exercise(flow_ms)
        if self.stage is Stage.EXERCISE:
            run = self._current()
            assert run is not None and run.coach is not None  # the exercise stage has its run
            actions += self._coached(run.coach.step(reading, flow_ms))
            if run.coach.finished:
                actions += self._finish_current("done")
                self._enter(Stage.RESULT, flow_ms)
                if timing.result_s == 0:
                    self._next_exercise(flow_ms)
        return actions

    # -- keys ----------------------------------------------------------------------------------------

    def _key(self, key: Key, t_ms: int) -> list[Action]:
        flow_ms, stage = self._clock.flow_ms(t_ms), self.stage
        if key is Key.QUIT:
            return self.end("quit")
        if key is Key.MUTE:
            return [ToggleMute()]
        if key is Key.PAUSE:
            clock = self._clock
            if not clock.paused:
                clock.paused, clock.pause_t_ms = True, t_ms
                return []
            clock.paused = False
            clock.paused_ms += t_ms - clock.pause_t_ms
            # The rep in progress is void: time paused is neither hold nor movement.
            return self._control(lambda coach: coach.reset_rep(clock.flow_ms(t_ms)))
        if key is Key.RECALIBRATE and stage not in (Stage.SETUP, Stage.SUMMARY):
            actions = self._control(lambda coach: coach.reset_rep(flow_ms)) + self._recalibrate()
            if stage is not Stage.CALIBRATE:
                self._resume = Stage.EXERCISE if stage in (Stage.EXERCISE, Stage.INSTRUCT) else stage
            self._enter(Stage.CALIBRATE, flow_ms)
            return actions
        if key is Key.PAIN and stage is Stage.RANGE_CHECK:
            # Pain while finding the range: that side's target is lowered, the check goes on.
            self._current_check().pain(flow_ms)
            return []
        if key is Key.NEXT and stage in (Stage.INSTRUCT, Stage.RANGE_CHECK, Stage.EXERCISE):
            actions = self._control(lambda coach: coach.skip(flow_ms)) + self._finish_current("skipped")
            self._enter(Stage.RESULT, flow_ms)
            return actions
        if key is Key.NEXT and stage in (Stage.RESULT, Stage.PAIN_STOP):
            self._next_exercise(flow_ms)
            return []
        if key is Key.PAIN and stage in (Stage.INSTRUCT, Stage.EXERCISE, Stage.RESULT):
            actions = self._control(lambda coach: coach.skip(flow_ms))
            if stage is not Stage.RESULT:
                actions += self._finish_current("pain-stop")
            self._pain_stopped = True
            self._enter(Stage.PAIN_STOP, flow_ms)
            return actions
        return []

    def _recalibrate(self) -> list[Action]:
        # Until the next frame is read the last reading is that of the old neutral.
        if self._reading is not None:
            self._reading = _uncalibrated(self._reading)
        return [Recalibrate()]

    def _control(self, act) -> list[Action]:
        """A key's action on the engine (pause, skip...): only while an exercise is coached."""
        run = self._current()
        if self.stage is not Stage.EXERCISE or run is None:
            return []
        return self._coached(act(run.coach))

    # -- stages --------------------------------------------------------------------------------------

    def _enter(self, stage: Stage, flow_ms: int) -> None:
        self.stage, self._stage_ms = stage, flow_ms

    def _elapsed_s(self, flow_ms: int) -> float:
        return (flow_ms - self._stage_ms) / 1000.0

    def _current(self) -> _Run | None:
        return self._runs[self._index] if self._index < len(self._runs) else None

    def _current_check(self) -> RangeCheck:
        """The range check under way (the RANGE_CHECK stage always has one)."""
        run = self._current()
        assert run is not None and run.check is not None
        return run.check

    def _check_or_start(self, flow_ms: int) -> list[Action]:
        """The range check of the current exercise, or (none configured or allowed) its start."""
        run = self._runs[self._index]
        if self._range_config is None or not run.exercise.range_check:
            return self._start_current(flow_ms)
        planned: Mapping[str, float] = (run.plan.thresholds if run.plan is not None
                                        else {t.axis: t.threshold for t in run.exercise.targets})
        run.check = RangeCheck(run.exercise, planned, flow_ms, self._range_config)
        self._circle = CircleGuard((self._engine_config or EngineConfig()).circle)
        if run.check.done:  # nothing to check (band targets only)
            return self._start_current(flow_ms)
        self._enter(Stage.RANGE_CHECK, flow_ms)
        return []

    def _start_current(self, flow_ms: int) -> list[Action]:
        run = self._runs[self._index]
        run.start_ms, run.ended = flow_ms, "in progress"
        side_targets = run.check.side_targets() if run.check is not None else {}
        run.coach = Coach(run.exercise, targets=run.plan.thresholds if run.plan is not None else None,
                          engine_config=self._engine_config, t0_ms=flow_ms, side_targets=side_targets)
        run.lost_mark_s = self._lost.total_s
        self._enter(Stage.EXERCISE, flow_ms)
        checked = tuple(r.to_json() for r in run.check.results) if run.check is not None else ()
        return [StartExercise(self._index, run.exercise.id, run.coach.targets(),
                              run.coach.engine.side_thresholds() if side_targets else {}, checked)]

    def _next_exercise(self, flow_ms: int) -> None:
        self._index += 1
        self._enter(Stage.INSTRUCT if self._index < len(self._runs) else Stage.SUMMARY, flow_ms)

    def _finish_current(self, ended: str) -> list[Action]:
        run = self._current()
        if run is None or run.result is not None:
            return []
        if run.coach is None:
            if ended in ("skipped", "pain-stop"):
                run.ended = ended
            return []
        run.ended = ended
        run.result = run.coach.result(tracking_lost_s=self._lost.total_s - run.lost_mark_s)
        return [FinishExercise(self._index, run.result)]

    def _coached(self, events: list[Event]) -> list[Action]:
        run = self._current()
        if not events or run is None or run.start_ms is None:
            return []
        return [Coached(self._index, tuple(events), run.start_ms)]

    # -- output --------------------------------------------------------------------------------------

    @property
    def calibrated(self) -> bool:
        """True when the last reading had a neutral pose."""
        return self._reading is not None and self._reading.calibrated

    def _exercise_run(self, run: _Run) -> ExerciseRun:
        result = run.result or ExerciseResult.from_events(run.exercise, [], calibrated=self.calibrated)
        checked = run.check.results if run.check is not None else ()
        why = self._why.text if run.ended == "not started" else None
        return ExerciseRun(result, run.ended, run.plan, checked, why)

    def screen(self, *, stalled: bool = False) -> Screen:
        """What to show now."""
        stage, run, reading = self.stage, self._current(), self._reading
        base = Screen(stage, self._index, len(self._runs), self.paused, self._status, stalled)
        if stage is Stage.EXERCISE and run is not None and run.coach is not None:
            line = targets_line(run.check.results) if run.check is not None else ""
            return replace(base, view=run.coach.view(), targets=line)
        if stage is Stage.SETUP:
            return replace(base, setup=self._setup.check, setup_progress=self._setup.progress, why=self._why.text)
        if stage is Stage.CALIBRATE:
            progress = reading.calibration_progress if reading is not None else 0.0
            return replace(base, calibration_progress=progress, calibration_problem=self._why.calibration,
                           why=self._why.text)
        if stage is Stage.RANGE_CHECK and run is not None and run.check is not None:
            return replace(base, exercise=run.exercise, range_check=run.check.view())
        if stage is Stage.INSTRUCT and run is not None:
            return replace(base, exercise=run.exercise, targets=run.plan.describe() if run.plan is not None else "")
        if stage in (Stage.RESULT, Stage.PAIN_STOP) and run is not None:
            return replace(base, run=self._exercise_run(run))
        started = tuple(self._exercise_run(r) for r in self._runs if r.ended != "not started")
        return replace(base, runs=started, why=None if started else self._why.text)

    def report(self) -> SessionReport:
        """The session so far: every exercise's result, how it ended, frames and lost time."""
        first, last = self._first_ms or 0, self._last_ms or 0
        started = any(r.ended != "not started" for r in self._runs)
        return SessionReport(tuple(self._exercise_run(r) for r in self._runs), self.frames, (last - first) / 1000.0,
                             self.ended_by or "interrupted", self.calibrated, self._lost.total_s, self._lost.spans,
                             None if started else self._why.text)


def _uncalibrated(reading: Reading) -> Reading:
    """``reading`` as the tracker will see things once it has dropped its neutral."""
    return replace(reading, calibrated=False, calibration_progress=0.0, calibration_hint=None)
