"""Lathe pottery: a vessel turned from a profile curve, as a watertight solid with a real wall, in millimetres.

Each preset is a list of control points ``(radius, height)`` in millimetres for the outside of the pot, from the foot
to the rim. A smooth curve runs through them; the inside is the same curve moved inwards by the wall thickness; the
section (base, outside, rim, inside, floor) is closed on the axis and turned around it, as on a potter's wheel. The
seed nudges the control radii (by up to 8 %, smoothly), so each seed turns a different pot of the same family.

The tagine is two bodies in one mesh: the dish, and the conical lid with a solid knob resting on the dish's rim. Each
body is closed on its own, so the whole mesh is watertight and can be printed or exported as it is.

Examples
--------
>>> from workshop_kit.mesh import lathe
>>> result = lathe.generate(preset="jar", height_mm=120, seed=3)
>>> bool(result.mesh.is_watertight), round(float(result.mesh.extents[2]), 3)
(True, 120.0)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..device import no_torch_device
from ..errors import ParameterError
from ..i18n import Msg
from ..palettes import get_palette
from ..registry import ENGINES
from ..validation import check_float, resolve_seed
from . import reclaim
from .printability import DEFAULT_MIN_WALL_MM, bed_note, round_fit_height
from .result import MeshResult

__all__ = ["PRESETS", "VesselPreset", "MIN_HEIGHT_MM", "MAX_HEIGHT_MM", "MIN_WALL_MM", "MAX_WALL_MM",
           "MIN_SEGMENTS", "MAX_SEGMENTS", "JITTER", "generate", "profile_curve"]

ENGINE = ENGINES["lathe"]
MIN_HEIGHT_MM, MAX_HEIGHT_MM = ENGINE.option("height_mm").low, ENGINE.option("height_mm").high
MIN_WALL_MM, MAX_WALL_MM = ENGINE.option("wall_mm").low, ENGINE.option("wall_mm").high
MIN_SEGMENTS, MAX_SEGMENTS = int(ENGINE.option("segments").low), int(ENGINE.option("segments").high)
#: How far the seed may move each control radius, as a fraction of it.
JITTER = 0.08

_SAMPLES_PER_SPAN = 12  # points of the profile curve between two control points


@dataclass(frozen=True)
class VesselPreset:
    """A family of pots: its outside profile, default size and names.

    ``profile`` holds control points ``(radius_mm, height_mm)`` from the foot (height 0) to the rim, as drawn (at
    :attr:`drawn_mm`); ``wall_mm`` is the wall at that size. A preset with a ``lid`` (a tagine) has its dish in
    ``profile`` and its lid in ``lid``, measured from the top of the knob (height 0) down to the lid's rim;
    ``knob_mm`` is how deep the solid knob goes. ``height_mm`` is the height a pot is made at by default: one at
    which every pot of the family fits the print bed
    (:data:`workshop_kit.mesh.printability.DEFAULT_BED_MM`).
    """

    name: str
    label: dict[str, str]
    description: str
    height_mm: float
    wall_mm: float
    profile: tuple[tuple[float, float], ...]
    lid: tuple[tuple[float, float], ...] | None = None
    knob_mm: float = 0.0

    @property
    def drawn_mm(self) -> float:
        """The height the profile is drawn at: the rim's, plus the lid's for a tagine."""
        return float(self.profile[-1][1] + (self.lid[-1][1] if self.lid else 0.0))

    def min_radius(self) -> float:
        """The narrowest control radius around a hollow part, as drawn."""
        radii = [r for r, _ in self.profile]
        if self.lid:
            radii += [r for r, z in self.lid if z >= self.knob_mm]
        return float(min(radii))


PRESETS: dict[str, VesselPreset] = {
    p.name: p
    for p in (
        VesselPreset(
            "tagine",
            {"fr": "Tajine", "en": "Tagine", "ar": "طاجين"},
            "A shallow glazed dish and its tall conical lid with a knob, as made in Safi and Fès.",
            height_mm=150.0,
            wall_mm=6.0,
            profile=((100, 0), (122, 8), (146, 24), (158, 40), (162, 50)),
            lid=((13, 0), (19, 8), (11, 24), (22, 40), (50, 100), (94, 160), (132, 196), (156, 210)),
            knob_mm=40.0,
        ),
        VesselPreset(
            "jar",
            {"fr": "Jarre", "en": "Jar", "ar": "خابية"},
            "A round-bellied storage jar (khabia) with a narrow neck and a small flared lip.",
            height_mm=220.0,
            wall_mm=6.0,
            profile=((58, 0), (76, 22), (112, 85), (126, 150), (114, 212), (78, 254), (56, 274), (54, 290), (64, 300)),
        ),
        VesselPreset(
            "vase",
            {"fr": "Vase", "en": "Vase", "ar": "مزهرية"},
            "A tall vase: a low belly, a long slender neck and an open trumpet mouth.",
            height_mm=240.0,
            wall_mm=4.0,
            profile=((42, 0), (58, 22), (84, 75), (78, 125), (46, 180), (32, 220), (34, 250), (52, 280)),
        ),
        VesselPreset(
            "bowl",
            {"fr": "Bol", "en": "Bowl", "ar": "زلافة"},
            "A wide open bowl (zlafa) on a small foot, for harira or olives.",
            height_mm=70.0,
            wall_mm=5.0,
            profile=((38, 0), (46, 6), (72, 22), (98, 50), (114, 78), (120, 90)),
        ),
    )
}


def generate(
    *,
    preset: str = "jar",
    height_mm: float | None = None,
    fit_bed: bool = False,
    wall_mm: float | None = None,
    segments: int = 96,
    palette: str | None = None,
    band_motif: str | None = None,
    band_depth_mm: float = 1.5,
    seed: int | None = None,
    device: str | None = "auto",
) -> MeshResult:
    """Turn a pot from one of :data:`PRESETS` into a watertight mesh in millimetres.

    Parameters
    ----------
    preset : str
        ``"tagine"``, ``"jar"``, ``"vase"`` or ``"bowl"``; see :data:`PRESETS`.
    height_mm : float or None
        Overall height from 20 to 600 mm (a tagine's includes its lid); the whole profile scales with it. ``None``
        takes the preset's own, at which the pot fits the print bed.
    fit_bed : bool
        Make the pot smaller, if need be, so that it fits the print bed
        (:data:`~workshop_kit.mesh.printability.DEFAULT_BED_MM`: 250 × 210 mm, 250 mm high), as the booth does: a
        bowl 150 mm high would be 420 mm wide. ``result.notes`` then says the height made. Without it a height
        given is made as it is (the printability report says if it does not fit).
    wall_mm : float or None
        Wall thickness from 1 to 20 mm, and less than the pot's narrowest radius; ``None`` picks one in proportion
        to the pot's size (the preset's wall at its drawn size), at least the 1.2 mm an FDM printer needs
        (:data:`~workshop_kit.mesh.printability.DEFAULT_MIN_WALL_MM`) where the pot is wide enough.
    segments : int
        Facets around the axis, from 16 to 512.
    palette : str or None
        Paint the vertices with bands of glaze from one of :data:`workshop_kit.palettes.PALETTES` (kept by GLB,
        PLY and OBJ files); ``None`` leaves the clay bare.
    band_motif : str or None
        Emboss a band of this motif family (:data:`workshop_kit.motif_geometry.FAMILIES`) around the middle of the
        pot, raised by ``band_depth_mm`` (0.2 to 10 mm); ``None`` for a smooth pot.
    seed : int or None
        The same seed gives the same vertices; ``None`` draws a fresh seed, returned in ``result.seed``. 0 is valid.
    device : str or None
        Checked like the other engines' (a missing GPU is an error), but the work is done by numpy on the CPU.

    Returns
    -------
    MeshResult
        ``result.mesh`` is a watertight ``trimesh.Trimesh`` standing on ``z = 0`` and centred on the ``z`` axis;
        ``result.params`` holds the resolved options.

    Raises
    ------
    ParameterError
        For an unknown preset or palette, or a size, wall, segment count or seed out of range.
    DeviceError
        When ``device`` names a device this machine does not have.

    Examples
    --------
    >>> result = generate(preset="bowl", seed=0, segments=32)
    >>> bool(result.mesh.volume > 0)
    True
    """
    args = ENGINE.check(locals())
    preset, height_mm, fit_bed, wall_mm = args["preset"], args["height_mm"], args["fit_bed"], args["wall_mm"]
    segments, palette, band_motif, band_depth_mm = (args["segments"], args["palette"], args["band_motif"],
                                                    args["band_depth_mm"])
    spec = PRESETS[preset]
    shortest = max(MIN_HEIGHT_MM, math.ceil(2 * MIN_WALL_MM * spec.drawn_mm / (spec.min_radius() * (1 - JITTER))))
    asked = spec.height_mm if height_mm is None else check_float("height_mm", height_mm, shortest, MAX_HEIGHT_MM)
    seed = resolve_seed(seed)
    device = no_torch_device(device)
    # the shape as drawn, nudged by the seed (the nudges scale with it)
    rng = np.random.default_rng(seed)
    drawn = _jitter(np.array(spec.profile, dtype=np.float64), rng)
    drawn_lid = None if spec.lid is None else _jitter(np.array(spec.lid, dtype=np.float64), rng)
    height_mm = asked
    if fit_bed or args["height_mm"] is None:
        widest = max(float(np.max(profile_curve(points)[:, 0])) for points in (drawn, drawn_lid) if points is not None)
        band = band_depth_mm if band_motif is not None else 0.0
        height_mm = min(asked, math.floor(10 * round_fit_height(widest / spec.drawn_mm, extra_radius_mm=band)) / 10)
    scale = height_mm / spec.drawn_mm
    thickest = min(MAX_WALL_MM, spec.min_radius() * scale * (1 - JITTER))
    if wall_mm is None:
        wall_mm = min(max(spec.wall_mm * min(max(scale, 0.3), 1.5), DEFAULT_MIN_WALL_MM), thickest / 2)
    elif wall_mm >= thickest:
        raise ParameterError("wall_mm", wall_mm, Msg("allowed.float_below", low=MIN_WALL_MM, high=thickest),
                             reason=Msg("reason.thicker_than_radius", preset=preset, radius=thickest))

    import trimesh

    start = time.perf_counter()
    profile = drawn * scale
    bodies = []
    if band_motif is None:
        body = _body(profile, wall_mm, wall_mm, segments, preset)
    else:  # an embossed motif band around the belly (of the dish, for a tagine)
        from .emboss import emboss_band

        top = profile[-1, 1]
        body = emboss_band(_section(profile, wall_mm, wall_mm, preset), motif=band_motif,
                           band=(0.3 * top, 0.7 * top), depth_mm=band_depth_mm, cell_mm=1.2, seed=seed)
    if spec.lid is None:
        bodies.append(body)
    else:
        lid = drawn_lid * scale
        lid[-1, 0] = profile[-1, 0] - 0.5 * wall_mm  # the lid rests on the middle of the dish's rim
        dish_height = profile[-1, 1]
        lid_height = lid[-1, 1]
        lid[:, 1] *= (height_mm - dish_height) / lid_height  # dish and lid together make height_mm exactly
        bodies.append(body)
        lid_section = _section(lid, wall_mm, spec.knob_mm * scale * (height_mm - dish_height) / lid_height, preset)
        lid_section[:, 1] = height_mm - lid_section[:, 1]  # upside down, knob on top
        bodies.append(_revolve(lid_section[::-1], segments))
    if palette is not None:
        colours = get_palette(palette).rgb()
        bands = _draw_bands(rng, len(colours))
        for body, top in zip(bodies, [profile[-1, 1], height_mm]):
            body.visual.vertex_colors = _glaze(body, colours, bands, top)
    mesh = bodies[0] if len(bodies) == 1 else trimesh.util.concatenate(bodies)
    seconds = time.perf_counter() - start

    params = {"preset": preset, "height_mm": round(height_mm, 4), "wall_mm": round(float(wall_mm), 4),
              "segments": segments, "palette": palette}
    if band_motif is not None:
        params.update(band_motif=band_motif, band_depth_mm=band_depth_mm)
    reclaim.made(mesh)
    result = MeshResult(engine="lathe", seed=seed, params=params, device=device, seconds=seconds, mesh=mesh)
    if height_mm < asked:
        result.notes.append(bed_note(height_mm, asked))
    return result


def vessel(points_mm: np.ndarray, *, wall_mm: float, segments: int, palette: str | None = None,
           rng: np.random.Generator | None = None):
    """Turn an outer profile — ``(radius, height)`` control points in mm, heights rising — into a hollow pot.

    The building block of :func:`generate`, public for other engines that make their own profiles (the learned
    shape space). Raises ``ParameterError`` when the wall is too thick for a curve of the profile.
    """
    mesh = _revolve(_section(np.asarray(points_mm, dtype=np.float64), wall_mm, wall_mm, "profile"), segments)
    if palette is not None:
        colours = get_palette(palette).rgb()
        bands = _draw_bands(rng if rng is not None else np.random.default_rng(0), len(colours))
        mesh.visual.vertex_colors = _glaze(mesh, colours, bands, float(np.max(points_mm[:, 1])))
    return mesh


def _jitter(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Nudge the control radii by a smooth random factor within ``1 ± JITTER``."""
    noise = rng.uniform(-1.0, 1.0, len(points))
    padded = np.concatenate([noise[:1], noise, noise[-1:]])
    smooth = 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:]
    out = points.copy()
    out[:, 0] *= 1 + JITTER * smooth
    return out


