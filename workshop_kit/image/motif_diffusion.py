"""A small diffusion model, trained by the kit on its own Moroccan geometric motifs, that draws new ones.

The embedded image engine ``"motif-diffusion"``: a class-conditional denoising diffusion model (a diffusers
``UNet2DModel`` of about 1.1 M parameters, the class being the motif family of
:data:`workshop_kit.motif_geometry.FAMILIES`) that turns 32 × 32 pixels of noise into a **cell** of a motif in about
twenty steps, and then builds a large seamless artwork from that cell by symmetry:

1. **What the model draws.** Every motif family has mirror lines along its tile's edges and middle lines, so a
   rectangle between four mirror lines (a *cell*: the top-left quarter of the tile; for ``zellige12``, one cell of its
   hexagonal lattice) holds the whole design. The model learns and draws cells only.
2. **Colour comes afterwards.** The model draws *palette levels*, not colours: 0 for a palette's darkest colour, 1 for
   its lightest, the others evenly between in order of lightness. Training tiles drawn with every regional palette
   are turned into levels (their lightness mapped through their own palette), so one small single-channel model
   learns shapes, and any palette colours any sample for free: :func:`colourise` maps levels back to colours with
   sharp steps, each colour holding its ground.
3. **Assembling.** The cell is mirrored across its right and bottom edges into a 2 × 2 block: a period of the
   pattern, seamless by construction (a cell's edge meets its own mirror image). Blocks are laid ``repeats`` across,
   and the whole is resampled smoothly, wrapping around, to the size asked for. The palette's sharp steps, applied
   after resampling, give crisp edges at any size. The artwork is a period itself: laid side by side, copies of it
   continue without a seam.

The weights live in ``workshop_kit/models/motif-diffusion`` (see its ``MODEL_CARD.md``); they are made by
:mod:`workshop_kit.image.train_motifs` (``workshop-kit train motifs``) and read once per (folder, device). Nothing is
loaded, and torch is not imported, when this module is imported. The noise comes from a CPU ``torch.Generator``
seeded with ``seed``: the same seed gives the same picture.

Examples
--------
>>> from workshop_kit.image import motif_diffusion as md
>>> result = md.generate(motif="zellige8", palette="fes", size=1024, seed=0)      # doctest: +SKIP
>>> result.image.shape                                                            # doctest: +SKIP
(1024, 1024, 3)
>>> frames = md.denoising_steps(motif="yaz", palette="marrakech", steps=12, seed=3)  # doctest: +SKIP
>>> md.save_gif(frames, "noise-to-yaz.gif")    # + noise-to-yaz.gif.json            # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import media, motif_geometry, shipped
from ..device import resolve_device
from ..errors import EngineUnavailableError
from ..i18n import Msg
from ..files import check_output_path
from ..palettes import PALETTES, get_palette
from ..registry import ENGINES
from ..results import FramesResult, ImageResult
from ..validation import check_choice, check_float, check_int, resolve_seed

__all__ = [
    "CELL_PX",
    "CELL_REGION",
    "CLASSES",
    "MODEL",
    "DEFAULT_GUIDANCE",
    "DEFAULT_STEPS",
    "MAX_REPEATS",
    "MAX_SIZE",
    "MAX_STEPS",
    "MIN_SIZE",
    "MIN_STEPS",
    "assemble",
    "colourise",
    "denoising_steps",
    "filmstrip",
    "generate",
    "load_model",
    "read_kit_config",
    "procedural_cells",
    "sample_cells",
    "save_gif",
    "tile",
    "to_levels",
]

#: The motif families the model knows, in the order of its class numbers.
CLASSES: tuple[str, ...] = tuple(motif_geometry.FAMILIES)
#: Side of the cell the model draws, in pixels.
CELL_PX = 32
#: The cell of each family as a fraction (width, height) of its unit tile, from the tile's top-left corner. Each
#: edge of the cell lies on a mirror line of the pattern. For ``zellige12`` it is one rectangular cell of the
#: hexagonal lattice (1 × √3/2 lattice units), drawn 8/7 wider than tall.
CELL_REGION: dict[str, tuple[float, float]] = {name: (0.5, 0.5) for name in CLASSES}
CELL_REGION["zellige12"] = (1 / 7, 1 / 8)
#: Side in pixels at which a procedural tile is drawn before its cell is cut out and reduced to :data:`CELL_PX`.
_RENDER_PX = {name: 256 for name in CLASSES}
_RENDER_PX["zellige12"] = 448
#: How the model's pictures are encoded; a model trained on another encoding is refused.
REPRESENTATION = "palette-levels-v1"

#: The shipped model: its folder of package data, its licence, ``$WORKSHOP_KIT_MOTIF_DIFFUSION_MODEL`` for another.
MODEL = shipped.SHIPPED["motif-diffusion"]
KIT_CONFIG = "motif_diffusion.json"
UNET_DIR, SCHEDULER_DIR = "unet", "scheduler"
METRICS_FILE, CARD_FILE = "metrics.json", "MODEL_CARD.md"

ENGINE = ENGINES["motif-diffusion"]
#: Side of the square artwork, in pixels.
MIN_SIZE, MAX_SIZE = int(ENGINE.option("size").low), int(ENGINE.option("size").high)
#: Denoising steps: fewer is faster and rougher.
_STEPS = ENGINE.option("steps")
MIN_STEPS, MAX_STEPS, DEFAULT_STEPS = int(_STEPS.low), int(_STEPS.high), _STEPS.default
#: Classifier-free guidance: 1 follows the motif as trained, more follows it more strictly (and less freely).
_GUIDANCE = ENGINE.option("guidance")
MIN_GUIDANCE, MAX_GUIDANCE, DEFAULT_GUIDANCE = _GUIDANCE.low, _GUIDANCE.high, _GUIDANCE.default
#: Blocks (periods of the pattern) across the artwork.
MAX_REPEATS, DEFAULT_REPEATS = int(ENGINE.option("repeats").high), ENGINE.option("repeats").default
#: Most cells :func:`sample_cells` draws in one call.
MAX_BATCH = 512
#: How the denoising plays as an animation: each step shows this long (ms), the finished tile longer.
STEP_MS, HOLD_MS = 120, 1500

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
_BLEND = 0.3  # share of the way from one level to the next over which their colours blend


# --------------------------------------------------------------------------------------------------------------------
# Levels and colours
# --------------------------------------------------------------------------------------------------------------------


def _palette_table(palette: str) -> np.ndarray:
    """A palette's colours, darkest to lightest, as an ``(n, 3)`` float array in [0, 1]."""
    rgb = get_palette(palette).rgb().astype(np.float32)
    return rgb[np.argsort(rgb @ _LUMA, kind="stable")]


