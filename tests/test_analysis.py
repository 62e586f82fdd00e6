"""Audio analysis: safe loading, tempo / onsets / chroma / key, and the figures drawn without a plotting package."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from workshop_kit import music
from workshop_kit.errors import ParameterError
from workshop_kit.music import analysis as A
from workshop_kit.music.score import Score
from workshop_kit.results import ImageResult

soundfile = pytest.importorskip("soundfile")
pytest.importorskip("librosa")

SR = 22050


def clicks(bpm: float, seconds: float = 12.0, sr: int = SR) -> np.ndarray:
    """A metronome: a short decaying 1 kHz click on every beat, accented every fourth."""
    y = np.zeros(int(seconds * sr), np.float32)
    n = int(0.03 * sr)
    click = (np.sin(2 * np.pi * 1000 * np.arange(n) / sr) * np.exp(-np.arange(n) / (0.006 * sr))).astype(np.float32)
    for i, start in enumerate(np.arange(0, seconds - 0.05, 60.0 / bpm)):
        s = int(start * sr)
        y[s:s + n] += click * (0.9 if i % 4 == 0 else 0.6)
    return y


def tone(midi: float, seconds: float, sr: int = SR) -> np.ndarray:
    """A plucked-string-like tone with a few harmonics."""
    t = np.arange(int(seconds * sr)) / sr
    f = 440.0 * 2 ** ((midi - 69) / 12)
    y = sum(np.sin(2 * np.pi * f * k * t) / k for k in (1, 2, 3, 4))
    return (0.2 * y * np.exp(-t * 1.5)).astype(np.float32)


@pytest.fixture(scope="module")
def piece():
    return music.generate(scale="major", rhythm="chaabi", bars=6, seed=11)


@pytest.fixture(scope="module")
def piece_analysis(piece):
    return A.analyse(piece)


# ------------------------------------------------------------------------------------------------ measures
def test_import_is_cheap():
    code = "import sys, workshop_kit.music.analysis; print('librosa' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("bpm", [90, 120])
def test_click_track_tempo(bpm):
    # A metronome is unambiguous: the exact tempo is required, within 2 % (no half or double accepted).
    a = A.analyse(clicks(bpm), sample_rate=SR)
    assert a.tempo == pytest.approx(bpm, rel=0.02)
    gaps = np.diff(a.beat_times)
    assert gaps.mean() == pytest.approx(60 / bpm, rel=0.02) and np.all(np.abs(gaps - 60 / bpm) < 0.03)
    assert len(a.onset_times) >= 0.8 * 12 * bpm / 60


def test_generated_piece_tempo_and_onsets(piece, piece_analysis):
    a = piece_analysis
    target = piece.params["tempo"]
    # Beat trackers may lock on half or double the composed tempo: each is accepted within 5 %.
    assert any(abs(a.tempo - target * k) <= 0.05 * target * k for k in (0.5, 1, 2)), (a.tempo, target)
    assert a.duration == pytest.approx(piece.duration, abs=0.01)
    assert len(a.onset_times) > 20 and np.all(np.diff(a.onset_times) > 0)
    assert 0 <= a.onset_times[0] and a.onset_times[-1] <= a.duration
    assert -30 < a.rms_dbfs < -10 and a.peak_dbfs <= 0.5
    assert a.source == "rules result"


def test_chroma_shape(piece_analysis):
    a = piece_analysis
    frames = int(round(a.duration * a.sample_rate / a.hop_length))
    assert a.chroma.shape[0] == 12 and abs(a.chroma.shape[1] - frames) <= 2
    assert a.chroma.dtype == np.float32 and 0 <= a.chroma.min() and a.chroma.max() <= 1.0 + 1e-5
    assert a.chroma_times.shape == (a.chroma.shape[1],)
    assert a.pitch_class_profile.sum() == pytest.approx(1.0)


def test_key_of_a_d_major_scale():
    d_major = [62, 64, 66, 67, 69, 71, 73, 74, 73, 71, 69, 67, 66, 64, 62]
    y = np.concatenate([tone(p, 0.4) for p in d_major] + [tone(50, 1.5) + tone(62, 1.5) + tone(66, 1.5)])
    a = A.analyse(y, sample_rate=SR)
    assert (a.tonic, a.mode, a.key_estimate) == ("D", "major", "D major")
    assert a.key_correlation > 0.6 and a.key_candidates[0][0] == "D major"
    assert "ré majeur" in a.summary("fr") and "D major" in a.summary("en")


def test_to_dict_is_json(piece_analysis):
    d = piece_analysis.to_dict()
    text = json.dumps(d)
    assert d["chroma_shape"][0] == 12 and "chroma" not in d and "key_estimate" in text
    assert len(piece_analysis.to_dict(full=True)["chroma"]) == 12


def test_accepts_results_arrays_files_and_bytes(tmp_path, piece):
    path = tmp_path / "piece.flac"
    piece.save(path)
    y, sr = A.load_audio(path)
    assert sr == piece.sample_rate and y.ndim == 1 and y.dtype == np.float32
    assert y.shape[0] == piece.audio.shape[0]
    y2, sr2 = A.load_audio(path.read_bytes(), sample_rate=22050)
    assert sr2 == 22050 and abs(y2.shape[0] - y.shape[0] / 2) <= 2
    y3, _ = A.load_audio(piece)
    np.testing.assert_allclose(y3, piece.audio.mean(axis=1), atol=1e-6)
    assert A.analyse(path).source == "piece.flac"
    with pytest.raises(ParameterError, match="sample_rate"):
        A.load_audio(y3)  # an array needs its rate


def test_mp3_when_available(tmp_path):
    if ".mp3" not in A.audio_formats():
        pytest.skip("this libsndfile has no MP3")
    path = tmp_path / "clicks.mp3"
    soundfile.write(path, clicks(120, 4.0), SR, format="MP3")
    y, sr = A.load_audio(path)
    assert sr == SR and y.shape[0] == pytest.approx(4.0 * SR, rel=0.05)


# ------------------------------------------------------------------------------------------------ refusals
def _refused(source, *words, **options) -> ParameterError:
    with pytest.raises(ParameterError) as info:
        A.load_audio(source, **options)
    err = info.value
    for word in words:
        assert word in str(err), (word, str(err))
    assert err.message_fr != err.message_en
    return err


def test_refuses_a_too_big_file_before_reading_it(tmp_path):
    path = tmp_path / "huge.wav"
    with open(path, "wb") as fh:  # sparse: 21 MiB on paper, nothing on disk
        fh.truncate(21 * 2**20)
    err = _refused(path, "huge.wav", "too big", "21.0 MB")
    assert "trop gros" in err.message_fr


def test_refuses_a_too_long_file(tmp_path):
    path = tmp_path / "long.wav"
    noise = (np.random.default_rng(0).standard_normal(61 * 8000) * 0.01).astype(np.float32)
    soundfile.write(path, noise, 8000)
    err = _refused(path, "long.wav", "61.0 s", "more than 60 s")
    assert "plus de 60 s" in err.message_fr
    assert A.load_audio(path, max_seconds=62)[0].shape == (61 * 8000,)


def test_refuses_a_corrupt_file(tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    err = _refused(path, "broken.wav", "cannot be read as audio")
    assert "abîmé" in err.message_fr


def test_refuses_an_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    err = _refused(path, "empty.wav", "empty")
    assert "vide" in err.message_fr
    _refused(b"", "uploaded audio", "empty")


def test_refuses_a_wav_without_samples(tmp_path):
    path = tmp_path / "nothing.wav"
    soundfile.write(path, np.zeros((0, 1), np.float32), 8000)
    _refused(path, "nothing.wav", "no audio")


def test_refuses_a_silent_file(tmp_path):
    path = tmp_path / "silence.wav"
    soundfile.write(path, np.zeros(2 * 8000, np.float32), 8000)
    err = _refused(path, "silence.wav", "silent")
    assert "silencieux" in err.message_fr
    _refused(np.zeros(SR, np.float32), "silent", sample_rate=SR)


def test_refuses_an_unsupported_extension_and_a_missing_file(tmp_path):
    path = tmp_path / "song.m4a"
    path.write_bytes(b"\x00" * 100)
    err = _refused(path, "song.m4a", "unsupported file type", "'.m4a'", ".wav")
    assert "non pris en charge" in err.message_fr
    _refused(tmp_path / "missing.wav", "missing.wav", "no such file")


def test_refuses_bad_arrays():
    _refused(np.full(SR, np.nan, np.float32), "NaN", sample_rate=SR)
    _refused(np.ones(100, np.float32), "only", sample_rate=SR)  # too short to mean anything
    with pytest.raises(ParameterError, match="sample_rate"):
        A.analyse(np.ones(SR, np.float32), sample_rate=10)


# ------------------------------------------------------------------------------------------------ figures
def test_spectrogram_image(tmp_path, piece, piece_analysis):
    img = A.spectrogram_image(piece, width=640, height=240)
    assert isinstance(img, ImageResult)
    assert img.image.shape == (240, 640, 3) and img.image.dtype == np.uint8
    assert img.image.std() > 20 and len(np.unique(img.image.reshape(-1, 3), axis=0)) > 200  # not blank
    marked = A.spectrogram_image(piece, analysis=piece_analysis, width=640, height=240)
    assert not np.array_equal(marked.image, img.image)
    saved = marked.save(tmp_path / "spectrogram.png")
    assert saved.is_file() and (tmp_path / "spectrogram.png.json").is_file()


def test_chroma_image(piece_analysis):
    img = A.chroma_image(piece_analysis, width=500, height=200, lang="en")
    assert img.image.shape == (200, 500, 3) and img.image.dtype == np.uint8 and img.image.std() > 20


def test_colormap_gets_lighter():
    lut = A.colormap(256).astype(float)
    luma = lut @ [0.2126, 0.7152, 0.0722]
    assert lut.shape == (256, 3) and np.all(np.diff(luma) > -0.5)


def _centre_rows(image: np.ndarray, top: int = 30) -> list[float]:
    """Vertical centre of the orange (first track) note in each third of the orange area."""
    r, g, b = (image[..., k].astype(int) for k in range(3))
    mask = (r > 150) & (b < 120) & (r - b > 80)
    mask[:top] = False  # the legend swatch
    xs = np.flatnonzero(mask.any(axis=0))
    x0, x1 = xs.min(), xs.max()
    centres = []
    for k in range(3):
        x = int(x0 + (x1 - x0) * (k + 0.5) / 3)
        centres.append(float(np.flatnonzero(mask[:, x]).mean()))
    return centres


def test_piano_roll_draws_quarter_tones_between_semitone_rows():
    score = Score(tempo=60.0)
    score.add_track("lead", 24)
    score.add_track("perc", is_drum=True)
    for i, pitch in enumerate((62.0, 62.5, 63.0)):
        score.add("lead", i, 0.9, pitch)
        score.add("perc", i, 0.1, 85)
    img = A.piano_roll_image(score, width=600, height=400, pitch_range=(55, 70)).image
    assert img.shape == (400, 600, 3) and img.dtype == np.uint8
    y62, y62_5, y63 = _centre_rows(img)
    row = y62 - y63
    assert row > 8  # one semitone row is (400 - margins) / 16 pixels high
    assert y63 < y62_5 < y62  # higher pitch is higher up
    assert y62_5 == pytest.approx((y62 + y63) / 2, abs=1.0)  # on the line between the rows of 62 and 63


def test_piano_roll_of_a_generated_piece(piece):
    img = A.piano_roll_image(piece, lang="en")
    assert img.image.shape == (460, 1000, 3) and img.params["tracks"] == [t.name for t in piece.score.tracks]


def test_piano_roll_refusals(piece):
    with pytest.raises(ParameterError, match="no notes"):
        A.piano_roll_image(Score())
    audio_only = type(piece)(engine="musicgen", seed=0, params={}, device="cpu", seconds=0.0, audio=piece.audio,
                             sample_rate=piece.sample_rate, score=None)
    with pytest.raises(ParameterError, match="audio only"):
        A.piano_roll_image(audio_only)
    with pytest.raises(ParameterError, match="pitch_range"):
        A.piano_roll_image(piece, pitch_range=(70, 60))
