"""`coach measure`'s driver with a scripted source (synthetic landmarks, no camera, no model):
keys through the window, Ctrl-C and a camera that stops keep what was measured."""

from __future__ import annotations

import numpy as np
import pytest

from coach.app.measure import _Driver, parse_directions
from coach.coaching.chain import Reader
from coach.coaching.exercise import load_exercise
from coach.coaching.measure import MeasureFlow, MeasureTiming, Stage
from coach.errors import CoachError
from coach.sim.synthetic import make_landmarks
from coach.ui.audio import AudioCues, FakeBackend
from coach.vision.capture import Sample

FRAME_MS = 33
IMG = np.full((48, 64, 3), 128, np.uint8)


def _script(trials_right: int = 3, left_s: float = 3.0) -> list[tuple[float, float]]:
    """(yaw, seconds): neutral, right turns held, one left turn."""
    steps = [(0.0, 3.0)]
    for _ in range(trials_right):
        steps += [(0.0, 1.0), (25.0, 0.3), (50.0, 2.0), (25.0, 0.3)]
    steps += [(0.0, 1.0), (-25.0, 0.3), (-44.0, left_s)]
    return steps


class Source:
    """Samples of synthetic landmarks; then Ctrl-C, or a camera that stops sending frames."""

    def __init__(self, steps, then: str) -> None:
        self.samples, t = [], 0
        for yaw, seconds in steps:
            for _ in range(int(seconds * 1000 / FRAME_MS)):
                self.samples.append(Sample(t, IMG, make_landmarks(yaw_deg=yaw, t_ms=t)))
                t += FRAME_MS
        self.then, self.fps = then, 30.0

    @property
    def ended(self) -> bool:
        return self.then == "end" and not self.samples

    def read(self, timeout_s=None):
        if self.samples:
            return self.samples.pop(0)
        if self.then == "ctrl-c":
            raise KeyboardInterrupt
        return None


class FakeWindow:
    """Returns ``key`` once, at frame ``at``."""

    def __init__(self, at: int, key) -> None:
        self.n, self.at, self.key = 0, at, key

    def show(self, img, wait_ms=1):
        self.n += 1
        return self.key if self.n == self.at else None

    def closed(self) -> bool:
        return False


def _driver(source, window=None, timing=MeasureTiming(safety_s=0, setup_ok_s=0.3, instruction_s=0, ask_pain_s=0)):
    dirs = parse_directions("rotation-right,rotation-left,lateral-right")
    flow = MeasureFlow(dirs, speed_limits={"neck-rotation": load_exercise("neck-rotation").speed}, timing=timing)
    return _Driver(flow, source, Reader(), AudioCues(FakeBackend()), window=window, video_out=None, mirror=True)


def test_ctrl_c_keeps_the_measured_direction_and_marks_the_rest():
    d = _driver(Source(_script(), "ctrl-c"))
    d.run()
    report = d.report
    assert report.ended_by == "interrupted" and not report.complete
    assert report.value("rotation-right") == pytest.approx(50.0, abs=1.5)
    assert [x.status for x in report.directions] == ["measured", "incomplete", "not-tested"]
    assert report.value("rotation-left") == pytest.approx(44.0, abs=1.5)  # its one held trial


def test_a_camera_that_stops_ends_the_test_as_camera_lost(monkeypatch):
    clock = iter(range(0, 10_000, 5))
    monkeypatch.setattr("coach.app.measure.time.monotonic", lambda: float(next(clock)))
    monkeypatch.setattr("coach.app.measure.time.sleep", lambda s: None)
    d = _driver(Source(_script(trials_right=2, left_s=0.1), "stall"))
    d.run()
    assert d.report.ended_by == "camera-lost"
    assert d.report.direction("rotation-right").status == "incomplete"
    assert len(d.report.direction("rotation-right").values) == 2


def test_keys_come_through_the_window_and_skip_a_direction():
    from coach.coaching.measure import MeasureKey

    source = Source(_script(trials_right=0), "end")
    # Frame 140: the first direction (rotation right) is under way: skip it.
    d = _driver(source, window=FakeWindow(140, MeasureKey.SKIP))
    d.run()
    statuses = {x.direction: x.status for x in d.report.directions}
    assert statuses["rotation-right"] == "skipped"
    assert d.report.ended_by == "source-ended" and d.flow.stage is Stage.RESULT


def test_unknown_direction_is_refused():
    with pytest.raises(CoachError, match="--directions"):
        parse_directions("rotation-right,rotation-right")
