"""`coach measure` on the rendered humans (exact head angles), played in the order the test asks.

Each session is built here from the real models' landmarks of the render images
(tests/measure_sessions.py): the neutral image held for the calibration, then each direction's
image reached from the neutral by interpolation, held 2 s and left, three times. The same with
every image mirrored gives the symmetry check (left and right swap).

Known misses are marked xfail(strict): they are the head-angle stage's, not the test's (the
plateau value equals the tracker's own reading of the held image, see
`test_the_measured_value_is_the_trackers_reading_of_the_held_pose`): near-profile turns read
58-76 through the face-to-pose hand-over (issue 15), male1's chin-down reads 34 for 40 (the
face model reads flexion short) and retraction does not follow a real tuck yet (issue 16).
"""

from __future__ import annotations

import pytest
from measure_sessions import build_session, run_measure

from coach.coaching import Reader
from coach.groundtruth import run_renders
from coach.headpose import HeadTracker

pytestmark = pytest.mark.model

CHARACTERS = ("male1", "male2")
FULL = {"rotation-right": "y+{r:03d}_r+000_p+000.png", "rotation-left": "y-{r:03d}_r+000_p+000.png",
        "lateral-right": "y+000_r+045_p+000.png", "lateral-left": "y+000_r-045_p+000.png",
        "flexion": "y+000_r+000_p+040.png", "extension": "y+000_r+000_p-040.png"}
TRUTH = {"rotation-right": None, "rotation-left": None, "lateral-right": 45.0, "lateral-left": 45.0,
         "flexion": 40.0, "extension": 40.0}
NEUTRAL = "y+000_r+000_p+000.png"
SWAP = {"rotation-right": "rotation-left", "rotation-left": "rotation-right",
        "lateral-right": "lateral-left", "lateral-left": "lateral-right"}
WANTED = {f"y{s}{r:03d}_r+000_p+000.png" for s in "+-" for r in (45, 80, 85, 90)} | {
    NEUTRAL, *(FULL[k] for k in ("lateral-right", "lateral-left", "flexion", "extension")),
    "y+000_r+000_p+000_t+000.png", "y+000_r+000_p+000_t+040.png"}


@pytest.fixture(scope="module")
def frames(model_dir, shared_data):
    samples = run_renders(shared_data / "renders", model_dir,
                          only=lambda folder, file: folder.split("_", 1)[1] in ("full", "profile", "retraction")
                          and file in WANTED)
    return {(s.character, s.file, s.mirrored): s.frame for s in samples}


def _poses(frames, folder: str, names: dict[str, str], mirrored: bool):
    """(direction, frame) in test order; a mirrored image of a right turn is a left turn."""
    out = []
    for direction, file in names.items():
        out.append((SWAP.get(direction, direction) if mirrored else direction, frames[(folder, file, mirrored)]))
    return out


@pytest.fixture(scope="module")
def reports(frames):
    """{(character, set, mirrored): (poses, MeasureReport)} for every session."""
    out = {}
    for c in CHARACTERS:
        for mirrored in (False, True):
            for rot in (45, 80):
                names = {k: v.format(r=rot) for k, v in FULL.items()}
                poses = _poses(frames, f"{c}_full", names, mirrored)
                neutral = frames[(f"{c}_full", NEUTRAL, mirrored)]
                out[(c, f"full{rot}", mirrored)] = (poses, run_measure(build_session(neutral, poses),
                                                                       [d for d, _ in poses]))
            for yaw in (85, 90):
                names = {"rotation-right": f"y+{yaw:03d}_r+000_p+000.png",
                         "rotation-left": f"y-{yaw:03d}_r+000_p+000.png"}
                poses = _poses(frames, f"{c}_profile", names, mirrored)
                neutral = frames[(f"{c}_profile", NEUTRAL, mirrored)]
                out[(c, f"profile{yaw}", mirrored)] = (poses, run_measure(build_session(neutral, poses),
                                                                          [d for d, _ in poses]))
            poses = [("retraction", frames[(f"{c}_retraction", "y+000_r+000_p+000_t+040.png", mirrored)])]
            neutral = frames[(f"{c}_retraction", "y+000_r+000_p+000_t+000.png", mirrored)]
            out[(c, "retraction", mirrored)] = (poses, run_measure(build_session(neutral, poses), ["retraction"]))
    return out


def _xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


