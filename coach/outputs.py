"""Files the commands write: one check that a path can be written, one atomic JSON writer.

Every command checks its output paths with `check_writable` before it opens a camera, loads a
model or starts a session: finding out when the work is done would lose it. Reports are written
with `write_json`: to a temporary file in the same folder, then renamed over the target, so a
crash never leaves a half-written report behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from coach.errors import CoachError


def check_writable(path: Path | None, option: str) -> None:
    """Fail now, in one line, if a file cannot be written at ``path``.

    Args:
        path: The file the command will write (None: nothing to check).
        option: How the user named it, e.g. "--out", for the message.

    Raises:
        CoachError: a part of the path is a file, its folder does not exist, or the folder is
            not writable.
    """
    if path is None:
        return
    path = Path(path)
    folder = path.absolute().parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise CoachError(f"{option} {path}: {existing} is a file, not a folder; choose another path")
    if existing != folder:
        raise CoachError(f"{option} {path}: folder {path.parent} does not exist; create it or choose another")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CoachError(f"{option} {path}: cannot write in {folder} ({exc.strerror or exc}); "
                         "choose a writable folder") from None


def write_json(path: Path, obj: object, option: str = "--report") -> None:
    """Write ``obj`` as indented JSON to ``path``, atomically.

    Raises:
        CoachError: the file cannot be written (one line naming it).
    """
    write_text(path, json.dumps(obj, indent=2) + "\n", option)


def write_text(path: Path, text: str, option: str = "--report") -> None:
    """Write ``text`` to ``path`` atomically (a temporary file, then renamed: whole or nothing).

    Raises:
        CoachError: the file cannot be written (one line naming it).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CoachError(f"{option} {path}: cannot write the file ({exc.strerror or exc})") from None
