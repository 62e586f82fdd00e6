"""The exact geometry of Morocco's motif families, drawn as seamless unit tiles: zellige star rosettes, Amazigh rug
motifs and moucharabieh lattices.

This is what every engine that uses a motif shares: the families (:data:`FAMILIES`), the drawing of one unit tile
(:func:`tile`), and, for the 3D engines, one seamless period of a motif (:func:`motif_period`) and the distance of
every pixel to the motif's lines (:func:`line_distance`). The image engine :mod:`workshop_kit.image.motifs` lays
these tiles out as pictures; the relief, the lantern, the zellige tiles and the embossed vessels of
:mod:`workshop_kit.mesh` carve, pierce, cut and emboss them. Plain numpy (and scipy for the distances): nothing here
needs torch.

Every family draws one **seamless square unit tile** with plain numpy, from shapes defined in continuous coordinates
and evaluated on the pixel grid: the same tile can be drawn at 64 or 4096 pixels, and copies of it laid side by side
continue pixel for pixel. Each family is built on a wallpaper symmetry group (see :data:`FAMILIES` and
``docs/motifs.md``):

``zellige8``, ``zellige16``
    an 8- or 16-fold star rosette at the corners of a square lattice and an 8-fold star at the centre of each cell,
    group **p4m**.
``zellige12``
    a 12-fold rosette at every node of a hexagonal lattice and a 6-fold star at every 3-fold centre, group **p6m**. A
    hexagonal lattice has no square period: the square tile holds 7 × 4 rectangular cells of the lattice, drawn 1 %
    shorter vertically than true (4·√3 ≈ 6.93 against 7).
``zellige10``
    a 10-fold rosette at the corners and at the centre of a square cell, group **cmm** (mirrors along both axes).
``amazigh``
    bands of nested lozenges, zigzags and yaz signs on a rug-coloured ground, group **pmm**.
``yaz``
    the Tifinagh letter yaz ⵣ, emblem of Amazigh identity, in a lattice of lozenge frames, group **cmm**.
``moucharabieh``
    a turned-wood lattice of bars and beads (or, as ``variant="star"``, a lattice of 8-fold stars) with the light
    coming through the openings, group **p4m**.

A zellige is drawn the way it is designed by hand: star rosettes are placed on the lattice's centres of symmetry,
the edges of each star are prolonged beyond its points until they meet another line or a mirror (the interlace), and
the pieces between the lines — star, petals, fillers — are coloured by kind, with white grout lines between them.
Colouring uses the folded coordinates, so a piece and all its symmetric copies always share a colour.

A seed chooses the variations (which palette colour goes to which piece, line width, the depth of the stars…)
through :func:`numpy.random.default_rng`, so the same seed gives the same picture on every machine.

Examples
--------
>>> from workshop_kit import motif_geometry
>>> unit = motif_geometry.tile("zellige8", palette="fes", size=128, seed=3)
>>> unit.shape, unit.dtype.name
((128, 128, 3), 'uint8')
>>> motif_geometry.FAMILIES["zellige12"].group
'p6m'
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from .palettes import PALETTES, get_palette
from .registry import ENGINES
from .validation import check_choice, check_int, resolve_seed

__all__ = ["Family", "FAMILIES", "MIN_SIZE", "MAX_SIZE", "tile", "check_family", "draw", "motif_period",
           "line_distance"]


@dataclass(frozen=True)
class Family:
    """A motif family: what it draws, the wallpaper group it is built on, and its names in three languages.

    ``fold`` is the order of the main rosette's rotational symmetry (``None`` for families without a rosette);
    ``rosette_radius`` is the radius of that rosette's star as a fraction of the unit tile's side, its centre being
    the tile's corner.
    """

    name: str
    description: str
    group: str
    label: dict[str, str]
    fold: int | None = None
    rosette_radius: float | None = None
    variants: tuple[str, ...] = field(default=("default",))


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("zellige8", "8-fold star rosettes on a square lattice, 8-pointed stars between them", "p4m",
               {"fr": "Zellige — rosace à 8 branches", "en": "Zellige — 8-fold rosette", "ar": "زليج — نجمة ثمانية"},
               fold=8, rosette_radius=0.36),
        Family("zellige10", "10-fold star rosettes at the corners and centre of a square cell", "cmm",
               {"fr": "Zellige — rosace à 10 branches", "en": "Zellige — 10-fold rosette", "ar": "زليج — نجمة عشرية"},
               fold=10, rosette_radius=0.25),
        Family("zellige12", "12-fold star rosettes on a hexagonal lattice, 6-pointed stars between them", "p6m",
               {"fr": "Zellige — rosace à 12 branches", "en": "Zellige — 12-fold rosette",
                "ar": "زليج — نجمة اثنا عشرية"},
               fold=12, rosette_radius=0.38 / 7),
        Family("zellige16", "16-fold star rosettes on a square lattice, 8-pointed stars between them", "p4m",
               {"fr": "Zellige — rosace à 16 branches", "en": "Zellige — 16-fold rosette",
                "ar": "زليج — نجمة ستة عشرية"},
               fold=16, rosette_radius=0.38),
        Family("amazigh", "Amazigh rug: bands of lozenges, zigzags and yaz signs on a rug-coloured ground", "pmm",
               {"fr": "Tapis amazigh — losanges et zigzags", "en": "Amazigh rug — lozenges and zigzags",
                "ar": "زربية أمازيغية — معينات وخطوط متعرجة"},
               variants=("knotted", "flat")),
        Family("yaz", "The yaz sign ⵣ in a lattice of lozenge frames", "cmm",
               {"fr": "Yaz ⵣ — symbole amazigh", "en": "Yaz ⵣ — Amazigh sign", "ar": "ⵣ ياز — الرمز الأمازيغي"},
               variants=("flat", "knotted")),
        Family("moucharabieh", "Turned-wood lattice of bars and beads, light through the openings", "p4m",
               {"fr": "Moucharabieh — bois tourné", "en": "Mashrabiya — turned-wood lattice",
                "ar": "مشربية — خشب مخروط"},
               variants=("beads", "star")),
    )
}

#: Smallest and largest side of a unit tile, in pixels (the ``size`` range of the ``motifs`` engine).
MIN_SIZE, MAX_SIZE = int(ENGINES["motifs"].option("size").low), int(ENGINES["motifs"].option("size").high)

_SQ3 = math.sqrt(3.0)
_HEX_COLS, _HEX_ROWS = 7, 4  # rectangular cells of the hexagonal lattice in the square tile of zellige12
_LABEL_SAMPLES = 280  # samples per unit of the fundamental domain when finding the pieces of a zellige


# --------------------------------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------------------------------


def tile(
    family: str,
    *,
    palette: str = "fes",
    size: int = 512,
    seed: int | None = None,
    variant: str | None = None,
) -> np.ndarray:
    """Draw one seamless unit tile of a motif family.

    Parameters
    ----------
    family : str
        One of :data:`FAMILIES`: ``"zellige8"``, ``"zellige10"``, ``"zellige12"``, ``"zellige16"``, ``"amazigh"``,
        ``"yaz"``, ``"moucharabieh"``.
    palette : str
        One of :data:`workshop_kit.palettes.PALETTES`.
    size : int
        Side of the square tile in pixels, from :data:`MIN_SIZE` (64) to :data:`MAX_SIZE` (4096).
    seed : int or None
        Chooses the variations (colours of the pieces, line width, depth of the stars…). The same seed gives the same
        tile; ``None`` draws a fresh one. 0 is a valid seed.
    variant : str or None
        A family's drawing style, ``None`` for its first one: ``"knotted"`` or ``"flat"`` for ``amazigh`` and
        ``yaz``, ``"beads"`` or ``"star"`` for ``moucharabieh``; the zellige families have only ``"default"``.

    Returns
    -------
    numpy.ndarray
        A ``(size, size, 3)`` ``uint8`` array. ``np.tile(unit, (2, 2, 1))`` shows no seam, and
        ``np.roll(unit, size // 2, axis=0)`` is the same pattern shifted by half a tile.

    Raises
    ------
    ParameterError
        For an unknown family, palette or variant, a size out of range or a bad seed.

    Examples
    --------
    >>> unit = tile("zellige16", palette="marrakech", size=64, seed=0)
    >>> bool((np.roll(np.tile(unit, (2, 2, 1)), 64, axis=1)[:64, :64] == unit).all())
    True
    """
    family, palette, variant = check_family(family, palette, variant)
    size = check_int("size", size, MIN_SIZE, MAX_SIZE)
    seed = resolve_seed(seed)
    return draw(family, palette=palette, size=size, seed=seed, variant=variant)


def check_family(family, palette, variant, *, name: str = "family") -> tuple[str, str, str]:
    """``(family, palette, variant)`` checked, the family's first variant for ``variant=None``.

    Raises :class:`~workshop_kit.errors.ParameterError` naming ``name`` (the caller's word for the family, e.g.
    ``"motif"``), the palette or the variant, and what is allowed.
    """
    family = check_choice(name, family, FAMILIES)
    palette = check_choice("palette", palette, PALETTES)
    variants = FAMILIES[family].variants
    variant = variants[0] if variant is None else check_choice("variant", variant, variants)
    return family, palette, variant


def draw(family: str, *, palette: str, size: int, seed: int, variant: str) -> np.ndarray:
    """The unit tile of :func:`tile` from options already checked (:func:`check_family`, any ``size`` ≥ 1, a seed).

    For engines that check their options themselves and draw tiles of any size (a picture of many small tiles).
    """
    colours = get_palette(palette).rgb().astype(np.float32)
    rng = np.random.default_rng(seed)
    if family.startswith("zellige"):
        return _zellige(family, colours, size, rng)
    if family == "amazigh":
        return _amazigh(colours, size, rng, knotted=variant == "knotted")
    if family == "yaz":
        return _yaz(colours, size, rng, knotted=variant == "knotted")
    return _moucharabieh(colours, size, rng, star=variant == "star")


# --------------------------------------------------------------------------------------------------------------------
# Sampling grids and symmetry
# --------------------------------------------------------------------------------------------------------------------


def _quadrant(size: int, fn) -> np.ndarray:
    """Evaluate ``fn(x, y)`` (tile coordinates in [0, 1)) and return a ``(size, size, ...)`` array.

    Every family has mirrors along the tile's edges and middle lines, so for an even ``size`` only the top-left
    quarter is computed and the rest is its mirror image: exact, and four times faster.
    """
    if size % 2:
        c = (np.arange(size, dtype=np.float64) + 0.5) / size
        return fn(c[None, :], c[:, None])
    half = size // 2
    c = (np.arange(half, dtype=np.float64) + 0.5) / size
    q = fn(c[None, :], c[:, None])
    top = np.concatenate([q, q[:, ::-1]], axis=1)
    return np.concatenate([top, top[::-1]], axis=0)


def _mirror01(t):
    """Fold a tile coordinate onto [0, 1/2] by the mirrors at 0 and 1/2 (and periodicity)."""
    t = np.mod(t, 1.0)
    return np.minimum(t, 1.0 - t)


def _fold_p4m(x, y):
    u, v = _mirror01(x), _mirror01(y)
    return np.maximum(u, v), np.minimum(u, v)


def _fold_cmm(x, y):
    return _mirror01(x), _mirror01(y)


def _reflect_above(x, y, angle):
    """Reflect the points above the line through the origin at ``angle`` across it."""
    nx, ny = -math.sin(angle), math.cos(angle)
    d = x * nx + y * ny
    d = np.maximum(d, 0.0)
    return x - 2 * d * nx, y - 2 * d * ny


def _fold_p6m(x, y):
    """Fold tile coordinates onto the triangle (0, 0), (1/2, 0), (1/2, √3/6) of a unit hexagonal lattice."""
    X = np.mod(x * _HEX_COLS, 1.0)
    Y = np.mod(y * (_HEX_ROWS * _SQ3), _SQ3)
    X = np.minimum(X, 1.0 - X)
    Y = np.minimum(Y, _SQ3 - Y)
    far = (X - 0.5) ** 2 + (Y - _SQ3 / 2) ** 2 < X**2 + Y**2  # nearer the lattice node at (1/2, √3/2)
    X = np.where(far, 0.5 - X, X)
    Y = np.where(far, _SQ3 / 2 - Y, Y)
    X, Y = _reflect_above(X, Y, math.pi / 3)
    return _reflect_above(X, Y, math.pi / 6)


# --------------------------------------------------------------------------------------------------------------------
# Zellige: rosettes, interlace, pieces
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lattice:
    fold: object  # (x, y) -> (u, v) in the fundamental domain
    domain: tuple  # convex polygon, counter-clockwise
    scale: float  # domain units per tile unit (for anti-aliasing)
    centres: tuple  # ((x, y), k, phase, radius, rosette?) of each star


def _lattice(family: str, radius: float, second: float, turn: bool) -> _Lattice:
    if family in ("zellige8", "zellige16"):
        k = 8 if family == "zellige8" else 16
        return _Lattice(_fold_p4m, ((0.0, 0.0), (0.5, 0.0), (0.5, 0.5)), 1.0,
                        (((0.0, 0.0), k, 0.0, radius, True),
                         ((0.5, 0.5), 8, math.pi / 8 if turn else 0.0, second, False)))
    if family == "zellige10":
        return _Lattice(_fold_cmm, ((0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5)), 1.0,
                        (((0.0, 0.0), 10, 0.0, radius, True),
                         ((0.5, 0.5), 10, math.pi / 10 if turn else 0.0, second, True)))
    h = _SQ3 / 6
    return _Lattice(_fold_p6m, ((0.0, 0.0), (0.5, 0.0), (0.5, h)), float(_HEX_COLS),
                    (((0.0, 0.0), 12, 0.0, radius, True),
                     ((0.5, h), 6, math.pi / 6 if turn else 0.0, second, False)))


def _star(centre, k, phase, radius, ratio, depth, rosette):
    """Segments of a k-pointed star (and, for a rosette, its inner star and petals), and the rays of its interlace."""
    cx, cy = centre
    ang = phase + 2 * math.pi * np.arange(k) / k
    tips = np.stack([cx + radius * np.cos(ang), cy + radius * np.sin(ang)], 1)
    vang = ang + math.pi / k
    valleys = np.stack([cx + radius * ratio * np.cos(vang), cy + radius * ratio * np.sin(vang)], 1)
    segs, rays = [], []
    for j in range(k):
        prev = valleys[j - 1]
        segs += [(prev, tips[j]), (tips[j], valleys[j])]
        for back in (prev, valleys[j]):
            d = tips[j] - back
            rays.append((tips[j], d / np.hypot(*d)))
    if rosette:
        inner = radius * ratio * depth
        wells = np.stack([cx + inner * np.cos(ang), cy + inner * np.sin(ang)], 1)
        # a crown closes the rosette: kites between its points, so that no line of the interlace enters it
        crown = radius * 1.06
        tops = np.stack([cx + crown * np.cos(vang), cy + crown * np.sin(vang)], 1)
        for j in range(k):
            segs += [(valleys[j - 1], wells[j]), (wells[j], valleys[j])]
            segs += [(tips[j], tops[j]), (tops[j], tips[(j + 1) % k])]
    return segs, rays


def _inside(poly, p, eps=1e-9):
    n = len(poly)
    for i in range(n):
        (ax, ay), (bx, by) = poly[i], poly[(i + 1) % n]
        if (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) < -eps:
            return False
    return True


def _clip(poly, a, b):
    """Clip segment ab to a convex counter-clockwise polygon (Cyrus–Beck); ``None`` when outside."""
    t0, t1 = 0.0, 1.0
    d = (b[0] - a[0], b[1] - a[1])
    n = len(poly)
    for i in range(n):
        (px, py), (qx, qy) = poly[i], poly[(i + 1) % n]
        nx, ny = -(qy - py), qx - px  # inward normal
        num = nx * (a[0] - px) + ny * (a[1] - py)
        den = nx * d[0] + ny * d[1]
        if abs(den) < 1e-12:
            if num < -1e-12:
                return None
            continue
        t = -num / den
        if den > 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
    if t1 - t0 < 1e-9:
        return None
    return (a[0] + t0 * d[0], a[1] + t0 * d[1]), (a[0] + t1 * d[0], a[1] + t1 * d[1])


def _cross_params(o, d, a, b):
    """Where the ray o + t·d meets the line through a, b: (t, s) with the point at a + s·(b - a); None if parallel."""
    ex, ey = b[0] - a[0], b[1] - a[1]
    den = d[0] * ey - d[1] * ex
    if abs(den) < 1e-12:
        return None
    wx, wy = a[0] - o[0], a[1] - o[1]
    t = (wx * ey - wy * ex) / den
    s = (wx * d[1] - wy * d[0]) / den
    return t, s


def _exit(poly, o, d):
    best = math.inf
    n = len(poly)
    for i in range(n):
        hit = _cross_params(o, d, poly[i], poly[(i + 1) % n])
        if hit and hit[0] > 1e-9 and -1e-9 <= hit[1] <= 1 + 1e-9:
            best = min(best, hit[0])
    return best


def _grow(domain, fixed, rays):
    """Grow every ray at the same speed until it meets a line already drawn there, or the domain's edge (a mirror).

    Two rays meeting head-on stop together; a ray crossing the path of a ray still growing stops only if that ray
    got there first. This is how the interlace between rosettes is drawn by hand.
    """
    eps = 1e-9
    length = [None] * len(rays)
    while True:
        best = None
        for i, (o, d) in enumerate(rays):
            if length[i] is not None:
                continue
            stop = _exit(domain, o, d)
            for a, b in fixed:
                hit = _cross_params(o, d, a, b)
                if hit and hit[0] > eps and -eps <= hit[1] <= 1 + eps:
                    stop = min(stop, hit[0])
            for j, (oj, dj) in enumerate(rays):
                if j == i:
                    continue
                hit = _cross_params(o, d, oj, (oj[0] + dj[0], oj[1] + dj[1]))
                if not hit or hit[0] <= eps or hit[1] < -eps:
                    continue
                t, tj = hit
                if length[j] is not None:
                    if tj <= length[j] + eps:
                        stop = min(stop, t)
                elif tj <= t + eps:
                    stop = min(stop, t)
            if best is None or stop < best[0] - eps:
                best = (stop, i)
        if best is None:
            break
        stop, i = best
        length[i] = stop if math.isfinite(stop) else 0.0
    segs = []
    for (o, d), n in zip(rays, length):
        if n and n > eps:
            segs.append(((o[0], o[1]), (o[0] + n * d[0], o[1] + n * d[1])))
    return segs


def _lines(segs):
    """The distinct lines (a, b, c) with a·u + b·v = c carrying the segments."""
    out = []
    for (ax, ay), (bx, by) in segs:
        a, b = -(by - ay), bx - ax
        n = math.hypot(a, b)
        a, b = a / n, b / n
        if a < -1e-12 or (abs(a) <= 1e-12 and b < 0):
            a, b = -a, -b
        c = a * ax + b * ay
        if not any(abs(a - line[0]) < 1e-7 and abs(b - line[1]) < 1e-7 and abs(c - line[2]) < 1e-7 for line in out):
            out.append((a, b, c))
    return np.array(out, dtype=np.float64)


def _codes(lines, u, v):
    """Which side of every line each point lies on, packed into one integer per point: the cell of the arrangement."""
    code = np.zeros(np.broadcast(u, v).shape, dtype=np.int64)
    for bit, (a, b, c) in enumerate(lines):
        code |= (a * u + b * v > c).astype(np.int64) << bit
    return code


def _seg_distance(segs, u, v):
    """Distance from each point to the nearest segment."""
    best = None
    for (ax, ay), (bx, by) in segs:
        ex, ey = bx - ax, by - ay
        dx, dy = u - ax, v - ay
        t = np.clip((dx * ex + dy * ey) / (ex * ex + ey * ey), 0.0, 1.0)
        d2 = (dx - t * ex) ** 2 + (dy - t * ey) ** 2
        best = d2 if best is None else np.minimum(best, d2)
    return np.sqrt(best)


class _UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, a):
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@functools.lru_cache(maxsize=32)
def _zellige_design(family: str, radius: float, second: float, ratio: float, depth: float, turn: bool):
    """Lines, pieces and kinds of piece of one zellige design, found once in the fundamental domain."""
    lat = _lattice(family, radius, second, turn)
    fixed, rays = [], []
    for centre, k, phase, r, rosette in lat.centres:
        s, rr = _star(centre, k, phase, r, ratio if rosette else 0.62, depth, rosette)
        fixed += s
        rays += rr
    fixed = [c for c in (_clip(lat.domain, a, b) for a, b in fixed) if c]
    inward = []
    for o, d in rays:
        o = (float(o[0]), float(o[1]))
        if _inside(lat.domain, o) and _inside(lat.domain, (o[0] + 1e-6 * d[0], o[1] + 1e-6 * d[1])):
            inward.append((o, (float(d[0]), float(d[1]))))
    segs = fixed + _grow(lat.domain, fixed, inward)
    lines = _lines(segs)

    # Sample the domain, find the cells of the line arrangement, and join cells not separated by a drawn segment.
    xs = np.array([p[0] for p in lat.domain])
    ys = np.array([p[1] for p in lat.domain])
    step = 1.0 / _LABEL_SAMPLES
    gu, gv = np.meshgrid(np.arange(xs.min() + step / 2, xs.max(), step), np.arange(ys.min() + step / 2, ys.max(), step))
    inside = np.ones(gu.shape, bool)
    for i in range(len(lat.domain)):
        (ax, ay), (bx, by) = lat.domain[i], lat.domain[(i + 1) % len(lat.domain)]
        inside &= (bx - ax) * (gv - ay) - (by - ay) * (gu - ax) >= 0
    code = _codes(lines, gu, gv)
    uf = _UnionFind()
    votes: dict[tuple[int, int], list[int]] = {}
    for c in np.unique(code[inside]):
        uf.find(int(c))
    for sl_a, sl_b in (((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
                       ((slice(None, -1), slice(None)), (slice(1, None), slice(None)))):
        ca, cb = code[sl_a], code[sl_b]
        ok = inside[sl_a] & inside[sl_b] & (ca != cb)
        diff = ca ^ cb
        ok &= (diff & (diff - 1)) == 0  # exactly one line between the two samples
        pa = np.stack([gu[sl_a][ok], gv[sl_a][ok]], 1)
        pb = np.stack([gu[sl_b][ok], gv[sl_b][ok]], 1)
        bits = np.log2(diff[ok]).round().astype(int)
        blocked = _crossing_blocked(segs, lines, pa, pb, bits)
        for a, b, blk in zip(ca[ok], cb[ok], blocked):
            key = (int(min(a, b)), int(max(a, b)))
            votes.setdefault(key, [0, 0])[int(blk)] += 1
    adjacent = []
    for (a, b), (open_, shut) in votes.items():
        if open_ > shut:
            uf.union(a, b)
        else:
            adjacent.append((a, b))
    cells = np.array(sorted(uf.parent), dtype=np.int64)
    roots = sorted({uf.find(int(c)) for c in cells})
    piece_of = {r: i for i, r in enumerate(roots)}
    cell_piece = np.array([piece_of[uf.find(int(c))] for c in cells], dtype=np.int32)

    # Pieces that one rosette's rotation maps onto each other are of one kind, and get one colour.
    piece_grid = np.full(code.shape, -1, np.int32)
    idx = np.searchsorted(cells, code)
    idx = np.clip(idx, 0, len(cells) - 1)
    found = inside & (cells[idx] == code)
    piece_grid[found] = cell_piece[idx[found]]
    dist = _seg_distance(segs, gu, gv)
    kind = _UnionFind()
    for p in range(len(roots)):
        kind.find(p)
    pairs: dict[tuple[int, int], int] = {}
    for (cx, cy), k, phase, r, rosette in lat.centres:
        rho = np.hypot(gu - cx, gv - cy)
        sel = found & (rho < r * 0.98) & (dist > 3 * step)
        if not sel.any():
            continue
        a = np.arctan2(gv[sel] - cy, gu[sel] - cx) + 2 * math.pi / k
        ru, rv = cx + rho[sel] * np.cos(a), cy + rho[sel] * np.sin(a)
        fu, fv = lat.fold(ru / lat.scale, rv / lat.scale)
        target = _lookup(cells, cell_piece, _codes(lines, fu, fv))
        for p, q in zip(piece_grid[sel], target):
            if q >= 0 and p != q:
                pairs[(int(p), int(q))] = pairs.get((int(p), int(q)), 0) + 1
    for (p, q), n in pairs.items():
        if n >= 3:
            kind.union(p, q)
    kinds = sorted({kind.find(p) for p in range(len(roots))})
    kind_of = np.array([kinds.index(kind.find(p)) for p in range(len(roots))], dtype=np.int32)
    area = np.bincount(kind_of[piece_grid[found]], minlength=len(kinds))
    touching = set()
    for a, b in adjacent:
        ka = kind_of[piece_of[uf.find(a)]]
        kb = kind_of[piece_of[uf.find(b)]]
        if ka != kb:
            touching.add((min(ka, kb), max(ka, kb)))
    centre_kind = int(kind_of[_lookup(cells, cell_piece, _codes(lines, np.array([1e-4]), np.array([0.3e-4])))[0]])
    return lat, tuple(segs), lines, cells, kind_of[cell_piece], len(kinds), area, frozenset(touching), centre_kind


def _crossing_blocked(segs, lines, pa, pb, bits):
    """For each pair of neighbouring samples, whether the line between them is drawn where they cross it."""
    out = np.zeros(len(pa), bool)
    for bit in np.unique(bits):
        a, b, c = lines[bit]
        sel = bits == bit
        p, q = pa[sel], pb[sel]
        fp = p @ np.array([a, b]) - c
        fq = q @ np.array([a, b]) - c
        t = fp / (fp - fq)
        x = p + t[:, None] * (q - p)
        hit = np.zeros(len(x), bool)
        for (sx, sy), (ex, ey) in segs:
            na, nb = -(ey - sy), ex - sx
            n = math.hypot(na, nb)
            if abs(abs(na / n * a + nb / n * b) - 1) > 1e-7 \
                    or abs(na / n * sx + nb / n * sy - (na / n * a + nb / n * b) * c) > 1e-7:
                continue
            L2 = (ex - sx) ** 2 + (ey - sy) ** 2
            s = ((x[:, 0] - sx) * (ex - sx) + (x[:, 1] - sy) * (ey - sy)) / L2
            hit |= (s >= -1e-6) & (s <= 1 + 1e-6)
        out[sel] = hit
    return out


def _lookup(cells, cell_value, code):
    idx = np.clip(np.searchsorted(cells, code), 0, len(cells) - 1)
    return np.where(cells[idx] == code, cell_value[idx], -1)


def _assign_colours(n_kinds, area, touching, centre_kind, rng, n_colours):
    """Give each kind of piece a palette colour, neighbours different where the palette allows it."""
    order = list(rng.permutation(n_colours))
    ranked = sorted(range(n_kinds), key=lambda k: (k != centre_kind, -area[k]))
    colour = {}
    used = {c: 0 for c in range(n_colours)}
    for k in ranked:
        near = {colour[j] for j in colour if (min(j, k), max(j, k)) in touching}
        free = [c for c in order if c not in near]
        pool = free or order
        c = min(pool, key=lambda c: (used[c], order.index(c)))
        colour[k] = c
        used[c] += 1
    return np.array([colour[k] for k in range(n_kinds)], dtype=np.int32)


def _zellige(family: str, colours: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    spec = FAMILIES[family]
    radius = spec.rosette_radius * (_HEX_COLS if family == "zellige12" else 1.0)
    second = {"zellige8": 0.19, "zellige16": 0.2, "zellige10": 0.25, "zellige12": 0.17}[family]
    ratio = float(rng.choice({"zellige8": (0.5, 0.56, 0.62), "zellige16": (0.62, 0.68, 0.74),
                              "zellige10": (0.55, 0.62, 0.68), "zellige12": (0.6, 0.66, 0.72)}[family]))
    depth = float(rng.choice((0.45, 0.55, 0.65)))
    turn = bool(rng.integers(2))
    width = float(rng.choice((0.009, 0.012, 0.015)))
    lat, segs, lines, cells, cell_kind, n_kinds, area, touching, centre_kind = _zellige_design(
        family, radius, second, ratio, depth, turn)

    by_light = np.argsort(colours @ np.array([0.299, 0.587, 0.114], np.float32))
    grout = colours[by_light[-1]]
    tiles = colours[by_light[:-1]]
    kind_colour = _assign_colours(n_kinds, area, touching, centre_kind, rng, len(tiles))
    table = np.concatenate([tiles[kind_colour], grout[None]], 0)  # the last row is for unseen cells
    pixel = lat.scale / size
    half_width = width / 2

    def shade(x, y):
        u, v = lat.fold(x, y)
        kind = _lookup(cells, cell_kind, _codes(lines, u, v))
        rgb = table[np.where(kind >= 0, kind, n_kinds)]
        d = _seg_distance(segs, u, v)
        cover = np.clip((d - half_width) / pixel + 0.5, 0.0, 1.0).astype(np.float32)[..., None]
        return grout + (rgb - grout) * cover

    return _to_uint8(_quadrant(size, shade))


def _to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------------------------------
# Amazigh rugs and the yaz sign
# --------------------------------------------------------------------------------------------------------------------

_KNOTS = 96  # knots along the side of a unit tile of rug


def _rug_colours(colours: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """A rug ground and ``n - 1`` motif colours: a light ground (as in Beni Ourain rugs) or a deep one."""
    lum = colours @ np.array([0.299, 0.587, 0.114], np.float32)
    order = list(np.argsort(lum))
    ground = order[[-1, 0, 1][int(rng.integers(3))]]
    rest = [i for i in order if i != ground]
    rest.sort(key=lambda i: -abs(float(lum[i] - lum[ground])))  # strongest contrast first
    picks = rest[:1] + list(rng.permutation(rest[1:]))
    return colours[[ground] + [picks[i % len(picks)] for i in range(n - 1)]]


def _lozenge(u, v, cu, cv, a, b):
    """L1 'radius' of a lozenge centred at (cu, cv) with half-diagonals a, b: 1 on its outline."""
    return np.abs(u - cu) / a + np.abs(v - cv) / b


def _tri(t):
    """Triangle wave of period 1, from -1 at whole numbers to 1 at halves."""
    return 4.0 * np.abs(np.mod(t, 1.0) - 0.5) - 1.0


def _yaz_distance(p, q, h):
    """Distance to the yaz sign ⵣ of half-height ``h`` centred at the origin.

    The sign is a vertical stem, a cup opening upwards (raised arms) and its mirror image opening downwards (legs),
    the cups touching the stem at the centre. Both mirrors of the sign are used: only one arc is measured.
    """
    p, q = np.abs(p), np.abs(q)
    stem = np.where(q <= h, p, np.hypot(p, q - h))
    a = 0.62 * h  # reach of the arms
    r = (a * a + h * h) / (2 * h)  # the arc runs from (0, 0) to (a, h) around (0, r)
    end = math.atan2(h - r, a)
    ang = np.arctan2(q - r, p)
    on_arc = (ang >= -math.pi / 2) & (ang <= end)
    arc = np.where(on_arc, np.abs(np.hypot(p, q - r) - r), np.minimum(np.hypot(p, q), np.hypot(p - a, q - h)))
    return np.minimum(stem, arc)


def _amazigh_labels(u, v, style):
    """Colour slot (0 = ground) of each point of the quadrant [0, 1/2]² of an Amazigh rug band tile."""
    u, v = np.broadcast_arrays(u, v)
    lab = np.zeros(u.shape, np.int8)
    amp, zig_f, turn = style
    # Big nested lozenges centred on the mirror v = 0, four across the tile.
    cu = np.round(u * 4) / 4
    rho = _lozenge(u, v, cu, 0.0, 0.125, 0.155)
    for lo, hi, slot in ((0.0, 0.2, 3), (0.34, 0.48, 2), (0.6, 0.76, 1), (0.86, 1.0, 4)):
        lab[(rho >= lo) & (rho < hi)] = slot
    eye = _lozenge(u, v, np.floor(u * 4) / 4 + 0.125, 0.11, 0.03, 0.04)
    lab[eye < 1] = 2
    # Stripes and a double zigzag.
    lab[(v > 0.165) & (v < 0.182)] = 1
    z = _tri(u * zig_f + (0.5 if turn else 0.0)) * amp
    lab[np.abs(v - 0.232 - z) < 0.011] = 2
    lab[np.abs(v - 0.268 - z) < 0.011] = 3
    lab[(v > 0.318) & (v < 0.335)] = 1
    # A row of yaz signs on the mirror v = 1/2, small lozenges between them.
    yu = np.floor(u * 4) / 4 + 0.125
    lab[_yaz_distance(u - yu, v - 0.5, 0.125) < 0.013] = 4
    small = _lozenge(u, v, np.round(u * 4) / 4, 0.5, 0.045, 0.09)
    lab[(small > 0.55) & (small < 1)] = 2
    lab[small < 0.3] = 3
    return lab


def _yaz_labels(u, v, style):
    """Colour slot of each point of the quadrant of a yaz lattice: lozenge frames, a yaz sign in each lozenge."""
    u, v = np.broadcast_arrays(u, v)
    lab = np.zeros(u.shape, np.int8)
    h, frame = style
    rho = (u + v) / 0.5  # lozenge around (0, 0): rho < 1; around (1/2, 1/2): rho > 1
    far = rho > 1
    lab[far] = 5  # the second lozenge's ground
    lab[np.abs(rho - 1) < frame] = 1
    lab[np.abs(np.where(far, 2 - rho, rho) - 0.84) < frame * 0.45] = 2
    eye = _lozenge(u, v, 0.5, 0.0, 0.07, 0.07)
    lab[eye < 1] = 2
    lab[eye < 0.45] = 3
    eye = _lozenge(u, v, 0.0, 0.5, 0.07, 0.07)
    lab[eye < 1] = 2
    lab[eye < 0.45] = 3
    near = _yaz_distance(u, v, h) < 0.022
    lab[near] = 3
    far_sign = _yaz_distance(u - 0.5, v - 0.5, h) < 0.022
    lab[far_sign] = 4
    return lab


def _rug(labels, table, size, rng, knotted):
    """Render a label function as a knotted rug (one colour per knot, wool texture) or as a flat anti-aliased
    picture."""
    if knotted:
        k = _KNOTS
        lab = _quadrant(k, labels)
        rgb = table[lab] * (1.0 + 0.035 * rng.standard_normal((k, k, 1))).astype(np.float32)
        idx = (np.arange(size) * k) // size
        img = rgb[idx][:, idx]
        frac = np.mod((np.arange(size) + 0.5) * k / size, 1.0)
        prof = (1.0 - 0.16 * (2 * frac - 1) ** 2).astype(np.float32)
        return _to_uint8(img * prof[:, None, None] * prof[None, :, None])

    off = 0.25 / size

    def flat(x, y):
        acc = 0.0
        for dx in (-off, off):
            for dy in (-off, off):
                acc = acc + table[labels(_mirror01(x + dx), _mirror01(y + dy))]
        return acc / 4

    return _to_uint8(_quadrant(size, flat))


def _amazigh(colours, size, rng, *, knotted):
    table = _rug_colours(colours, rng, 5)
    style = (float(rng.choice((0.022, 0.03, 0.038))), float(rng.choice((8, 12, 16))), bool(rng.integers(2)))
    return _rug(lambda u, v: _amazigh_labels(u, v, style), table, size, rng, knotted)


def _yaz(colours, size, rng, *, knotted):
    table = _rug_colours(colours, rng, 6)
    if rng.integers(2):
        table[5] = table[0]
    style = (float(rng.choice((0.17, 0.19, 0.21))), float(rng.choice((0.035, 0.045))))
    return _rug(lambda u, v: _yaz_labels(u, v, style), table, size, rng, knotted)


# --------------------------------------------------------------------------------------------------------------------
# Moucharabieh
# --------------------------------------------------------------------------------------------------------------------


def _moucharabieh(colours, size, rng, *, star):
    lum = colours @ np.array([0.299, 0.587, 0.114], np.float32)
    order = np.argsort(lum)
    dark, mid, light = colours[order[0]], colours[order[int(rng.integers(1, 3))]], colours[order[-1]]
    pixel = 1.0 / size

    if star:
        _, segs, *_ = _zellige_design("zellige8", 0.36, 0.19, float(rng.choice((0.5, 0.56))), 0.55,
                                      bool(rng.integers(2)))
        radius = float(rng.choice((0.014, 0.018, 0.022)))

        def solid(x, y):
            u, v = _fold_p4m(x, y)
            d = _seg_distance(segs, u, v)
            return radius - d, np.sqrt(np.clip(1 - (d / radius) ** 2, 0, 1))
    else:
        cells = int(rng.choice((4, 6)))
        r0 = float(rng.choice((0.16, 0.19, 0.22))) / cells
        ball = r0 * float(rng.choice((1.7, 2.0)))

        def solid(x, y):
            gx, gy = x * cells, y * cells
            fx, fy = np.mod(gx, 1.0), np.mod(gy, 1.0)
            dx, dy = np.minimum(fx, 1 - fx) / cells, np.minimum(fy, 1 - fy) / cells
            # turned spindles: a bead in the middle and two rings, thinner near the joints
            def spindle(s):
                return r0 * (0.7 + 0.55 * np.exp(-((s - 0.5) / 0.11) ** 2)
                             + 0.3 * np.exp(-((np.abs(s - 0.5) - 0.27) / 0.035) ** 2))
            rh, rv = spindle(fx), spindle(fy)
            parts = [(rh - dy, dy / rh), (rv - dx, dx / rv), (ball - np.hypot(dx, dy), np.hypot(dx, dy) / ball)]
            margin = np.maximum.reduce([m for m, _ in parts])
            # the highest surface wins: height = radius · sqrt(1 - t²)
            best_z, best_h = None, None
            for (m, t), r in zip(parts, (rh, rv, ball)):
                hgt = np.sqrt(np.clip(1 - t * t, 0, 1))
                z = hgt * r
                if best_z is None:
                    best_z, best_h = z, hgt
                else:
                    take = z > best_z
                    best_z, best_h = np.where(take, z, best_z), np.where(take, hgt, best_h)
            return margin, best_h

    def shade(x, y):
        margin, h = solid(x, y)
        h = h.astype(np.float32)[..., None]
        wood = dark + (mid - dark) * h**0.8 + 0.35 * (1 - dark) * h**24
        cover = np.clip(margin / pixel + 0.5, 0, 1).astype(np.float32)[..., None]
        return light + (wood - light) * cover

    return _to_uint8(_quadrant(size, shade))


# --------------------------------------------------------------------------------------------------------------------
# For the 3D engines: one seamless period of a motif, and the distance to its lines
# --------------------------------------------------------------------------------------------------------------------


def motif_period(motif: str, *, palette: str = "fes", size: int = 512, seed: int = 0,
                 variant: str | None = None) -> np.ndarray:
    """One seamless period of a motif family as a ``uint8`` RGB array.

    For every family but ``zellige12`` this is the square unit tile of :func:`tile`, ``size`` pixels wide. The unit
    tile of ``zellige12`` holds 7 × 4 cells of its hexagonal lattice; one cell (a rosette, about √3 times taller than
    wide) is returned instead, ``size`` pixels high, so that its lines are as thick as the other families'.

    Parameters
    ----------
    motif : str
        One of :data:`FAMILIES`.
    palette : str
        One of :data:`workshop_kit.palettes.PALETTES`.
    size : int
        Height of the period in pixels, from 64 to 1024.
    seed : int
        The motif's variations.
    variant : str or None
        The family's drawing style (see :func:`tile`).

    Returns
    -------
    numpy.ndarray
        ``(h, w, 3)`` ``uint8``; copies laid side by side or one above the other continue without a seam.
    """
    motif = check_choice("motif", motif, FAMILIES)
    palette = check_choice("palette", palette, PALETTES)
    size = check_int("size", size, 64, 1024)
    if motif == "zellige12":
        full = 4 * size
        unit = tile(motif, palette=palette, size=full, seed=seed, variant=variant)
        return np.ascontiguousarray(unit[: full // _HEX_ROWS, : int(round(full / _HEX_COLS))])
    return tile(motif, palette=palette, size=size, seed=seed, variant=variant)


def line_distance(picture: np.ndarray, *, motif: str | None, palette: str = "fes") -> np.ndarray:
    """Distance in pixels from every pixel to the nearest *line* of the picture (0 on a line).

    The lines are what holds a pierced pattern together: the grout of a zellige (its palette's lightest colour), the
    borders between colour fields of a rug motif (``amazigh``, ``yaz``), and the dark parts of a moucharabieh or of
    any other picture (``motif=None``). The picture is taken as seamless: distances wrap around its edges.

    Parameters
    ----------
    picture : numpy.ndarray
        ``(h, w, 3)`` ``uint8`` RGB.
    motif : str or None
        The family the picture was drawn from, or ``None`` for any picture.
    palette : str
        The palette the motif was drawn with.

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` ``float32``.
    """
    from scipy import ndimage

    h, w = picture.shape[:2]
    rgb = picture.astype(np.float32)
    if motif is not None and motif != "moucharabieh":
        colours = get_palette(palette).rgb() * 255.0
        nearest = np.argmin(((rgb[:, :, None, :] - colours[None, None]) ** 2).sum(-1), axis=-1)
        if motif.startswith("zellige"):
            lines = nearest == int(np.argmax(colours @ np.array([0.299, 0.587, 0.114], np.float32)))
        else:
            lines = np.zeros((h, w), bool)
            lines[:, :-1] |= nearest[:, :-1] != nearest[:, 1:]
            lines[:-1, :] |= nearest[:-1, :] != nearest[1:, :]
    else:
        lum = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
        lines = lum < 0.5 * (float(lum.min()) + float(lum.max()))
    if not lines.any():
        return np.full((h, w), float(math.hypot(h, w)), np.float32)
    # wrap: measure on a 3 × 3 mosaic and keep the middle
    big = np.tile(~lines, (3, 3))
    dist = ndimage.distance_transform_edt(big)[h : 2 * h, w : 2 * w]
    return dist.astype(np.float32)
