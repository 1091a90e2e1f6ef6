"""Scripted motion: whole exercise sessions as landmark frames, deterministic given a seed.

A :class:`Script` is a start pose and a list of segments (move to a pose over some seconds,
hold, drop out of tracking, circle the head). Sampling it at a frame rate gives the person's
torso-relative pose at every frame; :meth:`Script.frames` turns those into `PoseFrame`s through
`coach.sim.synthetic.make_frame`, with real-model-like landmark noise, exactly what `coach record`
writes and `coach replay` reads. Builders make a correct session of each exercise and the
variants the tests and the demo need (short holds, not reaching the target, the wrong side, a
form fault during the hold, drop-outs, head circles).

Pure numpy: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from coach.angles.headpose import HeadAngles, Tracking
from coach.landmarks import PoseFrame
from coach.sim.synthetic import BodyPose, Camera, Noise, Response, make_frame

REST = BodyPose()
_HEAD_FIELDS = ("yaw_deg", "roll_deg", "pitch_deg", "retraction_cm",
                "right_shoulder_hike_cm", "left_shoulder_hike_cm", "trunk_yaw_deg")


@dataclass(frozen=True)
class Move:
    """Go from the current pose to ``to`` in ``duration_s`` (smooth start and stop).

    Arm poses are discrete: they switch to ``to``'s half-way through the move.
    """

    to: BodyPose
    duration_s: float
    label: str = ""


@dataclass(frozen=True)
class Hold:
    """Stay in the current pose for ``duration_s``."""

    duration_s: float
    label: str = ""


@dataclass(frozen=True)
class Dropout:
    """No person detected for ``duration_s`` (landmarks ``None``); the pose stays put."""

    duration_s: float
    label: str = "dropout"


@dataclass(frozen=True)
class Circle:
    """Circle the head around neutral: ``turns`` full turns in ``duration_s``.

    The head point moves on a circle of radius ``amplitude_deg`` in ``plane``: "roll-pitch"
    (ear toward shoulder, chin down, other ear, head back) or "yaw-pitch" (look right, down,
    left, up). It starts and ends at the circle's point at ``start_deg`` (0 = the person's
    right, 90 = chin down), so a :class:`Move` there should come before it.
    """

    duration_s: float
    amplitude_deg: float = 30.0
    plane: Literal["roll-pitch", "yaw-pitch"] = "roll-pitch"
    turns: float = 1.0
    clockwise: bool = False
    start_deg: float = 0.0
    label: str = "circle"

    def offset(self, frac: float) -> tuple[float, float]:
        """(lateral, pitch) degrees at fraction ``frac`` of the segment."""
        direction = -1.0 if self.clockwise else 1.0
        a = math.radians(self.start_deg + direction * 360.0 * self.turns * frac)
        return self.amplitude_deg * math.cos(a), self.amplitude_deg * math.sin(a)

    def pose(self, base: BodyPose, frac: float) -> BodyPose:
        """The base pose with this circle's head offset at ``frac``."""
        lat, pitch = self.offset(frac)
        axis = "roll_deg" if self.plane == "roll-pitch" else "yaw_deg"
        return replace(base, **{axis: lat, "pitch_deg": pitch})


Segment = Move | Hold | Dropout | Circle


def _ease(x: float) -> float:
    # Smoothstep: zero velocity at both ends, like a real deliberate movement.
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


def _lerp_pose(a: BodyPose, b: BodyPose, frac: float) -> BodyPose:
    w = _ease(frac)
    values = {f: getattr(a, f) + (getattr(b, f) - getattr(a, f)) * w for f in _HEAD_FIELDS}
    # Arm poses are discrete: they switch half-way, so the arm is already in place when the head
    # reaches the target and stays there until the head has left it.
    return replace(b if frac >= 0.5 else a, **values)


@dataclass(frozen=True)
class Sample:
    """The scripted state at one frame."""

    t_ms: int
    pose: BodyPose
    detected: bool
    label: str


