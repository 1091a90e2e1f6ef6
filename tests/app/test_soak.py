"""A short soak (bench/soak.py): minutes of synthetic session through the whole logic chain
(synthetic landmarks -> HeadTracker -> body -> engine -> report + history) keep memory flat and
store every hold. The 30-minute run and its numbers live in bench/soak.py; no timing here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _soak_module():
    spec = importlib.util.spec_from_file_location("coach_bench_soak", REPO / "bench" / "soak.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_three_simulated_minutes_memory_flat_and_everything_stored(tmp_path):
    soak = _soak_module()
    # 10 fps keeps the test short; the chain's timers run on frame times, not frame counts.
    result = soak.run_soak(3.0, fps=10.0, sample_every=30, warmup_min=1.0, data_dir=tmp_path)
    assert result.frames == 3 * 60 * 10
    assert abs(result.simulated_s - 180.0) < 1.0
    # The chain really coached: reps were counted and every hold reached the database.
    assert sum(result.reps.values()) >= 8, result.reps
    assert result.stored_holds == result.report_holds > 0
    # RSS after the first simulated minute. Measured: +0.00 MB for the chain as it is, and
    # +2.66 MB when every PoseFrame is kept (a deliberately injected leak of ~2.2 kB/frame over
    # the remaining 1200 frames). The bound sits between the two.
    assert len(result.steady) >= 10
    assert result.growth_kb < 1.5 * 1024, soak.format_result(result)
    assert result.rss_max_kb - result.rss_start_kb < 3 * 1024, soak.format_result(result)
