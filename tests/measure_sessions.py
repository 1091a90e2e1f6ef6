"""Build `coach measure` sessions from still poses (render landmarks) and run them through the
same chain as the command: Reader -> MeasureFlow (headless timing), Recalibrate honoured.

A session is played in the order the test asks: the neutral held for the calibration, then for
each direction its pose reached from the neutral by interpolating the landmarks (and the face
matrix, re-orthonormalised), held, and back, three times. Landmarks get a small seeded jitter so
a hold is not bit-identical frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from coach.angles.setup_check import check_setup
from coach.coaching.chain import Reader
from coach.coaching.exercise import load_exercise
from coach.coaching.flow import Recalibrate, Seen
from coach.coaching.measure import HEADLESS_MEASURE_TIMING, EndTest, MeasureFlow
from coach.coaching.measure_report import DIRECTION_BY_ID, MeasureReport
from coach.landmarks import PoseFrame
from coach.sim.render_session import blend

FPS = 30.0
FRAME_MS = 1000.0 / FPS


def between(a: PoseFrame, b: PoseFrame, f: float, t_ms: int) -> PoseFrame:
    """The frame a fraction ``f`` of the way from ``a`` to ``b`` (`coach.sim.render_session.blend`:
    a face seen at one end only is lost on the way, not frozen against the moving landmarks)."""
    return blend(a, b, f, t_ms)


class Builder:
    """Appends frames at FPS: holds (jittered) and ramps."""

    def __init__(self, seed: int = 0) -> None:
        self.frames: list[PoseFrame] = []
        self.rng = np.random.default_rng(seed)

    @property
    def t_ms(self) -> int:
        return int(round(len(self.frames) * FRAME_MS))

    def hold(self, frame: PoseFrame, seconds: float) -> None:
        for _ in range(int(round(seconds * FPS))):
            lm = frame.landmarks
            if lm is not None:
                lm = lm.copy()
                lm[:, :2] += self.rng.normal(0.0, 0.0004, size=(lm.shape[0], 2))
            self.frames.append(PoseFrame(self.t_ms, frame.width, frame.height, lm, frame.world_landmarks,
                                         frame.face_matrix))

    def ramp(self, a: PoseFrame, b: PoseFrame, seconds: float) -> None:
        n = max(1, int(round(seconds * FPS)))
        for i in range(1, n + 1):
            self.frames.append(between(a, b, i / n, self.t_ms))


def build_session(neutral: PoseFrame, poses: Sequence[tuple[str, PoseFrame | Sequence[PoseFrame]]], *,
                  trials: int = 3, calibration_s: float = 3.0, ramp_s: float = 1.5, hold_s: float = 2.0,
                  rest_s: float = 0.8, seed: int = 0) -> list[PoseFrame]:
    """Neutral held, then each direction's pose reached, held and left ``trials`` times.

    A direction's pose may be a path: the images on the way out (e.g. a render sweep 10, 20,
    ... 80 deg), the last one held; the ramp time is shared between its steps, and the way back
    is the same path reversed. A real head passes through those poses; interpolating landmarks
    straight from 0 to 80 deg does not look like any head on the way.
    """
    b = Builder(seed)
    b.hold(neutral, calibration_s)
    for _direction, pose in poses:
        path = [neutral, *(pose if isinstance(pose, (list, tuple)) else [pose])]
        step_s = ramp_s / (len(path) - 1)
        for _ in range(trials):
            b.hold(neutral, rest_s)
            for a, c in zip(path, path[1:]):
                b.ramp(a, c, step_s)
            b.hold(path[-1], hold_s)
            for a, c in zip(path[::-1], path[-2::-1]):
                b.ramp(a, c, step_s)
    b.hold(neutral, rest_s)
    return b.frames


def run_measure(frames: Iterable[PoseFrame], direction_ids: Sequence[str], *, use_face: bool = True,
                trials: int = 3) -> MeasureReport:
    """The frames through Reader -> MeasureFlow as `coach measure --headless` runs them."""
    directions = [DIRECTION_BY_ID[d] for d in direction_ids]
    limits = {ex: load_exercise(ex).speed for ex in {d.speed_exercise for d in directions}}
    flow = MeasureFlow(directions, speed_limits=limits, timing=HEADLESS_MEASURE_TIMING, trials=trials)
    reader = Reader(use_face=use_face)
    actions = []
    for frame in frames:
        seen = Seen(reader.read(frame), check_setup(frame, 128.0))
        step = flow.step(frame.t_ms, seen)
        if any(isinstance(a, Recalibrate) for a in step):
            reader.recalibrate()
        actions += step
        if flow.ended_by is not None:
            break
    actions += flow.end("completed")
    return next(a.report for a in actions if isinstance(a, EndTest))
