"""Exercise files: the built-ins hold the document's targets; bad files are rejected clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coach.cli import main
from coach.coaching.exercise import ENV_EXERCISES_DIR, list_exercises, load_exercise
from coach.errors import CoachError

BAD = Path(__file__).parents[1] / "fixtures" / "exercises_bad"


@pytest.fixture(autouse=True)
def _no_user_exercises(tmp_path, monkeypatch):
    # Keep the developer's own exercise folders out of the tests.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(ENV_EXERCISES_DIR, raising=False)


def test_builtins_in_routine_order():
    assert [e.id for e in list_exercises()] == ["neck-rotation", "lateral-flexion", "chin-tuck", "levator-scapulae"]


@pytest.mark.parametrize(
    "ex_id, axis, direction, threshold, maximum",
    [
        ("neck-rotation", "yaw", "toward-side", 60.0, None),
        ("lateral-flexion", "roll", "toward-side", 30.0, None),
        ("levator-scapulae", "yaw", "toward-side", 30.0, 60.0),  # 45 +/- 15
        ("levator-scapulae", "pitch", "positive", 20.0, None),
        ("chin-tuck", "retraction", "positive", 1.5, None),
    ],
)
def test_default_targets(ex_id, axis, direction, threshold, maximum):
    ex = load_exercise(ex_id)
    target = next(t for t in ex.targets if t.axis == axis)
    assert (target.direction, target.threshold, target.max) == (direction, threshold, maximum)
    assert (ex.hold_min_s, ex.hold_max_s, ex.reps_per_side) == (5.0, 10.0, 10)


@pytest.mark.parametrize(
    "ex_id, sides", [("neck-rotation", ("right", "left")), ("lateral-flexion", ("right", "left")),
                     ("chin-tuck", ("center",)), ("levator-scapulae", ("right", "left"))],
)
def test_sides_and_order(ex_id, sides):
    assert load_exercise(ex_id).sides == sides


def test_chin_tuck_keeps_pitch_within_10():
    ex = load_exercise("chin-tuck")
    limits = [(c.min, c.max) for c in ex.form if c.check == "angle" and c.axis == "pitch"]
    lo = max(v for v, _ in limits if v is not None)
    hi = min(v for _, v in limits if v is not None)
    assert (lo, hi) == (-10.0, 10.0)


def test_instructions_are_the_documents():
    # Spot-check the verbatim instruction texts of DESIGN.md.
    assert "Never a full head circle: side to side only." in load_exercise("neck-rotation").instruction
    assert "The head is NOT tilted back." in load_exercise("chin-tuck").instruction
    assert "lengthen the opposite (left) arm down" in load_exercise("lateral-flexion").instruction


def test_target_zone_follows_side():
    t = load_exercise("neck-rotation").targets[0]
    assert t.zone("right") == (60.0, 90.0)
    assert t.zone("left") == (-90.0, -60.0)


def test_unknown_id_lists_known():
    with pytest.raises(CoachError, match=r"unknown exercise 'neck-roll'.*neck-rotation.*chin-tuck"):
        load_exercise("neck-roll")


@pytest.mark.parametrize(
    "fixture, field, allowed",
    [
        ("missing-field", "order", "required"),
        ("bad-range", "hold_min_s", "allowed: >= 1"),
        ("unknown-key", "colour", "allowed: id, name, order"),
        ("bad-axis", "targets[0].axis", "allowed: 'yaw', 'roll', 'pitch' or 'retraction'"),
        ("syntax-error", "TOML syntax error", "line 16"),
        ("hold-order", "hold_min_s (12) must be <= hold_max_s (10)", ""),
        ("bad-placeholder", "messages.hold", "allowed: {max_s}"),
        ("bad-check", "form[0]", "'angle', 'shoulder-hike', 'arm-down', 'hand-behind-head', 'finger-on-chin', 'trunk-turn'"),
        ("bad-trunk", "form[2].max_deg", "got 60.0; allowed: >= 5 and <= 45"),
        ("bad-finger", "form[2].follow_max_growth_heads", "allowed: >= -0.5 and <= 0.5"),
    ],
)
def test_bad_files_rejected_naming_file_field_allowed(tmp_path, fixture, field, allowed):
    shutil.copy(BAD / f"{fixture}.toml", tmp_path)
    with pytest.raises(CoachError) as info:
        list_exercises(tmp_path)
    msg = str(info.value)
    assert "\n" not in msg
    assert f"{fixture}.toml" in msg
    assert field in msg
    assert allowed in msg


def test_bad_file_via_cli_is_one_line_error(tmp_path, capsys):
    shutil.copy(BAD / "bad-axis.toml", tmp_path)
    assert main(["exercises", "--exercises-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "bad-axis.toml" in err


def test_id_must_match_file_name(tmp_path):
    text = (BAD.parent.parent.parent / "exercises" / "neck-rotation.toml").read_text()
    (tmp_path / "my-rotation.toml").write_text(text)
    with pytest.raises(CoachError, match=r"my-rotation.toml: id: got 'neck-rotation'; it must match"):
        list_exercises(tmp_path)


def test_user_exercise_added_and_override(tmp_path, monkeypatch, capsys):
    src = (BAD.parent.parent.parent / "exercises" / "neck-rotation.toml").read_text()
    (tmp_path / "gentle-rotation.toml").write_text(
        src.replace('id = "neck-rotation"', 'id = "gentle-rotation"').replace("order = 1", "order = 5")
        .replace("threshold = 60.0", "threshold = 40.0")
    )
    monkeypatch.setenv(ENV_EXERCISES_DIR, str(tmp_path))
    ids = [e.id for e in list_exercises()]
    assert ids[-1] == "gentle-rotation" and len(ids) == 5
    assert load_exercise("gentle-rotation").targets[0].threshold == 40.0
    # A user file with a built-in's id replaces it.
    (tmp_path / "neck-rotation.toml").write_text(src.replace("threshold = 60.0", "threshold = 50.0"))
    assert load_exercise("neck-rotation").targets[0].threshold == 50.0
    assert main(["exercises"]) == 0
    out = capsys.readouterr().out
    assert "gentle-rotation" in out and "yaw toward-side >= 50 deg" in out


def test_user_config_dir_is_searched(tmp_path, monkeypatch):
    from platformdirs import user_config_dir

    d = Path(user_config_dir("neck-coach")) / "exercises"
    d.mkdir(parents=True)
    src = (BAD.parent.parent.parent / "exercises" / "chin-tuck.toml").read_text()
    (d / "chin-tuck.toml").write_text(src.replace("threshold = 1.5", "threshold = 1.2"))
    assert load_exercise("chin-tuck").targets[0].threshold == 1.2


def test_missing_exercises_dir_is_an_error(tmp_path):
    with pytest.raises(CoachError, match="exercises folder not found"):
        list_exercises(tmp_path / "nope")


@pytest.mark.parametrize(
    "ex_id, override, ok",
    [
        ("neck-rotation", {"yaw": 45.0}, True),
        ("neck-rotation", {"yaw": 95.0}, False),  # beyond the axis range
        ("levator-scapulae", {"yaw": 65.0}, False),  # beyond the file's max (60)
        ("neck-rotation", {"roll": 20.0}, False),  # not a target axis
        ("chin-tuck", {"retraction": 0.5}, False),  # inside the neutral zone
    ],
)
def test_personal_thresholds_validated(ex_id, override, ok):
    ex = load_exercise(ex_id)
    if ok:
        axis, value = next(iter(override.items()))
        assert next(t for t in ex.with_thresholds(override).targets if t.axis == axis).threshold == value
    else:
        with pytest.raises(CoachError, match=ex_id):
            ex.with_thresholds(override)


def test_loads_from_installed_package_resources():
    # The built-ins come from the package (coach._exercises), not from the working directory.
    from importlib import resources

    names = sorted(p.name for p in resources.files("coach._exercises").iterdir() if p.name.endswith(".toml"))
    assert names == ["chin-tuck.toml", "lateral-flexion.toml", "levator-scapulae.toml", "neck-rotation.toml"]
