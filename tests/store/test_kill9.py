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

from coach.coaching.engine import HoldRecord
from coach.store.history import DB_FILENAME, HistoryStore

CHILD = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime, timezone
    from pathlib import Path
    from coach.coaching.engine import HoldRecord
    from coach.store.history import HistoryStore, _insert_hold

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


LIVE_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from coach.ui.audio import AudioCues, NullBackend
    from coach.coaching.exercise import load_exercise
    from coach.store.history_safe import SafeHistory
    from coach.app.demo import DEMO_FPS, DemoPlan, ScriptSource, demo_script
    from coach.coaching.flow import HEADLESS_TIMING
    from coach.app.run import SessionConfig, run_session

    data_dir = Path(sys.argv[1])
    script = demo_script([DemoPlan("neck-rotation", ("right", "left"), 3, "pitch", circles=0)],
                         HEADLESS_TIMING)
    labels = [(s.t_ms, s.label) for s in script.samples(DEMO_FPS)]
    starts = [t for (t, lab), (_, prev) in zip(labels[1:], labels) if lab == "hold" and prev != "hold"]
    freeze_ms = starts[3] + 2000  # 2 s into the 4th hold (the mistake's hold is the 1st)

    class FreezingSource(ScriptSource):
        def read(self, timeout_s=None):
            got = super().read(timeout_s)
            if got is not None and got.t_ms >= freeze_ms:
                print("READY", flush=True)
                time.sleep(600)  # the process dies here, mid-hold
            return got

    source = FreezingSource(script)
    run_session([load_exercise("neck-rotation").model_copy(update={"reps_per_side": 3})],
                source, audio=AudioCues(NullBackend()), history=SafeHistory.open(data_dir),
                config=SessionConfig(timing=HEADLESS_TIMING, summary_hold_s=0, source="camera 0"),
                use_face=False)
    print("NOT KILLED", flush=True)
    """
)


def _kill_when_ready(argv: list[str]) -> None:
    """Start the child, wait for its READY line (EOF if it ends early fails), SIGKILL it."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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


@pytest.mark.slow
def test_kill9_of_a_live_session_mid_hold(tmp_path):
    """The real session loop (the demo's synthetic person, headless) killed 2 s into its 4th
    hold: the three holds before it are in the history and the session shows interrupted."""
    _kill_when_ready([sys.executable, "-c", LIVE_CHILD, str(tmp_path)])
    with HistoryStore.open(tmp_path) as store:
        [session] = store.sessions()
    assert session.status == "interrupted" and session.source == "camera 0"
    assert session.calibration is not None  # written when calibration finished
    [run] = session.runs
    assert run.exercise_id == "neck-rotation" and not run.finished
    # What the script performed before the kill: the mistake (right, pitch fault: not counted),
    # then a correct right and a correct left hold. The 4th hold was in progress: not stored.
    assert [h.side for h in run.holds if h.counted] == ["right", "left"]
    assert any(h.fault == "pitch-during-rotation" and not h.counted for h in run.holds)
    assert all(h.side == "right" for h in run.holds if not h.counted)
    assert run.reps == {"right": 1, "left": 1}
    assert [f.kind for f in run.faults] == ["pitch-during-rotation"]


@pytest.mark.parametrize("where", ["between-writes", "in-transaction"])
def test_kill9_mid_hold_keeps_every_earlier_hold(tmp_path, where):
    n_holds = 7
    _kill_when_ready([sys.executable, "-c", CHILD, str(tmp_path), str(n_holds), where])

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
