"""Accuracy sections of bench/bench.py: head angles, pose-only vs fused (face matrix).

- ``synthetic``: mean absolute error per axis over the issue's sweep (yaw -80..80, roll
  -45..45, pitch -40..40, retraction 0..3 cm, plus mixed poses) with real-model-like noise, for
  the pose-only and the fused path, and under camera/torso/anatomy variations.
- ``real``: on the real clips (webcam person part, astronaut), per path: raw frame-to-frame
  jitter, smoothed rest std, mirror error (flipped picture), camera-roll change (+-15 deg),
  next to a naive world-landmark estimate (ear line vs shoulder line) for reference.

Nothing here is asserted (the tests assert the issue's bounds); this prints the numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from coach.angles.headpose import HeadTracker, head_angles
from coach.landmarks import Landmark as L
from coach.landmarks import PoseFrame
from coach.sim.synthetic import Anatomy, Camera, Noise, make_landmarks, sweep_cases

PERSON_FRAMES = 72  # webcam_person_then_cartoon.mov: the person is in frames 0..71


def synthetic_mae(use_face: bool, *, calibrate: bool = False, anatomy: Anatomy = Anatomy(),
                  seed: int = 0, **camera_kw) -> tuple[np.ndarray, int]:
    """MAE (yaw, roll, pitch deg; retraction cm) over `sweep_cases` and how many were lost.

    A turned torso (``torso_yaw_deg``) is measured against a reference the tracker takes from
    the person first sitting square to the camera, so those runs go through a `HeadTracker`
    that sees 3 s square-on, then each pose held for 1.5 s (the torso's low-pass settles).
    """
    rng = np.random.default_rng(seed)
    camera = Camera(**camera_kw)
    turned = camera.torso_yaw_deg != 0.0
    tracker = HeadTracker(use_face=use_face, smooth=False, calibrate=calibrate)
    t_ms = 0
    if calibrate or turned:
        square = Camera(**{**camera_kw, "torso_yaw_deg": 0.0})
        for _ in range(90):
            tracker.update(make_landmarks(noise=Noise(), rng=rng, with_face=use_face, camera=square,
                                          anatomy=anatomy, t_ms=t_ms))
            t_ms += 33
    errs, lost = [], 0
    for truth in sweep_cases(n_mixed=100):
        for _ in range(45 if turned else 1):
            frame = make_landmarks(*truth, noise=Noise(), rng=rng, with_face=use_face, camera=camera,
                                   anatomy=anatomy, t_ms=t_ms)
            t_ms += 33
            a = tracker.update(frame) if calibrate or turned else head_angles(frame, use_face)
        if not a.ok:
            lost += 1
            continue
        errs.append(np.abs(np.array([a.yaw_deg, a.roll_deg, a.pitch_deg, a.retraction_cm]) - truth))
    return np.mean(errs, axis=0), lost


def print_synthetic() -> None:
    """Print the synthetic sweep's MAE table."""
    print(f"  {len(sweep_cases(n_mixed=100))} poses, real-model-like noise; MAE yaw/roll/pitch deg, retraction cm")
    print(f"  {'condition':<44} {'path':<6} {'yaw':>5} {'roll':>5} {'pitch':>5} {'retr':>5} {'lost':>4}")
    conditions: list[tuple[str, dict]] = [
        ("standard camera, standard head", {}),
        ("camera rolled +15 deg", dict(camera_roll_deg=15)),
        ("camera rolled -15 deg", dict(camera_roll_deg=-15)),
        ("whole body turned 60 deg right (tracker)", dict(torso_yaw_deg=60)),
        ("body turned 25 deg (dead zone, read as neck)", dict(torso_yaw_deg=25)),
        ("torso leaning 12 deg", dict(torso_roll_deg=12)),
        ("off-centre 25 cm, 1.2 m away", dict(offset_x_m=0.25, distance_m=1.2)),
        ("camera FOV 75 deg (assumed 60)", dict(hfov_deg=75)),
        ("other head (0.9x, 3 mm shape), calibrated",
         dict(calibrate=True, anatomy=Anatomy(head_scale=0.9, head_shape_mm=3, seed=1))),
    ]
    for label, kw in conditions:
        for use_face in (False, True):
            mae, lost = synthetic_mae(use_face, **kw)
            path = "fused" if use_face else "pose"
            print(f"  {label:<44} {path:<6} {mae[0]:>5.2f} {mae[1]:>5.2f} {mae[2]:>5.2f} {mae[3]:>5.2f} {lost:>4}")


# -- real clips ----------------------------------------------------------------------------------------


def naive_angles(frame: PoseFrame) -> tuple[float, float, float] | None:
    """The naive estimate the issue measured: world ear line vs world shoulder line."""
    if not frame.detected:
        return None
    w = frame.world_landmarks
    ear = w[L.LEFT_EAR] - w[L.RIGHT_EAR]
    sh = w[L.LEFT_SHOULDER] - w[L.RIGHT_SHOULDER]
    yaw = math.degrees(math.atan2(-ear[2], ear[0]) - math.atan2(-sh[2], sh[0]))
    roll = math.degrees(math.atan2(-ear[1], ear[0]) - math.atan2(-sh[1], sh[0]))
    nose = w[L.NOSE] - (w[L.LEFT_EAR] + w[L.RIGHT_EAR]) / 2.0
    pitch = math.degrees(math.atan2(nose[1], -nose[2]))
    return -yaw, -roll, pitch


def _track(model_dir: Path, frames) -> list[PoseFrame]:
    from coach.vision.pose import open_tracker

    with open_tracker(model_dir, use_face=True, download=False) as tracker:
        return [tracker.process(t_ms, np.ascontiguousarray(im)) for t_ms, im in frames]


def real_runs(video: Path, model_dir: Path) -> dict[str, list[PoseFrame]]:
    """Model runs of the webcam clip's person part (as is, flipped, rolled +-15) and astronaut."""
    import cv2

    from coach.app.angles import rotate_keep_all
    from coach.vision.capture import ImageSource, VideoFileSource

    with VideoFileSource(video) as src:
        person = [item for i, item in enumerate(src) if i < PERSON_FRAMES]
    transforms = {"orig": lambda im: im, "flip": lambda im: cv2.flip(im, 1),
                  "roll+15": lambda im: rotate_keep_all(im, 15.0),
                  "roll-15": lambda im: rotate_keep_all(im, -15.0)}
    runs = {f"webcam/{k}": _track(model_dir, [(t, f(im)) for t, im in person]) for k, f in transforms.items()}
    astro_path = video.parent / "astronaut.png"
    if astro_path.is_file():
        with ImageSource(astro_path) as src:
            (_, still), = list(src)
        for k in ("orig", "flip"):
            runs[f"astronaut/{k}"] = _track(model_dir, [(i * 100, transforms[k](still)) for i in range(5)])
    return runs


def _series(frames: list[PoseFrame], path: str) -> np.ndarray:
    rows = []
    for f in frames:
        if path == "naive":
            v = naive_angles(f)
            rows.append(v if v is not None else (np.nan,) * 3)
        else:
            a = head_angles(f, use_face=path == "fused")
            rows.append((a.yaw_deg, a.roll_deg, a.pitch_deg))
    return np.array(rows, dtype=float)


def _smoothed_std(frames: list[PoseFrame], path: str) -> np.ndarray:
    if path == "naive":
        return np.full(3, np.nan)
    tracker = HeadTracker(use_face=path == "fused", calibrate=False)
    rows = [(a.yaw_deg, a.roll_deg, a.pitch_deg) for a in map(tracker.update, frames)]
    return np.nanstd(np.array(rows, dtype=float), axis=0)


def print_real(video: Path, model_dir: Path) -> None:
    """Print jitter, rest std, mirror and camera-roll numbers per path on the real clips."""
    runs = real_runs(video, model_dir)
    fmt = lambda v: "/".join(f"{x:.2f}" for x in v)  # noqa: E731
    print("  yaw/roll/pitch in deg; webcam = person part of the clip, every frame")
    print(f"  {'path':<6} {'raw jitter':>16} {'smoothed std':>16} {'mirror webcam':>16} "
          f"{'mirror astro':>16} {'roll +15 change':>16} {'roll -15 change':>16}")
    for path in ("naive", "pose", "fused"):
        base = _series(runs["webcam/orig"], path)
        jitter = np.nanstd(np.diff(base, axis=0), axis=0) / math.sqrt(2.0)
        mirrors = []
        for clip in ("webcam", "astronaut"):
            if f"{clip}/orig" not in runs:
                mirrors.append(np.full(3, np.nan))
                continue
            a, b = _series(runs[f"{clip}/orig"], path), _series(runs[f"{clip}/flip"], path)
            mirrors.append(np.array([np.nanmean(np.abs(a[:, 0] + b[:, 0])), np.nanmean(np.abs(a[:, 1] + b[:, 1])),
                                     np.nanmean(np.abs(a[:, 2] - b[:, 2]))]))
        rolls = [np.nanmean(np.abs(_series(runs[f"webcam/{r}"], path) - base), axis=0)
                 for r in ("roll+15", "roll-15")]
        print(f"  {path:<6} {fmt(jitter):>16} {fmt(_smoothed_std(runs['webcam/orig'], path)):>16} "
              f"{fmt(mirrors[0]):>16} {fmt(mirrors[1]):>16} {fmt(rolls[0]):>16} {fmt(rolls[1]):>16}")


def print_range(real_dir: Path, model_dir: Path) -> None:
    """Per real clip: the raw torso-relative peaks of each axis, both ways (fused path)."""
    from coach.vision.capture import VideoFileSource

    clips = sorted(real_dir.glob("*.mp4"))
    if not clips:
        print(f"  no clips in {real_dir}")
        return
    print("  raw torso-relative peaks, fused path, deg: yaw left/right, roll left/right, pitch up/down")
    for clip in clips:
        with VideoFileSource(clip) as src:
            frames = _track(model_dir, list(src))
        a = _series(frames, "fused")
        a = a[np.all(np.isfinite(a), axis=1)]
        if not len(a):
            print(f"  {clip.name:<40} never tracked")
            continue
        lo, hi = a.min(axis=0), a.max(axis=0)
        print(f"  {clip.name:<40} {len(a):>4}/{len(frames):<4} yaw {lo[0]:6.1f}/{hi[0]:5.1f}  "
              f"roll {lo[1]:6.1f}/{hi[1]:5.1f}  pitch {lo[2]:6.1f}/{hi[2]:5.1f}")
