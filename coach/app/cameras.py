"""`coach cameras`: each camera's index and name, to pick one with ``--camera N``."""

from __future__ import annotations

from coach.options import CamerasOptions
from coach.vision.cameras import list_cameras


def cameras_command(opts: CamerasOptions) -> int:
    """`coach cameras`: each camera's index and name, for ``--camera N``."""
    cameras = list_cameras()
    if not cameras:
        print("no camera found; use `coach run --video FILE`, or try `coach demo`")
        return 0
    for cam in cameras:
        print(f"{cam.index}\t{cam.name or '(no name)'}")
    return 0
