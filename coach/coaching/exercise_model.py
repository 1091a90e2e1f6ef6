"""The exercise models: one exercise file as frozen pydantic models, with their allowed ranges.

`coach.coaching.exercise` loads and validates ``exercises/*.toml`` into these models (and re-exports
them); the ranges and the cross-field checks here are what its error messages name.

Pure python: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coach.angles.chin_hand import FOLLOW_MAX_GROWTH_HEADS
from coach.errors import CoachError
from coach.texts import TRACKING_LOST_TEXT

Axis = Literal["yaw", "roll", "pitch", "retraction"]
Side = Literal["right", "left", "center"]
Direction = Literal["toward-side", "away-from-side", "positive", "negative"]
BodySide = Literal["same", "opposite", "both"]

AXES: tuple[str, ...] = ("yaw", "roll", "pitch", "retraction")
#: Physiological range of each axis in its unit, also the gauge range the overlay draws.
AXIS_LIMITS: dict[str, tuple[float, float]] = {
    "yaw": (-90.0, 90.0),
    "roll": (-60.0, 60.0),
    "pitch": (-60.0, 60.0),
    "retraction": (-3.0, 5.0),
}
AXIS_UNITS: dict[str, str] = {"yaw": "deg", "roll": "deg", "pitch": "deg", "retraction": "cm"}
#: Placeholders a coaching message may use; anything else is rejected at load time so a typo
#: cannot surface as a KeyError in the middle of a session.
MESSAGE_FIELDS: frozenset[str] = frozenset({"side", "other", "n", "total", "min_s", "max_s"})


def _check_template(text: str) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ValueError(f"bad placeholder ({exc}); use e.g. {{side}}") from None
    bad = sorted(names - MESSAGE_FIELDS)
    if bad:
        allowed = ", ".join("{" + n + "}" for n in sorted(MESSAGE_FIELDS))
        raise ValueError(f"unknown placeholder {{{bad[0]}}}; allowed: {allowed}")
    return text


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Target(_Frozen):
    """One condition of the target zone, in side-signed units.

    The signed value of ``axis`` for a side is ``+value`` or ``-value`` according to
    ``direction``: ``toward-side`` is positive for the right side (yaw/roll > 0 are the person's
    right) and negative for the left; ``positive``/``negative`` ignore the side. The zone is
    entered at ``signed >= threshold`` (and ``<= max`` if set) and left only when the value
    falls ``hysteresis`` beyond those edges, so jitter at an edge does not end a hold.
    """

    axis: Axis
    direction: Direction = "toward-side"
    threshold: float = Field(gt=0, le=90)
    hysteresis: float = Field(default=3.0, ge=0, le=20)
    max: float | None = Field(default=None, gt=0, le=90)

    @model_validator(mode="after")
    def _ranges(self) -> Target:
        lo, hi = AXIS_LIMITS[self.axis]
        limit = max(abs(lo), abs(hi))
        if self.threshold > limit:
            raise ValueError(f"threshold {self.threshold:g} is beyond the {self.axis} range; "
                             f"allowed: 0 < threshold <= {limit:g}")
        if self.max is not None and not self.threshold < self.max <= limit:
            raise ValueError(f"max {self.max:g} must be > threshold ({self.threshold:g}) and <= {limit:g}")
        if self.hysteresis >= self.threshold:
            raise ValueError(f"hysteresis {self.hysteresis:g} must be < threshold ({self.threshold:g})")
        return self

    def sign(self, side: str) -> float:
        """+1 or -1: the factor turning a raw angle into this target's signed value for ``side``."""
        if self.direction == "positive":
            return 1.0
        if self.direction == "negative":
            return -1.0
        toward = -1.0 if side == "left" else 1.0
        return toward if self.direction == "toward-side" else -toward

    @property
    def safe_max(self) -> float:
        """The most this target may ask for: its ``max`` if the file sets one, else the axis'
        physiological range (`AXIS_LIMITS`). Personal thresholds stay below it."""
        return self.max if self.max is not None else max(abs(v) for v in AXIS_LIMITS[self.axis])

    def zone(self, side: str) -> tuple[float, float]:
        """The target zone as raw (unsigned-by-side) axis values ``(low, high)`` for ``side``."""
        far = self.safe_max
        if self.sign(side) > 0:
            return (self.threshold, far)
        return (-far, -self.threshold)


class NeutralZone(_Frozen):
    """The return-to-neutral zone: every listed axis within +/- its value."""

    yaw: float | None = Field(default=None, gt=0, le=45)
    roll: float | None = Field(default=None, gt=0, le=45)
    pitch: float | None = Field(default=None, gt=0, le=45)
    retraction: float | None = Field(default=None, gt=0, le=3)

    @model_validator(mode="after")
    def _not_empty(self) -> NeutralZone:
        if not self.limits():
            raise ValueError("needs at least one axis (yaw, roll, pitch or retraction) with its +/- limit")
        return self

    def limits(self) -> dict[str, float]:
        """``{axis: limit}`` for the axes that define neutral."""
        return {a: v for a in AXES if (v := getattr(self, a)) is not None}