@dataclass(frozen=True)
class Script:
    """A start pose followed by segments. Immutable; combine with ``+``."""

    segments: tuple[Segment, ...]
    start: BodyPose = REST

    def __add__(self, other: Script) -> Script:
        return Script(self.segments + other.segments, self.start)

    @property
    def duration_s(self) -> float:
        """Total length of the script."""
        return sum(s.duration_s for s in self.segments)

    def end_pose(self) -> BodyPose:
        """The pose after the last segment."""
        pose = self.start
        for seg in self.segments:
            if isinstance(seg, Move):
                pose = seg.to
            elif isinstance(seg, Circle):
                pose = seg.pose(pose, 1.0)
        return pose

    def samples(self, fps: float = 30.0, t0_ms: int = 0) -> Iterator[Sample]:
        """The pose at each frame time ``t0_ms + k * 1000 / fps`` up to the end."""
        if not 1.0 <= fps <= 240.0:
            raise ValueError(f"fps must be in [1, 240], got {fps}")
        bounds = []  # (start_s, end_s, segment, start pose)
        t, pose = 0.0, self.start
        for seg in self.segments:
            bounds.append((t, t + seg.duration_s, seg, pose))
            t += seg.duration_s
            if isinstance(seg, Move):
                pose = seg.to
            elif isinstance(seg, Circle):
                pose = seg.pose(pose, 1.0)
        n_frames = int(math.floor(t * fps + 1e-9))
        i = 0
        for k in range(n_frames):
            t_s = k / fps
            while i < len(bounds) - 1 and t_s >= bounds[i][1]:
                i += 1
            start_s, end_s, seg, base = bounds[i]
            frac = (t_s - start_s) / seg.duration_s if seg.duration_s > 0 else 1.0
            detected = True
            if isinstance(seg, Move):
                p = _lerp_pose(base, seg.to, frac)
            elif isinstance(seg, Circle):
                p = seg.pose(base, frac)
            else:
                p = base
                detected = not isinstance(seg, Dropout)
            yield Sample(t0_ms + int(round(t_s * 1000.0)), p, detected, seg.label)

    def frames(
        self,
        fps: float = 30.0,
        *,
        seed: int = 0,
        noise: Noise | None = None,
        camera: Camera | None = None,
        with_face: bool = False,
        t0_ms: int = 0,
        response: Response = Response(),
    ) -> Iterator[PoseFrame]:
        """Landmark frames of the script, as the real model would give them.

        Args:
            fps: Frame rate.
            seed: Seed of the landmark noise (same seed, same frames).
            noise: Landmark noise; default the real model's measured rest jitter.
            camera: Camera placement.
            with_face: Also produce face matrices (``None`` frames when the face turns away).
            t0_ms: Time of the first frame.
            response: How the models misread the head orientation (default: perfectly).
        """
        rng = np.random.default_rng(seed)
        noise = Noise() if noise is None else noise
        camera = camera or Camera()
        for s in self.samples(fps, t0_ms):
            if not s.detected:
                yield PoseFrame(t_ms=s.t_ms, width=camera.width, height=camera.height)
                continue
            yield make_frame(s.pose, s.t_ms, camera=camera, noise=noise, rng=rng, with_face=with_face,
                             response=response)

    def angles(self, fps: float = 30.0, *, seed: int = 0, jitter_deg: float = 0.0) -> Iterator[tuple[int, HeadAngles]]:
        """The scripted head angles themselves (no landmarks), for engine-level tests.

        Args:
            fps: Frame rate.
            seed: Seed of the optional jitter.
            jitter_deg: Gaussian noise added to each angle (degrees; a tenth of it in cm).
        """
        rng = np.random.default_rng(seed)
        for s in self.samples(fps):
            if not s.detected:
                nan = float("nan")
                yield s.t_ms, HeadAngles(nan, nan, nan, nan, 0.0, Tracking.NO_PERSON)
                continue
            j = rng.normal(0.0, jitter_deg, 4) if jitter_deg > 0 else np.zeros(4)
            p = s.pose
            yield s.t_ms, HeadAngles(p.yaw_deg + j[0], p.roll_deg + j[1], p.pitch_deg + j[2],
                                     p.retraction_cm + j[3] / 10.0, 1.0)


# -- exercise poses --------------------------------------------------------------------------------

