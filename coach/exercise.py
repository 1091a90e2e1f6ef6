"""Exercises as data: load and validate ``exercises/*.toml`` into frozen pydantic models.

The four built-in exercises ship inside the package (``coach._exercises``, the repo's
``exercises/`` folder) and are read with :mod:`importlib.resources`, so a plain
``pip install .`` finds them. A user adds or overrides an exercise by dropping a TOML file into
an extra folder: ``--exercises-dir``, ``$COACH_EXERCISES_DIR`` (``os.pathsep``-separated) or
``<user config dir>/neck-coach/exercises``. A file whose id matches a built-in replaces it.

Every validation problem becomes one :class:`CoachError` line naming the file, the field and
what is allowed, e.g. ``lateral-flexion.toml: targets[0].axis: got 'tilt'; allowed: 'yaw',
'roll', 'pitch', 'retraction'``.

Pure python: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import math
import os
import string
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coach.errors import CoachError
from coach.options import ExercisesOptions
from coach.texts import TRACKING_LOST_TEXT

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 needs the tomli backport
    import tomli as tomllib  # type: ignore[no-redef]

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
ENV_EXERCISES_DIR = "COACH_EXERCISES_DIR"


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
    def _ranges(self) -> "Target":
        lo, hi = AXIS_LIMITS[self.axis]
        limit = max(abs(lo), abs(hi))
        if self.threshold > limit:
            raise ValueError(f"threshold {self.threshold:g} is beyond the {self.axis} range; allowed: 0 < threshold <= {limit:g}")
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
    def _not_empty(self) -> "NeutralZone":
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

    @field_validator("message")
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
    def _bounds(self) -> "AngleLimit":
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


FormCheck = Annotated[
    Union[AngleLimit, ShoulderHike, ArmDown, HandBehindHead], Field(discriminator="check")
]


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

    @model_validator(mode="after")
    def _consistent(self) -> "Exercise":
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
        apart. The one place these bounds are computed (`with_thresholds`, `coach.targets`).
        """
        return target.hysteresis + self.neutral.limits().get(target.axis, 0.0), target.safe_max

    def with_thresholds(self, thresholds: Mapping[str, float]) -> "Exercise":
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


# -- loading ------------------------------------------------------------------------------------


def _loc_str(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("angle", "shoulder-hike", "arm-down", "hand-behind-head"):
            continue  # the discriminator tag pydantic puts in the location; not a field name
        else:
            out += ("." if out else "") + ("return" if part == "return_" else str(part))
    return out


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Follow an error location through the models to the model that owns the last field."""
    model: Any = Exercise
    tags = {"angle": AngleLimit, "shoulder-hike": ShoulderHike, "arm-down": ArmDown, "hand-behind-head": HandBehindHead}
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if part in tags:
            model = tags[part]
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None and part == "form":
            model = "form"
        if model is None:
            return None
    return model if isinstance(model, type) else None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _numeric_range(loc: tuple[Any, ...]) -> str | None:
    model = _model_at(loc)
    if model is None or not isinstance(loc[-1], str):
        return None
    field = model.model_fields.get(loc[-1])
    if field is None:
        return None
    lo = hi = None
    lo_op, hi_op = ">=", "<="
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, lo_op = m.gt, ">"
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, hi_op = m.lt, "<"
    if lo is None and hi is None:
        return None
    parts = ([f"{lo_op} {lo:g}"] if lo is not None else []) + ([f"{hi_op} {hi:g}"] if hi is not None else [])
    return "allowed: " + " and ".join(parts)


def _describe(err: dict[str, Any]) -> str:
    """One pydantic error as 'field: what is wrong; allowed: ...'."""
    loc = tuple(err.get("loc", ()))
    where = _loc_str(loc) or "(whole file)"
    kind = err.get("type", "")
    got = err.get("input")
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = f"; allowed: {', '.join(_field_names(model))}" if model else ""
        return f"{where}: unknown field{allowed}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{where}: got {got!r}; allowed: {expected}"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return f"{where}: 'check' must be one of 'angle', 'shoulder-hike', 'arm-down', 'hand-behind-head'"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        rng = _numeric_range(loc) or err.get("msg", "")
        return f"{where}: got {got!r}; {rng}"
    if kind in ("too_short", "too_long"):
        return f"{where}: {err.get('msg', '')}"
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{where}: got {got!r}; {msg.lower()}"
    # Cross-field checks (model validators) have no location of their own; their message
    # names the fields involved.
    return msg if not loc else f"{where}: {msg}"


def parse_exercise(text: str, source: str) -> Exercise:
    """Parse and validate one exercise TOML document.

    Args:
        text: The TOML text.
        source: How to name the file in errors (usually its file name or path).

    Raises:
        CoachError: one line naming ``source``, the field and what is allowed.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CoachError(f"{source}: TOML syntax error: {exc}") from None
    try:
        ex = Exercise.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A bad item also makes its enclosing list "too short"; report the cause, not that echo.
        errors = [
            e for e in errors
            if not any(o is not e and tuple(o["loc"])[: len(e["loc"])] == tuple(e["loc"]) and len(o["loc"]) > len(e["loc"]) for o in errors)
        ] or errors
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise CoachError(f"exercise file {source}: {_describe(errors[0])}{more}") from None
    stem = Path(source).name.removesuffix(".toml")
    if ex.id != stem:
        raise CoachError(
            f"exercise file {source}: id: got {ex.id!r}; it must match the file name ({stem!r})"
        )
    return ex


def _user_config_exercises_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("neck-coach")) / "exercises"


