"""`coach export --csv`: the range-of-motion tests of `coach measure` come out beside the exercise
sessions (median, trials, spread, reliability, pain, movement quality per direction)."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
from history_seed import store_report

from coach.cli import main
from coach.coaching.measure_report import DirectionResult, MeasureReport, Trial
from coach.store.history import DB_FILENAME, HistoryStore

SESSION = {"exercise": "neck-rotation", "reps": {"right": 1, "left": 0},
           "holds": [{"side": "right", "start_s": 2.0, "held_s": 6.0, "peak_deg": 55.0, "counted": True,
                      "peak_by_axis": {"yaw": 55.0}}]}
MEASURE_FILES = ("measurements.csv", "measurement_directions.csv", "measurement_trials.csv")
SESSION_FILES = ("sessions.csv", "holds.csv", "events.csv")


def _trial(value: float, *, steady: float = 0.4, tilt: float = 3.0, trunk: float = 2.0, hike: float = 0.5) -> Trial:
    return Trial(value, None, steady, {"roll": tilt, "pitch": 1.0}, trunk, hike)


def _tests() -> list[MeasureReport]:
    """A complete-looking test and a later one cut off by Ctrl-C in its second direction."""
    first = MeasureReport("2026-11-02T09:00:00+01:00", "camera 0", "completed", (
        DirectionResult("rotation-right", "measured", (_trial(60.0), _trial(64.0, tilt=5.0), _trial(62.0)),
                        pain=False, too_fast=1),
        DirectionResult("rotation-left", "measured", (_trial(55.0), _trial(57.0), _trial(58.0)), pain=True),
        DirectionResult("lateral-right", "unreliable", (Trial(None, "trunk-turned"),) * 3, "trunk-turned"),
        DirectionResult("extension", "skipped"),
    ))
    second = MeasureReport("2026-11-09T09:00:00+01:00", "clip.mp4", "interrupted", (
        DirectionResult("rotation-right", "measured", (_trial(66.0), _trial(65.0), _trial(67.0))),
        DirectionResult("rotation-left", "incomplete", (_trial(59.0),)),
        DirectionResult("retraction"),
    ))
    return [first, second]


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture()
def exported(tmp_path, capsys) -> Path:
    data = tmp_path / "data"
    with HistoryStore.open(data) as store:
        store_report(store, SESSION, started_at=datetime(2026, 11, 1, 8, tzinfo=timezone.utc), source="camera 0")
        for test in _tests():
            store.save_measurement(test)
    out = tmp_path / "out"
    assert main(["export", "--csv", str(out), "--data-dir", str(data)]) == 0
    printed = capsys.readouterr().out
    for name in SESSION_FILES + MEASURE_FILES:
        assert str(out / name) in printed
    return out


def test_the_sessions_are_still_exported(exported):
    assert [s["exercises"] for s in _rows(exported, "sessions.csv")] == ["neck-rotation"]
    assert [h["peak_yaw"] for h in _rows(exported, "holds.csv")] == ["55.0"]


def test_every_measure_test_and_direction_is_exported(exported):
    tests = _rows(exported, "measurements.csv")
    assert [(t["started_at"][:10], t["ended_by"], t["complete"]) for t in tests] == [
        ("2026-11-02", "completed", "1"), ("2026-11-09", "interrupted", "0")]
    assert tests[0]["rotation_arc_deg"] == "119.0" and tests[1]["rotation_arc_deg"] == "125.0"  # 62+57, 66+59
    assert tests[0]["lateral_flexion_arc_deg"] == "" and tests[0]["directions"].split()[-1] == "extension"

    dirs = _rows(exported, "measurement_directions.csv")
    assert len(dirs) == 7
    assert {d["measurement_id"] for d in dirs} == {t["measurement_id"] for t in tests}
    by = {(d["started_at"][:10], d["direction"]): d for d in dirs}
    right = by["2026-11-02", "rotation-right"]
    assert (right["median"], right["trials"], right["trial_values"], right["spread"]) == ("62.0", "3", "60 64 62", "4.0")
    assert (right["status"], right["reliable"], right["pain"], right["too_fast"], right["unit"]) == (
        "measured", "1", "0", "1", "deg")
    # Movement quality: steadiness, trunk turn and shoulder hike, and the tilt during the rotation.
    assert (right["steadiness"], right["trunk_turn_deg"], right["shoulder_hike_cm"], right["off_roll"]) == (
        "0.4", "2.0", "0.5", "3.0")
    assert by["2026-11-02", "rotation-left"]["pain"] == "1"
    unreliable = by["2026-11-02", "lateral-right"]
    assert (unreliable["reliable"], unreliable["reason"], unreliable["median"], unreliable["trials_measured"]) == (
        "0", "trunk-turned", "", "0")
    assert (by["2026-11-02", "extension"]["status"], by["2026-11-02", "extension"]["median"]) == ("skipped", "")
    cut = by["2026-11-09", "rotation-left"]  # the direction Ctrl-C interrupted keeps its one trial
    assert (cut["status"], cut["median"], cut["spread"]) == ("incomplete", "59.0", "")
    assert by["2026-11-09", "retraction"]["status"] == "not-tested"

    trials = _rows(exported, "measurement_trials.csv")
    assert len(trials) == 3 + 3 + 3 + 3 + 1
    second = next(t for t in trials if t["direction"] == "rotation-right" and t["trial"] == "2")
    assert (second["value"], second["off_roll"], second["steadiness"]) == ("64.0", "5.0", "0.4")
    assert sum(t["reason"] == "trunk-turned" and t["value"] == "" for t in trials) == 3


def test_the_export_matches_the_stored_json(exported, tmp_path):
    with HistoryStore.open(tmp_path / "data") as store:
        stored = [t.to_json() for t in store.measurements()]
    dirs = _rows(exported, "measurement_directions.csv")
    expected = [(d["direction"], d["status"], d["value"], d["spread"]) for t in stored for d in t["directions"]]
    got = [(d["direction"], d["status"], float(d["median"]) if d["median"] else None,
            float(d["spread"]) if d["spread"] else None) for d in dirs]
    assert got == expected


def test_an_empty_history_exports_the_headers_and_creates_no_database(tmp_path, capsys):
    data, out = tmp_path / "none", tmp_path / "out"
    assert main(["export", "--csv", str(out), "--data-dir", str(data)]) == 0
    assert not (data / DB_FILENAME).exists()
    for name in SESSION_FILES + MEASURE_FILES:
        lines = (out / name).read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1 and lines[0].startswith(("session_id", "measurement_id"))
