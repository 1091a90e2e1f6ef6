"""`coach progress`: statistics from a seeded multi-week history, checked against an independent
computation of the same numbers, and the chart file."""

from __future__ import annotations

import random
import statistics
import struct
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from history_seed import store_report

from coach.cli import main
from coach.store.history import HistoryStore
from coach.store.progress import compute_progress, format_progress
from coach.store.progress_plot import plot_progress

START = datetime(2026, 9, 7, 7, 30, tzinfo=timezone(timedelta(hours=2)))  # a Monday
#: Session days (offsets from START) over six weeks; week 4 (days 21-27) is skipped on purpose.
SESSION_DAYS = [0, 2, 4, 7, 9, 11, 12, 14, 16, 28, 30, 33, 35, 37, 39, 40]


def _holds(side: str, base: float, n: int, rng: random.Random, axis_key: str,
           main_sign: float = 1.0) -> list[dict]:
    holds = []
    for i in range(n):
        peak = base + rng.uniform(-3, 3) if axis_key != "retraction" else base + rng.uniform(-0.2, 0.2)
        counted = i % 5 != 4  # every fifth hold is cut short and must not count
        holds.append({"side": side, "start_s": 10.0 * i, "held_s": 6.0 if counted else 3.0,
                      "peak_deg": main_sign * peak, "counted": counted,
                      "fault": None if counted else "too-short",
                      # a large uncounted peak would change max/median if it were used
                      "peak_by_axis": {axis_key: main_sign * (peak if counted else peak + 40)}})
        if not counted:
            holds[-1]["peak_deg"] = main_sign * (peak + 40)
    return holds


def seed_history(store: HistoryStore, seed: int = 7) -> None:
    """Six weeks of routines: ranges grow week by week, the left side lags the right."""
    rng = random.Random(seed)
    for k, day in enumerate(SESSION_DAYS):
        gain = day / 7.0
        sections = []
        rot = (_holds("right", 55 + 2.0 * gain, 10, rng, "yaw")
               + _holds("left", 48 + 2.5 * gain, 10, rng, "yaw", -1.0))
        sections.append({"exercise": "neck-rotation", "reps": {"right": 8, "left": 8}, "holds": rot,
                         "safety_events": [{"t_s": 50.0, "kind": "head-circle"}] if k == 3 else [],
                         "faults": [], "tracking_lost_s": 0.0})
        lat = _holds("right", 28 + gain, 10, rng, "roll") + _holds("left", 26 + gain, 10, rng, "roll", -1.0)
        sections.append({"exercise": "lateral-flexion", "reps": {"right": 8, "left": 8}, "holds": lat,
                         "safety_events": [], "faults": [], "tracking_lost_s": 0.0})
        chin = _holds("center", 1.6 + 0.1 * gain, 10, rng, "retraction")
        sections.append({"exercise": "chin-tuck", "reps": {"center": 8}, "holds": chin,
                         "safety_events": [], "faults": [], "tracking_lost_s": 0.0})
        lev = []
        for side, base in (("right", 24 + gain), ("left", 22 + gain)):
            for h in _holds(side, base, 10, rng, "pitch"):
                # main peak is yaw (the 45-degree band); the range grows on pitch
                h["peak_deg"] = (45 if side == "right" else -45) + rng.uniform(-5, 5)
                lev.append(h)
        sections.append({"exercise": "levator-scapulae", "reps": {"right": 8, "left": 8},
                         "holds": lev, "safety_events": [], "faults": [], "tracking_lost_s": 0.0})
        started = START + timedelta(days=day, minutes=rng.randint(-60, 600))
        store_report(store, {"exercises": sections}, started_at=started, source="seed",
                          ended_at=started + timedelta(minutes=25))


@pytest.fixture
def seeded(tmp_path) -> Path:
    with HistoryStore.open(tmp_path) as store:
        seed_history(store)
    return tmp_path


def _expected_points(data_dir: Path, exercise: str, key: str) -> list[tuple[date, dict]]:
    """Recompute per-session max/median of counted holds straight from the database rows."""
    import json
    import sqlite3

    conn = sqlite3.connect(data_dir / "history.sqlite3")
    rows = conn.execute(
        "SELECT s.started_at, h.side, h.peak_deg, h.peak_by_axis, h.counted FROM holds h "
        "JOIN exercise_runs r ON r.id = h.run_id JOIN sessions s ON s.id = r.session_id "
        "WHERE r.exercise_id = ? ORDER BY s.started_utc", (exercise,)).fetchall()
    conn.close()
    by_day: dict[str, dict[str, list[float]]] = {}
    for started, side, peak, by_axis, counted in rows:
        if counted:
            value = json.loads(by_axis)[key] if key else peak
            by_day.setdefault(started, {}).setdefault(side, []).append(abs(value))
    return [
        (datetime.fromisoformat(d).date(),
         {side: (max(v), statistics.median(v), len(v)) for side, v in sides.items()})
        for d, sides in by_day.items()
    ]


