"""Zellige tiles: the pieces of a zellige motif, each a separate glazed body, laid out as they fit together.

In a Fès workshop a zellige panel is assembled from hundreds of small pieces (*furmah*) cut from glazed tiles. This
engine does the same with one unit tile of a zellige family of :mod:`workshop_kit.motif_geometry`:

1. the motif is drawn, and its pixels sorted by palette colour; the grout (the lightest colour) separates the pieces;
2. each region between grout lines is one piece, with the colour it has in the motif;
3. the grout is shared out between the pieces it separates, so that the pieces tile the square exactly, and each
   piece is then shrunk by half of ``gap_mm`` — its outline traced along a distance field (marching squares), so
   that edges are straight and sub-pixel accurate;
4. each outline is simplified, triangulated (ear clipping, with holes joined to the outline by a bridge) and
   extruded to ``thickness_mm``.

Every piece is a closed, consistently wound solid of its own; the mesh holds them all, each with its palette colour
as face colours, so a GLB file shows a coloured puzzle. Pieces thinner than :data:`MIN_PIECE_MM` (slivers cut by the
tile's edge) are left out. The pieces lie inside the square ``[-tile_mm/2, tile_mm/2]²`` and ``gap_mm`` apart.

Examples
--------
>>> from workshop_kit.mesh import tiles
>>> result = tiles.generate(tile_mm=60, resolution=256, seed=0)
>>> bool(result.mesh.is_watertight), result.params["pieces"] > 10
(True, True)
"""

from __future__ import annotations

import time

import numpy as np

from ..device import no_torch_device
from ..palettes import get_palette
from ..registry import ENGINES
from ..validation import resolve_seed
from . import reclaim
from .result import MeshResult

__all__ = ["MOTIFS", "MIN_PIECE_MM", "generate"]

#: Motif families cut into pieces: the zellige families whose unit tile is square.
MOTIFS = ("zellige8", "zellige10", "zellige16")
#: Narrowest part of a piece, in millimetres: star points are rounded to this width, thinner slivers left out.
ENGINE = ENGINES["tiles"]
MIN_PIECE_MM = 1.6
_SIMPLIFY_PX = 0.3  # tolerance of the outline simplification, in pixels


