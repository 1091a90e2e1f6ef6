"""The measurement report: JSON round trip, this test against the last, and the HTML whose table
must say what the JSON says."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from test_measure import TRUE, Script, _flow

from coach.coaching.measure import EndTest
from coach.coaching.measure_report import (
    DIRECTIONS,
    DirectionResult,
    MeasureReport,
    Trial,
    compare,
)
from coach.coaching.measure_sources import DIRECTION_REFERENCE, SDC
from coach.ui.measure_html import parse_table, render_html, write_html


@pytest.fixture(scope="module")
def report() -> MeasureReport:
    s = Script(_flow())
    s.calibrate()
    for d in DIRECTIONS:
        for delta in (0.0, 2.0, -1.0):
            s.trial(d.id, TRUE[d.id] + delta * (0.1 if d.unit == "cm" else 1.0))
    return dataclasses.replace(s.of(EndTest)[0].report, started_at="2026-12-02T08:00:00+01:00", source="camera 0")


def _last(report: MeasureReport) -> MeasureReport:
    """An earlier test: rotation right 10 less, lateral left unreliable."""
    dirs = []
    for d in report.directions:
        if d.direction == "rotation-right":
            d = dataclasses.replace(d, trials=tuple(Trial(t.value - 10.0) for t in d.trials))
        if d.direction == "lateral-left":
            d = DirectionResult("lateral-left", "unreliable", (Trial(None, "trunk-turned"),) * 3, "trunk-turned")
        dirs.append(d)
    return dataclasses.replace(report, started_at="2026-11-25T08:00:00+01:00", directions=tuple(dirs))


def test_json_round_trip(report):
    again = MeasureReport.from_json(json.loads(json.dumps(report.to_json())))
    assert again.to_json() == report.to_json()
    with pytest.raises(ValueError):
        MeasureReport.from_json({"started_at": "x", "ended_by": "quit", "directions": [{"direction": "somersault",
                                                                                       "status": "measured"}]})


def test_change_against_the_last_test_and_the_sdc_is_not_invented(report):
    rows = {r.direction: r for r in compare(report, _last(report))}
    assert rows["rotation-right"].change == pytest.approx(10.0)
    assert rows["rotation-right"].beyond_sdc == ("not established" if SDC["rotation-right"] is None else "yes")
    assert rows["lateral-left"].last is None and rows["lateral-left"].beyond_sdc == "-"
    assert all(r.beyond_sdc in ("-", "not established") for r in rows.values())  # no camera-based SDC found
    assert {r.direction for r in compare(report, None)} == {d.id for d in DIRECTIONS}


def _num(cell: str) -> float | None:
    m = re.match(r"([+-]?\d+(?:\.\d+)?)", cell)
    return float(m.group(1)) if m else None


def test_the_html_table_says_what_the_json_says(report, tmp_path):
    last = _last(report)
    path = tmp_path / "report.html"
    write_html(path, report, last)
    text = path.read_text(encoding="utf-8")
    table = parse_table(text)
    data = {d["direction"]: d for d in report.to_json()["directions"]}
    before = {d["direction"]: d for d in last.to_json()["directions"]}
    assert set(table) == set(data)
    for direction, cells in table.items():
        label, this, trials, spread, last_cell, change, beyond, status, _pain = cells
        d = data[direction]
        assert label == d["label"] and status == "measured"
        assert _num(this) == pytest.approx(d["value"], abs=0.05)
        assert [float(v) for v in trials.split(", ")] == pytest.approx([t["value"] for t in d["trials"]], abs=0.05)
        assert _num(spread) == pytest.approx(d["spread"], abs=0.05)
        if before[direction]["value"] is None:
            assert last_cell == "-" and change == "-"
        else:
            assert _num(last_cell) == pytest.approx(before[direction]["value"], abs=0.05)
            assert _num(change) == pytest.approx(d["value"] - before[direction]["value"], abs=0.06)
        assert beyond in ("not established", "-")
    arcs = report.to_json()["arcs"]
    for arc, value in arcs.items():
        m = re.search(rf'<tr data-arc="{arc}"><td>[^<]*</td><td>([^<]*)</td>', text)
        assert m and _num(m.group(1)) == pytest.approx(value, abs=0.05)


def test_the_report_shows_sources_reference_labels_and_no_picture_of_the_person(report):
    text = render_html(report)
    images = re.findall(r'<img [^>]*src="([^"]{0,40})', text)
    assert len(images) == 5 and all(src.startswith("data:image/png;base64,") for src in images)
    assert "not a target" in text.lower() or "not targets" in text.lower()
    assert "Ademoyegun" in text and "19680100" in text and "not established" in text
    assert "not test-retest" in text
    assert all(d in DIRECTION_REFERENCE for d in ("flexion", "rotation-left", "lateral-right"))
    assert "Check with a physician" in text


def test_an_interrupted_report_says_so(report):
    cut = dataclasses.replace(report, ended_by="quit", directions=report.directions[:2] + tuple(
        DirectionResult(d.id) for d in DIRECTIONS[2:]))
    text = render_html(cut)
    assert "INCOMPLETE (ended: quit)" in text
    assert parse_table(text)["flexion"][7] == "not tested"
