"""One frame's head orientation: landmarks in, `HeadMeasurement` / `HeadAngles` out.

Pure numpy: no mediapipe, no cv2, no clock. `coach.angles.headpose` (which re-exports everything here)
adds what needs time. How one frame is measured (every number was measured on the real models):

1. **Head orientation, as the models report it** (`coach.angles.headfit`): the face matrix, and a head
   model fitted to the pose model's image landmarks.
2. **Their response undone** (`coach.angles.correction`): each source's reported angles, relative to
   the view frame (the camera rolled with the shoulder line), are mapped to true angles by a
   fit to rendered humans with exact head angles. This fixes the face model's chin-down
   under-read and the pose fit's under-read near profile.
3. **Which source**: the face, unless it is missing or implausible: more than
   `FACE_MAX_DISAGREEMENT_DEG` from the pose estimate (near profile the face model sometimes
   returns an orientation 80-160 deg off).
4. **Relative to the torso** (`coach.angles.torso`): the shoulder line gives roll. A single frame has no
   reference for the trunk's turn, so it takes the torso to face the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

import numpy as np

from coach.angles.correction import MEASURED, NO_CORRECTION, Corrections
from coach.angles.headfit import face_head_axes, pose_head_axes
from coach.angles.torso import SHOULDER_IDS, Shoulders, torso_axes
from coach.landmarks import NUM_POSE_LANDMARKS, Landmark, PoseFrame
from coach.rotations import (
    MP_TO_GL,
    head_rotation,
    head_rotation_angles,
    rotation_angle_deg,
)

#: What the angles are relative to: the shoulders (the default; what coaching uses) or the
#: camera (for face-only pictures and for comparing with head-pose datasets).
Reference = Literal["torso", "camera"]


class Tracking(str, Enum):
    """Why an estimate is or is not usable. The value is what the CSV/report/overlay shows."""

    OK = "ok"
    NO_PERSON = "no-person"
    SHOULDERS_NOT_VISIBLE = "shoulders-not-visible"
    FACE_NOT_VISIBLE = "face-not-visible"
    LOW_CONFIDENCE = "low-confidence"


#: Below this confidence the angles are reported as `Tracking.LOW_CONFIDENCE` and not coached.
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class HeadAngles:
    """Head orientation relative to the torso (or the camera), for one frame.

    Attributes:
        yaw_deg: Rotation; > 0 turned to the person's right.
        roll_deg: Lateral tilt; > 0 right ear toward the right shoulder.
        pitch_deg: > 0 flexion (chin down), < 0 extension.
        retraction_cm: > 0 head moved straight back (chin tuck); NaN relative to the camera.
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
        """True when the models tracked the head (`Tracking.OK`)."""
        return self.tracking is Tracking.OK

    @property
    def usable(self) -> bool:
        """True when the angles can be coached: tracked, confident and finite. Time with angles
        that are not usable is "tracking lost" (see `coach.coaching.chain.LostTime`)."""
        return (self.ok and self.confidence >= MIN_CONFIDENCE
                and all(math.isfinite(v) for v in (self.yaw_deg, self.roll_deg, self.pitch_deg,
                                                  self.retraction_cm)))


# -- measured constants ----------------------------------------------------------------------------

