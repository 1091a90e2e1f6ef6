"""Head-angle accuracy against rendered humans with exact head angles (../shared/data/renders).

Used by ``bench/renders.py`` (prints the tables, fits `coach.angles.correction`) and by the model tests.
Each render folder holds PNGs and a ``truth.json`` with each image's yaw/roll/pitch (DESIGN.md
conventions; the torso never moves). Every image is also used mirrored (``image[:, ::-1]``),
which negates yaw and roll.

Each image is fed to a fresh `coach.vision.pose.PoseTracker` as a short still video (`REPEATS`
frames; VIDEO mode refines its landmarks over the first frames) and the last frame is kept, so
no image inherits tracking from another.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from coach.angles.correction import MEASURED, NO_CORRECTION, Corrections
from coach.angles.headpose import HeadAngles, HeadTracker, head_angles, measure
from coach.landmarks import PoseFrame, flip_average
from coach.vision.capture import ImageSource
from coach.vision.pose import open_tracker

#: Frames per image (a still video): the landmarks settle after the second frame.
REPEATS = 3
#: Frame spacing of the still video, ms.
FRAME_MS = 33

#: Bands of the report: name -> test on the true (yaw, roll, pitch).
BANDS: dict[str, Callable[[float, float, float], bool]] = {
    "yaw |y|<=45": lambda y, r, p: r == 0 and p == 0 and abs(y) <= 45,
    "yaw 45<|y|<=80": lambda y, r, p: r == 0 and p == 0 and 45 < abs(y) <= 80,
    "roll sweep": lambda y, r, p: y == 0 and p == 0 and r != 0,
    "pitch sweep": lambda y, r, p: y == 0 and r == 0 and p != 0,
    "combined": lambda y, r, p: y != 0 and r != 0 and p != 0,
    # The *_profile sets: full profile, and turned far with the chin down.
    "profile |y|>=85": lambda y, r, p: r == 0 and p == 0 and abs(y) >= 85,
    "turned chin-down": lambda y, r, p: y != 0 and r == 0 and p != 0,
}
#: The render sets with the head moving against a still, camera-facing torso and arms out of
#: the way: what the accuracy bands are measured on (the other sets turn the trunk, move the
#: arms or translate the head, and have their own tests).
ACCURACY_SETS = ("_full", "_profile")


@dataclass(frozen=True)
class RenderSample:
    """One render (or its mirror image) after the real models.

    Attributes:
        character: The render folder's name (e.g. ``male1_full``).
        file: The image's file name.
        mirrored: True for the mirror image.
        truth: True (yaw, roll, pitch) in degrees, for this (possibly mirrored) image.
        frame: The models' landmarks of the image's last repeat.
        torso_yaw: The trunk's true turn against the camera (deg, > 0 to the person's right;
            the ``_trunk`` sets), for this (possibly mirrored) image; ``truth`` stays relative
            to the torso.
    """

    character: str
    file: str
    mirrored: bool
    truth: tuple[float, float, float]
    frame: PoseFrame
    torso_yaw: float = 0.0

    @property
    def neutral(self) -> bool:
        """True for the neutral render (head straight, trunk facing the camera)."""
        return self.truth == (0.0, 0.0, 0.0) and self.torso_yaw == 0.0


def render_folders(renders_dir: Path) -> list[Path]:
    """The render folders (those with a truth.json), sorted."""
    return sorted(p.parent for p in Path(renders_dir).glob("*/truth.json"))


def load_truth(folder: Path) -> list[dict]:
    """The ``renders`` list of a folder's truth.json (file, yaw, roll, pitch)."""
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))["renders"]


def run_renders(renders_dir: Path, model_dir: Path, *, mirror: bool = True,
                progress: Callable[[str], None] | None = None,
                sets: tuple[str, ...] | None = None,
                only: Callable[[str, str], bool] | None = None) -> list[RenderSample]:
    """Run the real pose + face models on every render (and its mirror image).

    ``sets``: only the folders whose names end with one of these (e.g. `ACCURACY_SETS`).
    ``only(folder_name, file)`` picks the renders to run within them (default: all).

    Raises:
        CoachError: the models cannot be loaded; FileNotFoundError: no render folder.
    """
    folders = [f for f in render_folders(renders_dir) if sets is None or f.name.endswith(sets)]
    if not folders:
        raise FileNotFoundError(f"no render folder with a truth.json under {renders_dir}")
    samples = []
    for folder in folders:
        for item in load_truth(folder):
            if only is not None and not only(folder.name, item["file"]):
                continue
            for mirrored in ((False, True) if mirror else (False,)):
                sign = -1.0 if mirrored else 1.0
                truth = (sign * item["yaw"], sign * item["roll"], float(item["pitch"]))
                frame = model_frame(folder / item["file"], model_dir, mirrored=mirrored)
                samples.append(RenderSample(folder.name, item["file"], mirrored, truth, frame,
                                            sign * float(item.get("torso_yaw") or 0.0)))
            if progress is not None:
                progress(f"{folder.name}/{item['file']}")
    return samples


