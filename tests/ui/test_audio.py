"""Sound cues: the event->cue table, order, cooldown, mute, non-blocking, and silent fallback."""

from __future__ import annotations

import io
import os
import sys
import threading

import numpy as np
import pytest

from coach.coaching.engine import Event, EventKind
from coach.ui.audio import (
    EVENT_CUES,
    AudioCues,
    Cue,
    FakeBackend,
    NullBackend,
    SoundDeviceBackend,
    cue_waveform,
    make_audio,
)


def _play(events, **kw) -> list[Cue]:
    """Feed events one at a time, letting the worker catch up like real-time frames would."""
    backend = FakeBackend()
    with AudioCues(backend, **kw) as audio:
        for ev in events:
            audio.handle_events([ev])
            audio.wait_idle()
    return backend.cues


def test_every_key_moment_has_its_own_cue():
    required = {
        EventKind.HOLD_STARTED, EventKind.HOLD_TICK, EventKind.HOLD_MIN_REACHED, EventKind.HOLD_RELEASE,
        EventKind.REP_COUNTED, EventKind.WRONG_SIDE, EventKind.FAULT, EventKind.SAFETY_STOP,
    }
    assert required <= set(EVENT_CUES)
    cues = [EVENT_CUES[k] for k in required]
    assert len(set(cues)) == len(cues), "each key moment must sound different"


def test_waveforms_are_distinct_and_in_range():
    waves = {cue: cue_waveform(cue) for cue in Cue}
    for cue, w in waves.items():
        assert w.dtype == np.float32 and w.ndim == 1 and len(w) > 100, cue
        assert np.all(np.isfinite(w)) and np.abs(w).max() <= 1.0, cue
    # Pairwise distinct: different length or clearly different content.
    items = list(waves.items())
    for i, (a, wa) in enumerate(items):
        for b, wb in items[i + 1:]:
            n = min(len(wa), len(wb))
            assert len(wa) != len(wb) or np.abs(wa[:n] - wb[:n]).mean() > 0.01, (a, b)
    # The tick is soft; STOP is the loudest alarm.
    assert np.abs(waves[Cue.TICK]).max() < 0.5 * np.abs(waves[Cue.HOLD_MIN]).max()
    assert np.sqrt(np.mean(waves[Cue.STOP] ** 2)) >= max(
        np.sqrt(np.mean(w ** 2)) for c, w in waves.items() if c is not Cue.STOP)


def test_cues_in_event_order_for_a_hold():
    evs = [
        Event(EventKind.HOLD_STARTED, 1000, side="right"),
        Event(EventKind.HOLD_TICK, 2000, value=1.0),
        Event(EventKind.HOLD_TICK, 3000, value=2.0),
        Event(EventKind.HOLD_TICK, 4000, value=3.0),
        Event(EventKind.HOLD_TICK, 5000, value=4.0),
        Event(EventKind.HOLD_MIN_REACHED, 6000),
        Event(EventKind.HOLD_TICK, 6000, value=5.0),
        Event(EventKind.HOLD_DONE, 7500),  # no sound of its own
        Event(EventKind.REP_COUNTED, 8500, side="right"),
        Event(EventKind.WRONG_SIDE, 10000, side="right"),
        Event(EventKind.SAFETY_STOP, 12000, fault="head-circle"),
    ]
    assert _play(evs) == [
        Cue.HOLD_STARTED, Cue.TICK, Cue.TICK, Cue.TICK, Cue.TICK, Cue.HOLD_MIN, Cue.TICK, Cue.REP,
        Cue.WRONG_SIDE, Cue.STOP,
    ]


@pytest.mark.parametrize("gap_ms,expected", [(500, 1), (1500, 1), (3000, 2)])
def test_cooldown_keeps_repeated_faults_from_piling_up(gap_ms, expected):
    evs = [Event(EventKind.FAULT, 10_000, message="Keep your chin level"),
           Event(EventKind.FAULT, 10_000 + gap_ms, message="Keep your chin level")]
    assert _play(evs) == [Cue.FAULT] * expected


def test_mute_silences_and_toggles_back():
    backend = FakeBackend()
    with AudioCues(backend, muted=True) as audio:
        audio.handle_events([Event(EventKind.REP_COUNTED, 1000)])
        audio.wait_idle()
        assert audio.toggle_mute() is False
        audio.handle_events([Event(EventKind.REP_COUNTED, 5000)])
    assert backend.cues == [Cue.REP]


