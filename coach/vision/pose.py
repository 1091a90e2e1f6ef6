"""MediaPipe wrapper: the ONLY module that imports mediapipe.

`PoseTracker` runs PoseLandmarker (and optionally FaceLandmarker) in VIDEO mode and turns each
result into our own frozen `coach.landmarks.PoseFrame`, so nothing downstream ever sees a
MediaPipe object. When several people are in view it picks the one to coach (the most central,
larger person) and makes sure the face matrix belongs to that same person (`coach.vision.people`).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from coach.errors import CoachError
from coach.landmarks import NUM_POSE_LANDMARKS, PoseFrame, flip_average
from coach.vision.frames import check_bgr_frame
from coach.vision.models import resolve_models
from coach.vision.native import stderr_silenced
from coach.vision.people import choose_person, is_upright, match_face  # also imported from here by tests

# Keep absl/glog chatter of the native graph off the user's terminal; must be set before the
# mediapipe import. An explicit user setting wins.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")



class _LazyDrawingHelpers(importlib.abc.MetaPathFinder):
    """Loads MediaPipe's drawing helpers lazily (on first use, which the coach never makes).

    ``mediapipe.tasks.python.vision`` imports ``drawing_utils``, which imports
    ``matplotlib.pyplot`` at its top: 0.4 s of the model process's start-up (the bare MediaPipe
    baseline pays it too) for helpers the coach does not call. The import system still loads
    them normally (the package gets its attributes); only their code runs on first access.
    """

    NAMES = frozenset({"mediapipe.tasks.python.vision.drawing_utils",
                       "mediapipe.tasks.python.vision.drawing_styles"})

    def find_spec(self, name, path, target=None):
        if name not in self.NAMES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


if not any(isinstance(f, _LazyDrawingHelpers) for f in sys.meta_path):
    sys.meta_path.insert(0, _LazyDrawingHelpers())

import mediapipe as mp  # noqa: E402
from mediapipe.tasks.python import BaseOptions, vision  # noqa: E402

# FaceLandmarker's 478-point mesh: index 1 is the nose tip, comparable to the pose NOSE.
_FACE_NOSE = 1


def _native_error_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:200] if text else type(exc).__name__


class PoseTracker:
    """PoseLandmarker (+ optional FaceLandmarker) in VIDEO mode, as a context manager.

    Example:
        >>> with PoseTracker(pose_path, face_path) as tracker:  # doctest: +SKIP
        ...     frame = tracker.process(t_ms, frame_bgr)

    Why two pose graphs: in VIDEO mode MediaPipe skips its person detector while it tracks as
    many people as ``num_poses`` allows. With ``num_poses=2`` and one person in view (the usual
    case) it therefore runs the detector on EVERY frame looking for a second person, which
    cost ~1.6x the time per frame in bench/bench.py. So a ``num_poses=1`` graph tracks the
    user, and every ``census_every`` frames a ``num_poses`` graph sees the frame as well and
    also counts people. When it sees two or more upright people the tracker switches to that
    graph for every frame (it then tracks them all, so it skips its detector too) and picks the
    person to coach; after ``census_every`` frames with one person or none it switches back.
    A census started beside the pose graph (``concurrent``) is not waited for: it takes about
    twice a frame's inference (the person detector runs), so the frame is answered by the
    single graph and the count applies from the frame on which it has come in (the next one or
    two; at the latest the next census).

    Args:
        pose_model: Path to ``pose_landmarker_full.task``.
        face_model: Path to ``face_landmarker.task``; ``None`` for pose only.
        num_poses: Most people reported (>= 1); 1 disables the census (``people`` <= 1).
        face_every: Run the face model on every Nth frame (>= 1) and reuse its last matrix in
            between (measured in bench/bench.py).
        census_every: Frames between people counts while one person is tracked (>= 1); a
            second person is noticed within this many frames and the one or two a census
            takes to come in (30: about a second). Each count
            costs one extra multi-person inference (~3% CPU at 30, bench/bench.py).
        max_lean_deg: Poses that are not upright (see `coach.vision.people.is_upright`) are dropped,
            because the pose model hallucinates lying "people" in cartoons and text (measured on
            webcam_person_then_cartoon.mov: real person <= 2 deg, title text 55-90 deg).
            ``None`` keeps every pose.
        concurrent: Run the face model and the census graph at the same time as the pose
            graph, on the same frame. They are built in LIVE_STREAM mode: ``detect_async``
            returns at once and the graph infers on MediaPipe's own threads without the GIL
            (a VIDEO-mode call keeps the GIL, so a Python worker thread would not overlap:
            measured in bench/bench.py). Only one frame is ever in flight per graph, so
            LIVE_STREAM's frame dropping never applies and the results are those of the
            sequential order: the face graph is started when the previous frame had a
            person, and its result is dropped when this frame has none (so it sees one extra
            frame each time the person leaves).
        flip_test: Also run the models on the mirror image of every frame and average the two
            (`coach.landmarks.flip_average`): left and right turns then read alike, at twice
            the inference work. A second tracker with the same settings follows the mirrored
            stream on a thread of its own, at the same time: with ``concurrent`` both pose
            graphs are then built in LIVE_STREAM mode too (and waited for at once), because a
            VIDEO-mode call keeps the GIL and the two would take turns (bench/bench.py).
        defer_census: Leave the census graph out until `build_deferred` is called (the
            model process calls it once the first frame is answered: building it and its
            first inference, which also runs the person detector, took ~0.1 s before the
            first frame). No census runs before then; the first one is due at the next
            multiple of ``census_every`` frames.
        _pose_live: Internal (the flip test's mirror tracker): build the pose graph in
            LIVE_STREAM mode when ``concurrent``.

    Raises:
        CoachError: a model file is missing, corrupt or cannot be loaded.
        ValueError: ``num_poses``, ``face_every`` or ``census_every`` is out of range.
    """

    def __init__(
        self,
        pose_model: Path,
        face_model: Path | None = None,
        *,
        num_poses: int = 2,
        face_every: int = 1,
        census_every: int = 30,
        max_lean_deg: float | None = 45.0,
        concurrent: bool = True,
        flip_test: bool = False,
        defer_census: bool = False,
        _pose_live: bool = False,
    ) -> None:
        for name, value in (("num_poses", num_poses), ("face_every", face_every),
                            ("census_every", census_every)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        self._num_poses = num_poses
        self._face_every = face_every
        self._census_every = census_every
        self._max_lean_deg = max_lean_deg
        self._face_model = None if face_model is None else Path(face_model)
        self._census_model = Path(pose_model) if num_poses > 1 else None
        self._last_ts_ms: int | None = None
        self._frames = 0
        self._last_face: np.ndarray | None = None
        self._warmed: set[int] = set()
        self._cold = False  # inside a frame on which some graph infers for the first time
        self._multi_mode = False
        self._frames_since_crowd = 0
        # A census still inferring after its frame was answered: (its frame in flight, the
        # frame's width and height, and its image, kept alive while the graph reads it).
        self._census: tuple[_Pending, int, int, object] | None = None
        self._single = self._multi = self._face = self._face_multi = None
        self._mirror: PoseTracker | None = None
        self._mirror_thread: ThreadPoolExecutor | None = None
        self._had_person = False
        self._live = concurrent
        try:
            # The tracked person's graph stays in VIDEO mode: its result is needed right away.
            # For the flip test it is a LIVE_STREAM graph waited for at once, which infers
            # without the GIL, so the image and its mirror image infer at the same time.
            live_pose = flip_test or _pose_live
            self._single = self._side_graph(_pose_task, pose_model, 1) if live_pose else _pose_task(pose_model, 1)
            if num_poses > 1 and not defer_census:
                self._multi = self._side_graph(_pose_task, pose_model, num_poses)
            if self._face_model is not None:
                self._face = self._side_graph(_face_task, self._face_model, 1)
            if flip_test:
                self._mirror = PoseTracker(pose_model, face_model, num_poses=num_poses, face_every=face_every,
                                           census_every=census_every, max_lean_deg=max_lean_deg,
                                           concurrent=concurrent, defer_census=defer_census,
                                           _pose_live=True)
                self._mirror_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-mirror")
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> PoseTracker:
        return self

    def build_deferred(self) -> None:
        """Build the census graph that ``defer_census`` left out (nothing to do otherwise);
        call it between frames.

        Raises:
            CoachError: the graph could not be built (the tracker goes on without a census).
            RuntimeError: the tracker was closed.
        """
        if self._single is None:
            raise RuntimeError("PoseTracker is closed")
        if self._multi is None and self._census_model is not None:
            self._multi = self._side_graph(_pose_task, self._census_model, self._num_poses)
        if self._mirror is not None:
            self._mirror.build_deferred()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Release the native graphs; safe to call twice."""
        # `process` collects every graph it started but a census that is still running.
        census, self._census = getattr(self, "_census", None), None
        if census is not None:
            census[0].exception()
        thread, self._mirror_thread = getattr(self, "_mirror_thread", None), None
        if thread is not None:
            thread.shutdown(wait=True)
        mirror, self._mirror = getattr(self, "_mirror", None), None
        if mirror is not None:
            mirror.close()
        for attr in ("_face_multi", "_face", "_multi", "_single"):
            task = getattr(self, attr, None)
            if task is not None:
                setattr(self, attr, None)
                with stderr_silenced():  # LiteRT logs its teardown at INFO level
                    task.close()

    @property
    def uses_face(self) -> bool:
        """True when the face model runs."""
        return self._face is not None

    @property
    def settings(self) -> dict[str, object]:
        """The speed-relevant settings, so a benchmark can say what its numbers are for."""
        return {"num_poses": self._num_poses, "census_every": self._census_every,
                "face": self._face_model is not None, "face_every": self._face_every,
                "concurrent": self._live, "flip_test": self._mirror is not None}

    @property
    def crowd_mode(self) -> bool:
        """True while more than one person is being tracked (the census graph runs every frame)."""
        return self._multi_mode

    def _next_timestamp(self, t_ms: int) -> int:
        # VIDEO mode rejects a timestamp that does not increase; a camera can deliver two
        # frames within the same millisecond, and a caller may repeat one. Nudge it forward.
        ts = int(t_ms)
        if self._last_ts_ms is not None and ts <= self._last_ts_ms:
            ts = self._last_ts_ms + 1
        self._last_ts_ms = ts
        return ts

    def _side_graph(self, make, path: Path, count: int):
        """A face or census graph: LIVE_STREAM (started ahead) when concurrent, else VIDEO."""
        if self._live:
            return _LiveGraph(lambda callback: make(path, count, callback))
        return make(path, count)

    @property
    def started_ahead(self) -> int:
        """Inferences started beside the pose graph's so far (0 unless ``concurrent``)."""
        return sum(g.started for g in (self._multi, self._face, self._face_multi) if isinstance(g, _LiveGraph))

    def _start(self, task, image, ts: int) -> _Pending | None:
        """Start ``task`` on this frame beside the pose graph, if that is allowed and useful."""
        # A graph's first inference is collected right away: `stderr_silenced` swaps fd 2
        # process-wide, and it must cover the whole of a first inference's native logging.
        if not isinstance(task, _LiveGraph) or (id(task) not in self._warmed and not self._cold):
            return None
        return task.start(image, ts)

    def _detect(self, task, image, ts: int, pending: _Pending | None = None):
        if pending is not None:
            result = pending.result()
            self._warmed.add(id(task))
            return result
        if id(task) in self._warmed:
            return task.detect_for_video(image, ts)
        # A graph's first inference allocates its buffers and logs native warnings once.
        with stderr_silenced():
            result = task.detect_for_video(image, ts)
        self._warmed.add(id(task))
        return result

    def process(self, t_ms: int, frame_bgr: np.ndarray) -> PoseFrame:
        """Run the models on one BGR frame.

        Args:
            t_ms: Frame time in milliseconds. If it does not exceed the previous one it is
                moved to previous + 1, and the returned frame carries the value actually used,
                so the stream of `PoseFrame.t_ms` is strictly increasing.
            frame_bgr: ``(H, W, 3)`` uint8 BGR image (OpenCV's order).

        Returns:
            The landmarks of the person to coach (or none), with ``people`` = upright people
            seen (exact while several people are tracked, i.e. from the frame on which a census
            that found them has come in; otherwise 0 or 1).

        Raises:
            ValueError: the frame is not an ``(H, W, 3)`` uint8 array.
            RuntimeError: the tracker was closed.
        """
        return self._process_any(t_ms, frame_bgr, rgb=False)

    def process_rgb(self, t_ms: int, frame_rgb: np.ndarray) -> PoseFrame:
        """`process` for an ``(H, W, 3)`` uint8 frame already in RGB order (the models' own).

        For `coach.vision.pose_worker`: its parent writes each frame into shared memory as RGB
        (the copy it makes anyway does the conversion), so the model's process, the
        throughput bound, does not convert it again before inferring.
        """
        return self._process_any(t_ms, frame_rgb, rgb=True)

    def _process_any(self, t_ms: int, frame: np.ndarray, *, rgb: bool) -> PoseFrame:
        if self._single is None:
            raise RuntimeError("PoseTracker is closed")
        check_bgr_frame(frame)
        ts = self._next_timestamp(t_ms)
        if self._mirror is None:
            return self._process(ts, frame, rgb)
        # The mirror image on the other thread, at the same time as the image itself.
        mirror = self._mirror.process_rgb if rgb else self._mirror.process
        of_mirror = self._mirror_thread.submit(mirror, ts, frame[:, ::-1])
        try:
            result = self._process(ts, frame, rgb)
        except BaseException:
            of_mirror.exception()  # never leave the mirror's inference running behind
            raise
        return flip_average(result, of_mirror.result())

    def _process(self, ts: int, frame: np.ndarray, rgb: bool) -> PoseFrame:
        """`process` for the image itself, at a timestamp already made strictly increasing."""
        graphs = (self._single, self._multi, self._face)
        if all(g is None or id(g) in self._warmed for g in graphs):
            return self._process_frame(ts, frame, rgb)
        # A graph's first inference allocates its buffers (~0.1-0.25 s) and logs native
        # warnings once; the fd-2 redirect that hides them is process-wide, so it spans the
        # whole cold frame, and the side graphs' first inferences start beside the pose
        # graph's instead of one after another: the first frame comes that much sooner.
        with stderr_silenced():
            self._cold = True
            try:
                return self._process_frame(ts, frame, rgb)
            finally:
                self._cold = False

    def _process_frame(self, ts: int, frame: np.ndarray, rgb: bool) -> PoseFrame:
        """One frame (BGR, or RGB if ``rgb``) through the graphs (`_process` decides whether it is a cold one)."""
        height, width = frame.shape[:2]
        # mp.Image copies the pixels, so it needs them contiguous, not owned. cvtColor writes a
        # fresh contiguous array in one pass, and it also makes a strided view (e.g. a flipped
        # frame) contiguous for free.
        if not rgb:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))

        census_due = self._multi is not None and self._frames % self._census_every == 0
        # The count of a census still running from an earlier frame, once it is in (and now,
        # before the graph takes the next census: one frame in flight per graph). A crowd
        # switches to the several-person graph from this frame on, so the mode (and with it
        # the face graph) is settled before anything starts.
        self._take_census(wait=census_due)
        census_due = census_due and not self._multi_mode
        face_ahead = census_ahead = None
        face_graph = None
        if self._face is not None and self._frames % self._face_every == 0 and self._had_person:
            face_graph = self._face_graph()
            face_ahead = self._start(face_graph, image, ts)
        if census_due:
            census_ahead = self._start(self._multi, image, ts)
        try:
            result, candidates = self._track_people(image, ts, width, height, census_ahead)
        finally:
            # Never leave a worker inference behind: the next frame (or close) may use its graph.
            # Only a census may go on (`_track_people` kept it in `_census`).
            for pending in (face_ahead, census_ahead):
                if pending is not None and (self._census is None or pending is not self._census[0]):
                    pending.exception()
        landmarks = world = face_matrix = None
        if candidates:
            chosen = choose_person([lm for lm, _ in candidates], width, height)
            landmarks, source_index = candidates[chosen]
            world = _landmark_array(result.pose_world_landmarks[source_index], with_visibility=False)
        if self._face is not None:
            face_matrix = self._face_for(image, ts, landmarks, width, height, face_ahead, face_graph)
        self._had_person = landmarks is not None
        self._frames += 1
        return PoseFrame(
            t_ms=ts, width=width, height=height, landmarks=landmarks,
            world_landmarks=world, face_matrix=face_matrix, people=len(candidates),
        )

    def _track_people(self, image, ts: int, width: int, height: int, census_ahead: _Pending | None):
        """Run the single graph (and the census graph when due); return a result and its people.

        A census started beside the pose graph (on any frame but a cold one) is not waited
        for: the multi-person graph infers a frame ~2x as long as the single one (detector
        and landmarks, measured ~39 ms of CPU against ~18), and the frame would wait for it.
        Its count is taken on a later frame (`_take_census`), usually the next one.
        """
        if self._multi_mode:
            result, people = self._upright_people(self._multi, image, ts, width, height)
            if len(people) >= 2:
                self._frames_since_crowd = 0
            else:
                self._frames_since_crowd += 1
                if self._frames_since_crowd >= self._census_every:
                    self._multi_mode = False
            return result, people
        result, people = self._upright_people(self._single, image, ts, width, height)
        if census_ahead is not None and not self._cold:
            self._census = (census_ahead, width, height, image)
            return result, people
        if self._multi is not None and self._frames % self._census_every == 0:
            # The census result is used only if it finds a crowd: for one person the single
            # graph's continuously tracked landmarks are steadier (a census graph that saw
            # no frames for a while lands 7-8 px away on webcam_person_then_cartoon.mov).
            crowd_result, crowd = self._upright_people(self._multi, image, ts, width, height, census_ahead)
            if len(crowd) >= 2:
                self._multi_mode, self._frames_since_crowd = True, 0
                return crowd_result, crowd
        return result, people

    def _upright_people(self, task, image, ts: int, width: int, height: int,
                        pending: _Pending | None = None):
        result = self._detect(task, image, ts, pending)
        return result, self._people_in(result, width, height)

    def _people_in(self, result, width: int, height: int) -> list[tuple[np.ndarray, int]]:
        """``(landmarks, index in the result)`` of the upright people of a pose result."""
        people = [(_landmark_array(p, with_visibility=True), i)
                  for i, p in enumerate(result.pose_landmarks)]
        if self._max_lean_deg is not None:
            people = [(lm, i) for lm, i in people if is_upright(lm, width, height, self._max_lean_deg)]
        return people

    def _take_census(self, *, wait: bool) -> None:
        """Count the people of the census still running from an earlier frame, if it is done
        (``wait``: wait for it); two or more switch to the multi-person graph."""
        census = self._census
        if census is None or not (wait or census[0].done()):
            return
        self._census = None
        pending, width, height, _image = census
        crowd = self._people_in(self._detect(self._multi, None, 0, pending), width, height)
        if len(crowd) >= 2:
            self._multi_mode, self._frames_since_crowd = True, 0

    def _face_graph(self):
        if not self._multi_mode:
            return self._face
        # Several people: a one-face graph may be tracking someone else's face. The
        # several-face graph is built on first need (a one-off pause of ~0.3 s).
        if self._face_multi is None:
            self._face_multi = self._side_graph(_face_task, self._face_model, self._num_poses)
        return self._face_multi

    def _face_for(self, image, ts: int, pose_lm: np.ndarray | None, width: int, height: int,
                  pending: _Pending | None = None, pending_graph=None):
        if self._frames % self._face_every != 0:
            # Skipped frame: the previous matrix is at most face_every-1 frames old.
            return self._last_face if pose_lm is not None else None
        self._last_face = None
        if pose_lm is None:
            # No person to attach a face to; skipping the face model also saves its time
            # (a face started ahead, when the person just left, is dropped).
            return None
        face = self._face_graph()
        if pending_graph is not face:
            # The crowd mode changed on this frame: the face started ahead ran on the other
            # graph (a one-face graph may have found someone else).
            pending = None
        result = self._detect(face, image, ts, pending)
        if not result.face_landmarks:
            return None
        noses = np.array([[f[_FACE_NOSE].x, f[_FACE_NOSE].y] for f in result.face_landmarks])
        idx = match_face(noses, pose_lm, width, height)
        if idx is None:
            return None
        matrix = np.array(result.facial_transformation_matrixes[idx], dtype=float).reshape(4, 4)
        matrix.setflags(write=False)
        self._last_face = matrix
        return matrix


