"""One Euro filter: step response, jitter reduction, time gaps, validation, the factory."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach.angles.filters import OneEuroFilter, PassThrough, one_euro, pass_through

FPS = 30.0


def _run(f, values, fps=FPS, t0_s=0.0):
    return np.array([f(t0_s + i / fps, v) for i, v in enumerate(values)])


def test_first_sample_passes_through():
    assert OneEuroFilter()(0.0, 12.5) == 12.5


def test_step_response_is_smooth_monotone_and_settles():
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.05)
    out = _run(f, [0.0] * 30 + [45.0] * 60)
    step = out[30:]
    # No overshoot, no undershoot: a first-order filter approaches the target from below.
    assert np.all(np.diff(step) >= -1e-9)
    assert step.max() <= 45.0 + 1e-9
    # Not instant (it smooths) ...
    assert step[0] < 45.0 - 5.0
    # ... but a 45 degree turn is within 1 degree in under 0.5 s (beta opens the cut-off).
    settled = np.argmax(np.abs(step - 45.0) < 1.0) / FPS
    assert 0.0 < settled < 0.5


@pytest.mark.parametrize("cutoff_hz", [None, 0.5, 1.0, 2.0])
def test_at_rest_the_cutoff_sets_the_time_constant(cutoff_hz):
    """With beta 0 the filter is a first-order low-pass: a step is 1 - 1/e (63 %) through after
    tau = 1 / (2 pi f_c) - 0.16 s at the default 1 Hz - and 86 % after 2 tau."""
    fps = 1000.0  # fine steps: the discrete filter follows the continuous response
    f = OneEuroFilter(beta=0.0) if cutoff_hz is None else OneEuroFilter(min_cutoff_hz=cutoff_hz, beta=0.0)
    tau_s = 1.0 / (2.0 * math.pi * (1.0 if cutoff_hz is None else cutoff_hz))
    out = _run(f, [0.0] * 10 + [1.0] * int(3 * tau_s * fps), fps=fps)[10:]
    assert out[int(round(tau_s * fps)) - 1] == pytest.approx(1.0 - math.exp(-1.0), abs=0.01)
    assert out[int(round(2 * tau_s * fps)) - 1] == pytest.approx(1.0 - math.exp(-2.0), abs=0.01)


def test_small_steps_are_smoothed_harder_than_large_ones():
    # A jitter-sized 0.5 degree step is followed slowly; a 45 degree turn quickly.
    def first_frame_fraction(size):
        f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.05)
        out = _run(f, [0.0] * 30 + [size] * 2)
        return out[30] / size

    assert first_frame_fraction(0.5) < 0.25
    assert first_frame_fraction(45.0) > 2 * first_frame_fraction(0.5)


def test_beta_makes_fast_moves_lag_less():
    ramp = np.linspace(0.0, 60.0, 31)  # 60 deg in 1 s
    slow = _run(OneEuroFilter(min_cutoff_hz=1.0, beta=0.0), ramp)
    fast = _run(OneEuroFilter(min_cutoff_hz=1.0, beta=0.1), ramp)
    assert abs(fast[-1] - 60.0) < abs(slow[-1] - 60.0) / 2


def test_jitter_is_reduced_at_rest():
    rng = np.random.default_rng(3)
    noisy = 10.0 + rng.normal(0.0, 0.4, 300)
    out = _run(OneEuroFilter(min_cutoff_hz=1.0, beta=0.05), noisy)[30:]
    assert out.std() < noisy[30:].std() / 2.5
    assert abs(out.mean() - 10.0) < 0.1


def test_a_long_gap_restarts_the_filter():
    f = OneEuroFilter(max_gap_s=0.5)
    _run(f, [0.0] * 30)
    # After 2 s without samples the head is elsewhere: take the new value as is.
    assert f(3.0, 40.0) == 40.0


def test_a_short_gap_keeps_smoothing_with_the_real_time_step():
    a = OneEuroFilter(max_gap_s=0.5)
    b = OneEuroFilter(max_gap_s=0.5)
    _run(a, [0.0] * 30)
    _run(b, [0.0] * 30)
    # The same new value after a longer time step moves the output further (dt is used).
    near = a(1.0, 20.0)
    far = b(1.3, 20.0)
    assert 0.0 < near < far < 20.0


def test_repeated_or_backward_time_returns_previous_output():
    f = OneEuroFilter()
    f(0.0, 1.0)
    y = f(0.1, 5.0)
    assert f(0.1, 100.0) == y
    assert f(0.05, -100.0) == y


def test_non_finite_values_pass_through_and_restart():
    f = OneEuroFilter()
    _run(f, [5.0] * 10)
    assert math.isnan(f(0.5, float("nan")))
    assert f(0.53, 30.0) == 30.0  # restarted: no smoothing toward the old 5.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(min_cutoff_hz=0.0), "min_cutoff_hz must be a finite number > 0"),
        (dict(min_cutoff_hz=float("nan")), "min_cutoff_hz must be a finite number > 0"),
        (dict(beta=-0.1), "beta must be a finite number >= 0"),
        (dict(d_cutoff_hz=-1.0), "d_cutoff_hz must be a finite number > 0"),
        (dict(max_gap_s=0.0), "max_gap_s must be a finite number > 0"),
    ],
)
def test_bad_parameters_name_the_allowed_range(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OneEuroFilter(**kwargs)
    with pytest.raises(ValueError, match=message):
        one_euro(**kwargs)


def test_factory_makes_independent_filters():
    make = one_euro(min_cutoff_hz=1.0, beta=0.0)
    a, b = make(), make()
    assert a is not b
    _run(a, [0.0] * 10)
    # b has no history: its first sample passes through, a smooths toward its history.
    assert b(0.4, 50.0) == 50.0
    assert a(0.4, 50.0) < 50.0


def test_pass_through_factory():
    f = pass_through()()
    assert isinstance(f, PassThrough)
    assert f(0.0, 3.0) == 3.0 and f(0.0, -7.0) == -7.0