def test_voice_passes_the_event_message_and_words():
    backend = FakeBackend()
    with AudioCues(backend, voice=True) as audio:
        for ev in (Event(EventKind.FAULT, 0, message="Keep your chin level"),
                   Event(EventKind.HOLD_TICK, 1000), Event(EventKind.REP_COUNTED, 2000)):
            audio.handle_events([ev])
            audio.wait_idle()
    assert backend.played == [(Cue.FAULT, "Keep your chin level"), (Cue.TICK, None), (Cue.REP, "Rep")]


class _BlockingBackend(FakeBackend):
    """Holds every play until the test releases it, like a slow sound device."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.busy = threading.Event()

    def play(self, cue, waveform, text):
        self.busy.set()
        assert self.release.wait(10), "test never released the backend"
        super().play(cue, waveform, text)


def test_queueing_never_waits_for_the_sound_device_and_stop_skips_stale_cues():
    backend = _BlockingBackend()
    audio = AudioCues(backend)
    # All of these return while the device is still busy with the first cue.
    audio.handle_events([Event(EventKind.HOLD_STARTED, 0)])
    assert backend.busy.wait(10)  # the device is now playing the first cue
    audio.handle_events([Event(EventKind.FAULT, 100)])
    audio.handle_events([Event(EventKind.HOLD_TICK, 1000)])  # dropped: the worker is behind
    audio.handle_events([Event(EventKind.WRONG_SIDE, 1200)])
    audio.handle_events([Event(EventKind.SAFETY_STOP, 1300, fault="head-circle")])
    assert backend.cues == []  # nothing played yet: the calls above did not block
    backend.release.set()
    audio.close()
    # The first cue was already playing; STOP dropped the stale FAULT/WRONG_SIDE behind it.
    assert backend.cues == [Cue.HOLD_STARTED, Cue.STOP]


def test_no_portaudio_falls_back_to_silence_with_one_warning(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # makes `import sounddevice` fail
    warn = io.StringIO()
    audio = make_audio(mute=False, voice=False, warn=warn)
    try:
        assert isinstance(audio.backend, NullBackend)
        assert audio.handle_events([Event(EventKind.REP_COUNTED, 0)]) == [Cue.REP]
    finally:
        audio.close()
    lines = warn.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning:") and "PortAudio" in lines[0]


def test_no_output_device_falls_back_to_silence_with_the_real_sounddevice():
    """The real sounddevice and PortAudio (CI installs libportaudio2): on a machine without an
    output device, as CI's containers are, the coach goes silent after one warning line; with
    a device it plays through it without a word."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"sounddevice/PortAudio must load under CI: {exc}", pytrace=False)
        pytest.skip(f"no PortAudio here: {exc}")
    try:
        outputs = sum(1 for d in sd.query_devices() if d["max_output_channels"] > 0)
    except sd.PortAudioError:
        outputs = 0
    warn = io.StringIO()
    audio = make_audio(mute=False, voice=False, warn=warn)
    audio.close()
    if outputs == 0:
        assert isinstance(audio.backend, NullBackend)
        lines = warn.getvalue().splitlines()
        assert len(lines) == 1 and lines[0].startswith("warning: no sound: no audio output device"), lines
    else:
        assert isinstance(audio.backend, SoundDeviceBackend) and warn.getvalue() == ""


def test_voice_speaks_through_the_system_tts_when_there_is_no_tone_device(tmp_path, monkeypatch):
    """No PortAudio, but a TTS command on PATH: cues are spoken (the command gets the words)."""
    spoken = tmp_path / "spoken.txt"
    tts = tmp_path / "bin" / "espeak-ng"
    tts.parent.mkdir()
    tts.write_text(f'#!/bin/sh\nfor last; do :; done\necho "$last" >> {spoken}\n')
    tts.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tts.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    warn = io.StringIO()
    audio = make_audio(mute=False, voice=True, warn=warn)
    try:
        audio.handle_events([Event(EventKind.SAFETY_STOP, 0, fault="head-circle")])
        audio.wait_idle()
        audio.handle_events([Event(EventKind.HOLD_TICK, 1000)])  # ticks are never spoken
        audio.handle_events([Event(EventKind.FAULT, 2000, message="Keep your chin level")])
    finally:
        audio.close()
    assert spoken.read_text().splitlines() == ["Stop. No head circles", "Keep your chin level"]
    assert warn.getvalue().count("\n") == 1 and "speaking cues only" in warn.getvalue()
