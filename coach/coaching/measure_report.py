"""The range-of-motion test's result: directions, trials, arcs, symmetry and the change since the
last test, as typed frozen dataclasses with their JSON (what `coach measure --json` writes and
the history stores).

The directions the test asks for are defined here (`DIRECTIONS`), below the state machine
(`coach.coaching.measure`) that measures them and the writers that show them (`coach.ui.measure_html`).
Values are in each direction's own positive sense: 45 for a turn to the right and 45 for a turn
to the left, never -45. Pure python.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from coach.coaching.measure_sources import SDC

# -- the directions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectionSpec:
    """One direction of the test.

    Attributes:
        id: Stable id (report, history, ``--directions``).
        label: What the table calls it.
        axis: The head-angle axis (``yaw``, ``roll``, ``pitch``, ``retraction``).
        sign: +1 when the direction is the axis' positive sense (DESIGN.md conventions).
        instruction: What the person is asked, on screen and by voice.
        speed_exercise: The exercise whose speed limit applies while moving.
        optional: Offered gently and easy to skip (extension).
    """

    id: str
    label: str
    axis: str
    sign: float
    instruction: str
    speed_exercise: str
    optional: bool = False

    @property
    def unit(self) -> str:
        """``cm`` for the chin retraction, else ``deg``."""
        return "cm" if self.axis == "retraction" else "deg"


_COMFORT = "only as far as is comfortable, never into pain, and hold still there"
DIRECTIONS: tuple[DirectionSpec, ...] = (
    DirectionSpec("rotation-right", "Rotation right", "yaw", 1.0,
                  f"Turn your head to your RIGHT {_COMFORT}", "neck-rotation"),
    DirectionSpec("rotation-left", "Rotation left", "yaw", -1.0,
                  f"Turn your head to your LEFT {_COMFORT}", "neck-rotation"),
    DirectionSpec("lateral-right", "Lateral flexion right", "roll", 1.0,
                  f"Bring your RIGHT ear toward your right shoulder, shoulders down, {_COMFORT}",
                  "lateral-flexion"),
    DirectionSpec("lateral-left", "Lateral flexion left", "roll", -1.0,
                  f"Bring your LEFT ear toward your left shoulder, shoulders down, {_COMFORT}",
                  "lateral-flexion"),
    DirectionSpec("flexion", "Flexion (chin to chest)", "pitch", 1.0,
                  f"Bring your chin toward your chest {_COMFORT}", "levator-scapulae"),
    DirectionSpec("extension", "Extension (look up)", "pitch", -1.0,
                  f"Gently look up {_COMFORT}. Press s to skip this one", "levator-scapulae",
                  optional=True),
    DirectionSpec("retraction", "Chin retraction", "retraction", 1.0,
                  f"Glide your chin and head straight back, face level, {_COMFORT}", "chin-tuck"),
)
DIRECTION_BY_ID: Mapping[str, DirectionSpec] = MappingProxyType({d.id: d for d in DIRECTIONS})

#: Total arcs: name -> the two directions it adds up.
ARCS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "rotation": ("rotation-right", "rotation-left"),
    "lateral-flexion": ("lateral-right", "lateral-left"),
    "flexion-extension": ("flexion", "extension"),
})
#: Left/right pairs for the symmetry line.
PAIRS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "rotation": ("rotation-right", "rotation-left"),
    "lateral-flexion": ("lateral-right", "lateral-left"),
})

#: How a direction ended.
STATUSES = ("measured", "incomplete", "unreliable", "skipped", "pain", "not-tested")


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """One trial: the still plateau at the person's comfortable end range.

    Attributes:
        value: The median over the held second, in the direction's sense; None when the trial
            gave no reliable plateau.
        reason: Why not (``face-not-visible``, ``trunk-turned``, ``no-steady-hold``...), or None.
        steadiness: Standard deviation of the reading over the held second.
        off_axis: Median absolute reading of each other angle axis over the held second (a
            tilt during a rotation, a turn during a side bend).
        trunk_turn_deg: Largest trunk turn against its reference over the held second.
        shoulder_hike_cm: Largest rise of either shoulder since neutral over the held second.
    """

    value: float | None
    reason: str | None = None
    steadiness: float | None = None
    off_axis: Mapping[str, float] = field(default_factory=dict)
    trunk_turn_deg: float | None = None
    shoulder_hike_cm: float | None = None


@dataclass(frozen=True)
class DirectionResult:
    """One direction: its trials and the median kept.

    Attributes:
        direction: The `DirectionSpec` id.
        status: One of `STATUSES`.
        trials: The trials done, in order.
        reason: Why unreliable (the most common failed trial's reason), or None.
        pain: The answer to "did that hurt?" (None: not asked or not answered).
        too_fast: How often the movement broke the speed limit.
        circles: Head circles stopped during this direction.
    """

    direction: str
    status: str = "not-tested"
    trials: tuple[Trial, ...] = ()
    reason: str | None = None
    pain: bool | None = None
    too_fast: int = 0
    circles: int = 0

    @property
    def spec(self) -> DirectionSpec:
        """The direction's definition."""
        return DIRECTION_BY_ID[self.direction]

    @property
    def values(self) -> tuple[float, ...]:
        """The measured trials' values."""
        return tuple(t.value for t in self.trials if t.value is not None)

    @property
    def value(self) -> float | None:
        """The median of the measured trials (None when none is measured, or skipped)."""
        if self.status in ("skipped", "not-tested", "unreliable") or not self.values:
            return None
        return float(statistics.median(self.values))

    @property
    def spread(self) -> float | None:
        """Largest minus smallest measured trial (repeatability within this test only)."""
        vals = self.values
        return float(max(vals) - min(vals)) if len(vals) >= 2 and self.value is not None else None

    def quality(self) -> dict[str, float]:
        """Movement quality over the measured trials: median steadiness and off-axis angles,
        largest trunk turn and shoulder hike (only what was seen)."""
        good = [t for t in self.trials if t.value is not None]
        out: dict[str, float] = {}
        steady = [t.steadiness for t in good if t.steadiness is not None]
        if steady:
            out["steadiness"] = float(statistics.median(steady))
        for axis in sorted({a for t in good for a in t.off_axis}):
            out[f"off_{axis}"] = float(statistics.median([t.off_axis[axis] for t in good if axis in t.off_axis]))
        trunk = [t.trunk_turn_deg for t in good if t.trunk_turn_deg is not None]
        if trunk:
            out["trunk_turn_deg"] = float(max(trunk))
        hike = [t.shoulder_hike_cm for t in good if t.shoulder_hike_cm is not None]
        if hike:
            out["shoulder_hike_cm"] = float(max(hike))
        return out


@dataclass(frozen=True)
class MeasureReport:
    """A whole test.

    Attributes:
        started_at: ISO time the test started (the person's local time, with offset).
        source: Where the frames came from ("camera 0", a file).
        ended_by: ``completed``, ``source-ended`` (the recording ended first), ``quit``,
            ``interrupted``, ``camera-lost``, ``pain-stop`` or ``symptoms-stop`` (dizziness or
            visual symptoms).
        directions: Every direction asked, in order.
        calibrated: A neutral was measured (all values are relative to it).
        notes: Lines for the report's notes.
    """

    started_at: str
    source: str
    ended_by: str
    directions: tuple[DirectionResult, ...]
    calibrated: bool = True
    notes: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when the test ran to its end and every direction was asked."""
        return self.ended_by == "completed" and all(d.status != "not-tested" for d in self.directions)

    def direction(self, direction_id: str) -> DirectionResult | None:
        """The result of one direction, or None when it was not part of the test."""
        return next((d for d in self.directions if d.direction == direction_id), None)

    def value(self, direction_id: str) -> float | None:
        """One direction's kept value, or None."""
        d = self.direction(direction_id)
        return None if d is None else d.value

    def arcs(self) -> dict[str, float | None]:
        """Total arcs (rotation, lateral flexion, flexion-extension): both halves or None."""
        out = {}
        for arc, (a, b) in ARCS.items():
            va, vb = self.value(a), self.value(b)
            out[arc] = None if va is None or vb is None else va + vb
        return out

    def symmetry(self) -> dict[str, dict[str, float] | None]:
        """Per left/right pair: right, left, left minus right, and left / right."""
        out: dict[str, dict[str, float] | None] = {}
        for pair, (right, left) in PAIRS.items():
            vr, vl = self.value(right), self.value(left)
            out[pair] = None if vr is None or vl is None else {
                "right": vr, "left": vl, "difference": vl - vr,
                "ratio": vl / vr if vr > 0 else float("nan")}
        return out

    # -- JSON ----------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Plain data (the values rounded for reading; the kept value and spread included)."""
        return {
            "started_at": self.started_at, "source": self.source, "ended_by": self.ended_by,
            "complete": self.complete, "calibrated": self.calibrated, "notes": list(self.notes),
            "directions": [{
                "direction": d.direction, "label": d.spec.label, "unit": d.spec.unit,
                "status": d.status, "value": _r(d.value), "spread": _r(d.spread),
                "reason": d.reason, "pain": d.pain, "too_fast": d.too_fast, "circles": d.circles,
                "quality": {k: _r(v) for k, v in d.quality().items()},
                "trials": [{"value": _r(t.value), "reason": t.reason, "steadiness": _r(t.steadiness),
                            "off_axis": {k: _r(v) for k, v in t.off_axis.items()},
                            "trunk_turn_deg": _r(t.trunk_turn_deg),
                            "shoulder_hike_cm": _r(t.shoulder_hike_cm)} for t in d.trials],
            } for d in self.directions],
            "arcs": {k: _r(v) for k, v in self.arcs().items()},
            "symmetry": {k: (None if v is None else {kk: _r(vv) for kk, vv in v.items()})
                         for k, v in self.symmetry().items()},
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> MeasureReport:
        """The report back from `to_json` (unknown directions are refused).

        Raises:
            ValueError: a field is missing or a direction or status is unknown.
        """
        try:
            directions = []
            for d in obj["directions"]:
                if d["direction"] not in DIRECTION_BY_ID or d["status"] not in STATUSES:
                    raise ValueError(f"unknown direction or status: {d['direction']!r}, {d['status']!r}")
                trials = tuple(Trial(t["value"], t.get("reason"), t.get("steadiness"),
                                     dict(t.get("off_axis") or {}), t.get("trunk_turn_deg"),
                                     t.get("shoulder_hike_cm")) for t in d.get("trials", ()))
                directions.append(DirectionResult(d["direction"], d["status"], trials, d.get("reason"),
                                                  d.get("pain"), int(d.get("too_fast", 0)),
                                                  int(d.get("circles", 0))))
            return cls(str(obj["started_at"]), str(obj.get("source", "")), str(obj["ended_by"]),
                       tuple(directions), bool(obj.get("calibrated", True)), tuple(obj.get("notes", ())))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a measurement report: {exc}") from None


# -- this test against the last ----------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    """One line of the report's table.

    Attributes:
        direction: The direction's id.
        this: This test's value (None: not measured).
        last: The last test's value (None: no earlier test measured it).
        change: this - last, or None.
        sdc: The smallest detectable change used, or None (not established).
        beyond_sdc: "yes" / "no" when the SDC is established and both values exist, "not
            established" when it is not, "-" when there is nothing to compare.
    """

    direction: str
    this: float | None
    last: float | None
    change: float | None
    sdc: float | None
    beyond_sdc: str


def compare(this: MeasureReport, last: MeasureReport | None) -> tuple[ChangeRow, ...]:
    """This test against the last one, per direction of this test."""
    rows = []
    for d in this.directions:
        now = d.value
        before = last.value(d.direction) if last is not None else None
        change = now - before if now is not None and before is not None else None
        sdc = SDC.get(d.direction)
        if change is None:
            verdict = "-"
        elif sdc is None:
            verdict = "not established"
        else:
            verdict = "yes" if abs(change) > sdc else "no"
        rows.append(ChangeRow(d.direction, now, before, change, sdc, verdict))
    return tuple(rows)


def _r(v: float | None, nd: int = 2) -> float | None:
    return None if v is None or math.isnan(v) else round(float(v), nd)
