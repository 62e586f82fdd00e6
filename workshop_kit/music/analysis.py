"""Listen with numbers and pictures: tempo, beats, onsets, chroma, an estimated key and loudness of any audio.

Works on what the kit generates (an :class:`~workshop_kit.results.AudioResult`) and on what a participant uploads
(a WAV, FLAC, OGG or MP3 file, or its bytes), with `librosa <https://librosa.org>`_ doing the measuring:

- :func:`load_audio` opens a file safely: size, format and length are checked *before* the audio is decoded, and
  an empty, corrupt or silent file gets a clear error naming it.
- :func:`analyse` returns an :class:`Analysis`: tempo, beat and onset times, a 12-row chroma, an *estimated* key,
  loudness in dBFS and duration.
- :func:`spectrogram_image`, :func:`chroma_image` and :func:`piano_roll_image` draw figures as
  :class:`~workshop_kit.results.ImageResult` pictures (no plotting package needed): they show in a notebook, go
  into a Gradio image as ``result.image`` and save as PNG with ``result.save("roll.png")``.

``librosa`` is imported inside the functions, so importing this module stays cheap. What each measure means for a
musician is in ``docs/analysis.md``.
"""

from __future__ import annotations

import io
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..figure_text import draw_text, text_width
from ..i18n import STRINGS, Msg, check_lang, t
from ..results import AudioResult, ImageResult
from ..validation import check_float, check_int

__all__ = [
    "MAX_BYTES",
    "MAX_SECONDS",
    "SILENCE_DBFS",
    "ANALYSIS_RATE",
    "Analysis",
    "audio_formats",
    "load_audio",
    "analyse",
    "spectrogram_image",
    "chroma_image",
    "piano_roll_image",
    "colormap",
]

MAX_BYTES = 20 * 2**20  # 20 MiB: a minute of CD-quality WAV is about 10 MiB
MAX_SECONDS = 60.0
MIN_SECONDS = 0.5  # shorter than this, tempo and key mean nothing
SILENCE_DBFS = -70.0  # quieter than this (RMS) the audio is taken as silence
ANALYSIS_RATE = 22050  # every analysis resamples to this rate: enough up to 11 kHz, twice as fast as 44.1 kHz
HOP = 512  # analysis frame step in samples (23 ms at 22050 Hz)
MAX_CHANNELS = 8
RATE_RANGE = (8000, 192000)
_READ_BLOCK = 1 << 16

_EXTENSIONS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".oga": "OGG", ".mp3": "MP3"}

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

# Krumhansl & Kessler (1982) key profiles: how well each of the 12 pitch classes fits a major / minor key on C.
_KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


# ----------------------------------------------------------------------------------------------------- loading
def audio_formats() -> tuple[str, ...]:
    """File extensions :func:`load_audio` can open on this install (MP3 only where libsndfile decodes it)."""
    import soundfile

    available = set(soundfile.available_formats())
    return tuple(ext for ext, fmt in _EXTENSIONS.items() if fmt in available)


def _mb(n: float) -> Msg:
    return Msg("unit.mb", n=n / 2**20)


def _allowed(max_bytes: int, max_seconds: float, formats: tuple[str, ...]) -> Msg:
    kinds = sorted({_EXTENSIONS[e] for e in formats})
    return Msg("allowed.audio_file", kinds=kinds, size=_mb(max_bytes), seconds=max_seconds)


def _as_mono(audio: object, name: str) -> np.ndarray:
    y = np.asarray(audio)
    if y.dtype.kind not in "fiu" or y.ndim not in (1, 2) or y.size == 0:
        raise ParameterError(name, f"array {y.dtype} {y.shape}", Msg("allowed.float_array"),
                             reason=Msg("reason.not_array"))
    if y.dtype.kind in "iu":  # integer PCM: scale to [-1, 1]
        y = y.astype(np.float32) / float(np.iinfo(y.dtype).max)
    y = y.astype(np.float32, copy=False)
    if y.ndim == 2:
        if y.shape[1] > MAX_CHANNELS and y.shape[0] <= MAX_CHANNELS:
            y = y.T  # (channels, samples), as librosa arranges it
        y = y.mean(axis=1, dtype=np.float32)
    if not np.all(np.isfinite(y)):
        raise ParameterError(name, "array", Msg("allowed.finite_samples"), reason=Msg("reason.nan_audio"))
    return np.ascontiguousarray(y)


def _check_content(y: np.ndarray, sr: int, name: str, allowed: Msg, max_seconds: float) -> None:
    seconds = y.shape[0] / sr
    if seconds > max_seconds + 1e-6:
        raise ParameterError(name, name, allowed, reason=Msg("reason.too_long", seconds=seconds, max=max_seconds))
    if seconds < MIN_SECONDS:
        raise ParameterError(name, name, allowed, reason=Msg("reason.too_short", seconds=seconds, min=MIN_SECONDS))
    level = _dbfs(float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))))
    if level < SILENCE_DBFS:
        shown = "-inf" if math.isinf(level) else f"{level:.0f}"
        raise ParameterError(name, name, allowed, reason=Msg("reason.silent", level=shown, floor=SILENCE_DBFS))


def _dbfs(amplitude: float) -> float:
    return 20.0 * math.log10(amplitude) if amplitude > 0 else -math.inf


