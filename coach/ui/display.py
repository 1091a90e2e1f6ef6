"""Pixels out: the OpenCV window, the annotated recording, and a flow `Screen` drawn as cards or
the coaching overlay (`coach.ui.overlay` does the drawing; this module picks what to draw)."""

from __future__ import annotations

import math
import os
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from coach.coaching.flow import Screen, Stage, key_for
from coach.errors import CoachError
from coach.landmarks import PoseFrame
from coach.outputs import check_writable
from coach.ui import overlay


class Window:
    """The OpenCV window: shows frames, returns key presses, notices being closed.

    Raises:
        CoachError: there is no display to open a window on.
    """

    def __init__(self, title: str, *, keymap: Callable[[int | None], object] = key_for) -> None:
        self.title = title
        self._keymap = keymap  # a cv2 key code to the command's own key (`coach run`'s by default)
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            # Qt aborts the whole process without a display; say what to do instead.
            raise CoachError("no display to open a window on; use --headless --out VIDEO.mp4 "
                             "(and --report FILE.json), or run from a desktop session")
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        except cv2.error as exc:
            raise CoachError(f"cannot open a window ({exc.err.strip() or 'no display'}); "
                             "use --headless --out VIDEO.mp4 on a machine without a display") from None
        self._shown = False

    def show(self, img: np.ndarray, wait_ms: int = 1):
        """Show ``img`` and return the key pressed meanwhile (through the keymap), if any."""
        if not self._shown:
            # Sized to the frame, a portrait phone video (1080x1920) makes a window taller
            # than a laptop screen, and the cards and key hints at its bottom are off screen.
            cv2.resizeWindow(self.title, *window_size(img.shape[1], img.shape[0], screen_size_px()))
            self._shown = True
        cv2.imshow(self.title, img)
        return self._keymap(cv2.waitKey(max(1, wait_ms)))

    def closed(self) -> bool:
        """True when the user closed the window (its close button)."""
        if not self._shown:
            return False
        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def close(self) -> None:
        """Close the window (safe when it is already gone)."""
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
        except cv2.error:
            pass


#: Share of the screen a window may take at most (room for the title bar and a task bar).
SCREEN_SHARE = 0.9


def window_size(image_w: int, image_h: int, screen: tuple[int, int] | None) -> tuple[int, int]:
    """The window's size for an image: the image's own, scaled down (never up, aspect kept)
    to fit `SCREEN_SHARE` of the screen when the screen size is known."""
    if screen is None:
        return image_w, image_h
    scale = min(1.0, SCREEN_SHARE * screen[0] / image_w, SCREEN_SHARE * screen[1] / image_h)
    return max(1, int(image_w * scale)), max(1, int(image_h * scale))


def screen_size_px() -> tuple[int, int] | None:
    """The screen's size in pixels, or None where it cannot be asked.

    OpenCV has no call for it (a full-screen window's rectangle depends on the window
    manager), so: the X server's own default screen on Linux (libX11, which every X or
    XWayland desktop has), the system metrics on Windows.
    """
    import ctypes  # noqa: PLC0415 - only when a window opens
    import ctypes.util  # noqa: PLC0415

    try:
        if sys.platform == "win32":
            user32 = ctypes.windll.user32  # type: ignore[attr-defined]  # Windows only
            return int(user32.GetSystemMetrics(0)), int(user32.GetSystemMetrics(1))
        name = ctypes.util.find_library("X11")
        if name is None or not os.environ.get("DISPLAY"):
            return None
        x11 = ctypes.CDLL(name)
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        dpy = x11.XOpenDisplay(None)
        if not dpy:
            return None
        try:
            for fn in (x11.XDefaultScreen, x11.XDisplayWidth, x11.XDisplayHeight):
                fn.argtypes = [ctypes.c_void_p] + ([] if fn is x11.XDefaultScreen else [ctypes.c_int])
            screen = x11.XDefaultScreen(dpy)
            size = int(x11.XDisplayWidth(dpy, screen)), int(x11.XDisplayHeight(dpy, screen))
        finally:
            x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
            x11.XCloseDisplay(dpy)
        return size if size[0] > 0 and size[1] > 0 else None
    except (OSError, AttributeError):
        return None


def check_video_out(path: Path | None) -> None:
    """Fail before a session starts if ``--out`` is not a writable .mp4 path."""
    if path is not None and path.suffix.lower() not in (".mp4", ".m4v", ".mov"):
        raise CoachError(f"--out {path}: the recording is an mp4 video; use a name ending in .mp4")
    check_writable(path, "--out")