PROFILE = "near-profile turns read 58-76 through the face-to-pose hand-over (issue 15)"
CASES = []
for c in CHARACTERS:
    for d in ("lateral-right", "lateral-left", "extension"):
        CASES.append(pytest.param(c, "full45", d, TRUTH[d], 4.0, id=f"{c}-{d}"))
    CASES.append(pytest.param(c, "full45", "flexion", 40.0, 4.0, id=f"{c}-flexion", marks=(
        [_xfail("the face model reads male1's chin-down 34 for 40 (head-angle stage)")] if c == "male1" else [])))
    for d in ("rotation-right", "rotation-left"):
        CASES.append(pytest.param(c, "full45", d, 45.0, 4.0, id=f"{c}-{d}-45"))
        CASES.append(pytest.param(c, "full80", d, 80.0, 4.0, id=f"{c}-{d}-80", marks=[_xfail(PROFILE)]))
        for yaw in (85, 90):
            CASES.append(pytest.param(c, f"profile{yaw}", d, float(yaw), 8.0, id=f"{c}-{d}-{yaw}",
                                      marks=[_xfail(PROFILE)]))
    CASES.append(pytest.param(c, "retraction", "retraction", 4.0, 0.5, id=f"{c}-retraction-4cm",
                              marks=[_xfail("retraction_cm does not follow a real tuck yet (issue 16, h16-tuck)")]))


@pytest.mark.parametrize("character, session, direction, truth, bound", CASES)
def test_every_direction_is_measured_within_the_bound(reports, character, session, direction, truth, bound):
    for mirrored in (False, True):
        _, report = reports[(character, session, mirrored)]
        d = report.direction(direction)
        assert d.status == "measured" and len(d.values) == 3, (mirrored, d)
        assert abs(d.value - truth) <= bound, (mirrored, d.value, truth)


def test_the_sessions_complete_and_face_tracked_directions_are_never_unreliable(reports):
    for (c, session, mirrored), (_, report) in reports.items():
        if session == "retraction":
            continue
        assert report.ended_by == "completed" and report.complete, (c, session, mirrored)
        assert all(d.status == "measured" for d in report.directions), (c, session, mirrored, report.directions)


def test_the_measured_value_is_the_trackers_reading_of_the_held_pose(frames, reports):
    """The plateau median adds no error of its own: it is what a calibrated tracker reads when
    the neutral and then the pose are held (face-tracked poses; near profile the reading depends
    on the path taken, see the module docstring)."""
    for c in CHARACTERS:
        for mirrored in (False, True):
            poses, report = reports[(c, "full45", mirrored)]
            for direction, pose in poses:
                tracker = HeadTracker()
                reader = Reader(tracker=tracker)
                neutral = frames[(f"{c}_full", NEUTRAL, mirrored)]
                for i in range(90):
                    reader.read(neutral.__class__(i * 33, neutral.width, neutral.height, neutral.landmarks,
                                                  neutral.world_landmarks, neutral.face_matrix))
                for i in range(90, 180):
                    r = reader.read(pose.__class__(i * 33, pose.width, pose.height, pose.landmarks,
                                                   pose.world_landmarks, pose.face_matrix))
                spec = report.direction(direction).spec
                held = spec.sign * {"yaw": r.angles.yaw_deg, "roll": r.angles.roll_deg,
                                    "pitch": r.angles.pitch_deg}[spec.axis]
                assert report.value(direction) == pytest.approx(held, abs=1.0), (c, mirrored, direction)


SYM_45 = [pytest.param(c, d, id=f"{c}-{d}", marks=(
    [_xfail("male2's 45-deg turns read 47.3/44.0 and mirrored 43.8/47.1: the estimator's own "
            "asymmetry (issue 15 item 7)")] if c == "male2" and d.startswith("rotation") else []))
    for c in CHARACTERS for d in FULL]


@pytest.mark.parametrize("character, direction", SYM_45)
def test_mirror_image_swaps_left_and_right_within_2(reports, character, direction):
    _, report = reports[(character, "full45", False)]
    _, mirror = reports[(character, "full45", True)]
    assert abs(report.value(direction) - mirror.value(SWAP.get(direction, direction))) <= 2.0


@pytest.mark.parametrize("character", [
    "male1", pytest.param("male2", marks=[_xfail("male2's left 80 reads 86 and its mirror 67 (issue 15)")])])
def test_mirror_image_swaps_end_range_rotation_within_4(reports, character):
    _, report = reports[(character, "full80", False)]
    _, mirror = reports[(character, "full80", True)]
    for d in ("rotation-right", "rotation-left"):
        assert abs(report.value(d) - mirror.value(SWAP[d])) <= 4.0, d
