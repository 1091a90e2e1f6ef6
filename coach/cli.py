"""The `coach` command line: subcommands, and errors as one clear line with a non-zero exit.

Every subcommand's parsed arguments become its typed options (`coach.options`) and go to its
handler, which lives with the stage it drives (`coach.app.angles.angles_command`, ...). A handler's
module is imported only when its subcommand runs (`HANDLERS`), so `coach --help` and
`coach exercises` stay fast and never load OpenCV or MediaPipe.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys
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
    ProgressOptions,
    RecordOptions,
    ReplayOptions,
    RunOptions,
)

#: subcommand -> (its options type, "module:function" of its handler)
HANDLERS: dict[str, tuple[type, str]] = {
    "angles": (AnglesOptions, "coach.app.angles:angles_command"),
    "record": (RecordOptions, "coach.app.record:record_command"),
    "exercises": (ExercisesOptions, "coach.coaching.exercise:exercises_command"),
    "replay": (ReplayOptions, "coach.app.replay:replay_command"),
    "cameras": (CamerasOptions, "coach.vision.cameras:cameras_command"),
    "run": (RunOptions, "coach.app.run:run_command"),
    "demo": (DemoOptions, "coach.app.demo:demo_command"),
    "history": (HistoryOptions, "coach.app.history:history_command"),
    "progress": (ProgressOptions, "coach.app.history:progress_command"),
    "export": (ExportOptions, "coach.app.history:export_command"),
}


def options_of(args: argparse.Namespace):
    """The typed options of the parsed subcommand (its fields are the parser's destinations)."""
    cls, _ = HANDLERS[args.command]
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def _run_handler(args: argparse.Namespace) -> int:
    _, target = HANDLERS[args.command]
    module, function = target.split(":")
    return int(getattr(importlib.import_module(module), function)(options_of(args)) or 0)


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
    _add_data_dir_option(p)

    p = sub.add_parser("export", help="export the history as CSV files")
    p.add_argument("--csv", type=Path, required=True, metavar="DIR",
                   help="folder to write sessions.csv, holds.csv and events.csv into")
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


def _add_live_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--headless", action="store_true",
                   help="no window: render the overlay into --out as fast as possible")
    p.add_argument("--out", type=Path, default=None, metavar="VIDEO.mp4",
                   help="record the annotated video (nothing is written to disk without it)")
    p.add_argument("--report", type=Path, default=None, metavar="FILE.json", help="write a report")
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
