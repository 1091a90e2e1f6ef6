"""The guided range-of-motion test (`coach measure`) as a pure state machine: a frame's reading and
a key in, actions out (like `coach.coaching.flow.Flow`, whose setup gate, calibration actions and
texts it reuses).

    safety card -> setup check -> calibration (the neutral) -> for each direction:
        instruction -> 3 trials (each: back to neutral, move, the still plateau held 1 s,
        back) -> "did that hurt?" -> ... -> result

A trial's value is the median over one second in which the reading stayed within a small band
(a still plateau at the person's comfortable end), never a momentary peak; when the person
holds further than a first plateau the farthest plateau is kept. A second in which a frame was
not usable (face lost, shoulders out of view), or in which the trunk turned with the head, is
not a plateau: a direction with no reliable trial is marked unreliable with the reason, not
guessed. The head-circle guard (`coach.coaching.safety.CircleGuard`) voids the trial in progress; the
exercises' speed limits (`coach.coaching.checks.RateMeter`) say "slowly". The pain key (p) and the
dizziness/visual-symptoms key (d) stop the test at once with the seed's advice; s skips a
direction; q ends the test, keeping what was measured (marked incomplete).

Pure: no cv2, no clock (time is the frames' own).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from types import MappingProxyType

from coach.angles.setup_check import SetupCheck, SetupGate
from coach.coaching.chain import Reading
from coach.coaching.checks import RateMeter, axis_value
from coach.coaching.exercise_model import SpeedLimit
from coach.coaching.flow import Recalibrate, SaveCalibration, Seen, ToggleMute, bound_key
from coach.coaching.measure_report import (
    DIRECTIONS,
    DirectionResult,
    DirectionSpec,
    MeasureReport,
    Trial,
)
from coach.coaching.measure_types import (
    DirectionDone,
    EndTest,
    MeasureAction,
    MeasureScreen,
    Prompt,
    ShowMeasure,
    Stage,
)
from coach.coaching.safety import CircleGuard
from coach.texts import PAIN_STOP_TEXT, SAFETY_TEXT, tracking_text

#: Shown when the person reports dizziness or visual symptoms: stop, and the seed's advice.
SYMPTOMS_STOP_TEXT: tuple[str, ...] = (
    "Stop the test now. Sit still, keep your head level and rest until it passes.",
    "Check with a physician before testing or exercising again.",
    SAFETY_TEXT[1],
)


class MeasureKey(str, Enum):
    """What a key press asks for during the test."""

    SKIP = "skip"
    RECALIBRATE = "recalibrate"
    PAIN = "pain"
    SYMPTOMS = "symptoms"
    CONTINUE = "continue"
    MUTE = "mute"
    QUIT = "quit"


_KEYS: Mapping[int, MeasureKey] = MappingProxyType({
    ord("s"): MeasureKey.SKIP, ord("c"): MeasureKey.RECALIBRATE, ord("p"): MeasureKey.PAIN,
    ord("d"): MeasureKey.SYMPTOMS,
    32: MeasureKey.CONTINUE, 13: MeasureKey.CONTINUE, ord("m"): MeasureKey.MUTE,
    ord("q"): MeasureKey.QUIT, 27: MeasureKey.QUIT,
})
KEYS_HINT = "s skip  p pain (stop)  d dizzy/vision (stop)  space next  m mute  q quit"


def measure_key_for(code: int | None) -> MeasureKey | None:
    """Map a `cv2.waitKey` code to a `MeasureKey` (None for no key or an unbound one)."""
    return bound_key(code, _KEYS)


@dataclass(frozen=True)
class MeasureTiming:
    """How long the screens and a trial may take, in seconds of frame time.

    Attributes:
        safety_s: The safety card before anything else (space skips it).
        setup_ok_s: The setup check must pass this long.
        instruction_s: Each direction's instruction card (space skips it).
        ask_pain_s: How long "did that hurt?" waits for an answer.
        trial_timeout_s: A trial without a plateau ends as failed after this.
    """

    safety_s: float = 6.0
    setup_ok_s: float = 1.0
    instruction_s: float = 4.0
    ask_pain_s: float = 6.0
    trial_timeout_s: float = 20.0

    def __post_init__(self) -> None:
        for name in ("safety_s", "setup_ok_s", "instruction_s", "ask_pain_s", "trial_timeout_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0.0 <= v <= 300.0):
                raise ValueError(f"{name} must be within 0..300 s, got {v}")


#: A recording has no one to read cards or answer: measure from the first usable frame.
HEADLESS_MEASURE_TIMING = MeasureTiming(safety_s=0.0, setup_ok_s=0.5, instruction_s=0.0, ask_pain_s=0.0)


@dataclass(frozen=True)
class PlateauRule:
    """What counts as the still plateau of a trial, per unit (``deg`` / ``cm``).

    Attributes:
        hold_s: The plateau's length: the value is the median over it.
        band: Largest max-min of the reading within the plateau (the head held still). The
            smoothed reading of a still head moves < 1 deg; a person holding moves 1-2.
        min_excursion: A plateau must be at least this far from neutral (not the neutral).
        neutral_band: Within this of neutral the head is back (a trial starts from there).
        return_fraction: Coming back below this fraction of the plateau ends the trial.
        trunk_max_deg: A plateau with the trunk turned more than this is not the neck's.
    """

    hold_s: float = 1.0
    band: Mapping[str, float] = field(default_factory=lambda: {"deg": 3.0, "cm": 0.4})
    min_excursion: Mapping[str, float] = field(default_factory=lambda: {"deg": 8.0, "cm": 0.3})
    neutral_band: Mapping[str, float] = field(default_factory=lambda: {"deg": 6.0, "cm": 0.3})
    return_fraction: float = 0.5
    trunk_max_deg: float = 15.0


# -- one direction's bookkeeping ---------------------------------------------------------------


@dataclass(frozen=True)
class _Sample:
    t_ms: int
    value: float  # in the direction's sense
    others: Mapping[str, float]
    trunk_deg: float
    hike_cm: float | None



def _farther(plateau: Trial, best: Trial) -> bool:
    """Whether a plateau reaches farther than the trial's best so far (a plateau has a value)."""
    return plateau.value is not None and (best.value is None or plateau.value > best.value)

