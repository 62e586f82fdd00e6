"""CPPN generative art: a small random network drawn over the picture's coordinates, coloured with a regional palette.

A compositional pattern-producing network (CPPN) is a function from a pixel's coordinates to a value. With random
weights and smooth activations (``tanh``, ``sin``) it draws flowing bands, folds and blobs; feeding it folded or
periodic coordinates builds symmetry in:

``"flow"``
    plain ``x, y, r`` coordinates: marbled, flowing shapes.
``"rosette"``
    the angle is folded ``k`` times, and mirrored, with ``k`` drawn from 8, 10, 12 and 16: a star with the
    rotational and mirror symmetry of a zellige rosette.
``"tile"``
    only cosines of ``2πx`` and ``2πy`` (and of their doubles), in sums and products that do not change when ``x``
    and ``y`` swap or change sign: the picture repeats without a seam, with the four mirrors of a square tile.

The network's value is looked up in a smooth gradient through the palette's colours, sharpened so that each colour
holds its ground instead of fading into the next, after an equalisation that spreads the values over the whole palette.

Examples
--------
>>> from workshop_kit.image import cppn
>>> result = cppn.generate(palette="fes", style="tile", size=64, seed=7)
>>> result.image.shape, result.image.dtype.name
((64, 64, 3), 'uint8')
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..device import resolve_device
from ..palettes import get_palette
from ..registry import ENGINES
from ..results import ImageResult
from ..validation import resolve_seed

__all__ = ["STYLES", "ROSETTE_FOLDS", "MIN_SIZE", "MAX_SIZE", "generate"]

#: Styles: name -> one-line description (English, then French).
STYLES: dict[str, str] = {
    "flow": "Flowing marbled shapes from plain coordinates — formes fluides et marbrées",
    "rosette": "A star with 8, 10, 12 or 16-fold symmetry, like a zellige rosette — rosace étoilée comme un zellige",
    "tile": "A pattern that repeats without a seam, like a tile — motif qui se répète sans raccord, comme un carreau",
}

#: The orders of rotational symmetry a rosette can have.
ROSETTE_FOLDS: tuple[int, ...] = (8, 10, 12, 16)

#: Smallest and largest side of the square picture, in pixels.
ENGINE = ENGINES["cppn"]
MIN_SIZE, MAX_SIZE = int(ENGINE.option("size").low), int(ENGINE.option("size").high)

_WIDTH = 24  # hidden units per layer
_DEPTH = 5  # hidden layers
_ROWS_PER_CHUNK = 256  # rows evaluated at once, to bound memory at 2048 x 2048
_FIRST_GAIN = {"flow": 2.2, "rosette": 2.2, "tile": 1.4}  # input scale: higher gives finer detail
_GAIN = 2.0  # weight scale of hidden layers: higher gives busier pictures
_SHARPNESS = 5.0  # how much each palette colour holds its ground before the next one
_EQUALISE = 0.75  # share of histogram equalisation mixed with the raw network value


def generate(
    *,
    palette: str = "marrakech",
    style: str = "flow",
    size: int = 512,
    seed: int | None = None,
    device: str | None = "auto",
) -> ImageResult:
    """Draw a square picture with a random CPPN coloured by a regional palette.

    Parameters
    ----------
    palette : str
        One of :data:`workshop_kit.palettes.PALETTES`: ``"marrakech"``, ``"chefchaouen"``, ``"fes"``, ``"sahara"``,
        ``"atlantique"``.
    style : str
        One of :data:`STYLES`: ``"flow"``, ``"rosette"`` or ``"tile"``.
    size : int
        Side of the square picture in pixels, from :data:`MIN_SIZE` (64) to :data:`MAX_SIZE` (2048).
    seed : int or None
        The same seed gives the same picture on the same device; ``None`` draws a fresh seed, returned in
        ``result.seed``. 0 is a valid seed.
    device : str or None
        ``"auto"`` (default), ``"cpu"``, ``"cuda"`` or ``"mps"``; see :func:`workshop_kit.device.resolve_device`.

    Returns
    -------
    ImageResult
        ``result.image`` is a ``(size, size, 3)`` ``uint8`` array; ``result.params`` holds the resolved options,
        with the rosette's fold ``k`` for ``style="rosette"``.

    Raises
    ------
    ParameterError
        For an unknown palette or style, a size out of range or a bad seed.
    DeviceError
        When ``device`` names a device this machine does not have.

    Examples
    --------
    >>> result = generate(palette="marrakech", style="rosette", size=64, seed=0)
    >>> result.params["k"] in ROSETTE_FOLDS
    True
    """
    args = ENGINE.check(locals())
    palette, style, size = args["palette"], args["style"], args["size"]
    seed = resolve_seed(seed)
    device = resolve_device(device)

    import torch

    start = time.perf_counter()
    with torch.inference_mode():
        weights, extra = _draw_network(style, seed)
        weights = [(w.to(device), b.to(device), act) for w, b, act in weights]
        value = torch.cat(
            [
                _network(_features(style, size, rows, extra, device), weights)
                for rows in range(0, size, _ROWS_PER_CHUNK)
            ]
        )
        rgb = _colourise(value, get_palette(palette).rgb(), extra["flip"], device)
        image = rgb.reshape(size, size, 3).cpu().numpy()
    seconds = time.perf_counter() - start

    params = {"palette": palette, "style": style, "size": size}
    if style == "rosette":
        params["k"] = extra["k"]
    return ImageResult(engine="cppn", seed=seed, params=params, device=device, seconds=seconds, image=image)


def _n_inputs(style: str) -> int:
    return {"flow": 4, "rosette": 5, "tile": 5}[style]


def _draw_network(style: str, seed: int):
    """Draw every random number from one CPU generator, so a seed means the same picture on any machine's CPU."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(seed)
    k = ROSETTE_FOLDS[int(torch.randint(len(ROSETTE_FOLDS), (1,), generator=gen))]
    flip = bool(torch.rand(1, generator=gen) < 0.5)
    zoom = 0.8 + 0.6 * float(torch.rand(1, generator=gen))  # how far out the network looks
    fan_in = _n_inputs(style)
    layers = []
    for depth in range(_DEPTH + 1):
        fan_out = 1 if depth == _DEPTH else _WIDTH
        # first layer in sin (waves), then tanh (smooth folds), last one linear
        scale = zoom * _FIRST_GAIN[style] if depth == 0 else _GAIN / math.sqrt(fan_in)
        w = torch.randn(fan_in, fan_out, generator=gen) * scale
        b = torch.randn(fan_out, generator=gen) * (0.5 if depth else 1.0)
        act = "sin" if depth == 0 else ("none" if depth == _DEPTH else "tanh")
        layers.append((w, b, act))
        fan_in = fan_out
    return layers, {"k": k, "flip": flip}


