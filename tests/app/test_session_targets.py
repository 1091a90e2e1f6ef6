"""Personal targets in the live session: shown before each exercise, used with --adaptive or a
profile, never beyond the exercise file's safe maximum; a bad profile is one line of error.

The session runs on scripted motion (`ScriptSource`: no camera, no model); the `coach run`
flag tests run the real command headless on the real clip with the real model.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import pytest
from scripted import ScriptSource

from coach.app.run import SessionConfig, plan_targets, run_session
from coach.cli import main
from coach.coaching.engine import HoldRecord
from coach.coaching.exercise import AXIS_LIMITS, load_exercise
from coach.coaching.flow import HEADLESS_TIMING, FlowTiming
from coach.sim import motion
from coach.store.history import HistoryStore
from coach.store.history_safe import SafeHistory
from coach.ui.audio import AudioCues, FakeBackend

FPS = 15.0
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
FILE_YAW = 60.0
REPO_EXERCISES = __import__("pathlib").Path(__file__).resolve().parents[2] / "exercises"  # exercises/neck-rotation.toml: threshold = 60.0


def _seed(data_dir, peak_deg: float, sessions: int = 3) -> None:
    """Past neck-rotation sessions whose counted holds all peaked at ``peak_deg`` on both sides."""
    with HistoryStore.open(data_dir) as store:
        for day in range(sessions):
            sid = store.start_session(T0 + timedelta(days=day), "test")
            run = store.start_exercise(sid, "neck-rotation", {"yaw": FILE_YAW})
            for side, sign in (("right", 1.0), ("left", -1.0)):
                store.add_hold(run, HoldRecord(side, 0.0, 6.0, sign * peak_deg, True, None,
                                               {"yaw": sign * peak_deg}))
            store.end_session(sid, T0 + timedelta(days=day, minutes=5), "completed")


def _script(reach: float):
    """Calibration lead-in, then one 6 s right turn at ``reach`` x 70 deg (motion's amplitude)."""
    return motion.lead_in(4.0) + motion.rep_script("neck-rotation", motion.RepPlan("right", hold_s=6.0, reach=reach))


def _rotation():
    return load_exercise("neck-rotation").model_copy(update={"reps_per_side": 1})


def _session(data_dir, reach: float, **plan_kw):
    """Run the guided session on the script with plans made as `coach run` makes them; return
    the outcome and the thresholds the engine was started with (as stored in the history)."""
    exercises = [_rotation()]
    source = ScriptSource(_script(reach), FPS, draw=False)
    history = SafeHistory.open(data_dir)
    audio = AudioCues(FakeBackend())
    try:
        plans = plan_targets(exercises, history, **plan_kw)
        outcome = run_session(exercises, source, audio=audio, history=history,
                              config=SessionConfig(timing=HEADLESS_TIMING), use_face=False, targets=plans)
    finally:
        audio.close()
        history.close()
    with HistoryStore.open(data_dir) as store:
        newest = store.sessions()[-1]
    (run,) = newest.runs
    return outcome, run.targets


def test_without_adaptive_the_file_target_is_used_and_the_suggestion_only_shown(tmp_path):
    _seed(tmp_path, 75.0)
    outcome, used = _session(tmp_path, reach=1.0)  # a 70 deg turn
    assert used == {"yaw": FILE_YAW}
    assert outcome.report["reps"]["right"] == 1
    targets = outcome.report["targets"]
    assert targets["source"] == "default" and "--adaptive" in targets["reason"]


def test_adaptive_raises_the_engines_threshold_from_the_history(tmp_path):
    _seed(tmp_path, 75.0)
    outcome, used = _session(tmp_path, reach=1.0, adaptive=True)
    # "A little beyond the median" of 75: more than 75, and the 70 deg turn no longer counts.
    assert 75.0 < used["yaw"] < 80.0
    assert outcome.report["targets"]["source"] == "history"
    assert outcome.report["reps"]["right"] == 0
    assert outcome.report["holds"] == [] or not any(h["counted"] for h in outcome.report["holds"])


@pytest.mark.parametrize("peak_deg", [88.0, 89.9])
def test_adaptive_never_goes_beyond_the_files_safe_maximum(tmp_path, peak_deg):
    _seed(tmp_path, peak_deg)
    _, used = _session(tmp_path, reach=1.0, adaptive=True)
    safe_max = max(abs(v) for v in AXIS_LIMITS["yaw"])  # neck-rotation sets no max: the axis range
    assert FILE_YAW < used["yaw"] < safe_max


def test_a_profile_target_is_used_even_with_adaptive(tmp_path):
    _seed(tmp_path, 75.0)
    profile_file = tmp_path / "profile.toml"
    profile_file.write_text("[targets.neck-rotation]\nyaw = 45.0\n", encoding="utf-8")
    from coach.store.targets import load_profile

    profile = load_profile(profile_file)
    # A 52.5 deg turn: short of the file's 60, enough for the profile's 45.
    outcome, used = _session(tmp_path, reach=0.75, profile=profile, adaptive=True)
    assert used == {"yaw": 45.0}
    assert outcome.report["reps"]["right"] == 1 and outcome.report["targets"]["source"] == "profile"
    without, used_file = _session(tmp_path, reach=0.75)
    assert used_file == {"yaw": FILE_YAW} and without.report["reps"]["right"] == 0


def test_the_instruction_card_shows_the_targets_before_the_exercise(tmp_path, monkeypatch):
    """Live timing: the instruction card (before coaching starts) carries the suggestion."""
    from coach.ui import overlay

    _seed(tmp_path, 75.0)
    shown: list[str] = []
    original = overlay.instruction_card

    def recording_card(*a, **kw):
        shown.append(kw.get("targets", ""))
        return original(*a, **kw)

    monkeypatch.setattr(overlay, "instruction_card", recording_card)

    class Window:
        def show(self, img, wait_ms=1):
            return None

        def closed(self):
            return False

        def close(self):
            pass

    exercises = [_rotation()]
    timing = FlowTiming(setup_ok_s=0.5, instruction_s=2.0, result_s=0.0)
    source = ScriptSource(motion.lead_in(8.0), FPS, draw=True)
    history = SafeHistory.open(tmp_path)
    audio = AudioCues(FakeBackend())
    try:
        plans = plan_targets(exercises, history)
        run_session(exercises, source, audio=audio, history=history, window=Window(),
                    config=SessionConfig(timing=timing, summary_hold_s=0, wait_for_close=False),
                    use_face=False, targets=plans)
    finally:
        audio.close()
        history.close()
    assert len(shown) >= int(2.0 * FPS) - 1, "the card stays up for the instruction time"
    suggested = plans["neck-rotation"].reason
    assert all(text.startswith("Targets: yaw 60.0 deg") and "suggested from your history" in text
               and text.endswith(suggested) for text in shown)


# -- the command line ------------------------------------------------------------------------------


# A man talking, head roughly still, shoulders in view, for 16 s: the coach calibrates on him
# and starts the exercise (the webcam clip's person leaves before the calibration is done).
CLIP = "real/noddingpigeon_head_stationary.mp4"


def _cli_run(tmp_path, clip, *extra):
    """`coach run` headless on the real clip with the real model; returns (exit code, report)."""
    report = tmp_path / "report.json"
    # The clip's person sits still: a range check could never pass on it, so these runs use the
    # exercise with its check off (an exercise file's `range_check = false`) and test the flags.
    exercises = tmp_path / "exercises"
    exercises.mkdir(exist_ok=True)
    text = (REPO_EXERCISES / "neck-rotation.toml").read_text()
    (exercises / "neck-rotation.toml").write_text(text.replace("hold_max_s = 10.0\n", "hold_max_s = 10.0\nrange_check = false\n", 1))
    code = main(["run", "--exercise", "neck-rotation", "--headless", "--video", str(clip), "--no-face",
                 "--data-dir", str(tmp_path), "--report", str(report), "--exercises-dir", str(exercises), *extra])
    return code, json.loads(report.read_text())


@pytest.fixture
def real_clip(shared_data, model_dir, monkeypatch):
    clip = shared_data / CLIP
    if not clip.is_file():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{clip} is missing under CI; ../shared/data must provide it", pytrace=False)
        pytest.skip(f"{clip} not available")
    monkeypatch.setenv("COACH_MODEL_DIR", str(model_dir))
    monkeypatch.delenv("COACH_DATA_DIR", raising=False)
    return clip


@pytest.mark.model
def test_coach_run_adaptive_flag(tmp_path, real_clip, capsys):
    _seed(tmp_path, 75.0)
    code, report = _cli_run(tmp_path, real_clip, "--adaptive")
    out = capsys.readouterr().out
    assert code == 0
    assert report["targets"]["source"] == "history" and report["targets"]["thresholds"]["yaw"] > 75.0
    first = out.splitlines()[0]
    assert first.startswith("Neck rotations, side to side: Targets: yaw 7") and "(file: 60.0)" in first
    with HistoryStore.open(tmp_path) as store:
        assert store.sessions()[-1].runs[0].targets["yaw"] == report["targets"]["thresholds"]["yaw"]


@pytest.mark.model
def test_coach_run_profile_flag(tmp_path, real_clip, capsys):
    profile_file = tmp_path / "limited.toml"
    profile_file.write_text("[targets.neck-rotation]\nyaw = 40\n", encoding="utf-8")
    code, report = _cli_run(tmp_path, real_clip, "--profile", str(profile_file))
    assert code == 0 and report["targets"]["thresholds"] == {"yaw": 40.0}
    assert report["targets"]["source"] == "profile"
    assert "fixed in your profile" in capsys.readouterr().out
    with HistoryStore.open(tmp_path) as store:
        assert store.sessions()[-1].runs[0].targets == {"yaw": 40.0}  # the engine coached with it


@pytest.mark.parametrize(
    "text,expect",
    [
        ("[targets.neck-rotation]\nyaw = 95\n", "targets.neck-rotation.yaw: got 95"),
        ("[targets.neck-rotation]\nroll = 20\n", "neck-rotation has no roll target"),
        ("[targets.no-such-exercise]\nyaw = 20\n", "targets.no-such-exercise"),
        ("[targets.neck-rotation\nyaw = 20\n", "TOML syntax error"),
        (None, "profile not found"),
    ],
)
def test_coach_run_bad_profile_is_one_line_and_non_zero(tmp_path, capsys, text, expect):
    profile_file = tmp_path / "profile.toml"
    if text is not None:
        profile_file.write_text(text, encoding="utf-8")
    code = main(["run", "--exercise", "neck-rotation", "--headless", "--data-dir", str(tmp_path),
                 "--profile", str(profile_file)])
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1 and err.startswith("error: ") and expect in err
    assert not (tmp_path / "history.sqlite3").exists(), "nothing ran: no session stored"
