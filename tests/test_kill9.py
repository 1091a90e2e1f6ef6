"""A session's data survives ``kill -9`` of the process in the middle of a hold.

A child process writes a session through the store the way the live session does (one call per
finished hold), then stops in the middle of the next hold - either between writes (the engine is
still timing the hold) or, worse, inside an open write transaction - and is SIGKILLed there.
Every hold written before must be in the database, the half-written one must not, the session
must show as interrupted, and the database must be intact and writable again.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timezone

import pytest

from coach.engine import HoldRecord
from coach.history import DB_FILENAME, HistoryStore

CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime, timezone
    from pathlib import Path
    from coach.engine import HoldRecord
    from coach.history import HistoryStore, _insert_hold

    data_dir, n_holds, where = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    store = HistoryStore.open(data_dir)
    sid = store.start_session(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc), "camera 0")
    store.record_calibration(sid, {"yaw_deg": 0.5})
    run = store.start_exercise(sid, "neck-rotation", {"threshold_deg": 60})
    for i in range(n_holds):
        side = "right" if i % 2 == 0 else "left"
        store.add_hold(run, HoldRecord(side, 10.0 * i, 6.0, 60.0 + i, True, None, {"yaw": 60.0 + i}))
        if i == 1:
            store.add_fault(run, 10.0 * i + 3, "pitch-during-rotation", "keep your chin level")
    if where == "in-transaction":
        # The hold in progress is half-written: its transaction is open, never committed.
        with store._write("save a hold") as conn:
            _insert_hold(conn, run, HoldRecord("right", 999.0, 2.0, 99.0, False))
            print("READY", flush=True)
            time.sleep(600)
    print("READY", flush=True)
    time.sleep(600)  # mid-hold: the engine is timing the next hold when the kill comes
    """
)


@pytest.mark.parametrize("where", ["between-writes", "in-transaction"])
def test_kill9_mid_hold_keeps_every_earlier_hold(tmp_path, where):
    n_holds = 7
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), str(n_holds), where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "READY", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    # The WAL was not checkpointed by the dead process: the committed holds live in the -wal
    # file, and opening the store must recover them.
    with HistoryStore.open(tmp_path) as store:
        [session] = store.sessions()
        assert session.status == "interrupted" and session.ended_at is None
        assert session.calibration == {"yaw_deg": 0.5}
        [run] = session.runs
        assert [(h.side, h.start_s, h.peak_deg) for h in run.holds] == [
            ("right" if i % 2 == 0 else "left", 10.0 * i, 60.0 + i) for i in range(n_holds)
        ]
        assert [f.kind for f in run.faults] == ["pitch-during-rotation"]
        assert run.reps == {"right": 4, "left": 3}
        # The lock died with the process: the next session can be written.
        sid = store.start_session(datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc), "camera 0")
        store.add_hold(store.start_exercise(sid, "chin-tuck", {}), HoldRecord("center", 1, 6, 2.5, True))
        assert len(store.sessions()) == 2
    conn = sqlite3.connect(tmp_path / DB_FILENAME)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
