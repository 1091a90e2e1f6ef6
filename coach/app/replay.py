"""`coach replay`: coach a recorded landmark log exactly as the live coach would, and report.

The log (DESIGN.md's JSONL format, from `coach record`) goes through the same chain as a live
frame (`coach.coaching.chain.Coach.process`); the result is printed and, with ``--report``, written
as JSON.
"""

from __future__ import annotations

from coach.coaching.chain import Coach
from coach.coaching.exercise import load_exercise
from coach.errors import CoachError
from coach.landmarks import read_log
from coach.options import ReplayOptions
from coach.outputs import check_writable, write_json


def replay_command(opts: ReplayOptions) -> int:
    """The `coach replay LOG --exercise ID [--report FILE]` subcommand."""
    exercise = load_exercise(opts.exercise, opts.exercises_dir)
    if not opts.log.is_file():
        raise CoachError(f"landmark log not found: {opts.log} (make one with `coach record VIDEO --out LOG.jsonl`)")
    check_writable(opts.report, "--report")
    coach = Coach(exercise, use_face=opts.use_face)
    frames = 0
    for frame in read_log(opts.log):
        coach.process(frame)
        frames += 1
    if frames == 0:
        raise CoachError(f"landmark log {opts.log} has no frames")
    result = coach.result()
    if opts.report is not None:
        write_json(opts.report, {**result.to_json(), "log": str(opts.log), "frames": frames})
    print(result.summary())
    if opts.report is not None:
        print(f"report written to {opts.report}")
    return 0
