"""Overlay drawing: pixels appear where they should, left/right stay the person's own sides."""

from __future__ import annotations

import numpy as np
import pytest

from coach.coaching.engine import EngineView, Gauge, HoldRecord, Message, Phase, Priority
from coach.coaching.report import ExerciseResult, ExerciseRun, TimedEvent
from coach.landmarks import Landmark, PoseFrame
from coach.ui import overlay
from coach.ui.overlay import (
    LIVE_MIN_HEIGHT,
    OverlayStatus,
    gauge_fraction,
    instruction_card,
    pain_stop_card,
    render,
    render_card,
    result_card,
    side_labels,
    summary_card,
)


def _pose(width: int = 1280, height: int = 720) -> PoseFrame:
    """A person facing the camera: their RIGHT shoulder is on the image's LEFT (x=0.3)."""
    lm = np.full((33, 4), np.nan)

    def put(idx: Landmark, x: float, y: float) -> None:
        lm[idx] = [x, y, 0.0, 0.99]

    put(Landmark.NOSE, 0.50, 0.30)
    put(Landmark.RIGHT_EYE, 0.47, 0.26)
    put(Landmark.LEFT_EYE, 0.53, 0.26)
    put(Landmark.RIGHT_EAR, 0.44, 0.28)
    put(Landmark.LEFT_EAR, 0.56, 0.28)
    put(Landmark.MOUTH_RIGHT, 0.48, 0.35)
    put(Landmark.MOUTH_LEFT, 0.52, 0.35)
    put(Landmark.RIGHT_SHOULDER, 0.30, 0.60)
    put(Landmark.LEFT_SHOULDER, 0.70, 0.60)
    return PoseFrame(0, width, height, lm, np.zeros((33, 3)))


def _view(**kw) -> EngineView:
    base = dict(
        exercise_id="neck-rotation", exercise_name="Neck rotation", phase=Phase.HOLDING,
        side="right", reps={"right": 4, "left": 3}, reps_target=10, hold_s=0.0, hold_min_s=5.0,
        hold_max_s=10.0, gauges=(Gauge("yaw", "deg", 30.0, 60.0, 90.0, -90.0, 90.0),),
        message=None, safety_stop=False, tracking_ok=True,
    )
    base.update(kw)
    return EngineView(**base)


def _black(w: int = 1280, h: int = 720) -> np.ndarray:
    return np.zeros((h, w, 3), np.uint8)


def _near(img: np.ndarray, bgr, tol: int = 40) -> np.ndarray:
    return np.all(np.abs(img.astype(int) - np.array(bgr)) <= tol, axis=-1)


