"""The models' measured response, undone: reported head angles -> true head angles.

Pure numpy: no mediapipe, no cv2, no clock.

Neither model reports the head's orientation one to one. Measured on rendered humans with exact
head angles (../shared/data/renders, both characters and their mirror images; `bench/renders.py`
prints the tables):

- the face matrix reads a level head ~6.5 deg chin-down, under-reads chin-down pitch (+40
  reads +30 relative to that) and reads a 60 deg turn to the person's right ~6 deg shorter
  than one to the left (the model is not mirror-symmetric);
- the head model fitted to the pose landmarks under-reads everything the landmarks do not
  follow: pitch +40 reads +21 and -40 reads -20, roll 45 reads 33, yaw 80 reads 63-69, and
  near profile it reads 7-10 deg of roll that is not there.

An `AngleCorrection` is a smooth map fitted to those measurements: a quadratic polynomial in
the reported angles (with |yaw| terms, because the two directions of turning differ), fitted
by ridge regression pulled toward "no correction". Inputs are clipped to the measured range for
the polynomial and anything beyond passes through one to one, so it never extrapolates wildly.
It is applied to the angles relative to the *view frame* (the camera, rolled with the shoulder
line; `coach.angles.torso.torso_axes` with no yaw): that is what the models see, and it keeps a rolled camera
from changing the result.

Fitted by ``python bench/renders.py --fit`` (it prints the tables below); the bench also prints
the leave-one-character-out error, which is the honest measure of how well the fit carries over
to a new person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The polynomial sees angles clipped to the measured range (yaw, roll, pitch degrees).
INPUT_LIMITS_DEG = (80.0, 45.0, 40.0)
#: Angles are scaled by this before the polynomial, so coefficients are O(1).
_SCALE_DEG = 60.0
FEATURE_NAMES = ("1", "y", "r", "p", "|y|", "y|y|", "yr", "yp", "rp", "rr", "pp", "|y|r", "|y|p")
_IDENTITY_COEF = np.zeros((len(FEATURE_NAMES), 3))
_IDENTITY_COEF[1, 0] = _IDENTITY_COEF[2, 1] = _IDENTITY_COEF[3, 2] = 1.0
#: Which features change sign in a mirror image (yaw and roll negated, pitch kept).
_MIRROR_ODD = np.array([False, True, True, False, False, True, False, True, True, False, False, True, False])


def features(angles_deg: np.ndarray) -> np.ndarray:
    """The polynomial's features of ``(n, 3)`` yaw/roll/pitch (degrees, already clipped)."""
    y, r, p = (np.asarray(angles_deg, dtype=float) / _SCALE_DEG).T
    ay = np.abs(y)
    return np.column_stack([np.ones_like(y), y, r, p, ay, y * ay, y * r, y * p, r * p, r * r, p * p,
                            ay * r, ay * p])


def _rows(coef: np.ndarray) -> tuple[tuple[float, float, float], ...]:
    """A coefficient table as the frozen rows `AngleCorrection` holds (plain floats)."""
    return tuple((float(a), float(b), float(c)) for a, b, c in coef)


@dataclass(frozen=True)
class AngleCorrection:
    """A fitted map from one model's reported head angles to the true ones.

    Attributes:
        coef: ``len(FEATURE_NAMES)`` rows of (yaw, roll, pitch) coefficients, in units of 60 deg.
    """

    coef: tuple[tuple[float, float, float], ...]

    def __post_init__(self) -> None:
        shape = np.shape(self.coef)
        if shape != (len(FEATURE_NAMES), 3):
            raise ValueError(f"coef must be {len(FEATURE_NAMES)} rows of 3, got shape {shape}")

    @classmethod
    def identity(cls) -> AngleCorrection:
        """The correction that changes nothing (for ideal, synthetic landmarks)."""
        return cls(_rows(_IDENTITY_COEF))

    @classmethod
    def fit(cls, reported_deg: np.ndarray, truth_deg: np.ndarray, ridge: float = 0.1,
            symmetric: bool = False) -> AngleCorrection:
        """Fit the map to pairs of reported and true ``(n, 3)`` yaw/roll/pitch (degrees).

        Ridge regression toward the identity: with few measurements the map stays close to
        "no correction" instead of bending to fit noise.

        Args:
            symmetric: Fit a mirror-symmetric map (yaw and roll odd, pitch even in the mirror
                (yaw, roll) -> (-yaw, -roll)), for flip-tested readings, which are
                mirror-symmetric themselves: each output uses only the features of its parity.
        """
        reported = np.asarray(reported_deg, dtype=float)
        truth = np.asarray(truth_deg, dtype=float)
        clipped = np.clip(reported, -np.array(INPUT_LIMITS_DEG), INPUT_LIMITS_DEG)
        x = features(clipped)
        target = (truth - (reported - clipped)) / _SCALE_DEG
        residual = target - x @ _IDENTITY_COEF
        coef = _IDENTITY_COEF.copy()
        for axis in range(3):
            use = np.ones(len(FEATURE_NAMES), dtype=bool)
            if symmetric:
                use = _MIRROR_ODD == (axis < 2)  # yaw and roll flip sign in a mirror, pitch does not
            xu = x[:, use]
            # The constant (feature 0: e.g. the face model's chin-down offset) is not shrunk.
            reg = np.diag(ridge * (np.flatnonzero(use) != 0))
            coef[use, axis] += np.linalg.solve(xu.T @ xu + reg, xu.T @ residual[:, axis])
        return cls(_rows(np.round(coef, 5)))

    def apply(self, angles_deg: np.ndarray) -> np.ndarray:
        """Correct ``(n, 3)`` or ``(3,)`` reported yaw/roll/pitch (degrees)."""
        a = np.asarray(angles_deg, dtype=float)
        flat = a.reshape(-1, 3)
        clipped = np.clip(flat, -np.array(INPUT_LIMITS_DEG), INPUT_LIMITS_DEG)
        out = features(clipped) @ np.asarray(self.coef) * _SCALE_DEG + (flat - clipped)
        return out.reshape(a.shape)

    def __call__(self, yaw_deg: float, roll_deg: float, pitch_deg: float) -> tuple[float, float, float]:
        """Correct one reported ``(yaw, roll, pitch)``."""
        y, r, p = self.apply(np.array([yaw_deg, roll_deg, pitch_deg]))
        return float(y), float(r), float(p)


