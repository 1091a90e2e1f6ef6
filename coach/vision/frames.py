"""Frame arrays and their hand-over between threads: shared by the frame sources and the models."""

from __future__ import annotations

import queue
import threading

import numpy as np


def check_bgr_frame(frame_bgr: np.ndarray) -> None:
    """Refuse anything but an ``(H, W, 3)`` uint8 BGR image, before it reaches a model.

    Raises:
        ValueError: naming the shape and type that came instead.
    """
    if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
        raise ValueError(f"frame must be an (H, W, 3) uint8 BGR array, got "
                         f"{frame_bgr.shape} {frame_bgr.dtype}")


def put_until_stopped(q: queue.Queue, item: object, stop: threading.Event) -> None:
    """Put ``item`` on a bounded queue, waiting for room, unless ``stop`` is set first.

    A plain blocking ``put`` would hang a producer thread for ever once its consumer has gone;
    waiting in short steps lets the consumer stop it by setting ``stop``.
    """
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
