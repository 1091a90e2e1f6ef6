"""Find, download and verify the MediaPipe model bundles (``.task`` files).

Resolution order for a model kind (``"pose"`` or ``"face"``):

1. an explicit ``--model`` path: a ``.task`` file, or a folder holding the standard file names;
2. the folder named by the environment variable ``COACH_MODEL_DIR``;
3. the user cache, ``platformdirs.user_cache_dir("neck-coach")/models`` (``COACH_CACHE_DIR``
   overrides it);
4. a download of the official bundle on first use (base URL overridable with
   ``COACH_MODEL_URL``), streamed into a temp file in the cache folder, verified, then renamed
   into place with ``os.replace`` so a crash or a bad download never leaves a half file behind.

This is the only module that touches the network. It does not import mediapipe: a bundle is
checked structurally here (zip CRCs, expected members, TFLite flatbuffer magic, size), and
`coach.vision.pose` turns a load failure into the same kind of one-line error.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs
from tqdm import tqdm

from coach.errors import CoachError

# Called with (bundle path, kind) on a fresh download before it is moved into the cache; raises
# CoachError if the runtime cannot load it. `coach.vision.pose.check_loads` is the real one.
LoadCheck = Callable[[Path, str], None]

ENV_MODEL_DIR = "COACH_MODEL_DIR"
ENV_CACHE_DIR = "COACH_CACHE_DIR"
ENV_MODEL_URL = "COACH_MODEL_URL"

_DOWNLOAD_TIMEOUT_S = 30.0
_CHUNK_BYTES = 1 << 16
# A TFLite flatbuffer carries its file identifier at bytes 4..8.
_TFLITE_MAGIC = b"TFL3"


@dataclass(frozen=True)
class ModelSpec:
    """What one model kind is and how to check it (loaded from ``models/manifest.json``).

    Attributes:
        kind: ``"pose"`` or ``"face"``.
        file: Standard file name inside a model folder or the cache.
        url: Official download URL.
        members: Bundle members that must be present.
        min_size_bytes: Anything smaller is truncated or not a model.
        known_sha256: Digests we have seen before, with a note each (informational).
    """

    kind: str
    file: str
    url: str
    members: tuple[str, ...]
    min_size_bytes: int
    known_sha256: dict[str, str]


def model_specs() -> dict[str, ModelSpec]:
    """Return the model specs from the packaged manifest, keyed by kind."""
    raw = json.loads(resources.files("coach._models").joinpath("manifest.json").read_text("utf-8"))
    return {
        kind: ModelSpec(
            kind=kind,
            file=entry["file"],
            url=entry["url"],
            members=tuple(entry["members"]),
            min_size_bytes=int(entry["min_size_bytes"]),
            known_sha256=dict(entry.get("known_sha256", {})),
        )
        for kind, entry in raw.items()
    }


def _spec(kind: str) -> ModelSpec:
    specs = model_specs()
    if kind not in specs:
        raise ValueError(f"model kind must be one of {sorted(specs)}, got {kind!r}")
    return specs[kind]


def cache_dir() -> Path:
    """The folder downloaded models are kept in (``$COACH_CACHE_DIR`` or the user cache)."""
    override = os.environ.get(ENV_CACHE_DIR)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("neck-coach")) / "models"


def download_url(kind: str) -> str:
    """The URL the ``kind`` model is downloaded from (``$COACH_MODEL_URL``/<file> if set)."""
    spec = _spec(kind)
    base = os.environ.get(ENV_MODEL_URL)
    if base:
        return f"{base.rstrip('/')}/{spec.file}"
    return spec.url


def bundle_problem(path: Path, kind: str) -> str | None:
    """Check that ``path`` looks like a usable ``kind`` bundle.

    Args:
        path: The ``.task`` file.
        kind: ``"pose"`` or ``"face"``.

    Returns:
        ``None`` when the bundle is fine, else a short description of what is wrong.
    """
    spec = _spec(kind)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    if size < spec.min_size_bytes:
        return f"it is only {size} bytes (truncated?)"
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = [m for m in spec.members if m not in names]
            if missing:
                return f"it is not a {kind} model bundle (missing {', '.join(missing)})"
            bad = zf.testzip()  # reads every member: catches corrupted bytes inside the zip
            if bad is not None:
                return f"member {bad} is corrupt"
            for name in spec.members:
                if name.endswith(".tflite"):
                    with zf.open(name) as fh:
                        head = fh.read(8)
                    if head[4:8] != _TFLITE_MAGIC:
                        return f"member {name} is not a TFLite model"
    except zipfile.BadZipFile:
        return "it is not a model bundle (not a zip file; truncated or corrupt?)"
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        return f"it cannot be read as a bundle ({exc})"
    return None


def _check_or_raise(path: Path, kind: str, fix: str) -> Path:
    problem = bundle_problem(path, kind)
    if problem:
        raise CoachError(f"{kind} model {path} is unusable: {problem}; {fix}")
    return path


def _fix_hint(kind: str) -> str:
    hint = f"pass --model FILE/FOLDER or set {ENV_MODEL_DIR} to a folder with {_spec(kind).file}"
    if kind == "face":
        hint += ", or use --no-face"
    return hint


def _from_explicit(kind: str, explicit: Path) -> Path | None:
    spec = _spec(kind)
    explicit = explicit.expanduser()
    if explicit.is_dir():
        candidate = explicit / spec.file
        if candidate.is_file():
            return _check_or_raise(candidate, kind, "replace it, or pass another --model")
        if kind == "pose":
            raise CoachError(f"--model folder {explicit} has no {spec.file}; "
                             f"put the pose model there or pass --model FILE.task")
        return None  # a folder with only the pose model: look for the face model elsewhere
    if explicit.is_file():
        problem = bundle_problem(explicit, kind)
        if problem is None:
            return explicit
        if kind == "pose":
            raise CoachError(f"--model {explicit} is unusable: {problem}; "
                             f"pass a pose model bundle such as {spec.file}")
        # --model names the pose file; the face model may sit next to it.
        sibling = explicit.parent / spec.file
        if sibling.is_file():
            return _check_or_raise(sibling, kind, "replace it, or use --no-face")
        return None
    raise CoachError(f"--model {explicit} does not exist; pass a {spec.file} file or a folder holding it")


def resolve_model(
    kind: str,
    explicit: Path | None = None,
    *,
    download: bool = True,
    progress: bool = True,
    load_check: LoadCheck | None = None,
) -> Path:
    """Return the path of a verified ``kind`` model bundle, downloading it on first use.

    Args:
        kind: ``"pose"`` or ``"face"``.
        explicit: The user's ``--model`` (a ``.task`` file or a folder), if any.
        download: Download into the cache when no local copy is found.
        progress: Show a tqdm progress bar on stderr while downloading.
        load_check: Also load a freshly downloaded bundle with the runtime before caching it
            (`coach.vision.pose.check_loads`); local files are loaded by their user anyway.

    Returns:
        Path to a bundle that passed `bundle_problem`.

    Raises:
        CoachError: no usable model, a corrupt cached or explicit one, or a failed download;
            the message says how to fix it.
        ValueError: ``kind`` is not a known model kind.
    """
    spec = _spec(kind)
    if explicit is not None:
        found = _from_explicit(kind, Path(explicit))
        if found is not None:
            return found

    env_dir = os.environ.get(ENV_MODEL_DIR)
    if env_dir:
        folder = Path(env_dir).expanduser()
        if not folder.is_dir():
            raise CoachError(f"{ENV_MODEL_DIR}={env_dir} is not a folder; fix or unset it")
        candidate = folder / spec.file
        if candidate.is_file():
            return _check_or_raise(candidate, kind, f"replace it, or fix {ENV_MODEL_DIR}")

    cached = cache_dir() / spec.file
    if cached.is_file():
        return _check_or_raise(
            cached, kind, f"delete {cached} and rerun to re-download it, or pass --model"
        )
    if not download:
        raise CoachError(f"no {kind} model found and downloading is off; {_fix_hint(kind)}")
    return _download(kind, cached, progress=progress, load_check=load_check)


def resolve_models(model: Path | None, use_face: bool, *, download: bool = True,
                   load_check: LoadCheck | None = None) -> tuple[Path, Path | None]:
    """The pose model and, with ``use_face``, the face model: `resolve_model` for each.

    Returns:
        ``(pose_path, face_path)``; ``face_path`` is ``None`` without ``use_face``.

    Raises:
        CoachError: as `resolve_model`.
    """
    pose_path = resolve_model("pose", model, download=download, load_check=load_check)
    face_path = resolve_model("face", model, download=download, load_check=load_check) if use_face else None
    return pose_path, face_path


def _download(kind: str, dest: Path, *, progress: bool, load_check: LoadCheck | None) -> Path:
    """Stream the bundle into a temp file beside ``dest``, verify it, then rename it in place."""
    url = download_url(kind)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CoachError(f"cannot create the model cache {dest.parent} ({exc.strerror}); "
                         f"set {ENV_CACHE_DIR} to a writable folder, or {_fix_hint(kind)}") from None
    # Same folder as dest so os.replace is an atomic rename on one filesystem.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _fetch(url, out, kind=kind, progress=progress)
        problem = bundle_problem(tmp, kind)
        if problem:
            raise CoachError(f"the {kind} model downloaded from {url} is unusable: {problem}; "
                             f"rerun to retry, or {_fix_hint(kind)}")
        if load_check is not None:
            load_check(tmp, kind)  # raises CoachError; the finally below drops the temp file
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    if progress:
        note = _spec(kind).known_sha256.get(digest)
        status = f"known bundle: {note}" if note else "new upstream version, bundle checks passed"
        print(f"saved {kind} model to {dest} (sha256 {digest[:12]}..., {status})", file=sys.stderr)
    return dest


def _fetch(url: str, out, *, kind: str, progress: bool) -> str:
    """Copy ``url`` into the open file ``out``; return the sha256 hex digest."""

    sha = hashlib.sha256()
    received = 0
    try:
        with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=f"downloading {kind} model", disable=not progress,
                      file=sys.stderr, leave=False) as bar:
                while chunk := resp.read(_CHUNK_BYTES):
                    out.write(chunk)
                    sha.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        raise CoachError(f"cannot download the {kind} model from {url} (HTTP {exc.code}); "
                         f"{_fix_hint(kind)}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        # HTTPException covers a connection cut mid-body (IncompleteRead) and garbage replies.
        reason = getattr(exc, "reason", None) or exc
        reason = " ".join(str(reason).split())[:200] or type(exc).__name__  # one line, always
        raise CoachError(f"cannot download the {kind} model from {url} ({reason}); "
                         f"{_fix_hint(kind)}") from None
    if total is not None and received != total:
        raise CoachError(f"the {kind} model download from {url} stopped after {received} of "
                         f"{total} bytes; rerun to retry, or {_fix_hint(kind)}")
    return sha.hexdigest()