def model_frame(path: Path, model_dir: Path, *, mirrored: bool = False) -> PoseFrame:
    """The pose + face models' landmarks on one image (or its mirror image), fed to a fresh
    tracker as a still video of `REPEATS` frames; the last frame is returned."""
    with ImageSource(path) as src:
        (_, image), = list(src)
    picture = np.ascontiguousarray(image[:, ::-1]) if mirrored else image
    with open_tracker(model_dir, use_face=True, num_poses=1, download=False) as tracker:
        frames = [tracker.process(i * FRAME_MS, picture) for i in range(REPEATS)]
    return frames[-1]


def flip_tested(samples: Iterable[RenderSample]) -> list[RenderSample]:
    """The flip test of every image whose mirror image was run too.

    Each image's frame becomes `coach.landmarks.flip_average` of the models' run on it and
    their run on its mirror image: what ``PoseTracker(flip_test=True)`` computes from the one
    image (a model test checks the two agree), without running the models again.
    """
    samples = list(samples)
    runs = {(s.character, s.file, s.mirrored): s.frame for s in samples}
    return [replace(s, frame=flip_average(s.frame, runs[(s.character, s.file, not s.mirrored)]))
            for s in samples if (s.character, s.file, not s.mirrored) in runs]


@dataclass(frozen=True)
class Result:
    """One sample's estimate.

    Attributes:
        sample: The render.
        angles: Estimated (yaw, roll, pitch), NaN when not tracked.
        tracked: Tracking was OK.
        source: ``"face"`` or ``"pose"`` (what the head orientation came from).
        torso_yaw_deg: The trunk's turn the tracker measured (calibrated mode; the renders'
            torso never moves, so anything but 0 is the model's shoulders following the head).
    """

    sample: RenderSample
    angles: tuple[float, float, float]
    tracked: bool
    source: str
    torso_yaw_deg: float = 0.0

    @property
    def error(self) -> np.ndarray:
        """Estimate minus truth per axis (NaN when not tracked)."""
        return np.array(self.angles) - np.array(self.sample.truth)


def _still(frame: PoseFrame, t_ms: int) -> PoseFrame:
    return replace(frame, t_ms=t_ms)


#: Calibrated evaluation: the neutral render is held this long (the tracker's calibration),
#: then the pose is held this long (the torso's low-pass settles) and the last frame is read.
CALIBRATION_S = 1.0
HOLD_S = 1.5


def held_after_neutral(neutral: PoseFrame, frame: PoseFrame, *, use_face: bool = True,
                       corrections: Corrections = MEASURED,
                       hold_s: float = HOLD_S) -> tuple[HeadTracker, HeadAngles | None]:
    """A `HeadTracker` (no smoothing) shown ``neutral`` held for `CALIBRATION_S` (it calibrates
    on it), then ``frame`` held for ``hold_s``: the tracker and its last reading (None when it
    did not calibrate)."""
    tracker = HeadTracker(use_face=use_face, smooth=False, calibration_s=CALIBRATION_S, corrections=corrections)
    t_ms = 0
    for _ in range(int(CALIBRATION_S * 1000 / FRAME_MS) + 3):
        tracker.update(_still(neutral, t_ms))
        t_ms += FRAME_MS
    a = None
    for _ in range(int(hold_s * 1000 / FRAME_MS)):
        a = tracker.update(_still(frame, t_ms))
        t_ms += FRAME_MS
    return tracker, (a if tracker.calibrated else None)


