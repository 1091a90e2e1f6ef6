"""The rep/hold state machine: torso-relative head angles in, coaching events out.

CONTRACT (used by overlay, audio, session and history; keep these types and their fields, you
may add fields with defaults): `Phase`, `EventKind`, `Event`, `Gauge`, `Message`, `EngineView`.
The engine never draws, speaks or reads the clock: time is always an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


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
