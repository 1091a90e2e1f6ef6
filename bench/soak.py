#!/usr/bin/env python3
"""Soak: a long synthetic session through the whole logic chain, as fast as possible, with the
process's resident memory (RSS) sampled as it goes.

    scripted motion -> synthetic landmarks (PoseFrame) -> HeadTracker -> body features
        -> engine -> report + history (sqlite, written event by event as the live coach does)

Run:  python bench/soak.py [--minutes 30] [--fps 30] [--sample-every 300]

It prints frames/s and RSS at the start (after a warm-up), at the end, the maximum, and the
growth (end - start, and a least-squares slope per simulated minute). Growth beyond allocator
noise (a few MB) means something keeps per-frame state. No camera, no model, no display.
A short version runs in the tests (tests/test_soak.py); timing is never asserted there.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import cycle
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(REPO))

from coach.coaching.chain import Coach, Reader  # noqa: E402
from coach.coaching.exercise import load_exercise  # noqa: E402
from coach.landmarks import PoseFrame  # noqa: E402
from coach.sim.motion import EXERCISE_IDS, RepPlan, Script, head_circles, lead_in, session_script  # noqa: E402
from coach.store.history import HistoryStore, record_events  # noqa: E402


def rss_kb() -> int:
    """The current resident set size in kB (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak // 1024 if sys.platform == "darwin" else peak)


def _plans(exercise_id: str, round_no: int) -> list[RepPlan]:
    """10 reps per side, with the usual mistakes sprinkled in so every engine path runs."""
    sides = ("center",) if exercise_id == "chin-tuck" else ("right", "left")
    plans = [RepPlan(side) for _ in range(10) for side in sides]
    plans[1] = RepPlan(plans[1].side, hold_s=3.0)  # too short: not counted, repeated later
    plans[3] = RepPlan(plans[3].side, dropout_at_s=2.0, dropout_s=0.3)  # brief tracking loss
    if round_no % 2 == 1:
        plans[5] = RepPlan(plans[5].side, reach=0.5)  # does not reach the target
    return plans


def exercise_scripts() -> Iterator[tuple[str, Script]]:
    """The routine, over and over: each exercise's session, a head circle after the rotations."""
    for round_no, exercise_id in enumerate(cycle(EXERCISE_IDS)):
        script = session_script(exercise_id, _plans(exercise_id, round_no // len(EXERCISE_IDS)))
        if exercise_id == "neck-rotation":
            script = script + head_circles(1) + lead_in(2.0)
        yield exercise_id, script


@dataclass
class SoakResult:
    """What a soak run measured."""

    frames: int = 0
    simulated_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this process's CPU time: frames per CPU second do not depend on load
    exercises: int = 0
    reps: dict[str, int] = field(default_factory=dict)
    report_holds: int = 0
    stored_holds: int = 0
    safety_events: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)  # (simulated min, RSS kB)
    warmup_min: float = 0.0

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def steady(self) -> list[tuple[float, int]]:
        """Samples after the warm-up (imports, caches, sqlite pages settle)."""
        after = [s for s in self.samples if s[0] >= self.warmup_min]
        return after if len(after) >= 2 else self.samples

    @property
    def rss_start_kb(self) -> int:
        return self.steady[0][1]

    @property
    def rss_end_kb(self) -> int:
        return self.steady[-1][1]

    @property
    def rss_max_kb(self) -> int:
        return max(r for _, r in self.steady)

    @property
    def growth_kb(self) -> int:
        return self.rss_end_kb - self.rss_start_kb

    @property
    def slope_kb_per_min(self) -> float:
        """Least-squares RSS slope over the steady samples, kB per simulated minute."""
        pts = self.steady
        n = len(pts)
        mx = sum(x for x, _ in pts) / n
        my = sum(y for _, y in pts) / n
        sxx = sum((x - mx) ** 2 for x, _ in pts)
        return sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx > 0 else 0.0


def run_soak(minutes: float = 30.0, *, fps: float = 30.0, sample_every: int = 300,
             warmup_min: float = 2.0, data_dir: Path | None = None, seed: int = 0) -> SoakResult:
    """Coach ``minutes`` of scripted routine at landmark level and sample RSS.

    Args:
        minutes: Simulated session length.
        fps: Frame rate of the synthetic camera.
        sample_every: Frames between RSS samples.
        warmup_min: Simulated minutes before the RSS baseline is taken.
        data_dir: History folder (default: a temporary one, deleted after).
        seed: Landmark noise seed.
    """
    with tempfile.TemporaryDirectory(prefix="coach-soak-") as tmp:
        return _run(minutes, fps, sample_every, warmup_min, Path(data_dir or tmp), seed)


def _run(minutes: float, fps: float, sample_every: int, warmup_min: float, data_dir: Path,
         seed: int) -> SoakResult:
    result = SoakResult(warmup_min=warmup_min)
    end_ms = int(minutes * 60_000)
    started = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
    exercises = {ex_id: load_exercise(ex_id) for ex_id in EXERCISE_IDS}
    reader = Reader(use_face=False)  # the calibration carries over from exercise to exercise
    t_ms = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with HistoryStore.open(data_dir) as store:
        sid = store.start_session(started, "soak")
        for k, (exercise_id, script) in enumerate(exercise_scripts()):
            if t_ms >= end_ms:
                break
            exercise = exercises[exercise_id]
            coach = Coach(exercise, reader=reader, t0_ms=t_ms)
            run_id = store.start_exercise(sid, exercise_id, coach.targets())
            frame: PoseFrame | None = None
            for frame in script.frames(fps, seed=seed + k, t0_ms=t_ms):
                if frame.t_ms >= end_ms:
                    break
                record_events(store, run_id, coach.process(frame), t0_ms=t_ms)
                result.frames += 1
                if result.frames % sample_every == 0:
                    result.samples.append((frame.t_ms / 60_000.0, rss_kb()))
            done = coach.result()
            store.finish_exercise(run_id, done)
            result.exercises += 1
            for side, n in done.reps.items():
                key = f"{exercise_id}:{side}"
                result.reps[key] = result.reps.get(key, 0) + n
            result.report_holds += len(done.holds)
            result.safety_events += len(done.safety_events)
            t_ms = (frame.t_ms if frame is not None else t_ms) + int(round(1000.0 / fps))
        store.end_session(sid, started + timedelta(milliseconds=t_ms), "completed")
        result.stored_holds = sum(len(r.holds) for s in store.sessions() for r in s.runs)
    result.wall_s = time.perf_counter() - wall0
    result.cpu_s = time.process_time() - cpu0
    result.simulated_s = t_ms / 1000.0
    result.samples.append((t_ms / 60_000.0, rss_kb()))
    return result


def format_result(r: SoakResult) -> str:
    """The lines the script prints."""
    mb = 1024.0
    return "\n".join([
        f"soak: {r.simulated_s / 60:.1f} simulated minutes, {r.frames} frames, whole logic chain "
        "(synthetic landmarks -> HeadTracker -> body -> engine -> report + sqlite history)",
        f"  throughput: {r.frames_per_s:.0f} frames/s ({r.simulated_s / r.wall_s:.1f}x real time), "
        f"wall {r.wall_s:.1f} s; {r.frames / r.cpu_s:.0f} frames per CPU second "
        f"({r.cpu_s:.1f} s CPU: the same on a busy machine)",
        f"  RSS: start {r.rss_start_kb / mb:.1f} MB (after {r.warmup_min:g} min warm-up), "
        f"end {r.rss_end_kb / mb:.1f} MB, max {r.rss_max_kb / mb:.1f} MB, "
        f"growth {r.growth_kb / mb:+.2f} MB, slope {r.slope_kb_per_min:+.1f} kB/simulated min "
        f"({len(r.samples)} samples)",
        f"  coached: {r.exercises} exercises, holds {r.report_holds} (stored {r.stored_holds}), "
        f"safety stops {r.safety_events}",
        "  reps: " + ", ".join(f"{k} {v}" for k, v in sorted(r.reps.items())),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="simulated session length")
    parser.add_argument("--fps", type=float, default=30.0, help="synthetic camera frame rate")
    parser.add_argument("--sample-every", type=int, default=300, help="frames between RSS samples")
    parser.add_argument("--warmup", type=float, default=2.0, help="simulated minutes of warm-up")
    args = parser.parse_args(argv)
    print(format_result(run_soak(args.minutes, fps=args.fps, sample_every=args.sample_every,
                                 warmup_min=args.warmup)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
