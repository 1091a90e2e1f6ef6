"""The guided flow's types: its stages, timing and keys, what goes in (`Seen`) and what comes
out (`Screen` and the actions). `coach.coaching.flow` re-exports them all; import them from there.

Pure: no cv2, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import TypeVar

from coach.angles.setup_check import SetupCheck
from coach.coaching.chain import Reading
from coach.coaching.engine import EngineView, Event
from coach.coaching.exercise import Exercise
from coach.coaching.rangecheck import RangeCheckView
from coach.coaching.report import ExerciseResult, ExerciseRun

# -- stages, timing, keys ------------------------------------------------------------------------


class Stage(str, Enum):
    """Where the guided session is."""

    SETUP = "setup"
    CALIBRATE = "calibrate"
    INSTRUCT = "instruct"
    RANGE_CHECK = "range-check"  # today's comfortable range per side (`coach.coaching.rangecheck`)
    EXERCISE = "exercise"
    RESULT = "result"
    PAIN_STOP = "pain-stop"
    SUMMARY = "summary"


@dataclass(frozen=True)
class FlowTiming:
    """How long the guided-flow screens stay up, in seconds of frame time.

    Attributes:
        setup_ok_s: The setup check must pass this long before calibration starts.
        instruction_s: The instruction card before each exercise (the person reads it).
        result_s: The per-exercise result card.
        range_result_s: The range check's outcome ("your target today: ...") before coaching.
    """

    setup_ok_s: float = 1.0
    instruction_s: float = 8.0
    result_s: float = 5.0
    range_result_s: float = 4.0

    def __post_init__(self) -> None:
        for name in ("setup_ok_s", "instruction_s", "result_s", "range_result_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0.0 <= v <= 120.0):
                raise ValueError(f"{name} must be within 0..120 s, got {v}")


#: A recording checked afterwards has no one to read cards: coach from the first usable frame.
HEADLESS_TIMING = FlowTiming(setup_ok_s=0.5, instruction_s=0.0, result_s=0.0, range_result_s=0.0)


class Key(str, Enum):
    """What a key press asks for."""

    PAUSE = "pause"
    RECALIBRATE = "recalibrate"
    NEXT = "next"
    MUTE = "mute"
    PAIN = "pain"
    QUIT = "quit"


_KEYS: Mapping[int, Key] = MappingProxyType({
    32: Key.PAUSE, ord("c"): Key.RECALIBRATE, ord("n"): Key.NEXT, ord("m"): Key.MUTE,
    ord("p"): Key.PAIN, ord("q"): Key.QUIT, 27: Key.QUIT,
})


K = TypeVar("K", bound=Enum)


def key_code(code: int | None) -> int | None:
    """A `cv2.waitKey` code as the character code its key binding uses (None: no key)."""
    if code is None or code < 0:
        return None
    code &= 0xFF
    if ord("A") <= code <= ord("Z"):
        code += 32  # caps lock should not disable the keys
    return code


def bound_key(code: int | None, bindings: Mapping[int, K]) -> K | None:
    """The key ``bindings`` give a `cv2.waitKey` code (None for no key or an unbound one)."""
    char = key_code(code)
    return None if char is None else bindings.get(char)


def key_for(code: int | None) -> Key | None:
    """Map a `cv2.waitKey` code to a `Key` (None for no key or an unbound one)."""
    return bound_key(code, _KEYS)


# -- what goes in, what comes out --------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One frame as the flow sees it.

    Attributes:
        reading: The angles stage's reading (angles, calibration state and hint, people).
        setup: The setup check of the frame (person, ears and shoulders, distance, light).
    """

    reading: Reading
    setup: SetupCheck = SetupCheck(())


@dataclass(frozen=True)
class Screen:
    """What to show now (read-only; `coach.ui.display` draws it).

    Attributes:
        stage: The stage; its card, or the coaching overlay for `Stage.EXERCISE`.
        index: The exercise (0-based) the session is at.
        count: Exercises in the session.
        paused: Show PAUSED.
        status_line: What keeps coaching from working (tracking, two people, the camera).
        stalled: No new frame came: the last picture is shown again with the status line.
        view: The engine's view while coaching.
        setup: The setup check (setup stage) and how long it has passed, 0..1.
        setup_progress: See ``setup``.
        calibration_progress: 0..1 of the neutral calibration.
        calibration_problem: Why the calibration does not progress (the status line, else
            the tracker's hint, e.g. "Look straight ahead"), or None.
        exercise: The exercise of the instruction card.
        targets: Its targets line (`coach.store.targets.TargetSuggestion.describe`) on the instruction
            card; while coaching, today's targets per side after a range check, or "".
        range_check: The range check's card (`Stage.RANGE_CHECK`).
        why: Why no exercise has started yet (the failing setup check, the angle that makes the
            neutral implausible), or None.
        run: The exercise just ended (result and pain-stop cards).
        runs: The exercises started so far (summary).
    """

    stage: Stage
    index: int = 0
    count: int = 1
    paused: bool = False
    status_line: str | None = None
    stalled: bool = False
    view: EngineView | None = None
    setup: SetupCheck | None = None
    setup_progress: float = 0.0
    calibration_progress: float = 0.0
    calibration_problem: str | None = None
    exercise: Exercise | None = None
    targets: str = ""
    run: ExerciseRun | None = None
    runs: tuple[ExerciseRun, ...] = ()
    range_check: RangeCheckView | None = None
    why: str | None = None


@dataclass(frozen=True)
class Recalibrate:
    """Measure the neutral pose again (`coach.coaching.chain.Reader.recalibrate`)."""


@dataclass(frozen=True)
class SaveCalibration:
    """A neutral pose was just measured: store it in the history."""


@dataclass(frozen=True)
class StartExercise:
    """Exercise ``index`` starts, coached with ``targets``: open its run in the history.

    ``side_targets`` (``{side: {axis: threshold}}``) and ``range_check`` (each side's check as
    plain data) are today's range check, empty without one; the history keeps them with the
    targets (`record`).
    """

    index: int
    exercise_id: str
    targets: Mapping[str, float]
    side_targets: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    range_check: tuple[Mapping[str, object], ...] = ()

    def record(self) -> dict:
        """The targets as the history stores them."""
        out: dict = dict(self.targets)
        if self.side_targets:
            out["by_side"] = {s: dict(v) for s, v in self.side_targets.items()}
        if self.range_check:
            out["range_check"] = [dict(r) for r in self.range_check]
        return out


@dataclass(frozen=True)
class Coached:
    """Engine events of exercise ``index``: sound them, store what the history keeps.

    ``t0_ms`` is the exercise's start on the flow clock (stored times are relative to it).
    """

    index: int
    events: tuple[Event, ...]
    t0_ms: int


@dataclass(frozen=True)
class FinishExercise:
    """Exercise ``index`` ended: store its result."""

    index: int
    result: ExerciseResult


@dataclass(frozen=True)
class ToggleMute:
    """Sound off (or on again)."""


@dataclass(frozen=True)
class EndSession:
    """The session is over: store how it ended."""

    ended_by: str


@dataclass(frozen=True)
class Show:
    """Draw this frame's screen."""

    screen: Screen


Action = (Recalibrate | SaveCalibration | StartExercise | Coached | FinishExercise | ToggleMute | EndSession
          | Show)
