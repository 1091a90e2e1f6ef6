"""The cameras of this machine: which there are (`coach cameras`), and the error when one will not open."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2

from coach.errors import CoachError
from coach.options import CamerasOptions


@contextlib.contextmanager
def opencv_quiet() -> Iterator[None]:
    """Silence OpenCV's own log for the block.

    OpenCV logs multi-line WARN/ERROR blocks when a camera index or a file does not open; the
    coach reports that itself, in one line.
    """
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(previous)


@dataclass(frozen=True)
class CameraInfo:
    """A camera the OS reports: OpenCV index and, where available, its name."""

    index: int
    name: str | None = None

    def __str__(self) -> str:
        return f"{self.index} ({self.name})" if self.name else str(self.index)


def list_cameras(max_index: int = 10, *, sysfs: Path = Path("/sys/class/video4linux"),
                 probe: bool | None = None) -> list[CameraInfo]:
    """List the cameras on this machine.

    On Linux the list comes from sysfs (``videoN/name``), keeping only capture nodes (a UVC
    camera also registers a metadata node with ``index`` 1); no device is opened. Elsewhere,
    indices ``0..max_index-1`` are probed by opening them with OpenCV.

    Args:
        max_index: Highest index (exclusive) considered.
        sysfs: The video4linux sysfs folder (tests point it at a fake tree).
        probe: Force probing with OpenCV (``None``: only when sysfs is absent).
    """
    if probe is None:
        probe = not sysfs.is_dir()
    if not probe:
        found = []
        for node in sysfs.glob("video*"):
            suffix = node.name[len("video"):]
            if not suffix.isdigit() or int(suffix) >= max_index:
                continue
            if _read_text(node / "index") not in (None, "0"):
                continue
            found.append(CameraInfo(int(suffix), _read_text(node / "name")))
        return sorted(found, key=lambda c: c.index)
    found = []
    with opencv_quiet():
        for index in range(max_index):
            cap = cv2.VideoCapture(index)
            if cap.isOpened():
                found.append(CameraInfo(index))
            cap.release()
    return found


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def camera_open_error(index: int, cameras: list[CameraInfo]) -> CoachError:
    """The one-line error for a camera that will not open, listing what was found."""
    if not cameras:
        return CoachError("no camera found on this machine; use --video FILE, or try `coach demo`")
    listed = ", ".join(str(c) for c in cameras)
    return CoachError(f"camera {index} did not open; cameras found: {listed}; "
                      f"pick one with --camera N (see `coach cameras`)")


def cameras_command(opts: CamerasOptions) -> int:
    """`coach cameras`: each camera's index and name, for ``--camera N``."""
    cameras = list_cameras()
    if not cameras:
        print("no camera found; use `coach run --video FILE`, or try `coach demo`")
        return 0
    for cam in cameras:
        print(f"{cam.index}\t{cam.name or '(no name)'}")
    return 0
