"""SD-Turbo (pretrained tier): text → image and image → image in one to four steps, on PyTorch or OpenVINO.

The weights come from the offline pack or the local cache (see :mod:`workshop_kit.pretrained`), never from the
network. With ``tiny_decoder=True`` the TAESD decoder, when present, replaces the full VAE decoder: much faster on a
CPU, slightly softer.

Two runtimes give the same pictures from the same seed (the noise is drawn the same way, from the seed):

* ``runtime="torch"``: the diffusers pipeline, loaded once per (folder, device) and reused; fp16 on a GPU.
* ``runtime="openvino"``: the text encoder, the UNet and the decoder converted once to OpenVINO
  (:mod:`workshop_kit.openvino_rt`), compiled for the picture's size when first asked for, as full int8: the
  UNet's convolutions and linear layers computed in 8 bits (their ranges calibrated once, on the inputs the
  pipeline gives it), the rest in bf16 where the CPU reports BF16, fp32 elsewhere (most laptops); this keeps the
  compiled UNet at 2.2 GB instead of 5.2 GB, and it is the fastest of the kinds measured (:func:`openvino_weights`).

``runtime="auto"`` takes OpenVINO on a CPU where it is installed (the kit's ``fast`` extra) and memory allows,
else PyTorch. Each result's provenance says which runtime ran (``model["runtime"]``), and its notes say why when
it is not the one asked for.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import time
from pathlib import Path

import numpy as np

from .. import openvino_rt
from .. import runtime as runtimes
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
OPENVINO_WEIGHTS: str | None = None
"""The weights of the OpenVINO networks, ``None`` for the kit's (:func:`openvino_weights`); ``"fp32"`` compares."""
WEIGHTS_ENV = "WORKSHOP_KIT_OV_WEIGHTS"  # "int8-full" (default), "hybrid", "int8" or "fp32": the kind, by hand
WEIGHTS = ("int8-full", "hybrid", "int8", "fp32")
CALIBRATION_PROMPTS = (
    "zellige of Fès, blue and white", "a Marrakech market at dusk, lanterns", "Chefchaouen's blue streets",
    "a tagine of red clay on a wooden table", "the Sahara dunes at dawn", "a Tamazight carpet, red and saffron",
    "a portrait in the style of Moroccan painters", "Rabat's Kasbah of the Udayas, ocean and white walls",
)
"""Prompts whose inputs calibrate the UNet's int8 convolutions and linear layers (their ranges, not the pictures)."""
# Peak memory of each runtime per GB of the fp32 UNet and text-encoder weights (4.5 GB for SD-Turbo), measured at
# 512² on the real architecture (`workshop-kit bench --pretrained-shapes`). Where the CPU has no BF16, OpenVINO
# turns the int8 weights of the convolutions back into fp32 as it compiles (541 M of the UNet's 866 M parameters
# are 3×3 convolutions) and keeps them in its own layout: there it needs more memory than PyTorch.
# Measured (2 cores, no BF16): PyTorch 5.3 GB, OpenVINO 6.3 GB, converting 4.7 GB; with bf16 maths OpenVINO
# keeps those weights in bf16 (5.1 GB in the figures this kit started from).
# The calibrated kinds keep the convolutions in 8 bits: the compiled UNet holds 2.2 GB instead of 5.2 GB. Measured
# 2026-12-03 (AMD EPYC, 2 cores): full int8 and hybrid both 3.0 GB in bf16 maths, 3.2 GB in fp32 maths; converting
# once, hybrid 8.0 GB and full int8 10.7 GB (nncf's calibration holds the model twice, and full int8's statistics).
_MEMORY_PER_WEIGHT_GB = {"torch": 1.12, "openvino-f32": 1.33, "openvino-bf16": 1.06, "openvino-hybrid": 0.69,
                         "openvino-int8-full": 0.69, "convert": 0.97, "convert-hybrid": 1.8, "convert-int8-full": 2.35}