def to_levels(image: np.ndarray, palette: str) -> np.ndarray:
    """Turn an RGB picture coloured with ``palette`` into palette levels in [0, 1].

    A pixel of the palette's ``k``-th colour in order of lightness becomes ``k / (n - 1)``; pixels between colours
    (anti-aliased edges, shading) fall between, through their lightness.

    Parameters
    ----------
    image : numpy.ndarray
        ``(h, w, 3)`` ``uint8`` picture.
    palette : str
        The palette it was coloured with.

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` ``float32`` levels.
    """
    table = _palette_table(palette)
    lum = table @ _LUMA
    x = (np.asarray(image, dtype=np.float32) / 255.0) @ _LUMA
    return np.interp(x, lum, np.linspace(0.0, 1.0, len(lum))).astype(np.float32)


def colourise(levels: np.ndarray, palette: str) -> np.ndarray:
    """Colour palette levels in [0, 1] with ``palette``: the inverse of :func:`to_levels`, with sharp steps.

    Each colour holds its ground around its own level, and the change to the next one is short, so that smoothly
    resampled levels give crisp, anti-aliased edges.

    Parameters
    ----------
    levels : numpy.ndarray
        ``(h, w)`` array; values outside [0, 1] are clipped.
    palette : str
        One of :data:`workshop_kit.palettes.PALETTES`.

    Returns
    -------
    numpy.ndarray
        ``(h, w, 3)`` ``uint8`` picture.
    """
    table = _palette_table(palette)
    n = len(table)
    pos = np.clip(np.asarray(levels, dtype=np.float32), 0.0, 1.0) * (n - 1)
    index = np.minimum(pos.astype(np.int32), n - 2)
    frac = pos - index
    t = np.clip((frac - 0.5) / np.float32(_BLEND) + 0.5, 0.0, 1.0)
    frac = t * t * (3 - 2 * t)  # smoothstep: the pure colour up to the blend window, a smooth change across it
    low, high = table[index], table[index + 1]
    rgb = low + (high - low) * frac[..., None]
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def procedural_cells(motif: str, *, n: int, seed: int = 0, palettes: Sequence[str] | None = None) -> np.ndarray:
    """Cells of exact procedural motifs (:mod:`workshop_kit.motif_geometry`), as palette levels: the training data.

    Each cell comes from a tile with a random seed, variant and palette (drawn from ``seed``); the cell is cut out of
    a tile drawn at 256 pixels (448 for ``zellige12``), turned into levels, and reduced to :data:`CELL_PX` pixels by
    averaging.

    Parameters
    ----------
    motif : str
        One of :data:`CLASSES`.
    n : int
        How many cells, 1 to 100 000.
    seed : int
        Chooses the tiles; the same seed gives the same cells.
    palettes : sequence of str, optional
        Palettes to draw the tiles with (default: all of them).

    Returns
    -------
    numpy.ndarray
        ``(n, CELL_PX, CELL_PX)`` ``float32`` levels in [0, 1].
    """
    from PIL import Image

    motif = check_choice("motif", motif, CLASSES)
    n = check_int("n", n, 1, 100_000)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    palettes = list(PALETTES) if palettes is None else [check_choice("palette", p, PALETTES) for p in palettes]
    variants = motif_geometry.FAMILIES[motif].variants
    rng = np.random.default_rng([seed, CLASSES.index(motif)])
    size = _RENDER_PX[motif]
    a, b = CELL_REGION[motif]
    out = np.empty((n, CELL_PX, CELL_PX), np.float32)
    for i in range(n):
        palette = palettes[int(rng.integers(len(palettes)))]
        variant = variants[int(rng.integers(len(variants)))]
        unit = motif_geometry.tile(motif, palette=palette, size=size, seed=int(rng.integers(2**32)), variant=variant)
        levels = Image.fromarray(to_levels(unit, palette), mode="F")
        cell = levels.resize((CELL_PX, CELL_PX), resample=Image.Resampling.BOX, box=(0, 0, a * size, b * size))
        out[i] = np.asarray(cell, dtype=np.float32)
    return np.clip(out, 0.0, 1.0)


