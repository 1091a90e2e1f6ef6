"""The progress chart: `coach progress --plot`, drawn with matplotlib on an Agg canvas (no display,
and no change to pyplot's global backend for the rest of the process). The numbers come from
`coach.store.progress`.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from coach.errors import CoachError
from coach.store.progress import ExerciseProgress, ProgressReport, side_key

SIDE_COLOURS = {"right": "#1f77b4", "left": "#d62728", "center": "#2ca02c"}


def plot_progress(report: ProgressReport, path: Path) -> Path:
    """Draw the progress chart into ``path`` (PNG or any format matplotlib knows by suffix).

    One row per exercise: range of motion per side over time (median solid, max dashed, the
    file's default target dotted) and, beside it, left/right symmetry; a last row of sessions
    per week.

    Raises:
        CoachError: nothing to plot, or the file cannot be written.
    """
    if not report.weeks:
        raise CoachError("no sessions in the history yet: nothing to plot")

    n = len(report.exercises)
    fig = Figure(figsize=(12, 3.2 * n + 3.0), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(n + 1, 2, width_ratios=(3, 1), height_ratios=[3] * n + [2.2])
    fig.suptitle("neck-coach progress", fontsize=16, fontweight="bold")

    rom_axes: list = []
    sym_axes: list = []
    for row, ex in enumerate(report.exercises):
        # Shared time axes: the same date lines up in every row.
        ax = fig.add_subplot(grid[row, 0], sharex=rom_axes[0] if rom_axes else None)
        sym_ax = fig.add_subplot(grid[row, 1], sharex=sym_axes[0] if sym_axes else None)
        rom_axes.append(ax)
        sym_axes.append(sym_ax)
        _plot_rom(ax, ex)
        _plot_symmetry(sym_ax, ex)

    ax = fig.add_subplot(grid[n, :])
    xs = [w.monday for w in report.weeks]
    ax.bar(xs, [w.sessions for w in report.weeks], width=5, align="edge", color="#7f7f7f")
    ax.axhline(report.sessions_per_week, color="black", linestyle="--", linewidth=1,
               label=f"mean {report.sessions_per_week:.1f} per week")
    ax.set_title("Adherence: sessions per week", fontsize=12)
    ax.set_ylabel("sessions")
    ax.set_xlabel("week (Monday)")
    ax.yaxis.get_major_locator().set_params(integer=True)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.legend(loc="upper left", fontsize=9)
    ax.grid(axis="y", alpha=0.3)

    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:
        raise CoachError(f"cannot write the plot {path}: {exc}") from None
    return path


def _date_axis(ax) -> None:
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _plot_rom(ax, ex: ExerciseProgress) -> None:
    ax.set_title(f"{ex.name}: range of motion", fontsize=12, loc="left")
    ax.set_ylabel(ex.axis.label)
    ax.grid(alpha=0.3)
    if not ex.points:
        ax.text(0.5, 0.5, "no counted holds yet", ha="center", va="center", transform=ax.transAxes)
        return
    sides = sorted({s for p in ex.points for s in p.by_side}, key=side_key)
    for side in sides:
        pts = [(p.day, p.by_side[side]) for p in ex.points if side in p.by_side]
        colour = SIDE_COLOURS.get(side, "black")
        days = [d for d, _ in pts]
        ax.plot(days, [st.median for _, st in pts], "-o", color=colour, markersize=4,
                label=f"{side} median")
        ax.plot(days, [st.max for _, st in pts], "--", color=colour, alpha=0.55, linewidth=1,
                label=f"{side} max")
    if ex.axis.default_threshold is not None:
        ax.axhline(ex.axis.default_threshold, color="gray", linestyle=":", linewidth=1.2,
                   label=f"default target {ex.axis.default_threshold:g} {ex.axis.unit}")
    ax.legend(loc="best", fontsize=8, ncol=len(sides) + 1)
    _date_axis(ax)


def _plot_symmetry(ax, ex: ExerciseProgress) -> None:
    ax.set_title("symmetry (left / right)", fontsize=11, loc="left")
    pts = [(p.day, p.symmetry) for p in ex.points if p.symmetry is not None]
    if not pts:
        ax.text(0.5, 0.5, "one-sided exercise:\nno left/right" if ex.points else "no data",
                ha="center", va="center", transform=ax.transAxes, color="gray")
        ax.axis("off")
        return
    ax.axhline(1.0, color="gray", linestyle=":", linewidth=1.2)
    ax.plot([d for d, _ in pts], [v for _, v in pts], "-o", color="#9467bd", markersize=4)
    values = [v for _, v in pts]
    spread = max(0.25, max(abs(v - 1.0) for v in values) * 1.2)
    ax.set_ylim(1.0 - spread, 1.0 + spread)
    ax.set_ylabel("left median / right median")
    ax.grid(alpha=0.3)
    _date_axis(ax)
