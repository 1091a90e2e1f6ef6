"""Progress over weeks: range of motion per side, left/right symmetry and adherence.

Computed from the stored sessions (`coach.store.history`) and shown as text (`format_progress`);
`coach.store.progress_plot` draws the chart (kept apart so that the live coach, which reads the
progress axes for personal targets, does not load matplotlib).

The range of motion of an exercise is measured on its *progress axis*: the first open-ended
target ("go further") of the exercise file - yaw for rotations, roll for lateral flexion,
retraction (cm) for chin tucks, and pitch (the pull toward the armpit) for the levator stretch,
whose 45-degree yaw is a band to stay in, not a range to grow. Per session and side: the maximum
and the median peak of the *counted* holds (uncounted holds were cut short or had a form fault).

No clock: the caller passes the day to count adherence up to.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from coach.coaching.engine import HoldRecord
from coach.coaching.exercise import AXIS_UNITS, load_exercise
from coach.errors import CoachError
from coach.store.history import StoredRun, StoredSession

SIDE_ORDER = ("right", "left", "center")


@dataclass(frozen=True)
class ProgressAxis:
    """What an exercise's range of motion is measured on."""

    axis: str | None  # None: unknown exercise file, fall back to the hold's main peak
    unit: str  # "deg", "cm" or "" when unknown
    default_threshold: float | None = None  # the file's target, drawn as a reference line
    main_axis: str | None = None  # the axis `HoldRecord.peak_deg` measures (the first target)

    @property
    def label(self) -> str:
        """E.g. "peak yaw (deg)"."""
        name = f"peak {self.axis}" if self.axis else "peak"
        return f"{name} ({self.unit})" if self.unit else name


def progress_axis_of(exercise: object) -> ProgressAxis:
    """The progress axis of an `coach.coaching.exercise.Exercise` (first open-ended target, else main)."""
    targets = exercise.targets  # type: ignore[attr-defined]
    target = next((t for t in targets if t.max is None), targets[0])
    return ProgressAxis(target.axis, AXIS_UNITS[target.axis], target.threshold, targets[0].axis)


def exercise_info(exercise_id: str) -> tuple[str, ProgressAxis]:
    """The display name and progress axis of an exercise id (a deleted file still works)."""
    try:
        ex = load_exercise(exercise_id)
    except CoachError:
        return exercise_id, ProgressAxis(None, "")
    return ex.name, progress_axis_of(ex)


def hold_peak(hold: HoldRecord, axis: ProgressAxis) -> float | None:
    """The hold's peak on the progress axis, as a magnitude (left-side peaks may be negative).

    None when the hold has no measurement on that axis.
    """
    if axis.axis is None or axis.axis == axis.main_axis:
        return abs(hold.peak_deg)
    value = hold.peak_by_axis.get(axis.axis)
    return None if value is None else abs(value)


@dataclass(frozen=True)
class SideStats:
    """One side's counted holds in one session."""

    max: float
    median: float
    counted: int


@dataclass(frozen=True)
class SessionPoint:
    """One session's range of motion for one exercise."""

    session_id: int
    day: date
    by_side: dict[str, SideStats]

    @property
    def symmetry(self) -> float | None:
        """Left median / right median (1.0 = symmetric), None for one-sided data."""
        left, right = self.by_side.get("left"), self.by_side.get("right")
        if left is None or right is None or right.median == 0:
            return None
        return left.median / right.median


@dataclass(frozen=True)
class ExerciseProgress:
    """The range-of-motion series of one exercise."""

    exercise_id: str
    name: str
    axis: ProgressAxis
    points: tuple[SessionPoint, ...]
    sessions: int  # sessions that did this exercise, also those with no counted hold


@dataclass(frozen=True)
class WeekCount:
    """Sessions started in the ISO week beginning ``monday``."""

    monday: date
    sessions: int


@dataclass(frozen=True)
class ProgressReport:
    """Everything `coach progress` shows."""

    exercises: tuple[ExerciseProgress, ...]
    weeks: tuple[WeekCount, ...]

    @property
    def sessions_per_week(self) -> float:
        """Mean sessions per week over the weeks covered (0 with no sessions)."""
        if not self.weeks:
            return 0.0
        return sum(w.sessions for w in self.weeks) / len(self.weeks)