# --------------------------------------------------------------------------------------------------------------------
# Assembling by symmetry
# --------------------------------------------------------------------------------------------------------------------


def _block(cell: np.ndarray) -> np.ndarray:
    """Mirror a cell across its right and bottom edges: a 2 × 2 block, one period of the pattern."""
    top = np.concatenate([cell, cell[:, ::-1]], axis=1)
    return np.concatenate([top, top[::-1]], axis=0)


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel (a = -0.5), as in bicubic resampling."""
    x = np.abs(x)
    return np.where(x <= 1, (1.5 * x - 2.5) * x * x + 1,
                    np.where(x < 2, ((-0.5 * x + 2.5) * x - 4) * x + 2, 0.0))


def _wrap_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and weights that resample a periodic signal of ``n_in`` samples to ``n_out`` (bicubic, antialiased)."""
    scale = n_out / n_in
    stretch = max(1.0, 1.0 / scale)  # widen the kernel when reducing, so that nothing aliases
    centre = (np.arange(n_out) + 0.5) / scale - 0.5
    taps = int(np.ceil(2 * stretch)) * 2 + 1
    first = np.floor(centre - 2 * stretch).astype(np.int64)
    index = first[:, None] + np.arange(taps)[None, :]
    weight = _cubic((index - centre[:, None]) / stretch)
    weight /= weight.sum(axis=1, keepdims=True)
    return np.mod(index, n_in), weight.astype(np.float32)


