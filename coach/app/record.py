"""`coach record`: run the pose model over a video or a camera and write the landmark log.

The log (DESIGN.md format, one JSON object per line) is written line-buffered, so a recording
stopped with Ctrl-C, or cut short by a lost camera, is still a valid log up to the last frame.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from coach.errors import CoachError
from coach.landmarks import write_log
from coach.options import RecordOptions
from coach.outputs import check_writable
from coach.vision.capture import CameraLost, CameraSource, FrameSource, Sample, open_source
from coach.vision.pose import open_tracker


@dataclass(frozen=True)
class RecordResult:
    """What a recording wrote.

    Attributes:
        frames: Frames written to the log.
        detected: Frames with a person.
        interrupted: Stopped by Ctrl-C before the input ended.
        camera_lost: Stopped because the camera stopped sending frames.
    """

    frames: int
    detected: int
    interrupted: bool = False
    camera_lost: bool = False


def _check_seconds(seconds: float | None) -> None:
    if seconds is not None and not seconds > 0:
        raise CoachError(f"--seconds must be > 0, got {seconds:g}")


def _limit(samples: Iterable[Sample], seconds: float | None) -> Iterator[Sample]:
    """Stop after ``seconds`` of stream time, measured from the first frame."""
    first: int | None = None
    for sample in samples:
        if first is None:
            first = sample.t_ms
        if seconds is not None and sample.t_ms - first >= seconds * 1000.0:
            return
        yield sample


def record(source: FrameSource, tracker, out_path: Path, *, seconds: float | None = None,
           progress: bool | None = None) -> RecordResult:
    """Track every frame of ``source`` and write the landmark log to ``out_path``.

    Args:
        source: Frames to track (a file, an image or a camera).
        tracker: Anything with ``process(t_ms, frame_bgr) -> PoseFrame`` (a `PoseTracker`).
        out_path: The ``.jsonl`` file to write (replaced if it exists).
        seconds: Stop after this much stream time (``None``: until the source ends).
        progress: Show a progress bar on stderr (``None``: only on a terminal).

    Returns:
        Counts of what was written; Ctrl-C and a lost camera end the recording normally.

    Raises:
        CoachError: the output file cannot be written.
    """
    out_path = Path(out_path)
    _check_seconds(seconds)
    total = source.frame_count
    if seconds is not None and total is not None:
        total = min(total, int(seconds * source.fps) + 1)
    frames = detected = 0
    interrupted = lost = False
    try:
        # buffering=1: line-buffered, every frame reaches the file as soon as it is tracked.
        out = out_path.open("w", encoding="utf-8", buffering=1)
    except OSError as exc:
        raise CoachError(f"cannot write {out_path}: {exc.strerror}; pick another --out") from None
    disable = None if progress is None else not progress  # None: tqdm decides (tty or not)
    with out, tqdm(total=total, unit="frame", desc="recording", disable=disable,
                   file=sys.stderr, leave=False) as bar:
        try:
            for sample in _limit(source, seconds):
                pose = tracker.process(sample.t_ms, sample.frame_bgr)
                # One line per call, so the count is exact whenever Ctrl-C lands.
                frames += write_log((pose,), out)
                detected += pose.detected
                bar.update(1)
        except KeyboardInterrupt:
            interrupted = True
        except CameraLost:
            lost = True
    return RecordResult(frames=frames, detected=detected,
                        interrupted=interrupted, camera_lost=lost)


def record_command(args: RecordOptions) -> int:
    """The `coach record` subcommand (typed options from `coach.cli`)."""
    _check_seconds(args.seconds)
    check_writable(args.out, "--out")
    # Open the input before loading the model: a typo in the path fails in milliseconds.
    if args.camera is not None:
        source: FrameSource = CameraSource(args.camera)
    else:
        source = open_source(args.input)

    with source, open_tracker(args.model, use_face=args.use_face, flip_test=args.flip_test) as tracker:
        result = record(source, tracker, args.out, seconds=args.seconds)
    how = " (stopped by Ctrl-C)" if result.interrupted else ""
    how = " (camera stopped sending frames)" if result.camera_lost else how
    print(f"wrote {result.frames} frames ({result.detected} with a person) to {args.out}{how}",
          file=sys.stderr)
    if result.interrupted and args.camera is None:
        return 130  # a file recording cut short is incomplete; a camera one ends this way
    return 0
