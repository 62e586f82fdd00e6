"""A latent walk: a short looping animation through the space of one CPPN picture.

The network of :mod:`workshop_kit.image.cppn` stays fixed, drawn from the seed. It gets a few more inputs, a *latent
vector* ``z`` that is the same for every pixel of a frame: ``z`` moves the phases of the network's first waves, and
the picture morphs. ``z`` travels round a circle in a random plane of its space; the circle passes through
``z = 0``, where the network is exactly the one :func:`~workshop_kit.image.cppn.generate` draws for the same seed.
So the animation starts on that picture, drifts away and comes back: ``loop=True`` (default) plays round the whole
circle and the last frame leads into the first without a seam; ``loop=False`` goes half way round, from the picture
to the point farthest from it.

Since ``z`` is the same over the whole frame, the symmetry of every style is kept in every frame: a rosette stays a
rosette, a tile stays seamless.

All the frames go through the network together, in a few batched tensor operations.

Examples
--------
>>> from workshop_kit.image import walk
>>> result = walk.latent_walk(palette="chefchaouen", style="rosette", size=64, frames=8, seed=3)
>>> result.frames.shape, result.frames.dtype.name
((8, 64, 64, 3), 'uint8')
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..device import resolve_device
from ..errors import ParameterError
from ..i18n import Msg
from ..palettes import PALETTES, get_palette
from ..results import FramesResult
from ..validation import check_choice, check_int, resolve_seed
from . import cppn

__all__ = ["MAX_FPS", "MAX_FRAMES", "MAX_SIZE", "MIN_FPS", "MIN_FRAMES", "MIN_SIZE", "WalkResult", "latent_walk"]

#: Fewest and most frames in a walk.
MIN_FRAMES = 2
MAX_FRAMES = 240

#: Smallest and largest side of the square frames, in pixels.
MIN_SIZE = 64
MAX_SIZE = 1024

#: Slowest and fastest frame rate, in frames per second.
MIN_FPS = 1
MAX_FPS = 60

_Z_DIM = 8  # size of the latent vector z
_RADIUS = 0.5  # radius of the circle z travels round; the phases move by about 2 * _RADIUS radians at most
_PIXELS_PER_CHUNK = 1 << 18  # frames x pixels evaluated at once: about 25 MB per layer, kind to the CPU cache
_WALK_STREAM = 2**32  # the walk's random numbers come from seed + this: a stream no picture seed uses


@dataclass(repr=False)
class WalkResult(FramesResult):
    """An animation as an ``(frames, height, width, 3)`` array of ``uint8``, played at ``fps`` frames per second.

    ``save("walk.gif")`` writes a GIF that loops forever; ``save("walk.mp4")`` an H.264 video (with the
    ``imageio-ffmpeg`` package). Each file gets its provenance sidecar ``<file>.json``; see
    :class:`~workshop_kit.results.FramesResult`.
    """

    fps: int = field(default=12, kw_only=True)

    PACKAGES: ClassVar[tuple[str, ...]] = ("torch", "pillow", "imageio-ffmpeg")


def latent_walk(
    *,
    palette: str = "marrakech",
    style: str = "flow",
    size: int = 256,
    frames: int = 48,
    seed: int | None = None,
    device: str | None = "auto",
    loop: bool = True,
    fps: int = 12,
) -> WalkResult:
    """Animate one CPPN picture: fixed weights, a latent input ``z`` moving round a circle.

    Parameters
    ----------
    palette : str
        One of :data:`workshop_kit.palettes.PALETTES`: ``"marrakech"``, ``"chefchaouen"``, ``"fes"``, ``"sahara"``,
        ``"atlantique"``.
    style : str
        One of :data:`workshop_kit.image.cppn.STYLES`: ``"flow"``, ``"rosette"`` or ``"tile"``.
    size : int
        Side of the square frames in pixels, from :data:`MIN_SIZE` (64) to :data:`MAX_SIZE` (1024).
    frames : int
        Number of frames, from :data:`MIN_FRAMES` (2) to :data:`MAX_FRAMES` (240).
    seed : int or None
        The same seed gives the same animation on the same device, and its first frame is the picture
        ``cppn.generate`` draws with that seed; ``None`` draws a fresh seed, returned in ``result.seed``. 0 is a
        valid seed.
    device : str or None
        ``"auto"`` (default), ``"cpu"``, ``"cuda"`` or ``"mps"``; see :func:`workshop_kit.device.resolve_device`.
    loop : bool
        ``True`` (default): once round the circle, and the last frame leads back into the first without a seam.
        ``False``: half way round, from the seed's picture to the frame farthest from it, both included.
    fps : int
        Frames per second when played or saved, from :data:`MIN_FPS` (1) to :data:`MAX_FPS` (60).

    Returns
    -------
    WalkResult
        ``result.frames`` is a ``(frames, size, size, 3)`` ``uint8`` array; ``result.params`` holds the resolved
        options, with the rosette's fold ``k`` for ``style="rosette"``.

    Raises
    ------
    ParameterError
        For an unknown palette or style, a size, frame count or fps out of range, a ``loop`` that is not
        ``True``/``False``, or a bad seed.
    DeviceError
        When ``device`` names a device this machine does not have.

    Examples
    --------
    >>> result = latent_walk(style="tile", size=64, frames=4, seed=0)
    >>> result.frames.shape
    (4, 64, 64, 3)
    >>> result.params["loop"], result.fps
    (True, 12)
    """
    palette = check_choice("palette", palette, PALETTES)
    style = check_choice("style", style, cppn.STYLES)
    size = check_int("size", size, MIN_SIZE, MAX_SIZE)
    frames = check_int("frames", frames, MIN_FRAMES, MAX_FRAMES)
    fps = check_int("fps", fps, MIN_FPS, MAX_FPS)
    if not isinstance(loop, (bool, np.bool_)):
        raise ParameterError("loop", loop, Msg("allowed.true_false.list"))
    loop = bool(loop)
    seed = resolve_seed(seed)
    device = resolve_device(device)

    import torch

    start = time.perf_counter()
    with torch.inference_mode():
        layers, extra = cppn._draw_network(style, seed)
        shifts = _phase_shifts(seed, frames, loop)  # (frames, width): how z moves each first-layer wave
        layers = [(w.to(device), b.to(device), act) for w, b, act in layers]
        shifts = shifts.to(device)
        first_w, first_b, _ = layers[0]
        feats = torch.cat([cppn._features(style, size, row, extra, device)
                           for row in range(0, size, cppn._ROWS_PER_CHUNK)])
        waves = torch.addmm(first_b, feats, first_w)  # (pixels, width), the same for every frame
        colours = get_palette(palette).rgb()
        pixels = size * size
        per_chunk = max(1, _PIXELS_PER_CHUNK // pixels)
        out = np.empty((frames, size, size, 3), dtype=np.uint8)
        for f0 in range(0, frames, per_chunk):
            chunk = shifts[f0 : f0 + per_chunk]
            h = torch.sin(waves.unsqueeze(0) + chunk.unsqueeze(1)).reshape(-1, waves.shape[1])
            values = cppn._network(h, layers[1:]).reshape(len(chunk), pixels)
            for i, value in enumerate(values):
                rgb = cppn._colourise(value, colours, extra["flip"], device)
                out[f0 + i] = rgb.reshape(size, size, 3).cpu().numpy()
    seconds = time.perf_counter() - start

    params = {"palette": palette, "style": style, "size": size, "frames": frames, "loop": loop, "fps": fps}
    if style == "rosette":
        params["k"] = extra["k"]
    return WalkResult(engine="cppn-walk", seed=seed, params=params, device=device, seconds=seconds,
                      frames=out, fps=fps)


def _phase_shifts(seed: int, frames: int, loop: bool):
    """The shift each frame's ``z`` gives the first layer's waves: ``z @ W_z``, shape ``(frames, width)``.

    ``z`` goes round a circle through the origin, in a random plane of its space: ``z = r (a (1 - cos θ) + b sin θ)``
    with ``a``, ``b`` orthonormal. Frame 0 is ``z = 0``, the plain CPPN picture.
    """
    import torch

    gen = torch.Generator(device="cpu").manual_seed(seed + _WALK_STREAM)
    plane, _ = torch.linalg.qr(torch.randn(_Z_DIM, 2, generator=gen))  # two orthonormal directions
    z_weights = torch.randn(_Z_DIM, cppn._WIDTH, generator=gen)  # the extra first-layer inputs' weights
    if loop:  # frame n would be frame 0 again: the loop closes without a repeated frame
        theta = torch.arange(frames, dtype=torch.float32) * (2 * math.pi / frames)
    else:
        theta = torch.linspace(0, math.pi, frames, dtype=torch.float32)
    z = _RADIUS * ((1 - torch.cos(theta))[:, None] * plane[:, 0] + torch.sin(theta)[:, None] * plane[:, 1])
    return z @ z_weights