#: Shoulders whose visibility is below this are "not visible". Clearly visible shoulders read
#: 0.75-1.0 on the renders (0.64 on one character in another run) and >= 0.76 on the real clips
#: (1st percentile); the close-up's invented shoulders are told apart by where they are (below).
SHOULDER_MIN_VISIBILITY = 0.5
#: Shoulders below this normalised image y are out of the picture. The webcam clip's real
#: shoulders reach y = 1.01-1.03 (cut by the bottom edge); the close-up's invented ones reach
#: 0.98-1.37.
SHOULDER_MAX_IMAGE_Y = 1.04
#: Shoulders at the bottom edge (below this y) are where the model puts shoulders it invents
#: under a close-up face. There they must be clearly visible AND at least this many head widths
#: apart: of the close-up's 35 frames with both shoulders inside the picture none passes
#: (visibility 0.49-0.93, span 1.57-2.05 head widths), while real people read 2.12-3.1 (1st to
#: 99th percentile over the real clips) and >= 0.76 visibility.
SHOULDER_EDGE_Y = 0.95
SHOULDER_EDGE_MIN_VISIBILITY = 0.8
SHOULDER_EDGE_MIN_SPAN_HEADS = 2.1
#: A head point below this visibility counts as hidden.
HEAD_MIN_VISIBILITY = 0.5
#: The head model's fit quality falls to 0 at this RMS reprojection error, in head widths.
#: On the renders the hardest combined poses (turned, tilted and chin up, face lost) fit to
#: 0.08 head widths (5.7 px of 75): their estimate is 10-20 deg off, but it is the best there
#: is, so they stay tracked (at 0.15 one of them was dropped). The cartoon "people" are
#: rejected by their body shape, not by this.
FIT_RMS_MAX_HEADS = 0.2
#: Plausible (shoulder midpoint - ear midpoint) distance along the torso's up axis, as a
#: fraction of the shoulder width, in the image. Real people: 0.48-0.67 (real clips), renders
#: 0.45-0.74; the "people" the pose model finds in the cartoon part of the webcam clip: -0.05-0.3.
NECK_HEIGHT_RANGE = (0.35, 1.1)
#: The face is not used when it is this far from the (corrected) pose estimate: near profile
#: the face model sometimes returns an orientation 80-160 deg off. Good faces on the renders
#: are within 22 deg of the pose estimate, 35 on the real clips' fast turns.
FACE_MAX_DISAGREEMENT_DEG = 40.0
#: A head orientation beyond these (view-relative yaw, roll, chin-down pitch, chin-up pitch,
#: degrees) is not a human neck's: the pose fit sometimes folds near profile (a mirrored 90 deg
#: render once read yaw +1, pitch +70). Healthy ranges are about 80-90 rotation, 45 lateral
#: flexion, 50-60 flexion and 60-70 extension; these leave room for the camera's own angle.
HUMAN_RANGE_DEG = (110.0, 65.0, 65.0, 85.0)
#: The head turns about the top of the neck, a little below the ear canals.
NECK_PIVOT_BELOW_EARS_M = 0.03
#: Typical world-landmark offset of the ear midpoint in front of the shoulder midpoint, sitting
#: upright (webcam clip: 8.5 cm, astronaut: 8.4 cm); uncalibrated retraction is relative to it.
EAR_FORWARD_OF_SHOULDERS_M = 0.085
#: Landmark coordinates beyond these are garbage, not a pose (normalised image units, metres).
_MAX_ABS_IMAGE = 4.0
_MAX_ABS_WORLD_M = 3.0

_HEAD_IDS = np.arange(11)
_EARS = [Landmark.LEFT_EAR, Landmark.RIGHT_EAR]
_NAN = float("nan")


# -- one frame ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadMeasurement:
    """Everything one frame says about the head, before time, calibration and smoothing.

    Head orientations are head axes (columns left, up, forward) in MediaPipe camera axes.

    Attributes:
        tracking: OK, or why not.
        confidence: 0..1.
        view_axes: The frame the corrections apply in (the camera, rolled with the shoulder
            line; the camera itself relative to the camera), or None.
        face_axes: The face's head axes after its correction; None when missing or rejected.
        pose_axes: The pose fit's head axes after its correction, or None.
        face_reported: The face's angles relative to the view frame BEFORE correction
            (yaw, roll, pitch), for fitting corrections; None without a face.
        pose_reported: Likewise for the pose fit.
        face_rejected: A face was there but disagreed with the pose estimate.
        face_seen_axes: The face's corrected head axes even when rejected (None without a
            face): `coach.angles.headpose.HeadTracker` judges it against the person's own
            face-to-pose offset instead of the raw disagreement.
        shoulders: The shoulders' span and depth yaw, or None (camera reference, no shoulders).
        head_px: The fitted head model's ear span in pixels (the distance scale), or NaN.
        neck_w: Ear midpoint minus shoulder midpoint in world landmarks (metres), or None.
        camera_facing: The torso is assumed to face the camera (stateless measurements).
    """

    tracking: Tracking
    confidence: float
    view_axes: np.ndarray | None = None
    face_axes: np.ndarray | None = None
    pose_axes: np.ndarray | None = None
    face_reported: tuple[float, float, float] | None = None
    pose_reported: tuple[float, float, float] | None = None
    face_rejected: bool = False
    face_seen_axes: np.ndarray | None = None
    shoulders: Shoulders | None = None
    head_px: float = _NAN
    neck_w: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        """True when a head orientation can be used."""
        return self.tracking is Tracking.OK

    @property
    def head_axes(self) -> np.ndarray | None:
        """The single-frame head orientation: the face when accepted, else the pose fit."""
        return self.face_axes if self.face_axes is not None else self.pose_axes

    @property
    def source(self) -> str:
        """``"face"``, ``"pose"`` or ``""`` (nothing usable)."""
        return "face" if self.face_axes is not None else ("pose" if self.pose_axes is not None else "")

    @property
    def span_ratio(self) -> float:
        """Shoulder span over head size (both pixels): the torso's foreshortening measure."""
        if self.shoulders is None or not self.head_px > 0:
            return _NAN
        return self.shoulders.span_px / self.head_px


