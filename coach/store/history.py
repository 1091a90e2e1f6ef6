"""The session history: a small sqlite3 database that never loses a finished hold.

The live session writes as it goes (`start_session`, `start_exercise`, `add_hold`, ...), each
call its own transaction, so a crash or ``kill -9`` loses at most the hold in progress; a session
that was never ended shows as ``interrupted``, not lost. `record_events` stores what it keeps of
engine events; `finish_exercise` stores an exercise's `coach.coaching.report.ExerciseResult`.

The database itself (where it lives, schema, migrations, opening, deleting) is
`coach.store.history_db`; what reads give back (`StoredSession`, `StoredRun`) is `coach.store.history_read`.
Both are re-exported here. The live session's fallbacks (`SafeHistory`, `NullHistory`: coaching goes
on when the database fails) are `coach.store.history_safe`.

The store never reads the clock: every datetime is an argument (the CLI/session passes now()).
No cv2, no mediapipe.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NewType, Protocol

from coach.coaching.engine import Event, EventKind, HoldRecord
from coach.coaching.measure_report import MeasureReport
from coach.coaching.report import ExerciseResult
from coach.store.history_db import (  # noqa: F401  (re-exported: the history stage's public API)
    DATA_DIR_ENV,
    DB_FILENAME,
    ENDED_BY,
    SCHEMA_VERSION,
    HistoryError,
    default_data_dir,
    delete_history,
    history_error,
    migrate,
    open_database,
    resolve_db_path,
)
from coach.store.history_measure import insert_measurement, read_measurement_rows
from coach.store.history_read import StoredRun, StoredSession, read_sessions

SessionId = NewType("SessionId", int)
ExerciseRunId = NewType("ExerciseRunId", int)


# -- the write API the live session uses -------------------------------------------------------


class HistoryWriter(Protocol):
    """What the live session calls as it goes; `HistoryStore`, `NullHistory`, `SafeHistory`."""

    def start_session(self, started_at: datetime, source: str) -> SessionId:
        """Begin a session (``source``: the camera or file coached) and return its id."""
        ...

    def record_calibration(self, sid: SessionId, calibration: Mapping[str, Any]) -> None:
        """Store the neutral measured for session ``sid`` (angles and body reference)."""
        ...

    def start_exercise(
        self, sid: SessionId, exercise_id: str, targets: Mapping[str, Any]
    ) -> ExerciseRunId:
        """Begin one exercise run of session ``sid`` with the targets it is coached to."""
        ...

    def add_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None:
        """Store one finished hold of the run (counted or not)."""
        ...

    def void_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None:
        """Mark a stored hold uncounted after all (``hold`` carries the fault that voided it)."""
        ...

    def add_safety_event(
        self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = ""
    ) -> None:
        """Store a safety event (a blocked head circle) at ``t_s`` into the run."""
        ...

    def add_fault(self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = "") -> None:
        """Store a form fault (e.g. nodding during a turn) at ``t_s`` into the run."""
        ...

    def finish_exercise(self, run_id: ExerciseRunId, result: ExerciseResult) -> None:
        """Store the run's result: reps, best holds, tracking-lost time."""
        ...

    def end_session(self, sid: SessionId, ended_at: datetime, ended_by: str) -> None:
        """Close session ``sid``; ``ended_by`` is one of `coach.store.history_db.ENDED_BY`."""
        ...