def _resample_periodic(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resample a 2-D periodic array to ``(height, width)``, treating it as wrapping around on both axes.

    The result is periodic too: laid side by side, copies of it continue exactly as the input did.
    """
    out = image.astype(np.float32)
    for axis, n_out in ((0, height), (1, width)):
        index, weight = _wrap_taps(out.shape[axis], n_out)
        acc = None
        for t in range(index.shape[1]):
            part = np.take(out, index[:, t], axis=axis)
            w = weight[:, t][:, None] if axis == 0 else weight[:, t][None, :]
            acc = part * w if acc is None else acc + part * w
        out = acc
    return out


def assemble(cell: np.ndarray, *, motif: str, size: int, repeats: int = DEFAULT_REPEATS) -> np.ndarray:
    """Build a seamless square picture of palette levels from one cell, by mirrors and smooth resampling.

    Parameters
    ----------
    cell : numpy.ndarray
        ``(h, w)`` levels of a cell of ``motif`` (see :data:`CELL_REGION`).
    motif : str
        The cell's family: it sets the shape of a block (``zellige12``'s blocks are 8/7 wider than tall).
    size : int
        Side of the square result, in pixels.
    repeats : int
        Blocks across; down, as many as keep the blocks' proportions (as close as whole blocks allow).

    Returns
    -------
    numpy.ndarray
        ``(size, size)`` ``float32`` levels. Its first and last rows (and columns) are mirror images of each other
        across the picture's edge, so copies of it laid side by side continue without a seam.
    """
    a, b = CELL_REGION[motif]
    across = repeats
    down = max(1, round(repeats * a / b))
    mosaic = np.tile(_block(np.asarray(cell, dtype=np.float32)), (down, across))
    return _resample_periodic(mosaic, size, size)


# --------------------------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------------------------


def read_kit_config(path: str | os.PathLike | None = None) -> dict:
    """The kit's own settings of a model folder (its motif families, encoding, training data), checked.

    Raises :class:`MissingModelError` when the folder holds no model, :class:`EngineUnavailableError` when it was
    trained for other motif families or another encoding.
    """
    folder = MODEL.check(path)
    kit = json.loads((folder / KIT_CONFIG).read_text(encoding="utf-8"))
    if tuple(kit.get("classes", ())) != CLASSES or kit.get("representation") != REPRESENTATION \
            or int(kit.get("cell_px", 0)) != CELL_PX:
        raise EngineUnavailableError(Msg("error.motif_diffusion.other", folder=str(folder),
                                         classes=str(kit.get("classes")), representation=str(kit.get("representation")),
                                         command=MODEL.train_command))
    return kit


def _build(folder: Path, device: str):
    import torch
    from diffusers import DDPMScheduler, UNet2DModel

    kit = read_kit_config(folder)
    unet = UNet2DModel.from_pretrained(str(folder), subfolder=UNET_DIR, local_files_only=True)
    unet.eval()
    unet.requires_grad_(False)
    scheduler = DDPMScheduler.from_pretrained(str(folder), subfolder=SCHEDULER_DIR, local_files_only=True)
    return unet.to(torch.device(device)), dict(scheduler.config), kit


def load_model(*, path: str | os.PathLike | None = None, device: str | None = "auto"):
    """The model, read once per folder and device: ``(unet, scheduler_config, kit_config)``.

    Raises
    ------
    MissingModelError
        When the folder lacks the weights, with the command that trains them.
    EngineUnavailableError
        When the weights were trained for other motif families or another encoding.
    """
    return shipped.load(MODEL.key, path, resolve_device(device), _build)


@contextlib.contextmanager
def _few_threads(unet):
    """Two CPU threads at most while sampling: the batches are small, and on a shared laptop more threads only wait
    for each other. The previous setting is restored."""
    import torch

    if next(unet.parameters()).device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(min(before, 2))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _denoise(model, labels: Sequence[int], noise, *, steps: int, guidance: float, keep: bool, progress: bool,
             desc: str = "Motif diffusion"):
    """Run the sampler from ``noise`` for classes ``labels``; return the final levels and, if ``keep``, every state.

    Levels are ``(n, CELL_PX, CELL_PX)`` float32 arrays in [0, 1]; states are the noisy pictures from the first (pure
    noise) to the last (the sample).
    """
    import torch
    from diffusers import DPMSolverMultistepScheduler
    from tqdm.auto import tqdm

    unet, scheduler_config, kit = model
    device = next(unet.parameters()).device
    sampler = DPMSolverMultistepScheduler.from_config(scheduler_config, algorithm_type="dpmsolver++",
                                                      solver_order=2)
    sampler.set_timesteps(steps, device=device)
    x = noise.to(device) * sampler.init_noise_sigma
    y = torch.as_tensor(list(labels), device=device, dtype=torch.long)
    null = torch.full_like(y, int(kit["null_class"]))
    guided = guidance != 1.0
    states = [x.clone()] if keep else []
    with torch.inference_mode(), _few_threads(unet):
        for t in tqdm(sampler.timesteps, desc=desc, unit="step", disable=not progress, leave=False):
            if guided:
                eps_c, eps_u = unet(torch.cat([x, x]), t, class_labels=torch.cat([y, null])).sample.chunk(2)
                eps = eps_u + guidance * (eps_c - eps_u)
            else:
                eps = unet(x, t, class_labels=y).sample
            x = sampler.step(eps, t, x).prev_sample
            if keep:
                states.append(x.clone())
    return _levels_of(x), [_levels_of(s) for s in states]


def _levels_of(z) -> np.ndarray:
    """Sampler states (in [-1, 1], noise beyond) as ``(n, h, w)`` levels in [0, 1]."""
    return ((z.clamp(-1, 1) + 1) / 2)[:, 0].float().cpu().numpy()


def _check_common(motif, palette, steps, guidance, seed, *, seed_name="seed"):
    motif = check_choice("motif", motif, CLASSES)
    if palette is not None:
        palette = check_choice("palette", palette, PALETTES)
    steps = check_int("steps", steps, MIN_STEPS, MAX_STEPS)
    guidance = check_float("guidance", guidance, MIN_GUIDANCE, MAX_GUIDANCE)
    seed = resolve_seed(seed)
    if palette is None:
        palette = list(PALETTES)[seed % len(PALETTES)]
    return motif, palette, steps, guidance, seed


def _noise(seed: int, n: int = 1):
    """Starting noise drawn on the CPU from ``seed``, so that a seed means the same picture on any device."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(seed)
    return torch.randn((n, 1, CELL_PX, CELL_PX), generator=gen, dtype=torch.float32)


