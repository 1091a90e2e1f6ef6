"""Today's comfortable range, checked before an exercise: a personal target per side.

Before an exercise the person moves, one side at a time, "only as far as is comfortable, never
into pain" and holds still for `RangeCheckConfig.hold_s`. Today's target for that side is the
smaller of the planned target (the exercise file's, the profile's or the ``--adaptive`` one) and
`RangeCheckConfig.fraction` of the range held: a hold must be sustainable a little inside the
person's end range, with the target's hysteresis below it. So a stiff neck gets targets it can
hold, and neither ``--adaptive`` nor ``--profile`` ever asks for more than the check found.

A failed check is told from a small range:

* tracking lost most of the time, or the person never left the neutral zone: the check is
  repeated once; failed twice, the planned target stays and the card says why;
* a range held still beyond the neutral zone is a real range, however small: it is accepted
  and the card says so; where it is very small for that direction
  (`RangeCheckConfig.very_small_fraction` of the file's target) the advice to see a provider
  is shown;
* the pain key during the check lowers that side's target (`RangeCheckConfig.pain_fraction` of
  where the pain came) instead of repeating the check.

The check measures the exercise's first open-ended target ("go further": yaw of a rotation,
roll of a lateral flexion, pitch of the levator stretch); an exercise file turns it off with
``range_check = false`` (the chin tuck, until its retraction reading works).

Pure python: no cv2, no clock (times are arguments).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from coach.coaching.chain import Reading
from coach.coaching.checks import axis_value
from coach.coaching.exercise import AXIS_UNITS, Exercise, Target, side_label
from coach.coaching.prompts import fill
from coach.texts import PROVIDER_TEXT, RANGE_CHECK_TEXT

#: The smallest step of a target in each unit (a target is kept this far above its floor).
_STEP = {"deg": 1.0, "cm": 0.1}


@dataclass(frozen=True)
class RangeCheckConfig:
    """How the range check runs.

    Attributes:
        hold_s: The comfortable end position must be held still this long.
        steady_deg: Held still: every value within this of the others' middle (degrees).
        steady_cm: The same for retraction (cm).
        side_s: Time for one try at a side (move there and hold still).
        return_s: After a side, at most this long to come back before the next side.
        fraction: Today's target is at most this fraction of the range held.
        pain_fraction: A pain key during the check: the target is at most this fraction of
            where the pain came.
        very_small_fraction: A range below this fraction of the exercise file's target is very
            small for that direction: the advice to see a provider is shown.
        min_tracked_fraction: A try tracked less than this fraction of its time failed because
            tracking was lost (not because the range is small).
    """

    hold_s: float = 2.0
    steady_deg: float = 3.0
    steady_cm: float = 0.3
    side_s: float = 10.0
    return_s: float = 3.0
    fraction: float = 0.85
    pain_fraction: float = 0.7
    very_small_fraction: float = 0.5
    min_tracked_fraction: float = 0.5

    def __post_init__(self) -> None:
        for name in ("hold_s", "side_s", "return_s"):
            if not 0.0 < getattr(self, name) <= 120.0:
                raise ValueError(f"{name} must be in (0, 120] s, got {getattr(self, name)}")
        if self.hold_s >= self.side_s:
            raise ValueError(f"hold_s ({self.hold_s}) must be < side_s ({self.side_s})")
        for name in ("fraction", "pain_fraction", "very_small_fraction", "min_tracked_fraction"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")


class RangeStatus(str, Enum):
    """How one side's check ended."""

    PASSED = "passed"  # the planned target is within today's range
    SMALL = "small"  # a real but smaller range: today's target is lowered to it
    VERY_SMALL = "very-small"  # small for that direction: see a provider
    PAIN = "pain"  # the pain key: the target is lowered below where the pain came
    FAILED = "failed"  # tracking lost or no movement, twice: the planned target stays


