"""The read loop shared by the commands that drive a pure state machine with live samples.

    source (Sample) -> Reader + setup check -> flow.step(t_ms, Seen, key) -> actions -> do(...)

`coach run` / `coach demo` (`coach.coaching.flow.Flow`) and `coach measure`
(`coach.coaching.measure.MeasureFlow`) read samples the same way, notice a camera that stopped
sending frames the same way and end the same way on every way out; only what their actions do
differs, so each command passes its own ``do``. The wall clock is used here (and in the
commands), never in the state machines: to notice the stall and to hold the last card on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from coach.angles.setup_check import check_setup, mean_luminance
from coach.coaching.chain import Reader
from coach.coaching.flow import Seen
from coach.errors import CoachError
from coach.ui.display import VideoOut, Window
from coach.vision.capture import Sample

#: Short waits for a camera frame keep the window responsive (keys, the stall message) while
#: the camera is away.
POLL_S = 0.25


class SteppedFlow(Protocol):
    """What `drive` needs of a state machine (`Flow`, `MeasureFlow`)."""

    @property
    def ended_by(self) -> str | None:
        """How it ended, or None while it runs."""

    def step(self, t_ms: int, seen: Seen | None, key: Any = None) -> Sequence[Any]:
        """One frame (None: no new frame) and the last key in; actions out."""

    def end(self, ended_by: str) -> Sequence[Any]:
        """End it now (``ended_by`` says why); the closing actions out."""


class SampleSource(Protocol):
    """What `drive` needs of a frame source (`Tracked`, `Prefetched`, the demo's script)."""

    @property
    def ended(self) -> bool:
        """True once a file or script has no more samples (a camera never ends)."""

    def read(self, timeout_s: float) -> Sample | None:
        """The next sample, or None when none came within ``timeout_s``."""


#: Carries out actions (with the sample they were made from, if any); returns the key pressed.
DoActions = Callable[..., Any]


def drive(flow: SteppedFlow, source: SampleSource, reader: Reader, do: DoActions, *,
          stall_timeout_s: float, clock: Callable[[], float]) -> str | None:
    """Read samples and step ``flow`` with them until it ends; every way out ends it.

    The end of the source ends it as "completed"; no frame for ``stall_timeout_s`` (by
    ``clock``) as "camera-lost"; Ctrl-C and an error of the model as "interrupted". Each way,
    the closing actions go through ``do``, so what was done so far is stored and shown.

    Args:
        flow: The state machine.
        source: The samples.
        reader: The angles stage (its calibration is the flow's to reset, through ``do``).
        do: ``do(actions, sample=None) -> key``: the command's action handler.
        stall_timeout_s: How long a camera may send nothing before the run ends.
        clock: Seconds, monotonic (passed in so that tests can make a camera stall at once).

    Returns:
        Why the run stopped early on an error (the command says it after saving), or None.
    """
    key, last_t_ms, stalled_since = None, 0, None
    try:
        while flow.ended_by is None:
            sample = source.read(POLL_S)
            if sample is not None:
                stalled_since, last_t_ms = None, sample.t_ms
                seen = Seen(reader.read(sample.pose), check_setup(sample.pose, mean_luminance(sample.frame_bgr)))
                key = do(flow.step(sample.t_ms, seen, key), sample)
            elif source.ended:
                do(flow.end("completed"))
            else:
                stalled_since = stalled_since if stalled_since is not None else clock()
                if clock() - stalled_since > stall_timeout_s:
                    do(flow.end("camera-lost"))
                else:
                    key = do(flow.step(last_t_ms, None, key))
    except KeyboardInterrupt:
        do(flow.end("interrupted"))
    except CoachError as exc:
        # The model (or its process) failed mid-run: what was done so far is still saved and
        # reported, like a Ctrl-C; the command then says why it stopped.
        failure = str(exc)
        do(flow.end("interrupted"))
        return failure
    return None


def present(draw: Callable[[], np.ndarray], *, window: Window | None,
            video_out: VideoOut | None) -> tuple[np.ndarray | None, Any]:
    """Draw a frame's picture where someone will see it.

    Headless with ``--out``, the picture is drawn and encoded on the writer thread; with a
    window it is drawn now, recorded and shown. The caller checks `Window.closed` after.

    Returns:
        ``(picture, key)``: the picture drawn here (None when it went to the writer thread or
        nobody will see it) and the key pressed while it was shown.
    """
    if window is None:
        if video_out is not None:
            video_out.submit(draw)
        return None, None
    img = draw()
    if video_out is not None:
        video_out.write(img)
    return img, window.show(img)


def hold_card(window: Window, img: np.ndarray, hold_s: float, clock: Callable[[], float]) -> None:
    """Keep ``img`` in the window until a key, the close button or ``hold_s`` seconds."""
    deadline = clock() + hold_s
    while clock() < deadline:
        if window.show(img, wait_ms=50) is not None or window.closed():
            break
