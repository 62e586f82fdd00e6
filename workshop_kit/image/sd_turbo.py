"""SD-Turbo (pretrained tier): text → image and image → image in one to four steps, through diffusers.

The weights come from the offline pack or the local cache (see :mod:`workshop_kit.pretrained`), never from the
network. With ``tiny_decoder=True`` the TAESD decoder, when present, replaces the full VAE decoder: much faster on a
CPU, slightly softer. The pipeline is loaded once per (folder, device) and reused.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ..device import resolve_device
from ..errors import MissingModelError, ParameterError
from ..i18n import Msg
from ..pretrained import get_spec, locate
from ..registry import ENGINES
from ..results import ImageResult
from ..validation import resolve_seed

MODEL_KEY = "sd-turbo"
TAESD_KEY = "taesd"
SAFETY_KEY = "sd-safety-checker"
ENGINE = ENGINES["sd-turbo"]
MIN_SIZE, MAX_SIZE = int(ENGINE.option("size").low), int(ENGINE.option("size").high)
MAX_STEPS = int(ENGINE.option("steps").high)


@functools.lru_cache(maxsize=2)
def load_pipeline(folder: str, device: str, taesd_folder: str | None = None):
    """Load the text-to-image pipeline from ``folder`` onto ``device`` (cached: loaded once, then reused)."""
    import torch
    from diffusers import AutoPipelineForText2Image

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    pipe = AutoPipelineForText2Image.from_pretrained(folder, dtype=dtype, local_files_only=True,
                                                     safety_checker=None, requires_safety_checker=False)
    if taesd_folder is not None:
        from diffusers import AutoencoderTiny

        pipe.vae = AutoencoderTiny.from_pretrained(taesd_folder, torch_dtype=dtype, local_files_only=True)
    return pipe.to(device)


@functools.lru_cache(maxsize=1)
def load_safety_checker(folder: str, device: str):
    """The Stable Diffusion safety checker and its image processor (cached)."""
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPImageProcessor

    checker = StableDiffusionSafetyChecker.from_pretrained(folder, local_files_only=True).to(device).eval()
    processor = CLIPImageProcessor.from_pretrained(folder, local_files_only=True)
    return checker, processor


def _optional(key: str, path) -> str | None:
    try:
        return str(locate(key, model_path=path))
    except MissingModelError:
        if path is not None:
            raise
        return None


def generate(*, prompt: str, image=None, strength: float = 0.5, steps: int = 1, size: int = 512, seed: int | None = None,
             device: str | None = "auto", model_path=None, tiny_decoder: bool = True, taesd_path=None,
             safety_checker: bool = False, safety_checker_path=None, progress: bool = True) -> ImageResult:
    """Make a picture from a text prompt (and, optionally, a starting image) with SD-Turbo.

    Parameters
    ----------
    prompt : str
        What to draw, 1 to 1000 characters. Text past the encoder's 77 tokens is dropped, and the result says so.
    image : array or PIL image, optional
        A starting picture for image → image; ``strength`` (0.1 … 1) says how far to move from it.
    steps : int
        Denoising steps, 1 to 8 (SD-Turbo is made for 1 to 4).
    size : int
        Width and height, 64 to 1024, a multiple of 8.
    seed : int or None
        The same seed gives the same picture on the same device; None draws one.
    device : str
        ``"auto"`` (cuda, then mps, then cpu), ``"cpu"``, ``"cuda"``, ``"mps"``.
    model_path, taesd_path, safety_checker_path : path, optional
        Folders to load from instead of the offline pack or cache.
    safety_checker : bool
        Check the picture with the Stable Diffusion safety checker; a flagged picture is replaced by a plain one and
        the result's notes say why. The booth always turns it on.
    """
    args = ENGINE.check(locals())
    text, steps, size, strength = args["prompt"], args["steps"], args["size"], args["strength"]
    if image is not None:
        if strength * steps < 1:
            raise ParameterError("strength", strength,
                                 Msg("allowed.strength_min", low=1 / steps, setting=f"steps={steps}"),
                                 reason=Msg("reason.strength_steps"))
    seed = resolve_seed(seed)
    device = resolve_device(device)
    folder = str(locate(MODEL_KEY, model_path=model_path))
    taesd = _optional(TAESD_KEY, taesd_path) if tiny_decoder else None
    checker_folder = str(locate(SAFETY_KEY, model_path=safety_checker_path)) if safety_checker else None

    import torch

    start = time.perf_counter()
    pipe = load_pipeline(folder, device, taesd)
    pipe.set_progress_bar_config(disable=not progress)
    notes: list[str] = []
    tokenizer = pipe.tokenizer
    n_tokens = len(tokenizer(text, truncation=False, add_special_tokens=True)["input_ids"])
    if n_tokens > tokenizer.model_max_length:
        notes.append(f"prompt truncated: {n_tokens} tokens, the text encoder reads the first {tokenizer.model_max_length}")
    generator = torch.Generator("cpu").manual_seed(seed)
    common = dict(prompt=text, num_inference_steps=steps, guidance_scale=0.0, generator=generator, output_type="np")
    if image is None:
        out = pipe(height=size, width=size, **common).images[0]
    else:
        from diffusers import AutoPipelineForImage2Image
        from PIL import Image

        start_image = (image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image, dtype=np.uint8)))
        start_image = start_image.convert("RGB").resize((size, size))
        img2img = AutoPipelineForImage2Image.from_pipe(pipe)
        img2img.set_progress_bar_config(disable=not progress)
        out = img2img(image=start_image, strength=strength, **common).images[0]
    pixels = (np.clip(out, 0, 1) * 255).round().astype(np.uint8)
    model = get_spec(MODEL_KEY).record(folder)
    if taesd:
        model["decoder"] = get_spec(TAESD_KEY).record(taesd)
    if checker_folder is not None:
        checker, processor = load_safety_checker(checker_folder, device)
        clip_input = processor(images=[pixels], return_tensors="pt").pixel_values.to(device)
        _, flagged = checker(clip_input=clip_input, images=[pixels.astype(np.float32) / 255])
        if flagged[0]:
            pixels = np.full_like(pixels, 235)
            notes.append("safety checker: the picture was withheld; try another prompt or seed")
        model["safety_checker"] = get_spec(SAFETY_KEY).record(checker_folder)
    params = dict(prompt=text, steps=steps, size=size, tiny_decoder=bool(taesd), safety_checker=safety_checker)
    if image is not None:
        params["strength"] = strength
    return ImageResult(engine="sd-turbo", seed=seed, params=params, device=device, seconds=time.perf_counter() - start,
                       model=model, notes=notes, image=pixels)