def _features(style: str, size: int, row0: int, extra: dict, device: str):
    """The network's inputs for rows ``row0`` to ``row0 + _ROWS_PER_CHUNK`` of the picture, one row per pixel."""
    import torch

    rows = min(_ROWS_PER_CHUNK, size - row0)
    if style == "tile":  # pixel i sits at i/size: pixel size would be pixel 0 again, so the picture wraps
        u = torch.arange(size, device=device, dtype=torch.float32) / size - 0.5
        v = torch.arange(row0, row0 + rows, device=device, dtype=torch.float32) / size - 0.5
        y, x = torch.meshgrid(2 * math.pi * v, 2 * math.pi * u, indexing="ij")
        cx, cy, cx2, cy2 = torch.cos(x), torch.cos(y), torch.cos(2 * x), torch.cos(2 * y)
        # sums and products that stay the same when x and y swap or change sign: a square motif with four mirrors
        feats = [cx + cy, cx * cy, cx2 + cy2, cx2 * cy2, cx * cy2 + cx2 * cy]
    else:
        u = torch.linspace(-1, 1, size, device=device, dtype=torch.float32)
        y, x = torch.meshgrid(u[row0 : row0 + rows], u, indexing="ij")
        r = torch.sqrt(x * x + y * y)
        if style == "rosette":
            k = extra["k"]
            sector = 2 * math.pi / k
            theta = torch.remainder(torch.atan2(y, x), sector)
            theta = torch.abs(theta - sector / 2)  # mirror inside each sector: dihedral symmetry, as in zellige
            fx, fy = r * torch.cos(theta), r * torch.sin(theta)
            feats = [fx, fy * (k / 4), r, r * torch.cos(k * theta), torch.cos(3 * math.pi * r)]
        else:
            feats = [x, y, r, x * y]
    return torch.stack([f.reshape(-1) for f in feats], dim=1)


def _network(h, layers):
    import torch

    for w, b, act in layers:
        h = torch.addmm(b, h, w)
        if act == "sin":
            h = torch.sin(h)
        elif act == "tanh":
            h = torch.tanh(h)
    return h[:, 0]


def _colourise(value, colours: np.ndarray, flip: bool, device: str):
    """Map network values to palette colours: equalise, then look up a sharpened gradient; return uint8 pixels."""
    import torch

    n = value.numel()
    ranks = torch.empty_like(value)
    ranks[torch.argsort(value)] = torch.arange(n, device=value.device, dtype=value.dtype) / max(n - 1, 1)
    spread = (value - value.min()) / (value.max() - value.min()).clamp_min(1e-8)
    t = _EQUALISE * ranks + (1 - _EQUALISE) * spread
    if flip:
        t = 1 - t
    table = torch.as_tensor(colours, device=device)
    segments = len(table) - 1
    pos = t.clamp(0, 1) * segments
    index = pos.floor().clamp(max=segments - 1)
    frac = pos - index
    # sharpen each step of the gradient: colours hold, the blend between them is short
    edge = math.tanh(_SHARPNESS / 2)
    frac = (0.5 + 0.5 * torch.tanh(_SHARPNESS * (frac - 0.5)) / edge).unsqueeze(1)
    index = index.long()
    rgb = table[index] * (1 - frac) + table[index + 1] * frac
    return (rgb * 255 + 0.5).clamp(0, 255).to(torch.uint8)
