"""Personal targets: suggested from the history, or fixed in a user profile.

Before each exercise the coach shows what it would ask for next. `suggest_targets` looks at the
exercise's last few sessions and proposes, for each open-ended target ("go further": yaw of a
rotation, roll of a lateral flexion, retraction of a chin tuck, pitch of the levator stretch), a
threshold a little beyond the median peak of the counted holds of the *weaker* side - the
threshold is shared by both sides, and the weaker side must still be able to reach it. When the
recent holds did not count at all, it eases back one step toward the file's target, so a raised
target can never stay out of reach. It never
goes beyond the exercise file's safe maximum (the target's ``max``, else the axis range) and
never below a floor just above the return-to-neutral zone. Band targets (a target with a ``max``,
like the levator stretch's 45 +/- 15 degree turn) are positions to hold, not ranges to grow: they
stay as the file says.

The suggestion is applied only when the person opts in (``--adaptive``). A profile file
(``<user config dir>/neck-coach/profile.toml`` or ``--profile``) can instead fix the thresholds,
for someone with limited motion::

    # profile.toml
    [targets.neck-rotation]
    yaw = 40.0          # degrees; the file's default is 60

    [targets.chin-tuck]
    retraction = 1.0    # cm

No clock, no cv2.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

from platformdirs import user_config_dir
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.coaching.exercise import AXIS_LIMITS, AXIS_UNITS, Axis, Exercise, Target, load_exercise
from coach.errors import CoachError
from coach.store.history import StoredRun, StoredSession
from coach.store.progress import ProgressAxis, format_value, hold_peak

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 needs the tomli backport
    import tomli as tomllib  # type: ignore[no-redef]

PROFILE_FILENAME = "profile.toml"
#: How many of the exercise's latest sessions (with at least one hold) the suggestion uses.
RECENT_RUNS = 3
#: "A little beyond the median": this fraction of it, but at least MIN_STEP of the unit.
STEP_FRACTION = 0.05
MIN_STEP = {"deg": 1.0, "cm": 0.1}


class _RunSource(Protocol):
    def runs(self, exercise_id: str | None = None) -> list[tuple[StoredSession, StoredRun]]: ...


# -- bounds -------------------------------------------------------------------------------------


def adaptable(target: Target) -> bool:
    """Whether a target is a range to grow ("go further") rather than a band to stay in."""
    return target.max is None


def targets_record(exercise: Exercise) -> dict[str, float]:
    """``{axis: threshold}`` in effect: what the session passes to `HistoryStore.start_exercise`."""
    return {t.axis: t.threshold for t in exercise.targets}


# -- suggestions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetSuggestion:
    """The thresholds to use for one exercise, where they come from and why.

    Attributes:
        exercise_id: The exercise.
        thresholds: ``{axis: threshold}`` for every target of the exercise.
        defaults: The exercise file's thresholds, for comparison.
        source: "default" (the file), "history" (suggested from past sessions) or "profile".
        reason: One line for the person, e.g. "your last 3 sessions: median 62.0 deg ...".
    """

    exercise_id: str
    thresholds: dict[str, float]
    defaults: dict[str, float]
    source: str
    reason: str
    units: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> dict[str, float]:
        """The thresholds that differ from the file's."""
        return {a: v for a, v in self.thresholds.items() if v != self.defaults.get(a)}

    def apply(self, exercise: Exercise) -> Exercise:
        """The exercise with these thresholds (checked again by `Exercise.with_thresholds`)."""
        return exercise.with_thresholds(self.changed) if self.changed else exercise

    def describe(self) -> str:
        """E.g. "Targets: yaw 65.1 deg (file: 60) - from your last 3 sessions: ..."."""
        parts = []
        for axis, value in self.thresholds.items():
            unit = self.units.get(axis, "")
            text = f"{axis} {format_value(value, unit)} {unit}".rstrip()
            if value != self.defaults.get(axis):
                text += f" (file: {format_value(self.defaults[axis], unit)})"
            parts.append(text)
        return f"Targets: {', '.join(parts)} - {self.reason}"


def _defaults(exercise: Exercise) -> tuple[dict[str, float], dict[str, str]]:
    return targets_record(exercise), {t.axis: AXIS_UNITS[t.axis] for t in exercise.targets}


