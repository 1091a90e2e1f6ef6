"""`coach record` and `coach cameras`: the landmark log, Ctrl-C safety, and one-line CLI errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from coach.app.record import record
from coach.landmarks import PoseFrame, read_log
from coach.vision.capture import CameraLost, FrameSource, Sample, VideoFileSource
from coach.vision.pose import PoseTracker


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coach", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


class ScriptedSource(FrameSource):
    """Hands out ``n`` small frames 40 ms apart, then raises ``then`` (if given)."""

    def __init__(self, n: int, then: BaseException | None = None) -> None:
        self.n, self.then = n, then
        self.fps, self.size, self.frame_count = 25.0, (32, 24), None

    def _samples(self):
        for i in range(self.n):
            yield Sample(i * 40, np.zeros((24, 32, 3), np.uint8))
        if self.then is not None:
            raise self.then


class NoPersonTracker:
    def process(self, t_ms: int, frame: np.ndarray) -> PoseFrame:
        return PoseFrame(t_ms, frame.shape[1], frame.shape[0])


# -- CLI errors (no model needed) ----------------------------------------------------------------

def test_missing_input_is_one_line(tmp_path):
    proc = run_cli("record", str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "x.jsonl"))
    assert_one_line_error(proc, "missing.mp4", "not found")
    assert not (tmp_path / "x.jsonl").exists()


def test_not_a_video_is_one_line(tmp_path):
    bad = tmp_path / "clip.mp4"
    bad.write_text("this is text\n" * 100)
    proc = run_cli("record", str(bad), "--out", str(tmp_path / "x.jsonl"))
    assert_one_line_error(proc, "cannot read", "clip.mp4")


@pytest.mark.model
def test_out_folder_missing_is_one_line(tmp_path, shared_data):
    proc = run_cli("record", str(shared_data / "astronaut.png"), "--out", str(tmp_path / "no" / "x.jsonl"))
    assert_one_line_error(proc, "does not exist")


def test_camera_that_does_not_exist(tmp_path):
    proc = run_cli("record", "--camera", "97", "--out", str(tmp_path / "x.jsonl"))
    assert_one_line_error(proc)
    assert "no camera found" in proc.stderr or "camera 97 did not open" in proc.stderr


@pytest.mark.model
def test_bad_seconds(tmp_path, shared_data):
    proc = run_cli("record", str(shared_data / "astronaut.png"), "--seconds", "0",
                   "--out", str(tmp_path / "x.jsonl"))
    assert_one_line_error(proc, "--seconds")


@pytest.mark.model
def test_unloadable_model_is_one_line(tmp_path, shared_data):
    bad = tmp_path / "pose_landmarker_full.task"
    bad.write_bytes(b"\0" * 100)
    proc = run_cli("record", str(shared_data / "astronaut.png"), "--out", str(tmp_path / "x.jsonl"),
                   "--model", str(bad))
    assert_one_line_error(proc, "pose_landmarker_full.task")


def test_cameras_lists_or_says_none():
    proc = run_cli("cameras")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    out = proc.stdout.strip()
    assert out.startswith("no camera found") or out.split("\t")[0].isdigit(), out


# -- record() with scripted sources --------------------------------------------------------------

def test_ctrl_c_leaves_a_valid_log(tmp_path):
    out = tmp_path / "log.jsonl"
    result = record(ScriptedSource(7, then=KeyboardInterrupt()), NoPersonTracker(), out, progress=False)
    assert result.interrupted and result.frames == 7
    frames = list(read_log(out))
    assert [f.t_ms for f in frames] == [i * 40 for i in range(7)]


def test_lost_camera_leaves_a_valid_log(tmp_path):
    out = tmp_path / "log.jsonl"
    result = record(ScriptedSource(4, then=CameraLost(0, 2.0)), NoPersonTracker(), out, progress=False)
    assert result.camera_lost and not result.interrupted and result.frames == 4
    assert len(list(read_log(out))) == 4


def test_seconds_limits_stream_time(tmp_path):
    out = tmp_path / "log.jsonl"
    result = record(ScriptedSource(100), NoPersonTracker(), out, seconds=1.0, progress=False)
    assert result.frames == 25  # t_ms 0..960 at 40 ms
    assert list(read_log(out))[-1].t_ms == 960


# -- real model ----------------------------------------------------------------------------------

@pytest.mark.model
def test_record_real_clip_first_second(tmp_path, model_dir, shared_data):
    out = tmp_path / "log.jsonl"
    with VideoFileSource(shared_data / "webcam_person_then_cartoon.mov") as src, \
            PoseTracker(model_dir / "pose_landmarker_full.task", model_dir / "face_landmarker.task") as tr:
        result = record(src, tr, out, seconds=1.0, progress=False)
    frames = list(read_log(out))
    assert result.frames == len(frames) == 27  # 26.4 fps: frames at t < 1000 ms
    assert result.detected == 27
    assert all(f.detected and f.face_matrix is not None for f in frames)
    assert frames[0].width == 960 and frames[0].height == 540
    # JSONL keeps the model's values to 6 decimals; the log is the input to `coach replay`.
    assert frames[0].landmarks.shape == (33, 4) and frames[0].world_landmarks.shape == (33, 3)


@pytest.mark.model
def test_cli_records_image(tmp_path, model_dir, shared_data):
    out = tmp_path / "astro.jsonl"
    proc = run_cli("record", str(shared_data / "astronaut.png"), "--out", str(out),
                   "--model", str(model_dir))
    assert proc.returncode == 0, proc.stderr
    assert "wrote 1 frames (1 with a person)" in proc.stderr
    assert "Traceback" not in proc.stderr and "WARNING" not in proc.stderr
    (frame,) = read_log(out)
    assert frame.detected and frame.face_matrix is not None and frame.t_ms == 0


@pytest.mark.model
def test_cli_records_the_flip_test(tmp_path, model_dir, shared_data):
    """`--flip-test`: the log holds the averaged landmarks, flagged; the two trackers warm up
    at the same time on two threads and still print no native log line."""
    plain, flipped = tmp_path / "plain.jsonl", tmp_path / "flip.jsonl"
    for out, flags in ((plain, []), (flipped, ["--flip-test"])):
        proc = run_cli("record", str(shared_data / "astronaut.png"), "--out", str(out),
                       "--model", str(model_dir), *flags)
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr and "WARNING" not in proc.stderr and "I0000" not in proc.stderr
    (p,), (f,) = read_log(plain), read_log(flipped)
    assert f.flip_tested and not p.flip_tested and f.face_matrix is not None
    assert '"flip_test":true' in flipped.read_text()
    # Averaged with the mirror run: close to the plain run, but not the same numbers.
    diff_px = np.abs(f.landmarks[:, :2] - p.landmarks[:, :2]) * [f.width, f.height]
    assert 0 < np.median(diff_px) < 10


@pytest.mark.model
def test_sigint_during_cli_recording_keeps_log(tmp_path, model_dir, shared_data):
    out = tmp_path / "log.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "record", str(shared_data / "face_closeup_turns.mp4"),
         "--out", str(out), "--model", str(model_dir), "--no-face"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out.exists() and out.read_text().count("\n") >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "stopped by Ctrl-C" in err
    frames = list(read_log(out))  # every line is a whole, valid frame
    assert 3 <= len(frames) < 472