@dataclass
class _Attempt:
    """The trial in progress: back to neutral first, then the move and its plateaus."""

    start_ms: int
    moving: bool = False
    window: list[_Sample] = field(default_factory=list)
    best: Trial | None = None
    lost: Counter = field(default_factory=Counter)
    trunk_turned: bool = False

    def failure_reason(self) -> str:
        if self.trunk_turned:
            return "trunk-turned"
        if self.lost:
            return self.lost.most_common(1)[0][0]
        return "no-steady-hold" if self.moving else "not-back-to-neutral"


@dataclass
class _Direction:
    spec: DirectionSpec
    speed: SpeedLimit | None
    trials: list[Trial] = field(default_factory=list)
    too_fast: int = 0
    circles: int = 0
    pain: bool | None = None
    attempt: _Attempt | None = None

    def result(self, status: str | None = None) -> DirectionResult:
        trials = list(self.trials)
        if status is not None and self.attempt is not None and self.attempt.best is not None:
            trials.append(self.attempt.best)  # stopped while holding a plateau: it was measured
        measured = [t for t in trials if t.value is not None]
        reason = None
        if status is None:
            status = "measured" if measured else "unreliable"
        if not measured and trials:
            reason = Counter(t.reason for t in trials).most_common(1)[0][0]
        if status == "incomplete" and not trials:
            status = "not-tested"  # stopped before its first trial ended: nothing to keep
        return DirectionResult(self.spec.id, status, tuple(trials), reason, self.pain, self.too_fast, self.circles)


# -- the test ----------------------------------------------------------------------------------


