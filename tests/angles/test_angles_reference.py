"""`coach angles --reference camera` on the real close-up clip (no shoulders in view)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

pytestmark = pytest.mark.model


def _angles(*args: str) -> list[dict]:
    res = subprocess.run([sys.executable, "-m", "coach", "angles", *args], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    return list(csv.DictReader(io.StringIO(res.stdout)))


def test_camera_reference_tracks_a_face_without_shoulders(shared_data, model_dir):
    clip = str(shared_data / "face_closeup_turns.mp4")
    torso = _angles(clip, "--model", str(model_dir), "--no-smooth")
    camera = _angles(clip, "--model", str(model_dir), "--no-smooth", "--reference", "camera")
    assert len(torso) == len(camera) >= 400
    # Relative to the shoulders nothing can be said (they are invented below the picture) ...
    assert sum(r["tracking"] == "ok" for r in torso) == 0
    # ... relative to the camera the face is measured, with no retraction (a shoulder distance).
    ok = [r for r in camera if r["tracking"] == "ok"]
    assert len(ok) >= 0.9 * len(camera)
    assert all(r["retraction_cm"] == "" and r["yaw_deg"] != "" for r in ok)
    yaws = [float(r["yaw_deg"]) for r in ok]
    assert max(yaws) - min(yaws) > 20  # the clip turns the head: the column is not constant