def evaluate(samples: Iterable[RenderSample], *, use_face: bool, calibrated: bool = False,
             corrections: Corrections = MEASURED, hold_s: float = HOLD_S) -> list[Result]:
    """Estimate every sample's torso-relative angles, raw or calibrated.

    Raw: `head_angles` of the single frame (no neutral, torso taken to face the camera).
    Calibrated: a `HeadTracker` (no smoothing) sees the character's neutral render (same
    mirroring) held for `CALIBRATION_S`, then the pose held for ``hold_s`` (default `HOLD_S`;
    the trunk's low-pass needs ~3 s to settle within 1%), as a person holding
    still at neutral and then at the pose would; it calibrates its neutral and the torso's
    reference on the first and measures the trunk's turn against it on the second.
    """
    samples = list(samples)
    neutrals = {(s.character, s.mirrored): s.frame for s in samples if s.neutral}
    results = []
    for s in samples:
        source = measure(s.frame, use_face, corrections=corrections).source
        torso_deg = 0.0
        if not calibrated:
            a = head_angles(s.frame, use_face, corrections=corrections)
        elif (s.character, s.mirrored) not in neutrals:
            a = None
        else:
            tracker, a = held_after_neutral(neutrals[(s.character, s.mirrored)], s.frame, use_face=use_face,
                                            corrections=corrections, hold_s=hold_s)
            torso_deg = tracker.torso_yaw_deg
        if a is None or not a.ok:
            results.append(Result(s, (math.nan,) * 3, False, source, torso_deg))
        else:
            results.append(Result(s, (a.yaw_deg, a.roll_deg, a.pitch_deg), True, source, torso_deg))
    return results


@dataclass(frozen=True)
class BandStats:
    """Accuracy over one band.

    Attributes:
        n: Samples in the band.
        tracked: Fraction tracked.
        mae: Mean absolute error per axis (yaw, roll, pitch), tracked samples only.
        max: Largest absolute error per axis.
        cross: Mean absolute error on the axes the band does NOT move (yaw band: roll and pitch).
        mirror: Mean disagreement of mirror pairs (|yaw + yaw'|, |roll + roll'|, |pitch - pitch'|).
    """

    n: int
    tracked: float
    mae: np.ndarray
    max: np.ndarray
    cross: float
    mirror: np.ndarray


def band_stats(results: list[Result], band: str) -> BandStats:
    """Statistics of the results whose truth falls in ``band`` (a key of `BANDS`)."""
    test = BANDS[band]
    rows = [r for r in results if test(*r.sample.truth)]
    ok = [r for r in rows if r.tracked]
    err = np.array([np.abs(r.error) for r in ok]) if ok else np.full((1, 3), np.nan)
    moving = np.array([[t != 0 for t in r.sample.truth] for r in ok]) if ok else np.zeros((1, 3), bool)
    still = err[~moving]
    pairs = {}
    for r in ok:
        pairs.setdefault((r.sample.character, r.sample.file), {})[r.sample.mirrored] = np.array(r.angles)
    mirror = [np.abs(p[False] * [1, 1, -1] + p[True]) for p in pairs.values() if len(p) == 2]
    return BandStats(
        n=len(rows), tracked=len(ok) / len(rows) if rows else math.nan,
        mae=np.nanmean(err, axis=0), max=np.nanmax(err, axis=0),
        cross=float(np.mean(still)) if still.size else math.nan,
        mirror=np.mean(mirror, axis=0) if mirror else np.full(3, np.nan),
    )


#: A reading this far (deg, on any axis) from the truth is a failure of the model (near profile
#: the face model returned -110 and +79 for a head at -80), not its response: the sanity checks
#: of `coach.angles.headpose` must reject it, and a fit must not bend to it.
OUTLIER_DEG = 25.0


def reported_pairs(samples: Iterable[RenderSample], source: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(reported view-frame angles, true angles, character) of every sample with ``source``.

    ``source`` is ``"face"`` or ``"pose"``; the reported angles are the model's before any
    correction (what `coach.angles.correction.AngleCorrection.fit` needs). Outliers (`OUTLIER_DEG`)
    are left out.
    """
    reported, truth, chars = [], [], []
    for s in samples:
        m = measure(s.frame, True, corrections=NO_CORRECTION)
        value = m.face_reported if source == "face" else m.pose_reported
        if value is not None and m.ok and np.abs(np.subtract(value, s.truth)).max() <= OUTLIER_DEG:
            reported.append(value)
            truth.append(s.truth)
            chars.append(s.character)
    return np.array(reported), np.array(truth), chars