def openvino_weights() -> str:
    """The OpenVINO weights: ``"int8-full"`` (the UNet's convolutions and linear layers computed in int8, their
    ranges calibrated once; the rest in bf16 where the CPU reports BF16, else fp32) on every CPU, unless
    ``WORKSHOP_KIT_OV_WEIGHTS`` names another kind (``"hybrid"``: the linear layers with int8 weights only).

    Measured on the real architecture, random weights, 512², 2 cores (``workshop-kit bench --pretrained-shapes``):
    on an AMD EPYC with AVX-512-BF16, full int8 0.91 s against hybrid's 1.09 s in bf16 maths, 1.18 s against 1.34 s
    in fp32 maths, pictures as close to PyTorch fp32's (random weights: RMS difference 9.1 % of the picture's spread
    both) and the same 3.0 GB peak; on an Intel
    Xeon with AMX, the UNet alone 1.29 s against 1.53 s (bf16) and 1.52 s against 2.23 s (fp32). Converting costs
    more, once: 174 s and 10.7 GB against 129 s and 8.0 GB (the pack-building machine does it). Weights-only
    ``"int8"`` was slower and larger still (hybrid 1.08–1.13 s and 2.97 GB peak, int8 1.31–1.34 s and 5.01 GB).

    >>> os.environ[WEIGHTS_ENV] = "hybrid"; openvino_weights()
    'hybrid'
    >>> os.environ[WEIGHTS_ENV] = "int4"; openvino_weights()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workshop_kit.errors.ParameterError: WORKSHOP_KIT_OV_WEIGHTS='int4' is not allowed; allowed: int8-full, ...
    >>> del os.environ[WEIGHTS_ENV]; openvino_weights()
    'int8-full'
    """
    if OPENVINO_WEIGHTS is not None:
        return OPENVINO_WEIGHTS
    wanted = os.environ.get(WEIGHTS_ENV, "").strip().lower()
    if wanted and wanted not in WEIGHTS:
        raise ParameterError(WEIGHTS_ENV, wanted, ", ".join(WEIGHTS))
    return wanted or "int8-full"


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


# --------------------------------------------------------------------------------------------------------------------
# OpenVINO: the networks to convert, and the denoising loop over them


def _config(folder: str | Path, sub: str = "") -> dict:
    return json.loads((Path(folder) / sub / "config.json").read_text(encoding="utf-8"))


def latent_factor(folder: str | Path) -> int:
    """How many pixels one latent stands for, along each side (8 for SD-Turbo): from the VAE's config."""
    return 2 ** (len(_config(folder, "vae")["block_out_channels"]) - 1)


def _decoder(folder: str, taesd: str | None) -> tuple[str, str]:
    """(key, folder) of the autoencoder that turns latents into pictures and back: TAESD, or the model's own VAE."""
    return (TAESD_KEY, taesd) if taesd else (f"{MODEL_KEY}-vae", str(Path(folder) / "vae"))


