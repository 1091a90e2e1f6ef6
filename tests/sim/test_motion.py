"""The scripted-motion generator: timing, determinism, variants, and the log format round trip."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from coach.landmarks import read_log, write_log
from coach.sim.motion import (
    EXERCISE_IDS,
    Circle,
    Dropout,
    Hold,
    Move,
    RepPlan,
    Script,
    head_circles,
    lead_in,
    rep_script,
    session_script,
    target_pose,
)
from coach.sim.synthetic import BodyPose


def test_move_hold_timeline():
    script = Script((Hold(1.0), Move(BodyPose(yaw_deg=60.0), 2.0), Hold(1.0)))
    samples = list(script.samples(10.0))
    assert len(samples) == 40 and samples[-1].t_ms == 3900
    yaw = {s.t_ms: s.pose.yaw_deg for s in samples}
    assert yaw[0] == 0.0 and yaw[1000] == 0.0
    assert yaw[2000] == pytest.approx(30.0)  # half-way through the move (smoothstep)
    assert yaw[3000] == pytest.approx(60.0) and yaw[3900] == pytest.approx(60.0)
    assert all(b >= a for a, b in zip(list(yaw.values()), list(yaw.values())[1:]))


def test_dropout_has_no_landmarks():
    script = Script((Hold(1.0), Dropout(0.3), Hold(1.0)))
    frames = list(script.frames(30.0))
    missing = [f.t_ms for f in frames if not f.detected]
    assert len(missing) == 9 and missing[0] == 1000 and missing[-1] == 1267


def test_circle_goes_all_the_way_round():
    c = Circle(4.0, amplitude_deg=30.0, plane="yaw-pitch")
    pts = [c.offset(k / 100) for k in range(101)]
    angles = np.unwrap([math.atan2(p, y) for y, p in pts])
    assert angles[-1] - angles[0] == pytest.approx(2 * math.pi)
    assert all(math.hypot(*p) == pytest.approx(30.0) for p in pts)
    cw = Circle(4.0, clockwise=True)
    assert cw.offset(0.25)[1] == pytest.approx(-30.0)


def test_frames_are_deterministic_given_a_seed():
    script = session_script("neck-rotation", reps_per_side=1)
    a = [f.to_json() for f in script.frames(15.0, seed=3)]
    b = [f.to_json() for f in script.frames(15.0, seed=3)]
    c = [f.to_json() for f in script.frames(15.0, seed=4)]
    assert a == b and a != c


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_session_has_the_reps_and_alternates(exercise_id):
    script = session_script(exercise_id, reps_per_side=3)
    holds = [s for s in script.segments if isinstance(s, Hold) and s.label == "hold"]
    sides = 1 if exercise_id == "chin-tuck" else 2
    assert len(holds) == 3 * sides
    assert script.segments[0].label == "lead-in" and script.segments[0].duration_s >= 2.5


@pytest.mark.parametrize(
    "exercise_id, side, expected",
    [
        ("neck-rotation", "right", dict(yaw_deg=70.0)),
        ("neck-rotation", "left", dict(yaw_deg=-70.0)),
        ("lateral-flexion", "right", dict(roll_deg=38.0, left_arm="down", right_arm="rest")),
        ("lateral-flexion", "left", dict(roll_deg=-38.0, right_arm="down", left_arm="rest")),
        ("chin-tuck", "center", dict(retraction_cm=2.5, pitch_deg=0.0)),
        ("levator-scapulae", "right", dict(yaw_deg=45.0, pitch_deg=30.0, right_arm="behind_head")),
        ("levator-scapulae", "left", dict(yaw_deg=-45.0, pitch_deg=30.0, left_arm="behind_head")),
    ],
)
def test_target_poses_follow_the_document(exercise_id, side, expected):
    pose = target_pose(exercise_id, side)
    for name, value in expected.items():
        assert getattr(pose, name) == value


@pytest.mark.parametrize(
    "fault, field, value",
    [("pitch", "pitch_deg", 25.0), ("tilt-back", "pitch_deg", -20.0), ("shoulder-hike", "right_shoulder_hike_cm", 4.5),
     ("no-hand", "right_arm", "rest"), ("arm-not-down", "left_arm", "rest"), ("rotate", "yaw_deg", 25.0),
     ("trunk", "trunk_yaw_deg", 25.0), ("trunk", "yaw_deg", 70.0 - 25.0)],
)
def test_fault_variants_change_the_held_pose(fault, field, value):
    ex = {"pitch": "neck-rotation", "tilt-back": "chin-tuck", "shoulder-hike": "lateral-flexion",
          "no-hand": "levator-scapulae", "arm-not-down": "lateral-flexion", "rotate": "lateral-flexion",
          "trunk": "neck-rotation"}[fault]
    side = "center" if ex == "chin-tuck" else "right"
    script = rep_script(ex, RepPlan(side, fault=fault, fault_after_s=1.0))
    faulty = [s.pose for s in script.samples(10.0) if s.label == "fault"]
    assert faulty and getattr(faulty[-1], field) == value


def test_levator_turns_then_pulls_down():
    script = rep_script("levator-scapulae", RepPlan("right"))
    labels = [s.label for s in script.segments]
    assert labels[:3] == ["turn", "pull down", "hold"]
    turned = script.segments[0].to
    assert (turned.yaw_deg, turned.pitch_deg) == (45.0, 0.0)


def test_arm_switches_half_way_through_a_move():
    script = Script((Move(BodyPose(roll_deg=38.0, left_arm="down"), 1.0),), BodyPose())
    arms = [(s.t_ms, s.pose.left_arm) for s in script.samples(10.0)]
    assert [a for t, a in arms if t < 500] == ["rest"] * 5
    assert [a for t, a in arms if t >= 500] == ["down"] * 5


def test_circles_script_counts():
    script = head_circles(3, circle_s=2.0)
    assert sum(isinstance(s, Circle) for s in script.segments) == 3
    assert script.end_pose() == BodyPose()


def test_frames_round_trip_through_the_log_format(tmp_path):
    script = lead_in(0.5) + Script((Dropout(0.2), Hold(0.3)))
    frames = list(script.frames(10.0, seed=1))
    buf = io.StringIO()
    assert write_log(frames, buf) == 10
    path = tmp_path / "s.jsonl"
    path.write_text(buf.getvalue())
    back = list(read_log(path))
    assert [f.t_ms for f in back] == [f.t_ms for f in frames]
    assert [f.detected for f in back] == [True] * 5 + [False] * 2 + [True] * 3
    np.testing.assert_allclose(back[0].world_landmarks, frames[0].world_landmarks, atol=1e-6)


def test_bad_fps_rejected():
    with pytest.raises(ValueError, match="fps"):
        list(lead_in(1.0).samples(0.5))


def test_unknown_exercise_rejected():
    with pytest.raises(ValueError, match="known: neck-rotation"):
        target_pose("neck-roll", "right")
