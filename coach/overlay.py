"""What the user sees: the live coaching overlay and the guided-flow screens, drawn with OpenCV.

Drawing only. Every function takes a frame and read-only state (`EngineView`, `PoseFrame`,
`OverlayStatus`, `Card`) and returns new pixels; nothing here decides, counts or reads the clock
(like supervision's annotators, the logic lives elsewhere: `coach.engine`, `coach.flow`).

Readability at 2 m: the live window upscales small frames (`LIVE_MIN_HEIGHT`) before drawing, all
sizes scale with the frame height, and text is drawn with a dark outline so it stays legible
over any background.

Left and right are always the person's own sides. With ``mirror=True`` the image is flipped
like a mirror, so the person's right side (and a head turned to their right) appears on the
display's right; side-to-side gauges put "R" on whichever side of the display the person's
right is on, so the needle moves the same way the head does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

import cv2
import numpy as np

from coach.engine import EngineView, Gauge, Message, Priority
from coach.exercise import side_label
from coach.landmarks import MIN_VISIBILITY, Landmark, PoseFrame
from coach.report import ExerciseRun
from coach.texts import PAIN_STOP_TEXT, SAFETY_TEXT, TRACKING_LOST_TEXT

# The live window upscales frames smaller than this before drawing, so text stays crisp and
# readable from 2 m; a headless recording keeps the input's size (cheaper, and the same look).
LIVE_MIN_HEIGHT = 720
# Layout is designed in a 1280x720 reference frame and scaled by height / REFERENCE_HEIGHT.
REFERENCE_HEIGHT = 720.0
REFERENCE_WIDTH = 960.0

_FONT = cv2.FONT_HERSHEY_DUPLEX

# BGR colours, chosen for contrast on a dimmed camera image.
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
DARK = (25, 25, 25)
GREY = (150, 150, 150)
RED = (40, 40, 235)
ORANGE = (0, 150, 255)
YELLOW = (0, 230, 255)
GREEN = (80, 215, 80)
CYAN = (230, 200, 60)

PRIORITY_COLOURS: Mapping[Priority, tuple[int, int, int]] = MappingProxyType({
    Priority.SAFETY: RED,
    Priority.FORM: ORANGE,
    Priority.GUIDANCE: WHITE,
    Priority.PRAISE: GREEN,
})

# Which side of the person each skeleton landmark belongs to, for the R/L labels.
_HEAD_POINTS = (
    Landmark.NOSE, Landmark.LEFT_EYE, Landmark.RIGHT_EYE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR,
    Landmark.MOUTH_LEFT, Landmark.MOUTH_RIGHT,
)
_SKELETON_EDGES = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_EAR, Landmark.LEFT_EYE),
    (Landmark.LEFT_EYE, Landmark.NOSE),
    (Landmark.NOSE, Landmark.RIGHT_EYE),
    (Landmark.RIGHT_EYE, Landmark.RIGHT_EAR),
    (Landmark.MOUTH_LEFT, Landmark.MOUTH_RIGHT),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
)


@dataclass(frozen=True)
class OverlayStatus:
    """Read-only session information shown around the coaching overlay.

    Attributes:
        recording: Frames are being written to a file (``--out``): show a REC indicator.
        paused: The session is paused (space): show PAUSED.
        muted: Sound is off (``--mute`` or ``m``).
        title: Short headline, e.g. ``"Exercise 2/4"``.
        note: A small extra line, e.g. the demo's "short demo: 3 reps per side".
        status_line: A warning shown prominently, e.g. tracking lost or the camera stalled.
        keys_hint: The key help shown at the bottom edge.
    """

    recording: bool = False
    paused: bool = False
    muted: bool = False
    title: str = ""
    note: str = ""
    status_line: str | None = None
    keys_hint: str = "space pause  c recalibrate  n next  m mute  p pain stop  q quit"


@dataclass(frozen=True)
class Card:
    """A full-screen guided-flow screen (setup check, calibration, instruction, result, summary).

    Attributes:
        title: Large headline.
        lines: Body text; long lines are wrapped to the card width.
        footer: Small text at the bottom of the card (e.g. what happens next).
        tone: Accent colour by priority (SAFETY red for pain stop, PRAISE green for results).
        progress: 0..1 to draw a progress bar (calibration), or None.
        highlight: Index of a line to draw in the accent colour (e.g. the side to work next).
    """

    title: str
    lines: tuple[str, ...] = ()
    footer: str = ""
    tone: Priority = Priority.GUIDANCE
    progress: float | None = None
    highlight: tuple[int, ...] = ()


# --------------------------------------------------------------------------------------------
# Public drawing API
# --------------------------------------------------------------------------------------------


def render(
    frame_bgr: np.ndarray,
    view: EngineView | None,
    pose: PoseFrame | None,
    *,
    mirror: bool,
    status: OverlayStatus = OverlayStatus(),
    min_height: int = 0,
) -> np.ndarray:
    """Draw the live coaching overlay on a copy of a camera frame.

    Args:
        frame_bgr: The camera frame as the model saw it (never mirrored).
        view: The engine's snapshot; None before an exercise starts (skeleton and status only).
        pose: The landmarks of this frame, in the un-mirrored image's coordinates, or None.
        mirror: Show the image like a mirror (landmarks are mirrored with it).
        status: Session information (REC, paused, muted, status line).
        min_height: Upscale smaller frames to this height first (the live window uses
            `LIVE_MIN_HEIGHT`); 0 keeps the frame's size.

    Returns:
        A new BGR image, the frame's size or ``min_height`` high.
    """
    img = _prepare(frame_bgr, mirror, min_height)
    s = _scale(img)
    draw_skeleton(img, pose, mirror=mirror)
    if view is not None:
        _draw_reps(img, view, s)
        _draw_hold_ring(img, view, s)
        _draw_gauges(img, view.gauges, s, mirror=mirror)
        _draw_message(img, view.message, s)
        if view.safety_stop:
            _draw_stop_banner(img, view.message, s)
    _draw_top_bar(img, view.exercise_name if view else "", status, s)
    line = status.status_line
    if line is None and view is not None and not view.tracking_ok:
        line = TRACKING_LOST_TEXT
    if line:
        _draw_status_line(img, line, s)
    if status.paused:
        _draw_centered_banner(img, "PAUSED - press space to continue", s, DARK, YELLOW)
    _draw_keys_hint(img, status.keys_hint, s)
    return img


def render_card(
    frame_bgr: np.ndarray | None,
    card: Card,
    *,
    pose: PoseFrame | None = None,
    mirror: bool = True,
    status: OverlayStatus = OverlayStatus(),
    size: tuple[int, int] = (1280, 720),
    min_height: int = 0,
) -> np.ndarray:
    """Draw a guided-flow screen over a dimmed camera frame (or a blank canvas).

    Args:
        frame_bgr: The camera frame behind the card, or None for a plain background of `size`.
        card: What to show.
        pose: Landmarks to draw behind the card (the setup check shows what the model sees).
        mirror: Mirror the frame and landmarks like the live view.
        status: Session information for the top bar.
        size: ``(width, height)`` of the canvas when there is no frame.
        min_height: As in `render`.

    Returns:
        A new BGR image.
    """
    if frame_bgr is None:
        img = np.full((size[1], size[0], 3), 40, np.uint8)
    else:
        img = _prepare(frame_bgr, mirror, min_height)
    s = _scale(img)
    draw_skeleton(img, pose, mirror=mirror)
    h, w = img.shape[:2]
    margin_x, margin_y = int(70 * s), int(85 * s)
    x0, y0, x1 = margin_x, margin_y, w - margin_x
    pad = int(30 * s)
    title_h = pad + int(75 * s)
    progress_h = int(110 * s) if card.progress is not None else 0
    footer_h = int(85 * s) if card.footer else pad
    max_y1 = h - int(60 * s)
    body_scale, wrapped = _fit_lines(card.lines, 0.95 * s, x1 - x0 - 2 * pad,
                                     max_y1 - y0 - title_h - progress_h - footer_h)
    line_h = int(body_scale * 46)
    # The panel is as tall as its content, so a short card (setup, calibration) leaves the
    # person visible below it.
    y1 = min(max_y1, y0 + title_h + line_h * sum(len(p) for p in wrapped) + progress_h + footer_h)
    _panel(img, (x0, y0), (x1, y1), DARK, alpha=0.82)
    accent = PRIORITY_COLOURS[card.tone] if card.tone is not Priority.GUIDANCE else CYAN
    cv2.rectangle(img, (x0, y0), (x1, y0 + max(2, int(8 * s))), accent, -1)
    y = y0 + pad + int(45 * s)
    _text(img, card.title, (x0 + pad, y), 1.5 * s, accent, 2, outline=False)
    y += int(30 * s)
    for i, parts in enumerate(wrapped):
        colour = accent if i in card.highlight else WHITE
        for part in parts:
            y += line_h
            _text(img, part, (x0 + pad, y), body_scale, colour, 1, outline=False)
    if card.progress is not None:
        frac = min(1.0, max(0.0, card.progress))
        by = y + int(60 * s)
        bx0, bx1 = x0 + pad, x1 - pad
        bh = int(28 * s)
        cv2.rectangle(img, (bx0, by), (bx1, by + bh), GREY, max(1, int(2 * s)))
        cv2.rectangle(img, (bx0, by), (bx0 + int((bx1 - bx0) * frac), by + bh), accent, -1)
        _text(img, f"{round(frac * 100)}%", (bx1 - int(90 * s), by - int(10 * s)), 0.9 * s, WHITE, 1,
              outline=False)
    if card.footer:
        _text(img, card.footer, (x0 + pad, y1 - pad), 0.8 * s, GREY, 1, outline=False)
    _draw_top_bar(img, "", status, s)
    if status.paused:
        _draw_centered_banner(img, "PAUSED - press space to continue", s, DARK, YELLOW)
    _draw_keys_hint(img, status.keys_hint, s)
    return img


def with_status_line(img: np.ndarray, text: str) -> np.ndarray:
    """A copy of an already rendered image with a warning line across it (e.g. the camera
    stopped sending frames, shown over the last picture)."""
    out = img.copy()
    _draw_status_line(out, text, _scale(out))
    return out


def draw_skeleton(img: np.ndarray, pose: PoseFrame | None, *, mirror: bool) -> None:
    """Draw the head-and-shoulders skeleton, side labels and head direction arrow in place.

    Args:
        img: The displayed image (already mirrored when ``mirror``), drawn on in place.
        pose: Landmarks in the un-mirrored image's normalised coordinates, or None.
        mirror: Whether ``img`` is mirrored; landmark x is reflected to match.
    """
    if pose is None or pose.landmarks is None:
        return
    pts = _pixel_points(pose.landmarks, img.shape, mirror)
    s = _scale(img)
    thick = max(2, int(4 * s))
    for a, b in _SKELETON_EDGES:
        if pts[a] is not None and pts[b] is not None:
            cv2.line(img, pts[a], pts[b], BLACK, thick + max(2, int(3 * s)), cv2.LINE_AA)
            cv2.line(img, pts[a], pts[b], CYAN, thick, cv2.LINE_AA)
    for idx in (*_HEAD_POINTS, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER):
        if pts[idx] is not None:
            cv2.circle(img, pts[idx], max(2, int(5 * s)), WHITE, -1, cv2.LINE_AA)
            cv2.circle(img, pts[idx], max(2, int(5 * s)), BLACK, max(1, int(2 * s)), cv2.LINE_AA)
    # Neck: between the shoulders' midpoint and the ears' midpoint.
    neck_base = _midpoint(pts[Landmark.LEFT_SHOULDER], pts[Landmark.RIGHT_SHOULDER])
    head_c = _midpoint(pts[Landmark.LEFT_EAR], pts[Landmark.RIGHT_EAR])
    if neck_base is not None and head_c is not None:
        cv2.line(img, neck_base, head_c, CYAN, thick, cv2.LINE_AA)
    for label, (x, y) in side_labels(pose, img.shape, mirror=mirror):
        _text(img, label, (x, y), 1.1 * s, YELLOW, 2)
    # Head direction: from the middle of the ears through the nose, lengthened. A turn to the
    # person's right moves the nose toward where their right side is shown, so the arrow points
    # the way the head faces in the displayed image.
    nose = pts[Landmark.NOSE]
    if head_c is not None and nose is not None:
        dx, dy = nose[0] - head_c[0], nose[1] - head_c[1]
        tip = (int(nose[0] + 2.0 * dx), int(nose[1] + 2.0 * dy))
        if math.hypot(tip[0] - nose[0], tip[1] - nose[1]) >= 4 * s:
            cv2.arrowedLine(img, nose, tip, BLACK, thick + 3, cv2.LINE_AA, tipLength=0.3)
            cv2.arrowedLine(img, nose, tip, YELLOW, thick, cv2.LINE_AA, tipLength=0.3)


def side_labels(pose: PoseFrame | None, shape: tuple[int, ...], *, mirror: bool):
    """Where the "R" and "L" shoulder labels go in the displayed image.

    The person's right shoulder (landmark 12) gets "R", placed outward of it, wherever the
    mirroring puts it: the label always names the person's own side.

    Returns:
        A list of ``(label, (x, y))`` text origins in display pixels.
    """
    if pose is None or pose.landmarks is None:
        return []
    pts = _pixel_points(pose.landmarks, shape, mirror)
    s = min(shape[0] / REFERENCE_HEIGHT, shape[1] / REFERENCE_WIDTH)
    out = []
    for idx, other_idx, label in ((Landmark.RIGHT_SHOULDER, Landmark.LEFT_SHOULDER, "R"),
                                  (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, "L")):
        p, other = pts[idx], pts[other_idx]
        if p is None:
            continue
        outward = 1 if other is None or p[0] >= other[0] else -1
        tw = _text_size(label, 1.1 * s, 2)[0]
        x = p[0] + outward * int(22 * s) - (tw if outward < 0 else 0)
        out.append((label, (x, p[1] + int(14 * s))))
    return out


def gauge_fraction(gauge: Gauge, value: float, *, mirror: bool) -> float:
    """Where ``value`` sits on the drawn gauge: 0 = display left end, 1 = display right end.

    Side-to-side axes (yaw, roll) put the person's right on the side of the display where
    their right side appears, so the needle moves the way the head does.
    """
    _left, _right, direction = _gauge_end_labels(gauge.axis, mirror)
    lo, hi = min(gauge.limit_min, gauge.limit_max), max(gauge.limit_min, gauge.limit_max)
    frac = (min(hi, max(lo, value)) - lo) / max(hi - lo, 1e-6)
    return 1.0 - frac if direction < 0 else frac


def draw_stick_figure(pose: PoseFrame, *, background: int = 235) -> np.ndarray:
    """Draw a synthetic person as a clean stick figure with a head: the demo's "camera" frame.

    The figure is drawn in the un-mirrored image coordinates of ``pose``, exactly like a camera
    image would show a real person, so the rest of the pipeline treats both alike.

    Args:
        pose: Landmarks (normalised image coordinates) of the synthetic person.
        background: Grey level of the plain background.

    Returns:
        A ``pose.height x pose.width`` BGR image.
    """
    img = np.full((pose.height, pose.width, 3), background, np.uint8)
    if pose.landmarks is None:
        return img
    # Every point is drawn (the script knows where the hidden ones are); visibility only
    # decides which face features are in front of the head.
    pts = _pixel_points(pose.landmarks, img.shape, mirror=False, min_visibility=0.0)
    vis = np.nan_to_num(np.asarray(pose.landmarks, dtype=float)[:, 3])
    s = img.shape[0] / REFERENCE_HEIGHT
    body = (70, 70, 70)
    limb = max(3, int(16 * s))
    for a, b in (
        (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
        (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW), (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
        (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW), (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
        (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP), (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
        (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    ):
        if pts[a] is not None and pts[b] is not None:
            cv2.line(img, pts[a], pts[b], body, limb, cv2.LINE_AA)
    for idx in (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST):
        if pts[idx] is not None:
            cv2.circle(img, pts[idx], limb, body, -1, cv2.LINE_AA)
    neck_base = _midpoint(pts[Landmark.LEFT_SHOULDER], pts[Landmark.RIGHT_SHOULDER])
    head_c = _midpoint(pts[Landmark.LEFT_EAR], pts[Landmark.RIGHT_EAR])
    if head_c is None:
        return img
    sh_l, sh_r = pts[Landmark.LEFT_SHOULDER], pts[Landmark.RIGHT_SHOULDER]
    span = math.hypot(sh_l[0] - sh_r[0], sh_l[1] - sh_r[1]) if sh_l and sh_r else 200 * s
    radius = int(max(18 * s, 0.3 * span))
    if neck_base is not None:
        cv2.line(img, neck_base, head_c, body, limb, cv2.LINE_AA)
    cv2.circle(img, head_c, radius, (185, 205, 235), -1, cv2.LINE_AA)
    cv2.circle(img, head_c, radius, body, max(2, int(5 * s)), cv2.LINE_AA)
    # Face features where the landmarks put them, so a turn, tilt or nod is plain to see; a
    # feature turned away from the camera (low visibility) is behind the head and not drawn.
    for idx in (Landmark.LEFT_EAR, Landmark.RIGHT_EAR):
        if pts[idx] is not None and vis[idx] >= MIN_VISIBILITY:
            cv2.circle(img, pts[idx], max(3, int(11 * s)), (150, 170, 210), -1, cv2.LINE_AA)
            cv2.circle(img, pts[idx], max(3, int(11 * s)), body, max(1, int(3 * s)), cv2.LINE_AA)
    for idx in (Landmark.LEFT_EYE, Landmark.RIGHT_EYE):
        if pts[idx] is not None and vis[idx] >= MIN_VISIBILITY:
            cv2.circle(img, pts[idx], max(2, int(8 * s)), (40, 40, 40), -1, cv2.LINE_AA)
    if pts[Landmark.MOUTH_LEFT] is not None and pts[Landmark.MOUTH_RIGHT] is not None:
        cv2.line(img, pts[Landmark.MOUTH_LEFT], pts[Landmark.MOUTH_RIGHT], (60, 60, 170),
                 max(2, int(6 * s)), cv2.LINE_AA)
    if pts[Landmark.NOSE] is not None:
        cv2.circle(img, pts[Landmark.NOSE], max(3, int(10 * s)), (60, 90, 200), -1, cv2.LINE_AA)
    return img


# --------------------------------------------------------------------------------------------
# Cards for the guided flow (text only; the session decides which one to show)
# --------------------------------------------------------------------------------------------


def setup_card(problems: Sequence[str], *, notes: Sequence[str] = (),
               ok_progress: float | None = None) -> Card:
    """The setup-check screen: each failing condition says what to change; notes inform."""
    if problems:
        return Card("Setup check", tuple(problems) + tuple(notes),
                    footer="Adjust and hold still - the coach starts by itself when all is fine.",
                    tone=Priority.FORM)
    return Card("Setup check: all good", ("Hold still, calibration starts in a moment.", *notes),
                tone=Priority.PRAISE, progress=ok_progress)


def calibration_card(progress: float, problem: str | None = None) -> Card:
    """The calibration screen with its progress bar (0..1) and what stops it, if anything."""
    lines = ("Look straight ahead, relax your shoulders and hold still.",
             "This sets your neutral position (about 2 seconds).")
    return Card(
        "Calibrating",
        lines + ((problem,) if problem else ()),
        footer="c restarts the calibration",
        progress=progress,
        highlight=(2,) if problem else (),
        tone=Priority.FORM if problem else Priority.GUIDANCE,
    )


def instruction_card(
    name: str,
    instruction: str,
    *,
    side: str | None,
    reps_target: int,
    hold_min_s: float,
    hold_max_s: float,
    index: int = 1,
    count: int = 1,
    note: str = "",
    targets: str = "",
) -> Card:
    """The instruction screen before an exercise: what to do, the first side, the targets
    (personal or suggested, `coach.targets.TargetSuggestion.describe`) and safety text."""
    lines: list[str] = [instruction] if instruction else []
    per = "on each side" if side in ("right", "left") else "in total"
    times = "time" if reps_target == 1 else "times"
    lines.append(f"Hold {hold_min_s:g}-{hold_max_s:g} s, {reps_target} {times} {per}.")
    if targets:
        lines.append(targets)
    highlight = ()
    if side in ("right", "left"):
        lines.append(f"Start with your {side_label(side)} side.")
        highlight = (len(lines) - 1,)
    if note:
        lines.append(note)
    lines.extend(SAFETY_TEXT)
    return Card(f"{index}/{count}  {name}", tuple(lines), footer="Starting soon.   n skip   q quit",
                highlight=highlight)


def _fmt_best(best: dict[str, float], unit: str) -> str:
    if not best:
        return "no counted holds"
    suffix = " cm" if unit == "cm" else " deg"
    return ", ".join(f"{side} {value:.1f}{suffix}" for side, value in best.items())


def _fmt_reps(reps: dict[str, int], target: int) -> str:
    return "  ".join(f"{side.capitalize()} {n}/{target}" for side, n in reps.items())


def result_card(run: ExerciseRun) -> Card:
    """The result screen after one exercise."""
    result = run.result
    lines = [
        f"Reps: {_fmt_reps(result.reps, result.reps_target)}",
        f"Best range: {_fmt_best(result.best_by_side(), result.unit)}",
        f"Form faults: {len(result.faults)}    Safety stops: {len(result.safety_events)}",
    ]
    if run.ended == "pain-stop":
        lines.extend(PAIN_STOP_TEXT)
    done = all(n >= result.reps_target for n in result.reps.values())
    tone = Priority.SAFETY if run.ended == "pain-stop" else (
        Priority.PRAISE if done else Priority.GUIDANCE)
    return Card(f"{result.name}: {'done' if done else run.ended}", tuple(lines), tone=tone)


def summary_card(runs: Sequence[ExerciseRun], *, saved_to: str = "") -> Card:
    """The session summary: one line per exercise."""
    lines = [f"{r.result.name}: {_fmt_reps(r.result.reps, r.result.reps_target)}  ({r.ended})" for r in runs]
    if not lines:
        lines = ["No exercise was started."]
    if saved_to:
        lines.append(f"Saved: {saved_to}")
    if any(r.ended == "pain-stop" for r in runs):
        lines.extend(PAIN_STOP_TEXT)
    return Card("Session summary", tuple(lines), footer="q or Esc closes", tone=Priority.PRAISE)


def pain_stop_card() -> Card:
    """The advice shown when the user presses p (pain stop)."""
    return Card("Pain stop", PAIN_STOP_TEXT, tone=Priority.SAFETY,
                footer="The exercise has ended. n next exercise   q quit")


# --------------------------------------------------------------------------------------------
# Pieces
# --------------------------------------------------------------------------------------------


def _prepare(frame_bgr: np.ndarray, mirror: bool, min_height: int) -> np.ndarray:
    if frame_bgr.ndim == 2:
        frame_bgr = cv2.cvtColor(frame_bgr, cv2.COLOR_GRAY2BGR)
    h = frame_bgr.shape[0]
    if h < min_height:
        f = min_height / h
        frame_bgr = cv2.resize(frame_bgr, (round(frame_bgr.shape[1] * f), min_height),
                               interpolation=cv2.INTER_LINEAR)
        return cv2.flip(frame_bgr, 1) if mirror else frame_bgr
    return cv2.flip(frame_bgr, 1) if mirror else frame_bgr.copy()


def _scale(img: np.ndarray) -> float:
    # Height sets the size, but narrow (square or portrait) frames must still fit the text.
    return min(img.shape[0] / REFERENCE_HEIGHT, img.shape[1] / REFERENCE_WIDTH)


def _pixel_points(landmarks: np.ndarray, shape: tuple[int, ...], mirror: bool,
                  min_visibility: float = MIN_VISIBILITY):
    """Display pixel of each landmark, or None where it is not finite, not visible or far off
    (a guessed point drawn confidently misleads)."""
    h, w = shape[:2]
    lm = np.asarray(landmarks, dtype=float)
    x = 1.0 - lm[:, 0] if mirror else lm[:, 0]
    px, py, vis = x * w, lm[:, 1] * h, lm[:, 3]
    with np.errstate(invalid="ignore"):
        # Far-off-image points (a guessed hip) would make cv2 draw across the whole screen.
        good = (np.isfinite(px) & np.isfinite(py) & ~(vis < min_visibility)
                & (px >= -w) & (px <= 2 * w) & (py >= -h) & (py <= 2 * h))
    pxi = np.where(good, np.round(px), 0).astype(int)
    pyi = np.where(good, np.round(py), 0).astype(int)
    return [(int(a), int(b)) if g else None for a, b, g in zip(pxi, pyi, good)]


def _midpoint(a, b):
    if a is None or b is None:
        return None
    return ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)


def _panel(img: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], colour, alpha: float) -> None:
    """Blend a filled rectangle into img (in place) so the camera image stays faintly visible.

    Done as scale-then-add on the ROI view (two cheap saturating OpenCV calls, no temporary
    image): this runs several times per frame and must not cost more than the model.
    """
    h, w = img.shape[:2]
    x0, y0 = max(0, p0[0]), max(0, p0[1])
    x1, y1 = min(w, p1[0]), min(h, p1[1])
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    if colour[0] == colour[1] == colour[2]:
        cv2.convertScaleAbs(roi, dst=roi, alpha=1.0 - alpha, beta=alpha * colour[0])
    else:
        cv2.convertScaleAbs(roi, dst=roi, alpha=1.0 - alpha, beta=0.0)
        cv2.add(roi, (alpha * colour[0], alpha * colour[1], alpha * colour[2], 0.0), dst=roi)


def _text_size(text: str, scale: float, thickness: int) -> tuple[int, int]:
    (w, h), _ = cv2.getTextSize(text, _FONT, scale, thickness)
    return w, h


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour, thickness: int = 1,
          *, outline: bool = True) -> None:
    """Text, with a dark outline when it sits on the camera image (legible on any background).

    OpenCV 5 renders a TrueType face where thickness selects the weight (1 regular, >= 2 bold)
    and changes the advance, so the outline is the same text drawn at small diagonal offsets
    rather than a thicker copy (which would not line up). Text on a dark panel needs none.
    """
    x, y = org
    if outline:
        d = max(1, int(round(2.0 * scale)))
        for ox, oy in ((-d, -d), (d, d), (-d, d), (d, -d)):
            cv2.putText(img, text, (x + ox, y + oy), _FONT, scale, BLACK, thickness, cv2.LINE_AA)
    cv2.putText(img, text, (x, y), _FONT, scale, colour, thickness, cv2.LINE_AA)


def _fit_lines(lines: Sequence[str], scale: float, max_w: int, max_h: int):
    """Wrap lines to max_w, shrinking the text until the block fits in max_h pixels."""
    floor = scale * 0.5
    while True:
        wrapped = [_wrap(line, scale, 1, max_w) for line in lines]
        n = sum(len(w) for w in wrapped)
        if n * int(scale * 46) <= max_h or scale <= floor:
            return scale, wrapped
        scale *= 0.9


def _wrap(text: str, scale: float, thickness: int, max_w: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for word in words:
        trial = f"{cur} {word}".strip()
        if cur and _text_size(trial, scale, thickness)[0] > max_w:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines or [""]


def _draw_top_bar(img: np.ndarray, name: str, status: OverlayStatus, s: float) -> None:
    h, w = img.shape[:2]
    bar_h = int(62 * s)
    _panel(img, (0, 0), (w, bar_h), DARK, alpha=0.7)
    left = "  ".join(p for p in (status.title, name) if p)
    _text(img, left, (int(18 * s), int(44 * s)), 1.05 * s, WHITE, 1, outline=False)
    if status.note:
        # In the bar, after the title: it must not cover a card or the rep counts.
        x_note = int(18 * s) + (_text_size(left, 1.05 * s, 1)[0] + int(30 * s) if left else 0)
        _text(img, status.note, (x_note, int(42 * s)), 0.7 * s, YELLOW, 1, outline=False)
    x = w - int(18 * s)
    for label, colour in (("MUTED", GREY) if status.muted else (None, None),
                          ("PAUSED", YELLOW) if status.paused else (None, None),
                          ("REC", RED) if status.recording else (None, None)):
        if label is None:
            continue
        tw = _text_size(label, 0.95 * s, 2)[0]
        x -= tw
        _text(img, label, (x, int(44 * s)), 0.95 * s, colour, 2, outline=False)
        if label == "REC":
            r = int(12 * s)
            cv2.circle(img, (x - r - int(8 * s), int(32 * s)), r, RED, -1, cv2.LINE_AA)
            x -= 2 * r + int(8 * s)
        x -= int(28 * s)


def _draw_reps(img: np.ndarray, view: EngineView, s: float) -> None:
    x, y = int(24 * s), int(140 * s)
    for side, n in view.reps.items():
        label = f"{side.capitalize()} {n}/{view.reps_target}" if side != "center" \
            else f"Reps {n}/{view.reps_target}"
        current = side == view.side
        colour = YELLOW if current else WHITE
        _text(img, label, (x, y), 1.35 * s, colour, 2)
        if current:
            tw, _ = _text_size(label, 1.35 * s, 2)
            cv2.line(img, (x, y + int(10 * s)), (x + tw, y + int(10 * s)), YELLOW, max(2, int(4 * s)))
        x += _text_size(label, 1.35 * s, 2)[0] + int(40 * s)
    if view.side in ("right", "left"):
        _text(img, f"Now: your {side_label(view.side)} side", (int(24 * s), y + int(55 * s)),
              1.0 * s, YELLOW, 1)


def _draw_hold_ring(img: np.ndarray, view: EngineView, s: float) -> None:
    """A ring that fills over hold_max_s; the tick marks where the hold starts to count."""
    h, w = img.shape[:2]
    r = int(70 * s)
    c = (w - r - int(30 * s), int(62 * s) + r + int(25 * s))
    thick = max(4, int(16 * s))
    _panel(img, (c[0] - r - int(18 * s), c[1] - r - int(18 * s)),
           (c[0] + r + int(18 * s), c[1] + r + int(18 * s)), DARK, alpha=0.55)
    cv2.circle(img, c, r, (80, 80, 80), thick, cv2.LINE_AA)
    max_s = max(view.hold_max_s, 1e-6)
    frac = min(1.0, max(0.0, view.hold_s / max_s))
    if view.hold_s >= view.hold_max_s:
        colour = ORANGE
    elif view.hold_s >= view.hold_min_s:
        colour = GREEN
    else:
        colour = YELLOW
    if frac > 0:
        cv2.ellipse(img, c, (r, r), -90, 0, 360 * frac, colour, thick, cv2.LINE_AA)
    # Marks: at the minimum (counts from here) and at the top (the maximum: release).
    for mark_s, mark_colour in ((view.hold_min_s, GREEN), (view.hold_max_s, ORANGE)):
        a = math.radians(-90 + 360 * min(1.0, mark_s / max_s))
        p0 = (int(c[0] + (r - thick) * math.cos(a)), int(c[1] + (r - thick) * math.sin(a)))
        p1 = (int(c[0] + (r + thick) * math.cos(a)), int(c[1] + (r + thick) * math.sin(a)))
        cv2.line(img, p0, p1, mark_colour, max(2, int(5 * s)), cv2.LINE_AA)
    label = f"{view.hold_s:.0f}s" if view.hold_s > 0 else "hold"
    tw, th = _text_size(label, 1.0 * s, 2)
    _text(img, label, (c[0] - tw // 2, c[1] + th // 2), 1.0 * s, WHITE, 2, outline=False)
    cap = f"{view.hold_min_s:g}-{view.hold_max_s:g} s"
    tw, _ = _text_size(cap, 0.65 * s, 1)
    _text(img, cap, (c[0] - tw // 2, c[1] + r + int(45 * s)), 0.65 * s, GREY, 1, outline=False)


_AXIS_NAMES: Mapping[str, str] = MappingProxyType(
    {"yaw": "Turn", "roll": "Tilt", "pitch": "Nod", "retraction": "Chin back"})


def _gauge_end_labels(axis: str, mirror: bool) -> tuple[str, str, int]:
    """Labels for the gauge's display-left and display-right ends, and the value direction.

    Returns (left label, right label, direction) where direction +1 means a larger value moves
    the needle to the display's right.
    """
    if axis in ("yaw", "roll"):
        # Positive = the person's right. In a mirror view their right is on the display's right.
        return ("L", "R", 1) if mirror else ("R", "L", -1)
    if axis == "pitch":
        return ("up", "down", 1)
    return ("fwd", "back", 1)


def _draw_gauges(img: np.ndarray, gauges: Sequence[Gauge], s: float, *, mirror: bool) -> None:
    """A column of gauges on the left, under the rep counts: the person stays visible in the
    middle of the frame and their shoulders at the bottom."""
    if not gauges:
        return
    h, w = img.shape[:2]
    gw = int(min(w * 0.3, 400 * s))
    gh = int(24 * s)
    row_h = int(80 * s)
    x0 = int(58 * s)
    for i, g in enumerate(gauges):
        _draw_gauge(img, g, (x0, int(275 * s) + i * row_h), gw, gh, s, mirror=mirror)


def _draw_gauge(img: np.ndarray, g: Gauge, org: tuple[int, int], gw: int, gh: int, s: float,
                *, mirror: bool) -> None:
    x0, y = org
    left, right, _direction = _gauge_end_labels(g.axis, mirror)
    lo, hi = min(g.limit_min, g.limit_max), max(g.limit_min, g.limit_max)

    def to_x(v: float) -> int:
        return int(x0 + gauge_fraction(g, v, mirror=mirror) * gw)

    pad = int(8 * s)
    right_w = _text_size(right, 0.8 * s, 1)[0]
    _panel(img, (x0 - int(52 * s), y - gh - pad - int(18 * s)),
           (x0 + gw + right_w + int(22 * s), y + gh // 2 + pad), DARK, alpha=0.6)
    cv2.rectangle(img, (x0, y - gh // 2), (x0 + gw, y + gh // 2), (90, 90, 90), -1)
    tx0, tx1 = sorted((to_x(g.target_min), to_x(g.target_max)))
    cv2.rectangle(img, (tx0, y - gh // 2), (max(tx0 + 2, tx1), y + gh // 2), (60, 160, 60), -1)
    zero = to_x(0.0) if lo <= 0.0 <= hi else None
    if zero is not None:
        cv2.line(img, (zero, y - gh // 2 - int(6 * s)), (zero, y + gh // 2 + int(6 * s)), WHITE,
                 max(1, int(2 * s)))
    _text(img, left, (x0 - _text_size(left, 0.8 * s, 1)[0] - int(10 * s), y + int(10 * s)),
          0.8 * s, WHITE, 1, outline=False)
    _text(img, right, (x0 + gw + int(10 * s), y + int(10 * s)), 0.8 * s, WHITE, 1, outline=False)
    unit = "cm" if g.unit == "cm" else "°"
    name = _AXIS_NAMES.get(g.axis, g.axis)
    if g.value is None or not math.isfinite(g.value):
        label = f"{name}: --"
        colour = GREY
    else:
        in_zone = min(g.target_min, g.target_max) <= g.value <= max(g.target_min, g.target_max)
        colour = GREEN if in_zone else YELLOW
        xv = to_x(g.value)
        cv2.line(img, (xv, y - gh), (xv, y + gh), BLACK, max(4, int(11 * s)))
        cv2.line(img, (xv, y - gh), (xv, y + gh), colour, max(2, int(6 * s)))
        value = f"{abs(g.value):.1f} cm" if g.unit == "cm" else f"{abs(g.value):.0f}{unit}"
        side = ""
        if g.axis in ("yaw", "roll") and abs(g.value) >= 1.0:
            side = " R" if g.value > 0 else " L"
        elif g.axis == "pitch" and abs(g.value) >= 1.0:
            # The magnitude alone hides whether the chin went down or the head tipped back,
            # and tipping back is exactly the fault a chin tuck must avoid.
            side = " down" if g.value > 0 else " up"
        label = f"{name}: {value}{side}"
    _text(img, label, (x0, y - gh // 2 - int(8 * s)), 0.75 * s, colour, 1, outline=False)


def _draw_message(img: np.ndarray, message: Message | None, s: float) -> None:
    if message is None or not message.text:
        return
    h, w = img.shape[:2]
    colour = PRIORITY_COLOURS.get(message.priority, WHITE)
    scale = 1.25 * s
    lines = _wrap(message.text, scale, 2, int(w - 120 * s))[:2]
    line_h = int(52 * s)
    y1 = h - int(45 * s)
    y0 = y1 - line_h * len(lines) - int(20 * s)
    _panel(img, (0, y0), (w, y1), DARK, alpha=0.75)
    cv2.rectangle(img, (0, y0), (int(14 * s), y1), colour, -1)
    y = y0 + int(10 * s)
    for line in lines:
        y += line_h
        tw, _ = _text_size(line, scale, 2)
        _text(img, line, ((w - tw) // 2, y - int(8 * s)), scale, colour, 2, outline=False)


def _draw_stop_banner(img: np.ndarray, message: Message | None, s: float) -> None:
    h, w = img.shape[:2]
    y0, y1 = int(h * 0.30), int(h * 0.58)
    _panel(img, (0, y0), (w, y1), (0, 0, 200), alpha=0.85)
    big = "STOP"
    tw, th = _text_size(big, 3.2 * s, 3)
    _text(img, big, ((w - tw) // 2, y0 + th + int(25 * s)), 3.2 * s, WHITE, 3, outline=False)
    sub = "No full head circles - side to side only"
    tw, _ = _text_size(sub, 1.0 * s, 2)
    _text(img, sub, ((w - tw) // 2, y1 - int(25 * s)), 1.0 * s, WHITE, 2, outline=False)


def _draw_status_line(img: np.ndarray, text: str, s: float) -> None:
    h, w = img.shape[:2]
    # Below the reps and the hold ring, above the gauges: the middle of the screen is free
    # when tracking is lost (no skeleton to look at).
    y0 = int(h * 0.36)
    scale = 1.0 * s
    lines = _wrap(text, scale, 2, int(w - 80 * s))[:2]
    y1 = y0 + int(50 * s) * len(lines) + int(10 * s)
    _panel(img, (0, y0), (w, y1), (0, 60, 110), alpha=0.85)
    y = y0
    for line in lines:
        y += int(50 * s)
        tw, _ = _text_size(line, scale, 2)
        _text(img, line, ((w - tw) // 2, y - int(10 * s)), scale, YELLOW, 2, outline=False)


def _draw_centered_banner(img: np.ndarray, text: str, s: float, bg, fg) -> None:
    h, w = img.shape[:2]
    tw, th = _text_size(text, 1.4 * s, 2)
    y0 = h // 2 - th - int(30 * s)
    y1 = h // 2 + int(30 * s)
    _panel(img, (0, y0), (w, y1), bg, alpha=0.8)
    _text(img, text, ((w - tw) // 2, h // 2 + th // 2 - int(6 * s)), 1.4 * s, fg, 2, outline=False)


def _draw_keys_hint(img: np.ndarray, hint: str, s: float) -> None:
    if not hint:
        return
    h, w = img.shape[:2]
    _panel(img, (0, h - int(40 * s)), (w, h), BLACK, alpha=0.6)
    tw, _ = _text_size(hint, 0.65 * s, 1)
    _text(img, hint, ((w - tw) // 2, h - int(12 * s)), 0.65 * s, GREY, 1, outline=False)
