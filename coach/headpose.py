"""Torso-relative head angles from landmarks. Pure numpy: no mediapipe, no cv2, no clock.

CONTRACT (the types below are used by the engine, overlay and CLI; keep their fields):
landmarks (`coach.landmarks.PoseFrame`) go in, `HeadAngles` comes out, relative to a torso frame
built from the shoulders (hips are often out of frame). Sign conventions (DESIGN.md):
yaw > 0 head turned to the person's RIGHT; roll > 0 right ear toward right shoulder;
pitch > 0 flexion (chin down); retraction_cm > 0 head moved straight back.

How one frame is measured (`measure`; every number was measured on the real models):

1. **Head orientation, as the models report it** (`coach.headfit`): the face matrix, and a head
   model fitted to the pose model's image landmarks.
2. **Their response undone** (`coach.correction`): each source's reported angles, relative to
   the view frame (the camera rolled with the shoulder line), are mapped to true angles by a
   fit to rendered humans with exact head angles. This fixes the face model's chin-down
   under-read and the pose fit's under-read near profile.
3. **Which source**: the face, unless it is missing or implausible: more than
   `FACE_MAX_DISAGREEMENT_DEG` from the pose estimate (near profile the face model sometimes
   returns an orientation 80-160 deg off).
4. **Relative to the torso** (`coach.torso`): the shoulder line gives roll; the trunk's yaw
   comes from the shoulders' foreshortening against a reference (the tracker's), not from the
   world landmarks' depth, which turns with the head.

`HeadTracker` adds what needs time (``frame.t_ms``, never a clock): a face that jumps is
rejected, the face-to-pose offset learned just before the face is lost keeps the angles
continuous through profile, the torso's yaw against its reference is smoothed far more than the
head (shoulders move slowly), the neutral calibration (only from a plausible neutral) and One
Euro smoothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

import numpy as np

from coach.correction import MEASURED, NO_CORRECTION, Corrections
from coach.filters import FilterFactory, one_euro, pass_through
from coach.headfit import HEAD_MODEL_M, face_head_axes, pose_head_axes
from coach.landmarks import NUM_POSE_LANDMARKS, Landmark, PoseFrame
from coach.rotations import (
    MP_TO_GL,
    axis_rotation,
    head_rotation,
    head_rotation_angles,
    nearest_rotation,
    rotation_angle_deg,
    rotation_from_vector,
)
from coach.torso import Shoulders, foreshortening_yaw_deg, torso_axes

__all__ = ["HEAD_MODEL_M", "HeadAngles", "HeadMeasurement", "HeadTracker", "Reference", "Tracking",
           "axis_rotation", "head_angles", "head_rotation", "head_rotation_angles", "measure",
           "rotation_from_vector"]

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
        """True when the angles can be used for coaching."""
        return self.tracking is Tracking.OK


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
#: Below this confidence the angles are reported as `Tracking.LOW_CONFIDENCE`.
MIN_CONFIDENCE = 0.5
#: The head model's fit quality falls to 0 at this RMS reprojection error, in head widths.
#: Correct fits on the renders reach 0.08 head widths (5.7 px of 75) in the hardest combined
#: poses; the cartoon "people" are rejected by their body shape, not by this.
FIT_RMS_MAX_HEADS = 0.2
#: Plausible (shoulder midpoint - ear midpoint) distance along the torso's up axis, as a
#: fraction of the shoulder width, in the image. Real people: 0.48-0.67 (real clips), renders
#: 0.45-0.74; the "people" the pose model finds in the cartoon part of the webcam clip: -0.05-0.3.
NECK_HEIGHT_RANGE = (0.35, 1.1)
#: The face is not used when it is this far from the (corrected) pose estimate: near profile
#: the face model sometimes returns an orientation 80-160 deg off. Good faces on the renders
#: are within 22 deg of the pose estimate, 35 on the real clips' fast turns.
FACE_MAX_DISAGREEMENT_DEG = 40.0
#: ... or when it jumps by more than this between two frames less than FACE_JUMP_WINDOW_S apart
#: while the pose estimate moved less than half as much (a head turns at most ~300 deg/s).
FACE_MAX_JUMP_DEG = 30.0
FACE_JUMP_WINDOW_S = 0.25
#: The head turns about the top of the neck, a little below the ear canals.
NECK_PIVOT_BELOW_EARS_M = 0.03
#: Typical world-landmark offset of the ear midpoint in front of the shoulder midpoint, sitting
#: upright (webcam clip: 8.5 cm, astronaut: 8.4 cm); uncalibrated retraction is relative to it.
EAR_FORWARD_OF_SHOULDERS_M = 0.085
#: One Euro smoothing of the output angles. At rest the face path jitters only ~0.07 deg, so the
#: cut-off is set by slow drift and lag: 0.5 Hz at rest, opening by 0.02 Hz per deg/s (2.5 Hz at
#: 100 deg/s; a 45 deg step is 90% through in 0.07 s). Webcam clip at rest, every frame: std
#: yaw/roll/pitch 0.28/0.11/0.45 deg (1 Hz, beta 0.05: 0.31/0.15/0.53; the person nods ~2 deg).
SMOOTH_MIN_CUTOFF_HZ = 0.5
SMOOTH_BETA = 0.02
#: The torso's yaw is low-passed at this cut-off (time constant ~0.5 s): shoulders move slowly,
#: and the model's shoulders jitter with every head movement.
TORSO_CUTOFF_HZ = 0.3
#: Time constant of the face-to-pose offset average used when the face is lost.
FACE_OFFSET_TAU_S = 1.0
#: A neutral is only accepted when the raw torso-relative head is within these (degrees) of
#: straight ahead. Pitch is wider because a laptop camera looks up at the face: the raw pitch
#: of people looking at their screen was -10..+3 on the real clips.
NEUTRAL_MAX_YAW_DEG = 12.0
NEUTRAL_MAX_ROLL_DEG = 10.0
NEUTRAL_MAX_PITCH_DEG = 20.0
#: What the calibration screen says while the head is not at a plausible neutral.
LOOK_STRAIGHT_AHEAD = "Look straight ahead: face the screen, head level"
#: Landmark coordinates beyond these are garbage, not a pose (normalised image units, metres).
_MAX_ABS_IMAGE = 4.0
_MAX_ABS_WORLD_M = 3.0

_HEAD_IDS = np.arange(11)
_SHOULDERS = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
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
            frames, whose landmarks are ideal).
    """
    if not _valid_arrays(frame):
        return _fail(Tracking.NO_PERSON)
    lm = np.asarray(frame.landmarks, dtype=float)
    wl = np.asarray(frame.world_landmarks, dtype=float)
    frame = replace(frame, landmarks=lm, world_landmarks=wl)
    if frame.synthetic:
        # Ideal landmarks follow the head exactly: there is no model response to undo.
        corrections = NO_CORRECTION
    size = np.array([frame.width, frame.height], dtype=float)
    torso_ref = reference == "torso"

    head = lm[_HEAD_IDS]
    head_ok = np.all(np.isfinite(head), axis=1) & (head[:, 3] >= HEAD_MIN_VISIBILITY)
    face_axes_raw = face_head_axes(frame.face_matrix) if use_face else None
    ears_ok = head_ok[Landmark.LEFT_EAR] or head_ok[Landmark.RIGHT_EAR]
    pose_head_seen = head_ok[Landmark.NOSE] and ears_ok and np.count_nonzero(head_ok) >= 5

    sh = lm[_SHOULDERS]
    sh_finite = bool(np.all(np.isfinite(sh)) and np.all(np.isfinite(wl[_SHOULDERS])))
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
    world_ids = sorted(set(_HEAD_IDS[head_ok]) | (set(_EARS) | set(_SHOULDERS) if torso_ref else set()))
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

    plausible = True
    if torso_ref:
        # Body plausibility: the ears must sit well above the shoulder line (cartoon "people"
        # the pose model finds have them at shoulder height).
        ear_vis = lm[_EARS, 3]
        ear_px = lm[_EARS, :2] * size
        ear_mid_px = ear_px[np.argmax(ear_vis)] if ear_vis.min() < HEAD_MIN_VISIBILITY else ear_px.mean(axis=0)
        sh_mid_px = (sh[:, :2] * size).mean(axis=0)
        up_img = np.array([view[0, 1], view[1, 1]])  # torso up in image x, y (y down)
        up_img = up_img / (np.linalg.norm(up_img) or 1.0)
        neck = float((ear_mid_px - sh_mid_px) @ up_img) / shoulders.span_px
        plausible = NECK_HEIGHT_RANGE[0] <= neck <= NECK_HEIGHT_RANGE[1]

    pose_axes = pose_reported = face_axes = face_reported = None
    if fit is not None:
        pose_axes, pose_reported = _corrected(view, fit.axes, corrections.pose)
    if face_axes_raw is not None:
        face_axes, face_reported = _corrected(view, face_axes_raw, corrections.face)
    rejected = (face_axes is not None and pose_axes is not None
                and rotation_angle_deg(face_axes, pose_axes) > FACE_MAX_DISAGREEMENT_DEG)
    if rejected:
        face_axes = None
    if face_axes is None and pose_axes is None:
        return _fail(Tracking.LOW_CONFIDENCE, 0.2)

    # Confidence: visibility of what was used, times how well the head model fits the points.
    head_vis = float(np.clip(head[head_ok, 3], 0.0, 1.0).mean()) if head_ok.any() else 0.0
    fit_quality = 0.0
    if fit is not None:
        fit_quality = float(np.clip(1.0 - fit.rms_px / (FIT_RMS_MAX_HEADS * max(fit.head_px, 1.0)), 0.0, 1.0))
    if face_axes is not None:
        fit_quality, head_vis = max(fit_quality, 0.95), max(head_vis, 0.95)
    body = sh_vis if torso_ref else 1.0
    confidence = float(np.clip(body * head_vis * fit_quality * (1.0 if plausible else 0.3), 0.0, 1.0))
    neck_w = (wl[_EARS].mean(axis=0) - wl[_SHOULDERS].mean(axis=0)) if torso_ref else None

    tracking = Tracking.OK if confidence >= MIN_CONFIDENCE else Tracking.LOW_CONFIDENCE
    return HeadMeasurement(tracking=tracking, confidence=confidence, view_axes=view,
                           face_axes=face_axes, pose_axes=pose_axes, face_reported=face_reported,
                           pose_reported=pose_reported, face_rejected=bool(rejected),
                           shoulders=shoulders, head_px=float(head_px), neck_w=neck_w)


