"""Face and pose fused over time, for one person. Pure numpy: no mediapipe, no cv2, no clock.

Two sources measure the head (`coach.angles.headframe`): the face matrix (precise, lost beyond a turn
of ~60-70 deg, sometimes wildly wrong near profile) and the head model fitted to the pose
landmarks (always there, but biased, and differently for each person: on
sagor_lateral_flexion_seated.mp4 the pose fit reads his level head pitch +30 where the face
reads -12, a 43 deg disagreement; on the renders good faces are within 22 deg of it). So the
face is not judged against the raw pose estimate but against the pose estimate corrected by
THIS person's face-to-pose offset:

- **The person's offset** is learned while both sources see the head near neutral (the face
  within `NEAR_NEUTRAL_DEG` of facing the camera): quickly until the neutral is calibrated
  (`FaceFusion.anchor`), then slowly (`PERSON_OFFSET_TAU_S`) and never more than
  `PERSON_OFFSET_MAX_CHANGE_DEG` from its value at calibration, so a long hold in a turned or
  bowed position is not absorbed into it. A face more than `FACE_MAX_DISAGREEMENT_DEG` from
  the pose estimate so corrected is a failure of the face model, not a head pose.
- **Before any offset is known**, a face reading near straight ahead (`FACE_ALONE_MAX_DEG`)
  is trusted even when the raw pose estimate disagrees: the face model's failures are near
  profile, and calibration should use the face when it is seen.
- **Past the face model's range** the pose estimate carries on through the face-to-pose offset
  measured just before the face was lost (`CARRY_TAU_S`), so the reading is continuous and
  keeps growing with the pose fit instead of stopping where the face was lost. That offset is
  the pose fit's error at the angle of the loss, which is not its error 10-20 deg further on
  (the renders: male1's pose fit reads 61 for 60 deg and 73 for 80, so the offset carried from
  60 turned a static 76 into 70 at the end of a slow turn). So as the head moves on, it fades
  to the person's offset (`CARRY_FADE_DEG` of pose-fit rotation): a head turned slowly to 80
  reads what a static frame of that pose reads, and a still head does not drift.
- **No jump when the source changes**: losing the face is continuous by the carried offset;
  when the face is found again, its disagreement with the pose estimate shown until then is
  bridged and faded out (`BRIDGE_TAU_S`).
"""

from __future__ import annotations

import math

import numpy as np

from coach.angles.headframe import FACE_MAX_DISAGREEMENT_DEG, HeadMeasurement
from coach.rotations import (
    nearest_rotation,
    rotation_angle_deg,
    rotation_from_vector,
    rotation_vector,
)

#: A face that jumps by more than this between two frames less than FACE_JUMP_WINDOW_S apart,
#: while the pose estimate moved less than half as much, is rejected (a head turns at most
#: ~300 deg/s).
FACE_MAX_JUMP_DEG = 30.0
FACE_JUMP_WINDOW_S = 0.25
#: Time constant of the face-to-pose offset carried past the face model's range: short, so it is
#: the offset of the last moments before the loss (a 1 s average lagged 3-5 deg behind a turn
#: whose pose under-read grows with the angle).
CARRY_TAU_S = 0.2
#: Past the loss the carried offset fades linearly to the person's offset over this much
#: rotation of the pose fit away from its pose at the last face (deg). Short, because the face
#: can be seen up to 70 deg and the pose fit then moves only 4.5 deg more to a turn of 80
#: (male2's mirror image: at 10 deg the carried offset, 5.5 deg from the person's, still read
#: that 80 as 71.5 where a static frame reads 76.5); not zero, so the change of source is no
#: step (a carried offset 7 deg from the person's adds 1.4 deg per deg of turn while it fades).
#: Across both characters and their mirror images the person's offset read the 80-deg renders
#: with mean/max error 3.5/5.6 deg, the offset carried from the loss 5.8/11.0.
CARRY_FADE_DEG = 5.0
#: The face within this (deg, rotation from facing the view frame) counts as near neutral,
#: where the person's offset is learned. Sagor's level head reads pitch -12..-23 by the face
#: (the camera is below his eyes).
NEAR_NEUTRAL_DEG = 25.0
#: Before the person's offset is known, a face within this of facing the camera is trusted on
#: its own, if the pose estimate is within POSE_ALONE_MAX_DEG (not turned far away).
FACE_ALONE_MAX_DEG = 40.0
POSE_ALONE_MAX_DEG = 50.0
#: Time constant of the person's offset before calibration and after it; after calibration it
#: stays within PERSON_OFFSET_MAX_CHANGE_DEG of its calibrated value.
PERSON_OFFSET_LEARN_TAU_S = 0.5
PERSON_OFFSET_TAU_S = 20.0
PERSON_OFFSET_MAX_CHANGE_DEG = 8.0
#: One frame teaches the person's offset at most this much time's worth (s): the time the head
#: spent away from neutral is not the returning frame's. (Crediting it the whole gap gave the
#: first frame back from a 3-s turn, its face at 24 deg, 15% of the offset: male1's offset moved
#: 0.8 deg on each return from 80 and the next 80 read 1.3 deg off a static frame of it.)
PERSON_OFFSET_MAX_STEP_S = 0.1
#: A switch of source is bridged when the last output is at most this old; the bridge fades
#: with this time constant.
BRIDGE_MAX_GAP_S = 0.5
BRIDGE_TAU_S = 0.5