def _tile_levels(cell: np.ndarray, motif: str, size: int) -> np.ndarray:
    """One block (period) of levels, ``size`` pixels tall and as wide as its proportions ask."""
    a, b = CELL_REGION[motif]
    width = max(1, round(size * a / b))
    return _resample_periodic(_block(cell), size, width)


def generate(
    *,
    motif: str = "zellige8",
    palette: str | None = None,
    size: int = 1024,
    repeats: int = DEFAULT_REPEATS,
    steps: int = DEFAULT_STEPS,
    guidance: float = DEFAULT_GUIDANCE,
    seed: int | None = None,
    device: str | None = "auto",
    return_steps: bool = False,
    progress: bool = False,
    model_path: str | os.PathLike | None = None,
) -> ImageResult | tuple[ImageResult, FramesResult]:
    """Draw a new motif of a family with the diffusion model, and build a large seamless artwork from it.

    Parameters
    ----------
    motif : str
        The family to draw, one of :data:`CLASSES`: ``"zellige8"``, ``"zellige10"``, ``"zellige12"``,
        ``"zellige16"``, ``"amazigh"``, ``"yaz"``, ``"moucharabieh"``.
    palette : str or None
        One of :data:`workshop_kit.palettes.PALETTES`; ``None`` picks one from the seed.
    size : int
        Side of the square artwork in pixels, from :data:`MIN_SIZE` (256) to :data:`MAX_SIZE` (4096).
    repeats : int
        Periods of the pattern across the artwork, 1 to :data:`MAX_REPEATS` (16); fewer means bigger shapes.
    steps : int
        Denoising steps, :data:`MIN_STEPS` (2) to :data:`MAX_STEPS` (100); about 20 is enough.
    guidance : float
        How strictly the sample follows its family, 1 to 10 (classifier-free guidance; default 2).
    seed : int or None
        The same seed gives the same picture; ``None`` draws a fresh seed, returned in ``result.seed``. 0 is valid.
    device : str or None
        ``"auto"`` (default), ``"cpu"``, ``"cuda"`` or ``"mps"``; see :func:`workshop_kit.device.resolve_device`.
    return_steps : bool
        Also return the pictures of the denoising, from noise to the final tile (see :func:`denoising_steps`).
    progress : bool
        Show a progress bar over the denoising steps.
    model_path : path, optional
        Model folder (default: the shipped model, see :data:`MODEL`).

    Returns
    -------
    ImageResult or (ImageResult, FramesResult)
        ``result.image`` is a ``(size, size, 3)`` ``uint8`` array; ``result.params`` holds the resolved options and
        the ``grid`` of blocks (across, down). With ``return_steps=True``, also the ``steps + 1`` pictures of the
        denoising as 256-pixel tiles (see :func:`denoising_steps`).

    Raises
    ------
    ParameterError
        For an unknown motif or palette or a value out of range, naming it.
    DeviceError
        When ``device`` names a device this machine does not have.
    MissingModelError
        When the model has not been trained (``workshop-kit train motifs``).

    Examples
    --------
    >>> result = generate(motif="moucharabieh", palette="chefchaouen", size=512, seed=0)  # doctest: +SKIP
    >>> result.save("mashrabiya.png")                                                     # doctest: +SKIP
    """
    args = ENGINE.check(locals())
    motif, palette, steps, guidance, seed = _check_common(motif, palette, steps, guidance, seed)
    size, repeats = args["size"], args["repeats"]
    device = resolve_device(device)
    model = load_model(path=model_path, device=device)

    start = time.perf_counter()
    cell, states = _denoise(model, [CLASSES.index(motif)], _noise(seed), steps=steps, guidance=guidance,
                            keep=return_steps, progress=progress)
    image = colourise(assemble(cell[0], motif=motif, size=size, repeats=repeats), palette)
    seconds = time.perf_counter() - start

    a, b = CELL_REGION[motif]
    params = {"motif": motif, "palette": palette, "size": size, "repeats": repeats, "steps": steps,
              "guidance": guidance, "grid": [repeats, max(1, round(repeats * a / b))],
              "group": motif_geometry.FAMILIES[motif].group}
    result = ImageResult(engine=ENGINE.name, seed=seed, params=params, device=device, seconds=seconds, image=image,
                         model=_model_record(model, model_path))
    if return_steps:
        return result, _steps(states, params=params, size=256, seed=seed, device=device, seconds=seconds,
                              model=result.model)
    return result


