"""Pierced lanterns: a motif cut through a round, hexagonal or octagonal shell, as in the brass lanterns of Marrakech.

How the shell is made
---------------------
The shell is unrolled into a grid of small cells, around (angle) and up (height), about a millimetre each. A motif —
a family of :mod:`workshop_kit.motif_geometry` or any picture — decides which cells are cut open: the distance of each
point of the motif to its nearest *line* (the grout of a zellige, the wood of a moucharabieh, the borders of a rug's
fields) is measured, and the cells farthest from the lines open, as many as ``openness`` asks. What stays is a
lattice of bars along the motif's lines, never thinner than :data:`MIN_BAR_MM`. Solid rings at the top and bottom,
and posts on the corners of a polygon, hold it together.

Each solid cell becomes a small brick of the wall: an outer face, an inner face, and side faces where it borders an
open cell. Neighbouring bricks share their corners, so the shell is one closed, consistently wound surface by
construction — no boolean operation is needed. Before building, the mask is cleaned so that the result prints:

* openings of a few cells are closed (they would only be noise);
* two solid cells touching only by a corner are joined (a corner contact is not a solid link);
* solid pieces not linked to the rings — the centre of a star cut free by its outline — are removed, so that nothing
  falls out of the print. The lantern is a single body.

Examples
--------
>>> from workshop_kit.mesh import lantern
>>> result = lantern.generate(shape="hexagon", height_mm=80, diameter_mm=60, seed=2)
>>> bool(result.mesh.is_watertight), result.mesh.body_count
(True, 1)
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from ..device import no_torch_device
from ..errors import ParameterError
from ..i18n import Msg
from ..palettes import PALETTES, get_palette
from ..registry import ENGINES
from ..validation import check_choice, resolve_seed
from . import reclaim
from .result import MeshResult

__all__ = ["SHAPES", "MIN_BAR_MM", "MIN_HEIGHT_MM", "MAX_HEIGHT_MM", "MIN_DIAMETER_MM", "MAX_DIAMETER_MM",
           "MIN_WALL_MM", "MAX_WALL_MM", "MIN_OPENNESS", "MAX_OPENNESS", "generate"]

#: Shapes of the shell and their number of sides (0: round).
SHAPES = {"cylinder": 0, "hexagon": 6, "octagon": 8}
#: Narrowest bar left between two openings, in millimetres.
MIN_BAR_MM = 2.0
ENGINE = ENGINES["lantern"]
MIN_HEIGHT_MM, MAX_HEIGHT_MM = ENGINE.option("height_mm").low, ENGINE.option("height_mm").high
MIN_DIAMETER_MM, MAX_DIAMETER_MM = ENGINE.option("diameter_mm").low, ENGINE.option("diameter_mm").high
MIN_WALL_MM, MAX_WALL_MM = ENGINE.option("wall_mm").low, ENGINE.option("wall_mm").high
MIN_OPENNESS, MAX_OPENNESS = ENGINE.option("openness").low, ENGINE.option("openness").high
MAX_REPEATS = int(ENGINE.option("repeats").high)

_CELL_MM = 0.9  # target size of a cell of the grid
_MAX_COLUMNS = 900
_MAX_ROWS = 600
_TILE_MM = 80.0  # target width of one copy of a motif around the shell
_PERIOD_PX = 384  # pixels of the motif's period used to measure distances
_MIN_HOLE_MM2 = 10.0  # openings smaller than this are closed


def generate(
    *,
    motif: str = "zellige8",
    shape: str = "cylinder",
    height_mm: float = 180.0,
    diameter_mm: float = 120.0,
    wall_mm: float = 2.0,
    openness: float = 0.4,
    repeats: int | None = None,
    image=None,
    seed: int | None = None,
    device: str | None = "auto",
    palette: str | None = None,
) -> MeshResult:
    """Pierce a motif through a lantern's shell, as a watertight mesh in millimetres.

    Parameters
    ----------
    motif : str
        A family of :data:`workshop_kit.motif_geometry.FAMILIES` (``"zellige8"``, ``"zellige16"``,
        ``"moucharabieh"``, ``"yaz"`` …); ignored when ``image`` is given.
    shape : str
        ``"cylinder"``, ``"hexagon"`` or ``"octagon"``.
    height_mm : float
        Height, from 40 to 400 mm.
    diameter_mm : float
        Width across, from 30 to 300 mm: the diameter of a round shell, corner to corner for a polygon.
    wall_mm : float
        Thickness of the shell, from 1.2 to 8 mm, and at most a sixth of the diameter.
    openness : float
        Share of the pierced band that is cut open, from 0.05 to 0.7. The bars never get thinner than
        :data:`MIN_BAR_MM`, which can keep a fine motif below the share asked; ``result.params["open_fraction"]``
        holds the share obtained.
    repeats : int or None
        Copies of the motif around the lantern, from 1 to 24; on a polygon each copy covers whole sides (2 or 3 on a
        hexagon, 2 or 4 on an octagon) or each side holds whole copies (6, 12, 18, 24 on a hexagon). ``None`` picks
        copies about 80 mm wide.
    image : str, path-like, bytes, PIL.Image.Image, numpy.ndarray or None
        A picture to pierce instead of a motif (PNG, JPEG or WebP, bounded as in
        :func:`workshop_kit.imageio_safe.load_image`): its light parts open, its dark parts stay. It fills the height
        of the pierced band and is repeated around.
    seed : int or None
        Chooses the motif's variations; the same seed gives the same mesh. ``None`` draws a fresh seed, returned in
        ``result.seed``. 0 is valid.
    device : str or None
        Checked like the other engines' (a missing GPU is an error); the work is done by numpy on the CPU.
    palette : str or None
        Paint the lantern with two colours of one of :data:`workshop_kit.palettes.PALETTES` (outside and inside,
        kept by GLB, PLY and OBJ files); ``None`` leaves it bare.

    Returns
    -------
    MeshResult
        ``result.mesh`` is one watertight body standing on ``z = 0`` and centred on the ``z`` axis;
        ``result.params`` holds the resolved options, the grid's size and the share cut open.

    Raises
    ------
    ParameterError
        For an unknown motif, shape or palette, a size out of range, a wall too thick for the diameter, a picture that
        cannot be read or is too big, or a bad seed.
    DeviceError
        When ``device`` names a device this machine does not have.

    Examples
    --------
    >>> result = generate(shape="octagon", height_mm=60, diameter_mm=50, openness=0.3, seed=0)
    >>> [round(float(e), 3) for e in result.mesh.extents]
    [50.0, 50.0, 60.0]
    """
    args = ENGINE.check(locals())
    from ..imageio_safe import load_image
    from ..motif_geometry import line_distance, motif_period

    motif, shape = args["motif"], args["shape"]
    sides = SHAPES[shape]
    height_mm, diameter_mm, wall_mm = args["height_mm"], args["diameter_mm"], args["wall_mm"]
    if wall_mm > diameter_mm / 6:
        raise ParameterError("wall_mm", wall_mm, Msg("allowed.float_range_2f", low=MIN_WALL_MM, high=diameter_mm / 6),
                             reason=Msg("reason.too_thick_diameter", d=diameter_mm))
    openness, repeats = args["openness"], args["repeats"]
    if repeats is not None:
        if sides and repeats % sides and sides % repeats:
            raise ParameterError("repeats", repeats, [str(r) for r in _polygon_repeats(sides)],
                                 reason=Msg("reason.whole_sides", shape=shape, sides=sides))
    if palette is not None:
        palette = check_choice("palette", palette, PALETTES)
    seed = resolve_seed(seed)
    device = no_torch_device(device)
    picture = load_image(image) if image is not None else None

    import trimesh

    start = time.perf_counter()
    radius = diameter_mm / 2
    perimeter = 2 * math.pi * radius if not sides else sides * 2 * radius * math.sin(math.pi / sides)
    rim = max(3 * MIN_BAR_MM, 0.05 * height_mm)
    band = height_mm - 2 * rim
    if picture is None:
        # a moucharabieh of turned beads is mostly wood: pierce its lattice of stars instead
        variant = "star" if motif == "moucharabieh" else None
        period = motif_period(motif, palette="fes", size=_PERIOD_PX, seed=seed, variant=variant)
        aspect = period.shape[0] / period.shape[1]
        if repeats is None:
            repeats = _auto_repeats(perimeter / _TILE_MM, sides)
    else:
        period = picture
        aspect = period.shape[0] / period.shape[1]
        if repeats is None:  # the picture fills the band's height
            repeats = _auto_repeats(perimeter / (band / aspect), sides)
    tile_w = perimeter / repeats
    tile_h = band if picture is not None else tile_w * aspect
    distance = line_distance(period, motif=motif if picture is None else None)
    mm_per_px = tile_w / period.shape[1]

    cell = max(_CELL_MM, perimeter / _MAX_COLUMNS, height_mm / _MAX_ROWS)
    step = sides // math.gcd(repeats, sides) if sides else 1  # every corner of a polygon on a column
    per_tile = max(4, int(round(tile_w / cell / step))) * step
    columns = repeats * per_tile
    rows = max(8, int(round(height_mm / cell)))
    dz = height_mm / rows
    zc = (np.arange(rows) + 0.5) * dz
    # motif coordinates of the cells' centres, the band's middle at the middle of a period
    u = ((np.arange(columns) + 0.5) / per_tile) % 1.0
    v = ((height_mm / 2 - zc) / tile_h + 0.5) % 1.0
    field = _sample(distance, v, u) * mm_per_px  # (rows, columns), mm from the nearest line

    in_band = (zc > rim) & (zc < height_mm - rim)
    solid = np.ones((rows, columns), bool)
    threshold = max(float(np.quantile(field[in_band], 1.0 - openness)), MIN_BAR_MM / 2)
    solid[in_band] = field[in_band] <= threshold
    if sides:  # posts on the corners
        s = (np.arange(columns) + 0.5) * perimeter / columns % (perimeter / sides)
        post = np.minimum(s, perimeter / sides - s) < MIN_BAR_MM
        solid[:, post] = True
    min_hole = max(1, int(_MIN_HOLE_MM2 / (dz * perimeter / columns)))
    cleaned = _clean(solid, min_hole=min_hole)
    if not cleaned[-1].all():  # the band is cut all round (a picture can do that): add posts between the copies
        edge = np.arange(columns) % per_tile
        solid[:, (edge < MIN_BAR_MM / cell) | (per_tile - 1 - edge < MIN_BAR_MM / cell)] = True
        cleaned = _clean(solid, min_hole=min_hole)
    solid = cleaned
    open_fraction = float(1.0 - solid[in_band].mean())

    vertices, faces, outer = _shell(solid, radius, wall_mm, sides, dz)
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    mesh.remove_unreferenced_vertices()
    if palette is not None:
        colours = get_palette(palette).rgb()
        rng = np.random.default_rng(seed)
        outside = colours[int(rng.integers(0, max(1, len(colours) - 2)))]
        rgba = np.empty((len(faces), 4), np.uint8)
        rgba[:, :3] = np.round(np.where(outer[:, None], outside, colours[-1]) * 255)
        rgba[:, 3] = 255
        mesh.visual.face_colors = rgba
    seconds = time.perf_counter() - start

    params = {"motif": motif if picture is None else None, "image": _describe(image), "shape": shape,
              "height_mm": height_mm, "diameter_mm": diameter_mm, "wall_mm": wall_mm, "openness": openness,
              "repeats": repeats, "palette": palette, "grid": [columns, rows], "rim_mm": round(rim, 3),
              "open_fraction": round(open_fraction, 4)}
    reclaim.made(mesh)
    return MeshResult(engine="lantern", seed=seed, params=params, device=device, seconds=seconds, mesh=mesh)


def _polygon_repeats(sides: int) -> list[int]:
    """Copies of a motif around a polygon: a divisor of the number of sides (from 2), or a multiple of it."""
    return [d for d in range(2, sides) if sides % d == 0] + list(range(sides, MAX_REPEATS + 1, sides))


def _auto_repeats(wanted: float, sides: int) -> int:
    """The allowed number of copies nearest (in ratio) to ``wanted``, at least 2."""
    choices = _polygon_repeats(sides) if sides else list(range(2, MAX_REPEATS + 1))
    return min(choices, key=lambda r: abs(math.log(r / max(wanted, 1e-9))))


def _describe(image) -> str | None:
    if image is None:
        return None
    if isinstance(image, (str, os.PathLike)):
        return os.path.basename(os.fspath(image))
    if isinstance(image, np.ndarray):
        return f"array {tuple(image.shape)}"
    return type(image).__name__


def _sample(values: np.ndarray, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Bilinear samples of a seamless ``values[y, x]`` at rows ``v`` and columns ``u`` (fractions of the period)."""
    h, w = values.shape
    y = v[:, None] * h - 0.5
    x = u[None, :] * w - 0.5
    y0, x0 = np.floor(y), np.floor(x)
    fy, fx = y - y0, x - x0
    y0, x0 = y0.astype(np.int64) % h, x0.astype(np.int64) % w
    y1, x1 = (y0 + 1) % h, (x0 + 1) % w
    top = values[y0, x0] * (1 - fx) + values[y0, x1] * fx
    bottom = values[y1, x0] * (1 - fx) + values[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def _label_wrapped(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected parts (4-neighbours) of ``mask``, its first and last columns being neighbours."""
    from scipy import ndimage, sparse
    from scipy.sparse.csgraph import connected_components

    labels, count = ndimage.label(mask)
    if count == 0:
        return labels, 0
    a, b = labels[:, 0], labels[:, -1]
    both = (a > 0) & (b > 0)
    graph = sparse.coo_matrix((np.ones(int(both.sum())), (a[both], b[both])), shape=(count + 1, count + 1))
    _, merged = connected_components(graph, directed=False)
    # label 0 (background) is its own part; renumber so that it stays 0
    order = np.unique(merged[1:])
    remap = np.zeros(count + 1, np.int64)
    remap[1:] = np.searchsorted(order, merged[1:]) + 1
    return remap[labels], len(order)


def _clean(solid: np.ndarray, *, min_hole: int) -> np.ndarray:
    """Close tiny openings, widen bars one cell wide, join corner contacts, drop parts not linked to the bottom."""
    from scipy import ndimage

    solid = solid.copy()
    holes, count = _label_wrapped(~solid)
    if count:
        sizes = np.bincount(holes.ravel(), minlength=count + 1)
        small = sizes < min_hole
        small[0] = False
        solid[small[holes]] = True
    # a bar one cell wide (where the sampled motif narrows) is widened: every solid cell then lies in a 2 × 2 block
    padded = np.pad(solid, ((1, 1), (2, 2)), mode="wrap")
    padded[0] = padded[-1] = True
    thin = padded & ~ndimage.binary_opening(padded, structure=np.ones((2, 2), bool))
    grown = padded | ndimage.binary_dilation(thin)
    solid = grown[1:-1, 2:-2]
    for _ in range(64):  # each pass removes the corner contacts it finds; a few passes suffice
        a = solid
        b = np.roll(solid, -1, axis=1)  # right neighbour, wrapping around
        c = solid[1:]
        d = b[1:]
        a, b = a[:-1], b[:-1]
        diagonal = (a & d & ~b & ~c) | (b & c & ~a & ~d)
        if not diagonal.any():
            break
        i, j = np.nonzero(diagonal)
        solid[i, j] = True  # fill the block's top-left corner (open in one pattern, solid in the other)
        solid[i + 1, j] = True
    parts, count = _label_wrapped(solid)
    keep = np.unique(parts[0][parts[0] > 0])
    solid = np.isin(parts, keep) & solid
    return solid


def _rings(radius: float, wall: float, sides: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of the grid's columns on the outside and on the inside of the shell."""
    if not sides:
        angle = 2 * math.pi * np.arange(columns) / columns
        ring = np.column_stack([np.cos(angle), np.sin(angle)])
        return ring * radius, ring * (radius - wall)
    per_side = columns // sides
    k = np.arange(columns) // per_side
    f = (np.arange(columns) % per_side / per_side)[:, None]
    corners = np.column_stack([np.cos(2 * math.pi * np.arange(sides + 1) / sides),
                               np.sin(2 * math.pi * np.arange(sides + 1) / sides)])
    outer = (corners[k] * (1 - f) + corners[k + 1] * f) * radius
    # the inside of each side is the outside moved in square to it, so the walls of the openings are square too;
    # at the corners it meets the next side's on the bisector
    normal = np.column_stack([np.cos(2 * math.pi * (k + 0.5) / sides), np.sin(2 * math.pi * (k + 0.5) / sides)])
    inner = outer - wall * normal
    corner = f[:, 0] == 0
    inner[corner] = corners[k[corner]] * (radius - wall / math.cos(math.pi / sides))
    return outer, inner


def _shell(solid: np.ndarray, radius: float, wall: float, sides: int, dz: float):
    """Vertices, faces and an "is outside" flag per face of the thick shell of the ``solid[row, column]`` cells."""
    rows, columns = solid.shape
    outer_xy, inner_xy = _rings(radius, wall, sides, columns)
    z = np.arange(rows + 1) * dz
    n = (rows + 1) * columns
    vertices = np.empty((2 * n, 3))
    vertices[:n, :2] = np.tile(outer_xy, (rows + 1, 1))
    vertices[n:, :2] = np.tile(inner_xy, (rows + 1, 1))
    vertices[:n, 2] = np.repeat(z, columns)
    vertices[n:, 2] = vertices[:n, 2]

    def O(i, j):  # noqa: E743 - outer and inner vertex of grid corner (row i, column j)
        return i * columns + j % columns

    def I(i, j):  # noqa: E743
        return n + i * columns + j % columns

    out = []
    i, j = np.nonzero(solid)
    j1 = j + 1
    out.append(np.column_stack([O(i, j), O(i, j1), O(i + 1, j1)]))
    out.append(np.column_stack([O(i, j), O(i + 1, j1), O(i + 1, j)]))
    n_outer = 2 * len(i)
    out.append(np.column_stack([I(i, j), I(i + 1, j1), I(i, j1)]))
    out.append(np.column_stack([I(i, j), I(i + 1, j), I(i + 1, j1)]))
    # side walls where a solid cell borders an open one, facing the open one
    right = solid & ~np.roll(solid, -1, axis=1)
    i, j = np.nonzero(right)
    out.append(np.column_stack([O(i, j + 1), I(i, j + 1), I(i + 1, j + 1)]))
    out.append(np.column_stack([O(i, j + 1), I(i + 1, j + 1), O(i + 1, j + 1)]))
    left = solid & ~np.roll(solid, 1, axis=1)
    i, j = np.nonzero(left)
    out.append(np.column_stack([O(i, j), I(i + 1, j), I(i, j)]))
    out.append(np.column_stack([O(i, j), O(i + 1, j), I(i + 1, j)]))
    above = solid & ~np.vstack([solid[1:], np.zeros((1, columns), bool)])
    i, j = np.nonzero(above)
    out.append(np.column_stack([O(i + 1, j), O(i + 1, j + 1), I(i + 1, j + 1)]))
    out.append(np.column_stack([O(i + 1, j), I(i + 1, j + 1), I(i + 1, j)]))
    below = solid & ~np.vstack([np.zeros((1, columns), bool), solid[:-1]])
    i, j = np.nonzero(below)
    out.append(np.column_stack([O(i, j), I(i, j + 1), O(i, j + 1)]))
    out.append(np.column_stack([O(i, j), I(i, j), I(i, j + 1)]))
    faces = np.concatenate(out).astype(np.int64)
    outer = np.zeros(len(faces), bool)
    outer[:n_outer] = True
    return vertices, faces, outer
