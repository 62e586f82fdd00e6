"""Shap-E (pretrained tier): text → 3D and image → 3D, through diffusers, as a watertight mesh in millimetres.

Shap-E (OpenAI, MIT licence) is a diffusion model whose samples are the weights of a small implicit function; the
renderer turns them into a mesh by evaluating a signed distance on a grid and running marching cubes. The weights
come from the offline pack or the local cache (see :mod:`workshop_kit.pretrained`: keys ``"shap-e"`` and
``"shap-e-img2img"``), never from the network. Each pipeline is loaded once per (folder, device) and reused.

On a laptop CPU Shap-E is slow — minutes to tens of minutes, see :func:`estimate_seconds` — and it is best on a
GPU; the embedded lathe and shape-space engines are the CPU's tools. Each result's ``notes`` say how long it took.

Examples
--------
>>> from workshop_kit.mesh import shap_e
>>> round(shap_e.estimate_seconds("cpu", 64) / 60)          # doctest: +SKIP
25
>>> result = shap_e.generate(prompt="a ceramic vase", seed=0)   # doctest: +SKIP
>>> result.save("vase.glb")                                    # doctest: +SKIP
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any

import numpy as np

from ..device import resolve_device
from ..errors import ParameterError
from ..i18n import Msg
from ..pretrained import get_spec, locate
from ..registry import ENGINES
from ..validation import check_float, check_int, resolve_seed
from . import reclaim
from .result import MeshResult

__all__ = ["MODEL_KEY", "IMAGE_MODEL_KEY", "MIN_STEPS", "MAX_STEPS", "MIN_GRID", "MAX_GRID", "generate",
           "load_pipeline", "estimate_seconds", "mesh_from_decoder"]

MODEL_KEY = "shap-e"
IMAGE_MODEL_KEY = "shap-e-img2img"
ENGINE = ENGINES["shap-e"]
MIN_STEPS, MAX_STEPS = int(ENGINE.option("steps").low), int(ENGINE.option("steps").high)
MIN_GUIDANCE, MAX_GUIDANCE = ENGINE.option("guidance_scale").low, ENGINE.option("guidance_scale").high
#: Marching-cubes grid: the signed distance is evaluated at ``grid_size ** 3`` points (diffusers uses 128).
MIN_GRID, MAX_GRID = int(ENGINE.option("grid_size").low), int(ENGINE.option("grid_size").high)
MIN_SIZE_MM, MAX_SIZE_MM = ENGINE.option("size_mm").low, ENGINE.option("size_mm").high
MIN_IMAGE_PIXELS = 16
#: Parts smaller than this fraction of the mesh's faces are dropped as specks (a floating crumb cannot be printed).
SPECK_FRACTION = 0.005

# Shapes of the published models (their config.json), for estimate_seconds(): the prior is a 24-layer transformer
# of width 1024 over 1024 latent tokens (plus the time token and the text embedding, or 256 image-patch tokens);
# the renderer's MLP evaluates 93 → 256 → … → 12 features per grid point.
_PRIOR = {"layers": 24, "width": 1024, "latent_tokens": 1024, "text_tokens": 2, "image_tokens": 257}
_RENDERER_FLOPS_PER_POINT = 2 * (93 * 256 + 4 * 256 * 256 + 256 * 12)
_TEXT_ENCODER_FLOPS = 2 * 123e6 * 77  # CLIP ViT-L/14 text tower, once
_IMAGE_ENCODER_FLOPS = 2 * 303e6 * 257  # CLIP ViT-L/14 vision tower, once
#: Share of the measured matrix-multiply speed that the prior reaches (attention, norms, memory traffic): 0.50
#: measured here on two layers of the published prior shape with random weights, on a 2-core CPU.
_EFFICIENCY = 0.5


@functools.lru_cache(maxsize=2)
def load_pipeline(folder: str, device: str, image: bool = False):
    """Load the text → 3D (or, with ``image=True``, image → 3D) pipeline from ``folder`` onto ``device`` (cached)."""
    import torch
    from diffusers import ShapEImg2ImgPipeline, ShapEPipeline

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    cls = ShapEImg2ImgPipeline if image else ShapEPipeline
    pipe = cls.from_pretrained(folder, dtype=dtype, local_files_only=True)
    return pipe.to(device)


def _check_image(image):
    """The starting picture as an RGB PIL image, or a ParameterError."""
    from PIL import Image

    allowed = Msg("allowed.shap_e_image", n=MIN_IMAGE_PIXELS)
    if isinstance(image, Image.Image):
        picture = image.convert("RGB")
    else:
        try:
            arr = np.asarray(image)
        except (TypeError, ValueError):
            raise ParameterError("image", type(image).__name__, allowed) from None
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        if arr.ndim != 3 or arr.shape[2] not in (3, 4) or not np.issubdtype(arr.dtype, np.number):
            raise ParameterError("image", f"an array of shape {arr.shape}", allowed)
        if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 255:
            raise ParameterError("image", "an array with values outside 0 … 255", allowed)
        picture = Image.fromarray(arr[..., :3].astype(np.uint8), mode="RGB")
    if min(picture.size) < MIN_IMAGE_PIXELS:
        raise ParameterError("image", f"a picture of {picture.size[0]} × {picture.size[1]} px", allowed)
    return picture


def _linear_to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1 / 2.4) - 0.055)


def mesh_from_decoder(decoded, *, size_mm: float) -> tuple[Any, list[str]]:
    """A watertight ``trimesh.Trimesh`` in millimetres, Z up, from the renderer's mesh output.

    Shap-E's meshes are already Z up, facing +y, in a box from -1 to 1; they are turned half a turn about z (to face
    the kit's front view, from -y), scaled so that their largest side is ``size_mm``, centred on the z axis and set
    on ``z = 0``. Duplicate vertices are merged, degenerate faces and specks (parts under :data:`SPECK_FRACTION`
    of the faces) dropped, holes filled where trimesh can, normals turned outwards. The renderer's vertex colours
    (linear light) become sRGB vertex colours. Returns the mesh and notes on what was repaired.
    """
    import trimesh

    verts = decoded.verts.detach().float().cpu().numpy().astype(np.float64)
    faces = decoded.faces.detach().cpu().numpy().astype(np.int64)
    notes: list[str] = []
    if len(faces) == 0:
        raise ParameterError("prompt", "(this sample)", Msg("allowed.another_prompt"), reason=Msg("reason.empty_shape"))
    colours = None
    channels = getattr(decoded, "vertex_channels", None) or {}
    if all(k in channels for k in "RGB"):
        rgb = np.stack([channels[k].detach().float().cpu().numpy() for k in "RGB"], axis=1)
        colours = np.concatenate([np.round(_linear_to_srgb(rgb) * 255), np.full((len(rgb), 1), 255)], axis=1)
        colours = colours.astype(np.uint8)
    mesh = trimesh.Trimesh(verts, faces, vertex_colors=colours, process=True)
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.remove_unreferenced_vertices()
    parts = mesh.split(only_watertight=False)
    if len(parts) > 1:
        keep = [p for p in parts if len(p.faces) >= SPECK_FRACTION * len(mesh.faces)]
        if len(keep) < len(parts):
            notes.append(f"dropped {len(parts) - len(keep)} floating speck(s)")
        mesh = trimesh.util.concatenate(keep) if len(keep) > 1 else keep[0]
    if not mesh.is_watertight:
        trimesh.repair.fill_holes(mesh)
        if not mesh.is_watertight:
            notes.append("the mesh is not watertight (holes trimesh could not fill): check it before printing")
    trimesh.repair.fix_winding(mesh)
    if mesh.is_watertight and mesh.volume < 0:
        mesh.invert()
    mesh.apply_transform(trimesh.transformations.rotation_matrix(math.pi, [0, 0, 1]))
    scale = size_mm / max(float(mesh.extents.max()), 1e-12)
    mesh.apply_scale(scale)
    lo, hi = mesh.bounds
    mesh.apply_translation([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    return mesh, notes


def generate(*, prompt: str | None = None, image=None, steps: int = 64, guidance_scale: float | None = None,
             grid_size: int = 128, size_mm: float = 120.0, seed: int | None = None, device: str | None = "auto",
             model_path=None, progress: bool = True) -> MeshResult:
    """Make a 3D object from a text prompt or from a picture with Shap-E.

    Parameters
    ----------
    prompt : str, optional
        What to make, 1 to 1000 characters, e.g. ``"a ceramic tagine with a conical lid"``. Text past the CLIP
        encoder's 77 tokens is dropped, and the result says so. Give ``prompt`` or ``image``, not both.
    image : PIL image or array, optional
        A picture of one object on a plain background (image → 3D, model ``"shap-e-img2img"``).
    steps : int
        Denoising steps, 4 to 128 (Shap-E is made for 64; each costs about two passes of the 300 M-parameter prior).
    guidance_scale : float or None
        How closely to follow the prompt or picture, 1 to 30; ``None`` takes Shap-E's usual 15 for text and 3 for a
        picture.
    grid_size : int
        Marching-cubes resolution, 16 to 256 (diffusers uses 128; 64 is eight times cheaper and coarser).
    size_mm : float
        Length of the object's largest side, 10 to 600 mm.
    seed : int or None
        The same seed gives the same object on the same device; None draws one.
    device : str
        ``"auto"`` (cuda, then mps, then cpu), ``"cpu"``, ``"cuda"``, ``"mps"``.
    model_path : path, optional
        A folder to load from instead of the offline pack or cache.
    progress : bool
        Show the denoising progress bar.

    Returns
    -------
    MeshResult
        ``engine="shap-e"``; ``result.mesh`` in millimetres, Z up, standing on ``z = 0``, with vertex colours;
        ``result.model`` holds the model's id, revision and licence.

    Raises
    ------
    ParameterError
        A bad option, both or neither of ``prompt`` and ``image``.
    MissingModelError
        When the weights are neither in the offline pack nor in the local cache.
    """
    args = ENGINE.check(locals())
    if (prompt is None) == (image is None):  # one of them; the registry's check says which is wrong
        raise ParameterError("prompt", prompt if prompt is not None else None,
                             Msg("allowed.prompt_or_image"),
                             reason=Msg("reason.both_were_given" if prompt is not None else "reason.neither_given"))
    text = args["prompt"]
    picture = _check_image(image) if image is not None else None
    steps, grid_size, size_mm = args["steps"], args["grid_size"], args["size_mm"]
    guidance_scale = args["guidance_scale"]
    if guidance_scale is None:
        guidance_scale = 15.0 if text is not None else 3.0
    seed = resolve_seed(seed)
    device = resolve_device(device)
    key = MODEL_KEY if text is not None else IMAGE_MODEL_KEY
    folder = str(locate(key, model_path=model_path))

    import torch

    start = time.perf_counter()
    pipe = load_pipeline(folder, device, picture is not None)
    pipe.set_progress_bar_config(disable=not progress, desc="Shap-E")
    notes: list[str] = []
    generator = torch.Generator("cpu").manual_seed(seed)
    common = dict(num_inference_steps=steps, guidance_scale=guidance_scale, generator=generator, output_type="latent")
    if text is not None:
        tokenizer = pipe.tokenizer
        n_tokens = len(tokenizer(text, truncation=False, add_special_tokens=True)["input_ids"])
        if n_tokens > tokenizer.model_max_length:
            notes.append(f"prompt truncated: {n_tokens} tokens, the text encoder reads the first "
                         f"{tokenizer.model_max_length}")
        latents = pipe(prompt=text, **common).images
    else:
        latents = pipe(image=picture, **common).images
    renderer = pipe.shap_e_renderer
    with torch.no_grad():
        decoded = renderer.decode_to_mesh(latents[0][None].to(dtype=renderer.dtype), device, grid_size=grid_size)
    mesh, repairs = mesh_from_decoder(decoded, size_mm=size_mm)
    notes += repairs
    seconds = time.perf_counter() - start
    notes.append(f"made in {seconds:.0f} s on {device}")
    params: dict[str, Any] = {"steps": steps, "guidance_scale": guidance_scale, "grid_size": grid_size,
                              "size_mm": size_mm}
    if text is not None:
        params = {"prompt": text, **params}
    else:
        params = {"image": f"{picture.size[0]}x{picture.size[1]} px", **params}
    reclaim.made(mesh)
    return MeshResult(engine="shap-e", seed=seed, params=params, device=device, seconds=seconds,
                      model=get_spec(key).record(folder), notes=notes, mesh=mesh)


@functools.lru_cache(maxsize=4)
def _device_flops(device: str) -> float:
    """Floating-point operations per second of a large matrix product on ``device`` (measured, about 0.3 s)."""
    import torch

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    n = 1024
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)

    def sync():
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    with torch.no_grad():
        a @ b
        sync()
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.3:
            a @ b
            runs += 1
        sync()
    return 2 * n**3 * runs / (time.perf_counter() - start)


def _prior_flops(tokens: int) -> float:
    layers, width = _PRIOR["layers"], _PRIOR["width"]
    dense = 2 * tokens * 12 * width * width  # attention projections (4 w²) and the 4× MLP (8 w²)
    attention = 4 * tokens * tokens * width
    return layers * (dense + attention)


def estimate_seconds(device: str | None = "auto", steps: int = 64, *, guidance_scale: float = 15.0,
                     grid_size: int = 128, image: bool = False) -> float:
    """About how many seconds :func:`generate` takes on ``device`` with the published Shap-E weights.

    Computed, not timed on the weights (which may not be on this machine): the floating-point work of the published
    models' shapes — the 24-layer, 1024-wide prior over about 1 000 tokens, run twice per Heun step (and on a batch
    of two with guidance), plus the renderer's MLP at ``grid_size ** 3`` points — divided by this device's measured
    speed on a 1024 × 1024 matrix product (about 0.3 s, once per device) times an efficiency of
    :data:`_EFFICIENCY`. Loading the weights (several GB) is not included. Expect the real time within a factor of
    about two; the doctor and the booth use it to say "about N minutes" and to offer Shap-E only where practical.
    """
    steps = check_int("steps", steps, MIN_STEPS, MAX_STEPS)
    guidance_scale = check_float("guidance_scale", guidance_scale, MIN_GUIDANCE, MAX_GUIDANCE)
    grid_size = check_int("grid_size", grid_size, MIN_GRID, MAX_GRID)
    device = resolve_device(device)
    batch = 2 if guidance_scale > 1.0 else 1
    tokens = _PRIOR["latent_tokens"] + (_PRIOR["image_tokens"] if image else _PRIOR["text_tokens"])
    evaluations = 2 * steps - 1  # Heun: two model passes per step but the last
    work = evaluations * batch * _prior_flops(tokens)
    work += _IMAGE_ENCODER_FLOPS if image else _TEXT_ENCODER_FLOPS
    work += grid_size**3 * _RENDERER_FLOPS_PER_POINT
    return float(work / (_device_flops(device) * _EFFICIENCY))
