"""During the setup check and the calibration the cards keep off the person's head and shoulders
(issue 15, item 5: the person is checking their own position in the picture), wherever the
person is: left, right or in the middle, near or far, in a landscape or a portrait picture,
mirrored or not. Other cards keep their full-width place.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from coach.landmarks import Landmark, PoseFrame
from coach.sim.synthetic import make_landmarks
from coach.sim.synthetic_geometry import Camera
from coach.ui import overlay
from coach.ui.card_layout import Box, person_box
from coach.ui.drawing import pixel_points, prepare

SETUP_PROBLEMS = ("Move back or tilt the camera down so both shoulders are in the picture",
                  "Too dark: turn on a light or face a window")
CARDS = {
    "setup-problems": overlay.setup_card(SETUP_PROBLEMS),
    "setup-ok": overlay.setup_card((), ok_progress=0.4),
    "calibration": overlay.calibration_card(0.3),
    "calibration-problem": overlay.calibration_card(0.6, "Hold still: the head moved (yaw 14 deg)"),
}
#: (name, image width, height, distance m, offset right m, offset down m)
POSITIONS = [
    ("centre", 1280, 720, 0.9, 0.0, 0.18),
    ("left", 1280, 720, 1.0, -0.35, 0.18),
    ("right", 1280, 720, 1.0, 0.35, 0.18),
    ("near", 1280, 720, 0.65, 0.0, 0.12),
    ("far", 1280, 720, 2.2, 0.0, 0.15),
    ("low", 640, 480, 0.8, 0.0, 0.32),
    ("small-webcam", 400, 300, 0.8, 0.1, 0.18),
    ("portrait", 720, 1280, 1.0, 0.0, 0.0),
    ("portrait-high", 1080, 1920, 1.6, 0.0, -0.45),
]
_POINTS = (Landmark.NOSE, Landmark.LEFT_EYE, Landmark.RIGHT_EYE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR,
           Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)


def _person(name: str, w: int, h: int, dist_m: float, dx_m: float, dy_m: float, yaw_deg: float = 0.0) -> PoseFrame:
    return make_landmarks(yaw_deg=yaw_deg, camera=Camera(width=w, height=h, distance_m=dist_m, offset_x_m=dx_m,
                                                         offset_y_m=dy_m))


def _frame(w: int, h: int) -> np.ndarray:
    """A textured picture, so a card's panel over any part of it changes its pixels."""
    rng = np.random.default_rng(w * h)
    return cv2.resize(rng.integers(60, 230, (h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8), (w, h),
                      interpolation=cv2.INTER_NEAREST)


def _uncovered(img: np.ndarray, frame: np.ndarray, pose: PoseFrame, box: Box, *, mirror: bool) -> bool:
    """Inside ``box`` the rendered card screen equals the picture with only the skeleton on it."""
    ref = prepare(frame, mirror, 0)
    overlay.draw_skeleton(ref, pose, mirror=mirror)
    return bool(np.array_equal(img[box.y0:box.y1, box.x0:box.x1], ref[box.y0:box.y1, box.x0:box.x1]))


@pytest.mark.parametrize("mirror", [True, False])
@pytest.mark.parametrize("where", POSITIONS, ids=[p[0] for p in POSITIONS])
@pytest.mark.parametrize("card_name", list(CARDS))
def test_setup_and_calibration_cards_keep_off_the_head_and_shoulders(card_name, where, mirror):
    name, w, h, *_ = where
    pose = _person(*where)
    card = CARDS[card_name]
    frame = _frame(w, h)
    img = overlay.render_card(frame, card, pose=pose, mirror=mirror, status=overlay.OverlayStatus(keys_hint=""))
    layout, box = overlay.card_layout(img.shape, card, pose, mirror=mirror)
    assert box is not None
    # The box holds the head and both shoulders (so keeping clear of it is keeping clear of them).
    pts = pixel_points(pose.landmarks, img.shape, mirror)
    for idx in _POINTS:
        x, y = pts[idx]
        assert box.x0 <= x < box.x1 and box.y0 <= y < box.y1, (name, Landmark(idx).name, box)
    assert not layout.rect.intersects(box), (name, layout.rect, box)
    assert layout.rect.width > 0 and layout.rect.height > 0
    assert _uncovered(img, frame, pose, box, mirror=mirror), name
    # The card is still drawn (its panel darkens the picture where it is).
    r = layout.rect
    assert img[r.y0:r.y1, r.x0:r.x1].mean() < 0.6 * frame.mean()


def test_the_old_full_width_place_would_cover_the_person_and_other_cards_keep_it():
    """The test above can fail: at the default place a card covers a person in the middle, and
    every card without ``clear_of_person`` (instructions, results, summary) stays there."""
    pose = _person(*POSITIONS[0])
    shape = (720, 1280, 3)
    box = person_box(pose, shape, mirror=True)
    assert box is not None
    plain = overlay.Card("Setup check", SETUP_PROBLEMS)
    layout, avoided = overlay.card_layout(shape, plain, pose, mirror=True)
    assert avoided is None and layout.rect.intersects(box)
    instruction = overlay.instruction_card("Neck rotation", "Turn the head right.", side="right", reps_target=10,
                                           hold_min_s=5, hold_max_s=10)
    assert overlay.card_layout(shape, instruction, pose, mirror=True)[1] is None


def test_a_person_near_the_camera_gets_a_compact_strip_beside_them():
    """Little room: the card shrinks into a strip in the free band at the edge, clear of the box."""
    pose = _person("near", 1280, 720, 0.55, 0.0, 0.12)
    shape = (720, 1280, 3)
    layout, box = overlay.card_layout(shape, CARDS["setup-problems"], pose, mirror=True)
    assert box is not None and box.width > 0.7 * shape[1]
    assert layout.compact < 1.0 and not layout.footer
    assert not layout.rect.intersects(box)
    assert layout.wrapped and layout.wrapped[0]  # the first problem is still said


def test_a_person_filling_the_picture_gets_the_first_line_over_the_crown():
    """No room at all: what to change ("move back") in a strip along the top edge, over the top
    of the head, and nothing over the face or the shoulders."""
    pose = _person("very-near", 1280, 720, 0.5, 0.0, 0.12)
    shape = (720, 1280, 3)
    card = CARDS["setup-problems"]
    layout, box = overlay.card_layout(shape, card, pose, mirror=True)
    assert box is not None and box.x0 < 0.1 * shape[1] and box.x1 > 0.9 * shape[1]
    assert " ".join(layout.wrapped[0]) == card.lines[0]
    pts = pixel_points(pose.landmarks, shape, True)
    eyes_y = min(pts[i][1] for i in (Landmark.LEFT_EYE, Landmark.RIGHT_EYE))
    assert layout.rect.y1 < eyes_y and layout.rect.height < 0.25 * shape[0]


def test_without_landmarks_the_card_keeps_its_usual_place():
    card = CARDS["setup-problems"]
    layout, box = overlay.card_layout((720, 1280, 3), card, None, mirror=True)
    assert box is None
    assert (layout.rect.x0, layout.rect.y0) == (70, 85) and layout.rect.x1 == 1280 - 70


@pytest.mark.model
def test_real_clip_landmarks_keep_the_calibration_card_off_the_person(model_dir, shared_data):
    """Landmarks the real model found on real clips (a landscape webcam clip and a portrait
    phone clip): the setup and calibration cards stay clear of the head and shoulders."""
    from coach.vision.capture import VideoFileSource
    from coach.vision.pose import open_tracker

    checked = 0
    for clip in ("noddingpigeon_head_stationary.mp4", "sagor_lateral_flexion_seated.mp4",
                 "shenasa_webcam_head_pose_sample.mp4"):
        with VideoFileSource(shared_data / "real" / clip) as src, \
                open_tracker(model_dir, use_face=False, download=False) as tracker:
            for k, (t, img) in enumerate(src):
                pose = tracker.process(t, img)
                if k < 3 or pose.landmarks is None:
                    continue
                for card in (CARDS["setup-problems"], CARDS["calibration-problem"]):
                    shown = overlay.render_card(img, card, pose=pose, mirror=True,
                                                status=overlay.OverlayStatus(keys_hint=""))
                    layout, box = overlay.card_layout(shown.shape, card, pose, mirror=True)
                    assert box is not None, clip
                    assert not layout.rect.intersects(box), (clip, layout.rect, box)
                    assert _uncovered(shown, img, pose, box, mirror=True), clip
                    checked += 1
                break
    assert checked == 6


@pytest.mark.model
@pytest.mark.slow
def test_headless_recording_keeps_the_setup_cards_off_the_person(model_dir, shared_data, tmp_path, monkeypatch):
    """`coach run --headless --out`: in the recording's setup and calibration frames the head and
    shoulders (from the model's landmarks of the same frames) are not darkened by a card."""
    from coach.cli import main
    from coach.vision.capture import VideoFileSource
    from coach.vision.pose import open_tracker

    monkeypatch.setenv("COACH_MODEL_DIR", str(model_dir))
    # 1.5 s of a man sitting still: setup (0.5 s headless) and the start of the calibration only.
    clip = tmp_path / "short.mp4"
    with VideoFileSource(shared_data / "real" / "noddingpigeon_head_stationary.mp4") as src:
        frames = [img for _, (_, img) in zip(range(int(1.5 * src.fps)), src)]
        fps = src.fps
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), fps, frames[0].shape[1::-1])
    for img in frames:
        writer.write(img)
    writer.release()
    out, report = tmp_path / "out.mp4", tmp_path / "report.json"
    assert main(["run", "--video", str(clip), "--headless", "--exercise", "neck-rotation", "--out", str(out),
                 "--report", str(report), "--data-dir", str(tmp_path / "data")]) == 0
    import json

    assert json.loads(report.read_text())["ended"] == "not started"  # every frame: setup or calibration
    with VideoFileSource(clip) as src, VideoFileSource(out) as shown, \
            open_tracker(model_dir, use_face=False, download=False) as tracker:
        checked = 0
        for (t, img), (_, drawn) in zip(src, shown):
            pose = tracker.process(t, img)
            box = person_box(pose, drawn.shape, mirror=True)
            if box is None:
                continue
            before = cv2.cvtColor(prepare(img, True, 0), cv2.COLOR_BGR2GRAY).astype(float)
            after = cv2.cvtColor(drawn, cv2.COLOR_BGR2GRAY).astype(float)
            darkened = after < 0.45 * before  # a card's panel leaves under a fifth of the picture
            inside = darkened[box.y0:box.y1, box.x0:box.x1]
            assert inside.mean() < 0.03, (t, box, inside.mean())
            assert darkened.mean() > 0.01  # the card is there, somewhere else
            checked += 1
    assert checked >= 0.8 * len(frames)
