"""Torso-relative head angles from landmarks. Pure numpy: no mediapipe, no cv2, no clock.

CONTRACT (the types below are used by the engine, overlay and CLI; keep their fields):
landmarks (`coach.landmarks.PoseFrame`) go in, `HeadAngles` comes out, relative to a torso frame
built from the shoulders (hips are often out of frame). Sign conventions (DESIGN.md):
yaw > 0 head turned to the person's RIGHT; roll > 0 right ear toward right shoulder;
pitch > 0 flexion (chin down); retraction_cm > 0 head moved straight back.

One frame is measured by `coach.angles.headframe` (re-exported here: `measure`, `head_angles`,
`HeadAngles`, `Tracking`, ...): the face matrix or the head fitted to the pose landmarks, the
models' measured response undone (`coach.angles.correction`), relative to the shoulders (`coach.angles.torso`).
Every number there and here was measured on the real models.

`HeadTracker` adds what needs time (``frame.t_ms``, never a clock): the face and the pose fit
fused for this person (`coach.angles.fusion`: the face judged against the person's own face-to-pose
offset, a face that jumps rejected, the offset learned just before the face is lost keeping
the angles continuous through profile, a change of source faded in), the trunk's yaw from the
shoulders' foreshortening against a reference while the head faces the camera
(`coach.angles.torso.TrunkYaw`; not from the world landmarks' depth, which turns with the head),
smoothed far more than the head (shoulders move slowly), the neutral calibration
(only from a plausible neutral) and One Euro smoothing.
"""

from __future__ import annotations

import math

import numpy as np

from coach.angles.correction import MEASURED, Corrections
from coach.angles.filters import FilterFactory, one_euro, pass_through
from coach.angles.fusion import FACE_JUMP_WINDOW_S, FACE_MAX_JUMP_DEG, FaceFusion  # noqa: F401  (re-exported)
from coach.angles.headfit import (
    ASSUMED_HFOV_DEG,  # noqa: F401  (re-exported)
    HEAD_MODEL_M,  # noqa: F401  (re-exported)
)
from coach.angles.headframe import (  # noqa: F401  (re-exported: the head-angle stage's public API)
    EAR_FORWARD_OF_SHOULDERS_M,
    FACE_MAX_DISAGREEMENT_DEG,
    HeadAngles,
    HeadMeasurement,
    Reference,
    Tracking,
    forward_m,
    head_angles,
    lost_angles,
    measure,
)
from coach.angles.retraction import FaceDistanceNeutral, face_distance_cm
from coach.angles.torso import TorsoCues, TrunkYaw, torso_axes
from coach.landmarks import PoseFrame
from coach.rotations import (  # noqa: F401  (re-exported)
    MP_TO_GL,
    axis_rotation,
    head_rotation,
    head_rotation_angles,
    nearest_rotation,
    rotation_angle_deg,
    rotation_from_vector,
)

__all__ = ["HEAD_MODEL_M", "HeadAngles", "HeadMeasurement", "HeadTracker", "Reference", "Tracking",
           "axis_rotation", "head_angles", "head_rotation", "head_rotation_angles", "measure",
           "plausible_neutral", "rotation_from_vector"]

_NAN = float("nan")

