"""The live session end to end: sound cues, history, keys, pause, stall and Ctrl-C.

The flow's decisions are pinned down one by one in test_flow.py; here the driver runs whole
sessions and the outcome (report, history, cues) must show them. No camera and no model:
frames come from scripted motion (`coach.sim.motion`) drawn as a stick figure (`ScriptSource`),
exactly what `coach demo` uses, or from a fake camera through the real `CameraSource`.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
from fake_camera import FakeCapture
from scripted import ScriptModel, ScriptSource

from coach.app.demo import DemoPlan, demo_script
from coach.app.run import SessionConfig, run_session
from coach.coaching.exercise import load_exercise
from coach.coaching.flow import HEADLESS_TIMING, FlowTiming, Key
from coach.errors import CoachError
from coach.sim import motion
from coach.sim.synthetic import make_landmarks
from coach.store.history import HistoryStore
from coach.store.history_safe import NullHistory, SafeHistory
from coach.ui import overlay
from coach.ui.audio import AudioCues, Cue, FakeBackend
from coach.vision.capture import CameraSource, FrameSource
from coach.vision.sources import Prefetched, Tracked


class FakeWindow:
    """Stands in for the OpenCV window: scripted key presses by frame number."""

    def __init__(self, keys: dict[int, Key] | None = None, close_at: int | None = None) -> None:
        self.keys = dict(keys or {})
        self.close_at = close_at
        self.shown = 0
        self.images: list[np.ndarray] = []

    def show(self, img, wait_ms: int = 1):
        self.shown += 1
        self.images.append(img)
        return self.keys.get(self.shown)

    def closed(self) -> bool:
        return self.close_at is not None and self.shown >= self.close_at

    def close(self) -> None:
        pass


def _rotation(reps: int = 1):
    return load_exercise("neck-rotation").model_copy(update={"reps_per_side": reps})


def _script(*scripts):
    script = scripts[0]
    for s in scripts[1:]:
        script = script + s
    return script


FPS = 15.0  # enough for the engine's dwell times; fewer frames keep the suite fast
REP_R = motion.rep_script("neck-rotation", motion.RepPlan("right", hold_s=6.0))
REP_L = motion.rep_script("neck-rotation", motion.RepPlan("left", hold_s=6.0))


def _session(source, exercises, *, window=None, history=None, audio=None, timing=HEADLESS_TIMING, **cfg):
    audio = audio or AudioCues(FakeBackend(), drop_late_ticks=False)
    try:
        outcome = run_session(exercises, source, audio=audio, history=history or NullHistory(), window=window,
                              config=SessionConfig(timing=timing, summary_hold_s=0, wait_for_close=False, **cfg),
                              use_face=False)
    finally:
        audio.close()
    return outcome, audio.backend


def _run(script, exercises, *, window=None, **kw):
    return _session(ScriptSource(script, FPS, draw=window is not None), exercises, window=window, **kw)


def test_cues_in_order_for_a_scripted_rep_right_then_left():
    """One 6 s hold to the right, one to the left: each hold starts, ticks, succeeds, counts."""
    outcome, backend = _run(_script(motion.lead_in(4.0), REP_R, REP_L), [_rotation(1)])
    assert outcome.report["reps"] == {"right": 1, "left": 1}
    cues = backend.cues
    assert Cue.STOP not in cues and Cue.FAULT not in cues and Cue.WRONG_SIDE not in cues
    # Split at the rep cues: each rep is started -> ticks -> success -> (ticks) -> rep.
    reps = [i for i, c in enumerate(cues) if c is Cue.REP]
    assert len(reps) == 2
    for part in (cues[: reps[0] + 1], cues[reps[0] + 1: reps[1] + 1]):
        assert part[0] is Cue.HOLD_STARTED and part[-1] is Cue.REP
        i_min = part.index(Cue.HOLD_MIN)
        assert part[1:i_min].count(Cue.TICK) >= 4, "a tick each second before the 5 s minimum"
        assert set(part[1:-1]) <= {Cue.TICK, Cue.HOLD_MIN}


def test_cues_for_wrong_side_and_head_circle():
    script = _script(
        motion.lead_in(4.0),
        motion.rep_script("neck-rotation", motion.RepPlan("left", hold_s=3.0)),  # right expected
        motion.head_circles(1),
    )
    outcome, backend = _run(script, [_rotation(2)])
    cues = backend.cues
    assert Cue.WRONG_SIDE in cues and Cue.STOP in cues
    assert cues.index(Cue.WRONG_SIDE) < cues.index(Cue.STOP)
    assert Cue.REP not in cues
    assert outcome.report["reps"] == {"right": 0, "left": 0}
    assert [e["kind"] for e in outcome.report["safety_events"]] == ["head-circle"]


def test_demo_plan_is_counted_and_saved_to_history(tmp_path):
    plans = [DemoPlan("neck-rotation", ("right", "left"), 2, "pitch")]
    history = SafeHistory.open(tmp_path)
    try:
        outcome, _ = _run(demo_script(plans, HEADLESS_TIMING), [_rotation(2)], history=history)
    finally:
        history.close()
    rep = outcome.report
    # What the script performed: 2 correct reps per side, one faulty hold, one head circle.
    assert rep["reps"] == {"right": 2, "left": 2}
    assert len(rep["safety_events"]) == 1
    assert sum(h["counted"] for h in rep["holds"]) == 4
    assert any(h["fault"] == "pitch-during-rotation" and not h["counted"] for h in rep["holds"])
    assert rep["ended"] == "done" and outcome.ended_by == "completed"
    with HistoryStore.open(tmp_path) as store:
        (stored,) = store.sessions()
    assert stored.status == "completed"
    (run,) = stored.runs
    assert run.exercise_id == "neck-rotation" and run.reps == {"right": 2, "left": 2}
    assert len(run.holds) == len(rep["holds"])


def test_routine_report_has_a_section_per_exercise():
    plans = [DemoPlan("neck-rotation", ("right", "left"), 1, "pitch", circles=0),
             DemoPlan("chin-tuck", ("center",), 1, "tilt-back", circles=0)]
    exercises = [_rotation(1), load_exercise("chin-tuck").model_copy(update={"reps_per_side": 1})]
    outcome, _ = _run(demo_script(plans, HEADLESS_TIMING), exercises)
    sections = outcome.report["exercises"]
    assert [s["exercise"] for s in sections] == ["neck-rotation", "chin-tuck"]
    assert sections[0]["reps"] == {"right": 1, "left": 1}
    assert sections[1]["reps"] == {"center": 1}
    assert outcome.report["reps"] == {"neck-rotation": {"right": 1, "left": 1}, "chin-tuck": {"center": 1}}


def test_head_circle_during_a_hold_voids_that_hold_in_report_and_history(tmp_path):
    """A counted 6 s lateral-flexion hold, then a head circle started from the held pose: the
    circle is caught after the head has left the zone, yet the hold is void too (report and
    history), not only its rep. A hold ended the same way without the circle counts."""
    held = motion.target_pose("lateral-flexion", "right")
    circle = motion.Circle(5.0, amplitude_deg=held.roll_deg, plane="roll-pitch")
    out = motion.Script((motion.Move(held, 1.5, "out"), motion.Hold(6.0, "hold")))
    script = _script(motion.lead_in(4.0), out, motion.Script((circle, motion.Move(motion.REST, 1.5),
                                                             motion.Hold(3.0))))
    plain = _script(motion.lead_in(4.0), out, motion.Script((motion.Move(motion.REST, 1.5), motion.Hold(3.0))))
    flexion = load_exercise("lateral-flexion").model_copy(update={"reps_per_side": 2})
    history = SafeHistory.open(tmp_path)
    try:
        outcome, backend = _run(script, [flexion], history=history)
    finally:
        history.close()
    rep = outcome.report
    assert [e["kind"] for e in rep["safety_events"]] == ["head-circle"] and Cue.STOP in backend.cues
    assert rep["reps"] == {"right": 0, "left": 0}
    [hold] = rep["holds"]
    assert hold["held_s"] >= 5.0 and not hold["counted"] and hold["fault"] == "head-circle"
    with HistoryStore.open(tmp_path) as store:
        (stored,) = store.sessions()
    [stored_hold] = stored.runs[0].holds
    assert not stored_hold.counted and stored_hold.fault == "head-circle"
    assert stored.runs[0].reps == {"right": 0, "left": 0}
    control, _ = _run(plain, [flexion])
    assert [h["counted"] for h in control.report["holds"]] == [True] and control.report["reps"]["right"] == 1


def test_quit_key_ends_and_saves_the_session(tmp_path):
    script = _script(motion.lead_in(4.0), REP_R, motion.lead_in(20.0))
    history = SafeHistory.open(tmp_path)
    frames_to_quit = int(16 * FPS)  # after the first rep (lead-in + ~11 s rep)
    try:
        outcome, _ = _run(script, [_rotation(3)], history=history,
                          window=FakeWindow({frames_to_quit: Key.QUIT}))
    finally:
        history.close()
    assert outcome.ended_by == "quit" and outcome.frames == frames_to_quit
    assert outcome.report["reps"] == {"right": 1, "left": 0} and outcome.report["ended"] == "quit"
    with HistoryStore.open(tmp_path) as store:
        (stored,) = store.sessions()
    assert stored.status == "quit" and stored.runs[0].reps == {"right": 1, "left": 0}


def test_pause_freezes_coaching_and_resume_continues():
    """A right rep performed while paused is not coached: after resuming, the right side is
    still due, so the left rep that follows is a wrong-side turn and the next right rep is the
    first to count. Coached without the pause, all three would count."""
    script = _script(motion.lead_in(4.0), REP_R, REP_L, REP_R)
    pause_at, resume_at = int(4.0 * FPS), int((4.0 + REP_R.duration_s) * FPS)
    window = FakeWindow({pause_at: Key.PAUSE, resume_at: Key.PAUSE})
    outcome, backend = _run(script, [_rotation(3)], window=window)
    assert outcome.report["reps"] == {"right": 1, "left": 0}
    assert [f["kind"] for f in outcome.report["faults"]] == ["wrong-side"]
    assert outcome.frames == int(math.floor(script.duration_s * FPS + 1e-9))
    unpaused, _ = _run(script, [_rotation(3)], window=FakeWindow())
    assert unpaused.report["reps"] == {"right": 2, "left": 1}


def test_window_closed_is_quit():
    outcome, _ = _run(motion.lead_in(10.0), [_rotation(1)], window=FakeWindow(close_at=50))
    assert outcome.ended_by == "quit" and outcome.frames == 50


def test_pain_stop_ends_the_exercise_with_the_advice():
    script = _script(motion.lead_in(4.0), REP_R, motion.lead_in(5.0))
    window = FakeWindow({int(6 * FPS): Key.PAIN})
    outcome, _ = _run(script, [_rotation(2), load_exercise("chin-tuck")], window=window)
    first, second = outcome.report["exercises"]
    assert first["ended"] == "pain-stop" and second["ended"] == "not started"
    assert outcome.ended_by == "pain-stop"
    text = outcome.summary()
    assert "1-2 weeks" in text and "numbness" in text


def test_next_key_skips_to_the_next_exercise():
    script = _script(motion.lead_in(4.0), motion.lead_in(4.0))
    window = FakeWindow({int(5 * FPS): Key.NEXT})
    outcome, _ = _run(script, [_rotation(2), load_exercise("chin-tuck")], window=window)
    first, second = outcome.report["exercises"]
    assert first["ended"] == "skipped"
    assert second["ended"] == "not finished"


class _StallingSource(FrameSource):
    """A script's samples, then nothing for a few reads (an unplugged camera), then maybe more."""

    def __init__(self, script, stall_after: int, resume: bool, *, draw: bool = False) -> None:
        self.inner = ScriptSource(script, FPS, draw=draw)
        self.fps = self.inner.fps
        self.stall_after, self.resume = stall_after, resume
        self.n = self.stalled_reads = 0

    @property
    def ended(self) -> bool:
        return self.inner.ended

    def read(self, timeout_s=None):
        if self.n == self.stall_after and (self.stalled_reads < 5 or not self.resume):
            self.stalled_reads += 1
            return None
        self.n += 1
        return self.inner.read()


