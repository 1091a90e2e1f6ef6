"""The history database: where it lives, its schema and migrations, and opening it.

Where the data lives: ``--data-dir``, else ``$COACH_DATA_DIR``, else the platformdirs user data
dir of "neck-coach". The folder is created user-only (0700) and the database file 0600, because
range-of-motion data is health data.

`coach.store.history` writes to the database and `coach.store.history_read` reads it back.
No cv2, no mediapipe.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from coach.errors import CoachError

DATA_DIR_ENV = "COACH_DATA_DIR"
DB_FILENAME = "history.sqlite3"
APP_NAME = "neck-coach"

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


# -- where it lives, opening and deleting it ---------------------------------------------------


def default_data_dir() -> Path:
    """``$COACH_DATA_DIR`` if set, else the platform's user data folder for neck-coach."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_db_path(data_dir: Path | None = None) -> Path:
    """The database file for ``data_dir`` (or the default data folder)."""
    return (Path(data_dir).expanduser() if data_dir is not None else default_data_dir()) / DB_FILENAME


def open_database(
    data_dir: Path | None = None, *, timeout_s: float = 3.0
) -> tuple[sqlite3.Connection, Path]:
    """The database behind `coach.store.history.HistoryStore.open` (see it for the arguments and errors).

    Returns:
        An autocommit connection to the migrated database, and the database file.
    """
    path = resolve_db_path(data_dir)
    _make_private_dir(path.parent)
    _make_private_file(path)
    try:
        conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
    except sqlite3.Error as exc:
        raise history_error("open it", path, exc) from exc
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
        raise history_error("open it", path, exc) from exc
    return conn, path


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


# -- helpers -----------------------------------------------------------------------------------


def history_error(what: str, path: Path, exc: BaseException) -> HistoryError:
    """A `HistoryError` for a failed sqlite operation: what failed, on which file, and a hint."""
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