#: One Euro smoothing of the output angles. At rest the face path jitters only ~0.07 deg, so the
#: cut-off is set by slow drift and lag: 0.5 Hz at rest, opening by 0.02 Hz per deg/s (2.5 Hz at
#: 100 deg/s; a 45 deg step is 90% through in 0.07 s). Webcam clip at rest, every frame: std
#: yaw/roll/pitch 0.28/0.11/0.45 deg (1 Hz, beta 0.05: 0.31/0.15/0.53; the person nods ~2 deg).
SMOOTH_MIN_CUTOFF_HZ = 0.5
SMOOTH_BETA = 0.02
#: The torso's yaw is low-passed at this cut-off (time constant ~0.5 s): shoulders move slowly,
#: and the model's shoulders jitter with every head movement.
TORSO_CUTOFF_HZ = 0.3
#: A neutral is only accepted when the raw torso-relative head is within these (degrees) of
#: straight ahead. Pitch is wider because a laptop camera looks up at the face: the raw pitch
#: of people looking at their screen was -10..+3 on the real clips, and a phone on a table below
#: the eyes reads a level head -11..-19 at his still moments (sagor_lateral_flexion_seated.mp4,
#: face model); a nod of 25 (the renders) must still be refused.
NEUTRAL_MAX_YAW_DEG = 12.0
NEUTRAL_MAX_ROLL_DEG = 10.0
NEUTRAL_MAX_PITCH_DEG = 22.0
#: Calibration judges stillness on the reading averaged over its last STEADY_SMOOTH_S, not on
#: each frame: a person who talks while holding still moves the face matrix with the jaw (the
#: pose-only fit does not show it), steps of ~5 deg in pitch lasting ~1 s
#: (noddingpigeon_head_stationary.mp4: frame deviation max 4.5 against a limit of 4, so two
#: restarts and 3.8 s to calibrate). A single frame may still stray no further than
#: STEADY_FRAME_FACTOR x ``steady_deg``, so a head that turns restarts the window at once.
STEADY_SMOOTH_S = 0.5  # at most a quarter of ``calibration_s``
STEADY_FRAME_FACTOR = 2.0
#: What the calibration screen says (under "Look straight ahead...") while the head is not at a
#: plausible neutral.
LOOK_STRAIGHT_AHEAD = "Your head is turned or tilted: face the screen, head level"


def plausible_neutral(rotation: np.ndarray) -> bool:
    """True when a raw torso-relative head rotation is close enough to straight ahead."""
    yaw, roll, pitch = head_rotation_angles(rotation)
    return abs(yaw) <= NEUTRAL_MAX_YAW_DEG and abs(roll) <= NEUTRAL_MAX_ROLL_DEG and abs(pitch) <= NEUTRAL_MAX_PITCH_DEG


# -- over time -----------------------------------------------------------------------------------------