@dataclass(frozen=True)
class SideRange:
    """One side's checked range and today's target for it.

    Attributes:
        side: "right", "left" or "center".
        axis: The axis checked.
        unit: "deg" or "cm".
        range: The range held (side-signed), or None when it could not be measured.
        target: Today's threshold for the side.
        status: How the check ended.
        tries: 1, or 2 when the first try failed.
        message: What the person was told about it.
    """

    side: str
    axis: str
    unit: str
    range: float | None
    target: float
    status: RangeStatus
    tries: int
    message: str

    def to_json(self) -> dict:
        """The side's check as plain data (report and history)."""
        return {"side": self.side, "axis": self.axis, "unit": self.unit,
                "range": None if self.range is None else round(self.range, 2),
                "target": round(self.target, 2), "status": self.status.value, "tries": self.tries,
                "message": self.message}


@dataclass(frozen=True)
class RangeCheckView:
    """What the range-check card shows now.

    Attributes:
        side: The side being checked (None once done).
        prompt: What to do now.
        progress: 0..1 of the still hold.
        value: The side-signed value now (None when not tracked).
        unit: Its unit.
        note: Why a try is repeated, or the last side's outcome.
        results: The sides checked so far.
        advice: The advice to see a provider, when a range was very small.
    """

    side: str | None
    prompt: str
    progress: float
    value: float | None
    unit: str
    note: str | None
    results: tuple[SideRange, ...]
    advice: str | None = None


def checked_target(exercise: Exercise) -> Target | None:
    """The target the range check measures: the first open-ended one, or None (bands only)."""
    return next((t for t in exercise.targets if t.max is None), None)


def _fmt(value: float, unit: str) -> str:
    return f"{value:.1f}" if unit == "cm" else f"{value:.0f}"


def targets_line(results: tuple[SideRange, ...]) -> str:
    """E.g. "Your target today: 48 deg right, 60 left" ("" without results)."""
    if not results:
        return ""
    parts = [f"{_fmt(r.target, r.unit)} {r.unit}" + (f" {r.side}" if r.side != "center" else "")
             for r in results]
    if len(parts) > 1:  # the unit once: "48 deg right, 60 left"
        unit = results[0].unit
        parts = [parts[0]] + [p.replace(f" {unit}", "", 1) for p in parts[1:]]
    return "Your target today: " + ", ".join(parts)


