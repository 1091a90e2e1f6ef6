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
    p = sub.add_parser("angles", help="write head angles (torso- or camera-relative) of a video/image as CSV")
    p.add_argument("input", type=Path, help="video file or image")
    p.add_argument("--out", type=Path, default=None, help="CSV file (default: standard output)")
    p.add_argument("--calibrate", action="store_true",
                   help="make angles relative to the neutral pose of the first steady seconds")
    p.add_argument("--no-smooth", action="store_true",
                   help="raw per-frame angles (no One Euro smoothing)")
    p.add_argument("--reference", choices=("torso", "camera"), default="torso",
                   help="angles relative to the shoulders (default) or to the camera (no shoulders "
                        "needed: face-only pictures, head-pose datasets; retraction is left empty)")
    _add_model_options(p)
    p.set_defaults(handler=_cmd_angles)

    p = sub.add_parser("record", help="record a landmark log (JSONL) from a video or a camera")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("input", type=Path, nargs="?", help="video file (or an image: one frame)")
    src.add_argument("--camera", type=int, default=None, help="camera index")
    p.add_argument("--out", type=Path, required=True, help="landmark log to write (.jsonl)")
    p.add_argument("--seconds", type=float, default=None,
                   help="stop after this many seconds (default: end of file; Ctrl-C for a camera)")
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
    p.add_argument("--no-face", action="store_true", help="ignore face matrices in the log: pose landmarks only")
    p.set_defaults(handler=_cmd_replay)

    # -- live coach ---------------------------------------------------------------------------
    # (the live-coach issue adds: run, cameras, demo)
    p = sub.add_parser("cameras", help="list the cameras (index and name) for --camera")
    p.set_defaults(handler=_cmd_cameras)
    _add_run_demo_commands(sub)

    # -- history ------------------------------------------------------------------------------
    _add_history_commands(sub)

    return parser


def _cmd_angles(args: argparse.Namespace) -> int:
    from coach.angles import angles_command

    return angles_command(args)


def _cmd_record(args: argparse.Namespace) -> int:
    from coach.record import record_command

    return record_command(args)


def _cmd_cameras(args: argparse.Namespace) -> int:
    from coach.capture import list_cameras

    cameras = list_cameras()
    if not cameras:
        print("no camera found; use `coach run --video FILE`, or try `coach demo`")
        return 0
    for cam in cameras:
        print(f"{cam.index}\t{cam.name or '(no name)'}")
    return 0


def _cmd_exercises(args: argparse.Namespace) -> int:
    from coach.exercise import list_exercises, side_label

    for ex in list_exercises(args.exercises_dir):
        sides = ", ".join(side_label(s) or "center" for s in ex.sides)
        targets = " and ".join(
            f"{t.axis} {t.direction} >= {t.threshold:g}" + (f" (<= {t.max:g})" if t.max is not None else "")
            + (" cm" if t.axis == "retraction" else " deg")
            for t in ex.targets
        )
        print(f"{ex.order}. {ex.id:<18} {ex.name}")
        per_side = " per side" if len(ex.sides) > 1 else ""
        print(f"   sides: {sides}; {ex.reps_per_side} reps{per_side}; hold {ex.hold_min_s:g}-{ex.hold_max_s:g} s")
        print(f"   target: {targets}")
        if ex.form:
            print(f"   form checks: {', '.join(c.fault for c in ex.form)}")
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    import json

    from coach.coaching import Coach
    from coach.exercise import load_exercise
    from coach.landmarks import read_log
    from coach.report import format_summary

    exercise = load_exercise(args.exercise, args.exercises_dir)
    if not args.log.is_file():
        raise CoachError(f"landmark log not found: {args.log} (make one with `coach record VIDEO --out LOG.jsonl`)")
    if args.report is not None and not args.report.parent.is_dir():
        raise CoachError(f"cannot write the report {args.report}: folder {args.report.parent} does not exist")
    coach = Coach(exercise, use_face=not args.no_face)
    frames = 0
    for frame in read_log(args.log):
        coach.process(frame)
        frames += 1
    if frames == 0:
        raise CoachError(f"landmark log {args.log} has no frames")
    report = coach.section()
    report["log"] = str(args.log)
    report["frames"] = frames
    if args.report is not None:
        try:
            args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise CoachError(f"cannot write the report {args.report}: {exc.strerror}") from None
    print(format_summary(report))
    if args.report is not None:
        print(f"report written to {args.report}")
    return 0


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
    p.set_defaults(handler=_cmd_history)

    p = sub.add_parser("progress", help="range of motion, symmetry and adherence over time")
    p.add_argument("--exercise", default=None, help="only this exercise id")
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help="also draw a chart")
    _add_data_dir_option(p)
    p.set_defaults(handler=_cmd_progress)

    p = sub.add_parser("export", help="export the history as CSV files")
    p.add_argument("--csv", type=Path, required=True, metavar="DIR",
                   help="folder to write sessions.csv, holds.csv and events.csv into")
    _add_data_dir_option(p)
    p.set_defaults(handler=_cmd_export)


