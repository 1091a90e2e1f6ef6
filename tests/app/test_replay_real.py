"""Real-model check: `coach record` on the real clips, then `coach replay` for every exercise.

Neither clip contains an exercise (a person sitting still then a cartoon; a face close-up
with no shoulders), so every replay must count 0 reps and raise no safety event, and the
report must say how long tracking was lost.
"""

from __future__ import annotations

import json

import pytest

from coach.cli import main
from coach.landmarks import read_log
from coach.sim.motion import EXERCISE_IDS

pytestmark = pytest.mark.model

CLIPS = ("webcam_person_then_cartoon.mov", "face_closeup_turns.mp4")


@pytest.fixture(scope="module")
def logs(shared_data, model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("real_logs")
    paths = {}
    for clip in CLIPS:
        log = out / (clip.split(".")[0] + ".jsonl")
        assert main(["record", str(shared_data / clip), "--out", str(log), "--model", str(model_dir)]) == 0
        paths[clip] = log
    return paths


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
@pytest.mark.parametrize("clip", CLIPS)
def test_real_clip_replay_counts_nothing(logs, tmp_path, capsys, clip, exercise_id):
    report_path = tmp_path / "report.json"
    assert main(["replay", str(logs[clip]), "--exercise", exercise_id, "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert sum(report["reps"].values()) == 0
    assert report["safety_events"] == []
    assert not any(h["counted"] for h in report["holds"])
    frames = list(read_log(logs[clip]))
    assert report["frames"] == len(frames)
    duration_s = (frames[-1].t_ms - frames[0].t_ms) / 1000.0
    if clip.startswith("webcam"):
        # The person sits still for ~2.7 s (enough to calibrate), then the cartoon: lost.
        assert report["calibrated"] is True
        no_person_s = sum(1 for f in frames if not f.detected) * duration_s / (len(frames) - 1)
        assert report["tracking_lost_s"] == pytest.approx(no_person_s, abs=0.3)
        assert report["faults"] == []
    else:
        # No shoulders in view: the coach must not coach from torso-relative guesses.
        assert report["calibrated"] is False
        assert report["tracking_lost_s"] == pytest.approx(duration_s, abs=0.1)
        assert report["holds"] == [] and report["faults"] == []
    assert "0/10" in capsys.readouterr().out