def exercise_dirs(extra_dir: str | Path | None = None) -> list[Path]:
    """The user folders searched after the built-ins, lowest precedence first."""
    dirs = [_user_config_exercises_dir()]
    env = os.environ.get(ENV_EXERCISES_DIR, "")
    dirs += [Path(p) for p in env.split(os.pathsep) if p]
    if extra_dir is not None:
        extra = Path(extra_dir)
        if not extra.is_dir():
            raise CoachError(f"exercises folder not found: {extra} (give a folder holding <id>.toml files)")
        dirs.append(extra)
    return dirs


def _sources(extra_dir: str | Path | None) -> Iterable[tuple[str, str]]:
    """Yield ``(source name, toml text)``: built-ins first, then user folders (later wins)."""
    builtin = resources.files("coach._exercises")
    for entry in sorted(builtin.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            yield entry.name, entry.read_text(encoding="utf-8")
    for d in exercise_dirs(extra_dir):
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.toml")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CoachError(f"cannot read exercise file {path}: {exc}") from None
            yield str(path), text


def list_exercises(extra_dir: str | Path | None = None) -> list[Exercise]:
    """All exercises (built-in plus user folders), in routine order.

    Raises:
        CoachError: when any exercise file is invalid (naming the file and field).
    """
    found: dict[str, Exercise] = {}
    for source, text in _sources(extra_dir):
        ex = parse_exercise(text, source)
        found[ex.id] = ex
    return sorted(found.values(), key=lambda e: (e.order, e.id))


def load_exercise(exercise_id: str, extra_dir: str | Path | None = None) -> Exercise:
    """The exercise with ``exercise_id``.

    Raises:
        CoachError: when the id is unknown (listing the known ids) or a file is invalid.
    """
    exercises = list_exercises(extra_dir)
    for ex in exercises:
        if ex.id == exercise_id:
            return ex
    known = ", ".join(e.id for e in exercises)
    raise CoachError(f"unknown exercise {exercise_id!r}; known: {known} (see `coach exercises`)")


def side_label(side: str) -> str:
    """How a side is shown to the person: 'RIGHT', 'LEFT' or '' for center."""
    return "" if side == "center" else side.upper()


def other_side(side: str) -> str:
    """The opposite side ('center' stays 'center')."""
    return {"right": "left", "left": "right"}.get(side, side)


def exercises_command(opts: ExercisesOptions) -> int:
    """`coach exercises`: id, name, sides, reps, hold time, targets and form checks of each."""
    for ex in list_exercises(opts.exercises_dir):
        sides = ", ".join(side_label(s) or "center" for s in ex.sides)
        targets = " and ".join(
            f"{t.axis} {t.direction} >= {t.threshold:g}" + (f" (<= {t.max:g})" if t.max is not None else "")
            + f" {AXIS_UNITS[t.axis]}"
            for t in ex.targets
        )
        print(f"{ex.order}. {ex.id:<18} {ex.name}")
        per_side = " per side" if len(ex.sides) > 1 else ""
        print(f"   sides: {sides}; {ex.reps_per_side} reps{per_side}; hold {ex.hold_min_s:g}-{ex.hold_max_s:g} s")
        print(f"   target: {targets}")
        if ex.form:
            print(f"   form checks: {', '.join(c.fault for c in ex.form)}")
    return 0
