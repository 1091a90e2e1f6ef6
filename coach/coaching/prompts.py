"""What the engine says: an exercise's message templates filled in, and each phase's standing
guidance. Pure python; the engine decides when, and with which priority, a text is shown.
"""

from __future__ import annotations

from coach.coaching.engine_types import Phase
from coach.coaching.exercise import Exercise, other_side, side_label


def fill(exercise: Exercise, template: str, side: str, n: int) -> str:
    """An exercise's message template with its placeholders filled in (`coach.coaching.exercise.Messages`).

    Args:
        exercise: The exercise (reps per side, hold times).
        template: The text, e.g. ``"{side}: {n} of {total}"``.
        side: The side the text is about ("right", "left" or "center").
        n: The rep count the text is about.
    """
    return template.format(
        side=side_label(side),
        other=side_label(other_side(side)),
        n=n,
        total=exercise.reps_per_side,
        min_s=f"{exercise.hold_min_s:g}",
        max_s=f"{exercise.hold_max_s:g}",
    )


def phase_guidance(exercise: Exercise, phase: Phase, *, lost: bool, released: bool) -> str | None:
    """The guidance that stands during a phase (a template), shown when nothing more urgent is.

    Args:
        exercise: The exercise whose messages are used.
        phase: The engine's phase.
        lost: Tracking loss has been announced; once calibrated this replaces the phase's text.
        released: The running hold reached ``hold_max_s``: the person should come back.
    """
    msgs = exercise.messages
    guidance = None
    if phase is Phase.WAITING_CALIBRATION:
        guidance = msgs.calibrate
    elif lost:
        guidance = msgs.lost
    elif phase is Phase.READY:
        guidance = msgs.go
    elif phase is Phase.MOVING:
        guidance = msgs.further
    elif phase in (Phase.IN_TARGET, Phase.HOLDING):
        guidance = msgs.release if released else msgs.hold
    elif phase is Phase.RETURNING:
        guidance = msgs.return_
    elif phase is Phase.FINISHED:
        guidance = f"{exercise.name}: done"
    return guidance
