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


# --------------------------------------------------------------------------------------------------------------------
# Runtimes: fp32 and the int8 decoder on the same tiny model


def test_auto_runs_the_int8_decoder_on_a_cpu_and_says_so(folder):
    result = make(folder, runtime="auto", device="cpu")
    assert result.model["runtime"]["name"] == "int8" and result.params["runtime"] == "auto"
    assert make(folder, runtime="torch").model["runtime"]["name"] == "torch"
    again = make(folder, runtime="int8", seed=0, device="cpu")
    assert np.array_equal(again.audio, result.audio)  # the same seed, the same music, on one runtime


def test_the_int8_decoder_stays_close_to_fp32(folder):
    import torch

    fp32, processor = musicgen.load_model(str(folder), "cpu", "torch")
    inputs = processor(text=["gnawa"], padding=True, return_tensors="pt")
    ids = torch.randint(0, fp32.decoder.config.vocab_size, (fp32.decoder.config.num_codebooks, 8),
                        generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        reference = fp32(**inputs, decoder_input_ids=ids).logits
        quantized = musicgen.load_model(str(folder), "cpu", "int8")[0]
        int8 = quantized(**inputs, decoder_input_ids=ids).logits
    assert float((int8 - reference).pow(2).mean().sqrt() / reference.pow(2).mean().sqrt()) < 0.1
    kinds = {type(m).__module__ for m in quantized.decoder.modules() if type(m).__name__ == "Linear"}
    assert kinds == {"torch.ao.nn.quantized.dynamic.modules.linear"}  # every linear layer of the decoder


def test_loading_warms_the_model_up(folder, monkeypatch):
    from transformers import MusicgenForConditionalGeneration

    calls = []
    original = MusicgenForConditionalGeneration.generate

    def counting(self, *args, **kwargs):
        calls.append(kwargs.get("max_new_tokens"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MusicgenForConditionalGeneration, "generate", counting)
    musicgen.load_model.cache_clear()
    make(folder)
    assert calls == [musicgen.WARM_UP_STEPS, 50]  # the warm-up as it loads, then the piece


def test_short_memory_is_said_and_a_bad_runtime_is_named(folder, monkeypatch):
    from workshop_kit import runtime

    monkeypatch.setattr(runtime, "fits", lambda need: (False, 0.3))
    result = make(folder, runtime="auto", device="cpu")
    assert "0.3 GB are free" in result.notes[0]
    with pytest.raises(ParameterError, match="runtime"):
        make(folder, runtime="openvino")