def generate(
    *,
    motif: str = "zellige8",
    palette: str = "fes",
    tile_mm: float = 100.0,
    thickness_mm: float = 6.0,
    gap_mm: float = 0.6,
    resolution: int = 512,
    seed: int | None = None,
    device: str | None = "auto",
) -> MeshResult:
    """Cut one unit tile of a zellige motif into separate coloured pieces, as watertight bodies in millimetres.

    Parameters
    ----------
    motif : str
        ``"zellige8"``, ``"zellige10"`` or ``"zellige16"`` (see :data:`MOTIFS`).
    palette : str
        One of :data:`workshop_kit.palettes.PALETTES`; its lightest colour is the grout, the others glaze the pieces.
    tile_mm : float
        Side of the square tile, from 30 to 300 mm.
    thickness_mm : float
        Thickness of the pieces, from 1.5 to 30 mm.
    gap_mm : float
        Joint between neighbouring pieces (and half of it along the tile's edges, so that tiles laid side by side
        keep the same joint), from 0.2 to 3 mm.
    resolution : int
        Pixels of the motif drawing along the tile's side, from 256 to 1024: more pixels, truer outlines.
    seed : int or None
        Chooses the motif's variations and colours; the same seed gives the same pieces. ``None`` draws a fresh seed,
        returned in ``result.seed``. 0 is valid.
    device : str or None
        Checked like the other engines' (a missing GPU is an error); the work is done by numpy on the CPU.

    Returns
    -------
    MeshResult
        ``result.mesh`` holds one closed body per piece, lying on ``z = 0`` and centred on the origin, coloured per
        face. ``result.params["pieces"]`` is their number, ``result.params["colours"]`` the colours used.

    Raises
    ------
    ParameterError
        For an unknown motif or palette, a size out of range, a gap too wide for the tile, or a bad seed.
    DeviceError
        When ``device`` names a device this machine does not have.

    Examples
    --------
    >>> result = generate(motif="zellige16", palette="marrakech", tile_mm=80, resolution=256, seed=4)
    >>> round(float(result.mesh.extents[2]), 3)
    6.0
    """
    args = ENGINE.check(locals())
    from ..motif_geometry import tile

    motif, palette, tile_mm = args["motif"], args["palette"], args["tile_mm"]
    thickness_mm, gap_mm, resolution = args["thickness_mm"], args["gap_mm"], args["resolution"]
    seed = resolve_seed(seed)
    device = no_torch_device(device)

    import trimesh
    from scipy import ndimage

    start = time.perf_counter()
    picture = tile(motif, palette=palette, size=resolution, seed=seed)[::-1]  # row 0 at the bottom (y up)
    colours = get_palette(palette).rgb()
    nearest = np.argmin(((picture[:, :, None, :].astype(np.float32) - colours[None, None] * 255.0) ** 2).sum(-1), -1)
    grout = nearest == int(np.argmax(colours @ np.array([0.299, 0.587, 0.114], np.float32)))
    labels, count = ndimage.label(~grout)
    # share the grout out: each grout pixel joins the piece nearest to it, so the pieces fill the square
    _, (iy, ix) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
    regions = labels[iy, ix]
    colour_of = np.zeros(count + 1, np.int64)
    for piece, sl in enumerate(ndimage.find_objects(labels), start=1):
        own = labels[sl] == piece
        colour_of[piece] = np.bincount(nearest[sl][own], minlength=len(colours)).argmax()

    px = tile_mm / resolution
    level = gap_mm / 2 / px + 0.5  # the distance of a pixel's centre to the piece's edge is 0.5 px less
    round_px = MIN_PIECE_MM / 2 / px
    bodies, used = [], []
    for piece, sl in enumerate(ndimage.find_objects(regions), start=1):
        if sl is None:
            continue
        loops = _outline(regions, piece, sl, level, round_px)
        if not loops:
            continue
        polygon = _join_holes(loops)
        body = _extrude(polygon * px - tile_mm / 2, thickness_mm)
        rgba = np.append(np.round(colours[colour_of[piece]] * 255), 255).astype(np.uint8)
        body.visual.face_colors = np.tile(rgba, (len(body.faces), 1))
        bodies.append(body)
        used.append(int(colour_of[piece]))
    mesh = trimesh.util.concatenate(bodies)
    seconds = time.perf_counter() - start

    params = {"motif": motif, "palette": palette, "tile_mm": tile_mm, "thickness_mm": thickness_mm,
              "gap_mm": gap_mm, "resolution": resolution, "pieces": len(bodies),
              "colours": [get_palette(palette).colors[i] for i in sorted(set(used))]}
    reclaim.made(mesh)
    return MeshResult(engine="tiles", seed=seed, params=params, device=device, seconds=seconds, mesh=mesh)


# ---------------------------------------------------------------------------------------------------------------------
# Outlines: signed distance and marching squares
# ---------------------------------------------------------------------------------------------------------------------


def _outline(regions: np.ndarray, piece: int, sl: tuple[slice, slice], level: float,
             round_px: float) -> list[np.ndarray]:
    """Closed outlines, in pixel units of the whole picture, of ``piece`` shrunk by ``level`` pixels.

    Convex corners are rounded with a radius of ``round_px``; a piece with no room for a disc of that radius gives an
    empty list. Outer outlines run counter-clockwise, holes clockwise.
    """
    from scipy import ndimage

    pad = 3
    y0, x0 = sl[0].start, sl[1].start
    mask = np.pad(regions[sl] == piece, pad)  # outside the picture counts as another piece: the tile's edge
    inside = ndimage.distance_transform_edt(mask)
    # a morphological opening by a disc of radius ``round_px``: the centres of the discs that fit in the shrunk piece
    # (the core), grown back by the radius; sharp star points get a rounded tip no thinner than the disc
    core = inside >= level + round_px
    if not core.any():
        return []
    field = round_px - ndimage.distance_transform_edt(~core) + 0.5
    loops = _march(field)
    out = []
    for loop in loops:
        loop = _simplify(loop, _SIMPLIFY_PX)
        if len(loop) >= 3 and abs(_area(loop)) > 1.0:
            # sample (i, j) is the centre of pixel (i, j): at (j + 0.5, i + 0.5) in picture units
            out.append(loop + np.array([x0 - pad + 0.5, y0 - pad + 0.5]))
    return out


