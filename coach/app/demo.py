"""`coach demo`: a synthetic person does a short session, coached live, no camera, no model.

The person is a `coach.sim.motion.Script` drawn as a stick figure (`ScriptSource`): each sample
carries the script's own landmarks, so the session runs exactly as on a camera with the pose
model, through the same flow, engine, overlay and sound.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from coach.app.run import SessionConfig, finish_command, load_exercises, run_session
from coach.coaching.flow import HEADLESS_TIMING, FlowTiming
from coach.errors import CoachError
from coach.options import DemoOptions
from coach.outputs import check_writable
from coach.sim import motion
from coach.sim.synthetic import Camera
from coach.store.history_safe import NullHistory
from coach.ui.audio import AudioCues, NullBackend, make_audio
from coach.ui.display import VideoOut, Window, check_video_out
from coach.ui.overlay import draw_stick_figure
from coach.vision.capture import FrameSource, Sample

#: The mistake the demo makes once per exercise: a form fault the coach must catch.
DEMO_MISTAKES: Mapping[str, str] = MappingProxyType({
    "neck-rotation": "pitch",
    "lateral-flexion": "shoulder-hike",
    "chin-tuck": "tilt-back",
    "levator-scapulae": "no-hand",
})
DEMO_FPS = 24.0


def demo_camera() -> Camera:
    """The demo's virtual camera: 16:9, the figure's head in the upper middle, room at the
    sides for the gauges.

    Farther back than a laptop webcam usually is (1.1 m, the shoulders at the optical axis) so
    that the arms are in the picture: the demo shows a new user what each exercise asks of
    them (the finger on the chin, the hand behind the head, the arm lengthened down the side
    against the hands resting in the lap), which a camera that cuts off at the chest would hide.
    """
    return Camera(width=960, height=540, distance_m=1.1, offset_y_m=0.0)


@dataclass(frozen=True)
class DemoPlan:
    """What the demo person does for one exercise (what its report must count)."""

    exercise_id: str
    sides: tuple[str, ...]
    reps_per_side: int
    mistake: str
    circles: int = 1


def demo_script(plans: Sequence[DemoPlan], timing: FlowTiming) -> motion.Script:
    """The synthetic person's whole session as a `coach.sim.motion.Script`.

    Each exercise: still at neutral while the coach checks the setup, calibrates (first
    exercise only) and shows the instruction card; then one rep with a form fault (not
    counted), the correct reps alternating sides, and one full head circle the coach must
    block, halfway through; then still for the result card.
    """
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


class ScriptSource(FrameSource):
    """The demo's camera and model: a motion script as samples of a stick figure with the
    script's own landmarks.

    Args:
        script: The `coach.sim.motion.Script` to perform.
        fps: Frame rate.
        realtime: Pace frames at ``fps`` (a live window); False: as fast as possible.
        seed: Seed of the landmark noise.
        camera: The virtual camera (default `demo_camera`).
        draw: Draw the stick figure; False hands out one blank frame (nobody looks: a
            report-only run).
        clock: Monotonic clock in seconds (realtime pacing only).
    """

    def __init__(self, script: motion.Script, fps: float = DEMO_FPS, *, realtime: bool = False, seed: int = 7,
                 camera: Camera | None = None, draw: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.fps = fps
        self.frame_count = int(script.duration_s * fps)
        self._camera = camera or demo_camera()
        self.size = (self._camera.width, self._camera.height)
        self._script, self._seed, self._draw = script, seed, draw
        self._realtime, self._clock = realtime, clock

    def _samples(self) -> Iterator[Sample]:
        blank: np.ndarray | None = None
        start_s: float | None = None
        for pose in self._script.frames(self.fps, seed=self._seed, camera=self._camera):
            if self._realtime:
                if start_s is None:
                    start_s = self._clock() - pose.t_ms / 1000.0
                delay = start_s + pose.t_ms / 1000.0 - self._clock()
                if delay > 0:
                    time.sleep(delay)
            if self._draw:
                frame = draw_stick_figure(pose)
            else:
                if blank is None:
                    blank = np.full((pose.height, pose.width, 3), 128, np.uint8)
                frame = blank
            yield Sample(pose.t_ms, frame, pose)

    def close(self) -> None:
        self.ended = True


def demo_command(opts: DemoOptions) -> int:
    """`coach demo`: a synthetic person performs a short session, coached live."""
    check_video_out(opts.out)
    check_writable(opts.report, "--report")
    reps = 2 if opts.reps is None else opts.reps
    if not 1 <= reps <= 10:
        raise CoachError(f"--reps must be between 1 and 10, got {reps}")
    exercises = load_exercises(None if opts.routine else (opts.exercise or "neck-rotation"))
    unknown = [e.id for e in exercises if e.id not in DEMO_MISTAKES]
    if unknown:
        raise CoachError(f"the demo knows the built-in exercises only ({', '.join(DEMO_MISTAKES)}); "
                         f"got {', '.join(unknown)}")
    # The demo shows `reps` per side: the exercise's own 10 would make a long video.
    exercises = [e.model_copy(update={"reps_per_side": reps}) for e in exercises]
    timing = HEADLESS_TIMING if opts.headless else FlowTiming(instruction_s=6.0, result_s=4.0)
    plans = [DemoPlan(e.id, tuple(e.sides), reps, DEMO_MISTAKES[e.id]) for e in exercises]
    source = ScriptSource(demo_script(plans, timing), realtime=not opts.headless,
                          draw=not opts.headless or opts.out is not None)
    note = f"DEMO: a synthetic person, {reps} rep{'s' if reps != 1 else ''} per side (a real set is 10)"
    config = SessionConfig(mirror=opts.mirror, timing=timing, note=note, source="demo", wait_for_close=True)
    window = None if opts.headless else Window("neck-coach demo" + (" - REC" if opts.out else ""))
    audio = AudioCues(NullBackend()) if opts.headless else make_audio(opts.mute, opts.voice)
    try:
        video_out = VideoOut(opts.out, source.fps) if opts.out else None
        # The demo is not the user's exercise: it never goes into their history.
        outcome = run_session(exercises, source, audio=audio, history=NullHistory("the demo is not stored"),
                              config=config, window=window, video_out=video_out, use_face=False)
    finally:
        audio.close()
    return finish_command(outcome, opts.report)
