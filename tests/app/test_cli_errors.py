"""Every bad input is one line of error and a non-zero exit, never a traceback.

One table over the subcommands, each case run as the user runs it (`python -m coach` in a
subprocess): the whole of stderr must be exactly one line saying what is wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BROKEN_EXERCISE = """\
id = "broken"
name = "Broken"
order = 9
instruction = "Turn."
sides = ["up"]
reps_per_side = 10
hold_min_s = 5.0
hold_max_s = 10.0

[[targets]]
axis = "yaw"
threshold = 60.0

[neutral]
yaw = 15.0
"""

VIDEO = "{data}/webcam_person_then_cartoon.mov"
IMAGE = "{data}/astronaut.png"

# (case id, argv with {placeholders}, substrings the one line must contain)
CASES = [
    ("missing-input-run", ["run", "--headless", "--video", "{tmp}/missing.mp4"], ["not found", "missing.mp4"]),
    ("missing-log-replay", ["replay", "{tmp}/missing.jsonl", "--exercise", "neck-rotation"],
     ["not found", "coach record"]),
    ("text-as-video-angles", ["angles", "{tmp}/notes.mp4"], ["notes.mp4", "not a video"]),
    ("text-as-video-run", ["run", "--headless", "--video", "{tmp}/notes.mp4"], ["not a video"]),
    ("truncated-model-angles", ["angles", IMAGE, "--model", "{tmp}/truncated.task"],
     ["truncated.task", "pose_landmarker_full.task"]),
    ("truncated-model-run", ["run", "--headless", "--video", VIDEO, "--model", "{tmp}/truncated.task"],
     ["truncated.task", "pose_landmarker_full.task"]),
    ("missing-model-run", ["run", "--headless", "--video", VIDEO, "--model", "{tmp}/nowhere/pose.task"],
     ["does not exist", "pose_landmarker_full.task"]),
    ("garbage-model-record", ["record", IMAGE, "--out", "{tmp}/log.jsonl", "--model", "{tmp}/garbage.task"],
     ["garbage.task", "not a model bundle"]),
    ("bad-exercise-file-list", ["exercises", "--exercises-dir", "{tmp}/exercises"],
     ["broken.toml", "sides", "allowed", "'right', 'left' or 'center'"]),
    ("unknown-exercise-replay", ["replay", "{tmp}/ok.jsonl", "--exercise", "neck-twist"],
     ["neck-twist", "neck-rotation", "lateral-flexion", "chin-tuck", "levator-scapulae"]),
    ("camera-will-not-open", ["run", "--headless", "--camera", "7"], ["no camera", "--video", "coach demo"]),
    ("log-not-json", ["replay", "{tmp}/garbage.jsonl", "--exercise", "neck-rotation"],
     ["garbage.jsonl:1", "landmark log"]),
    ("log-wrong-shape", ["replay", "{tmp}/shape.jsonl", "--exercise", "neck-rotation"],
     ["shape.jsonl:1", "33x4"]),
    ("unwritable-out-angles", ["angles", IMAGE, "--out", "{tmp}/afile.txt/angles.csv"], ["afile.txt"]),
    ("unwritable-report-replay", ["replay", "{tmp}/ok.jsonl", "--exercise", "neck-rotation",
                                  "--report", "{tmp}/afile.txt/r.json"], ["afile.txt"]),
    ("unwritable-out-run", ["run", "--headless", "--video", VIDEO, "--out", "{tmp}/afile.txt/x.mp4"],
     ["--out", "afile.txt", "not a folder"]),
    ("unwritable-report-run", ["run", "--headless", "--video", VIDEO, "--report", "{tmp}/afile.txt/r.json"],
     ["--report", "afile.txt", "not a folder"]),
    ("unwritable-out-demo", ["demo", "--headless", "--out", "{tmp}/afile.txt/demo.mp4"], ["--out", "not a folder"]),
    ("bad-profile-run", ["run", "--headless", "--video", VIDEO, "--profile", "{tmp}/profile.toml"],
     ["profile.toml", "targets.neck-rotation.yaw", "allowed"]),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, model_dir, shared_data) -> dict[str, str]:
    """The bad inputs on disk, and the placeholders of the table."""
    tmp = tmp_path_factory.mktemp("bad-inputs")
    (tmp / "notes.mp4").write_text("these are my notes, not a video\n", encoding="utf-8")
    (tmp / "afile.txt").write_text("a file where a folder should be\n", encoding="utf-8")
    model = (model_dir / "pose_landmarker_full.task").read_bytes()
    (tmp / "truncated.task").write_bytes(model[: len(model) * 9 // 10])
    (tmp / "garbage.task").write_bytes(bytes(range(256)) * (len(model) // 256))
    (tmp / "exercises").mkdir()
    (tmp / "exercises" / "broken.toml").write_text(BROKEN_EXERCISE, encoding="utf-8")
    (tmp / "garbage.jsonl").write_text('{"t_ms": 0, "width": 640\n', encoding="utf-8")
    row = {"t_ms": 0, "width": 640, "height": 480, "landmarks": [[0.5, 0.5, 0.0, 1.0]] * 5,
           "world_landmarks": None, "face_matrix": None}
    (tmp / "shape.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    ok = dict(row, landmarks=None)
    (tmp / "ok.jsonl").write_text(json.dumps(ok) + "\n", encoding="utf-8")
    (tmp / "profile.toml").write_text("[targets.neck-rotation]\nyaw = 120\n", encoding="utf-8")
    return {"tmp": str(tmp), "data": str(shared_data), "models": str(model_dir)}


@pytest.fixture(scope="module")
def results(inputs) -> dict[str, subprocess.CompletedProcess]:
    """Every case run once, two at a time (each is mostly interpreter start-up)."""
    env = dict(os.environ, COACH_MODEL_DIR=inputs["models"], COACH_DATA_DIR=str(Path(inputs["tmp"]) / "data"))
    env.pop("COACH_DEBUG", None)
    env.pop("DISPLAY", None)

    def run(case):
        name, argv, _ = case
        args = [a.format(**inputs) for a in argv]
        return name, subprocess.run([sys.executable, "-m", "coach", *args], capture_output=True, text=True,
                                    env=env, timeout=120, stdin=subprocess.DEVNULL)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, CASES))


@pytest.mark.parametrize("name,argv,expect", CASES, ids=[c[0] for c in CASES])
@pytest.mark.model
def test_bad_input_is_one_line_and_non_zero(results, name, argv, expect):
    res = results[name]
    assert res.returncode != 0, f"exit 0 for bad input; stdout: {res.stdout[-300:]!r}"
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"stderr is not one line: {res.stderr!r}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert "internal error" not in line
    for part in expect:
        assert part in line, f"{part!r} missing from {line!r}"