def _model_parts(folder: str) -> list[openvino_rt.Part]:
    """The text encoder and the UNet, as OpenVINO converts them (sizes left open: fixed when compiled)."""
    hidden = _config(folder, "text_encoder")["hidden_size"]
    length = _config(folder, "text_encoder")["max_position_embeddings"]
    channels = _config(folder, "unet")["in_channels"]

    def text_encoder():
        import torch
        from transformers import CLIPTextModel

        class TextEncoder(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = CLIPTextModel.from_pretrained(folder, subfolder="text_encoder", local_files_only=True)

            def forward(self, input_ids):
                return self.model(input_ids)[0]

        return TextEncoder().eval(), (torch.zeros(1, length, dtype=torch.int64),)

    def unet():
        import torch
        from diffusers import UNet2DConditionModel

        class UNet(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = UNet2DConditionModel.from_pretrained(folder, subfolder="unet", local_files_only=True)

            def forward(self, sample, timestep, encoder_hidden_states):
                return self.model(sample, timestep, encoder_hidden_states, return_dict=False)[0]

        return UNet().eval(), (torch.randn(1, channels, 8, 8), torch.tensor([999.0]), torch.randn(1, length, hidden))

    def calibration() -> list[dict]:
        """The UNet's inputs as the pipeline gives them: unit-variance latents at the model's own size, the first
        step of text → image (999) and later ones of image → image, the text encoder's embeddings of a few prompts."""
        import torch
        from transformers import CLIPTokenizer

        tokenizer = CLIPTokenizer.from_pretrained(folder, subfolder="tokenizer", local_files_only=True)
        encoder, _ = text_encoder()  # the very network converted just before, as torch gives it
        side = int(_config(folder, "unet").get("sample_size") or 64)
        generator = torch.Generator().manual_seed(0)
        samples = []
        with torch.no_grad():
            for k, prompt in enumerate(CALIBRATION_PROMPTS):
                ids = tokenizer(prompt, padding="max_length", max_length=tokenizer.model_max_length,
                                truncation=True, return_tensors="pt").input_ids
                samples.append({"sample": torch.randn(1, channels, side, side, generator=generator).numpy(),
                                "timestep": np.array([(999.0, 999.0, 749.0, 499.0)[k % 4]], dtype=np.float32),
                                "encoder_hidden_states": encoder(ids).numpy()})
        return samples

    return [openvino_rt.Part("text_encoder", text_encoder, (("input_ids", (1, length)),)),
            openvino_rt.Part("unet", unet, (("sample", (1, channels, -1, -1)), ("timestep", (1,)),
                                            ("encoder_hidden_states", (1, length, hidden))), calibration=calibration)]


def _autoencoder(key: str, folder: str):
    import torch
    from diffusers import AutoencoderKL, AutoencoderTiny

    cls = AutoencoderTiny if key == TAESD_KEY else AutoencoderKL
    return cls.from_pretrained(folder, local_files_only=True, torch_dtype=torch.float32).eval()


def _decoder_parts(key: str, folder: str) -> list[openvino_rt.Part]:
    """The decoder (latents → picture in -1 … 1) and the encoder (picture → latents; for the full VAE, the mean
    and spread the latents are drawn from, as diffusers draws them)."""
    channels = _config(folder)["latent_channels"]

    def decoder():
        import torch

        class Decoder(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.vae = _autoencoder(key, folder)

            def forward(self, latents):
                return self.vae.decode(latents, return_dict=False)[0]

        return Decoder().eval(), (torch.randn(1, channels, 8, 8),)

    def encoder():
        import torch

        class Encoder(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.vae = _autoencoder(key, folder)

            def forward(self, image):
                out = self.vae.encode(image)
                if key == TAESD_KEY:
                    return out.latents
                return out.latent_dist.mean, out.latent_dist.std

        return Encoder().eval(), (torch.randn(1, 3, 64, 64),)

    return [openvino_rt.Part("decoder", decoder, (("latents", (1, channels, -1, -1)),), compress=False),
            openvino_rt.Part("encoder", encoder, (("image", (1, 3, -1, -1)),), compress=False)]


def converted(folder: str, taesd: str | None, *, progress: bool = True, notes: list[str] | None = None,
              dest=None, weights: str | None = None) -> tuple[Path, Path]:
    """The OpenVINO folders of SD-Turbo's networks and of its decoder, converted once (see :mod:`openvino_rt`);
    ``weights`` (default: :func:`openvino_weights`, ``"int8-full"``) may ask for ``"hybrid"``, ``"int8"`` or
    ``"fp32"`` (comparisons)."""
    key, decoder_folder = _decoder(folder, taesd)
    model_dir = openvino_rt.convert(MODEL_KEY, folder, _model_parts(folder), weights or openvino_weights(),
                                    progress=progress, notes=notes, dest=dest)
    decoder_dir = openvino_rt.convert(key, decoder_folder, _decoder_parts(key, decoder_folder), "fp32",
                                      progress=progress, notes=notes, dest=dest)
    return model_dir, decoder_dir


class OpenVinoPipeline:
    """SD-Turbo's denoising loop over OpenVINO networks compiled for one picture size.

    The noise is drawn from the caller's ``torch.Generator`` in diffusers' order, and the scheduler is diffusers'
    own, so a seed gives the picture the torch pipeline gives (up to int8 rounding of the weights).
    """

    def __init__(self, folder: str, taesd: str | None, size: int, maths: str, model_dir: Path, decoder_dir: Path):
        import diffusers
        from transformers import CLIPTokenizer

        key, decoder_folder = _decoder(folder, taesd)
        self.tokenizer = CLIPTokenizer.from_pretrained(folder, subfolder="tokenizer", local_files_only=True)
        scheduler_config = json.loads((Path(folder) / "scheduler" / "scheduler_config.json").read_text("utf-8"))
        self.scheduler_class = getattr(diffusers, scheduler_config["_class_name"])
        self.scheduler_config = scheduler_config
        self.factor = latent_factor(folder)
        self.scaling = float(_config(decoder_folder).get("scaling_factor", 1.0))
        self.tiny = key == TAESD_KEY
        self.size, self.maths = size, maths
        self.weights = Path(model_dir).name  # int8-full, hybrid, int8 or fp32: the folder's kind
        self.latent = size // self.factor
        channels = _config(folder, "unet")["in_channels"]
        hidden = _config(folder, "text_encoder")["hidden_size"]
        length = self.tokenizer.model_max_length
        self.text_encoder = openvino_rt.compile_part(model_dir, "text_encoder", {"input_ids": (1, length)}, maths)
        self.unet = openvino_rt.compile_part(model_dir, "unet", {
            "sample": (1, channels, self.latent, self.latent), "timestep": (1,),
            "encoder_hidden_states": (1, length, hidden)}, maths)
        self.decoder = openvino_rt.compile_part(decoder_dir, "decoder", {
            "latents": (1, channels, self.latent, self.latent)}, maths)
        self._decoder_dir = decoder_dir
        self._encoder = None
        self.channels = channels

    @property
    def encoder(self):
        if self._encoder is None:  # compiled only when a picture is first given
            self._encoder = openvino_rt.compile_part(self._decoder_dir, "encoder",
                                                     {"image": (1, 3, self.size, self.size)}, self.maths)
        return self._encoder

    def __call__(self, text: str, steps: int, generator, image=None, strength: float = 0.5) -> np.ndarray:
        """The picture as height × width × 3 floats in 0 … 1."""
        import torch
        from diffusers.utils.torch_utils import randn_tensor

        ids = self.tokenizer(text, padding="max_length", max_length=self.tokenizer.model_max_length,
                             truncation=True, return_tensors="np").input_ids.astype(np.int64)
        embeddings = self.text_encoder(ids)[0]
        scheduler = self.scheduler_class.from_config(self.scheduler_config)
        scheduler.set_timesteps(steps)
        timesteps = scheduler.timesteps
        shape = (1, self.channels, self.latent, self.latent)
        if image is None:
            latents = randn_tensor(shape, generator=generator, dtype=torch.float32) * scheduler.init_noise_sigma
        else:  # as diffusers' image → image: start part-way down the schedule, from the picture's latents
            start = max(steps - min(int(steps * strength), steps), 0) * scheduler.order
            timesteps = timesteps[start:]
            if hasattr(scheduler, "set_begin_index"):
                scheduler.set_begin_index(start)
            pixels = np.asarray(image, dtype=np.float32) / 255.0 * 2 - 1
            encoded = self.encoder(pixels.transpose(2, 0, 1)[None])
            if self.tiny:
                init = torch.from_numpy(encoded[0])
            else:
                mean, std = torch.from_numpy(encoded[0]), torch.from_numpy(encoded[1])
                init = mean + std * randn_tensor(mean.shape, generator=generator, dtype=torch.float32)
            noise = randn_tensor(shape, generator=generator, dtype=torch.float32)
            latents = scheduler.add_noise(self.scaling * init, noise, timesteps[:1])
        step_kwargs = {"generator": generator} if "generator" in scheduler.step.__code__.co_varnames else {}
        for t in timesteps:
            model_input = scheduler.scale_model_input(latents, t)
            noise_pred = self.unet([model_input.numpy(), np.array([float(t)], dtype=np.float32), embeddings])[0]
            latents = scheduler.step(torch.from_numpy(noise_pred), t, latents, **step_kwargs).prev_sample
        decoded = self.decoder((latents / self.scaling).numpy())[0]
        return np.clip(decoded[0].transpose(1, 2, 0) / 2 + 0.5, 0, 1)


_OPENVINO: dict[tuple, OpenVinoPipeline] = {}
# One compiled size is kept: on a CPU without BF16 a compiled UNet holds its convolution weights in fp32 (about
# 5 GB), so another size replaces it (compiled in seconds to a minute) rather than adding to it.


def load_openvino(folder: str, taesd: str | None, size: int, *, progress: bool = True,
                  notes: list[str] | None = None) -> OpenVinoPipeline:
    """The OpenVINO pipeline for ``size`` (converted once; compiled for this size, the last size only kept)."""
    maths = openvino_rt.precision()
    if openvino_rt.precision_note() and notes is not None:
        notes.append(openvino_rt.precision_note())
    key = (folder, taesd, size, maths, openvino_weights(), openvino_rt.source_stamp(folder))
    if key in _OPENVINO:
        return _OPENVINO[key]
    _OPENVINO.clear()  # the size compiled before is freed first: never two UNets in memory at once
    gc.collect()
    model_dir, decoder_dir = converted(folder, taesd, progress=progress, notes=notes)
    pipe = OpenVinoPipeline(folder, taesd, size, maths, model_dir, decoder_dir)
    pipe(" ", 1, _generator(0))  # the first inference of a compiled network is slow: not the visitor's
    _OPENVINO[key] = pipe
    return pipe


def _generator(seed: int):
    import torch

    return torch.Generator("cpu").manual_seed(seed)


# --------------------------------------------------------------------------------------------------------------------
# Which runtime


def memory_needed_gb(folder: str, runtime: str) -> float:
    """Peak memory (GB) ``runtime`` needs for SD-Turbo from ``folder``: ``"torch"``, ``"openvino"`` (with the
    maths this CPU runs), or ``"convert"`` (converting to OpenVINO, once)."""
    weights = runtimes.weights_gb(Path(folder) / "unet") + runtimes.weights_gb(Path(folder) / "text_encoder")
    calibrated = openvino_weights() in openvino_rt.CALIBRATED  # convolutions kept in 8 bits, calibrated once
    if runtime == "openvino":
        key = f"openvino-{openvino_weights()}" if calibrated else f"openvino-{openvino_rt.precision()}"
    else:
        key = f"convert-{openvino_weights()}" if runtime == "convert" and calibrated else runtime
    return _MEMORY_PER_WEIGHT_GB[key] * weights + 0.3  # + the decoder, the tokenizer, the libraries


def choose_runtime(requested: str, device: str, folder: str, taesd: str | None) -> runtimes.Choice:
    """The runtime that runs SD-Turbo here: ``requested`` unless it cannot (then the reason, in one line)."""
    if requested == "torch":
        return runtimes.Choice("torch")
    if device != "cpu":
        if requested == "openvino":
            raise ParameterError("runtime", requested, "torch, auto", reason=f"OpenVINO runs on the CPU, not {device}",
                                 reason_fr=f"OpenVINO tourne sur le processeur, pas sur {device}")
        return runtimes.Choice("torch")
    if requested == "openvino":
        openvino_rt.require()
    elif not openvino_rt.available():
        return runtimes.Choice("torch", "OpenVINO is not installed (pip install 'workshop-kit[fast]' makes SD-Turbo "
                                        "faster on a CPU)")
    need = memory_needed_gb(folder, "openvino")
    if openvino_rt.find_converted(MODEL_KEY, folder, _model_parts(folder), openvino_weights()) is None:
        need = max(need, memory_needed_gb(folder, "convert"))
    ok, free = runtimes.fits(need)
    if ok or requested == "openvino":
        why = "" if ok else f"OpenVINO needs about {need:.1f} GB and {free:.1f} GB are free: it may swap"
        return runtimes.Choice("openvino", why)
    torch_need = memory_needed_gb(folder, "torch")
    return runtimes.Choice("torch", f"not enough free memory for OpenVINO here (about {need:.1f} GB needed, "
                                    f"{free:.1f} GB free): ran on PyTorch"
                           + ("" if torch_need <= free else f", which needs about {torch_need:.1f} GB"))


def _optional(key: str, path) -> str | None:
    try:
        return str(locate(key, model_path=path))
    except MissingModelError:
        if path is not None:
            raise
        return None


def estimate_seconds(device: str = "auto", *, fresh: bool = False, isolated: bool = False) -> float:
    """Seconds one booth picture takes here (the registry's case: 512², the safety checker on, ``runtime="auto"``),
    measured once on the real model and kept (:func:`workshop_kit.runtime.measure_seconds`); raises when the
    weights are not here."""
    options = runtimes.booth_options(ENGINE, device)
    return float(runtimes.measure_seconds(ENGINE.name, options, fresh=fresh, isolated=isolated)["seconds"])


def generate(*, prompt: str, image=None, strength: float = 0.5, steps: int = 1, size: int = 512,
             seed: int | None = None, device: str | None = "auto", runtime: str = "auto", model_path=None,
             tiny_decoder: bool = True, taesd_path=None, safety_checker: bool = False, safety_checker_path=None,
             progress: bool = True) -> ImageResult:
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
        The same seed gives the same picture on the same device and runtime; None draws one.
    device : str
        ``"auto"`` (cuda, then mps, then cpu), ``"cpu"``, ``"cuda"``, ``"mps"``.
    runtime : str
        ``"auto"`` (OpenVINO on a CPU where it is installed and fits in memory, else PyTorch), ``"torch"`` or
        ``"openvino"`` (converted on first use, once, into the kit's cache, with a progress bar).
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
    choice = choose_runtime(args["runtime"], device, folder, taesd)

    start = time.perf_counter()
    notes: list[str] = [choice.why] if choice.why else []
    start_image = None
    if image is not None:
        from PIL import Image

        start_image = (image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image, dtype=np.uint8)))
        start_image = start_image.convert("RGB").resize((size, size))
    generator = _generator(seed)
    if choice.name == "openvino":
        pipe = load_openvino(folder, taesd, size, progress=progress, notes=notes)
        tokenizer = pipe.tokenizer
        out = pipe(text, steps, generator, image=start_image, strength=strength)
        record = {"name": "openvino", "version": openvino_rt._ov_version(), "weights": pipe.weights,
                  "maths": pipe.maths, "cpu": openvino_rt.cpu_name()}
    else:
        pipe = load_pipeline(folder, device, taesd)
        pipe.set_progress_bar_config(disable=not progress)
        tokenizer = pipe.tokenizer
        common = dict(prompt=text, num_inference_steps=steps, guidance_scale=0.0, generator=generator, output_type="np")
        if start_image is None:
            out = pipe(height=size, width=size, **common).images[0]
        else:
            from diffusers import AutoPipelineForImage2Image

            img2img = AutoPipelineForImage2Image.from_pipe(pipe)
            img2img.set_progress_bar_config(disable=not progress)
            out = img2img(image=start_image, strength=strength, **common).images[0]
        import torch

        record = {"name": "torch", "version": torch.__version__, "dtype": str(pipe.unet.dtype).replace("torch.", "")}
    n_tokens = len(tokenizer(text, truncation=False, add_special_tokens=True)["input_ids"])
    if n_tokens > tokenizer.model_max_length:
        notes.append(f"prompt truncated: {n_tokens} tokens, the text encoder reads the first "
                     f"{tokenizer.model_max_length}")
    pixels = (np.clip(out, 0, 1) * 255).round().astype(np.uint8)
    model = get_spec(MODEL_KEY).record(folder)
    model["runtime"] = record
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
    params = dict(prompt=text, steps=steps, size=size, tiny_decoder=bool(taesd), safety_checker=safety_checker,
                  runtime=args["runtime"])
    if image is not None:
        params["strength"] = strength
    return ImageResult(engine="sd-turbo", seed=seed, params=params, device=device, seconds=time.perf_counter() - start,
                       model=model, notes=notes, image=pixels)


def difference(a, b) -> dict[str, float]:
    """How far picture ``a`` is from picture ``b`` (uint8 arrays of one shape): PSNR in dB, mean and largest
    absolute difference in levels of 255, the RMS difference as a share of ``b``'s own spread (``relative_rms``:
    a dark, flat picture, as random weights make, has a high PSNR with little to differ), and ``b``'s mean level.

    >>> x = np.zeros((2, 2, 3), np.uint8); x[1] = 100; y = x.copy(); y[0, 0, 0] = 10
    >>> difference(y, x)
    {'psnr_db': 38.9, 'mean_abs': 0.83, 'max_abs': 10, 'relative_rms': 0.0577, 'mean_level': 50.0}
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    mse = float(np.mean((a - b) ** 2))
    spread = float(np.std(b))
    return {"psnr_db": round(float(10 * np.log10(255.0**2 / mse)), 1) if mse else float("inf"),
            "mean_abs": round(float(np.mean(np.abs(a - b))), 2), "max_abs": int(np.max(np.abs(a - b))),
            "relative_rms": round(float(np.sqrt(mse)) / spread, 4) if spread else float("inf" if mse else 0),
            "mean_level": round(float(np.mean(b)), 1)}


def compare_with_torch(folder: str, taesd: str | None, *, size: int = 512, seed: int = 0,
                       prompt: str = CALIBRATION_PROMPTS[0]) -> ImageResult:
    """One picture from the OpenVINO networks (converted already: the pack's or the cache's) and one from PyTorch
    fp32 on the CPU, same prompt and seed, side by side (PyTorch on the left) in one result whose ``params`` say
    how far apart they are (:func:`difference`) and which weights and maths ran. Where the real weights are at
    hand (the machine building the pack) this is the fidelity of int8 on them, which random weights only suggest."""
    common = dict(prompt=prompt, size=size, seed=seed, device="cpu", model_path=folder, taesd_path=taesd,
                  progress=False)
    fast = generate(runtime="openvino", **common)
    try:
        reference = generate(runtime="torch", **common)
    finally:
        load_pipeline.cache_clear()  # the memory given back: a check, not a session
        _OPENVINO.clear()
        gc.collect()
    ran = fast.model["runtime"]
    params = {**fast.params, **difference(fast.image, reference.image), "weights": ran.get("weights"),
              "maths": ran.get("maths"), "left": "PyTorch fp32", "right": f"OpenVINO {ran.get('weights')}"}
    return ImageResult(engine="sd-turbo", seed=seed, params=params, device="cpu",
                       seconds=fast.seconds + reference.seconds, model=fast.model, notes=fast.notes + reference.notes,
                       image=np.concatenate([reference.image, fast.image], axis=1))
