"""The attempt at a side in progress: time out of the neutral zone toward the side without
reaching the target, and the range reached. Pure python, no clock (times are arguments).

A stiff neck must never block an exercise (issue 15): when the person comes back without
having reached the target after `coach.coaching.engine_types.EngineConfig.attempt_min_s` out toward the
side, or stays out for ``attempt_max_s`` without reaching it, the engine records the attempt
(below target, not a rep), uses up one of the side's reps and moves on to the next side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from coach.coaching.engine_types import HoldRecord

#: The fault of an attempt's record: reported as below target, never as a rep.
BELOW_TARGET = "below-target"


@dataclass
class Attempt:
    """The attempt in progress (mutable, private to the engine)."""

    start_ms: int | None = None
    out_ms: float = 0.0  # time out of neutral toward the side, target not reached
    peak_by_axis: dict[str, float] = field(default_factory=dict)

    def reset(self) -> None:
        """Start a new attempt (the side changed, or the target was reached)."""
        self.start_ms, self.out_ms, self.peak_by_axis = None, 0.0, {}

    def add(self, t_ms: int, dt_ms: float, values: dict[str, float]) -> None:
        """One frame out toward the side: ``values`` are the targets' side-signed values."""
        if self.start_ms is None:
            self.start_ms = t_ms - int(dt_ms)
        self.out_ms += dt_ms
        for axis, v in values.items():
            if math.isfinite(v):
                self.peak_by_axis[axis] = max(self.peak_by_axis.get(axis, -math.inf), v)

    def out_s(self) -> float:
        """Seconds out toward the side so far in this attempt."""
        return self.out_ms / 1000.0

    def record(self, side: str, main_axis: str, t0_ms: int) -> HoldRecord:
        """The attempt as a hold record: uncounted, fault `BELOW_TARGET`, the range reached as
        its peaks, ``held_s`` the time spent out toward the side."""
        start_ms = self.start_ms if self.start_ms is not None else t0_ms
        return HoldRecord(side=side, start_s=(start_ms - t0_ms) / 1000.0, held_s=round(self.out_s(), 3),
                          peak_deg=self.peak_by_axis.get(main_axis, 0.0), counted=False, fault=BELOW_TARGET,
                          peak_by_axis=dict(self.peak_by_axis))
