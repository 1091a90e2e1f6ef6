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

``--fit`` fits the two `coach.angles.correction.AngleCorrection` tables to these renders, prints their
leave-one-character-out error (a new person's error) and the Python to paste into
coach/correction.py. ``--cache FILE`` keeps the model output (a landmark log) to skip the models
on the next run. Nothing is asserted here (tests/test_renders.py asserts the issue's bounds).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.angles.correction import MEASURED, NO_CORRECTION, AngleCorrection, Corrections  # noqa: E402
from coach.landmarks import PoseFrame  # noqa: E402
from coach.sim.groundtruth import (  # noqa: E402
    BANDS,
    RenderSample,
    band_stats,
    evaluate,
    flip_tested,
    reported_pairs,
    run_renders,
)


def load_samples(renders_dir: Path, model_dir: Path, cache: Path | None) -> list[RenderSample]:
    """The model runs, from ``cache`` when it exists, else from the models (then cached)."""
    if cache is not None and cache.is_file():
        rows = [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
        return [RenderSample(r["character"], r["file"], r["mirrored"], tuple(r["truth"]),
                             PoseFrame.from_json(r["frame"])) for r in rows]
    samples = run_renders(renders_dir, model_dir, progress=lambda name: print(f"  {name}", end="\r", file=sys.stderr))
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
                print(f"  {'':<5} {'':<5} (largest torso yaw measured: {torso:.1f} deg; the renders' torso never turns)")
            if use_face:
                used = sum(r.source == "face" for r in results if r.tracked)
                print(f"  {'':<5} {'':<5} (face matrix used on {used} of {sum(r.tracked for r in results)} tracked images)")


def leave_one_out(samples: list[RenderSample], ridge: float) -> dict[str, Corrections]:
    """Per character, the corrections fitted on the OTHER characters only (flip test too)."""
    flipped = flip_tested(samples)
    return {c: replace(_fit_without(samples, c, ridge, symmetric=False),
                       flip_tested=_fit_without(flipped, c, ridge, symmetric=True))
            for c in sorted({s.character for s in samples})}


def _fit_without(samples: list[RenderSample], character: str, ridge: float, *, symmetric: bool) -> Corrections:
    others = [s for s in samples if s.character != character]
    return Corrections(*(AngleCorrection.fit(*reported_pairs(others, src)[:2], ridge, symmetric)
                         for src in ("face", "pose")))


def fit(samples: list[RenderSample], ridge: float) -> Corrections:
    """Fit the corrections, plain and flip test; print their leave-one-character-out error and the Python."""
    plain = _fit_sources(samples, ridge, symmetric=False, prefix="")
    flipped = _fit_sources(flip_tested(samples), ridge, symmetric=True, prefix="FLIP_")
    return replace(plain, flip_tested=flipped)


def _fit_sources(samples: list[RenderSample], ridge: float, *, symmetric: bool, prefix: str) -> Corrections:
    fitted = {}
    for source in ("face", "pose"):
        reported, truth, chars = reported_pairs(samples, source)
        chars = np.array(chars)
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
    print("\n# paste into coach/correction.py:")
    for source in ("face", "pose"):
        rows = ",\n    ".join(f"({', '.join(f'{v:.5f}' for v in row)})" for row in fitted[source].coef)
        print(f"_{prefix}{source.upper()}_COEF = (\n    {rows},\n)")
    return Corrections(face=fitted["face"], pose=fitted["pose"])


def main(argv: list[str] | None = None) -> int:
    """Print the render accuracy tables (and optionally refit the corrections)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("COACH_SHARED_DIR", REPO.parent / "shared"))
    parser.add_argument("--renders", type=Path, default=shared / "data" / "renders")
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
    samples = load_samples(args.renders, args.models, args.cache)
    print("== head angles on rendered humans (ground truth) ==")
    if args.uncorrected:
        print_tables(samples, NO_CORRECTION, " -- WITHOUT corrections")
    corrections = fit(samples, args.ridge) if args.fit else MEASURED
    label = " -- with the NEW fit" if args.fit else ""
    groups = [(samples, "")] + ([(flip_tested(samples), " -- FLIP TEST")] if args.flip_test else [])
    cv = leave_one_out(samples, args.ridge) if args.cv else None
    for group, what in groups:
        print_tables(group, corrections, what + label)
        if cv is not None:
            print_tables(group, cv, what + " -- leave-one-character-out corrections")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
