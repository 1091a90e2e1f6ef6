"""Range-of-motion tests in the history: whole tests in one transaction, read back in order, and
`coach progress --measure` per direction over the weeks."""

from __future__ import annotations

import pytest

from coach.cli import main
from coach.coaching.measure_report import DirectionResult, MeasureReport, Trial
from coach.store.history import HistoryError, HistoryStore
from coach.store.history_db import migrate
from coach.store.measure_progress import format_measure_progress, weekly


def _test(day: str, right: float, *, ended_by: str = "completed") -> MeasureReport:
    dirs = (DirectionResult("rotation-right", "measured", (Trial(right), Trial(right + 1), Trial(right - 1))),
            DirectionResult("rotation-left", "unreliable", (Trial(None, "trunk-turned"),) * 3, "trunk-turned"),
            DirectionResult("flexion"))
    return MeasureReport(f"{day}T09:00:00+01:00", "camera 0", ended_by, dirs)


def test_tests_are_stored_whole_and_read_back_oldest_first(tmp_path):
    with HistoryStore.open(tmp_path) as store:
        store.save_measurement(_test("2026-11-20", 50.0))
        store.save_measurement(_test("2026-11-05", 44.0, ended_by="quit"))
        tests = store.measurements()
        rows = store._conn.execute("SELECT direction, status, value FROM measurement_directions "
                                   "ORDER BY id").fetchall()
    assert [t.started_at[:10] for t in tests] == ["2026-11-05", "2026-11-20"]
    assert [t.complete for t in tests] == [False, False]  # flexion was never tested in either
    assert tests[1].value("rotation-right") == pytest.approx(50.0)
    assert tests[1].direction("rotation-left").reason == "trunk-turned"
    assert ("rotation-left", "unreliable", None) in rows and len(rows) == 6


def test_a_failed_write_leaves_no_partial_test(tmp_path, monkeypatch):
    import coach.store.history_measure as hm

    def broken(conn, report):
        conn.execute("INSERT INTO measurements (started_at, started_utc, ended_by, complete, source, report) "
                     "VALUES ('x', 'x', 'quit', 0, 'camera 0', '{}')")
        conn.execute("INSERT INTO measurement_directions (measurement_id) VALUES (1)")  # NOT NULL fails

    with HistoryStore.open(tmp_path) as store:
        monkeypatch.setattr("coach.store.history.insert_measurement", broken)
        with pytest.raises(HistoryError):
            store.save_measurement(_test("2026-11-20", 50.0))
        assert store._conn.execute("SELECT COUNT(*) FROM measurements").fetchone()[0] == 0
        monkeypatch.setattr("coach.store.history.insert_measurement", hm.insert_measurement)
        store.save_measurement(_test("2026-11-20", 50.0))
        assert len(store.measurements()) == 1


def test_an_old_database_gains_the_table(tmp_path):
    import sqlite3

    conn = sqlite3.connect(tmp_path / "history.sqlite3", isolation_level=None)
    assert migrate(conn, upto=2) == 2
    conn.close()
    with HistoryStore.open(tmp_path) as store:
        assert store.measurements() == []


def test_progress_per_direction_over_the_weeks(tmp_path, capsys):
    tests = [_test("2026-11-02", 40.0), _test("2026-11-04", 44.0), _test("2026-11-18", 52.0)]
    w = weekly(tests)
    assert [(m.isoformat(), v) for m, v, _ in w["rotation-right"]] == [("2026-11-02", 42.0), ("2026-11-16", 52.0)]
    assert "rotation-left" not in w  # unreliable every time: a gap, not a zero
    assert "Rotation right (deg): 2026-11-02: 42.0, 2026-11-16: 52.0" in format_measure_progress(tests)
    with HistoryStore.open(tmp_path) as store:
        for t in tests:
            store.save_measurement(t)
    plot = tmp_path / "rom.png"
    assert main(["progress", "--measure", "--plot", str(plot), "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Range-of-motion tests: 3" in out and plot.stat().st_size > 5000
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_without_tests_says_so(tmp_path, capsys):
    assert main(["progress", "--measure", "--data-dir", str(tmp_path)]) == 0
    assert "No range-of-motion tests" in capsys.readouterr().out
