"""The values `coach.coaching.measure.MeasureFlow` hands out: its stages, actions and the screen to draw.

Pure data (frozen dataclasses), re-exported by `coach.coaching.measure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from coach.angles.setup_check import SetupCheck
from coach.coaching.flow import Recalibrate, SaveCalibration, ToggleMute
from coach.coaching.measure_report import DirectionResult, DirectionSpec, MeasureReport


class Stage(str, Enum):
    """Where the test is."""

    SAFETY = "safety"
    SETUP = "setup"
    CALIBRATE = "calibrate"
    INSTRUCT = "instruct"
    TRIAL = "trial"
    ASK_PAIN = "ask-pain"
    STOPPED = "stopped"
    RESULT = "result"


# -- actions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """Say something (sound, and speech with ``--voice``).

    ``kind``: ``instruction`` (a direction or trial starts), ``held`` (the plateau is measured:
    come back slowly), ``slowly`` (the speed limit), ``stop`` (a head circle, pain or symptoms),
    ``ask`` (did that hurt?), ``done`` (the test is over).
    """

    kind: str
    text: str
    t_ms: int


@dataclass(frozen=True)
class DirectionDone:
    """A direction ended (measured, unreliable, skipped or stopped)."""

    result: DirectionResult


@dataclass(frozen=True)
class EndTest:
    """The test is over: store and show ``report`` (also when it was cut short)."""

    report: MeasureReport


@dataclass(frozen=True)
class MeasureScreen:
    """What to show now (read-only).

    Attributes:
        stage: The stage.
        direction: The direction being asked, or None.
        index: Its position (0-based) and ``count`` the directions in the test.
        count: See ``index``.
        trial: The trial in progress (1-based) and ``trials`` per direction.
        trials: See ``trial``.
        value: The live reading in the direction's sense (None: not usable).
        values: The trials measured so far in this direction.
        hold_progress: 0..1 of the plateau's second held still.
        message: The latest cue's text.
        status_line: Why the reading is not usable now, or None.
        setup: The setup check (setup stage) and its progress.
        setup_progress: See ``setup``.
        calibration_progress: 0..1.
        calibration_problem: Why the calibration does not progress, or None.
        stop_text: The advice of a pain or symptoms stop.
        report: The result so far (result and stopped stages).
    """

    stage: Stage
    direction: DirectionSpec | None = None
    index: int = 0
    count: int = 0
    trial: int = 0
    trials: int = 3
    value: float | None = None
    values: tuple[float, ...] = ()
    hold_progress: float = 0.0
    message: str = ""
    status_line: str | None = None
    setup: SetupCheck | None = None
    setup_progress: float = 0.0
    calibration_progress: float = 0.0
    calibration_problem: str | None = None
    stop_text: tuple[str, ...] = ()
    report: MeasureReport | None = None


@dataclass(frozen=True)
class ShowMeasure:
    """Draw this frame's screen."""

    screen: MeasureScreen


MeasureAction = Recalibrate | SaveCalibration | ToggleMute | Prompt | DirectionDone | EndTest | ShowMeasure
