"""Chin retraction (coach.angles.retraction) against the rendered retraction series, through the real
models, and the face-distance arithmetic on made-up matrices.

The renders (../shared/data/renders/<c>_retraction): the head moved straight back 0-4 cm with
the face level, two wrong tucks (tilted back / nodded, 0.5 cm), and a 2 cm protraction. Each
pose is read by a `HeadTracker` calibrated on the character's neutral render. Nothing is
fitted, so the leave-one-character-out numbers are these numbers.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from coach.angles.headpose import HeadTracker
from coach.angles.retraction import FaceDistanceNeutral, camera_scale, face_distance_cm
from coach.sim.groundtruth import load_truth, run_renders

CHARACTERS = ("male1", "male2")


def _matrix(z_cm: float) -> np.ndarray:
    m = np.eye(4)
    m[2, 3] = z_cm
    return m


def test_face_distance_is_the_ear_midpoint_scaled_to_the_assumed_camera():
    scale = camera_scale(640, 480, 60.0)
    assert scale == pytest.approx(1.415, abs=0.002)
    assert face_distance_cm(_matrix(-50.0), 640, 480, 60.0) == pytest.approx((50.0 + 3.5) * scale)
    # Further from the camera = larger distance = head further back.
    assert face_distance_cm(_matrix(-54.0), 640, 480, 60.0) > face_distance_cm(_matrix(-50.0), 640, 480, 60.0)


@pytest.mark.parametrize("bad", [None, np.full((4, 4), np.nan), np.eye(3), _matrix(+10.0)])
def test_face_distance_of_a_bad_matrix_is_nan(bad):
    assert math.isnan(face_distance_cm(bad, 640, 480, 60.0))


def test_neutral_is_the_median_of_the_window_only():
    n = FaceDistanceNeutral()
    for t_s, d in [(0.0, 90.0), (1.0, 70.0), (1.5, 71.0), (2.0, 72.0), (2.5, math.nan)]:
        n.add(t_s, d)
    n.calibrate(1.0)
    assert n.neutral_cm == 71.0
    assert n.retraction_cm(74.0) == pytest.approx(3.0)


@pytest.fixture(scope="module")
def samples(model_dir, shared_data, tmp_path_factory):
    """The models' run on every retraction render (not mirrored)."""
    root = tmp_path_factory.mktemp("retraction")
    for c in CHARACTERS:
        src = shared_data / "renders" / f"{c}_retraction"
        if not (src / "truth.json").exists():
            pytest.fail(f"missing {src}", pytrace=False)
        (root / src.name).symlink_to(src)
    return run_renders(root, model_dir, mirror=False)


@pytest.fixture(scope="module")
def readings(samples, shared_data):
    """{(character, file): (truth_cm, reading_cm, pitch_deg)}: each render read once."""
    truth = {(f"{c}_retraction", r["file"]): r["retraction_cm"] for c in CHARACTERS
             for r in load_truth(shared_data / "renders" / f"{c}_retraction")}
    out = {}
    for s in samples:
        neutral = next(n for n in samples if n.character == s.character and n.file.endswith("_t+000.png"))
        tracker = HeadTracker(smooth=False, calibration_s=1.0)
        t_ms = 0
        for _ in range(34):
            tracker.update(replace(neutral.frame, t_ms=t_ms))
            t_ms += 33
        for _ in range(10):
            a = tracker.update(replace(s.frame, t_ms=t_ms))
            t_ms += 33
        assert tracker.calibrated and a.ok, (s.character, s.file)
        out[(s.character, s.file)] = (truth[(s.character, s.file)], a.retraction_cm, a.pitch_deg)
    print()
    for key, (t, r, p) in sorted(out.items()):
        print(f"{key[0]} {key[1]}: truth {t:+.1f} reading {r:+.2f} pitch {p:+.1f}")
    return out


