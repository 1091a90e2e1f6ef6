"""The pose models in their own process, fed through shared memory.

Why a process: MediaPipe 1.2's ``detect_for_video`` keeps the GIL for the whole inference
(measured: 0.78 s of inference and 0.12 s of Python loop on two threads took 0.91 s together,
i.e. serially). In one process the coaching chain, the overlay and the decode of the next
frame therefore wait for the model on every frame, however many threads there are. In a
worker process the model of frame N+1 runs on one core while frame N is coached on the other,
so a headless run keeps up with bare inference (bench/bench.py ``run`` section).

The parent copies each BGR frame into a shared-memory slot (one ``memcpy``, no pickling of
pixels) and receives a small pickled `coach.landmarks.PoseFrame` back. Frames never leave
memory, so the privacy rule holds. This module does not import mediapipe: only the worker
imports `coach.vision.pose`, which stays the only module that does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections import deque
from multiprocessing import resource_tracker, shared_memory
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from coach.errors import CoachError
from coach.landmarks import PoseFrame


class WorkerStartError(CoachError):
    """The worker process itself could not be started (not a model problem)."""


#: Seconds the worker may take to import MediaPipe and build its graphs (a slow laptop with a
#: cold disk takes a few seconds; this only bounds a hung start).
START_TIMEOUT_S = 120.0
#: Seconds `PoseWorker.close` waits for the worker to finish its frame before stopping it hard.
STOP_TIMEOUT_S = 5.0


def _serve(conn: Connection) -> None:
    """The worker process: build a `coach.vision.pose.PoseTracker`, then answer frames until told to stop.

    Messages in: ``(pose_model, face_model, options)`` once, then ``("frame", shm_name, shape,
    t_ms)``, ``("drop", shm_name)`` or ``("stop",)``. Messages out: ``("ready", settings,
    uses_face)`` or ``("error", message)`` once, then ``("ok", PoseFrame)`` or ``("error",
    message)`` per frame, in order.
    """
    try:
        pose_model, face_model, options = conn.recv()
    except (EOFError, OSError):
        return
    try:
        from coach.vision.pose import PoseTracker  # noqa: PLC0415 - mediapipe loads here, not in the parent

        tracker = PoseTracker(Path(pose_model), None if face_model is None else Path(face_model), **options)
    except CoachError as exc:
        conn.send(("error", str(exc)))
        return
    except Exception as exc:  # noqa: BLE001 - reported as one line by the parent
        conn.send(("error", f"the pose model could not start: {type(exc).__name__}: {exc}"))
        return
    attached: dict[str, shared_memory.SharedMemory] = {}
    try:
        conn.send(("ready", tracker.settings, tracker.uses_face))
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                return  # the parent is gone
            if msg[0] == "stop":
                return
            if msg[0] == "drop":
                shm = attached.pop(msg[1], None)
                if shm is not None:
                    shm.close()
                continue
            _, name, shape, t_ms = msg
            try:
                shm = attached.get(name)
                if shm is None:
                    shm = attached[name] = shared_memory.SharedMemory(name=name)
                    # The parent owns (and unlinks) the buffer. Untracked here, or this
                    # process's resource tracker would unlink it when the worker exits.
                    resource_tracker.unregister(shm._name, "shared_memory")  # noqa: SLF001
                frame = np.ndarray(shape, dtype=np.uint8, buffer=shm.buf)
                reply = ("ok", tracker.process(t_ms, frame))
                del frame  # a live view would keep the mapping from closing
            except Exception as exc:  # noqa: BLE001 - the parent raises it as a CoachError
                reply = ("error", f"{type(exc).__name__}: {exc}")
            conn.send(reply)
    finally:
        tracker.close()
        for shm in attached.values():
            shm.close()


class PoseWorker:
    """`coach.vision.pose.PoseTracker` in a worker process, with the same ``process`` call.

    ``process`` runs one frame and waits for it. ``submit``/``collect`` keep up to ``slots``
    frames in flight, so the caller can coach one frame while the model sees the next (see
    `coach.vision.sources.Prefetched`). Results come back in submission order.

    Example:
        >>> with PoseWorker(pose_path, face_path, face_every=2) as worker:  # doctest: +SKIP
        ...     pose = worker.process(t_ms, frame_bgr)

    Args:
        pose_model: Path to ``pose_landmarker_full.task``.
        face_model: Path to ``face_landmarker.task``; ``None`` for pose only.
        slots: Frames in flight at most (each holds one shared-memory frame buffer).
        **tracker_options: Passed to `coach.vision.pose.PoseTracker` (``num_poses``, ``face_every``, ...).

    Raises:
        CoachError: a model file is missing, corrupt or cannot be loaded, or the worker could
            not start; the message is one line.
    """

    def __init__(self, pose_model: Path, face_model: Path | None = None, *, slots: int = 2,
                 **tracker_options) -> None:
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}")
        self._slots: list[shared_memory.SharedMemory | None] = [None] * slots
        self._next_slot = 0
        self._in_flight: deque[int] = deque()
        self._closed = False
        self._proc: subprocess.Popen | None = None
        ours, theirs = socket.socketpair()
        self._conn = Connection(ours.detach())
        # A fresh interpreter, not multiprocessing: its spawn would re-run the caller's main
        # script in the worker, and fork would copy the parent's threads' locks mid-use.
        # Its own session: Ctrl-C goes to the coach, which saves the session and then stops
        # the worker, so the worker must not die half-way through on the same signal.
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        try:
            with theirs:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "coach.vision.pose_worker", str(theirs.fileno())],
                    pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env,
                    start_new_session=True)
            self._conn.send((str(pose_model), None if face_model is None else str(face_model),
                             dict(tracker_options)))
            reply = self._receive(START_TIMEOUT_S, starting=True)
            if reply[0] != "ready":
                raise CoachError(reply[1])
        except OSError as exc:
            self.close()
            raise WorkerStartError(f"the pose model process could not start: {exc}") from None
        except BaseException:
            self.close()
            raise
        self.settings: dict[str, object] = {**reply[1], "process": True}
        self.uses_face: bool = reply[2]

    def __enter__(self) -> PoseWorker:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The worker's process id (e.g. for a benchmark to read its CPU time)."""
        return None if self._proc is None else self._proc.pid

    @property
    def in_flight(self) -> int:
        """Frames submitted and not collected yet."""
        return len(self._in_flight)

    @property
    def capacity(self) -> int:
        """Frames that may be in flight at once."""
        return len(self._slots)

    def _receive(self, timeout_s: float | None, *, starting: bool = False):
        try:
            if timeout_s is not None and not self._conn.poll(timeout_s):
                raise WorkerStartError(f"the pose model did not start within {timeout_s:.0f} s")
            return self._conn.recv()
        except (EOFError, OSError):
            try:
                code = self._proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                code = None
            error = WorkerStartError if starting else CoachError
            what = "could not start" if starting else "stopped unexpectedly"
            raise error(f"the pose model process {what} (exit code {code}); "
                        f"run again with COACH_DEBUG=1 to see its output") from None

    def _slot_for(self, nbytes: int) -> shared_memory.SharedMemory:
        index = self._next_slot
        shm = self._slots[index]
        if shm is None or shm.size < nbytes:
            if shm is not None:
                # A bigger frame (a camera that changed resolution): a new buffer; the worker
                # lets go of the old one.
                self._conn.send(("drop", shm.name))
                _release(shm)
                self._slots[index] = None
            try:
                shm = self._slots[index] = shared_memory.SharedMemory(create=True, size=nbytes)
            except OSError as exc:
                raise CoachError(f"no shared memory for a {nbytes // 1024} KiB frame: {exc}") from None
        self._next_slot = (index + 1) % len(self._slots)
        self._in_flight.append(index)
        return shm

    def submit(self, t_ms: int, frame_bgr: np.ndarray) -> None:
        """Hand one BGR frame to the model without waiting (the frame is copied; reuse it freely).

        Raises:
            ValueError: the frame is not an ``(H, W, 3)`` uint8 array.
            RuntimeError: the worker is closed, or ``capacity`` frames are already in flight.
        """
        if self._closed:
            raise RuntimeError("PoseWorker is closed")
        if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
            raise ValueError(f"frame must be an (H, W, 3) uint8 BGR array, got "
                             f"{frame_bgr.shape} {frame_bgr.dtype}")
        if len(self._in_flight) >= len(self._slots):
            raise RuntimeError(f"{len(self._slots)} frames already in flight: collect one first")
        shm = self._slot_for(frame_bgr.nbytes)
        np.copyto(np.ndarray(frame_bgr.shape, dtype=np.uint8, buffer=shm.buf), frame_bgr)
        self._conn.send(("frame", shm.name, tuple(frame_bgr.shape), int(t_ms)))

    def collect(self) -> PoseFrame:
        """The landmarks of the oldest frame in flight (waits for the model).

        Raises:
            RuntimeError: nothing is in flight.
            CoachError: the model failed on the frame, or the worker died.
        """
        if not self._in_flight:
            raise RuntimeError("no frame in flight")
        reply = self._receive(None)
        self._in_flight.popleft()
        if reply[0] != "ok":
            raise CoachError(f"the pose model failed on a frame: {reply[1]}")
        return reply[1]

    def process(self, t_ms: int, frame_bgr: np.ndarray) -> PoseFrame:
        """Run the models on one BGR frame and wait: `coach.vision.pose.PoseTracker.process` semantics."""
        self.submit(t_ms, frame_bgr)
        return self.collect()

    def close(self) -> None:
        """Stop the worker (it finishes the frame it is on) and free the buffers; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                self._conn.send(("stop",))
            except (OSError, ValueError):
                pass
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT_S)
        self._conn.close()
        for shm in self._slots:
            if shm is not None:
                _release(shm)
        self._slots = [None] * len(self._slots)
        self._in_flight.clear()


def _release(shm: shared_memory.SharedMemory) -> None:
    shm.close()
    try:
        shm.unlink()
    except FileNotFoundError:
        pass


def open_worker(model: Path | None, use_face: bool, *, num_poses: int = 2, face_every: int = 1,
                download: bool = True, flip_test: bool = False):
    """Resolve the model files (see `coach.vision.models.resolve_model`) and start a `PoseWorker`.

    The process counterpart of `coach.vision.pose.open_tracker`, with the same arguments. Where a
    worker process cannot be started (not POSIX, or the system refuses one) the tracker runs
    in this process instead, slower but the same, after one warning line.

    Returns:
        A `PoseWorker`, or a `coach.vision.pose.PoseTracker` as the fallback; both have ``process``
        and are context managers.

    Raises:
        CoachError: no usable model could be found, downloaded or loaded.
    """
    from coach.vision.models import resolve_models  # noqa: PLC0415

    def load_check(path: Path, kind: str) -> None:
        # Only a fresh download is load-checked; only then does the parent load mediapipe.
        from coach.vision.pose import check_loads  # noqa: PLC0415

        check_loads(path, kind)

    pose_path, face_path = resolve_models(model, use_face, download=download, load_check=load_check)
    if os.name == "posix":
        try:
            return PoseWorker(pose_path, face_path, num_poses=num_poses, face_every=face_every,
                              flip_test=flip_test)
        except WorkerStartError as exc:
            print(f"warning: {exc}; running the model in this process (slower)", file=sys.stderr)
    from coach.vision.pose import PoseTracker  # noqa: PLC0415

    return PoseTracker(pose_path, face_path, num_poses=num_poses, face_every=face_every, flip_test=flip_test)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # see PoseWorker: the parent stops the worker
    _serve(Connection(int(sys.argv[1])))
