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
        return cls(tuple(map(tuple, _IDENTITY_COEF.tolist())))

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
        return cls(tuple(tuple(round(float(v), 5) for v in row) for row in coef))

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
# (pose_landmarker_full and face_landmarker of ../shared/models, 2 rendered characters x 35
# poses x mirrored; faces more than 25 deg off the truth left out as failures, not response).
_FACE_COEF = (
    (-0.00685, -0.00018, -0.10464),
    (1.00482, 0.01186, 0.01187),
    (0.18389, 0.97625, 0.00957),
    (-0.00077, 0.00147, 1.09160),
    (0.03673, 0.00822, 0.07873),
    (0.02928, -0.02835, 0.00051),
    (-0.01126, -0.03639, -0.06305),
    (0.13645, -0.15054, -0.00472),
    (-0.25483, -0.01619, -0.04912),
    (0.00574, 0.00506, -0.06480),
    (0.01156, 0.00197, 0.13149),
    (-0.26951, 0.26796, 0.00511),
    (0.03162, -0.00903, -0.04367),
)
_POSE_COEF = (
    (-0.02372, -0.02040, -0.11199),
    (1.27090, 0.07849, 0.11494),
    (0.18607, 1.33331, 0.13530),
    (-0.03630, -0.00031, 1.85933),
    (0.07231, -0.01759, 0.08293),
    (-0.07106, 0.17488, -0.12104),
    (0.12434, -0.15012, -0.54025),
    (-0.03852, -0.76996, -0.10386),
    (-0.72415, -0.02660, -0.16256),
    (0.03815, 0.07663, 0.08619),
    (0.31589, 0.23433, 0.49379),
    (0.13832, 1.16221, -0.19171),
    (-0.16482, -0.13451, -0.27934),
)

# The same for flip-tested readings (`coach.landmarks.flip_average`), fitted mirror-symmetric
# (``AngleCorrection.fit(symmetric=True)``): the zeros are the terms of the wrong parity.
_FLIP_FACE_COEF = (
    (0.00000, 0.00000, -0.10585),
    (0.99536, 0.01069, 0.00000),
    (0.18120, 0.97304, 0.00000),
    (0.00000, 0.00000, 1.09087),
    (0.00000, 0.00000, 0.08214),
    (0.04228, -0.02434, 0.00000),
    (0.00000, 0.00000, -0.06149),
    (0.12538, -0.14865, 0.00000),
    (-0.25485, -0.01399, 0.00000),
    (0.00000, 0.00000, -0.05990),
    (0.00000, 0.00000, 0.14317),
    (-0.26124, 0.26268, 0.00000),
    (0.00000, 0.00000, -0.05257),
)
_FLIP_POSE_COEF = (
    (0.00000, 0.00000, -0.11317),
    (1.25108, 0.05988, 0.00000),
    (0.18218, 1.33216, 0.00000),
    (0.00000, 0.00000, 1.88767),
    (0.00000, 0.00000, 0.07835),
    (-0.05280, 0.19393, 0.00000),
    (0.00000, 0.00000, -0.61388),
    (0.02002, -0.76998, 0.00000),
    (-0.69502, 0.04051, 0.00000),
    (0.00000, 0.00000, 0.10440),
    (0.00000, 0.00000, 0.50266),
    (0.10028, 1.15330, 0.00000),
    (0.00000, 0.00000, -0.23353),
)

#: The measured responses of the real models (and of their flip test).
MEASURED = Corrections(face=AngleCorrection(_FACE_COEF), pose=AngleCorrection(_POSE_COEF),
                       flip_tested=Corrections(face=AngleCorrection(_FLIP_FACE_COEF),
                                               pose=AngleCorrection(_FLIP_POSE_COEF)))
