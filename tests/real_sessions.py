"""Whole `coach run` sessions built from the real clips in ../shared/data/real (issue 15).

A clip is read once through the real models to find its moments; the session video is then a
replay of the clip's own frames in a new order (nothing synthetic is drawn):

* its stillest straight-ahead moment, stretched (played back and forth) for the setup check
  and the calibration;
* each direction's peak (the frames nearest the largest reading toward that side) stretched
  into the range check's still hold and then into the exercise's holds, the way there and back
  slowed by repeating every frame, with the still moment between as the rest.

The videos are written to the test's temporary folder, never to the repository. Build each
one once per test module (a module-scoped fixture): reading a clip through the models costs
seconds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from coach.angles.headpose import head_angles
from coach.cli import main
from coach.vision.capture import VideoFileSource

#: The axes a session can be built on, as columns of `clip_angles`.
AXES = ("yaw", "roll", "pitch")
#: The sides of each axis, with the sign of a movement toward them (DESIGN.md conventions).
SIDES = {"yaw": (("right", 1.0), ("left", -1.0)), "roll": (("right", 1.0), ("left", -1.0)),
         "pitch": (("down", 1.0), ("up", -1.0))}
#: How far from a plausible neutral each frame is, in these units (yaw, roll, pitch in deg).
NEUTRAL_SCALE_DEG = (12.0, 10.0, 20.0)


def back_and_forth(idx: Sequence[int], n: int) -> list[int]:
    """``n`` frame indices playing ``idx`` forward and back again (a still moment stretched)."""
    idx = list(idx)
    cycle = idx + idx[-2:0:-1] if len(idx) > 1 else idx
    return [cycle[k % len(cycle)] for k in range(n)]


@dataclass(frozen=True)
class Clip:
    """A real clip's frames and what the models read on each.

    Attributes:
        images: Every frame (BGR).
        fps: Its frame rate.
        angles: ``(frames, 3)`` yaw, roll, pitch in degrees (NaN where not tracked).
    """

    images: tuple[np.ndarray, ...]
    fps: float
    angles: np.ndarray


def read_clip(clip: Path, model_dir: Path, *, max_frames: int | None = None) -> Clip:
    """The frames of ``clip`` (the first ``max_frames``, or all) and their head angles from the
    real models (face model on)."""
    from coach.vision.pose import open_tracker

    with VideoFileSource(clip) as src:
        images = tuple(img for _, (_, img) in zip(range(max_frames or 10**9), src))
        fps = src.fps
    with VideoFileSource(clip) as src, open_tracker(model_dir, use_face=True, download=False) as tracker:
        raw = np.array([(a.yaw_deg, a.roll_deg, a.pitch_deg) if (a := head_angles(tracker.process(t, img))).ok
                        else (np.nan,) * 3 for _, (t, img) in zip(range(len(images)), src)])
    return Clip(images, fps, raw)


@dataclass(frozen=True)
class BuiltSession:
    """A session video made from a clip.

    Attributes:
        path: The video (in a temporary folder).
        axis: The axis its movements are on.
        peaks: ``{side: reading at that side's peak}`` (signed, degrees).
        still: The frames stretched for the calibration and the rests.
        reps: Holds per side after the range check.
        frames: Frames written.
        fps: Frame rate of the video.
    """

    path: Path
    axis: str
    peaks: dict[str, float]
    still: tuple[int, ...]
    reps: int
    frames: int
    fps: float


def still_moment(angles: np.ndarray) -> list[int]:
    """The stillest straight-ahead moment: the frames nearest the calmest one, within 3 deg of it."""
    off = np.abs(angles) / NEUTRAL_SCALE_DEG
    off = np.where(np.isnan(off), np.inf, off).max(axis=1)  # an untracked frame is never still
    calm = int(np.argmin(off))
    n = len(angles)
    return [i for i in range(max(0, calm - 4), min(n, calm + 5))
            if off[i] < 0.8 and np.nanmax(np.abs(angles[i] - angles[calm])) < 3]


def build_session(clip: Clip, out: Path, *, axis: str = "yaw", reps: int = 3, still_s: float = 5.0,
                  check_hold_s: float = 3.0, hold_s: float = 7.0, rest_s: float = 2.5) -> BuiltSession:
    """Write a session video made of ``clip``'s frames to ``out``.

    The still moment for ``still_s``; then each side once with a ``check_hold_s`` hold (the
    range check); then ``reps`` times each side with ``hold_s`` holds, ``rest_s`` of the still
    moment after each.
    """
    col = AXES.index(axis)
    values = clip.angles[:, col]
    n = len(clip.images)
    still = still_moment(clip.angles)
    level = float(np.nanmedian(values[still]))  # where "straight ahead" reads on this clip
    turns: dict[str, tuple[list[int], list[int]]] = {}
    peaks: dict[str, float] = {}
    for side, sign in SIDES[axis]:
        peak = int(np.nanargmax(sign * values))
        near = [i for i in range(n) if abs(values[i] - values[peak]) < 3 and abs(i - peak) < 8]
        # The way there: back from the peak to where this movement left the still moment's
        # level, at most 2 s (a clip that shakes the head holds many movements; only the one
        # into this peak is played).
        start = min(near)
        while (start > 0 and sign * (values[start - 1] - level) > 2.0
               and min(near) - start < 2.0 * clip.fps):
            start -= 1
        turns[side] = (list(range(start, min(near))), sorted(near))
        peaks[side] = float(values[peak])
    per_s = int(round(clip.fps))

    def move(side: str, hold: float, rest: float) -> list[int]:
        way, peak = turns[side]
        slow = [i for i in way for _ in range(3)]  # slowed: every frame three times
        return slow + back_and_forth(peak, int(hold * per_s)) + slow[::-1] + back_and_forth(still, int(rest * per_s))

    order = back_and_forth(still, int(still_s * per_s))
    sides = [side for side, _ in SIDES[axis]]
    for side in sides:  # the range check
        order += move(side, check_hold_s, 2.0)
    for _ in range(reps):
        for side in sides:
            order += move(side, hold_s, rest_s)
    h, w = clip.images[0].shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), clip.fps, (w, h))
    for i in order:
        writer.write(clip.images[i])
    writer.release()
    return BuiltSession(out, axis, peaks, tuple(still), reps, len(order), clip.fps)


@dataclass(frozen=True)
class SessionRun:
    """What `coach run --headless --report` made of a session.

    Attributes:
        code: The exit code.
        report: The report JSON.
        stdout: What it printed (the session summary).
    """

    code: int
    report: dict
    stdout: str


def run_headless(video: Path, work: Path, capsys, *, exercise: str = "neck-rotation",
                 extra: Sequence[str] = ()) -> SessionRun:
    """``coach run --video VIDEO --headless --report`` with its own history under ``work``."""
    report = work / "report.json"
    capsys.readouterr()  # only this run's output
    code = main(["run", "--video", str(video), "--headless", "--exercise", exercise, "--report", str(report),
                 "--data-dir", str(work / "data"), *extra])
    got = capsys.readouterr()
    print(got.out)  # shown with -s or on a failure
    assert report.is_file(), f"coach run exited {code} without a report: {got.err}"
    return SessionRun(code, json.loads(report.read_text()), got.out)
