"""Sound cues: the eyes are off the screen while the head is turned, so key moments are heard.

Engine events map to cues in one table (`EVENT_CUES`). `AudioCues` queues cues to one worker
thread so the video loop never waits for sound; a per-cue cooldown (on the events' own
timestamps, not the clock) keeps cues from piling up. Tones are generated with numpy and played
through sounddevice, which is imported lazily: with no PortAudio library or no output device
the null backend is used and one warning line is printed. Optional speech (``--voice``) goes
through the system's text-to-speech command (espeak-ng, espeak, spd-say or say) when present.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Protocol, TextIO

import numpy as np

from coach.coaching.engine import Event, EventKind

SAMPLE_RATE_HZ = 22050


class Cue(str, Enum):
    """A distinct sound for each key moment."""

    HOLD_STARTED = "hold-started"
    TICK = "tick"  # soft, once per second of a hold
    HOLD_MIN = "hold-min"  # success: the hold counts now
    RELEASE = "release"  # hold maximum reached: come back
    REP = "rep"
    WRONG_SIDE = "wrong-side"
    FAULT = "fault"
    STOP = "stop"  # full head circle: stop


# The one table from engine events to cues. Events not listed make no sound.
EVENT_CUES: Mapping[EventKind, Cue] = MappingProxyType({
    EventKind.HOLD_STARTED: Cue.HOLD_STARTED,
    EventKind.HOLD_TICK: Cue.TICK,
    EventKind.HOLD_MIN_REACHED: Cue.HOLD_MIN,
    EventKind.HOLD_RELEASE: Cue.RELEASE,
    EventKind.REP_COUNTED: Cue.REP,
    EventKind.WRONG_SIDE: Cue.WRONG_SIDE,
    EventKind.FAULT: Cue.FAULT,
    EventKind.SAFETY_STOP: Cue.STOP,
})

# Minimum gap between two plays of the same cue, in ms of event time. Ticks come once a second
# by design; repeated faults or wrong-side warnings within a couple of seconds are noise.
COOLDOWN_MS: Mapping[Cue, int] = MappingProxyType({
    Cue.HOLD_STARTED: 1000,
    Cue.TICK: 700,
    Cue.HOLD_MIN: 1000,
    Cue.RELEASE: 1500,
    Cue.REP: 500,
    Cue.WRONG_SIDE: 2500,
    Cue.FAULT: 2500,
    Cue.STOP: 3000,
})

# Words spoken with --voice when the event carries no message of its own. Ticks are not spoken.
SPOKEN: Mapping[Cue, str] = MappingProxyType({
    Cue.HOLD_STARTED: "Hold",
    Cue.HOLD_MIN: "Good",
    Cue.RELEASE: "Release, come back slowly",
    Cue.REP: "Rep",
    Cue.WRONG_SIDE: "Other side",
    Cue.FAULT: "Check your form",
    Cue.STOP: "Stop. No head circles",
})

# Cues that may be dropped when the worker is behind: a late tick is worse than none.
_DROPPABLE = frozenset({Cue.TICK})
_QUEUE_LIMIT = 4


def _tone(freqs_hz: Sequence[float], note_s: float, *, amp: float = 0.35, gap_s: float = 0.03,
          square: bool = False, sample_rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """A sequence of notes with short fades (clicks at note edges sound like faults)."""
    n = int(note_s * sample_rate_hz)
    t = np.arange(n) / sample_rate_hz
    fade = min(n // 2, int(0.008 * sample_rate_hz))
    env = np.ones(n)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        env[:fade], env[-fade:] = ramp, ramp[::-1]
    gap = np.zeros(int(gap_s * sample_rate_hz))
    parts = []
    for f in freqs_hz:
        wave = np.sin(2 * np.pi * f * t)
        if square:
            wave = np.sign(wave) * 0.6
        parts.extend([amp * env * wave, gap])
    return np.concatenate(parts).astype(np.float32)


def cue_waveform(cue: Cue, sample_rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """The mono float32 waveform (-1..1) of a cue: distinct pitch, rhythm and timbre per cue."""
    sr = sample_rate_hz
    if cue is Cue.HOLD_STARTED:
        return _tone((523.25, 659.25), 0.09, sample_rate_hz=sr)  # rising C-E
    if cue is Cue.TICK:
        return _tone((1318.5,), 0.025, amp=0.12, gap_s=0.0, sample_rate_hz=sr)  # soft click
    if cue is Cue.HOLD_MIN:
        return _tone((523.25, 659.25, 783.99, 1046.5), 0.08, sample_rate_hz=sr)  # major arpeggio
    if cue is Cue.RELEASE:
        return _tone((783.99, 523.25), 0.18, sample_rate_hz=sr)  # falling: come back down
    if cue is Cue.REP:
        return _tone((1046.5, 1046.5), 0.06, gap_s=0.05, sample_rate_hz=sr)  # bright double beep
    if cue is Cue.WRONG_SIDE:
        return _tone((233.08, 233.08), 0.15, square=True, amp=0.25, gap_s=0.08, sample_rate_hz=sr)
    if cue is Cue.FAULT:
        return _tone((392.0, 311.13), 0.14, square=True, amp=0.22, sample_rate_hz=sr)
    if cue is Cue.STOP:
        return _tone((880.0, 440.0) * 3, 0.12, amp=0.5, square=True, gap_s=0.0, sample_rate_hz=sr)
    raise ValueError(f"unknown cue {cue!r}")


class Backend(Protocol):
    """Where cues go. `play` is only ever called from the worker thread."""

    def play(self, cue: Cue, waveform: np.ndarray, text: str | None) -> None:
        """Play one cue: its tone ``waveform`` and, where the backend can speak, ``text``."""
        ...

    def close(self) -> None:
        """Release the audio device; later `play` calls are not made."""
        ...


class NullBackend:
    """Silence: no PortAudio, no output device, or muted from the start."""

    def play(self, cue: Cue, waveform: np.ndarray, text: str | None) -> None:
        return None

    def close(self) -> None:
        return None


class FakeBackend:
    """Records what would have been played, in order (for tests)."""

    def __init__(self) -> None:
        self.played: list[tuple[Cue, str | None]] = []
        self._lock = threading.Lock()

    def play(self, cue: Cue, waveform: np.ndarray, text: str | None) -> None:
        with self._lock:
            self.played.append((cue, text))

    @property
    def cues(self) -> list[Cue]:
        """The cues played so far, in order."""
        with self._lock:
            return [c for c, _ in self.played]

    def close(self) -> None:
        return None


class SoundDeviceBackend:
    """Tones through sounddevice (PortAudio); speech through a TTS command if given."""

    def __init__(self, sd_module, speak: Callable[[str], None] | None = None) -> None:
        self._sd = sd_module
        self._speak = speak

    def play(self, cue: Cue, waveform: np.ndarray, text: str | None) -> None:
        try:
            self._sd.play(waveform, SAMPLE_RATE_HZ, blocking=True)
        except Exception:  # noqa: BLE001 - a device that vanishes mid-session must not stop coaching
            return
        if self._speak is not None and text:
            self._speak(text)

    def close(self) -> None:
        try:
            self._sd.stop()
        except Exception:  # noqa: BLE001
            pass


class SpeechOnlyBackend:
    """No tone device, but a TTS command exists: speak the cues' words."""

    def __init__(self, speak: Callable[[str], None]) -> None:
        self._speak = speak

    def play(self, cue: Cue, waveform: np.ndarray, text: str | None) -> None:
        if text:
            self._speak(text)

    def close(self) -> None:
        return None


