"""Seed a history for tests: store report-shaped sections through the live write API.

The live session writes a session piece by piece (`start_session`, `start_exercise`,
`add_hold`, ..., `finish_exercise`, `end_session`); this helper does the same from a report
JSON object (one exercise, or a routine with ``"exercises"``), so tests can describe past
sessions as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from coach.coaching.engine import HoldRecord
from coach.coaching.report import ExerciseResult
from coach.store.history import HistoryStore, SessionId


def store_report(store: HistoryStore, report: Mapping[str, Any], *, started_at: datetime, source: str,
                 ended_at: datetime | None = None, ended_by: str = "completed",
                 calibration: Mapping[str, Any] | None = None) -> SessionId:
    """Store ``report`` as one finished session; return its id."""
    sid = store.start_session(started_at, source)
    if calibration is not None:
        store.record_calibration(sid, calibration)
    for section in report.get("exercises", [report]):
        run = store.start_exercise(sid, section["exercise"], section.get("targets") or {})
        for h in section.get("holds", ()):
            store.add_hold(run, HoldRecord(h["side"], h["start_s"], h["held_s"], h["peak_deg"], h["counted"],
                                           h.get("fault"), dict(h.get("peak_by_axis") or {})))
        for e in section.get("safety_events", ()):
            store.add_safety_event(run, e["t_s"], e["kind"], e.get("message", ""))
        for e in section.get("faults", ()):
            store.add_fault(run, e["t_s"], e["kind"], e.get("message", ""))
        store.finish_exercise(run, ExerciseResult(section["exercise"], reps=section["reps"],
                                                  tracking_lost_s=section.get("tracking_lost_s", 0.0)))
    store.end_session(sid, ended_at or started_at, ended_by)
    return sid
