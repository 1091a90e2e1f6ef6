"""The typed options of each subcommand, as `coach.cli` parses them.

Every handler takes its options object, never an ``argparse.Namespace``: the fields are the
command line's destinations (``--no-face`` sets ``use_face`` to False), so a handler's inputs
are named, typed and checked in one place. Keyword-only, so shared groups of options are base
classes. Plain data: importing this module loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class ModelOptions:
    """The pose model of the commands that run it: ``--model``, ``--no-face``, ``--flip-test``."""

    model: Path | None = None
    use_face: bool = True
    flip_test: bool = False


@dataclass(frozen=True, kw_only=True)
class AnglesOptions(ModelOptions):
    """`coach angles INPUT`."""

    input: Path
    out: Path | None = None
    calibrate: bool = False
    smooth: bool = True
    reference: str = "torso"  # "torso" or "camera" (`coach.angles.headpose.Reference`)


@dataclass(frozen=True, kw_only=True)
class RecordOptions(ModelOptions):
    """`coach record INPUT | --camera N --out LOG`."""

    out: Path
    input: Path | None = None
    camera: int | None = None
    seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class ExercisesOptions:
    """`coach exercises`."""

    exercises_dir: Path | None = None


@dataclass(frozen=True, kw_only=True)
class ReplayOptions:
    """`coach replay LOG --exercise ID`."""

    log: Path
    exercise: str
    report: Path | None = None
    exercises_dir: Path | None = None
    use_face: bool = True


@dataclass(frozen=True, kw_only=True)
class CamerasOptions:
    """`coach cameras` (no options)."""


@dataclass(frozen=True, kw_only=True)
class LiveOptions:
    """What `coach run` and `coach demo` share: output, view and sound."""

    exercise: str | None = None
    routine: bool = False
    headless: bool = False
    out: Path | None = None
    report: Path | None = None
    mirror: bool = True
    mute: bool = False
    voice: bool = False


@dataclass(frozen=True, kw_only=True)
class RunOptions(LiveOptions, ModelOptions):
    """`coach run`."""

    camera: int | None = None
    video: Path | None = None
    exercises_dir: Path | None = None
    data_dir: Path | None = None
    adaptive: bool = False
    profile: Path | None = None


@dataclass(frozen=True, kw_only=True)
class DemoOptions(LiveOptions):
    """`coach demo`."""

    reps: int | None = None


@dataclass(frozen=True, kw_only=True)
class HistoryOptions:
    """`coach history`."""

    json: bool = False
    last: int | None = None
    where: bool = False
    delete_all: bool = False
    yes: bool = False
    data_dir: Path | None = None


@dataclass(frozen=True, kw_only=True)
class ProgressOptions:
    """`coach progress`."""

    exercise: str | None = None
    plot: Path | None = None
    data_dir: Path | None = None
    measure: bool = False


@dataclass(frozen=True, kw_only=True)
class MeasureOptions(ModelOptions):
    """`coach measure`."""

    camera: int | None = None
    video: Path | None = None
    headless: bool = False
    out: Path | None = None
    report: Path | None = None
    json: Path | None = None
    directions: str | None = None
    mirror: bool = True
    mute: bool = False
    voice: bool = False
    data_dir: Path | None = None


@dataclass(frozen=True, kw_only=True)
class ExportOptions:
    """`coach export --csv DIR`: the exercise sessions and the range-of-motion tests."""

    csv: Path
    data_dir: Path | None = None
