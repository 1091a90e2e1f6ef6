"""Head-angle accuracy on rendered humans with exact head angles (../shared/data/renders).

    COACH_MODEL_DIR=../shared/models python bench/renders.py            # the accuracy tables
    COACH_MODEL_DIR=../shared/models python bench/renders.py --fit      # refit coach.angles.correction
    COACH_MODEL_DIR=../shared/models python bench/renders.py --flip-test  # also the flip test

Runs the real pose + face models on every render and its mirror image, then prints per band
(yaw |y| <= 45, 45-80, roll sweep, pitch sweep, combined poses) and per axis the mean absolute
error, the largest error, the tracked fraction, the cross-axis error (error on the axes the band
does not move) and the mirror-pair disagreement, for the fused and the pose-only path, raw
(torso-relative, no neutral) and calibrated against the character's neutral render.

``--flip-test`` also prints the tables of the flip test (``coach angles --flip-test``: each
image's landmarks averaged with those of its mirror image, `coach.landmarks.flip_average`).

It also prints the chin-tuck retraction renders (``*_retraction``: the head moved straight
back 0-4 cm, the two wrong tucks, a protraction) per image: truth against the face distance
(raw) and the retraction read by a tracker calibrated at the neutral image, with the mean error
per character (`retraction_rows`; nothing in `coach.angles.retraction` is fitted, so the
leave-one-character-out numbers are these).

``--fit`` fits the two `coach.angles.correction.AngleCorrection` tables to these renders (the pose table also
to the end-range sets of ``--extra-renders``, tests/data/renders/*_endrange), prints their
leave-one-character-out error (a new person's error) and the Python to paste into
coach/angles/correction.py. ``--cache FILE`` keeps the model output (a landmark log) to skip the models
on the next run. Nothing is asserted here (tests/test_renders.py asserts the issue's bounds).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.angles.correction import MEASURED, NO_CORRECTION, AngleCorrection, Corrections  # noqa: E402
from coach.angles.headfit import ASSUMED_HFOV_DEG  # noqa: E402
from coach.angles.headpose import head_angles  # noqa: E402
from coach.angles.retraction import face_distance_cm  # noqa: E402
from coach.landmarks import PoseFrame  # noqa: E402
from coach.sim.groundtruth import (  # noqa: E402
    ACCURACY_SETS,
    BANDS,
    RenderSample,
    band_stats,
    evaluate,
    flip_tested,
    held_after_neutral,
    load_truth,
    reported_pairs,
    run_renders,
)

#: Extra render sets fitted too (not in the accuracy tables): flexion to 60 and extension to 70
#: (tests/data/renders/<c>_endrange), beyond the pitch sweep's +-40. Only the pose fit's map
#: learns from them: it is what carries the head there (the face model loses the face past
#: pitch +-50: one face in 20 end-range images). That one face bent the face's pitch map and cost
#: the pitch sweep (flip test MAE 0.9 -> 1.5 deg).
FIT_EXTRA_SETS = ("_endrange",)
#: The chin-tuck sets (printed by `print_retraction`, fitted to nothing).
RETRACTION_SETS = ("_retraction",)
#: Their neutral image (the head unmoved): what each is calibrated at.
RETRACTION_NEUTRAL = "y+000_r+000_p+000_t+000.png"


def fit_samples(samples: list[RenderSample], source: str) -> list[RenderSample]:
    """The samples ``source``'s map is fitted to (see `FIT_EXTRA_SETS`)."""
    return samples if source == "pose" else [s for s in samples if not s.character.endswith(FIT_EXTRA_SETS)]


