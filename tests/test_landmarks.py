"""The landmark log round-trips, rejects bad lines with the line number, and mirrors correctly."""

from __future__ import annotations

import numpy as np
import pytest

from coach.errors import CoachError
from coach.landmarks import Landmark, PoseFrame, read_log, write_log


def _frame(t_ms: int, seed: int = 0, with_face: bool = True) -> PoseFrame:
    rng = np.random.default_rng(seed)
    lm = rng.uniform(0, 1, (33, 4))
    wl = rng.uniform(-0.5, 0.5, (33, 3))
    fm = np.eye(4) if with_face else None
    return PoseFrame(t_ms, 640, 480, lm, wl, fm)


def test_round_trip_keeps_values_and_nulls(tmp_path):
    frames = [_frame(0, 1), PoseFrame(33, 640, 480), _frame(66, 2, with_face=False)]
    path = tmp_path / "log.jsonl"
    with path.open("w") as fh:
        assert write_log(frames, fh) == 3
    back = list(read_log(path))
    assert [f.t_ms for f in back] == [0, 33, 66]
    np.testing.assert_allclose(back[0].landmarks, frames[0].landmarks, atol=1e-6)
    np.testing.assert_allclose(back[2].world_landmarks, frames[2].world_landmarks, atol=1e-6)
    assert back[1].landmarks is None and back[1].world_landmarks is None and back[1].people == 0
    assert back[2].face_matrix is None and back[0].face_matrix is not None
    assert back[0].detected and not back[1].detected


def test_nan_is_written_as_null_and_read_back_as_nan(tmp_path):
    f = _frame(0)
    lm = f.landmarks.copy()
    lm[Landmark.NOSE, 0] = np.nan
    path = tmp_path / "log.jsonl"
    with path.open("w") as fh:
        write_log([PoseFrame(0, 640, 480, lm, f.world_landmarks)], fh)
    line = path.read_text()
    assert "NaN" not in line and "null" in line
    back = next(read_log(path))
    assert np.isnan(back.landmarks[Landmark.NOSE, 0])


@pytest.mark.parametrize(
    "line, needle",
    [
        ("not json", "not a JSON object"),
        ('{"t_ms": 0, "width": 640}', "t_ms, width and height"),
        ('{"t_ms": 0, "width": 640, "height": 480, "landmarks": [[1, 2]]}', "landmarks must be 33x4"),
        ('{"t_ms": 0, "width": 640, "height": 480, "face_matrix": "x"}', "face_matrix"),
    ],
)
def test_bad_lines_name_the_line(tmp_path, line, needle):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"t_ms": -5, "width": 640, "height": 480}\n' + line + "\n")
    with pytest.raises(CoachError) as err:
        list(read_log(path))
    assert f"{path}:2:" in str(err.value) and needle in str(err.value)


def test_timestamps_must_increase(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"t_ms": 5, "width": 1, "height": 1}\n{"t_ms": 5, "width": 1, "height": 1}\n')
    with pytest.raises(CoachError, match="strictly increase"):
        list(read_log(path))


def test_missing_log_is_a_clear_error(tmp_path):
    with pytest.raises(CoachError, match="not found"):
        list(read_log(tmp_path / "nope.jsonl"))


def test_mirrored_swaps_sides_and_reflects_x():
    f = _frame(0, 3)
    m = f.mirrored()
    ls, rs = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    assert m.landmarks[ls, 0] == pytest.approx(1.0 - f.landmarks[rs, 0])
    assert m.world_landmarks[ls, 0] == pytest.approx(-f.world_landmarks[rs, 0])
    assert m.landmarks[Landmark.NOSE, 1] == pytest.approx(f.landmarks[Landmark.NOSE, 1])
    # Mirroring twice gives the original back.
    np.testing.assert_allclose(m.mirrored().landmarks, f.landmarks)
    np.testing.assert_allclose(m.mirrored().world_landmarks, f.world_landmarks)
