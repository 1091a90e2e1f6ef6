"""Personal targets: suggestions from the history stay within the exercise file's safe range, and
profile files are validated with messages naming the file, the field and the allowed range."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.coaching.engine import HoldRecord
from coach.coaching.exercise import AXIS_LIMITS, load_exercise
from coach.errors import CoachError
from coach.store.history import HistoryStore
from coach.store.history_safe import NullHistory, SafeHistory
from coach.store.targets import choose_targets, load_profile, suggest_targets, targets_record

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
EXERCISES = ["neck-rotation", "lateral-flexion", "chin-tuck", "levator-scapulae"]


def _session(store: HistoryStore, day: int, exercise: str, holds: list[HoldRecord],
             targets: dict | None = None) -> None:
    sid = store.start_session(T0 + timedelta(days=day), "test")
    run = store.start_exercise(sid, exercise, targets or {})
    for h in holds:
        store.add_hold(run, h)
    store.end_session(sid, T0 + timedelta(days=day, minutes=10), "completed")


def _rot(side: str, peak: float, counted: bool = True) -> HoldRecord:
    sign = -1.0 if side == "left" else 1.0  # raw yaw of a left turn is negative
    return HoldRecord(side, 0.0, 6.0 if counted else 2.0, sign * peak, counted,
                      None if counted else "too-short", {"yaw": sign * peak})


def test_no_history_gives_the_file_targets(tmp_path):
    ex = load_exercise("neck-rotation")
    for store in (None, NullHistory(), HistoryStore.open(tmp_path)):
        s = suggest_targets(store, ex)
        assert s.source == "default" and s.thresholds == {"yaw": ex.targets[0].threshold}
        assert s.apply(ex) == ex


def test_suggestion_is_a_little_beyond_the_weaker_sides_median_of_recent_counted_holds(tmp_path):
    ex = load_exercise("neck-rotation")
    with HistoryStore.open(tmp_path) as store:
        # An old session with a huge range must not count: only the last 3 sessions do.
        _session(store, 0, "neck-rotation", [_rot("right", 85), _rot("left", 85)])
        right = [[62, 64, 66], [63, 65, 70], [61, 66, 68]]
        left = [[58, 60, 61], [57, 59, 64], [60, 62, 63]]
        for day, (r, lt) in enumerate(zip(right, left), start=1):
            holds = [_rot("right", p) for p in r] + [_rot("left", p) for p in lt]
            holds.append(_rot("left", 80, counted=False))  # uncounted: ignored
            _session(store, day, "neck-rotation", holds, {"yaw": 60.0})
        s = suggest_targets(store, ex)
    weaker = statistics.median([p for day in left for p in day])
    expected = round(weaker + max(1.0, 0.05 * weaker), 2)
    assert s.source == "history"
    assert s.thresholds["yaw"] == pytest.approx(expected)
    assert "left is the weaker side" in s.reason and "last 3 sessions" in s.reason
    applied = s.apply(ex)
    assert applied.targets[0].threshold == pytest.approx(expected)
    assert "file: 60" in s.describe()


def test_levator_band_stays_and_pitch_adapts_from_per_axis_peaks(tmp_path):
    ex = load_exercise("levator-scapulae")
    with HistoryStore.open(tmp_path) as store:
        holds = [HoldRecord(side, 0, 6, (45 if side == "right" else -45), True, None,
                            {"yaw": 45.0 if side == "right" else -45.0, "pitch": p})
                 for side, p in [("right", 30), ("right", 32), ("left", 28), ("left", 26)]]
        _session(store, 0, "levator-scapulae", holds)
        s = suggest_targets(store, ex)
    assert s.thresholds["yaw"] == ex.targets[0].threshold  # 45 +/- 15 band: not a range to grow
    assert s.thresholds["pitch"] == pytest.approx(27 + max(1.0, 0.05 * 27))


def test_only_uncounted_holds_ease_a_raised_target_back_but_not_below_the_file(tmp_path):
    ex = load_exercise("chin-tuck")  # file: 1.5 cm
    with HistoryStore.open(tmp_path) as store:
        _session(store, 0, "chin-tuck",
                 [HoldRecord("center", 0, 2, 2.0, False, "too-short")], {"retraction": 1.8})
        eased = suggest_targets(store, ex)
        _session(store, 1, "chin-tuck",
                 [HoldRecord("center", 0, 2, 1.5, False, "too-short")], {"retraction": 1.55})
        floor = suggest_targets(store, ex)
    assert eased.thresholds == {"retraction": pytest.approx(1.8 - 0.1)} and "no counted" in eased.reason
    assert floor.thresholds == {"retraction": 1.5}


def _ceiling(exercise, axis: str) -> float:
    target = next(t for t in exercise.targets if t.axis == axis)
    return target.max if target.max is not None else max(abs(v) for v in AXIS_LIMITS[axis])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    exercise_id=st.sampled_from(EXERCISES),
    peaks=st.lists(st.tuples(st.sampled_from(["right", "left", "center"]),
                             st.floats(0.0, 400.0, allow_nan=False), st.booleans()),
                   min_size=1, max_size=25),
)
def test_suggestions_never_exceed_the_safe_maximum(tmp_path_factory, exercise_id, peaks):
    ex = load_exercise(exercise_id)
    with HistoryStore.open(tmp_path_factory.mktemp("t")) as store:
        holds = [HoldRecord(side, 0, 6, p, counted, None, {t.axis: p for t in ex.targets})
                 for side, p, counted in peaks]
        _session(store, 0, exercise_id, holds)
        s = suggest_targets(store, ex)
    for t in ex.targets:
        value = s.thresholds[t.axis]
        floor = t.hysteresis + ex.neutral.limits().get(t.axis, 0.0)
        assert floor < value < _ceiling(ex, t.axis)
    s.apply(ex)  # the exercise model accepts it


# -- choosing: profile > adaptive > file --------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "profile.toml"
    p.write_text(text)
    return p


def test_choose_targets_precedence(tmp_path):
    ex = load_exercise("neck-rotation")
    with HistoryStore.open(tmp_path / "h") as store:
        _session(store, 0, "neck-rotation", [_rot("right", 70), _rot("left", 70)])
        plain = choose_targets(store, ex)
        adaptive = choose_targets(store, ex, adaptive=True)
        profile = load_profile(_write(tmp_path, "[targets.neck-rotation]\nyaw = 40\n"))
        fixed = choose_targets(store, ex, profile=profile, adaptive=True)
        chin = choose_targets(store, load_exercise("chin-tuck"), profile=profile)
    assert plain.thresholds == {"yaw": 60.0} and "--adaptive" in plain.reason
    assert adaptive.thresholds == {"yaw": 73.5}
    assert fixed.source == "profile" and fixed.thresholds == {"yaw": 40.0}
    assert fixed.apply(ex).targets[0].threshold == 40.0
    assert targets_record(fixed.apply(ex)) == {"yaw": 40.0}
    assert chin.source == "default"


def test_safe_history_that_failed_gives_defaults(tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("x")
    safe = SafeHistory.open(blocker / "d")
    assert suggest_targets(safe, load_exercise("chin-tuck")).source == "default"


# -- profile validation -------------------------------------------------------------------------


@pytest.mark.parametrize("text,match", [
    ("[targets.neck-rotation]\nyaw = 95\n",
     r"targets\.neck-rotation\.yaw: got 95; allowed: 20 < yaw < 90 deg"),
    ("[targets.neck-rotation]\nyaw = 10\n", r"targets\.neck-rotation\.yaw: got 10; allowed: 20 < yaw"),
    ("[targets.levator-scapulae]\nyaw = 65\n", r"levator-scapulae\.yaw: got 65; allowed: 19 < yaw < 60"),
    ("[targets.chin-tuck]\nretraction = 6\n", r"chin-tuck\.retraction: got 6; allowed: 0.9 < retraction < 5 cm"),
    ("[targets.chin-tuck]\nyaw = 40\n", r"chin-tuck\.yaw: chin-tuck has no yaw target; allowed: retraction"),
    ("[targets.neck-rotation]\ntilt = 40\n", r"targets\.neck-rotation\.tilt: unknown axis; allowed: yaw, roll"),
    ("[targets.neck-rotation]\nyaw = -5\n", r"targets\.neck-rotation\.yaw: got -5.*> 0"),
    ("[targets.neck-rotation]\nyaw = nan\n", r"targets\.neck-rotation\.yaw: got nan"),
    ('[targets.neck-rotation]\nyaw = "far"\n', r"targets\.neck-rotation\.yaw"),
    ("[targets.shoulder-rolls]\nyaw = 40\n", r"targets\.shoulder-rolls: unknown exercise 'shoulder-rolls'; known: "),
    ("adaptive = true\n", r": adaptive: unknown field; allowed: targets"),
    ("[targets.neck-rotation\nyaw = 40\n", r"TOML syntax error"),
])
def test_profile_errors_name_file_field_and_range(tmp_path, text, match):
    path = _write(tmp_path, text)
    with pytest.raises(CoachError, match=match) as info:
        load_profile(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_profile_missing_and_default_location(tmp_path, monkeypatch):
    with pytest.raises(CoachError, match="profile not found"):
        load_profile(tmp_path / "nope.toml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert load_profile() is None  # no default profile: none, not an error
    default = tmp_path / "cfg" / "neck-coach" / "profile.toml"
    default.parent.mkdir(parents=True)
    default.write_text("[targets.lateral-flexion]\nroll = 20\n")
    assert load_profile().thresholds_for("lateral-flexion") == {"roll": 20.0}
