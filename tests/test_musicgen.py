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


def test_auto_runs_the_lean_loop_on_a_cpu_and_says_so(folder):
    result = make(folder, runtime="auto", device="cpu")
    assert result.model["runtime"]["name"] in musicgen.LEAN and result.params["runtime"] == "auto"
    assert make(folder, runtime="torch").model["runtime"]["name"] == "torch"
    again = make(folder, runtime=result.model["runtime"]["name"], seed=0, device="cpu")
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
        int8 = quantized.forced_logits(inputs["input_ids"], inputs["attention_mask"], ids)
    assert int8.shape == reference.shape
    assert float((int8 - reference).pow(2).mean().sqrt() / reference.pow(2).mean().sqrt()) < 0.1
    kinds = {type(m).__module__ for m in quantized.decoder.modules() if type(m).__name__ == "Linear"}
    assert kinds == {"torch.ao.nn.quantized.dynamic.modules.linear"}  # every linear layer of the decoder


@pytest.mark.parametrize("guidance, temperature, sample", [(3.0, 1.0, True), (1.0, 0.7, True), (3.0, 1.0, False)])
def test_the_lean_loop_makes_exactly_the_music_of_transformers_generate(folder, guidance, temperature, sample):
    """Same weights (fp32), same seed: the kit's loop samples the very codes ``generate`` samples, so int8 differs
    from ``runtime="torch"`` by its weights' rounding alone."""
    import torch
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    from workshop_kit.music.musicgen_lean import LeanMusicgen

    processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
    inputs = processor(text=["gnawa trance"], padding=True, return_tensors="pt")
    load = lambda: MusicgenForConditionalGeneration.from_pretrained(folder, local_files_only=True).eval()  # noqa: E731
    model, lean = load(), LeanMusicgen(load(), int8=False)
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        with torch.inference_mode():
            expected = model.generate(**inputs, do_sample=sample, guidance_scale=guidance, temperature=temperature,
                                      max_new_tokens=30)
        torch.manual_seed(seed)
        with torch.inference_mode():
            got = lean.generate(inputs["input_ids"], inputs["attention_mask"], steps=30, guidance_scale=guidance,
                                temperature=temperature, do_sample=sample)
        assert got.shape == expected.shape and torch.equal(got, expected)
    ids = torch.randint(0, model.decoder.config.vocab_size, (model.decoder.config.num_codebooks, 12),
                        generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        reference = model(**inputs, decoder_input_ids=ids).logits
        forced = lean.forced_logits(inputs["input_ids"], inputs["attention_mask"], ids)
    assert torch.allclose(forced, reference, atol=1e-5)


def test_the_lean_cache_is_bounded_by_the_steps_it_was_made_for(folder):
    import torch

    lean, processor = musicgen.load_model(str(folder), "cpu", "int8")
    inputs = processor(text=["gnawa"], padding=True, return_tensors="pt")
    with torch.inference_mode():
        lean.decoder.start(lean._states(inputs["input_ids"], inputs["attention_mask"], True), 2)
        codes = torch.zeros((2, lean.codebooks, 1), dtype=torch.long)
        assert lean.decoder.step(codes, 1).shape == (2, lean.codebooks, lean.config.decoder.vocab_size)
        with pytest.raises(IndexError, match="step 2"):
            lean.decoder.step(codes, 2)
    lean.decoder.finish()


def test_a_stereo_model_runs_in_transformers_and_says_why(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"decoder": {"audio_channels": 2}}))
    choice = musicgen.choose_runtime("int8", "cpu", str(tmp_path))
    assert choice.name == "torch" and "stereo" in choice.why


