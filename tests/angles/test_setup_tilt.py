"""The setup check and a rolled camera (issue 15, a tilted camera), on synthetic landmarks."""

from __future__ import annotations

import pytest

from coach.angles.setup_check import check_setup
from coach.sim.synthetic import make_landmarks


@pytest.mark.parametrize("roll_deg", [-15.0, 15.0])
def test_a_rolled_camera_with_the_shoulders_in_view_is_a_note_not_a_problem(roll_deg):
    result = check_setup(make_landmarks(camera_roll_deg=roll_deg), 120.0)
    assert result.ok
    assert [n for n in result.notes if n.startswith("Level the camera")] == [
        "Level the camera (and your head): the picture is tilted by 15 deg"]


@pytest.mark.parametrize("roll_deg", [0.0, 5.0])
def test_a_level_camera_gets_no_note(roll_deg):
    result = check_setup(make_landmarks(camera_roll_deg=roll_deg), 120.0)
    assert result.ok and not any(n.startswith("Level") for n in result.notes)


def test_a_shoulder_out_of_view_and_a_rolled_camera_say_both_what_to_change():
    """The shoulders below the picture (the torso's roll cannot be seen) with the camera
    rolled: move back, and level the camera."""
    result = check_setup(make_landmarks(offset_y_m=0.45, camera_roll_deg=15.0), 120.0)
    assert not result.ok
    assert any("both shoulders are in the picture" in p for p in result.problems)
    assert any(p.startswith("Level the camera") for p in result.problems)
    level = check_setup(make_landmarks(offset_y_m=0.45), 120.0)
    assert not any(p.startswith("Level the camera") for p in level.problems)