@pytest.mark.parametrize("resume", [True, False])
def test_camera_stall_pauses_then_resumes_or_saves(tmp_path, resume):
    history = SafeHistory.open(tmp_path)
    try:
        outcome, _ = _session(_StallingSource(motion.lead_in(6.0), stall_after=30, resume=resume), [_rotation(1)],
                              history=history, stall_timeout_s=0.2)
    finally:
        history.close()
    if resume:
        assert outcome.ended_by == "completed" and outcome.frames == int(6.0 * FPS)
    else:
        assert outcome.ended_by == "camera-lost" and outcome.frames == 30
    with HistoryStore.open(tmp_path) as store:
        (stored,) = store.sessions()
    assert stored.status == outcome.ended_by


class _InterruptingSource(ScriptSource):
    def __init__(self, script, at: int) -> None:
        super().__init__(script, FPS, draw=False)
        self.at, self.n = at, 0

    def read(self, timeout_s=None):
        self.n += 1
        if self.n == self.at:
            raise KeyboardInterrupt
        return super().read(timeout_s)


def test_ctrl_c_saves_what_was_done(tmp_path):
    script = _script(motion.lead_in(4.0), REP_R, motion.lead_in(10.0))
    history = SafeHistory.open(tmp_path)
    try:
        outcome, _ = _session(_InterruptingSource(script, at=int(16 * FPS)), [_rotation(2)], history=history)
    finally:
        history.close()
    assert outcome.ended_by == "interrupted" and outcome.report["reps"]["right"] == 1
    with HistoryStore.open(tmp_path) as store:
        (stored,) = store.sessions()
    assert stored.status == "interrupted" and stored.runs[0].reps["right"] == 1
    assert sum(h.counted for h in stored.runs[0].holds) == 1


