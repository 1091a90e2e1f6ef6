"""The synthetic landmark generator: sign conventions, camera geometry and MediaPipe likeness.

Expected values come from the physical meaning of each pose (which way the nose moves on
screen, which ear drops) and from the numbers measured on the real model, never from the code
under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.landmarks import Landmark as L
from coach.synthetic import (
    BodyPose,
    Camera,
    Noise,
    head_rotation,
    head_rotation_angles,
    make_frame,
    make_landmarks,
)


def _px(frame, idx):
    return frame.landmarks[idx, :2] * [frame.width, frame.height]


def _ear_mid_x(frame):
    return frame.landmarks[[L.LEFT_EAR, L.RIGHT_EAR], 0].mean()


def test_neutral_frame_has_mediapipe_layout():
    f = make_landmarks()
    assert f.landmarks.shape == (33, 4) and f.world_landmarks.shape == (33, 3)
    # The person's LEFT shoulder is on the image's right for a person facing the camera.
    assert f.landmarks[L.LEFT_SHOULDER, 0] > 0.5 > f.landmarks[L.RIGHT_SHOULDER, 0]
    assert f.world_landmarks[L.LEFT_SHOULDER, 0] > 0 > f.world_landmarks[L.RIGHT_SHOULDER, 0]
    # y down: the head is above the shoulders in both image and world.
    assert f.landmarks[L.NOSE, 1] < f.landmarks[L.LEFT_SHOULDER, 1]
    assert f.world_landmarks[L.NOSE, 1] < f.world_landmarks[L.LEFT_SHOULDER, 1]
    # z away from the camera: the nose is nearer than the ears.
    assert f.world_landmarks[L.NOSE, 2] < f.world_landmarks[L.LEFT_EAR, 2]
    assert f.landmarks[L.NOSE, 2] < f.landmarks[L.LEFT_EAR, 2]
    # Origin between the hips.
    hips = f.world_landmarks[[L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=0)
    np.testing.assert_allclose(hips, 0.0, atol=1e-9)
    # Shoulders inside the image with high visibility; hips of a seated webcam user are not.
    assert np.all(f.landmarks[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER], 3] > 0.95)
    assert np.all(f.landmarks[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER], 1] < 1.0)


def test_world_proportions_match_the_real_model():
    # Measured on webcam_person_then_cartoon.mov (mean over the person's frames).
    w = make_landmarks().world_landmarks
    ear_mid = w[[L.LEFT_EAR, L.RIGHT_EAR]].mean(axis=0)
    sh_mid = w[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER]].mean(axis=0)
    assert ear_mid[1] - sh_mid[1] == pytest.approx(-0.178, abs=0.01)
    assert ear_mid[2] - sh_mid[2] == pytest.approx(-0.085, abs=0.01)
    assert np.linalg.norm(w[L.LEFT_SHOULDER] - w[L.RIGHT_SHOULDER]) == pytest.approx(0.33, abs=0.02)
    assert np.linalg.norm(w[L.LEFT_EAR] - w[L.RIGHT_EAR]) == pytest.approx(0.14, abs=0.01)
    # The real model squeezes the eyes to ~3 cm apart in world coordinates.
    assert abs(w[L.LEFT_EYE, 0] - w[L.RIGHT_EYE, 0]) == pytest.approx(0.03, abs=0.005)
    assert w[L.NOSE, 2] - ear_mid[2] == pytest.approx(-0.11, abs=0.01)


@pytest.mark.parametrize("yaw_deg", [20, 45, 70])
def test_yaw_right_moves_nose_to_image_left(yaw_deg):
    right = make_landmarks(yaw_deg=yaw_deg)
    left = make_landmarks(yaw_deg=-yaw_deg)
    assert right.landmarks[L.NOSE, 0] < _ear_mid_x(right)
    assert left.landmarks[L.NOSE, 0] > _ear_mid_x(left)


@pytest.mark.parametrize("roll_deg", [10, 30, 45])
def test_roll_right_drops_right_ear(roll_deg):
    f = make_landmarks(roll_deg=roll_deg)
    assert f.landmarks[L.RIGHT_EAR, 1] > f.landmarks[L.LEFT_EAR, 1]
    g = make_landmarks(roll_deg=-roll_deg)
    assert g.landmarks[L.RIGHT_EAR, 1] < g.landmarks[L.LEFT_EAR, 1]


def test_flexion_drops_the_nose_and_extension_lifts_it():
    n0 = make_landmarks().landmarks[L.NOSE, 1]
    assert make_landmarks(pitch_deg=25).landmarks[L.NOSE, 1] > n0 + 0.01
    assert make_landmarks(pitch_deg=-25).landmarks[L.NOSE, 1] < n0 - 0.01


def test_retraction_moves_ears_back_not_shoulders():
    a = make_landmarks().world_landmarks
    b = make_landmarks(retraction_cm=3).world_landmarks
    assert b[L.LEFT_EAR, 2] - a[L.LEFT_EAR, 2] == pytest.approx(0.03, abs=1e-9)
    np.testing.assert_allclose(b[L.LEFT_SHOULDER], a[L.LEFT_SHOULDER])


@pytest.mark.parametrize("kw", [dict(yaw_deg=35), dict(roll_deg=25), dict(yaw_deg=40, pitch_deg=20),
                                dict(yaw_deg=-30, roll_deg=10, torso_yaw_deg=15)])
def test_model_is_mirror_symmetric(kw):
    """Posing the mirrored pose gives the mirror image of the frame (flip x, swap left/right)."""
    mirrored_kw = {k: (-v if k in ("yaw_deg", "roll_deg", "torso_yaw_deg") else v) for k, v in kw.items()}
    a = make_landmarks(**kw, with_face=True).mirrored()
    b = make_landmarks(**mirrored_kw, with_face=True)
    np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-9)
    np.testing.assert_allclose(a.world_landmarks, b.world_landmarks, atol=1e-9)
    np.testing.assert_allclose(a.face_matrix, b.face_matrix, atol=1e-9)


@pytest.mark.parametrize("roll_deg", [-15, 15])
def test_camera_roll_rotates_the_picture_about_its_centre(roll_deg):
    base = make_landmarks(yaw_deg=20, pitch_deg=10)
    rolled = make_landmarks(yaw_deg=20, pitch_deg=10, camera_roll_deg=roll_deg)
    c = np.array([base.width / 2, base.height / 2])
    a = math.radians(roll_deg)
    # Counter-clockwise on screen with y down, as cv2.getRotationMatrix2D(c, +angle, 1).
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    for idx in (L.NOSE, L.LEFT_EAR, L.RIGHT_SHOULDER):
        expected = rot @ (_px(base, idx) - c) + c
        np.testing.assert_allclose(_px(rolled, idx), expected, atol=1e-6)


def test_face_matrix_convention_matches_facelandmarker():
    f = make_landmarks(with_face=True)
    m = f.face_matrix
    # Looking straight ahead: identity rotation; translation in cm, in front of the camera (-z).
    np.testing.assert_allclose(m[:3, :3], np.eye(3), atol=1e-9)
    assert -90 < m[2, 3] < -40
    # Turned to the person's right: the face's forward axis points to the image left (-x).
    turned = make_landmarks(yaw_deg=30, with_face=True).face_matrix
    assert turned[0, 2] == pytest.approx(-math.sin(math.radians(30)), abs=1e-6)
    # Right ear down: the face's x axis (person's left) tilts up (+y in the face convention).
    rolled = make_landmarks(roll_deg=20, with_face=True).face_matrix
    assert rolled[1, 0] == pytest.approx(math.sin(math.radians(20)), abs=1e-6)


def test_face_lost_at_large_yaw_and_far_ear_hidden():
    f = make_landmarks(yaw_deg=80, with_face=True)
    assert f.face_matrix is None
    # Turned right: the LEFT ear faces the camera, the right ear is hidden.
    assert f.landmarks[L.LEFT_EAR, 3] > 0.9
    assert f.landmarks[L.RIGHT_EAR, 3] < 0.2
    assert make_landmarks(yaw_deg=30, with_face=True).face_matrix is not None


def test_default_noise_is_the_real_rest_jitter():
    rng = np.random.default_rng(1)
    frames = [make_landmarks(noise=Noise(), rng=rng) for _ in range(400)]
    px = np.array([f.landmarks[:, :2] for f in frames]) * [640, 480]
    world = np.array([f.world_landmarks for f in frames])
    # Frame-to-frame jitter on the real clip: image ~0.35-0.6 px, world x ~0.7 mm, z ~5 mm.
    img_jitter = px[:, L.LEFT_EAR].std(axis=0)
    assert np.all((img_jitter > 0.3) & (img_jitter < 0.8))
    assert 0.0005 < world[:, L.LEFT_EAR, 0].std() < 0.001
    assert 0.003 < world[:, L.LEFT_EAR, 2].std() < 0.007
    # The z jitter is mostly shared by the head: the ear-to-ear z difference is much steadier.
    assert (world[:, L.LEFT_EAR, 2] - world[:, L.RIGHT_EAR, 2]).std() < 0.0025


def test_noise_none_is_exact_and_same_rng_is_reproducible():
    assert np.array_equal(make_landmarks(noise=Noise.none()).landmarks, make_landmarks().landmarks)
    a = make_landmarks(noise=Noise(), rng=np.random.default_rng(5))
    b = make_landmarks(noise=Noise(), rng=np.random.default_rng(5))
    assert np.array_equal(a.landmarks, b.landmarks)


def test_arm_poses_place_the_hands():
    down = make_frame(BodyPose(left_arm="down"), camera=Camera(distance_m=1.6)).world_landmarks
    # Arm lengthened down: wrist far below the shoulder, about straight under it.
    assert down[L.LEFT_WRIST, 1] - down[L.LEFT_SHOULDER, 1] > 0.5
    assert abs(down[L.LEFT_WRIST, 0] - down[L.LEFT_SHOULDER, 0]) < 0.1
    behind = make_frame(BodyPose(right_arm="behind_head")).world_landmarks
    ear_mid = behind[[L.LEFT_EAR, L.RIGHT_EAR]].mean(axis=0)
    # Hand behind the head: wrist near ear height, behind the ears; elbow above the shoulder and
    # out to the person's right (image left, -x).
    assert abs(behind[L.RIGHT_WRIST, 1] - ear_mid[1]) < 0.08
    assert behind[L.RIGHT_WRIST, 2] > ear_mid[2]
    assert behind[L.RIGHT_ELBOW, 1] < behind[L.RIGHT_SHOULDER, 1]
    assert behind[L.RIGHT_ELBOW, 0] < behind[L.RIGHT_SHOULDER, 0] - 0.1


def test_shoulder_hike_raises_one_shoulder():
    f = make_frame(BodyPose(right_shoulder_hike_cm=4)).world_landmarks
    assert f[L.RIGHT_SHOULDER, 1] - f[L.LEFT_SHOULDER, 1] == pytest.approx(-0.04, abs=1e-9)


def test_bad_arm_pose_is_rejected():
    with pytest.raises(ValueError, match="right_arm"):
        BodyPose(right_arm="up")
    with pytest.raises(TypeError, match="unknown"):
        make_landmarks(yaww_deg=3)


@settings(max_examples=200, deadline=None)
@given(st.floats(-89, 89), st.floats(-60, 60), st.floats(-60, 60))
def test_head_rotation_angles_round_trip(yaw, roll, pitch):
    r = head_rotation(yaw, roll, pitch)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    got = head_rotation_angles(r)
    np.testing.assert_allclose(got, (yaw, roll, pitch), atol=1e-6)
