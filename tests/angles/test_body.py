"""Body features (shoulder hike, arm down, hand behind head) from synthetic landmarks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.angles.body import BodyFeatures, BodyNeutral
from coach.landmarks import PoseFrame
from coach.sim.synthetic import Noise, make_landmarks


def neutral(**camera_kw) -> BodyNeutral:
    rng = np.random.default_rng(5)
    samples = [BodyFeatures.from_frame(make_landmarks(noise=Noise(), rng=rng, **camera_kw)) for _ in range(30)]
    n = BodyNeutral.from_features(samples)
    assert n is not None
    return n


CAMERAS = [
    {},
    {"camera_roll_deg": 15.0},
    {"torso_yaw_deg": 25.0},
    {"torso_roll_deg": -10.0},
    {"distance_m": 1.3, "offset_x_m": 0.2},
]


@pytest.mark.parametrize("camera", CAMERAS)
@pytest.mark.parametrize(
    "pose, expected",
    [
        ({}, dict(right_arm_down=False, left_arm_down=False, right_hand_behind_head=False, left_hand_behind_head=False)),
        ({"right_arm": "down"}, dict(right_arm_down=True, left_arm_down=False)),
        ({"left_arm": "down", "roll_deg": 35.0}, dict(left_arm_down=True, right_arm_down=False)),
        ({"right_arm": "down", "roll_deg": -35.0}, dict(right_arm_down=True, left_arm_down=False)),
        ({"right_arm": "behind_head", "yaw_deg": 45.0, "pitch_deg": 30.0},
         dict(right_hand_behind_head=True, left_hand_behind_head=False, right_arm_down=False)),
        ({"left_arm": "behind_head", "yaw_deg": -45.0, "pitch_deg": 30.0},
         dict(left_hand_behind_head=True, right_hand_behind_head=False)),
        ({"left_arm": "behind_head", "right_arm": "behind_head"},
         dict(left_hand_behind_head=True, right_hand_behind_head=True)),
    ],
)
def test_arm_features(camera, pose, expected):
    for seed in range(3):
        f = BodyFeatures.from_frame(make_landmarks(noise=Noise(), rng=np.random.default_rng(seed), **pose, **camera))
        for name, value in expected.items():
            assert getattr(f, name) is value, (name, seed)


@pytest.mark.parametrize("camera", CAMERAS)
@pytest.mark.parametrize(
    "pose, right_cm, left_cm",
    [
        ({}, 0.0, 0.0),
        ({"right_shoulder_hike_cm": 4.0}, 4.0, 0.0),
        ({"left_shoulder_hike_cm": 4.0}, 0.0, 4.0),
        ({"right_shoulder_hike_cm": 3.0, "left_shoulder_hike_cm": 3.0}, 3.0, 3.0),
        ({"roll_deg": 35.0, "right_arm": "down"}, 0.0, 0.0),  # a head tilt is not a hike
        ({"yaw_deg": 70.0}, 0.0, 0.0),
    ],
)
def test_shoulder_hike_relative_to_neutral(camera, pose, right_cm, left_cm):
    base = neutral(**camera)
    rng = np.random.default_rng(11)
    f = BodyFeatures.from_frame(make_landmarks(noise=Noise(), rng=rng, **pose, **camera), base)
    # The hike is measured along the torso axis, which a one-sided hike tilts a little: ~15 %.
    assert f.right_shoulder_hike_cm == pytest.approx(right_cm, abs=0.6 + 0.15 * right_cm)
    assert f.left_shoulder_hike_cm == pytest.approx(left_cm, abs=0.6 + 0.15 * left_cm)


def test_hike_unknown_without_neutral():
    f = BodyFeatures.from_frame(make_landmarks(right_shoulder_hike_cm=4.0))
    assert f.right_shoulder_hike_cm is None and f.right_shoulder_elev_cm is not None


def test_no_person_is_all_unknown():
    f = BodyFeatures.from_frame(PoseFrame(t_ms=0, width=640, height=480))
    assert f == BodyFeatures()
    assert BodyFeatures.from_frame(None) == BodyFeatures()


def test_hidden_shoulder_makes_everything_unknown():
    frame = make_landmarks(right_arm="down")
    lm = frame.landmarks.copy()
    lm[12, 3] = 0.1  # right shoulder not visible
    f = BodyFeatures.from_frame(PoseFrame(0, 640, 480, lm, frame.world_landmarks))
    assert f == BodyFeatures()


def test_missing_wrist_with_raised_elbow_still_reads_hand_behind_head():
    frame = make_landmarks(right_arm="behind_head", yaw_deg=45.0, pitch_deg=30.0)
    wl = frame.world_landmarks.copy()
    wl[16] = np.nan
    f = BodyFeatures.from_frame(PoseFrame(0, 640, 480, frame.landmarks, wl))
    assert f.right_hand_behind_head is True and f.right_arm_down is None


def test_neutral_needs_both_sides():
    assert BodyNeutral.from_features([BodyFeatures(right_shoulder_elev_cm=40.0)]) is None
    assert BodyNeutral.from_features([]) is None


_coord = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32), st.just(float("nan")))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 32), st.integers(0, 2), _coord), max_size=20),
    st.lists(st.tuples(st.integers(0, 32), st.floats(-1.0, 2.0)), max_size=10),
)
def test_garbage_never_raises(world_edits, vis_edits):
    frame = make_landmarks(left_arm="down", right_arm="behind_head")
    wl, lm = frame.world_landmarks.copy(), frame.landmarks.copy()
    for i, j, v in world_edits:
        wl[i, j] = v
    for i, v in vis_edits:
        lm[i, 3] = v
    f = BodyFeatures.from_frame(PoseFrame(0, 640, 480, lm, wl), BodyNeutral(44.0, 44.0))
    for value in (f.right_shoulder_hike_cm, f.left_shoulder_hike_cm):
        assert value is None or np.isfinite(value)
    for value in (f.right_arm_down, f.left_arm_down, f.right_hand_behind_head, f.left_hand_behind_head):
        assert value in (None, True, False)