def load_audio(source: Any, *, sample_rate: int | None = None, max_bytes: int = MAX_BYTES,
               max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int]:
    """Open audio safely and return it as mono ``float32`` with its sample rate.

    A file is checked before it is decoded: its extension, its size on disk, then its header (read with
    ``soundfile.info``) for its length, channels and sample rate. Decoding itself stops after ``max_seconds``, so
    a header that lies cannot make it read more.

    Parameters
    ----------
    source : str, path, bytes, numpy.ndarray, AudioResult or (array, rate)
        A WAV, FLAC, OGG (or MP3, where :func:`audio_formats` lists it) file, the bytes of one (an upload), an
        array ``(samples,)`` or ``(samples, channels)``, or a result of the kit.
    sample_rate : int or None, optional
        For an array: its sample rate (required). For a file or bytes: the rate to resample to (8000 to 192000);
        ``None`` keeps the file's own.
    max_bytes : int, optional
        Largest file accepted, in bytes (20 MiB by default).
    max_seconds : float, optional
        Longest audio accepted, in seconds (60 by default, at most 600).

    Returns
    -------
    audio : numpy.ndarray
        Mono ``float32`` samples (channels averaged).
    sample_rate : int

    Raises
    ------
    ParameterError
        Naming the file and the problem: no such file, unknown extension, too big, empty, not decodable (corrupt),
        too long, too short, silent, or a bad array.

    Examples
    --------
    >>> import numpy as np
    >>> y, sr = load_audio(np.sin(np.linspace(0, 2000, 22050)), sample_rate=22050)
    >>> y.dtype, y.shape, sr
    (dtype('float32'), (22050,), 22050)
    """
    max_seconds = check_float("max_seconds", max_seconds, MIN_SECONDS, 600.0)
    max_bytes = check_int("max_bytes", max_bytes, 1, 2**31)
    if isinstance(source, AudioResult):
        return _from_array(source.audio, source.sample_rate, f"{source.engine} result", max_seconds)
    if isinstance(source, tuple) and len(source) == 2 and isinstance(source[0], np.ndarray):
        return _from_array(source[0], source[1], "audio", max_seconds)
    if isinstance(source, np.ndarray):
        if sample_rate is None:
            raise ParameterError("sample_rate", None, Msg("allowed.sample_rate", low=RATE_RANGE[0], high=RATE_RANGE[1]),
                                 reason=Msg("reason.needs_rate"))
        return _from_array(source, sample_rate, "audio", max_seconds)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return _from_file(io.BytesIO(data), len(data), "uploaded audio", sample_rate, max_bytes, max_seconds)
    if isinstance(source, (str, os.PathLike)) and str(source).strip():
        path = Path(source).expanduser()
        name = str(source)
        formats = audio_formats()
        if not path.is_file():
            raise ParameterError("audio", name, Msg("allowed.existing_audio"),
                                 reason=Msg("reason.no_such_file" if not path.exists() else "reason.not_a_file"))
        if path.suffix.lower() not in formats:
            suffix = path.suffix.lower()
            raise ParameterError("audio", name, list(formats), reason=Msg(
                "reason.unsupported_file_type", ext=repr(suffix) if suffix else Msg("word.no_extension")))
        return _from_file(path, path.stat().st_size, name, sample_rate, max_bytes, max_seconds)
    raise ParameterError("audio", type(source).__name__, Msg("allowed.audio_sources"))


def _from_array(audio: object, sample_rate: object, name: str, max_seconds: float) -> tuple[np.ndarray, int]:
    sr = check_int("sample_rate", sample_rate, *RATE_RANGE)
    y = _as_mono(audio, name)
    _check_content(y, sr, name, Msg("allowed.with_sound"), max_seconds)
    return y, sr