def test_live_flow_shows_instruction_then_result():
    """With the live timings, the instruction card comes first and coaching starts after it."""
    timing = FlowTiming(setup_ok_s=1.0, instruction_s=3.0, result_s=2.0)
    plans = [DemoPlan("neck-rotation", ("right", "left"), 1, "pitch", circles=0)]
    window = FakeWindow()
    outcome, _ = _run(demo_script(plans, timing), [_rotation(1)], timing=timing, window=window)
    rep = outcome.report
    assert rep["reps"] == {"right": 1, "left": 1}
    assert window.shown == outcome.frames
    # Coaching (the engine's clock) started only after setup, calibration and the instruction.
    assert rep["session"]["duration_s"] - rep["duration_s"] >= timing.setup_ok_s + 2.0 + timing.instruction_s


class _PersonModel:
    """The pose model for the fake camera: a person at rest in every frame."""

    def __init__(self) -> None:
        self.seen: list[float] = []

    def process(self, t_ms, frame):
        self.seen.append(time.monotonic())
        return make_landmarks(t_ms=t_ms)


def test_real_camera_unplugged_then_back_then_gone(tmp_path):
    """The `coach.vision.capture.CameraSource` path: a camera that stops, returns, then never returns."""
    cap = FakeCapture(fps=30.0, size=(640, 480))
    marks: list[float] = []

    def unplug() -> None:
        time.sleep(0.8)
        cap.unplugged.set()  # gone for 0.6 s: shorter than the session's stall timeout
        time.sleep(0.6)
        cap.unplugged.clear()
        marks.append(time.monotonic())
        time.sleep(0.8)
        cap.unplugged.set()  # gone for good

    model = _PersonModel()
    source = Tracked(CameraSource(capture=cap, stall_timeout_s=0.3), model)
    history = SafeHistory.open(tmp_path)
    threading.Thread(target=unplug, daemon=True).start()
    try:
        outcome, _ = _session(source, [_rotation(1)], history=history, stall_timeout_s=1.5)
    finally:
        source.close()
        history.close()
    assert outcome.ended_by == "camera-lost"
    assert marks and sum(t > marks[0] for t in model.seen) >= 5, "coaching resumed when frames came back"
    with HistoryStore.open(tmp_path) as store:
        (stored,) = store.sessions()
    assert stored.status == "camera-lost"


