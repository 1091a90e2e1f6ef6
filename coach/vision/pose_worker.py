"""The pose models in their own process, fed through shared memory.

Why a process: MediaPipe 1.2's ``detect_for_video`` keeps the GIL for the whole inference
(measured: 0.78 s of inference and 0.12 s of Python loop on two threads took 0.91 s together,
i.e. serially). In one process the coaching chain, the overlay and the decode of the next
frame therefore wait for the model on every frame, however many threads there are. In a
worker process the model of frame N+1 runs on one core while frame N is coached on the other,
so a headless run keeps up with bare inference (bench/bench.py ``run`` section).

The parent copies each BGR frame into a shared-memory slot as RGB (one pass, no pickling of
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

import cv2
import numpy as np

from coach.errors import CoachError
from coach.landmarks import PoseFrame
from coach.vision.frames import check_bgr_frame


class WorkerStartError(CoachError):
    """The worker process itself could not be started (not a model problem)."""


#: Seconds the worker may take to import MediaPipe and build its graphs (a slow laptop with a
#: cold disk takes a few seconds; this only bounds a hung start).
START_TIMEOUT_S = 120.0
# `coach run` runs the face model on every 2nd frame and reuses its matrix in between: ~5 ms
# less CPU per frame with a person in view (bench/bench.py run section), and the same accuracy
# at rest (mirror/camera-roll/rest-std numbers of the fused path within 0.15 deg of every
# frame's own matrix, measured like bench/bench.py's real section); a turning head moves ~1 deg
# between frames (face_closeup_turns.mp4, p95), less than the One Euro smoothing lags anyway.
# `coach angles`/`record` keep every frame's own matrix.
RUN_FACE_EVERY = 2
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

        # The census graph is built once the first frame is answered, so that frame comes sooner.
        tracker = PoseTracker(Path(pose_model), None if face_model is None else Path(face_model),
                              **{"defer_census": True, **options})
    except CoachError as exc:
        conn.send(("error", str(exc)))
        return
    except Exception as exc:  # noqa: BLE001 - reported as one line by the parent
        conn.send(("error", f"the pose model could not start: {type(exc).__name__}: {exc}"))
        return
    attached: dict[str, shared_memory.SharedMemory] = {}
    deferred_built = False
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
                frame = np.ndarray(shape, dtype=np.uint8, buffer=shm.buf)  # RGB: see PoseWorker.submit
                reply = ("ok", tracker.process_rgb(t_ms, frame))
                del frame  # a live view would keep the mapping from closing
            except Exception as exc:  # noqa: BLE001 - the parent raises it as a CoachError
                reply = ("error", f"{type(exc).__name__}: {exc}")
            conn.send(reply)
            if not deferred_built:
                deferred_built = True
                try:
                    tracker.build_deferred()
                except CoachError as exc:  # the same model file just loaded: not expected
                    print(f"warning: {exc}; people are not counted", file=sys.stderr)
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
        wait: Wait here until the models are loaded (the default). With ``False`` the worker
            loads them while the caller goes on; the first call that needs them (`wait_ready`,
            `submit`, `settings`) waits then, and raises what this would have raised.
        **tracker_options: Passed to `coach.vision.pose.PoseTracker` (``num_poses``, ``face_every``, ...).

    Raises:
        CoachError: a model file is missing, corrupt or cannot be loaded, or the worker could
            not start; the message is one line.
    """

    def __init__(self, pose_model: Path, face_model: Path | None = None, *, slots: int = 2,
                 wait: bool = True, **tracker_options) -> None:
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}")
        self._slots: list[shared_memory.SharedMemory | None] = [None] * slots
        self._next_slot = 0
        self._in_flight: deque[int] = deque()
        self._closed = False
        self._proc: subprocess.Popen | None = None
        self._ready: tuple[dict[str, object], bool] | None = None
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
        except OSError as exc:
            self.close()
            raise WorkerStartError(f"the pose model process could not start: {exc}") from None
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the worker has loaded the models (at once if it has).

        Raises:
            CoachError: a model could not be loaded (`WorkerStartError`: the process itself
                could not start); the worker is closed then.
        """
        if self._ready is not None:
            return
        if self._closed:
            raise RuntimeError("PoseWorker is closed")
        try:
            reply = self._receive(START_TIMEOUT_S, starting=True)
            if reply[0] != "ready":
                raise CoachError(reply[1])
        except BaseException:
            self.close()
            raise
        self._ready = ({**reply[1], "process": True}, bool(reply[2]))

    @property
    def settings(self) -> dict[str, object]:
        """The tracker's settings as the worker built it (``process`` is True); waits for it."""
        self.wait_ready()
        assert self._ready is not None  # wait_ready raised otherwise
        return self._ready[0]

    @property
    def uses_face(self) -> bool:
        """Whether the face model runs (it may be missing or fail to load); waits for the worker."""
        self.wait_ready()
        assert self._ready is not None  # wait_ready raised otherwise
        return self._ready[1]

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
        check_bgr_frame(frame_bgr)
        self.wait_ready()
        if len(self._in_flight) >= len(self._slots):
            raise RuntimeError(f"{len(self._slots)} frames already in flight: collect one first")
        shm = self._slot_for(frame_bgr.nbytes)
        # The copy into shared memory is also the BGR-to-RGB conversion the models need (one
        # pass, as fast as the plain copy): the model's process, the throughput bound, then
        # does not convert the frame again before inferring.
        cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB, dst=np.ndarray(frame_bgr.shape, dtype=np.uint8, buffer=shm.buf))
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
        if proc is not None and proc.poll() is None and self._ready is None:
            # Still loading the models (a bad input found meanwhile): nothing of the user's is
            # in there, and it would only read the stop once loaded.
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)
        elif proc is not None and proc.poll() is None:
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