def _march(field: np.ndarray) -> list[np.ndarray]:
    """Marching squares: closed loops ``(n, 2)`` of ``(x, y)`` where ``field`` (rows along y) crosses 0.

    The positive side is on the left of each loop: outer outlines counter-clockwise, holes clockwise. ``field`` must
    be negative all along its border.
    """
    h, w = field.shape
    inside = field > 0
    f = field
    # corners of each cell: v0 (x, y), v1 (x+1, y), v2 (x+1, y+1), v3 (x, y+1)
    v = [inside[:-1, :-1], inside[:-1, 1:], inside[1:, 1:], inside[1:, :-1]]
    case = v[0] * 1 + v[1] * 2 + v[2] * 4 + v[3] * 8
    cy, cx = np.nonzero((case > 0) & (case < 15))
    case = case[cy, cx]
    centre = (f[cy, cx] + f[cy, cx + 1] + f[cy + 1, cx + 1] + f[cy + 1, cx]) > 0

    def edge_id(e, x, y):  # e0 bottom, e1 right, e2 top, e3 left of cell (x, y)
        horizontal = np.where(e == 0, y * w + x, (y + 1) * w + x)
        vertical = h * w + np.where(e == 1, y * w + x + 1, y * w + x)
        return np.where((e == 0) | (e == 2), horizontal, vertical)

    starts, ends, cells = [], [], []

    def add(sel, a, b):
        starts.append(np.full(int(sel.sum()), a))
        ends.append(np.full(int(sel.sum()), b))
        cells.append(np.nonzero(sel)[0])

    for k in range(4):
        bit = 1 << k
        add(case == bit, k, (k - 1) % 4)  # one corner inside
        add(case == 15 - bit, (k - 1) % 4, k)  # one corner outside
        pair = bit | (1 << ((k + 1) % 4))
        add(case == pair, (k + 1) % 4, (k - 1) % 4)  # two neighbouring corners inside
    for a, b in ((5, 10), (10, 5)):  # saddles: the cell's centre decides
        inside_corners = (0, 2) if a == 5 else (1, 3)
        s = case == a
        for k in inside_corners:
            add(s & ~centre, k, (k - 1) % 4)
        for k in {0, 1, 2, 3} - set(inside_corners):
            add(s & centre, (k - 1) % 4, k)
    starts, ends, cells = np.concatenate(starts), np.concatenate(ends), np.concatenate(cells)
    x, y = cx[cells], cy[cells]
    start_id, end_id = edge_id(starts, x, y), edge_id(ends, x, y)

    def point(e, x, y):
        # the crossing on edge e of cell (x, y), between its two corners
        ax = np.where((e == 1) | (e == 2), x + 1, x).astype(float)
        ay = np.where((e == 2) | (e == 3), y + 1, y).astype(float)
        bx = np.where((e == 0) | (e == 1), x + 1, x).astype(float)
        by = np.where((e == 1) | (e == 2), y + 1, y).astype(float)
        fa = f[ay.astype(int), ax.astype(int)]
        fb = f[by.astype(int), bx.astype(int)]
        t = fa / (fa - fb)
        return np.column_stack([ax + t * (bx - ax), ay + t * (by - ay)])

    position = dict(zip(start_id.tolist(), point(starts, x, y)))
    following = dict(zip(start_id.tolist(), end_id.tolist()))
    loops = []
    while following:
        first, nxt = following.popitem()
        loop = [first]
        while nxt != first:
            loop.append(nxt)
            nxt = following.pop(nxt)
        loops.append(np.array([position[e] for e in loop]))
    return loops