class HistoryStore:
    """The sqlite3 history of sessions. Open with `HistoryStore.open`; use as a context manager.

    Every write method is its own transaction and commits before returning (``synchronous=FULL``
    in WAL mode), so what a method has written survives a crash of the process right after.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path | None = None, *, timeout_s: float = 3.0) -> HistoryStore:
        """Open (creating and migrating if needed) the history in ``data_dir``.

        Args:
            data_dir: Folder of the database; None means `default_data_dir()`.
            timeout_s: How long a write waits for another process holding the database lock.

        Raises:
            HistoryError: The folder or file cannot be created or opened, the file is not a
                neck-coach database, or it is locked by another process.
        """
        return cls(*open_database(data_dir, timeout_s=timeout_s))

    def close(self) -> None:
        """Close the database (idempotent)."""
        try:
            self._conn.close()
        except sqlite3.Error:
            pass

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        """One write transaction; any sqlite failure becomes a `HistoryError` naming ``what``."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise history_error(what, self.path, exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.Error):
                raise history_error(what, self.path, exc) from exc
            raise

    # -- writes, one transaction each ------------------------------------------------------

    def start_session(self, started_at: datetime, source: str) -> SessionId:
        """Record the start of a session; ``source`` says where frames came from ("camera 0")."""
        with self._write("start a session") as conn:
            return _insert_session(conn, started_at, source)

    def record_calibration(self, sid: SessionId, calibration: Mapping[str, Any]) -> None:
        """Store the neutral calibration of a session (JSON-serialisable values)."""
        with self._write("record the calibration") as conn:
            conn.execute(
                "UPDATE sessions SET calibration = ? WHERE id = ?",
                (_dumps(calibration), int(sid)),
            )

    def start_exercise(
        self, sid: SessionId, exercise_id: str, targets: Mapping[str, Any]
    ) -> ExerciseRunId:
        """Record the start of one exercise of a session with the targets used for it."""
        with self._write("start an exercise") as conn:
            return _insert_run(conn, sid, exercise_id, targets)

    def add_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None:
        """Store one finished hold (counted or not)."""
        with self._write("save a hold") as conn:
            _insert_hold(conn, run_id, hold)

    def void_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None:
        """Mark a stored hold (same side and start) as not counted, with ``hold``'s fault."""
        with self._write("void a hold") as conn:
            conn.execute(
                "UPDATE holds SET counted = 0, fault = ? WHERE id = (SELECT id FROM holds"
                " WHERE run_id = ? AND side = ? AND start_s = ? ORDER BY id DESC LIMIT 1)",
                (hold.fault, int(run_id), str(hold.side), float(hold.start_s)),
            )

    def add_safety_event(
        self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = ""
    ) -> None:
        """Store a safety stop (``kind`` e.g. "head-circle") at ``t_s`` into the exercise."""
        with self._write("save a safety event") as conn:
            _insert_event(conn, run_id, "safety", t_s, kind, message)

    def add_fault(self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = "") -> None:
        """Store a form fault (``kind`` e.g. "pitch-during-rotation") and what was said."""
        with self._write("save a fault") as conn:
            _insert_event(conn, run_id, "fault", t_s, kind, message)

    def finish_exercise(self, run_id: ExerciseRunId, result: ExerciseResult) -> None:
        """Record an exercise's result: the final reps per side and the time tracking was lost
        (its holds and events were stored as they happened, see `record_events`)."""
        with self._write("finish an exercise") as conn:
            _finish_run(conn, run_id, result.reps, result.tracking_lost_s)

    def end_session(self, sid: SessionId, ended_at: datetime, ended_by: str) -> None:
        """Record how and when a session ended (``ended_by`` one of `ENDED_BY`)."""
        with self._write("end the session") as conn:
            _end_session(conn, sid, ended_at, ended_by)

    # -- reads -----------------------------------------------------------------------------

    def save_measurement(self, report: MeasureReport) -> int:
        """Store a whole range-of-motion test in one transaction (never part of one)."""
        with self._write("save the range-of-motion test") as conn:
            return insert_measurement(conn, report)

    def measurements(self) -> list[MeasureReport]:
        """The stored range-of-motion tests, oldest first."""
        return [report for _, report in self.measurement_rows()]

    def measurement_rows(self) -> list[tuple[int, MeasureReport]]:
        """The stored range-of-motion tests with their ids, oldest first (`coach export`)."""
        try:
            return read_measurement_rows(self._conn)
        except sqlite3.Error as exc:
            raise history_error("read the range-of-motion tests", self.path, exc) from exc

    def sessions(self, last: int | None = None) -> list[StoredSession]:
        """Sessions oldest first, each with its runs, holds and events.

        Args:
            last: Only the newest ``last`` sessions (still oldest first).
        """
        try:
            return read_sessions(self._conn, last)
        except sqlite3.Error as exc:
            raise history_error("read it", self.path, exc) from exc

    def runs(self, exercise_id: str | None = None) -> list[tuple[StoredSession, StoredRun]]:
        """Every exercise run (optionally of one exercise) with its session, oldest first."""
        return [
            (s, r)
            for s in self.sessions()
            for r in s.runs
            if exercise_id is None or r.exercise_id == exercise_id
        ]