def forward_m(neck_w: np.ndarray, torso: np.ndarray, head: np.ndarray) -> float:
    """The neck pivot in front of the shoulder midpoint along the torso's forward axis (metres).

    Using the pivot (below the ears) rather than the ears keeps nodding from reading as a tuck.
    """
    pivot_w = neck_w - NECK_PIVOT_BELOW_EARS_M * head[:, 1]
    return float(pivot_w @ torso[:, 2])


def _angles(rotation: np.ndarray, retraction_cm: float, m: HeadMeasurement) -> HeadAngles:
    yaw, roll, pitch = head_rotation_angles(rotation)
    return HeadAngles(yaw, roll, pitch, retraction_cm, m.confidence, m.tracking)


def _lost(m: HeadMeasurement) -> HeadAngles:
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
        return _lost(m)
    if reference == "camera":
        return _angles(MP_TO_GL.T @ m.head_axes, _NAN, m)
    retraction_cm = (EAR_FORWARD_OF_SHOULDERS_M - forward_m(m.neck_w, m.view_axes, m.head_axes)) * 100.0
    return _angles(m.view_axes.T @ m.head_axes, retraction_cm, m)


def plausible_neutral(rotation: np.ndarray) -> bool:
    """True when a raw torso-relative head rotation is close enough to straight ahead."""
    yaw, roll, pitch = head_rotation_angles(rotation)
    return abs(yaw) <= NEUTRAL_MAX_YAW_DEG and abs(roll) <= NEUTRAL_MAX_ROLL_DEG and abs(pitch) <= NEUTRAL_MAX_PITCH_DEG


