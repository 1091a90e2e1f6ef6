"""`coach measure` on the rendered humans (exact head angles), played in the order the test asks.

Each session is built here from the real models' landmarks of the render images
(tests/measure_sessions.py): the neutral image held for the calibration, then each direction's
image reached from the neutral by interpolation, held 2 s and left, three times. The same with
every image mirrored gives the symmetry check (left and right swap).

Known misses are marked xfail(strict): they are the head-angle stage's, not the test's (the
plateau value equals the tracker's own reading of the held image, see
`test_the_measured_value_is_the_trackers_reading_of_the_held_pose`; past the face model's range
a slow turn reads what a static frame of the held pose reads): some turns of 80-90 deg read
75-86 near profile (issue 15; `NEAR_PROFILE_MISS`), male1's chin-down reads 34 for 40 (the face
model reads flexion short), male2's 4 cm tuck reads 4.55 (0.05 past the bound), and the end
range (`ENDRANGE_WHY`).

Each direction's way out goes through the render sweeps (yaw 10, 20, 30, 45, 60, 70, 80; roll
15, 30, 45; pitch 10, 25, 40), as a real head passes through those poses: landmarks
interpolated straight from 0 to 80 deg look like no head on the way and read 58-62 at 80.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from measure_sessions import build_session, run_measure

from coach.angles.headpose import HeadTracker
from coach.coaching.chain import Reader
from coach.sim.groundtruth import run_renders

pytestmark = pytest.mark.model
REPO = Path(__file__).resolve().parents[2]

CHARACTERS = ("male1", "male2")
NEUTRAL = "y+000_r+000_p+000.png"
YAW_STEPS = (10, 20, 30, 45, 60, 70, 80)


def _yaw(sign: str, deg: int) -> str:
    return f"y{sign}{deg:03d}_r+000_p+000.png"


def full_paths(rot: int) -> dict[str, list[str]]:
    """Each direction's way out through the render sweeps of the _full set (the last held)."""
    return {
        "rotation-right": [_yaw("+", r) for r in YAW_STEPS if r <= rot],
        "rotation-left": [_yaw("-", r) for r in YAW_STEPS if r <= rot],
        "lateral-right": [f"y+000_r+{r:03d}_p+000.png" for r in (15, 30, 45)],
        "lateral-left": [f"y+000_r-{r:03d}_p+000.png" for r in (15, 30, 45)],
        "flexion": [f"y+000_r+000_p+{p:03d}.png" for p in (10, 25, 40)],
        "extension": [f"y+000_r+000_p-{p:03d}.png" for p in (10, 25, 40)],
    }


TRUTH = {"lateral-right": 45.0, "lateral-left": 45.0, "flexion": 40.0, "extension": 40.0}
SWAP = {"rotation-right": "rotation-left", "rotation-left": "rotation-right",
        "lateral-right": "lateral-left", "lateral-left": "lateral-right"}
PROFILE_FILES = {NEUTRAL, *(_yaw(s, y) for s in "+-" for y in (85, 90))}
RETRACTION_FILES = {"y+000_r+000_p+000_t+000.png", "y+000_r+000_p+000_t+040.png"}


@pytest.fixture(scope="module")
def frames(model_dir, shared_data):
    def only(folder: str, file: str) -> bool:
        kind = folder.split("_", 1)[1]
        return kind == "full" or (kind == "profile" and file in PROFILE_FILES) or (
            kind == "retraction" and file in RETRACTION_FILES)

    samples = run_renders(shared_data / "renders", model_dir, only=only)
    return {(s.character, s.file, s.mirrored): s.frame for s in samples}


def _poses(frames, paths: dict[str, list[tuple[str, str]]], mirrored: bool):
    """(direction, path of frames) in test order; a mirrored image of a right turn is a left turn."""
    return [(SWAP.get(d, d) if mirrored else d, [frames[(folder, file, mirrored)] for folder, file in path])
            for d, path in paths.items()]


def _run(frames, neutral_key, paths, mirrored):
    poses = _poses(frames, paths, mirrored)
    neutral = frames[(*neutral_key, mirrored)]
    return poses, run_measure(build_session(neutral, poses), [d for d, _ in poses])


@pytest.fixture(scope="module")
def reports(frames):
    """{(character, session, mirrored): (poses, MeasureReport)} for every session."""
    out = {}
    for c in CHARACTERS:
        full = f"{c}_full"
        for mirrored in (False, True):
            for rot in (45, 80):
                paths = {d: [(full, f) for f in files] for d, files in full_paths(rot).items()}
                out[(c, f"full{rot}", mirrored)] = _run(frames, (full, NEUTRAL), paths, mirrored)
            for yaw in (85, 90):
                # Out through the _full sweep to 80, then the profile set's image (same scene and
                # character). The _full neutral calibrates: the way out is _full images, whose arms
                # pass inside the chest (renders README) and narrow the shoulders by 3% against the
                # profile set's posed arms, which against the profile neutral reads as a 15-deg
                # trunk turn (the trunk reader's job), not as anything a real person does.
                paths = {d: [(full, f) for f in full_paths(80)[d]] + [(f"{c}_profile", _yaw(s, yaw))]
                         for d, s in (("rotation-right", "+"), ("rotation-left", "-"))}
                out[(c, f"profile{yaw}", mirrored)] = _run(frames, (full, NEUTRAL), paths, mirrored)
            paths = {"retraction": [(f"{c}_retraction", "y+000_r+000_p+000_t+040.png")]}
            out[(c, "retraction", mirrored)] = _run(frames, (f"{c}_retraction", "y+000_r+000_p+000_t+000.png"),
                                                    paths, mirrored)
    return out


