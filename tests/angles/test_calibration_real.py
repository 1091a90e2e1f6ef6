"""Calibration on real people who hold still while they talk, and on people who move (issue 15).

noddingpigeon_head_stationary.mp4 is a man talking with his head roughly still: his jaw moves
the face matrix (steps of ~5 deg in pitch lasting ~1 s; the pose-only fit does not show them),
so judged frame by frame against the steady limit of 4 the calibration restarted twice and took
3.8 s. It must take at most 3 s from any start; the head-shaking and nodding clips of the same
man must never calibrate. Each clip's first seconds go through the real models once per module.
"""

from __future__ import annotations

import numpy as np
import pytest

from coach.angles import headpose
from coach.coaching.chain import Coach
from coach.coaching.exercise import load_exercise
from coach.landmarks import PoseFrame
from coach.vision.capture import VideoFileSource

pytestmark = pytest.mark.model

SECONDS = 6.0
#: Calibration starts at each of these times (s) into a clip.
STARTS_S = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


@pytest.fixture(scope="module")
def clips(model_dir, shared_data) -> dict[str, list[PoseFrame]]:
    from coach.vision.pose import open_tracker

    out = {}
    for name in ("stationary", "turning", "nodding"):
        path = shared_data / "real" / f"noddingpigeon_head_{name}.mp4"
        if not path.is_file():
            pytest.fail(f"{path} is missing", pytrace=False)
        with VideoFileSource(path) as src, open_tracker(model_dir, use_face=True, download=False) as tracker:
            out[name] = [tracker.process(t, img) for t, img in src if t <= SECONDS * 1000]
    return out


def _calibration_s(frames: list[PoseFrame], start_s: float) -> float | None:
    """Seconds from ``start_s`` until the coach (as `coach run` reads) has its neutral."""
    coach = Coach(load_exercise("neck-rotation"))
    t0 = next(f.t_ms for f in frames if f.t_ms >= start_s * 1000)
    for f in frames:
        if f.t_ms < t0:
            continue
        coach.process(f)
        if coach.reader.calibrated:
            return (f.t_ms - t0) / 1000.0
    return None


def test_a_talking_person_calibrates_within_3_s_from_any_start(clips):
    times = [_calibration_s(clips["stationary"], s) for s in STARTS_S]
    print("\ntalking: calibrated after", dict(zip(STARTS_S, times)))
    assert all(t is not None and t <= 3.0 for t in times), times


def test_judged_frame_by_frame_the_talking_person_takes_longer(clips, monkeypatch):
    """Not vacuous: with the steady test on each frame (the old rule) his jaw restarts the
    window, and the first start takes over 3 s."""
    monkeypatch.setattr(headpose, "STEADY_SMOOTH_S", 1e-6)
    monkeypatch.setattr(headpose, "STEADY_FRAME_FACTOR", 1.0)
    t = _calibration_s(clips["stationary"], 0.0)
    print("\ntalking, frame by frame: calibrated after", t)
    assert t is None or t > 3.0


@pytest.mark.parametrize("clip", ["turning", "nodding"])
def test_a_moving_head_never_calibrates(clips, clip):
    times = [_calibration_s(clips[clip], s) for s in STARTS_S]
    assert times == [None] * len(STARTS_S), times
    # Not vacuous: the clip was tracked and read near neutral at times (not refused outright).
    ok = [headpose.head_angles(f) for f in clips[clip]]
    assert sum(a.ok for a in ok) >= 0.9 * len(ok)
    assert min(abs(a.yaw_deg) + abs(a.pitch_deg) for a in ok if a.ok) < 10.0
    assert np.isfinite([a.yaw_deg for a in ok if a.ok]).all()