#: Seconds to wait for a LIVE_STREAM graph's result. One frame takes milliseconds; this only
#: turns a graph that never answers into a clear error instead of a hang.
LIVE_RESULT_TIMEOUT_S = 30.0


def _mode(callback):
    if callback is None:
        return {"running_mode": vision.RunningMode.VIDEO}
    return {"running_mode": vision.RunningMode.LIVE_STREAM, "result_callback": callback}


def _pose_task(path: Path, num_poses: int, callback=None):
    return _create("pose", path, lambda base: vision.PoseLandmarker.create_from_options(
        vision.PoseLandmarkerOptions(base_options=base, num_poses=num_poses, **_mode(callback))))


def _face_task(path: Path, num_faces: int, callback=None):
    return _create("face", path, lambda base: vision.FaceLandmarker.create_from_options(
        vision.FaceLandmarkerOptions(
            base_options=base, num_faces=num_faces, output_facial_transformation_matrixes=True,
            **_mode(callback))))


class _LiveGraph:
    """A LIVE_STREAM landmarker used one frame at a time, like a VIDEO-mode one.

    ``start`` hands MediaPipe the frame and returns at once; the graph infers on its own
    threads without holding the GIL, and its callback files the result by timestamp. With
    one frame in flight, LIVE_STREAM's flow limiter never drops one (checked: a callback for
    every frame, with or without a face, webcam_person_then_cartoon.mov).
    """

    def __init__(self, create) -> None:
        self._cond = threading.Condition()
        self._results: dict[int, object] = {}
        self.started = 0
        self._task = create(self._deliver)

    def _deliver(self, result, image, ts: int) -> None:
        with self._cond:
            self._results[int(ts)] = result
            self._cond.notify_all()

    def start(self, image, ts: int) -> _Pending:
        self._task.detect_async(image, ts)
        self.started += 1
        return _Pending(self, ts)

    def ready(self, ts: int) -> bool:
        """True once the frame started at ``ts`` has its result."""
        with self._cond:
            return ts in self._results

    def wait(self, ts: int):
        with self._cond:
            if not self._cond.wait_for(lambda: ts in self._results, LIVE_RESULT_TIMEOUT_S):
                raise CoachError(f"the model gave no result for a frame within {LIVE_RESULT_TIMEOUT_S:.0f} s")
            return self._results.pop(ts)

    def detect_for_video(self, image, ts: int):
        """Infer one frame and wait for it (the VIDEO-mode call, for the sequential path)."""
        return self.start(image, ts).result()

    def close(self) -> None:
        self._task.close()


