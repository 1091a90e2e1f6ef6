"""The exercise report: engine events in, the report JSON object and a printed summary out.

The report is what `coach replay --report` writes and what `coach run --headless --report`
extends per exercise:

    {"exercise": ID, "reps": {"right": n, "left": n} (chin-tuck: {"center": n}),
     "holds": [{"side", "start_s", "held_s", "peak_deg", "counted", "fault"}],
     "safety_events": [{"t_s", "kind"}], "faults": [{"t_s", "kind", "message"}],
     "tracking_lost_s": x, ...}

Pure python: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from coach.engine import Event, EventKind
from coach.exercise import Exercise, side_label


def build_report(
    exercise: Exercise,
    events: Iterable[Event],
    *,
    t0_ms: int = 0,
    tracking_lost_s: float = 0.0,
    duration_s: float | None = None,
    calibrated: bool = True,
) -> dict:
    """Summarise one exercise's events.

    Args:
        exercise: The exercise that was coached (its sides fix the keys of ``reps``).
        events: Everything the engine emitted, in order.
        t0_ms: Time of the exercise's first frame; event times are reported relative to it.
        tracking_lost_s: Total time without usable head angles.
        duration_s: Length of the exercise (frames seen), if known.
        calibrated: Whether the neutral pose was ever calibrated.

    Returns:
        The report object (JSON-serialisable).
    """
    reps = {side: 0 for side in exercise.sides}
    holds: list[dict] = []
    safety: list[dict] = []
    faults: list[dict] = []

    def rel_s(t_ms: int) -> float:
        return round((t_ms - t0_ms) / 1000.0, 3)

    for ev in events:
        if ev.kind is EventKind.REP_COUNTED and ev.side in reps:
            reps[ev.side] += 1
        elif ev.kind is EventKind.HOLD_DONE and ev.hold is not None:
            h = ev.hold
            holds.append({
                "side": h.side,
                "start_s": round(h.start_s, 3),
                "held_s": round(h.held_s, 3),
                "peak_deg": round(h.peak_deg, 2),
                "counted": h.counted,
                "fault": h.fault,
                "peak_by_axis": {k: round(v, 2) for k, v in h.peak_by_axis.items()},
            })
        elif ev.kind is EventKind.SAFETY_STOP:
            safety.append({"t_s": rel_s(ev.t_ms), "kind": ev.fault or "safety", "message": ev.message})
        elif ev.kind is EventKind.FAULT:
            faults.append({"t_s": rel_s(ev.t_ms), "kind": ev.fault or "form", "message": ev.message})
        elif ev.kind is EventKind.WRONG_SIDE:
            faults.append({"t_s": rel_s(ev.t_ms), "kind": "wrong-side", "message": ev.message})
    report = {
        "exercise": exercise.id,
        "name": exercise.name,
        "reps": reps,
        "reps_target": exercise.reps_per_side,
        "holds": holds,
        "safety_events": safety,
        "faults": faults,
        "tracking_lost_s": round(tracking_lost_s, 3),
        "calibrated": calibrated,
    }
    if duration_s is not None:
        report["duration_s"] = round(duration_s, 3)
    return report


def best_peaks(holds: Sequence[dict]) -> dict[str, float]:
    """The best ``peak_deg`` of the counted holds, per side."""
    best: dict[str, float] = {}
    for h in holds:
        if h["counted"]:
            best[h["side"]] = max(best.get(h["side"], float("-inf")), h["peak_deg"])
    return best


def format_summary(report: dict) -> str:
    """A few human-readable lines for the terminal."""
    unit = "cm" if report["exercise"] == "chin-tuck" else "deg"
    reps = report["reps"]
    target = report.get("reps_target")
    rep_txt = ", ".join(
        f"{side_label(s) or 'reps'} {n}" + (f"/{target}" if target else "") for s, n in reps.items()
    )
    lines = [f"{report.get('name', report['exercise'])} ({report['exercise']}): {rep_txt}"]
    holds = report["holds"]
    counted = sum(1 for h in holds if h["counted"])
    peaks = best_peaks(holds)
    peak_txt = ", ".join(f"{side_label(s) or 'best'} {v:.1f} {unit}" for s, v in peaks.items())
    lines.append(f"  holds: {len(holds)} ({counted} counted)" + (f"; best range: {peak_txt}" if peak_txt else ""))
    if report["faults"]:
        kinds = Counter(f["kind"] for f in report["faults"])
        lines.append("  form: " + ", ".join(f"{k} x{n}" for k, n in kinds.most_common()))
    else:
        lines.append("  form: no faults")
    n_safety = len(report["safety_events"])
    lines.append(f"  safety: {n_safety} head circle(s) stopped" if n_safety else "  safety: no head circles")
    lines.append(f"  tracking lost: {report['tracking_lost_s']:.1f} s"
                 + ("" if report.get("calibrated", True) else "; never calibrated (no steady neutral pose seen)"))
    return "\n".join(lines)
