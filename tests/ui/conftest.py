"""The virtual display for the window tests (Xvfb), shared by the test modules that need one."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

TOOLS = ("Xvfb", "xdotool", "import", "ffmpeg")


def _need_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{', '.join(missing)} missing under CI (.ci/run installs them)", pytrace=False)
        pytest.skip(f"needs {', '.join(missing)}")


@pytest.fixture()
def display():
    _need_tools()
    num = next(n for n in range(90, 140) if not Path(f"/tmp/.X{n}-lock").exists()
               and not Path(f"/tmp/.X11-unix/X{n}").exists())
    proc = subprocess.Popen(["Xvfb", f":{num}", "-screen", "0", "1600x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not Path(f"/tmp/.X11-unix/X{num}").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    try:
        yield f":{num}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
