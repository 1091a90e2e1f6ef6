"""`coach demo`: no camera, no model; the synthetic person's session is coached and recorded."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from coach.cli import main


def _frames(path):
    cap = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield frame
    finally:
        cap.release()


@pytest.mark.slow
def test_demo_headless_video_shows_coaching_and_report_counts_the_script(tmp_path, capsys, monkeypatch):
    # The demo must not need a model: point the model lookup at an empty folder.
    monkeypatch.setenv("COACH_MODEL_DIR", str(tmp_path / "no-models"))
    out, report = tmp_path / "demo.mp4", tmp_path / "demo.json"
    assert main(["demo", "--headless", "--out", str(out), "--report", str(report), "--reps", "1"]) == 0
    rep = json.loads(report.read_text())
    # The script: one rep with a pitch fault (not counted), 1 correct rep per side, one head circle.
    assert rep["exercise"] == "neck-rotation"
    assert rep["reps"] == {"right": 1, "left": 1}
    assert [e["kind"] for e in rep["safety_events"]] == ["head-circle"]
    assert [(h["side"], h["counted"], h["fault"]) for h in rep["holds"]] == [
        ("right", False, "pitch-during-rotation"), ("right", True, None), ("left", True, None)]
    assert rep["session"]["ended_by"] == "completed"

    stop_frames = form_frames = n = 0
    for frame in _frames(out):
        n += 1
        h, w = frame.shape[:2]
        band = frame[int(h * 0.33):int(h * 0.55)]
        red = (band[..., 2] > 150) & (band[..., 1] < 60) & (band[..., 0] < 60)
        stop_frames += red.mean() > 0.4
        bottom = frame[int(h * 0.8):]
        orange = (bottom[..., 2] > 200) & (np.abs(bottom[..., 1].astype(int) - 150) < 40) & (bottom[..., 0] < 60)
        form_frames += orange.sum() > 200
    assert n == rep["session"]["frames"] > 0
    assert stop_frames >= 24, "the STOP banner stays up for at least a second"
    assert form_frames >= 12, "the form-fault message is shown"
    printed = capsys.readouterr().out
    assert "RIGHT 1/1, LEFT 1/1" in printed


@pytest.mark.parametrize("argv,msg", [
    (["demo", "--reps", "0"], "--reps must be between 1 and 10"),
    (["demo", "--headless", "--out", "demo.avi"], "use a name ending in .mp4"),
    (["demo", "--exercise", "nope"], "unknown exercise"),
])
def test_demo_bad_input_is_one_line(argv, msg, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and msg in err[0]


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="X11/Wayland check is Linux's")
def test_no_display_is_a_clear_error_not_a_qt_abort(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["demo", "--reps", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no display" in err[0] and "--headless" in err[0]
