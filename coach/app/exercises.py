"""`coach exercises`: the exercises that `coach run` can coach, with their targets."""

from __future__ import annotations

from coach.coaching.exercise import AXIS_UNITS, list_exercises, side_label
from coach.options import ExercisesOptions


def exercises_command(opts: ExercisesOptions) -> int:
    """`coach exercises`: id, name, sides, reps, hold time, targets and form checks of each."""
    for ex in list_exercises(opts.exercises_dir):
        sides = ", ".join(side_label(s) or "center" for s in ex.sides)
        targets = " and ".join(
            f"{t.axis} {t.direction} >= {t.threshold:g}" + (f" (<= {t.max:g})" if t.max is not None else "")
            + f" {AXIS_UNITS[t.axis]}"
            for t in ex.targets
        )
        print(f"{ex.order}. {ex.id:<18} {ex.name}")
        per_side = " per side" if len(ex.sides) > 1 else ""
        print(f"   sides: {sides}; {ex.reps_per_side} reps{per_side}; hold {ex.hold_min_s:g}-{ex.hold_max_s:g} s")
        print(f"   target: {targets}")
        if ex.form:
            print(f"   form checks: {', '.join(c.fault for c in ex.form)}")
    return 0
