"""Model resolution order, download from a local HTTP server, and rejection of bad bundles."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from coach.errors import CoachError
from coach.vision import models

POSE = "pose_landmarker_full.task"
FACE = "face_landmarker.task"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No inherited model env vars; the cache is a fresh temp folder."""
    monkeypatch.delenv(models.ENV_MODEL_DIR, raising=False)
    monkeypatch.delenv(models.ENV_MODEL_URL, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv(models.ENV_CACHE_DIR, str(cache))
    return cache


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` over HTTP on 127.0.0.1 (an ephemeral port); yield the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/models"
    finally:
        server.shutdown()
        server.server_close()


def _copy_models(model_dir: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in (POSE, FACE):
        shutil.copy(model_dir / name, dest / name)
    return dest


def test_manifest_lists_both_kinds_with_official_urls():
    specs = models.model_specs()
    assert set(specs) == {"pose", "face"}
    assert specs["pose"].url.startswith("https://storage.googleapis.com/mediapipe-models/")
    assert specs["pose"].url.endswith("/" + POSE)
    assert specs["face"].url.endswith("/" + FACE)
    assert "pose_landmarks_detector.tflite" in specs["pose"].members


def test_unknown_kind_is_value_error(clean_env):
    with pytest.raises(ValueError, match="kind"):
        models.resolve_model("hands")


@pytest.mark.model
def test_shared_models_pass_bundle_check(model_dir):
    assert models.bundle_problem(model_dir / POSE, "pose") is None
    assert models.bundle_problem(model_dir / FACE, "face") is None
    # The wrong kind is told apart by the members, not by the file name.
    assert "missing" in models.bundle_problem(model_dir / FACE, "pose")


@pytest.mark.model
def test_explicit_file_beats_env_and_cache(clean_env, model_dir, tmp_path, monkeypatch):
    other = _copy_models(model_dir, tmp_path / "other")
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(other))
    _copy_models(model_dir, clean_env)
    explicit = tmp_path / "mine.task"
    shutil.copy(model_dir / POSE, explicit)
    assert models.resolve_model("pose", explicit, download=False) == explicit
    # --model names the pose file; the face model is looked for next to it, then in the env dir.
    assert models.resolve_model("face", explicit, download=False) == other / FACE


@pytest.mark.model
def test_explicit_folder(clean_env, model_dir):
    assert models.resolve_model("pose", model_dir, download=False) == model_dir / POSE
    assert models.resolve_model("face", model_dir, download=False) == model_dir / FACE


@pytest.mark.model
def test_explicit_file_of_wrong_kind(clean_env, model_dir):
    with pytest.raises(CoachError, match="not a pose model bundle"):
        models.resolve_model("pose", model_dir / FACE, download=False)


@pytest.mark.model
def test_env_dir_beats_cache(clean_env, model_dir, monkeypatch):
    _copy_models(model_dir, clean_env)
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(model_dir))
    assert models.resolve_model("pose", download=False) == model_dir / POSE


@pytest.mark.model
def test_cache_used_when_no_explicit_or_env(clean_env, model_dir):
    _copy_models(model_dir, clean_env)
    assert models.resolve_model("face", download=False) == clean_env / FACE


def test_nothing_found_without_download_says_how_to_fix(clean_env):
    with pytest.raises(CoachError) as err:
        models.resolve_model("pose", download=False)
    msg = str(err.value)
    assert "--model" in msg and "\n" not in msg


def test_missing_explicit_path(clean_env, tmp_path):
    with pytest.raises(CoachError, match="does not exist"):
        models.resolve_model("pose", tmp_path / "nope.task", download=False)


def test_env_dir_that_is_not_a_folder(clean_env, tmp_path, monkeypatch):
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(tmp_path / "missing"))
    with pytest.raises(CoachError, match="COACH_MODEL_DIR"):
        models.resolve_model("pose", download=False)


@pytest.mark.model
def test_download_from_local_server(clean_env, model_dir, tmp_path, monkeypatch):
    served = _copy_models(model_dir, tmp_path / "www" / "models")
    with serve(served.parent) as url:
        monkeypatch.setenv(models.ENV_MODEL_URL, url)
        from coach.vision.pose import check_loads

        got = models.resolve_model("pose", progress=False, load_check=check_loads)
    assert got == clean_env / POSE
    assert got.read_bytes() == (model_dir / POSE).read_bytes()
    assert [p.name for p in clean_env.iterdir()] == [POSE]  # no temp file left behind
    # Second call uses the cache without the server.
    monkeypatch.setenv(models.ENV_MODEL_URL, "http://127.0.0.1:9/none")
    assert models.resolve_model("pose", progress=False) == got


@pytest.mark.parametrize("keep_fraction", [0.5, 0.999])
@pytest.mark.model
def test_truncated_download_is_rejected_and_not_cached(clean_env, model_dir, tmp_path, monkeypatch,
                                                       keep_fraction):
    www = tmp_path / "www" / "models"
    www.mkdir(parents=True)
    data = (model_dir / POSE).read_bytes()
    (www / POSE).write_bytes(data[: int(len(data) * keep_fraction)])
    with serve(www.parent) as url:
        monkeypatch.setenv(models.ENV_MODEL_URL, url)
        with pytest.raises(CoachError) as err:
            models.resolve_model("pose", progress=False)
    msg = str(err.value)
    assert url in msg and "unusable" in msg and "\n" not in msg
    assert not clean_env.exists() or list(clean_env.iterdir()) == []


@pytest.mark.model
def test_corrupt_member_bytes_are_rejected(model_dir, tmp_path):
    bad = tmp_path / POSE
    data = bytearray((model_dir / POSE).read_bytes())
    with zipfile.ZipFile(model_dir / POSE) as zf:
        info = zf.getinfo("pose_landmarks_detector.tflite")
    # Flip bytes in the middle of a member's data: the zip structure stays valid, the CRC fails.
    middle = info.header_offset + 100 + info.compress_size // 2
    data[middle:middle + 16] = bytes(16)
    bad.write_bytes(bytes(data))
    assert "corrupt" in models.bundle_problem(bad, "pose")


@pytest.mark.model
def test_corrupt_cached_file_gives_delete_hint(clean_env, model_dir):
    clean_env.mkdir(parents=True)
    (clean_env / POSE).write_bytes(b"PK\x03\x04" + b"\x00" * 2_000_000)
    with pytest.raises(CoachError) as err:
        models.resolve_model("pose", download=False)
    msg = str(err.value)
    assert f"delete {clean_env / POSE}" in msg and "--model" in msg


def test_network_failure_names_url_and_alternatives(clean_env, monkeypatch):
    # Port 9 (discard) on localhost is closed: connection refused, no real network involved.
    monkeypatch.setenv(models.ENV_MODEL_URL, "http://127.0.0.1:9/models")
    with pytest.raises(CoachError) as err:
        models.resolve_model("face", progress=False)
    msg = str(err.value)
    assert "http://127.0.0.1:9/models/face_landmarker.task" in msg
    assert "--model" in msg and "COACH_MODEL_DIR" in msg and "--no-face" in msg


def test_http_404_is_reported(clean_env, tmp_path, monkeypatch):
    (tmp_path / "www" / "models").mkdir(parents=True)
    with serve(tmp_path / "www") as url:
        monkeypatch.setenv(models.ENV_MODEL_URL, url)
        with pytest.raises(CoachError, match="HTTP 404"):
            models.resolve_model("pose", progress=False)


@pytest.mark.model
def test_download_that_fails_the_load_check_is_not_cached(clean_env, model_dir, tmp_path, monkeypatch):
    served = _copy_models(model_dir, tmp_path / "www" / "models")
    calls = []

    def refuse(path: Path, kind: str) -> None:
        calls.append((path.parent, kind))
        raise CoachError(f"cannot load the {kind} model {path}")

    with serve(served.parent) as url:
        monkeypatch.setenv(models.ENV_MODEL_URL, url)
        with pytest.raises(CoachError, match="cannot load"):
            models.resolve_model("face", progress=False, load_check=refuse)
    assert calls == [(clean_env, "face")]  # checked in the cache folder, before the rename
    assert list(clean_env.iterdir()) == []


@pytest.mark.model
def test_real_load_check(model_dir, tmp_path):
    from coach.vision.pose import check_loads

    check_loads(model_dir / POSE, "pose")
    check_loads(model_dir / FACE, "face")
    # Right members, TFLite magic, but not a model: passes the structural check, fails to load.
    fake = tmp_path / POSE
    with zipfile.ZipFile(fake, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in ("pose_detector.tflite", "pose_landmarks_detector.tflite"):
            zf.writestr(name, b"\0\0\0\0TFL3" + bytes(range(256)) * 4000)
    assert models.bundle_problem(fake, "pose") is None
    with pytest.raises(CoachError) as err:
        check_loads(fake, "pose")
    assert "cannot load the pose model" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n" + b"PK" * 1000,  # hangs up mid-body
    b"SSH-2.0-OpenSSH_9.6\r\n",  # not HTTP at all (a proxy or wrong port)
])
def test_broken_server_replies(clean_env, monkeypatch, reply):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve_once():
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(reply)
        conn.close()

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/m"
    monkeypatch.setenv(models.ENV_MODEL_URL, url)
    try:
        with pytest.raises(CoachError) as err:
            models.resolve_model("pose", progress=False)
    finally:
        thread.join(timeout=5)
        listener.close()
    assert url in str(err.value) and "\n" not in str(err.value)
    assert list(clean_env.iterdir()) == []