def compute_progress(
    sessions: Sequence[StoredSession],
    *,
    exercise_id: str | None = None,
    until: date | None = None,
    info: Callable[[str], tuple[str, ProgressAxis]] = exercise_info,
) -> ProgressReport:
    """Range of motion per exercise and session, and sessions per week.

    Args:
        sessions: Stored sessions, any order.
        exercise_id: Only this exercise (adherence then counts sessions that did it).
        until: Count adherence weeks up to this day (the CLI passes today), so recent weeks
            without sessions show as zero; default: the last session's day.
        info: Name and progress axis of an exercise id (tests pass their own).
    """
    sessions = sorted(sessions, key=lambda s: s.started_at)
    runs_by_ex: dict[str, list[tuple[StoredSession, list[StoredRun]]]] = {}
    counted_sessions: list[StoredSession] = []
    for s in sessions:
        mine = [r for r in s.runs if exercise_id is None or r.exercise_id == exercise_id]
        if exercise_id is not None and not mine:
            continue
        counted_sessions.append(s)
        grouped: dict[str, list[StoredRun]] = {}
        for r in mine:
            grouped.setdefault(r.exercise_id, []).append(r)
        for ex_id, runs in grouped.items():
            runs_by_ex.setdefault(ex_id, []).append((s, runs))

    exercises = []
    for ex_id, entries in runs_by_ex.items():
        name, axis = info(ex_id)
        points = []
        for s, runs in entries:
            peaks: dict[str, list[float]] = {}
            for run in runs:
                for hold in run.holds:
                    value = hold_peak(hold, axis) if hold.counted else None
                    if value is not None:
                        peaks.setdefault(hold.side, []).append(value)
            if peaks:
                by_side = {
                    side: SideStats(max(v), statistics.median(v), len(v))
                    for side, v in sorted(peaks.items(), key=lambda kv: side_key(kv[0]))
                }
                points.append(SessionPoint(s.id, s.started_at.date(), by_side))
        exercises.append(ExerciseProgress(ex_id, name, axis, tuple(points), len(entries)))
    # Exercises stay in the order they were first done: the routine's order.
    return ProgressReport(tuple(exercises), _weeks(counted_sessions, until))


def side_key(side: str) -> int:
    """Sort key of a side: right, left, center, then anything else."""
    return SIDE_ORDER.index(side) if side in SIDE_ORDER else len(SIDE_ORDER)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weeks(sessions: Iterable[StoredSession], until: date | None) -> tuple[WeekCount, ...]:
    days = [s.started_at.date() for s in sessions]
    if not days:
        return ()
    first = _monday(min(days))
    last = _monday(max([*days, until] if until else days))
    counts: dict[date, int] = {}
    for d in days:
        counts[_monday(d)] = counts.get(_monday(d), 0) + 1
    weeks = []
    monday = first
    while monday <= last:
        weeks.append(WeekCount(monday, counts.get(monday, 0)))
        monday += timedelta(days=7)
    return tuple(weeks)


# -- text ------------------------------------------------------------------------------------


def format_value(value: float, unit: str) -> str:
    """An angle with one decimal, a distance in cm with two (a tenth of a cm matters)."""
    return f"{value:.2f}" if unit == "cm" else f"{value:.1f}"


def format_progress(report: ProgressReport) -> str:
    """The text `coach progress` prints."""
    if not report.weeks:
        return "No sessions in the history yet: do a session with `coach run` (or `coach demo`)."
    lines: list[str] = []
    for ex in report.exercises:
        sides = sorted({s for p in ex.points for s in p.by_side}, key=side_key)
        lines.append(f"{ex.name} ({ex.exercise_id}): {ex.axis.label} of counted holds, "
                     f"max / median (holds) per session")
        if not ex.points:
            lines.append(f"  no counted holds yet in {ex.sessions} session(s)")
            lines.append("")
            continue
        header = f"  {'date':<10}" + "".join(f"  {side:>20}" for side in sides)
        two_sided = "left" in sides and "right" in sides
        if two_sided:
            header += "  left/right"
        lines.append(header)
        for p in ex.points:
            row = f"  {p.day.isoformat():<10}"
            for side in sides:
                st = p.by_side.get(side)
                cell = "-" if st is None else (
                    f"{format_value(st.max, ex.axis.unit)} / {format_value(st.median, ex.axis.unit)} ({st.counted})")
                row += f"  {cell:>20}"
            if two_sided:
                row += f"  {p.symmetry:>10.2f}" if p.symmetry is not None else f"  {'-':>10}"
            lines.append(row)
        for side in sides:
            series = [p.by_side[side].median for p in ex.points if side in p.by_side]
            if len(series) >= 2:
                change = series[-1] - series[0]
                lines.append(
                    f"  {side} median: {format_value(series[0], ex.axis.unit)} -> "
                    f"{format_value(series[-1], ex.axis.unit)} {ex.axis.unit} ({change:+.2f})"
                )
        if two_sided:
            sym = [p.symmetry for p in ex.points if p.symmetry is not None]
            if sym:
                weaker = "left" if sym[-1] < 1 else "right"
                lines.append(f"  symmetry (left/right median) latest {sym[-1]:.2f}"
                             + ("" if abs(sym[-1] - 1) < 0.05 else f": {weaker} side has less range"))
        lines.append("")
    lines.append(f"Adherence: {report.sessions_per_week:.1f} sessions per week "
                 f"over {len(report.weeks)} week(s)")
    for w in report.weeks:
        iso = w.monday.isocalendar()
        lines.append(f"  {iso.year}-W{iso.week:02d} (from {w.monday.isoformat()})  "
                     f"{'#' * w.sessions:<8} {w.sessions}")
    return "\n".join(lines)