def test_recalibrate_key_mid_exercise_stops_coaching_while_it_measures_neutral():
    """After c the coach re-measures neutral before coaching again: the left rep performed
    right after the key press is not counted (without the key press it is)."""
    script = _script(motion.lead_in(4.0), REP_R, REP_L)
    press_at = int((4.0 + REP_R.duration_s - 0.3) * FPS)  # just before the left rep
    outcome, _ = _run(script, [_rotation(2)], window=FakeWindow({press_at: Key.RECALIBRATE}))
    assert outcome.report["reps"] == {"right": 1, "left": 0}
    without, _ = _run(script, [_rotation(2)], window=FakeWindow())
    assert without.report["reps"] == {"right": 1, "left": 1}


_PREFETCH_SCRIPT = _script(motion.lead_in(4.0), REP_R)


def _prefetched_run(model):
    """One right rotation coached through `Prefetched(frames, model)`."""
    ahead = Prefetched(ScriptSource(_PREFETCH_SCRIPT, FPS, draw=False), model)
    try:
        return _session(ahead, [_rotation(1)])[0]
    finally:
        ahead.close()


def test_prefetch_gives_the_same_session_and_passes_errors_on():
    plain, _ = _run(_PREFETCH_SCRIPT, [_rotation(1)])
    model = ScriptModel(_PREFETCH_SCRIPT, FPS)
    fast = _prefetched_run(model)
    assert model.calls == fast.frames == plain.frames
    assert fast.report["holds"] == plain.report["holds"] and fast.report["reps"] == {"right": 1, "left": 0}

    class Broken(ScriptModel):
        def process(self, t_ms, frame):
            if t_ms > 1000:
                raise CoachError("model failed")
            return super().process(t_ms, frame)

    # A model failure ends the session like a Ctrl-C: saved and reported, with the reason.
    failed = _prefetched_run(Broken(_PREFETCH_SCRIPT, FPS))
    assert failed.failure == "model failed" and failed.ended_by == "interrupted"
    assert 0 < failed.frames < plain.frames and failed.report["session"]["frames"] == failed.frames
    assert fast.failure is None