# -- over time -----------------------------------------------------------------------------------------


class HeadTracker:
    """Smoothed, optionally neutral-calibrated head angles from a stream of frames.

    Calibration collects ``calibration_s`` of STEADY frames at a PLAUSIBLE neutral (every frame
    within ``steady_deg`` / ``steady_cm`` of the window's mean, and the raw torso-relative head
    within `NEUTRAL_MAX_YAW_DEG`, `NEUTRAL_MAX_ROLL_DEG` and `NEUTRAL_MAX_PITCH_DEG` of straight
    ahead; a move restarts the window and a turned head shows `calibration_hint`). It averages
    their rotations (projected back onto a rotation), pivot offsets and shoulder span ratio,
    and from then on reports ``R_neutral.T @ R`` (so yaw is measured about the neutral head's
    own up axis, not by subtracting Euler angles) and retraction relative to the neutral. The
    span ratio is the torso's reference: the trunk's turn is measured against it. Without
    calibration the same steady window still sets that reference (only that).

    Args:
        use_face: Use the face matrix when present (fused); False = pose landmarks only.
        smooth: One Euro smoothing of each output signal.
        calibrate: Collect a neutral; False reports raw torso-relative angles forever.
        calibration_s: Seconds of steady frames the neutral needs (> 0).
        filter_factory: Makes one filter per signal (default One Euro, see SMOOTH_MIN_CUTOFF_HZ).
        steady_deg: Largest rotation from the window's mean that still counts as steady (> 0).
        steady_cm: Largest retraction change that still counts as steady (> 0). The real
            model's head-to-shoulder depth wanders +-0.8 cm at rest (webcam clip), so 1.5.
        max_dropout_s: Tracking lost for longer than this restarts a calibration in progress.
        reference: ``"torso"`` (default) or ``"camera"``: angles relative to the camera (no
            torso, no retraction; calibration then works relative to the camera too).
        corrections: The models' response to undo (see `measure`).

    Raises:
        ValueError: a parameter is out of range (the message names the range).
    """

    def __init__(self, *, use_face: bool = True, smooth: bool = True, calibrate: bool = True,
                 calibration_s: float = 2.0, filter_factory: FilterFactory | None = None,
                 steady_deg: float = 4.0, steady_cm: float = 1.5, max_dropout_s: float = 0.5,
                 reference: Reference = "torso", corrections: Corrections = MEASURED) -> None:
        for name, value in (("calibration_s", calibration_s), ("steady_deg", steady_deg),
                            ("steady_cm", steady_cm), ("max_dropout_s", max_dropout_s)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value}")
        if reference not in ("torso", "camera"):
            raise ValueError(f"reference must be 'torso' or 'camera', got {reference!r}")
        self.use_face = use_face
        self.calibrate = calibrate
        self.calibration_s = float(calibration_s)
        self.steady_deg = float(steady_deg)
        self.steady_cm = float(steady_cm)
        self.max_dropout_s = float(max_dropout_s)
        self.reference: Reference = reference
        self.corrections = corrections
        factory = filter_factory or (one_euro(SMOOTH_MIN_CUTOFF_HZ, SMOOTH_BETA) if smooth else pass_through())
        self._filters = [factory() for _ in range(4)]
        # The torso's yaw is always low-passed (it is a slow body signal, not an output).
        self._torso_filter = one_euro(TORSO_CUTOFF_HZ, 0.0, max_gap_s=2.0)()
        self._neutral_rot: np.ndarray | None = None
        self._neutral_forward_m = EAR_FORWARD_OF_SHOULDERS_M
        self._span_ratio_ref: float | None = None
        self._window: list[tuple[float, np.ndarray, float, float]] = []
        self._last_ok_s: float | None = None
        self._calibration_hint: str | None = None
        # Face-from-pose offset rotation, learned while both are seen, applied when the face is
        # lost (large yaw) so the angles do not jump between the two sources.
        self._face_offset: np.ndarray | None = None
        self._offset_t_s: float | None = None
        self._last_face: tuple[float, np.ndarray, np.ndarray] | None = None  # (t_s, face, pose)
        self._torso_yaw_deg = 0.0

    # -- calibration state --
    @property
    def calibrated(self) -> bool:
        """True once a neutral has been collected (or set)."""
        return self._neutral_rot is not None

    @property
    def calibration_progress(self) -> float:
        """0..1: how much of the steady calibration window has been collected."""
        if self.calibrated:
            return 1.0
        if len(self._window) < 2:
            return 0.0
        return min(1.0, (self._window[-1][0] - self._window[0][0]) / self.calibration_s)

    @property
    def calibration_hint(self) -> str | None:
        """What keeps the calibration from progressing, in words for the screen, or None.

        `LOOK_STRAIGHT_AHEAD` while the head is turned, tilted or nodded away from a plausible
        neutral. None once calibrated, or while the steady window is filling.
        """
        if self.calibrated:
            return None
        return self._calibration_hint

    @property
    def torso_yaw_deg(self) -> float:
        """The trunk's smoothed turn against its reference (> 0 to the person's right); 0
        before there is a reference or while it is within the foreshortening dead zone."""
        return self._torso_yaw_deg

    @property
    def calibration(self) -> dict | None:
        """The neutral as a JSON-serialisable dict (for history), or None before calibration."""
        if self._neutral_rot is None:
            return None
        yaw, roll, pitch = head_rotation_angles(self._neutral_rot)
        out = {
            "rotation": [[round(float(v), 6) for v in row] for row in self._neutral_rot],
            "forward_cm": round(self._neutral_forward_m * 100.0, 3),
            "yaw_deg": round(yaw, 2), "roll_deg": round(roll, 2), "pitch_deg": round(pitch, 2),
            "use_face": self.use_face,
        }
        if self._span_ratio_ref is not None:
            out["shoulder_span_heads"] = round(self._span_ratio_ref, 4)
        return out

    def set_calibration(self, calibration: dict) -> None:
        """Restore a neutral saved from `calibration`.

        Raises:
            ValueError: the dict has no valid 3x3 ``rotation`` or numeric ``forward_cm``.
        """
        try:
            rot = np.array(calibration["rotation"], dtype=float)
            forward_cm = float(calibration["forward_cm"])
            span_ref = calibration.get("shoulder_span_heads")
            span_ref = None if span_ref is None else float(span_ref)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError("calibration needs a 3x3 'rotation' and a number 'forward_cm'") from None
        if rot.shape != (3, 3) or not np.all(np.isfinite(rot)) or not math.isfinite(forward_cm):
            raise ValueError("calibration 'rotation' must be a finite 3x3 matrix")
        self._neutral_rot = nearest_rotation(rot)
        self._neutral_forward_m = forward_cm / 100.0
        self._span_ratio_ref = span_ref if span_ref is not None and span_ref > 0 else None
        self._window.clear()
        self._reset_filters()

    def recalibrate(self) -> None:
        """Forget the neutral (and the torso's reference) and start collecting a new one."""
        self._neutral_rot = None
        self._neutral_forward_m = EAR_FORWARD_OF_SHOULDERS_M
        self._span_ratio_ref = None
        self._torso_yaw_deg = 0.0
        self._torso_filter.reset()
        self._window.clear()
        self._calibration_hint = None
        self._reset_filters()

    def _reset_filters(self) -> None:
        for f in self._filters:
            f.reset()

    # -- per frame --
    def update(self, frame: PoseFrame) -> HeadAngles:
        """Feed one frame; return smoothed (and, once calibrated, neutral-relative) angles."""
        t_s = frame.t_ms / 1000.0
        m = measure(frame, self.use_face, reference=self.reference, corrections=self.corrections)
        if not m.ok:
            if self._window and self._last_ok_s is not None and t_s - self._last_ok_s > self.max_dropout_s:
                self._window.clear()
            return _lost(m)
        self._last_ok_s = t_s
        head = self._fused_head(m, t_s)
        if self.reference == "camera":
            rotation, forward = MP_TO_GL.T @ head, _NAN
        else:
            torso = self._torso(frame, m, t_s, head_rotation_angles(MP_TO_GL.T @ head)[0])
            rotation, forward = torso.T @ head, forward_m(m.neck_w, torso, head)
        if self._span_ratio_ref is None or (self.calibrate and not self.calibrated):
            self._collect(t_s, rotation, forward, m.span_ratio)
        rel = self._neutral_rot.T @ rotation if self._neutral_rot is not None else rotation
        retraction_cm = (self._neutral_forward_m - forward) * 100.0
        yaw, roll, pitch = head_rotation_angles(rel)
        values = [f(t_s, v) if math.isfinite(v) else v
                  for f, v in zip(self._filters, (yaw, roll, pitch, retraction_cm))]
        return HeadAngles(*values, confidence=m.confidence, tracking=m.tracking)

    def _torso(self, frame: PoseFrame, m: HeadMeasurement, t_s: float, head_yaw_deg: float) -> np.ndarray:
        """The torso's axes: the view frame turned by the trunk's smoothed yaw."""
        target = 0.0
        if self._span_ratio_ref is not None and math.isfinite(m.span_ratio):
            target = foreshortening_yaw_deg(m.span_ratio, self._span_ratio_ref, m.shoulders.depth_yaw_deg,
                                            head_yaw_deg)
        self._torso_yaw_deg = self._torso_filter(t_s, target)
        if abs(self._torso_yaw_deg) < 0.05:
            return m.view_axes
        turned = torso_axes(frame, m.shoulders, self._torso_yaw_deg)
        return m.view_axes if turned is None else turned

    def _fused_head(self, m: HeadMeasurement, t_s: float) -> np.ndarray:
        face, pose = m.face_axes, m.pose_axes
        if face is not None and pose is not None and self._last_face is not None:
            last_t, last_face, last_pose = self._last_face
            if t_s - last_t <= FACE_JUMP_WINDOW_S:
                jump = rotation_angle_deg(last_face, face)
                # A face that leaps while the pose estimate barely moves is the face model
                # losing the face, not the head moving.
                if jump > FACE_MAX_JUMP_DEG and rotation_angle_deg(last_pose, pose) < jump / 2.0:
                    face = None
        if face is not None and pose is not None:
            self._last_face = (t_s, face, pose)
            offset = face @ pose.T
            if self._face_offset is None or self._offset_t_s is None:
                self._face_offset = offset
            else:
                # A slow average (time constant FACE_OFFSET_TAU_S): the offset is a bias of the
                # pose fit against the face model, not a signal.
                dt_s = max(0.0, t_s - self._offset_t_s)
                weight = 1.0 - math.exp(-dt_s / FACE_OFFSET_TAU_S)
                self._face_offset = nearest_rotation((1.0 - weight) * self._face_offset + weight * offset)
            self._offset_t_s = t_s
            return face
        if face is not None:
            return face
        if self._face_offset is not None:
            return self._face_offset @ pose
        return pose

    def _collect(self, t_s: float, rotation: np.ndarray, forward: float, span_ratio: float) -> None:
        if not plausible_neutral(rotation):
            self._calibration_hint = LOOK_STRAIGHT_AHEAD
            self._window.clear()
            return
        self._calibration_hint = None
        if self._window:
            mean_rot = nearest_rotation(sum(r for _, r, _, _ in self._window))
            fwd = [f for _, _, f, _ in self._window if math.isfinite(f)]
            moved_cm = abs(forward - float(np.mean(fwd))) * 100.0 if fwd and math.isfinite(forward) else 0.0
            if rotation_angle_deg(mean_rot, rotation) > self.steady_deg or moved_cm > self.steady_cm:
                self._window.clear()  # moved: start the steady window again
        self._window.append((t_s, rotation, forward, span_ratio))
        if self._window[-1][0] - self._window[0][0] < self.calibration_s or len(self._window) < 5:
            return
        ratios = [s for _, _, _, s in self._window if math.isfinite(s)]
        if ratios:
            self._span_ratio_ref = float(np.median(ratios))
        if self.calibrate:
            self._neutral_rot = nearest_rotation(sum(r for _, r, _, _ in self._window))
            fwd = [f for _, _, f, _ in self._window if math.isfinite(f)]
            self._neutral_forward_m = float(np.mean(fwd)) if fwd else EAR_FORWARD_OF_SHOULDERS_M
            # The reference just changed: do not smooth across the jump.
            self._reset_filters()
        self._window.clear()