def _xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


#: The rotations at 80-90 that read within the bound (4 deg at 80, 8 at 85/90) both ways, as
#: the image and its mirror image. The others miss by what a static frame of the held pose
#: reads (the head-angle stage near profile, issue 15), since a slow turn reads what a static
#: frame reads (the carried face-to-pose offset fades to the person's past the face's loss).
MET_NEAR_PROFILE = {("male1", "rotation-right", 85), ("male2", "rotation-right", 85),
                    ("male2", "rotation-left", 85), ("male2", "rotation-right", 90),
                    ("male2", "rotation-left", 90)}
#: What the others read (image / mirror image), measured.
NEAR_PROFILE_MISS = {
    ("male1", "rotation-right", 80): "male1's right 80 reads 75.7 (mirror 80.9)",
    ("male1", "rotation-left", 80): "male1's left 80 reads 74.9 (mirror 78.8)",
    ("male2", "rotation-right", 80): "male2's right 80 reads 75.8 (mirror 85.8)",
    ("male2", "rotation-left", 80): "male2's left 80 reads 75.2 (mirror 74.4)",
    ("male1", "rotation-left", 85): "male1's left 85 reads 75.5 (mirror 78.8)",
    ("male1", "rotation-right", 90): "male1's right 90 reads 80.2 (mirror 88.3)",
    ("male1", "rotation-left", 90): "male1's left 90 reads 82.7 (mirror 78.3)",
}


def _near_profile_marks(c: str, d: str, deg: int) -> list:
    if (c, d, deg) in MET_NEAR_PROFILE:
        return []
    return [_xfail(f"{NEAR_PROFILE_MISS[(c, d, deg)]}: a static frame of the pose reads the same "
                   "(the head-angle stage near profile, issue 15)")]


CASES = []
for c in CHARACTERS:
    for d in ("lateral-right", "lateral-left", "extension"):
        CASES.append(pytest.param(c, "full45", d, TRUTH[d], 4.0, id=f"{c}-{d}"))
    CASES.append(pytest.param(c, "full45", "flexion", 40.0, 4.0, id=f"{c}-flexion", marks=(
        [_xfail("the face model reads male1's chin-down 34 for 40 (head-angle stage)")] if c == "male1" else [])))
    for d in ("rotation-right", "rotation-left"):
        CASES.append(pytest.param(c, "full45", d, 45.0, 4.0, id=f"{c}-{d}-45"))
        CASES.append(pytest.param(c, "full80", d, 80.0, 4.0, id=f"{c}-{d}-80", marks=_near_profile_marks(c, d, 80)))
        for yaw in (85, 90):
            CASES.append(pytest.param(c, f"profile{yaw}", d, float(yaw), 8.0, id=f"{c}-{d}-{yaw}",
                                      marks=_near_profile_marks(c, d, yaw)))
    CASES.append(pytest.param(c, "retraction", "retraction", 4.0, 0.5, id=f"{c}-retraction-4cm",
                              marks=[_xfail("male2's 4 cm tuck reads 4.55 (0.05 past the bound)")] if c == "male2" else []))


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


HELD_CASES = [pytest.param(session, c, mirrored, id=f"{session}-{c}{'-mirrored' if mirrored else ''}", marks=(
    [_xfail("male2's mirrored left 80 reads 74.4 where a static frame reads 76.5: on the way from 70 to 80 "
            "the face matrix blended toward the 80's failed face (yaw +85, pitch +21) reads -59.5 where the "
            "pose fit reads -74.5, is still accepted, and its offset is carried 4 deg on")]
    if (session, c, mirrored) == ("full80", "male2", True) else []))
    for session in ("full45", "full80") for c in CHARACTERS for mirrored in (False, True)]