class _Pending:
    """One frame in flight on a `_LiveGraph` (the parts of a Future that `PoseTracker` uses)."""

    def __init__(self, graph: _LiveGraph, ts: int) -> None:
        self._graph, self._ts = graph, ts
        self._done = False
        self._value = self._error = None

    def result(self):
        if not self._done:
            try:
                self._value = self._graph.wait(self._ts)
            except Exception as exc:  # noqa: BLE001 - kept and re-raised like a Future's
                self._error = exc
            self._done = True
        if self._error is not None:
            raise self._error
        return self._value

    def done(self) -> bool:
        """True once the result is in (`result` then returns at once)."""
        return self._done or self._graph.ready(self._ts)

    def exception(self) -> BaseException | None:
        try:
            self.result()
        except Exception as exc:  # noqa: BLE001
            return exc
        return None


def _create(kind: str, path: Path, factory):
    """Build a MediaPipe task from a model file, turning any failure into a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise CoachError(f"{kind} model not found: {path}; pass --model or set COACH_MODEL_DIR")
    try:
        with stderr_silenced():
            # mediapipe wants a str here; a Path fails deep in the C++ layer.
            return factory(BaseOptions(model_asset_path=str(path)))
    except Exception as exc:  # noqa: BLE001 - any native load failure means a bad model file
        raise CoachError(
            f"cannot load the {kind} model {path} ({_native_error_line(exc)}); "
            f"delete it and rerun to re-download, or pass --model with a good copy"
        ) from None


def _landmark_array(points, *, with_visibility: bool) -> np.ndarray:
    if with_visibility:
        rows = [(p.x, p.y, p.z, p.visibility if p.visibility is not None else np.nan) for p in points]
    else:
        rows = [(p.x, p.y, p.z) for p in points]
    arr = np.array(rows, dtype=float)
    if arr.shape[0] != NUM_POSE_LANDMARKS:
        raise RuntimeError(f"pose model returned {arr.shape[0]} landmarks, expected {NUM_POSE_LANDMARKS}")
    arr.setflags(write=False)
    return arr


def check_loads(path: Path, kind: str) -> None:
    """Build and close the ``kind`` (``"pose"``/``"face"``) graph from ``path``.

    Used by `coach.vision.models.resolve_model` on a fresh download, so a bundle that passes the
    structural checks but that this mediapipe cannot load never reaches the cache.

    Raises:
        CoachError: the model cannot be loaded.
        ValueError: unknown ``kind``.
    """
    makers = {"pose": _pose_task, "face": _face_task}
    if kind not in makers:
        raise ValueError(f"kind must be 'pose' or 'face', got {kind!r}")
    task = makers[kind](path, 1)
    with stderr_silenced():
        task.close()


def open_tracker(
    model: Path | None,
    use_face: bool,
    *,
    num_poses: int = 2,
    face_every: int = 1,
    download: bool = True,
    flip_test: bool = False,
) -> PoseTracker:
    """Resolve the model files (see `coach.vision.models.resolve_model`) and open a tracker.

    Args:
        model: The user's ``--model`` (file or folder), or ``None``.
        use_face: Also run the face model (``--no-face`` turns it off).
        num_poses: Passed to `PoseTracker`.
        face_every: Passed to `PoseTracker`.
        download: Allow downloading a missing model.
        flip_test: Passed to `PoseTracker`.

    Raises:
        CoachError: no usable model could be found, downloaded or loaded.
    """
    pose_path, face_path = resolve_models(model, use_face, download=download, load_check=check_loads)
    return PoseTracker(pose_path, face_path, num_poses=num_poses, face_every=face_every, flip_test=flip_test)
