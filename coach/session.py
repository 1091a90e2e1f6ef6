"""The live coach: frames in, a guided session with overlay, sound and history out.

`run_session` wires the stages for `coach run` and `coach demo`:

    capture -> pose -> (coach.replay's per-frame chain: angles -> body -> engine)
            -> overlay / audio -> history (+ optional annotated video and report)

The guided flow: setup check (one person, ears and shoulders visible, distance, light; each
failing condition says what to change) -> calibration (look straight ahead, ~2 s, progress
shown) -> for each exercise: instruction card, live coaching, result card -> session summary.
Keys: space pause/resume, c recalibrate, n next exercise, m mute, p pain stop, q/Esc quit.

Stage timers run on the frames' own timestamps (never the wall clock), so a headless run on a
file is deterministic; the wall clock is only used to notice a camera that stopped sending
frames and to hold the final summary on screen.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping, Protocol, Sequence

import numpy as np

from coach.errors import CoachError
from coach.landmarks import Landmark, PoseFrame

# -- setup check (pure) ---------------------------------------------------------------------------

#: Below this image-landmark visibility a landmark does not count as visible.
SETUP_MIN_VISIBILITY = 0.5
#: Shoulder width as a fraction of the image width: outside this band the person is too far
#: (landmarks get noisy) or too close (the head leaves the frame when turning).
SHOULDER_WIDTH_MIN = 0.14
SHOULDER_WIDTH_MAX = 0.65
#: Ear-to-ear span (fraction of the image width) beyond which the head is too close.
EAR_WIDTH_MAX = 0.3
#: Mean luminance (0-255) below which the model's landmarks get unreliable.
MIN_MEAN_LUMA = 45.0


@dataclass(frozen=True)
class SetupCheck:
    """Result of the setup check for one frame.

    Attributes:
        problems: What to change, one instruction per failing condition (empty when fine).
        notes: Things to know that do not block (e.g. two people: the central one is coached).
    """

    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing blocks the session from starting."""
        return not self.problems


