"""The models' measured response, undone: reported head angles -> true head angles.

Pure numpy: no mediapipe, no cv2, no clock.

Neither model reports the head's orientation one to one. Measured on rendered humans with exact
head angles (../shared/data/renders, both characters and their mirror images; `bench/renders.py`
prints the tables):

- the face matrix reads a level head ~6.5 deg chin-down, under-reads chin-down pitch (+40
  reads +30 relative to that) and turns to the person's right at 60 deg by ~6 deg more than
  turns to the left (the model is not mirror-symmetric);
- the head model fitted to the pose landmarks under-reads everything the landmarks do not
  follow: pitch +-40 reads about +-20, roll 45 reads 31-35, yaw 80 reads 58-70, and near profile
  it reads 7-10 deg of roll that is not there.

An `AngleCorrection` is a smooth map fitted to those measurements: a quadratic polynomial in
the reported angles (with |yaw| terms, because the two directions of turning differ), fitted
by ridge regression pulled toward "no correction". Inputs are clipped to the measured range for
the polynomial and anything beyond passes through one to one, so it never extrapolates wildly.
It is applied to the angles relative to the *view frame* (the camera, rolled with the shoulder
line; see `coach.torso.view_axes`): that is what the models see, and it keeps a rolled camera
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
    def identity(cls) -> "AngleCorrection":
        """The correction that changes nothing (for ideal, synthetic landmarks)."""
        return cls(tuple(map(tuple, _IDENTITY_COEF.tolist())))

    @classmethod
    def fit(cls, reported_deg: np.ndarray, truth_deg: np.ndarray, ridge: float = 0.5) -> "AngleCorrection":
        """Fit the map to pairs of reported and true ``(n, 3)`` yaw/roll/pitch (degrees).

        Ridge regression toward the identity: with few measurements the map stays close to
        "no correction" instead of bending to fit noise.
        """
        reported = np.asarray(reported_deg, dtype=float)
        truth = np.asarray(truth_deg, dtype=float)
        clipped = np.clip(reported, -np.array(INPUT_LIMITS_DEG), INPUT_LIMITS_DEG)
        x = features(clipped)
        target = (truth - (reported - clipped)) / _SCALE_DEG
        reg = ridge * np.eye(x.shape[1])
        reg[0, 0] = 0.0  # the constant (e.g. the face model's chin-down offset) is not shrunk
        coef = _IDENTITY_COEF + np.linalg.solve(x.T @ x + reg, x.T @ (target - x @ _IDENTITY_COEF))
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
    """

    face: AngleCorrection
    pose: AngleCorrection


#: No correction: for synthetic landmarks that follow the head exactly.
NO_CORRECTION = Corrections(AngleCorrection.identity(), AngleCorrection.identity())

# The measured responses of the real models: ``python bench/renders.py --fit`` prints these
# (pose_landmarker_full and face_landmarker of ../shared/models, 2 rendered characters x 35
# poses x mirrored; faces more than 25 deg off the truth left out as failures, not response).
_FACE_COEF = (
    (-0.00620, -0.00008, -0.10162),
    (1.00715, 0.00517, 0.01056),
    (0.14189, 0.99843, 0.00744),
    (0.00179, 0.00022, 1.08194),
    (0.03579, 0.00863, 0.07557),
    (0.02326, -0.02144, 0.00123),
    (-0.00611, -0.02913, -0.05434),
    (0.10399, -0.11470, -0.00347),
    (-0.16739, -0.01348, -0.03346),
    (0.00507, 0.00558, -0.05599),
    (0.00751, 0.00410, 0.10284),
    (-0.18473, 0.19777, 0.00597),
    (0.02354, -0.01132, -0.02685),
)
_POSE_COEF = (
    (-0.01715, -0.01716, -0.24594),
    (1.18736, 0.10908, 0.05561),
    (0.26711, 1.35178, 0.08933),
    (-0.03785, -0.01427, 1.44169),
    (0.06937, -0.00394, 0.17665),
    (0.00664, 0.10659, -0.05758),
    (0.03223, -0.08855, -0.20233),
    (0.15352, -0.18857, -0.03912),
    (-0.22111, 0.06286, -0.00122),
    (0.01645, 0.05465, 0.08833),
    (0.12018, 0.09899, 0.35674),
    (0.03842, 0.43447, -0.11757),
    (-0.09488, -0.10335, -0.06501),
)

#: The measured responses of the real models.
MEASURED = Corrections(face=AngleCorrection(_FACE_COEF), pose=AngleCorrection(_POSE_COEF))
