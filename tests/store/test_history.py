"""The history store: what is written is what is read back, migrations, permissions, failures."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from history_seed import store_report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.coaching.engine import HoldRecord
from coach.coaching.report import ExerciseResult
from coach.store.history import (
    DATA_DIR_ENV,
    DB_FILENAME,
    SCHEMA_VERSION,
    HistoryError,
    HistoryStore,
    default_data_dir,
    delete_history,
    migrate,
)
from coach.store.history_safe import NullHistory, SafeHistory

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)


def _hold(side: str, peak: float, counted: bool = True, fault: str | None = None) -> HoldRecord:
    return HoldRecord(side, 1.0, 6.0 if counted else 3.0, peak, counted, fault, {"yaw": peak})


# -- round trip ---------------------------------------------------------------------------------

hold_strategy = st.builds(
    HoldRecord,
    side=st.sampled_from(["right", "left", "center"]),
    start_s=st.floats(0, 3600, allow_nan=False),
    held_s=st.floats(0, 30, allow_nan=False),
    peak_deg=st.floats(-120, 120, allow_nan=False),
    counted=st.booleans(),
    fault=st.one_of(st.none(), st.text(min_size=1, max_size=30)),
    peak_by_axis=st.dictionaries(
        st.sampled_from(["yaw", "roll", "pitch", "retraction"]),
        st.floats(-120, 120, allow_nan=False),
    ),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(holds=st.lists(hold_strategy, max_size=12))
def test_live_writes_read_back_exactly(tmp_path_factory, holds):
    d = tmp_path_factory.mktemp("h")
    with HistoryStore.open(d) as store:
        sid = store.start_session(T0, "camera 0")
        store.record_calibration(sid, {"yaw_deg": 1.5, "frames": 60})
        run = store.start_exercise(sid, "neck-rotation", {"threshold_deg": 60.0})
        for h in holds:
            store.add_hold(run, h)
        store.add_safety_event(run, 12.5, "head-circle")
        store.add_fault(run, 3.25, "pitch-during-rotation", "keep your chin level")
        store.finish_exercise(run, ExerciseResult("neck-rotation", reps={"right": 7, "left": 6}, tracking_lost_s=1.75))
        store.end_session(sid, T0 + timedelta(minutes=12), "quit")
    with HistoryStore.open(d) as store:
        [s] = store.sessions()
    assert s.status == "quit"
    assert s.started_at == T0 and s.ended_at == T0 + timedelta(minutes=12)
    assert s.calibration == {"yaw_deg": 1.5, "frames": 60}
    [r] = s.runs
    assert r.holds == tuple(holds)
    assert r.reps == {"right": 7, "left": 6} and r.finished
    assert r.tracking_lost_s == 1.75
    assert [(e.t_s, e.kind) for e in r.safety_events] == [(12.5, "head-circle")]
    assert [(e.t_s, e.kind, e.message) for e in r.faults] == [
        (3.25, "pitch-during-rotation", "keep your chin level")
    ]
    expected_best: dict[str, float] = {}
    for h in holds:
        if h.counted:
            expected_best[h.side] = max(expected_best.get(h.side, 0.0), abs(h.peak_deg))
    assert r.best_by_side() == expected_best


def test_session_never_ended_shows_interrupted_with_reps_from_counted_holds(tmp_path):
    with HistoryStore.open(tmp_path) as store:
        sid = store.start_session(T0, "camera 0")
        run = store.start_exercise(sid, "lateral-flexion", {})
        for h in [_hold("right", 31), _hold("left", 28), _hold("right", 33), _hold("left", 20, False)]:
            store.add_hold(run, h)
    with HistoryStore.open(tmp_path) as store:
        [s] = store.sessions()
    assert s.status == "interrupted" and s.ended_at is None
    assert s.runs[0].finished is False
    assert s.runs[0].reps == {"right": 2, "left": 1}


def test_sessions_sorted_by_instant_across_time_zones_and_last_n(tmp_path):
    plus5 = timezone(timedelta(hours=5))
    with HistoryStore.open(tmp_path) as store:
        # 08:00+05:00 is 03:00 UTC: earlier than 04:00 UTC although its text sorts later.
        a = store.start_session(datetime(2026, 3, 2, 8, 0, tzinfo=plus5), "a")
        b = store.start_session(datetime(2026, 3, 2, 4, 0, tzinfo=timezone.utc), "b")
        c = store.start_session(datetime(2026, 3, 3, 4, 0, tzinfo=timezone.utc), "c")
        assert [s.id for s in store.sessions()] == [a, b, c]
        assert [s.id for s in store.sessions(last=2)] == [b, c]
        # The local time of day the caller passed is kept.
        assert store.sessions()[0].started_at.hour == 8


def test_end_session_rejects_unknown_reason(tmp_path):
    with HistoryStore.open(tmp_path) as store:
        sid = store.start_session(T0, "x")
        with pytest.raises(ValueError, match="ended_by"):
            store.end_session(sid, T0, "exploded")


# -- whole reports ------------------------------------------------------------------------------

REPORT = {
    "exercise": "neck-rotation",
    "reps": {"right": 2, "left": 1},
    "holds": [
        {"side": "right", "start_s": 2.0, "held_s": 6.1, "peak_deg": 64.0, "counted": True, "fault": None},
        {"side": "left", "start_s": 12.0, "held_s": 5.5, "peak_deg": 58.5, "counted": True, "fault": None},
        {"side": "right", "start_s": 22.0, "held_s": 7.0, "peak_deg": 66.0, "counted": True, "fault": None},
        {"side": "left", "start_s": 32.0, "held_s": 2.0, "peak_deg": 40.0, "counted": False,
         "fault": "pitch-during-rotation"},
    ],
    "safety_events": [{"t_s": 40.0, "kind": "head-circle"}],
    "faults": [{"t_s": 33.0, "kind": "pitch-during-rotation", "message": "keep your chin level"}],
    "tracking_lost_s": 0.4,
}


def test_a_voided_hold_is_stored_uncounted(tmp_path):
    """A head circle after a counted hold (before its rep) voids the stored hold: the history
    then agrees with the report and counts no rep from it."""
    counted = _hold("right", 64.0)
    with HistoryStore.open(tmp_path) as store:
        sid = store.start_session(T0, "camera 0")
        run = store.start_exercise(sid, "neck-rotation", {"yaw": 60.0})
        store.add_hold(run, _hold("left", 61.0))
        store.add_hold(run, counted)
        store.void_hold(run, replace(counted, counted=False, fault="head-circle"))
        [s] = store.sessions()
    first, second = s.runs[0].holds
    assert first.counted and first.fault is None  # only the voided hold changes
    assert (second.side, second.peak_deg, second.counted, second.fault) == ("right", 64.0, False, "head-circle")
    assert s.runs[0].reps == {"left": 1, "right": 0}  # cut off: reps from the counted holds


def test_store_report_helper_round_trip(tmp_path):
    chin = {"exercise": "chin-tuck", "reps": {"center": 1}, "safety_events": [], "faults": [],
            "holds": [{"side": "center", "start_s": 1, "held_s": 6, "peak_deg": 2.4, "counted": True}],
            "tracking_lost_s": 0}
    with HistoryStore.open(tmp_path) as store:
        store_report(store, REPORT, started_at=T0, source="log.jsonl")
        store_report(store, {"exercises": [REPORT, chin]}, started_at=T0 + timedelta(days=1),
                     source="video.mp4", ended_by="pain-stop")
        single, routine = store.sessions()
    assert single.status == "completed" and routine.status == "pain-stop"
    assert [r.exercise_id for r in routine.runs] == ["neck-rotation", "chin-tuck"]
    run = single.runs[0]
    assert run.reps == {"right": 2, "left": 1}
    assert [(h.side, h.peak_deg, h.counted, h.fault) for h in run.holds] == [
        (h["side"], h["peak_deg"], h["counted"], h["fault"]) for h in REPORT["holds"]
    ]
    assert run.best_by_side() == {"right": 66.0, "left": 58.5}
    assert run.tracking_lost_s == 0.4
    assert routine.runs[1].holds[0].peak_deg == 2.4


# -- migrations and schema versions -------------------------------------------------------------


def test_v1_database_is_migrated_keeping_its_data(tmp_path):
    path = tmp_path / DB_FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, upto=1) == 1
    conn.execute("INSERT INTO sessions (id, started_at, started_utc, ended_at, ended_by, source) "
                 "VALUES (1, '2025-12-01T09:00:00+00:00', '2025-12-01T09:00:00+00:00', "
                 "'2025-12-01T09:20:00+00:00', 'completed', 'camera 0')")
    conn.execute("INSERT INTO exercise_runs (id, session_id, exercise_id, targets, reps, "
                 "tracking_lost_s, finished) VALUES (1, 1, 'chin-tuck', '{}', '{\"center\": 3}', 0.0, 1)")
    conn.execute("INSERT INTO holds (run_id, side, start_s, held_s, peak_deg, counted, fault) "
                 "VALUES (1, 'center', 2.0, 6.0, 2.6, 1, NULL)")
    cols_v1 = {r[1] for r in conn.execute("PRAGMA table_info(holds)")}
    conn.close()
    assert "peak_by_axis" not in cols_v1

    with HistoryStore.open(tmp_path) as store:
        version = store._conn.execute("PRAGMA user_version").fetchone()[0]
        [s] = store.sessions()
        run = store.start_exercise(s.id, "chin-tuck", {})
        store.add_hold(run, HoldRecord("center", 1, 6, 2.9, True, None, {"retraction": 2.9}))
        after = store.sessions()[0]
    assert version == SCHEMA_VERSION == 3
    assert s.runs[0].reps == {"center": 3}
    assert s.runs[0].holds == (HoldRecord("center", 2.0, 6.0, 2.6, True, None, {}),)
    assert after.runs[1].holds[0].peak_by_axis == {"retraction": 2.9}


def test_database_from_newer_version_is_refused(tmp_path):
    with HistoryStore.open(tmp_path):
        pass
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match="newer"):
        HistoryStore.open(tmp_path)


# -- where, permissions -------------------------------------------------------------------------


def test_data_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env-dir"))
    assert default_data_dir() == tmp_path / "env-dir"
    with HistoryStore.open() as store:
        assert store.path == tmp_path / "env-dir" / DB_FILENAME


def test_files_are_user_only(tmp_path):
    d = tmp_path / "new" / "data"
    with HistoryStore.open(d) as store:
        store.start_session(T0, "x")  # makes sqlite create the -wal/-shm files
        files = sorted(p.name for p in d.iterdir())
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in d.iterdir()}
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert DB_FILENAME in files and f"{DB_FILENAME}-wal" in files
    assert all(mode == 0o600 for mode in modes.values()), modes


# -- failures become HistoryError with a clear message -------------------------------------------


def test_folder_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(HistoryError, match="cannot create the history folder .*--data-dir"):
        HistoryStore.open(blocker / "data")


def _open_without_write_permission(folder: Path) -> str:
    """Open the history in ``folder`` as a user who may not write there; the error text or ''."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            HistoryStore.open(folder)
        except HistoryError as exc:
            return str(exc)
        finally:
            folder.chmod(0o700)
        return ""
    # root ignores file permissions: fork and drop to 'nobody' (the stdlib is already imported,
    # the child needs no file under /root).
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read_fd)
        msg = b""
        try:
            os.setgid(65534)
            os.setuid(65534)
            HistoryStore.open(folder).close()
        except HistoryError as exc:
            msg = str(exc).encode()
        except BaseException as exc:  # noqa: BLE001
            msg = f"UNEXPECTED {type(exc).__name__}: {exc}".encode()
        os.write(write_fd, msg)
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        out = f.read().decode()
    os.waitpid(pid, 0)
    return out