def _fail(tracking: Tracking, confidence: float = 0.0) -> HeadMeasurement:
    return HeadMeasurement(tracking=tracking, confidence=float(np.clip(confidence, 0.0, 1.0)))


def _valid_arrays(frame: PoseFrame) -> bool:
    lm, wl = frame.landmarks, frame.world_landmarks
    try:
        return (
            lm is not None and wl is not None
            and np.shape(lm) == (NUM_POSE_LANDMARKS, 4) and np.shape(wl) == (NUM_POSE_LANDMARKS, 3)
            and frame.width > 0 and frame.height > 0
        )
    except TypeError:
        return False


def _corrected(view: np.ndarray, axes: np.ndarray, correction) -> tuple[np.ndarray, tuple[float, float, float]]:
    """(corrected head axes in camera axes, the reported angles relative to ``view``)."""
    reported = head_rotation_angles(view.T @ axes)
    return view @ head_rotation(*correction(*reported)), reported


def _humanly_possible(axes: np.ndarray, view: np.ndarray) -> bool:
    yaw, roll, pitch = head_rotation_angles(view.T @ axes)
    max_yaw, max_roll, max_down, max_up = HUMAN_RANGE_DEG
    return abs(yaw) <= max_yaw and abs(roll) <= max_roll and -max_up <= pitch <= max_down


def _shoulders_in_view(sh: np.ndarray, span_heads: float) -> bool:
    vis = float(sh[:, 3].min())
    if (vis < SHOULDER_MIN_VISIBILITY or sh[:, 1].max() > SHOULDER_MAX_IMAGE_Y
            or sh[:, 0].min() < -0.02 or sh[:, 0].max() > 1.02 or sh[:, 1].min() < -0.02):
        return False
    if sh[:, 1].max() > SHOULDER_EDGE_Y:
        # The model puts shoulders it invents under a close-up face at the bottom edge.
        return vis >= SHOULDER_EDGE_MIN_VISIBILITY and span_heads >= SHOULDER_EDGE_MIN_SPAN_HEADS
    return True


