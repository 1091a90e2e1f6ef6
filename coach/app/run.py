"""The live coach's driver: samples in; the guided flow's actions out as sound, history and pixels.

    source (Sample: t_ms, frame, pose) -> Reader (head angles, body) -> Flow (stages, engine)
        -> actions -> audio / history / tracker / display

`run_session` is the loop for `coach run` and `coach demo`: it reads samples, hands each frame's
reading and the last key to `coach.coaching.flow.Flow.step`, and does what the actions say. All the
decisions are the flow's (pure, tested with tables); this module only carries them out. The wall
clock is used here and nowhere in the logic: to notice a camera that stopped sending frames and
to hold the final summary on screen.

A session interrupted (Ctrl-C, window closed, camera gone, model process failed) is ended
through the flow like any other, so it is still saved and summarised.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from coach.app.driver import drive, hold_card, present
from coach.coaching.chain import Reader
from coach.coaching.exercise import Exercise, list_exercises, load_exercise
from coach.coaching.flow import (
    HEADLESS_TIMING,
    Action,
    Coached,
    EndSession,
    FinishExercise,
    Flow,
    FlowTiming,
    Key,
    Recalibrate,
    SaveCalibration,
    Screen,
    Show,
    Stage,
    StartExercise,
    ToggleMute,
)
from coach.coaching.plan import TargetSuggestion
from coach.coaching.rangecheck import RangeCheckConfig
from coach.coaching.report import SessionReport
from coach.errors import CoachError
from coach.options import MeasureOptions, RunOptions
from coach.outputs import check_writable, write_json
from coach.store.history import HistoryWriter, record_events
from coach.store.history_safe import SafeHistory
from coach.store.targets import choose_targets, load_profile
from coach.ui.audio import AudioCues, NullBackend, make_audio
from coach.ui.display import Look, VideoOut, Window, check_video_out, draw_job, draw_summary
from coach.ui.overlay import with_status_line
from coach.vision.capture import CameraSource, FrameSource, Sample, VideoFileSource
from coach.vision.pose_worker import RUN_FACE_EVERY, PoseWorker, open_worker
from coach.vision.sources import Prefetched, Tracked

# Frames a headless file run decodes ahead on a reader thread (see VideoFileSource.read_ahead).
HEADLESS_READ_AHEAD = 2


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
    """What a finished session hands back to the command.

    Attributes:
        session: The typed report of the session (its JSON, what ``--report`` writes, is
            `report`).
        ended_by: How the session ended (one of `coach.store.history.ENDED_BY`).
        frames: Frames processed (== frames written with ``--out``).
        history_error: Why the history could not be saved, or None.
        failure: Why the session stopped early on an error (e.g. the model process died), or
            None; the session up to then is saved and reported all the same.
    """

    session: SessionReport
    ended_by: str = "completed"
    frames: int = 0
    history_error: str | None = None
    failure: str | None = None

    @property
    def report(self) -> dict:
        """The session's report JSON (what ``--report`` writes), made from `session`."""
        return self.session.to_json()

    def summary(self) -> str:
        """The session summary printed on stdout: each exercise as `coach replay` prints it."""
        return self.session.summary(self.history_error)


