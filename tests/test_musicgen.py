"""MusicGen's real loading and generation code, on a tiny random model built here (no download)."""

import json

import numpy as np
import pytest
import soundfile

from workshop_kit import tiny_models
from workshop_kit.errors import MissingModelError, OutputPathError, ParameterError
from workshop_kit.music import musicgen


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tiny_models.musicgen(tmp_path_factory.mktemp("models") / "musicgen-small")


def make(folder, **kw):
    options = dict(prompt="gnawa trance with guembri", seconds=1.0, seed=0, model_path=folder, progress=False)
    options.update(kw)
    return musicgen.generate(**options)


def test_audio_length_rate_and_licence(folder, tmp_path):
    result = make(folder, seconds=2.0)
    assert result.sample_rate == 32000 and result.audio.dtype == np.float32 and result.audio.ndim == 2
    assert result.duration == pytest.approx(2.0, abs=0.1)
    assert np.abs(result.audio).max() <= 1.0
    assert result.model["id"] == "facebook/musicgen-small" and result.model["commercial_use"] is False
    assert "NC" in result.model["licence"]
    result.save(tmp_path / "m.wav")
    audio, rate = soundfile.read(tmp_path / "m.wav")
    assert rate == 32000 and len(audio) == len(result.audio)
    assert json.loads((tmp_path / "m.wav.json").read_text())["model"]["licence"] == result.model["licence"]


def test_no_midi_for_audio_only_results(folder, tmp_path):
    with pytest.raises(OutputPathError, match="no MIDI"):
        make(folder).save(tmp_path / "m.mid")
    assert list(tmp_path.iterdir()) == []


def test_seed_determinism_and_global_rng_untouched(folder):
    import torch

    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = make(folder, seed=7)
    assert torch.equal(torch.rand(1), expected_next)  # the caller's random stream is left alone
    b, c = make(folder, seed=7), make(folder, seed=8)
    assert np.array_equal(a.audio, b.audio) and not np.array_equal(a.audio, c.audio)


def test_model_is_loaded_once(folder):
    make(folder)
    before = musicgen.load_model.cache_info()
    make(folder, seed=3)
    after = musicgen.load_model.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses


@pytest.mark.parametrize(
    "kw, named",
    [(dict(prompt=" "), "prompt"), (dict(prompt="x" * 10_000), "prompt"), (dict(seconds=0), "seconds"),
     (dict(seconds=31), "seconds"), (dict(temperature=0), "temperature"), (dict(guidance_scale=50), "guidance_scale")],
)
def test_bad_input_is_named(folder, kw, named):
    with pytest.raises(ParameterError, match=named):
        make(folder, **kw)


def test_missing_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_KIT_MODELS", str(tmp_path))
    with pytest.raises(MissingModelError, match="musicgen-small"):
        musicgen.generate(prompt="chaabi")
