"""The per-frame coaching chain, shared by `coach replay`, the live session and the demo.

    PoseFrame -> Reader (calibrated, smoothed head angles; body features) -> Reading
              -> Coach (the engine of one exercise) -> events -> ExerciseResult

`Reader` is the angles stage: it keeps the calibration (head and body neutral) across the
exercises of a session. `Coach` is one exercise: it steps the engine on readings and sums the
events up into a typed `coach.coaching.report.ExerciseResult`. The live flow (`coach.coaching.flow`) gets a
`Reading` per frame and owns the `Coach` of the exercise being coached; `coach replay` runs
both on every frame (`Coach.process`). Keeping the chain here means the live coach, the
headless run, the demo and the replay of a recorded log make exactly the same decisions.

Time without usable head angles is counted by `LostTime`, once per run: by the flow for a
live session (every frame, none while paused), by `Coach.process` for a replay.

Pure numpy: no mediapipe, no cv2, no clock (times come from the frames or the caller).
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from coach.angles.body import BodyFeatures, BodyNeutral
from coach.angles.headpose import HeadAngles, HeadTracker
from coach.coaching.engine import Engine, EngineConfig, EngineView, Event
from coach.coaching.exercise import Exercise
from coach.coaching.report import ExerciseResult
from coach.landmarks import PoseFrame

#: How much body history is kept while the head calibrates; the body's neutral is the median
#: of these frames, i.e. of the same steady seconds the head calibration uses.
BODY_CALIBRATION_S = 2.5


@dataclass(frozen=True)
class Reading:
    """One frame through the angles stage: everything the flow and the engine look at.

    Attributes:
        t_ms: The frame's time.
        angles: Torso-relative head angles (neutral-relative once calibrated).
        body: Arm and shoulder features (relative to the body's neutral once calibrated).
        calibrated: A neutral pose has been measured.
        calibration_progress: 0..1 of the neutral calibration.
        calibration_hint: Why the calibration is not progressing ("Look straight ahead"), or
            None (see `coach.angles.headpose.HeadTracker.calibration_hint`).
        people: How many people the model saw.
        torso_yaw_deg: The trunk's own turn against its calibrated reference (> 0 to the
            person's right; `coach.angles.headpose.HeadTracker.torso_yaw_deg`): a trunk turned with
            the head makes a rotation reading unreliable.
    """

    t_ms: int
    angles: HeadAngles
    body: BodyFeatures | None = None
    calibrated: bool = True
    calibration_progress: float = 1.0
    calibration_hint: str | None = None
    people: int = 1
    torso_yaw_deg: float = 0.0

    @property
    def usable(self) -> bool:
        """True when the angles can be coached (`HeadAngles.usable`)."""
        return self.angles is not None and self.angles.usable


class Reader:
    """Landmarks in, `Reading` out: the head tracker and the body features with their neutral.

    Args:
        tracker: A head tracker to use (default: a calibrating, smoothing `HeadTracker`).
        use_face: Use the face matrix when the frames carry one (default tracker only).
    """

    def __init__(self, *, tracker: HeadTracker | None = None, use_face: bool = True) -> None:
        self.tracker = tracker if tracker is not None else HeadTracker(use_face=use_face)
        self._body_window: deque[tuple[int, BodyFeatures]] = deque()
        self._body_neutral: BodyNeutral | None = None

    @property
    def calibrated(self) -> bool:
        """True once the neutral pose has been measured."""
        return bool(self.tracker.calibrated)

    def read(self, frame: PoseFrame) -> Reading:
        """Run the tracker and the body features on one frame."""
        angles = self.tracker.update(frame)
        t = frame.t_ms
        if not self.tracker.calibrated:
            self._body_neutral = None
            body = BodyFeatures.from_frame(frame)
            if angles.ok:
                self._body_window.append((t, body))
            while self._body_window and t - self._body_window[0][0] > BODY_CALIBRATION_S * 1000:
                self._body_window.popleft()
        else:
            if self._body_neutral is None and self._body_window:
                self._body_neutral = BodyNeutral.from_features(b for _, b in self._body_window)
                self._body_window.clear()
            body = BodyFeatures.from_frame(frame, self._body_neutral)
        return Reading(t, angles, body, self.calibrated, float(self.tracker.calibration_progress),
                       self.tracker.calibration_hint, frame.people,
                       float(getattr(self.tracker, "torso_yaw_deg", 0.0)))

    def recalibrate(self) -> None:
        """Measure the neutral pose again (head and body)."""
        self.tracker.recalibrate()
        self._body_neutral = None
        self._body_window.clear()

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


class LostTime:
    """Time without usable head angles, and the spans of it, on the frames' own timeline.

    A frame whose angles are not usable adds the time since the frame before it. `skip`
    lets time pass uncounted (a paused session).
    """

    def __init__(self) -> None:
        self._first_ms: int | None = None
        self._last_ms: int | None = None
        self._lost_ms = 0.0
        self._spans: list[list[float]] = []
        self._open = False

    def update(self, t_ms: int, usable_now: bool) -> None:
        """Count one frame at ``t_ms`` whose angles are (not) usable."""
        if self._first_ms is None:
            self._first_ms = t_ms
        t_s = (t_ms - self._first_ms) / 1000.0
        if usable_now:
            self._open = False
        else:
            if self._last_ms is not None:
                self._lost_ms += max(0, t_ms - self._last_ms)
            if self._open:
                self._spans[-1][1] = t_s
            else:
                self._spans.append([t_s, t_s])
                self._open = True
        self._last_ms = t_ms

    def skip(self, t_ms: int) -> None:
        """Let time pass up to ``t_ms`` without counting it."""
        if self._first_ms is None:
            self._first_ms = t_ms
        self._last_ms = t_ms

    @property
    def total_s(self) -> float:
        """Seconds without usable angles so far."""
        return self._lost_ms / 1000.0

    @property
    def spans(self) -> tuple[tuple[float, float], ...]:
        """``(start_s, end_s)`` of each stretch without usable angles, from the first frame."""
        return tuple((a, b) for a, b in self._spans)


class Coach:
    """One exercise: readings in, coaching events out, and the `ExerciseResult` they add up to.

    Two ways to drive it:

    * ``coach.process(frame)`` - the whole chain for one frame (what `coach replay` does): its
      own `Reader` reads the frame and its own `LostTime` counts it;
    * ``coach.step(reading, t_ms)`` - the live flow, which reads every frame itself and steps
      the engine only while the exercise is coached, on its pause-free clock.

    Example:
        >>> coach = Coach(load_exercise("neck-rotation"), use_face=False)
        >>> for frame in read_log("session.jsonl"):
        ...     coach.process(frame)
        >>> print(coach.result().summary())
    """

    def __init__(
        self,
        exercise: Exercise,
        *,
        targets: Mapping[str, float] | None = None,
        engine_config: EngineConfig | None = None,
        t0_ms: int | None = None,
        reader: Reader | None = None,
        use_face: bool = True,
        side_targets: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        """Create the chain.

        Args:
            exercise: The exercise to coach.
            targets: Personal target thresholds (see `Engine`).
            engine_config: Engine timing overrides.
            t0_ms: When the exercise started (default: the first step).
            reader: The angles stage `process` uses (default: a new `Reader`).
            use_face: For the default reader: use the face matrix when frames carry one.
            side_targets: ``{side: {axis: threshold}}``: today's targets per side (see `Engine`).
        """
        self.engine = Engine(exercise, targets=targets, config=engine_config, side_targets=side_targets)
        self.events: list[Event] = []
        self._t0_ms = t0_ms
        self._last_ms: int | None = None
        self._calibrated = False
        self._reader = reader
        self._use_face = use_face
        self._lost = LostTime()

    @property
    def reader(self) -> Reader:
        """The angles stage of `process` (made on first use)."""
        if self._reader is None:
            self._reader = Reader(use_face=self._use_face)
        return self._reader

    # -- per frame ---------------------------------------------------------------------------------

    def step(self, reading: Reading, t_ms: int | None = None) -> list[Event]:
        """Feed one reading to the engine; return its events.

        Args:
            reading: The frame's reading.
            t_ms: The time the engine sees (default: ``reading.t_ms``).
        """
        t = reading.t_ms if t_ms is None else int(t_ms)
        if self._t0_ms is None:
            self._t0_ms = t
        self._last_ms = t
        self._calibrated = reading.calibrated
        events = self.engine.step(t, reading.angles, reading.body, calibrated=reading.calibrated,
                                  torso_yaw_deg=reading.torso_yaw_deg)
        self.events += events
        return events

    def process(self, frame: PoseFrame) -> list[Event]:
        """Read, count and step one frame (the whole chain)."""
        reading = self.reader.read(frame)
        self._lost.update(reading.t_ms, reading.usable)
        return self.step(reading)

    def run(self, frames: Iterable[PoseFrame]) -> ExerciseResult:
        """Process every frame and return the result."""
        for frame in frames:
            self.process(frame)
        return self.result()

    # -- control -----------------------------------------------------------------------------------

    def reset_rep(self, t_ms: int) -> list[Event]:
        """Abandon the rep in progress (after a pause or a recalibration); return the events."""
        events = self.engine.reset_rep(t_ms)
        self.events += events
        return events

    def head_circle_seen(self, t_ms: int) -> list[Event]:
        """A head circle caught before the exercise began (see `Engine.head_circle_seen`)."""
        events = self.engine.head_circle_seen(t_ms)
        self.events += events
        return events

    def skip(self, t_ms: int) -> list[Event]:
        """End the exercise now; return the events."""
        events = self.engine.skip(t_ms)
        self.events += events
        return events

    # -- state -------------------------------------------------------------------------------------

    @property
    def exercise(self) -> Exercise:
        """The exercise, with the thresholds in use."""
        return self.engine.exercise

    def targets(self) -> dict[str, float]:
        """The target thresholds in use, per axis."""
        return {t.axis: t.threshold for t in self.engine.exercise.targets}

    @property
    def finished(self) -> bool:
        """True when the exercise is done (or skipped)."""
        return self.engine.finished

    def view(self) -> EngineView:
        """The engine's view for the overlay."""
        return self.engine.view()

    def result(self, tracking_lost_s: float | None = None) -> ExerciseResult:
        """The result so far.

        Args:
            tracking_lost_s: Time without usable angles during the exercise, as counted by the
                caller that read the frames (default: what `process` counted).
        """
        t0 = self._t0_ms or 0
        duration = (self._last_ms - t0) / 1000.0 if self._last_ms is not None else 0.0
        lost = self._lost.total_s if tracking_lost_s is None else tracking_lost_s
        return ExerciseResult.from_events(self.engine.exercise, self.events, t0_ms=t0, tracking_lost_s=lost,
                                          duration_s=duration, calibrated=self._calibrated)


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