def tile(
    *,
    motif: str = "zellige8",
    palette: str | None = None,
    size: int = 256,
    steps: int = DEFAULT_STEPS,
    guidance: float = DEFAULT_GUIDANCE,
    seed: int | None = None,
    device: str | None = "auto",
    model_path: str | os.PathLike | None = None,
) -> np.ndarray:
    """Draw one seamless unit tile (a 2 × 2 block of mirrored cells) with the diffusion model.

    Same options as :func:`generate`; ``size`` (64 to 4096) is the tile's height. Its width is the same, except for
    ``zellige12``, whose lattice cell is 8/7 wider than tall. ``np.tile(t, (2, 2, 1))`` shows no seam. With the same
    seed and options, it is the tile that :func:`generate` lays across its artwork.

    Returns
    -------
    numpy.ndarray
        ``(size, width, 3)`` ``uint8`` picture.
    """
    motif, palette, steps, guidance, seed = _check_common(motif, palette, steps, guidance, seed)
    size = check_int("size", size, 64, MAX_SIZE)
    model = load_model(path=model_path, device=device)
    cell, _ = _denoise(model, [CLASSES.index(motif)], _noise(seed), steps=steps, guidance=guidance, keep=False,
                       progress=False)
    return colourise(_tile_levels(cell[0], motif, size), palette)


