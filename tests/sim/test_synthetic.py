"""The synthetic landmark generator: sign conventions, camera geometry and MediaPipe likeness.

Expected values come from the physical meaning of each pose (which way the nose moves on
screen, which ear drops) and from the numbers measured on the real model, never from the code
under test, and never from the estimator's geometry: the generator is written independently of
`coach.angles.headpose` (checked below) so that the cross-check against the estimator at the end can
catch a mistake in either.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coach.sim.synthetic
import coach.sim.synthetic_body
import coach.sim.synthetic_geometry
from coach.angles.headpose import head_angles
from coach.landmarks import Landmark as L
from coach.sim import motion
from coach.sim.synthetic import (
    BodyPose,
    Camera,
    Noise,
    Response,
    head_rotation,
    head_rotation_angles,
    make_frame,
    make_landmarks,
    sweep_cases,
)

HEAD_IDS = list(range(11))


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


_MIRRORED_ARMS = {"right_arm": "left_arm", "left_arm": "right_arm"}


@pytest.mark.parametrize("kw", [dict(yaw_deg=35), dict(roll_deg=25), dict(yaw_deg=40, pitch_deg=20),
                                dict(yaw_deg=-30, roll_deg=10, torso_yaw_deg=15),
                                dict(yaw_deg=30, pitch_deg=-15, roll_deg=10, camera_roll_deg=12),
                                dict(roll_deg=25, right_arm="behind_head", left_arm="down"),
                                dict(yaw_deg=70, retraction_cm=2)])
def test_model_is_mirror_symmetric(kw):
    """Posing the mirrored pose gives the mirror image of the frame (flip x, swap left/right)."""
    signed = ("yaw_deg", "roll_deg", "torso_yaw_deg", "camera_roll_deg")
    mirrored_kw = {_MIRRORED_ARMS.get(k, k): (-v if k in signed else v) for k, v in kw.items()}
    a = make_landmarks(**kw, with_face=True).mirrored()
    b = make_landmarks(**mirrored_kw, with_face=True)
    np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-9)
    np.testing.assert_allclose(a.world_landmarks, b.world_landmarks, atol=1e-9)
    if b.face_matrix is None:  # turned too far for the face model
        assert a.face_matrix is None
    else:
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


# -- independence from the estimator -----------------------------------------------------------

#: The generator's modules: each is held to the same import rule.
GENERATOR_MODULES = (coach.sim.synthetic, coach.sim.synthetic_geometry, coach.sim.synthetic_body)
#: What the generator may import: the standard library's basics, numpy, the landmark DATA types
#: and its own modules.
ALLOWED_IMPORTS = {"__future__", "math", "collections.abc", "dataclasses", "types", "typing", "numpy",
                   "coach.landmarks", *(m.__name__ for m in GENERATOR_MODULES)}
#: The estimator's modules, which the generator must never import from.
ESTIMATOR_MODULES = ("headpose", "headframe", "headfit", "rotations", "torso", "correction")


@pytest.mark.parametrize("module", GENERATOR_MODULES, ids=lambda m: m.__name__)
def test_generator_imports_nothing_from_the_estimator(module):
    tree = ast.parse(Path(module.__file__).read_text())
    imported, from_landmarks = set(), set()
    for node in ast.walk(tree):  # function-level imports too
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
            if node.module == "coach.landmarks":
                from_landmarks |= {alias.name for alias in node.names}
    assert not {m for m in imported if any(e in m for e in ESTIMATOR_MODULES)}
    assert imported <= ALLOWED_IMPORTS, imported - ALLOWED_IMPORTS
    # From the landmarks module only the data types and the index tables.
    assert from_landmarks <= {"Landmark", "PoseFrame", "NUM_POSE_LANDMARKS", "MIRROR_PAIRS"}, from_landmarks
    # No import through the back door either.
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & {"__import__", "importlib"}


# -- the head's axes, from the words of DESIGN.md ----------------------------------------------
# Torso axes: (left, up, forward). The columns of head_rotation are the head's left, up and
# forward directions in those axes.

LEFT, UP, FORWARD = np.eye(3)
S30, C30 = 0.5, math.sqrt(3) / 2


@pytest.mark.parametrize(
    "angles, axis, expected",
    [
        ((90, 0, 0), 2, -LEFT),  # turned right: the face points to the person's right
        ((-90, 0, 0), 2, LEFT),
        ((90, 0, 0), 0, FORWARD),  # ... and the left ear has come forward
        ((0, 0, 90), 2, -UP),  # chin down: the face points at the floor
        ((0, 0, -90), 2, UP),
        ((0, 90, 0), 1, -LEFT),  # right ear to the right shoulder: the top of the head goes right
        ((0, 90, 0), 0, UP),  # ... and the left ear goes up
        # Yaw then pitch: the nod is about the TURNED head's own left-right axis, so turned 90 deg
        # right and nodded 30 deg the face looks right and down, the left ear still forward.
        ((90, 0, 30), 2, -C30 * LEFT - S30 * UP),
        ((90, 0, 30), 0, FORWARD),
        # Pitch then roll: the tilt is about the NODDED head's own forward axis, so the face
        # keeps pointing forward-down and only the top of the head swings right.
        ((0, 90, 30), 2, C30 * FORWARD - S30 * UP),
        ((0, 90, 30), 1, -LEFT),
        # Yaw then roll: turned right 90 deg and tilted 90 deg, the top of the head points to
        # the head's own right, which is now the torso's back.
        ((90, 90, 0), 1, -FORWARD),
    ],
)
def test_head_axes_follow_the_words_of_the_contract(angles, axis, expected):
    yaw, roll, pitch = angles
    r = head_rotation(yaw, roll, pitch)
    np.testing.assert_allclose(r[:, axis], expected, atol=1e-12)
    np.testing.assert_allclose(r.T @ r, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)


# -- the picture -----------------------------------------------------------------------------------


def _eye_mid_y(frame):
    return frame.landmarks[[L.LEFT_EYE, L.RIGHT_EYE], 1].mean()


def test_yaw_30_puts_the_nose_left_of_the_ears_on_an_unmirrored_camera():
    f = make_landmarks(yaw_deg=30)
    # The person's right is the image left for a person facing an unmirrored camera.
    assert f.landmarks[L.NOSE, 0] < _ear_mid_x(f) - 0.02
    # The left ear has come toward the camera: nearer (smaller z) than the right one.
    assert f.landmarks[L.LEFT_EAR, 2] < f.landmarks[L.RIGHT_EAR, 2]


def test_pitch_20_drops_the_nose_below_the_eyes_and_hides_nothing():
    neutral, down = make_landmarks(), make_landmarks(pitch_deg=20)
    gap0 = neutral.landmarks[L.NOSE, 1] - _eye_mid_y(neutral)
    gap = down.landmarks[L.NOSE, 1] - _eye_mid_y(down)
    assert gap0 > 0  # the nose tip is below the eyes
    assert gap > gap0 + 0.005  # chin down: the nose tip swings further down, toward the chest
    assert np.all(down.landmarks[HEAD_IDS, 3] > 0.9)
    # Symmetric: a nod moves nothing sideways.
    assert down.landmarks[L.NOSE, 0] == pytest.approx(_ear_mid_x(down), abs=1e-9)


def test_roll_20_puts_the_right_ear_lower():
    f = make_landmarks(roll_deg=20)
    assert f.landmarks[L.RIGHT_EAR, 1] > f.landmarks[L.LEFT_EAR, 1] + 0.02
    # The person's right ear (index 8) is on the image left.
    assert f.landmarks[L.RIGHT_EAR, 0] < f.landmarks[L.LEFT_EAR, 0]
    # Seen from the front (ears at the same depth) the line from the right ear (image left) up
    # to the left ear rises by the roll on screen (y down).
    d = _px(f, L.LEFT_EAR) - _px(f, L.RIGHT_EAR)
    assert math.degrees(math.atan2(-d[1], d[0])) == pytest.approx(20.0, abs=0.5)


def test_face_matrix_of_yaw_30_is_a_rotation_about_the_camera_up_axis():
    m = make_landmarks(yaw_deg=30, with_face=True).face_matrix[:3, :3]
    # In the face matrix's camera axes (x right, y up, z toward the viewer): the face's left axis
    # (image right when facing the camera) swings toward the viewer, its forward axis (toward
    # the viewer) swings to the image left, up stays up. That is a rotation about +y by -30 deg.
    left = [C30, 0.0, S30]
    up = [0.0, 1.0, 0.0]
    forward = [-S30, 0.0, C30]
    np.testing.assert_allclose(m, np.column_stack([left, up, forward]), atol=1e-12)


def test_face_matrix_of_pitch_and_roll():
    # Chin down 30 deg: the face's forward axis points down (-y) and still toward the viewer.
    m = make_landmarks(pitch_deg=30, with_face=True).face_matrix[:3, :3]
    np.testing.assert_allclose(m[:, 2], [0.0, -S30, C30], atol=1e-12)
    np.testing.assert_allclose(m[:, 0], [1.0, 0.0, 0.0], atol=1e-12)
    # Right ear down 30 deg: the top of the head leans to the image left, the left axis up.
    m = make_landmarks(roll_deg=30, with_face=True).face_matrix[:3, :3]
    np.testing.assert_allclose(m[:, 1], [-S30, C30, 0.0], atol=1e-12)
    np.testing.assert_allclose(m[:, 0], [C30, S30, 0.0], atol=1e-12)


def test_pinhole_projection_of_the_ears():
    f = make_landmarks()
    cam = Camera()
    focal_px = 320.0 / math.tan(math.radians(30.0))  # 640 px wide, 60 deg field of view
    # Neutral ears: 14.2 cm apart (tragion-tragion), 8.5 cm in front of the shoulders, which
    # are 75 cm from the camera and 18 cm below the optical axis.
    depth_m = cam.distance_m - 0.085
    span_px = (f.landmarks[L.LEFT_EAR, 0] - f.landmarks[L.RIGHT_EAR, 0]) * f.width
    assert span_px == pytest.approx(focal_px * 0.142 / depth_m, rel=1e-9)
    ear_y_px = f.landmarks[L.LEFT_EAR, 1] * f.height
    assert ear_y_px == pytest.approx(240.0 + focal_px * (0.18 - 0.178) / depth_m, rel=1e-9)
    assert _ear_mid_x(f) == pytest.approx(0.5, abs=1e-12)


# -- the models' response hook ---------------------------------------------------------------------


def test_default_response_is_the_identity():
    # Identity callables that are not the default object go through the full angle round trip.
    same = Response(pose_head=lambda y, r, p: (y, r, p), face=lambda y, r, p: (y, r, p))
    for kw in (dict(yaw_deg=40, roll_deg=-15, pitch_deg=20), dict(yaw_deg=-25, pitch_deg=-30, camera_roll_deg=10,
                                                                  torso_yaw_deg=20)):
        a = make_landmarks(**kw, with_face=True)
        b = make_landmarks(**kw, with_face=True, response=same)
        np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-12)
        np.testing.assert_allclose(a.world_landmarks, b.world_landmarks, atol=1e-12)
        np.testing.assert_allclose(a.face_matrix, b.face_matrix, atol=1e-9)


def test_face_response_changes_only_the_face_matrix():
    half_pitch = Response(face=lambda y, r, p: (y, r, p / 2.0))
    true = make_landmarks(pitch_deg=30, with_face=True)
    read = make_landmarks(pitch_deg=30, with_face=True, response=half_pitch)
    # The face model reports 15 deg chin down: its forward axis is 15 deg below the horizontal.
    s15, c15 = math.sin(math.radians(15)), math.cos(math.radians(15))
    np.testing.assert_allclose(read.face_matrix[:3, 2], [0.0, -s15, c15], atol=1e-12)
    np.testing.assert_array_equal(read.landmarks, true.landmarks)
    np.testing.assert_array_equal(read.world_landmarks, true.world_landmarks)


def test_pose_head_response_moves_only_the_image_head():
    blind_to_yaw = Response(pose_head=lambda y, r, p: (0.0, r, p))
    true = make_landmarks(yaw_deg=40, with_face=True)
    read = make_landmarks(yaw_deg=40, with_face=True, response=blind_to_yaw)
    # The image head looks straight at the camera: the nose is between the ears.
    assert read.landmarks[L.NOSE, 0] == pytest.approx(_ear_mid_x(read), abs=1e-9)
    assert true.landmarks[L.NOSE, 0] < _ear_mid_x(true) - 0.02
    # The body, the world landmarks and the face matrix still see the turned head.
    body = list(range(11, 33))
    np.testing.assert_array_equal(read.landmarks[body], true.landmarks[body])
    np.testing.assert_array_equal(read.world_landmarks, true.world_landmarks)
    np.testing.assert_array_equal(read.face_matrix, true.face_matrix)


def test_response_is_camera_relative():
    # The torso turned 35 deg right with the head straight on it: the head is turned 35 deg
    # relative to the camera, and that is what the response receives.
    seen = []

    def record(y, r, p):
        seen.append((y, r, p))
        return y, r, p

    make_landmarks(torso_yaw_deg=35, with_face=True, response=Response(face=record))
    np.testing.assert_allclose(seen, [(35.0, 0.0, 0.0)], atol=1e-9)


def test_motion_scripts_pass_the_response_through():
    script = motion.lead_in(0.2, BodyPose(pitch_deg=20))
    frames = list(script.frames(10, noise=Noise.none(), with_face=True,
                                response=Response(face=lambda y, r, p: (y, r, p / 2.0))))
    assert frames
    for f in frames:
        assert f.face_matrix[1, 2] == pytest.approx(-math.sin(math.radians(10)), abs=1e-9)


# -- cross-check against the estimator -------------------------------------------------------------
# The generator and the estimator now share no geometry, so agreement here means both read the
# contract the same way. The face path reads the face matrix: it must be exact. The pose-only
# path fits the estimator's own head model to the generator's anatomical one, which differ (eye
# height above the ears most of all): its bounds only catch a sign or axis error (which would
# give errors of about twice the angle).

# A turned torso needs the tracker's reference (tests/test_headpose.py: whole-body turns); a single
# frame takes the torso to face the camera, so it is not in this single-frame check.
_CROSS_CAMERAS = [dict(), dict(camera_roll_deg=15), dict(torso_roll_deg=12), dict(offset_x_m=0.25, distance_m=1.2)]


@pytest.mark.parametrize("camera_kw", _CROSS_CAMERAS)
def test_estimator_face_path_recovers_the_generator_angles(camera_kw):
    errors = []
    for truth in sweep_cases(n_mixed=60):
        frame = make_landmarks(*truth, with_face=True, **camera_kw)
        if frame.face_matrix is None:  # face turned away: no face path
            continue
        a = head_angles(frame, use_face=True)
        assert a.ok, (truth, a.tracking)
        errors.append(np.array([a.yaw_deg, a.roll_deg, a.pitch_deg, a.retraction_cm]) - truth)
    err = np.abs(np.array(errors))
    assert len(err) >= 100
    assert np.all(err[:, :3].max(axis=0) < 0.05), err.max(axis=0)
    # Retraction: the two neck pivots differ by a few mm, so nodding moves it a little.
    assert err[:, 3].max() < 0.5 and err[:, 3].mean() < 0.15, err[:, 3].max()


def test_estimator_pose_path_agrees_in_sign_and_axis():
    errors = []
    for truth in sweep_cases(n_mixed=60):
        a = head_angles(make_landmarks(*truth), use_face=False)
        assert a.ok, truth
        got = np.array([a.yaw_deg, a.roll_deg, a.pitch_deg])
        errors.append(got - truth[:3])
        for axis in range(3):
            if abs(truth[axis]) >= 15:
                assert np.sign(got[axis]) == np.sign(truth[axis]), (truth, got)
    err = np.abs(np.array(errors))
    assert np.all(err.max(axis=0) < 10.0), err.max(axis=0)