def find_tts_command() -> list[str] | None:
    """The system text-to-speech command line (text appended), or None if there is none."""
    for cmd in (["espeak-ng", "-s", "165"], ["espeak", "-s", "165"], ["spd-say", "-w"], ["say"]):
        if shutil.which(cmd[0]):
            return cmd
    return None


def _make_speaker(cmd: list[str]) -> Callable[[str], None]:
    def speak(text: str) -> None:
        try:
            subprocess.run([*cmd, text], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            pass

    return speak


@dataclass(frozen=True)
class _Item:
    cue: Cue
    text: str | None


_CLOSE = object()


class AudioCues:
    """Non-blocking cue player: one worker thread fed by a small queue.

    Args:
        backend: Where cues are played (`NullBackend`, `FakeBackend`, `SoundDeviceBackend`...).
        voice: Pass spoken words to the backend with each cue.
        muted: Start muted (``m`` toggles).
        drop_late_ticks: Skip a tick while the worker is still busy (a late tick misleads);
            tests that check the exact cue sequence of a fast replay turn this off.
    """

    def __init__(self, backend: Backend, *, voice: bool = False, muted: bool = False,
                 drop_late_ticks: bool = True) -> None:
        self.backend = backend
        self._drop_late_ticks = drop_late_ticks
        self.voice = voice
        self.muted = muted
        self._last_ms: dict[Cue, int] = {}
        self._queue: queue.Queue = queue.Queue()
        self._waveforms = {cue: cue_waveform(cue) for cue in Cue}
        self._thread = threading.Thread(target=self._work, name="coach-audio", daemon=True)
        self._thread.start()

    def toggle_mute(self) -> bool:
        """Flip mute and return the new state."""
        self.muted = not self.muted
        return self.muted

    def handle_events(self, events: Iterable[Event]) -> list[Cue]:
        """Queue the cues for engine events (see `EVENT_CUES`); return those queued."""
        queued = []
        for ev in events:
            cue = EVENT_CUES.get(ev.kind)
            if cue is not None and self.cue(cue, ev.t_ms, text=ev.message or None):
                queued.append(cue)
        return queued

    def cue(self, cue: Cue, t_ms: int, *, text: str | None = None) -> bool:
        """Queue one cue at event time ``t_ms`` unless muted or within its cooldown.

        Returns:
            True if the cue was queued.
        """
        if self.muted:
            return False
        last = self._last_ms.get(cue)
        if last is not None and 0 <= t_ms - last < COOLDOWN_MS[cue]:
            return False
        if self._drop_late_ticks and cue in _DROPPABLE and self._queue.qsize() >= 1:
            return False  # the worker is behind: skip the tick rather than play it late
        if self._drop_late_ticks and self._queue.qsize() >= _QUEUE_LIMIT and cue is not Cue.STOP:
            return False
        if cue is Cue.STOP:
            self._drain()  # nothing queued before a STOP matters any more
        self._last_ms[cue] = t_ms
        spoken = None
        if self.voice and cue is not Cue.TICK:
            spoken = text or SPOKEN.get(cue)
        self._queue.put(_Item(cue, spoken))
        return True

    def close(self, timeout_s: float = 5.0) -> None:
        """Play what is queued, stop the worker and release the backend."""
        if self._thread.is_alive():
            self._queue.put(_CLOSE)
            self._thread.join(timeout_s)
        self.backend.close()

    def __enter__(self) -> AudioCues:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _drain(self) -> None:
        try:
            while True:
                item = self._queue.get_nowait()
                self._queue.task_done()
                if item is _CLOSE:  # keep a pending close
                    self._queue.put(_CLOSE)
                    return
        except queue.Empty:
            return

    def wait_idle(self) -> None:
        """Block until every queued cue has been played (tests pace the queue with this)."""
        self._queue.join()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _CLOSE:
                    return
                self.backend.play(item.cue, self._waveforms[item.cue], item.text)
            except Exception:  # noqa: BLE001 - sound is a nicety; never kill the session for it
                pass
            finally:
                self._queue.task_done()


def make_audio(mute: bool, voice: bool, *, warn: TextIO | None = None) -> AudioCues:
    """Build the cue player for `coach run` / `coach demo`.

    Tries sounddevice (PortAudio) with an output device; falls back to speech only (``voice``
    and a TTS command present) or to silence, printing one warning line to ``warn``.

    Args:
        mute: Start muted (the user can unmute with ``m`` if a device exists).
        voice: Also speak cues through the system text-to-speech.
        warn: Where the one warning line goes (default: standard error).
    """
    warn = warn if warn is not None else sys.stderr
    tts = find_tts_command() if voice else None
    speak = _make_speaker(tts) if tts else None
    if voice and tts is None:
        print("warning: --voice: no text-to-speech command found (install espeak-ng); "
              "tones only", file=warn)
    reason = None
    try:
        import sounddevice as sd  # noqa: PLC0415 - lazy: needs libportaudio2 at import time
    except (ImportError, OSError) as exc:
        sd, reason = None, f"PortAudio is not available ({exc})"
    if sd is not None:
        try:
            sd.query_devices(kind="output")
        except Exception as exc:  # noqa: BLE001 - sounddevice raises plain exceptions here
            sd, reason = None, f"no audio output device ({str(exc).splitlines()[0] if str(exc) else exc})"
    if sd is not None:
        return AudioCues(SoundDeviceBackend(sd, speak), voice=voice, muted=mute)
    if speak is not None:
        print(f"warning: no sound tones: {reason}; speaking cues only", file=warn)
        return AudioCues(SpeechOnlyBackend(speak), voice=True, muted=mute)
    print(f"warning: no sound: {reason}; continuing silently", file=warn)
    return AudioCues(NullBackend(), voice=False, muted=mute)
