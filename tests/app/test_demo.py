"""`coach demo`: no camera, no model; the synthetic person's session is coached and recorded."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from coach.cli import main


def _frames(path):
    cap = cv2.VideoCapture(str(path))
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield frame
    finally:
        cap.release()


@pytest.mark.slow
def test_demo_headless_video_shows_coaching_and_report_counts_the_script(tmp_path, capsys, monkeypatch):
    # The demo must not need a model: point the model lookup at an empty folder.
    monkeypatch.setenv("COACH_MODEL_DIR", str(tmp_path / "no-models"))
    out, report = tmp_path / "demo.mp4", tmp_path / "demo.json"
    assert main(["demo", "--headless", "--out", str(out), "--report", str(report), "--reps", "1"]) == 0
    rep = json.loads(report.read_text())
    # The script: one rep with a pitch fault (not counted), 1 correct rep per side, one head circle.
    assert rep["exercise"] == "neck-rotation"
    assert rep["reps"] == {"right": 1, "left": 1}
    assert [e["kind"] for e in rep["safety_events"]] == ["head-circle"]
    assert [(h["side"], h["counted"], h["fault"]) for h in rep["holds"]] == [
        ("right", False, "pitch-during-rotation"), ("right", True, None), ("left", True, None)]
    assert rep["session"]["ended_by"] == "completed"

    stop_frames = form_frames = n = 0
    for frame in _frames(out):
        n += 1
        h, w = frame.shape[:2]
        band = frame[int(h * 0.33):int(h * 0.55)]
        red = (band[..., 2] > 150) & (band[..., 1] < 60) & (band[..., 0] < 60)
        stop_frames += red.mean() > 0.4
        bottom = frame[int(h * 0.8):]
        orange = (bottom[..., 2] > 200) & (np.abs(bottom[..., 1].astype(int) - 150) < 40) & (bottom[..., 0] < 60)
        form_frames += orange.sum() > 200
    assert n == rep["session"]["frames"] > 0
    assert stop_frames >= 24, "the STOP banner stays up for at least a second"
    assert form_frames >= 12, "the form-fault message is shown"
    printed = capsys.readouterr().out
    assert "RIGHT 1/1, LEFT 1/1" in printed


@pytest.mark.parametrize("argv,msg", [
    (["demo", "--reps", "0"], "--reps must be between 1 and 10"),
    (["demo", "--headless", "--out", "demo.avi"], "use a name ending in .mp4"),
    (["demo", "--exercise", "nope"], "unknown exercise"),
])
def test_demo_bad_input_is_one_line(argv, msg, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and msg in err[0]


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="X11/Wayland check is Linux's")
def test_no_display_is_a_clear_error_not_a_qt_abort(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["demo", "--reps", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no display" in err[0] and "--headless" in err[0]


# --- The stick figure shows what each exercise asks of the arms (issue 16, build item 6) ----

_BODY_DARK = 120  # the figure's limbs are drawn (70, 70, 70); skin and background are > 180


def _still_frame(pose):
    from coach.app.demo import demo_camera
    from coach.sim import motion

    return next(iter(motion.lead_in(0.5, pose).frames(24.0, seed=3, camera=demo_camera())))


def _px(frame, idx):
    x, y = frame.landmarks[idx][:2]
    return int(round(x * frame.width)), int(round(y * frame.height))


def _drawn(img, p, r=3):
    """A limb's dark line passes within ``r`` px of ``p`` (and ``p`` is in the picture)."""
    h, w = img.shape[:2]
    assert 0 <= p[0] < w and 0 <= p[1] < h, f"{p} is outside the {w}x{h} demo picture"
    patch = img[max(0, p[1] - r):p[1] + r + 1, max(0, p[0] - r):p[0] + r + 1].max(axis=-1)
    return bool((patch < _BODY_DARK).any())


