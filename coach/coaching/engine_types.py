"""The engine's types: what it hands out (phases, events, hold records, gauges, messages and its
read-only view) and the timing config it takes. `coach.coaching.engine` re-exports them all; import them
from there.

CONTRACT (used by overlay, audio, session and history; keep these types and their fields, you
may add fields with defaults): `Phase`, `EventKind`, `Event`, `Gauge`, `Message`, `EngineView`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from coach.coaching.safety import CircleGuardConfig


class Phase(str, Enum):
    """Where the person is in the current rep."""

    WAITING_CALIBRATION = "waiting-calibration"
    READY = "ready"
    MOVING = "moving"
    IN_TARGET = "in-target"
    HOLDING = "holding"
    RETURNING = "returning"
    REP_DONE = "rep-done"
    FINISHED = "finished"  # all reps on all sides done


class EventKind(str, Enum):
    """What happened. Audio maps each kind to a distinct cue; history stores holds and safety."""

    CALIBRATED = "calibrated"
    HOLD_STARTED = "hold-started"
    HOLD_TICK = "hold-tick"  # once per whole second of a running hold
    HOLD_MIN_REACHED = "hold-min-reached"  # the hold now counts (>= hold_min_s)
    HOLD_RELEASE = "hold-release"  # hold_max_s reached: tell the person to come back
    HOLD_DONE = "hold-done"  # a hold ended (counted or not); `hold` is filled
    # A hold that had ended counted is void after all (a head circle before its rep was
    # counted); `hold` is the record again, now uncounted with the fault that voided it.
    HOLD_VOIDED = "hold-voided"
    REP_COUNTED = "rep-counted"
    WRONG_SIDE = "wrong-side"
    FAULT = "fault"  # form fault; `fault` names it, `message` says what to fix
    SAFETY_STOP = "safety-stop"  # e.g. a full head circle; `fault` = "head-circle"
    TRACKING_LOST = "tracking-lost"
    TRACKING_RESTORED = "tracking-restored"
    SIDE_DONE = "side-done"
    EXERCISE_DONE = "exercise-done"


class Priority(int, Enum):
    """Message priority: only the highest-priority current message is shown/spoken."""

    PRAISE = 0
    GUIDANCE = 1
    FORM = 2
    SAFETY = 3


@dataclass(frozen=True)
class HoldRecord:
    """One hold, as it goes into the report and the history."""

    side: str  # "right", "left" or "center"
    start_s: float  # seconds since the exercise started
    held_s: float
    peak_deg: float  # peak of the exercise's main target axis (cm for retraction)
    counted: bool
    fault: str | None = None
    peak_by_axis: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """Something the engine noticed at time ``t_ms``."""

    kind: EventKind
    t_ms: int
    side: str | None = None
    message: str = ""
    fault: str | None = None  # fault/safety kind, e.g. "pitch-during-rotation", "head-circle"
    value: float | None = None  # e.g. hold seconds for HOLD_TICK
    hold: HoldRecord | None = None  # for HOLD_DONE


@dataclass(frozen=True)
class Gauge:
    """One axis the overlay draws: current value and the target zone."""

    axis: str  # "yaw", "roll", "pitch" or "retraction"
    unit: str  # "deg" or "cm"
    value: float | None  # None when tracking is lost
    target_min: float  # the zone that counts, in the axis' signed units for the current side
    target_max: float
    limit_min: float  # whole gauge range
    limit_max: float


@dataclass(frozen=True)
class Message:
    """The one coaching message to show now."""

    text: str
    priority: Priority


@dataclass(frozen=True)
class EngineView:
    """A read-only snapshot of the engine for the overlay (and tests)."""

    exercise_id: str
    exercise_name: str
    phase: Phase
    side: str | None  # the side to work now ("right", "left", "center"); None when finished
    reps: dict[str, int]  # per side
    reps_target: int  # per side
    hold_s: float  # current hold time (0 when not holding)
    hold_min_s: float
    hold_max_s: float
    gauges: tuple[Gauge, ...]
    message: Message | None
    safety_stop: bool  # a STOP banner is active
    tracking_ok: bool
    instruction: str = ""
    faults: tuple[str, ...] = ()  # form faults active now
    hold_counted: bool = False  # the current/last hold already counts (>= hold_min_s)
    wrong_side: bool = False  # the person is working the other side
    swept_deg: float = 0.0  # circle guard: net swept angle of the current movement


# -- the state machine's config ------------------------------------------------------------------


@dataclass(frozen=True)
class EngineConfig:
    """Timing and tolerances of the state machine (the exercise file holds the angles).

    Attributes:
        dwell_s: A target-zone change must persist this long before it is believed; together
            with the enter/exit hysteresis of the targets this prevents phantom holds from
            jitter at a zone edge.
        neutral_dwell_s: The same for arriving at / leaving the neutral zone.
        fault_dwell_s: A form fault must persist this long to be reported (and to clear).
        grace_s: Tracking drop-outs up to this long do not end a hold; the gap counts as held.
        wrong_side_fraction: Moving the main axis this fraction of its threshold toward the
            other side is "wrong side".
        speed_window_s: Speed is measured over this window (long enough to average out jitter).
        flash_s: How long event messages (praise, "hold longer", "slowly") stay on screen.
        safety_hold_s: Minimum time the STOP banner stays up after a head circle.
        fault_repeat_s: Minimum time between two "too fast" reports.
        circle: Circle guard tuning.
    """

    dwell_s: float = 0.25
    neutral_dwell_s: float = 0.3
    fault_dwell_s: float = 0.3
    grace_s: float = 0.5
    wrong_side_fraction: float = 0.6
    speed_window_s: float = 0.25
    flash_s: float = 2.5
    safety_hold_s: float = 3.0
    fault_repeat_s: float = 3.0
    circle: CircleGuardConfig = field(default_factory=CircleGuardConfig)

    def __post_init__(self) -> None:
        for name in ("dwell_s", "neutral_dwell_s", "fault_dwell_s", "grace_s", "speed_window_s"):
            if not 0.0 <= getattr(self, name) <= 5.0:
                raise ValueError(f"{name} must be in [0, 5] s, got {getattr(self, name)}")
        if not 0.1 <= self.wrong_side_fraction <= 1.0:
            raise ValueError(f"wrong_side_fraction must be in [0.1, 1], got {self.wrong_side_fraction}")
