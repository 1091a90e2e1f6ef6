"""Scripted stand-ins for the camera and the pose model (no camera, no model file).

`coach.app.demo.ScriptSource` is the demo's own camera: samples of a stick figure carrying the
script's landmarks. `ScriptModel` plays the pose model for the same script: given a frame's
time it answers the script's landmarks, so a source of plain frames can go through the real
`coach.vision.sources.Tracked` / `Prefetched` paths.
"""

from __future__ import annotations

import numpy as np

from coach.app.demo import ScriptSource, demo_camera
from coach.landmarks import PoseFrame
from coach.sim.motion import Script


class ScriptModel:
    """``process(t_ms, frame) -> PoseFrame``: the landmarks `ScriptSource` gives at ``t_ms``."""

    def __init__(self, script: Script, fps: float, *, seed: int = 7) -> None:
        self.poses = {p.t_ms: p for p in script.frames(fps, seed=seed, camera=demo_camera())}
        self.calls = 0

    def process(self, t_ms: int, frame: np.ndarray) -> PoseFrame:
        self.calls += 1
        return self.poses[t_ms]


__all__ = ["ScriptModel", "ScriptSource"]
