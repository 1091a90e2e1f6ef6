"""The per-frame coaching chain, shared by `coach replay` and the live session.

    PoseFrame -> HeadTracker (calibrated, smoothed angles) -> BodyFeatures -> Engine -> events

Keeping the chain in one class means the live coach, the headless run, the demo and the replay
of a recorded log make exactly the same decisions from the same landmarks.

Pure numpy: no mediapipe, no cv2, no clock (times come from the frames or the caller).
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from collections.abc import Iterable, Mapping

from coach.body import BodyFeatures, BodyNeutral
from coach.engine import Engine, EngineConfig, EngineView, Event
from coach.exercise import Exercise
from coach.headpose import HeadAngles, HeadTracker
from coach.landmarks import PoseFrame
from coach.report import build_report

#: How much body history is kept while the head calibrates; the body's neutral is the median
#: of these frames, i.e. of the same steady seconds the head calibration uses.
BODY_CALIBRATION_S = 2.5


class Coach:
    """Landmarks in, coaching events out, for one exercise at a time.

    Two ways to drive it:

    * ``coach.process(frame)`` - everything for one frame (what `coach replay` does);
    * ``coach.update(frame, t_ms)`` then ``coach.step(t_ms)`` - the live session, which runs the
      tracker on every frame but the engine only while an exercise is being coached, on its own
      pause-free clock.

    Example:
        >>> coach = Coach(load_exercise("neck-rotation"), use_face=False)
        >>> for frame in read_log("session.jsonl"):
        ...     coach.process(frame)
        >>> report = coach.section()
    """

    def __init__(
        self,
        exercise: Exercise | None = None,
        *,
        tracker: HeadTracker | None = None,
        use_face: bool = True,
        targets: Mapping[str, float] | None = None,
        engine_config: EngineConfig | None = None,
    ) -> None:
        """Create the chain.

        Args:
            exercise: The exercise to coach first (``None``: call `start` later).
            tracker: A head tracker to use (default: a calibrating, smoothing `HeadTracker`).
            use_face: Use the face matrix when the frames carry one (default tracker only).
            targets: Personal target thresholds for ``exercise`` (see `Engine`).
            engine_config: Engine timing overrides.
        """
        self.tracker = tracker if tracker is not None else HeadTracker(use_face=use_face)
        self._engine_config = engine_config
        self._body_window: deque[tuple[int, BodyFeatures]] = deque()
        self._body_neutral: BodyNeutral | None = None
        self._angles: HeadAngles | None = None
        self._body: BodyFeatures | None = None
        self._frame_t_ms: int | None = None
        self.engine: Engine | None = None
        self.events: list[Event] = []
        self._t0_ms: int | None = None
        self._last_ms: int | None = None
        if exercise is not None:
            self.start(exercise, targets=targets)

    # -- exercise control --------------------------------------------------------------------------

    def start(self, exercise: Exercise, t_ms: int | None = None, *, targets: Mapping[str, float] | None = None) -> None:
        """Begin coaching ``exercise`` (keeps the calibration); its report starts empty."""
        self.engine = Engine(exercise, targets=targets, config=self._engine_config)
        self.events = []
        self._t0_ms = t_ms
        self._last_ms = None

    def targets(self) -> dict[str, float]:
        """The target thresholds in use, per axis."""
        if self.engine is None:
            return {}
        return {t.axis: t.threshold for t in self.engine.exercise.targets}

    def recalibrate(self) -> None:
        """Measure the neutral pose again (the rep in progress is abandoned)."""
        self.tracker.recalibrate()
        self._body_neutral = None
        self._body_window.clear()
        if self.engine is not None and self._last_ms is not None:
            # Angles change reference with the new neutral: a hold measured against the old one
            # must not continue (the engine may not be stepped while the session calibrates).
            self.events += self.engine.reset_rep(self._last_ms)

    def reset_rep(self, t_ms: int) -> list[Event]:
        """Abandon the rep in progress (after a pause); returns the resulting events."""
        if self.engine is None:
            return []
        events = self.engine.reset_rep(t_ms)
        self.events += events
        return events

    def skip(self, t_ms: int) -> list[Event]:
        """End the current exercise now."""
        if self.engine is None:
            return []
        events = self.engine.skip(t_ms)
        self.events += events
        return events

    # -- per frame ---------------------------------------------------------------------------------

    def update(self, frame: PoseFrame, t_ms: int | None = None) -> HeadAngles:
        """Run the tracker and the body features on one frame; return the head angles.

        Args:
            frame: The frame's landmarks.
            t_ms: The time the engine will see for this frame (default: ``frame.t_ms``).
        """
        angles = self.tracker.update(frame)
        t = frame.t_ms if t_ms is None else int(t_ms)
        if not self.tracker.calibrated:
            self._body_neutral = None
            raw = BodyFeatures.from_frame(frame)
            if angles.ok:
                self._body_window.append((t, raw))
            while self._body_window and t - self._body_window[0][0] > BODY_CALIBRATION_S * 1000:
                self._body_window.popleft()
            body = raw
        else:
            if self._body_neutral is None and self._body_window:
                self._body_neutral = BodyNeutral.from_features(b for _, b in self._body_window)
                self._body_window.clear()
            body = BodyFeatures.from_frame(frame, self._body_neutral)
        self._angles, self._body, self._frame_t_ms = angles, body, t
        return angles

    def step(self, t_ms: int | None = None) -> list[Event]:
        """Feed the last `update`'s angles and body to the engine; return its events."""
        if self.engine is None or self._angles is None:
            return []
        t = self._frame_t_ms if t_ms is None else int(t_ms)
        assert t is not None
        if self._t0_ms is None:
            self._t0_ms = t
        self._last_ms = t
        events = self.engine.step(t, self._angles, self._body, calibrated=self.tracker.calibrated)
        self.events += events
        return events

    def process(self, frame: PoseFrame) -> list[Event]:
        """`update` then `step` on one frame (the whole chain)."""
        self.update(frame)
        return self.step()

    def run(self, frames: Iterable[PoseFrame]) -> dict:
        """Process every frame and return the report (`section`)."""
        for frame in frames:
            self.process(frame)
        return self.section()

    # -- state -------------------------------------------------------------------------------------

    @property
    def calibrated(self) -> bool:
        """True once the neutral pose has been measured."""
        return bool(self.tracker.calibrated)

    @property
    def calibration_progress(self) -> float:
        """0..1 progress of the neutral calibration."""
        return float(self.tracker.calibration_progress)

    @property
    def calibration_hint(self) -> str | None:
        """Why the calibration is not progressing (e.g. "Look straight ahead"), or None."""
        return self.tracker.calibration_hint

    def calibration_info(self) -> dict:
        """The calibration as plain data (for the history)."""
        cal = getattr(self.tracker, "calibration", None)
        info: dict = {"calibrated": self.calibrated}
        if cal is not None:
            info["head"] = _plain(cal)
        if self._body_neutral is not None:
            info["shoulder_elev_cm"] = {
                "right": round(self._body_neutral.right_shoulder_elev_cm, 2),
                "left": round(self._body_neutral.left_shoulder_elev_cm, 2),
            }
        return info

    @property
    def angles(self) -> HeadAngles | None:
        """The last frame's head angles."""
        return self._angles

    @property
    def body(self) -> BodyFeatures | None:
        """The last frame's body features."""
        return self._body

    @property
    def finished(self) -> bool:
        """True when the current exercise is done (or there is none)."""
        return self.engine is None or self.engine.finished

    def view(self) -> EngineView | None:
        """The engine's view for the overlay (None before `start`)."""
        return self.engine.view() if self.engine is not None else None

    def section(self) -> dict:
        """The report of the current exercise so far (see `coach.report.build_report`)."""
        if self.engine is None:
            return {}
        t0 = self._t0_ms or 0
        duration = (self._last_ms - t0) / 1000.0 if self._last_ms is not None else 0.0
        return build_report(
            self.engine.exercise,
            self.events,
            t0_ms=t0,
            tracking_lost_s=self.engine.tracking_lost_s,
            duration_s=duration,
            calibrated=self.calibrated,
        )


def _plain(obj):
    """A dataclass/array/number structure as JSON-friendly plain data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    return obj
