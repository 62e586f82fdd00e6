"""Render a :class:`~workshop_kit.music.score.Score` to stereo audio with the General MIDI SoundFont (``TimGM6mb.sf2``)
that ``pretty_midi`` ships, played by the kit's own SoundFont player (:mod:`workshop_kit.music.soundfont`, numpy only:
it installs wherever numpy does, with nothing to compile and no system library).

The SoundFont is read once per file and shared, read-only, by concurrent renders. Microtones: each melodic note is
played at its key plus its pitch-bend offset (quarter tones), exactly as the MIDI export writes them with a
pitch-bend range of :data:`~workshop_kit.music.theory.PITCH_BEND_RANGE` semitones.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import EngineUnavailableError
from ..i18n import Msg
from . import soundfont
from .score import Score, split_pitch
from .soundfont import Voice

__all__ = ["SAMPLE_RATE", "TAIL_SECONDS", "soundfont_path", "render", "normalize"]

SAMPLE_RATE = 44100
TAIL_SECONDS = 1.0  # after the last note-off, so that releases ring out
FADE_SECONDS = 0.25  # a short fade at the very end of the tail
TARGET_RMS = 0.12  # about -18.4 dBFS
PEAK_CEILING = 0.891  # -1 dBFS
KNEE = 0.6  # soft limiting starts here
MAX_DRIVE = 1.6  # how far past the ceiling the loudest transient may be driven before limiting


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


def _voices(score: Score, sample_rate: int) -> list[Voice]:
    """One :class:`Voice` per playable note: drums on bank 128, melodic notes at their key plus their bend."""
    tracks = {t.name: t for t in score.tracks}
    voices = []
    for note in score.notes:
        track = tracks[note.track]
        if track.is_drum:
            key, offset, bank, program = int(round(note.pitch)), 0.0, 128, 0
        else:
            (key, offset), bank, program = split_pitch(note.pitch), 0, int(track.program)
        if not 0 <= key <= 127:
            continue
        on = max(0, int(round(note.start * sample_rate)))
        off = max(on + 1, int(round(note.end * sample_rate)))
        voices.append(Voice(on, off, bank, program, key, int(note.velocity), offset))
    return voices


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
        When the SoundFont is missing or cannot be read.
    """
    path = soundfont_path()
    try:
        font = soundfont.load(path)
    except (soundfont.SoundFontError, OSError) as exc:
        raise EngineUnavailableError(Msg("error.render.soundfont_load", path=path, why=str(exc))) from exc
    end = max(score.end, float(duration or 0.0))
    total = int(round((end + max(0.0, tail)) * sample_rate)) + 1
    audio = soundfont.mix(font, _voices(score, int(sample_rate)), total, int(sample_rate))
    fade = min(int(FADE_SECONDS * sample_rate), audio.shape[0])
    if fade > 0:
        audio[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    if normalise:
        audio = normalize(audio)
    else:
        np.clip(audio, -1.0, 1.0, out=audio)
    return audio
