"""`coach progress --measure`: each measured direction of the range-of-motion tests over the
weeks, as a table and (``--plot``) a chart: one panel per axis, a line per direction, the weekly
median of the tests that measured it. Only measured (or incomplete-but-measured) values count:
an unreliable or skipped direction is a gap, not a zero.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from coach.coaching.measure_report import DIRECTION_BY_ID, DIRECTIONS, MeasureReport
from coach.errors import CoachError

PANELS = (("Rotation", ("rotation-right", "rotation-left")),
          ("Lateral flexion", ("lateral-right", "lateral-left")),
          ("Flexion and extension", ("flexion", "extension")),
          ("Chin retraction", ("retraction",)))


def _day(report: MeasureReport) -> date | None:
    try:
        return datetime.fromisoformat(report.started_at).date()
    except ValueError:
        return None


def weekly(tests: Sequence[MeasureReport]) -> dict[str, list[tuple[date, float, int]]]:
    """``{direction: [(monday, median value, tests), ...]}``, oldest week first."""
    by: dict[str, dict[date, list[float]]] = {}
    for t in tests:
        day = _day(t)
        if day is None:
            continue
        monday = day - timedelta(days=day.weekday())
        for d in t.directions:
            if d.value is not None:
                by.setdefault(d.direction, {}).setdefault(monday, []).append(d.value)
    return {k: [(m, float(statistics.median(v)), len(v)) for m, v in sorted(weeks.items())]
            for k, weeks in by.items()}


def format_measure_progress(tests: Sequence[MeasureReport]) -> str:
    """The table: one line per direction, its weekly medians oldest to newest."""
    if not tests:
        return "No range-of-motion tests in the history yet (run `coach measure`)."
    rows = weekly(tests)
    lines = [f"Range-of-motion tests: {len(tests)} ({sum(not t.complete for t in tests)} incomplete)",
             "Weekly median per direction (week of Monday: value):"]
    for spec in DIRECTIONS:
        points = rows.get(spec.id)
        if not points:
            continue
        unit = "cm" if spec.unit == "cm" else "deg"
        cells = ", ".join(f"{m.isoformat()}: {v:.1f}" for m, v, _ in points)
        lines.append(f"  {spec.label} ({unit}): {cells}")
    return "\n".join(lines)


def plot_measure_progress(tests: Sequence[MeasureReport], path: Path) -> Path:
    """Draw each measured direction over the weeks into ``path`` (PNG...).

    Raises:
        CoachError: no measured direction to plot, or the file cannot be written.
    """
    rows = weekly(tests)
    if not rows:
        raise CoachError("no measured range-of-motion test in the history yet: nothing to plot")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = [(title, [i for i in ids if i in rows]) for title, ids in PANELS]
    panels = [p for p in panels if p[1]]
    fig = Figure(figsize=(10, 2.8 * len(panels) + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle("neck-coach: range of motion over the weeks (weekly median of coach measure)", fontsize=13)
    for k, (title, ids) in enumerate(panels):
        ax = fig.add_subplot(len(panels), 1, k + 1)
        for i in ids:
            pts = rows[i]
            ax.plot([m for m, _, _ in pts], [v for _, v, _ in pts], marker="o",
                    label=DIRECTION_BY_ID[i].label)
        ax.set_title(title, loc="left", fontsize=11)
        ax.set_ylabel("cm" if DIRECTION_BY_ID[ids[0]].unit == "cm" else "degrees")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:
        raise CoachError(f"cannot write the plot {path}: {exc}") from None
    return path