def _area(loop: np.ndarray) -> float:
    x, y = loop[:, 0], loop[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _simplify(loop: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas–Peucker on a closed loop: drop the points closer than ``tolerance`` to the simplified outline."""
    n = len(loop)
    if n < 4:
        return loop
    far = int(np.argmax(((loop - loop[0]) ** 2).sum(1)))
    keep = np.zeros(n, bool)
    keep[0] = keep[far] = True
    stack = [(0, far), (far, n)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        p, q = loop[a], loop[b % n]
        seg = loop[a + 1 : b]
        d = q - p
        length = float(np.hypot(*d))
        if length < 1e-12:
            dist = np.hypot(*(seg - p).T)
        else:
            dist = np.abs(d[0] * (seg[:, 1] - p[1]) - d[1] * (seg[:, 0] - p[0])) / length
        i = int(np.argmax(dist))
        if dist[i] > tolerance:
            m = a + 1 + i
            keep[m] = True
            stack += [(a, m), (m, b)]
    return loop[keep]


# ---------------------------------------------------------------------------------------------------------------------
# Triangulation and extrusion
# ---------------------------------------------------------------------------------------------------------------------


def _segments_cross(p, q, a, b) -> np.ndarray:
    """Whether segment pq properly crosses each segment of ``a[i]–b[i]``."""

    def orient(u, v, w):
        return (v[..., 0] - u[..., 0]) * (w[..., 1] - u[..., 1]) - (v[..., 1] - u[..., 1]) * (w[..., 0] - u[..., 0])

    d1, d2 = orient(p, q, a), orient(p, q, b)
    d3, d4 = orient(a, b, p), orient(a, b, q)
    return (d1 * d2 < 0) & (d3 * d4 < 0)


def _join_holes(loops: list[np.ndarray]) -> np.ndarray:
    """One simple polygon (counter-clockwise) from an outer outline and its holes, each hole joined by a bridge."""
    areas = [_area(loop) for loop in loops]
    outer = loops[int(np.argmax(areas))]
    holes = [loop for loop, a in zip(loops, areas) if a < 0]
    holes.sort(key=lambda loop: -loop[:, 0].max())
    polygon = outer
    for hole in holes:
        m = int(np.argmax(hole[:, 0]))
        point = hole[m]
        edges_a = np.concatenate([polygon] + [h for h in holes])
        edges_b = np.concatenate([np.roll(polygon, -1, 0)] + [np.roll(h, -1, 0) for h in holes])
        order = np.argsort(((polygon - point) ** 2).sum(1))
        target = int(order[0])
        for candidate in order[:64]:
            if not _segments_cross(point, polygon[candidate], edges_a, edges_b).any():
                target = int(candidate)
                break
        hole_loop = np.roll(hole, -m, 0)
        polygon = np.concatenate([polygon[: target + 1], hole_loop, hole_loop[:1], polygon[target:]])
    return polygon


def _ear_clip(points: np.ndarray) -> np.ndarray:
    """Triangles (indices into ``points``) of a simple counter-clockwise polygon, by ear clipping."""
    index = list(range(len(points)))
    triangles = []
    guard = 0
    k = 0
    while len(index) > 3 and guard < 4 * len(points) ** 2:
        guard += 1
        m = len(index)
        k %= m
        ia, ib, ic = index[(k - 1) % m], index[k], index[(k + 1) % m]
        a, b, c = points[ia], points[ib], points[ic]
        cross = (b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])
        ear = cross > 1e-12
        if ear:
            others = points[[i for i in index if i not in (ia, ib, ic)]]
            if len(others):
                coincide = (np.all(np.isclose(others, a), 1) | np.all(np.isclose(others, b), 1)
                            | np.all(np.isclose(others, c), 1))
                d1 = (b[0] - a[0]) * (others[:, 1] - a[1]) - (b[1] - a[1]) * (others[:, 0] - a[0])
                d2 = (c[0] - b[0]) * (others[:, 1] - b[1]) - (c[1] - b[1]) * (others[:, 0] - b[0])
                d3 = (a[0] - c[0]) * (others[:, 1] - c[1]) - (a[1] - c[1]) * (others[:, 0] - c[0])
                ear = not np.any((d1 >= 0) & (d2 >= 0) & (d3 >= 0) & ~coincide)
        if ear:
            triangles.append((ia, ib, ic))
            del index[k]
            continue
        k += 1
        if k >= m and guard > m * m:  # no ear left (a degenerate outline): clip the most convex corner
            m = len(index)
            p = points[index]
            e1, e2 = p - np.roll(p, 1, 0), np.roll(p, -1, 0) - p
            j = int(np.argmax(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]))
            triangles.append((index[(j - 1) % m], index[j], index[(j + 1) % m]))
            del index[j]
            k = 0
    if len(index) == 3:
        triangles.append(tuple(index))
    return np.array(triangles, dtype=np.int64)


def _extrude(polygon: np.ndarray, height: float):
    """A closed prism from a counter-clockwise polygon, which may run twice along a hole's bridge (both ways)."""
    import trimesh

    top = _ear_clip(polygon)
    # weld the points a bridge visits twice; the bridge's edges then run both ways and get no side wall
    points, weld = np.unique(np.round(polygon, 9), axis=0, return_inverse=True)
    weld = weld.reshape(-1)
    n = len(points)
    a, b = weld, np.roll(weld, -1)
    pairs = set(zip(a.tolist(), b.tolist()))
    wall = np.array([(v, u) not in pairs for u, v in zip(a.tolist(), b.tolist())], bool)
    a, b = a[wall], b[wall]
    top = weld[top]
    faces = np.concatenate([top + n, top[:, ::-1], np.column_stack([a, b, b + n]), np.column_stack([a, b + n, a + n])])
    vertices = np.concatenate([np.column_stack([points, np.zeros(n)]), np.column_stack([points, np.full(n, height)])])
    return trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