class MeasureFlow:
    """One range-of-motion test.

    Example:
        >>> test = MeasureFlow(DIRECTIONS, speed_limits=limits, started_at=now, source="camera 0")
        >>> for t_ms, seen, key in frames:
        ...     for action in test.step(t_ms, seen, key):
        ...         driver.do(action)
        >>> test.end("completed")

    Args:
        directions: The directions to ask, in order (default: all of `DIRECTIONS`).
        speed_limits: ``{exercise_id: SpeedLimit}`` for the directions' `speed_exercise`.
        timing: Screen and trial durations.
        rule: What counts as a plateau.
        trials: Trials per direction (the median is kept).
        started_at: ISO time of the start (for the report).
        source: Where the frames come from (for the report).
    """

    def __init__(self, directions: Sequence[DirectionSpec] = DIRECTIONS, *,
                 speed_limits: Mapping[str, SpeedLimit | None] | None = None,
                 timing: MeasureTiming = MeasureTiming(), rule: PlateauRule = PlateauRule(),
                 trials: int = 3, started_at: str = "", source: str = "") -> None:
        if not directions:
            raise ValueError("the test needs at least one direction")
        if not 1 <= trials <= 10:
            raise ValueError(f"trials must be within 1..10, got {trials}")
        limits = speed_limits or {}
        self._dirs = [_Direction(d, limits.get(d.speed_exercise)) for d in directions]
        self._results: list[DirectionResult | None] = [None] * len(self._dirs)
        self._timing, self._rule, self._trials = timing, rule, trials
        self._started_at, self._source = started_at, source
        self.stage = Stage.SAFETY
        self._stage_ms: int | None = None
        self._index = 0
        self._setup = SetupGate(timing.setup_ok_s)
        self._guard = CircleGuard()
        self._rate: RateMeter | None = None
        self._last_slowly_ms = -math.inf
        self._reading: Reading | None = None
        self._seen_setup: SetupCheck | None = None
        self._message = ""
        self._stop_text: tuple[str, ...] = ()
        self._calibrated = False
        self.ended_by: str | None = None
        self.frames = 0

    # -- input ---------------------------------------------------------------------------------

    def step(self, t_ms: int, seen: Seen | None, key: MeasureKey | None = None) -> list[MeasureAction]:
        """Advance by one frame (``seen`` None: no new frame came); return its actions, the last
        one `ShowMeasure` unless the test ended on this step."""
        if self.ended_by is not None:
            return []
        if self._stage_ms is None:
            self._stage_ms = t_ms
        actions = self._key(key, t_ms) if key is not None else []
        if self.ended_by is not None:
            return actions
        if seen is not None:
            self.frames += 1
            self._reading, self._seen_setup = seen.reading, seen.setup
            self._calibrated = self._calibrated or seen.reading.calibrated
            actions += self._frame(t_ms, seen)
        return actions + [ShowMeasure(self.screen())]

    def end(self, ended_by: str) -> list[MeasureAction]:
        """End the test now (``completed`` when the frames ran out: ``source-ended`` if the test
        was not over yet; ``quit``, ``interrupted``, ``camera-lost``, ``pain-stop``,
        ``symptoms-stop``). A direction in progress keeps its
        measured trials, marked incomplete; the rest are not tested. Returns the actions."""
        if self.ended_by is not None:
            return []
        actions: list[MeasureAction] = []
        if self._index < len(self._dirs) and self.stage in (Stage.INSTRUCT, Stage.TRIAL):
            status = "pain" if ended_by == "pain-stop" else "incomplete"
            actions += self._close_direction(status)
        if ended_by == "completed" and self._index < len(self._dirs):
            ended_by = "source-ended"  # the recording ended before the test did
        self.ended_by = ended_by
        if ended_by not in ("pain-stop", "symptoms-stop"):
            self.stage = Stage.RESULT
        return actions + [EndTest(self.report())]

    # -- keys ----------------------------------------------------------------------------------

    def _key(self, key: MeasureKey, t_ms: int) -> list[MeasureAction]:
        stage = self.stage
        if key is MeasureKey.QUIT:
            return self.end("quit")
        if key is MeasureKey.MUTE:
            return [ToggleMute()]
        if key is MeasureKey.RECALIBRATE and stage is Stage.CALIBRATE:
            return [Recalibrate()]  # the neutral is set once, before the first direction
        if key in (MeasureKey.PAIN, MeasureKey.SYMPTOMS) and stage not in (Stage.RESULT, Stage.STOPPED):
            pain = key is MeasureKey.PAIN
            if stage is Stage.ASK_PAIN and pain:
                self._answer(True)
            self._stop_text = PAIN_STOP_TEXT if pain else SYMPTOMS_STOP_TEXT
            prompt = self._say("stop", self._stop_text[0], t_ms)
            # The direction under way ends here ("pain" for a pain stop, its trials kept).
            actions = self.end("pain-stop" if pain else "symptoms-stop")
            self._enter(Stage.STOPPED, t_ms)
            return [prompt] + actions
        if key is MeasureKey.SKIP and stage in (Stage.INSTRUCT, Stage.TRIAL):
            actions = self._close_direction("skipped")
            self._next_direction(t_ms)
            return actions + self._announce(t_ms)
        if key is MeasureKey.CONTINUE:
            if stage is Stage.SAFETY:
                self._enter(Stage.SETUP, t_ms)
            elif stage is Stage.INSTRUCT:
                self._start_trials(t_ms)
            elif stage is Stage.ASK_PAIN:
                self._answer(False)
                self._next_direction(t_ms)
                return self._announce(t_ms)
        return []

    # -- per frame -----------------------------------------------------------------------------

    def _frame(self, t_ms: int, seen: Seen) -> list[MeasureAction]:
        timing, stage = self._timing, self.stage
        if stage is Stage.SAFETY and self._elapsed_s(t_ms) >= timing.safety_s:
            self._enter(Stage.SETUP, t_ms)
        if self.stage is Stage.SETUP and self._setup.passed(t_ms, seen.setup):
            self._enter(Stage.CALIBRATE, t_ms)
            return [Recalibrate()]
        if self.stage is Stage.CALIBRATE and seen.reading.calibrated:
            self._index = -1
            self._next_direction(t_ms)
            return [SaveCalibration()] + self._announce(t_ms)
        if self.stage is Stage.INSTRUCT and self._elapsed_s(t_ms) >= timing.instruction_s:
            self._start_trials(t_ms)
        if self.stage is Stage.ASK_PAIN and self._elapsed_s(t_ms) >= timing.ask_pain_s:
            self._next_direction(t_ms)
            return self._announce(t_ms)
        if self.stage is Stage.TRIAL:
            return self._trial(t_ms, seen.reading)
        return []

    def _trial(self, t_ms: int, reading: Reading) -> list[MeasureAction]:
        d = self._dirs[self._index]
        spec, rule, unit = d.spec, self._rule, d.spec.unit
        attempt = d.attempt
        assert attempt is not None
        actions: list[MeasureAction] = []
        angles = reading.angles
        if not reading.usable:
            attempt.lost[angles.tracking.value] += 1
            attempt.window.clear()
            self._guard.reset()
            if self._rate is not None:
                self._rate.reset()
            return self._attempt_timeout(t_ms, d, actions)
        value = spec.sign * axis_value(angles, spec.axis)
        if self._guard.update(t_ms, angles.yaw_deg, angles.roll_deg, angles.pitch_deg):
            d.circles += 1
            attempt.window.clear()
            attempt.best, attempt.moving = None, False
            return [self._say("stop", "Stop: no head circles, side to side only. Back to the middle", t_ms)]
        if d.speed is not None and self._rate is not None:
            rate = self._rate.update(t_ms, axis_value(angles, spec.axis))
            if rate is not None and rate > d.speed.max_per_s and t_ms - self._last_slowly_ms >= 3000:
                self._last_slowly_ms = t_ms
                d.too_fast += 1
                actions.append(self._say("slowly", d.speed.message, t_ms))
        if not attempt.moving:
            if abs(value) <= rule.neutral_band[unit]:
                attempt.moving = True
                n = len(d.trials) + 1
                text = spec.instruction if n == 1 else "Again, only as far as is comfortable, and hold"
                actions.append(self._say("instruction", f"Trial {n} of {self._trials}: {text}", t_ms))
            return self._attempt_timeout(t_ms, d, actions)
        best = attempt.best
        if best is not None and best.value is not None and value < max(rule.neutral_band[unit],
                                                                       rule.return_fraction * best.value):
            return actions + self._finish_attempt(t_ms, d, best)
        body = reading.body
        hikes = [h for h in (body.shoulder_hike_cm("right"), body.shoulder_hike_cm("left"))
                 if h is not None] if body is not None else []
        others = {a: axis_value(angles, a) for a in ("yaw", "roll", "pitch") if a != spec.axis}
        attempt.window.append(_Sample(t_ms, value, others, reading.torso_yaw_deg, max(hikes) if hikes else None))
        while len(attempt.window) > 2 and t_ms - attempt.window[1].t_ms >= rule.hold_s * 1000.0:
            attempt.window.pop(0)
        plateau = self._plateau(attempt.window, unit)
        if plateau is not None:
            if plateau.trunk_turn_deg is not None and plateau.trunk_turn_deg > rule.trunk_max_deg:
                attempt.trunk_turned = True
            elif attempt.best is None or _farther(plateau, attempt.best):
                if attempt.best is None:
                    actions.append(self._say("held", "Measured. Now come back slowly to the middle", t_ms))
                attempt.best = plateau
        return self._attempt_timeout(t_ms, d, actions)

    def _plateau(self, window: list[_Sample], unit: str) -> Trial | None:
        rule = self._rule
        if len(window) < 3 or window[-1].t_ms - window[0].t_ms < rule.hold_s * 1000.0 * 0.95:
            return None
        vals = [s.value for s in window]
        if max(vals) - min(vals) > rule.band[unit]:
            return None
        median = float(statistics.median(vals))
        if median < rule.min_excursion[unit]:
            return None
        off = {a: float(statistics.median([abs(s.others[a]) for s in window])) for a in window[0].others}
        hikes = [s.hike_cm for s in window if s.hike_cm is not None]
        return Trial(median, None, float(statistics.pstdev(vals)), off,
                     float(max(abs(s.trunk_deg) for s in window)), float(max(hikes)) if hikes else None)

    def _attempt_timeout(self, t_ms: int, d: _Direction, actions: list[MeasureAction]) -> list[MeasureAction]:
        attempt = d.attempt
        assert attempt is not None
        if t_ms - attempt.start_ms < self._timing.trial_timeout_s * 1000.0:
            return actions
        trial = attempt.best if attempt.best is not None else Trial(None, attempt.failure_reason())
        return actions + self._finish_attempt(t_ms, d, trial)

    def _finish_attempt(self, t_ms: int, d: _Direction, trial: Trial) -> list[MeasureAction]:
        d.trials.append(trial)
        d.attempt = None
        if len(d.trials) < self._trials:
            self._new_attempt(t_ms)
            return []
        actions = self._close_direction(None)
        if self._timing.ask_pain_s > 0:
            self._enter(Stage.ASK_PAIN, t_ms)
            return actions + [self._say("ask", "Did that hurt? Press p if it did, space if not", t_ms)]
        self._next_direction(t_ms)
        return actions + self._announce(t_ms)

    # -- stages --------------------------------------------------------------------------------

    def _enter(self, stage: Stage, t_ms: int) -> None:
        self.stage, self._stage_ms = stage, t_ms

    def _elapsed_s(self, t_ms: int) -> float:
        return (t_ms - (self._stage_ms if self._stage_ms is not None else t_ms)) / 1000.0

    def _start_trials(self, t_ms: int) -> None:
        self._enter(Stage.TRIAL, t_ms)
        self._new_attempt(t_ms)

    def _new_attempt(self, t_ms: int) -> None:
        d = self._dirs[self._index]
        d.attempt = _Attempt(t_ms)
        self._guard.reset()
        self._rate = RateMeter(0.25)

    def _next_direction(self, t_ms: int) -> None:
        self._index += 1
        if self._index >= len(self._dirs):
            self._enter(Stage.RESULT, t_ms)
        else:
            self._enter(Stage.INSTRUCT, t_ms)
            if self._timing.instruction_s == 0:
                self._start_trials(t_ms)

    def _announce(self, t_ms: int) -> list[MeasureAction]:
        if self.stage is Stage.RESULT:
            actions = self.end("completed")
            return [self._say("done", "The test is done: your results are on the screen", t_ms)] + actions
        spec = self._dirs[self._index].spec
        return [self._say("instruction", f"{spec.label}. {spec.instruction}", t_ms)]

    def _close_direction(self, status: str | None) -> list[MeasureAction]:
        if self._index < 0 or self._index >= len(self._dirs) or self._results[self._index] is not None:
            return []
        result = self._dirs[self._index].result(status)
        self._results[self._index] = result
        return [DirectionDone(result)]

    def _answer(self, pain: bool) -> None:
        """The answer to "did that hurt?" about the direction just measured."""
        d = self._dirs[self._index]
        d.pain = pain
        result = self._results[self._index]
        if result is not None:
            self._results[self._index] = DirectionResult(result.direction, result.status, result.trials,
                                                         result.reason, pain, result.too_fast, result.circles)

    def _say(self, kind: str, text: str, t_ms: int) -> Prompt:
        self._message = text
        return Prompt(kind, text, t_ms)

    # -- output --------------------------------------------------------------------------------

    def report(self) -> MeasureReport:
        """The test so far (directions not reached are ``not-tested``)."""
        dirs = tuple(r if r is not None else DirectionResult(d.spec.id) for d, r in zip(self._dirs, self._results))
        return MeasureReport(self._started_at, self._source, self.ended_by or "interrupted", dirs,
                             self._calibrated)

    def screen(self) -> MeasureScreen:
        """What to show now."""
        stage, reading = self.stage, self._reading
        status = None
        if reading is not None and not reading.usable and stage in (Stage.TRIAL, Stage.CALIBRATE):
            status = tracking_text(reading.angles.tracking.value)
        base = MeasureScreen(stage, count=len(self._dirs), trials=self._trials, message=self._message,
                             status_line=status)
        if stage is Stage.SETUP:
            return replace(base, setup=self._setup.check, setup_progress=self._setup.progress)
        if stage is Stage.CALIBRATE:
            hint = reading.calibration_hint if reading is not None else None
            progress = reading.calibration_progress if reading is not None else 0.0
            return replace(base, calibration_progress=progress, calibration_problem=status or hint)
        if stage in (Stage.RESULT, Stage.STOPPED):
            return replace(base, report=self.report(), stop_text=self._stop_text)
        if 0 <= self._index < len(self._dirs):
            d = self._dirs[self._index]
            value = None
            if reading is not None and reading.usable:
                value = d.spec.sign * axis_value(reading.angles, d.spec.axis)
            hold = 0.0
            if d.attempt is not None and d.attempt.best is not None:
                hold = 1.0
            elif d.attempt is not None and len(d.attempt.window) >= 2:
                w = d.attempt.window
                vals = [s.value for s in w]
                if max(vals) - min(vals) <= self._rule.band[d.spec.unit]:
                    hold = min(1.0, (w[-1].t_ms - w[0].t_ms) / (self._rule.hold_s * 1000.0))
            values = tuple(t.value for t in d.trials if t.value is not None)
            return replace(base, direction=d.spec, index=self._index, trial=min(len(d.trials) + 1, self._trials),
                         value=value, values=values, hold_progress=hold)
        return base
