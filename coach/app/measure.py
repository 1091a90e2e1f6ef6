"""`coach measure`: the driver of the range-of-motion test (camera or ``--video``).

    source (Sample) -> Reader -> MeasureFlow (coach.coaching.measure, pure) -> actions
        -> sound, the tracker's recalibration, pixels; at the end the report (HTML, JSON), the
           history (one transaction) and the summary on stdout

All the decisions are the state machine's; this module carries out its actions, like
`coach.app.run` does for `coach run` (whose frame sources, model process and window it uses).
Every way out (the end of the file, q, Ctrl-C, a camera gone, the model failing) ends the test
through the state machine, so what was measured is kept and marked incomplete.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from functools import partial

import numpy as np

from coach.app.driver import drive, hold_card, present
from coach.app.run import open_frames
from coach.coaching.chain import Reader
from coach.coaching.exercise import load_exercise
from coach.coaching.flow import Recalibrate, ToggleMute
from coach.coaching.measure import (
    HEADLESS_MEASURE_TIMING,
    KEYS_HINT,
    DirectionDone,
    EndTest,
    MeasureAction,
    MeasureFlow,
    MeasureKey,
    MeasureTiming,
    Prompt,
    ShowMeasure,
    measure_key_for,
)
from coach.coaching.measure_report import (
    DIRECTION_BY_ID,
    DIRECTIONS,
    DirectionSpec,
    MeasureReport,
)
from coach.errors import CoachError
from coach.options import MeasureOptions
from coach.outputs import check_writable, write_json
from coach.store.history import HistoryError, HistoryStore
from coach.ui.audio import AudioCues, Cue, NullBackend, make_audio
from coach.ui.display import VideoOut, Window, check_video_out
from coach.ui.measure_cards import measure_card, result_lines
from coach.ui.measure_html import write_html
from coach.ui.overlay import OverlayStatus, render_card
from coach.vision.capture import Sample
from coach.vision.pose_worker import RUN_FACE_EVERY, open_worker
from coach.vision.sources import Prefetched, Tracked

#: The state machine's prompts as sounds (speech says the prompt's text with --voice).
PROMPT_CUES = {"instruction": Cue.HOLD_STARTED, "held": Cue.HOLD_MIN, "slowly": Cue.FAULT,
               "stop": Cue.STOP, "ask": Cue.WRONG_SIDE, "done": Cue.REP}
STALL_TIMEOUT_S = 30.0


def parse_directions(text: str | None) -> list[DirectionSpec]:
    """``--directions`` as specs, in the given order.

    Raises:
        CoachError: an unknown or repeated direction (the message lists the known ones).
    """
    if not text:
        return list(DIRECTIONS)
    ids = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [i for i in ids if i not in DIRECTION_BY_ID]
    if unknown or not ids or len(set(ids)) != len(ids):
        raise CoachError(f"--directions {text!r}: use a comma-separated list of distinct directions from "
                         + ", ".join(DIRECTION_BY_ID))
    return [DIRECTION_BY_ID[i] for i in ids]


class _Driver:
    """Carries out a `MeasureFlow`'s actions. Internal: see `measure_command`."""

    def __init__(self, flow: MeasureFlow, source, reader: Reader, audio: AudioCues, *, window: Window | None,
                 video_out: VideoOut | None, mirror: bool) -> None:
        self.flow, self.source, self.reader, self.audio = flow, source, reader, audio
        self.window, self.video_out, self.mirror = window, video_out, mirror
        self.report: MeasureReport | None = None
        self.failure: str | None = None
        self.last_img: np.ndarray | None = None

    def run(self) -> None:
        """Read samples and step the test until it ends; every way out ends it (and keeps it)."""
        self.failure = drive(self.flow, self.source, self.reader, self.do, stall_timeout_s=STALL_TIMEOUT_S,
                             clock=time.monotonic)

    def do(self, actions: list[MeasureAction], sample: Sample | None = None) -> MeasureKey | None:
        """Carry out the actions (in order); return the key pressed while the screen was shown."""
        key = None
        for action in actions:
            match action:
                case Recalibrate():
                    self.reader.recalibrate()
                case Prompt(kind=kind, text=text, t_ms=t_ms):
                    self.audio.cue(PROMPT_CUES.get(kind, Cue.TICK), t_ms, text=text)
                case ToggleMute():
                    self.audio.toggle_mute()
                case DirectionDone(result=result):
                    value = "-" if result.value is None else f"{result.value:.1f}"
                    print(f"{result.spec.label}: {value} {result.spec.unit} ({result.status})", flush=True)
                case EndTest(report=report):
                    self.report = report
                case ShowMeasure(screen=screen):
                    key = self.show(screen, sample)
        return key

    def _status(self, screen) -> OverlayStatus:
        return OverlayStatus(recording=self.video_out is not None, muted=self.audio.muted,
                             title="Range-of-motion test", status_line=screen.status_line,
                             keys_hint=KEYS_HINT if self.window is not None else "")

    def show(self, screen, sample: Sample | None) -> MeasureKey | None:
        if sample is None:  # no new frame
            if self.window is None:
                time.sleep(0.03)  # the source polls its camera; do not spin a core
            return None
        if self.window is None and self.video_out is None:
            return None
        draw = partial(render_card, sample.frame_bgr, measure_card(screen), pose=sample.pose, mirror=self.mirror,
                       status=self._status(screen), min_height=720 if self.window is not None else 0)
        img, key = present(draw, window=self.window, video_out=self.video_out)
        if self.window is None:
            return None
        self.last_img = img
        if self.window.closed():
            self.do(self.flow.end("quit"))
            return None
        return key

    def hold_result(self) -> None:
        """Keep the result (or stop advice) in the window until a key, the close button or 60 s."""
        if self.window is None or self.window.closed() or self.last_img is None:
            return
        screen = self.flow.screen()
        img = render_card(None, measure_card(screen), status=self._status(screen),
                          size=(self.last_img.shape[1], self.last_img.shape[0]))
        hold_card(self.window, img, 60.0, time.monotonic)


