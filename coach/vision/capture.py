"""Frame sources with one interface: webcam, video file, still image.

Every source hands out `Sample`s ``(t_ms, frame_bgr, pose)`` with strictly increasing ``t_ms``:
`FrameSource.read` gives the next one (or None: nothing came in time, or the end), iterating
gives them all. Sources have ``fps``, ``size`` (width, height) and ``frame_count`` (``None`` for
a live camera), and are context managers. The sources here leave ``pose`` empty;
`coach.vision.sources` adds the model's landmarks, `coach.app.demo` draws a scripted person. Time belongs
here, not in the logic modules: a file's timestamps come from its frame index and frame rate, a
camera's from the monotonic clock at the moment it was grabbed.

The camera source runs a reader thread that keeps only the newest frame. OpenCV's own
``CAP_PROP_BUFFERSIZE`` is ignored by many backends, so a slow consumer would otherwise be
handed frames that are seconds old; with a one-slot buffer a slow consumer skips frames instead.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from coach.errors import CoachError
from coach.landmarks import PoseFrame
from coach.vision.cameras import CameraInfo, camera_open_error, list_cameras, opencv_quiet
from coach.vision.native import stderr_silenced

Clock = Callable[[], float]

# Used when a file does not declare a usable frame rate (some containers report 0 or NaN).
DEFAULT_FPS = 30.0


class CaptureLike(Protocol):
    """The part of ``cv2.VideoCapture`` that `CameraSource` uses (a test fake implements it)."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's spelling
    def read(self) -> tuple[bool, np.ndarray | None]: ...
    def get(self, prop_id: int) -> float: ...
    def release(self) -> None: ...


class CameraLost(CoachError):
    """The camera delivered no frame for ``stalled_s`` seconds (unplugged, or in use elsewhere).

    Raised from iterating a `CameraSource`. The source keeps trying in the background, so the
    caller can pause, tell the user, and simply iterate again: iteration resumes with the next
    frame that arrives.
    """

    def __init__(self, index: int, stalled_s: float) -> None:
        super().__init__(
            f"camera {index} has sent no frames for {stalled_s:.1f} s; "
            f"check that it is plugged in and not used by another program"
        )
        self.index = index
        self.stalled_s = stalled_s


@dataclass(frozen=True)
class Sample:
    """One frame of a source.

    Unpacks as ``t_ms, frame_bgr`` for code that only needs the pixels
    (``for t_ms, image in source``).

    Attributes:
        t_ms: Timestamp in milliseconds, strictly increasing within a source.
        frame_bgr: The picture, BGR (never mirrored).
        pose: The landmarks of this frame, once a model (or a script) has given them.
    """

    t_ms: int
    frame_bgr: np.ndarray
    pose: PoseFrame | None = None

    def __iter__(self) -> Iterator:
        return iter((self.t_ms, self.frame_bgr))