#: The pose a correct rep holds, per exercise, for side sign +1 (right) / -1 (left).
_REACH = {
    "neck-rotation": {"yaw_deg": 70.0},
    "lateral-flexion": {"roll_deg": 38.0},
    "chin-tuck": {"retraction_cm": 2.5},
    "levator-scapulae": {"yaw_deg": 45.0, "pitch_deg": 30.0},
}
_SIGNED = {"yaw_deg", "roll_deg"}
EXERCISE_IDS: tuple[str, ...] = tuple(_REACH)
Fault = Literal["none", "pitch", "tilt-back", "shoulder-hike", "no-hand", "arm-not-down", "rotate", "trunk"]
#: The "trunk" fault: the whole body turns this far toward the side while the neck turns back
#: by as much, so that the head stays where it was against the camera (cheating a rotation).
TRUNK_FAULT_DEG = 25.0


def _side_sign(side: str) -> float:
    return -1.0 if side == "left" else 1.0


def rest_pose(exercise_id: str, side: str) -> BodyPose:
    """The neutral pose before a rep (levator: hand already behind the head; chin tuck: a
    finger on the chin)."""
    if exercise_id == "levator-scapulae":
        return BodyPose(**{f"{side}_arm": "behind_head"})
    if exercise_id == "chin-tuck":
        return BodyPose(right_arm="finger_on_chin")  # "with a finger on the chin"
    return REST


def target_pose(exercise_id: str, side: str, reach: float = 1.0, fault: Fault = "none") -> BodyPose:
    """The held pose of one rep.

    Args:
        exercise_id: One of the four exercise ids.
        side: "right", "left" or "center".
        reach: Fraction of the correct amplitude (e.g. 0.6 = not reaching the target).
        fault: A form fault to add during the hold.
    """
    if exercise_id not in _REACH:
        raise ValueError(f"unknown exercise {exercise_id!r}; known: {', '.join(_REACH)}")
    sign = _side_sign(side)
    values = {k: v * reach * (sign if k in _SIGNED else 1.0) for k, v in _REACH[exercise_id].items()}
    pose = rest_pose(exercise_id, side)
    if exercise_id == "lateral-flexion":
        opposite = "left" if side == "right" else "right"
        pose = replace(pose, **{f"{opposite}_arm": "down"})
    pose = replace(pose, **values)
    return with_fault(pose, exercise_id, side, fault)


def with_fault(pose: BodyPose, exercise_id: str, side: str, fault: Fault) -> BodyPose:
    """``pose`` with one form fault added (see `Fault`)."""
    sign = _side_sign(side)
    if fault == "none":
        return pose
    if fault == "pitch":
        return replace(pose, pitch_deg=pose.pitch_deg + 25.0)
    if fault == "tilt-back":
        return replace(pose, pitch_deg=-20.0)
    if fault == "rotate":
        return replace(pose, yaw_deg=pose.yaw_deg + 25.0 * sign)
    if fault == "trunk":
        return replace(pose, trunk_yaw_deg=pose.trunk_yaw_deg + TRUNK_FAULT_DEG * sign,
                       yaw_deg=pose.yaw_deg - TRUNK_FAULT_DEG * sign)
    if fault == "shoulder-hike":
        return replace(pose, **{f"{side}_shoulder_hike_cm": 4.5})
    if fault == "no-hand":
        return replace(pose, **{f"{side}_arm": "rest"})
    if fault == "arm-not-down":
        opposite = "left" if side == "right" else "right"
        return replace(pose, **{f"{opposite}_arm": "rest"})
    raise ValueError(f"unknown fault {fault!r}")


@dataclass(frozen=True)
class RepPlan:
    """How one rep is performed.

    Attributes:
        side: The side worked ("right", "left", "center").
        hold_s: Seconds spent in the held pose.
        reach: Fraction of the correct amplitude.
        fault: Form fault during the hold (from ``fault_after_s`` into it to its end).
        fault_after_s: When the fault starts within the hold.
        dropout_at_s: Seconds into the hold where tracking drops out (None: no drop-out).
        dropout_s: Length of that drop-out.
        move_s: Time to go out (and back).
        rest_s: Time at neutral after the rep.
    """

    side: str
    hold_s: float = 7.0
    reach: float = 1.0
    fault: Fault = "none"
    fault_after_s: float = 1.0
    dropout_at_s: float | None = None
    dropout_s: float = 0.3
    move_s: float = 1.5
    rest_s: float = 2.0


