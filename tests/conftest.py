"""Shared fixtures: where the real models and clips are (../shared), and how to fail without them.

Tests that need the real model or clips take the `model_dir` / `shared_data` fixtures. Outside
CI they skip when ../shared is absent; under CI (CI=true) they FAIL, because CI has them. Every
such test must carry the ``model`` marker (``-m "not model"`` runs the rest): collection stops
with an error naming any test that takes the fixtures without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _shared_dir() -> Path:
    return Path(os.environ.get("COACH_SHARED_DIR", REPO.parent / "shared")).resolve()


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{what} is missing under CI; CI must provide ../shared", pytrace=False)
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real test clips and images (../shared/data)."""
    d = _shared_dir() / "data"
    if not (d / "webcam_person_then_cartoon.mov").is_file():
        _missing(f"test data folder {d}")
    return d


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The folder holding pose_landmarker_full.task and face_landmarker.task."""
    d = Path(os.environ.get("COACH_MODEL_DIR", _shared_dir() / "models")).resolve()
    if not (d / "pose_landmarker_full.task").is_file():
        _missing(f"model folder {d}")
    return d


REAL_DATA_FIXTURES = ("model_dir", "shared_data")


def pytest_collection_modifyitems(session, config, items) -> None:
    """Refuse to run a test that loads a real model or clip without the ``model`` marker."""
    unmarked = [item.nodeid for item in items
                if any(f in getattr(item, "fixturenames", ()) for f in REAL_DATA_FIXTURES)
                and item.get_closest_marker("model") is None]
    if unmarked:
        raise pytest.UsageError("tests that use the real models or clips need @pytest.mark.model: "
                                + ", ".join(unmarked))