def suggest_targets(store: _RunSource | None, exercise: Exercise, *,
                    recent_runs: int = RECENT_RUNS) -> TargetSuggestion:
    """Suggest the next thresholds for ``exercise`` from its recent counted holds.

    Args:
        store: The history (anything with ``runs(exercise_id)``); None or an unusable history
            gives the file's targets.
        exercise: The exercise as loaded from its file (its thresholds are the defaults).
        recent_runs: How many of the latest sessions with holds to use.

    Returns:
        For each open-ended target: the weaker side's median counted peak plus a small step,
        kept within ``(floor, safe maximum)``; other targets as in the file.
    """
    defaults, units = _defaults(exercise)
    runs = [r for _, r in (_runs(store, exercise.id))]
    recent = [r for r in runs if r.holds][-recent_runs:]
    if not recent:
        return TargetSuggestion(exercise.id, defaults, defaults, "default",
                                "no sessions of this exercise yet: the exercise file's targets",
                                units)
    thresholds = dict(defaults)
    notes = []
    main_axis = exercise.main_target.axis
    for target in exercise.targets:
        if not adaptable(target):
            continue
        unit = AXIS_UNITS[target.axis]
        axis = ProgressAxis(target.axis, unit, target.threshold, main_axis)
        peaks: dict[str, list[float]] = {}
        for run in recent:
            for hold in run.holds:
                value = hold_peak(hold, axis) if hold.counted else None
                if value is not None and math.isfinite(value):
                    peaks.setdefault(hold.side, []).append(value)
        if not peaks:
            # Holds were tried but none counted: a target raised earlier may now be out of
            # reach. Ease it back one step, but not below the file's (lower than that is what
            # a profile is for: the history cannot tell a bad day from limited motion).
            last = _last_threshold(recent, target.axis, target.threshold)
            eased = max(target.threshold, last - max(MIN_STEP.get(unit, 1.0), STEP_FRACTION * last))
            value = _clamp(min(last, eased), exercise, target, unit)
            thresholds[target.axis] = value
            notes.append(f"no counted {target.axis} holds lately: easing to "
                         f"{format_value(value, unit)} {unit}")
            continue
        medians = {side: statistics.median(v) for side, v in peaks.items()}
        weaker_side = min(medians, key=medians.__getitem__)
        base = medians[weaker_side]
        step = max(MIN_STEP.get(unit, 1.0), STEP_FRACTION * base)
        value = _clamp(base + step, exercise, target, unit)
        thresholds[target.axis] = value
        per_side = ", ".join(f"{s} {format_value(m, unit)}" for s, m in medians.items())
        notes.append(f"{target.axis} median of counted holds {per_side} {unit}"
                     + (f"; {weaker_side} is the weaker side" if len(medians) > 1 else ""))
    n = len(recent)
    reason = f"from your last {n} session{'s' if n > 1 else ''}: " + "; ".join(notes)
    return TargetSuggestion(exercise.id, thresholds, defaults, "history", reason, units)


def _clamp(value: float, exercise: Exercise, target: Target, unit: str) -> float:
    step = MIN_STEP.get(unit, 1.0)
    # Strictly inside (floor, safe maximum), with room for the hysteresis band below the
    # maximum so the target zone is never empty.
    floor, ceiling = exercise.threshold_bounds(target)
    high = ceiling - max(target.hysteresis, step)
    low = floor + step
    return round(min(max(value, low), high), 2)


def _runs(store: _RunSource | None, exercise_id: str) -> list[tuple[StoredSession, StoredRun]]:
    runs = getattr(store, "runs", None)
    if runs is None:
        return []
    return runs(exercise_id)


def _last_threshold(runs: list[StoredRun], axis: str, default: float) -> float:
    for run in reversed(runs):
        value = run.targets.get(axis)
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
    return default


# -- profile ------------------------------------------------------------------------------------

