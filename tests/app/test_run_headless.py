"""`coach run --headless` on the real clips with the real model: same frame count out as in,
0 reps, tracking lost where the person is gone, overlay visible, session saved."""

from __future__ import annotations

import json
import shutil
import subprocess

import cv2
import numpy as np
import pytest

from coach.cli import main
from coach.store.history import HistoryStore

pytestmark = [pytest.mark.model, pytest.mark.slow]


def _frame_count(path) -> int:
    """Frames actually decodable (ffprobe -count_frames when present, else by decoding)."""
    if shutil.which("ffprobe"):
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
             "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
            capture_output=True, text=True, check=True).stdout.strip()
        return int(out)
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def _run(tmp_path, clip, *extra):
    out, report = tmp_path / "annotated.mp4", tmp_path / "report.json"
    code = main(["run", "--video", str(clip), "--headless", "--out", str(out), "--report", str(report),
                 "--data-dir", str(tmp_path / "data"), *extra])
    assert code == 0
    return out, json.loads(report.read_text())


@pytest.fixture(autouse=True)
def _models(model_dir, monkeypatch):
    monkeypatch.setenv("COACH_MODEL_DIR", str(model_dir))


def test_person_then_cartoon(tmp_path, shared_data, capsys):
    clip = shared_data / "webcam_person_then_cartoon.mov"
    out, rep = _run(tmp_path, clip, "--exercise", "neck-rotation")
    n_in = _frame_count(clip)
    assert _frame_count(out) == n_in == rep["session"]["frames"]
    assert rep["exercise"] == "neck-rotation" and rep["reps"] == {"right": 0, "left": 0}
    assert rep["safety_events"] == []
    # The person sits still for about the first 3 s; then a cartoon plays with no one in it.
    spans = rep["session"]["tracking_lost_spans"]
    assert spans, "the cartoon part must be reported as tracking lost"
    duration = rep["session"]["duration_s"]
    last = spans[-1]
    assert 2.0 <= last[0] <= 3.6 and last[1] == pytest.approx(duration, abs=0.05)
    assert rep["tracking_lost_s"] >= 2.5
    assert sum(b - a for a, b in spans if b < 2.0) < 0.5, "the person at rest is tracked"
    printed = capsys.readouterr().out
    assert "Session summary" in printed and "tracking lost" in printed
    with HistoryStore.open(tmp_path / "data") as store:
        (stored,) = store.sessions()
    assert stored.status == "completed"

    # Look at the output: an annotated frame of the person part (the setup/calibration card
    # over the mirrored camera image, REC shown) differs from the input frame.
    cap = cv2.VideoCapture(str(out))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 40)
    ok, annotated = cap.read()
    cap.release()
    src = cv2.VideoCapture(str(clip))
    src.set(cv2.CAP_PROP_POS_FRAMES, 40)
    ok2, raw = src.read()
    src.release()
    assert ok and ok2 and annotated.shape == raw.shape
    cv2.imwrite(str(tmp_path / "frame40.png"), annotated)
    top_right = annotated[: annotated.shape[0] // 12, -annotated.shape[1] // 6:]
    red = (top_right[..., 2] > 180) & (top_right[..., 1] < 90) & (top_right[..., 0] < 90)
    assert red.sum() > 30, "REC indicator"
    # The image is mirrored under the overlay: the bottom rows (below the card) match the
    # flipped input far better than the unflipped one.
    rows = slice(int(raw.shape[0] * 0.92), int(raw.shape[0] * 0.97))
    flipped_err = np.abs(annotated[rows].astype(int) - cv2.flip(raw, 1)[rows]).mean()
    plain_err = np.abs(annotated[rows].astype(int) - raw[rows]).mean()
    assert flipped_err < plain_err


def test_face_closeup_without_shoulders_routine(tmp_path, shared_data):
    clip = shared_data / "face_closeup_turns.mp4"
    out, rep = _run(tmp_path, clip, "--no-mirror")
    assert _frame_count(out) == _frame_count(clip) == rep["session"]["frames"]
    # The default is the routine of all four exercises: one section each, no reps anywhere.
    assert [s["exercise"] for s in rep["exercises"]] == [
        "neck-rotation", "lateral-flexion", "chin-tuck", "levator-scapulae"]
    assert all(sum(s["reps"].values()) == 0 for s in rep["exercises"])
    assert rep["safety_events"] == []
    # No shoulders: never confident enough to calibrate or coach.
    assert rep["session"]["calibrated"] is False
    assert rep["tracking_lost_s"] >= 0.8 * rep["session"]["duration_s"]


def test_flip_test_run_coaches_every_frame(tmp_path, shared_data):
    """`coach run --headless --flip-test`: the worker runs the mirror tracker beside the other;
    every frame comes out, the person at rest is tracked, the cartoon is not."""
    clip = shared_data / "webcam_person_then_cartoon.mov"
    out, rep = _run(tmp_path, clip, "--exercise", "neck-rotation", "--flip-test")
    assert _frame_count(out) == _frame_count(clip) == rep["session"]["frames"]
    spans = rep["session"]["tracking_lost_spans"]
    assert spans and 2.0 <= spans[-1][0] <= 3.6
    assert sum(b - a for a, b in spans if b < 2.0) < 0.5, "the person at rest is tracked"
