"""The engine's per-frame tests: one frame's angles (and body features) against the exercise.

Usable angles, the target and neutral zones, the form checks, and the gauges that show those
zones; plus `Debounced`, the dwell a test's change must last before the engine believes it, and
`FingerWatch`, the chin tuck's finger-on-chin cue across a rep. No cv2 and no clock (time is an
argument); the state machine is `coach.coaching.engine`. Whether angles can be coached at all is
`HeadAngles.usable`.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

from coach.angles.body import BodyFeatures
from coach.angles.chin_hand import ChinHand, gap_growth_heads
from coach.angles.headpose import HeadAngles
from coach.coaching.engine_types import Gauge
from coach.coaching.exercise_model import (
    AXIS_LIMITS,
    AXIS_UNITS,
    AngleLimit,
    ArmDown,
    Exercise,
    FingerOnChin,
    FormCheck,
    HandBehindHead,
    ShoulderHike,
    TrunkTurn,
    other_side,
)

_AXIS_FIELD = {"yaw": "yaw_deg", "roll": "roll_deg", "pitch": "pitch_deg", "retraction": "retraction_cm"}


def axis_value(angles: HeadAngles, axis: str) -> float:
    """The value of one axis ("yaw", "roll", "pitch" or "retraction") in its unit."""
    return float(getattr(angles, _AXIS_FIELD[axis]))


class Debounced:
    """A boolean that follows its raw input only after the input has differed for a dwell time."""

    def __init__(self, dwell_s: float, state: bool = False) -> None:
        self._dwell_ms = dwell_s * 1000.0
        self.state = state
        self._since_ms: int | None = None

    def update(self, t_ms: int, raw: bool) -> bool:
        """Feed the raw value at ``t_ms``; returns the debounced state."""
        if raw == self.state:
            self._since_ms = None
        elif self._since_ms is None:
            self._since_ms = t_ms
        if self._since_ms is not None and t_ms - self._since_ms >= self._dwell_ms:
            self.state, self._since_ms = raw, None
        return self.state

    def reset(self, state: bool = False) -> None:
        """Start again at ``state``, forgetting a pending change."""
        self.state, self._since_ms = state, None


def target_raw(exercise: Exercise, angles: HeadAngles, side: str, *, staying: bool) -> bool:
    """True when every target of the exercise is reached on ``side`` in this frame.

    Args:
        exercise: The exercise whose targets are tested.
        angles: The frame's angles.
        side: The side being worked.
        staying: The person is already in the zone: it is left only past the hysteresis.
    """
    for t in exercise.targets:
        v = axis_value(angles, t.axis) * t.sign(side)
        slack = t.hysteresis if staying else 0.0
        if v < t.threshold - slack:
            return False
        if t.max is not None and v > t.max + slack:
            return False
    return True


def neutral_raw(exercise: Exercise, angles: HeadAngles) -> bool:
    """True when every axis is within the exercise's neutral zone in this frame."""
    return all(abs(axis_value(angles, a)) <= lim for a, lim in exercise.neutral.limits().items())


def violated(check: FormCheck, angles: HeadAngles, body: BodyFeatures | None, side: str,
             torso_yaw_deg: float = 0.0) -> bool:
    """True only when a fault is measured; unknown (no body data, or an arm the picture does
    not show: see `coach.angles.body`) is not a fault (`unseen` says when to cue instead).
    ``torso_yaw_deg`` is the trunk's turn against its neutral (`TrunkTurn`)."""
    if isinstance(check, TrunkTurn):
        return math.isfinite(torso_yaw_deg) and abs(torso_yaw_deg) > check.max_deg
    if isinstance(check, AngleLimit):
        v = axis_value(angles, check.axis)
        return (check.min is not None and v < check.min) or (check.max is not None and v > check.max)
    if body is None or isinstance(check, FingerOnChin):
        return False  # the finger on the chin is a cue (`FingerWatch`), never a fault
    sides = body_sides(check.side, side)
    if isinstance(check, ShoulderHike):
        hikes = [h for s in sides if (h := body.shoulder_hike_cm(s)) is not None]
        return bool(hikes) and max(hikes) > check.max_cm
    if isinstance(check, ArmDown):
        return any(body.arm_down(s) is False for s in sides)
    if isinstance(check, HandBehindHead):
        return any(body.hand_behind_head(s) is False for s in sides)
    return False


def unseen(check: FormCheck, body: BodyFeatures | None, side: str) -> bool:
    """True when a body check cannot tell on ``side`` (a feature is None): the rep counts and
    the check's cue is given. Angle checks and frames without body data are never "unseen"."""
    if body is None or isinstance(check, (AngleLimit, ShoulderHike, FingerOnChin, TrunkTurn)):
        return False
    sides = body_sides(check.side, side)
    if isinstance(check, ArmDown):
        return any(body.arm_down(s) is None for s in sides)
    if isinstance(check, HandBehindHead):
        return any(body.hand_behind_head(s) is None for s in sides)
    return False