@pytest.mark.parametrize("exercise,key", [
    ("neck-rotation", ""), ("lateral-flexion", ""), ("chin-tuck", ""), ("levator-scapulae", "pitch"),
])
def test_range_of_motion_per_session_and_side(seeded, exercise, key):
    with HistoryStore.open(seeded) as store:
        report = compute_progress(store.sessions())
    [ex] = [e for e in report.exercises if e.exercise_id == exercise]
    expected = _expected_points(seeded, exercise, key)
    assert len(ex.points) == len(SESSION_DAYS) == len(expected)
    for point, (day, sides) in zip(ex.points, expected):
        assert point.day == day
        got = {s: (st.max, st.median, st.counted) for s, st in point.by_side.items()}
        # pytest.approx does not take nested containers (newer pytest raises): compare per side.
        assert got.keys() == sides.keys()
        for side, (max_v, median_v, counted) in sides.items():
            assert got[side][:2] == pytest.approx((max_v, median_v))
            assert got[side][2] == counted
        if "left" in sides:
            assert point.symmetry == pytest.approx(sides["left"][1] / sides["right"][1])
    assert ex.axis.axis == {"neck-rotation": "yaw", "lateral-flexion": "roll", "chin-tuck": "retraction",
                            "levator-scapulae": "pitch"}[exercise]


def test_adherence_counts_sessions_per_week_with_empty_weeks(seeded):
    with HistoryStore.open(seeded) as store:
        report = compute_progress(store.sessions(), until=date(2026, 10, 26))
    # Count by hand from the seed: local session dates -> their Monday.
    days = []
    with HistoryStore.open(seeded) as store:
        days = [s.started_at.date() for s in store.sessions()]
    first = min(days) - timedelta(days=min(days).weekday())
    expected = {}
    for i in range(8):  # 7 Sep .. the week of 26 Oct
        monday = first + timedelta(days=7 * i)
        expected[monday] = sum(1 for d in days if monday <= d < monday + timedelta(days=7))
    assert {w.monday: w.sessions for w in report.weeks} == expected
    assert 0 in expected.values()  # the skipped week shows as a zero, not as nothing
    assert report.sessions_per_week == pytest.approx(len(SESSION_DAYS) / 8)


def test_filter_by_exercise(seeded):
    with HistoryStore.open(seeded) as store:
        store_report(store, {"exercise": "chin-tuck", "reps": {"center": 1}, "safety_events": [],
                           "faults": [], "tracking_lost_s": 0,
                           "holds": [{"side": "center", "start_s": 0, "held_s": 6, "peak_deg": 2.2,
                                      "counted": True}]},
                          started_at=START + timedelta(days=41), source="x")
        report = compute_progress(store.sessions(), exercise_id="neck-rotation")
        chin = compute_progress(store.sessions(), exercise_id="chin-tuck")
    assert [e.exercise_id for e in report.exercises] == ["neck-rotation"]
    assert sum(w.sessions for w in report.weeks) == len(SESSION_DAYS)
    assert sum(w.sessions for w in chin.weeks) == len(SESSION_DAYS) + 1


def test_text_shows_the_numbers(seeded):
    with HistoryStore.open(seeded) as store:
        report = compute_progress(store.sessions())
    text = format_progress(report)
    expected = _expected_points(seeded, "neck-rotation", "")
    last_day, last = expected[-1]
    assert f"{last_day.isoformat()}" in text
    assert f"{last['right'][0]:.1f} / {last['right'][1]:.1f} ({last['right'][2]})" in text
    first_right = expected[0][1]["right"][1]
    assert f"right median: {first_right:.1f} -> {last['right'][1]:.1f} deg" in text
    assert f"Adherence: {len(SESSION_DAYS) / 6:.1f} sessions per week over 6 week(s)" in text


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", data[16:24])


def test_plot_from_seeded_history(seeded, tmp_path, capsys):
    out = tmp_path / "p.png"
    assert main(["progress", "--data-dir", str(seeded), "--plot", str(out)]) == 0
    width, height = _png_size(out)
    # 4 exercise rows + adherence: a tall, wide figure, not a thumbnail
    assert width >= 1000 and height >= 1200
    assert out.stat().st_size > 50_000  # lines, labels and bars, not an empty canvas
    printed = capsys.readouterr().out
    assert "Neck rotations" in printed and "Adherence" in printed and str(out) in printed
    assert "Suggested next targets" in printed and "Neck rotations, side to side: Targets: yaw" in printed


def test_plot_needs_sessions(tmp_path):
    with HistoryStore.open(tmp_path) as store:
        report = compute_progress(store.sessions())
    assert "No sessions" in format_progress(report)
    with pytest.raises(Exception, match="nothing to plot"):
        plot_progress(report, tmp_path / "p.png")
