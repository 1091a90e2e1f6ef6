"""Head angles of the REAL models on real people moving their heads (../shared/data/real).

The expected values are facts of the footage, read from the pose model's raw image landmarks
(which way the nose moved in the picture, which ear is lower), never from the estimator's
geometry: a sign flip in the estimator fails here, on real footage, not only on synthetic data.
The clips are unmirrored: the person's right is the image's left.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from coach.angles.headpose import LOOK_STRAIGHT_AHEAD, HeadTracker, head_angles
from coach.coaching.chain import Coach
from coach.coaching.exercise import load_exercise
from coach.landmarks import Landmark as L
from coach.landmarks import PoseFrame
from coach.vision.capture import VideoFileSource

pytestmark = pytest.mark.model

SHENASA = "shenasa_webcam_head_pose_sample.mp4"  # 10 fps: turn left, right, up, down, tilts


def _run(model_dir, path, step: int = 1, flip_test: bool = False) -> list[PoseFrame]:
    from coach.vision.pose import open_tracker

    with VideoFileSource(path) as src, open_tracker(model_dir, use_face=True, download=False,
                                                    flip_test=flip_test) as tracker:
        return [tracker.process(t, img) for i, (t, img) in enumerate(src) if i % step == 0]


@pytest.fixture(scope="module")
def clips(model_dir, shared_data) -> dict[str, list[PoseFrame]]:
    real = shared_data / "real"
    if not (real / SHENASA).is_file():
        pytest.fail(f"{real / SHENASA} is missing", pytrace=False)
    return {
        "shenasa": _run(model_dir, real / SHENASA),
        "shenasa flip test": _run(model_dir, real / SHENASA, flip_test=True),
        "turning": _run(model_dir, real / "noddingpigeon_head_turning.mp4", step=2),
        "nodding": _run(model_dir, real / "noddingpigeon_head_nodding.mp4", step=2),
    }


def _image_cues(f: PoseFrame) -> tuple[float, float, float]:
    """(nose right of the ear midpoint, nose below the ear midpoint, right ear below the left
    ear), in head widths, from the raw image landmarks."""
    lm = f.landmarks[:, :2] * [f.width, f.height]
    ears = (lm[L.LEFT_EAR] + lm[L.RIGHT_EAR]) / 2.0
    width = float(np.linalg.norm(lm[L.LEFT_EAR] - lm[L.RIGHT_EAR])) or 1.0
    nose = lm[L.NOSE] - ears
    return nose[0] / width, nose[1] / width, (lm[L.RIGHT_EAR][1] - lm[L.LEFT_EAR][1]) / width


def _series(frames):
    rows = []
    for f in frames:
        a = head_angles(f)
        if a.ok:
            rows.append((a.yaw_deg, a.roll_deg, a.pitch_deg, *_image_cues(f)))
    return np.array(rows)


@pytest.mark.parametrize("clip", ["shenasa", "turning"])
def test_yaw_sign_follows_the_nose_in_the_picture(clips, clip):
    """Yaw > 0 (turned to the person's right) = nose toward the image's LEFT of the ears."""
    s = _series(clips[clip])
    turned = np.abs(s[:, 0] - np.median(s[:, 0])) > 12
    assert turned.sum() >= 8
    nose_dx = s[turned, 3] - np.median(s[:, 3])
    agree = np.mean(np.sign(s[turned, 0] - np.median(s[:, 0])) == -np.sign(nose_dx))
    assert agree >= 0.95, agree


@pytest.mark.parametrize("clip", ["shenasa", "nodding"])
def test_pitch_sign_follows_the_nose_in_the_picture(clips, clip):
    """Pitch > 0 (chin down) = nose lower relative to the ears than at rest."""
    s = _series(clips[clip])
    nodded = np.abs(s[:, 2] - np.median(s[:, 2])) > 10
    assert nodded.sum() >= 6
    agree = np.mean(np.sign(s[nodded, 2] - np.median(s[:, 2])) == np.sign(s[nodded, 4] - np.median(s[:, 4])))
    assert agree >= 0.95, agree


def test_roll_sign_follows_the_ears_in_the_picture(clips):
    """Roll > 0 (right ear toward the right shoulder) = the right ear lower in the picture."""
    s = _series(clips["shenasa"])
    tilted = np.abs(s[:, 1]) > 12
    assert tilted.sum() >= 8
    assert np.all(np.sign(s[tilted, 1]) == np.sign(s[tilted, 5]))


def test_shenasa_turn_and_tilt_peaks_are_symmetric(clips):
    """Raw torso-relative peaks: left and right turns (about 40 each way by both models) and
    tilts agree within 8 deg. (Before: +38 / -14, because the shoulders' depth turned with the
    head and was subtracted.)"""
    s = _series(clips["shenasa"])
    yaw_left, yaw_right = s[:, 0].min(), s[:, 0].max()
    roll_left, roll_right = s[:, 1].min(), s[:, 1].max()
    up, down = s[:, 2].min(), s[:, 2].max()
    print(f"\nyaw {yaw_left:.1f}/{yaw_right:.1f} roll {roll_left:.1f}/{roll_right:.1f} pitch {up:.1f}/{down:.1f}")
    assert abs(yaw_left + yaw_right) <= 8 and min(-yaw_left, yaw_right) >= 35
    assert abs(roll_left + roll_right) <= 8 and min(-roll_left, roll_right) >= 25
    # She looks up much further than down (the clip's own burned-in estimate reads 57 up, 27
    # down), so pitch is only checked for reaching both ways.
    assert up <= -35 and down >= 20


def test_shenasa_with_the_flip_test_turns_at_least_40_each_way(clips):
    """``--flip-test``: the issue's bound on her full turns: raw torso-relative peaks each
    >= 40 and within 8 of each other (the plain path reads her left turn 38.8); tilts within 8."""
    s = _series(clips["shenasa flip test"])
    assert all(f.flip_tested for f in clips["shenasa flip test"])
    yaw_left, yaw_right = s[:, 0].min(), s[:, 0].max()
    roll_left, roll_right = s[:, 1].min(), s[:, 1].max()
    print(f"\nflip test: yaw {yaw_left:.1f}/{yaw_right:.1f} roll {roll_left:.1f}/{roll_right:.1f} "
          f"pitch {s[:, 2].min():.1f}/{s[:, 2].max():.1f}")
    assert min(-yaw_left, yaw_right) >= 40 and abs(yaw_left + yaw_right) <= 8
    assert min(-roll_left, roll_right) >= 25 and abs(roll_left + roll_right) <= 8
    assert s[:, 2].min() <= -35 and s[:, 2].max() >= 20
    # The sign tests hold for the flip test too: yaw follows the nose in the picture.
    turned = np.abs(s[:, 0] - np.median(s[:, 0])) > 12
    agree = np.mean(np.sign(s[turned, 0] - np.median(s[:, 0])) == -np.sign(s[turned, 3] - np.median(s[:, 3])))
    assert turned.sum() >= 8 and agree >= 0.95


def _hold(frame: PoseFrame, seconds: float, t0_ms: int, fps: float = 10.0) -> list[PoseFrame]:
    step = int(1000 / fps)
    return [replace(frame, t_ms=t0_ms + i * step) for i in range(int(seconds * fps))]


def _index_of(frames, want):
    """The frame whose raw yaw is most extreme in the wanted direction (-1 left, +1 right)."""
    s = [(head_angles(f).yaw_deg * want if head_angles(f).ok else -1e9) for f in frames]
    return int(np.argmax(s))


def test_calibration_refuses_a_held_turn_on_real_frames(clips):
    frames = clips["shenasa"]
    turned = frames[_index_of(frames, -1)]
    assert head_angles(turned).yaw_deg < -30
    tracker = HeadTracker()
    for f in _hold(turned, 3.0, 0):
        tracker.update(f)
    assert not tracker.calibrated
    assert tracker.calibration_hint == LOOK_STRAIGHT_AHEAD


def test_replay_calibrates_on_the_neutral_not_on_the_held_turn(clips):
    """The coach (as `coach replay` runs it) waits through a held turn and takes the neutral
    when she faces forward, so later turns are measured from there."""
    frames = clips["shenasa"]
    turned = frames[_index_of(frames, -1)]
    rest = frames[0]
    rest_yaw = head_angles(rest).yaw_deg
    coach = Coach(load_exercise("neck-rotation"))
    t_ms = 0
    for f in _hold(turned, 3.0, t_ms) + _hold(rest, 3.0, 3000) + _hold(turned, 1.0, 6000):
        coach.process(f)
    info = coach.reader.calibration_info()
    assert info["calibrated"]
    assert abs(info["head"]["yaw_deg"] - rest_yaw) < 3.0
    # The held turn, measured from that neutral, reads as a left turn of about the raw angle.
    assert coach.reader.tracker.update(replace(turned, t_ms=7100)).yaw_deg < -30


@pytest.fixture(scope="module")
def sagor(model_dir, shared_data) -> list[PoseFrame]:
    """The seated man bending sideways with his hands clasped in his lap (every other frame)."""
    path = shared_data / "real" / "sagor_lateral_flexion_seated.mp4"
    if not path.is_file():
        pytest.fail(f"{path} is missing", pytrace=False)
    return _run(model_dir, path, step=2)


@pytest.mark.parametrize("clip, steady_deg", [("shenasa", 10.0), ("turning", 20.0), ("nodding", 10.0),
                                              ("sagor", 10.0)])
def test_a_still_trunk_reads_no_trunk_turn_on_real_footage(clips, sagor, clip, steady_deg):
    """People who sit still and turn, nod or bend the head: the trunk's yaw stays near 0 (issue
    16, Build 5). The clips move from the start, so the tracker calibrates on its first steady
    0.3 s (the man shaking his head never holds within 10 deg: 20). Measured: |torso yaw| at
    most 0.0 on all four (the same before the arm checks of coach.angles.torso: no clip here
    re-anchors; sagor's hands in the lap hold no turn either); before the gate on shoulders at the frame's edge and the
    one-sided distance scale the webcam clips with the shoulders cut at the bottom read 16-30."""
    tracker = HeadTracker(calibration_s=0.3, steady_deg=steady_deg)
    trunk = []
    for f in sagor if clip == "sagor" else clips[clip]:
        tracker.update(f)
        if tracker.calibrated:
            trunk.append(tracker.torso_yaw_deg)
    print(f"\n{clip}: {len(trunk)} calibrated frames, |torso yaw| max {np.max(np.abs(trunk)):.1f}")
    assert len(trunk) >= 30
    assert np.max(np.abs(trunk)) < 5.0
