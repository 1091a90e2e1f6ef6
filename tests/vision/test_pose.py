"""PoseTracker on the real model and clips, plus the person-choice helpers on synthetic arrays."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from scenes import two_people

from coach.errors import CoachError
from coach.landmarks import Landmark
from coach.vision.pose import PoseTracker, choose_person, is_upright, match_face

POSE = "pose_landmarker_full.task"
FACE = "face_landmarker.task"
HEAD_AND_SHOULDERS = [Landmark.NOSE, Landmark.LEFT_EYE, Landmark.RIGHT_EYE, Landmark.LEFT_EAR,
                      Landmark.RIGHT_EAR, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]


def person(nose=(0.5, 0.3), left_shoulder=(0.6, 0.5), right_shoulder=(0.4, 0.5)) -> np.ndarray:
    """A minimal (33, 4) image-landmark array: only nose and shoulders matter to the helpers."""
    lm = np.full((33, 4), 0.5)
    lm[:, 3] = 1.0
    lm[Landmark.NOSE, :2] = nose
    lm[Landmark.LEFT_SHOULDER, :2] = left_shoulder
    lm[Landmark.RIGHT_SHOULDER, :2] = right_shoulder
    return lm


def read_frames(path: Path, indices: range) -> list[tuple[int, np.ndarray]]:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames, i = [], 0
    while i <= indices[-1]:
        ok, frame = cap.read()
        if not ok:
            break
        if i in indices:
            frames.append((int(i * 1000 / fps), frame))
        i += 1
    cap.release()
    return frames


# -- helpers on synthetic arrays (no model) ------------------------------------------------------

def test_choose_person_prefers_central_larger():
    small_side = person(nose=(0.15, 0.3), left_shoulder=(0.2, 0.45), right_shoulder=(0.1, 0.45))
    big_centre = person()
    assert choose_person([small_side, big_centre], 640, 480) == 1
    assert choose_person([big_centre, small_side], 640, 480) == 0


def test_choose_person_larger_wins_when_both_central():
    small = person(left_shoulder=(0.55, 0.5), right_shoulder=(0.45, 0.5))
    large = person(left_shoulder=(0.7, 0.5), right_shoulder=(0.3, 0.5))
    assert choose_person([small, large], 640, 480) == 1


def test_choose_person_skips_nan():
    broken = person()
    broken[Landmark.LEFT_SHOULDER, :2] = np.nan
    assert choose_person([broken, person(left_shoulder=(0.55, 0.5))], 640, 480) == 1


def test_match_face_picks_nearest_nose_and_refuses_strangers():
    me = person(nose=(0.5, 0.3))
    noses = np.array([[0.1, 0.3], [0.51, 0.31]])
    assert match_face(noses, me, 640, 480) == 1
    assert match_face(np.array([[0.1, 0.3]]), me, 640, 480) is None
    assert match_face(np.zeros((0, 2)), me, 640, 480) is None


@pytest.mark.parametrize(
    "lm, upright",
    [
        (person(), True),
        # camera rolled 15 degrees: still upright
        (person(nose=(0.45, 0.31), left_shoulder=(0.6, 0.55), right_shoulder=(0.4, 0.45)), True),
        # standing side-on: shoulders overlap (steep line) but the head is above them
        (person(nose=(0.5, 0.3), left_shoulder=(0.5, 0.5), right_shoulder=(0.51, 0.45)), True),
        # levator stretch: nose far down toward the armpit, shoulders level
        (person(nose=(0.4, 0.49), left_shoulder=(0.6, 0.5), right_shoulder=(0.4, 0.5)), True),
        # lying on the side (what the model hallucinates on cartoon titles)
        (person(nose=(0.66, 0.64), left_shoulder=(0.63, 0.70), right_shoulder=(0.63, 0.61)), False),
        (person(nose=(np.nan, 0.3)), False),
    ],
)
def test_is_upright(lm, upright):
    assert is_upright(lm, 960, 540) is upright


@pytest.mark.model
def test_constructor_validates_ranges(model_dir):
    with pytest.raises(ValueError, match="num_poses"):
        PoseTracker(model_dir / POSE, num_poses=0)
    with pytest.raises(ValueError, match="face_every"):
        PoseTracker(model_dir / POSE, face_every=0)
    with pytest.raises(ValueError, match="census_every"):
        PoseTracker(model_dir / POSE, census_every=0)


# -- real model ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def astronaut(shared_data) -> np.ndarray:
    img = cv2.imread(str(shared_data / "astronaut.png"))
    assert img is not None
    return img


@pytest.mark.model
def test_astronaut_has_person_with_shoulders_and_face(model_dir, astronaut):
    with PoseTracker(model_dir / POSE, model_dir / FACE) as tracker:
        frame = tracker.process(0, astronaut)
    assert frame.people == 1 and frame.detected
    assert frame.width == 512 and frame.height == 512
    assert frame.landmarks.shape == (33, 4) and frame.world_landmarks.shape == (33, 3)
    lm = frame.landmarks
    assert lm[Landmark.LEFT_SHOULDER, 3] > 0.9 and lm[Landmark.RIGHT_SHOULDER, 3] > 0.9
    # The person's left shoulder is on the image's right for someone facing the camera.
    assert lm[Landmark.LEFT_SHOULDER, 0] > lm[Landmark.NOSE, 0] > lm[Landmark.RIGHT_SHOULDER, 0]
    assert lm[Landmark.NOSE, 1] < lm[Landmark.LEFT_SHOULDER, 1]
    # Face matrix: a rigid transform (orthonormal rotation part), face in front of the camera.
    assert frame.face_matrix.shape == (4, 4)
    rot = frame.face_matrix[:3, :3]
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-3)
    assert frame.face_matrix[2, 3] < 0  # translation z: negative = in front of the camera


@pytest.mark.model
def test_arrays_are_read_only(model_dir, astronaut):
    with PoseTracker(model_dir / POSE) as tracker:
        frame = tracker.process(0, astronaut)
    assert frame.face_matrix is None  # no face model given
    with pytest.raises(ValueError):
        frame.landmarks[0, 0] = 1.0


@pytest.mark.model
def test_mirrored_frame_gives_mirrored_landmarks(model_dir, astronaut):
    flipped = astronaut[:, ::-1]  # a strided view: the tracker must handle non-contiguous input
    with PoseTracker(model_dir / POSE, model_dir / FACE) as a:
        original = a.process(0, astronaut)
    with PoseTracker(model_dir / POSE, model_dir / FACE) as b:
        mirror = b.process(0, flipped)
    expected = original.mirrored()
    idx = HEAD_AND_SHOULDERS
    err_xy = np.abs(mirror.landmarks[idx, :2] - expected.landmarks[idx, :2])
    assert err_xy.max() < 0.04, err_xy
    err_world = np.abs(mirror.world_landmarks[idx] - expected.world_landmarks[idx])
    assert err_world[:, 0].max() < 0.05, err_world
    # Swap check in plain words: the mirrored image's LEFT shoulder is where the original's
    # RIGHT shoulder was, reflected.
    assert abs(mirror.landmarks[Landmark.LEFT_SHOULDER, 0]
               - (1 - original.landmarks[Landmark.RIGHT_SHOULDER, 0])) < 0.04
    rot_err = np.abs(mirror.face_matrix[:3, :3] - expected.face_matrix[:3, :3]).max()
    assert rot_err < 0.1


@pytest.mark.model
def test_timestamps_strictly_increase_even_when_repeated(model_dir, astronaut):
    with PoseTracker(model_dir / POSE) as tracker:
        stamps = [tracker.process(t, astronaut).t_ms for t in (0, 0, 0, 5, 3, 100)]
    assert stamps == [0, 1, 2, 5, 6, 100]


@pytest.mark.model
def test_person_then_cartoon(model_dir, shared_data):
    clip = shared_data / "webcam_person_then_cartoon.mov"
    # Person sits still for the first ~2.7 s (72 frames at 26.4 fps); the cartoon title after
    # frame 95 is where the raw model hallucinates a lying "person".
    frames = read_frames(clip, range(0, 169, 6))
    with PoseTracker(model_dir / POSE, model_dir / FACE) as tracker:
        results = [(t, tracker.process(t, img)) for t, img in frames]
    person_part = [f for t, f in results if t < 2500]
    cartoon_part = [f for t, f in results if t > 3600]
    assert len(person_part) >= 10 and len(cartoon_part) >= 10
    assert all(f.people == 1 and f.face_matrix is not None for f in person_part)
    assert all(f.people == 0 and not f.detected and f.face_matrix is None for f in cartoon_part)


@pytest.mark.model
def test_cartoon_pose_is_hallucinated_without_upright_filter(model_dir, shared_data):
    """Guards the reason for is_upright: without it the model reports people in the cartoon."""
    frames = read_frames(shared_data / "webcam_person_then_cartoon.mov", range(96, 128, 2))
    with PoseTracker(model_dir / POSE, max_lean_deg=None) as tracker:
        seen = sum(tracker.process(t, img).people for t, img in frames)
    assert seen > 0


@pytest.mark.model
def test_face_every_reuses_matrix_between_runs(model_dir, astronaut):
    with PoseTracker(model_dir / POSE, model_dir / FACE, face_every=3) as tracker:
        frames = [tracker.process(t, astronaut) for t in range(0, 200, 33)]
    assert all(f.face_matrix is not None for f in frames)
    assert frames[1].face_matrix is frames[0].face_matrix
    assert frames[3].face_matrix is not frames[0].face_matrix


@pytest.mark.model
def test_bad_frame_rejected(model_dir):
    with PoseTracker(model_dir / POSE) as tracker:
        with pytest.raises(ValueError, match="uint8"):
            tracker.process(0, np.zeros((10, 10), np.uint8))


@pytest.mark.model
def test_closed_tracker_raises(model_dir, astronaut):
    tracker = PoseTracker(model_dir / POSE)
    tracker.close()
    tracker.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        tracker.process(0, astronaut)


@pytest.mark.parametrize("content", [b"", b"not a model at all" * 1000])
def test_unloadable_model_is_one_line_coach_error(tmp_path, content):
    bad = tmp_path / "broken.task"
    bad.write_bytes(content)
    with pytest.raises(CoachError) as err:
        PoseTracker(bad)
    msg = str(err.value)
    assert "broken.task" in msg and "\n" not in msg and "--model" in msg


def test_missing_model_file(tmp_path):
    with pytest.raises(CoachError, match="not found"):
        PoseTracker(tmp_path / "nope.task")


@pytest.mark.model
def test_bad_face_model_closes_pose_and_raises(model_dir, tmp_path):
    bad = tmp_path / "face.task"
    bad.write_bytes(b"junk")
    with pytest.raises(CoachError, match="face model"):
        PoseTracker(model_dir / POSE, bad)


@pytest.mark.parametrize("mirrored", [False, True])
@pytest.mark.model
def test_two_people_coaches_the_central_larger_one(model_dir, astronaut, mirrored):
    scene = two_people(astronaut, mirrored)
    single = cv2.copyMakeBorder(astronaut, 0, 0, 128, 128, cv2.BORDER_CONSTANT, value=(128, 128, 128))
    with PoseTracker(model_dir / POSE, model_dir / FACE, census_every=5) as tracker:
        crowd = [tracker.process(t, scene) for t in range(0, 100, 33)]
        assert tracker.crowd_mode
        alone = [tracker.process(t, single) for t in range(100, 400, 33)]
        assert not tracker.crowd_mode  # back to the cheap single-person graph
    for frame in crowd:
        assert frame.people == 2
        nose_x = frame.landmarks[Landmark.NOSE, 0]
        # The big person's nose is at ~0.62 of the width (~0.38 when mirrored); the small one's ~0.14.
        assert (nose_x < 0.5) if mirrored else (nose_x > 0.5), nose_x
        # The face found belongs to the coached person (the small face is not detected at all,
        # so a wrong match would show as a missing matrix or a far-off translation).
        assert frame.face_matrix is not None
        assert (frame.face_matrix[0, 3] < 0) if mirrored else (frame.face_matrix[0, 3] > 0)
    # MediaPipe may keep tracking a vanished person's box for a frame or two after a hard cut.
    assert all(f.people == 1 for f in alone[-4:])


@pytest.mark.model
def test_num_poses_one_never_reports_a_crowd(model_dir, astronaut):
    with PoseTracker(model_dir / POSE, num_poses=1) as tracker:
        frames = [tracker.process(t, two_people(astronaut)) for t in range(0, 100, 33)]
    assert all(f.people == 1 for f in frames) and not tracker.crowd_mode


def test_mediapipe_loads_without_its_drawing_helpers_until_they_are_used():
    """Start-up: MediaPipe's vision package imports matplotlib.pyplot for drawing helpers the
    coach never calls (0.4 s of the model process's start); they load lazily, and still work."""
    import subprocess
    import sys

    code = ("import sys, coach.vision.pose\n"
            "print('matplotlib.pyplot' in sys.modules)\n"
            "from mediapipe.tasks.python import vision\n"
            "print(vision.drawing_utils.DrawingSpec().thickness, 'matplotlib.pyplot' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "2", "True"]


@pytest.mark.model
def test_census_beside_the_pose_graph_is_not_waited_for(model_dir, astronaut):
    """A census on a warm graph answers its frame from the single graph; its count of a second
    person switches to the crowd graph on a later frame, at the latest when the next census is due."""
    scene = two_people(astronaut)
    single = cv2.copyMakeBorder(astronaut, 0, 0, 128, 128, cv2.BORDER_CONSTANT, value=(128, 128, 128))
    with PoseTracker(model_dir / POSE, model_dir / FACE, census_every=5) as tracker:
        alone = [tracker.process(t, single) for t in range(0, 330, 33)]  # two censuses: all graphs warm
        assert not tracker.crowd_mode
        crowd = [tracker.process(t, scene) for t in range(330, 330 + 12 * 33, 33)]  # censuses at 0, 5, 10
        assert tracker.crowd_mode
        tracker.process(330 + 12 * 33, scene)
    assert all(f.people == 1 for f in alone)
    assert crowd[0].people == 1  # the census frame itself did not wait for the count
    switched = next(i for i, f in enumerate(crowd) if f.people == 2)
    assert 1 <= switched <= 5, [f.people for f in crowd]
    assert all(f.people == 2 for f in crowd[switched:])


@pytest.mark.model
def test_a_deferred_census_counts_people_once_built(model_dir, astronaut):
    """`defer_census` (the model process's start-up) runs no census until `build_deferred`; then
    the next due census finds the second person, as a tracker built with it does at once."""
    scene = two_people(astronaut)
    with PoseTracker(model_dir / POSE, census_every=5) as eager:
        assert eager.process(0, scene).people == 2  # the census of the first frame is waited for
    with PoseTracker(model_dir / POSE, census_every=5, defer_census=True) as tracker:
        before = [tracker.process(t, scene) for t in range(0, 7 * 33, 33)]  # frames 0-6: past a due census
        assert not tracker.crowd_mode
        tracker.build_deferred()
        tracker.build_deferred()  # once built, nothing more to build
        after = [tracker.process(t, scene) for t in range(7 * 33, 14 * 33, 33)]  # frames 7-13: census at 10
        assert tracker.crowd_mode
    assert all(f.people == 1 for f in before)
    assert [f.people for f in after[:3]] == [1, 1, 1] and after[-1].people == 2, [f.people for f in after]
    with pytest.raises(RuntimeError, match="closed"):
        tracker.build_deferred()


@pytest.mark.model
def test_close_waits_for_a_census_in_flight(model_dir, astronaut):
    tracker = PoseTracker(model_dir / POSE, census_every=2)
    for t in range(0, 99, 33):  # frame 2 is a census on a warm graph: still running, or just done
        tracker.process(t, astronaut)
    tracker.close()
    with pytest.raises(RuntimeError, match="closed"):
        tracker.process(200, astronaut)
