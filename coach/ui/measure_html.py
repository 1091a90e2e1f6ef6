"""The range-of-motion report a person can hand over: one self-contained HTML file (charts drawn
with matplotlib on an Agg canvas, embedded as base64 PNG; no image of the person anywhere).

Sections: the results table (this test, trials and their spread, the last test, the change and
whether it is beyond a published smallest detectable change), the total arcs, left/right
symmetry, movement quality, one chart per axis with reference values of healthy adults
(labelled as such, never as targets), the notes and the sources. matplotlib is imported when a
report is written, not when the command starts.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

from coach.coaching.measure_report import (
    ARCS,
    DIRECTION_BY_ID,
    PAIRS,
    ChangeRow,
    MeasureReport,
    compare,
)
from coach.coaching.measure_sources import (
    ALL_SOURCES,
    ARC_REFERENCE,
    DIRECTION_REFERENCE,
    SDC_SEARCH_NOTE,
)
from coach.outputs import write_text
from coach.texts import SAFETY_TEXT

ROBUSTNESS_NOTE = (
    "Accuracy: on rendered people with exact head angles, played as this test asks, turns up to "
    "45 deg, side bends to 45 and nods to 40 read within 4 deg (one character's chin-down 40 read "
    "34); turns of 80-90 deg read 70-82, chin-down 60 read 24-47 and look-up 70 read 59-86, and the "
    "chin retraction reading does not yet follow a real tuck. On a real recording the readings "
    "changed by at most 2 deg when the same clip was re-encoded at another size and brightness and "
    "shifted in the picture: that is robustness to the camera picture, not test-retest "
    "reliability of a person measured twice."
)
STATUS_TEXT = {"measured": "measured", "incomplete": "incomplete (test stopped)", "unreliable": "unreliable",
               "skipped": "skipped", "pain": "stopped: pain", "not-tested": "not tested"}
REASON_TEXT = {"face-not-visible": "face not visible", "shoulders-not-visible": "shoulders out of view",
               "no-person": "no one in view", "low-confidence": "tracking unsure",
               "trunk-turned": "the trunk turned with the head", "no-steady-hold": "no steady hold",
               "not-back-to-neutral": "did not come back to the middle"}


def _fmt(value: float | None, unit: str, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    nd = 1
    text = f"{value:+.{nd}f}" if signed else f"{value:.{nd}f}"
    return f"{text} {'deg' if unit == 'deg' else 'cm'}"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def axis_charts(report: MeasureReport, last: MeasureReport | None) -> list[tuple[str, str]]:
    """(title, base64 PNG) per axis: this test (and the last) per direction, with the reference
    mean +- SD of healthy adults as a grey band; and the total arcs with age-group references."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    charts = []
    groups = (("Rotation", ("rotation-right", "rotation-left")),
              ("Lateral flexion", ("lateral-right", "lateral-left")),
              ("Flexion and extension", ("flexion", "extension")),
              ("Chin retraction", ("retraction",)))
    for title, ids in groups:
        ids = [i for i in ids if report.direction(i) is not None]
        if not ids:
            continue
        fig = Figure(figsize=(7.5, 0.9 + 0.9 * len(ids)), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ys = list(range(len(ids)))[::-1]
        unit = DIRECTION_BY_ID[ids[0]].unit
        for y, i in zip(ys, ids):
            ref = DIRECTION_REFERENCE.get(i)
            if ref is not None:
                ax.barh(y, 2 * ref.sd, left=ref.mean - ref.sd, height=0.9, color="#e6e6e6", zorder=0,
                        edgecolor="#bbbbbb", hatch="//",
                        label="reference value (healthy young adults, goniometer): mean \u00b1 SD, not a target"
                        if y == ys[0] else None)
                ax.plot([ref.mean] * 2, [y - 0.4, y + 0.4], color="#888888", linewidth=1, zorder=1)
            now, before = report.value(i), (last.value(i) if last is not None else None)
            if before is not None:
                ax.barh(y + 0.18, before, height=0.3, color="#9ecae1", zorder=2,
                        label="last test" if y == ys[0] else None)
            if now is not None:
                ax.barh(y - 0.12, now, height=0.36, color="#1f77b4", zorder=3,
                        label="this test" if y == ys[0] else None)
                ax.text(now, y - 0.12, f"  {now:.1f}", va="center", fontsize=9, zorder=4)
            else:
                ax.text(0.5, y, "  " + STATUS_TEXT.get(report.direction(i).status, ""), va="center",
                        fontsize=9, color="#a00000")
        ax.set_yticks(ys, [DIRECTION_BY_ID[i].label for i in ids])
        ax.set_xlabel("degrees" if unit == "deg" else "cm")
        ax.set_xlim(0, max(10.0 if unit == "deg" else 5.0, *(v * 1.2 for v in
                           [report.value(i) or 0 for i in ids] + [(last.value(i) or 0) if last else 0 for i in ids])))
        if unit == "deg":
            ax.set_xlim(0, max(ax.get_xlim()[1], 60.0))
        ax.set_title(title, fontsize=12, loc="left")
        ax.grid(axis="x", alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, fontsize=8, loc="outside lower center", ncols=3, frameon=False)
        charts.append((title, _png(fig)))

    arcs = report.arcs()
    fig = Figure(figsize=(7.5, 2.8), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    names = list(ARCS)
    for y, name in zip(range(len(names))[::-1], names):
        refs = ARC_REFERENCE.get(name, ())
        if refs:
            lo, hi = min(r.arc_deg for r in refs), max(r.arc_deg for r in refs)
            ax.barh(y + 0.22, max(hi - lo, 1.0), left=lo, height=0.3, color="#cccccc", zorder=0)
            ax.text(lo - 2, y + 0.22, f"reference {lo:.0f}-{hi:.0f} (ages {refs[0].ages.split('-')[0]}-"
                    f"{refs[-1].ages.split('-')[1]})", fontsize=7, ha="right", va="center", color="#555555")
        if arcs[name] is not None:
            ax.barh(y - 0.1, arcs[name], height=0.4, color="#1f77b4")
            ax.text(arcs[name], y - 0.1, f"  {arcs[name]:.0f}", va="center", fontsize=9)
    ax.set_yticks(range(len(names))[::-1], [n.replace("-", " ") for n in names])
    ax.set_xlim(0, 175)
    ax.set_xlabel("degrees (whole arc)")
    ax.set_title("Total arcs (grey: reference means of healthy females by age group, not targets)",
                 fontsize=11, loc="left")
    ax.grid(axis="x", alpha=0.3)
    charts.append(("Total arcs", _png(fig)))
    return charts


def _row(row: ChangeRow, report: MeasureReport) -> str:
    d = report.direction(row.direction)
    unit = d.spec.unit
    trials = ", ".join(_fmt(v, unit).split()[0] for v in d.values) or "-"
    spread = _fmt(d.spread, unit)
    status = STATUS_TEXT.get(d.status, d.status)
    if d.reason and d.value is None:
        status += f": {REASON_TEXT.get(d.reason, d.reason)}"
    pain = {True: "yes", False: "no", None: "-"}[d.pain]
    cells = (d.spec.label, _fmt(row.this, unit), trials, spread, _fmt(row.last, unit),
             _fmt(row.change, unit, signed=True), row.beyond_sdc, status, pain)
    tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
    return f'<tr data-direction="{html.escape(row.direction)}">{tds}</tr>'


def _quality(report: MeasureReport) -> str:
    items = []
    names = {"steadiness": ("hold steadiness (SD)", "deg"), "off_roll": ("tilt (roll) during it", "deg"),
             "off_yaw": ("turn (yaw) during it", "deg"), "off_pitch": ("nod (pitch) during it", "deg"),
             "trunk_turn_deg": ("trunk turn", "deg"), "shoulder_hike_cm": ("shoulder hike", "cm")}
    for d in report.directions:
        q = d.quality()
        if not q:
            continue
        parts = [f"{names[k][0]} {_fmt(v, names[k][1])}" for k, v in q.items()
                 if k in names and k != "shoulder_hike_cm"]
        hike = q.get("shoulder_hike_cm")
        if hike is not None:
            # A shoulder lower than at neutral is no hike (and the model's shoulders wander
            # by about a centimetre at rest).
            parts.append(f"shoulder hike {_fmt(hike, 'cm')}" if hike > 0.5 else "no shoulder hike seen")
        if d.too_fast:
            parts.append(f"too fast {d.too_fast}x")
        if d.circles:
            parts.append(f"head circles stopped {d.circles}x")
        items.append(f"<li><b>{html.escape(d.spec.label)}</b>: {html.escape('; '.join(parts))}</li>")
    return "<ul>" + "".join(items) + "</ul>" if items else "<p>No measured direction.</p>"


def render_html(report: MeasureReport, last: MeasureReport | None = None) -> str:
    """The whole report as one HTML document."""
    rows = compare(report, last)
    arcs, sym = report.arcs(), report.symmetry()
    last_arcs = last.arcs() if last is not None else {}
    def arc_change(a: str) -> float | None:
        return arcs[a] - last_arcs[a] if arcs[a] is not None and last_arcs.get(a) is not None else None

    arc_rows = "".join(
        f'<tr data-arc="{a}"><td>{a.replace("-", " ")}</td><td>{_fmt(arcs[a], "deg")}</td>'
        f'<td>{_fmt(last_arcs.get(a), "deg")}</td>'
        f'<td>{_fmt(arc_change(a), "deg", signed=True)}</td></tr>'
        for a in ARCS)
    sym_items = []
    for pair in PAIRS:
        s = sym[pair]
        if s is None:
            sym_items.append(f"<li>{pair.replace('-', ' ')}: not both sides measured</li>")
        else:
            sym_items.append(f"<li>{pair.replace('-', ' ')}: right {s['right']:.1f}, left {s['left']:.1f} deg; "
                             f"left minus right {s['difference']:+.1f} deg (left/right {s['ratio']:.2f})</li>")
    charts = "".join(f'<figure><img alt="{html.escape(t)} chart" src="data:image/png;base64,{b}"></figure>'
                     for t, b in axis_charts(report, last))
    state = "complete" if report.complete else f"INCOMPLETE (ended: {report.ended_by})"
    last_line = f"Last test: {html.escape(last.started_at)}" if last is not None else "No earlier test in the history."
    sources = "".join(f"<li><b>{html.escape(s.key)}</b>: {html.escape(s.citation)} ({html.escape(s.instrument)}; "
                      f"{html.escape(s.group)}). <a href=\"{html.escape(s.url)}\">{html.escape(s.url)}</a></li>"
                      for s in ALL_SOURCES)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in (
        "All values are relative to your own neutral (calibrated at the start), in the direction's "
        "own sense. Each direction's value is the median of its trials; a trial's value is the median "
        "over one second held still, not a momentary peak. The spread is the largest minus the "
        "smallest trial of this test.",
        SDC_SEARCH_NOTE, ROBUSTNESS_NOTE,
        "Reference values are what healthy adults measured with other instruments; they are not "
        "targets. Move only as far as is comfortable.", *report.notes))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Neck range of motion - {html.escape(report.started_at)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; font-size: 0.95rem; }}