@dataclass(frozen=True)
class Corrections:
    """The correction of each head orientation source.

    Attributes:
        face: For the face matrix.
        pose: For the head model fitted to the pose landmarks.
        flip_tested: For flip-tested frames (see `for_frame`); None: the same as the others.
    """

    face: AngleCorrection
    pose: AngleCorrection
    flip_tested: Corrections | None = None

    def for_frame(self, flip_tested: bool) -> Corrections:
        """The corrections for a frame: ``flip_tested`` frames have their own, when given.

        A flip-tested frame (`coach.landmarks.flip_average`) is the average of the models'
        output on the image and on its mirror: the models' response differs (the face model's
        left/right difference averages out), so it is measured and fitted separately.
        """
        return self.flip_tested if flip_tested and self.flip_tested is not None else self


#: No correction: for synthetic landmarks that follow the head exactly.
NO_CORRECTION = Corrections(AngleCorrection.identity(), AngleCorrection.identity())

# The measured responses of the real models: ``python bench/renders.py --fit`` prints these
# (pose_landmarker_full and face_landmarker of ../shared/models; 2 rendered characters x (35
# _full + 9 _profile poses, and for the pose fit 6 _endrange poses) x mirrored; faces more than
# 25 deg off the truth left out as failures, not response). Before the profile (yaw to 90) and
# end-range (pitch +60/-70) sets were in the fit, the map there was extrapolated from +-80/+-40:
# the profile renders read 7.7 deg off on average (yaw; roll 5.4) instead of 5.0 (2.6).
_FACE_COEF = (
    (-0.00591, 0.00026, -0.10644),
    (1.00489, 0.03477, 0.02984),
    (0.18364, 0.97842, 0.01143),
    (0.00175, 0.00188, 1.09024),
    (0.03021, 0.00581, 0.08230),
    (0.02668, -0.06378, -0.02508),
    (-0.01097, -0.03755, -0.06332),
    (0.12255, -0.17619, -0.01204),
    (-0.25556, -0.01225, -0.04439),
    (0.01010, 0.00545, -0.06385),
    (0.01311, 0.00065, 0.13060),
    (-0.26838, 0.26679, 0.00323),
    (0.01366, -0.01251, -0.03967),
)
_POSE_COEF = (
    (-0.02271, -0.01846, -0.10619),
    (1.19513, 0.11694, 0.08821),
    (0.17388, 1.33913, 0.12501),
    (-0.01270, -0.02398, 1.79647),
    (0.09511, 0.00345, 0.08629),
    (0.03476, 0.07786, -0.09546),
    (0.20606, -0.04084, -0.48003),
    (-0.06022, -0.75599, -0.04680),
    (-0.73340, 0.04331, -0.12156),
    (0.02925, 0.04432, 0.04154),
    (0.30214, 0.28068, 0.67222),
    (0.15462, 0.99665, -0.22905),
    (-0.25080, -0.13192, -0.23703),
)

# The same for flip-tested readings (`coach.landmarks.flip_average`), fitted mirror-symmetric
# (``AngleCorrection.fit(symmetric=True)``): the zeros are the terms of the wrong parity.
_FLIP_FACE_COEF = (
    (0.00000, 0.00000, -0.10793),
    (0.98911, 0.03850, 0.00000),
    (0.18021, 0.97552, 0.00000),
    (0.00000, 0.00000, 1.08875),
    (0.00000, 0.00000, 0.08902),
    (0.04916, -0.06766, 0.00000),
    (0.00000, 0.00000, -0.06096),
    (0.11700, -0.17842, 0.00000),
    (-0.25698, -0.00780, 0.00000),
    (0.00000, 0.00000, -0.06037),
    (0.00000, 0.00000, 0.13909),
    (-0.25936, 0.26072, 0.00000),
    (0.00000, 0.00000, -0.04422),
)
_FLIP_POSE_COEF = (
    (0.00000, 0.00000, -0.10736),
    (1.17375, 0.11109, 0.00000),
    (0.16781, 1.34027, 0.00000),
    (0.00000, 0.00000, 1.82387),
    (0.00000, 0.00000, 0.08355),
    (0.05511, 0.08920, 0.00000),
    (0.00000, 0.00000, -0.54073),
    (-0.01674, -0.79327, 0.00000),
    (-0.70108, 0.08397, 0.00000),
    (0.00000, 0.00000, 0.06039),
    (0.00000, 0.00000, 0.65750),
    (0.14724, 1.04746, 0.00000),
    (0.00000, 0.00000, -0.21420),
)

#: The measured responses of the real models (and of their flip test).
MEASURED = Corrections(face=AngleCorrection(_FACE_COEF), pose=AngleCorrection(_POSE_COEF),
                       flip_tested=Corrections(face=AngleCorrection(_FLIP_FACE_COEF),
                                               pose=AngleCorrection(_FLIP_POSE_COEF)))