def measure(frame: PoseFrame, use_face: bool = True, *, reference: Reference = "torso",
            corrections: Corrections = MEASURED) -> HeadMeasurement:
    """Measure one frame: tracking state, confidence and the corrected head orientations.

    Never raises for bad landmark values: NaN, infinite, out-of-range or low-visibility
    landmarks give a non-OK tracking state.

    Args:
        frame: One frame of landmarks.
        use_face: Use the face matrix when the frame has one.
        reference: ``"torso"`` needs the shoulders; ``"camera"`` needs only the head.
        corrections: The models' response to undo (never applied to `PoseFrame.synthetic`
            frames, whose landmarks are ideal; flip-tested frames get
            `Corrections.for_frame`).
    """
    if not _valid_arrays(frame):
        return _fail(Tracking.NO_PERSON)
    lm = np.asarray(frame.landmarks, dtype=float)
    wl = np.asarray(frame.world_landmarks, dtype=float)
    frame = replace(frame, landmarks=lm, world_landmarks=wl)
    if frame.synthetic:
        # Ideal landmarks follow the head exactly: there is no model response to undo.
        corrections = NO_CORRECTION
    corrections = corrections.for_frame(frame.flip_tested)
    size = np.array([frame.width, frame.height], dtype=float)
    torso_ref = reference == "torso"

    head = lm[_HEAD_IDS]
    head_ok = np.all(np.isfinite(head), axis=1) & (head[:, 3] >= HEAD_MIN_VISIBILITY)
    face_axes_raw = face_head_axes(frame.face_matrix) if use_face else None
    ears_ok = head_ok[Landmark.LEFT_EAR] or head_ok[Landmark.RIGHT_EAR]
    pose_head_seen = head_ok[Landmark.NOSE] and ears_ok and np.count_nonzero(head_ok) >= 5

    sh = lm[SHOULDER_IDS]
    sh_finite = bool(np.all(np.isfinite(sh)) and np.all(np.isfinite(wl[SHOULDER_IDS])))
    if torso_ref and not sh_finite:
        return _fail(Tracking.SHOULDERS_NOT_VISIBLE)
    fit = pose_head_axes(frame) if pose_head_seen else None
    head_px = fit.head_px if fit is not None else _NAN
    sh_vis = float(np.clip(sh[:, 3].min(), 0.0, 1.0)) if sh_finite else 0.0
    if torso_ref and not _shoulders_in_view(sh, float(np.linalg.norm((sh[0, :2] - sh[1, :2]) * size)) / head_px
                                            if head_px > 0 else _NAN):
        return _fail(Tracking.SHOULDERS_NOT_VISIBLE, sh_vis * 0.3)
    if not pose_head_seen and (torso_ref or face_axes_raw is None):
        return _fail(Tracking.FACE_NOT_VISIBLE, 0.2)

    used = np.concatenate([head[head_ok, :3].ravel(), sh[:, :3].ravel() if torso_ref else []])
    world_ids = sorted(set(_HEAD_IDS[head_ok]) | (set(_EARS) | set(SHOULDER_IDS) if torso_ref else set()))
    world_used = wl[world_ids]
    if ((used.size and np.abs(used[np.isfinite(used)]).max() > _MAX_ABS_IMAGE)
            or not np.all(np.isfinite(world_used))
            or (world_used.size and np.abs(world_used).max() > _MAX_ABS_WORLD_M)):
        return _fail(Tracking.LOW_CONFIDENCE)

    shoulders = Shoulders.from_frame(frame) if torso_ref else None
    if torso_ref:
        view = torso_axes(frame, shoulders) if shoulders is not None else None
        if view is None:
            return _fail(Tracking.LOW_CONFIDENCE)
    else:
        view = MP_TO_GL

    plausible = _body_plausible(lm, size, view, shoulders) if shoulders is not None else True
    o = _orientations(view, fit, face_axes_raw, corrections)
    if o.face_axes is None and o.pose_axes is None:
        return _fail(Tracking.LOW_CONFIDENCE, 0.2)
    confidence = _confidence(head[head_ok], fit, o.face_axes is not None, sh_vis if torso_ref else 1.0, plausible)
    neck_w = (wl[_EARS].mean(axis=0) - wl[SHOULDER_IDS].mean(axis=0)) if torso_ref else None

    tracking = Tracking.OK if confidence >= MIN_CONFIDENCE else Tracking.LOW_CONFIDENCE
    return HeadMeasurement(tracking=tracking, confidence=confidence, view_axes=view,
                           face_axes=o.face_axes, pose_axes=o.pose_axes, face_reported=o.face_reported,
                           pose_reported=o.pose_reported, face_rejected=o.rejected, face_seen_axes=o.face_seen,
                           shoulders=shoulders, head_px=float(head_px), neck_w=neck_w)


def _body_plausible(lm: np.ndarray, size: np.ndarray, view: np.ndarray, shoulders: Shoulders) -> bool:
    """The ears sit well above the shoulder line (cartoon "people" the pose model finds have
    them at shoulder height)."""
    ear_vis = lm[_EARS, 3]
    ear_px = lm[_EARS, :2] * size
    ear_mid_px = ear_px[np.argmax(ear_vis)] if ear_vis.min() < HEAD_MIN_VISIBILITY else ear_px.mean(axis=0)
    sh_mid_px = (lm[SHOULDER_IDS, :2] * size).mean(axis=0)
    up_img = np.array([view[0, 1], view[1, 1]])  # torso up in image x, y (y down)
    up_img = up_img / (np.linalg.norm(up_img) or 1.0)
    # A fuzzed frame can carry NaN ears that the head fit left out: not plausible.
    if not np.all(np.isfinite(ear_mid_px)):
        return False
    neck = float((ear_mid_px - sh_mid_px) @ up_img) / shoulders.span_px
    return bool(NECK_HEIGHT_RANGE[0] <= neck <= NECK_HEIGHT_RANGE[1])


@dataclass(frozen=True)
class _Orientations:
    """Both models' head axes after their corrections, and what was kept of them."""

    face_axes: np.ndarray | None  # None when missing, impossible or rejected
    pose_axes: np.ndarray | None
    face_reported: tuple[float, float, float] | None
    pose_reported: tuple[float, float, float] | None
    face_seen: np.ndarray | None  # the face before the agreement check
    rejected: bool  # a face was there but disagreed with the pose estimate


