"""Why no exercise has started: the failing setup check, or what stops the calibration.

A session that never gets to coaching must say why, on the screen, in the summary and in the
report (issue 15: a report that said only ``"ended": "not started"``). `Why` follows the
setup and calibration stages frame by frame and keeps the last reason in words: the setup
check's problems; a tracking problem; the angle that makes the neutral implausible, with its
value; or that the calibration restarted because the head moved.

Pure: no cv2, no clock.
"""

from __future__ import annotations

from coach.angles.headpose import NEUTRAL_MAX_PITCH_DEG, NEUTRAL_MAX_ROLL_DEG, NEUTRAL_MAX_YAW_DEG, HeadAngles
from coach.angles.setup_check import SetupCheck
from coach.coaching.chain import Reading

#: The calibration window restarted: progress fell by more than this.
_RESTART_DROP = 0.05
RESTARTED_TEXT = "You moved: the calibration started again. Hold still"


def implausible_angles(angles: HeadAngles) -> str:
    """The raw angles beyond a plausible neutral, with their values, e.g.
    "pitch +29 deg (a neutral is within +-20)"; "" when none is (or they are unknown)."""
    limits = (("yaw", angles.yaw_deg, NEUTRAL_MAX_YAW_DEG), ("roll", angles.roll_deg, NEUTRAL_MAX_ROLL_DEG),
              ("pitch", angles.pitch_deg, NEUTRAL_MAX_PITCH_DEG))
    over = [f"{name} {value:+.0f} deg (a neutral is within +-{limit:g})"
            for name, value, limit in limits if value == value and abs(value) > limit]
    return ", ".join(over)


class Why:
    """The reason the session has not started an exercise yet (setup and calibration stages).

    Attributes:
        text: The reason for the report and the summary, or None.
        calibration: What stops the calibration now (for its card), or None.
    """

    def __init__(self) -> None:
        self.text: str | None = None
        self.calibration: str | None = None
        self._progress = 0.0
        self._restarted = False

    def update(self, stage: str, setup: SetupCheck, reading: Reading, status: str | None) -> None:
        """Follow one frame of the setup (``stage`` "setup") or calibration ("calibrate")."""
        if stage == "setup":
            self.text = ("setup check: " + "; ".join(setup.problems) if setup.problems
                         else "the setup check had not passed long enough to calibrate")
            return
        progress = reading.calibration_progress
        if progress < self._progress - _RESTART_DROP:
            self._restarted = True
        elif progress >= 0.5:
            self._restarted = False
        self._progress = progress
        problem = status
        if problem is None and reading.calibration_hint:
            detail = implausible_angles(reading.angles)
            problem = f"{reading.calibration_hint}: {detail}" if detail else reading.calibration_hint
        if problem is None and self._restarted:
            problem = RESTARTED_TEXT
        self.calibration = problem
        self.text = "calibration did not finish: " + (problem or "the head was not held still long enough")