@pytest.fixture()
def cache(tmp_path_factory, monkeypatch):
    """A cache of the module's own for OpenVINO's converted EnCodec, and no model kept from another test."""
    monkeypatch.setenv("WORKSHOP_KIT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "musicgen-cache"))
    musicgen.load_model.cache_clear()
    yield
    musicgen.load_model.cache_clear()


@pytest.mark.skipif(not __import__("workshop_kit.openvino_rt").openvino_rt.available(),
                    reason="OpenVINO is not installed (pip install 'workshop-kit[fast]')")
def test_int8_decodes_its_audio_through_openvino_as_pytorch_does(folder, cache):
    import torch

    from workshop_kit.music.musicgen_lean import OpenVinoAudio

    lean, _ = musicgen.load_model(str(folder), "cpu", "int8")
    assert isinstance(lean.audio, OpenVinoAudio) and any("converted" in note for note in lean.notes)
    for frames in (3, 16, 31):  # one network, any length (PyTorch below 16 frames)
        codes = torch.randint(0, lean.config.decoder.vocab_size, (1, 1, lean.codebooks, frames),
                              generator=torch.Generator().manual_seed(frames))
        with torch.inference_mode():
            expected = lean.audio_encoder.decode(codes, audio_scales=[None]).audio_values
            got = lean.audio(codes)
        assert got.shape == expected.shape
        assert float((got - expected).abs().max()) <= 1e-4 * float(expected.abs().max())
    first, second = make(folder, runtime="int8", device="cpu"), make(folder, runtime="int8", device="cpu")
    assert any("converted musicgen-small-audio to OpenVINO" in note for note in first.notes)  # said once
    assert second.model["runtime"]["audio_decoder"] == "openvino" and second.notes == []
    musicgen.load_model.cache_clear()  # the next load finds the converted network: nothing to say
    assert make(folder, runtime="int8", device="cpu").notes == []


@pytest.mark.skipif(not __import__("workshop_kit.openvino_rt").openvino_rt.available(),
                    reason="OpenVINO is not installed (pip install 'workshop-kit[fast]')")
def test_openvinos_kept_cache_steps_as_the_lean_loop_does(folder, cache):
    """The step converted with fp32 weights, its cache kept inside OpenVINO's network: the logits of the lean
    PyTorch loop, and the very codes it samples, with and without guidance (two rows, one)."""
    import torch
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    from workshop_kit import openvino_rt
    from workshop_kit.music.musicgen_lean import LeanMusicgen, OpenVinoSteps

    processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
    inputs = processor(text=["gnawa trance"], padding=True, return_tensors="pt")
    load = lambda: MusicgenForConditionalGeneration.from_pretrained(folder, local_files_only=True).eval()  # noqa: E731
    reference, model = LeanMusicgen(load(), int8=False), load()
    part = musicgen._decoder_parts(model)[0]
    converted = openvino_rt.convert("test-decoder", folder, [part], "fp32", progress=False)
    compiled = openvino_rt.compile_part(converted, part.name, part.given(), "f32", {"KV_CACHE_PRECISION": "f32"})
    kept = {op.get_rt_info()["layerType"].astype(str) for op in compiled.get_runtime_model().get_ops()}
    assert "ScaledDotProductAttention" in kept and "MemoryInput" in kept  # the cache fused into the attention
    lean = LeanMusicgen(model, int8=False, steps=OpenVinoSteps(compiled))
    ids = torch.randint(0, model.config.decoder.vocab_size, (lean.codebooks, 12),
                        generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        expected = reference.forced_logits(inputs["input_ids"], inputs["attention_mask"], ids)
        got = lean.forced_logits(inputs["input_ids"], inputs["attention_mask"], ids)
    assert got.shape == expected.shape
    assert float((got - expected).abs().max()) <= 1e-5 * float(expected.abs().max())
    for guidance in (3.0, 1.0):
        codes = []
        for loop in (reference, lean):
            torch.manual_seed(0)
            with torch.inference_mode():
                codes.append(loop.codes(inputs["input_ids"], inputs["attention_mask"], steps=30,
                                        guidance_scale=guidance))
        assert torch.equal(*codes)


@pytest.mark.skipif(not __import__("workshop_kit.openvino_rt").openvino_rt.available(),
                    reason="OpenVINO is not installed (pip install 'workshop-kit[fast]')")
def test_int8_runs_its_steps_in_openvino_and_stays_close_to_fp32(folder, cache):
    import torch

    lean, processor = musicgen.load_model(str(folder), "cpu", "openvino")
    assert lean.decoder.outside is not None
    assert not hasattr(lean.decoder.layers[0], "fc1")  # the step's weights live in OpenVINO alone
    fp32 = musicgen.load_model.__wrapped__(str(folder), "cpu", "torch")[0]
    inputs = processor(text=["gnawa"], padding=True, return_tensors="pt")
    ids = torch.randint(0, lean.config.decoder.vocab_size, (lean.codebooks, 8),
                        generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        reference = fp32(**inputs, decoder_input_ids=ids).logits
        int8 = lean.forced_logits(inputs["input_ids"], inputs["attention_mask"], ids)
    assert float((int8 - reference).pow(2).mean().sqrt() / reference.pow(2).mean().sqrt()) < 0.1
    first, second = (make(folder, runtime="openvino", device="cpu"),
                     make(folder, runtime="openvino", device="cpu", seed=1))
    assert first.model["runtime"]["decoder"] == "openvino" and second.notes == []
    assert np.array_equal(make(folder, runtime="openvino", device="cpu").audio, first.audio)  # seed 0 again
    assert make(folder, runtime="int8", device="cpu").model["runtime"]["decoder"] == "torch"


@pytest.mark.skipif(not __import__("workshop_kit.openvino_rt").openvino_rt.available(),
                    reason="OpenVINO is not installed (pip install 'workshop-kit[fast]')")
def test_auto_times_both_forms_once_and_keeps_the_faster(folder, cache, monkeypatch):
    from workshop_kit import runtime

    faster = musicgen.faster_steps(str(folder))
    kept = runtime.recorded_seconds("musicgen-steps", musicgen._race_options(str(folder)))
    assert faster in musicgen.LEAN and kept["faster"] == faster
    assert kept[f"{faster}_step_ms"] <= min(kept["int8_step_ms"], kept["openvino_step_ms"])
    assert make(folder, runtime="auto", device="cpu").model["runtime"]["name"] == faster
    with monkeypatch.context() as patched:  # known: nothing is loaded or timed again
        patched.setattr(musicgen, "load_model", None)
        assert musicgen.choose_runtime("auto", "cpu", str(folder)).name == faster


def test_a_failed_conversion_leaves_the_audio_to_pytorch_and_says_so(folder, cache, monkeypatch):
    from workshop_kit import openvino_rt

    def broken(*args, **kwargs):
        raise OSError("No space left on device: /somewhere/openvino")

    monkeypatch.setattr(openvino_rt, "available", lambda: False)
    plain = make(folder, runtime="int8", device="cpu")
    musicgen.load_model.cache_clear()
    monkeypatch.setattr(openvino_rt, "available", lambda: True)
    monkeypatch.setattr(openvino_rt, "convert", broken)
    result = make(folder, runtime="openvino", device="cpu")
    assert result.model["runtime"]["audio_decoder"] == "torch" and plain.notes == []
    assert result.model["runtime"]["decoder"] == "torch"
    assert np.array_equal(result.audio, plain.audio)  # the same piece as without OpenVINO
    assert any("decoded by PyTorch" in note for note in result.notes)
    assert any("decoder runs in PyTorch" in note for note in result.notes)
    assert not any("/somewhere" in note for note in result.notes)  # no path in what a user reads
    assert make(folder, runtime="openvino", device="cpu").notes == []  # said once, to the first piece


@pytest.mark.parametrize("runtime", ["int8", "openvino", "torch"])
def test_loading_warms_the_model_up(folder, monkeypatch, runtime):
    from transformers import MusicgenForConditionalGeneration

    from workshop_kit.music.musicgen_lean import LeanMusicgen

    calls = []
    original_hf, original_lean = MusicgenForConditionalGeneration.generate, LeanMusicgen.generate

    def counting_hf(self, *args, **kwargs):
        calls.append(kwargs.get("max_new_tokens"))
        return original_hf(self, *args, **kwargs)

    def counting_lean(self, *args, **kwargs):
        calls.append(kwargs.get("steps"))
        return original_lean(self, *args, **kwargs)

    monkeypatch.setattr(MusicgenForConditionalGeneration, "generate", counting_hf)
    monkeypatch.setattr(LeanMusicgen, "generate", counting_lean)
    musicgen.load_model.cache_clear()
    make(folder, runtime=runtime, device="cpu")
    assert calls == [musicgen.WARM_UP_STEPS, 50]  # the warm-up as it loads, then the piece


def test_short_memory_is_said_and_a_bad_runtime_is_named(folder, monkeypatch):
    from workshop_kit import runtime

    monkeypatch.setattr(runtime, "fits", lambda need: (False, 0.3))
    result = make(folder, runtime="auto", device="cpu")
    assert "0.3 GB are free" in result.notes[0]
    with pytest.raises(ParameterError, match="runtime"):
        make(folder, runtime="onnx")