def _from_file(file: Any, size: int, name: str, sample_rate: int | None, max_bytes: int,
               max_seconds: float) -> tuple[np.ndarray, int]:
    import soundfile

    allowed = _allowed(max_bytes, max_seconds, audio_formats())
    if size == 0:
        raise ParameterError("audio", name, allowed, reason=Msg("reason.empty_bytes"))
    if size > max_bytes:
        raise ParameterError("audio", name, allowed, reason=Msg("reason.too_big", size=_mb(size), max=_mb(max_bytes)))
    if sample_rate is not None:
        sample_rate = check_int("sample_rate", sample_rate, *RATE_RANGE)
    try:
        info = soundfile.info(file)
    except (RuntimeError, ValueError, OSError, EOFError) as exc:
        raise ParameterError("audio", name, allowed, reason=Msg("reason.not_audio", why=str(exc))) from None
    if info.frames <= 0:
        raise ParameterError("audio", name, allowed, reason=Msg("reason.no_samples"))
    if not RATE_RANGE[0] <= info.samplerate <= RATE_RANGE[1] or not 1 <= info.channels <= MAX_CHANNELS:
        raise ParameterError("audio", name, allowed, reason=Msg(
            "reason.unusual_format", rate=info.samplerate, channels=info.channels, rate_low=RATE_RANGE[0],
            rate_high=RATE_RANGE[1], max_channels=MAX_CHANNELS))
    if info.duration > max_seconds + 1e-6:
        raise ParameterError("audio", name, allowed,
                             reason=Msg("reason.too_long", seconds=info.duration, max=max_seconds))
    if isinstance(file, io.BytesIO):
        file.seek(0)
    limit = int(math.ceil(max_seconds * info.samplerate)) + 1
    blocks: list[np.ndarray] = []
    read = 0
    try:
        with soundfile.SoundFile(file) as f:
            while read < limit:
                block = f.read(min(_READ_BLOCK, limit - read), dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    break
                blocks.append(block.mean(axis=1, dtype=np.float32))
                read += block.shape[0]
    except (RuntimeError, ValueError, OSError, EOFError) as exc:
        raise ParameterError("audio", name, allowed, reason=Msg("reason.undecodable", why=str(exc))) from None
    y = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    if y.size == 0:
        raise ParameterError("audio", name, allowed, reason=Msg("reason.no_samples"))
    if not np.all(np.isfinite(y)):
        raise ParameterError("audio", name, allowed, reason=Msg("reason.nan_file"))
    sr = int(info.samplerate)
    _check_content(y, sr, name, allowed, max_seconds)
    if sample_rate is not None and sample_rate != sr:
        import librosa

        y = librosa.resample(y, orig_sr=sr, target_sr=sample_rate).astype(np.float32)
        sr = sample_rate
    return y, sr


# ---------------------------------------------------------------------------------------------------- analysis
@dataclass(repr=False)
class Analysis:
    """What :func:`analyse` measured. Times are in seconds from the start.

    Attributes
    ----------
    source : str
        What was analysed (a file name, ``"rules result"``, ``"audio"``).
    duration : float
        Length in seconds.
    sample_rate : int
        Rate of the analysed (mono, resampled) signal: :data:`ANALYSIS_RATE`.
    tempo : float or None
        Estimated tempo in beats per minute (``librosa.beat.beat_track``, refined by the mean spacing of its
        steady beats); ``None`` when no beat was found. Beat trackers may hear half or double the tempo a musician
        would count.
    beat_times : numpy.ndarray
        The beats the tracker placed.
    onset_times : numpy.ndarray
        Where new sounds start (``librosa.onset.onset_detect``): strokes, plucks, sung syllables.
    chroma : numpy.ndarray
        ``(12, frames)`` energy of each pitch class (C, C#, ... B) over time, each frame scaled to a maximum of 1
        (``librosa.feature.chroma_cqt``), one frame every ``hop_length`` samples.
    hop_length : int
    key_estimate : str
        The major or minor key whose Krumhansl-Kessler profile best matches the average chroma, like ``"D major"``.
        An *estimate*: music built on maqamat or drones is not in a Western key, and then only the tonic is
        meaningful, if that.
    tonic, mode : str
        The two parts of ``key_estimate`` (``"D"``, ``"major"``).
    key_correlation : float
        Correlation (-1 to 1) of the chroma with the chosen key profile; below about 0.6 the estimate is weak.
    key_candidates : list of (str, float)
        The three best keys with their correlations.
    rms_dbfs, peak_dbfs : float
        Average (RMS) and peak level in dB relative to full scale (0 dBFS is the loudest a file can hold).
    """

    source: str
    duration: float
    sample_rate: int
    tempo: float | None
    beat_times: np.ndarray = field(repr=False)
    onset_times: np.ndarray = field(repr=False)
    chroma: np.ndarray = field(repr=False)
    hop_length: int
    key_estimate: str
    tonic: str
    mode: str
    key_correlation: float
    key_candidates: list[tuple[str, float]]
    rms_dbfs: float
    peak_dbfs: float
    seconds: float = 0.0  # how long the analysis took

    @property
    def pitch_class_profile(self) -> np.ndarray:
        """Average chroma: how much of each pitch class C ... B the piece holds, scaled to a sum of 1."""
        profile = self.chroma.mean(axis=1)
        total = float(profile.sum())
        return profile / total if total > 0 else profile

    @property
    def chroma_times(self) -> np.ndarray:
        """Start time of each chroma frame."""
        return np.arange(self.chroma.shape[1]) * self.hop_length / self.sample_rate

    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        """The measures as plain JSON-ready values; ``full=True`` adds the whole chroma matrix."""
        out: dict[str, Any] = {
            "source": self.source,
            "duration_s": round(self.duration, 3),
            "tempo_bpm": None if self.tempo is None else round(self.tempo, 2),
            "beat_times_s": [round(float(t), 3) for t in self.beat_times],
            "onset_times_s": [round(float(t), 3) for t in self.onset_times],
            "key_estimate": self.key_estimate,
            "tonic": self.tonic,
            "mode": self.mode,
            "key_correlation": round(self.key_correlation, 3),
            "key_candidates": [[k, round(r, 3)] for k, r in self.key_candidates],
            "pitch_class_profile": dict(zip(PITCH_CLASSES, (round(float(v), 4) for v in self.pitch_class_profile))),
            "rms_dbfs": round(self.rms_dbfs, 2),
            "peak_dbfs": round(self.peak_dbfs, 2),
            "sample_rate": self.sample_rate,
            "hop_length": self.hop_length,
            "chroma_shape": list(self.chroma.shape),
        }
        if full:
            out["chroma"] = np.round(self.chroma, 4).tolist()
        return out

    def summary(self, lang: str = "fr") -> str:
        """One line for a musician, in French (``"fr"``), English (``"en"``) or Arabic (``"ar"``)."""
        lang = lang if lang in ("fr", "en", "ar") else "en"
        key = Msg(f"music.key.{self.mode}", tonic=note_names(lang)[PITCH_CLASSES.index(self.tonic)])
        tempo = "?" if self.tempo is None else f"{self.tempo:.0f}"
        return t("analysis.summary", lang, tempo=tempo, key=key, level=self.rms_dbfs,
                 onsets=len(self.onset_times), duration=self.duration)

    def __repr__(self) -> str:
        tempo = "None" if self.tempo is None else f"{self.tempo:.1f}"
        return (f"Analysis(source={self.source!r}, duration={self.duration:.2f}, tempo={tempo}, "
                f"key_estimate={self.key_estimate!r}, rms_dbfs={self.rms_dbfs:.1f}, beats={len(self.beat_times)}, "
                f"onsets={len(self.onset_times)})")


def note_names(lang: str) -> tuple[str, ...]:
    """The twelve pitch classes from C as ``lang`` names them: C C# D … (en), do do# ré … (fr), دو دو# ري … (ar)."""
    return tuple(t("music.note_names", lang).split())


def _source_name(source: Any) -> str:
    if isinstance(source, AudioResult):
        return f"{source.engine} result"
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "uploaded audio"
    return "audio"


def _prepare(source: Any, sample_rate: int | None, max_seconds: float) -> tuple[np.ndarray, str]:
    """Mono ``float32`` at :data:`ANALYSIS_RATE`, and a name for the source."""
    y, sr = load_audio(source, sample_rate=sample_rate if isinstance(source, np.ndarray) else None,
                       max_seconds=max_seconds)
    if sr != ANALYSIS_RATE:
        import librosa

        y = librosa.resample(y, orig_sr=sr, target_sr=ANALYSIS_RATE).astype(np.float32)
    return y, _source_name(source)


def estimate_key(chroma: np.ndarray) -> list[tuple[str, str, float]]:
    """Rank the 24 major and minor keys by how well their Krumhansl-Kessler profile fits ``chroma``.

    Parameters
    ----------
    chroma : numpy.ndarray
        ``(12,)`` pitch-class profile or ``(12, frames)`` chroma (averaged over time).

    Returns
    -------
    list of (tonic, mode, correlation)
        Best first.
    """
    profile = np.asarray(chroma, dtype=np.float64)
    if profile.ndim == 2:
        profile = profile.mean(axis=1)
    if profile.shape != (12,):
        raise ParameterError("chroma", f"shape {profile.shape}", Msg("allowed.chroma_shape"))
    scores: list[tuple[str, str, float]] = []
    if np.ptp(profile) == 0:
        return [(PITCH_CLASSES[0], "major", 0.0)]
    for mode, template in (("major", _KK_MAJOR), ("minor", _KK_MINOR)):
        for tonic in range(12):
            r = float(np.corrcoef(profile, np.roll(template, tonic))[0, 1])
            scores.append((PITCH_CLASSES[tonic], mode, r))
    return sorted(scores, key=lambda s: -s[2])


def _refine_tempo(tempo: float, beats: np.ndarray) -> float:
    """Sharpen librosa's tempo, which is quantised to whole analysis frames (about 2 % steps near 120 BPM).

    The tracked beats fall on whole frames too, but their spacings alternate between neighbouring frame counts: the
    mean of the spacings close to the estimated beat (skipped or doubled beats left out) is much finer.
    """
    if tempo <= 0 or beats.size < 5:
        return tempo
    period = 60.0 / tempo
    gaps = np.diff(beats)
    steady = gaps[np.abs(gaps - period) < 0.1 * period]
    if steady.size < 4:
        return tempo
    return 60.0 / float(steady.mean())


def analyse(source: Any, *, sample_rate: int | None = None, max_seconds: float = MAX_SECONDS) -> Analysis:
    """Measure tempo, beats, onsets, chroma, an estimated key and loudness.

    Parameters
    ----------
    source : AudioResult, str, path, bytes, numpy.ndarray or (array, rate)
        Anything :func:`load_audio` opens: a result of the kit, a file, an upload's bytes, or samples.
    sample_rate : int or None, optional
        The rate of ``source`` when it is an array (required then); unused otherwise.
    max_seconds : float, optional
        Longest audio accepted (60 s by default, at most 600): raise it for a long generated piece.

    Returns
    -------
    Analysis
        Its ``summary("fr")`` is one line for a musician, ``to_dict()`` the numbers for a file or a table.

    Raises
    ------
    ParameterError
        As :func:`load_audio` does, naming the file and the problem.

    Examples
    --------
    >>> import numpy as np
    >>> sr = 22050
    >>> clicks = np.zeros(sr * 8, np.float32)
    >>> for start in range(0, clicks.size - 200, sr // 2):  # a click every half second: 120 BPM
    ...     clicks[start:start + 200] = np.hanning(200)
    >>> a = analyse(clicks, sample_rate=sr)
    >>> round(a.tempo)
    120
    """
    began = time.perf_counter()
    y, name = _prepare(source, sample_rate, max_seconds)
    import librosa

    sr = ANALYSIS_RATE
    envelope = librosa.onset.onset_strength(y=y, sr=sr, hop_length=HOP)
    tempo_arr, beats = librosa.beat.beat_track(onset_envelope=envelope, sr=sr, hop_length=HOP, units="time")
    tempo = _refine_tempo(float(np.atleast_1d(tempo_arr)[0]), np.asarray(beats, dtype=np.float64))
    onsets = librosa.onset.onset_detect(onset_envelope=envelope, sr=sr, hop_length=HOP, units="time")
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=HOP, tuning=0.0).astype(np.float32)  # A = 440 Hz
    ranked = estimate_key(chroma)
    tonic, mode, r = ranked[0]
    rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
    return Analysis(
        source=name,
        duration=y.shape[0] / sr,
        sample_rate=sr,
        tempo=tempo if tempo > 0 and len(beats) > 1 else None,
        beat_times=np.asarray(beats, dtype=np.float64),
        onset_times=np.asarray(onsets, dtype=np.float64),
        chroma=chroma,
        hop_length=HOP,
        key_estimate=f"{tonic} {mode}",
        tonic=tonic,
        mode=mode,
        key_correlation=r,
        key_candidates=[(f"{t} {m}", c) for t, m, c in ranked[:3]],
        rms_dbfs=_dbfs(rms),
        peak_dbfs=_dbfs(float(np.max(np.abs(y)))),
        seconds=time.perf_counter() - began,
    )


