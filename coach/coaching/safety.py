"""The circle guard: block full head circles (circumduction), allow side-to-side movement.

A head circle sweeps the head's direction all the way around the neutral point: in the plane of
(lateral component, flexion) the point ``(yaw or roll, pitch)`` turns through ~360 degrees while
staying away from the centre. A side-to-side rotation, a lateral flexion or the levator
combination goes out and back along (nearly) the same path, or through the centre, so its
*net* swept angle stays near zero. The guard therefore accumulates the signed swept angle
around neutral, and resets the sum whenever the head comes back near the centre (a path through
neutral is not a circle, and the polar angle is meaningless there).

Two planes are watched, because people circle either way: (roll, pitch), the classic ear-to-
shoulder circle, and (yaw, pitch), a "look around" circle. Either reaching ``detect_deg``
fires.

Pure numpy/math: no mediapipe, no cv2, no clock (time is an argument).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CircleGuardConfig:
    """Tuning of :class:`CircleGuard`.

    Attributes:
        enter_radius_deg: The head must be at least this far from neutral (in the plane) before
            its sweep is counted: a circle has amplitude, rest jitter does not.
        exit_radius_deg: Coming back within this radius resets the sweep (hysteresis against
            flicker at the edge; must be <= ``enter_radius_deg``).
        detect_deg: Net swept angle that counts as a full circle. Below 360 so a real circle
            is caught before it is complete, well above 270 so partial arcs are allowed.
        max_circle_s: A sweep older than this is forgotten: the guard is about one continuous
            movement, not a slow drift over minutes.
        circling_deg: A sweep this far round is a circle in progress: the engine counts no rep
            meanwhile. A circle started from a held pose passes the main axis' neutral half-way
            round (a lateral-flexion circle has roll 0 at 90 deg, chin down), which would
            otherwise count the rep just before the circle is caught. A return sweeps little
            (scripted sessions with 0.3 deg jitter: <= 5.5 deg, 12 deg for the levator
            stretch's two-step return).
    """

    enter_radius_deg: float = 14.0
    exit_radius_deg: float = 9.0
    detect_deg: float = 320.0
    max_circle_s: float = 20.0
    circling_deg: float = 60.0

    def __post_init__(self) -> None:
        if not 0 < self.exit_radius_deg <= self.enter_radius_deg <= 60:
            raise ValueError("need 0 < exit_radius_deg <= enter_radius_deg <= 60")
        if not 180 < self.detect_deg <= 720:
            raise ValueError(f"detect_deg must be in (180, 720], got {self.detect_deg}")
        if not 1 <= self.max_circle_s <= 120:
            raise ValueError(f"max_circle_s must be in [1, 120], got {self.max_circle_s}")
        if not 0 < self.circling_deg < self.detect_deg:
            raise ValueError(f"circling_deg must be in (0, detect_deg), got {self.circling_deg}")


class _PlaneSweep:
    """Signed swept angle of a 2D point around the origin, reset near the origin."""

    def __init__(self, cfg: CircleGuardConfig) -> None:
        self._cfg = cfg
        self.reset()

    def reset(self) -> None:
        self.swept_deg = 0.0
        self._last_angle: float | None = None
        self._start_ms: int | None = None
        self._active = False

    def update(self, t_ms: int, x: float, y: float) -> float:
        radius = math.hypot(x, y)
        limit = self._cfg.exit_radius_deg if self._active else self._cfg.enter_radius_deg
        if radius < limit:
            self.reset()
            return 0.0
        angle = math.degrees(math.atan2(y, x))
        if not self._active:
            self._active, self._last_angle, self._start_ms = True, angle, t_ms
            return 0.0
        assert self._last_angle is not None and self._start_ms is not None
        if t_ms - self._start_ms > self._cfg.max_circle_s * 1000.0:
            # Too slow to be one movement: restart the sweep from here.
            self.swept_deg, self._start_ms = 0.0, t_ms
        # Wrap to (-180, 180]: between two frames the head never turns half a circle.
        step = (angle - self._last_angle + 180.0) % 360.0 - 180.0
        self.swept_deg += step
        self._last_angle = angle
        return self.swept_deg


class CircleGuard:
    """Detects full head circles from torso-relative head angles.

    Example:
        >>> guard = CircleGuard()
        >>> fired = guard.update(t_ms, yaw_deg, roll_deg, pitch_deg)  # True once per circle
    """

    def __init__(self, config: CircleGuardConfig | None = None) -> None:
        self.config = config or CircleGuardConfig()
        self._planes = {"roll-pitch": _PlaneSweep(self.config), "yaw-pitch": _PlaneSweep(self.config)}

    def reset(self) -> None:
        """Forget the current sweep (tracking lost, recalibration, pause)."""
        for plane in self._planes.values():
            plane.reset()

    @property
    def swept_deg(self) -> float:
        """The largest net swept angle (absolute, degrees) in either plane right now."""
        return max(abs(p.swept_deg) for p in self._planes.values())

    def update(self, t_ms: int, yaw_deg: float, roll_deg: float, pitch_deg: float) -> bool:
        """Feed one frame; return True when a full circle has just been completed.

        Non-finite angles reset the guard (a lost frame cannot be part of a measured circle).
        After a detection the sweep restarts, so three circles give three detections.
        """
        if not all(math.isfinite(v) for v in (yaw_deg, roll_deg, pitch_deg)):
            self.reset()
            return False
        fired = False
        for name, (x, y) in (("roll-pitch", (roll_deg, pitch_deg)), ("yaw-pitch", (yaw_deg, pitch_deg))):
            if abs(self._planes[name].update(t_ms, x, y)) >= self.config.detect_deg:
                fired = True
        if fired:
            # Restart both planes from the current point so one circle fires once, not once
            # per plane.
            for plane in self._planes.values():
                plane.swept_deg = 0.0
                plane._start_ms = t_ms  # noqa: SLF001 - same module
        return fired
