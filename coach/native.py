"""Keep native libraries' log lines off the user's terminal.

MediaPipe's LiteRT runtime and OpenCV's FFmpeg backend print INFO/WARNING lines straight to file
descriptor 2, bypassing Python and their own log-level settings. They would bury the coach's
one-line messages, so the few calls known to print are wrapped in `stderr_silenced`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of the block.

    Failures still surface as Python exceptions, which callers turn into one-line errors.
    Setting ``COACH_DEBUG`` keeps the native output. The redirect is process-wide, so wrap only
    short calls (model loading, opening a file), never a whole session.
    """
    if os.environ.get("COACH_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