# ----------------------------------------------------------------------------------------------------- drawing
SUPERSAMPLE = 2  # figures are drawn at twice their size, then reduced: smooth edges and text

# Night indigo -> Majorelle blue -> violet -> red ochre -> saffron -> sand: lightness rises steadily, so loud reads
# as bright in colour and in grey.
_CMAP_ANCHORS = ("#0B0B1E", "#1B1F4B", "#2A3FB0", "#7B3FA0", "#C1440E", "#F2A541", "#F6E7CB")
_BG = (16, 18, 38)  # the frame around plots
_PLOT_BG = (11, 11, 30)
_TEXT = (237, 227, 207)
_GRID = (70, 74, 110)
_TRACK_COLOURS = ("#F2A541", "#6E8BFF", "#2BA37A", "#E0607E", "#8EC3E6", "#E9D8A6", "#C8553D", "#B69CFF")


def _hex(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def colormap(n: int = 256) -> np.ndarray:
    """The kit's colour map as an ``(n, 3)`` ``uint8`` lookup table, dark (quiet) to light (loud)."""
    anchors = np.array([_hex(c) for c in _CMAP_ANCHORS], dtype=np.float64)
    x = np.linspace(0, 1, len(anchors))
    t = np.linspace(0, 1, n)
    return np.stack([np.interp(t, x, anchors[:, k]) for k in range(3)], axis=1).round().astype(np.uint8)


def _apply_cmap(values: np.ndarray) -> np.ndarray:
    lut = colormap(256)
    return lut[np.clip(values * 255 + 0.5, 0, 255).astype(np.uint8)]


def _check_size(width: object, height: object, min_w: int = 200, min_h: int = 120) -> tuple[int, int]:
    return check_int("width", width, min_w, 4096), check_int("height", height, min_h, 4096)


def _finish(canvas, width: int, height: int, figure: str, params: dict[str, Any], began: float) -> ImageResult:
    from PIL import Image

    small = canvas.resize((width, height), Image.Resampling.LANCZOS)
    image = np.asarray(small.convert("RGB"), dtype=np.uint8).copy()
    return ImageResult(engine="analysis", seed=0, params={"figure": figure, **params}, device="cpu",
                       seconds=time.perf_counter() - began, image=image)


def _time_step(total: float, pixels: float) -> float:
    """A round tick spacing in seconds giving ticks at least ~70 px apart."""
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60):
        if total / step * 70 <= pixels:
            return step
    return 60.0


