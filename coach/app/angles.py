"""`coach angles`: head angles of every frame of a video or image, as CSV.

One row per frame, header exactly ``t_ms,yaw_deg,roll_deg,pitch_deg,retraction_cm,confidence,
tracking``; ``tracking`` is ``ok`` or ``lost`` and the angle cells are empty when lost. Without
``--calibrate`` the angles are torso-relative WITHOUT a neutral, so left/right symmetry can be
checked on them; with it they are relative to the neutral collected over the first steady
seconds (rows before that are written as ``lost``: there is no neutral yet). With
``--reference camera`` they are the head's orientation relative to the camera (no shoulders
needed; the retraction cell is empty, as it is a distance from the shoulders).
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import cv2
from tqdm import tqdm

from coach.angles.headpose import HeadAngles, HeadTracker
from coach.errors import CoachError
from coach.landmarks import PoseFrame
from coach.options import AnglesOptions
from coach.outputs import check_writable
from coach.vision.capture import open_source
from coach.vision.pose import open_tracker

CSV_HEADER = ("t_ms", "yaw_deg", "roll_deg", "pitch_deg", "retraction_cm", "confidence", "tracking")


def csv_row(t_ms: int, angles: HeadAngles, *, usable: bool = True) -> list[str]:
    """One CSV row: angles rounded to 2 decimals, empty when not OK (or not `usable`)."""
    ok = angles.ok and usable
    cells = [f"{v:.2f}" if ok and math.isfinite(v) else "" for v in
             (angles.yaw_deg, angles.roll_deg, angles.pitch_deg, angles.retraction_cm)]
    return [str(int(t_ms)), *cells, f"{angles.confidence:.2f}", "ok" if ok else "lost"]


def write_angles(frames: Iterable[PoseFrame], tracker: HeadTracker, out: IO[str]) -> tuple[int, int]:
    """Run `tracker` over landmark frames and write the CSV to `out`.

    Returns:
        (rows written, rows with tracking ok).
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    rows = ok = 0
    for frame in frames:
        angles = tracker.update(frame)
        usable = tracker.calibrated or not tracker.calibrate
        row = csv_row(frame.t_ms, angles, usable=usable)
        writer.writerow(row)
        rows += 1
        ok += row[-1] == "ok"
    return rows, ok


def angles_command(args: AnglesOptions) -> int:
    """The `coach angles` subcommand (typed options from `coach.cli`)."""
    out_path: Path | None = args.out
    check_writable(out_path, "--out")
    # Open the input before loading the model: a typo in the path fails in milliseconds.
    source = open_source(args.input)
    head = HeadTracker(use_face=args.use_face, smooth=args.smooth, calibrate=args.calibrate,
                       reference=args.reference)
    try:
        out = sys.stdout if out_path is None else out_path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        source.close()
        raise CoachError(f"cannot write {out_path}: {exc.strerror}; pick another --out") from None
    with source, open_tracker(args.model, use_face=args.use_face, flip_test=args.flip_test) as tracker:
        bar = tqdm(total=source.frame_count, unit="frame", desc="angles", file=sys.stderr,
                   leave=False, disable=None)
        try:
            frames = (tracker.process(t_ms, image) for t_ms, image in source)
            rows, ok = write_angles(_counted(frames, bar), head, out)
        finally:
            bar.close()
            if out is not sys.stdout:
                out.close()
    if out_path is not None:
        print(f"wrote {rows} rows ({ok} tracked) to {out_path}", file=sys.stderr)
    if args.calibrate and not head.calibrated:
        print("note: no 2 s of steady frames, so no neutral was calibrated; all rows are 'lost'",
              file=sys.stderr)
    return 0


def rotate_keep_all(image, angle_deg: float):
    """Rotate a BGR image counter-clockwise by `angle_deg`, on a canvas that keeps every pixel.

    Used to check camera-roll invariance (tests, bench): the camera tilted, the person not.
    """
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    new_w, new_h = int(round(h * sin + w * cos)), int(round(h * cos + w * sin))
    m[0, 2] += new_w / 2.0 - w / 2.0
    m[1, 2] += new_h / 2.0 - h / 2.0
    return cv2.warpAffine(image, m, (new_w, new_h), borderMode=cv2.BORDER_CONSTANT)


def _counted(frames: Iterable[PoseFrame], bar) -> Iterable[PoseFrame]:
    for frame in frames:
        bar.update(1)
        yield frame
