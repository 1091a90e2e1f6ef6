"""The range-of-motion tests in the history: written whole in one transaction, read back as
`coach.coaching.measure_report.MeasureReport`s, oldest first (schema: `coach.store.history_db` migration 3).

No cv2, no mediapipe, no clock.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone

from coach.coaching.measure_report import MeasureReport


def _utc(started_at: str) -> str:
    try:
        dt = datetime.fromisoformat(started_at)
    except ValueError:
        return started_at
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return dt.astimezone(timezone.utc).isoformat()


def insert_measurement(conn: sqlite3.Connection, report: MeasureReport) -> int:
    """Insert one test and its directions (the caller holds the transaction). Returns its id."""
    cur = conn.execute(
        "INSERT INTO measurements (started_at, started_utc, ended_by, complete, source, report) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (report.started_at, _utc(report.started_at), report.ended_by, int(report.complete), report.source,
         json.dumps(report.to_json(), sort_keys=True, allow_nan=False)))
    mid = int(cur.lastrowid)
    conn.executemany(
        "INSERT INTO measurement_directions (measurement_id, direction, status, value, unit, spread, pain) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(mid, d.direction, d.status, d.value, d.spec.unit, d.spread, None if d.pain is None else int(d.pain))
         for d in report.directions])
    return mid


def read_measurement_rows(conn: sqlite3.Connection) -> list[tuple[int, MeasureReport]]:
    """Every stored test with its row id (what an export names it by), oldest first; a row whose
    JSON cannot be read is skipped."""
    out = []
    for mid, text in conn.execute("SELECT id, report FROM measurements ORDER BY started_utc, id"):
        try:
            out.append((int(mid), MeasureReport.from_json(json.loads(text))))
        except (ValueError, TypeError):
            continue
    return out
