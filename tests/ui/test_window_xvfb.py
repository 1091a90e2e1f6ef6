"""The real OpenCV window on a virtual display: keys pause, resume and quit; the session is saved.

Starts Xvfb, runs `coach run --video ...` in it, sends keys with xdotool and looks at the window
with ImageMagick's `import`. Nothing is timed: every step polls the window until what it waits
for is on screen (a busy machine only makes it slower). The clip is the real webcam clip looped
to ~1 minute, so the session is still running whatever the load. Sound goes through the real
sounddevice: without an output device (CI) the run says so in exactly one warning line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.store.history import HistoryStore
from coach.ui import overlay

pytestmark = [pytest.mark.model, pytest.mark.slow]

#: Generous: the model process starts and the first frame is drawn in a few seconds on an idle
#: machine, several times that next to busy processes.
DEADLINE_S = 120.0

@pytest.fixture()
def long_clip(shared_data, tmp_path) -> Path:
    """The webcam clip (a person, then a cartoon) ten times over: ~64 s, stream-copied."""
    out = tmp_path / "long.mov"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "9", "-i",
                    str(shared_data / "webcam_person_then_cartoon.mov"), "-an", "-c", "copy", str(out)],
                   check=True, timeout=120)
    return out


def _xdotool(env, *args) -> str:
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=30).stdout.strip()


def _until(proc, what: str, check, timeout_s: float = DEADLINE_S):
    """Poll ``check()`` until it returns something, while the coach runs."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert proc.poll() is None, f"the coach ended while waiting for {what}: {proc.communicate()}"
        got = check()
        if got is not None:
            return got
        assert time.monotonic() < deadline, f"{what} not seen within {timeout_s:.0f} s"
        time.sleep(0.3)


def _screenshot(display: str, win: str, path: Path) -> np.ndarray | None:
    res = subprocess.run(["import", "-display", display, "-window", win, str(path)], capture_output=True,
                         timeout=60)
    return cv2.imread(str(path)) if res.returncode == 0 else None


def _yellow(img: np.ndarray) -> np.ndarray:
    return (img[..., 2] > 200) & (img[..., 1] > 180) & (img[..., 0] < 80)


def _painted(img: np.ndarray) -> bool:
    """The window shows a picture (a window just mapped is black)."""
    return np.count_nonzero(img.sum(axis=-1)) > 0.5 * img.shape[0] * img.shape[1]


def _paused_mask(size: tuple[int, int]) -> np.ndarray:
    """Where the PAUSED banner's yellow text is on a window of ``size`` (width, height)."""
    ref = overlay.render_card(None, overlay.Card(""), status=overlay.OverlayStatus(paused=True, keys_hint=""),
                              size=size)
    mask = _yellow(ref)
    mask[: size[1] // 3] = False  # the banner across the middle, not the top bar's PAUSED
    return mask


def _shows_paused(img: np.ndarray) -> bool:
    mask = _paused_mask((img.shape[1], img.shape[0]))
    return mask.sum() > 500 and (_yellow(img) & mask).sum() > 0.7 * mask.sum()


def _output_devices() -> int:
    """Output devices PortAudio reports here (0 on a machine without a sound card)."""
    import sounddevice as sd

    try:
        return sum(1 for d in sd.query_devices() if d["max_output_channels"] > 0)
    except sd.PortAudioError:
        return 0


def test_window_keys_pause_resume_quit_and_session_saved(display, tmp_path, long_clip, model_dir):
    env = dict(os.environ, DISPLAY=display, COACH_MODEL_DIR=str(model_dir), QT_QPA_PLATFORM="xcb")
    report, data, recording = tmp_path / "report.json", tmp_path / "data", tmp_path / "rec.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "run", "--video", str(long_clip), "--exercise", "neck-rotation",
         "--report", str(report), "--data-dir", str(data), "--out", str(recording)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shot = tmp_path / "window.png"
    try:
        # Recording is announced in the window title.
        win = _until(proc, "the coach window", lambda: (_xdotool(env, "search", "--name", "neck-coach - REC")
                                                        .splitlines() or [None])[0])
        _until(proc, "the window painted", lambda: True if (img := _screenshot(display, win, shot)) is not None
               and _painted(img) else None)
        _xdotool(env, "key", "--window", win, "space")  # pause
        paused = _until(proc, "the PAUSED banner", lambda: img if (img := _screenshot(display, win, shot)) is not None
                        and _shows_paused(img) else None)
        _xdotool(env, "key", "--window", win, "space")  # resume
        _until(proc, "the PAUSED banner gone", lambda: True if (img := _screenshot(display, win, shot)) is not None
               and _painted(img) and not _shows_paused(img) else None)
        _xdotool(env, "key", "--window", win, "q")  # quit
        out, err = proc.communicate(timeout=DEADLINE_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert np.count_nonzero(paused.sum(axis=-1)) > 0.2 * paused.shape[0] * paused.shape[1]
    # Sound: the real sounddevice; no output device means silent, one warning line, run goes on.
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    if _output_devices() == 0:
        assert len(warnings) == 1 and "no audio output device" in warnings[0], err
    else:
        assert warnings == [], err
    assert "Traceback" not in err
    # Saved and summarised although the user quit halfway.
    assert "Session summary" in out and "ended: quit" in out
    rep = json.loads(report.read_text())
    assert rep["session"]["ended_by"] == "quit" and rep["reps"] == {"right": 0, "left": 0}
    assert rep["session"]["frames"] < 1690, "quit before the clip ended"
    cap = cv2.VideoCapture(str(recording))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == rep["session"]["frames"] > 0
    cap.release()
    with HistoryStore.open(data) as store:
        (stored,) = store.sessions()
    assert stored.status == "quit"