def prestart_worker(model: Path | None, use_face: bool, *, num_poses: int = 2, face_every: int = 1,
                    flip_test: bool = False) -> PoseWorker | None:
    """Start the model process now and let it load while the caller gets ready; give it to
    `open_worker` as ``started``.

    The worker's interpreter, MediaPipe and the models take longer to load than the coach
    itself; started first, they load while the coach imports and opens its history, so the
    first frame comes sooner. Only for model files already on disk: anything else (a download,
    a missing or damaged file, no worker process on this system) returns None and is left to
    `open_worker`, which reports it in its usual order.
    """
    if os.name != "posix":
        return None
    from coach.vision.models import resolve_models  # noqa: PLC0415

    try:
        pose_path, face_path = resolve_models(model, use_face, download=False)
        return PoseWorker(pose_path, face_path, wait=False, num_poses=num_poses, face_every=face_every,
                          flip_test=flip_test)
    except CoachError:  # WorkerStartError included
        return None


def open_worker(model: Path | None, use_face: bool, *, num_poses: int = 2, face_every: int = 1,
                download: bool = True, flip_test: bool = False, started: PoseWorker | None = None):
    """Resolve the model files (see `coach.vision.models.resolve_model`) and start a `PoseWorker`.

    The process counterpart of `coach.vision.pose.open_tracker`, with the same arguments. Where a
    worker process cannot be started (not POSIX, or the system refuses one) the tracker runs
    in this process instead, slower but the same, after one warning line.

    ``started``, a worker from `prestart_worker` with the same arguments, is waited for and
    used instead of starting another.

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

    if started is not None:
        try:
            started.wait_ready()
            return started
        except WorkerStartError as exc:
            print(f"warning: {exc}; running the model in this process (slower)", file=sys.stderr)
    pose_path, face_path = resolve_models(model, use_face, download=download, load_check=load_check)
    if os.name == "posix" and started is None:
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
    # The graphs are closed; the interpreter's own teardown (MediaPipe's native libraries and
    # their finalizers) took ~0.2 s that the coach waited for at every exit. Nothing here has
    # anything left to write, so end at once.
    sys.stderr.flush()
    os._exit(0)
