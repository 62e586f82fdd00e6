"""Render a :class:`~workshop_kit.music.score.Score` to stereo audio with TinySoundFont and the General MIDI SoundFont
(``TimGM6mb.sf2``) that ``pretty_midi`` ships.

Each call builds its own synthesizer (loading the SoundFont takes about 10 ms), so concurrent renders share nothing.
Microtones are played by setting the channel's pitch wheel just before each note-on, with a pitch-bend range of
:data:`~workshop_kit.music.theory.PITCH_BEND_RANGE` semitones, exactly as the MIDI export writes them.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import EngineUnavailableError
from ..i18n import Msg
from .score import Score, bend_value, split_pitch
from .theory import PITCH_BEND_RANGE

__all__ = ["SAMPLE_RATE", "TAIL_SECONDS", "soundfont_path", "render", "normalize"]

SAMPLE_RATE = 44100
TAIL_SECONDS = 1.0  # after the last note-off, so that releases ring out
FADE_SECONDS = 0.25  # a short fade at the very end of the tail
TARGET_RMS = 0.12  # about -18.4 dBFS
PEAK_CEILING = 0.891  # -1 dBFS
KNEE = 0.6  # soft limiting starts here
MAX_DRIVE = 1.6  # how far past the ceiling the loudest transient may be driven before limiting

INSTALL_HINT = "pip install --no-deps tinysoundfont==0.3.7"

# Order of events that fall on the same sample: release, then bend, then strike.
_OFF, _BEND, _ON = 0, 1, 2


def soundfont_path() -> str:
    """Path of ``TimGM6mb.sf2`` inside the installed ``pretty_midi`` package.

    Raises
    ------
    EngineUnavailableError
        When ``pretty_midi`` or its SoundFont is missing.
    """
    try:
        import pretty_midi
    except ImportError:
        raise EngineUnavailableError(Msg("error.render.pretty_midi")) from None
    path = os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2")
    if not os.path.isfile(path):
        raise EngineUnavailableError(Msg("error.render.soundfont_missing", path=path))
    return path


def _synth_module():
    try:
        import tinysoundfont
    except ImportError:
        raise EngineUnavailableError(Msg("error.render.tinysoundfont", command=INSTALL_HINT)) from None
    return tinysoundfont


def _events(score: Score, sample_rate: int) -> list[tuple[int, int, int, tuple]]:
    """(sample, order, sequence, action) for every synth call, sorted."""
    channels = score.channels()
    tracks = {t.name: t for t in score.tracks}
    events = []
    seq = 0
    for note in score.notes:
        track = tracks[note.track]
        chan = channels[note.track]
        if track.is_drum:
            key, offset = int(round(note.pitch)), 0.0
        else:
            key, offset = split_pitch(note.pitch)
        if not 0 <= key <= 127:
            continue
        on = max(0, int(round(note.start * sample_rate)))
        off = max(on + 1, int(round(note.end * sample_rate)))
        if not track.is_drum:
            events.append((on, _BEND, seq, ("bend", chan, bend_value(offset) + 8192)))
        events.append((on, _ON, seq, ("on", chan, key, note.velocity)))
        events.append((off, _OFF, seq, ("off", chan, key)))
        seq += 1
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return events


def normalize(audio: np.ndarray, *, target_rms: float = TARGET_RMS, peak: float = PEAK_CEILING,
              knee: float = KNEE, max_drive: float = MAX_DRIVE) -> np.ndarray:
    """Bring ``audio`` to a consistent loudness with every sample inside ``[-peak, peak]``.

    The gain aims at ``target_rms``, but drives the loudest sample at most ``max_drive`` times past ``peak``;
    samples above ``knee`` are then rounded off smoothly (``tanh``) towards ``peak``, so short percussive
    transients do not make one piece much quieter than another. Silence stays silent.
    """
    audio = np.nan_to_num(audio.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    current_peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if current_peak == 0.0:
        return audio
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    gain = min(target_rms / rms, max_drive * peak / current_peak)
    out = audio * np.float32(gain)
    loud = np.abs(out) > knee
    if np.any(loud):
        x = out[loud]
        room = peak - knee
        out[loud] = np.sign(x) * (knee + room * np.tanh((np.abs(x) - knee) / room))
    np.clip(out, -peak, peak, out=out)
    return out


def render(score: Score, *, duration: float | None = None, sample_rate: int = SAMPLE_RATE,
           tail: float = TAIL_SECONDS, normalise: bool = True) -> np.ndarray:
    """Play ``score`` through the General MIDI SoundFont and return ``(samples, 2)`` float32 audio in [-1, 1].

    Parameters
    ----------
    score : Score
        The notes to play; melodic tracks should be monophonic if they hold microtones.
    duration : float or None, optional
        Length of the music in seconds before the tail; ``None`` (or anything shorter) uses the end of the last note.
        The output has ``round((max(duration, score.end) + tail) * sample_rate) + 1`` samples.
    sample_rate : int, optional
        Output rate in Hz (44100 by default).
    tail : float, optional
        Seconds of audio kept after the last note ends, with a short fade at the very end.
    normalise : bool, optional
        Scale to a consistent loudness (RMS about -18 dBFS) with peaks at most -1 dBFS.

    Raises
    ------
    EngineUnavailableError
        When tinysoundfont or the SoundFont is missing.
    """
    tsf = _synth_module()
    path = soundfont_path()
    synth = tsf.Synth(samplerate=int(sample_rate))
    try:
        sfid = synth.sfload(path)
    except (tsf.SoundFontException, OSError, RuntimeError, ValueError) as exc:
        raise EngineUnavailableError(Msg("error.render.soundfont_load", path=path, why=str(exc))) from exc

    channels = score.channels()
    for track in score.tracks:
        chan = channels[track.name]
        if track.is_drum:
            synth.program_select(chan, sfid, 128, 0, is_drums=True)
        else:
            synth.program_select(chan, sfid, 0, int(track.program))
            synth.pitchbend_range(chan, float(PITCH_BEND_RANGE))

    end = max(score.end, float(duration or 0.0))
    total = int(round((end + max(0.0, tail)) * sample_rate)) + 1
    buffer = memoryview(bytearray(total * 2 * 4))
    frame_bytes = 2 * 4
    pos = 0
    for sample, _, _, action in _events(score, sample_rate):
        sample = min(sample, total)
        if sample > pos:
            synth.generate(sample - pos, buffer=buffer[pos * frame_bytes:sample * frame_bytes])
            pos = sample
        kind = action[0]
        if kind == "on":
            synth.noteon(action[1], action[2], action[3])
        elif kind == "off":
            synth.noteoff(action[1], action[2])
        else:
            synth.pitchbend(action[1], action[2])
    if total > pos:
        synth.generate(total - pos, buffer=buffer[pos * frame_bytes:total * frame_bytes])

    audio = np.frombuffer(buffer, dtype=np.float32).reshape(-1, 2).copy()
    fade = min(int(FADE_SECONDS * sample_rate), audio.shape[0])
    if fade > 0:
        audio[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    if normalise:
        audio = normalize(audio)
    else:
        np.clip(audio, -1.0, 1.0, out=audio)
    return audio