def _toward(current: np.ndarray, target: np.ndarray, weight: float) -> np.ndarray:
    return nearest_rotation((1.0 - weight) * current + weight * target)


def _limited(anchor: np.ndarray, rotation: np.ndarray, max_deg: float) -> np.ndarray:
    """``rotation``, pulled back onto the sphere of ``max_deg`` around ``anchor`` if beyond it."""
    w = rotation_vector(anchor.T @ rotation)
    angle_deg = math.degrees(float(np.linalg.norm(w)))
    if angle_deg <= max_deg:
        return rotation
    return anchor @ rotation_from_vector(w * (max_deg / angle_deg))


class FaceFusion:
    """One person's head orientation from the face and the pose fit, frame after frame.

    Feed each OK `HeadMeasurement` to `head` in time order; call `anchor` when the neutral is
    calibrated (the person's offset is then held near its value).

    Attributes:
        source: What the last reading came from: ``"face"`` or ``"pose"``.
        face_rejected: The last frame's face was judged a failure.
    """

    def __init__(self) -> None:
        self.source = ""
        self.face_rejected = False
        self._person: np.ndarray | None = None  # face ~ person @ pose, near neutral
        self._anchor: np.ndarray | None = None
        self._person_t_s: float | None = None
        self._carry: np.ndarray | None = None  # face ~ carry @ pose, just before the face was lost
        self._carry_t_s: float | None = None
        self._last_face: tuple[float, np.ndarray, np.ndarray] | None = None  # (t_s, face, pose)
        self._last_out: tuple[float, np.ndarray] | None = None
        self._bridge: np.ndarray | None = None

    @property
    def person_offset(self) -> np.ndarray | None:
        """The person's face-from-pose offset rotation (face ~ offset @ pose), or None."""
        return self._person

    @property
    def anchored(self) -> bool:
        """True once `anchor` has fixed the person's offset (see `anchor`)."""
        return self._anchor is not None

    def anchor(self) -> None:
        """The neutral is calibrated: from now on the person's offset moves slowly and stays
        within `PERSON_OFFSET_MAX_CHANGE_DEG` of its present value (no-op while unknown)."""
        self._anchor = self._person

    def release(self) -> None:
        """A new calibration starts: the offset learns quickly again until the next `anchor`."""
        self._anchor = None

    def head(self, m: HeadMeasurement, t_s: float) -> np.ndarray:
        """The fused head axes (MediaPipe camera axes) of one OK measurement at ``t_s``."""
        face, pose = m.face_seen_axes, m.pose_axes
        if face is not None and pose is not None and not self._face_plausible(m, face, pose, t_s):
            face = None
            self.face_rejected = True
        else:
            self.face_rejected = False
        pose_estimate = None
        if pose is not None:
            offset = self._pose_offset(pose)
            pose_estimate = offset @ pose if offset is not None else pose
        if face is not None and pose is not None:
            self._learn(m, face, pose, t_s)
        if face is not None:
            return self._bridged(face, "face", pose_estimate, t_s)
        assert pose_estimate is not None  # an OK measurement has a face or a pose fit
        return self._bridged(pose_estimate, "pose", pose_estimate, t_s)

    def _pose_offset(self, pose: np.ndarray) -> np.ndarray | None:
        """The face-from-pose offset for this pose fit: the one carried from the last face,
        faded to the person's as the pose fit moves away from where that face was seen."""
        if self._carry is None or self._person is None or self._last_face is None:
            return self._carry if self._carry is not None else self._person
        moved_deg = rotation_angle_deg(self._last_face[2], pose)
        return _toward(self._carry, self._person, min(1.0, moved_deg / CARRY_FADE_DEG))

    def _face_plausible(self, m: HeadMeasurement, face: np.ndarray, pose: np.ndarray, t_s: float) -> bool:
        if self._last_face is not None:
            last_t, last_face, last_pose = self._last_face
            if t_s - last_t <= FACE_JUMP_WINDOW_S:
                jump = rotation_angle_deg(last_face, face)
                # A face that leaps while the pose estimate barely moves is the face model
                # losing the face, not the head moving.
                if jump > FACE_MAX_JUMP_DEG and rotation_angle_deg(last_pose, pose) < jump / 2.0:
                    return False
        if self._person is not None:
            return rotation_angle_deg(face, self._person @ pose) <= FACE_MAX_DISAGREEMENT_DEG
        if m.face_axes is not None:  # the single-frame check passed: within the raw bound
            return True
        view = m.view_axes
        assert view is not None  # an OK measurement has its view frame
        return (rotation_angle_deg(view, face) <= FACE_ALONE_MAX_DEG
                and rotation_angle_deg(view, pose) <= POSE_ALONE_MAX_DEG)

    def _learn(self, m: HeadMeasurement, face: np.ndarray, pose: np.ndarray, t_s: float) -> None:
        self._last_face = (t_s, face, pose)
        offset = face @ pose.T
        if self._carry is None or self._carry_t_s is None:
            self._carry = offset
        else:
            # A slow average: the offset is a bias of the pose fit against the face, not a signal.
            weight = 1.0 - math.exp(-max(0.0, t_s - self._carry_t_s) / CARRY_TAU_S)
            self._carry = _toward(self._carry, offset, weight)
        self._carry_t_s = t_s
        assert m.view_axes is not None  # an OK measurement has its view frame
        if rotation_angle_deg(m.view_axes, face) > NEAR_NEUTRAL_DEG:
            return
        if self._person is None or self._person_t_s is None:
            self._person = offset
        else:
            tau_s = PERSON_OFFSET_LEARN_TAU_S if self._anchor is None else PERSON_OFFSET_TAU_S
            step_s = min(PERSON_OFFSET_MAX_STEP_S, max(0.0, t_s - self._person_t_s))
            self._person = _toward(self._person, offset, 1.0 - math.exp(-step_s / tau_s))
            if self._anchor is not None:
                self._person = _limited(self._anchor, self._person, PERSON_OFFSET_MAX_CHANGE_DEG)
        self._person_t_s = t_s

    def _bridged(self, head: np.ndarray, source: str, pose_estimate: np.ndarray | None,
                 t_s: float) -> np.ndarray:
        last = self._last_out
        if (source == "face" and self.source == "pose" and pose_estimate is not None and last is not None
                and 0.0 <= t_s - last[0] <= BRIDGE_MAX_GAP_S):
            # The face is back: start from what the pose estimate says now (what was shown),
            # then fade to the face. Only the two sources' disagreement is bridged, not motion.
            # (Losing the face needs no bridge: the carried offset continues the face.)
            self._bridge = pose_estimate @ head.T
        elif self._bridge is not None and last is not None:
            w = rotation_vector(self._bridge) * math.exp(-max(0.0, t_s - last[0]) / BRIDGE_TAU_S)
            self._bridge = rotation_from_vector(w) if np.linalg.norm(w) > math.radians(0.05) else None
        out = self._bridge @ head if self._bridge is not None else head
        self.source = source
        self._last_out = (t_s, out)
        return out
