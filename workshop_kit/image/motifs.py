"""The image engine ``motifs``: exact geometric motifs of Morocco laid out as square pictures.

A picture is a unit tile of a motif family — zellige star rosettes, Amazigh rug motifs, moucharabieh lattices —
repeated ``repeats × repeats`` times. The families and the drawing of their seamless unit tiles live in
:mod:`workshop_kit.motif_geometry`, which the 3D engines share; :data:`FAMILIES` and :func:`tile` are the same
objects here, for the notebooks and the image studio. See ``docs/motifs.md`` for the wallpaper group of each family.

A seed chooses the variations (which palette colour goes to which piece, line width, the depth of the stars…)
through :func:`numpy.random.default_rng`, so the same seed gives the same picture on every machine.

Examples
--------
>>> from workshop_kit.image import motifs
>>> unit = motifs.tile("zellige8", palette="fes", size=128, seed=3)
>>> unit.shape, unit.dtype.name
((128, 128, 3), 'uint8')
>>> result = motifs.generate(motif="yaz", palette="marrakech", size=256, repeats=2, seed=0)
>>> result.size
(256, 256)
"""

from __future__ import annotations

import time

import numpy as np

from ..device import no_torch_device
from ..motif_geometry import FAMILIES, MAX_SIZE, MIN_SIZE, Family, check_family, draw, tile
from ..registry import ENGINES
from ..results import ImageResult
from ..validation import resolve_seed

__all__ = ["Family", "FAMILIES", "MIN_SIZE", "MAX_SIZE", "MAX_REPEATS", "tile", "generate"]

ENGINE = ENGINES["motifs"]
#: Most copies of the unit tile along each side.
MAX_REPEATS = int(ENGINE.option("repeats").high)


def generate(
    *,
    motif: str = "zellige8",
    palette: str = "fes",
    size: int = 1024,
    repeats: int = 2,
    seed: int | None = None,
    variant: str | None = None,
    device: str | None = "auto",
) -> ImageResult:
    """Draw a square picture: a unit tile of ``motif`` repeated ``repeats × repeats`` times.

    Parameters
    ----------
    motif : str
        One of :data:`FAMILIES` (see :func:`tile`).
    palette : str
        One of :data:`workshop_kit.palettes.PALETTES`: ``"marrakech"``, ``"chefchaouen"``, ``"fes"``, ``"sahara"``,
        ``"atlantique"``.
    size : int
        Side of the picture in pixels, from :data:`MIN_SIZE` (64) to :data:`MAX_SIZE` (4096).
    repeats : int
        Copies of the unit tile along each side, from 1 to :data:`MAX_REPEATS` (16). The unit tile is drawn at
        ``ceil(size / repeats)`` pixels; when ``size`` is not a multiple of ``repeats`` the last copies are cropped.
    seed : int or None
        The same seed gives the same picture; ``None`` draws a fresh seed, returned in ``result.seed``. 0 is valid.
    variant : str or None
        The family's drawing style; see :func:`tile`.
    device : str or None
        Accepted for a uniform interface: the motifs are drawn with numpy on the CPU. A GPU this machine does not have
        is still an error.

    Returns
    -------
    ImageResult
        ``result.image`` is a ``(size, size, 3)`` ``uint8`` array; ``result.params`` holds the resolved options, the
        unit tile's side (``"period"``, in pixels) and the family's wallpaper group.

    Raises
    ------
    ParameterError
        For an unknown motif, palette or variant, a size or repeat count out of range, or a bad seed.
    DeviceError
        When ``device`` names a device this machine does not have.

    Examples
    --------
    >>> result = generate(motif="zellige12", palette="chefchaouen", size=128, repeats=1, seed=5)
    >>> result.params["group"], result.image.shape
    ('p6m', (128, 128, 3))
    """
    args = ENGINE.check(locals())
    motif, palette, variant = check_family(args["motif"], args["palette"], args["variant"], name="motif")
    size, repeats = args["size"], args["repeats"]
    seed = resolve_seed(seed)
    device = no_torch_device(device)

    start = time.perf_counter()
    period = -(-size // repeats)
    unit = draw(motif, palette=palette, size=period, seed=seed, variant=variant)
    image = np.ascontiguousarray(np.tile(unit, (repeats, repeats, 1))[:size, :size])
    seconds = time.perf_counter() - start

    params = {"motif": motif, "palette": palette, "size": size, "repeats": repeats, "variant": variant,
              "period": period, "group": FAMILIES[motif].group}
    return ImageResult(engine="motifs", seed=seed, params=params, device=device, seconds=seconds, image=image)