class HeadTracker:
    """Smoothed, optionally neutral-calibrated head angles from a stream of frames.

    Calibration collects ``calibration_s`` of STEADY frames at a PLAUSIBLE neutral (the reading
    averaged over the last half second within ``steady_deg`` of the window's mean, no frame
    twice as far, every frame within ``steady_cm``, and the raw torso-relative head
    within `NEUTRAL_MAX_YAW_DEG`, `NEUTRAL_MAX_ROLL_DEG` and `NEUTRAL_MAX_PITCH_DEG` of straight
    ahead; a move restarts the window and a turned head shows `calibration_hint`). It averages
    their rotations (projected back onto a rotation), pivot offsets and torso cues
    (`coach.angles.torso.TorsoCues`: shoulder span, distance, ears across the shoulders),
    and from then on reports ``R_neutral.T @ R`` (so yaw is measured about the neutral head's
    own up axis, not by subtracting Euler angles) and retraction relative to the neutral. The
    torso cues are the torso's reference: the trunk's turn is measured against it. Without
    calibration the same steady window still sets that reference (only that).

    Args:
        use_face: Use the face matrix when present (fused); False = pose landmarks only.
        smooth: One Euro smoothing of each output signal.
        calibrate: Collect a neutral; False reports raw torso-relative angles forever.
        calibration_s: Seconds of steady frames the neutral needs (> 0).
        filter_factory: Makes one filter per signal (default One Euro, see SMOOTH_MIN_CUTOFF_HZ).
        steady_deg: Largest rotation from the window's mean that still counts as steady (> 0),
            of the reading averaged over its last `STEADY_SMOOTH_S`; one frame may stray
            `STEADY_FRAME_FACTOR` times as far.
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
        self._torso_ref: TorsoCues | None = None
        self._trunk: TrunkYaw | None = None
        self._window: list[tuple[float, np.ndarray, float, TorsoCues | None]] = []
        self._last_ok_s: float | None = None
        self._calibration_hint: str | None = None
        # Face and pose fused with this person's face-to-pose offset (`coach.angles.fusion`).
        self._fusion = FaceFusion()
        self._torso_yaw_deg = 0.0
        # Retraction from the face's distance (coach.angles.retraction); the world landmarks' depth
        # (forward_m) is only the fallback without a face: it does not see a tuck (measured).
        self._face_distance = FaceDistanceNeutral()

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
        if self._torso_ref is not None:
            out["torso_reference"] = {k: round(float(v), 5) for k, v in vars(self._torso_ref).items()
                                      if k != "arms_down" and math.isfinite(v)}
        return out

    def set_calibration(self, calibration: dict) -> None:
        """Restore a neutral saved from `calibration`.

        Raises:
            ValueError: the dict has no valid 3x3 ``rotation`` or numeric ``forward_cm``.
        """
        try:
            rot = np.array(calibration["rotation"], dtype=float)
            forward_cm = float(calibration["forward_cm"])
            torso_ref = calibration.get("torso_reference")
            torso_ref = None if torso_ref is None else TorsoCues(
                float(torso_ref["span_px"]), float(torso_ref.get("scale", _NAN)),
                float(torso_ref.get("head_px", _NAN)), float(torso_ref.get("ear_offset_heads", _NAN)),
                float(torso_ref.get("lowest_y", 0.5)), elbow_spread=float(torso_ref.get("elbow_spread", _NAN)))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError("calibration needs a 3x3 'rotation' and a number 'forward_cm'") from None
        if rot.shape != (3, 3) or not np.all(np.isfinite(rot)) or not math.isfinite(forward_cm):
            raise ValueError("calibration 'rotation' must be a finite 3x3 matrix")
        self._neutral_rot = nearest_rotation(rot)
        self._neutral_forward_m = forward_cm / 100.0
        self._set_torso_reference(torso_ref if torso_ref is not None and torso_ref.span_px > 0 else None)
        self._window.clear()
        self._reset_filters()

    def recalibrate(self) -> None:
        """Forget the neutral (and the torso's reference) and start collecting a new one."""
        self._neutral_rot = None
        self._neutral_forward_m = EAR_FORWARD_OF_SHOULDERS_M
        self._set_torso_reference(None)
        self._torso_yaw_deg = 0.0
        self._torso_filter.reset()
        self._face_distance.reset()
        self._window.clear()
        self._calibration_hint = None
        self._fusion.release()
        self._reset_filters()

    def _set_torso_reference(self, reference: TorsoCues | None) -> None:
        self._torso_ref = reference
        self._trunk = TrunkYaw(reference) if reference is not None else None

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
            return lost_angles(m)
        self._last_ok_s = t_s
        head = self._fusion.head(m, t_s)
        if self._neutral_rot is not None and not self._fusion.anchored:
            self._fusion.anchor()  # hold the person's face-to-pose offset near the neutral's
        distance_cm = (face_distance_cm(frame.face_matrix, frame.width, frame.height, ASSUMED_HFOV_DEG)
                       if m.face_axes is not None and self.reference == "torso" else _NAN)
        cues = None
        if self.reference == "camera":
            rotation, forward = MP_TO_GL.T @ head, _NAN
        else:
            assert m.neck_w is not None and m.shoulders is not None  # an OK torso measurement has them
            cues = TorsoCues.from_frame(frame, m.shoulders, m.head_px, distance_cm)
            torso = self._torso(frame, m, t_s, head, cues)
            rotation, forward = torso.T @ head, forward_m(m.neck_w, torso, head)
        self._face_distance.add(t_s, distance_cm)
        if self._torso_ref is None or (self.calibrate and not self.calibrated):
            self._collect(t_s, rotation, forward, cues)
        rel = self._neutral_rot.T @ rotation if self._neutral_rot is not None else rotation
        retraction_cm = self._face_distance.retraction_cm(distance_cm)
        if not math.isfinite(retraction_cm):
            retraction_cm = (self._neutral_forward_m - forward) * 100.0
        yaw, roll, pitch = head_rotation_angles(rel)
        yaw, roll, pitch, retraction_cm = (f(t_s, v) if math.isfinite(v) else v
                                           for f, v in zip(self._filters, (yaw, roll, pitch, retraction_cm)))
        return HeadAngles(yaw, roll, pitch, retraction_cm, confidence=m.confidence, tracking=m.tracking)

    def _torso(self, frame: PoseFrame, m: HeadMeasurement, t_s: float, head: np.ndarray,
               cues: TorsoCues) -> np.ndarray:
        """The torso's axes: the view frame turned by the trunk's smoothed yaw."""
        assert m.view_axes is not None and m.shoulders is not None  # an OK torso measurement
        target = 0.0
        if self._trunk is not None:
            # The head against its neutral in the (rolled) camera frame: how far the model's
            # shoulders can be trusted, and the head's own share of the ears' shift.
            neutral = self._neutral_rot if self._neutral_rot is not None else np.eye(3)
            in_view = m.view_axes.T @ head
            yaw, roll, pitch = head_rotation_angles(neutral.T @ in_view)
            target = self._trunk.update(cues, rotation_angle_deg(neutral, in_view), yaw, math.hypot(roll, pitch),
                                        ideal=frame.synthetic, t_s=t_s)
        self._torso_yaw_deg = self._torso_filter(t_s, target)
        if abs(self._torso_yaw_deg) < 0.05:
            return m.view_axes
        turned = torso_axes(frame, m.shoulders, self._torso_yaw_deg)
        return m.view_axes if turned is None else turned

    def _collect(self, t_s: float, rotation: np.ndarray, forward: float, cues: TorsoCues | None) -> None:
        if not plausible_neutral(rotation):
            self._calibration_hint = LOOK_STRAIGHT_AHEAD
            self._window.clear()
            return
        self._calibration_hint = None
        if self._window:
            mean_rot = nearest_rotation(np.sum([r for _, r, _, _ in self._window], axis=0))
            fwd = [f for _, _, f, _ in self._window if math.isfinite(f)]
            moved_cm = abs(forward - float(np.mean(fwd))) * 100.0 if fwd and math.isfinite(forward) else 0.0
            # Averaged over at most a quarter of the window: a short window (0.3 s) is judged
            # nearly frame by frame, or its average would let a moving head through.
            smooth_s = min(STEADY_SMOOTH_S, self.calibration_s / 4.0)
            recent = [r for t, r, _, _ in self._window if t_s - t < smooth_s]
            smoothed = nearest_rotation(np.sum([*recent, rotation], axis=0))
            moved_deg = rotation_angle_deg(mean_rot, smoothed)
            frame_deg = rotation_angle_deg(mean_rot, rotation)
            if (moved_deg > self.steady_deg or frame_deg > STEADY_FRAME_FACTOR * self.steady_deg
                    or moved_cm > self.steady_cm):
                self._window.clear()  # moved: start the steady window again
        self._window.append((t_s, rotation, forward, cues))
        if self._window[-1][0] - self._window[0][0] < self.calibration_s or len(self._window) < 5:
            return
        reference = TorsoCues.median([c for _, _, _, c in self._window if c is not None])
        if reference is not None:
            self._set_torso_reference(reference)
        if self.calibrate:
            self._neutral_rot = nearest_rotation(np.sum([r for _, r, _, _ in self._window], axis=0))
            fwd = [f for _, _, f, _ in self._window if math.isfinite(f)]
            self._neutral_forward_m = float(np.mean(fwd)) if fwd else EAR_FORWARD_OF_SHOULDERS_M
            self._face_distance.calibrate(self._window[0][0])
            # The reference just changed: do not smooth across the jump.
            self._reset_filters()
        self._window.clear()