def _time_axis(draw, left: int, right: int, y: int, total: float, size: int, s: int, lang: str) -> None:
    step = _time_step(total, (right - left) / s)
    at = 0.0
    while at <= total + 1e-9:
        x = left + (right - left) * at / total
        draw.line([(x, y), (x, y + 4 * s)], fill=_TEXT, width=s)
        label = t("figure.seconds", lang, t=at) if at == 0 else f"{at:g}"
        draw_text(draw, (x, y + 5 * s), label, size=size, fill=_TEXT, anchor="ma")
        at = round(at + step, 6)


def _marks(draw, analysis: Analysis, box: tuple[int, int, int, int], total: float, s: int) -> None:
    """Beats as thin lines across the plot, onsets as small saffron ticks along its top edge."""
    left, top, right, bottom = box
    for at in analysis.beat_times:
        x = left + (right - left) * float(at) / total
        draw.line([(x, top), (x, bottom)], fill=(246, 231, 203, 60), width=s)
    for at in analysis.onset_times:
        x = left + (right - left) * float(at) / total
        draw.line([(x, top - 9 * s), (x, top - 2 * s)], fill=(242, 165, 65, 255), width=2 * s)


def spectrogram_image(source: Any, *, sample_rate: int | None = None, width: int = 900, height: int = 340,
                      analysis: Analysis | None = None, lang: str = "fr",
                      max_seconds: float = MAX_SECONDS) -> ImageResult:
    """Draw a mel spectrogram: time across, pitch up, loudness as colour (dark quiet, light loud).

    Parameters
    ----------
    source : AudioResult, str, path, bytes, numpy.ndarray or (array, rate)
        Anything :func:`load_audio` opens.
    sample_rate : int or None, optional
        The rate of ``source`` when it is an array.
    width, height : int, optional
        Size of the picture in pixels, axes included.
    analysis : Analysis or None, optional
        When given (the :func:`analyse` of the same audio), beats are drawn as thin lines and onsets as ticks
        above the plot, with a one-line legend.
    lang : str, optional
        Language of the words drawn (axis, legend): ``"fr"``, ``"en"`` or ``"ar"``.
    max_seconds : float, optional
        Longest audio accepted.

    Returns
    -------
    ImageResult
        ``image`` is ``(height, width, 3)`` ``uint8``.
    """
    began = time.perf_counter()
    lang = check_lang(lang)
    width, height = _check_size(width, height)
    y, name = _prepare(source, sample_rate, max_seconds)
    import librosa
    from PIL import Image, ImageDraw

    sr = ANALYSIS_RATE
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=2048, hop_length=HOP, n_mels=128, fmin=30.0,
                                         fmax=sr / 2)
    db = librosa.power_to_db(mel, ref=np.max, top_db=80.0)
    values = np.ascontiguousarray(((db + 80.0) / 80.0)[::-1], dtype=np.float32)  # low frequencies at the bottom

    s = SUPERSAMPLE
    W, H = width * s, height * s
    left, top, right, bottom = 52 * s, (30 if analysis is not None else 14) * s, W - 12 * s, H - 26 * s
    canvas = Image.new("RGB", (W, H), _BG)
    plot = Image.fromarray(values).resize((right - left, bottom - top), Image.Resampling.BILINEAR)
    canvas.paste(Image.fromarray(_apply_cmap(np.asarray(plot))), (left, top))
    draw = ImageDraw.Draw(canvas, "RGBA")
    size = 11 * s
    total = y.shape[0] / sr
    mel_lo, mel_hi = librosa.hz_to_mel(30.0), librosa.hz_to_mel(sr / 2)
    for hz in (250, 500, 1000, 2000, 4000, 8000):
        frac = (librosa.hz_to_mel(hz) - mel_lo) / (mel_hi - mel_lo)
        yy = bottom - (bottom - top) * float(frac)
        draw.line([(left - 4 * s, yy), (left, yy)], fill=_TEXT, width=s)
        draw.line([(left, yy), (right, yy)], fill=(246, 231, 203, 28), width=s)
        draw_text(draw, (left - 6 * s, yy), f"{hz // 1000}k" if hz >= 1000 else str(hz), size=size, fill=_TEXT,
                  anchor="rm")
    draw_text(draw, (6 * s, top), t("figure.hz", lang), size=size, fill=_TEXT, anchor="la")
    _time_axis(draw, left, right, bottom, total, size, s, lang)
    if analysis is not None:
        _marks(draw, analysis, (left, top, right, bottom), total, s)
        draw_text(draw, (right, 4 * s), t("figure.spectrogram.legend", lang), size=size, fill=_TEXT, anchor="ra")
    return _finish(canvas, width, height, "spectrogram",
                   {"source": name, "width": width, "height": height, "lang": lang}, began)


