"""The `coach` command line: subcommands, and errors as one clear line with a non-zero exit.

Every subcommand's parsed arguments become its typed options (`coach.options`) and go to its
handler in `coach.app` (one module per command), imported only when its subcommand runs
(`COMMANDS`), so `coach --help` and `coach exercises` stay fast and never load OpenCV or MediaPipe.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path

from coach import __version__
from coach.errors import CoachError
from coach.options import (
    AnglesOptions,
    CamerasOptions,
    DemoOptions,
    ExercisesOptions,
    ExportOptions,
    HistoryOptions,
    MeasureOptions,
    ProgressOptions,
    RecordOptions,
    ReplayOptions,
    RunOptions,
)

# -- the commands ----------------------------------------------------------------------------
# Each command's module (coach.app.<command>) is imported only when the command runs, so that
# `coach --help` and `coach exercises` never load OpenCV or MediaPipe. The imports are plain
# ones inside these functions, so a reader (and import-linter) can follow them.


def _angles(opts: AnglesOptions) -> int:
    from coach.app.angles import angles_command
    return angles_command(opts)


def _record(opts: RecordOptions) -> int:
    from coach.app.record import record_command
    return record_command(opts)


def _exercises(opts: ExercisesOptions) -> int:
    from coach.app.exercises import exercises_command
    return exercises_command(opts)


def _replay(opts: ReplayOptions) -> int:
    from coach.app.replay import replay_command
    return replay_command(opts)


def _cameras(opts: CamerasOptions) -> int:
    from coach.app.cameras import cameras_command
    return cameras_command(opts)


def _run(opts: RunOptions) -> int:
    # The model process starts before the coach's own modules load: its interpreter, MediaPipe
    # and the models take longer to load than they do, so both load at once and the first
    # frame comes sooner (bench/startup.py).
    from coach.vision.pose_worker import RUN_FACE_EVERY, prestart_worker
    started = prestart_worker(opts.model, opts.use_face, face_every=RUN_FACE_EVERY, flip_test=opts.flip_test)
    from coach.app.run import run_command
    return run_command(opts, started)


def _demo(opts: DemoOptions) -> int:
    from coach.app.demo import demo_command
    return demo_command(opts)


def _history(opts: HistoryOptions) -> int:
    from coach.app.history import history_command
    return history_command(opts)


def _progress(opts: ProgressOptions) -> int:
    from coach.app.history import progress_command
    return progress_command(opts)


def _export(opts: ExportOptions) -> int:
    from coach.app.export import export_command
    return export_command(opts)


def _measure(opts: MeasureOptions) -> int:
    from coach.app.measure import measure_command
    return measure_command(opts)


#: subcommand -> (its typed options, its handler)
COMMANDS: dict[str, tuple[type, Callable[..., int]]] = {
    "angles": (AnglesOptions, _angles),
    "record": (RecordOptions, _record),
    "exercises": (ExercisesOptions, _exercises),
    "replay": (ReplayOptions, _replay),
    "cameras": (CamerasOptions, _cameras),
    "run": (RunOptions, _run),
    "demo": (DemoOptions, _demo),
    "history": (HistoryOptions, _history),
    "progress": (ProgressOptions, _progress),
    "export": (ExportOptions, _export),
    "measure": (MeasureOptions, _measure),
}


def options_of(args: argparse.Namespace):
    """The typed options of the parsed subcommand (its fields are the parser's destinations)."""
    cls, _ = COMMANDS[args.command]
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def _run_handler(args: argparse.Namespace) -> int:
    _, handler = COMMANDS[args.command]
    return int(handler(options_of(args)) or 0)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        type=Path,
        default=None,
        help="pose model .task file, or a folder holding the model files "
        "(default: $COACH_MODEL_DIR, then the user cache, then download)",
    )
    p.add_argument(
        "--no-face",
        dest="use_face",
        action="store_false",
        help="pose landmarks only: do not use the face model to refine head angles",
    )
    p.add_argument(
        "--flip-test",
        action="store_true",
        help="also run the models on the mirror image and average: left and right turns read "
        "alike (near profile they can differ by up to 7 deg without it), at twice the model time",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for all subcommands."""
    parser = argparse.ArgumentParser(
        prog="coach",
        description="Webcam coach for neck and upper-back exercises.",
    )
    parser.add_argument("--version", action="version", version=f"neck-coach {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # -- foundation -------------------------------------------------------------------------
    p = sub.add_parser("angles", help="write head angles (torso- or camera-relative) of a video/image as CSV")
    p.add_argument("input", type=Path, help="video file or image")
    p.add_argument("--out", type=Path, default=None, help="CSV file (default: standard output)")
    p.add_argument("--calibrate", action="store_true",
                   help="make angles relative to the neutral pose of the first steady seconds")
    p.add_argument("--no-smooth", dest="smooth", action="store_false",
                   help="raw per-frame angles (no One Euro smoothing)")
    p.add_argument("--reference", choices=("torso", "camera"), default="torso",
                   help="angles relative to the shoulders (default) or to the camera (no shoulders "
                        "needed: face-only pictures, head-pose datasets; retraction is left empty)")
    _add_model_options(p)

    p = sub.add_parser("record", help="record a landmark log (JSONL) from a video or a camera")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("input", type=Path, nargs="?", help="video file (or an image: one frame)")
    src.add_argument("--camera", type=int, default=None, help="camera index")
    p.add_argument("--out", type=Path, required=True, help="landmark log to write (.jsonl)")
    p.add_argument("--seconds", type=float, default=None,
                   help="stop after this many seconds (default: end of file; Ctrl-C for a camera)")
    _add_model_options(p)

    # -- exercises and engine ---------------------------------------------------------------
    p = sub.add_parser("exercises", help="list the available exercises")
    p.add_argument("--exercises-dir", type=Path, default=None, help="extra folder of exercise TOML files")

    p = sub.add_parser("replay", help="coach a recorded landmark log and write a report")
    p.add_argument("log", type=Path, help="landmark log (.jsonl) from `coach record`")
    p.add_argument("--exercise", required=True, help="exercise id (see `coach exercises`)")
    p.add_argument("--report", type=Path, default=None, help="report JSON to write")
    p.add_argument("--exercises-dir", type=Path, default=None, help="extra folder of exercise TOML files")
    p.add_argument("--no-face", dest="use_face", action="store_false",
                   help="ignore face matrices in the log: pose landmarks only")

    # -- live coach ---------------------------------------------------------------------------
    sub.add_parser("cameras", help="list the cameras (index and name) for --camera")
    _add_run_demo_commands(sub)

    # -- history ------------------------------------------------------------------------------
    _add_history_commands(sub)
    _add_measure_command(sub)

    return parser


# -- history, progress, export ----------------------------------------------------------------


def _add_data_dir_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder of the history database (default: $COACH_DATA_DIR, then the "
                   "user data folder; see `coach history --where`)")


def _add_history_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="list past sessions (or where they are kept, or delete them)")
    p.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")
    p.add_argument("--last", type=int, default=None, metavar="N", help="only the newest N sessions")
    p.add_argument("--where", action="store_true", help="print where the history is kept and exit")
    p.add_argument("--delete-all", action="store_true",
                   help="delete the whole history for good (needs --yes)")
    p.add_argument("--yes", action="store_true", help="confirm --delete-all")
    _add_data_dir_option(p)

    p = sub.add_parser("progress", help="range of motion, symmetry and adherence over time")
    p.add_argument("--exercise", default=None, help="only this exercise id")
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help="also draw a chart")
    p.add_argument("--measure", action="store_true",
                   help="the range-of-motion tests (`coach measure`) per direction over the weeks")
    _add_data_dir_option(p)

    p = sub.add_parser("export", help="export the history (sessions and range-of-motion tests) as CSV files")
    p.add_argument("--csv", type=Path, required=True, metavar="DIR",
                   help="folder to write sessions.csv, holds.csv, events.csv and the `coach measure` "
                   "tests (measurements.csv, measurement_directions.csv, measurement_trials.csv) into")
    _add_data_dir_option(p)


# -- live coach: run and demo -------------------------------------------------------------------


def _add_run_demo_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="coach live from the webcam (or a video file), with overlay and sound")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--exercise", default=None, metavar="ID",
                       help="only this exercise (see `coach exercises`)")
    which.add_argument("--routine", action="store_true",
                       help="all exercises in the document's order (the default)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=None, metavar="N",
                     help="camera index (default 0; see `coach cameras`)")
    src.add_argument("--video", type=Path, default=None, metavar="PATH",
                     help="coach a video file instead of the webcam")
    _add_live_output_options(p)
    p.add_argument("--exercises-dir", type=Path, default=None, help="extra folder of exercise TOML files")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder of the history database (default: $COACH_DATA_DIR, then the user data folder)")
    p.add_argument("--adaptive", action="store_true",
                   help="coach with the targets suggested from your history (always shown before "
                   "each exercise; never beyond the exercise file's safe maximum)")
    p.add_argument("--profile", type=Path, default=None, metavar="FILE",
                   help="profile.toml with fixed personal targets (default: profile.toml in the "
                   "user config folder, if present); it wins over --adaptive")
    _add_model_options(p)

    p = sub.add_parser("demo", help="a synthetic person does a short session: no camera, no model needed")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--exercise", default=None, metavar="ID",
                       help="exercise to demonstrate (default: neck-rotation)")
    which.add_argument("--routine", action="store_true", help="demonstrate all exercises")
    p.add_argument("--reps", type=int, default=None, metavar="N",
                   help="reps per side in the demo (default 2; the real sets are 10)")
    _add_live_output_options(p)


def _add_measure_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("measure", help="a guided neck range-of-motion test with a report to hand over")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=None, metavar="N",
                     help="camera index (default 0; see `coach cameras`)")
    src.add_argument("--video", type=Path, default=None, metavar="PATH",
                     help="measure a video file instead of the webcam")
    p.add_argument("--directions", default=None, metavar="LIST",
                   help="comma-separated directions to test, in order (default: all: "
                   "rotation-right,rotation-left,lateral-right,lateral-left,flexion,extension,retraction)")
    p.add_argument("--json", type=Path, default=None, metavar="FILE.json", help="also write the result as JSON")
    _add_live_output_options(p, report=("FILE.html", "write the report to hand over (HTML with charts)"))
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder of the history database (default: $COACH_DATA_DIR, then the user data folder)")
    _add_model_options(p)


def _add_live_output_options(p: argparse.ArgumentParser,
                             report: tuple[str, str] = ("FILE.json", "write a report")) -> None:
    p.add_argument("--headless", action="store_true",
                   help="no window: render the overlay into --out as fast as possible")
    p.add_argument("--out", type=Path, default=None, metavar="VIDEO.mp4",
                   help="record the annotated video (nothing is written to disk without it)")
    p.add_argument("--report", type=Path, default=None, metavar=report[0], help=report[1])
    p.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=True,
                   help="show the image like a mirror (default: on)")
    p.add_argument("--mute", action="store_true", help="no sound (m toggles it)")
    p.add_argument("--voice", action="store_true", help="also speak cues (espeak-ng, spd-say or say)")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the process exit code (0 ok, 2 bad input, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    debug = args.debug or bool(os.environ.get("COACH_DEBUG"))
    try:
        return _run_handler(args)
    except CoachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        # Handlers that hold a session save it themselves (try/finally); this only keeps the
        # interrupt from turning into a traceback.
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
