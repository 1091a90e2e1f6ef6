"""The `coach` command line: subcommands, and errors as one clear line with a non-zero exit.

Each subcommand has a small ``_cmd_<name>`` handler here that imports the stage modules it needs
lazily, so `coach --help` and `coach exercises` stay fast and never load mediapipe.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from coach import __version__
from coach.errors import CoachError


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
        action="store_true",
        help="pose landmarks only: do not use the face model to refine head angles",
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
    p = sub.add_parser("angles", help="write torso-relative head angles of a video/image as CSV")
    p.add_argument("input", type=Path, help="video file or image")
    p.add_argument("--out", type=Path, default=None, help="CSV file (default: standard output)")
    p.add_argument("--calibrate", action="store_true",
                   help="make angles relative to the neutral pose of the first steady seconds")
    _add_model_options(p)
    p.set_defaults(handler=_cmd_angles)

    p = sub.add_parser("record", help="record a landmark log (JSONL) from a video or a camera")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("input", type=Path, nargs="?", help="video file")
    src.add_argument("--camera", type=int, default=None, help="camera index")
    p.add_argument("--out", type=Path, required=True, help="landmark log to write (.jsonl)")
    p.add_argument("--seconds", type=float, default=None, help="stop a camera recording after this long")
    _add_model_options(p)
    p.set_defaults(handler=_cmd_record)

    # -- exercises and engine ---------------------------------------------------------------
    p = sub.add_parser("exercises", help="list the available exercises")
    p.add_argument("--exercises-dir", type=Path, default=None, help="extra folder of exercise TOML files")
    p.set_defaults(handler=_cmd_exercises)

    p = sub.add_parser("replay", help="coach a recorded landmark log and write a report")
    p.add_argument("log", type=Path, help="landmark log (.jsonl) from `coach record`")
    p.add_argument("--exercise", required=True, help="exercise id (see `coach exercises`)")
    p.add_argument("--report", type=Path, default=None, help="report JSON to write")
    p.add_argument("--exercises-dir", type=Path, default=None, help="extra folder of exercise TOML files")
    p.set_defaults(handler=_cmd_replay)

    # -- live coach ---------------------------------------------------------------------------
    # (the live-coach issue adds: run, cameras, demo)

    # -- history ------------------------------------------------------------------------------
    # (the history issue adds: history, progress, export)

    return parser


def _cmd_angles(args: argparse.Namespace) -> int:
    raise CoachError("`coach angles` is not implemented yet")


def _cmd_record(args: argparse.Namespace) -> int:
    raise CoachError("`coach record` is not implemented yet")


def _cmd_exercises(args: argparse.Namespace) -> int:
    raise CoachError("`coach exercises` is not implemented yet")


def _cmd_replay(args: argparse.Namespace) -> int:
    raise CoachError("`coach replay` is not implemented yet")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return the process exit code (0 ok, 2 bad input, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    debug = args.debug or bool(os.environ.get("COACH_DEBUG"))
    try:
        return int(args.handler(args) or 0)
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
