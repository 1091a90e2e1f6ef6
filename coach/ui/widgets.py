"""The pieces of the live coaching overlay: rep counts, hold ring, gauges, the message, the STOP
banner, the status line, the top bar and the key hint (the last three also frame the cards).
OpenCV only: each draws read-only state onto the image in place; `coach.ui.overlay` puts them
together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import cv2
import numpy as np

from coach.coaching.engine import EngineView, Gauge, Message
from coach.coaching.exercise import side_label
from coach.ui.drawing import (
    BLACK,
    DARK,
    GREEN,
    GREY,
    ORANGE,
    PRIORITY_COLOURS,
    RED,
    WHITE,
    YELLOW,
    panel,
    put_text,
    text_size,
    wrap,
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


def draw_top_bar(img: np.ndarray, name: str, status: OverlayStatus, s: float, *, backdrop: bool = True) -> None:
    """The bar along the top: title and exercise name, the note, MUTED / PAUSED / REC.

    ``backdrop=False`` leaves out the bar's dark panel (the text is outlined instead): during the
    setup check a person near the top of the picture must stay visible.
    """
    h, w = img.shape[:2]
    bar_h = int(62 * s)
    if backdrop:
        panel(img, (0, 0), (w, bar_h), DARK, alpha=0.7)
    outline = not backdrop
    left = "  ".join(p for p in (status.title, name) if p)
    put_text(img, left, (int(18 * s), int(44 * s)), 1.05 * s, WHITE, 1, outline=outline)
    if status.note:
        # In the bar, after the title: it must not cover a card or the rep counts.
        x_note = int(18 * s) + (text_size(left, 1.05 * s, 1)[0] + int(30 * s) if left else 0)
        put_text(img, status.note, (x_note, int(42 * s)), 0.7 * s, YELLOW, 1, outline=outline)
    x = w - int(18 * s)
    for label, colour in (("MUTED", GREY) if status.muted else (None, None),
                          ("PAUSED", YELLOW) if status.paused else (None, None),
                          ("REC", RED) if status.recording else (None, None)):
        if label is None:
            continue
        tw = text_size(label, 0.95 * s, 2)[0]
        x -= tw
        put_text(img, label, (x, int(44 * s)), 0.95 * s, colour, 2, outline=outline)
        if label == "REC":
            r = int(12 * s)
            cv2.circle(img, (x - r - int(8 * s), int(32 * s)), r, RED, -1, cv2.LINE_AA)
            x -= 2 * r + int(8 * s)
        x -= int(28 * s)


def draw_reps(img: np.ndarray, view: EngineView, s: float) -> None:
    """The rep counts per side, the current side underlined, and the side to work now."""
    x, y = int(24 * s), int(140 * s)
    for side, n in view.reps.items():
        label = f"{side.capitalize()} {n}/{view.reps_target}" if side != "center" \
            else f"Reps {n}/{view.reps_target}"
        current = side == view.side
        colour = YELLOW if current else WHITE
        put_text(img, label, (x, y), 1.35 * s, colour, 2)
        if current:
            tw, _ = text_size(label, 1.35 * s, 2)
            cv2.line(img, (x, y + int(10 * s)), (x + tw, y + int(10 * s)), YELLOW, max(2, int(4 * s)))
        x += text_size(label, 1.35 * s, 2)[0] + int(40 * s)
    if view.side in ("right", "left"):
        put_text(img, f"Now: your {side_label(view.side)} side", (int(24 * s), y + int(55 * s)),
                 1.0 * s, YELLOW, 1)


def draw_hold_ring(img: np.ndarray, view: EngineView, s: float) -> None:
    """A ring that fills over hold_max_s; the tick marks where the hold starts to count."""
    h, w = img.shape[:2]
    r = int(70 * s)
    c = (w - r - int(30 * s), int(62 * s) + r + int(25 * s))
    thick = max(4, int(16 * s))
    panel(img, (c[0] - r - int(18 * s), c[1] - r - int(18 * s)),
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
    tw, th = text_size(label, 1.0 * s, 2)
    put_text(img, label, (c[0] - tw // 2, c[1] + th // 2), 1.0 * s, WHITE, 2, outline=False)
    cap = f"{view.hold_min_s:g}-{view.hold_max_s:g} s"
    tw, _ = text_size(cap, 0.65 * s, 1)
    put_text(img, cap, (c[0] - tw // 2, c[1] + r + int(45 * s)), 0.65 * s, GREY, 1, outline=False)


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


def gauge_fraction(gauge: Gauge, value: float, *, mirror: bool) -> float:
    """Where ``value`` sits on the drawn gauge: 0 = display left end, 1 = display right end.

    Side-to-side axes (yaw, roll) put the person's right on the side of the display where
    their right side appears, so the needle moves the way the head does.
    """
    _left, _right, direction = _gauge_end_labels(gauge.axis, mirror)
    lo, hi = min(gauge.limit_min, gauge.limit_max), max(gauge.limit_min, gauge.limit_max)
    frac = (min(hi, max(lo, value)) - lo) / max(hi - lo, 1e-6)
    return 1.0 - frac if direction < 0 else frac


def draw_gauges(img: np.ndarray, gauges: Sequence[Gauge], s: float, *, mirror: bool) -> None:
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
    right_w = text_size(right, 0.8 * s, 1)[0]
    panel(img, (x0 - int(52 * s), y - gh - pad - int(18 * s)),
          (x0 + gw + right_w + int(22 * s), y + gh // 2 + pad), DARK, alpha=0.6)
    cv2.rectangle(img, (x0, y - gh // 2), (x0 + gw, y + gh // 2), (90, 90, 90), -1)
    tx0, tx1 = sorted((to_x(g.target_min), to_x(g.target_max)))
    cv2.rectangle(img, (tx0, y - gh // 2), (max(tx0 + 2, tx1), y + gh // 2), (60, 160, 60), -1)
    zero = to_x(0.0) if lo <= 0.0 <= hi else None
    if zero is not None:
        cv2.line(img, (zero, y - gh // 2 - int(6 * s)), (zero, y + gh // 2 + int(6 * s)), WHITE,
                 max(1, int(2 * s)))
    put_text(img, left, (x0 - text_size(left, 0.8 * s, 1)[0] - int(10 * s), y + int(10 * s)),
             0.8 * s, WHITE, 1, outline=False)
    put_text(img, right, (x0 + gw + int(10 * s), y + int(10 * s)), 0.8 * s, WHITE, 1, outline=False)
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
    put_text(img, label, (x0, y - gh // 2 - int(8 * s)), 0.75 * s, colour, 1, outline=False)


def draw_message(img: np.ndarray, message: Message | None, s: float) -> None:
    """The engine's current message across the bottom, coloured by its priority."""
    if message is None or not message.text:
        return
    h, w = img.shape[:2]
    colour = PRIORITY_COLOURS.get(message.priority, WHITE)
    scale = 1.25 * s
    lines = wrap(message.text, scale, 2, int(w - 120 * s))[:2]
    line_h = int(52 * s)
    y1 = h - int(45 * s)
    y0 = y1 - line_h * len(lines) - int(20 * s)
    panel(img, (0, y0), (w, y1), DARK, alpha=0.75)
    cv2.rectangle(img, (0, y0), (int(14 * s), y1), colour, -1)
    y = y0 + int(10 * s)
    for line in lines:
        y += line_h
        tw, _ = text_size(line, scale, 2)
        put_text(img, line, ((w - tw) // 2, y - int(8 * s)), scale, colour, 2, outline=False)


def draw_stop_banner(img: np.ndarray, message: Message | None, s: float) -> None:
    """The red STOP banner of a head circle across the middle."""
    h, w = img.shape[:2]
    y0, y1 = int(h * 0.30), int(h * 0.58)
    panel(img, (0, y0), (w, y1), (0, 0, 200), alpha=0.85)
    big = "STOP"
    tw, th = text_size(big, 3.2 * s, 3)
    put_text(img, big, ((w - tw) // 2, y0 + th + int(25 * s)), 3.2 * s, WHITE, 3, outline=False)
    sub = "No full head circles - side to side only"
    tw, _ = text_size(sub, 1.0 * s, 2)
    put_text(img, sub, ((w - tw) // 2, y1 - int(25 * s)), 1.0 * s, WHITE, 2, outline=False)


def draw_status_line(img: np.ndarray, text: str, s: float) -> None:
    """A warning line (e.g. tracking lost) across the upper middle."""
    h, w = img.shape[:2]
    # Below the reps and the hold ring, above the gauges: the middle of the screen is free
    # when tracking is lost (no skeleton to look at).
    y0 = int(h * 0.36)
    scale = 1.0 * s
    lines = wrap(text, scale, 2, int(w - 80 * s))[:2]
    y1 = y0 + int(50 * s) * len(lines) + int(10 * s)
    panel(img, (0, y0), (w, y1), (0, 60, 110), alpha=0.85)
    y = y0
    for line in lines:
        y += int(50 * s)
        tw, _ = text_size(line, scale, 2)
        put_text(img, line, ((w - tw) // 2, y - int(10 * s)), scale, YELLOW, 2, outline=False)


def draw_centered_banner(img: np.ndarray, text: str, s: float, bg, fg) -> None:
    """One line of text on a band across the middle (e.g. PAUSED)."""
    h, w = img.shape[:2]
    tw, th = text_size(text, 1.4 * s, 2)
    y0 = h // 2 - th - int(30 * s)
    y1 = h // 2 + int(30 * s)
    panel(img, (0, y0), (w, y1), bg, alpha=0.8)
    put_text(img, text, ((w - tw) // 2, h // 2 + th // 2 - int(6 * s)), 1.4 * s, fg, 2, outline=False)


def draw_keys_hint(img: np.ndarray, hint: str, s: float, *, backdrop: bool = True) -> None:
    """The key help along the bottom edge (nothing when ``hint`` is empty); ``backdrop=False``
    outlines the text instead of drawing its dark strip (the person's shoulders are there)."""
    if not hint:
        return
    h, w = img.shape[:2]
    if backdrop:
        panel(img, (0, h - int(40 * s)), (w, h), BLACK, alpha=0.6)
    tw, _ = text_size(hint, 0.65 * s, 1)
    put_text(img, hint, ((w - tw) // 2, h - int(12 * s)), 0.65 * s, GREY, 1, outline=not backdrop)
