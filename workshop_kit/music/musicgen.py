"""MusicGen-small (pretrained tier): text → up to 30 s of music, through transformers.

The weights are for non-commercial use (CC-BY-NC 4.0): every result carries that licence in its provenance, and the
booth shows it. They come from the offline pack or the local cache (see :mod:`workshop_kit.pretrained`), never from
the network. The model is loaded once per (folder, device, runtime) and reused, and warmed up as it loads (a few
steps of a short piece), so the first piece takes no longer than the next ones.

Nearly all of a piece's time is the decoder's steps (50 per second of audio, each reading every decoder weight for
two rows: with and without the prompt). On a CPU, ``"auto"`` takes the kit's lean loop
(:mod:`workshop_kit.music.musicgen_lean`; it samples as transformers does), in one of two forms, whichever is
faster on this machine (timed once: :func:`faster_steps`). With ``runtime="openvino"`` (OpenVINO installed), the
decoder's step is one OpenVINO network, converted once into the cache with int8 weights, that keeps its cache
inside and appends to it in place (:func:`openvino_steps`), and EnCodec turns the codes into sound through OpenVINO
too (its decoder converted once, fp32: the same audio to 1e-5, a quarter less time). With ``runtime="int8"`` (or if
the step's conversion fails: a note says so), the lean loop runs the decoder's linear layers in 8 bits through
PyTorch's dynamic quantization (the cache written in place, fused products), EnCodec still through OpenVINO where
it is installed. ``"torch"`` is transformers' own ``generate`` with every weight in fp32 (fp16 on a GPU).
The provenance says which runtime ran.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from .. import runtime as runtimes
from ..device import resolve_device
from ..pretrained import get_spec, locate
from ..registry import ENGINES
from ..results import AudioResult
from ..validation import resolve_seed

MODEL_KEY = "musicgen-small"
LEAN = ("int8", "openvino")  # the runtimes of the kit's lean loop: its steps in PyTorch int8, or in OpenVINO
RACE_STEPS = 60  # the steps of each runtime's timed piece when "auto" first chooses between them on a machine
ENGINE = ENGINES["musicgen"]
MAX_SECONDS = ENGINE.option("seconds").high
WARM_UP_STEPS = 4
_OVERHEAD_GB = 0.7  # libraries and activations beyond the weights, measured on the real architecture


@functools.lru_cache(maxsize=1)
def load_model(folder: str, device: str, runtime: str = "torch"):
    """Load the MusicGen model and its processor from ``folder`` onto ``device`` (cached), warmed up."""
    import torch
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    model = MusicgenForConditionalGeneration.from_pretrained(folder, dtype=dtype, local_files_only=True)
    processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
    model = model.to(device).eval()
    with torch.random.fork_rng(devices=[torch.device(device)] if device.startswith("cuda") else []), \
            torch.inference_mode():  # the first steps are slow (kernels chosen, weights paged in): not a visitor's
        inputs = processor(text=["warm up"], padding=True, return_tensors="pt").to(device)
        if runtime in LEAN:  # transformers' decoder is let go: the lean one holds its layers, in 8 bits
            from .musicgen_lean import LeanMusicgen

            steps, notes = openvino_steps(folder, model) if runtime == "openvino" else (None, [])
            model = LeanMusicgen(model, int8=True, steps=steps)
            model.audio, audio_notes = openvino_audio(folder, model)
            model.notes = notes + audio_notes
            model.generate(inputs["input_ids"], inputs["attention_mask"], steps=WARM_UP_STEPS)
            if model.audio is not None:  # a booth piece's length of audio through OpenVINO's network: it makes
                # its kernels and buffers for each new length (0.8 s the first time for 5 s of audio)
                booth = int(round(ENGINE.cases[0].options["seconds"] * model.config.audio_encoder.frame_rate))
                frames = booth - model.codebooks + 1  # what the steps give once the delay pattern is removed
                model.audio(torch.zeros((1, 1, model.codebooks, frames), dtype=torch.long))
        else:
            model.generate(**inputs, do_sample=True, guidance_scale=3.0, max_new_tokens=WARM_UP_STEPS)
    return model, processor


AUDIO_KEY = f"{MODEL_KEY}-audio"
DECODER_KEY = f"{MODEL_KEY}-decoder"


def _decoder_parts(model) -> list:
    """The decoder's step as one OpenVINO network keeping its cache (:class:`~.musicgen_lean.StepNetwork`)."""
    from .. import openvino_rt
    from .musicgen_lean import StepNetwork

    count = len(model.decoder.model.decoder.layers)
    names = StepNetwork.input_names(count)
    outputs = StepNetwork.output_names(count)

    def build():
        network = StepNetwork(model.decoder).eval()
        return network, network.example()

    shapes = StepNetwork.shapes_for(model.decoder.config)
    kept = tuple(zip(names[2:2 + 2 * count], outputs[1:], strict=True))
    return [openvino_rt.Part("decoder_step", build, tuple(zip(names, shapes, strict=True)), outputs=outputs,
                             stateful=kept, rows_from="rows")]


