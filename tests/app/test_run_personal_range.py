"""`coach run --headless` on a session built from real footage (issue 15): a person whose turns
stop at about 45-50 deg (shenasa) gets personal targets from the range check and every rep on
both sides is counted, none in the rests.

The video is built in the test from the shared clip (never committed, `tests/real_sessions.py`):
a still moment stretched for the calibration, each turn's peak stretched into the range check's
still hold and into 7 s holds by playing its frames back and forth, the turns slowed by
repeating frames.
"""

from __future__ import annotations

import pytest
from real_sessions import build_session, read_clip, run_headless

pytestmark = [pytest.mark.model, pytest.mark.slow]
REPS = 3


@pytest.fixture(scope="module")
def built(model_dir, shared_data, tmp_path_factory):
    clip = read_clip(shared_data / "real" / "shenasa_webcam_head_pose_sample.mp4", model_dir)
    return build_session(clip, tmp_path_factory.mktemp("built") / "shenasa_session.mp4", reps=REPS)


def test_personal_range_counts_every_rep_on_both_sides(built, model_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COACH_MODEL_DIR", str(model_dir))
    run = run_headless(built.path, tmp_path, capsys)
    assert run.code == 0
    rep = run.report
    print("peaks", built.peaks, "range check", rep.get("range_check"), "reps", rep["reps"], "below", rep["below_target"])
    assert rep["reps"] == {"right": REPS, "left": REPS}
    assert rep["below_target"] == {"right": 0, "left": 0}
    assert [r["status"] for r in rep["range_check"]] != ["failed", "failed"]
    assert all(r["target"] < 60.0 for r in rep["range_check"])  # the 45-50 deg turns: personal targets
    assert sum(h["counted"] for h in rep["holds"]) == 2 * REPS  # no rep in the rests
