"""A motif embossed in a band around a turned vessel, as the raised decoration of Safi and Fès pottery.

:func:`emboss_band` moves the vertices of a vessel's outer wall outwards, along the radius, by a motif sampled at
their angle and height: the pieces of a zellige stand up by ``depth_mm`` and its grout lines stay at the clay's
surface, with a bevel between them. Only vertices move, never faces, so a closed, consistently wound mesh stays
closed and consistently wound; and since the wall only gets thicker, it cannot pass through the inside.

A motif needs vertices to be drawn with: given the vessel's *section* (the closed radius–height outline that
:mod:`workshop_kit.mesh.lathe` turns), :func:`emboss_band` first adds points along the section inside the band and
turns it with enough facets, about one every ``cell_mm``; given a finished mesh, it can only move the vertices that
mesh has (turn it with many ``segments`` for a crisp motif).

Examples
--------
>>> import numpy as np
>>> from workshop_kit.mesh.emboss import emboss_band
>>> cup = np.array([[0, 0], [40, 0], [40, 80], [36, 80], [36, 4], [0, 4]], dtype=float)
>>> mesh = emboss_band(cup, motif="zellige8", band=(20, 60), depth_mm=1.5, seed=0)
>>> bool(mesh.is_watertight), round(float(mesh.extents[2]), 3)
(True, 80.0)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ..i18n import Msg
from ..validation import check_choice, check_float, check_int, resolve_seed

__all__ = ["emboss_band", "MAX_DEPTH_MM"]

#: Most the motif may stand out of the wall, in millimetres.
MAX_DEPTH_MM = 10.0
_PERIOD_PX = 256


def emboss_band(
    target,
    *,
    motif: str = "zellige8",
    band: tuple[float, float],
    depth_mm: float = 1.5,
    repeats: int | None = None,
    cell_mm: float = 1.0,
    segments: int | None = None,
    seed: int | None = 0,
):
    """Emboss a motif in a horizontal band of a vessel's outer wall.

    Parameters
    ----------
    target : trimesh.Trimesh or array-like of shape (n, 2)
        A vessel standing on ``z = 0`` around the ``z`` axis, in millimetres: a mesh (not changed; a copy is
        returned), or the section that :mod:`~workshop_kit.mesh.lathe` turns — points ``(radius, height)`` from the
        axis at the foot round to the axis at the floor.
    motif : str
        A family of :data:`workshop_kit.motif_geometry.FAMILIES`.
    band : tuple of float
        ``(z0, z1)``: the heights in millimetres between which the motif runs, within the vessel's height.
    depth_mm : float
        How far the motif stands out of the wall, from 0.2 to 10 mm.
    repeats : int or None
        Copies of the motif around, from 1 to 64; ``None`` fits one row of the motif in the band's height.
    cell_mm : float
        Spacing of the points added to a section inside the band (and of the facets around), from 0.3 to 5 mm.
        Ignored for a mesh.
    segments : int or None
        Facets around when turning a section, from 16 to 2048; ``None`` derives it from ``cell_mm``. Ignored for a
        mesh.
    seed : int or None
        The motif's variations. ``None`` draws a fresh one.

    Returns
    -------
    trimesh.Trimesh
        The embossed vessel; closed and consistently wound when the target was.

    Raises
    ------
    ParameterError
        For a target that is neither a mesh nor a section, a band outside the vessel, an unknown motif or an option
        out of range.
    """
    import trimesh

    from ..motif_geometry import FAMILIES, line_distance, motif_period

    motif = check_choice("motif", motif, FAMILIES)
    depth_mm = check_float("depth_mm", depth_mm, 0.2, MAX_DEPTH_MM)
    cell_mm = check_float("cell_mm", cell_mm, 0.3, 5.0)
    if repeats is not None:
        repeats = check_int("repeats", repeats, 1, 64)
    if segments is not None:
        segments = check_int("segments", segments, 16, 2048)
    seed = resolve_seed(seed)
    if isinstance(target, trimesh.Trimesh):
        mesh, section = target.copy(), None
        low, high = float(target.bounds[0][2]), float(target.bounds[1][2])
    else:
        try:
            section = np.asarray(target, dtype=np.float64)
        except (TypeError, ValueError):
            section = None
        if section is None or section.ndim != 2 or section.shape[1] != 2 or len(section) < 3 \
                or not np.all(np.isfinite(section)) or section[:, 0].min() < 0:
            raise ParameterError("target", type(target).__name__, Msg("allowed.emboss_target"))
        low, high = float(section[:, 1].min()), float(section[:, 1].max())
        mesh = None
    try:
        z0, z1 = (float(b) for b in band)
    except (TypeError, ValueError):
        raise ParameterError("band", band, Msg("allowed.band", condition=f"{low:g} ≤ z0 < z1 ≤ {high:g}")) from None
    if not (math.isfinite(z0) and math.isfinite(z1) and low <= z0 < z1 <= high and z1 - z0 >= 2 * cell_mm):
        raise ParameterError("band", band, Msg("allowed.band_apart", condition=f"{low:g} ≤ z0 < z1 ≤ {high:g}",
                                               gap=2 * cell_mm))

    if mesh is None:
        section = _refine(section, z0, z1, cell_mm)
        r_max = float(section[:, 0].max())
        if segments is None:
            segments = int(min(2048, max(64, math.ceil(2 * math.pi * r_max / cell_mm))))
        mesh = trimesh.creation.revolve(section, sections=segments)
        if mesh.volume < 0:
            mesh.invert()

    vertices = mesh.vertices.copy()
    radius = np.hypot(vertices[:, 0], vertices[:, 1])
    normals = mesh.vertex_normals
    radial = (normals[:, 0] * vertices[:, 0] + normals[:, 1] * vertices[:, 1]) / np.maximum(radius, 1e-9)
    outer = (radial > 0.5) & (vertices[:, 2] >= z0) & (vertices[:, 2] <= z1) & (radius > 1e-6)
    if not outer.any():
        raise ParameterError("band", band, Msg("allowed.outer_wall_heights"), reason=Msg("reason.no_outer_wall"))

    period = motif_period(motif, palette="fes", size=_PERIOD_PX, seed=seed)
    aspect = period.shape[0] / period.shape[1]
    mean_radius = float(np.median(radius[outer]))
    if repeats is None:
        repeats = max(1, int(round(2 * math.pi * mean_radius * aspect / (z1 - z0))))
    tile_w = 2 * math.pi * mean_radius / repeats
    tile_h = z1 - z0
    distance = line_distance(period, motif=motif) * (tile_w / period.shape[1])  # mm on the vessel
    bevel = max(0.6, 0.8 * depth_mm)
    raised = np.clip((distance - 0.4) / bevel, 0.0, 1.0)  # grout lines (about 0.8 mm) stay at the surface

    angle = np.arctan2(vertices[outer, 1], vertices[outer, 0])
    u = (angle / (2 * math.pi) * repeats) % 1.0
    v = (1.0 - (vertices[outer, 2] - z0) / tile_h) % 1.0  # the picture's top at the band's top
    lift = depth_mm * _sample_points(raised, v, u)
    scale = (radius[outer] + lift) / radius[outer]
    vertices[outer, 0] *= scale
    vertices[outer, 1] *= scale
    out = trimesh.Trimesh(vertices=vertices, faces=mesh.faces, process=False)
    if mesh.visual.kind == "vertex":
        out.visual.vertex_colors = mesh.visual.vertex_colors
    return out


def _refine(section: np.ndarray, z0: float, z1: float, cell: float) -> np.ndarray:
    """Add points to the edges of ``section`` that cross the band ``[z0, z1]``, at most ``cell`` apart."""
    out = [section[:1]]
    for a, b in zip(section[:-1], section[1:]):
        length = float(np.hypot(*(b - a)))
        touches = max(a[1], b[1]) >= z0 - cell and min(a[1], b[1]) <= z1 + cell
        pieces = int(math.ceil(length / cell)) if touches else 1
        t = np.linspace(0.0, 1.0, pieces + 1)[1:, None]
        out.append(a + t * (b - a))
    return np.concatenate(out)


def _sample_points(values: np.ndarray, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Bilinear samples of a seamless ``values[y, x]`` at points ``(v, u)`` given as fractions of the period."""
    h, w = values.shape
    y, x = v * h - 0.5, u * w - 0.5
    y0, x0 = np.floor(y), np.floor(x)
    fy, fx = y - y0, x - x0
    y0, x0 = y0.astype(np.int64) % h, x0.astype(np.int64) % w
    y1, x1 = (y0 + 1) % h, (x0 + 1) % w
    top = values[y0, x0] * (1 - fx) + values[y0, x1] * fx
    bottom = values[y1, x0] * (1 - fx) + values[y1, x1] * fx
    return top * (1 - fy) + bottom * fy
