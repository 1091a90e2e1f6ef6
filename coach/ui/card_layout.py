"""Where a guided-flow card goes on the screen, and how big its text is.

During the setup check and the calibration the person is looking at their own position in the
picture (are both shoulders in view? is the head level?), so those cards must not cover the
head and shoulders. `person_box` finds them from the frame's landmarks; `place_card` puts the
card in the free band above, below or beside them that holds its text at the largest size,
shrinks the card's spacing and text when no band holds it at full size, and only when the
person fills the whole picture falls back to a compact strip along the image edge.

Geometry and text measurement only: nothing is drawn here (`coach.ui.overlay.render_card` draws
the card where `place_card` says).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coach.landmarks import Landmark, PoseFrame
from coach.ui.drawing import fit_lines, pixel_points, text_size

#: The face points that place the head (the ears and eyes give its size).
_HEAD = (Landmark.NOSE, Landmark.LEFT_EYE, Landmark.RIGHT_EYE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR,
         Landmark.MOUTH_LEFT, Landmark.MOUTH_RIGHT)
#: Spacing factors tried in turn: the full card, then tighter ones (footer dropped).
_COMPACTNESS = (1.0, 0.7, 0.5)
#: The smallest body text (times the frame's scale) a placed card may use; below it a tighter
#: card is tried.
_MIN_BODY_SCALE = 0.55
#: The body text of the last-resort strip is never smaller than this (times the frame's scale).
_FLOOR_BODY_SCALE = 0.35


@dataclass(frozen=True)
class Box:
    """A rectangle in display pixels, ``x0 <= x < x1``, ``y0 <= y < y1``."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        """Width in pixels (0 when empty)."""
        return max(0, self.x1 - self.x0)

    @property
    def height(self) -> int:
        """Height in pixels (0 when empty)."""
        return max(0, self.y1 - self.y0)

    def intersects(self, other: Box) -> bool:
        """True when the two rectangles share at least one pixel."""
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


@dataclass(frozen=True)
class CardLayout:
    """A card's rectangle and the sizes of its parts.

    Attributes:
        rect: The card's panel in display pixels.
        pad: Inner padding.
        title_scale: Font scale of the title (smaller when the title is wider than the card).
        title_h: Height from the panel's top to the first body line's top.
        body_scale: Font scale of the body lines.
        line_h: Height of one body line.
        wrapped: The body lines, each wrapped to the panel's width.
        progress_h: Height kept for the progress bar (0 without one).
        footer: Whether the footer is drawn (a tight card drops it).
        footer_scale: Font scale of the footer (it fits the card's width).
        compact: 1.0 for the full card, smaller for a tighter one.
    """

    rect: Box
    pad: int
    title_scale: float
    title_h: int
    body_scale: float
    line_h: int
    wrapped: tuple[tuple[str, ...], ...]
    progress_h: int
    footer: bool
    compact: float
    footer_scale: float = 0.0


def person_box(pose: PoseFrame | None, shape: tuple[int, ...], *, mirror: bool) -> Box | None:
    """The person's head and shoulders in the displayed image, with a margin around them.

    The head's size comes from the ears, the eyes or the shoulders (whichever says most: a
    turned head brings its ears together), the crown is about one head width above the eyes,
    and the box reaches a little below the shoulder points. Without shoulders (cut off at the
    bottom) the box reaches down to where they would be.

    Args:
        pose: The frame's landmarks in the un-mirrored image's coordinates, or None.
        shape: The displayed image's shape.
        mirror: Whether the displayed image is mirrored.

    Returns:
        The box clipped to the image, or None when no head is seen.
    """
    if pose is None or pose.landmarks is None:
        return None
    h, w = shape[:2]
    pts = pixel_points(pose.landmarks, shape, mirror, min_visibility=0.3)
    head = np.array([pts[i] for i in _HEAD if pts[i] is not None], dtype=float)
    if len(head) == 0:
        return None
    shoulders = np.array([pts[i] for i in (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
                          if pts[i] is not None], dtype=float)

    def dist(a: Landmark, b: Landmark) -> float:
        pa, pb = pts[a], pts[b]
        return 0.0 if pa is None or pb is None else float(np.hypot(pa[0] - pb[0], pa[1] - pb[1]))

    size = max(dist(Landmark.LEFT_EAR, Landmark.RIGHT_EAR), 2.4 * dist(Landmark.LEFT_EYE, Landmark.RIGHT_EYE),
               0.4 * dist(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER), 0.02 * h)
    x0, x1 = head[:, 0].min() - 0.75 * size, head[:, 0].max() + 0.75 * size
    y0 = head[:, 1].min() - 1.1 * size
    if len(shoulders) == 2:
        x0 = min(x0, shoulders[:, 0].min() - 0.4 * size)
        x1 = max(x1, shoulders[:, 0].max() + 0.4 * size)
        y1 = shoulders[:, 1].max() + 0.5 * size
    else:
        # One shoulder or none in view: keep clear where they would be (about 1.3 head widths
        # to each side, 1.8 below the mouth).
        cx = float(np.median(head[:, 0]))
        x0, x1 = min(x0, cx - 1.4 * size), max(x1, cx + 1.4 * size)
        y1 = head[:, 1].max() + 2.0 * size
        if len(shoulders):
            x0, x1 = min(x0, shoulders[:, 0].min() - 0.4 * size), max(x1, shoulders[:, 0].max() + 0.4 * size)
            y1 = max(y1, shoulders[:, 1].max() + 0.5 * size)
    box = Box(int(max(0, x0)), int(max(0, y0)), int(min(w, np.ceil(x1))), int(min(h, np.ceil(y1))))
    return box if box.width > 0 and box.height > 0 else None


def _fit_scale(text: str, scale: float, thickness: int, width: int) -> float:
    """``scale``, or smaller so that ``text`` is at most ``width`` pixels wide."""
    tw = text_size(text, scale, thickness)[0] if text else 0
    return scale if tw <= width else scale * width / tw


def _layout_in(lines: Sequence[str], region: Box, s: float, *, title: str, footer: str, progress: bool,
               compact: float, min_body: float, align_bottom: bool) -> CardLayout | None:
    """The card laid out in ``region`` at spacing ``compact``, or None when its text would have
    to be smaller than ``min_body`` (times ``s``) to fit (``min_body`` 0: it always fits, cut
    at the region's end if it must)."""
    pad = max(2, int(30 * s * compact))
    title_h = pad + int(75 * s * compact)
    progress_h = int(110 * s * compact) if progress else 0
    # The footer is a hint: a tight card, or one too narrow for it at a readable size, leaves it out.
    with_footer = bool(footer) and compact >= 1.0 and _fit_scale(footer, 0.8 * s, 1, region.width - 2 * pad) >= 0.6 * s
    footer_h = int(85 * s) if with_footer else pad
    room_w = region.width - 2 * pad
    room_h = region.height - title_h - progress_h - footer_h
    if room_w <= 0 or room_h <= 0:
        return None
    body_scale, wrapped = fit_lines(lines, 0.95 * s * min(1.0, compact + 0.2), room_w, room_h)
    line_h = int(body_scale * 46)
    too_wide = max((text_size(part, body_scale, 1)[0] for p in wrapped for part in p), default=0) > room_w
    overflow = too_wide or line_h * sum(len(p) for p in wrapped) > room_h
    if min_body > 0.0 and (body_scale < min_body * s or overflow):
        return None
    # min_body 0: the default card, its text shrunk as far as it goes and cut at the region's end.
    height = min(region.height, title_h + line_h * sum(len(p) for p in wrapped) + progress_h + footer_h)
    y0 = region.y1 - height if align_bottom else region.y0
    return CardLayout(Box(region.x0, y0, region.x1, y0 + height), pad, _fit_scale(title, 1.5 * s * compact, 2, room_w),
                      title_h, body_scale, line_h, tuple(tuple(p) for p in wrapped), progress_h, with_footer, compact,
                      _fit_scale(footer, 0.8 * s, 1, room_w))


def place_card(lines: Sequence[str], shape: tuple[int, ...], s: float, *, title: str = "", footer: str = "",
               progress: bool = False, avoid: Box | None = None) -> CardLayout:
    """Where the card goes and how big its text is.

    Without ``avoid`` the card spans the width below the top bar, as tall as its content. With
    it, the card goes in the free band above, below, left or right of ``avoid`` that holds its
    text at the largest size; a tighter card is tried when none holds it full-size, and when the
    person fills the picture the card is a compact strip along the larger free edge.

    Args:
        lines: The card's body lines.
        title: Its title (shrunk to the card's width).
        footer: Its footer line, or "" (shrunk to the width; a tight card leaves it out).
        shape: The displayed image's shape.
        s: The frame's size scale (`coach.ui.drawing.scale_of`).
        progress: The card has a progress bar.
        avoid: What the card must not cover (`person_box`), or None.

    Returns:
        The layout; its ``rect`` is clear of ``avoid`` unless the picture has no room at all.
    """
    h, w = shape[:2]
    margin_x, top, bottom = int(70 * s), int(85 * s), h - int(60 * s)
    full = Box(margin_x, top, w - margin_x, bottom)
    kw = dict(title=title, footer=footer, progress=progress)
    laid = _layout_in(lines, full, s, compact=1.0, min_body=0.0, align_bottom=False, **kw)
    if avoid is None or (laid is not None and not laid.rect.intersects(avoid)):
        return laid if laid is not None else _strip(lines, Box(0, 0, w, h), s, **kw)
    gap, edge = max(2, int(12 * s)), max(2, int(16 * s))
    bands = [  # (region, placed at its bottom: away from the person)
        (Box(margin_x, top, w - margin_x, avoid.y0 - gap), False),
        (Box(margin_x, avoid.y1 + gap, w - margin_x, bottom), True),
        (Box(edge, top, avoid.x0 - gap, bottom), False),
        (Box(avoid.x1 + gap, top, w - edge, bottom), False),
    ]
    for compact in _COMPACTNESS:
        fits = [(lay, order) for order, (band, at_bottom) in enumerate(bands)
                if (lay := _layout_in(lines, band, s, compact=compact, min_body=_MIN_BODY_SCALE,
                                      align_bottom=at_bottom, **kw)) is not None]
        if fits:
            # The largest text wins; at equal size the band listed first (above the head: where
            # the card usually is, and still on screen when a tall window is cut by the screen).
            return max(fits, key=lambda fit: (round(fit[0].body_scale, 3), -fit[1]))[0]
    # No band holds the card: the largest free band (down to the image edge) gets a strip.
    edge_bands = [Box(0, int(62 * s), w, avoid.y0 - gap), Box(0, avoid.y1 + gap, w, h),
                  Box(0, int(62 * s), avoid.x0 - gap, h), Box(avoid.x1 + gap, int(62 * s), w, h)]
    band = max(edge_bands, key=lambda b: b.width * b.height)
    if band.width > 0 and band.height > 0 and (laid := _strip(lines, band, s, **kw)).wrapped:
        return laid
    # The person fills the picture: the first line (what to change, e.g. "move back") in a strip
    # along the top edge, over the crown, the part least needed to check one's position.
    return _strip(lines[:1], Box(0, 0, w, int(170 * s)), s, at_bottom=False, **kw)


def _strip(lines: Sequence[str], band: Box, s: float, *, title: str, footer: str, progress: bool,
           at_bottom: bool | None = None) -> CardLayout:
    """The last resort: a tight card in ``band`` (at its bottom unless it starts at the top
    edge, or as ``at_bottom`` says), its text shrunk to the floor and the lines that still do
    not fit left out (the first lines say what to change)."""
    compact = _COMPACTNESS[-1]
    keep = list(lines)
    while True:
        laid = _layout_in(keep, band, s, title=title, footer=footer, progress=progress, compact=compact,
                          min_body=_FLOOR_BODY_SCALE, align_bottom=band.y0 > 0 if at_bottom is None else at_bottom)
        if laid is not None or not keep:
            break
        keep = keep[:-1]
    if laid is not None:
        return laid
    # Not even the title fits: a title-only strip of the band's size.
    return CardLayout(band, max(2, int(8 * s)), _fit_scale(title, 0.8 * s, 2, band.width), max(1, band.height),
                      _FLOOR_BODY_SCALE * s, int(_FLOOR_BODY_SCALE * s * 46), (), 0, False, compact)
