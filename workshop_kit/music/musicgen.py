"""MusicGen-small (pretrained tier): text → up to 30 s of music, through transformers.

The weights are for non-commercial use (CC-BY-NC 4.0): every result carries that licence in its provenance, and the
booth shows it. They come from the offline pack or the local cache (see :mod:`workshop_kit.pretrained`), never from
the network. The model is loaded once per (folder, device) and reused.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ..device import resolve_device
from ..pretrained import get_spec, locate
from ..registry import ENGINES
from ..results import AudioResult
from ..validation import resolve_seed

MODEL_KEY = "musicgen-small"
ENGINE = ENGINES["musicgen"]
MAX_SECONDS = ENGINE.option("seconds").high


@functools.lru_cache(maxsize=1)
def load_model(folder: str, device: str):
    """Load the MusicGen model and its processor from ``folder`` onto ``device`` (cached)."""
    import torch
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    model = MusicgenForConditionalGeneration.from_pretrained(folder, dtype=dtype, local_files_only=True)
    processor = AutoProcessor.from_pretrained(folder, local_files_only=True)
    return model.to(device).eval(), processor


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


def generate(*, prompt: str, seconds: float = 8.0, guidance_scale: float = 3.0, temperature: float = 1.0,
             seed: int | None = None, device: str | None = "auto", model_path=None, progress: bool = True) -> AudioResult:
    """Make music from a text prompt with MusicGen.

    Parameters
    ----------
    prompt : str
        A description, e.g. ``"gnawa trance, guembri bass and qraqeb, 110 bpm"``; 1 to 1000 characters.
    seconds : float
        Length, 1 to 30 s (on a CPU expect several seconds of computing per second of music).
    guidance_scale : float
        How closely to follow the prompt, 1 to 10.
    temperature : float
        Sampling temperature, above 0 and at most 2.
    seed : int or None
        The same seed gives the same music on the same device; None draws one.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
    model_path : path, optional
        A folder to load from instead of the offline pack or cache.
    """
    args = ENGINE.check(locals())
    text, seconds = args["prompt"], args["seconds"]
    guidance_scale, temperature = args["guidance_scale"], args["temperature"]
    seed = resolve_seed(seed)
    device = resolve_device(device)
    folder = str(locate(MODEL_KEY, model_path=model_path))

    import torch
    from transformers import LogitsProcessorList

    start = time.perf_counter()
    # Loading and sampling both draw from torch's global generator: fork it, so the caller's stream is left alone.
    with torch.random.fork_rng(devices=[torch.device(device)] if device.startswith("cuda") else []):
        model, processor = load_model(folder, device)
        frame_rate = model.config.audio_encoder.frame_rate
        steps = max(1, int(round(seconds * frame_rate)))
        inputs = processor(text=[text], padding=True, return_tensors="pt").to(device)
        torch.manual_seed(seed)
        with torch.inference_mode():
            audio = model.generate(**inputs, do_sample=True, guidance_scale=guidance_scale, temperature=temperature,
                                   max_new_tokens=steps,
                                   logits_processor=LogitsProcessorList([_progress_processor(steps, progress)]))
    wave = audio[0].float().cpu().numpy().T  # (samples, channels)
    peak = float(np.abs(wave).max()) if wave.size else 0.0
    if peak > 0.99:  # keep the file free of clipping
        wave = wave * (0.99 / peak)
    rate = int(model.config.audio_encoder.sampling_rate)
    return AudioResult(engine="musicgen", seed=seed,
                       params=dict(prompt=text, seconds=seconds, guidance_scale=guidance_scale, temperature=temperature),
                       device=device, seconds=time.perf_counter() - start, model=get_spec(MODEL_KEY).record(folder),
                       audio=np.ascontiguousarray(wave, dtype=np.float32), sample_rate=rate, score=None)
