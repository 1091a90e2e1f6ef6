"""Frame sources whose samples carry the pose model's landmarks.

`Tracked` runs the model as each frame is read: a live camera's frames must be taken when the
model is free, never queued, or they would be old by the time they are coached. `Prefetched`
runs the model ahead, on a worker thread, for a headless run on a file: with a
`coach.vision.pose_worker.PoseWorker` the model (in its own process) always has the next frames
queued, so its inference of frame N+1 overlaps the coaching, drawing and bookkeeping of frame N
on the other core. Both are `coach.vision.capture.FrameSource`s: the session reads `Sample`s with
``pose`` filled, whatever the frames come from.

The model is anything with ``process(t_ms, frame_bgr) -> PoseFrame`` (`coach.vision.pose.PoseTracker`,
`PoseWorker`); `Prefetched` also uses ``submit``/``collect``/``capacity`` when it has them.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator

from coach.vision.capture import FrameSource, Sample


class Tracked(FrameSource):
    """``source``'s samples with the landmarks ``model`` finds in them.

    Args:
        source: Frames (a camera, a file, an image).
        model: The pose model.
    """

    def __init__(self, source: FrameSource, model) -> None:
        self.source, self.model = source, model
        self.fps, self.frame_count = source.fps, source.frame_count
        self.size = getattr(source, "size", (0, 0))

    @property
    def ended(self) -> bool:
        """True once the underlying source has no more frames."""
        return self.source.ended

    def _track(self, sample: Sample) -> Sample:
        pose = self.model.process(sample.t_ms, sample.frame_bgr)
        # The tracker may nudge t_ms to keep its timestamps increasing: its time is the frame's.
        return Sample(pose.t_ms, sample.frame_bgr, pose)

    def read(self, timeout_s: float | None = None) -> Sample | None:
        """The next sample with its landmarks, or ``None`` when no frame came in ``timeout_s``."""
        sample = self.source.read(timeout_s)
        return None if sample is None else self._track(sample)

    def __iter__(self) -> Iterator[Sample]:
        # The source's own iteration: a camera raises `CameraLost` when it stalls.
        for sample in self.source:
            yield self._track(sample)

    def close(self) -> None:
        """Close the underlying source (the model is the caller's to close)."""
        self.source.close()


class Prefetched(FrameSource):
    """A finite ``source``'s samples with landmarks computed ahead on a worker thread.

    With a model in this process (a `PoseTracker`) only the thread hand-off overlaps:
    MediaPipe keeps the GIL while it infers. Not for a live camera (see `Tracked`).

    Args:
        source: A finite source (a file).
        model: The pose model; with ``submit``/``collect`` up to ``capacity`` frames are kept
            in flight.
        depth: Analysed frames waiting for the session at most (memory stays flat).
    """

    _END = object()

    def __init__(self, source: FrameSource, model, depth: int = 2) -> None:
        self.fps, self.frame_count = source.fps, source.frame_count
        self.size = getattr(source, "size", (0, 0))
        self._source, self._model = source, model
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self.ended = False
        work = self._work_pipelined if hasattr(model, "submit") else self._work
        self._thread = threading.Thread(target=self._guarded, args=(work,), name="coach-pose-prefetch",
                                        daemon=True)
        self._thread.start()

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _next_frame(self) -> Sample | None:
        """The source's next sample, or None at its end (or when stopped)."""
        while not self._stop.is_set():
            sample = self._source.read()
            if sample is not None:
                return sample
            if self._source.ended:
                return None
        return None

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the session's thread
            self._put(exc)
            return
        self._put(self._END)

    def _work(self) -> None:
        while (sample := self._next_frame()) is not None:
            pose = self._model.process(sample.t_ms, sample.frame_bgr)
            self._put(Sample(pose.t_ms, sample.frame_bgr, pose))

    def _work_pipelined(self) -> None:
        pending: deque[Sample] = deque()
        source_done = False
        while not self._stop.is_set():
            # Keep the model's queue full, so it never waits for this thread between frames.
            while not source_done and len(pending) < self._model.capacity:
                sample = self._next_frame()
                if sample is None:
                    source_done = True
                    break
                self._model.submit(sample.t_ms, sample.frame_bgr)
                pending.append(sample)
            if not pending:
                return
            sample = pending.popleft()
            pose = self._model.collect()
            self._put(Sample(pose.t_ms, sample.frame_bgr, pose))

    def read(self, timeout_s: float | None = None) -> Sample | None:
        """The next analysed sample (waits for the model); None at the end.

        Raises:
            Exception: what the model (or the source) raised on the worker thread.
        """
        if self.ended:
            return None
        item = self._queue.get()
        if item is self._END:
            self.ended = True
            return None
        if isinstance(item, BaseException):
            self.ended = True
            raise item
        return item

    def close(self) -> None:
        """Stop the worker thread (before the model is closed), then the source."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._source.close()
