"""The synthetic person's body: proportions, pose, anatomy, and the posed body and arm points.

`BodyPose` is what the person does (torso-relative head angles, chin retraction, arm poses,
shoulder hikes), `Anatomy` who they are (head size and shape, posture); `body_points` builds
the posed body in person axes for `coach.sim.synthetic.make_frame`. The proportions were measured
on the real model (see `coach.sim.synthetic`); the head is `coach.sim.synthetic_geometry`'s model.

Pure numpy: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from coach.landmarks import Landmark
from coach.sim.synthetic_geometry import HEAD_POINTS_M, HEAD_POINTS_WORLD, NECK_PIVOT_FROM_EARS_M

ArmPose = Literal["rest", "down", "behind_head", "finger_on_chin", "finger_follows"]
ARM_POSES: tuple[str, ...] = ("rest", "down", "behind_head", "finger_on_chin", "finger_follows")
#: Where a finger on the chin rests (the chin of the neutral head), from the neutral ear
#: midpoint, person axes (l, u, f): the finger stays there while a chin tuck moves the head back
#: ("finger_on_chin"), or is carried along with the head ("finger_follows", the wrong way).
CHIN_FROM_EARS_M = (0.0, -0.085, 0.105)

# -- measured proportions (metres), person frame: l = person's left, u = up, f = forward ------
SHOULDER_HALF_WIDTH_M = 0.162
SHOULDER_ABOVE_HIPS_M = 0.43
SHOULDER_FORWARD_OF_HIPS_M = 0.11
EAR_ABOVE_SHOULDERS_M = 0.178
# World ear midpoint in front of the shoulder midpoint, sitting upright (webcam clip 8.5 cm,
# astronaut 8.4 cm).
EAR_FORWARD_OF_SHOULDERS_M = 0.085
HIP_HALF_WIDTH_M = 0.14


@dataclass(frozen=True)
class BodyPose:
    """What the person is doing, relative to their own torso (DESIGN.md signs).

    Attributes:
        yaw_deg: Head rotation; > 0 turned to the person's right.
        roll_deg: Lateral tilt; > 0 right ear toward the right shoulder.
        pitch_deg: > 0 flexion (chin down), < 0 extension.
        retraction_cm: > 0 head moved straight back along the torso's forward axis.
        right_arm: Pose of the person's right arm.
        left_arm: Pose of the person's left arm.
        right_shoulder_hike_cm: Right shoulder raised toward the ear.
        left_shoulder_hike_cm: Left shoulder raised toward the ear.
        trunk_yaw_deg: The whole body turned against the camera (about the vertical, > 0 to
            the person's right), on top of `Camera.torso_yaw_deg`: the head angles above stay
            relative to the torso, so the head turns with it.
    """

    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    retraction_cm: float = 0.0
    right_arm: ArmPose = "rest"
    left_arm: ArmPose = "rest"
    right_shoulder_hike_cm: float = 0.0
    left_shoulder_hike_cm: float = 0.0
    trunk_yaw_deg: float = 0.0

    def __post_init__(self) -> None:
        for name in ("right_arm", "left_arm"):
            if getattr(self, name) not in ARM_POSES:
                raise ValueError(f"{name} must be one of {ARM_POSES}, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class Anatomy:
    """The person's proportions: people differ from the average head and posture.

    Attributes:
        head_scale: Size of the head relative to the average (0.8..1.2 covers adults).
        head_shape_mm: Each head point moved by a fixed random offset of this standard
            deviation (the same for every frame of the person), millimetres.
        seed: Seed of those offsets (different seeds = different people).
        shoulder_half_width_m: Half the shoulder span.
        ear_above_shoulders_m: Neutral ear midpoint above the shoulder midpoint.
        ear_forward_of_shoulders_m: Neutral ear midpoint in front of the shoulder midpoint.
    """

    head_scale: float = 1.0
    head_shape_mm: float = 0.0
    seed: int = 0
    shoulder_half_width_m: float = SHOULDER_HALF_WIDTH_M
    ear_above_shoulders_m: float = EAR_ABOVE_SHOULDERS_M
    ear_forward_of_shoulders_m: float = EAR_FORWARD_OF_SHOULDERS_M

    def head_points(self, model: Mapping[int, tuple[float, float, float]]) -> dict[int, np.ndarray]:
        """This person's version of a head model (mirror-symmetric offsets for left/right pairs)."""
        rng = np.random.default_rng(self.seed)
        out: dict[int, np.ndarray] = {}
        for idx in sorted(model):
            p = np.array(model[idx]) * self.head_scale
            twin = _MIRROR_TWIN.get(idx)
            if twin is not None and twin in out:
                # Faces are roughly symmetric: the right point mirrors the left one's offset.
                off = (out[twin] - np.array(model[twin]) * self.head_scale) * np.array([-1.0, 1.0, 1.0])
            else:
                off = rng.normal(0.0, self.head_shape_mm / 1000.0, 3)
                if idx == Landmark.NOSE:
                    off[0] = 0.0
            out[idx] = p + off
        return out


_MIRROR_TWIN = {4: 1, 5: 2, 6: 3, 8: 7, 10: 9}


def body_points(pose: BodyPose, anatomy: Anatomy, head: np.ndarray,
                 image_head: np.ndarray) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """The posed body in person axes (l, u, f), origin between the hips.

    Args:
        pose: The pose.
        anatomy: The person.
        head: The head triad (rows: left, up, forward) in person axes.
        image_head: The triad the image head points follow (the pose model's response).

    Returns:
        (image points, world points): the image points are anatomical, the world points carry
        the real model's face squeeze.
    """
    shoulder_mid = np.array([0.0, SHOULDER_ABOVE_HIPS_M, SHOULDER_FORWARD_OF_HIPS_M])
    ear_mid_neutral = shoulder_mid + np.array([0.0, anatomy.ear_above_shoulders_m,
                                               anatomy.ear_forward_of_shoulders_m])
    # The neutral head's axes are the torso's, so the pivot offset is already in person axes;
    # a chin tuck slides the pivot straight back.
    pivot_from_ears = np.array(NECK_PIVOT_FROM_EARS_M)
    pivot = ear_mid_neutral + pivot_from_ears - np.array([0.0, 0.0, pose.retraction_cm / 100.0])
    ear_mid = pivot - pivot_from_ears @ head

    common: dict[int, np.ndarray] = {}
    for side, idx, hike in ((1.0, Landmark.LEFT_SHOULDER, pose.left_shoulder_hike_cm),
                            (-1.0, Landmark.RIGHT_SHOULDER, pose.right_shoulder_hike_cm)):
        common[idx] = shoulder_mid + np.array([side * anatomy.shoulder_half_width_m, hike / 100.0, 0.0])
    for side, idx in ((1.0, Landmark.LEFT_HIP), (-1.0, Landmark.RIGHT_HIP)):
        common[idx] = np.array([side * HIP_HALF_WIDTH_M, 0.0, 0.0])
    # Seated legs: thighs forward, shins down (out of the image in any webcam view).
    for side, knee, ankle, heel, toe in (
        (1.0, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
        (-1.0, Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    ):
        common[knee] = np.array([side * 0.13, -0.02, 0.45])
        common[ankle] = np.array([side * 0.13, -0.46, 0.42])
        common[heel] = np.array([side * 0.13, -0.50, 0.38])
        common[toe] = np.array([side * 0.13, -0.52, 0.55])
    chin = ear_mid_neutral + np.array(CHIN_FROM_EARS_M)
    for side, arm in ((1.0, pose.left_arm), (-1.0, pose.right_arm)):
        follows = arm == "finger_follows"  # the same hand, moved with the head
        _add_arm(common, side, "finger_on_chin" if follows else arm,
                 common[Landmark.LEFT_SHOULDER if side > 0 else Landmark.RIGHT_SHOULDER],
                 ear_mid, head, chin + (ear_mid - ear_mid_neutral) if follows else chin)

    image = dict(common)
    world = dict(common)
    for idx, p in anatomy.head_points(HEAD_POINTS_M).items():
        image[idx] = ear_mid + p @ image_head
    for idx, p in anatomy.head_points(HEAD_POINTS_WORLD).items():
        world[idx] = ear_mid + p @ head
    return image, world


def _add_arm(points: dict[int, np.ndarray], side: float, arm: str, shoulder: np.ndarray,
             ear_mid: np.ndarray, head: np.ndarray, chin: np.ndarray) -> None:
    """Elbow, wrist and hand points of one arm; `side` is +1 for the left arm, -1 for the right.

    `head` is the head triad (rows: left, up, forward) in person axes; `chin` is where the
    neutral head's chin is (a finger on the chin stays there, fixed to the torso).
    """
    left = side > 0
    elbow_i = Landmark.LEFT_ELBOW if left else Landmark.RIGHT_ELBOW
    wrist_i = Landmark.LEFT_WRIST if left else Landmark.RIGHT_WRIST
    pinky_i = Landmark.LEFT_PINKY if left else Landmark.RIGHT_PINKY
    index_i = Landmark.LEFT_INDEX if left else Landmark.RIGHT_INDEX
    thumb_i = Landmark.LEFT_THUMB if left else Landmark.RIGHT_THUMB
    if arm == "down":
        # Lengthened straight down along the body, palm facing down (fingers point to the floor).
        elbow = shoulder + np.array([side * 0.03, -0.29, 0.0])
        wrist = elbow + np.array([side * 0.01, -0.26, 0.0])
        index = wrist + np.array([side * 0.0, -0.09, 0.01])
        pinky = wrist + np.array([side * 0.01, -0.08, -0.01])
        thumb = wrist + np.array([side * -0.01, -0.05, 0.02])
    elif arm == "behind_head":
        # Hand on the back of the head, elbow raised out to the side.
        elbow = shoulder + np.array([side * 0.22, 0.13, -0.03])
        wrist = ear_mid + np.array([side * 0.05, 0.03, -0.10]) @ head
        index = ear_mid + np.array([side * -0.03, 0.05, -0.11]) @ head
        pinky = ear_mid + np.array([side * -0.02, 0.01, -0.11]) @ head
        thumb = ear_mid + np.array([side * 0.01, 0.07, -0.09]) @ head
    elif arm == "finger_on_chin":
        # Chin tucks: the index finger's tip on the (neutral) chin, the hand below it, the elbow
        # down in front of the chest. Fixed to the torso: a tuck opens a gap to the finger.
        index = chin + np.array([0.0, 0.0, 0.012])
        wrist = chin + np.array([side * 0.03, -0.07, 0.04])
        elbow = shoulder + np.array([side * -0.05, -0.2, 0.16])
        pinky = wrist + np.array([side * -0.01, 0.03, 0.0])
        thumb = wrist + np.array([side * -0.02, 0.04, -0.01])
    else:  # rest: hands low in front, on the lap or a desk
        elbow = shoulder + np.array([side * 0.04, -0.27, 0.06])
        wrist = elbow + np.array([side * -0.07, -0.03, 0.24])
        index = wrist + np.array([side * -0.06, -0.01, 0.06])
        pinky = wrist + np.array([side * -0.04, -0.02, 0.05])
        thumb = wrist + np.array([side * -0.06, 0.01, 0.03])
    points[elbow_i] = elbow
    points[wrist_i] = wrist
    points[index_i] = index
    points[pinky_i] = pinky
    points[thumb_i] = thumb