class _FifoModel(ScriptModel):
    """A stand-in for `coach.vision.pose_worker.PoseWorker`: frames in flight, answered in order."""

    def __init__(self, script, capacity: int) -> None:
        from collections import deque

        super().__init__(script, FPS)
        self.capacity, self.pending, self.most_in_flight = capacity, deque(), 0

    def submit(self, t_ms, frame) -> None:
        assert len(self.pending) < self.capacity
        self.pending.append(self.process(t_ms, frame))
        self.most_in_flight = max(self.most_in_flight, len(self.pending))

    def collect(self):
        return self.pending.popleft()


def test_prefetch_with_frames_in_flight_gives_the_same_session():
    plain, _ = _run(_PREFETCH_SCRIPT, [_rotation(1)])
    model = _FifoModel(_PREFETCH_SCRIPT, capacity=3)
    fast = _prefetched_run(model)
    assert model.most_in_flight == 3  # the model was kept busy ahead of the session
    assert fast.frames == plain.frames
    assert fast.report["holds"] == plain.report["holds"] and fast.report["reps"] == {"right": 1, "left": 0}


def test_stalled_camera_message_in_the_window():
    src = _StallingSource(motion.lead_in(4.0), stall_after=20, resume=True, draw=True)
    window = FakeWindow()
    outcome, _ = _session(src, [_rotation(1)], window=window)
    assert outcome.ended_by == "completed"
    shown = window.images
    stalled = shown[20:25]  # the 5 empty reads after frame 20 re-show the last picture
    assert len(shown) >= outcome.frames + 5

    def yellow_in_band(img) -> int:
        h = img.shape[0]
        band = img[int(h * 0.36):int(h * 0.36) + int(h * 0.1)]
        return int(np.all(np.abs(band.astype(int) - np.array(overlay.YELLOW)) <= 40, axis=-1).sum())

    assert yellow_in_band(shown[10]) < 100  # a normal frame: no warning line there
    for img in stalled:
        assert yellow_in_band(img) > 500, "the camera-stopped line is shown"