def check_setup(pose: PoseFrame | None, mean_luma: float) -> SetupCheck:
    """Check whether the person and the room are ready for coaching.

    Args:
        pose: The model's landmarks for the frame (None or undetected: no one in view).
        mean_luma: Mean luminance of the frame, 0-255.

    Returns:
        A `SetupCheck` whose problems each say what to change.
    """
    problems: list[str] = []
    notes: list[str] = []
    if math.isfinite(mean_luma) and mean_luma < MIN_MEAN_LUMA:
        problems.append("Too dark: turn on a light or face a window")
    if pose is None or not pose.detected:
        problems.append("No one in view: sit facing the camera with your head and shoulders in the picture")
        return SetupCheck(tuple(problems))
    if pose.people > 1:
        notes.append(people_text(pose.people))
    lm = np.asarray(pose.landmarks, dtype=float)

    def visible(idx: int) -> bool:
        x, y, _z, vis = lm[idx]
        return bool(np.isfinite([x, y, vis]).all() and vis >= SETUP_MIN_VISIBILITY
                    and 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0)

    def span(a: int, b: int) -> float:
        dx = (lm[a, 0] - lm[b, 0]) * pose.width
        dy = (lm[a, 1] - lm[b, 1]) * pose.height
        return math.hypot(dx, dy) / max(pose.width, 1)

    ears = visible(Landmark.LEFT_EAR) and visible(Landmark.RIGHT_EAR)
    if not ears:
        problems.append("Face the camera so both ears are visible")
    shoulders = visible(Landmark.LEFT_SHOULDER) and visible(Landmark.RIGHT_SHOULDER)
    if not shoulders:
        # Very close to the camera the shoulders drop out of the picture: the big head says why.
        if ears and span(Landmark.LEFT_EAR, Landmark.RIGHT_EAR) > EAR_WIDTH_MAX:
            problems.append("Too close: move back until both shoulders are in the picture")
        else:
            problems.append("Move back or tilt the camera down so both shoulders are in the picture")
    else:
        width_frac = span(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
        if width_frac > SHOULDER_WIDTH_MAX:
            problems.append("Too close: move back a little")
        elif width_frac < SHOULDER_WIDTH_MIN:
            problems.append("Too far: move closer to the camera")
    return SetupCheck(tuple(problems), tuple(notes))


def mean_luminance(frame_bgr: np.ndarray) -> float:
    """Mean luminance (0-255, Rec. 601 weights) of a BGR frame, on a subsample for speed."""
    small = np.asarray(frame_bgr[::8, ::8], dtype=np.float32)
    if small.ndim == 2:
        return float(small.mean())
    return float((small[..., 0] * 0.114 + small[..., 1] * 0.587 + small[..., 2] * 0.299).mean())


# -- the guided flow ------------------------------------------------------------------------------


class Stage(str, Enum):
    """Where the guided session is."""

    SETUP = "setup"
    CALIBRATE = "calibrate"
    INSTRUCT = "instruct"
    EXERCISE = "exercise"
    RESULT = "result"
    PAIN_STOP = "pain-stop"
    SUMMARY = "summary"


@dataclass(frozen=True)
class FlowTiming:
    """How long the guided-flow screens stay up, in seconds of frame time.

    Attributes:
        setup_ok_s: The setup check must pass this long before calibration starts.
        instruction_s: The instruction card before each exercise (the person reads it).
        result_s: The per-exercise result card.
    """

    setup_ok_s: float = 1.0
    instruction_s: float = 8.0
    result_s: float = 5.0

    def __post_init__(self) -> None:
        for name in ("setup_ok_s", "instruction_s", "result_s"):
            v = getattr(self, name)
            if not (math.isfinite(v) and 0.0 <= v <= 120.0):
                raise ValueError(f"{name} must be within 0..120 s, got {v}")


#: A recording checked afterwards has no one to read cards: coach from the first usable frame.
HEADLESS_TIMING = FlowTiming(setup_ok_s=0.5, instruction_s=0.0, result_s=0.0)
# Frames a headless file run decodes ahead on a reader thread (see VideoFileSource.read_ahead).
HEADLESS_READ_AHEAD = 2
# `coach run` runs the face model on every 2nd frame and reuses its matrix in between: ~5 ms
# less CPU per frame with a person in view (bench/bench.py run section), and the same accuracy
# at rest (mirror/camera-roll/rest-std numbers of the fused path within 0.15 deg of every
# frame's own matrix, measured like bench/bench.py's real section); a turning head moves ~1 deg
# between frames (face_closeup_turns.mp4, p95), less than the One Euro smoothing lags anyway.
# `coach angles`/`record` keep every frame's own matrix.
RUN_FACE_EVERY = 2


class Key(str, Enum):
    """What a key press asks for."""

    PAUSE = "pause"
    RECALIBRATE = "recalibrate"
    NEXT = "next"
    MUTE = "mute"
    PAIN = "pain"
    QUIT = "quit"


_KEYS: Mapping[int, Key] = MappingProxyType({
    32: Key.PAUSE, ord("c"): Key.RECALIBRATE, ord("n"): Key.NEXT, ord("m"): Key.MUTE,
    ord("p"): Key.PAIN, ord("q"): Key.QUIT, 27: Key.QUIT,
})


def key_for(code: int) -> Key | None:
    """Map a `cv2.waitKey` code to a `Key` (None for no key or an unbound one)."""
    if code is None or code < 0:
        return None
    code &= 0xFF
    if ord("A") <= code <= ord("Z"):
        code += 32  # caps lock should not disable the keys
    return _KEYS.get(code)


# -- frames in, pixels out --------------------------------------------------------------------------


class FrameSource(Protocol):
    """Frames with strictly increasing timestamps (see `coach.capture`)."""

    fps: float

    def read(self) -> tuple[int, np.ndarray] | None:
        """The next ``(t_ms, frame_bgr)``; None when no frame came (stalled) or at the end."""

    @property
    def ended(self) -> bool:
        """True once a finite source (a file, a script) has no more frames."""

    def close(self) -> None: ...


class Window:
    """The OpenCV window: shows frames, returns key presses, notices being closed."""

    def __init__(self, title: str) -> None:
        import cv2  # noqa: PLC0415 - keep `import coach.session` light for the pure parts

        self._cv2 = cv2
        self.title = title
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

    def show(self, img: np.ndarray, wait_ms: int = 1) -> Key | None:
        """Show ``img`` and return the key pressed meanwhile, if any."""
        cv2 = self._cv2
        if not self._shown:
            cv2.resizeWindow(self.title, img.shape[1], img.shape[0])
            self._shown = True
        cv2.imshow(self.title, img)
        return key_for(cv2.waitKey(max(1, wait_ms)))

    def closed(self) -> bool:
        """True when the user closed the window (its close button)."""
        if not self._shown:
            return False
        try:
            return self._cv2.getWindowProperty(self.title, self._cv2.WND_PROP_VISIBLE) < 1
        except self._cv2.error:
            return True

    def close(self) -> None:
        try:
            self._cv2.destroyWindow(self.title)
            self._cv2.waitKey(1)
        except self._cv2.error:
            pass


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
        self._writer = None
        self._size: tuple[int, int] | None = None
        self._jobs = None
        self._thread = None
        self._error: BaseException | None = None

    def write(self, img: np.ndarray) -> None:
        """Append one frame now (resized to the first frame's size if it differs)."""
        import cv2  # noqa: PLC0415

        if self._writer is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CoachError(f"cannot write the video {self.path}: {exc.strerror or exc}") from None
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
        import queue  # noqa: PLC0415
        import threading  # noqa: PLC0415

        if self._error is not None:
            self._raise()
        if self._thread is None:
            self._jobs = queue.Queue(maxsize=self._QUEUE_FRAMES)
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


# -- the session ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionConfig:
    """How a session runs (everything but the stage objects).

    Attributes:
        mirror: Show the image like a mirror.
        timing: Guided-flow screen durations.
        note: A small line shown under the title (the demo says it is short).
        source: What the frames come from, as stored in the history.
        stall_timeout_s: A camera that sends no frame for this long ends the session (saved).
        summary_hold_s: How long the final summary stays in the window after quitting.
        wait_for_close: Keep the summary up after a file ends until a key or close (live only).
    """

    mirror: bool = True
    timing: FlowTiming = FlowTiming()
    note: str = ""
    source: str = ""
    stall_timeout_s: float = 30.0
    summary_hold_s: float = 3.0
    wait_for_close: bool = True

    def __post_init__(self) -> None:
        if not (self.stall_timeout_s > 0 and self.summary_hold_s >= 0):
            raise ValueError("stall_timeout_s must be > 0 and summary_hold_s >= 0")


@dataclass(frozen=True)
class SessionOutcome:
    """What a finished session hands back to the CLI.

    Attributes:
        report: The report JSON object (replay format; routine: per-exercise sections).
        results: One result per exercise of the session, in order.
        ended_by: How the session ended (one of `coach.history.ENDED_BY`).
        frames: Frames processed (== frames written with ``--out``).
        history_error: Why the history could not be saved, or None.
        failure: Why the session stopped early on an error (e.g. the model process died), or
            None; the session up to then is saved and reported all the same.
    """

    report: dict
    results: tuple
    ended_by: str
    frames: int
    history_error: str | None = None
    failure: str | None = None


_TRACKING_TEXT: Mapping[str, str] = MappingProxyType({
    "no-person": "No one in view: sit facing the camera, head and shoulders in the picture",
    "shoulders-not-visible": "Shoulders not visible: move back so both shoulders are in the picture",
    "face-not-visible": "Face not visible: face the camera",
    "low-confidence": "Tracking unsure: more light, or move a little closer",
})


def people_text(people: int) -> str:
    """The status line when several people are in view (the setup check notes it too)."""
    return f"{people} people in view: coaching the person in the middle"


def tracking_text(reason: str | None) -> str:
    """The status line for a tracking problem (a `coach.headpose.Tracking` value)."""
    return _TRACKING_TEXT.get(reason or "", "Tracking lost: keep your head and shoulders in view")


@dataclass
class _Run:
    """Bookkeeping of one exercise of the session (mutable: it grows as the session goes)."""

    exercise: object
    run_id: object = None
    start_ms: int | None = None
    ended: str = "not started"
    section: dict | None = None
    plan: object = None  # the `coach.targets.TargetSuggestion` to coach with (None: the file's)


class _Session:
    """One guided session. Internal: use `run_session`."""

    def __init__(self, exercises, source: FrameSource, pose_fn: Callable[[int, np.ndarray], PoseFrame],
                 coach, audio, history, *, config: SessionConfig, window: Window | None,
                 video_out: VideoOut | None, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 targets: Mapping[str, object] | None = None) -> None:
        self.runs = [_Run(ex, plan=(targets or {}).get(ex.id)) for ex in exercises]
        self.source, self.pose_fn, self.coach = source, pose_fn, coach
        self.audio, self.history, self.cfg = audio, history, config
        self.window, self.video_out = window, video_out
        self.clock, self.now = clock, now
        self.stage = Stage.SETUP
        self.stage_ms = 0  # flow time the stage started
        self.index = 0
        self.resume_stage: Stage | None = None  # where a recalibration returns to
        self.setup_ok_since: int | None = None
        self.setup = SetupCheck(())
        self.setup_progress = 0.0
        self.paused = False
        self.pause_t_ms: int | None = None
        self.paused_ms = 0
        self.ended_by: str | None = None
        self.failure: str | None = None
        self.pain_stopped = False
        self.frames = 0
        self.first_ms: int | None = None
        self.last_ms: int | None = None
        self.lost_ms = 0
        self.lost_spans: list[list[float]] = []
        self.lost_open = False
        self.last_img: np.ndarray | None = None
        self.status_line: str | None = None
        self.sid = history.start_session(self.now(), config.source)

    # -- the loop ------------------------------------------------------------------------------

    def run(self) -> str:
        stalled_since: float | None = None
        try:
            while self.ended_by is None:
                item = self.source.read()
                if item is None:
                    if self.source.ended:
                        self.ended_by = "completed"
                        break
                    stalled_since = stalled_since if stalled_since is not None else self.clock()
                    if self.clock() - stalled_since > self.cfg.stall_timeout_s:
                        self.ended_by = "camera-lost"
                        break
                    self._show_stalled()
                    continue
                stalled_since = None
                self._frame(*item)
        except KeyboardInterrupt:
            self.ended_by = "interrupted"
        except CoachError as exc:
            # The model (or its process) failed mid-session: what was done so far is still
            # saved and reported, like a Ctrl-C; the CLI then says why it stopped.
            self.ended_by, self.failure = "interrupted", str(exc)
        if self.ended_by == "completed" and self.pain_stopped:
            self.ended_by = "pain-stop"
        self._finish_current(self.ended_by if self.ended_by != "completed" else "not finished")
        self.history.end_session(self.sid, self.now(), self.ended_by)
        return self.ended_by

    def _frame(self, t_ms: int, frame: np.ndarray) -> None:
        pose = self.pose_fn(t_ms, frame)
        t_ms = pose.t_ms  # the tracker may have nudged it to keep timestamps increasing
        self.frames += 1
        if self.first_ms is None:
            self.first_ms = t_ms
        view = None
        if not self.paused:
            flow_ms = t_ms - self.paused_ms
            angles = self.coach.update(pose, flow_ms)
            self._count_tracking(t_ms, angles)
            if self.status_line is None and pose.people > 1:
                # The model follows one of them (`coach.pose.choose_person`): say which one.
                self.status_line = people_text(pose.people)
            view = self._advance(flow_ms, frame, pose, angles)
        self.last_ms = t_ms
        # Pixels only when someone will see them: a headless run without --out only reports.
        if self.window is None and self.video_out is not None:
            self.video_out.submit(self._draw_job(frame, pose, view))
        elif self.window is not None:
            self._emit(self._draw(frame, pose, view), t_ms)

    def _emit(self, img: np.ndarray, t_ms: int | None) -> None:
        self.last_img = img
        if self.video_out is not None:
            self.video_out.write(img)
        if self.window is not None:
            key = self.window.show(img)
            if self.window.closed():
                self.ended_by = "quit"
            elif key is not None:
                self._key(key, t_ms)

    def _show_stalled(self) -> None:
        self.status_line = "The camera stopped sending frames: paused until it is back"
        if self.window is not None and self.last_img is not None:
            from coach.overlay import with_status_line  # noqa: PLC0415

            key = self.window.show(with_status_line(self.last_img, self.status_line), wait_ms=30)
            if self.window.closed():
                self.ended_by = "quit"
            elif key is Key.QUIT:
                self.ended_by = "quit"
        else:
            time.sleep(0.03)  # the source polls its camera; do not spin a core meanwhile

    # -- keys ----------------------------------------------------------------------------------

    def _key(self, key: Key, t_ms: int | None) -> None:
        flow_ms = (t_ms or 0) - self.paused_ms
        if key is Key.QUIT:
            self.ended_by = "quit"
        elif key is Key.MUTE:
            self.audio.toggle_mute()
        elif key is Key.PAUSE and t_ms is not None:
            if self.paused:
                self.paused = False
                self.paused_ms += t_ms - (self.pause_t_ms or t_ms)
                # The rep in progress is void: time paused is neither hold nor movement.
                self._control_events(self.coach.reset_rep(t_ms - self.paused_ms), t_ms - self.paused_ms)
            else:
                self.paused, self.pause_t_ms = True, t_ms
        elif key is Key.RECALIBRATE and self.stage not in (Stage.SETUP, Stage.SUMMARY):
            self._control_events(self.coach.reset_rep(flow_ms), flow_ms)
            self.coach.recalibrate()
            if self.stage is not Stage.CALIBRATE:
                self.resume_stage = Stage.EXERCISE if self.stage in (Stage.EXERCISE, Stage.INSTRUCT) else self.stage
            self._enter(Stage.CALIBRATE, flow_ms)
        elif key is Key.NEXT:
            if self.stage in (Stage.INSTRUCT, Stage.EXERCISE):
                self._control_events(self.coach.skip(flow_ms), flow_ms)
                self._finish_current("skipped")
                self._enter(Stage.RESULT, flow_ms)
            elif self.stage in (Stage.RESULT, Stage.PAIN_STOP):
                self._next_exercise(flow_ms)
        elif key is Key.PAIN and self.stage in (Stage.INSTRUCT, Stage.EXERCISE, Stage.RESULT):
            self._control_events(self.coach.skip(flow_ms), flow_ms)
            if self.stage is not Stage.RESULT:
                self._finish_current("pain-stop")
            self.pain_stopped = True
            self._enter(Stage.PAIN_STOP, flow_ms)

    # -- stages --------------------------------------------------------------------------------

    def _enter(self, stage: Stage, flow_ms: int) -> None:
        self.stage, self.stage_ms = stage, flow_ms

    def _elapsed_s(self, flow_ms: int) -> float:
        return (flow_ms - self.stage_ms) / 1000.0

    def _advance(self, flow_ms: int, frame: np.ndarray, pose: PoseFrame, angles):
        """Move the guided flow on by one frame; return the engine view while coaching."""
        timing = self.cfg.timing
        if self.stage is Stage.SETUP:
            self.setup = check_setup(pose, mean_luminance(frame))
            if not self.setup.ok:
                self.setup_ok_since = None
            elif self.setup_ok_since is None:
                self.setup_ok_since = flow_ms
            held_ms = 0 if self.setup_ok_since is None else flow_ms - self.setup_ok_since
            self.setup_progress = min(1.0, held_ms / max(1.0, timing.setup_ok_s * 1000))
            if self.setup_ok_since is not None and held_ms >= timing.setup_ok_s * 1000:
                self.coach.recalibrate()
                self._enter(Stage.CALIBRATE, flow_ms)
        elif self.stage is Stage.CALIBRATE:
            if self.coach.calibrated:
                self.history.record_calibration(self.sid, self.coach.calibration_info())
                back, self.resume_stage = self.resume_stage, None
                if back is Stage.EXERCISE and self.index < len(self.runs) and self.runs[self.index].start_ms is not None:
                    self._enter(Stage.EXERCISE, flow_ms)
                elif back is not None and back is not Stage.EXERCISE:
                    self._enter(back, flow_ms)
                else:
                    self._enter(Stage.INSTRUCT, flow_ms)
        elif self.stage is Stage.INSTRUCT:
            if self._elapsed_s(flow_ms) >= timing.instruction_s:
                self._start_current(flow_ms)
        elif self.stage is Stage.RESULT:
            if self._elapsed_s(flow_ms) >= timing.result_s:
                self._next_exercise(flow_ms)
        if self.stage is Stage.EXERCISE:
            events = self.coach.step(flow_ms)
            self._handle_events(events, flow_ms)
            view = self.coach.view()
            if self.coach.finished:
                self._finish_current("done")
                self._enter(Stage.RESULT, flow_ms)
                if self.cfg.timing.result_s == 0:
                    self._next_exercise(flow_ms)
            return view
        return None

    def _start_current(self, flow_ms: int) -> None:
        run = self.runs[self.index]
        run.start_ms = flow_ms
        run.ended = "in progress"
        self.coach.start(run.exercise, flow_ms, targets=run.plan.thresholds if run.plan is not None else None)
        run.run_id = self.history.start_exercise(self.sid, run.exercise.id, self.coach.targets())
        self._enter(Stage.EXERCISE, flow_ms)

    def _next_exercise(self, flow_ms: int) -> None:
        self.index += 1
        self._enter(Stage.INSTRUCT if self.index < len(self.runs) else Stage.SUMMARY, flow_ms)

    def _finish_current(self, ended: str) -> None:
        if self.index >= len(self.runs):
            return
        run = self.runs[self.index]
        if run.start_ms is None:
            if ended in ("skipped", "pain-stop"):
                run.ended = ended
            return
        if run.section is not None:
            return
        run.ended = ended
        run.section = self.coach.section()
        self.history.finish_exercise(run.run_id, run.section["reps"], float(run.section.get("tracking_lost_s", 0.0)))

    def _control_events(self, events, flow_ms: int) -> None:
        """Events of a key's action (pause, skip...): stored only while an exercise runs."""
        if self.stage is Stage.EXERCISE and events:
            self._handle_events(events, flow_ms)

    def _handle_events(self, events, flow_ms: int) -> None:
        from coach.history import record_events  # noqa: PLC0415

        self.audio.handle_events(events)
        run = self.runs[self.index]
        record_events(self.history, run.run_id, events, t0_ms=run.start_ms or 0)

    def _count_tracking(self, t_ms: int, angles) -> None:
        """Session-level tracking-lost time and spans (seconds from the first frame)."""
        ok = angles is not None and angles.ok
        t_s = (t_ms - (self.first_ms or 0)) / 1000.0
        if ok:
            self.status_line = None
            self.lost_open = False
        else:
            if self.last_ms is not None:
                self.lost_ms += max(0, t_ms - self.last_ms)
            self.status_line = tracking_text(getattr(getattr(angles, "tracking", None), "value", None))
            if self.lost_open:
                self.lost_spans[-1][1] = t_s
            else:
                self.lost_spans.append([t_s, t_s])
                self.lost_open = True

    # -- drawing -------------------------------------------------------------------------------

    def _status(self) -> "OverlayStatus":
        from coach.overlay import OverlayStatus  # noqa: PLC0415

        n = len(self.runs)
        title = f"Exercise {min(self.index + 1, n)}/{n}" if n > 1 and self.stage is not Stage.SUMMARY else ""
        return OverlayStatus(
            recording=self.video_out is not None, paused=self.paused, muted=self.audio.muted,
            title=title, note=self.cfg.note,
            status_line=self.status_line if self.stage is Stage.EXERCISE else None,
            keys_hint="" if self.window is None else OverlayStatus().keys_hint,
        )

    def _draw_job(self, frame: np.ndarray, pose: PoseFrame, view) -> Callable[[], np.ndarray]:
        """Snapshot what this frame shows (all frozen values) and return the drawing of it, so
        a recording can be drawn and encoded on another thread while the next frame is
        analysed."""
        from functools import partial  # noqa: PLC0415

        from coach import overlay  # noqa: PLC0415

        mirror, status = self.cfg.mirror, self._status()
        # The window gets crisp large text on small camera frames; a recording keeps its size.
        min_height = overlay.LIVE_MIN_HEIGHT if self.window is not None else 0
        if self.stage is Stage.EXERCISE and (view is not None or self.paused):
            view = view if view is not None else self.coach.view()
            return partial(overlay.render, frame, view, pose, mirror=mirror, status=status,
                           min_height=min_height)
        return partial(overlay.render_card, frame, self._card(), pose=pose, mirror=mirror, status=status,
                       min_height=min_height)

    def _draw(self, frame: np.ndarray, pose: PoseFrame, view) -> np.ndarray:
        return self._draw_job(frame, pose, view)()

    def _card(self):
        from coach import overlay  # noqa: PLC0415

        if self.stage is Stage.SETUP:
            ok_progress = self.setup_progress if self.setup.ok else None
            return overlay.setup_card(self.setup.problems, notes=self.setup.notes, ok_progress=ok_progress)
        if self.stage is Stage.CALIBRATE:
            return overlay.calibration_card(self.coach.calibration_progress, self.status_line)
        if self.stage is Stage.INSTRUCT:
            ex = self.runs[self.index].exercise
            return overlay.instruction_card(
                ex.name, ex.instruction, side=ex.sides[0], reps_target=ex.reps_per_side,
                hold_min_s=ex.hold_min_s, hold_max_s=ex.hold_max_s, index=self.index + 1,
                count=len(self.runs), note=self.cfg.note,
                targets=self.runs[self.index].plan.describe() if self.runs[self.index].plan is not None else "")
        if self.stage is Stage.RESULT:
            return overlay.result_card(self.result_view(self.runs[self.index]))
        if self.stage is Stage.PAIN_STOP:
            return overlay.pain_stop_card()
        return overlay.summary_card(self.results(), saved_to=self._saved_to())

    def _saved_to(self) -> str:
        path = getattr(self.history, "path", None)
        error = getattr(self.history, "error", None)
        if error is not None:
            return f"NOT saved to the history: {error}"
        return str(path) if path else ""

    # -- results -------------------------------------------------------------------------------

    def result_view(self, run: _Run):
        """The overlay's result view of one exercise run."""
        from coach.overlay import ExerciseResultView  # noqa: PLC0415

        from coach.report import best_peaks  # noqa: PLC0415

        ex = run.exercise
        section = run.section or {}
        reps = dict(section.get("reps") or {s: 0 for s in ex.sides})
        best = best_peaks(section.get("holds", ()))
        unit = "cm" if ex.main_target.axis == "retraction" else "deg"
        return ExerciseResultView(ex.name, reps, ex.reps_per_side, best, unit,
                                  len(section.get("faults", ())), len(section.get("safety_events", ())),
                                  run.ended)

    def results(self) -> list:
        """Result views of the exercises started or ended so far."""
        return [self.result_view(r) for r in self.runs if r.ended != "not started"]

    def show_summary(self) -> None:
        """Hold the summary card in the window until a key, the close button or a timeout."""
        if self.window is None or self.window.closed() or self.last_img is None:
            return
        from coach import overlay  # noqa: PLC0415

        self.stage = Stage.SUMMARY
        img = overlay.render_card(None, self._card(), status=self._status(),
                                  size=(self.last_img.shape[1], self.last_img.shape[0]))
        hold_s = self.cfg.summary_hold_s if self.ended_by != "completed" or not self.cfg.wait_for_close else 60.0
        deadline = self.clock() + hold_s
        while self.clock() < deadline:
            if self.window.show(img, wait_ms=50) is not None or self.window.closed():
                break


# -- wiring -----------------------------------------------------------------------------------------


def session_report(session: "_Session") -> dict:
    """The session's report: `coach replay`'s format for one exercise; for a routine, the same
    sections in a list under ``"exercises"``. Both carry a ``"session"`` block (frames, how it
    ended, tracking-lost time and spans over the whole session)."""
    from coach.report import build_report  # noqa: PLC0415

    sections = []
    for run in session.runs:
        if run.section is not None:
            section = dict(run.section)
        else:  # never started: zero counts in the same format
            section = build_report(run.exercise, [], calibrated=session.coach.calibrated)
        section["ended"] = run.ended
        if run.plan is not None:
            section["targets"] = {"thresholds": dict(run.plan.thresholds), "source": run.plan.source,
                                  "reason": run.plan.reason}
        sections.append(section)
    first, last = session.first_ms or 0, session.last_ms or 0
    info = {
        "frames": session.frames,
        "duration_s": round((last - first) / 1000.0, 3),
        "ended_by": session.ended_by,
        "calibrated": bool(session.coach.calibrated),
        "tracking_lost_s": round(session.lost_ms / 1000.0, 3),
        "tracking_lost_spans": [[round(a, 3), round(b, 3)] for a, b in session.lost_spans],
    }
    if len(sections) == 1:
        # The run's report covers every frame: tracking lost before the exercise started (or
        # when it never could) counts too; the coached part's own figure is kept beside it.
        return {**sections[0], "coached_tracking_lost_s": sections[0].get("tracking_lost_s", 0.0),
                "tracking_lost_s": info["tracking_lost_s"], "session": info}
    return {
        "exercises": sections,
        "reps": {s["exercise"]: s["reps"] for s in sections},
        "safety_events": [dict(e, exercise=s["exercise"]) for s in sections for e in s.get("safety_events", ())],
        "tracking_lost_s": info["tracking_lost_s"],
        "session": info,
    }


def run_session(
    exercises: Sequence,
    source: FrameSource,
    pose_fn: Callable[[int, np.ndarray], PoseFrame],
    *,
    audio,
    history,
    config: SessionConfig = SessionConfig(),
    window: Window | None = None,
    video_out: VideoOut | None = None,
    use_face: bool = True,
    targets: Mapping[str, object] | None = None,
) -> SessionOutcome:
    """Run one guided session to its end and save it.

    Args:
        exercises: The exercises in order (`coach.exercise.Exercise`).
        source: Where frames come from.
        pose_fn: ``(t_ms, frame_bgr) -> PoseFrame``: the model (`PoseTracker.process`), or
            the demo's script.
        audio: `coach.audio.AudioCues`.
        history: A `coach.history.HistoryWriter` (`SafeHistory` for the CLI).
        config: Flow settings.
        window: The window for a live session, or None (headless).
        video_out: The recording (``--out``), or None.
        use_face: Whether the pose frames carry face matrices worth using.
        targets: ``{exercise_id: coach.targets.TargetSuggestion}``: the thresholds to coach
            each exercise with, shown on its instruction card (absent: the file's, no line).

    Returns:
        The outcome, with the report. The history is written as the session goes; a
        Ctrl-C ends the session early but still saves and reports it.
    """
    from coach.coaching import Coach  # noqa: PLC0415

    coach = Coach(use_face=use_face)
    session = _Session(list(exercises), source, pose_fn, coach, audio, history, config=config,
                       window=window, video_out=video_out, targets=targets)
    try:
        ended_by = session.run()
        try:
            session.show_summary()
        except KeyboardInterrupt:
            pass
    finally:
        if video_out is not None:
            video_out.close()
        if window is not None:
            window.close()
    err = getattr(history, "error", None)
    return SessionOutcome(session_report(session), tuple(session.results()), ended_by, session.frames,
                          str(err) if err is not None else None, session.failure)


def format_session_summary(outcome: SessionOutcome) -> str:
    """The session summary printed on stdout: each exercise as `coach replay` prints it."""
    from coach.report import format_summary  # noqa: PLC0415

    report = outcome.report
    sections = report["exercises"] if "exercises" in report else [report]
    lines = ["Session summary"]
    for section in sections:
        if section.get("ended") == "not started":
            lines.append(f"{section.get('name', section['exercise'])}: not started")
            continue
        lines.append(format_summary(section) + f"\n  ended: {section.get('ended')}")
    info = report.get("session", {})
    lines.append(f"Session: {outcome.frames} frames, tracking lost {info.get('tracking_lost_s', 0):.1f} s, "
                 f"ended: {outcome.ended_by}")
    if outcome.history_error:
        lines.append(f"NOT saved to the history: {outcome.history_error}")
    if any(section.get("ended") == "pain-stop" for section in sections):
        from coach.overlay import PAIN_STOP_TEXT  # noqa: PLC0415

        lines.extend(PAIN_STOP_TEXT)
    return "\n".join(lines)


def _write_report(path: Path | None, report: dict) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise CoachError(f"cannot write the report {path}: {exc.strerror}") from None


def _check_out(path: Path | None) -> None:
    if path is not None and path.suffix.lower() not in (".mp4", ".m4v", ".mov"):
        raise CoachError(f"--out {path}: the recording is an mp4 video; use a name ending in .mp4")
    _check_writable(path, "--out")


def _check_writable(path: Path | None, option: str) -> None:
    """Fail before the session starts if ``path`` cannot be written: finding out when the
    session ends would lose its recording or report."""
    import tempfile  # noqa: PLC0415

    if path is None:
        return
    folder = Path(path).absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # missing folders are created when the file is written
    if not folder.is_dir():
        raise CoachError(f"{option} {path}: {folder} is a file, not a folder; choose another path")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CoachError(f"{option} {path}: cannot write in {folder} ({exc.strerror or exc}); "
                         "choose a writable folder") from None


def _exercises(args) -> list:
    from coach.exercise import list_exercises, load_exercise  # noqa: PLC0415

    extra = getattr(args, "exercises_dir", None)
    if args.exercise:
        return [load_exercise(args.exercise, extra)]
    return list_exercises(extra)


def run_command(args) -> int:
    """`coach run`: the live coach (see `coach.cli`)."""
    from coach.audio import AudioCues, NullBackend, make_audio  # noqa: PLC0415
    from coach.history import SafeHistory  # noqa: PLC0415
    from coach.pose_worker import open_worker  # noqa: PLC0415
    from coach.targets import load_profile  # noqa: PLC0415

    _check_out(args.out)
    _check_writable(args.report, "--report")
    exercises = _exercises(args)
    # A bad profile is bad input: say so before a window, a camera or the model is opened.
    profile = load_profile(getattr(args, "profile", None), exercises_dir=getattr(args, "exercises_dir", None))
    # The window first: without a display, say so before loading anything.
    window = None if args.headless else Window("neck-coach" + (" - REC" if args.out else ""))
    source = _open_source(args)
    try:
        # The model runs in its own process: MediaPipe keeps the GIL while it infers, and the
        # coaching and drawing of one frame should overlap the inference of the next.
        with open_worker(args.model, use_face=not args.no_face, face_every=RUN_FACE_EVERY) as tracker:
            history = SafeHistory.open(args.data_dir)
            plans = plan_targets(exercises, history, profile=profile,
                                 adaptive=getattr(args, "adaptive", False))
            for ex in exercises:
                print(f"{ex.name}: {plans[ex.id].describe()}", flush=True)
            # A headless run goes as fast as the machine can: sounds would be a blur.
            audio = AudioCues(NullBackend()) if args.headless else make_audio(args.mute, args.voice)
            pose_fn = tracker.process
            if args.headless and args.video is not None:
                source = PosePrefetch(source, tracker)
                pose_fn = source.pose_fn
            try:
                config = SessionConfig(
                    mirror=args.mirror, timing=HEADLESS_TIMING if args.headless else FlowTiming(),
                    source=str(args.video) if args.video else f"camera {args.camera or 0}",
                    wait_for_close=args.video is not None)
                video_out = VideoOut(args.out, source.fps) if args.out else None
                outcome = run_session(exercises, source, pose_fn, audio=audio, history=history,
                                      config=config, window=window, video_out=video_out,
                                      use_face=not args.no_face, targets=plans)
            finally:
                # The source first: a prefetch thread must stop using the model before it closes.
                source.close()
                audio.close()
                history.close()
    finally:
        source.close()  # idempotent; covers a model that failed to load
    _write_report(args.report, outcome.report)
    print(format_session_summary(outcome))
    if outcome.failure is not None:
        raise CoachError(outcome.failure)  # one line and a non-zero exit, after the session is saved
    return 130 if outcome.ended_by == "interrupted" else 0


def plan_targets(exercises: Sequence, history, *, profile=None, adaptive: bool = False) -> dict:
    """``{exercise_id: TargetSuggestion}`` for a session, from the history as it was before it.

    Every exercise gets a plan, so the suggestion is shown on its instruction card even when
    it is not used (``adaptive`` off); see `coach.targets.choose_targets`.
    """
    from coach.targets import choose_targets  # noqa: PLC0415

    return {ex.id: choose_targets(history, ex, profile=profile, adaptive=adaptive) for ex in exercises}


def _open_source(args) -> FrameSource:
    from coach import capture  # noqa: PLC0415

    if args.video is not None:
        # Headless: the next frames decode on a reader thread while the model works.
        return IterSource(capture.VideoFileSource(args.video, realtime=not args.headless,
                                                  read_ahead=HEADLESS_READ_AHEAD if args.headless else 0))
    return CameraReader(capture.CameraSource(args.camera or 0))


class IterSource:
    """A finite `coach.capture` source (file, image) as a `FrameSource`."""

    def __init__(self, source) -> None:
        self.source = source
        self.fps = float(source.fps)
        self._it = iter(source)
        self._ended = False

    @property
    def ended(self) -> bool:
        return self._ended

    def read(self) -> tuple[int, np.ndarray] | None:
        item = next(self._it, None)
        if item is None:
            self._ended = True
        return item

    def close(self) -> None:
        self.source.close()


class PosePrefetch:
    """Runs the pose model ahead of the session, on a worker thread, for a headless file run.

    With a `coach.pose_worker.PoseWorker` the model (in its own process) always has the next
    frames queued, so its inference of frame N+1 overlaps the head angles, engine, overlay and
    bookkeeping of frame N on the other core. With an in-process model (a plain ``pose_fn``)
    only the thread hand-off overlaps: MediaPipe keeps the GIL while it infers. Not for a live
    camera, where frames must be taken when the model is free, not queued.

    Args:
        source: A finite `FrameSource`.
        model: A `coach.pose_worker.PoseWorker` (anything with ``submit``/``collect``/
            ``capacity``), or a ``(t_ms, frame_bgr) -> PoseFrame`` callable.
        depth: Analysed frames waiting for the session at most (memory stays flat).
    """

    _END = object()

    def __init__(self, source: FrameSource, model, depth: int = 2) -> None:
        import queue  # noqa: PLC0415
        import threading  # noqa: PLC0415

        self.fps = source.fps
        self._source, self._model = source, model
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._ended = False
        self._current: PoseFrame | None = None
        work = self._work_pipelined if hasattr(model, "submit") else self._work
        self._thread = threading.Thread(target=self._guarded, args=(work,), name="coach-pose-prefetch",
                                        daemon=True)
        self._thread.start()

    @property
    def ended(self) -> bool:
        return self._ended

    def _put(self, item) -> None:
        import queue  # noqa: PLC0415

        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _next_frame(self) -> tuple[int, np.ndarray] | None:
        """The source's next frame, or None at its end (or when stopped)."""
        while not self._stop.is_set():
            item = self._source.read()
            if item is not None:
                return item
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
        while (item := self._next_frame()) is not None:
            t_ms, frame = item
            self._put((t_ms, frame, self._model(t_ms, frame)))

    def _work_pipelined(self) -> None:
        from collections import deque  # noqa: PLC0415

        pending: deque = deque()
        source_done = False
        while not self._stop.is_set():
            # Keep the model's queue full, so it never waits for this thread between frames.
            while not source_done and len(pending) < self._model.capacity:
                item = self._next_frame()
                if item is None:
                    source_done = True
                    break
                self._model.submit(*item)
                pending.append(item)
            if not pending:
                return
            _, frame = pending.popleft()
            pose = self._model.collect()
            self._put((pose.t_ms, frame, pose))

    def read(self) -> tuple[int, np.ndarray] | None:
        if self._ended:
            return None
        item = self._queue.get()
        if item is self._END:
            self._ended = True
            return None
        if isinstance(item, BaseException):
            self._ended = True
            raise item
        t_ms, frame, self._current = item
        return self._current.t_ms, frame

    def pose_fn(self, t_ms: int, frame: np.ndarray) -> PoseFrame:
        """The landmarks computed ahead for the frame just read."""
        assert self._current is not None
        return self._current

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._source.close()


class CameraReader:
    """A `coach.capture.CameraSource` as a `FrameSource`: no frame in time = stalled, never ended."""

    #: Short waits keep the window responsive (keys, the stall message) while the camera is away.
    POLL_S = 0.25

    def __init__(self, camera) -> None:
        self.camera = camera
        self.fps = float(camera.fps)
        self.ended = False

    def read(self) -> tuple[int, np.ndarray] | None:
        return self.camera.read(timeout_s=self.POLL_S)

    def close(self) -> None:
        self.camera.close()


# -- the demo ---------------------------------------------------------------------------------------

#: The mistake the demo makes once per exercise: a form fault the coach must catch.
DEMO_MISTAKES: Mapping[str, str] = MappingProxyType({
    "neck-rotation": "pitch",
    "lateral-flexion": "shoulder-hike",
    "chin-tuck": "tilt-back",
    "levator-scapulae": "no-hand",
})
DEMO_FPS = 24.0


def demo_camera():
    """The demo's virtual camera: 16:9, the figure's head in the upper middle, room at the
    sides for the gauges."""
    from coach.synthetic import Camera  # noqa: PLC0415

    return Camera(width=960, height=540, distance_m=0.9, offset_y_m=0.08)


@dataclass(frozen=True)
class DemoPlan:
    """What the demo person does for one exercise (what its report must count)."""

    exercise_id: str
    sides: tuple[str, ...]
    reps_per_side: int
    mistake: str
    circles: int = 1


def demo_script(plans: Sequence[DemoPlan], timing: FlowTiming):
    """The synthetic person's whole session as a `coach.motion.Script`.

    Each exercise: still at neutral while the coach checks the setup, calibrates (first
    exercise only) and shows the instruction card; then one rep with a form fault (not
    counted), the correct reps alternating sides, and one full head circle the coach must
    block, halfway through; then still for the result card.
    """
    from coach import motion  # noqa: PLC0415

    script = None
    for k, plan in enumerate(plans):
        wait_s = timing.instruction_s + 1.5 + (timing.setup_ok_s + 3.0 if k == 0 else timing.result_s)
        rest = motion.rest_pose(plan.exercise_id, plan.sides[0])
        part = motion.lead_in(wait_s, rest)
        reps = [motion.RepPlan(side, hold_s=6.0, move_s=1.2, rest_s=1.5)
                for _ in range(plan.reps_per_side) for side in plan.sides]
        mistake = motion.RepPlan(plan.sides[0], hold_s=6.0, move_s=1.2, rest_s=1.5,
                                 fault=plan.mistake, fault_after_s=1.0)
        half = len(reps) // 2 if len(reps) > 1 else len(reps)
        for i, rep in enumerate([mistake, *reps]):
            if i == half + 1:
                for _ in range(plan.circles):
                    if part.end_pose() != motion.REST:
                        part = part + motion.Script((motion.Move(motion.REST, 1.0, "arm"),), rest)
                    part = part + motion.head_circles(1, rest_s=2.5)
            rest_i = motion.rest_pose(plan.exercise_id, rep.side)
            if part.end_pose() != rest_i:
                part = part + motion.Script((motion.Move(rest_i, 1.0, "arm"), motion.Hold(0.5, "rest")), rest)
            part = part + motion.rep_script(plan.exercise_id, rep)
        script = part if script is None else script + part
    return script + motion.lead_in(timing.result_s + 1.0, script.end_pose())


class ScriptSource:
    """The demo's camera: a motion script drawn as a stick figure, frame by frame.

    `pose_fn` hands the session the script's own landmarks for the frame just read, so no
    model runs: the demo needs no camera and no model file.

    Args:
        script: The `coach.motion.Script` to perform.
        fps: Frame rate.
        realtime: Pace frames at ``fps`` (a live window); False: as fast as possible.
        seed: Seed of the landmark noise.
        camera: The virtual camera (default `demo_camera`).
        draw: Draw the stick figure; False hands out one blank frame (nobody looks: a
            report-only run).
    """

    def __init__(self, script, fps: float = DEMO_FPS, *, realtime: bool = False, seed: int = 7,
                 camera=None, draw: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.fps = fps
        self._draw = draw
        self._blank: np.ndarray | None = None
        self._frames = iter(script.frames(fps, seed=seed, camera=camera or demo_camera()))
        self._realtime, self._clock = realtime, clock
        self._start: float | None = None
        self._current: PoseFrame | None = None
        self._ended = False

    @property
    def ended(self) -> bool:
        return self._ended

    def read(self) -> tuple[int, np.ndarray] | None:
        from coach.overlay import draw_stick_figure  # noqa: PLC0415

        pose = next(self._frames, None)
        if pose is None:
            self._ended = True
            return None
        if self._realtime:
            if self._start is None:
                self._start = self._clock() - pose.t_ms / 1000.0
            delay = self._start + pose.t_ms / 1000.0 - self._clock()
            if delay > 0:
                time.sleep(delay)
        self._current = pose
        if self._draw:
            return pose.t_ms, draw_stick_figure(pose)
        if self._blank is None:
            self._blank = np.full((pose.height, pose.width, 3), 128, np.uint8)
        return pose.t_ms, self._blank

    def pose_fn(self, t_ms: int, frame: np.ndarray) -> PoseFrame:
        """The landmarks of the frame just read (the script's, not a model's)."""
        assert self._current is not None and self._current.t_ms == t_ms
        return self._current

    def close(self) -> None:
        self._ended = True


def demo_command(args) -> int:
    """`coach demo`: a synthetic person performs a short session, coached live."""
    from coach.audio import AudioCues, NullBackend, make_audio  # noqa: PLC0415
    from coach.history import NullHistory  # noqa: PLC0415

    _check_out(args.out)
    _check_writable(args.report, "--report")
    reps = 2 if args.reps is None else args.reps
    if not 1 <= reps <= 10:
        raise CoachError(f"--reps must be between 1 and 10, got {reps}")
    if args.routine:
        exercises = _exercises(argparse_namespace(exercise=None))
    else:
        exercises = _exercises(argparse_namespace(exercise=args.exercise or "neck-rotation"))
    unknown = [e.id for e in exercises if e.id not in DEMO_MISTAKES]
    if unknown:
        raise CoachError(f"the demo knows the built-in exercises only ({', '.join(DEMO_MISTAKES)}); "
                         f"got {', '.join(unknown)}")
    # The demo shows `reps` per side: the exercise's own 10 would make a long video.
    exercises = [e.model_copy(update={"reps_per_side": reps}) for e in exercises]
    timing = HEADLESS_TIMING if args.headless else FlowTiming(instruction_s=6.0, result_s=4.0)
    plans = [DemoPlan(e.id, tuple(e.sides), reps, DEMO_MISTAKES[e.id]) for e in exercises]
    source = ScriptSource(demo_script(plans, timing), realtime=not args.headless,
                          draw=not args.headless or args.out is not None)
    note = f"DEMO: a synthetic person, {reps} rep{'s' if reps != 1 else ''} per side (a real set is 10)"
    config = SessionConfig(mirror=args.mirror, timing=timing, note=note, source="demo",
                           wait_for_close=True)
    window = None if args.headless else Window("neck-coach demo" + (" - REC" if args.out else ""))
    audio = AudioCues(NullBackend()) if args.headless else make_audio(args.mute, args.voice)
    try:
        video_out = VideoOut(args.out, source.fps) if args.out else None
        # The demo is not the user's exercise: it never goes into their history.
        outcome = run_session(exercises, source, source.pose_fn, audio=audio,
                              history=NullHistory("the demo is not stored"), config=config,
                              window=window, video_out=video_out, use_face=False)
    finally:
        audio.close()
    _write_report(args.report, outcome.report)
    print(format_session_summary(outcome))
    if outcome.failure is not None:
        raise CoachError(outcome.failure)  # one line and a non-zero exit, after the session is saved
    return 130 if outcome.ended_by == "interrupted" else 0


def argparse_namespace(**kw):
    """A minimal args object for `_exercises`."""
    import argparse  # noqa: PLC0415

    return argparse.Namespace(exercises_dir=None, **kw)
