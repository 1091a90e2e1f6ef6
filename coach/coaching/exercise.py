"""Exercises as data: load and validate ``exercises/*.toml`` into frozen pydantic models.

The four built-in exercises ship inside the package (``coach._exercises``, the repo's
``exercises/`` folder) and are read with :mod:`importlib.resources`, so a plain
``pip install .`` finds them. A user adds or overrides an exercise by dropping a TOML file into
an extra folder: ``--exercises-dir``, ``$COACH_EXERCISES_DIR`` (``os.pathsep``-separated) or
``<user config dir>/neck-coach/exercises``. A file whose id matches a built-in replaces it.

Every validation problem becomes one :class:`CoachError` line naming the file, the field and
what is allowed, e.g. ``lateral-flexion.toml: targets[0].axis: got 'tilt'; allowed: 'yaw',
'roll', 'pitch', 'retraction'``.

The models and their ranges are in `coach.coaching.exercise_model` (re-exported here);
`coach.app.exercises` prints them for `coach exercises`.

Pure python: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir
from pydantic import BaseModel, ValidationError

from coach.coaching.exercise_model import (  # noqa: F401  (re-exported: the exercise stage's public API)
    AXIS_LIMITS,
    AXIS_UNITS,
    FORM_CHECKS,
    AngleLimit,
    ArmDown,
    Axis,
    Exercise,
    FingerOnChin,
    FormCheck,
    HandBehindHead,
    ShoulderHike,
    Target,
    other_side,
    side_label,
)
from coach.errors import CoachError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 needs the tomli backport
    import tomli as tomllib

ENV_EXERCISES_DIR = "COACH_EXERCISES_DIR"


# -- loading ------------------------------------------------------------------------------------


def _loc_str(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in FORM_CHECKS:
            continue  # the discriminator tag pydantic puts in the location; not a field name
        else:
            out += ("." if out else "") + ("return" if part == "return_" else str(part))
    return out


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Follow an error location through the models to the model that owns the last field."""
    model: Any = Exercise
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if part in FORM_CHECKS:
            model = FORM_CHECKS[part]
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


def _describe(err: Mapping[str, Any]) -> str:
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
        return f"{where}: 'check' must be one of {', '.join(repr(t) for t in FORM_CHECKS)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        rng = _numeric_range(loc) or err.get("msg", "")
        return f"{where}: got {got!r}; {rng}"
    if kind in ("too_short", "too_long"):
        return f"{where}: {err.get('msg', '')}"
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if kind.endswith(("_type", "_parsing")):
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
        def inside(o: Any, e: Any) -> bool:
            return tuple(o["loc"])[: len(e["loc"])] == tuple(e["loc"]) and len(o["loc"]) > len(e["loc"])

        errors = [e for e in errors if not any(o is not e and inside(o, e) for o in errors)] or errors
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise CoachError(f"exercise file {source}: {_describe(errors[0])}{more}") from None
    stem = Path(source).name.removesuffix(".toml")
    if ex.id != stem:
        raise CoachError(
            f"exercise file {source}: id: got {ex.id!r}; it must match the file name ({stem!r})"
        )
    return ex


def _user_config_exercises_dir() -> Path:
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