class _Driver:
    """Carries out a `Flow`'s actions for one session. Internal: use `run_session`."""

    def __init__(self, flow: Flow, source: FrameSource, reader: Reader, audio: AudioCues,
                 history: HistoryWriter, config: SessionConfig, window: Window | None,
                 video_out: VideoOut | None, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.flow, self.source, self.reader = flow, source, reader
        self.audio, self.history, self.config = audio, history, config
        self.window, self.video_out = window, video_out
        self.clock, self.now = clock, now
        self.look = Look(mirror=config.mirror, note=config.note, recording=video_out is not None,
                         live=window is not None)
        self.sid = history.start_session(now(), config.source)
        self.run_ids: dict[int, object] = {}
        self.last_img: np.ndarray | None = None
        self.failure: str | None = None

    def run(self) -> None:
        """Read and coach samples until the flow ends; every way out ends it (and stores it)."""
        self.failure = drive(self.flow, self.source, self.reader, self.do,
                             stall_timeout_s=self.config.stall_timeout_s, clock=self.clock)

    def do(self, actions: list[Action], sample: Sample | None = None) -> Key | None:
        """Carry out the actions; return the key pressed while the frame was shown."""
        key = None
        for action in actions:
            match action:
                case Show(screen=screen):
                    key = self.show(screen, sample)
                case Coached(index=index, events=events, t0_ms=t0_ms):
                    self.audio.handle_events(events)
                    if index in self.run_ids:  # (a Ctrl-C can land between a step and its actions)
                        record_events(self.history, self.run_ids[index], events, t0_ms=t0_ms)
                case Recalibrate():
                    self.reader.recalibrate()
                case SaveCalibration():
                    self.history.record_calibration(self.sid, self.reader.calibration_info())
                case StartExercise(index=index, exercise_id=exercise_id):
                    self.run_ids[index] = self.history.start_exercise(self.sid, exercise_id, action.record())
                case FinishExercise(index=index, result=result) if index in self.run_ids:
                    self.history.finish_exercise(self.run_ids[index], result)
                case ToggleMute():
                    self.audio.toggle_mute()
                case EndSession(ended_by=ended_by):
                    self.history.end_session(self.sid, self.now(), ended_by)
        return key

    def show(self, screen: Screen, sample: Sample | None) -> Key | None:
        """Draw the screen where someone will see it; return the key pressed meanwhile."""
        window = self.window
        if sample is None:  # no new frame: the last picture, with why
            if window is None or self.last_img is None:
                time.sleep(0.03)  # the source polls its camera; do not spin a core meanwhile
                return None
            key = window.show(with_status_line(self.last_img, screen.status_line or ""), wait_ms=30)
        else:
            if window is None and self.video_out is None:
                return None  # pixels only when someone will see them: a report-only run
            job = draw_job(sample.frame_bgr, sample.pose, screen, self._look(screen), muted=self.audio.muted)
            img, key = present(job, window=window, video_out=self.video_out)
            if window is None:
                return None
            self.last_img = img
        if window.closed():
            self.do(self.flow.end("quit"))
            return None
        return key

    def _look(self, screen: Screen) -> Look:
        """The session's look; the summary also says where it is stored (or why it is not:
        the history may have failed mid-session)."""
        if screen.stage is not Stage.SUMMARY:
            return self.look
        return replace(self.look, saved_to=_saved_to(self.history))

    def hold_summary(self) -> None:
        """Hold the summary card in the window until a key, the close button or a timeout."""
        window = self.window
        if window is None or window.closed() or self.last_img is None:
            return
        screen = self.flow.screen()
        img = draw_summary(screen, self._look(screen), muted=self.audio.muted,
                           size=(self.last_img.shape[1], self.last_img.shape[0]))
        completed = self.flow.ended_by == "completed"
        hold_s = 60.0 if completed and self.config.wait_for_close else self.config.summary_hold_s
        hold_card(window, img, hold_s, self.clock)


def _saved_to(history: HistoryWriter) -> str:
    error = getattr(history, "error", None)
    if error is not None:
        return f"NOT saved to the history: {error}"
    path = getattr(history, "path", None)
    return str(path) if path else ""


def run_session(
    exercises: Sequence[Exercise],
    source: FrameSource,
    *,
    audio: AudioCues,
    history: HistoryWriter,
    config: SessionConfig = SessionConfig(),
    window: Window | None = None,
    video_out: VideoOut | None = None,
    use_face: bool = True,
    targets: Mapping[str, TargetSuggestion] | None = None,
    range_check: RangeCheckConfig | None = None,
) -> SessionOutcome:
    """Run one guided session to its end and save it.

    Args:
        exercises: The exercises in order.
        source: Samples with landmarks (`coach.vision.sources.Tracked` / `Prefetched`, or the demo's
            `coach.app.demo.ScriptSource`).
        audio: The cue player.
        history: Where the session is stored as it goes (`SafeHistory` for the CLI).
        config: Flow settings.
        window: The window for a live session, or None (headless).
        video_out: The recording (``--out``), or None.
        use_face: Whether the samples' face matrices are worth using.
        targets: ``{exercise_id: TargetSuggestion}``: the thresholds to coach each exercise
            with, shown on its instruction card (absent: the file's, no line).
        range_check: Check today's range before each exercise (`coach.coaching.rangecheck`); None:
            no check (`coach run` always checks; the demo does not).

    Returns:
        The outcome, with the report. The history is written as the session goes; a
        Ctrl-C ends the session early but still saves and reports it.
    """
    flow = Flow(list(exercises), timing=config.timing, plans=targets, range_check=range_check)
    driver = _Driver(flow, source, Reader(use_face=use_face), audio, history, config, window, video_out)
    try:
        driver.run()
        try:
            driver.hold_summary()
        except KeyboardInterrupt:
            pass
    finally:
        if video_out is not None:
            video_out.close()
        if window is not None:
            window.close()
    err = getattr(history, "error", None)
    report = flow.report()
    return SessionOutcome(report, report.ended_by, flow.frames,
                          str(err) if err is not None else None, driver.failure)


def finish_command(outcome: SessionOutcome, report_path: Path | None) -> int:
    """The end of `coach run` / `coach demo`: the report written, the summary printed, the
    exit code (an error that stopped the session early is raised as one line, after saving)."""
    if report_path is not None:
        write_json(report_path, outcome.report)
    print(outcome.summary())
    if outcome.failure is not None:
        raise CoachError(outcome.failure)
    return 130 if outcome.ended_by == "interrupted" else 0


# -- coach run -------------------------------------------------------------------------------------


def load_exercises(exercise_id: str | None, extra_dir: Path | None = None) -> list[Exercise]:
    """One exercise by id, or (None) all of them in the document's order."""
    if exercise_id:
        return [load_exercise(exercise_id, extra_dir)]
    return list_exercises(extra_dir)


def plan_targets(exercises: Sequence[Exercise], history, *, profile=None,
                 adaptive: bool = False) -> dict[str, TargetSuggestion]:
    """``{exercise_id: TargetSuggestion}`` for a session, from the history as it was before it.

    Every exercise gets a plan, so the suggestion is shown on its instruction card even when
    it is not used (``adaptive`` off); see `coach.store.targets.choose_targets`.
    """
    return {ex.id: choose_targets(history, ex, profile=profile, adaptive=adaptive) for ex in exercises}


def open_frames(opts: RunOptions | MeasureOptions) -> FrameSource:
    """The frames of `coach run` and `coach measure`: the video file, or the camera."""
    if opts.video is not None:
        # Headless: the next frames decode on a reader thread while the model works.
        return VideoFileSource(opts.video, realtime=not opts.headless,
                               read_ahead=HEADLESS_READ_AHEAD if opts.headless else 0)
    return CameraSource(opts.camera or 0)


def run_command(opts: RunOptions, started: PoseWorker | None = None) -> int:
    """`coach run`: the live coach (see `coach.cli`).

    Args:
        opts: The command's options.
        started: The model process, already loading (`coach.vision.pose_worker.prestart_worker`
            with these options); closed here whatever happens.
    """
    try:
        return _run(opts, started)
    finally:
        if started is not None:
            started.close()  # idempotent: a no-op once the session has closed it


def _run(opts: RunOptions, started: PoseWorker | None) -> int:
    check_video_out(opts.out)
    check_writable(opts.report, "--report")
    exercises = load_exercises(opts.exercise, opts.exercises_dir)
    # A bad profile is bad input: say so before a window, a camera or the model is opened
    # (a model process started early is stopped at once then: it holds nothing yet).
    profile = load_profile(opts.profile, exercises_dir=opts.exercises_dir)
    # The window first: without a display, say so before loading anything.
    window = None if opts.headless else Window("neck-coach" + (" - REC" if opts.out else ""))
    frames = open_frames(opts)
    try:
        # The model runs in its own process: MediaPipe keeps the GIL while it infers, and the
        # coaching and drawing of one frame should overlap the inference of the next.
        with open_worker(opts.model, use_face=opts.use_face, face_every=RUN_FACE_EVERY,
                         flip_test=opts.flip_test, started=started) as model:
            history = SafeHistory.open(opts.data_dir)
            plans = plan_targets(exercises, history, profile=profile, adaptive=opts.adaptive)
            for ex in exercises:
                print(f"{ex.name}: {plans[ex.id].describe()}", flush=True)
            # A headless run goes as fast as the machine can: sounds would be a blur.
            audio = AudioCues(NullBackend()) if opts.headless else make_audio(opts.mute, opts.voice)
            prefetch = opts.headless and opts.video is not None
            source = Prefetched(frames, model) if prefetch else Tracked(frames, model)
            try:
                config = SessionConfig(
                    mirror=opts.mirror, timing=HEADLESS_TIMING if opts.headless else FlowTiming(),
                    source=str(opts.video) if opts.video else f"camera {opts.camera or 0}",
                    wait_for_close=opts.video is not None)
                video_out = VideoOut(opts.out, source.fps) if opts.out else None
                outcome = run_session(exercises, source, audio=audio, history=history, config=config,
                                      window=window, video_out=video_out, use_face=opts.use_face,
                                      targets=plans, range_check=RangeCheckConfig())
            finally:
                # The source first: a prefetch thread must stop using the model before it closes.
                source.close()
                audio.close()
                history.close()
    finally:
        frames.close()  # idempotent; covers a model that failed to load
    return finish_command(outcome, opts.report)
