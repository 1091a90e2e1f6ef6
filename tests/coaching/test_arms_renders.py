"""The arm checks on rendered people and on a real clip (issue 16, Build 3).

Sessions are built here from the REAL models' landmarks on the arm renders
(../shared/data/renders/<c>_arms): each pose image's landmarks reached from the neutral image's
(the same character's `_profile` neutral, arms at the sides) over 1.5 s, held 7 s with small
jitter, and back (`coach.sim.render_session`). The rule under test (`coach.angles.body`): refuse a rep only
for an arm position the picture shows; count and cue when it cannot see.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from coach.angles.headpose import head_angles, measure
from coach.angles.torso import TorsoCues, TrunkYaw
from coach.coaching.chain import Coach
from coach.coaching.engine import EventKind
from coach.coaching.exercise import load_exercise
from coach.sim.render_session import Rep, model_frames, session_frames
from coach.vision.capture import VideoFileSource

pytestmark = pytest.mark.model

CHARACTERS = ("male1", "male2")
LEVATOR_RIGHT = "y+045_r+000_p+025_arms-bh-sd.png"
LEVATOR_LEFT = "y-045_r+000_p+025_arms-sd-bh.png"
LEVATOR_RIGHT_WRONG_HAND = "y+045_r+000_p+025_arms-sd-bh.png"
LEVATOR_RIGHT_NO_HAND = "y+045_r+000_p+025_arms-sd-sd.png"
LEVATOR_LEFT_NO_HAND = "y-045_r+000_p+025_arms-sd-sd.png"
BEND_RIGHT = "y+000_r+035_p+000_arms-sd-dl.png"
BEND_LEFT = "y+000_r-035_p+000_arms-dl-sd.png"
BEND_RIGHT_RELAXED = "y+000_r+035_p+000_arms-sd-sd.png"
BEND_LEFT_RELAXED = "y+000_r-035_p+000_arms-sd-sd.png"
NEUTRAL = "y+000_r+000_p+000.png"
#: A personal pitch target for the refused levator sessions: male1's wrong-hand image reads
#: pitch 19.8 for a true 25, just under the file's 20, and a refused rep must be one whose
#: angles DID reach the target (so the arm, not the angles, is what refused it).
REFUSED_TARGETS = {"pitch": 16.0}


@pytest.fixture(scope="module")
def images(model_dir, shared_data):
    renders = shared_data / "renders"
    out = {}
    for c in CHARACTERS:
        names = [LEVATOR_RIGHT, LEVATOR_LEFT, LEVATOR_RIGHT_WRONG_HAND, LEVATOR_RIGHT_NO_HAND, LEVATOR_LEFT_NO_HAND,
                 BEND_RIGHT, BEND_LEFT, BEND_RIGHT_RELAXED, BEND_LEFT_RELAXED]
        paths = [renders / f"{c}_arms" / n for n in names] + [renders / f"{c}_profile" / NEUTRAL]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            pytest.fail(f"missing renders: {missing}", pytrace=False)
        out[c] = dict(zip(names + [NEUTRAL], model_frames(paths, model_dir)))
    return out


def _coach(exercise_id, frames, sides=None, targets=None) -> Coach:
    ex = load_exercise(exercise_id)
    if sides:
        ex = ex.model_copy(update={"sides": tuple(sides)})
    coach = Coach(ex, targets=targets)
    for f in frames:
        coach.process(f)
    return coach


def _session(images, character, poses, seed=0):
    imgs = images[character]
    return session_frames(imgs[NEUTRAL], [Rep(imgs[p]) for p in poses], seed=seed)


def _of(coach, kind):
    return [e for e in coach.events if e.kind is kind]


@pytest.mark.parametrize("character", CHARACTERS)
def test_levator_with_the_correct_hand_counts_every_rep(images, character):
    coach = _coach("levator-scapulae", _session(images, character, [LEVATOR_RIGHT, LEVATOR_LEFT] * 2))
    assert coach.engine.reps == {"right": 2, "left": 2}
    assert not [e for e in _of(coach, EventKind.FAULT) if e.fault == "hand-not-behind-head"]
    # The hold says to pull gently.
    assert any("no force" in e.message for e in _of(coach, EventKind.HOLD_STARTED))


def _cues(frame) -> TorsoCues:
    m = measure(frame, True)
    return TorsoCues.from_frame(frame, m.shoulders, m.head_px, math.nan)


@pytest.mark.parametrize("character", CHARACTERS)
def test_levator_with_the_correct_hand_reads_no_trunk_turn(images, character):
    """levator-scapulae.toml has the trunk-turn check: the correct stretch (hand behind the head,
    head turned 45 and pulled down, torso still) raises no trunk-turn fault, and the trunk reads
    0 all session (measured: 0.0; the reader is not trusted there, see the next test)."""
    imgs = images[character]
    coach = Coach(load_exercise("levator-scapulae"))
    trunk = []
    for f in _session(images, character, [LEVATOR_RIGHT, LEVATOR_LEFT] * 2):
        coach.process(f)
        trunk.append(coach.reader.tracker.torso_yaw_deg)
    assert any(c.check == "trunk-turn" for c in coach.engine.exercise.form)
    assert coach.engine.reps == {"right": 2, "left": 2}
    assert [e for e in _of(coach, EventKind.FAULT) if e.fault == "trunk-turn"] == []
    print(f"\n{character}: |torso yaw| max {max(map(abs, trunk)):.1f} over the levator session")
    assert max(map(abs, trunk)) <= 5.0
    assert imgs  # the session used this character's renders


@pytest.mark.parametrize("character", CHARACTERS)
def test_with_the_hand_behind_the_head_the_trunk_reader_holds_its_last_turn(images, character):
    """With a hand behind the head the model's shoulder point follows the arm (a turn of 12.5 deg
    read a fifth of the way up): the reader does not trust the shoulders then and holds the last
    trusted turn, whatever they say. Here a trunk turn of about 20 deg (the neutral's span
    foreshortened by cos 20, the ears shifted as on the trunk renders) is read first, then each
    hand-behind-head render is fed: the reading stays. The hanging-arm levator renders (head 45
    and chin down) are not trusted either (the head is far from the camera), and read 0 from a
    trunk at 0."""
    imgs = images[character]
    ref = _cues(imgs[NEUTRAL])
    turned = replace(ref, span_px=ref.span_px * math.cos(math.radians(20.0)), ear_offset_heads=ref.ear_offset_heads - 0.06)
    for pose in (LEVATOR_RIGHT, LEVATOR_LEFT, LEVATOR_RIGHT_WRONG_HAND):
        cues = _cues(imgs[pose])
        assert not cues.arms_down, pose
        reader = TrunkYaw(ref)
        held = reader.update(turned, 0.0, 0.0)
        assert held == pytest.approx(22.0, abs=0.5)
        assert reader.update(cues, 0.0, 0.0) == held  # even read as if the head faced the camera
    for pose in (LEVATOR_RIGHT_NO_HAND, LEVATOR_LEFT_NO_HAND):
        a = head_angles(imgs[pose])
        assert TrunkYaw(ref).update(_cues(imgs[pose]), abs(a.yaw_deg), a.yaw_deg, a.pitch_deg) == 0.0, pose


@pytest.mark.parametrize("character", CHARACTERS)
@pytest.mark.parametrize("pose, side", [(LEVATOR_RIGHT_WRONG_HAND, "right"), (LEVATOR_RIGHT_NO_HAND, "right"),
                                        (LEVATOR_LEFT_NO_HAND, "left")])
def test_levator_without_the_hand_behind_the_head_counts_no_rep_and_says_why(images, character, pose, side):
    coach = _coach("levator-scapulae", _session(images, character, [pose] * 2), sides=[side],
                   targets=REFUSED_TARGETS)
    assert len(_of(coach, EventKind.HOLD_STARTED)) == 2  # the angles reached the target both times
    assert coach.engine.reps == {side: 0}
    faults = [e for e in _of(coach, EventKind.FAULT) if e.fault == "hand-not-behind-head"]
    assert faults and all(f"{side.upper()} hand behind your head" in e.message for e in faults)


@pytest.mark.parametrize("character", CHARACTERS)
def test_the_levator_control_counts_the_same_images_without_the_hand_check(images, character):
    """Guard: the refused sessions are refused by the hand check, not by anything else."""
    ex = load_exercise("levator-scapulae")
    ex = ex.model_copy(update={"form": (), "sides": ("right",)})
    coach = Coach(ex, targets=REFUSED_TARGETS)
    for f in _session(images, character, [LEVATOR_RIGHT_WRONG_HAND, LEVATOR_RIGHT_NO_HAND]):
        coach.process(f)
    assert coach.engine.reps == {"right": 2}


@pytest.mark.parametrize("character", CHARACTERS)
@pytest.mark.parametrize("poses", [(BEND_RIGHT, BEND_LEFT), (BEND_RIGHT_RELAXED, BEND_LEFT_RELAXED)],
                         ids=["arm-lengthened", "arms-relaxed"])
def test_side_bend_counts_every_rep_with_the_press_down_cue(images, character, poses):
    """The lengthened arm's hand is below the frame, like a relaxed one's: both count, and the
    coach cues the opposite arm down, palm down, once per hold."""
    coach = _coach("lateral-flexion", _session(images, character, list(poses) * 2))
    assert coach.engine.reps == {"right": 2, "left": 2}
    assert not [e for e in _of(coach, EventKind.FAULT) if e.fault == "arm-not-down"]
    cues = Counter((e.side, e.message) for e in _of(coach, EventKind.CUE))
    assert cues == {
        ("right", "Press the LEFT arm down along the body, palm facing down, for a greater stretch"): 2,
        ("left", "Press the RIGHT arm down along the body, palm facing down, for a greater stretch"): 2,
    }


# -- the real clip: bends with the hands clasped in the lap ------------------------------------------

SAGOR = "sagor_lateral_flexion_seated.mp4"
#: His bends peak at about 25-29 deg of raw roll (by eye 30-40), under the file's 30 once
#: calibrated: a personal target lets them reach the zone, so that the arms decide.
SAGOR_TARGETS = {"roll": 18.0}
#: The phone looks down on him from above: his straight head reads pitch 27-31 against the
#: camera, beyond the calibration's plausible neutral (20); the test accepts it as his neutral.
SAGOR_NEUTRAL_MAX_PITCH_DEG = 35.0


@pytest.fixture()
def sagor_neutral(monkeypatch):
    monkeypatch.setattr("coach.angles.headpose.NEUTRAL_MAX_PITCH_DEG", SAGOR_NEUTRAL_MAX_PITCH_DEG)


@pytest.fixture(scope="module")
def sagor_frames(model_dir, shared_data):
    from coach.vision.pose import open_tracker

    path = shared_data / "real" / SAGOR
    if not path.is_file():
        pytest.fail(f"{path} is missing", pytrace=False)
    with VideoFileSource(path) as src, open_tracker(model_dir, use_face=True, download=False) as tracker:
        return [tracker.process(t, img) for t, img in src]


def _stretched_bends(frames, hold_s=7.0, step_ms=33):
    """The clip as a session: its rest (the frame with the head straightest) held 3 s to calibrate, then
    each bend played up to its peak, the peak's frames back and forth for ``hold_s``, the way
    back, and 2 s of rest."""
    angles = [head_angles(f) for f in frames]
    roll = np.array([a.roll_deg if a.ok else np.nan for a in angles])
    yaw = np.array([a.yaw_deg if a.ok else np.nan for a in angles])
    rest_roll = float(np.nanmedian(roll))
    rest = frames[int(np.nanargmin(np.hypot(roll, yaw)))]  # the straightest head of the clip
    bent = np.abs(roll - rest_roll) > 10.0
    out = []

    def add(fs):
        for f in fs:
            out.append(replace(f, t_ms=len(out) * step_ms))

    add([rest] * int(3000 / step_ms))
    i = 0
    while i < len(frames):
        if not bent[i]:
            i += 1
            continue
        j = i
        while j < len(frames) and bent[j]:
            j += 1
        start, end = max(0, i - 10), min(len(frames), j + 10)
        peak = i + int(np.nanargmax(np.abs(roll[i:j] - rest_roll)))
        around = frames[max(start, peak - 5):min(end, peak + 6)]
        loop = around + around[::-1]
        add(frames[start:peak])
        add([loop[k % len(loop)] for k in range(int(hold_s * 1000 / step_ms))])
        add(frames[peak:end])
        add([rest] * int(2000 / step_ms))
        i = j
    return out


@pytest.fixture(scope="module")
def sagor_session(sagor_frames):
    return _stretched_bends(sagor_frames)


def _sagor_exercise(*dropped: str):
    """The side bend without the faults in ``dropped``. His bends come with a real turn of the
    head (his left ear shows: yaw 34-39 read by the face, ~20 by the pose fit, at roll 32-40),
    which the rotation check rightly refuses; these tests are about the arms, so both drop it."""
    ex = load_exercise("lateral-flexion")
    drop = {"rotation-during-flexion", *dropped}
    return ex.model_copy(update={"form": tuple(c for c in ex.form if c.fault not in drop)})


def _sagor_coach(session, *dropped: str) -> Coach:
    coach = Coach(_sagor_exercise(*dropped), targets=SAGOR_TARGETS)
    for f in session:
        coach.process(f)
    return coach


def test_sagor_bends_with_the_hands_in_the_lap_count_no_rep_and_name_the_arm(sagor_session, sagor_neutral):
    coach = _sagor_coach(sagor_session)
    assert len(_of(coach, EventKind.HOLD_STARTED)) >= 2
    assert sum(coach.engine.reps.values()) == 0
    arm = [e for e in _of(coach, EventKind.FAULT) if e.fault == "arm-not-down"]
    assert arm, Counter(e.fault for e in _of(coach, EventKind.FAULT))
    # Bending right, the arm to lengthen is the LEFT one.
    assert all(e.message.startswith("Lengthen the LEFT arm") for e in arm if e.side == "right")
    assert any(e.side == "right" for e in arm)


def test_sagor_control_counts_the_same_bends_without_the_arm_check(sagor_session, sagor_neutral):
    """Guard: with the arm check removed the same stretched bends count, so the arms (seen in
    the lap) are what refused them."""
    coach = _sagor_coach(sagor_session, "arm-not-down")
    assert sum(coach.engine.reps.values()) >= 1, Counter(e.fault for e in coach.events if e.kind is EventKind.FAULT)