@pytest.mark.parametrize("session, character, mirrored", HELD_CASES)
def test_the_measured_value_is_the_trackers_reading_of_the_held_pose(frames, reports, session, character, mirrored):
    """The plateau median adds no error of its own: it is what a calibrated tracker reads when
    the neutral and then the pose are held. Also at 80 deg, where the face is lost on the way
    out: the slow turn through the sweep reads what the pose reached straight from the neutral
    reads (the face-to-pose offset carried from the loss fades to the person's as the head turns
    on; carried unfaded, male1's right 80 read 70.5 where the static frame reads 75.8)."""
    poses, report = reports[(character, session, mirrored)]
    for direction, path in poses:
        pose = path[-1]
        tracker = HeadTracker()
        reader = Reader(tracker=tracker)
        neutral = frames[(f"{character}_full", NEUTRAL, mirrored)]
        for i in range(90):
            reader.read(neutral.__class__(i * 33, neutral.width, neutral.height, neutral.landmarks,
                                          neutral.world_landmarks, neutral.face_matrix))
        for i in range(90, 180):
            r = reader.read(pose.__class__(i * 33, pose.width, pose.height, pose.landmarks,
                                           pose.world_landmarks, pose.face_matrix))
        spec = report.direction(direction).spec
        held = spec.sign * {"yaw": r.angles.yaw_deg, "roll": r.angles.roll_deg,
                            "pitch": r.angles.pitch_deg}[spec.axis]
        assert report.value(direction) == pytest.approx(held, abs=1.0), (character, mirrored, direction)


SYM_45 = [pytest.param(c, d, id=f"{c}-{d}", marks=(
    [_xfail("male2's 45-deg turns read 46.9/44.2 (right/left) and mirrored 44.0/46.7 (left/right): the estimator's own "
            "asymmetry (issue 15 item 7)")] if c == "male2" and d.startswith("rotation") else []))
    for c in CHARACTERS for d in full_paths(45)]


@pytest.mark.parametrize("character, direction", SYM_45)
def test_mirror_image_swaps_left_and_right_within_2(reports, character, direction):
    _, report = reports[(character, "full45", False)]
    _, mirror = reports[(character, "full45", True)]
    assert abs(report.value(direction) - mirror.value(SWAP.get(direction, direction))) <= 2.0


@pytest.mark.parametrize("character", [
    pytest.param("male1", marks=[_xfail("male1's left 80 reads 74.9 and its mirror (a right turn) 80.9; "
                                        "right 75.7 / 78.8 (static frames read the same, issue 15)")]),
    pytest.param("male2", marks=[_xfail("male2's left 80 reads 75.2 and its mirror (a right turn) 85.8; "
                                        "right 75.8 / 74.4 (static frames read 75.4 / 85.8 and 75.7 / 76.5, issue 15)")])])
def test_mirror_image_swaps_end_range_rotation_within_4(reports, character):
    _, report = reports[(character, "full80", False)]
    _, mirror = reports[(character, "full80", True)]
    for d in ("rotation-right", "rotation-left"):
        assert abs(report.value(d) - mirror.value(SWAP[d])) <= 4.0, d


# -- end range: flexion to 60, extension to 70 (tests/data/renders/<c>_endrange) ----------------

ENDRANGE = REPO / "tests" / "data" / "renders"
ENDRANGE_WHY = ("the head-angle stage past the face model's range (the face is lost from 50 on; pose fit "
                "only, issue 15): chin-down 60 reads 22/28 for male1 (image/mirror: its pose landmarks fold "
                "into the hair at 60, the ear span 0.23 of the shoulders against 0.32 at 50) and 42/48 for "
                "male2 (its pose fit flattens past 40: 50 reads 35/41); look-up 70 reads 69/81 (male1) and "
                "55/54 (male2)")


@pytest.fixture(scope="module")
def endrange_reports(frames, model_dir):
    if not any(ENDRANGE.glob("*_endrange/truth.json")):
        pytest.fail(f"no end-range renders under {ENDRANGE}", pytrace=False)
    extra = {(s.character, s.file, s.mirrored): s.frame for s in run_renders(ENDRANGE, model_dir)}
    everything = {**frames, **extra}
    out = {}
    for c in CHARACTERS:
        full, end = f"{c}_full", f"{c}_endrange"
        paths = {"flexion": [(full, f) for f in full_paths(45)["flexion"]]
                 + [(end, f"y+000_r+000_p+{p:03d}.png") for p in (50, 60)],
                 "extension": [(full, f) for f in full_paths(45)["extension"]]
                 + [(end, f"y+000_r+000_p-{p:03d}.png") for p in (50, 60, 70)]}
        for mirrored in (False, True):
            # The _full neutral calibrates, as for the profile sessions above (the way out is _full images).
            out[(c, mirrored)] = _run(everything, (full, NEUTRAL), paths, mirrored)[1]
    return out


@pytest.mark.parametrize("character", CHARACTERS)
@pytest.mark.parametrize("direction, truth", [("flexion", 60.0), ("extension", 70.0)])
@pytest.mark.xfail(strict=True, reason=ENDRANGE_WHY)
def test_end_range_flexion_and_extension_within_4(endrange_reports, character, direction, truth):
    for mirrored in (False, True):
        d = endrange_reports[(character, mirrored)].direction(direction)
        assert d.status == "measured" and abs(d.value - truth) <= 4.0, (mirrored, d.value)


def test_end_range_directions_are_measured_not_marked_unreliable(endrange_reports):
    for key, report in endrange_reports.items():
        assert [d.status for d in report.directions] == ["measured", "measured"], key