def _orientations(view: np.ndarray, fit, face_axes_raw: np.ndarray | None,
                  corrections: Corrections) -> _Orientations:
    pose_axes = pose_reported = face_axes = face_reported = None
    if fit is not None:
        pose_axes, pose_reported = _corrected(view, fit.axes, corrections.pose)
    if face_axes_raw is not None:
        face_axes, face_reported = _corrected(view, face_axes_raw, corrections.face)
    # A reading no neck can take is a failure of that model, not a pose.
    if pose_axes is not None and not _humanly_possible(pose_axes, view):
        pose_axes = None
    if face_axes is not None and not _humanly_possible(face_axes, view):
        face_axes = None
    face_seen = face_axes
    rejected = bool(face_axes is not None and pose_axes is not None
                    and rotation_angle_deg(face_axes, pose_axes) > FACE_MAX_DISAGREEMENT_DEG)
    return _Orientations(None if rejected else face_axes, pose_axes, face_reported, pose_reported,
                         face_seen, rejected)


def _confidence(head_used: np.ndarray, fit, face_used: bool, body_vis: float, plausible: bool) -> float:
    """Visibility of what was used, times how well the head model fits the points."""
    head_vis = float(np.clip(head_used[:, 3], 0.0, 1.0).mean()) if len(head_used) else 0.0
    fit_quality = 0.0
    if fit is not None:
        fit_quality = float(np.clip(1.0 - fit.rms_px / (FIT_RMS_MAX_HEADS * max(fit.head_px, 1.0)), 0.0, 1.0))
    if face_used:
        fit_quality, head_vis = max(fit_quality, 0.95), max(head_vis, 0.95)
    return float(np.clip(body_vis * head_vis * fit_quality * (1.0 if plausible else 0.3), 0.0, 1.0))


def forward_m(neck_w: np.ndarray, torso: np.ndarray, head: np.ndarray) -> float:
    """The neck pivot in front of the shoulder midpoint along the torso's forward axis (metres).

    Using the pivot (below the ears) rather than the ears keeps nodding from reading as a tuck.
    """
    pivot_w = neck_w - NECK_PIVOT_BELOW_EARS_M * head[:, 1]
    return float(pivot_w @ torso[:, 2])


def _angles(rotation: np.ndarray, retraction_cm: float, m: HeadMeasurement) -> HeadAngles:
    yaw, roll, pitch = head_rotation_angles(rotation)
    return HeadAngles(yaw, roll, pitch, retraction_cm, m.confidence, m.tracking)


def lost_angles(m: HeadMeasurement) -> HeadAngles:
    """The angles of a measurement that is not OK: NaN, with its confidence and the reason."""
    return HeadAngles(_NAN, _NAN, _NAN, _NAN, m.confidence, m.tracking)


def head_angles(frame: PoseFrame, use_face: bool = True, *, reference: Reference = "torso",
                corrections: Corrections = MEASURED) -> HeadAngles:
    """Head angles of one frame: no smoothing, no calibration, no history.

    With no history the torso is taken to face the camera (its turn is measured against a
    reference pose, which only `HeadTracker` has); its roll comes from the shoulder line.
    Retraction is relative to the typical upright head position (EAR_FORWARD_OF_SHOULDERS_M).

    Args:
        frame: One frame of landmarks.
        use_face: Use the face matrix when the frame has one (else pose landmarks only).
        reference: ``"torso"`` (the default) or ``"camera"`` (retraction is then NaN).
        corrections: See `measure`.

    Returns:
        `HeadAngles`; NaN angles with the reason in ``tracking`` when not OK.
    """
    m = measure(frame, use_face, reference=reference, corrections=corrections)
    if not m.ok:
        return lost_angles(m)
    head = m.head_axes
    assert head is not None and m.view_axes is not None  # an OK measurement has both
    if reference == "camera":
        return _angles(MP_TO_GL.T @ head, _NAN, m)
    assert m.neck_w is not None  # and, relative to the torso, the neck
    retraction_cm = (EAR_FORWARD_OF_SHOULDERS_M - forward_m(m.neck_w, m.view_axes, head)) * 100.0
    return _angles(m.view_axes.T @ head, retraction_cm, m)
