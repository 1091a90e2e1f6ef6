"""Views of the stored history: `coach history` (its table) and `coach progress` (`coach export`
is `coach.app.export`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from coach.coaching.exercise import load_exercise
from coach.coaching.plan import format_value
from coach.errors import CoachError
from coach.options import HistoryOptions, ProgressOptions
from coach.store.history import HistoryStore, StoredSession, delete_history, resolve_db_path
from coach.store.measure_progress import format_measure_progress, plot_measure_progress
from coach.store.progress import (
    ProgressAxis,
    compute_progress,
    exercise_info,
    format_progress,
    hold_peak,
    side_key,
)
from coach.store.progress_plot import plot_progress
from coach.store.targets import suggest_targets


def _side_pair(values: dict[str, float | int], fmt: Callable[[float], str]) -> str:
    sides = sorted(values, key=side_key)
    if sides == ["center"]:
        return fmt(values["center"])
    if not sides:
        return "-"
    right = fmt(values["right"]) if "right" in values else "-"
    left = fmt(values["left"]) if "left" in values else "-"
    return f"{right}/{left}"


def format_history_table(
    sessions: Sequence[StoredSession],
    info: Callable[[str], tuple[str, ProgressAxis]] = exercise_info,
) -> str:
    """A readable table: one row per exercise done (a session with none still gets a row).

    Columns: date, exercise, session status, reps right/left (or the count of a one-sided
    exercise), best counted peak right/left on the exercise's progress axis (as in
    `coach progress`) with its unit, form faults, safety stops.
    """
    if not sessions:
        return "No sessions in the history yet."
    axes: dict[str, ProgressAxis] = {}
    header = ("date", "exercise", "status", "reps R/L", "best R/L", "faults", "safety")
    rows: list[tuple[str, ...]] = []
    for s in sessions:
        when = s.started_at.strftime("%Y-%m-%d %H:%M")
        if not s.runs:
            rows.append((when, "-", s.status, "-", "-", "-", "-"))
        for run in s.runs:
            if run.exercise_id not in axes:
                axes[run.exercise_id] = info(run.exercise_id)[1]
            axis = axes[run.exercise_id]
            peaks: dict[str, float] = {}
            for hold in run.holds:
                value = hold_peak(hold, axis) if hold.counted else None
                if value is not None:
                    peaks[hold.side] = max(peaks.get(hold.side, 0.0), value)
            best = _side_pair(peaks, lambda v, unit=axis.unit: format_value(v, unit))
            reps = _side_pair(run.reps, lambda v: str(int(v)))
            status = s.status if run.finished else f"{s.status}*"
            rows.append((when, run.exercise_id, status, reps,
                         f"{axis.axis or ''} {best} {axis.unit}".strip() if best != "-" else "-",
                         str(len(run.faults)), str(len(run.safety_events))))
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if any(not run.finished for s in sessions for run in s.runs):
        lines.append("* exercise cut off before its end: reps are its counted holds")
    return "\n".join(lines)


# -- the commands --------------------------------------------------------------------------------


def stored_sessions(data_dir: Path | None, last: int | None = None) -> list[StoredSession]:
    """The stored sessions; an absent database is an empty history (reading never creates it)."""
    if not resolve_db_path(data_dir).exists():
        return []
    with HistoryStore.open(data_dir) as store:
        return store.sessions(last=last)


def history_command(opts: HistoryOptions) -> int:
    """`coach history`: the table (or JSON) of past sessions, where they are, or delete them."""
    path = resolve_db_path(opts.data_dir)
    if opts.where:
        state = "exists" if path.exists() else "not created yet"
        print(f"{path} ({state})")
        return 0
    if opts.delete_all:
        if not opts.yes:
            n = len(stored_sessions(opts.data_dir))
            raise CoachError(f"this deletes all {n} session(s) in {path} for good; add --yes to confirm")
        removed = delete_history(opts.data_dir)
        print(f"deleted {len(removed)} file(s): " + ", ".join(str(p) for p in removed)
              if removed else f"no history at {path}: nothing to delete")
        return 0
    if opts.last is not None and opts.last < 1:
        raise CoachError(f"--last must be at least 1, got {opts.last}")
    sessions = stored_sessions(opts.data_dir, opts.last)
    if opts.json:
        print(json.dumps([s.to_json() for s in sessions], indent=2))
    else:
        print(format_history_table(sessions))
    return 0


def progress_command(opts: ProgressOptions) -> int:
    """`coach progress`: range of motion, symmetry and adherence over time, and the suggested
    next targets (optionally as a chart)."""
    if opts.measure:
        with HistoryStore.open(opts.data_dir) as store:
            tests = store.measurements()
        print(format_measure_progress(tests))
        if opts.plot is not None:
            plot_measure_progress(tests, opts.plot)
            print(f"chart written to {opts.plot}")
        return 0
    sessions = stored_sessions(opts.data_dir)
    if opts.exercise is not None and opts.exercise not in {r.exercise_id for s in sessions for r in s.runs}:
        load_exercise(opts.exercise)  # an unknown id: error listing the known ones
    # Adherence counts weeks up to today, so a recent gap shows.
    report = compute_progress(sessions, exercise_id=opts.exercise, until=datetime.now().date())
    if opts.exercise is not None and not report.weeks:
        print(f"No sessions of {opts.exercise} in the history yet.")
    else:
        print(format_progress(report))
        _print_target_suggestions(opts.data_dir, [e.exercise_id for e in report.exercises])
    if opts.plot is not None:
        plot_progress(report, opts.plot)
        print(f"chart written to {opts.plot}")
    return 0


def _print_target_suggestions(data_dir: Path | None, exercise_ids: list[str]) -> None:
    if not exercise_ids:
        return
    print("\nSuggested next targets (`coach run --adaptive` coaches with them):")
    with HistoryStore.open(data_dir) as store:
        for exercise_id in exercise_ids:
            try:
                exercise = load_exercise(exercise_id)
            except CoachError:
                continue  # an exercise file since removed: nothing to suggest for
            print(f"  {exercise.name}: {suggest_targets(store, exercise).describe()}")
