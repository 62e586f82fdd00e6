"""Bas-relief: a picture or a motif carved into a plate, as in Moroccan carved plaster (gebs) and cedar, in millimetres.

The luminance of the picture becomes height: light parts stand up, dark parts are carved down (``invert=True`` for the
opposite). The carving sits on a solid base and is framed by a raised border, and the whole plate is closed — a grid
of heights on top, four side walls and a flat bottom — so it is a watertight solid, ready to print or to mill.

With a motif family (``motif="zellige8"`` …) one seamless period of the motif is drawn by
:func:`workshop_kit.motif_geometry.motif_period` and its lightest colour, the grout of a zellige, stands highest: the
star interlace comes out as raised strapwork, as in carved plaster.

Examples
--------
>>> from workshop_kit.mesh import relief
>>> result = relief.generate(motif="zellige8", width_mm=100, resolution=64, seed=1)
>>> bool(result.mesh.is_watertight), [round(float(e), 3) for e in result.mesh.extents]
(True, [100.0, 100.0, 9.0])
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..device import no_torch_device
from ..errors import ParameterError
from ..i18n import Msg
from ..motif_geometry import motif_period
from ..registry import ENGINES
from ..validation import check_float, resolve_seed
from . import reclaim
from .result import MeshResult

__all__ = ["generate", "MIN_WIDTH_MM", "MAX_WIDTH_MM", "MIN_RESOLUTION", "MAX_RESOLUTION", "MAX_SMOOTH"]

ENGINE = ENGINES["relief"]
MIN_WIDTH_MM, MAX_WIDTH_MM = ENGINE.option("width_mm").low, ENGINE.option("width_mm").high
MIN_RESOLUTION, MAX_RESOLUTION = int(ENGINE.option("resolution").low), int(ENGINE.option("resolution").high)
MAX_SMOOTH = ENGINE.option("smooth").high
#: Narrowest raised line, in millimetres: finer crests of the picture are widened to this (see ``generate``).
MIN_RIDGE_MM = 2.0
_MOTIF_REPEATS = 2  # copies of a motif's period across a relief


def generate(
    *,
    image=None,
    motif: str | None = None,
    width_mm: float = 150.0,
    depth_mm: float = 6.0,
    base_mm: float = 3.0,
    frame_mm: float = 8.0,
    resolution: int = 256,
    invert: bool = False,
    smooth: float = 1.0,
    seed: int | None = None,
    device: str | None = "auto",
) -> MeshResult:
    """Carve a picture or a motif into a framed plate, as a watertight mesh in millimetres.

    Parameters
    ----------
    image : str, path-like, bytes, PIL.Image.Image, numpy.ndarray or None
        The picture to carve: a PNG, JPEG or WebP file (at most 20 MiB and 16 megapixels, checked before decoding,
        see :func:`workshop_kit.imageio_safe.load_image`) or an array. ``None`` carves ``motif``.
    motif : str or None
        A family of :data:`workshop_kit.motif_geometry.FAMILIES`, used when ``image`` is ``None``
        (``"zellige8"`` when both are ``None``). Giving both is an error.
    width_mm : float
        Width of the plate along x, frame included, from 20 to 600 mm. Its depth along y follows the picture's
        proportions.
    depth_mm : float
        Height of the carving above the base, from 0.2 to 50 mm: black is at the base, white this much above it.
    base_mm : float
        Thickness of the solid base under the deepest carving, from 0.8 to 50 mm.
    frame_mm : float
        Width of the raised frame, which stands as high as the highest carving; from 0 (no frame) to a quarter of
        ``width_mm``.
    resolution : int
        Points of the height grid across the width, from 16 to 1024 (256: a point every 0.6 mm on a 150 mm plate).
    invert : bool
        Carve dark parts high and light parts low.
    smooth : float
        Softening of the carving (Gaussian blur, in grid points), from 0 (sharp) to 10.
    seed : int or None
        Chooses the variations of a motif (colours, line width…); the same seed gives the same mesh. ``None`` draws a
        fresh seed, returned in ``result.seed``. 0 is valid.
    device : str or None
        Checked like the other engines' (a missing GPU is an error); the work is done by numpy on the CPU.

    Returns
    -------
    MeshResult
        ``result.mesh`` is a watertight ``trimesh.Trimesh`` lying on ``z = 0``, centred on the origin in x and y,
        ``width_mm`` wide and ``base_mm + depth_mm`` high.

    Notes
    -----
    Crests narrower than :data:`MIN_RIDGE_MM` (2 mm) — the grout lines of a zellige, a thin bright line of a
    picture — are widened to it (a grey dilation), so that every raised line can be printed.

    Raises
    ------
    ParameterError
        For a picture that cannot be read or is too big, an unknown motif, both a picture and a motif, or a size out
        of range.
    DeviceError
        When ``device`` names a device this machine does not have.

    Examples
    --------
    >>> import numpy as np
    >>> ramp = np.tile(np.linspace(0, 1, 32), (16, 1))
    >>> result = generate(image=ramp, width_mm=64, frame_mm=0, resolution=32, seed=0)
    >>> [round(float(e), 3) for e in result.mesh.extents]
    [64.0, 30.968, 9.0]
    """
    args = ENGINE.check({**locals(), "invert": bool(invert) if isinstance(invert, np.bool_) else invert})
    from ..imageio_safe import load_image

    motif = ("zellige8" if args["motif"] is None else args["motif"]) if image is None else None
    width_mm, depth_mm, base_mm = args["width_mm"], args["depth_mm"], args["base_mm"]
    frame_mm = check_float("frame_mm", args["frame_mm"], 0.0, width_mm / 4)
    resolution, invert, smooth = args["resolution"], args["invert"], args["smooth"]
    seed = resolve_seed(seed)
    device = no_torch_device(device)
    picture = load_image(image) if image is not None else None  # bounded before decoding

    start = time.perf_counter()
    if picture is None:
        period = motif_period(motif, palette="fes", size=max(256, resolution), seed=seed)
        across = max(1, int(round(_MOTIF_REPEATS * period.shape[0] / period.shape[1])))
        picture = np.tile(period, (_MOTIF_REPEATS, across, 1))
    nx = resolution
    ny = max(2, int(round(nx * picture.shape[0] / picture.shape[1])))
    if ny > MAX_RESOLUTION * 4:
        raise ParameterError("image", f"<{picture.shape[1]} × {picture.shape[0]} pixels>",
                             Msg("allowed.not_too_tall"), reason=Msg("reason.too_narrow"))
    step = width_mm / (nx - 1)
    heights = _heights(picture, nx, ny, bool(invert), smooth, ridge=max(1, int(math.ceil(MIN_RIDGE_MM / step))))
    frame_cells = frame_mm / step
    z = base_mm + depth_mm * heights
    if frame_mm > 0:
        iy, ix = np.mgrid[0:ny, 0:nx]
        edge = np.minimum.reduce([ix, iy, nx - 1 - ix, ny - 1 - iy])
        z[edge <= frame_cells] = base_mm + depth_mm
    mesh = _plate(z, step)
    seconds = time.perf_counter() - start

    params = {"image": None if image is None else _describe(image), "motif": motif, "width_mm": width_mm,
              "depth_mm": depth_mm, "base_mm": base_mm, "frame_mm": frame_mm, "resolution": resolution,
              "invert": bool(invert), "smooth": smooth, "grid": [nx, ny]}
    reclaim.made(mesh)
    return MeshResult(engine="relief", seed=seed, params=params, device=device, seconds=seconds, mesh=mesh)


def _describe(image) -> str:
    import os

    if isinstance(image, (str, os.PathLike)):
        return os.path.basename(os.fspath(image))
    if isinstance(image, np.ndarray):
        return f"array {tuple(image.shape)}"
    return type(image).__name__


def _heights(picture: np.ndarray, nx: int, ny: int, invert: bool, smooth: float, ridge: int) -> np.ndarray:
    """Luminance resampled to ``(ny, nx)``, ridges widened to ``ridge`` points, blurred by ``smooth``, in [0, 1]."""
    from PIL import Image
    from scipy import ndimage

    grey = picture.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    resized = Image.fromarray(grey, mode="F").resize((nx, ny), Image.Resampling.BOX if grey.shape[1] >= nx
                                                     else Image.Resampling.BILINEAR)
    lum = np.asarray(resized, dtype=np.float64)
    if invert:
        lum = -lum
    if ridge > 1:  # no raised line narrower than the printer can make: widen every crest (a grey dilation)
        lum = ndimage.grey_dilation(lum, size=(ridge, ridge), mode="nearest")
    if smooth > 0:
        lum = ndimage.gaussian_filter(lum, smooth, mode="nearest")
    low, high = np.percentile(lum, [0.5, 99.5])
    if high - low < 1e-6:  # a flat picture: a flat carving half-way up
        out = np.full(lum.shape, 0.5)
    else:
        out = np.clip((lum - low) / (high - low), 0.0, 1.0)
    return out[::-1]  # row 0 of a picture is its top: put it at +y


def _plate(z: np.ndarray, step: float):
    """A closed solid from a height grid ``z[iy, ix]`` (all > 0): top surface, four walls, a flat bottom."""
    import trimesh

    ny, nx = z.shape
    xs = (np.arange(nx) - (nx - 1) / 2) * step
    ys = (np.arange(ny) - (ny - 1) / 2) * step
    gx, gy = np.meshgrid(xs, ys)
    top = np.column_stack([gx.ravel(), gy.ravel(), z.ravel()])
    idx = np.arange(nx * ny).reshape(ny, nx)
    a, b, c, d = idx[:-1, :-1], idx[:-1, 1:], idx[1:, 1:], idx[1:, :-1]  # counter-clockwise seen from above
    za, zb, zc, zd = z[:-1, :-1], z[:-1, 1:], z[1:, 1:], z[1:, :-1]
    ac = np.abs(za - zc) <= np.abs(zb - zd)  # split each square along its flatter diagonal
    t1 = np.where(ac[..., None], np.stack([a, b, c], -1), np.stack([a, b, d], -1))
    t2 = np.where(ac[..., None], np.stack([a, c, d], -1), np.stack([b, c, d], -1))
    faces = [t1.reshape(-1, 3), t2.reshape(-1, 3)]
    # the border of the grid, counter-clockwise seen from above
    ring = np.concatenate([idx[0, :-1], idx[:-1, -1], idx[-1, :0:-1], idx[:0:-1, 0]])
    n = len(top)
    bottom = top[ring].copy()
    bottom[:, 2] = 0.0
    low = n + np.arange(len(ring))
    centre = n + len(ring)
    up, up_next = ring, np.roll(ring, -1)
    lo, lo_next = low, np.roll(low, -1)
    faces += [np.column_stack([lo, lo_next, up_next]), np.column_stack([lo, up_next, up]),  # walls, facing out
              np.column_stack([np.full(len(ring), centre), lo_next, lo])]  # bottom, facing down
    vertices = np.concatenate([top, bottom, [[0.0, 0.0, 0.0]]])
    return trimesh.Trimesh(vertices=vertices, faces=np.concatenate(faces), process=False)