def chroma_image(source: Any, *, sample_rate: int | None = None, width: int = 900, height: int = 260,
                 lang: str = "fr", max_seconds: float = MAX_SECONDS) -> ImageResult:
    """Draw the chroma: twelve rows, one per pitch class (C / do at the bottom), bright where that note sounds.

    Octaves are folded together, so a D in the bass and a D in the melody light the same row. The estimated
    tonic's row is marked on the left.

    Parameters
    ----------
    source : Analysis, AudioResult, str, path, bytes, numpy.ndarray or (array, rate)
        An :class:`Analysis` (its chroma is reused) or anything :func:`load_audio` opens.
    sample_rate : int or None, optional
        The rate of ``source`` when it is an array.
    width, height : int, optional
        Size of the picture in pixels, axes included.
    lang : str, optional
        Note names and axis: ``"en"`` letters (C, D …), ``"fr"`` solfège (do, ré …), ``"ar"`` (دو، ري …).
    max_seconds : float, optional
        Longest audio accepted.

    Returns
    -------
    ImageResult
    """
    began = time.perf_counter()
    lang = check_lang(lang)
    width, height = _check_size(width, height)
    analysis = source if isinstance(source, Analysis) else analyse(source, sample_rate=sample_rate,
                                                                   max_seconds=max_seconds)
    from PIL import Image, ImageDraw

    chroma = analysis.chroma / max(float(analysis.chroma.max()), 1e-9)
    s = SUPERSAMPLE
    W, H = width * s, height * s
    left, top, right, bottom = 52 * s, 10 * s, W - 12 * s, H - 26 * s
    canvas = Image.new("RGB", (W, H), _BG)
    plot = Image.fromarray(np.ascontiguousarray(chroma[::-1], dtype=np.float32))
    plot = plot.resize((right - left, 12), Image.Resampling.BILINEAR).resize((right - left, bottom - top),
                                                                              Image.Resampling.NEAREST)
    canvas.paste(Image.fromarray(_apply_cmap(np.asarray(plot) ** 0.8)), (left, top))
    draw = ImageDraw.Draw(canvas, "RGBA")
    size = 11 * s
    names = note_names(lang)
    row = (bottom - top) / 12
    tonic = PITCH_CLASSES.index(analysis.tonic)
    for pc in range(12):
        yc = bottom - row * (pc + 0.5)
        if pc:
            draw.line([(left, bottom - row * pc), (right, bottom - row * pc)], fill=(11, 11, 30, 140), width=s)
        colour = (242, 165, 65) if pc == tonic else _TEXT
        draw_text(draw, (left - 8 * s, yc), names[pc], size=size, fill=colour, anchor="rm")
        if pc == tonic:
            draw.polygon([(left - 5 * s, yc - 4 * s), (left - 5 * s, yc + 4 * s), (left - 1 * s, yc)], fill=colour)
    _time_axis(draw, left, right, bottom, analysis.duration, size, s, lang)
    return _finish(canvas, width, height, "chroma",
                   {"source": analysis.source, "width": width, "height": height, "lang": lang}, began)


