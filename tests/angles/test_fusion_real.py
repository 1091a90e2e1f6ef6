"""Fusion that holds for a real person: sagor_lateral_flexion_seated.mp4 (issue 15).

A young man seated, hands in his lap, a phone camera below his eyes (1080x1920 portrait): the
pose model reads his level head about +30 chin-down where the face model reads -12, a 43 deg
disagreement (the old single-frame bound of 40 refused his face for 7 s, and the neutral with
it). Sessions are built IN THE TEST from the clip: a still moment played back and forth for
4 s, then the rest of the clip (his side bends). The model runs once per module on them.
"""

from __future__ import annotations

import numpy as np
import pytest

from coach.angles.headpose import LOOK_STRAIGHT_AHEAD, HeadTracker, measure
from coach.coaching.chain import Coach
from coach.coaching.exercise import load_exercise
from coach.landmarks import Landmark as L
from coach.rotations import rotation_angle_deg
from coach.vision.capture import VideoFileSource

pytestmark = pytest.mark.model

CLIP = "sagor_lateral_flexion_seated.mp4"
#: Still moments (s, by the clip's landmarks: his nose and ears move < 0.03 head widths over
#: the first, < 0.06 over the others) at neutral between the bends, and a held left bend.
STILL_NEUTRAL = (1.86, 2.30)
NEUTRAL_MOMENTS = [STILL_NEUTRAL, (6.45, 6.82), (11.21, 11.65)]
HELD_BEND = (7.50, 8.07)
STRETCH_S = 4.0
FRAME_MS = 1000.0 / 29.6


def _back_and_forth(indices: list[int], seconds: float) -> list[int]:
    loop = indices + indices[::-1][1:-1]
    n = int(seconds * 1000.0 / FRAME_MS)
    return [loop[i % len(loop)] for i in range(n)]


@pytest.fixture(scope="module")
def sessions(model_dir, shared_data):
    """name -> landmark frames of each built session (session time from 0)."""
    from coach.vision.pose import open_tracker

    path = shared_data / "real" / CLIP
    if not path.is_file():
        pytest.fail(f"{path} is missing", pytrace=False)
    moments = {f"still {a}-{b}": (a, b) for a, b in NEUTRAL_MOMENTS} | {"held bend": HELD_BEND}
    wanted: dict[int, np.ndarray] = {}
    with VideoFileSource(path) as src:
        for i, (t_ms, image) in enumerate(src):
            if any(a <= t_ms / 1000.0 <= b for a, b in moments.values()):
                wanted[i] = image
    out = {}
    for name, (a, b) in moments.items():
        idx = sorted(i for i in wanted if a <= i * FRAME_MS / 1000.0 <= b)
        with open_tracker(model_dir, use_face=True, download=False) as tracker:
            frames = [tracker.process(int(k * FRAME_MS), wanted[i])
                      for k, i in enumerate(_back_and_forth(idx, STRETCH_S))]
            if name == f"still {STILL_NEUTRAL[0]}-{STILL_NEUTRAL[1]}":
                # ... then the rest of the clip, streamed (his side bends, each way, three times).
                k0 = len(frames)
                with VideoFileSource(path) as src:
                    rest = ((t, im) for t, im in src if t / 1000.0 > b)
                    frames += [tracker.process(int((k0 + k) * FRAME_MS), im) for k, (_, im) in enumerate(rest)]
        out[name] = frames
    return out


def _calibration_time_s(frames) -> float | None:
    coach = Coach(load_exercise("lateral-flexion"))
    for f in frames:
        coach.process(f)
        if coach.reader.calibrated:
            return f.t_ms / 1000.0
    return None


@pytest.mark.parametrize("moment", NEUTRAL_MOMENTS)
def test_a_still_moment_stretched_to_4_s_calibrates_within_3_s(sessions, moment):
    frames = sessions[f"still {moment[0]}-{moment[1]}"][: int(STRETCH_S * 1000 / FRAME_MS)]
    t_s = _calibration_time_s(frames)
    print(f"\nstill {moment}: calibrated at {t_s} s")
    assert t_s is not None and t_s <= 3.0


def test_his_face_is_used_although_it_disagrees_with_the_pose_model_by_over_40(sessions):
    """Not vacuous: the single-frame check refuses his face at rest (the raw disagreement is
    over its bound); the tracker judges it against his own offset and uses it."""
    frames = sessions[f"still {STILL_NEUTRAL[0]}-{STILL_NEUTRAL[1]}"][:100]
    ms = [measure(f) for f in frames]
    disagreement = [rotation_angle_deg(m.face_seen_axes, m.pose_axes) for m in ms if m.face_seen_axes is not None]
    assert len(disagreement) >= 90 and np.median(disagreement) > 38
    tracker = HeadTracker()
    for f in frames:
        tracker.update(f)
    assert tracker._fusion.source == "face" and not tracker._fusion.face_rejected


def test_a_still_head_drifts_less_than_2_deg_over_any_2_s(sessions):
    frames = sessions[f"still {STILL_NEUTRAL[0]}-{STILL_NEUTRAL[1]}"][: int(STRETCH_S * 1000 / FRAME_MS)]
    for tracker in (HeadTracker(calibrate=False), HeadTracker()):
        rows = []
        for f in frames:
            a = tracker.update(f)
            if a.ok and (tracker.calibrated or not tracker.calibrate):
                rows.append((f.t_ms / 1000.0, a.yaw_deg, a.roll_deg, a.pitch_deg))
        r = np.array(rows)
        assert len(r) >= 40
        drift = max(np.abs(r[(r[:, 0] >= t) & (r[:, 0] <= t + 2.0), 1:] - r[i, 1:]).max()
                    for i, t in enumerate(r[:, 0]))
        print(f"\ncalibrate={tracker.calibrate}: largest change over 2 s {drift:.2f} deg")
        assert drift < 2.0


def test_side_bends_read_at_least_25_each_way_with_the_right_sign(sessions):
    """After the neutral, his bends read >= 25 deg of roll each way, and roll > 0 where his
    right ear is lower in the picture (a fact of the footage)."""
    frames = sessions[f"still {STILL_NEUTRAL[0]}-{STILL_NEUTRAL[1]}"]
    tracker = HeadTracker()
    rows = []
    for f in frames:
        a = tracker.update(f)
        if a.ok and tracker.calibrated:
            lm = f.landmarks[:, :2] * [f.width, f.height]
            width = float(np.linalg.norm(lm[L.LEFT_EAR] - lm[L.RIGHT_EAR])) or 1.0
            rows.append((a.roll_deg, (lm[L.RIGHT_EAR][1] - lm[L.LEFT_EAR][1]) / width))
    r = np.array(rows)
    print(f"\nside bends: roll {r[:, 0].min():.1f} / {r[:, 0].max():.1f}")
    assert r[:, 0].min() <= -25 and r[:, 0].max() >= 25
    tilted = np.abs(r[:, 0]) > 15
    assert tilted.sum() >= 30 and np.mean(np.sign(r[tilted, 0]) == np.sign(r[tilted, 1])) >= 0.95


def test_a_held_bend_is_refused_as_the_neutral_and_says_why(sessions):
    tracker = HeadTracker()
    for f in sessions["held bend"]:
        tracker.update(f)
    assert not tracker.calibrated
    assert tracker.calibration_hint == LOOK_STRAIGHT_AHEAD
