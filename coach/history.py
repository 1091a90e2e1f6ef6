"""The session history: a small sqlite3 database that never loses a finished hold.

The live session writes as it goes (`start_session`, `start_exercise`, `add_hold`, ...), each
call its own transaction, so a crash or ``kill -9`` loses at most the hold in progress; a session
that was never ended shows as ``interrupted``, not lost. `record_events` stores what it keeps of
engine events; `finish_exercise` stores an exercise's `coach.report.ExerciseResult`.

Where the data lives: ``--data-dir``, else ``$COACH_DATA_DIR``, else the platformdirs user data
dir of "neck-coach". The folder is created user-only (0700) and the database file 0600, because
range-of-motion data is health data.

The store never reads the clock: every datetime is an argument (the CLI/session passes now()).
No cv2, no mediapipe.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, NewType, Protocol, Sequence

from coach.engine import Event, EventKind, HoldRecord
from coach.errors import CoachError
from coach.report import ExerciseResult, TimedEvent, best_by_side, hold_json

DATA_DIR_ENV = "COACH_DATA_DIR"
DB_FILENAME = "history.sqlite3"
APP_NAME = "neck-coach"

SessionId = NewType("SessionId", int)
ExerciseRunId = NewType("ExerciseRunId", int)

#: How a session ended. A session with no end recorded is shown as "interrupted".
ENDED_BY = ("completed", "quit", "interrupted", "camera-lost", "pain-stop")
INTERRUPTED = "interrupted"


class HistoryError(CoachError):
    """The history database cannot be opened, read or written (unwritable, locked, corrupt)."""


# -- schema and migrations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Migration:
    """One schema step: running `statements` on a database at ``version - 1`` gives ``version``."""

    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sessions, exercise runs, holds and events",
        (
            # started_at keeps the offset the caller passed (the user's local time of day);
            # started_utc is the same instant normalised, so sessions sort correctly across
            # time-zone changes.
            """CREATE TABLE sessions (
                id INTEGER PRIMARY KEY,
                started_at TEXT NOT NULL,
                started_utc TEXT NOT NULL,
                ended_at TEXT,
                ended_by TEXT,
                source TEXT NOT NULL,
                calibration TEXT
            )""",
            """CREATE TABLE exercise_runs (
                id INTEGER PRIMARY KEY,
                session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                exercise_id TEXT NOT NULL,
                targets TEXT NOT NULL,
                reps TEXT,
                tracking_lost_s REAL,
                finished INTEGER NOT NULL DEFAULT 0
            )""",
            """CREATE TABLE holds (
                id INTEGER PRIMARY KEY,
                run_id INTEGER NOT NULL REFERENCES exercise_runs(id) ON DELETE CASCADE,
                side TEXT NOT NULL,
                start_s REAL NOT NULL,
                held_s REAL NOT NULL,
                peak_deg REAL NOT NULL,
                counted INTEGER NOT NULL,
                fault TEXT
            )""",
            """CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                run_id INTEGER NOT NULL REFERENCES exercise_runs(id) ON DELETE CASCADE,
                category TEXT NOT NULL CHECK (category IN ('safety', 'fault')),
                t_s REAL NOT NULL,
                kind TEXT NOT NULL,
                message TEXT NOT NULL DEFAULT ''
            )""",
        ),
    ),
    Migration(
        2,
        "peak angle per axis for every hold; indexes for the per-session look-ups",
        (
            # Existing v1 holds get an empty mapping: their per-axis peaks were never measured.
            "ALTER TABLE holds ADD COLUMN peak_by_axis TEXT NOT NULL DEFAULT '{}'",
            "CREATE INDEX runs_by_session ON exercise_runs(session_id)",
            "CREATE INDEX holds_by_run ON holds(run_id)",
            "CREATE INDEX events_by_run ON events(run_id)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(conn: sqlite3.Connection, upto: int | None = None) -> int:
    """Bring the database schema up to ``upto`` (default: the newest), one step per transaction.

    Args:
        conn: An autocommit connection (``isolation_level=None``).
        upto: Stop at this version (tests use it to build an old database).

    Returns:
        The schema version after migrating.

    Raises:
        HistoryError: The database was written by a newer neck-coach.
    """
    target = SCHEMA_VERSION if upto is None else upto
    # Up to date (the usual case): no write lock, so `coach history` opens without waiting
    # for a live session that is writing.
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for step in MIGRATIONS:
        if step.version > target:
            break
        if step.version <= current:
            continue
        # BEGIN IMMEDIATE, then re-read the version: two processes opening an old database at
        # the same time must not both apply the same step.
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise HistoryError(
                    f"the history database has schema version {current}, newer than this "
                    f"neck-coach understands ({SCHEMA_VERSION}); upgrade neck-coach"
                )
            if current < step.version:
                for sql in step.statements:
                    conn.execute(sql)
                conn.execute(f"PRAGMA user_version = {int(step.version)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"the history database has schema version {version}, newer than this neck-coach "
            f"understands ({SCHEMA_VERSION}); upgrade neck-coach"
        )
    return int(version)


# -- what reads give back --------------------------------------------------------------------


#: A safety event or a form fault of one exercise run, as stored.
StoredEvent = TimedEvent


@dataclass(frozen=True)
class StoredRun:
    """One exercise done in a session, with everything recorded for it."""

    id: int
    session_id: int
    exercise_id: str
    targets: dict[str, Any]
    reps: dict[str, int]
    finished: bool
    tracking_lost_s: float | None
    holds: tuple[HoldRecord, ...]
    safety_events: tuple[StoredEvent, ...]
    faults: tuple[StoredEvent, ...]

    def best_by_side(self) -> dict[str, float]:
        """The largest peak of the counted holds, per side (see `coach.report.best_by_side`)."""
        return best_by_side(self.holds)


@dataclass(frozen=True)
class StoredSession:
    """One coaching session (a routine or a single exercise)."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    status: str  # one of ENDED_BY; "interrupted" when the session was never ended
    source: str
    calibration: dict[str, Any] | None
    runs: tuple[StoredRun, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (what `coach history --json` prints per session)."""
        return {
            "id": self.id,
            "started_at": self.started_at.isoformat(),
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "status": self.status,
            "source": self.source,
            "calibration": self.calibration,
            "exercises": [
                {
                    "exercise": run.exercise_id,
                    "finished": run.finished,
                    "reps": run.reps,
                    "best_by_side": run.best_by_side(),
                    "targets": run.targets,
                    "tracking_lost_s": run.tracking_lost_s,
                    "holds": [hold_json(h, rounded=False) for h in run.holds],
                    "safety_events": [
                        {"t_s": e.t_s, "kind": e.kind} for e in run.safety_events
                    ],
                    "faults": [
                        {"t_s": e.t_s, "kind": e.kind, "message": e.message} for e in run.faults
                    ],
                }
                for run in self.runs
            ],
        }


# -- the write API the live session uses -------------------------------------------------------


class HistoryWriter(Protocol):
    """What the live session calls as it goes; `HistoryStore`, `NullHistory`, `SafeHistory`."""

    def start_session(self, started_at: datetime, source: str) -> SessionId: ...

    def record_calibration(self, sid: SessionId, calibration: Mapping[str, Any]) -> None: ...

    def start_exercise(
        self, sid: SessionId, exercise_id: str, targets: Mapping[str, Any]
    ) -> ExerciseRunId: ...

    def add_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None: ...

    def void_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None: ...

    def add_safety_event(
        self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = ""
    ) -> None: ...

    def add_fault(self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = "") -> None: ...

    def finish_exercise(self, run_id: ExerciseRunId, result: ExerciseResult) -> None: ...

    def end_session(self, sid: SessionId, ended_at: datetime, ended_by: str) -> None: ...


def default_data_dir() -> Path:
    """``$COACH_DATA_DIR`` if set, else the platform's user data folder for neck-coach."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs  # lazy: only the history commands need it

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_db_path(data_dir: Path | None = None) -> Path:
    """The database file for ``data_dir`` (or the default data folder)."""
    return (Path(data_dir).expanduser() if data_dir is not None else default_data_dir()) / DB_FILENAME


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
    def open(cls, data_dir: Path | None = None, *, timeout_s: float = 3.0) -> "HistoryStore":
        """Open (creating and migrating if needed) the history in ``data_dir``.

        Args:
            data_dir: Folder of the database; None means `default_data_dir()`.
            timeout_s: How long a write waits for another process holding the database lock.

        Raises:
            HistoryError: The folder or file cannot be created or opened, the file is not a
                neck-coach database, or it is locked by another process.
        """
        path = resolve_db_path(data_dir)
        _make_private_dir(path.parent)
        _make_private_file(path)
        try:
            conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise _history_error("open it", path, exc) from exc
        try:
            # WAL: a reader (`coach history` in another terminal) never blocks the live session
            # writing; FULL: each committed hold is on disk before the call returns.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            migrate(conn)
        except HistoryError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            raise _history_error("open it", path, exc) from exc
        return cls(conn, path)

    def close(self) -> None:
        """Close the database (idempotent)."""
        try:
            self._conn.close()
        except sqlite3.Error:
            pass

    def __enter__(self) -> "HistoryStore":
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
            raise _history_error(what, self.path, exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.Error):
                raise _history_error(what, self.path, exc) from exc
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

    def sessions(self, last: int | None = None) -> list[StoredSession]:
        """Sessions oldest first, each with its runs, holds and events.

        Args:
            last: Only the newest ``last`` sessions (still oldest first).
        """
        try:
            return self._read_sessions(last)
        except sqlite3.Error as exc:
            raise _history_error("read it", self.path, exc) from exc

    def runs(self, exercise_id: str | None = None) -> list[tuple[StoredSession, StoredRun]]:
        """Every exercise run (optionally of one exercise) with its session, oldest first."""
        return [
            (s, r)
            for s in self.sessions()
            for r in s.runs
            if exercise_id is None or r.exercise_id == exercise_id
        ]

    def _read_sessions(self, last: int | None) -> list[StoredSession]:
        conn = self._conn
        order = "ORDER BY started_utc DESC, id DESC"
        limit = "" if last is None else f" LIMIT {max(0, int(last))}"
        srows = conn.execute(
            "SELECT id, started_at, ended_at, ended_by, source, calibration FROM sessions "
            + order + limit
        ).fetchall()
        srows.reverse()
        if not srows:
            return []
        ids = [r[0] for r in srows]
        marks = ",".join("?" * len(ids))
        runs_by_session: dict[int, list[tuple]] = {i: [] for i in ids}
        rrows = conn.execute(
            "SELECT id, session_id, exercise_id, targets, reps, finished, tracking_lost_s "
            f"FROM exercise_runs WHERE session_id IN ({marks}) ORDER BY id",
            ids,
        ).fetchall()
        run_ids = [r[0] for r in rrows]
        holds: dict[int, list[HoldRecord]] = {i: [] for i in run_ids}
        events: dict[int, dict[str, list[StoredEvent]]] = {
            i: {"safety": [], "fault": []} for i in run_ids
        }
        if run_ids:
            rmarks = ",".join("?" * len(run_ids))
            for run_id, side, start_s, held_s, peak, counted, fault, by_axis in conn.execute(
                "SELECT run_id, side, start_s, held_s, peak_deg, counted, fault, peak_by_axis "
                f"FROM holds WHERE run_id IN ({rmarks}) ORDER BY id",
                run_ids,
            ):
                holds[run_id].append(
                    HoldRecord(side, start_s, held_s, peak, bool(counted), fault, json.loads(by_axis))
                )
            for run_id, category, t_s, kind, message in conn.execute(
                "SELECT run_id, category, t_s, kind, message "
                f"FROM events WHERE run_id IN ({rmarks}) ORDER BY id",
                run_ids,
            ):
                events[run_id][category].append(StoredEvent(t_s, kind, message))
        for row in rrows:
            runs_by_session[row[1]].append(row)
        sessions = []
        for sid, started, ended, ended_by, source, calibration in srows:
            runs = []
            for run_id, _, ex_id, targets, reps, finished, lost_s in runs_by_session[sid]:
                run_holds = tuple(holds[run_id])
                runs.append(
                    StoredRun(
                        id=run_id,
                        session_id=sid,
                        exercise_id=ex_id,
                        targets=json.loads(targets),
                        # A run cut off before `finish_exercise` has no final count: its counted
                        # holds are the best record of the reps done.
                        reps=json.loads(reps) if reps is not None else _reps_from_holds(run_holds),
                        finished=bool(finished),
                        tracking_lost_s=lost_s,
                        holds=run_holds,
                        safety_events=tuple(events[run_id]["safety"]),
                        faults=tuple(events[run_id]["fault"]),
                    )
                )
            sessions.append(
                StoredSession(
                    id=sid,
                    started_at=datetime.fromisoformat(started),
                    ended_at=None if ended is None else datetime.fromisoformat(ended),
                    status=ended_by if ended is not None and ended_by else INTERRUPTED,
                    source=source,
                    calibration=None if calibration is None else json.loads(calibration),
                    runs=tuple(runs),
                )
            )
        return sessions


def delete_history(data_dir: Path | None = None) -> list[Path]:
    """Delete the history database of ``data_dir`` (with its -wal/-shm files) for good.

    The folder is removed too when nothing else is left in it.

    Returns:
        The files deleted (empty when there was no history).

    Raises:
        HistoryError: A file could not be deleted.
    """
    path = resolve_db_path(data_dir)
    removed = []
    for p in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        try:
            p.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise HistoryError(f"cannot delete {p}: {exc.strerror or exc}") from exc
        removed.append(p)
    try:
        path.parent.rmdir()
    except OSError:
        pass  # not empty (the user keeps other files there) or already gone
    return removed


def record_events(
    history: HistoryWriter, run_id: ExerciseRunId, events: Iterable[Event], *, t0_ms: int
) -> None:
    """Store what the history keeps of engine events, as `coach.report.ExerciseResult` reports
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
        if ev.kind is EventKind.HOLD_DONE and ev.hold is not None:
            history.add_hold(run_id, ev.hold)
        elif ev.kind is EventKind.HOLD_VOIDED and ev.hold is not None:
            history.void_hold(run_id, ev.hold)
        elif ev.kind is EventKind.SAFETY_STOP:
            history.add_safety_event(run_id, t_s, ev.fault or "safety", ev.message)
        elif ev.kind is EventKind.FAULT:
            history.add_fault(run_id, t_s, ev.fault or "form", ev.message)
        elif ev.kind is EventKind.WRONG_SIDE:
            history.add_fault(run_id, t_s, "wrong-side", ev.message)


# -- fallbacks for the live session ------------------------------------------------------------


class NullHistory:
    """A history that stores nothing, with the same write API (when the database is unusable).

    Attributes:
        reason: Why nothing is stored, for the session summary.
    """

    def __init__(self, reason: str = "history disabled") -> None:
        self.reason = reason
        self._next_id = 0

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def start_session(self, started_at: datetime, source: str) -> SessionId:
        return SessionId(self._new_id())

    def record_calibration(self, sid: SessionId, calibration: Mapping[str, Any]) -> None:
        return None

    def start_exercise(
        self, sid: SessionId, exercise_id: str, targets: Mapping[str, Any]
    ) -> ExerciseRunId:
        return ExerciseRunId(self._new_id())

    def add_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None:
        return None

    def void_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None:
        return None

    def add_safety_event(
        self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = ""
    ) -> None:
        return None

    def add_fault(self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = "") -> None:
        return None

    def finish_exercise(self, run_id: ExerciseRunId, result: ExerciseResult) -> None:
        return None

    def end_session(self, sid: SessionId, ended_at: datetime, ended_by: str) -> None:
        return None

    def runs(self, exercise_id: str | None = None) -> list[tuple[StoredSession, StoredRun]]:
        """No history: no runs (personal targets fall back to the exercise file's)."""
        return []

    def close(self) -> None:
        return None


class SafeHistory:
    """The live session's history: writes through to the store until the first `HistoryError`,
    then keeps coaching without storing, remembering the error for the summary.

    A full disk or a locked database must never stop someone mid-exercise; the summary then
    says what was not saved and why (``error``).

    Attributes:
        error: The first history error, or None while everything was saved.
        path: The database file, or None when it could not be opened.
    """

    def __init__(self, store: HistoryStore | None, error: HistoryError | None = None) -> None:
        self._store = store
        self._null = NullHistory(str(error) if error else "history disabled")
        self.error = error
        self.path = store.path if store is not None else None
        # After the first failure nothing more goes to the store, so ids the null history hands
        # out can never be confused with stored ones.
        self._failed = store is None

    @classmethod
    def open(cls, data_dir: Path | None = None, *, timeout_s: float = 3.0) -> "SafeHistory":
        """Open the store; on failure, a history that stores nothing and knows why."""
        try:
            return cls(HistoryStore.open(data_dir, timeout_s=timeout_s))
        except HistoryError as exc:
            return cls(None, exc)

    @property
    def ok(self) -> bool:
        """True while every write so far was stored."""
        return self.error is None

    def _call(self, name: str, *args: Any) -> Any:
        if not self._failed:
            try:
                return getattr(self._store, name)(*args)
            except HistoryError as exc:
                self.error = exc
                self._failed = True
        return getattr(self._null, name)(*args)

    def start_session(self, started_at: datetime, source: str) -> SessionId:
        return self._call("start_session", started_at, source)

    def record_calibration(self, sid: SessionId, calibration: Mapping[str, Any]) -> None:
        self._call("record_calibration", sid, calibration)

    def start_exercise(
        self, sid: SessionId, exercise_id: str, targets: Mapping[str, Any]
    ) -> ExerciseRunId:
        return self._call("start_exercise", sid, exercise_id, targets)

    def add_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None:
        self._call("add_hold", run_id, hold)

    def void_hold(self, run_id: ExerciseRunId, hold: HoldRecord) -> None:
        self._call("void_hold", run_id, hold)

    def add_safety_event(
        self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = ""
    ) -> None:
        self._call("add_safety_event", run_id, t_s, kind, message)

    def add_fault(self, run_id: ExerciseRunId, t_s: float, kind: str, message: str = "") -> None:
        self._call("add_fault", run_id, t_s, kind, message)

    def finish_exercise(self, run_id: ExerciseRunId, result: ExerciseResult) -> None:
        self._call("finish_exercise", run_id, result)

    def end_session(self, sid: SessionId, ended_at: datetime, ended_by: str) -> None:
        self._call("end_session", sid, ended_at, ended_by)

    def runs(self, exercise_id: str | None = None) -> list[tuple[StoredSession, StoredRun]]:
        """Past runs for personal targets; none when the history is unusable (never raises)."""
        if self._store is None:
            return []
        try:
            return self._store.runs(exercise_id)
        except HistoryError:
            return []

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


# -- helpers -----------------------------------------------------------------------------------


def _history_error(what: str, path: Path, exc: BaseException) -> HistoryError:
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if "locked" in low or "busy" in low:
        hint = "another neck-coach may be using it; close it and retry"
    elif "not a database" in low or "malformed" in low:
        hint = f"the file is damaged; move it aside (e.g. rename {path.name}) to start a new history"
    elif "readonly" in low or "read-only" in low or "unable to open" in low or "disk i/o" in low:
        hint = f"make the folder writable or choose another with --data-dir / ${DATA_DIR_ENV}"
    elif "full" in low:
        hint = "free some disk space"
    else:
        hint = f"check the file, or choose another folder with --data-dir / ${DATA_DIR_ENV}"
    return HistoryError(f"history database {path}: cannot {what}: {text} ({hint})")


def _make_private_dir(folder: Path) -> None:
    try:
        existed = folder.is_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not existed:
            # mkdir's mode is filtered by the umask; set it exactly. An existing folder the user
            # chose with --data-dir keeps its permissions.
            os.chmod(folder, 0o700)
    except OSError as exc:
        raise HistoryError(
            f"cannot create the history folder {folder}: {exc.strerror or exc} "
            f"(choose a writable folder with --data-dir or ${DATA_DIR_ENV})"
        ) from exc


def _make_private_file(path: Path) -> None:
    """Create the database file 0600 before sqlite does (sqlite would use 0644 & ~umask).

    SQLite gives its -wal and -shm files the permissions of the database file, so they are
    private too.
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise HistoryError(
            f"cannot create the history database {path}: {exc.strerror or exc} "
            f"(choose a writable folder with --data-dir or ${DATA_DIR_ENV})"
        ) from exc
    os.close(fd)
    os.chmod(path, 0o600)


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


def _reps_from_holds(holds: Sequence[HoldRecord]) -> dict[str, int]:
    reps: dict[str, int] = {}
    for hold in holds:
        reps.setdefault(hold.side, 0)
        if hold.counted:
            reps[hold.side] += 1
    return reps
