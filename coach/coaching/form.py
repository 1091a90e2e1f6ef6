"""Form-check evaluation across frames: each form check of an exercise debounced into a fault
(said once when it starts), the cues of checks that cannot tell (given once per hold), and the
chin tuck's finger on the chin. Pure python, no clock (times are arguments); the per-frame
tests are `coach.coaching.checks`, the state machine that uses them `coach.coaching.engine`.
"""

from __future__ import annotations

from collections.abc import Callable

from coach.angles.body import BodyFeatures
from coach.angles.headpose import HeadAngles
from coach.coaching.checks import Debounced, FingerWatch, axis_value, unseen, violated
from coach.coaching.engine_types import Event, EventKind, Phase
from coach.coaching.exercise import Exercise
from coach.coaching.exercise_model import AngleLimit, ArmDown, FingerOnChin, HandBehindHead, TrunkTurn
from coach.coaching.hold import Hold

#: Phases on the way to the target: the angle form checks apply there as well as in it.
_APPROACHING = frozenset({Phase.READY, Phase.MOVING, Phase.REP_DONE})
#: Phases at neutral between reps: leaving them starts a rep.
_AT_REST = frozenset({Phase.READY, Phase.REP_DONE})


class FormWatch:
    """The form checks of one exercise over time (mutable, private to the engine)."""

    def __init__(self, exercise: Exercise, fault_dwell_s: float) -> None:
        """Debounce each of ``exercise``'s form checks over ``fault_dwell_s``."""
        self.exercise = exercise
        self._faults_on_approach = exercise.main_target.axis == "retraction"
        self._faults = [Debounced(fault_dwell_s) for _ in exercise.form]
        self._unseen = [Debounced(fault_dwell_s) for _ in exercise.form]
        self._cued: set[int] = set()  # form checks whose cue this hold has given
        # The chin tuck's finger on the chin: cues only (a frontal camera cannot see the gap).
        self._finger = next((FingerWatch(c) for c in exercise.form if isinstance(c, FingerOnChin)), None)

    @property
    def ok(self) -> bool:
        """No form fault stands."""
        return not any(f.state for f in self._faults)

    def active(self) -> tuple[str, ...]:
        """The faults that stand, in the exercise's order."""
        return tuple(c.fault for c, d in zip(self.exercise.form, self._faults) if d.state)

    def first_message(self) -> str | None:
        """The message template of the first fault that stands, or None."""
        return next((c.message for c, d in zip(self.exercise.form, self._faults) if d.state), None)

    def fault_text(self, fault: str | None, fmt: Callable[[str], str]) -> str:
        """The message of the form check named ``fault`` ("" for none or a cue-only check)."""
        check = next((c for c in self.exercise.form if c.fault == fault and not isinstance(c, FingerOnChin)), None)
        return fmt(check.message) if check is not None else ""

    def start_hold(self) -> None:
        """A hold starts: its cues may be given again."""
        self._cued.clear()

    def reset_faults(self) -> None:
        """Forget the faults (tracking lost, a head circle)."""
        for f in self._faults:
            f.reset()

    def reset(self) -> None:
        """Forget the faults and the unseen checks (detectors restart)."""
        for f in (*self._faults, *self._unseen):
            f.reset()

    def check(self, t_ms: int, angles: HeadAngles, body: BodyFeatures | None, side: str, in_target: bool,
              phase: Phase, hold: Hold | None, fmt: Callable[[str], str], torso_yaw_deg: float = 0.0) -> list[Event]:
        """One frame's FAULT events (a fault that starts names the running ``hold``'s fault) and
        CUE events (the engine shows their text)."""
        events = []
        for check, deb in zip(self.exercise.form, self._faults):
            was = deb.state
            # For the chin tuck, angle faults count on the way to the target too: a tilt instead
            # of a tuck never reaches the target, and must hear its fault, not "a little
            # further". Turns and bends keep them to the hold: on the way there a head wobbles
            # (5 spurious faults in one synthetic rotation session when they did not).
            # The trunk is checked in every phase: a body turned with the head stays at a
            # neutral neck and would never reach the target to hear it. The arms are checked
            # on the way out as well: the seed places them first (hand behind the head, arm
            # lengthened, then move), a wrong arm seen while moving is not a head wobble, and a
            # person who does not reach the target with the wrong hand would otherwise hear
            # only "a little further", never why the stretch is not counted.
            active = (in_target or isinstance(check, TrunkTurn)
                      or (isinstance(check, (ArmDown, HandBehindHead)) and phase is Phase.MOVING
                          and self._toward(angles, side))
                      or (self._faults_on_approach and isinstance(check, AngleLimit) and phase in _APPROACHING))
            now = deb.update(t_ms, active and violated(check, angles, body, side, torso_yaw_deg))
            if now and not was:
                text = fmt(check.message)
                events.append(Event(EventKind.FAULT, t_ms, side=side, message=text, fault=check.fault))
                if hold is not None and hold.fault is None:
                    hold.fault = check.fault
        for i, (check, deb) in enumerate(zip(self.exercise.form, self._unseen)):
            cue_now = deb.update(t_ms, in_target and bool(check.cue) and unseen(check, body, side))
            if cue_now and hold is not None and i not in self._cued:
                self._cued.add(i)
                text = fmt(check.cue)
                events.append(Event(EventKind.CUE, t_ms, side=side, message=text, fault=check.fault))
        return events

    def _toward(self, angles: HeadAngles, side: str) -> bool:
        """The head is out toward ``side`` on a sided axis (not working the other side: that
        hears "other side", not a fault about the arm the other side does not use)."""
        sided = [t for t in self.exercise.targets if t.direction in ("toward-side", "away-from-side")]
        return any(axis_value(angles, t.axis) * t.sign(side) > 0.25 * t.threshold for t in sided)

    def watch_finger(self, t_ms: int, body: BodyFeatures | None, side: str, phase: Phase, before: Phase,
                     holding: bool, fmt: Callable[[str], str]) -> list[Event]:
        """The finger-on-chin cues (`FingerWatch`): at a rep's start without a finger at the chin,
        and once in the hold when the hand follows the head. Never a fault: the rep counts."""
        watch = self._finger
        if watch is None:
            return []
        chin = body.chin_hand if body is not None else None
        text = ""
        if phase in _AT_REST:
            watch.rest(t_ms, chin)
        elif before in _AT_REST:
            if watch.start() is False:
                text = watch.check.cue  # the rep starts without a finger on the chin
        elif holding and watch.hold(t_ms, chin):
            text = watch.check.message  # the hand moves back with the head
        if not text:
            return []
        text = fmt(text)
        return [Event(EventKind.CUE, t_ms, side=side, message=text, fault=watch.check.fault)]