def load_samples(renders_dir: Path, model_dir: Path, cache: Path | None,
                 extra_dir: Path | None = None) -> list[RenderSample]:
    """The model runs, from ``cache`` when it exists, else from the models (then cached):
    the accuracy sets of ``renders_dir`` and the `FIT_EXTRA_SETS` of ``extra_dir``."""
    if cache is not None and cache.is_file():
        rows = [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
        return [RenderSample(r["character"], r["file"], r["mirrored"], tuple(r["truth"]),
                             PoseFrame.from_json(r["frame"])) for r in rows]
    progress = lambda name: print(f"  {name}", end="\r", file=sys.stderr)  # noqa: E731
    samples = run_renders(renders_dir, model_dir, sets=ACCURACY_SETS + RETRACTION_SETS, progress=progress)
    if extra_dir is not None and any(extra_dir.glob("*/truth.json")):
        samples += run_renders(extra_dir, model_dir, sets=FIT_EXTRA_SETS, progress=progress)
    if cache is not None:
        with cache.open("w", encoding="utf-8") as out:
            for s in samples:
                out.write(json.dumps({"character": s.character, "file": s.file, "mirrored": s.mirrored,
                                      "truth": s.truth, "frame": s.frame.to_json()}) + "\n")
    return samples


def print_tables(samples: list[RenderSample], corrections: Corrections | dict[str, Corrections] = MEASURED,
                 label: str = "") -> None:
    """Print the accuracy table of every path x mode x band.

    ``corrections`` may be one per character (the leave-one-character-out tables).
    """
    chars = sorted({s.character for s in samples})
    print(f"  {len(samples)} images ({', '.join(chars)}; each also mirrored){label}")
    print(f"  {'path':<5} {'mode':<5} {'band':<15} {'n':>3} {'tracked':>7}  "
          f"{'MAE y/r/p':>17}  {'max y/r/p':>17}  {'cross':>5}  {'mirror y/r/p':>15}")
    fmt = lambda v, w=1: "/".join(f"{x:.{w}f}" for x in v)  # noqa: E731
    for use_face in (True, False):
        for calibrated in (False, True):
            if isinstance(corrections, dict):
                results = [r for c, corr in corrections.items()
                           for r in evaluate([s for s in samples if s.character == c], use_face=use_face,
                                             calibrated=calibrated, corrections=corr)]
            else:
                results = evaluate(samples, use_face=use_face, calibrated=calibrated, corrections=corrections)
            for band in BANDS:
                st = band_stats(results, band)
                print(f"  {'fused' if use_face else 'pose':<5} {'calib' if calibrated else 'raw':<5} "
                      f"{band:<15} {st.n:>3} {st.tracked:>7.0%}  {fmt(st.mae):>17}  {fmt(st.max):>17}  "
                      f"{st.cross:>5.1f}  {fmt(st.mirror):>15}")
            if calibrated:
                torso = max(abs(r.torso_yaw_deg) for r in results)
                print(f"  {'':<5} {'':<5} (largest torso yaw measured: {torso:.1f} deg;"
                      " the renders' torso never turns)")
            if use_face:
                used = sum(r.source == "face" for r in results if r.tracked)
                tracked = sum(r.tracked for r in results)
                print(f"  {'':<5} {'':<5} (face matrix used on {used} of {tracked} tracked images)")


def print_profile(samples: list[RenderSample], cv: dict[str, Corrections],
                  corrections: Corrections = MEASURED) -> None:
    """Per image of the *_profile sets: see `print_per_image`."""
    print_per_image([s for s in samples if s.character.endswith("_profile")], cv, corrections, "profile renders")


def print_per_image(profile: list[RenderSample], cv: dict[str, Corrections], corrections: Corrections,
                    what: str) -> None:
    """Per image: the fused reading, raw and calibrated, with ``corrections`` and with those
    fitted on the other character only (``cv``, by render folder)."""
    if not profile:
        return
    runs = {}
    for calibrated in (False, True):
        runs[("fit", calibrated)] = evaluate(profile, use_face=True, calibrated=calibrated, corrections=corrections)
        runs[("cv", calibrated)] = [r for c, corr in cv.items() for r in evaluate(
            [s for s in profile if s.character == c], use_face=True, calibrated=calibrated, corrections=corr)]
    key = lambda s: (s.character, s.file, s.mirrored)  # noqa: E731
    table = {k: {key(r.sample): r for r in rs} for k, rs in runs.items()}
    print(f"  {what}, fused yaw/roll/pitch (truth; raw, calibrated; leave-one-character-out raw, calibrated)")
    fmt = lambda r: "lost" if not r.tracked else "/".join(f"{v:+.0f}" for v in r.angles)  # noqa: E731
    for s in profile:
        k = key(s)
        cells = [fmt(table[(w, c)][k]) for w in ("fit", "cv") for c in (False, True)]
        print(f"  {s.character:<14} {s.file:<22} {'mirror' if s.mirrored else '':<6} "
              f"{'/'.join(f'{v:+.0f}' for v in s.truth):>11}  " + "  ".join(f"{c:>11}" for c in cells))


@dataclass(frozen=True)
class RetractionRow:
    """One retraction render (or its mirror image), read.

    Attributes:
        character: The render folder (``male1_retraction``).
        file: The image.
        mirrored: The mirror image.
        truth_cm: truth.json's ``retraction_cm`` (> 0 = head moved back).
        distance_cm: The face distance, raw (`coach.angles.retraction.face_distance_cm`), cm.
        raw_cm: The retraction `coach angles` reports without ``--calibrate`` (no neutral: the
            pose model's ear depth, `head_angles`).
        calibrated_cm: The retraction read by a tracker calibrated at the neutral image.
        pitch_deg: The calibrated pitch (the wrong tucks' fault).
    """

    character: str
    file: str
    mirrored: bool
    truth_cm: float
    distance_cm: float
    raw_cm: float
    calibrated_cm: float
    pitch_deg: float

    @property
    def face_level(self) -> bool:
        """A straight tuck of 0-4 cm (face level), the series the issue bounds."""
        return "_p+000_" in self.file and self.truth_cm >= 0.0


#: One frame of the still video the calibrated reading holds (s).
FRAME_S = 0.033


def retraction_rows(samples: list[RenderSample], renders_dir: Path) -> list[RetractionRow]:
    """Every retraction sample read, raw and calibrated at its character's neutral image (same
    mirroring; `coach.sim.groundtruth.held_after_neutral`)."""
    truth = {}
    for character in {s.character for s in samples}:
        truth.update({(character, r["file"]): float(r["retraction_cm"]) for r in load_truth(renders_dir / character)})
    neutrals = {(s.character, s.mirrored): s.frame for s in samples if s.file == RETRACTION_NEUTRAL}
    rows = []
    for s in samples:
        _, a = held_after_neutral(neutrals[(s.character, s.mirrored)], s.frame, hold_s=10 * FRAME_S)
        f = s.frame
        ok = a is not None and a.ok
        rows.append(RetractionRow(
            s.character, s.file, s.mirrored, truth[(s.character, s.file)],
            face_distance_cm(f.face_matrix, f.width, f.height, ASSUMED_HFOV_DEG), head_angles(f).retraction_cm,
            a.retraction_cm if ok else float("nan"), a.pitch_deg if ok else float("nan")))
    return rows


def retraction_mae(rows: list[RetractionRow]) -> dict[str, float]:
    """Mean |calibrated - truth| over the face-level 0-4 cm tucks, per character (both
    mirrorings), and ``"all"``."""
    out = {}
    for c in sorted({r.character for r in rows}) + ["all"]:
        errs = [abs(r.calibrated_cm - r.truth_cm) for r in rows if r.face_level and c in ("all", r.character)]
        out[c] = float(np.mean(errs)) if errs else float("nan")
    return out


def print_retraction(rows: list[RetractionRow]) -> None:
    """Per image: truth, face distance, raw and calibrated retraction, calibrated pitch; then
    the mean error per character (leave-one-character-out: the same, nothing is fitted)."""
    if not rows:
        print("  (no *_retraction renders)")
        return
    print("  retraction renders (cm; raw = no neutral, `coach angles` without --calibrate; calibrated at"
          f" {RETRACTION_NEUTRAL})")
    print(f"  {'set':<17} {'file':<28} {'':<6} {'truth':>6} {'face dist':>9} {'raw':>6} {'calib':>6} {'pitch':>6}")
    for r in rows:
        print(f"  {r.character:<17} {r.file:<28} {'mirror' if r.mirrored else '':<6} {r.truth_cm + 0.0:>+6.1f} "
              f"{r.distance_cm:>9.2f} {r.raw_cm:>+6.2f} {r.calibrated_cm:>+6.2f} {r.pitch_deg:>+6.1f}")
    mae = retraction_mae(rows)
    print("  retraction MAE over the face-level 0-4 cm tucks, calibrated: "
          + ", ".join(f"{c} {v:.2f} cm" for c, v in mae.items())
          + " (nothing in coach/angles/retraction.py is fitted: leave-one-character-out = these)")


def person(folder: str) -> str:
    """The character of a render folder (``male1_profile`` -> ``male1``)."""
    return folder.split("_")[0]


def leave_one_out(samples: list[RenderSample], ridge: float) -> dict[str, Corrections]:
    """Per render folder, the corrections fitted on the OTHER characters' folders only (flip
    test too): none of the left-out character's sets is seen."""
    flipped = flip_tested(samples)
    return {c: replace(_fit_without(samples, person(c), ridge, symmetric=False),
                       flip_tested=_fit_without(flipped, person(c), ridge, symmetric=True))
            for c in sorted({s.character for s in samples})}


def _fit_without(samples: list[RenderSample], character: str, ridge: float, *, symmetric: bool) -> Corrections:
    others = [s for s in samples if person(s.character) != character]
    return Corrections(*(AngleCorrection.fit(*reported_pairs(fit_samples(others, src), src)[:2], ridge, symmetric)
                         for src in ("face", "pose")))


def fit(samples: list[RenderSample], ridge: float) -> Corrections:
    """Fit the corrections, plain and flip test; print their leave-one-character-out error and the Python."""
    plain = _fit_sources(samples, ridge, symmetric=False, prefix="")
    flipped = _fit_sources(flip_tested(samples), ridge, symmetric=True, prefix="FLIP_")
    return replace(plain, flip_tested=flipped)


def _fit_sources(samples: list[RenderSample], ridge: float, *, symmetric: bool, prefix: str) -> Corrections:
    fitted = {}
    for source in ("face", "pose"):
        reported, truth, chars = reported_pairs(fit_samples(samples, source), source)
        chars = np.array([person(c) for c in chars])
        cv_err = []
        for c in sorted(set(chars)):
            corr = AngleCorrection.fit(reported[chars != c], truth[chars != c], ridge, symmetric)
            cv_err.append(corr.apply(reported[chars == c]) - truth[chars == c])
        cv = np.abs(np.vstack(cv_err))
        raw = np.abs(reported - truth)
        fitted[source] = AngleCorrection.fit(reported, truth, ridge, symmetric)
        fit_err = np.abs(fitted[source].apply(reported) - truth)
        print(f"  {prefix.lower()}{source}: n={len(truth)}  MAE y/r/p uncorrected {raw.mean(0).round(2)}  "
              f"fitted {fit_err.mean(0).round(2)}  leave-one-character-out {cv.mean(0).round(2)} "
              f"(max {cv.max(0).round(1)})")
    print("\n# paste into coach/angles/correction.py:")
    for source in ("face", "pose"):
        rows = ",\n    ".join(f"({', '.join(f'{v:.5f}' for v in row)})" for row in fitted[source].coef)
        print(f"_{prefix}{source.upper()}_COEF = (\n    {rows},\n)")
    return Corrections(face=fitted["face"], pose=fitted["pose"])


def main(argv: list[str] | None = None) -> int:
    """Print the render accuracy tables (and optionally refit the corrections)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("COACH_SHARED_DIR", REPO.parent / "shared"))
    parser.add_argument("--renders", type=Path, default=shared / "data" / "renders")
    parser.add_argument("--extra-renders", type=Path, default=REPO / "tests" / "data" / "renders",
                        help="folder with the end-range sets (fitted, and printed per image)")
    parser.add_argument("--models", type=Path, default=Path(os.environ.get("COACH_MODEL_DIR", shared / "models")))
    parser.add_argument("--cache", type=Path, default=None, help="landmark cache file (JSONL)")
    parser.add_argument("--fit", action="store_true", help="refit coach.angles.correction and print it")
    parser.add_argument("--ridge", type=float, default=0.1)
    parser.add_argument("--cv", action="store_true",
                        help="also print the tables with each character corrected by a fit on the others")
    parser.add_argument("--uncorrected", action="store_true", help="also print the tables without corrections")
    parser.add_argument("--flip-test", action="store_true",
                        help="also print the tables of the flip test (image and mirror image averaged)")
    args = parser.parse_args(argv)
    everything = load_samples(args.renders, args.models, args.cache, args.extra_renders)
    retraction = [s for s in everything if s.character.endswith(RETRACTION_SETS)]
    everything = [s for s in everything if not s.character.endswith(RETRACTION_SETS)]
    samples = [s for s in everything if s.character.endswith(ACCURACY_SETS)]
    extra = [s for s in everything if not s.character.endswith(ACCURACY_SETS)]
    print("== head angles on rendered humans (ground truth) ==")
    if args.uncorrected:
        print_tables(samples, NO_CORRECTION, " -- WITHOUT corrections")
    corrections = fit(everything, args.ridge) if args.fit else MEASURED
    label = " -- with the NEW fit" if args.fit else ""
    groups = [(samples, "")] + ([(flip_tested(samples), " -- FLIP TEST")] if args.flip_test else [])
    cv = leave_one_out(everything, args.ridge) if args.cv else None
    for group, what in groups:
        print_tables(group, corrections, what + label)
        if cv is not None:
            print_tables(group, cv, what + " -- leave-one-character-out corrections")
    if cv is not None:
        print_profile(samples, {c: cv[c] for c in cv}, corrections)
        print_per_image(extra, {c: cv[c] for c in cv}, corrections, "end-range renders")
    print("== chin-tuck retraction on rendered humans (ground truth) ==")
    print_retraction(retraction_rows(retraction, args.renders))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
