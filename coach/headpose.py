"""Torso-relative head angles from landmarks. Pure numpy: no mediapipe, no cv2, no clock.

CONTRACT (the types below are used by the engine, overlay and CLI; keep their fields):
landmarks (`coach.landmarks.PoseFrame`) go in, `HeadAngles` comes out, relative to a torso frame
built from the shoulders (hips are often out of frame). Sign conventions (DESIGN.md):
yaw > 0 head turned to the person's RIGHT; roll > 0 right ear toward right shoulder;
pitch > 0 flexion (chin down); retraction_cm > 0 head moved straight back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Tracking(str, Enum):
    """Why an estimate is or is not usable. The value is what the CSV/report/overlay shows."""

    OK = "ok"
    NO_PERSON = "no-person"
    SHOULDERS_NOT_VISIBLE = "shoulders-not-visible"
    FACE_NOT_VISIBLE = "face-not-visible"
    LOW_CONFIDENCE = "low-confidence"


@dataclass(frozen=True)
class HeadAngles:
    """Head orientation relative to the torso, for one frame.

    Attributes:
        yaw_deg: Rotation; > 0 turned to the person's right.
        roll_deg: Lateral tilt; > 0 right ear toward the right shoulder.
        pitch_deg: > 0 flexion (chin down), < 0 extension.
        retraction_cm: > 0 head moved straight back (chin tuck).
        confidence: 0..1; below ~0.5 the angles should not be coached.
        tracking: `Tracking.OK`, or why the angles are missing / not trustworthy. When not OK
            the angle fields are NaN.
    """

    yaw_deg: float
    roll_deg: float
    pitch_deg: float
    retraction_cm: float
    confidence: float
    tracking: Tracking = Tracking.OK

    @property
    def ok(self) -> bool:
        """True when the angles can be used for coaching."""
        return self.tracking is Tracking.OK
