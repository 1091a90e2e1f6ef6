"""What the user sees: the live coaching overlay and the guided-flow screens, drawn with OpenCV.

Drawing only. Every function takes a frame and read-only state (`EngineView`, `PoseFrame`,
`OverlayStatus`, `Card`) and returns new pixels; nothing here decides, counts or reads the clock
(like supervision's annotators, the logic lives elsewhere: `coach.coaching.engine`, `coach.coaching.flow`).

Readability at 2 m: the live window upscales small frames (`LIVE_MIN_HEIGHT`) before drawing, all
sizes scale with the frame height, and text is drawn with a dark outline so it stays legible
over any background.

Left and right are always the person's own sides. With ``mirror=True`` the image is flipped
like a mirror, so the person's right side (and a head turned to their right) appears on the
display's right; side-to-side gauges put "R" on whichever side of the display the person's
right is on, so the needle moves the same way the head does.

The pieces live in their own modules: `coach.ui.drawing` (colours, scale, panels, text),
`coach.ui.widgets` (the live view's reps, hold ring, gauges, message and banners, the top bar and
key hint) and `coach.ui.cards` (what each guided-flow screen says); `render` and `render_card` put
them together. The names callers used from this module are re-exported here: import them from
`coach.ui.overlay`.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from coach.coaching.engine import EngineView, Priority
from coach.landmarks import MIN_VISIBILITY, Landmark, PoseFrame
from coach.texts import TRACKING_LOST_TEXT
from coach.ui.card_layout import Box, CardLayout, person_box, place_card
from coach.ui.cards import (  # noqa: F401  (re-exported: callers import the cards from here)
    Card,
    calibration_card,
    instruction_card,
    pain_stop_card,
    range_check_card,
    result_card,
    setup_card,
    summary_card,
)
from coach.ui.drawing import (
    BLACK,
    CYAN,
    DARK,
    GREY,
    PRIORITY_COLOURS,
    REFERENCE_HEIGHT,
    REFERENCE_WIDTH,
    WHITE,
    YELLOW,
    midpoint,
    panel,
    pixel_points,
    prepare,
    put_text,
    scale_of,
    text_size,
)

# Re-exported (the redundant alias says so): callers take these colours from here too.
from coach.ui.drawing import GREEN as GREEN
from coach.ui.drawing import ORANGE as ORANGE
from coach.ui.drawing import RED as RED
from coach.ui.widgets import (  # noqa: F401  (OverlayStatus and gauge_fraction are re-exported)
    OverlayStatus,
    draw_centered_banner,
    draw_gauges,
    draw_hold_ring,
    draw_keys_hint,
    draw_message,
    draw_reps,
    draw_status_line,
    draw_stop_banner,
    draw_top_bar,
    gauge_fraction,
)

# The live window upscales frames smaller than this before drawing, so text stays crisp and
# readable from 2 m; a headless recording keeps the input's size (cheaper, and the same look).
LIVE_MIN_HEIGHT = 720

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
    img = prepare(frame_bgr, mirror, min_height)
    s = scale_of(img)
    draw_skeleton(img, pose, mirror=mirror)
    if view is not None:
        draw_reps(img, view, s)
        draw_hold_ring(img, view, s)
        draw_gauges(img, view.gauges, s, mirror=mirror)
        draw_message(img, view.message, s)
        if view.safety_stop:
            draw_stop_banner(img, view.message, s)
    draw_top_bar(img, view.exercise_name if view else "", status, s)
    line = status.status_line
    if line is None and view is not None and not view.tracking_ok:
        line = TRACKING_LOST_TEXT
    if line:
        draw_status_line(img, line, s)
    if status.paused:
        draw_centered_banner(img, "PAUSED - press space to continue", s, DARK, YELLOW)
    draw_keys_hint(img, status.keys_hint, s)
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
        img = prepare(frame_bgr, mirror, min_height)
    s = scale_of(img)
    draw_skeleton(img, pose, mirror=mirror)
    layout, person = card_layout(img.shape, card, pose, mirror=mirror)
    h, w = img.shape[:2]
    box = layout.rect
    x0, y0, x1, y1 = box.x0, box.y0, box.x1, box.y1
    k, pad = layout.compact, layout.pad
    panel(img, (x0, y0), (x1, y1), DARK, alpha=0.82)
    accent = PRIORITY_COLOURS[card.tone] if card.tone is not Priority.GUIDANCE else CYAN
    cv2.rectangle(img, (x0, y0), (x1 - 1, y0 + max(2, int(8 * s * k))), accent, -1)
    y = y0 + pad + int(45 * s * k)
    put_text(img, card.title, (x0 + pad, y), layout.title_scale, accent, 2, outline=False)
    y = y0 + layout.title_h
    for i, parts in enumerate(layout.wrapped):
        colour = accent if i in card.highlight else WHITE
        for part in parts:
            y += layout.line_h
            put_text(img, part, (x0 + pad, y), layout.body_scale, colour, 1, outline=False)
    if card.progress is not None and layout.progress_h:
        frac = min(1.0, max(0.0, card.progress))
        by = y + int(60 * s * k)
        bx0, bx1 = x0 + pad, x1 - pad
        bh = max(2, int(28 * s * k))
        cv2.rectangle(img, (bx0, by), (bx1, by + bh), GREY, max(1, int(2 * s)))
        cv2.rectangle(img, (bx0, by), (bx0 + int((bx1 - bx0) * frac), by + bh), accent, -1)
        put_text(img, f"{round(frac * 100)}%", (bx1 - int(90 * s * k), by - int(10 * s * k)), 0.9 * s * k,
                 WHITE, 1, outline=False)
    if card.footer and layout.footer:
        put_text(img, card.footer, (x0 + pad, y1 - pad), layout.footer_scale, GREY, 1, outline=False)
    # The top bar and the key hint keep their backdrop off the person too (text outlined instead).
    draw_top_bar(img, "", status, s, backdrop=person is None or person.y0 >= int(62 * s))
    if status.paused:
        draw_centered_banner(img, "PAUSED - press space to continue", s, DARK, YELLOW)
    draw_keys_hint(img, status.keys_hint, s, backdrop=person is None or person.y1 <= h - int(40 * s))
    return img


def card_layout(shape: tuple[int, ...], card: Card, pose: PoseFrame | None, *,
                mirror: bool) -> tuple[CardLayout, Box | None]:
    """Where `render_card` draws ``card`` on a displayed image of ``shape``, and the person's
    head-and-shoulders box it keeps clear of (None when the card need not, or no one is seen).

    A card with ``clear_of_person`` (setup check, calibration) is placed off the person
    (`coach.ui.card_layout.place_card`); the others span the width below the top bar.
    """
    s = min(shape[0] / REFERENCE_HEIGHT, shape[1] / REFERENCE_WIDTH)
    person = person_box(pose, shape, mirror=mirror) if card.clear_of_person else None
    layout = place_card(card.lines, shape, s, title=card.title, footer=card.footer,
                        progress=card.progress is not None, avoid=person)
    return layout, person


def with_status_line(img: np.ndarray, text: str) -> np.ndarray:
    """A copy of an already rendered image with a warning line across it (e.g. the camera
    stopped sending frames, shown over the last picture)."""
    out = img.copy()
    draw_status_line(out, text, scale_of(out))
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
    pts = pixel_points(pose.landmarks, img.shape, mirror)
    s = scale_of(img)
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
    neck_base = midpoint(pts[Landmark.LEFT_SHOULDER], pts[Landmark.RIGHT_SHOULDER])
    head_c = midpoint(pts[Landmark.LEFT_EAR], pts[Landmark.RIGHT_EAR])
    if neck_base is not None and head_c is not None:
        cv2.line(img, neck_base, head_c, CYAN, thick, cv2.LINE_AA)
    for label, (x, y) in side_labels(pose, img.shape, mirror=mirror):
        put_text(img, label, (x, y), 1.1 * s, YELLOW, 2)
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
    pts = pixel_points(pose.landmarks, shape, mirror)
    s = min(shape[0] / REFERENCE_HEIGHT, shape[1] / REFERENCE_WIDTH)
    out = []
    for idx, other_idx, label in ((Landmark.RIGHT_SHOULDER, Landmark.LEFT_SHOULDER, "R"),
                                  (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, "L")):
        p, other = pts[idx], pts[other_idx]
        if p is None:
            continue
        outward = 1 if other is None or p[0] >= other[0] else -1
        tw = text_size(label, 1.1 * s, 2)[0]
        x = p[0] + outward * int(22 * s) - (tw if outward < 0 else 0)
        out.append((label, (x, p[1] + int(14 * s))))
    return out


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
    pts = pixel_points(pose.landmarks, img.shape, mirror=False, min_visibility=0.0)
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
    for idx, finger in ((Landmark.LEFT_WRIST, Landmark.LEFT_INDEX), (Landmark.RIGHT_WRIST, Landmark.RIGHT_INDEX)):
        if pts[idx] is not None:
            cv2.circle(img, pts[idx], limb, body, -1, cv2.LINE_AA)
            if pts[finger] is not None:  # the index finger: shows a finger on the chin
                cv2.line(img, pts[idx], pts[finger], body, max(2, limb // 2), cv2.LINE_AA)
    neck_base = midpoint(pts[Landmark.LEFT_SHOULDER], pts[Landmark.RIGHT_SHOULDER])
    head_c = midpoint(pts[Landmark.LEFT_EAR], pts[Landmark.RIGHT_EAR])
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
    # A hand in front of the face (a finger on the chin: seen, unlike a hand behind the head,
    # whose points the model marks as hidden) is drawn over the head.
    for wrist, finger in ((Landmark.LEFT_WRIST, Landmark.LEFT_INDEX), (Landmark.RIGHT_WRIST, Landmark.RIGHT_INDEX)):
        p_w, p_f = pts[wrist], pts[finger]
        if p_w is None or p_f is None or vis[finger] < 0.9:
            continue
        if math.hypot(p_f[0] - head_c[0], p_f[1] - head_c[1]) < radius:
            cv2.line(img, p_w, p_f, body, limb, cv2.LINE_AA)
            cv2.circle(img, p_f, max(3, limb // 2 + 2), (150, 170, 210), -1, cv2.LINE_AA)
            cv2.circle(img, p_f, max(3, limb // 2 + 2), body, max(1, int(3 * s)), cv2.LINE_AA)
    return img
