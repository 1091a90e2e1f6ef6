"""The model in its own process (`coach.vision.pose_worker.PoseWorker`): same landmarks as in-process,
frames in flight, clear errors, nothing left behind (no process, no shared memory)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from scenes import two_people

from coach.errors import CoachError
from coach.store.history import HistoryStore
from coach.vision.pose_worker import PoseWorker

pytestmark = [pytest.mark.model]

CLIP = "webcam_person_then_cartoon.mov"


@pytest.fixture(scope="module")
def frames(shared_data):
    cap = cv2.VideoCapture(str(shared_data / CLIP))
    out = []
    while len(out) < 24:
        ok, frame = cap.read()
        if not ok:
            break
        out.append(frame)
    cap.release()
    assert len(out) == 24
    return out


def _models(model_dir: Path, face: bool = True):
    return model_dir / "pose_landmarker_full.task", (model_dir / "face_landmarker.task" if face else None)


def _shm_segments() -> set[str]:
    return set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()


def _same(a, b) -> None:
    assert a.t_ms == b.t_ms and (a.width, a.height, a.people) == (b.width, b.height, b.people)
    for field in ("landmarks", "world_landmarks", "face_matrix"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None), field
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=field)


def test_worker_gives_the_in_process_landmarks_in_order(model_dir, frames):
    from coach.vision.pose import PoseTracker

    pose_path, face_path = _models(model_dir)
    with PoseTracker(pose_path, face_path, face_every=2) as tracker:
        expected = [tracker.process(i * 33, f) for i, f in enumerate(frames)]
    before = _shm_segments()
    with PoseWorker(pose_path, face_path, face_every=2, slots=3) as worker:
        assert worker.uses_face and worker.settings["face_every"] == 2 and worker.settings["process"]
        got = []
        # Three frames in flight, collected in submission order.
        for i, frame in enumerate(f.copy() for f in frames):  # a copy: the fixture is shared
            if worker.in_flight == worker.capacity:
                got.append(worker.collect())
            worker.submit(i * 33, frame)
            frame[:] = 0  # the worker has its own copy: reusing the caller's buffer is safe
        while worker.in_flight:
            got.append(worker.collect())
        # This worker's own buffers: under pytest-xdist another process's worker makes
        # segments in /dev/shm at the same time, so a before/after difference over-counts.
        created = {shm.name.lstrip("/") for shm in worker._slots if shm is not None}  # noqa: SLF001
        assert created <= _shm_segments() - before
        assert 1 <= len(created) <= 3
    assert len(got) == len(expected)
    assert sum(p.detected for p in got) >= 20 and sum(p.face_matrix is not None for p in got) >= 20
    for a, b in zip(got, expected):
        _same(a, b)
    assert not (_shm_segments() & created), "shared memory left behind"
    assert worker.pid is not None and not Path(f"/proc/{worker.pid}").exists()


def test_worker_answers_its_first_frame_before_building_the_census(model_dir, shared_data):
    """Start-up: the model process builds the census graph (several people) only once the first
    frame is answered, so that frame does not wait for it; the people are counted from the
    next due census on."""
    scene = two_people(cv2.imread(str(shared_data / "astronaut.png")))
    with PoseWorker(model_dir / "pose_landmarker_full.task", census_every=5) as worker:
        people = [worker.process(i * 33, scene).people for i in range(12)]
    # An in-process tracker counts 2 on the first frame (its census is waited for:
    # test_a_deferred_census_counts_people_once_built); the worker's first census is frame 5's.
    assert people[0] == 1 and people[-1] == 2, people


def test_worker_flip_test_gives_the_in_process_landmarks(model_dir, frames):
    """The worker's frames arrive as RGB (`PoseTracker.process_rgb`); the flip test mirrors them
    there, and must read what the in-process tracker reads from the BGR frames."""
    from coach.vision.pose import PoseTracker

    pose_path, face_path = _models(model_dir)
    with PoseTracker(pose_path, face_path, flip_test=True) as tracker:
        expected = [tracker.process(i * 33, f) for i, f in enumerate(frames[:6])]
    with PoseWorker(pose_path, face_path, flip_test=True) as worker:
        got = [worker.process(i * 33, f) for i, f in enumerate(frames[:6])]
    assert all(p.flip_tested and p.detected and p.face_matrix is not None for p in got)
    for a, b in zip(got, expected):
        _same(a, b)


def test_worker_frame_checks_size_change_and_closed(model_dir, shared_data, frames):
    pose_path, _ = _models(model_dir, face=False)
    with PoseWorker(pose_path, slots=1) as worker:
        assert not worker.uses_face
        with pytest.raises(ValueError, match="uint8"):
            worker.submit(0, frames[0].astype(np.float32))
        with pytest.raises(RuntimeError, match="no frame in flight"):
            worker.collect()
        small = worker.process(0, cv2.resize(frames[0], (320, 180)))
        worker.submit(33, frames[1])
        with pytest.raises(RuntimeError, match="in flight"):
            worker.submit(66, frames[2])
        big = worker.collect()
        # A repeated timestamp is nudged forward, as in-process.
        again = worker.process(33, cv2.imread(str(shared_data / "astronaut.png")))
    assert (small.width, small.height) == (320, 180) and (big.width, big.height) == (960, 540)
    assert again.t_ms == 34 and again.detected
    with pytest.raises(RuntimeError, match="closed"):
        worker.submit(99, frames[0])
    worker.close()  # twice is fine


def test_corrupt_model_is_one_clear_error(tmp_path, monkeypatch):
    from coach.vision import pose_worker

    bad = tmp_path / "pose_landmarker_full.task"
    bad.write_bytes(b"not a model" * 100)
    # The segments this process makes (under pytest-xdist another process's worker makes its
    # own in /dev/shm meanwhile, so a before/after listing of the folder over-counts).
    made: list[str] = []
    real = pose_worker.shared_memory.SharedMemory

    def recording(*args, **kwargs):
        shm = real(*args, **kwargs)
        if kwargs.get("create"):
            made.append(shm.name.lstrip("/"))
        return shm

    monkeypatch.setattr(pose_worker.shared_memory, "SharedMemory", recording)
    with pytest.raises(CoachError) as info:
        PoseWorker(bad)
    message = str(info.value)
    assert "\n" not in message and "pose" in message.lower() and "Traceback" not in message
    assert not set(made) & _shm_segments()  # whatever it made is gone


def test_a_dead_worker_is_a_clear_error_not_a_hang(model_dir, frames):
    pose_path, _ = _models(model_dir, face=False)
    with PoseWorker(pose_path) as worker:
        worker.process(0, frames[0])
        os.kill(worker.pid, signal.SIGKILL)
        with pytest.raises(CoachError, match="stopped unexpectedly"):
            worker.process(33, frames[1])


def _worker_children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"coach.vision.pose_worker" in cmdline:
            found.append(int(entry.name))
    return found


#: The close-up clip (472 frames) ten times over: a session that cannot reach its end before
#: the test interrupts it, however long a busy machine keeps the test itself waiting.
LOOPS, CLIP_FRAMES = 10, 472


@pytest.fixture(scope="module")
def long_closeup(shared_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clip") / "closeup_long.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(LOOPS - 1), "-i",
                    str(shared_data / "face_closeup_turns.mp4"), "-an", "-c", "copy", str(out)],
                   check=True, timeout=120)
    return out


def _start_run(tmp_path, model_dir, clip: Path):
    """`coach run --headless` on the looped close-up clip; returns the process and its model worker's pid."""
    env = {**os.environ, "COACH_MODEL_DIR": str(model_dir), "COACH_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "run", "--video", str(clip),
         "--headless", "--report", str(tmp_path / "report.json"), "--exercise", "neck-rotation"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and not workers:
        workers = _worker_children(proc.pid)
        time.sleep(0.05)
    assert len(workers) == 1, "coach run should start one model process"
    # The targets line is printed once the model is ready; then let the session run a while.
    assert "Targets" in proc.stdout.readline()
    time.sleep(1.5)
    return proc, workers[0]


def _saved_interrupted(tmp_path) -> dict:
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["session"]["ended_by"] == "interrupted" and 0 < data["session"]["frames"] < LOOPS * CLIP_FRAMES
    with HistoryStore.open(tmp_path / "data") as store:
        (stored,) = store.sessions()
    assert stored.status == "interrupted"
    return data


def test_ctrl_c_saves_the_session_and_stops_the_worker(tmp_path, model_dir, long_closeup):
    """SIGINT reaches the coach, not its worker (own session): the coach saves the session,
    then stops the worker; no process is left behind."""
    proc, worker = _start_run(tmp_path, model_dir, long_closeup)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    _saved_interrupted(tmp_path)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{worker}").exists():
        time.sleep(0.05)
    assert not Path(f"/proc/{worker}").exists(), "the model process outlived the coach"


def test_a_dying_model_process_still_saves_the_session(tmp_path, model_dir, long_closeup):
    """The worker killed mid-session (out of memory, say): the session so far is saved and
    reported, and the coach ends with one error line and a non-zero exit."""
    proc, worker = _start_run(tmp_path, model_dir, long_closeup)
    os.kill(worker, signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: the pose model process stopped unexpectedly")
    assert "Session" in out or "session" in out  # the summary was printed before the error
    _saved_interrupted(tmp_path)


def test_open_worker_falls_back_to_the_model_in_process(model_dir, frames, monkeypatch, capsys):
    """A system that refuses a worker process still gets coached: one warning, same landmarks."""
    from coach.vision import pose_worker
    from coach.vision.pose import PoseTracker

    with pose_worker.open_worker(model_dir, use_face=False, download=False) as worker:
        assert isinstance(worker, PoseWorker)
        expected = worker.process(0, frames[0])

    def refuse(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(pose_worker.subprocess, "Popen", refuse)
    with pose_worker.open_worker(model_dir, use_face=False, download=False) as tracker:
        assert isinstance(tracker, PoseTracker)
        _same(tracker.process(0, frames[0]), expected)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("warning: the pose model process could not start")
    assert "in this process" in err[0]


def test_a_prestarted_worker_loads_meanwhile_and_is_the_one_used(model_dir, frames):
    """`coach run` starts the model process before its own imports: `open_worker` then waits for
    that one (no second process) and it gives the same landmarks as a worker started in place."""
    from coach.vision.pose_worker import open_worker, prestart_worker

    started = prestart_worker(model_dir, True, face_every=2)
    assert isinstance(started, PoseWorker) and started._ready is None  # still loading: not waited for
    with open_worker(model_dir, True, face_every=2, started=started) as model:
        assert model is started and model.uses_face and model.settings["face_every"] == 2
        got = [model.process(i * 33, f) for i, f in enumerate(frames)]
    with PoseWorker(model_dir / "pose_landmarker_full.task", model_dir / "face_landmarker.task",
                    face_every=2) as fresh:
        want = [fresh.process(i * 33, f) for i, f in enumerate(frames)]
    assert [a.detected for a in got] == [b.detected for b in want] and sum(a.detected for a in got) >= 20
    for a, b in zip(got, want):
        if a.detected:
            np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-6)
    assert started.pid is not None and not Path(f"/proc/{started.pid}").exists()


def test_prestart_leaves_a_missing_model_to_open_worker(tmp_path):
    """No model on disk: no early process; open_worker later reports (or downloads) as usual."""
    from coach.vision.pose_worker import prestart_worker

    assert prestart_worker(tmp_path, True) is None


def _worker_pids() -> set[str]:
    found = subprocess.run(["pgrep", "-f", "coach.vision.pose_worker"], capture_output=True, text=True)
    return set(found.stdout.split())


def test_bad_input_after_a_prestart_stops_the_loading_worker(tmp_path, model_dir):
    """A bad exercise found while the early-started model loads: one error line and no process
    left behind (the worker runs in its own session, so nothing else would stop it)."""
    env = dict(os.environ, COACH_MODEL_DIR=str(model_dir), COACH_DATA_DIR=str(tmp_path))
    before = _worker_pids()
    done = subprocess.run([sys.executable, "-m", "coach", "run", "--headless", "--exercise", "no-such",
                           "--video", str(tmp_path / "x.mp4")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no-such" in done.stderr
    time.sleep(0.5)
    assert not (_worker_pids() - before)
