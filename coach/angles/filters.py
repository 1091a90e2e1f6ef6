"""Smoothing filters for per-frame signals, with time passed in (never read from a clock).

The One Euro filter (Casiez, Roussel, Vogel, CHI 2012) is a low-pass filter whose cut-off
rises with the signal's speed: at rest it smooths hard (jitter disappears), when the head moves
it follows quickly (little lag). One filter instance smooths ONE scalar signal; an estimator
that smooths several signals asks a `FilterFactory` for one filter per signal, so the filter
kind is swappable (the norfair pattern: pass a factory, not a class name).

Pure Python/numpy: no mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol


class ScalarFilter(Protocol):
    """A stateful filter of one scalar signal sampled at increasing times."""

    def __call__(self, t_s: float, value: float) -> float:
        """Feed one sample (time in seconds, value) and return the filtered value."""
        ...

    def reset(self) -> None:
        """Forget the history; the next sample passes through unchanged."""
        ...


FilterFactory = Callable[[], ScalarFilter]


def _smoothing_factor(dt_s: float, cutoff_hz: float) -> float:
    """Exponential-smoothing weight of a first-order low-pass with this cut-off and step."""
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """One Euro filter of a single scalar signal.

    Args:
        min_cutoff_hz: Cut-off at rest (> 0). Lower = smoother and laggier when still.
        beta: Speed coefficient (>= 0): how fast the cut-off rises with the signal's speed,
            in Hz per (signal unit / s). 0 makes it a plain first-order low-pass.
        d_cutoff_hz: Cut-off of the speed estimate (> 0).
        max_gap_s: A gap between samples longer than this (> 0) restarts the filter, so a head
            that moved while tracking was lost is not dragged slowly from its old position.

    Raises:
        ValueError: a parameter is out of its allowed range (the message names the range).

    Example:
        >>> f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.05)
        >>> f(0.0, 10.0)
        10.0
    """

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.05, d_cutoff_hz: float = 1.0,
                 max_gap_s: float = 0.5) -> None:
        _check_positive("min_cutoff_hz", min_cutoff_hz)
        _check_positive("d_cutoff_hz", d_cutoff_hz)
        _check_positive("max_gap_s", max_gap_s)
        if not (math.isfinite(beta) and beta >= 0.0):
            raise ValueError(f"beta must be a finite number >= 0, got {beta}")
        self.min_cutoff_hz = float(min_cutoff_hz)
        self.beta = float(beta)
        self.d_cutoff_hz = float(d_cutoff_hz)
        self.max_gap_s = float(max_gap_s)
        self._t_s: float | None = None
        self._x = 0.0
        self._dx = 0.0

    def reset(self) -> None:
        """Forget the history; the next sample passes through unchanged."""
        self._t_s = None
        self._dx = 0.0

    def __call__(self, t_s: float, value: float) -> float:
        """Filter one sample.

        Non-finite values are passed through and restart the filter (they mean "no
        measurement"; smoothing them in would poison every later output). A sample at the
        same or an earlier time than the previous one returns the previous output unchanged.
        """
        value = float(value)
        if not math.isfinite(value) or not math.isfinite(t_s):
            self.reset()
            return value
        if self._t_s is None or t_s - self._t_s > self.max_gap_s:
            self._t_s, self._x, self._dx = float(t_s), value, 0.0
            return value
        dt_s = t_s - self._t_s
        if dt_s <= 0.0:
            return self._x
        # The speed estimate is itself low-passed so jitter does not open the cut-off.
        dx = (value - self._x) / dt_s
        self._dx += _smoothing_factor(dt_s, self.d_cutoff_hz) * (dx - self._dx)
        cutoff_hz = self.min_cutoff_hz + self.beta * abs(self._dx)
        self._x += _smoothing_factor(dt_s, cutoff_hz) * (value - self._x)
        self._t_s = float(t_s)
        return self._x


class PassThrough:
    """A filter that does nothing (for measuring raw jitter, or `smooth=False`)."""

    def __call__(self, t_s: float, value: float) -> float:
        """Return the value unchanged."""
        return float(value)

    def reset(self) -> None:
        """Nothing to forget."""


def one_euro(min_cutoff_hz: float = 1.0, beta: float = 0.05, d_cutoff_hz: float = 1.0,
             max_gap_s: float = 0.5) -> FilterFactory:
    """A factory of identically configured One Euro filters (validated once, here).

    Raises:
        ValueError: a parameter is out of its allowed range.
    """
    OneEuroFilter(min_cutoff_hz, beta, d_cutoff_hz, max_gap_s)  # validate now, not per signal

    def make() -> OneEuroFilter:
        return OneEuroFilter(min_cutoff_hz, beta, d_cutoff_hz, max_gap_s)

    return make


def pass_through() -> FilterFactory:
    """A factory of `PassThrough` filters."""
    return PassThrough


def _check_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
