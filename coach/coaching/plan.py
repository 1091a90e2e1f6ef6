"""The plan for one exercise: the thresholds to coach it with, where they come from and why.

The guided flow shows and applies a `TargetSuggestion`; the store's `coach.store.targets` makes
them from the history or a profile. The type lives here, in the coaching core, so that the core
never imports the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.coaching.exercise import Exercise


def format_value(value: float, unit: str) -> str:
    """An angle with one decimal, a distance in cm with two (a tenth of a cm matters)."""
    return f"{value:.2f}" if unit == "cm" else f"{value:.1f}"


@dataclass(frozen=True)
class TargetSuggestion:
    """The thresholds to use for one exercise, where they come from and why.

    Attributes:
        exercise_id: The exercise.
        thresholds: ``{axis: threshold}`` for every target of the exercise.
        defaults: The exercise file's thresholds, for comparison.
        source: "default" (the file), "history" (suggested from past sessions) or "profile".
        reason: One line for the person, e.g. "your last 3 sessions: median 62.0 deg ...".
    """

    exercise_id: str
    thresholds: dict[str, float]
    defaults: dict[str, float]
    source: str
    reason: str
    units: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> dict[str, float]:
        """The thresholds that differ from the file's."""
        return {a: v for a, v in self.thresholds.items() if v != self.defaults.get(a)}

    def apply(self, exercise: Exercise) -> Exercise:
        """The exercise with these thresholds (checked again by `Exercise.with_thresholds`)."""
        return exercise.with_thresholds(self.changed) if self.changed else exercise

    def describe(self) -> str:
        """E.g. "Targets: yaw 65.1 deg (file: 60) - from your last 3 sessions: ..."."""
        parts = []
        for axis, value in self.thresholds.items():
            unit = self.units.get(axis, "")
            text = f"{axis} {format_value(value, unit)} {unit}".rstrip()
            if value != self.defaults.get(axis):
                text += f" (file: {format_value(self.defaults[axis], unit)})"
            parts.append(text)
        return f"Targets: {', '.join(parts)} - {self.reason}"
