"""The real OpenCV window on a virtual display: keys pause, resume and quit; the session is saved.

Starts Xvfb, runs `coach run --video ...` in it, sends keys with xdotool and takes a screenshot
with ImageMagick's `import`. Also checks the silent sound fallback: the run is started with a
`sounddevice` that cannot load PortAudio, and must say so in exactly one warning line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.history import HistoryStore

pytestmark = [pytest.mark.model, pytest.mark.slow]

TOOLS = ("Xvfb", "xdotool", "import")


def _need_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{', '.join(missing)} missing under CI (.ci/run installs them)", pytrace=False)
        pytest.skip(f"needs {', '.join(missing)}")


@pytest.fixture()
def display():
    _need_tools()
    num = next(n for n in range(90, 140) if not Path(f"/tmp/.X{n}-lock").exists()
               and not Path(f"/tmp/.X11-unix/X{n}").exists())
    proc = subprocess.Popen(["Xvfb", f":{num}", "-screen", "0", "1600x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{num}").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    try:
        yield f":{num}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _xdotool(env, *args) -> str:
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=20).stdout.strip()


def _wait_window(env, name: str, proc, timeout_s: float = 90.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        found = _xdotool(env, "search", "--name", name)
        if found:
            return found.splitlines()[0]
        time.sleep(0.3)
    raise AssertionError("the coach window did not appear")


def test_window_keys_pause_resume_quit_and_session_saved(display, tmp_path, shared_data, model_dir):
    no_audio = tmp_path / "no_audio"
    no_audio.mkdir()
    # A sounddevice that behaves like the real one on a machine without libportaudio2.
    (no_audio / "sounddevice.py").write_text("raise OSError('PortAudio library not found')\n")
    env = dict(os.environ, DISPLAY=display, COACH_MODEL_DIR=str(model_dir),
               PYTHONPATH=os.pathsep.join([str(no_audio), os.environ.get("PYTHONPATH", "")]),
               QT_QPA_PLATFORM="xcb")
    report = tmp_path / "report.json"
    data = tmp_path / "data"
    recording = tmp_path / "rec.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "run", "--video", str(shared_data / "webcam_person_then_cartoon.mov"),
         "--exercise", "neck-rotation", "--report", str(report), "--data-dir", str(data),
         "--out", str(recording)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Recording is announced in the window title.
        win = _wait_window(env, "neck-coach - REC", proc)
        time.sleep(1.0)
        _xdotool(env, "key", "--window", win, "space")  # pause
        time.sleep(1.5)
        shot = tmp_path / "paused.png"
        subprocess.run(["import", "-display", display, "-window", "root", str(shot)], check=True, timeout=30)
        _xdotool(env, "key", "--window", win, "space")  # resume
        time.sleep(0.5)
        _xdotool(env, "key", "--window", win, "q")  # quit
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    # Sound: silent, one warning line, and the run went on.
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "PortAudio" in warnings[0]
    assert "Traceback" not in err
    # Saved and summarised although the user quit halfway.
    assert "Session summary" in out and "ended: quit" in out
    rep = json.loads(report.read_text())
    assert rep["session"]["ended_by"] == "quit" and rep["reps"] == {"right": 0, "left": 0}
    cap = cv2.VideoCapture(str(recording))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == rep["session"]["frames"] > 0
    cap.release()
    with HistoryStore.open(data) as store:
        (stored,) = store.sessions()
    assert stored.status == "quit"
    # The screenshot shows the window with the PAUSED banner (bright yellow text on dark).
    img = cv2.imread(str(shot))
    assert img is not None
    yellow = (img[..., 2] > 200) & (img[..., 1] > 180) & (img[..., 0] < 80)
    assert yellow.sum() > 500, "PAUSED banner not visible in the screenshot"
    assert np.count_nonzero(img.sum(axis=-1)) > 0.2 * img.shape[0] * img.shape[1]
