"""`coach export --csv DIR`: the whole history as CSV files a spreadsheet or a clinician can read.

The exercise sessions (sessions.csv, holds.csv, events.csv) and the range-of-motion tests of
`coach measure` (measurements.csv, measurement_directions.csv, measurement_trials.csv). Every
file is written, with its header, even when there is nothing to put in it, so a script can rely
on the set. Times are ISO 8601 with the UTC offset they were stored with; an empty cell is a value
that does not exist (not measured, not asked), never a zero.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from coach.coaching.measure_report import ARCS, DirectionResult, MeasureReport
from coach.errors import CoachError
from coach.options import ExportOptions
from coach.store.history import HistoryStore, StoredSession, resolve_db_path

SESSION_FIELDS = ("session_id", "started_at", "ended_at", "status", "source", "exercises")
HOLD_FIELDS = ("session_id", "run_id", "exercise", "side", "start_s", "held_s", "peak_deg",
               "counted", "fault")
EVENT_FIELDS = ("session_id", "run_id", "exercise", "category", "t_s", "kind", "message")

#: One row per `coach measure` test; the total arcs are both halves added (empty if one is missing).
MEASUREMENT_FIELDS = ("measurement_id", "started_at", "source", "ended_by", "complete", "calibrated",
                      "directions", *(f"{arc.replace('-', '_')}_arc_deg" for arc in ARCS), "notes")
#: One row per direction asked: the kept value (median of the measured trials), the trials, their
#: spread, whether the reading was reliable (and why not), the pain answer and the movement quality.
DIRECTION_FIELDS = ("measurement_id", "started_at", "direction", "unit", "status", "reliable", "reason",
                    "median", "trials", "trials_measured", "trial_values", "spread", "pain", "too_fast",
                    "circles", "steadiness", "trunk_turn_deg", "shoulder_hike_cm")
#: One row per trial, measured or not (``reason`` says why not).
TRIAL_FIELDS = ("measurement_id", "direction", "trial", "value", "reason", "steadiness", "trunk_turn_deg",
                "shoulder_hike_cm")

Table = tuple[Sequence[str], Iterable[Sequence[object]]]


def _cell(value: object) -> object:
    """None as an empty cell; booleans as 1/0 (as holds.csv writes ``counted``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    return value


def _write_tables(out_dir: Path, tables: dict[str, Table]) -> list[Path]:
    """Write ``{file name: (header, rows)}`` into ``out_dir`` (created if needed).

    Raises:
        CoachError: The folder or a file cannot be written.
    """
    paths = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, (header, rows) in tables.items():
            path = out_dir / name
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(header)
                writer.writerows([_cell(c) for c in row] for row in rows)
            paths.append(path)
    except OSError as exc:
        raise CoachError(f"cannot write CSV files into {out_dir}: {exc.strerror or exc}") from None
    return paths


# -- the exercise sessions ---------------------------------------------------------------------


def session_tables(sessions: Sequence[StoredSession]) -> dict[str, Table]:
    """sessions.csv, holds.csv and events.csv.

    holds.csv has one ``peak_<axis>`` column per axis measured in any hold (empty where a hold
    has no value for it).
    """
    axes = sorted({a for s in sessions for r in s.runs for h in r.holds for a in h.peak_by_axis})
    session_rows = [(s.id, s.started_at.isoformat(), None if s.ended_at is None else s.ended_at.isoformat(),
                     s.status, s.source, " ".join(r.exercise_id for r in s.runs)) for s in sessions]
    hold_rows = [(s.id, r.id, r.exercise_id, h.side, h.start_s, h.held_s, h.peak_deg, int(h.counted),
                  h.fault or "", *(h.peak_by_axis.get(a) for a in axes))
                 for s in sessions for r in s.runs for h in r.holds]
    event_rows = [(s.id, r.id, r.exercise_id, category, e.t_s, e.kind, e.message)
                  for s in sessions for r in s.runs
                  for category, events in (("safety", r.safety_events), ("fault", r.faults)) for e in events]
    return {"sessions.csv": (SESSION_FIELDS, session_rows),
            "holds.csv": (HOLD_FIELDS + tuple(f"peak_{a}" for a in axes), hold_rows),
            "events.csv": (EVENT_FIELDS, event_rows)}


def export_csv(sessions: Sequence[StoredSession], out_dir: Path) -> list[Path]:
    """Write sessions.csv, holds.csv and events.csv into ``out_dir`` (created if needed).

    Raises:
        CoachError: The folder or a file cannot be written.
    """
    return _write_tables(out_dir, session_tables(sessions))


# -- the range-of-motion tests -----------------------------------------------------------------


def _reliable(d: DirectionResult) -> bool | None:
    """False when the readings were unreliable, True when a value was kept, None (empty) when
    nothing was measured (skipped, stopped for pain, never asked)."""
    if d.status == "unreliable":
        return False
    return True if d.value is not None else None


def measurement_tables(tests: Sequence[tuple[int, MeasureReport]]) -> dict[str, Table]:
    """measurements.csv, measurement_directions.csv and measurement_trials.csv of the stored tests
    (``(id, report)``, as `HistoryStore.measurement_rows` gives them).

    measurement_directions.csv and measurement_trials.csv have one ``off_<axis>`` column per other
    axis seen during any held trial (the tilt during a rotation, say; the median over the trials in
    the first): the compensation reported beside the numbers.
    """
    off_axes = sorted({k for _, t in tests for d in t.directions for k in d.quality() if k.startswith("off_")})
    test_rows = [(mid, t.started_at, t.source, t.ended_by, t.complete, t.calibrated,
                  " ".join(d.direction for d in t.directions), *t.arcs().values(), " | ".join(t.notes))
                 for mid, t in tests]
    direction_rows = []
    trial_rows = []
    for mid, t in tests:
        for d in t.directions:
            quality = d.quality()
            direction_rows.append((
                mid, t.started_at, d.direction, d.spec.unit, d.status, _reliable(d), d.reason, d.value,
                len(d.trials), len(d.values), " ".join(f"{v:g}" for v in d.values), d.spread, d.pain,
                d.too_fast, d.circles, quality.get("steadiness"), quality.get("trunk_turn_deg"),
                quality.get("shoulder_hike_cm"), *(quality.get(a) for a in off_axes)))
            trial_rows += [(mid, d.direction, n, tr.value, tr.reason, tr.steadiness, tr.trunk_turn_deg,
                            tr.shoulder_hike_cm, *(tr.off_axis.get(a[len("off_"):]) for a in off_axes))
                           for n, tr in enumerate(d.trials, start=1)]
    return {"measurements.csv": (MEASUREMENT_FIELDS, test_rows),
            "measurement_directions.csv": (DIRECTION_FIELDS + tuple(off_axes), direction_rows),
            "measurement_trials.csv": (TRIAL_FIELDS + tuple(off_axes), trial_rows)}


# -- the command -------------------------------------------------------------------------------


def export_command(opts: ExportOptions) -> int:
    """`coach export --csv DIR`: the sessions' and the range-of-motion tests' CSV files."""
    sessions: list[StoredSession] = []
    tests: list[tuple[int, MeasureReport]] = []
    if resolve_db_path(opts.data_dir).exists():  # an absent database is an empty history; never create it
        with HistoryStore.open(opts.data_dir) as store:
            sessions, tests = store.sessions(), store.measurement_rows()
    paths = _write_tables(opts.csv, {**session_tables(sessions), **measurement_tables(tests)})
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