class FrameSource:
    """Base class of every frame source: `read` samples one by one, or iterate them.

    A finite source (file, image, script) implements `_samples`; a live one overrides `read`.

    Attributes:
        fps: Nominal frames per second.
        size: ``(width, height)`` in pixels.
        frame_count: Number of frames, or ``None`` for a live source.
        ended: True once a finite source has handed out its last sample.
    """

    fps: float
    size: tuple[int, int]
    frame_count: int | None
    ended: bool = False
    _pending: Iterator[Sample] | None = None

    def read(self, timeout_s: float | None = None) -> Sample | None:
        """The next sample; None when none came within ``timeout_s`` (a stalled camera) or
        at the end (then `ended` is True)."""
        if self.ended:
            return None
        if self._pending is None:
            self._pending = self._samples()
        sample = next(self._pending, None)
        if sample is None:
            self.ended = True
        return sample

    def _samples(self) -> Iterator[Sample]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Sample]:
        while (sample := self.read()) is not None:
            yield sample

    def close(self) -> None:
        """Release the underlying device or file; safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _usable_fps(value: float) -> float:
    return float(value) if np.isfinite(value) and 0.5 <= value <= 1000.0 else DEFAULT_FPS


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise CoachError(f"{what} not found: {path}")
    if not path.is_file():
        raise CoachError(f"{what} {path} is not a file")


class VideoFileSource(FrameSource):
    """Frames of a video file.

    Args:
        path: The video file.
        realtime: Pace frames at the file's rate (the live view of a recording). ``False``
            hands them out as fast as the consumer takes them (headless runs, tests).
        drop_late: In realtime mode, skip frames when the consumer has fallen more than one
            frame behind, as a live camera would. Ignored when ``realtime`` is ``False``.
        clock: Monotonic clock in seconds (only used for realtime pacing).
        sleep: Sleep function (only used for realtime pacing).
        read_ahead: Decode up to this many frames ahead on a reader thread (0: decode on
            the consumer's thread). FFmpeg decoding (~5 ms a frame at 960x540) releases the
            GIL, so a headless run decodes the next frame while the model looks at this one.

    Raises:
        CoachError: the file is missing or is not a readable video.
        ValueError: ``read_ahead`` is negative.
    """

    def __init__(
        self,
        path: Path,
        realtime: bool = False,
        *,
        drop_late: bool = True,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        read_ahead: int = 0,
    ) -> None:
        if read_ahead < 0:
            raise ValueError(f"read_ahead must be >= 0, got {read_ahead}")
        self.path = Path(path)
        _require_file(self.path, "video")
        # FFmpeg prints its own complaints (e.g. "moov atom not found") on fd 2; we say it once.
        # Decoding ahead on its own thread is off the critical path: there, one FFmpeg thread
        # costs less CPU in all than its default two (3.6-4.7 vs 5.1-5.8 ms a frame at 960x540)
        # and leaves more of the second core to the model.
        params = [cv2.CAP_PROP_N_THREADS, 1] if read_ahead > 0 else []
        with stderr_silenced():
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_ANY, params)
            if params and not cap.isOpened():  # a backend that does not take the setting
                cap = cv2.VideoCapture(str(self.path))
            ok, first = cap.read() if cap.isOpened() else (False, None)
        if not ok or first is None:
            cap.release()
            raise CoachError(f"cannot read {self.path} as a video (not a video file, or damaged); "
                             f"pass a video such as .mp4/.mov/.avi")
        self._cap = cap
        self._first: np.ndarray | None = first
        self.fps = _usable_fps(cap.get(cv2.CAP_PROP_FPS))
        self.size = (int(first.shape[1]), int(first.shape[0]))
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if np.isfinite(count) and count > 0 else None
        self.realtime = realtime
        self.drop_late = drop_late
        self._clock = clock
        self._sleep = sleep
        self.read_ahead = read_ahead
        self._reader: tuple[threading.Thread, threading.Event] | None = None

    def t_ms_of(self, index: int) -> int:
        """Timestamp of frame ``index`` (0-based) from the file's frame rate."""
        return int(round(index * 1000.0 / self.fps))

    def _frames(self) -> Iterator[np.ndarray]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        if self.read_ahead > 0 and self._cap is not None:
            yield from self._frames_ahead()
            return
        while self._cap is not None:
            ok, frame = self._cap.read()
            if not ok:
                return
            yield frame

    def _frames_ahead(self) -> Iterator[np.ndarray]:
        """The remaining frames, decoded by a reader thread into a bounded queue."""
        frames: queue.Queue = queue.Queue(maxsize=self.read_ahead)
        stop = threading.Event()
        cap = self._cap

        def put(item) -> None:
            while not stop.is_set():
                try:
                    frames.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue

        def work() -> None:
            try:
                while not stop.is_set():
                    ok, frame = cap.read()
                    put(frame if ok else None)
                    if not ok:
                        return
            except BaseException as exc:  # noqa: BLE001 - re-raised on the consumer's thread
                put(exc)

        thread = threading.Thread(target=work, name="coach-video-decode", daemon=True)
        self._reader = (thread, stop)
        thread.start()
        try:
            while True:
                try:
                    item = frames.get(timeout=0.1)
                except queue.Empty:
                    if stop.is_set():  # closed from another thread
                        return
                    continue
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop_reader()

    def _stop_reader(self) -> None:
        if self._reader is not None:
            thread, stop = self._reader
            self._reader = None
            stop.set()
            thread.join()

    def _samples(self) -> Iterator[Sample]:
        start_s: float | None = None
        for index, frame in enumerate(self._frames()):
            t_ms = self.t_ms_of(index)
            if self.realtime:
                now = self._clock()
                if start_s is None:
                    start_s = now - t_ms / 1000.0
                wait_s = start_s + t_ms / 1000.0 - now
                if wait_s > 0:
                    self._sleep(wait_s)
                elif self.drop_late and -wait_s > 1.0 / self.fps:
                    continue  # more than a frame late: skip it, like a live camera
            yield Sample(t_ms, frame)

    def close(self) -> None:
        # The reader thread must stop using the capture before it is released.
        self._stop_reader()
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class ImageSource(FrameSource):
    """A still image as a source: one frame, or the same frame for ``repeat_s`` seconds.

    Args:
        path: The image file.
        repeat_s: Hand the image out for this many seconds at ``fps`` (``None``: once).
        fps: Frame rate of the repeated frames.

    Raises:
        CoachError: the file is missing or not a readable image.
        ValueError: ``repeat_s`` or ``fps`` is not positive.
    """

    def __init__(self, path: Path, repeat_s: float | None = None, *, fps: float = DEFAULT_FPS) -> None:
        self.path = Path(path)
        if repeat_s is not None and not repeat_s > 0:
            raise ValueError(f"repeat_s must be > 0, got {repeat_s}")
        if not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        _require_file(self.path, "image")
        image = cv2.imread(str(self.path), cv2.IMREAD_COLOR)
        if image is None:
            raise CoachError(f"cannot read {self.path} as an image (not an image file, or damaged)")
        self._image = image
        self.fps = float(fps)
        self.size = (int(image.shape[1]), int(image.shape[0]))
        self.frame_count = 1 if repeat_s is None else max(1, int(round(repeat_s * fps)))

    def _samples(self) -> Iterator[Sample]:
        for index in range(self.frame_count):
            # A fresh copy each time: consumers (the overlay) may draw on the frame in place.
            yield Sample(int(round(index * 1000.0 / self.fps)), self._image.copy())


def open_source(path: Path, *, realtime: bool = False, image_repeat_s: float | None = None) -> FrameSource:
    """Open a video file or an image as a frame source, chosen by content, not by extension.

    Args:
        path: Video or image file.
        realtime: For videos, pace at the file's rate (see `VideoFileSource`).
        image_repeat_s: For images, how long to repeat the still frame (``None``: once).

    Raises:
        CoachError: missing file, or neither a readable image nor a readable video.
    """
    path = Path(path)
    _require_file(path, "input")
    if cv2.haveImageReader(str(path)):
        return ImageSource(path, repeat_s=image_repeat_s)
    return VideoFileSource(path, realtime=realtime)


class CameraSource(FrameSource):
    """A live camera with a reader thread that keeps only the newest frame.

    Iterating yields ``(t_ms, frame_bgr)``; ``t_ms`` is the monotonic time the frame was
    grabbed, relative to when the source opened. If no frame arrives for ``stall_timeout_s``
    the iterator raises `CameraLost`; iterate again to resume once frames come back.

    Args:
        index: OpenCV camera index.
        capture: A ready ``cv2.VideoCapture``-like object (tests pass a fake); ``None`` opens
            camera ``index``.
        stall_timeout_s: Seconds without a frame before `CameraLost`.
        first_frame_timeout_s: Seconds to wait for the first frame when opening.
        clock: Monotonic clock in seconds.
        cameras: Lister used for the error message when the camera does not open.

    Raises:
        CoachError: the camera does not open or sends no first frame (lists the cameras found).
    """

    _RETRY_SLEEP_S = 0.02  # after a failed read, so an unplugged camera does not spin a core

    def __init__(
        self,
        index: int = 0,
        *,
        capture: CaptureLike | None = None,
        stall_timeout_s: float = 2.0,
        first_frame_timeout_s: float = 5.0,
        clock: Clock = time.monotonic,
        cameras: Callable[[], list[CameraInfo]] = list_cameras,
    ) -> None:
        if not stall_timeout_s > 0:
            raise ValueError(f"stall_timeout_s must be > 0, got {stall_timeout_s}")
        self.index = index
        self.stall_timeout_s = stall_timeout_s
        self._clock = clock
        if capture is None:
            with opencv_quiet():
                capture = cv2.VideoCapture(index)
        if not capture.isOpened():
            capture.release()
            raise camera_open_error(index, cameras())
        self._cap = capture
        self.frame_count = None
        self.fps = _usable_fps(capture.get(cv2.CAP_PROP_FPS))
        self._cond = threading.Condition()
        self._latest: tuple[float, np.ndarray] | None = None
        self._seq = 0  # bumped per grabbed frame; consumers remember the last one they took
        self._taken_seq = 0
        self._last_t_ms: int | None = None
        self._stop = threading.Event()
        self._t0 = clock()
        self._last_frame_s = self._t0
        self.frames_grabbed = 0
        self._thread = threading.Thread(target=self._reader, name=f"camera-{index}-reader", daemon=True)
        self._thread.start()
        with self._cond:
            got = self._cond.wait_for(lambda: self._seq > 0 or self._stop.is_set(),
                                      timeout=first_frame_timeout_s)
        if not got or self._latest is None:
            self.close()
            raise CoachError(f"camera {index} opened but sent no picture within "
                             f"{first_frame_timeout_s:.0f} s; is another program using it?")
        frame = self._latest[1]
        self.size = (int(frame.shape[1]), int(frame.shape[0]))

    def _reader(self) -> None:
        cap = self._cap  # a local reference: close() may drop the attribute while we read
        while not self._stop.is_set():
            ok, frame = cap.read()
            grabbed_s = self._clock()  # as close to the grab as we can get
            if not ok or frame is None:
                time.sleep(self._RETRY_SLEEP_S)
                continue
            with self._cond:
                # Replace, never queue: the one-slot buffer is what keeps latency at one frame.
                self._latest = (grabbed_s, frame)
                self._seq += 1
                self._last_frame_s = grabbed_s
                self.frames_grabbed += 1
                self._cond.notify_all()

    @property
    def stalled_s(self) -> float:
        """Seconds since the last frame was grabbed (0 right after one)."""
        with self._cond:
            return max(0.0, self._clock() - self._last_frame_s)

    @property
    def stalled(self) -> bool:
        """True when no frame has arrived for ``stall_timeout_s``."""
        return self.stalled_s >= self.stall_timeout_s

    def read(self, timeout_s: float | None = None) -> Sample | None:
        """Wait for a frame newer than the last one handed out.

        Args:
            timeout_s: Longest wait; ``None`` waits ``stall_timeout_s``.

        Returns:
            The sample, or ``None`` if nothing new arrived in time (or closed); a camera never
            ends, it stalls.
        """
        timeout_s = self.stall_timeout_s if timeout_s is None else timeout_s
        with self._cond:
            fresh = self._cond.wait_for(
                lambda: self._seq > self._taken_seq or self._stop.is_set(), timeout=timeout_s
            )
            if not fresh or self._stop.is_set() or self._latest is None:
                return None
            grabbed_s, frame = self._latest
            self._taken_seq = self._seq
        t_ms = int((grabbed_s - self._t0) * 1000.0)
        if self._last_t_ms is not None and t_ms <= self._last_t_ms:
            t_ms = self._last_t_ms + 1  # two grabs within a millisecond: keep t_ms increasing
        self._last_t_ms = t_ms
        return Sample(t_ms, frame)

    def age_ms(self, t_ms: int) -> float:
        """How old a frame with timestamp ``t_ms`` (from this source) is now, in ms."""
        return (self._clock() - self._t0) * 1000.0 - t_ms

    def __iter__(self) -> Iterator[Sample]:
        while not self._stop.is_set():
            item = self.read()
            if item is None:
                if self._stop.is_set():
                    return
                raise CameraLost(self.index, self.stalled_s)
            yield item

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        thread = getattr(self, "_thread", None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        cap = getattr(self, "_cap", None)
        if cap is not None:
            self._cap = None
            if thread is None or not thread.is_alive():
                cap.release()
