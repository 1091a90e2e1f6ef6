"""The hold timer: the hold in progress, its clock, ticks, counted and release moments, the
peaks reached, and the record it leaves. Pure python, no clock (times are arguments); the
engine (`coach.coaching.engine`) decides when a hold starts and ends.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from coach.angles.headpose import HeadAngles
from coach.coaching.checks import axis_value
from coach.coaching.engine_types import Event, EventKind, HoldRecord
from coach.coaching.exercise import Exercise


@dataclass
class Hold:
    """The hold in progress (mutable, private to the engine)."""

    side: str
    start_ms: int
    good_ms: float = 0.0  # time held in target with good form (drop-outs within grace included)
    ticks: int = 0
    min_reached: bool = False
    released: bool = False
    fault: str | None = None
    peak: float = -math.inf
    peak_by_axis: dict[str, float] = field(default_factory=dict)

    def advance(self, ex: Exercise, t_ms: int, dt_ok_ms: int, angles: HeadAngles, side: str, form_ok: bool,
                fmt: Callable[[str], str]) -> list[Event]:
        """One frame in the target: the peaks, and with good form the clock and its events
        (``fmt`` fills a message template in)."""
        h = self
        events: list[Event] = []
        for t in ex.targets:
            v = axis_value(angles, t.axis) * t.sign(side)
            h.peak_by_axis[t.axis] = max(h.peak_by_axis.get(t.axis, -math.inf), v)
        h.peak = h.peak_by_axis[ex.main_target.axis]
        if not form_ok:
            return events  # paused: the fault message says what to fix
        h.good_ms += dt_ok_ms
        whole_s = int(min(h.good_ms, ex.hold_max_s * 1000.0) // 1000)
        while h.ticks < whole_s:
            h.ticks += 1
            events.append(Event(EventKind.HOLD_TICK, t_ms, side=side, value=float(h.ticks)))
        if not h.min_reached and h.good_ms >= ex.hold_min_s * 1000.0:
            h.min_reached = True
            events.append(Event(EventKind.HOLD_MIN_REACHED, t_ms, side=side, value=h.good_ms / 1000.0,
                                message=fmt(ex.messages.counted)))
        if not h.released and h.good_ms >= ex.hold_max_s * 1000.0:
            h.released = True
            text = fmt(ex.messages.release)
            events.append(Event(EventKind.HOLD_RELEASE, t_ms, side=side, value=h.good_ms / 1000.0, message=text))
        return events

    def record(self, t0_ms: int, void_fault: str | None = None) -> HoldRecord:
        """The record of the hold ended now: counted once ``hold_min_s`` was reached, unless
        voided with ``void_fault``; times relative to the exercise's start ``t0_ms``."""
        h = self
        counted = h.min_reached and void_fault is None
        return HoldRecord(
            side=h.side,
            start_s=(h.start_ms - t0_ms) / 1000.0,
            held_s=round(h.good_ms / 1000.0, 3),
            peak_deg=h.peak if math.isfinite(h.peak) else 0.0,
            counted=counted,
            fault=void_fault or h.fault,
            peak_by_axis={k: v for k, v in h.peak_by_axis.items() if math.isfinite(v)},
        )
