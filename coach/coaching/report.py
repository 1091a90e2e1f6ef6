"""The reports: engine events in, a typed `ExerciseResult` (per exercise) and a `SessionReport`
(per guided session) out, with their JSON and their printed summaries.

The JSON is what `coach replay --report` writes for one exercise, and what `coach run
--report` / `coach demo --report` write for a session (a routine lists its exercises):

    {"exercise": ID, "reps": {"right": n, "left": n} (chin-tuck: {"center": n}),
     "holds": [{"side", "start_s", "held_s", "peak_deg", "counted", "fault", "peak_by_axis"}],
     "safety_events": [{"t_s", "kind", "message"}], "faults": [{"t_s", "kind", "message"}],
     "tracking_lost_s": x, "calibrated": bool, ...}

The session, the history and the terminal summary read the typed objects, never the JSON.

Pure python: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from coach.coaching.attempts import BELOW_TARGET
from coach.coaching.engine import Event, EventKind, HoldRecord
from coach.coaching.exercise import AXIS_UNITS, Exercise, side_label
from coach.coaching.plan import TargetSuggestion
from coach.texts import PAIN_STOP_TEXT, PROVIDER_TEXT


@dataclass(frozen=True)
class TimedEvent:
    """A safety stop or a form fault of one exercise.

    Attributes:
        t_s: Seconds since the exercise started.
        kind: E.g. "head-circle", "pitch-during-rotation", "wrong-side".
        message: What the person was told.
    """

    t_s: float
    kind: str
    message: str = ""


def best_by_side(holds: Iterable[HoldRecord]) -> dict[str, float]:
    """The largest peak of the counted holds, per side (sides with none are left out).

    Peaks are compared as magnitudes: a history written before peaks were signed per side may
    hold a left turn as a negative yaw.
    """
    best: dict[str, float] = {}
    for hold in holds:
        if hold.counted:
            best[hold.side] = max(best.get(hold.side, 0.0), abs(hold.peak_deg))
    return best


@dataclass(frozen=True)
class ExerciseResult:
    """What one exercise came to: reps, holds, safety stops, faults, time without tracking.

    Attributes:
        exercise_id: The exercise.
        name: Its display name.
        reps: Reps counted per side (every side of the exercise, zeros included).
        reps_target: Reps per side the exercise asks for.
        holds: Every hold, counted or not, in order.
        safety_events: Head circles stopped.
        faults: Form faults and wrong-side turns.
        tracking_lost_s: Time without usable head angles.
        calibrated: Whether a neutral pose was ever calibrated.
        duration_s: Length of the exercise, when known.
        unit: Unit of the main target's peaks ("deg", or "cm" for chin tucks).
    """

    exercise_id: str
    name: str = ""
    reps: Mapping[str, int] = field(default_factory=dict)
    reps_target: int = 0
    holds: tuple[HoldRecord, ...] = ()
    safety_events: tuple[TimedEvent, ...] = ()
    faults: tuple[TimedEvent, ...] = ()
    tracking_lost_s: float = 0.0
    calibrated: bool = True
    duration_s: float | None = None
    unit: str = "deg"

    @classmethod
    def from_events(
        cls,
        exercise: Exercise,
        events: Iterable[Event],
        *,
        t0_ms: int = 0,
        tracking_lost_s: float = 0.0,
        duration_s: float | None = None,
        calibrated: bool = True,
    ) -> ExerciseResult:
        """Summarise one exercise's engine events.

        Args:
            exercise: The exercise that was coached (its sides fix the keys of ``reps``).
            events: Everything the engine emitted, in order.
            t0_ms: Time of the exercise's first frame; event times are relative to it.
            tracking_lost_s: Time without usable head angles (`coach.coaching.chain.LostTime`).
            duration_s: Length of the exercise, if known.
            calibrated: Whether the neutral pose was ever calibrated.
        """
        reps: dict[str, int] = {side: 0 for side in exercise.sides}
        holds: list[HoldRecord] = []
        safety: list[TimedEvent] = []
        faults: list[TimedEvent] = []
        for ev in events:
            t_s = (ev.t_ms - t0_ms) / 1000.0
            if ev.kind is EventKind.REP_COUNTED and ev.side in reps:
                reps[ev.side] += 1
            elif ev.kind in (EventKind.HOLD_DONE, EventKind.ATTEMPT_DONE) and ev.hold is not None:
                holds.append(ev.hold)  # an attempt below target is an uncounted "below-target" hold
            elif ev.kind is EventKind.HOLD_VOIDED and ev.hold is not None:
                holds = _voided(holds, ev.hold)
            elif ev.kind is EventKind.SAFETY_STOP:
                safety.append(TimedEvent(t_s, ev.fault or "safety", ev.message))
            elif ev.kind is EventKind.FAULT:
                faults.append(TimedEvent(t_s, ev.fault or "form", ev.message))
            elif ev.kind is EventKind.WRONG_SIDE:
                faults.append(TimedEvent(t_s, "wrong-side", ev.message))
        return cls(exercise.id, exercise.name, reps, exercise.reps_per_side, tuple(holds), tuple(safety),
                   tuple(faults), tracking_lost_s, calibrated, duration_s,
                   AXIS_UNITS[exercise.main_target.axis])

    def best_by_side(self) -> dict[str, float]:
        """The best peak of the counted holds, per side (see `best_by_side`)."""
        return best_by_side(self.holds)

    def below_target(self) -> dict[str, int]:
        """Attempts below the target per side (each used up one of the side's reps)."""
        return {side: sum(1 for h in self.holds if h.side == side and h.fault == BELOW_TARGET)
                for side in self.reps}

    def to_json(self) -> dict:
        """The report object (JSON-serialisable); numbers rounded for reading."""
        out = {
            "exercise": self.exercise_id,
            "name": self.name,
            "reps": dict(self.reps),
            "reps_target": self.reps_target,
            "holds": [hold_json(h) for h in self.holds],
            "safety_events": [_event_json(e) for e in self.safety_events],
            "faults": [_event_json(e) for e in self.faults],
            "below_target": self.below_target(),
            "tracking_lost_s": round(self.tracking_lost_s, 3),
            "calibrated": self.calibrated,
        }
        if self.duration_s is not None:
            out["duration_s"] = round(self.duration_s, 3)
        return out

    def summary(self) -> str:
        """A few human-readable lines for the terminal."""
        rep_txt = ", ".join(f"{side_label(s) or 'reps'} {n}" + (f"/{self.reps_target}" if self.reps_target else "")
                            for s, n in self.reps.items())
        lines = [f"{self.name or self.exercise_id} ({self.exercise_id}): {rep_txt}"]
        counted = sum(1 for h in self.holds if h.counted)
        peak_txt = ", ".join(f"{side_label(s) or 'best'} {v:.1f} {self.unit}" for s, v in self.best_by_side().items())
        best = f"; best range: {peak_txt}" if peak_txt else ""
        lines.append(f"  holds: {len(self.holds)} ({counted} counted){best}")
        below = {s: n for s, n in self.below_target().items() if n}
        if below:
            reached: dict[str, float] = {}
            for h in self.holds:
                if h.fault == BELOW_TARGET:
                    reached[h.side] = max(reached.get(h.side, 0.0), h.peak_deg)
            lines.append("  below target (not reps): " + ", ".join(
                f"{side_label(s) or 'attempts'} {n} (reached {reached[s]:.1f} {self.unit})"
                for s, n in below.items()))
        if self.faults:
            kinds = Counter(f.kind for f in self.faults)
            lines.append("  form: " + ", ".join(f"{k} x{n}" for k, n in kinds.most_common()))
        else:
            lines.append("  form: no faults")
        n_safety = len(self.safety_events)
        lines.append(f"  safety: {n_safety} head circle(s) stopped" if n_safety else "  safety: no head circles")
        lines.append(f"  tracking lost: {self.tracking_lost_s:.1f} s"
                     + ("" if self.calibrated else "; never calibrated (no steady neutral pose seen)"))
        return "\n".join(lines)


def _voided(holds: list[HoldRecord], void: HoldRecord) -> list[HoldRecord]:
    """``holds`` with the newest record of the voided hold replaced by ``void``."""
    for i in range(len(holds) - 1, -1, -1):
        if (holds[i].side, holds[i].start_s) == (void.side, void.start_s):
            return [*holds[:i], void, *holds[i + 1:]]
    return holds


def hold_json(h: HoldRecord, *, rounded: bool = True) -> dict:
    """A hold as a JSON object; ``rounded``: times to ms and peaks to 0.01 for reading."""

    def r(value: float, digits: int) -> float:
        return round(value, digits) if rounded else value

    return {
        "side": h.side,
        "start_s": r(h.start_s, 3),
        "held_s": r(h.held_s, 3),
        "peak_deg": r(h.peak_deg, 2),
        "counted": h.counted,
        "fault": h.fault,
        "peak_by_axis": {k: r(v, 2) for k, v in h.peak_by_axis.items()},
    }


def _event_json(e: TimedEvent) -> dict:
    return {"t_s": round(e.t_s, 3), "kind": e.kind, "message": e.message}


# -- a guided session --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseRun:
    """One exercise of a guided session, as the session left it.

    Attributes:
        result: What was done (zero counts when it never started).
        ended: "done", "skipped", "pain-stop", "not started", "not finished", or how the
            session ended while it ran ("quit", "interrupted", "camera-lost").
        targets: The targets coached with, if planned (its JSON also has ``"today"``: each
            side's target after a range check).
        range_check: Today's range check, one `coach.coaching.rangecheck.SideRange` per side (empty
            without one).
        why: Why it never started (the failing setup check, what stopped the calibration).
    """

    result: ExerciseResult
    ended: str
    targets: TargetSuggestion | None = None
    range_check: tuple = ()
    why: str | None = None

    @property
    def advice(self) -> str | None:
        """The seed's advice to see a provider when today's range check found a very small
        range for a direction (`coach.coaching.rangecheck.RangeStatus.VERY_SMALL`), else None."""
        # Compared by value: importing coach.coaching.rangecheck here would be a cycle (through chain).
        very_small = any(getattr(r.status, "value", r.status) == "very-small" for r in self.range_check)
        return PROVIDER_TEXT if very_small else None

    def to_json(self) -> dict:
        """The exercise's report object with how it ended (and its targets: ``thresholds``,
        ``source``, ``reason``, ``today``; its range check and its advice; why it never
        started)."""
        out = {**self.result.to_json(), "ended": self.ended}
        targets: dict[str, object] = {}
        if self.targets is not None:
            targets = {"thresholds": dict(self.targets.thresholds), "source": self.targets.source,
                       "reason": self.targets.reason}
        if self.range_check:
            targets["today"] = {r.side: round(r.target, 2) for r in self.range_check}
        if targets:
            out["targets"] = targets
        if self.range_check:
            out["range_check"] = [r.to_json() for r in self.range_check]
        if self.advice:
            out["advice"] = self.advice
        if self.why:
            out["why"] = self.why
        return out


@dataclass(frozen=True)
class SessionReport:
    """A whole guided session (`coach run`, `coach demo`).

    Attributes:
        runs: Every exercise of the session, in order (started or not).
        frames: Frames processed (== frames written with ``--out``).
        duration_s: From the first frame to the last.
        ended_by: How the session ended (one of `coach.store.history.ENDED_BY`).
        calibrated: Whether a neutral pose was calibrated.
        tracking_lost_s: Time without usable head angles over the whole session.
        tracking_lost_spans: Those times as ``(start_s, end_s)`` from the first frame.
        why: Why no exercise started, or None.
    """

    runs: tuple[ExerciseRun, ...]
    frames: int
    duration_s: float
    ended_by: str
    calibrated: bool
    tracking_lost_s: float
    tracking_lost_spans: tuple[tuple[float, float], ...] = ()
    why: str | None = None

    def to_json(self) -> dict:
        """One exercise: its report (`coach replay`'s format) whose ``tracking_lost_s`` covers
        every frame of the session (the coached part's own figure is kept as
        ``coached_tracking_lost_s``); a routine: the same reports in a list under
        ``"exercises"``. Both carry a ``"session"`` block."""
        info = {
            "frames": self.frames,
            "duration_s": round(self.duration_s, 3),
            "ended_by": self.ended_by,
            "calibrated": self.calibrated,
            "tracking_lost_s": round(self.tracking_lost_s, 3),
            "tracking_lost_spans": [[round(a, 3), round(b, 3)] for a, b in self.tracking_lost_spans],
        }
        if self.why:
            info["why"] = self.why
        sections = [run.to_json() for run in self.runs]
        if len(sections) == 1:
            return {**sections[0], "coached_tracking_lost_s": sections[0]["tracking_lost_s"],
                    "tracking_lost_s": info["tracking_lost_s"], "session": info}
        return {
            "exercises": sections,
            "reps": {s["exercise"]: s["reps"] for s in sections},
            "safety_events": [dict(e, exercise=s["exercise"]) for s in sections for e in s["safety_events"]],
            "tracking_lost_s": info["tracking_lost_s"],
            "session": info,
        }

    def summary(self, history_error: str | None = None) -> str:
        """The session summary printed on stdout: each exercise as `coach replay` prints it."""
        lines = ["Session summary"]
        for run in self.runs:
            if run.ended == "not started":
                why = f" ({run.why})" if run.why else ""
                lines.append(f"{run.result.name or run.result.exercise_id}: not started{why}")
            else:
                lines.append(run.result.summary() + f"\n  ended: {run.ended}")
                for side in run.range_check:
                    lines.append(f"  range check: {side.message}")
                if run.advice:  # a very small range: the window showed it during the check
                    lines.append(f"  {run.advice}")
        lines.append(f"Session: {self.frames} frames, tracking lost {self.tracking_lost_s:.1f} s, "
                     f"ended: {self.ended_by}")
        if history_error:
            lines.append(f"NOT saved to the history: {history_error}")
        if any(run.ended == "pain-stop" for run in self.runs):
            lines.extend(PAIN_STOP_TEXT)
        return "\n".join(lines)