def _pitch_label(key: int, lang: str) -> str:
    return f"{note_names(lang)[key % 12]}{key // 12 - 1}"


def _figure_word(kind: str, name: str, lang: str) -> str:
    """A track or drum name drawn in a figure: its wording in ``lang`` where the table has one, else the name."""
    key = f"figure.{kind}.{name}"
    return t(key, lang) if key in STRINGS else name.replace("_", " ")


def piano_roll_image(score: Any, *, width: int = 1000, height: int = 460, pitch_range: tuple[int, int] | None = None,
                     lang: str = "fr") -> ImageResult:
    """Draw a score as a piano roll: one colour per track, drums in their own lane at the bottom, bar lines.

    Each semitone is a row (rows of black piano keys are a shade darker). A note is drawn centred on its exact,
    fractional pitch, so a quarter tone (``62.5``) sits across the line between two semitone rows, where the ear
    hears it; quarter-tone notes also get a light outline.

    Parameters
    ----------
    score : Score or AudioResult
        A :class:`~workshop_kit.music.score.Score`, or a result holding one (``result.score``).
    width, height : int, optional
        Size of the picture in pixels, legend and axes included.
    pitch_range : (int, int) or None, optional
        Lowest and highest MIDI key shown; ``None`` fits the notes.
    lang : str, optional
        Language of the words drawn: note names on the left (``"en"`` C4, ``"fr"`` do4, ``"ar"`` دو4), track and
        drum names, the legend.

    Returns
    -------
    ImageResult

    Raises
    ------
    ParameterError
        For a result without a score, a score without notes, or a bad ``pitch_range``.
    """
    began = time.perf_counter()
    from PIL import Image, ImageDraw

    if isinstance(score, AudioResult):
        if score.score is None:
            raise ParameterError("score", f"{score.engine} result", Msg("allowed.score_result"),
                                 reason=Msg("reason.audio_only"))
        score = score.score
    if not hasattr(score, "notes") or not hasattr(score, "tracks"):
        raise ParameterError("score", type(score).__name__, Msg("allowed.score"))
    if not score.notes:
        raise ParameterError("score", "empty score", Msg("allowed.score_notes"), reason=Msg("reason.no_notes"))
    lang = check_lang(lang)
    width, height = _check_size(width, height, 300, 200)
    drums = {t.name for t in score.tracks if t.is_drum}
    melodic = [n for n in score.notes if n.track not in drums]
    hits = [n for n in score.notes if n.track in drums]
    if pitch_range is None:
        if melodic:
            lo = int(math.floor(min(n.pitch for n in melodic))) - 2
            hi = int(math.ceil(max(n.pitch for n in melodic))) + 2
            if hi - lo < 12:
                lo, hi = lo - (12 - (hi - lo)) // 2, lo - (12 - (hi - lo)) // 2 + 12
        else:
            lo, hi = 60, 72
    else:
        if not isinstance(pitch_range, (tuple, list)) or len(pitch_range) != 2:
            raise ParameterError("pitch_range", pitch_range, Msg("allowed.pitch_range"))
        lo = check_int("pitch_range[0]", pitch_range[0], 0, 126)
        hi = check_int("pitch_range[1]", pitch_range[1], lo + 1, 127)

    s = SUPERSAMPLE
    W, H = width * s, height * s
    size, small = 11 * s, 9 * s
    canvas = Image.new("RGB", (W, H), _BG)
    draw = ImageDraw.Draw(canvas, "RGBA")
    drum_keys = sorted({int(round(n.pitch)) for n in hits})
    from .theory import DRUMS

    drum_names = {v: k for k, v in DRUMS.items()}
    drum_labels = {key: _figure_word("drum", drum_names[key], lang) if key in drum_names
                   else t("figure.drum.gm", lang, n=key) for key in drum_keys}
    label_w = max((text_width(label, small) for label in drum_labels.values()), default=0)
    left, right, top, bottom = int(max(50 * s, label_w + 12 * s)), W - 12 * s, 28 * s, H - 26 * s
    lane_gap = 8 * s if drum_keys else 0
    lane_h = int(min(max(40 * s, 14 * s * len(drum_keys)), 0.3 * (bottom - top))) if drum_keys else 0
    roll_bottom = bottom - lane_h - lane_gap
    total = max(score.end, 1e-3)

    def x_of(t: float) -> float:
        return left + (right - left) * t / total

    row_h = (roll_bottom - top) / (hi - lo + 1)

    def y_of(pitch: float) -> float:  # centre of the row of ``pitch``
        return top + (hi + 0.5 - pitch) * row_h

    # rows: black keys darker, a stronger line under every C, labels on the Cs (or every row when there is room)
    for key in range(lo, hi + 1):
        y0, y1 = y_of(key + 0.5), y_of(key - 0.5)
        black = key % 12 in (1, 3, 6, 8, 10)
        draw.rectangle([left, y0, right, y1], fill=(20, 21, 46) if black else (30, 32, 64))
        if key % 12 == 0:
            draw.line([(left, y1), (right, y1)], fill=(90, 96, 150), width=s)
        if key % 12 == 0 or (row_h >= 13 * s and not black):
            draw_text(draw, (left - 6 * s, y_of(key)), _pitch_label(key, lang),
                      fill=_TEXT if key % 12 == 0 else (170, 165, 160), size=size, anchor="rm")
    if drum_keys:
        draw.rectangle([left, bottom - lane_h, right, bottom], fill=(24, 24, 52))
    # bar and beat lines
    beat = 60.0 / float(score.tempo) if score.tempo else total
    bar = beat * max(int(score.beats_per_bar), 1)
    n_beats = int(total / beat) + 1
    bar_px = bar / total * (right - left) / s
    label_every = next((k for k in (1, 2, 4, 8, 16, 32) if k * bar_px >= 22), 64)
    for i in range(n_beats + 1):
        x = x_of(i * beat)
        if x > right + 0.5:
            break
        strong = i % max(int(score.beats_per_bar), 1) == 0
        colour = (200, 190, 170, 150) if strong else (120, 124, 170, 55)
        for y0, y1 in ((top, roll_bottom), (bottom - lane_h, bottom) if drum_keys else (0, 0)):
            if y1 > y0:
                draw.line([(x, y0), (x, y1)], fill=colour, width=s)
        bar_number = i // max(int(score.beats_per_bar), 1)
        if strong and bar_number % label_every == 0 and x < right - 8 * s:
            draw_text(draw, (x + 2 * s, bottom + 4 * s), str(bar_number + 1), fill=_TEXT, size=size, anchor="la")

    colours = {t.name: _hex(_TRACK_COLOURS[i % len(_TRACK_COLOURS)]) for i, t in enumerate(score.tracks)}
    # melodic notes, centred on their fractional pitch
    for n in sorted(melodic, key=lambda n: n.start):
        if not lo - 0.5 <= n.pitch <= hi + 0.5:
            continue
        c = colours[n.track]
        shade = 0.55 + 0.45 * n.velocity / 127
        fill = tuple(int(v * shade + b * (1 - shade)) for v, b in zip(c, (30, 32, 64)))
        x0, x1 = x_of(n.start), max(x_of(n.end) - 1 * s, x_of(n.start) + 2 * s)
        y0, y1 = y_of(n.pitch + 0.5) + 1 * s, y_of(n.pitch - 0.5) - 1 * s
        radius = int(min(3 * s, (y1 - y0) / 2, (x1 - x0) / 2))
        quarter = abs(n.pitch - round(n.pitch)) > 1e-6
        draw.rounded_rectangle([x0, y0, x1, y1], radius=radius, fill=fill,
                               outline=(250, 244, 230) if quarter else None, width=s if quarter else 0)
    # drum lane: one row per percussion key, a diamond per stroke
    if drum_keys:
        lane_row = lane_h / len(drum_keys)
        for i, key in enumerate(reversed(drum_keys)):
            yc = bottom - lane_h + lane_row * (i + 0.5)
            if lane_row >= 9 * s:
                draw_text(draw, (left - 6 * s, yc), drum_labels[key], fill=(170, 165, 160), size=small, anchor="rm")
        for n in hits:
            c = colours[n.track]
            i = len(drum_keys) - 1 - drum_keys.index(int(round(n.pitch)))
            yc = bottom - lane_h + lane_row * (i + 0.5)
            xc = x_of(n.start)
            r = max(2 * s, min(lane_row * 0.38, 5 * s)) * (0.6 + 0.4 * n.velocity / 127)
            draw.polygon([(xc, yc - r), (xc + r, yc), (xc, yc + r), (xc - r, yc)], fill=c + (235,))
    # legend: one swatch per track
    x = left
    for track in score.tracks:
        label = _figure_word("track", track.name, lang)
        draw.rounded_rectangle([x, 9 * s, x + 14 * s, 19 * s], radius=2 * s, fill=colours[track.name])
        draw_text(draw, (x + 19 * s, 14 * s), label, fill=_TEXT, size=size, anchor="lm")
        x += 19 * s + int(text_width(label, size)) + 16 * s
    if any(abs(n.pitch - round(n.pitch)) > 1e-6 for n in melodic):
        draw_text(draw, (right, 14 * s), t("figure.quarter_tone", lang), fill=(250, 244, 230), size=size, anchor="rm")
    draw_text(draw, (left - 6 * s, bottom + 4 * s), t("figure.bar", lang), fill=(170, 165, 160), size=size,
              anchor="ra")
    return _finish(canvas, width, height, "piano_roll",
                   {"tracks": [tr.name for tr in score.tracks], "tempo": score.tempo, "width": width,
                    "height": height, "lang": lang}, began)