def denoising_steps(
    *,
    motif: str = "zellige8",
    palette: str | None = None,
    size: int = 256,
    steps: int = DEFAULT_STEPS,
    guidance: float = DEFAULT_GUIDANCE,
    seed: int | None = None,
    device: str | None = "auto",
    progress: bool = False,
    model_path: str | os.PathLike | None = None,
) -> FramesResult:
    """The pictures of one denoising, from pure noise to the finished tile: noise becoming a motif.

    Same options as :func:`tile`. Each state of the sampler is shown as a tile coloured with the palette.

    Returns
    -------
    FramesResult
        ``steps + 1`` ``uint8`` pictures, read like a list (``len(frames)``, ``frames[-1]``, ``for p in frames``):
        the first is the starting noise, the last equals :func:`tile` with the same options. Show them with
        :func:`filmstrip`; ``frames.save("steps.gif")`` (or :func:`save_gif`) writes them as an animation with
        their provenance: motif, palette, steps, seed and model.
    """
    motif, palette, steps, guidance, seed = _check_common(motif, palette, steps, guidance, seed)
    size = check_int("size", size, 64, MAX_SIZE)
    device = resolve_device(device)
    model = load_model(path=model_path, device=device)
    start = time.perf_counter()
    _, states = _denoise(model, [CLASSES.index(motif)], _noise(seed), steps=steps, guidance=guidance, keep=True,
                         progress=progress)
    return _steps(states, params={"motif": motif, "palette": palette, "steps": steps, "guidance": guidance},
                  size=size, seed=seed, device=device, seconds=time.perf_counter() - start,
                  model=_model_record(model, model_path))


def _model_record(model, model_path) -> dict[str, str]:
    kit = model[2]
    return {**MODEL.record(model_path), "version": str(kit.get("version", "")), "trained": str(kit.get("trained", ""))}


def _steps(states, *, params: dict, size: int, seed: int, device: str, seconds: float, model: dict) -> FramesResult:
    """The sampler's states as an animation of ``size``-pixel tiles coloured with ``params["palette"]``."""
    frames = np.stack([colourise(_tile_levels(s[0], params["motif"], size), params["palette"]) for s in states])
    return FramesResult(engine=ENGINE.name, seed=seed, device=device, seconds=seconds, model=model,
                        params={**params, "size": size, "shows": "denoising steps"}, frames=frames,
                        fps=1000 / STEP_MS, hold_ms=HOLD_MS)


