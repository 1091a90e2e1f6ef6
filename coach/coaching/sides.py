"""Side sequencing: the reps counted and the attempts below target per side, which side is
worked now, and the events when a side or the exercise is done. Pure python.

Both a rep and an attempt below target use up one of the side's reps (issue 15: one short side
never blocks the exercise).
"""

from __future__ import annotations

from coach.coaching.engine_types import Event, EventKind
from coach.coaching.exercise import Exercise, side_label


class SideTally:
    """Reps and attempts per side of one exercise, in the exercise's side order."""

    def __init__(self, exercise: Exercise) -> None:
        """Start with nothing counted on each of ``exercise``'s sides."""
        self.exercise = exercise
        self.reps: dict[str, int] = {s: 0 for s in exercise.sides}
        self.attempts: dict[str, int] = {s: 0 for s in exercise.sides}

    @property
    def side(self) -> str | None:
        """The side to work now: the unfinished side with the fewest reps and attempts below
        target (both use up the side's reps), in file order."""
        used = self.used
        todo = [s for s in self.exercise.sides if used[s] < self.exercise.reps_per_side]
        if not todo:
            return None
        return min(todo, key=lambda s: used[s])  # min keeps the first of equals

    @property
    def used(self) -> dict[str, int]:
        """Reps counted plus attempts below target, per side."""
        return {s: self.reps[s] + self.attempts[s] for s in self.exercise.sides}

    def after_use(self, t_ms: int, side: str) -> list[Event]:
        """A rep or an attempt used one of ``side``'s reps: side done, exercise done (the
        engine finishes when the last event is EXERCISE_DONE)."""
        events = []
        if self.used[side] >= self.exercise.reps_per_side:
            events.append(Event(EventKind.SIDE_DONE, t_ms, side=side,
                                message=f"{side_label(side) or 'All'} reps done".strip()))
        if self.side is None:
            events.append(Event(EventKind.EXERCISE_DONE, t_ms, message=f"{self.exercise.name}: done, well done!"))
        return events
