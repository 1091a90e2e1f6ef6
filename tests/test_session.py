"""The guided session: setup check, keys, flow, sound cues, history, pause, stall and Ctrl-C.

No camera and no model: frames come from scripted motion (`coach.motion`) drawn as a stick
figure (`ScriptSource`), exactly what `coach demo` uses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach import motion
from coach.audio import AudioCues, Cue, FakeBackend
from coach.exercise import load_exercise
from coach.history import HistoryStore, NullHistory, SafeHistory
from coach.landmarks import PoseFrame
from coach.session import (
    HEADLESS_TIMING,
    DemoPlan,
    FlowTiming,
    Key,
    ScriptSource,
    SessionConfig,
    check_setup,
    demo_script,
    key_for,
    mean_luminance,
    run_session,
)
from coach.synthetic import make_landmarks

# -- setup check -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame_kw,luma,expect",
    [
        ({}, 120.0, None),
        ({}, 20.0, "Too dark"),
        ({"distance_m": 0.3}, 120.0, "Too close"),
        ({"distance_m": 0.42}, 120.0, "Too close"),
        ({"distance_m": 2.2}, 120.0, "Too far"),
        ({"offset_y_m": 0.45}, 120.0, "both shoulders are in the picture"),
        ({"yaw_deg": 85.0}, 120.0, "both ears are visible"),
    ],
)
def test_setup_check_says_what_to_change(frame_kw, luma, expect):
    result = check_setup(make_landmarks(**frame_kw), luma)
    if expect is None:
        assert result.ok and result.problems == ()
    else:
        assert not result.ok
        assert len(result.problems) == 1 and expect in result.problems[0]


def test_setup_check_no_person_and_two_people():
    nobody = check_setup(PoseFrame(0, 640, 480), 120.0)
    assert not nobody.ok and "No one in view" in nobody.problems[0]
    two = make_landmarks()
    two = PoseFrame(two.t_ms, two.width, two.height, two.landmarks, two.world_landmarks, people=2)
    res = check_setup(two, 120.0)
    assert res.ok and "person in the middle" in res.notes[0]


def test_mean_luminance():
    assert mean_luminance(np.full((48, 64, 3), 200, np.uint8)) == pytest.approx(200.0, abs=0.5)
    img = np.zeros((48, 64, 3), np.uint8)
    img[..., 2] = 255  # pure red: Rec. 601 weight 0.299
    assert mean_luminance(img) == pytest.approx(0.299 * 255, abs=0.5)


@pytest.mark.parametrize(
    "code,key",
    [(32, Key.PAUSE), (ord("q"), Key.QUIT), (27, Key.QUIT), (ord("Q"), Key.QUIT), (ord("c"), Key.RECALIBRATE),
     (ord("n"), Key.NEXT), (ord("m"), Key.MUTE), (ord("p"), Key.PAIN), (-1, None), (ord("x"), None),
     (0x100000 | ord("q"), Key.QUIT)],
)
def test_keys(code, key):
    assert key_for(code) is key


# -- whole sessions ------------------------------------------------------------------------------


class FakeWindow:
    """Stands in for the OpenCV window: scripted key presses by frame number."""

    def __init__(self, keys: dict[int, Key] | None = None, close_at: int | None = None) -> None:
        self.keys = dict(keys or {})
        self.close_at = close_at
        self.shown = 0
        self.images: list[np.ndarray] = []

    def show(self, img, wait_ms: int = 1):
        self.shown += 1
        if self.shown % 25 == 0:
            self.images.append(img)
        return self.keys.get(self.shown)

    def closed(self) -> bool:
        return self.close_at is not None and self.shown >= self.close_at

    def close(self) -> None:
        pass


def _rotation(reps: int = 1):
    return load_exercise("neck-rotation").model_copy(update={"reps_per_side": reps})


def _script(*segments_scripts):
    script = segments_scripts[0]
    for s in segments_scripts[1:]:
        script = script + s
    return script


FPS = 15.0  # enough for the engine's dwell times; fewer frames keep the suite fast


def _run(script, exercises, *, window=None, history=None, audio=None, timing=HEADLESS_TIMING, **cfg):
    source = ScriptSource(script, FPS, draw=window is not None)
    audio = audio or AudioCues(FakeBackend(), drop_late_ticks=False)
    try:
        outcome = run_session(exercises, source, source.pose_fn, audio=audio,
                              history=history or NullHistory(), window=window,
                              config=SessionConfig(timing=timing, summary_hold_s=0, wait_for_close=False, **cfg), use_face=False)
    finally:
        audio.close()
    return outcome, audio.backend


def test_cues_in_order_for_a_scripted_rep_right_then_left():
    """One 6 s hold to the right, one to the left: each hold starts, ticks, succeeds, counts."""
    script = _script(
        motion.lead_in(4.0),
        motion.rep_script("neck-rotation", motion.RepPlan("right", hold_s=6.0)),
        motion.rep_script("neck-rotation", motion.RepPlan("left", hold_s=6.0)),
    )
    outcome, backend = _run(script, [_rotation(1)])
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
    script = demo_script(plans, HEADLESS_TIMING)
    history = SafeHistory.open(tmp_path)
    try:
        outcome, backend = _run(script, [_rotation(2)], history=history)
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


def test_quit_key_ends_and_saves_the_session(tmp_path):
    script = _script(motion.lead_in(4.0),
                     motion.rep_script("neck-rotation", motion.RepPlan("right", hold_s=6.0)),
                     motion.lead_in(20.0))
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
    """While paused a whole rep is performed: it must not count; after resuming one does."""
    rep = motion.rep_script("neck-rotation", motion.RepPlan("right", hold_s=6.0))
    script = _script(motion.lead_in(4.0), rep, rep)
    fps = FPS
    pause_at = int(4.0 * fps)
    resume_at = int((4.0 + rep.duration_s) * fps)
    outcome, _ = _run(script, [_rotation(3)], window=FakeWindow({pause_at: Key.PAUSE, resume_at: Key.PAUSE}))
    assert outcome.report["reps"]["right"] == 1
    assert outcome.frames == int(math.floor(script.duration_s * fps + 1e-9))


def test_window_closed_is_quit():
    outcome, _ = _run(motion.lead_in(10.0), [_rotation(1)], window=FakeWindow(close_at=50))
    assert outcome.ended_by == "quit" and outcome.frames == 50


def test_pain_stop_ends_the_exercise_with_the_advice(capsys):
    script = _script(motion.lead_in(4.0),
                     motion.rep_script("neck-rotation", motion.RepPlan("right", hold_s=6.0)),
                     motion.lead_in(5.0))
    window = FakeWindow({int(6 * FPS): Key.PAIN})
    outcome, _ = _run(script, [_rotation(2), load_exercise("chin-tuck")], window=window)
    first, second = outcome.report["exercises"]
    assert first["ended"] == "pain-stop" and second["ended"] == "not started"
    assert outcome.ended_by == "pain-stop"
    from coach.session import format_session_summary

    text = format_session_summary(outcome)
    assert "1-2 weeks" in text and "numbness" in text


def test_next_key_skips_to_the_next_exercise():
    script = _script(motion.lead_in(4.0), motion.lead_in(4.0))
    window = FakeWindow({int(5 * FPS): Key.NEXT})
    outcome, _ = _run(script, [_rotation(2), load_exercise("chin-tuck")], window=window)
    first, second = outcome.report["exercises"]
    assert first["ended"] == "skipped"
    assert second["ended"] in ("not finished", "in progress")


class _StallingSource:
    """Frames from a script, then nothing for a while (an unplugged camera), then maybe more."""

    def __init__(self, script, stall_after: int, resume: bool) -> None:
        self.inner = ScriptSource(script, FPS, draw=False)
        self.fps = self.inner.fps
        self.stall_after, self.resume = stall_after, resume
        self.n = 0
        self.stalled_reads = 0

    @property
    def ended(self) -> bool:
        return self.inner.ended

    def read(self):
        if self.n == self.stall_after and self.stalled_reads < 5:
            self.stalled_reads += 1
            if self.stalled_reads == 5 and not self.resume:
                self.stalled_reads = 4  # never comes back
            return None
        self.n += 1
        return self.inner.read()

    def pose_fn(self, t_ms, frame):
        return self.inner.pose_fn(t_ms, frame)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("resume", [True, False])
def test_camera_stall_pauses_then_resumes_or_saves(tmp_path, resume):
    script = motion.lead_in(6.0)
    src = _StallingSource(script, stall_after=30, resume=resume)
    history = SafeHistory.open(tmp_path)
    audio = AudioCues(FakeBackend())
    try:
        outcome = run_session([_rotation(1)], src, src.pose_fn, audio=audio, history=history,
                              config=SessionConfig(timing=HEADLESS_TIMING, stall_timeout_s=0.2), use_face=False)
    finally:
        audio.close()
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

    def read(self):
        self.n += 1
        if self.n == self.at:
            raise KeyboardInterrupt
        return super().read()


def test_ctrl_c_saves_what_was_done(tmp_path):
    script = _script(motion.lead_in(4.0),
                     motion.rep_script("neck-rotation", motion.RepPlan("right", hold_s=6.0)),
                     motion.lead_in(10.0))
    src = _InterruptingSource(script, at=int(16 * FPS))
    history = SafeHistory.open(tmp_path)
    audio = AudioCues(FakeBackend())
    try:
        outcome = run_session([_rotation(2)], src, src.pose_fn, audio=audio, history=history,
                              config=SessionConfig(timing=HEADLESS_TIMING), use_face=False)
    finally:
        audio.close()
        history.close()
    assert outcome.ended_by == "interrupted" and outcome.report["reps"]["right"] == 1
    with HistoryStore.open(tmp_path) as store:
        (stored,) = store.sessions()
    assert stored.status == "interrupted" and stored.runs[0].reps["right"] == 1
    assert sum(h.counted for h in stored.runs[0].holds) == 1


def test_live_flow_shows_instruction_then_result(tmp_path):
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


def test_real_camera_reader_unplugged_then_back_then_gone(tmp_path):
    """The `coach.capture.CameraSource` path: a camera that stops, returns, then never returns."""
    import threading
    import time

    from coach.capture import CameraSource
    from coach.session import CameraReader
    from fake_camera import FakeCapture

    cap = FakeCapture(fps=30.0, size=(640, 480))
    seen: list[float] = []

    def pose_fn(t_ms, frame):
        seen.append(time.monotonic())
        return make_landmarks(t_ms=t_ms)

    def unplug() -> None:
        time.sleep(0.8)
        cap.unplugged.set()  # gone for 0.6 s: shorter than the session's stall timeout
        time.sleep(0.6)
        cap.unplugged.clear()
        marks.append(time.monotonic())
        time.sleep(0.8)
        cap.unplugged.set()  # gone for good

    marks: list[float] = []
    source = CameraReader(CameraSource(capture=cap, stall_timeout_s=0.3))
    history = SafeHistory.open(tmp_path)
    audio = AudioCues(FakeBackend())
    threading.Thread(target=unplug, daemon=True).start()
    try:
        outcome = run_session([_rotation(1)], source, pose_fn, audio=audio, history=history,
                              config=SessionConfig(timing=HEADLESS_TIMING, stall_timeout_s=1.5),
                              use_face=False)
    finally:
        source.close()
        audio.close()
        history.close()
    assert outcome.ended_by == "camera-lost"
    assert marks and sum(t > marks[0] for t in seen) >= 5, "coaching resumed when frames came back"
    with HistoryStore.open(tmp_path) as store:
        (stored,) = store.sessions()
    assert stored.status == "camera-lost"


def test_recalibrate_key_mid_exercise_stops_coaching_while_it_measures_neutral():
    """After c the coach re-measures neutral before coaching again: the left rep performed
    right after the key press is not counted (without the key press it is)."""
    rep_r = motion.rep_script("neck-rotation", motion.RepPlan("right", hold_s=6.0))
    rep_l = motion.rep_script("neck-rotation", motion.RepPlan("left", hold_s=6.0))
    script = _script(motion.lead_in(4.0), rep_r, rep_l)
    press_at = int((4.0 + rep_r.duration_s - 0.3) * FPS)  # just before the left rep
    outcome, _ = _run(script, [_rotation(2)], window=FakeWindow({press_at: Key.RECALIBRATE}))
    assert outcome.report["reps"] == {"right": 1, "left": 0}
    without, _ = _run(script, [_rotation(2)], window=FakeWindow())
    assert without.report["reps"] == {"right": 1, "left": 1}


_PREFETCH_SCRIPT = (motion.lead_in(4.0), motion.rep_script("neck-rotation", motion.RepPlan("right", hold_s=6.0)))


def _prefetched_run(inner, model):
    """One right rotation coached through `PosePrefetch(inner, model)`."""
    from coach.session import PosePrefetch

    ahead = PosePrefetch(inner, model)
    audio = AudioCues(FakeBackend())
    try:
        return run_session([_rotation(1)], ahead, ahead.pose_fn, audio=audio, history=NullHistory(),
                           config=SessionConfig(timing=HEADLESS_TIMING), use_face=False)
    finally:
        ahead.close()
        audio.close()


def test_pose_prefetch_gives_the_same_session_and_passes_errors_on():
    from coach.errors import CoachError

    script = _script(*_PREFETCH_SCRIPT)
    plain, _ = _run(script, [_rotation(1)])
    inner = ScriptSource(script, FPS, draw=False)
    fast = _prefetched_run(inner, inner.pose_fn)
    assert fast.frames == plain.frames
    assert fast.report["holds"] == plain.report["holds"] and fast.report["reps"] == {"right": 1, "left": 0}

    def broken(t_ms, frame):
        if t_ms > 1000:
            raise CoachError("model failed")
        return inner2.pose_fn(t_ms, frame)

    inner2 = ScriptSource(script, FPS, draw=False)
    # A model failure ends the session like a Ctrl-C: saved and reported, with the reason.
    failed = _prefetched_run(inner2, broken)
    assert failed.failure == "model failed" and failed.ended_by == "interrupted"
    assert 0 < failed.frames < plain.frames and failed.report["session"]["frames"] == failed.frames
    assert fast.failure is None


class _FifoModel:
    """A stand-in for `coach.pose_worker.PoseWorker`: frames in flight, answered in order."""

    def __init__(self, inner, capacity: int) -> None:
        from collections import deque

        self.inner, self.capacity, self.pending, self.most_in_flight = inner, capacity, deque(), 0

    def submit(self, t_ms, frame) -> None:
        assert len(self.pending) < self.capacity
        # The script knows the pose of the frame it has just given out, so it is taken now.
        self.pending.append(self.inner.pose_fn(t_ms, frame))
        self.most_in_flight = max(self.most_in_flight, len(self.pending))

    def collect(self):
        return self.pending.popleft()


def test_pose_prefetch_with_frames_in_flight_gives_the_same_session():
    script = _script(*_PREFETCH_SCRIPT)
    plain, _ = _run(script, [_rotation(1)])
    inner = ScriptSource(script, FPS, draw=False)
    model = _FifoModel(inner, capacity=3)
    fast = _prefetched_run(inner, model)
    assert model.most_in_flight == 3  # the model was kept busy ahead of the session
    assert fast.frames == plain.frames
    assert fast.report["holds"] == plain.report["holds"] and fast.report["reps"] == {"right": 1, "left": 0}


def test_stalled_camera_message_in_the_window():
    src = _StallingSource(motion.lead_in(4.0), stall_after=20, resume=True)
    src.inner = ScriptSource(motion.lead_in(4.0), FPS, draw=True)
    window = FakeWindow()
    shown_images = []
    show = window.show

    def recording_show(img, wait_ms=1):
        shown_images.append(img)
        return show(img, wait_ms)

    window.show = recording_show
    audio = AudioCues(FakeBackend())
    try:
        outcome = run_session([_rotation(1)], src, src.pose_fn, audio=audio, history=NullHistory(),
                              window=window, config=SessionConfig(timing=HEADLESS_TIMING, summary_hold_s=0,
                                                                  wait_for_close=False), use_face=False)
    finally:
        audio.close()
    assert outcome.ended_by == "completed"
    stalled = shown_images[20:25]  # the 5 empty reads after frame 20 re-show the last picture
    assert len(shown_images) >= outcome.frames + 5
    from coach import overlay

    def yellow_in_band(img) -> int:
        h = img.shape[0]
        band = img[int(h * 0.36):int(h * 0.36) + int(h * 0.1)]
        return int(np.all(np.abs(band.astype(int) - np.array(overlay.YELLOW)) <= 40, axis=-1).sum())

    assert yellow_in_band(shown_images[10]) < 100  # a normal frame: no warning line there
    for img in stalled:
        assert yellow_in_band(img) > 500, "the camera-stopped line is shown"