@pytest.mark.parametrize("side", ["right", "left"])
def test_demo_figure_shows_the_hand_behind_the_head_for_the_levator(side):
    from coach.landmarks import Landmark
    from coach.sim import motion
    from coach.ui.overlay import draw_stick_figure

    elbow = Landmark.RIGHT_ELBOW if side == "right" else Landmark.LEFT_ELBOW
    shoulder = Landmark.RIGHT_SHOULDER if side == "right" else Landmark.LEFT_SHOULDER
    asked = _still_frame(motion.target_pose("levator-scapulae", side))
    wrong = _still_frame(motion.with_fault(motion.target_pose("levator-scapulae", side), "levator-scapulae",
                                           side, "no-hand"))
    p_elbow = _px(asked, elbow)
    # The raised elbow is in the picture, above the shoulder line, drawn; without the hand
    # behind the head (the demo's own mistake) nothing is drawn there.
    assert p_elbow[1] < _px(asked, shoulder)[1]
    assert _drawn(draw_stick_figure(asked), p_elbow)
    assert not _drawn(draw_stick_figure(wrong), p_elbow)


def test_demo_figure_shows_the_finger_on_the_chin():
    from coach.landmarks import Landmark
    from coach.sim import motion
    from coach.ui.overlay import draw_stick_figure

    for pose in (motion.rest_pose("chin-tuck", "center"), motion.target_pose("chin-tuck", "center")):
        frame = _still_frame(pose)
        img = draw_stick_figure(frame)
        tip = _px(frame, Landmark.RIGHT_INDEX)
        mouth = _px(frame, Landmark.MOUTH_RIGHT)
        ears = np.array([_px(frame, Landmark.LEFT_EAR), _px(frame, Landmark.RIGHT_EAR)], float)
        # The fingertip is below the mouth, on the chin, and drawn over the head (the hand
        # reaching up to it is drawn too, half-way from the wrist).
        assert tip[1] > mouth[1]
        assert abs(tip[0] - ears[:, 0].mean()) < 0.3 * abs(ears[1, 0] - ears[0, 0])
        assert _drawn(img, tip, r=6)
        wrist = np.array(_px(frame, Landmark.RIGHT_WRIST), float)
        half = tuple(int(v) for v in (wrist + np.array(tip, float)) / 2)
        assert _drawn(img, half)
    bare = _still_frame(motion.REST)
    assert not _drawn(draw_stick_figure(bare), _px(_still_frame(motion.rest_pose("chin-tuck", "center")),
                                                  Landmark.RIGHT_INDEX), r=6)


@pytest.mark.parametrize("side", ["right", "left"])
def test_demo_figure_shows_the_opposite_arm_lengthened_against_hands_in_the_lap(side):
    from coach.landmarks import Landmark
    from coach.sim import motion
    from coach.ui.overlay import draw_stick_figure

    opposite = "LEFT" if side == "right" else "RIGHT"
    shoulder, elbow = getattr(Landmark, f"{opposite}_SHOULDER"), getattr(Landmark, f"{opposite}_ELBOW")
    wrist = getattr(Landmark, f"{opposite}_WRIST")
    asked = _still_frame(motion.target_pose("lateral-flexion", side))
    lap = _still_frame(motion.with_fault(motion.target_pose("lateral-flexion", side), "lateral-flexion", side,
                                         "arm-not-down"))
    for frame in (asked, lap):  # both arms' elbows are in the picture: the difference is visible
        assert _drawn(draw_stick_figure(frame), _px(frame, elbow))
    sh, el, wr = (np.array(_px(asked, i), float) for i in (shoulder, elbow, wrist))
    upper, fore = (el - sh) / np.linalg.norm(el - sh), (wr - el) / np.linalg.norm(wr - el)
    # Lengthened: straight down the side (no bend at the elbow), so the upper arm's line runs
    # on to the picture's bottom edge; in the lap the elbow is bent (the forearm comes forward
    # and in), and nothing is drawn where a straight arm would leave the picture.
    assert upper[1] > 0.95 and float(upper @ fore) > np.cos(np.radians(8))
    lap_el = np.array(_px(lap, elbow), float)
    lap_upper = (lap_el - sh) / np.linalg.norm(lap_el - sh)
    lap_fore = np.array(_px(lap, wrist), float) - lap_el
    assert float(lap_upper @ lap_fore / np.linalg.norm(lap_fore)) < np.cos(np.radians(15))

    def exit_point(elbow_px, direction):
        t = (asked.height - 3 - elbow_px[1]) / direction[1]
        return tuple(int(v) for v in elbow_px + t * direction)

    assert _drawn(draw_stick_figure(asked), exit_point(el, upper))
    assert not _drawn(draw_stick_figure(lap), exit_point(lap_el, lap_upper))