class SpeedLimit(_Frozen):
    """Moving ``axis`` faster than ``max_per_s`` (its unit per second) gets ``message``."""

    axis: Axis
    max_per_s: float = Field(gt=0, le=1000)
    message: Annotated[str, Field(min_length=1)]


class _FormCheck(_Frozen):
    fault: Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9-]+$")]
    message: Annotated[str, Field(min_length=1)]
    #: Said once per hold when a body check cannot tell (e.g. the hand below the frame): the
    #: rep still counts. Empty: no cue.
    cue: str = ""

    @field_validator("message", "cue")
    @classmethod
    def _template(cls, text: str) -> str:
        return _check_template(text)


class AngleLimit(_FormCheck):
    """Form: ``axis`` must stay within ``[min, max]`` (raw signed values) while in target."""

    check: Literal["angle"]
    axis: Axis
    min: float | None = Field(default=None, ge=-90, le=90)
    max: float | None = Field(default=None, ge=-90, le=90)

    @model_validator(mode="after")
    def _bounds(self) -> AngleLimit:
        if self.min is None and self.max is None:
            raise ValueError("needs min, max or both")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min {self.min:g} must be < max {self.max:g}")
        return self


class ShoulderHike(_FormCheck):
    """Form: the shoulder(s) must not rise toward the ear by more than ``max_cm``."""

    check: Literal["shoulder-hike"]
    side: BodySide = "both"
    max_cm: float = Field(default=2.5, gt=0, le=10)


class ArmDown(_FormCheck):
    """Form: the arm on ``side`` (relative to the worked side) lengthened down along the body."""

    check: Literal["arm-down"]
    side: BodySide = "opposite"


class HandBehindHead(_FormCheck):
    """Form: the hand on ``side`` (relative to the worked side) behind the head, elbow raised."""

    check: Literal["hand-behind-head"]
    side: BodySide = "same"


class TrunkTurn(_FormCheck):
    """Form: the trunk must not turn more than ``max_deg`` from its calibrated neutral.

    Checked in every phase once calibrated, not only in the target: a whole body turned with
    the head never reaches a neck target, and must hear why. The trunk's yaw is
    `coach.angles.headpose.HeadTracker.torso_yaw_deg` (0 within its dead zone).
    """

    check: Literal["trunk-turn"]
    max_deg: float = Field(default=12.0, ge=5, le=45)


class FingerOnChin(_FormCheck):
    """A cue, never a fault: a finger on the chin, kept still while the head moves back.

    At the start of each rep (the head leaving neutral) with no hand seen at the chin, ``cue`` is
    said ("Place a finger on your chin"); during the hold, when the hand is seen to follow the
    head (its gap below the mouth grew by at most ``follow_max_growth_heads`` head sizes since
    the rep's start, see `coach.angles.chin_hand`), ``message`` is ("Keep your finger still,
    move your head back"). The rep counts either way: a frontal camera cannot see the gap itself.
    """

    check: Literal["finger-on-chin"]
    cue: Annotated[str, Field(min_length=1)]
    follow_max_growth_heads: float = Field(default=FOLLOW_MAX_GROWTH_HEADS, ge=-0.5, le=0.5)


FormCheck = Annotated[
    AngleLimit | ShoulderHike | ArmDown | HandBehindHead | FingerOnChin | TrunkTurn, Field(discriminator="check")
]
#: The ``check`` tag of each form check model, in the order error messages list them.
FORM_CHECKS: dict[str, type[_FormCheck]] = {
    "angle": AngleLimit, "shoulder-hike": ShoulderHike, "arm-down": ArmDown,
    "hand-behind-head": HandBehindHead, "finger-on-chin": FingerOnChin, "trunk-turn": TrunkTurn,
}


class Messages(_Frozen):
    """Coaching texts. Placeholders: ``{side}``, ``{other}``, ``{n}``, ``{total}``,
    ``{min_s}``, ``{max_s}``."""

    go: str
    further: str
    hold: str
    release: str
    return_: str = Field(alias="return")
    wrong_side: str = ""
    too_short: str
    rep: str
    counted: str = "That counts! Hold on up to {max_s} seconds, or come back slowly"
    circle: str = "STOP! No head circles. Come back to face forward; move side to side only"
    lost: str = TRACKING_LOST_TEXT
    calibrate: str = "Look straight ahead and relax: calibrating"
    # Said once an attempt has gone a while without reaching the target: never push into pain.
    comfortable: str = "Hold where it is comfortable: no further than that"
    # An attempt below the target is over: it is recorded, the next side follows.
    best_today: str = "That is your best today: come back slowly, then the next side"

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("*")
    @classmethod
    def _template(cls, text: str) -> str:
        return _check_template(text)