class RangeCheck:
    """The range check of one exercise: readings in, today's target per side out.

    Args:
        exercise: The exercise (as its file says: its thresholds are the reference for "very
            small").
        planned: ``{axis: threshold}`` the exercise would be coached with (file, profile or
            ``--adaptive``); today's targets never exceed them.
        t_ms: When the check starts (flow time).
        config: Timing and fractions.
    """

    def __init__(self, exercise: Exercise, planned: Mapping[str, float], t_ms: int,
                 config: RangeCheckConfig = RangeCheckConfig()) -> None:
        self.exercise, self.config = exercise, config
        self.target = checked_target(exercise)
        self._planned = dict(planned)
        self._sides = list(exercise.sides) if self.target is not None and exercise.range_check else []
        self._results: list[SideRange] = []
        self._note: str | None = None
        #: Why the side's last try failed ("no movement to the RIGHT was seen"...), or None.
        self.last_failure: str | None = None
        self._start_try(t_ms, tries=1)
        self.done_ms: int | None = None if self._sides else int(t_ms)

    # -- state ---------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once every side is checked (at once for an exercise without a check)."""
        return self.done_ms is not None

    @property
    def results(self) -> tuple[SideRange, ...]:
        """The sides checked so far."""
        return tuple(self._results)

    def side_targets(self) -> dict[str, dict[str, float]]:
        """``{side: {axis: today's threshold}}`` of the sides checked."""
        return {r.side: {r.axis: r.target} for r in self._results}

    @property
    def _side(self) -> str | None:
        return self._sides[len(self._results)] if len(self._results) < len(self._sides) else None

    def _unit(self) -> str:
        return AXIS_UNITS[self.target.axis] if self.target is not None else "deg"

    def _neutral(self) -> float:
        assert self.target is not None
        return self.exercise.neutral.limits().get(self.target.axis, 0.0)

    def _start_try(self, t_ms: int, *, tries: int) -> None:
        self._tries, self._try_ms = tries, int(t_ms)
        self._returning_ms: int | None = None
        self._window: deque[tuple[int, float]] = deque()
        self._tracked_ms = 0.0
        self._last_ms: int | None = None
        self._peak: float | None = None
        self._value: float | None = None

    # -- per frame -------------------------------------------------------------------------------

    def step(self, t_ms: int, reading: Reading) -> None:
        """One frame of the check (flow time, pause-free)."""
        if self.done or self.target is None:
            return
        t_ms = int(t_ms)
        if self._returning_ms is not None:
            # Coming back from the side just checked (its result is in already).
            back = reading.usable and abs(axis_value(reading.angles, self.target.axis)) <= self._neutral()
            if back or t_ms - self._returning_ms >= self.config.return_s * 1000.0:
                self._next_side(t_ms)
            return
        side = self._side
        assert side is not None
        dt_ms = 0 if self._last_ms is None else max(0, t_ms - self._last_ms)
        self._last_ms = t_ms
        value = axis_value(reading.angles, self.target.axis) * self.target.sign(side) if reading.usable else None
        self._value = value
        if value is None:
            self._window.clear()  # the still hold must be seen, not guessed across a gap
        else:
            self._tracked_ms += dt_ms
            if value > self._neutral():
                self._peak = value if self._peak is None else max(self._peak, value)
                self._add(t_ms, value)
            else:
                self._window.clear()
        if self._steady():
            values = sorted(v for _, v in self._window)
            self._finish_side(t_ms, values[len(values) // 2], RangeStatus.PASSED)
        elif t_ms - self._try_ms >= self.config.side_s * 1000.0:
            self._failed(t_ms)

    def pain(self, t_ms: int) -> None:
        """The pain key during the check: lower that side's target instead of repeating."""
        if self.done:
            return
        if self._returning_ms is not None and self._results:
            # Pain on the way back from the end position: the side just checked is lowered.
            last = self._results.pop()
            back_at = last.range if last.range is not None else last.target
            self._results.append(self._pain_result(last.side, back_at, last.tries))
            return
        side = self._side
        if side is None:  # every side checked already
            return
        at = self._value if self._value is not None and self._value > self._neutral() else self._peak
        self._results.append(self._pain_result(side, at, self._tries))
        self._returning_ms = int(t_ms)

    # -- pieces ------------------------------------------------------------------------------------

    def _add(self, t_ms: int, value: float) -> None:
        win = self._window
        win.append((t_ms, value))
        tol = 2.0 * (self.config.steady_cm if self._unit() == "cm" else self.config.steady_deg)
        # Keep the longest recent run that is still: drop the oldest while the spread is too big.
        while len(win) > 1 and max(v for _, v in win) - min(v for _, v in win) > tol:
            win.popleft()
        while len(win) > 2 and t_ms - win[1][0] >= self.config.hold_s * 1000.0:
            win.popleft()

    def _steady(self) -> bool:
        win = self._window
        return len(win) >= 3 and win[-1][0] - win[0][0] >= self.config.hold_s * 1000.0

    def hold_progress(self) -> float:
        """0..1 of the still hold at the side's end position."""
        win = self._window
        if len(win) < 2:
            return 0.0
        return min(1.0, (win[-1][0] - win[0][0]) / (self.config.hold_s * 1000.0))

    def _failed(self, t_ms: int) -> None:
        side = self._side
        assert side is not None and self.target is not None
        span_ms = max(1.0, t_ms - self._try_ms)
        if self._tracked_ms / span_ms < self.config.min_tracked_fraction:
            why = "tracking was lost"
        elif self._peak is None:
            why = f"no movement to the {side_label(side) or 'target'} was seen"
        else:
            why = "the position was not held still"
        self.last_failure = why
        if self._tries == 1:
            self._note = f"Once more ({why}): {self._prompt(side)}"
            self._start_try(t_ms, tries=2)
            return
        if self._peak is not None:
            # It moved but never held still: what it reached is still a range (a small one).
            self._finish_side(t_ms, self._peak, RangeStatus.PASSED)
            return
        planned = self._planned.get(self.target.axis, self.target.threshold)
        msg = f"{side_label(side) or 'Range'} check not done ({why}): coaching with the usual target"
        self._results.append(SideRange(side, self.target.axis, self._unit(), None, planned, RangeStatus.FAILED,
                                       self._tries, msg))
        self._note = msg
        self._next_side(t_ms)

    def _finish_side(self, t_ms: int, held: float, status: RangeStatus) -> None:
        side = self._side
        assert side is not None and self.target is not None
        unit = self._unit()
        planned = self._planned.get(self.target.axis, self.target.threshold)
        target = self._clamp(self.config.fraction * held, planned)
        label = side_label(side) or "Your"
        if held < self.config.very_small_fraction * self.target.threshold:
            status = RangeStatus.VERY_SMALL
            msg = (f"{label} range today {_fmt(held, unit)} {unit}: very small for this direction, "
                   f"target {_fmt(target, unit)} {unit}")
        elif target < planned:
            status = RangeStatus.SMALL
            msg = (f"{label} range today {_fmt(held, unit)} {unit}: a smaller range today, "
                   f"target {_fmt(target, unit)} {unit}")
        else:
            msg = f"{label} range today {_fmt(held, unit)} {unit}: target {_fmt(target, unit)} {unit}"
        self._results.append(SideRange(side, self.target.axis, unit, held, target, status, self._tries, msg))
        self._note = msg
        self._returning_ms = int(t_ms)

    def _pain_result(self, side: str, at: float | None, tries: int) -> SideRange:
        assert self.target is not None
        unit = self._unit()
        planned = self._planned.get(self.target.axis, self.target.threshold)
        target = self._clamp(self.config.pain_fraction * at if at is not None else 0.0, planned)
        msg = (f"Pain: {side_label(side) or 'your'} target today lowered to {_fmt(target, unit)} {unit}. "
               "Stop if the pain goes on.")
        self._note = msg
        return SideRange(side, self.target.axis, unit, at, target, RangeStatus.PAIN, tries, msg)

    def _clamp(self, value: float, planned: float) -> float:
        """At most the planned target, and above the floor where holding and returning could
        no longer be told apart (`coach.coaching.exercise.Exercise.threshold_bounds`)."""
        assert self.target is not None
        floor, _ = self.exercise.threshold_bounds(self.target)
        low = floor + _STEP.get(self._unit(), 1.0)
        return round(min(planned, max(value, low)), 2) if planned > low else planned

    def _next_side(self, t_ms: int) -> None:
        if len(self._results) >= len(self._sides):
            self.done_ms = int(t_ms)
            return
        self.last_failure = None  # a new side: nothing of it has failed yet
        self._start_try(t_ms, tries=1)

    # -- view --------------------------------------------------------------------------------------

    def _prompt(self, side: str) -> str:
        go = fill(self.exercise, self.exercise.messages.go, side, 0)
        return f"{go}: {RANGE_CHECK_TEXT}. Hold still {self.config.hold_s:g} s."

    def view(self) -> RangeCheckView:
        """What the card shows now."""
        side = self._side
        if self.done or side is None:
            prompt = targets_line(self.results)
        elif self._returning_ms is not None:
            prompt = "Come back slowly to face forward"
        else:
            prompt = self._prompt(side)
        very_small = any(r.status is RangeStatus.VERY_SMALL for r in self._results)
        value = self._value if self._value is not None and math.isfinite(self._value) else None
        return RangeCheckView(None if self.done else side, prompt, self.hold_progress(), value, self._unit(),
                              self._note, self.results, PROVIDER_TEXT if very_small else None)