class FingerWatch:
    """The finger on the chin across one rep (a `FingerOnChin` check): cues, never a fault.

    The engine feeds it every frame: at neutral (`rest`) it keeps the last ``window_s`` of
    chin-hand readings; when the rep starts (`start`, the head leaving neutral) a finger is at
    the chin if at least half of those frames saw one, and their median gap below the mouth is the
    rep's reference; during the hold (`hold`) it judges, once per rep, whether the hand follows the
    head: the median gap growth of the hold's frames so far (at least ``after_s`` of them) at or
    below the check's limit. Medians, because the pose model's hand points are rough near the face.

    Args:
        check: The exercise's finger-on-chin check.
        window_s: Seconds at neutral that decide the rep's start (> 0).
        after_s: Seconds of hold before the following is judged (> 0).
    """

    def __init__(self, check: FingerOnChin, *, window_s: float = 1.0, after_s: float = 1.0) -> None:
        for name, v in (("window_s", window_s), ("after_s", after_s)):
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {v}")
        self.check = check
        self._window_ms, self._after_ms = window_s * 1000.0, after_s * 1000.0
        self._rest: deque[tuple[int, ChinHand | None]] = deque()
        self._start_gap: float | None = None
        self._growth: list[float] = []
        self._hold_since_ms: int | None = None
        self._judged = False

    def rest(self, t_ms: int, chin: ChinHand | None) -> None:
        """One frame at neutral, before the rep starts."""
        self._rest.append((t_ms, chin))
        while self._rest and t_ms - self._rest[0][0] > self._window_ms:
            self._rest.popleft()

    def start(self) -> bool | None:
        """The rep starts now: True when a finger was at the chin, False when none was seen,
        None when the head was not measured at neutral (no cue then)."""
        seen = [c for _, c in self._rest if c is not None]
        self._rest.clear()
        self._growth, self._hold_since_ms, self._judged = [], None, False
        at = [c for c in seen if c.at_chin]
        if not seen:
            self._start_gap = None
            return None
        if 2 * len(at) < len(seen):
            self._start_gap = None
            return False
        self._start_gap = statistics.median(c.below_mouth_heads for c in at if c.below_mouth_heads is not None)
        return True

    def hold(self, t_ms: int, chin: ChinHand | None) -> bool:
        """One frame of the hold; True once per rep, when the hand is judged to follow the head."""
        if self._judged or self._start_gap is None:
            return False
        if self._hold_since_ms is None:
            self._hold_since_ms = t_ms
        growth = gap_growth_heads(chin, self._start_gap)
        if growth is not None:
            self._growth.append(growth)
        if t_ms - self._hold_since_ms < self._after_ms or not self._growth:
            return False
        self._judged = True
        return statistics.median(self._growth) <= self.check.follow_max_growth_heads


def body_sides(which: str, side: str) -> tuple[str, ...]:
    """The person's sides a body check looks at: ``which`` ("same", "other" or "both") of ``side``."""
    if side == "center" or which == "both":
        return ("right", "left")
    return (side,) if which == "same" else (other_side(side),)


def zone_gauges(exercise: Exercise, side: str, angles: HeadAngles | None) -> tuple[Gauge, ...]:
    """The gauges of the exercise's target axes and form-limited axes on ``side``.

    Args:
        exercise: The exercise.
        side: The side being worked (its zone is drawn).
        angles: The frame's angles, or None when tracking is lost (no needle).
    """
    gauges: dict[str, Gauge] = {}

    def value(axis: str) -> float | None:
        return axis_value(angles, axis) if angles is not None else None

    for t in exercise.targets:
        lo, hi = t.zone(side)
        gauges[t.axis] = Gauge(t.axis, AXIS_UNITS[t.axis], value(t.axis), lo, hi, *AXIS_LIMITS[t.axis])
    # Form-limited axes: the zone drawn is the allowed range (limits on one axis merge).
    for check in exercise.form:
        if not isinstance(check, AngleLimit) or check.axis in {t.axis for t in exercise.targets}:
            continue
        lim_lo, lim_hi = AXIS_LIMITS[check.axis]
        old = gauges.get(check.axis)
        lo = check.min if check.min is not None else (old.target_min if old else lim_lo)
        hi = check.max if check.max is not None else (old.target_max if old else lim_hi)
        gauges[check.axis] = Gauge(check.axis, AXIS_UNITS[check.axis], value(check.axis), lo, hi, lim_lo, lim_hi)
    return tuple(gauges.values())


class RateMeter:
    """How fast one signal moves: its change over a sliding window, in units per second.

    The window must be long enough to average out jitter (a frame-to-frame rate of a smoothed
    angle is noisy); until it is ~full no rate is given. Shared by the engine's speed limit and
    `coach measure`'s.

    Args:
        window_s: The window (> 0 s).
    """

    def __init__(self, window_s: float) -> None:
        if not (math.isfinite(window_s) and window_s > 0):
            raise ValueError(f"window_s must be a finite number > 0, got {window_s}")
        self._window_ms = window_s * 1000.0
        self._hist: deque[tuple[int, float]] = deque()

    def reset(self) -> None:
        """Forget the history (a pause, a recalibration, lost tracking)."""
        self._hist.clear()

    def update(self, t_ms: int, value: float) -> float | None:
        """Add one sample; return the rate (units/s, absolute) over the window, or None while
        the window is not yet 80% full."""
        hist = self._hist
        hist.append((t_ms, value))
        while len(hist) > 2 and t_ms - hist[1][0] >= self._window_ms:
            hist.popleft()
        t_first, v_first = hist[0]
        span_ms = t_ms - t_first
        if span_ms < self._window_ms * 0.8:
            return None
        return abs(hist[-1][1] - v_first) / (span_ms / 1000.0)
