"""The circle guard: fires once per full head circle, never on side-to-side exercises."""

from __future__ import annotations

import math

import pytest

from coach.coaching.safety import CircleGuard, CircleGuardConfig
from coach.sim.motion import EXERCISE_IDS, Move, Script, head_circles, lead_in, session_script
from coach.sim.synthetic import BodyPose


def count_detections(script: Script, fps: float = 30.0, jitter_deg: float = 0.0, seed: int = 0) -> int:
    guard = CircleGuard()
    n = 0
    for t_ms, a in script.angles(fps, seed=seed, jitter_deg=jitter_deg):
        n += guard.update(t_ms, a.yaw_deg, a.roll_deg, a.pitch_deg)
    return n


@pytest.mark.parametrize("plane", ["roll-pitch", "yaw-pitch"])
@pytest.mark.parametrize("clockwise", [False, True])
@pytest.mark.parametrize("circle_s, amplitude_deg", [(1.5, 25.0), (4.0, 35.0), (8.0, 20.0), (3.0, 50.0)])
def test_three_circles_three_detections(plane, clockwise, circle_s, amplitude_deg):
    script = lead_in() + head_circles(3, circle_s=circle_s, amplitude_deg=amplitude_deg, plane=plane, clockwise=clockwise)
    assert count_detections(script, jitter_deg=0.4) == 3


def test_continuous_circling_fires_once_per_turn():
    script = lead_in() + head_circles(1, circle_s=3.0, turns=4.0)
    assert count_detections(script) == 4


@pytest.mark.parametrize("turns", [0.25, 0.5, 0.7])
@pytest.mark.parametrize("plane", ["roll-pitch", "yaw-pitch"])
def test_partial_arcs_do_not_fire(turns, plane):
    assert count_detections(lead_in() + head_circles(3, turns=turns, plane=plane)) == 0


def test_small_circles_below_amplitude_do_not_fire():
    # Rolling the head a little (8 deg) is not the dangerous circumduction.
    assert count_detections(lead_in() + head_circles(3, amplitude_deg=8.0)) == 0


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_correct_sessions_never_fire(exercise_id):
    assert count_detections(session_script(exercise_id, reps_per_side=4), jitter_deg=0.5, seed=3) == 0


def test_side_to_side_without_stopping_at_neutral_does_not_fire():
    # Swinging straight from right to left (chin a bit down on the way) sweeps +-180 deg around
    # neutral, never a net full turn.
    right = BodyPose(yaw_deg=70.0, pitch_deg=12.0)
    left = BodyPose(yaw_deg=-70.0, pitch_deg=12.0)
    via = BodyPose(yaw_deg=0.0, pitch_deg=20.0)
    segs = []
    for _ in range(6):
        segs += [Move(via, 0.8), Move(left, 0.8), Move(via, 0.8), Move(right, 0.8)]
    script = lead_in() + Script((Move(right, 1.0), *segs), BodyPose())
    assert count_detections(script, jitter_deg=0.5) == 0


def test_levator_right_to_left_through_flexion_does_not_fire():
    r = BodyPose(yaw_deg=45.0, pitch_deg=30.0)
    l_ = BodyPose(yaw_deg=-45.0, pitch_deg=30.0)
    segs = [Move(r, 1.5)] + [Move(l_ if i % 2 == 0 else r, 2.0) for i in range(8)]
    assert count_detections(lead_in() + Script(tuple(segs), BodyPose())) == 0


def test_nan_resets_the_sweep():
    guard = CircleGuard()
    fired = False
    for k in range(120):  # 3/4 of a circle, then a NaN, then the last quarter
        a = math.radians(k * 270 / 120)
        fired |= guard.update(k * 33, 0.0, 30 * math.cos(a), 30 * math.sin(a))
    guard.update(120 * 33, math.nan, 0.0, 0.0)
    for k in range(60):
        a = math.radians(270 + k * 90 / 60)
        fired |= guard.update((121 + k) * 33, 0.0, 30 * math.cos(a), 30 * math.sin(a))
    assert not fired


@pytest.mark.parametrize(
    "kw",
    [dict(enter_radius_deg=5.0, exit_radius_deg=8.0), dict(detect_deg=90.0), dict(max_circle_s=0.1)],
)
def test_config_validated(kw):
    with pytest.raises(ValueError):
        CircleGuardConfig(**kw)
