"""What the engine says: an exercise's message templates filled in, each phase's standing
guidance, and the choice of the one message shown. Pure python; the engine decides when a text
is said.
"""

from __future__ import annotations

from coach.coaching.engine_types import Message, Phase, Priority
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


def phase_guidance(exercise: Exercise, phase: Phase, *, lost: bool, released: bool,
                   comfortable: bool = False) -> str | None:
    """The guidance that stands during a phase (a template), shown when nothing more urgent is.

    Args:
        exercise: The exercise whose messages are used.
        phase: The engine's phase.
        lost: Tracking loss has been announced; once calibrated this replaces the phase's text.
        released: The running hold reached ``hold_max_s``: the person should come back.
        comfortable: The attempt has been out toward the side a while without reaching the
            target: "a little further" was said once; now "hold where it is comfortable".
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
        guidance = msgs.comfortable if comfortable else msgs.further
    elif phase in (Phase.IN_TARGET, Phase.HOLDING):
        guidance = msgs.release if released else msgs.hold
    elif phase is Phase.RETURNING:
        guidance = msgs.return_
    elif phase is Phase.FINISHED:
        guidance = f"{exercise.name}: done"
    return guidance


def choose_message(*, safety: str | None, fault: str | None, flash: Message | None,
                   guidance: str | None) -> Message | None:
    """The one message to show now, by priority: the STOP of a head circle, the first standing
    form fault, a fresh flash (its own priority), the phase's guidance (texts filled in; None =
    nothing of that kind)."""
    candidates: list[Message] = []
    if safety is not None:
        candidates.append(Message(safety, Priority.SAFETY))
    if fault is not None:
        candidates.append(Message(fault, Priority.FORM))
    if flash is not None:
        candidates.append(flash)
    if guidance:
        candidates.append(Message(guidance, Priority.GUIDANCE))
    if not candidates:
        return None
    # max() keeps the first of equal priorities: a fresh flash beats the standing guidance.
    return max(candidates, key=lambda m: m.priority)
