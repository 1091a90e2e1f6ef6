"""Per-stage cost of the coaching chain on a scripted session (no model, no camera).

Prints CPU milliseconds per frame (process time, so other load on the machine does not count)
for each stage: synthetic landmarks, the JSONL round trip, the head tracker (pose-only and
fused with the face matrix), the body features and the engine, and the whole `Coach` chain.

    python bench/chain.py [--exercise ID] [--reps N] [--fps F]
"""

from __future__ import annotations

import argparse
import json
import time

from coach.angles.body import BodyFeatures
from coach.angles.headpose import HeadTracker
from coach.coaching.chain import Coach
from coach.coaching.engine import Engine
from coach.coaching.exercise import load_exercise
from coach.landmarks import PoseFrame
from coach.sim.motion import session_script


def _cpu_ms_per_frame(fn, items) -> tuple[float, list]:
    out = []
    t0 = time.process_time()
    for item in items:
        out.append(fn(item))
    return (time.process_time() - t0) * 1000.0 / max(1, len(items)), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exercise", default="levator-scapulae")
    ap.add_argument("--reps", type=int, default=2, help="reps per side")
    ap.add_argument("--fps", type=float, default=30.0)
    args = ap.parse_args()

    ex = load_exercise(args.exercise)
    script = session_script(args.exercise, reps_per_side=args.reps)
    samples = list(script.samples(args.fps))
    t0 = time.process_time()
    frames = list(script.frames(args.fps, seed=1, with_face=True))
    gen_ms = (time.process_time() - t0) * 1000.0 / len(frames)
    print(f"{args.exercise}: {len(frames)} frames ({script.duration_s:.0f} s at {args.fps:g} fps)")
    print(f"  synthetic frames (make_frame)   {gen_ms:7.2f} ms/frame")

    json_ms, _ = _cpu_ms_per_frame(lambda f: PoseFrame.from_json(json.loads(json.dumps(f.to_json()))), frames)
    print(f"  JSONL write + read              {json_ms:7.2f} ms/frame")

    for use_face in (False, True):
        tracker = HeadTracker(use_face=use_face)
        ms, angles = _cpu_ms_per_frame(tracker.update, frames)
        print(f"  HeadTracker ({'fused' if use_face else 'pose-only'}){' ' * (10 if use_face else 6)}  {ms:7.2f} ms/frame")
    body_ms, bodies = _cpu_ms_per_frame(BodyFeatures.from_frame, frames)
    print(f"  BodyFeatures.from_frame         {body_ms:7.2f} ms/frame")

    engine = Engine(ex)
    items = list(zip(samples, angles, bodies))
    eng_ms, _ = _cpu_ms_per_frame(lambda it: engine.step(it[0].t_ms, it[1], it[2]), items)
    print(f"  Engine.step                     {eng_ms:7.2f} ms/frame")

    coach = Coach(ex, use_face=False)
    chain_ms, _ = _cpu_ms_per_frame(coach.process, frames)
    print(f"  Coach.process (pose-only chain) {chain_ms:7.2f} ms/frame = {1000.0 / chain_ms:6.0f} frames/CPU-s;"
          f" reps {coach.engine.reps}")


if __name__ == "__main__":
    main()