def sample_cells(
    *,
    motif: str = "zellige8",
    n: int = 8,
    steps: int = DEFAULT_STEPS,
    guidance: float = DEFAULT_GUIDANCE,
    seed: int | None = 0,
    device: str | None = "auto",
    progress: bool = False,
    model_path: str | os.PathLike | None = None,
) -> np.ndarray:
    """Draw ``n`` cells of ``motif`` at once, as palette levels (what the model makes, before colour and assembly).

    Used to measure the model (:func:`workshop_kit.image.motif_classifier.evaluate`). The batch's noise is drawn
    from ``seed``.

    Returns
    -------
    numpy.ndarray
        ``(n, CELL_PX, CELL_PX)`` ``float32`` levels in [0, 1].
    """
    motif, _, steps, guidance, seed = _check_common(motif, None, steps, guidance, seed)
    n = check_int("n", n, 1, MAX_BATCH)
    model = load_model(path=model_path, device=device)
    cells, _ = _denoise(model, [CLASSES.index(motif)] * n, _noise(seed, n), steps=steps, guidance=guidance,
                        keep=False, progress=progress, desc=f"Sampling {motif}")
    return cells


# --------------------------------------------------------------------------------------------------------------------
# Showing the denoising
# --------------------------------------------------------------------------------------------------------------------


def filmstrip(images: Sequence[np.ndarray], *, count: int | None = None, gap: int = 4) -> np.ndarray:
    """Lay pictures side by side on a white strip, to show noise becoming a picture.

    Parameters
    ----------
    images : list of numpy.ndarray
        Pictures of the same size, e.g. from :func:`denoising_steps`.
    count : int, optional
        Show only this many, evenly chosen, always with the first and the last (default: all).
    gap : int
        White pixels between pictures, 0 to 64.

    Returns
    -------
    numpy.ndarray
        ``(h, n * w + (n - 1) * gap, 3)`` ``uint8`` picture.
    """
    frames = media.check_frames(images)
    gap = check_int("gap", gap, 0, 64)
    if count is not None:
        count = check_int("count", count, 1, len(frames))
        picks = (np.unique(np.round(np.linspace(0, len(frames) - 1, count)).astype(int)) if count > 1
                 else [len(frames) - 1])
        frames = frames[picks]
    return media.side_by_side(frames, gap=gap)


def save_gif(images: Sequence[np.ndarray], path: str | os.PathLike, *, frame_ms: int = STEP_MS,
             hold_ms: int = HOLD_MS) -> Path:
    """Write pictures as a looping animated GIF with its provenance sidecar ``<path>.json``, atomically (no
    half-written file is ever left).

    Parameters
    ----------
    images : FramesResult or list of numpy.ndarray
        Pictures of the same size, e.g. from :func:`denoising_steps` (whose provenance the sidecar keeps); one frame
        each (a frame identical to the one before it is merged into it by the GIF writer).
    path : path
        A ``.gif`` file in an existing, writable folder.
    frame_ms : int
        How long each picture shows, 20 to 5000 milliseconds.
    hold_ms : int
        How long the last picture shows before the loop starts again, 20 to 20000 milliseconds.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    OutputPathError
        When the path does not end in ``.gif`` or its folder cannot be written to.
    """
    frames = media.check_frames(images)
    frame_ms = check_int("frame_ms", frame_ms, 20, 5000)
    hold_ms = check_int("hold_ms", hold_ms, 20, 20000)
    if isinstance(images, FramesResult):
        animation = dataclasses.replace(images, fps=1000 / frame_ms, hold_ms=hold_ms)
    else:
        animation = FramesResult(engine="pictures", seed=None, params={}, device="cpu", seconds=0.0, frames=frames,
                                 fps=1000 / frame_ms, hold_ms=hold_ms,
                                 notes=["pictures given as arrays: how they were made is not recorded"])
    return animation.save(check_output_path(path, (".gif",)))