def record_events(
    history: HistoryWriter, run_id: ExerciseRunId, events: Iterable[Event], *, t0_ms: int
) -> None:
    """Store what the history keeps of engine events, as `coach.coaching.report.ExerciseResult` reports
    them: finished holds (and holds voided after all), safety stops, form faults and wrong-side
    turns (as a "wrong-side" fault). Each is its own transaction, written as it happens.

    Args:
        history: The store (or a `SafeHistory`/`NullHistory`).
        run_id: The exercise run the events belong to.
        events: Engine events, in order; other kinds are ignored.
        t0_ms: The exercise's start time: stored times are seconds since it.
    """
    for ev in events:
        t_s = (ev.t_ms - t0_ms) / 1000.0
        if ev.kind in (EventKind.HOLD_DONE, EventKind.ATTEMPT_DONE) and ev.hold is not None:
            history.add_hold(run_id, ev.hold)  # an attempt below target: an uncounted hold
        elif ev.kind is EventKind.HOLD_VOIDED and ev.hold is not None:
            history.void_hold(run_id, ev.hold)
        elif ev.kind is EventKind.SAFETY_STOP:
            history.add_safety_event(run_id, t_s, ev.fault or "safety", ev.message)
        elif ev.kind is EventKind.FAULT:
            history.add_fault(run_id, t_s, ev.fault or "form", ev.message)
        elif ev.kind is EventKind.WRONG_SIDE:
            history.add_fault(run_id, t_s, "wrong-side", ev.message)


# -- helpers -----------------------------------------------------------------------------------


def _iso(dt: datetime) -> str:
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None:
        # A naive datetime is taken as local time (astimezone does not read the clock).
        dt = dt.astimezone()
    return dt.isoformat()


def _dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), sort_keys=True, default=_json_default, allow_nan=False)


def _json_default(value: Any) -> Any:
    # Targets/calibration may hold numpy scalars or arrays, enums, tuples.
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _insert_session(conn: sqlite3.Connection, started_at: datetime, source: str) -> SessionId:
    utc = _utc_iso(started_at)
    cur = conn.execute(
        "INSERT INTO sessions (started_at, started_utc, source) VALUES (?, ?, ?)",
        (_iso(started_at), utc, str(source)),
    )
    return SessionId(int(cur.lastrowid))


def _utc_iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return dt.astimezone(timezone.utc).isoformat()


def _insert_run(
    conn: sqlite3.Connection, sid: int, exercise_id: str, targets: Mapping[str, Any]
) -> ExerciseRunId:
    cur = conn.execute(
        "INSERT INTO exercise_runs (session_id, exercise_id, targets) VALUES (?, ?, ?)",
        (int(sid), str(exercise_id), _dumps(targets)),
    )
    return ExerciseRunId(int(cur.lastrowid))


def _insert_hold(conn: sqlite3.Connection, run_id: int, hold: HoldRecord) -> None:
    conn.execute(
        "INSERT INTO holds (run_id, side, start_s, held_s, peak_deg, counted, fault, peak_by_axis)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            int(run_id),
            str(hold.side),
            float(hold.start_s),
            float(hold.held_s),
            float(hold.peak_deg),
            int(bool(hold.counted)),
            hold.fault,
            _dumps({k: float(v) for k, v in (hold.peak_by_axis or {}).items()}),
        ),
    )


def _insert_event(
    conn: sqlite3.Connection, run_id: int, category: str, t_s: float, kind: str, message: str
) -> None:
    conn.execute(
        "INSERT INTO events (run_id, category, t_s, kind, message) VALUES (?, ?, ?, ?, ?)",
        (int(run_id), category, float(t_s), str(kind), str(message or "")),
    )


def _finish_run(
    conn: sqlite3.Connection, run_id: int, reps: Mapping[str, int], tracking_lost_s: float
) -> None:
    conn.execute(
        "UPDATE exercise_runs SET reps = ?, tracking_lost_s = ?, finished = 1 WHERE id = ?",
        (_dumps({str(k): int(v) for k, v in reps.items()}), float(tracking_lost_s), int(run_id)),
    )


def _end_session(conn: sqlite3.Connection, sid: int, ended_at: datetime, ended_by: str) -> None:
    if ended_by not in ENDED_BY:
        raise ValueError(f"ended_by must be one of {', '.join(ENDED_BY)}, got {ended_by!r}")
    conn.execute(
        "UPDATE sessions SET ended_at = ?, ended_by = ? WHERE id = ?",
        (_iso(ended_at), ended_by, int(sid)),
    )