class Exercise(_Frozen):
    """One exercise, as loaded from its TOML file (see the files in ``exercises/``)."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=80)]
    order: int = Field(ge=1, le=1000)
    instruction: Annotated[str, Field(min_length=1)]
    sides: tuple[Side, ...] = Field(min_length=1, max_length=2)
    reps_per_side: int = Field(default=10, ge=1, le=100)
    hold_min_s: float = Field(default=5.0, ge=1, le=120)
    hold_max_s: float = Field(default=10.0, ge=1, le=300)
    targets: tuple[Target, ...] = Field(min_length=1, max_length=4)
    neutral: NeutralZone
    speed: SpeedLimit | None = None
    form: tuple[FormCheck, ...] = ()
    messages: Messages
    #: Check the person's comfortable range before the exercise (`coach.coaching.rangecheck`); off where
    #: the axis cannot be read well enough yet (the chin tuck's retraction, issue 15).
    range_check: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Exercise:
        if self.hold_min_s > self.hold_max_s:
            raise ValueError(f"hold_min_s ({self.hold_min_s:g}) must be <= hold_max_s ({self.hold_max_s:g})")
        if len(set(self.sides)) != len(self.sides):
            raise ValueError(f"sides {list(self.sides)} repeats a side")
        if "center" in self.sides and len(self.sides) != 1:
            raise ValueError('sides must be ["right", "left"], ["left", "right"], ["right"], ["left"] or ["center"]')
        if "center" in self.sides and any(t.direction in ("toward-side", "away-from-side") for t in self.targets):
            raise ValueError('a "center" exercise needs target directions "positive" or "negative"')
        axes = [t.axis for t in self.targets]
        if len(set(axes)) != len(axes):
            raise ValueError(f"targets repeat an axis ({axes}); use one target per axis")
        for t in self.targets:
            lim = self.neutral.limits().get(t.axis)
            if lim is not None and lim >= t.threshold - t.hysteresis:
                raise ValueError(
                    f"neutral.{t.axis} ({lim:g}) must be below the {t.axis} target's exit "
                    f"(threshold - hysteresis = {t.threshold - t.hysteresis:g})"
                )
        return self

    @property
    def main_target(self) -> Target:
        """The first target: its axis is the hold's ``peak_deg`` and the speed reference."""
        return self.targets[0]

    def threshold_bounds(self, target: Target) -> tuple[float, float]:
        """``(floor, ceiling)``: a personal threshold for ``target`` must lie strictly between.

        The ceiling is the target's safe maximum (`Target.safe_max`). Below the floor (the
        return-to-neutral limit plus the hysteresis) holding and returning could not be told
        apart. The one place these bounds are computed (`with_thresholds`, `coach.store.targets`).
        """
        return target.hysteresis + self.neutral.limits().get(target.axis, 0.0), target.safe_max

    def with_thresholds(self, thresholds: Mapping[str, float]) -> Exercise:
        """Return a copy with personal target thresholds, e.g. ``{"yaw": 50.0}``.

        Used for personal/adaptive targets. A threshold may be lowered freely (limited motion)
        but never raised beyond the file's ``max`` or the axis range: that is the safe maximum.

        Raises:
            CoachError: naming the axis and the allowed range when a value is not allowed.
        """
        by_axis = {t.axis: t for t in self.targets}
        new_targets = []
        for axis in thresholds:
            if axis not in by_axis:
                raise CoachError(
                    f"personal target for '{axis}': {self.id} has targets on {', '.join(by_axis)} only"
                )
        for t in self.targets:
            if t.axis not in thresholds:
                new_targets.append(t)
                continue
            value = float(thresholds[t.axis])
            floor, ceiling = self.threshold_bounds(t)
            if not (math.isfinite(value) and floor < value < ceiling):
                raise CoachError(
                    f"personal target for {self.id} {t.axis}: {value:g} is out of range; "
                    f"allowed: {floor:g} < value < {ceiling:g}"
                )
            new_targets.append(t.model_copy(update={"threshold": value}))
        return self.model_copy(update={"targets": tuple(new_targets)})


def side_label(side: str) -> str:
    """How a side is shown to the person: 'RIGHT', 'LEFT' or '' for center."""
    return "" if side == "center" else side.upper()


def other_side(side: str) -> str:
    """The opposite side ('center' stays 'center')."""
    return {"right": "left", "left": "right"}.get(side, side)