def _history(data_dir):
    """The store and the last test before this one; (None, None, why) when it cannot be opened."""
    try:
        store = HistoryStore.open(data_dir)
        tests = store.measurements()
        return store, (tests[-1] if tests else None), None
    except HistoryError as exc:
        return None, None, str(exc)


def measure_command(opts: MeasureOptions) -> int:
    """`coach measure` (see `coach.cli`)."""
    directions = parse_directions(opts.directions)
    check_video_out(opts.out)
    check_writable(opts.report, "--report")
    check_writable(opts.json, "--json")
    if opts.report is not None and opts.report.suffix.lower() not in (".html", ".htm"):
        raise CoachError(f"--report {opts.report}: the report is an HTML file; use a name ending in .html")
    limits = {ex: load_exercise(ex).speed for ex in {d.speed_exercise for d in directions}}
    window = None if opts.headless else Window("neck-coach measure" + (" - REC" if opts.out else ""),
                                              keymap=measure_key_for)
    frames = open_frames(opts)
    started = datetime.now(timezone.utc).astimezone()
    source_name = str(opts.video) if opts.video else f"camera {opts.camera or 0}"
    flow = MeasureFlow(directions, speed_limits=limits,
                       timing=HEADLESS_MEASURE_TIMING if opts.headless else MeasureTiming(),
                       started_at=started.isoformat(timespec="seconds"), source=source_name)
    try:
        with open_worker(opts.model, use_face=opts.use_face, face_every=RUN_FACE_EVERY,
                         flip_test=opts.flip_test) as model:
            store, last, history_error = _history(opts.data_dir)
            audio = AudioCues(NullBackend()) if opts.headless else make_audio(opts.mute, opts.voice)
            prefetch = opts.headless and opts.video is not None
            source = Prefetched(frames, model) if prefetch else Tracked(frames, model)
            video_out = VideoOut(opts.out, source.fps) if opts.out else None
            driver = _Driver(flow, source, Reader(use_face=opts.use_face), audio, window=window,
                             video_out=video_out, mirror=opts.mirror)
            try:
                driver.run()
                try:
                    driver.hold_result()
                except KeyboardInterrupt:
                    pass
            finally:
                source.close()
                audio.close()
                if video_out is not None:
                    video_out.close()
                if window is not None:
                    window.close()
    finally:
        frames.close()
    report = driver.report if driver.report is not None else flow.report()
    if store is not None:
        try:
            store.save_measurement(report)
        except HistoryError as exc:
            history_error = str(exc)
        finally:
            store.close()
    if opts.json is not None:
        write_json(opts.json, report.to_json(), "--json")
    if opts.report is not None:
        write_html(opts.report, report, last)
    print("\n".join(result_lines(report)))
    print(f"NOT saved to the history: {history_error}" if history_error else "Saved to the history.")
    if driver.failure is not None:
        raise CoachError(driver.failure)
    return 130 if report.ended_by == "interrupted" else 0
