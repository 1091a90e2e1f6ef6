"""What each screen of `coach measure` says: a `coach.coaching.measure.MeasureScreen` to a `coach.ui.cards.Card`
(`coach.ui.overlay.render_card` draws it over the camera image). Text only, no drawing.
"""

from __future__ import annotations

from coach.coaching.engine import Priority
from coach.coaching.measure import MeasureScreen, Stage
from coach.coaching.measure_report import MeasureReport
from coach.texts import SAFETY_TEXT
from coach.ui.cards import Card, calibration_card, setup_card

SAFETY_LINES = (
    *SAFETY_TEXT,
    "Move slowly and only as far as is comfortable, never into pain. No head circles.",
    "Keys: s skip a direction, p pain (stops the test), d dizziness or changes in vision "
    "(stops the test), q quit.",
)


def _value(v: float | None, unit: str) -> str:
    return "-" if v is None else f"{v:.1f} {'deg' if unit == 'deg' else 'cm'}"


def result_lines(report: MeasureReport) -> tuple[str, ...]:
    """One line per direction and the arcs (the result card and the printed summary)."""
    lines = []
    for d in report.directions:
        unit = d.spec.unit
        if d.value is not None:
            extra = f" (trials {', '.join(f'{v:.1f}' for v in d.values)}"
            extra += f"; spread {d.spread:.1f})" if d.spread is not None else ")"
            line = f"{d.spec.label}: {_value(d.value, unit)}{extra}"
            if d.status != "measured":
                line += f" [{d.status}]"
        else:
            line = f"{d.spec.label}: {d.status}" + (f" ({d.reason})" if d.reason else "")
        lines.append(line)
    arcs = report.arcs()
    lines.append("Total arcs: " + ", ".join(f"{k.replace('-', ' ')} {_value(v, 'deg')}" for k, v in arcs.items()))
    if not report.complete:
        lines.append(f"INCOMPLETE (ended: {report.ended_by}): what was measured is kept.")
    return tuple(lines)


def measure_card(screen: MeasureScreen) -> Card:
    """The card of the test's screen."""
    stage, d = screen.stage, screen.direction
    if stage is Stage.SAFETY:
        return Card("Neck range-of-motion test", SAFETY_LINES, footer="space to start",
                    tone=Priority.SAFETY)
    if stage is Stage.SETUP and screen.setup is not None:
        return setup_card(screen.setup.problems, notes=screen.setup.notes,
                          ok_progress=screen.setup_progress if screen.setup.ok else None)
    if stage is Stage.CALIBRATE:
        return calibration_card(screen.calibration_progress, screen.calibration_problem)
    if stage is Stage.STOPPED:
        return Card("Test stopped", screen.stop_text, footer="q to close", tone=Priority.SAFETY)
    if stage is Stage.RESULT and screen.report is not None:
        return Card("Your range of motion", result_lines(screen.report), footer="q to close",
                    tone=Priority.PRAISE)
    if d is None:
        return Card("Neck range-of-motion test")
    head = f"{screen.index + 1}/{screen.count} {d.label}"
    if stage is Stage.INSTRUCT:
        return Card(head, (d.instruction, f"{screen.trials} trials: move slowly, hold still for a "
                           "second where it is comfortable, then come back slowly to the middle.",
                           "s skips this direction."), footer="space to start now")
    if stage is Stage.ASK_PAIN:
        return Card(f"{d.label}: did that hurt?", ("p = yes (the test stops here)", "space = no, go on"),
                    tone=Priority.FORM)
    measured = ", ".join(f"{v:.1f}" for v in screen.values) or "-"
    lines = (d.instruction, f"Now: {_value(screen.value, d.unit)}", f"Measured so far: {measured}",
             screen.status_line or screen.message)
    return Card(f"{head}: trial {screen.trial}/{screen.trials}", lines, progress=screen.hold_progress,
                highlight=(3,) if screen.status_line else (), tone=Priority.GUIDANCE)
