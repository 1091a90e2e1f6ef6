"""What the coach tells the person outside an exercise file: safety advice and status lines.

One place for each text, so the window, the recording, the report summary and the exercise
files' defaults say the same thing. Pure python.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SAFETY_TEXT: tuple[str, ...] = (
    "Check with a physician before starting these exercises.",
    "See a provider if pain lasts longer than 1-2 weeks, or with tingling or numbness "
    "in an arm, or loss of coordination.",
)

PAIN_STOP_TEXT: tuple[str, ...] = (
    "Stop this exercise now and rest. Do not push through pain.",
    "See a provider if the pain lasts longer than 1-2 weeks, or if you notice tingling or "
    "numbness in an arm, or loss of coordination.",
)

#: The status line when no usable head angles come and no more specific reason is known
#: (also the exercise files' default ``messages.lost``).
TRACKING_LOST_TEXT = "Tracking lost: keep your head and both shoulders in view"

#: Shown over the last picture while a camera sends no frames (the session waits for it).
CAMERA_STOPPED_TEXT = "The camera stopped sending frames: paused until it is back"

_TRACKING_TEXT: Mapping[str, str] = MappingProxyType({
    "no-person": "No one in view: sit facing the camera, head and shoulders in the picture",
    "shoulders-not-visible": "Shoulders not visible: move back so both shoulders are in the picture",
    "face-not-visible": "Face not visible: face the camera",
    "low-confidence": "Tracking unsure: more light, or move a little closer",
})


def people_text(people: int) -> str:
    """The status line when several people are in view (the setup check notes it too)."""
    return f"{people} people in view: coaching the person in the middle"


def tracking_text(reason: str | None) -> str:
    """The status line for a tracking problem (a `coach.angles.headpose.Tracking` value)."""
    return _TRACKING_TEXT.get(reason or "", TRACKING_LOST_TEXT)