@pytest.mark.model
@pytest.mark.parametrize("character", CHARACTERS)
def test_face_level_tucks_track_the_truth(readings, character):
    rows = sorted((t, r) for (c, f), (t, r, p) in readings.items()
                  if c == f"{character}_retraction" and "_p+000_" in f and t >= 0)
    truth, reading = np.array(rows).T
    assert list(truth) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert np.mean(np.abs(reading - truth)) <= 0.5, reading
    assert np.all(np.diff(reading) > 0), reading


@pytest.mark.model
@pytest.mark.parametrize("character", CHARACTERS)
def test_protraction_reads_forward(readings, character):
    truth, reading, _ = readings[(f"{character}_retraction", "y+000_r+000_p+000_t-020.png")]
    assert reading == pytest.approx(truth, abs=0.5)


@pytest.mark.model
@pytest.mark.parametrize("character", CHARACTERS)
@pytest.mark.parametrize("file, fault_sign", [("y+000_r+000_p-020_t+005.png", -1), ("y+000_r+000_p+020_t+005.png", +1)])
def test_wrong_tucks_read_their_pitch_beyond_the_form_limits(readings, character, file, fault_sign):
    """The tilt and the nod are caught by pitch (chin-tuck.toml: +-10 deg), whatever the
    retraction reads (the ears move with a nod: measured 0.8-2.3 cm for a true 0.5)."""
    _, _, pitch = readings[(f"{character}_retraction", file)]
    assert pitch * fault_sign > 10.0


@pytest.mark.model
@pytest.mark.parametrize("character", CHARACTERS)
def test_retraction_survives_a_finger_on_the_chin(model_dir, character, tmp_path):
    """tests/data/renders/<c>_finger: the index finger on the chin, before and after a 2 and a
    3.5 cm tuck; calibrated on the finger-on-chin neutral, the tucks read within 0.7 cm."""
    src = Path(__file__).parents[1] / "data" / "renders" / f"{character}_finger"
    (tmp_path / src.name).symlink_to(src)
    samples = run_renders(tmp_path, model_dir, mirror=False)
    truth = {r["file"]: r["retraction_cm"] for r in load_truth(src)}
    neutral = next(s for s in samples if s.file.endswith("t+000_arms-cf-sd.png"))
    for s in samples:
        tracker = HeadTracker(smooth=False, calibration_s=1.0)
        t_ms = 0
        for _ in range(34):
            tracker.update(replace(neutral.frame, t_ms=t_ms))
            t_ms += 33
        for _ in range(10):
            a = tracker.update(replace(s.frame, t_ms=t_ms))
            t_ms += 33
        assert a.ok and s.frame.face_matrix is not None, s.file
        assert a.retraction_cm == pytest.approx(truth[s.file], abs=0.7), s.file


def _bench():
    """bench/renders.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("coach_bench_renders", Path(__file__).parents[2] / "bench" / "renders.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.model
def test_the_bench_retraction_table_is_what_coach_angles_reads(samples, readings, shared_data, capsys):
    """bench/renders.py's retraction section on the same model runs: every row's truth and
    calibrated reading equal the tracker's above (to 0.01 cm), the raw face distance is
    `face_distance_cm` of the frame, and the printed MAE per character is the mean error of
    the face-level tucks computed here."""
    bench = _bench()
    rows = bench.retraction_rows(samples, shared_data / "renders")
    assert len(rows) == len(readings) == 16
    for r in rows:
        truth, reading, pitch = readings[(r.character, r.file)]
        assert (r.truth_cm, r.calibrated_cm, r.pitch_deg) == pytest.approx((truth, reading, pitch), abs=0.01), r
        frame = next(s.frame for s in samples if (s.character, s.file) == (r.character, r.file))
        assert r.distance_cm == pytest.approx(face_distance_cm(frame.face_matrix, frame.width, frame.height, 60.0))
    bench.print_retraction(rows)
    out = capsys.readouterr().out
    for c in CHARACTERS:
        errs = [abs(r - t) for (ch, f), (t, r, _) in readings.items()
                if ch == f"{c}_retraction" and "_p+000_" in f and t >= 0]
        assert len(errs) == 5
        assert f"{c}_retraction {np.mean(errs):.2f} cm" in out
    assert out.count("\n") == len(rows) + 3