PositiveFinite = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Profile(BaseModel):
    """A user profile: fixed per-exercise thresholds (``targets.<exercise-id>.<axis>``).

    Attributes:
        targets: ``{exercise_id: {axis: threshold}}`` in the axis' unit (deg, or cm for
            retraction).
        path: The file it was read from (for messages).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")],
                  dict[Axis, PositiveFinite]] = Field(default_factory=dict)
    path: str = ""

    def thresholds_for(self, exercise_id: str) -> dict[str, float] | None:
        """The fixed thresholds for an exercise, or None when the profile does not set any."""
        values = self.targets.get(exercise_id)
        return dict(values) if values else None


def default_profile_path() -> Path:
    """``<user config dir>/neck-coach/profile.toml``."""
    return Path(user_config_dir("neck-coach", appauthor=False)) / PROFILE_FILENAME


def load_profile(path: Path | None = None, *, exercises_dir: Path | None = None) -> Profile | None:
    """Read and validate a profile.

    Args:
        path: The profile file (``--profile``); None means `default_profile_path()`, which
            may be absent (then there is no profile).
        exercises_dir: Extra exercise folder, as given to the session.

    Returns:
        The profile, or None when no path was given and the default file does not exist.

    Raises:
        CoachError: One line naming the file, the field and what is allowed.
    """
    explicit = path is not None
    path = Path(path) if explicit else default_profile_path()
    if not path.is_file():
        if explicit:
            raise CoachError(f"profile not found: {path} (give an existing profile.toml)")
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CoachError(f"cannot read profile {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CoachError(f"profile {path}: TOML syntax error: {exc}") from None
    if "path" in data:
        raise CoachError(f"profile {path}: path: unknown field; allowed: targets")
    try:
        profile = Profile.model_validate({**data, "path": str(path)})
    except ValidationError as exc:
        raise CoachError(f"profile {path}: {_describe(exc.errors()[0])}") from None
    for exercise_id, values in profile.targets.items():
        try:
            exercise = load_exercise(exercise_id, exercises_dir)
        except CoachError as exc:
            raise CoachError(f"profile {path}: targets.{exercise_id}: {exc}") from None
        by_axis = {t.axis: t for t in exercise.targets}
        for axis, value in values.items():
            where = f"profile {path}: targets.{exercise_id}.{axis}"
            target = by_axis.get(axis)
            if target is None:
                raise CoachError(f"{where}: {exercise_id} has no {axis} target; "
                                 f"allowed: {', '.join(by_axis)}")
            low, high = exercise.threshold_bounds(target)
            if not low < value < high:
                unit = AXIS_UNITS[axis]
                raise CoachError(f"{where}: got {value:g}; allowed: {low:g} < {axis} < {high:g} {unit}")
        exercise.with_thresholds(values)  # the exercise model's own check, in case it is stricter
    return profile


def _describe(err: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()) if p != "[key]")
    kind = err.get("type", "")
    got = err.get("input")
    if kind == "extra_forbidden":
        return f"{loc}: unknown field; allowed: targets"
    if kind == "literal_error":
        return f"{loc}: unknown axis; allowed: {', '.join(AXIS_LIMITS)}"
    if kind in ("greater_than", "finite_number", "float_parsing", "float_type"):
        return f"{loc}: got {got!r}; allowed: a finite number > 0"
    if kind in ("dict_type", "model_type"):
        return f"{loc}: got {got!r}; allowed: a table like [targets.neck-rotation] with yaw = 40"
    if kind == "string_pattern_mismatch":
        return f"{loc}: got {got!r}; allowed: an exercise id (see `coach exercises`)"
    return f"{loc}: {err.get('msg', 'invalid')} (got {got!r})"


# -- what the session uses ----------------------------------------------------------------------


def choose_targets(store: _RunSource | None, exercise: Exercise, *, profile: Profile | None = None,
                   adaptive: bool = False) -> TargetSuggestion:
    """The thresholds to coach with: the profile's if it sets any for this exercise, else the
    history's suggestion when ``adaptive``, else the file's (mentioning the suggestion).

    Apply with ``choose_targets(...).apply(exercise)``; record ``targets_record`` of the result.
    """
    defaults, units = _defaults(exercise)
    fixed = profile.thresholds_for(exercise.id) if profile is not None else None
    if fixed:
        thresholds = {**defaults, **fixed}
        return TargetSuggestion(exercise.id, thresholds, defaults, "profile",
                                f"fixed in your profile {profile.path}", units)
    suggestion = suggest_targets(store, exercise)
    if adaptive or suggestion.source == "default":
        return suggestion
    hint = ", ".join(f"{a} {format_value(v, units[a])} {units[a]}" for a, v in suggestion.changed.items())
    reason = "the exercise file's targets"
    if hint:
        reason += f" (suggested from your history: {hint}; use --adaptive to coach with it)"
    return TargetSuggestion(exercise.id, defaults, defaults, "default", reason, units)