class VideoOut:
    """The annotated recording (``--out``): mp4v, opened at the first frame's size.

    `submit` hands a frame's drawing to a writer thread (bounded queue, so memory stays flat
    and a slow disk slows the run rather than piling frames up): drawing and encoding then
    overlap with the next frame's pose inference on a second core. `close` writes what is
    queued; an error on the writer thread (e.g. the file cannot be created) is raised there.
    """

    _QUEUE_FRAMES = 4

    def __init__(self, path: Path, fps: float) -> None:
        self.path = Path(path)
        self.fps = fps if math.isfinite(fps) and fps > 0 else 30.0
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None
        self._jobs: queue.Queue = queue.Queue(maxsize=self._QUEUE_FRAMES)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def write(self, img: np.ndarray) -> None:
        """Append one frame now (resized to the first frame's size if it differs)."""
        if self._writer is None:
            self._size = (img.shape[1], img.shape[0])
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"),
                                           self.fps, self._size)
            if not self._writer.isOpened():
                self._writer = None
                raise CoachError(f"cannot write the video {self.path}: check the folder exists "
                                 "and is writable, and the name ends in .mp4")
        if (img.shape[1], img.shape[0]) != self._size:
            img = cv2.resize(img, self._size)
        self._writer.write(img)
        self.frames += 1

    def submit(self, draw: Callable[[], np.ndarray]) -> None:
        """Queue a frame's drawing; the writer thread draws and appends it in order."""
        if self._error is not None:
            self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="coach-video-out", daemon=True)
            self._thread.start()
        self._jobs.put(draw)

    def _work(self) -> None:
        while True:
            draw = self._jobs.get()
            if draw is None:
                return
            if self._error is None:
                try:
                    self.write(draw())
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    self._error = exc

    def _raise(self) -> None:
        err, self._error = self._error, None
        raise err

    def close(self) -> None:
        """Finish the queued frames and the file."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._error is not None:
            self._raise()


# -- screens to pixels --------------------------------------------------------------------------


@dataclass(frozen=True)
class Look:
    """How a session's screens are drawn (fixed for the session).

    Attributes:
        mirror: Show the image like a mirror.
        note: A small line under the title (the demo says it is short).
        recording: Frames are written to ``--out``: show REC.
        live: A window is open: key hints, and text upscaled for reading from 2 m.
        saved_to: Where the session is stored (or why not), for the summary card.
    """

    mirror: bool = True
    note: str = ""
    recording: bool = False
    live: bool = False
    saved_to: str = ""


def status_of(screen: Screen, look: Look, *, muted: bool) -> overlay.OverlayStatus:
    """The top bar, banners and status line around a screen."""
    n = screen.count
    title = f"Exercise {min(screen.index + 1, n)}/{n}" if n > 1 and screen.stage is not Stage.SUMMARY else ""
    return overlay.OverlayStatus(
        recording=look.recording, paused=screen.paused, muted=muted, title=title,
        # While coaching after a range check the bar says today's targets per side.
        note=screen.targets if screen.stage is Stage.EXERCISE and screen.targets else look.note,
        status_line=screen.status_line if screen.stage is Stage.EXERCISE else None,
        keys_hint=overlay.OverlayStatus().keys_hint if look.live else "",
    )


def card_for(screen: Screen, look: Look) -> overlay.Card:
    """The card of a guided-flow stage (every stage but the coaching itself)."""
    stage = screen.stage
    if stage is Stage.SETUP and screen.setup is not None:
        setup = screen.setup
        return overlay.setup_card(setup.problems, notes=setup.notes,
                                  ok_progress=screen.setup_progress if setup.ok else None)
    if stage is Stage.CALIBRATE:
        return overlay.calibration_card(screen.calibration_progress, screen.calibration_problem)
    if stage is Stage.INSTRUCT and screen.exercise is not None:
        ex = screen.exercise
        return overlay.instruction_card(
            ex.name, ex.instruction, side=ex.sides[0], reps_target=ex.reps_per_side,
            hold_min_s=ex.hold_min_s, hold_max_s=ex.hold_max_s, index=screen.index + 1,
            count=screen.count, note=look.note, targets=screen.targets)
    if stage is Stage.RESULT and screen.run is not None:
        return overlay.result_card(screen.run)
    if stage is Stage.RANGE_CHECK and screen.range_check is not None:
        return overlay.range_check_card(screen.range_check)
    if stage is Stage.PAIN_STOP:
        return overlay.pain_stop_card()
    return overlay.summary_card(screen.runs, saved_to=look.saved_to, why=screen.why)


def draw_job(frame: np.ndarray, pose: PoseFrame | None, screen: Screen, look: Look, *,
             muted: bool) -> Callable[[], np.ndarray]:
    """The drawing of one frame's screen, to run now or on the recording's writer thread (all
    its inputs are frozen values, so the next frame can be analysed meanwhile)."""
    status = status_of(screen, look, muted=muted)
    # The window gets crisp large text on small camera frames; a recording keeps its size.
    min_height = overlay.LIVE_MIN_HEIGHT if look.live else 0
    if screen.view is not None:
        return partial(overlay.render, frame, screen.view, pose, mirror=look.mirror, status=status,
                       min_height=min_height)
    return partial(overlay.render_card, frame, card_for(screen, look), pose=pose, mirror=look.mirror,
                   status=status, min_height=min_height)


def draw_summary(screen: Screen, look: Look, *, muted: bool, size: tuple[int, int]) -> np.ndarray:
    """The final summary card on a plain background of ``size`` (width, height)."""
    return overlay.render_card(None, card_for(screen, look), status=status_of(screen, look, muted=muted),
                               size=size)