th {{ background: #f0f4f8; }}
.safety {{ border-left: 4px solid #c00; padding: 0.3rem 0.8rem; background: #fff5f5; }}
figure {{ margin: 0.5rem 0; }} img {{ max-width: 100%; }}
.small {{ font-size: 0.85rem; color: #555; }}
</style></head><body>
<h1>Neck range of motion</h1>
<p>Test of {html.escape(report.started_at)} ({html.escape(report.source)}): <b>{html.escape(state)}</b>. {last_line}</p>
<div class="safety">{"".join(f"<p>{html.escape(t)}</p>" for t in SAFETY_TEXT)}</div>
<h2>Results per direction</h2>
<table id="directions"><thead><tr><th>Direction</th><th>This test</th><th>Trials</th><th>Spread of trials</th>
<th>Last test</th><th>Change</th><th>Beyond detectable change?</th><th>Status</th><th>Pain</th></tr></thead>
<tbody>{"".join(_row(r, report) for r in rows)}</tbody></table>
<h2>Total arcs</h2>
<table id="arcs"><thead><tr><th>Arc</th><th>This test</th><th>Last test</th><th>Change</th></tr></thead>
<tbody>{arc_rows}</tbody></table>
<h2>Left/right symmetry</h2><ul>{"".join(sym_items)}</ul>
<h2>Movement quality</h2>{_quality(report)}
<h2>Charts</h2>{charts}
<h2>Notes</h2><ul class="small">{notes}</ul>
<h2>Sources</h2><ul class="small">{sources}</ul>
</body></html>
"""


def write_html(path, report: MeasureReport, last: MeasureReport | None = None) -> None:
    """Write the report atomically (whole or not at all)."""
    write_text(path, render_html(report, last), "--report")


def parse_table(text: str) -> dict[str, list[str]]:
    """The directions table of a written report: ``{direction id: cells}`` (tests, scripts)."""
    from html.parser import HTMLParser

    class _P(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: dict[str, list[str]] = {}
            self._row: str | None = None
            self._cell: list[str] | None = None

        def handle_starttag(self, tag, attrs) -> None:
            a = dict(attrs)
            if tag == "tr" and "data-direction" in a:
                self._row = a["data-direction"]
                self.rows[self._row] = []
            elif tag == "td" and self._row is not None:
                self._cell = []

        def handle_endtag(self, tag) -> None:
            if tag == "td" and self._cell is not None and self._row is not None:
                self.rows[self._row].append("".join(self._cell).strip())
                self._cell = None
            elif tag == "tr":
                self._row = None

        def handle_data(self, data) -> None:
            if self._cell is not None:
                self._cell.append(data)

    p = _P()
    p.feed(text)
    return p.rows


__all__: Sequence[str] = ("axis_charts", "parse_table", "render_html", "write_html")