def openvino_steps(folder: str, model) -> tuple[object | None, list[str]]:
    """The decoder's steps through OpenVINO for transformers' MusicGen ``model`` loaded from ``folder``: the step
    converted once into the cache (int8 weights, its cache kept in the network and appended in place; whether it
    beats PyTorch's int8 steps depends on the CPU: :func:`faster_steps`), and the notes to pass on;
    ``(None, notes)`` where OpenVINO is not installed or the conversion fails (the steps then run in PyTorch, and a
    note says why)."""
    from .. import openvino_rt
    from .musicgen_lean import OpenVinoSteps, supported

    if not openvino_rt.available() or supported(model):
        return None, []
    notes: list[str] = []
    try:
        parts = _decoder_parts(model)
        target = openvino_rt.convert(DECODER_KEY, folder, parts, "int8", notes=notes)
        compiled = openvino_rt.compile_part(target, "decoder_step", parts[0].given(), "f32",
                                            {"KV_CACHE_PRECISION": "f32"})
        return OpenVinoSteps(compiled), notes
    except Exception as error:  # noqa: BLE001 - any failure leaves PyTorch's steps, which always work
        return None, [f"the decoder runs in PyTorch: OpenVINO could not convert it ({type(error).__name__})"]


def _audio_parts(model) -> list:
    """EnCodec's decoder as one OpenVINO network, its input the codes' embeddings ``(1, dimension, frames)``."""
    from .. import openvino_rt

    encodec = model.audio_encoder
    dimension = int(encodec.quantizer.layers[0].codebook.embed.shape[1])

    def build():
        import torch

        return encodec.decoder.eval(), torch.zeros(1, dimension, 50)

    return [openvino_rt.Part("audio_decoder", build, (("embeddings", (1, dimension, -1)),), compress=False)]


def openvino_audio(folder: str, model) -> tuple[object | None, list[str]]:
    """EnCodec's decoding through OpenVINO for a lean ``model`` loaded from ``folder`` (converted once into the
    cache, fp32 weights and maths, a few seconds), and the notes to pass on; ``(None, notes)`` where OpenVINO is
    not installed or the conversion fails (the audio is then decoded by PyTorch, and a note says why)."""
    from .. import openvino_rt
    from .musicgen_lean import OpenVinoAudio

    if not openvino_rt.available() or model.audio_encoder.config.chunk_length is not None:
        return None, []
    notes: list[str] = []
    try:
        parts = _audio_parts(model)
        target = openvino_rt.convert(AUDIO_KEY, folder, parts, "fp32", notes=notes)
        compiled = openvino_rt.compile_part(target, "audio_decoder", dict(parts[0].inputs), "f32")
        return OpenVinoAudio(model.audio_encoder, compiled), notes  # converted, or converted again and why
    except Exception as error:  # noqa: BLE001 - any failure leaves PyTorch's decoding, which always works
        return None, [f"the audio is decoded by PyTorch: OpenVINO could not convert EnCodec ({type(error).__name__})"]


def _loading_notes(model) -> list[str]:
    """What loading ``model`` had to say (EnCodec converted, converted again, or left to PyTorch), told once: to the
    first piece made after it; the provenance of every piece says which audio decoder ran."""
    notes = list(getattr(model, "notes", []))
    if notes:
        model.notes = []
    return notes


def _progress_processor(total: int, enabled: bool):
    """A logits processor that only advances a progress bar, one tick per generated step."""
    from tqdm.auto import tqdm
    from transformers import LogitsProcessor

    class Progress(LogitsProcessor):
        def __init__(self):
            self.bar = tqdm(total=total, desc="MusicGen", unit="step", disable=not enabled, leave=False)

        def __call__(self, input_ids, scores):
            self.bar.update(1)
            return scores

    return Progress()


def memory_needed_gb(folder: str) -> float:
    """Memory (GB) MusicGen from ``folder`` needs: its weights in fp32 while they load (the int8 decoder is made
    layer by layer in place, then needs a quarter of that), and what the libraries and activations take."""
    return runtimes.weights_gb(folder) + _OVERHEAD_GB


