"""Keep native libraries' log lines off the user's terminal.

MediaPipe's LiteRT runtime and OpenCV's FFmpeg backend print INFO/WARNING lines straight to file
descriptor 2, bypassing Python and their own log-level settings. They would bury the coach's
one-line messages, so the few calls known to print are wrapped in `stderr_silenced`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

#: fd 2 is one per process, so its redirect is counted process-wide: two threads may each be
#: inside a silenced block (the flip test warms two trackers at once), and only the last to
#: leave may put stderr back, or it would restore the other's /dev/null for good.
_silence_lock = threading.Lock()
_silence_depth = 0
_saved_stderr_fd: int | None = None


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of the block.

    Failures still surface as Python exceptions, which callers turn into one-line errors.
    Setting ``COACH_DEBUG`` keeps the native output. The redirect is process-wide, so wrap only
    short calls (model loading, opening a file), never a whole session. Blocks may overlap
    (nested or on other threads): stderr comes back when the last one ends.
    """
    global _silence_depth, _saved_stderr_fd  # noqa: PLW0603 - one fd 2 per process, see above
    if os.environ.get("COACH_DEBUG"):
        yield
        return
    with _silence_lock:
        if _silence_depth == 0:
            sys.stderr.flush()
            _saved_stderr_fd = os.dup(2)
            with open(os.devnull, "wb") as sink:
                os.dup2(sink.fileno(), 2)
        _silence_depth += 1
    try:
        yield
    finally:
        with _silence_lock:
            _silence_depth -= 1
            if _silence_depth == 0 and _saved_stderr_fd is not None:
                os.dup2(_saved_stderr_fd, 2)
                os.close(_saved_stderr_fd)
                _saved_stderr_fd = None