def rep_script(exercise_id: str, plan: RepPlan) -> Script:
    """One rep: go out, hold (with the plan's fault/drop-out), come back, rest."""
    rest = rest_pose(exercise_id, plan.side)
    held = target_pose(exercise_id, plan.side, plan.reach)
    segs: list[Segment] = []
    if exercise_id == "levator-scapulae":
        # "Turn the head 45 deg, then slowly pull it down toward the armpit."
        turned = replace(held, pitch_deg=0.0)
        segs += [Move(turned, plan.move_s, "turn"), Move(held, plan.move_s, "pull down")]
    else:
        segs.append(Move(held, plan.move_s, "out"))
    hold_parts: list[Segment] = []
    if plan.fault != "none":
        bad = with_fault(held, exercise_id, plan.side, plan.fault)
        first = min(plan.fault_after_s, plan.hold_s)
        hold_parts += [Hold(first, "hold"), Move(bad, 0.4, "fault"), Hold(max(0.0, plan.hold_s - first - 0.4), "fault")]
    elif plan.dropout_at_s is not None:
        first = min(plan.dropout_at_s, plan.hold_s)
        hold_parts += [Hold(first, "hold"), Dropout(plan.dropout_s),
                       Hold(max(0.0, plan.hold_s - first - plan.dropout_s), "hold")]
    else:
        hold_parts.append(Hold(plan.hold_s, "hold"))
    segs += hold_parts
    if exercise_id == "levator-scapulae":
        turned = replace(held, pitch_deg=0.0)
        segs += [Move(turned, plan.move_s, "up"), Move(rest, plan.move_s, "back")]
    else:
        segs.append(Move(rest, plan.move_s, "back"))
    segs.append(Hold(plan.rest_s, "rest"))
    return Script(tuple(segs), rest)


def default_sides(exercise_id: str) -> tuple[str, ...]:
    """The built-in side order of an exercise."""
    return ("center",) if exercise_id == "chin-tuck" else ("right", "left")


def session_script(
    exercise_id: str,
    plans: Sequence[RepPlan] | None = None,
    *,
    reps_per_side: int = 10,
    lead_in_s: float = 3.0,
    **plan_kw,
) -> Script:
    """A whole session: rest (for calibration), then the reps, alternating sides.

    Args:
        exercise_id: One of the four exercise ids.
        plans: The reps to perform; default ``reps_per_side`` correct reps per side in the
            exercise's side order, built with ``plan_kw`` (e.g. ``hold_s=3``).
        reps_per_side: Reps per side for the default plans.
        lead_in_s: Still, neutral time at the start (the coach calibrates there).
    """
    if plans is None:
        sides = default_sides(exercise_id)
        plans = [RepPlan(side, **plan_kw) for _ in range(reps_per_side) for side in sides]
    start = rest_pose(exercise_id, plans[0].side if plans else "right")
    script = Script((Hold(lead_in_s, "lead-in"),), start)
    for plan in plans:
        rest = rest_pose(exercise_id, plan.side)
        if rest != script.end_pose():
            script = script + Script((Move(rest, 1.0, "arm"), Hold(0.5, "rest")))
        script = script + rep_script(exercise_id, plan)
    return script


def head_circles(
    n: int = 3,
    *,
    circle_s: float = 4.0,
    amplitude_deg: float = 30.0,
    plane: Literal["roll-pitch", "yaw-pitch"] = "roll-pitch",
    clockwise: bool = False,
    turns: float = 1.0,
    rest_s: float = 3.0,
) -> Script:
    """``n`` separate head circles (each: lead out, circle ``turns`` times, come back, rest).

    With ``turns < 1`` these are partial arcs, which must NOT be flagged.
    """
    segs: list[Segment] = []
    for _ in range(n):
        circle = Circle(circle_s * turns, amplitude_deg, plane, turns, clockwise)
        segs += [Move(circle.pose(REST, 0.0), 1.0, "to circle"), circle, Move(REST, 1.0, "back"),
                 Hold(rest_s, "rest")]
    return Script(tuple(segs), REST)


def lead_in(seconds: float = 3.0, pose: BodyPose = REST) -> Script:
    """Still, neutral time (the coach calibrates on it)."""
    return Script((Hold(seconds, "lead-in"),), pose)