@pytest.mark.parametrize("shape", [(360, 640, 3), (540, 960, 3), (1080, 1920, 3), (512, 512, 3), (480, 640)])
def test_render_any_frame_size_upscales_small_for_the_window_and_leaves_input_alone(shape):
    frame = np.full(shape, 90, np.uint8)
    before = frame.copy()
    out = render(frame, _view(message=Message("Turn right", Priority.GUIDANCE)), _pose(shape[1], shape[0]),
                 mirror=True, status=OverlayStatus(recording=True, title="Exercise 1/4"),
                 min_height=LIVE_MIN_HEIGHT)
    assert out.shape[0] == max(LIVE_MIN_HEIGHT, shape[0])
    native = render(frame, None, None, mirror=False)
    assert native.shape[:2] == shape[:2]
    assert out.ndim == 3 and out.shape[2] == 3
    assert np.array_equal(frame, before), "render must not draw on the caller's frame"
    assert not np.array_equal(out[: out.shape[0] // 2], np.full_like(out[: out.shape[0] // 2], 90))


@pytest.mark.parametrize(
    "axis,value,mirror,expect_right_half",
    [
        # A head turned to the person's right shows on the display's right in a mirror view...
        ("yaw", 40.0, True, True),
        ("yaw", -40.0, True, False),
        # ...and on the display's left in a camera (non-mirrored) view.
        ("yaw", 40.0, False, False),
        ("yaw", -40.0, False, True),
        ("roll", 20.0, True, True),
        ("roll", 20.0, False, False),
        # Up/down axes do not depend on mirroring: flexion (chin down) to the right end.
        ("pitch", 20.0, True, True),
        ("pitch", 20.0, False, True),
        ("pitch", -20.0, False, False),
    ],
)
def test_gauge_needle_moves_the_way_the_head_does(axis, value, mirror, expect_right_half):
    g = Gauge(axis, "deg", value, 10.0, 30.0, -90.0, 90.0)
    frac = gauge_fraction(g, value, mirror=mirror)
    assert (frac > 0.5) is expect_right_half
    assert gauge_fraction(g, 0.0, mirror=mirror) == pytest.approx(0.5)


def test_gauge_needle_pixels_follow_mirroring():
    """The drawn needle (green when in the target zone) is on the display side of the turn."""
    g = Gauge("yaw", "deg", 70.0, 60.0, 90.0, -90.0, 90.0)
    xs = {}
    for mirror in (True, False):
        img = render(_black(), _view(gauges=(g,)), None, mirror=mirror)
        band = img[262:292, :600]  # the first gauge's bar (its green value label sits above)
        mask = _near(band, overlay.GREEN, 30)
        assert mask.sum() > 50
        xs[mirror] = np.nonzero(mask)[1].mean()
    centre = 58 + 384 / 2  # the gauge column: x0 = 58, width 0.3 * 1280 at this size
    assert xs[True] > centre + 100 and xs[False] < centre - 100


def test_side_labels_name_the_persons_own_side_when_mirrored():
    pose = _pose()
    shape = (720, 1280, 3)
    mirrored = dict(side_labels(pose, shape, mirror=True))
    camera = dict(side_labels(pose, shape, mirror=False))
    # The person's right shoulder is at x=0.3 in the camera image, x=0.7 in the mirror.
    assert mirrored["R"][0] > 0.7 * 1280 > 0.3 * 1280 > mirrored["L"][0]
    assert camera["R"][0] < 0.3 * 1280 < 0.7 * 1280 < camera["L"][0]
    img = render(_black(), None, pose, mirror=True)
    x, y = mirrored["R"]
    assert _near(img[y - 40:y + 5, x:x + 40], overlay.YELLOW, 40).sum() > 20, "R label drawn there"


@pytest.mark.parametrize(
    "priority,colour",
    [(Priority.SAFETY, overlay.RED), (Priority.FORM, overlay.ORANGE), (Priority.PRAISE, overlay.GREEN)],
)
def test_message_colour_follows_priority(priority, colour):
    img = render(_black(), _view(gauges=(), message=Message("Slowly, please", priority)), None, mirror=True)
    band = img[560:680]
    assert _near(band, colour, 35).sum() > 300
    others = [c for c in (overlay.RED, overlay.ORANGE, overlay.GREEN) if c != colour]
    for other in others:
        assert _near(band, other, 20).sum() < 50


def test_stop_banner_only_when_safety_stop():
    msg = Message("STOP: no full head circles", Priority.SAFETY)
    on = render(_black(), _view(safety_stop=True, message=msg), None, mirror=True)
    off = render(_black(), _view(safety_stop=False, message=msg), None, mirror=True)
    middle = slice(int(720 * 0.32), int(720 * 0.56))
    red_on = _near(on[middle], (0, 0, 200), 50).mean()
    red_off = _near(off[middle], (0, 0, 200), 50).mean()
    assert red_on > 0.5 and red_off < 0.05


def test_tracking_lost_status_line_and_rec_indicator():
    ok = render(_black(), _view(tracking_ok=True, gauges=()), None, mirror=True, status=OverlayStatus())
    lost = render(_black(), _view(tracking_ok=False, gauges=()), None, mirror=True,
                  status=OverlayStatus(recording=True))
    band = slice(int(720 * 0.36), int(720 * 0.36) + 70)
    assert _near(lost[band], overlay.YELLOW, 40).sum() > 200
    assert _near(ok[band], overlay.YELLOW, 40).sum() == 0
    top_right = (slice(0, 62), slice(1280 - 200, 1280))
    assert _near(lost[top_right], overlay.RED, 30).sum() > 100
    assert _near(ok[top_right], overlay.RED, 30).sum() == 0


def test_hold_ring_fills_and_turns_green_after_the_minimum():
    ring = (slice(62, 62 + 200), slice(1280 - 220, 1280))

    def count(hold_s, colour):
        img = render(_black(), _view(hold_s=hold_s, gauges=()), None, mirror=True)
        return _near(img[ring], colour, 30).sum()

    assert count(3.0, overlay.YELLOW) > count(1.0, overlay.YELLOW) > 0
    assert count(7.5, overlay.GREEN) > 3 * count(0.0, overlay.GREEN)


def test_instruction_card_has_the_safety_text_and_the_first_side():
    card = instruction_card("Neck rotation", "Turn the head right.", side="right", reps_target=10,
                            hold_min_s=5, hold_max_s=10, index=1, count=4)
    text = " ".join(card.lines)
    for phrase in ("physician", "1-2 weeks", "tingling or numbness", "coordination",
                   "RIGHT side", "5-10 s", "10 times on each side"):
        assert phrase in text
    img = render_card(np.full((480, 640, 3), 120, np.uint8), card, pose=_pose(640, 480),
                      min_height=LIVE_MIN_HEIGHT)
    assert img.shape[0] == LIVE_MIN_HEIGHT


def test_pain_stop_and_result_cards():
    pain = " ".join(pain_stop_card().lines)
    assert "1-2 weeks" in pain and "numbness" in pain
    hold = HoldRecord("right", 1.0, 6.0, 64.2, True)
    res = ExerciseRun(ExerciseResult("neck-rotation", "Neck rotation", {"right": 4, "left": 3}, 10, (hold,),
                                     faults=(TimedEvent(2.0, "pitch-during-rotation"),)), "pain-stop")
    card = result_card(res)
    assert "Right 4/10  Left 3/10" in card.lines[0]
    assert card.lines[1] == "Best range: right 64.2 deg" and card.lines[2].startswith("Form faults: 1 ")
    assert any("1-2 weeks" in line for line in card.lines)
    assert card.tone is Priority.SAFETY
    summary = summary_card([res], saved_to="/tmp/x.sqlite")
    assert "Neck rotation: Right 4/10  Left 3/10  (pain-stop)" in summary.lines


def test_long_card_text_is_shrunk_to_fit():
    card = instruction_card("Chin tucks", "word " * 200, side="center", reps_target=10,
                            hold_min_s=5, hold_max_s=10)
    img = render_card(None, card)
    assert img.shape == (720, 1280, 3)
    # Nothing drawn below the card panel except the card's own footer region.
    assert _near(img[700:720], overlay.WHITE, 30).sum() == 0


def test_stick_figure_draws_the_synthetic_person():
    pose = _pose(640, 480)
    img = overlay.draw_stick_figure(pose)
    assert img.shape == (480, 640, 3)
    bg = img[0, 0].copy()
    head = img[int(0.2 * 480):int(0.4 * 480), int(0.4 * 640):int(0.6 * 640)]
    assert np.any(np.abs(head.astype(int) - bg).sum(axis=-1) > 60)
    shoulders = img[int(0.58 * 480):int(0.62 * 480), int(0.35 * 640):int(0.65 * 640)]
    assert np.any(np.abs(shoulders.astype(int) - bg).sum(axis=-1) > 60)


def test_setup_card_problems_block_notes_inform():
    from coach.ui.overlay import setup_card

    blocked = setup_card(["Too dark: turn on a light or face a window"], notes=["2 people in view"])
    assert blocked.tone is Priority.FORM and blocked.lines[0].startswith("Too dark")
    fine = setup_card([], notes=["2 people in view: coaching the person in the middle"], ok_progress=0.5)
    assert fine.tone is Priority.PRAISE and fine.progress == 0.5 and "2 people" in fine.lines[-1]
