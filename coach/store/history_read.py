"""What the history gives back: each stored session with its exercise runs, holds and events.

`read_sessions` is the one query behind `coach.store.history.HistoryStore.sessions`, which `coach
history`, `coach progress`, `coach export` and the personal targets read.
No cv2, no mediapipe.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coach.coaching.engine import HoldRecord
from coach.coaching.report import TimedEvent, best_by_side, hold_json
from coach.store.history_db import INTERRUPTED

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
        """The largest peak of the counted holds, per side (see `coach.coaching.report.best_by_side`)."""
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


def read_sessions(conn: sqlite3.Connection, last: int | None = None) -> list[StoredSession]:
    """Sessions oldest first, each with its runs, holds and events (``last``: only the newest)."""
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


def _reps_from_holds(holds: Sequence[HoldRecord]) -> dict[str, int]:
    reps: dict[str, int] = {}
    for hold in holds:
        reps.setdefault(hold.side, 0)
        if hold.counted:
            reps[hold.side] += 1
    return reps