def lean_refusal(decoder: dict, generation: dict) -> str:
    """Why the lean loop (:mod:`workshop_kit.music.musicgen_lean`) cannot run a model with this decoder config
    and generation config (``""``: it can). One rule for a folder's files and for a loaded model."""
    if int(decoder.get("audio_channels") or 1) != 1:
        return "stereo MusicGen models"
    if decoder.get("cross_attention_hidden_size") is not None:
        return "a decoder with its own cross-attention size"
    if generation.get("top_p") not in (None, 1.0) or generation.get("repetition_penalty") not in (None, 1.0):
        return "sampling with top-p or a repetition penalty"
    return ""


def _lean_refusal_for(folder: str) -> str:
    import json
    from pathlib import Path

    def read(name: str) -> dict:
        try:
            return json.loads((Path(folder) / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    return lean_refusal(read("config.json").get("decoder", {}), read("generation_config.json"))


def choose_runtime(requested: str, device: str, folder: str) -> runtimes.Choice:
    """The runtime that runs MusicGen here: ``requested`` unless it cannot (then the reason, in one line); on a
    CPU, ``"auto"`` takes the lean loop's faster form on this machine (:func:`faster_steps`)."""
    if requested == "torch":
        return runtimes.Choice("torch")
    if device != "cpu":  # dynamic int8 kernels are the CPU's; a GPU runs fp16
        why = f"{requested} runs on the CPU; on {device} the model runs in fp16" if requested in LEAN else ""
        return runtimes.Choice("torch", why)
    refusal = _lean_refusal_for(folder)
    if refusal:
        return runtimes.Choice("torch", f"{requested} runs in the kit's lean loop, which does not run {refusal}: "
                                        "fp32 weights" if requested in LEAN else "")
    need = memory_needed_gb(folder)
    ok, free = runtimes.fits(need)
    short = "" if ok else f"MusicGen needs about {need:.1f} GB and {free:.1f} GB are free: it may swap (close other " \
                          "programs)"
    from .. import openvino_rt

    if requested == "openvino" and not openvino_rt.available():
        return runtimes.Choice("int8", f"OpenVINO is not installed (pip install 'workshop-kit[{openvino_rt.EXTRA}]'): "
                                       "the steps run in PyTorch int8")
    name = requested if requested in LEAN else faster_steps(folder) if openvino_rt.available() else "int8"
    return runtimes.Choice(name, short)


def _race_options(folder: str) -> dict[str, str]:
    from .. import openvino_rt

    return {"model": openvino_rt.source_stamp(folder), "steps": str(RACE_STEPS)}


def faster_steps(folder: str) -> str:
    """``"openvino"`` or ``"int8"``: the lean loop's form whose steps run faster on this machine, timed once per
    machine and model (each loaded in turn, a piece of :data:`RACE_STEPS` steps twice; tens of seconds, once) and
    kept with the kit's other timings (:func:`workshop_kit.runtime.record_seconds`). Which wins depends on the CPU
    (on a 2-core AMD EPYC with AVX-512 VNNI, PyTorch's int8 products by 5–10 %): it is measured, not guessed."""
    options = _race_options(folder)
    known = runtimes.recorded_seconds("musicgen-steps", options)
    if known and known.get("faster") in LEAN:
        return known["faster"]
    import statistics

    import torch

    timed: dict[str, float] = {}
    for name in LEAN:
        model, processor = load_model(folder, "cpu", name)  # one at a time: the cache keeps the last one
        inputs = processor(text=["timing"], padding=True, return_tensors="pt")
        runs = []
        with torch.random.fork_rng(), torch.inference_mode():
            for seed in (0, 1):
                torch.manual_seed(seed)
                start = time.perf_counter()
                model.codes(inputs["input_ids"], inputs["attention_mask"], steps=RACE_STEPS)
                runs.append((time.perf_counter() - start) / RACE_STEPS)
        timed[name] = statistics.median(runs)
        if name == "openvino" and getattr(model.decoder, "outside", None) is None:
            timed[name] = float("inf")  # it could not convert: its steps ran in PyTorch
    faster = min(timed, key=timed.get)
    runtimes.record_seconds("musicgen-steps", options, {
        "faster": faster, **{f"{name}_step_ms": round(1000 * t, 1) for name, t in timed.items() if t < float("inf")}})
    return faster


def estimate_seconds(device: str = "auto", *, fresh: bool = False, isolated: bool = False) -> float:
    """Seconds one booth piece (the registry's case: 5 s of music, ``runtime="auto"``) takes here, measured once
    on the real model and kept (:func:`workshop_kit.runtime.measure_seconds`); raises when the weights are not
    here."""
    options = runtimes.booth_options(ENGINE, device)
    return float(runtimes.measure_seconds(ENGINE.name, options, fresh=fresh, isolated=isolated)["seconds"])


def generate(*, prompt: str, seconds: float = 8.0, guidance_scale: float = 3.0, temperature: float = 1.0,
             seed: int | None = None, device: str | None = "auto", runtime: str = "auto", model_path=None,
             progress: bool = True) -> AudioResult:
    """Make music from a text prompt with MusicGen.

    Parameters
    ----------
    prompt : str
        A description, e.g. ``"gnawa trance, guembri bass and qraqeb, 110 bpm"``; 1 to 1000 characters.
    seconds : float
        Length, 1 to 30 s (on 2 cores of a recent CPU expect one to one and a half seconds
        of computing per second of music; about three on an older AVX2 one).
    guidance_scale : float
        How closely to follow the prompt, 1 to 10.
    temperature : float
        Sampling temperature, above 0 and at most 2.
    seed : int or None
        The same seed gives the same music on the same device and runtime; None draws one.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
    runtime : str
        ``"auto"`` (on a CPU the faster of int8 and openvino on this machine, measured once; fp16 on a GPU),
        ``"torch"`` (fp32 weights, fp16 on a GPU), ``"int8"`` (the kit's lean loop, the decoder's linear layers in
        8 bits through PyTorch, CPU only) or ``"openvino"`` (the lean loop, its step in OpenVINO with int8 weights,
        CPU only).
    model_path : path, optional
        A folder to load from instead of the offline pack or cache.
    """
    args = ENGINE.check(locals())
    text, seconds = args["prompt"], args["seconds"]
    guidance_scale, temperature = args["guidance_scale"], args["temperature"]
    seed = resolve_seed(seed)
    device = resolve_device(device)
    folder = str(locate(MODEL_KEY, model_path=model_path))
    choice = choose_runtime(args["runtime"], device, folder)

    import torch
    from tqdm.auto import tqdm
    from transformers import LogitsProcessorList

    start = time.perf_counter()
    # Loading and sampling both draw from torch's global generator: fork it, so the caller's stream is left alone.
    with torch.random.fork_rng(devices=[torch.device(device)] if device.startswith("cuda") else []):
        model, processor = load_model(folder, device, choice.name)
        frame_rate = model.config.audio_encoder.frame_rate
        steps = max(1, int(round(seconds * frame_rate)))
        inputs = processor(text=[text], padding=True, return_tensors="pt").to(device)
        torch.manual_seed(seed)
        with torch.inference_mode():
            if choice.name in LEAN:
                with tqdm(total=steps, desc="MusicGen", unit="step", disable=not progress, leave=False) as bar:
                    audio = model.generate(inputs["input_ids"], inputs.get("attention_mask"), steps=steps,
                                           guidance_scale=guidance_scale, temperature=temperature,
                                           tick=lambda: bar.update(1))
            else:
                audio = model.generate(**inputs, do_sample=True, guidance_scale=guidance_scale,
                                       temperature=temperature, max_new_tokens=steps,
                                       logits_processor=LogitsProcessorList([_progress_processor(steps, progress)]))
    wave = audio[0].float().cpu().numpy().T  # (samples, channels)
    peak = float(np.abs(wave).max()) if wave.size else 0.0
    if peak > 0.99:  # keep the file free of clipping
        wave = wave * (0.99 / peak)
    rate = int(model.config.audio_encoder.sampling_rate)
    record = get_spec(MODEL_KEY).record(folder)
    record["runtime"] = {"name": choice.name, "version": torch.__version__,
                         "weights": "int8 decoder" if choice.name in LEAN else str(model.dtype).replace("torch.", ""),
                         "loop": "workshop-kit lean decoder" if choice.name in LEAN else "transformers generate",
                         "decoder": "openvino" if getattr(getattr(model, "decoder", None), "outside", None)
                         is not None else "torch",
                         "audio_decoder": "openvino" if getattr(model, "audio", None) is not None else "torch"}
    return AudioResult(engine="musicgen", seed=seed,
                       params=dict(prompt=text, seconds=seconds, guidance_scale=guidance_scale, temperature=temperature,
                                   runtime=args["runtime"]),
                       device=device, seconds=time.perf_counter() - start, model=record,
                       notes=([choice.why] if choice.why else []) + _loading_notes(model),
                       audio=np.ascontiguousarray(wave, dtype=np.float32), sample_rate=rate, score=None)