def profile_curve(points: np.ndarray) -> np.ndarray:
    """A smooth curve through control points ``(radius, height)`` whose heights rise: radius as a cubic Hermite
    spline of height, as ``(k, 2)`` points from the first control point to the last.

    The outline every pot is turned from; the shape space reads its profiles with the same curve.
    """
    r, z = points[:, 0], points[:, 1]
    slope = np.empty_like(r)
    slope[1:-1] = (r[2:] - r[:-2]) / (z[2:] - z[:-2])
    slope[0] = (r[1] - r[0]) / (z[1] - z[0])
    slope[-1] = (r[-1] - r[-2]) / (z[-1] - z[-2])
    t = np.linspace(0.0, 1.0, _SAMPLES_PER_SPAN, endpoint=False)
    h00, h10, h01, h11 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t, -2 * t**3 + 3 * t**2, t**3 - t**2
    out = []
    for i in range(len(r) - 1):
        dz = z[i + 1] - z[i]
        out.append(np.column_stack([h00 * r[i] + h10 * dz * slope[i] + h01 * r[i + 1] + h11 * dz * slope[i + 1],
                                    z[i] + t * dz]))
    out.append(points[-1:])
    return np.concatenate(out)


def _section(points: np.ndarray, wall: float, floor: float, preset: str) -> np.ndarray:
    """The closed cross-section of a pot, from the axis at the base round to the axis at the floor.

    Base, outside wall up to the rim (its last wall thickness straight up), flat rim as wide as the wall, inside
    wall down to the floor at height ``floor``, floor to the axis. Raises ``ParameterError`` when the wall is too
    thick for the curve (the section would cross itself).
    """
    outer = _upright_rim(profile_curve(points), wall)
    top = outer[-1, 1]
    tangent = np.gradient(outer, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normal = np.column_stack([tangent[:, 1], -tangent[:, 0]])  # points away from the axis
    inner = _cut_loops(outer - wall * normal)
    # what is left of a loop that turns back without crossing itself: keep only the points that keep rising
    rising = inner[:, 1] > np.maximum.accumulate(np.concatenate([[-np.inf], inner[:-1, 1]]))
    inner = inner[rising]
    keep = (inner[:, 1] > floor) & (inner[:, 1] < top)
    idx = np.flatnonzero(keep)
    if len(idx) < 2 or not np.all(np.diff(idx) == 1) or floor >= top:
        raise ParameterError("wall_mm", wall, Msg("allowed.thinner_wall"),
                             reason=Msg("reason.too_thick_curves", preset=preset))
    lo, hi = idx[0], idx[-1]
    inner_pts = [_cross(inner, lo - 1, floor) if lo > 0 else np.array([inner[lo, 0], floor])]
    inner_pts += list(inner[lo : hi + 1])
    inner_pts.append(_cross(inner, hi, top) if hi < len(inner) - 1 else np.array([inner[hi, 0], top]))
    inner_pts = np.array(inner_pts)
    section = np.concatenate([[[0.0, 0.0]], outer, inner_pts[::-1], [[0.0, floor]]])
    if section[1:-1, 0].min() <= 0 or _self_intersects(section):
        raise ParameterError("wall_mm", wall, Msg("allowed.thinner_wall"),
                             reason=Msg("reason.too_thick_curves", preset=preset))
    return section


def _upright_rim(outer: np.ndarray, lip: float) -> np.ndarray:
    """The curve ``outer`` with its top ``lip`` millimetres going straight up, to a rim as wide as the wall.

    A flat rim cut across a wall that leans out (a flared lip, a tagine's dish, the skirt of its lid) meets the
    outside at a sharp angle: a knife edge, thinner than the wall, that a printer cannot make. Raising the last
    stretch of the wall straight makes the rim square.
    """
    top = outer[-1, 1]
    base = top - lip
    below = outer[outer[:, 1] < base]
    radius = float(np.interp(base, outer[:, 1], outer[:, 0]))
    heights = np.linspace(base, top, _SAMPLES_PER_SPAN // 2 + 1)
    return np.concatenate([below, np.column_stack([np.full_like(heights, radius), heights])])


def _cross(line: np.ndarray, i: int, z: float) -> np.ndarray:
    """The point at height ``z`` on the segment from ``line[i]`` to ``line[i + 1]``."""
    a, b = line[i], line[i + 1]
    f = (z - a[1]) / (b[1] - a[1])
    return np.array([a[0] + f * (b[0] - a[0]), z])


def _crossings(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of the edges ``a[k] -> b[k]`` that cross each other (touching ends do not count)."""
    def orient(p, q, r):
        return (q[:, None, 0] - p[:, None, 0]) * (r[None, :, 1] - p[:, None, 1]) - \
               (q[:, None, 1] - p[:, None, 1]) * (r[None, :, 0] - p[:, None, 0])

    # o1[i, j], o2[i, j]: on which side of edge i the two ends of edge j lie
    o1, o2 = orient(a, b, a), orient(a, b, b)
    crosses = (o1 * o2 < 0) & (o1.T * o2.T < 0)
    return np.nonzero(np.triu(crosses, 1))


def _self_intersects(poly: np.ndarray) -> bool:
    """Whether two non-adjacent edges of the closed polygon ``poly`` cross."""
    n = len(poly)
    i, j = _crossings(poly, np.roll(poly, -1, axis=0))
    near = (np.abs(i - j) <= 1) | (np.abs(i - j) >= n - 1)
    return bool(np.any(~near))


def _cut_loops(line: np.ndarray) -> np.ndarray:
    """The open polyline ``line`` with every loop it makes cut off where it crosses itself.

    An inside wall drawn at a fixed distance from the outside crosses itself wherever the outside bends tighter
    than the wall is thick (and below a straight rim): the part between the crossings lies inside the wall.
    """
    for _ in range(len(line)):
        i, j = _crossings(line[:-1], line[1:])
        far = j > i + 1
        if not far.any():
            break
        i, j = int(i[far][0]), int(j[far][0])
        p, r = line[i], line[i + 1] - line[i]
        q, s = line[j], line[j + 1] - line[j]
        t = ((q[0] - p[0]) * s[1] - (q[1] - p[1]) * s[0]) / (r[0] * s[1] - r[1] * s[0])
        line = np.concatenate([line[: i + 1], [p + t * r], line[j + 1 :]])
    return line


def _revolve(section: np.ndarray, segments: int):
    """Turn a closed section around the z axis into a watertight mesh with outward normals."""
    import trimesh

    mesh = trimesh.creation.revolve(section, sections=segments)
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def _body(profile: np.ndarray, wall: float, floor: float, segments: int, preset: str):
    return _revolve(_section(profile, wall, floor, preset), segments)


def _draw_bands(rng: np.random.Generator, n_colours: int) -> tuple[np.ndarray, np.ndarray]:
    """Random glaze bands: their upper edges as fractions of the height, and a palette colour for each."""
    count = int(rng.integers(3, 7))
    edges = np.sort(rng.uniform(0.12, 0.95, count - 1))
    picks = [int(rng.integers(n_colours))]
    for _ in range(count - 1):  # two neighbouring bands never share a colour
        picks.append(int((picks[-1] + rng.integers(1, n_colours)) % n_colours))
    return edges, np.array(picks)


def _glaze(mesh, colours: np.ndarray, bands: tuple[np.ndarray, np.ndarray], top: float) -> np.ndarray:
    """RGBA vertex colours: bands of glaze up the outside, the palette's lightest colour inside."""
    edges, picks = bands
    z = mesh.vertices[:, 2]
    low = z.min()
    t = (z - low) / max(top - low, 1e-9)
    band = np.searchsorted(edges, t)
    rgb = colours[picks[band]]
    # a soft line of the darkest colour at each band edge, like a brushed glaze border
    dist = np.min(np.abs(t[:, None] - edges[None, :]), axis=1) if len(edges) else np.full(len(t), 1.0)
    line = np.exp(-((dist / 0.012) ** 2))[:, None]
    rgb = rgb * (1 - 0.8 * line) + colours[0] * 0.8 * line
    # the inside (nearer the axis than the outside at that height) takes the lightest colour
    radius = np.hypot(mesh.vertices[:, 0], mesh.vertices[:, 1])
    normals = mesh.vertex_normals
    inward = (normals[:, 0] * mesh.vertices[:, 0] + normals[:, 1] * mesh.vertices[:, 1]) < -1e-9 * (radius + 1)
    rgb[inward] = colours[-1]
    rgba = np.concatenate([rgb, np.ones((len(rgb), 1))], axis=1)
    return (rgba * 255 + 0.5).clip(0, 255).astype(np.uint8)
