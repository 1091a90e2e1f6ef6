"""The live session's history fallbacks: coaching goes on when the database fails.

`SafeHistory` writes through to the store (`coach.store.history.HistoryStore`) until the first
`HistoryError`, then stores nothing and keeps the error for the summary; `NullHistory` stores
nothing, with the same write API. No clock: every datetime is an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from coach.coaching.engine import HoldRecord
from coach.coaching.report import ExerciseResult
from coach.store.history import ExerciseRunId, HistoryStore, SessionId
from coach.store.history_db import HistoryError
from coach.store.history_read import StoredRun, StoredSession


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
    def open(cls, data_dir: Path | None = None, *, timeout_s: float = 3.0) -> SafeHistory:
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
