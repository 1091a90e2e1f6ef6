"""The guided flow's full-screen cards: what each screen says (setup check, calibration,
instruction, result, pain stop, summary). Text only, no drawing: the session decides which card
to show and `coach.ui.overlay.render_card` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coach.coaching.engine import Priority
from coach.coaching.exercise import side_label
from coach.coaching.report import ExerciseRun
from coach.texts import PAIN_STOP_TEXT, SAFETY_TEXT


@dataclass(frozen=True)
class Card:
    """A full-screen guided-flow screen (setup check, calibration, instruction, result, summary).

    Attributes:
        title: Large headline.
        lines: Body text; long lines are wrapped to the card width.
        footer: Small text at the bottom of the card (e.g. what happens next).
        tone: Accent colour by priority (SAFETY red for pain stop, PRAISE green for results).
        progress: 0..1 to draw a progress bar (calibration), or None.
        highlight: Index of a line to draw in the accent colour (e.g. the side to work next).
        clear_of_person: Keep the card off the person's head and shoulders (setup check and
            calibration: the person is checking their own position in the picture).
    """

    title: str
    lines: tuple[str, ...] = ()
    footer: str = ""
    tone: Priority = Priority.GUIDANCE
    progress: float | None = None
    highlight: tuple[int, ...] = ()
    clear_of_person: bool = False


def setup_card(problems: Sequence[str], *, notes: Sequence[str] = (),
               ok_progress: float | None = None) -> Card:
    """The setup-check screen: each failing condition says what to change; notes inform."""
    if problems:
        return Card("Setup check", tuple(problems) + tuple(notes),
                    footer="Adjust and hold still - the coach starts by itself when all is fine.",
                    tone=Priority.FORM, clear_of_person=True)
    return Card("Setup check: all good", ("Hold still, calibration starts in a moment.", *notes),
                tone=Priority.PRAISE, progress=ok_progress, clear_of_person=True)


def calibration_card(progress: float, problem: str | None = None) -> Card:
    """The calibration screen with its progress bar (0..1) and what stops it, if anything."""
    lines: tuple[str, ...] = ("Look straight ahead, relax your shoulders and hold still.",
             "This sets your neutral position (about 2 seconds).")
    return Card(
        "Calibrating",
        lines + ((problem,) if problem else ()),
        footer="c restarts the calibration",
        progress=progress,
        highlight=(2,) if problem else (),
        tone=Priority.FORM if problem else Priority.GUIDANCE,
        clear_of_person=True,
    )


def instruction_card(
    name: str,
    instruction: str,
    *,
    side: str | None,
    reps_target: int,
    hold_min_s: float,
    hold_max_s: float,
    index: int = 1,
    count: int = 1,
    note: str = "",
    targets: str = "",
) -> Card:
    """The instruction screen before an exercise: what to do, the first side, the targets
    (personal or suggested, `coach.coaching.plan.TargetSuggestion.describe`) and safety text."""
    lines: list[str] = [instruction] if instruction else []
    per = "on each side" if side in ("right", "left") else "in total"
    times = "time" if reps_target == 1 else "times"
    lines.append(f"Hold {hold_min_s:g}-{hold_max_s:g} s, {reps_target} {times} {per}.")
    if targets:
        lines.append(targets)
    highlight = ()
    if side in ("right", "left"):
        lines.append(f"Start with your {side_label(side)} side.")
        highlight = (len(lines) - 1,)
    if note:
        lines.append(note)
    lines.extend(SAFETY_TEXT)
    return Card(f"{index}/{count}  {name}", tuple(lines), footer="Starting soon.   n skip   q quit",
                highlight=highlight)


def _fmt_best(best: dict[str, float], unit: str) -> str:
    if not best:
        return "no counted holds"
    suffix = " cm" if unit == "cm" else " deg"
    return ", ".join(f"{side} {value:.1f}{suffix}" for side, value in best.items())


def _fmt_reps(reps: dict[str, int], target: int) -> str:
    return "  ".join(f"{side.capitalize()} {n}/{target}" for side, n in reps.items())


def result_card(run: ExerciseRun) -> Card:
    """The result screen after one exercise."""
    result = run.result
    lines = [
        f"Reps: {_fmt_reps(result.reps, result.reps_target)}",
        f"Best range: {_fmt_best(result.best_by_side(), result.unit)}",
        f"Form faults: {len(result.faults)}    Safety stops: {len(result.safety_events)}",
    ]
    if run.ended == "pain-stop":
        lines.extend(PAIN_STOP_TEXT)
    done = all(n >= result.reps_target for n in result.reps.values())
    tone = Priority.SAFETY if run.ended == "pain-stop" else (
        Priority.PRAISE if done else Priority.GUIDANCE)
    return Card(f"{result.name}: {'done' if done else run.ended}", tuple(lines), tone=tone)


def summary_card(runs: Sequence[ExerciseRun], *, saved_to: str = "", why: str | None = None) -> Card:
    """The session summary: one line per exercise."""
    lines = [f"{r.result.name}: {_fmt_reps(r.result.reps, r.result.reps_target)}  ({r.ended})" for r in runs]
    if not lines:
        lines = ["No exercise was started" + (f": {why}" if why else ".")]
    if saved_to:
        lines.append(f"Saved: {saved_to}")
    if any(r.ended == "pain-stop" for r in runs):
        lines.extend(PAIN_STOP_TEXT)
    return Card("Session summary", tuple(lines), footer="q or Esc closes", tone=Priority.PRAISE)


def range_check_card(view) -> Card:
    """The range check (`coach.coaching.rangecheck.RangeCheckView`): what to do, the still-hold bar,
    each side's outcome, and the advice to see a provider after a very small range."""
    lines = [view.prompt]
    if view.note and view.note != view.prompt:
        lines.append(view.note)
    lines.extend(r.message for r in view.results if r.message != view.note)
    if view.advice:
        lines.append(view.advice)
    return Card("Your range today", tuple(lines), footer="p pain: lowers that side's target   n skip",
                progress=view.progress if view.side is not None else None,
                highlight=(0,), tone=Priority.SAFETY if view.advice else Priority.GUIDANCE)


def pain_stop_card() -> Card:
    """The advice shown when the user presses p (pain stop)."""
    return Card("Pain stop", PAIN_STOP_TEXT, tone=Priority.SAFETY,
                footer="The exercise has ended. n next exercise   q quit")