@pytest.fixture
def world_dir():
    """A folder every user can traverse (pytest's tmp_path is under a root-only 0700 folder)."""
    d = Path(tempfile.mkdtemp(prefix="coach-hist-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_unwritable_folder(world_dir):
    folder = world_dir / "ro"
    folder.mkdir(mode=0o755)
    msg = _open_without_write_permission(folder)
    assert msg.startswith("cannot create the history database"), msg
    assert "Permission denied" in msg and "--data-dir" in msg


def test_unwritable_existing_database(world_dir):
    tmp_path = world_dir
    with HistoryStore.open(tmp_path) as store:
        store.start_session(T0, "x")
    (tmp_path / DB_FILENAME).chmod(0o644)
    for p in tmp_path.iterdir():
        if p.name != DB_FILENAME:
            p.unlink()
    tmp_path.chmod(0o755)
    msg = _open_without_write_permission(tmp_path)
    assert "history database" in msg and ("readonly" in msg or "unable to open" in msg), msg


def test_locked_database_write_and_open(tmp_path):
    store = HistoryStore.open(tmp_path, timeout_s=0.1)
    sid = store.start_session(T0, "x")
    other = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError, match="locked.*another neck-coach"):
            store.start_exercise(sid, "chin-tuck", {})
    finally:
        other.execute("ROLLBACK")
    # The failed write left nothing behind and the store still works once the lock is gone.
    store.start_exercise(sid, "chin-tuck", {})
    assert len(store.sessions()[0].runs) == 1
    store.close()


def test_corrupt_database_file(tmp_path):
    (tmp_path / DB_FILENAME).write_bytes(b"this is not sqlite at all" * 200)
    with pytest.raises(HistoryError, match="damaged; move it aside"):
        HistoryStore.open(tmp_path)


# -- fallbacks for the live session -------------------------------------------------------------


def test_safe_history_keeps_going_after_a_lock_and_remembers_why(tmp_path):
    safe = SafeHistory(HistoryStore.open(tmp_path, timeout_s=0.1))
    sid = safe.start_session(T0, "camera 0")
    run = safe.start_exercise(sid, "neck-rotation", {})
    safe.add_hold(run, _hold("right", 61))
    assert safe.ok
    other = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    safe.add_hold(run, _hold("left", 59))  # must not raise
    other.execute("ROLLBACK")
    safe.add_hold(run, _hold("right", 62))
    safe.finish_exercise(run, ExerciseResult("neck-rotation", reps={"right": 2, "left": 1}))
    safe.end_session(sid, T0, "completed")
    assert not safe.ok and isinstance(safe.error, HistoryError)
    assert "locked" in str(safe.error)
    safe.close()
    with HistoryStore.open(tmp_path) as store:
        [s] = store.sessions()
    # What was written before the failure is kept; nothing after it is half-written.
    assert [h.peak_deg for h in s.runs[0].holds] == [61]
    assert s.status == "interrupted"


def test_safe_history_open_failure_and_null_history(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    safe = SafeHistory.open(blocker / "data")
    assert not safe.ok and "cannot create the history folder" in str(safe.error)
    sid = safe.start_session(T0, "x")
    run = safe.start_exercise(sid, "chin-tuck", {})
    safe.add_hold(run, _hold("center", 2.0))
    safe.end_session(sid, T0, "completed")
    null = NullHistory("disabled by test")
    a, b = null.start_session(T0, "x"), null.start_exercise(1, "chin-tuck", {})
    assert a != b and null.reason == "disabled by test"


def test_delete_history_removes_every_file(tmp_path):
    d = tmp_path / "data"
    store = HistoryStore.open(d)
    store_report(store, REPORT, started_at=T0, source="x")
    assert (d / f"{DB_FILENAME}-wal").exists()
    store.close()
    (d / f"{DB_FILENAME}-wal").write_bytes(b"left over")  # as if a crash left it behind
    removed = delete_history(d)
    assert {p.name for p in removed} >= {DB_FILENAME, f"{DB_FILENAME}-wal"}
    assert not d.exists()
    assert delete_history(d) == []
    with HistoryStore.open(d) as store:
        assert store.sessions() == []


# -- the command line ----------------------------------------------------------------------------


def _run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from coach.cli import main

    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _seed_two(store: HistoryStore) -> None:
    """Two sessions: a finished replay report and a live session cut off mid-exercise."""
    store_report(store, REPORT, started_at=T0, source="log.jsonl")
    sid = store.start_session(T0 + timedelta(days=1), "camera 0")
    run = store.start_exercise(sid, "chin-tuck", {"retraction": 1.5})
    store.add_hold(run, HoldRecord("center", 1, 6, 2.4, True, None, {"retraction": 2.4}))
    store.add_hold(run, HoldRecord("center", 12, 2, 1.9, False, "too-short"))
    store.add_hold(run, HoldRecord("center", 20, 7, 2.7, True, None, {"retraction": 2.7}))


def test_cli_history_json_lists_sessions_with_counts(tmp_path, capsys):
    with HistoryStore.open(tmp_path) as store:
        _seed_two(store)
    rc, out, _ = _run_cli(capsys, "history", "--json", "--data-dir", str(tmp_path))
    assert rc == 0
    data = json.loads(out)
    assert [s["status"] for s in data] == ["completed", "interrupted"]
    first, second = data[0]["exercises"][0], data[1]["exercises"][0]
    assert first["exercise"] == "neck-rotation" and first["reps"] == REPORT["reps"]
    assert len(first["holds"]) == len(REPORT["holds"])
    assert first["safety_events"] == REPORT["safety_events"]
    assert [f["kind"] for f in first["faults"]] == [f["kind"] for f in REPORT["faults"]]
    assert second["reps"] == {"center": 2} and second["finished"] is False
    assert second["best_by_side"] == {"center": 2.7}

    rc, out, _ = _run_cli(capsys, "history", "--json", "--last", "1", "--data-dir", str(tmp_path))
    assert [s["source"] for s in json.loads(out)] == ["camera 0"]


def test_cli_history_table(tmp_path, capsys):
    with HistoryStore.open(tmp_path) as store:
        _seed_two(store)
    rc, out, _ = _run_cli(capsys, "history", "--data-dir", str(tmp_path))
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].split() == ["date", "exercise", "status", "reps", "R/L", "best", "R/L",
                                "faults", "safety"]
    rot = next(line for line in lines if "neck-rotation" in line).split()
    # date time exercise status reps best(axis value unit) faults safety
    assert rot[:5] == ["2026-03-02", "08:30", "neck-rotation", "completed", "2/1"]
    assert rot[5:8] == ["yaw", "66.0/58.5", "deg"] and rot[8:] == ["1", "1"]
    chin = next(line for line in lines if "chin-tuck" in line).split()
    assert chin[3:8] == ["interrupted*", "2", "retraction", "2.70", "cm"]
    assert "cut off" in lines[-1]


def test_cli_history_on_missing_database_creates_nothing(tmp_path, capsys):
    d = tmp_path / "none"
    rc, out, _ = _run_cli(capsys, "history", "--data-dir", str(d))
    assert rc == 0 and "No sessions" in out and not d.exists()
    rc, out, _ = _run_cli(capsys, "history", "--where", "--data-dir", str(d))
    assert out.strip() == f"{d / DB_FILENAME} (not created yet)"


def test_cli_delete_all_needs_yes(tmp_path, capsys):
    with HistoryStore.open(tmp_path / "d") as store:
        _seed_two(store)
    rc, _, err = _run_cli(capsys, "history", "--delete-all", "--data-dir", str(tmp_path / "d"))
    assert rc == 2 and "deletes all 2 session(s)" in err and "--yes" in err
    assert (tmp_path / "d" / DB_FILENAME).exists()
    rc, out, _ = _run_cli(capsys, "history", "--delete-all", "--yes", "--data-dir", str(tmp_path / "d"))
    assert rc == 0 and "deleted" in out
    assert not (tmp_path / "d").exists()


def test_cli_errors_are_one_line(tmp_path, capsys):
    (tmp_path / DB_FILENAME).write_bytes(b"garbage" * 500)
    rc, out, err = _run_cli(capsys, "history", "--data-dir", str(tmp_path))
    assert rc == 2 and err.startswith("error: history database") and err.count("\n") == 1
    rc, _, err = _run_cli(capsys, "history", "--last", "0", "--data-dir", str(tmp_path))
    assert rc == 2 and "--last" in err


def test_cli_export_csv(tmp_path, capsys):
    import csv

    with HistoryStore.open(tmp_path / "d") as store:
        _seed_two(store)
    rc, out, _ = _run_cli(capsys, "export", "--csv", str(tmp_path / "out"), "--data-dir",
                          str(tmp_path / "d"))
    assert rc == 0

    def rows(name: str) -> list[dict]:
        with (tmp_path / "out" / name).open(newline="") as f:
            return list(csv.DictReader(f))

    sessions, holds, events = rows("sessions.csv"), rows("holds.csv"), rows("events.csv")
    assert [s["status"] for s in sessions] == ["completed", "interrupted"]
    assert [s["exercises"] for s in sessions] == ["neck-rotation", "chin-tuck"]
    assert len(holds) == len(REPORT["holds"]) + 3
    assert [float(h["peak_deg"]) for h in holds[:4]] == [h["peak_deg"] for h in REPORT["holds"]]
    assert holds[4]["peak_retraction"] == "2.4" and holds[5]["peak_retraction"] == ""
    assert [h["counted"] for h in holds[4:]] == ["1", "0", "1"]
    assert sorted((e["category"], e["kind"]) for e in events) == [
        ("fault", "pitch-during-rotation"), ("safety", "head-circle")]


def test_live_recording_stores_what_the_report_says(tmp_path):
    """Events written as they happen (record_events) and the exercise's result (what the report
    and `coach replay` say) agree in the history, to the hold."""
    from coach.coaching.engine import Engine
    from coach.coaching.exercise import load_exercise
    from coach.sim.motion import RepPlan, session_script
    from coach.store.history import record_events

    ex = load_exercise("neck-rotation")
    # right twice: the second is a wrong-side turn (sides alternate)
    plans = [RepPlan("right"), RepPlan("right"), RepPlan("left", hold_s=3), RepPlan("left", fault="pitch"),
             RepPlan("left"), RepPlan("right", reach=0.5)]
    engine, events = Engine(ex), []
    for t_ms, angles in session_script("neck-rotation", plans).angles(30):
        events += engine.step(t_ms, angles, None, calibrated=True)
    result = ExerciseResult.from_events(ex, events)
    assert result.faults and any(not h.counted for h in result.holds)  # a varied session

    with HistoryStore.open(tmp_path) as store:
        sid = store.start_session(T0, "live")
        run = store.start_exercise(sid, ex.id, {"yaw": 60.0})
        record_events(store, run, events, t0_ms=0)
        store.finish_exercise(run, result)
        store.end_session(sid, T0, "completed")
        [live] = [s.runs[0] for s in store.sessions()]
    # Holds the script performed: right, left 3 s (short), left with a pitch fault, left; the
    # second right never reaches the zone of the side due, and the half-way right turn is an
    # attempt below target (stored as an uncounted "below-target" hold).
    assert live.holds == result.holds and [h.counted for h in live.holds] == [True, False, False, True, False]
    assert live.holds[-1].fault == "below-target" and 30 < live.holds[-1].peak_deg < 40
    assert live.reps == result.reps == {"right": 1, "left": 1}
    assert [(e.t_s, e.kind) for e in live.faults] == [(e.t_s, e.kind) for e in result.faults]
    assert {"wrong-side", "pitch-during-rotation"} <= {e.kind for e in live.faults}
    assert [(e.t_s, e.kind) for e in live.safety_events] == [(e.t_s, e.kind) for e in result.safety_events]


@pytest.mark.slow
def test_history_json_after_two_headless_sessions(tmp_path, capsys):
    """Two headless sessions of the live coach (the demo's synthetic person, no model), then
    `coach history --json`: both are listed, with the counts their reports give."""
    from coach.app.demo import DemoPlan, ScriptSource, demo_script
    from coach.app.run import SessionConfig, run_session
    from coach.coaching.exercise import load_exercise
    from coach.coaching.flow import HEADLESS_TIMING
    from coach.ui.audio import AudioCues, NullBackend

    def headless(plans, exercises):
        source = ScriptSource(demo_script(plans, HEADLESS_TIMING))
        history, audio = SafeHistory.open(tmp_path), AudioCues(NullBackend())
        try:
            outcome = run_session(exercises, source, audio=audio, history=history,
                                  config=SessionConfig(timing=HEADLESS_TIMING, summary_hold_s=0),
                                  use_face=False)
        finally:
            audio.close()
            history.close()
        assert outcome.history_error is None
        report = outcome.report
        return report["exercises"] if "exercises" in report else [report]

    def ex(exercise_id, reps):
        return load_exercise(exercise_id).model_copy(update={"reps_per_side": reps})

    first = headless([DemoPlan("neck-rotation", ("right", "left"), 1, "pitch")], [ex("neck-rotation", 1)])
    second = headless([DemoPlan("chin-tuck", ("center",), 2, "tilt-back", circles=0)], [ex("chin-tuck", 2)])

    rc, out, _ = _run_cli(capsys, "history", "--json", "--data-dir", str(tmp_path))
    assert rc == 0
    listed = json.loads(out)
    assert len(listed) == 2 and [s["status"] for s in listed] == ["completed", "completed"]
    for stored, sections in zip(listed, (first, second)):
        assert [e["exercise"] for e in stored["exercises"]] == [s["exercise"] for s in sections]
        for e, s in zip(stored["exercises"], sections):
            assert e["reps"] == s["reps"]
            assert len(e["holds"]) == len(s["holds"])
            assert sum(h["counted"] for h in e["holds"]) == sum(h["counted"] for h in s["holds"])
            assert len(e["safety_events"]) == len(s["safety_events"])
    # What the scripts performed (independent of the reports): 1/1 + a blocked circle, then 2.
    assert listed[0]["exercises"][0]["reps"] == {"right": 1, "left": 1}
    assert len(listed[0]["exercises"][0]["safety_events"]) == 1
    assert [e["reps"] for e in listed[1]["exercises"]] == [{"center": 2}]


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["locked-mid-session", "unwritable-folder"])
def test_live_session_without_a_usable_history_is_still_coached_and_summarised(tmp_path, failure):
    from coach.app.demo import DemoPlan, ScriptSource, demo_script
    from coach.app.run import SessionConfig, run_session
    from coach.coaching.exercise import load_exercise
    from coach.coaching.flow import HEADLESS_TIMING
    from coach.ui.audio import AudioCues, NullBackend

    other = None
    if failure == "unwritable-folder":
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        history = SafeHistory.open(blocker / "data")
    else:
        store = HistoryStore.open(tmp_path, timeout_s=0.2)
        other = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
        save_hold = store.add_hold

        def add_hold_while_locked(run_id, hold):
            # Another process grabs the database just as the first hold ends.
            if not other.in_transaction:
                other.execute("BEGIN EXCLUSIVE")
            return save_hold(run_id, hold)

        store.add_hold = add_hold_while_locked
        history = SafeHistory(store)
    source = ScriptSource(demo_script([DemoPlan("neck-rotation", ("right", "left"), 1, "pitch", circles=0)],
                                      HEADLESS_TIMING))
    audio = AudioCues(NullBackend())
    try:
        outcome = run_session([load_exercise("neck-rotation").model_copy(update={"reps_per_side": 1})],
                              source, audio=audio, history=history,
                              config=SessionConfig(timing=HEADLESS_TIMING, summary_hold_s=0), use_face=False)
    finally:
        audio.close()
        history.close()
        if other is not None:
            other.execute("ROLLBACK")
            other.close()
    # Coaching is unaffected, and the summary says what was not saved and why.
    reps = (outcome.report["exercises"][0] if "exercises" in outcome.report else outcome.report)["reps"]
    assert reps == {"right": 1, "left": 1}
    summary = outcome.summary()
    reason = "locked" if failure == "locked-mid-session" else "cannot create the history folder"
    assert "NOT saved to the history" in summary and reason in summary
    if failure == "locked-mid-session":
        # What was written before the lock is kept: the session and its exercise, no holds.
        with HistoryStore.open(tmp_path) as store:
            [s] = store.sessions()
        assert s.status == "interrupted" and s.runs[0].exercise_id == "neck-rotation"
        assert s.runs[0].holds == ()


def test_reading_while_a_live_session_holds_the_write_lock(tmp_path):
    """`coach history` in another terminal during a session: WAL readers never wait."""
    with HistoryStore.open(tmp_path) as store:
        store_report(store, REPORT, started_at=T0, source="x")
    writer = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO sessions (started_at, started_utc, source) VALUES ('a', 'a', 'live')")
    try:
        with HistoryStore.open(tmp_path, timeout_s=0.05) as reader:
            [s] = reader.sessions()  # the uncommitted session is not visible
        assert s.source == "x"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