def _stored_sessions(data_dir: Path | None, last: int | None = None) -> list:
    """The stored sessions; an absent database is an empty history (reading never creates it)."""
    from coach.history import HistoryStore, resolve_db_path

    if not resolve_db_path(data_dir).exists():
        return []
    with HistoryStore.open(data_dir) as store:
        return store.sessions(last=last)


def _cmd_history(args: argparse.Namespace) -> int:
    import json

    from coach.history import delete_history, resolve_db_path
    from coach.history_view import format_history_table

    path = resolve_db_path(args.data_dir)
    if args.where:
        state = "exists" if path.exists() else "not created yet"
        print(f"{path} ({state})")
        return 0
    if args.delete_all:
        if not args.yes:
            n = len(_stored_sessions(args.data_dir))
            raise CoachError(f"this deletes all {n} session(s) in {path} for good; "
                             "add --yes to confirm")
        removed = delete_history(args.data_dir)
        print(f"deleted {len(removed)} file(s): " + ", ".join(str(p) for p in removed)
              if removed else f"no history at {path}: nothing to delete")
        return 0
    if args.last is not None and args.last < 1:
        raise CoachError(f"--last must be at least 1, got {args.last}")
    sessions = _stored_sessions(args.data_dir, args.last)
    if args.json:
        print(json.dumps([s.to_json() for s in sessions], indent=2))
    else:
        print(format_history_table(sessions))
    return 0


def _cmd_progress(args: argparse.Namespace) -> int:
    from datetime import datetime

    from coach.progress import compute_progress, format_progress, plot_progress

    sessions = _stored_sessions(args.data_dir)
    if args.exercise is not None:
        from coach.exercise import load_exercise

        known = {r.exercise_id for s in sessions for r in s.runs}
        if args.exercise not in known:
            load_exercise(args.exercise)  # an unknown id: error listing the known ones
    # Adherence counts weeks up to today, so a recent gap shows.
    report = compute_progress(sessions, exercise_id=args.exercise, until=datetime.now().date())
    if args.exercise is not None and not report.weeks:
        print(f"No sessions of {args.exercise} in the history yet.")
    else:
        print(format_progress(report))
        _print_target_suggestions(args.data_dir, [e.exercise_id for e in report.exercises])
    if args.plot is not None:
        plot_progress(report, args.plot)
        print(f"chart written to {args.plot}")
    return 0


def _print_target_suggestions(data_dir: Path | None, exercise_ids: list[str]) -> None:
    from coach.exercise import load_exercise
    from coach.history import HistoryStore
    from coach.targets import suggest_targets

    if not exercise_ids:
        return
    print("\nSuggested next targets (`coach run --adaptive` coaches with them):")
    with HistoryStore.open(data_dir) as store:
        for exercise_id in exercise_ids:
            try:
                exercise = load_exercise(exercise_id)
            except CoachError:
                continue  # an exercise file since removed: nothing to suggest for
            print(f"  {exercise.name}: {suggest_targets(store, exercise).describe()}")


def _cmd_export(args: argparse.Namespace) -> int:
    from coach.history_view import export_csv

    paths = export_csv(_stored_sessions(args.data_dir), args.csv)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


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
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("demo", help="a synthetic person does a short session: no camera, no model needed")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--exercise", default=None, metavar="ID",
                       help="exercise to demonstrate (default: neck-rotation)")
    which.add_argument("--routine", action="store_true", help="demonstrate all exercises")
    p.add_argument("--reps", type=int, default=None, metavar="N",
                   help="reps per side in the demo (default 2; the real sets are 10)")
    _add_live_output_options(p)
    p.set_defaults(handler=_cmd_demo)


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


def _cmd_run(args: argparse.Namespace) -> int:
    from coach.session import run_command

    return run_command(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from coach.session import demo_command

    return demo_command(args)


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
