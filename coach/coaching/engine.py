"""The rep/hold state machine: torso-relative head angles in, coaching events out.

The engine never draws, speaks or reads the clock: time is always an argument. Its types (the
CONTRACT with overlay, audio, session and history) are in `coach.coaching.engine_types`, the per-frame
tests of the angles against the exercise and the dwell that debounces them in `coach.coaching.checks`,
the form checks over time in `coach.coaching.form`, the hold timer in `coach.coaching.hold`, the
reps and attempts per side in `coach.coaching.sides`, the attempt below target in
`coach.coaching.attempts`, and its texts and the choice of the message shown in
`coach.coaching.prompts`. The types are re-exported here: callers import them from
`coach.coaching.engine`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from coach.angles.body import BodyFeatures
from coach.angles.headpose import HeadAngles
from coach.coaching.attempts import Attempt
from coach.coaching.checks import Debounced, RateMeter, axis_value, neutral_raw, target_raw, zone_gauges
from coach.coaching.engine_types import (  # noqa: F401  (re-exported: callers import these from here)
    EngineConfig,
    EngineView,
    Event,
    EventKind,
    Gauge,
    HoldRecord,
    Message,
    Phase,
    Priority,
)
from coach.coaching.exercise import Exercise, other_side, side_label
from coach.coaching.form import FormWatch
from coach.coaching.hold import Hold
from coach.coaching.prompts import choose_message, fill, phase_guidance
from coach.coaching.safety import CircleGuard
from coach.coaching.sides import SideTally


class Engine:
    """The rep/hold state machine of one exercise.

    Feed it one frame at a time with :meth:`step`; it returns the events of that frame and
    keeps a snapshot for :meth:`view`. Phases: waiting for calibration -> ready -> moving ->
    in target -> holding -> returning -> rep done (-> ready for the next side), finished.

    Rules (from the exercise file and :class:`EngineConfig`):

    * a target zone is entered at the thresholds and left only past the hysteresis, and either
      change must last ``dwell_s``;
    * a hold counts once it reaches ``hold_min_s`` of time in target with good form; at
      ``hold_max_s`` a HOLD_RELEASE asks the person to come back;
    * a form fault while in target pauses the hold clock and says what to fix; a body check
      that cannot tell (the hand below the frame) gives its cue once per hold and the hold
      goes on (CUE);
    * a rep counts when the person is back in the neutral zone after a counted hold; sides
      alternate in the exercise's order; working the other side before the current side had
      its attempt gives WRONG_SIDE and no count;
    * an attempt that does not reach the target (back to neutral after ``attempt_min_s`` out
      toward the side, or ``attempt_max_s`` out without reaching it) is ATTEMPT_DONE: recorded
      with the range reached, below target, not a rep; it uses up one of the side's reps and
      the next side follows, so one short side never blocks the exercise;
    * each side may have its own thresholds (``side_targets``: today's personal range);
    * tracking drop-outs up to ``grace_s`` do not end a hold;
    * a full head circle gives SAFETY_STOP and voids the rep in progress.

    Example:
        >>> engine = Engine(load_exercise("neck-rotation"))
        >>> for t_ms, angles, body in stream:
        ...     for event in engine.step(t_ms, angles, body):
        ...         print(event.kind, event.message)
    """

    def __init__(
        self,
        exercise: Exercise,
        *,
        targets: Mapping[str, float] | None = None,
        config: EngineConfig | None = None,
        side_targets: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        """Create an engine.

        Args:
            exercise: The exercise definition.
            targets: Personal target thresholds per axis (e.g. ``{"yaw": 50}``), validated
                against the exercise's safe range (see `Exercise.with_thresholds`).
            config: Timing/tolerance overrides.
            side_targets: ``{side: {axis: threshold}}``: a side's own thresholds (today's
                range check), over ``targets``; validated the same way.
        """
        self.exercise = exercise.with_thresholds(targets) if targets else exercise
        self._side_ex = {side: self.exercise.with_thresholds(values)
                         for side, values in (side_targets or {}).items() if values}
        self.config = config or EngineConfig()
        cfg = self.config
        self._guard = CircleGuard(cfg.circle)
        self._tally = SideTally(self.exercise)
        self._reps = self._tally.reps
        self._attempts = self._tally.attempts
        self._attempt = Attempt()
        self._phase = Phase.WAITING_CALIBRATION
        self._calibrated = False
        self._t0_ms: int | None = None
        self._last_ms: int | None = None
        self._last_ok_ms: int | None = None
        self._lost_announced = False
        self._angles: HeadAngles | None = None
        self._in_target = Debounced(cfg.dwell_s)
        self._in_neutral = Debounced(cfg.neutral_dwell_s, state=True)
        self._wrong = Debounced(cfg.dwell_s)
        self._wrong_announced = False
        self._form = FormWatch(self.exercise, cfg.fault_dwell_s)
        self._hold: Hold | None = None
        self._pending_side: str | None = None  # side of a counted hold awaiting the return
        self._pending_hold: HoldRecord | None = None  # that hold, voided if a head circle comes
        self._speed = RateMeter(self.config.speed_window_s)
        self._last_slowly_ms = -math.inf
        self._safety_until_ms: float | None = None
        self._flash: tuple[Message, float] | None = None

    # -- public state ---------------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        """The current phase."""
        return self._phase

    @property
    def side(self) -> str | None:
        """The side to work now (`SideTally.side`)."""
        return self._tally.side

    @property
    def used(self) -> dict[str, int]:
        """Reps counted plus attempts below target, per side."""
        return self._tally.used

    def side_exercise(self, side: str) -> Exercise:
        """The exercise with ``side``'s thresholds (its own, else the shared ones)."""
        return self._side_ex.get(side, self.exercise)

    def side_thresholds(self) -> dict[str, dict[str, float]]:
        """``{side: {axis: threshold}}`` in use."""
        return {s: {t.axis: t.threshold for t in self.side_exercise(s).targets} for s in self.exercise.sides}

    @property
    def reps(self) -> dict[str, int]:
        """Reps counted per side."""
        return dict(self._reps)

    @property
    def finished(self) -> bool:
        """True when every side has all its reps (or the exercise was skipped)."""
        return self._phase is Phase.FINISHED

    @property
    def safety_stop(self) -> bool:
        """True while the STOP banner of a head circle is up."""
        return self._safety_until_ms is not None

    # -- control --------------------------------------------------------------------------------

    def reset_rep(self, t_ms: int) -> list[Event]:
        """Abandon the rep in progress (after a pause or a recalibration).

        A running hold ends uncounted with fault ``"interrupted"``, and a hold that had ended
        counted but whose rep waited for the return to neutral is voided (``HOLD_VOIDED``) with
        the same fault; detectors restart so the time spent paused is not read as movement or
        as held time.
        """
        t_ms = int(t_ms)
        if self._hold:
            events = self._end_hold(t_ms, void_fault="interrupted")
        else:
            events = self._void_pending(t_ms, "interrupted")
        self._reset_detectors()
        self._attempt.reset()
        self._last_ms = self._last_ok_ms = t_ms
        if self._phase is not Phase.FINISHED:
            self._phase = Phase.READY if self._calibrated else Phase.WAITING_CALIBRATION
        return events

    def skip(self, t_ms: int) -> list[Event]:
        """End the exercise now (the user moved on); the rep in progress is dropped."""
        if self._phase is Phase.FINISHED:
            return []
        events = self.reset_rep(t_ms)
        self._phase = Phase.FINISHED
        events.append(Event(EventKind.EXERCISE_DONE, int(t_ms), message="Exercise skipped"))
        return events

    # -- the step ---------------------------------------------------------------------------------

    def step(
        self,
        t_ms: int,
        angles: HeadAngles,
        body: BodyFeatures | None = None,
        calibrated: bool = True,
        torso_yaw_deg: float = 0.0,
    ) -> list[Event]:
        """Advance the state machine by one frame.

        Args:
            t_ms: Frame time in milliseconds (non-decreasing).
            angles: Calibrated torso-relative head angles of the frame.
            body: Arm/shoulder features of the frame; ``None`` skips the body form checks.
            calibrated: False while the neutral pose is still being measured.
            torso_yaw_deg: The trunk's turn against its neutral (the `TrunkTurn` check).

        Returns:
            The events of this frame, in the order they happened.
        """
        t_ms = int(t_ms)
        if self._t0_ms is None:
            self._t0_ms = t_ms
        self._last_ms = t_ms
        events: list[Event] = []
        usable_now = angles is not None and angles.usable
        self._angles = angles if usable_now else None
        if self._phase is Phase.FINISHED:
            return events
        events, waiting = self._calibration(t_ms, calibrated)
        if waiting:
            return events

        if not usable_now:
            return events + self._tracking_gap(t_ms)
        assert angles is not None
        dt_ok_ms = t_ms - (self._last_ok_ms if self._last_ok_ms is not None else t_ms)
        self._last_ok_ms = t_ms
        if self._lost_announced:
            self._lost_announced = False
            events.append(Event(EventKind.TRACKING_RESTORED, t_ms, value=dt_ok_ms / 1000.0, message="Tracking back"))

        yaw, roll, pitch = angles.yaw_deg, angles.roll_deg, angles.pitch_deg
        if self._guard.update(t_ms, yaw, roll, pitch):
            return events + self._head_circle(t_ms)

        side = self.side or self.exercise.sides[0]
        side_ex = self.side_exercise(side)
        in_neutral = self._in_neutral.update(t_ms, neutral_raw(self.exercise, angles))
        if self._safety_until_ms is not None:
            # STOP stays up for a while and until the person is back at neutral.
            if t_ms >= self._safety_until_ms and in_neutral:
                self._safety_until_ms = None
                self._phase = Phase.READY
            self._in_target.reset()
            return events

        in_target = self._in_target.update(t_ms, target_raw(side_ex, angles, side, staying=self._in_target.state))
        events += self._check_speed(t_ms, angles)
        events += self._check_wrong_side(t_ms, angles, side, in_target, in_neutral)
        faults = self._check_form(t_ms, angles, body, side, in_target, torso_yaw_deg)
        events += faults
        before = self._phase
        events += self._advance_phase(t_ms, dt_ok_ms, angles, side, in_target, in_neutral, faults)
        events += self._flashed(self._form.watch_finger(t_ms, body, side, self._phase, before,
                                                        self._hold is not None, self._fmt))
        return events

    # -- pieces of the step -----------------------------------------------------------------------

    def _calibration(self, t_ms: int, calibrated: bool) -> tuple[list[Event], bool]:
        """The step's first part: wait while the neutral is measured (True), and say when it is."""
        events: list[Event] = []
        if not calibrated:
            if self._calibrated:  # recalibration started: the rep in progress is abandoned
                events += self.reset_rep(t_ms)
            self._calibrated = False
            self._phase = Phase.WAITING_CALIBRATION
            return events, True
        if not self._calibrated:
            self._calibrated = True
            self._reset_detectors()
            self._phase = Phase.READY
            self._last_ok_ms = t_ms
            events.append(Event(EventKind.CALIBRATED, t_ms,
                                message="Calibrated. " + self._fmt(self.exercise.messages.go)))
        return events, False

    def _advance_phase(self, t_ms: int, dt_ok_ms: int, angles: HeadAngles, side: str, in_target: bool,
                       in_neutral: bool, faults: list[Event]) -> list[Event]:
        """The step's last part: the phase moves on with the zones the head is in."""
        events: list[Event] = []
        form_ok = self._form.ok
        phase = self._phase
        if phase in (Phase.READY, Phase.REP_DONE, Phase.MOVING, Phase.RETURNING):
            if in_target:
                # The hold starts on entering the zone even with a form fault: it is then
                # paused (IN_TARGET) until the form is fixed, and its record names the fault.
                self._attempt.reset()  # the target was reached: this is no attempt below it
                events += self._start_hold(t_ms, side, faults)
                self._phase = Phase.HOLDING if form_ok else Phase.IN_TARGET
            elif phase is Phase.RETURNING and in_neutral and self._guard.swept_deg < self.config.circle.circling_deg:
                events += self._arrive_neutral(t_ms)
            elif phase is Phase.MOVING and in_neutral:
                self._phase = Phase.READY
                if self._attempt.out_s() >= self.config.attempt_min_s:
                    events += self._end_attempt(t_ms, side)  # back without reaching the target
                self._attempt.reset()
            elif phase in (Phase.READY, Phase.REP_DONE) and not in_neutral:
                self._phase = Phase.MOVING
            if self._phase is Phase.MOVING:
                events += self._track_attempt(t_ms, dt_ok_ms, angles, side)
        elif phase in (Phase.IN_TARGET, Phase.HOLDING):
            if not in_target:
                events += self._end_hold(t_ms)
            else:
                events += self._advance_hold(t_ms, dt_ok_ms, angles, side, form_ok)
                self._phase = Phase.HOLDING if form_ok else Phase.IN_TARGET
        return events

    def _reset_detectors(self) -> None:
        self._guard.reset()
        self._in_target.reset()
        self._in_neutral.reset(state=True)
        self._wrong.reset()
        self._wrong_announced = False
        self._form.reset()
        self._speed.reset()
        self._safety_until_ms = None

    def _tracking_gap(self, t_ms: int) -> list[Event]:
        last_ok = self._last_ok_ms if self._last_ok_ms is not None else t_ms
        if self._lost_announced or t_ms - last_ok <= self.config.grace_s * 1000.0:
            return []
        # Longer than the grace period: whatever was going on has ended.
        self._lost_announced = True
        events = [Event(EventKind.TRACKING_LOST, t_ms, value=(t_ms - last_ok) / 1000.0,
                        message=self.exercise.messages.lost)]
        if self._hold is not None:
            events += self._end_hold(last_ok)
        elif self._phase is Phase.IN_TARGET:
            self._phase = Phase.RETURNING if self._pending_side else Phase.MOVING
        self._guard.reset()
        self._in_target.reset()
        self._form.reset_faults()
        self._speed.reset()
        return events

    def _void_pending(self, t_ms: int, fault: str) -> list[Event]:
        """Drop the rep in progress. A hold that already ended counted, its rep awaiting the
        return to neutral, is voided too: a counted hold is a rep in the report and history,
        so the two must not disagree."""
        events = []
        if self._pending_side is not None and self._pending_hold is not None:
            void = replace(self._pending_hold, counted=False, fault=fault)
            events.append(Event(EventKind.HOLD_VOIDED, t_ms, side=void.side, hold=void, fault=void.fault))
        self._pending_side = self._pending_hold = None
        return events

    def head_circle_seen(self, t_ms: int) -> list[Event]:
        """A head circle caught before this engine ran (during the range check): the same STOP,
        banner time and voided hold as one it catches itself."""
        return self._head_circle(int(t_ms))

    def _head_circle(self, t_ms: int) -> list[Event]:
        msg = self.exercise.messages.circle
        events = [Event(EventKind.SAFETY_STOP, t_ms, side=self.side, message=msg, fault="head-circle")]
        if self._hold is not None:
            events += self._end_hold(t_ms, void_fault="head-circle")
        else:
            # The circle usually starts from the held pose: the hold ended, counted, when the head
            # left the zone, before the circle was caught (a 3 s / 5 s lateral-flexion circle:
            # 2.0 s / 3.5 s before).
            events += self._void_pending(t_ms, "head-circle")
        self._phase = Phase.RETURNING
        self._safety_until_ms = t_ms + self.config.safety_hold_s * 1000.0
        self._in_target.reset()
        self._form.reset_faults()
        return events

    def _check_speed(self, t_ms: int, angles: HeadAngles) -> list[Event]:
        speed = self.exercise.speed
        if speed is None:
            return []
        rate = self._speed.update(t_ms, axis_value(angles, speed.axis))
        if rate is None:
            return []
        if rate <= speed.max_per_s or t_ms - self._last_slowly_ms < self.config.fault_repeat_s * 1000.0:
            return []
        self._last_slowly_ms = t_ms
        text = self._fmt(speed.message)
        self._flash_message(t_ms, text, Priority.FORM)
        return [Event(EventKind.FAULT, t_ms, side=self.side, message=text, fault="too-fast", value=rate)]

    def _check_wrong_side(self, t_ms: int, angles: HeadAngles, side: str, in_target: bool,
                          in_neutral: bool) -> list[Event]:
        if in_neutral:
            self._wrong_announced = False
        if len(self.exercise.sides) < 2 or side == "center":
            return []
        other = other_side(side)
        main = self.side_exercise(other).main_target
        toward_other = axis_value(angles, main.axis) * main.sign(other)
        raw = not in_target and toward_other >= self.config.wrong_side_fraction * main.threshold
        wrong = self._wrong.update(t_ms, raw)
        if not wrong or self._wrong_announced or self._phase in (Phase.HOLDING, Phase.RETURNING):
            return []
        self._wrong_announced = True
        text = self._fmt(self.exercise.messages.wrong_side) or f"Work your {side_label(side)} side now"
        self._flash_message(t_ms, text, Priority.GUIDANCE)
        return [Event(EventKind.WRONG_SIDE, t_ms, side=side, message=text)]

    def _check_form(self, t_ms: int, angles: HeadAngles, body: BodyFeatures | None, side: str,
                    in_target: bool, torso_yaw_deg: float = 0.0) -> list[Event]:
        return self._flashed(self._form.check(t_ms, angles, body, side, in_target, self._phase, self._hold,
                                              self._fmt, torso_yaw_deg))

    def _flashed(self, events: list[Event]) -> list[Event]:
        """Show the text of each CUE among ``events`` (the last one stays up)."""
        for e in events:
            if e.kind is EventKind.CUE:
                self._flash_message(e.t_ms, e.message, Priority.GUIDANCE)
        return events

    def _start_hold(self, t_ms: int, side: str, faults: list[Event]) -> list[Event]:
        self._hold = Hold(side=side, start_ms=t_ms)
        self._form.start_hold()
        self._hold.fault = next((f.fault for f in faults), None)
        active = self._form.active()
        if active and self._hold.fault is None:
            self._hold.fault = active[0]
        return [Event(EventKind.HOLD_STARTED, t_ms, side=side, message=self._fmt(self.exercise.messages.hold))]

    def _advance_hold(self, t_ms: int, dt_ok_ms: int, angles: HeadAngles, side: str, form_ok: bool) -> list[Event]:
        assert self._hold is not None
        return self._hold.advance(self.exercise, t_ms, dt_ok_ms, angles, side, form_ok, self._fmt)

    def _end_hold(self, t_ms: int, void_fault: str | None = None) -> list[Event]:
        h = self._hold
        assert h is not None
        self._hold = None
        record = h.record(self._t0_ms or 0, void_fault)
        counted = record.counted
        self._pending_hold = record if counted else None
        if counted:
            self._pending_side = h.side
            text = self._fmt(self.exercise.messages.return_)
        else:
            # A hold cut short while a form fault paused it repeats that fault, not "hold at
            # least 5 s": the fault is what kept it from counting.
            text = ""
            if void_fault is None:
                text = self._form.fault_text(h.fault, self._fmt) or self._fmt(self.exercise.messages.too_short)
            if text:
                self._flash_message(t_ms, text, Priority.GUIDANCE)
        self._phase = Phase.RETURNING
        return [Event(EventKind.HOLD_DONE, t_ms, side=h.side, value=record.held_s, hold=record,
                      message=text, fault=record.fault)]

    def _track_attempt(self, t_ms: int, dt_ok_ms: int, angles: HeadAngles, side: str) -> list[Event]:
        """Add a frame out of neutral to the attempt if it is toward ``side``; end the attempt
        where it is once it has lasted ``attempt_max_s`` without reaching the target."""
        ex = self.exercise
        main = ex.main_target
        toward = axis_value(angles, main.axis) * main.sign(side)
        if toward <= ex.neutral.limits().get(main.axis, 0.0):
            return []  # out of neutral, but not toward this side (or on another axis only)
        self._attempt.add(t_ms, dt_ok_ms, {t.axis: axis_value(angles, t.axis) * t.sign(side) for t in ex.targets})
        if self._attempt.out_s() < self.config.attempt_max_s:
            return []
        events = self._end_attempt(t_ms, side)
        if self._phase is not Phase.FINISHED:
            self._phase = Phase.RETURNING  # no rep waits: back at neutral it is READY
        return events

    def _end_attempt(self, t_ms: int, side: str) -> list[Event]:
        """Record the attempt below target; it uses up one of the side's reps."""
        record = self._attempt.record(side, self.exercise.main_target.axis, self._t0_ms or 0)
        self._attempt.reset()
        self._attempts[side] += 1
        text = self._fmt(self.exercise.messages.best_today, side=side)
        self._flash_message(t_ms, text, Priority.GUIDANCE)
        events = [Event(EventKind.ATTEMPT_DONE, t_ms, side=side, value=record.peak_deg, hold=record,
                        message=text, fault=record.fault)]
        return events + self._after_use(t_ms, side)

    def _after_use(self, t_ms: int, side: str) -> list[Event]:
        """A rep or an attempt used one of ``side``'s reps: side done, exercise done."""
        events = self._tally.after_use(t_ms, side)
        if events and events[-1].kind is EventKind.EXERCISE_DONE:
            self._phase = Phase.FINISHED
        return events

    def _arrive_neutral(self, t_ms: int) -> list[Event]:
        side = self._pending_side
        if side is None:
            self._phase = Phase.READY
            return []
        self._pending_side = self._pending_hold = None
        self._reps[side] += 1
        n = self._reps[side]
        text = self._fmt(self.exercise.messages.rep, side=side, n=n)
        events = [Event(EventKind.REP_COUNTED, t_ms, side=side, value=float(n), message=text)]
        self._flash_message(t_ms, text, Priority.PRAISE)
        self._phase = Phase.REP_DONE
        return events + self._after_use(t_ms, side)

    # -- messages and view ------------------------------------------------------------------------

    def _fmt(self, template: str, side: str | None = None, n: int | None = None) -> str:
        side = side or self.side or self.exercise.sides[0]
        return fill(self.exercise, template, side, n if n is not None else self._reps.get(side, 0))

    def _flash_message(self, t_ms: int, text: str, priority: Priority) -> None:
        self._flash = (Message(text, priority), t_ms + self.config.flash_s * 1000.0)

    def _message(self) -> Message | None:
        ex, msgs = self.exercise, self.exercise.messages
        t_ms = self._last_ms if self._last_ms is not None else 0
        fault = self._form.first_message()
        guidance = phase_guidance(ex, self._phase, lost=self._angles is None and self._lost_announced,
                                  released=bool(self._hold and self._hold.released),
                                  comfortable=self._attempt.out_s() >= self.config.further_s)
        return choose_message(
            safety=msgs.circle if self._safety_until_ms is not None else None,
            fault=self._fmt(fault) if fault is not None else None,
            flash=self._flash[0] if self._flash is not None and t_ms <= self._flash[1] else None,
            guidance=self._fmt(guidance) if guidance else None,
        )

    def view(self) -> EngineView:
        """A read-only snapshot for the overlay: phase, side, reps, hold time, gauges, message."""
        ex = self.exercise
        h = self._hold
        return EngineView(
            exercise_id=ex.id,
            exercise_name=ex.name,
            phase=self._phase,
            side=self.side,
            reps=dict(self._reps),
            reps_target=ex.reps_per_side,
            hold_s=(h.good_ms / 1000.0) if h else 0.0,
            hold_min_s=ex.hold_min_s,
            hold_max_s=ex.hold_max_s,
            gauges=zone_gauges(self.side_exercise(self.side or ex.sides[0]), self.side or ex.sides[0], self._angles),
            message=self._message(),
            safety_stop=self.safety_stop,
            tracking_ok=self._angles is not None,
            instruction=ex.instruction,
            faults=self._form.active(),
            hold_counted=bool(h.min_reached) if h else (self._pending_side is not None),
            wrong_side=self._wrong.state,
            swept_deg=self._guard.swept_deg,
            attempts=dict(self._attempts),
        )
