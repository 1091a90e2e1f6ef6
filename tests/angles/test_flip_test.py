"""The flip test (``--flip-test``): the models' output on an image averaged with their output on
its mirror image, so a turn to the left and the same turn to the right read alike.

Unit tests, no model: the averaging itself (`coach.landmarks.flip_average`), the mirror-symmetric
correction fit, and what a model that reads one side short looks like with and without it. The
real models' flip test is in tests/test_renders.py and tests/test_real_footage.py.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from coach.angles.correction import NO_CORRECTION, AngleCorrection, Corrections
from coach.angles.headpose import head_angles
from coach.landmarks import PoseFrame, flip_average, read_log, write_log
from coach.sim.synthetic import Response, make_landmarks


def _rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q @ np.diag(np.sign(np.diag(r)))
    return q if np.linalg.det(q) > 0 else -q


def _face(rotation: np.ndarray, t_cm=(1.0, -2.0, -50.0)) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3], m[:3, 3] = rotation, t_cm
    return m


def _run(seed: int, *, face: np.ndarray | None) -> PoseFrame:
    """A "model run": a person near the middle with some scatter, and a face matrix."""
    rng = np.random.default_rng(seed)
    lm = np.column_stack([rng.uniform(0.4, 0.6, (33, 2)), rng.uniform(-0.3, 0.3, 33), rng.uniform(0.5, 1, 33)])
    return PoseFrame(100, 640, 480, lm, rng.uniform(-0.5, 0.5, (33, 3)), face)


def _mirror_run(a: PoseFrame, face: np.ndarray | None, seed: int = 2) -> PoseFrame:
    """The "model run" on the mirror image of ``a``'s picture: the same person (a's landmarks,
    scattered a little) with ``face`` (both given in ``a``'s picture), in the mirror image's
    coordinates."""
    rng = np.random.default_rng(seed)
    return replace(a, landmarks=a.landmarks + rng.normal(0, 0.01, (33, 4)),
                   world_landmarks=a.world_landmarks + rng.normal(0, 0.01, (33, 3)),
                   face_matrix=face).mirrored()


def test_the_flip_average_of_a_mirror_image_is_the_mirror_of_the_flip_average():
    a = _run(1, face=_face(_rotation(1)))
    nudge = np.array([[1, 0, 0], [0, np.cos(0.08), -np.sin(0.08)], [0, np.sin(0.08), np.cos(0.08)]])
    b = _mirror_run(a, _face(_rotation(1) @ nudge))  # its face a few deg off
    direct, of_mirror = flip_average(a, b), flip_average(b, a)
    back = direct.mirrored()
    np.testing.assert_allclose(back.landmarks, of_mirror.landmarks, atol=1e-12)
    np.testing.assert_allclose(back.world_landmarks, of_mirror.world_landmarks, atol=1e-12)
    np.testing.assert_allclose(back.face_matrix, of_mirror.face_matrix, atol=1e-12)
    assert direct.flip_tested and of_mirror.flip_tested
    # And it really averages: each landmark is halfway between the run and the mirror run's twin.
    np.testing.assert_allclose(direct.landmarks, (a.landmarks + b.mirrored().landmarks) / 2)


def test_the_averaged_face_is_a_rotation_halfway_between():
    base = _rotation(5)
    turn = np.array([[np.cos(0.2), 0, np.sin(0.2)], [0, 1, 0], [-np.sin(0.2), 0, np.cos(0.2)]])
    a = _run(1, face=_face(base))
    out = flip_average(a, _mirror_run(a, _face(base @ turn))).face_matrix[:3, :3]
    np.testing.assert_allclose(out @ out.T, np.eye(3), atol=1e-9)
    half = np.array([[np.cos(0.1), 0, np.sin(0.1)], [0, 1, 0], [-np.sin(0.1), 0, np.cos(0.1)]])
    np.testing.assert_allclose(out, base @ half, atol=1e-9)


def test_what_only_one_run_found_is_used_as_it_is():
    a = _run(1, face=None)
    nobody = PoseFrame(100, 640, 480)
    assert np.array_equal(flip_average(a, nobody).landmarks, a.landmarks)
    b = _mirror_run(a, _face(_rotation(3)))
    got = flip_average(nobody, b)
    np.testing.assert_allclose(got.landmarks, b.mirrored().landmarks)
    np.testing.assert_allclose(got.face_matrix, b.mirrored().face_matrix)
    # A face from one run only: the mirror run's, unmirrored.
    np.testing.assert_allclose(flip_average(a, b).face_matrix, b.mirrored().face_matrix)


def test_faces_that_disagree_are_not_averaged():
    """Near profile one run's face can be a failure (-110 for a head at -80): no average."""
    base = _rotation(7)
    far = base @ np.array([[np.cos(0.5), 0, np.sin(0.5)], [0, 1, 0], [-np.sin(0.5), 0, np.cos(0.5)]])  # 29 deg
    a = _run(1, face=_face(base))
    assert flip_average(a, _mirror_run(a, _face(far))).face_matrix is None
    assert flip_average(a, _mirror_run(a, _face(base))).face_matrix is not None


def test_runs_that_found_different_people_are_not_averaged():
    """Several people in view: each run may have chosen someone else; the image's own choice
    stands, face and all."""
    a = _run(1, face=_face(_rotation(1)))
    elsewhere = replace(_run(2, face=_face(_rotation(2))), landmarks=_run(2, face=None).landmarks + [0.3, 0, 0, 0])
    got = flip_average(a, elsewhere.mirrored())
    assert np.array_equal(got.landmarks, a.landmarks) and np.array_equal(got.face_matrix, a.face_matrix)
    assert got.flip_tested


def test_the_flag_survives_the_landmark_log(tmp_path):
    frame = flip_average(_run(1, face=_face(_rotation(1))), _run(2, face=None))
    path = tmp_path / "log.jsonl"
    with path.open("w") as fh:
        write_log([frame, replace(frame, t_ms=200, flip_tested=False)], fh)
    assert [f.flip_tested for f in read_log(path)] == [True, False]
    assert '"flip_test":true' in path.read_text().splitlines()[0]


# A face model that reads turns to the person's right 10% short (the real one reads 60 to the
# right ~6 deg shorter than 60 to the left, bench/renders.py).
_RIGHT_SHORT = Response(face=lambda y, r, p: (0.9 * y if y > 0 else y, r, p))


def _model_run(yaw_deg: float) -> PoseFrame:
    """What the lopsided model returns for a head turned ``yaw_deg``, as a real-model frame."""
    return replace(make_landmarks(yaw_deg=yaw_deg, with_face=True, response=_RIGHT_SHORT), synthetic=False)


def test_the_flip_test_evens_out_a_model_that_reads_one_side_short():
    plain = [head_angles(_model_run(y), corrections=NO_CORRECTION).yaw_deg for y in (50, -50)]
    assert plain[0] + plain[1] < -3  # the right turn reads ~5 deg short
    # The image of a head turned +50 and its mirror image, which shows a head turned -50.
    right = flip_average(_model_run(50), _model_run(-50))
    left = flip_average(_model_run(-50), _model_run(50))
    flip = [head_angles(f, corrections=NO_CORRECTION).yaw_deg for f in (right, left)]
    assert abs(flip[0] + flip[1]) < 0.1
    assert 46 < flip[0] < 49  # halfway between the two readings


def test_flip_tested_frames_get_their_own_correction():
    shift = np.array(AngleCorrection.identity().coef)
    shift[0, 0] = 6.0 / 60.0  # +6 deg of yaw
    corrections = Corrections(AngleCorrection.identity(), AngleCorrection.identity(),
                              flip_tested=Corrections(AngleCorrection(tuple(map(tuple, shift))),
                                                      AngleCorrection(tuple(map(tuple, shift)))))
    frame = _model_run(20)
    plain = head_angles(frame, corrections=corrections).yaw_deg
    flipped = head_angles(replace(frame, flip_tested=True), corrections=corrections).yaw_deg
    assert flipped - plain == pytest.approx(6.0, abs=0.01)


def test_the_symmetric_fit_is_mirror_symmetric():
    rng = np.random.default_rng(4)
    truth = rng.uniform([-80, -40, -40], [80, 40, 40], (200, 3))
    reported = truth * [0.85, 0.9, 0.8] + [2.0, 1.0, 6.0] + rng.normal(0, 1.0, truth.shape)
    mirror = np.array([-1.0, -1.0, 1.0])
    x = rng.uniform([-70, -30, -30], [70, 30, 30], (50, 3))
    symmetric = AngleCorrection.fit(reported, truth, symmetric=True)
    np.testing.assert_allclose(symmetric.apply(x * mirror), symmetric.apply(x) * mirror, atol=1e-9)
    plain = AngleCorrection.fit(reported, truth)
    assert np.abs(plain.apply(x * mirror) - plain.apply(x) * mirror).max() > 1.0  # the data is lopsided
    # It still undoes the response where the data is.
    assert np.abs(symmetric.apply(reported) - truth).mean() < 3.0
