"""Is this mesh ready for a 3D printer? A plain-words check, in French, English and Arabic.

:func:`report` looks at a mesh in millimetres and answers with a :class:`PrintabilityReport`: is it closed
(watertight), are its faces wound the same way, do its normals point outwards, how big is it and does it fit the print
bed (:data:`DEFAULT_BED_MM`), how many separate parts it has, and how thin its thinnest wall is, then a verdict such
as ``"prêt à imprimer"`` / ``"ready to print"`` / ``"جاهز للطباعة"`` or what to fix first (``"paroi trop fine (0.6 mm
< 1.2 mm)"``). Its words come from :data:`workshop_kit.i18n.STRINGS` (the ``printability.*`` keys).

How the thinnest wall is measured
---------------------------------
Points are sampled on the surface (area-weighted, with a fixed seed, so the same mesh always gives the same answer).
From each point a ray is cast *into* the material, along the opposite of its face's normal, starting a hair below the
surface; the distance to the first triangle it meets is the thickness of the material there. The walls of a pot give
their thickness, its floor the floor's, a solid block its smallest size. The estimate is a low percentile
(:data:`WALL_PERCENTILE`) of those distances rather than their minimum, so that a few rays grazing an edge do not decide
alone, while a thin part covering a few percent of the surface is still caught. Rays are traced by a small numpy
uniform-grid tracer in this module (trimesh's own ray tracer needs the optional ``rtree`` or ``embreex`` packages).

When the normals point inwards (negative volume), the rays are cast the other way, so the wall is still measured;
the inverted normals are reported as a fault. On an open mesh some rays escape; the estimate uses those that hit.

Examples
--------
>>> import trimesh
>>> from workshop_kit.mesh.printability import report
>>> r = report(trimesh.creation.box((40, 30, 20)))
>>> r.ready, round(r.volume_cm3, 3), r.bbox_mm
(True, 24.0, (40.0, 30.0, 20.0))
>>> r.verdict("fr")
'prêt à imprimer'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..i18n import LANGS, Msg, check_lang, t
from ..validation import check_float, check_int

__all__ = ["PrintabilityReport", "report", "DEFAULT_MIN_WALL_MM", "DEFAULT_BED_MM", "WALL_PERCENTILE", "fits_bed",
           "bed_scale", "round_fit_height", "bed_note", "wall_thickness", "first_hit_distances"]

DEFAULT_MIN_WALL_MM = 1.2
"""Thinnest wall a hobby FDM printer with a 0.4 mm nozzle prints reliably (about three extrusion widths)."""

DEFAULT_BED_MM = (250.0, 210.0, 250.0)
"""The print volume the kit makes its objects for, in millimetres: a 250 × 210 mm bed (a common desktop printer's)
and 250 mm of height, the largest size the booth offers. An object fits when it stands on the bed as it is made (z up),
or turned a quarter turn, and is no taller (see :func:`fits_bed`); one that does not is a fault to fix."""

WALL_PERCENTILE = 2.0
"""The wall estimate is this percentile of the thickness measured by the rays."""

_SAMPLES = 3000
_SEED = 20240611  # fixed: the same mesh gives the same report


@dataclass
class PrintabilityReport:
    """What :func:`report` found. Lengths in millimetres, volume in cubic centimetres.

    Attributes
    ----------
    watertight : bool
        Every edge is shared by exactly two faces: the surface is closed.
    winding_consistent : bool
        Neighbouring faces are wound the same way (their normals agree).
    outward_normals : bool or None
        The normals point out of the object (positive volume). ``None`` when the mesh is open or inconsistently
        wound, where inside and outside are not defined.
    volume_cm3 : float or None
        Volume of material (always positive), ``None`` when it is not defined (open or inconsistently wound mesh).
    bbox_mm : tuple of float
        Size along x, y and z.
    bodies : int
        Number of separate parts.
    faces : int
        Number of triangles.
    boundary_edges : int
        Edges used by one face only (the rims of holes); 0 for a closed mesh.
    min_wall_mm : float or None
        Estimated thinnest wall (see the module's notes on the method); ``None`` when no ray met the other side.
    min_wall_required_mm : float
        The threshold the wall was checked against.
    ready : bool
        No fault found: the mesh can go to the slicer as it is, and it fits the bed. Notes (several parts) do not
        change it.
    issues : list of dict
        Faults to fix, each ``{"code", "fr", "en", "ar"}``, most serious first.
    notes : list of dict
        Advice that does not stop printing, each ``{"code", "fr", "en", "ar"}``.
    bed_mm : tuple of float or None
        The print volume (x, y, z) it was checked against; ``None`` when that check was skipped.
    fits_bed : bool or None
        Whether it fits that volume (:func:`fits_bed`); ``None`` when the check was skipped.
    """

    watertight: bool
    winding_consistent: bool
    outward_normals: bool | None
    volume_cm3: float | None
    bbox_mm: tuple[float, float, float]
    bodies: int
    faces: int
    boundary_edges: int
    min_wall_mm: float | None
    min_wall_required_mm: float
    ready: bool
    issues: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    bed_mm: tuple[float, float, float] | None = None
    fits_bed: bool | None = None

    def verdict(self, lang: str = "fr") -> str:
        """The verdict in one line: ``"prêt à imprimer"`` or the faults joined by ``" ; "``, then any notes.

        Parameters
        ----------
        lang : str
            ``"fr"`` (default), ``"en"`` or ``"ar"``.
        """
        lang = check_lang(lang)
        sep = t("list.sep.strong", lang)
        if self.issues:
            head = t("printability.to_fix", lang, issues=sep.join(i[lang] for i in self.issues))
        else:
            head = t("printability.ready", lang)
        if self.notes:
            head += t("printability.notes", lang, notes=sep.join(n[lang] for n in self.notes))
        return head

    @property
    def verdict_fr(self) -> str:
        return self.verdict("fr")

    @property
    def verdict_en(self) -> str:
        return self.verdict("en")

    @property
    def verdict_ar(self) -> str:
        return self.verdict("ar")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of every field, plus ``verdict_fr``, ``verdict_en`` and ``verdict_ar``."""
        data = asdict(self)
        data["bbox_mm"] = list(self.bbox_mm)
        data["bed_mm"] = None if self.bed_mm is None else list(self.bed_mm)
        for lang in LANGS:
            data[f"verdict_{lang}"] = self.verdict(lang)
        return data

    def __str__(self) -> str:
        return self.verdict("fr") + " / " + self.verdict("en")


WALL_TOLERANCE_MM = 0.05  # the ray estimate's own precision: a wall made at the minimum may measure a hair under it


def _mm(value: float) -> str:
    return f"{value:.1f}" if value >= 0.95 else f"{value:.2f}".rstrip("0")


def _said(code: str, **values: Any) -> dict[str, str]:
    """An issue or a note: its code and its wording (``printability.<code>``) in every language."""
    words = Msg(f"printability.{code}", **values)
    return {"code": code, **{lang: words.render(lang) for lang in LANGS}}


def _size(values) -> str:
    return " × ".join(f"{v:.0f}" for v in values)


def _bed(bed_mm) -> tuple[float, float, float]:
    """A print volume as (x, y, z) millimetres: one number is a cube, three are the bed's sides and its height."""
    values = (bed_mm,) * 3 if isinstance(bed_mm, (int, float, np.number)) else tuple(bed_mm)
    if len(values) != 3:
        raise ParameterError("bed_mm", bed_mm, Msg("allowed.bed_mm"))
    return tuple(check_float("bed_mm", v, 1.0, 10_000.0) for v in values)  # type: ignore[return-value]


def bed_scale(size_mm, bed_mm=DEFAULT_BED_MM) -> float:
    """The largest factor, at most 1, by which an object of ``size_mm`` (x, y, z) fits the print volume ``bed_mm``.

    The object stands on the bed as it is, or turned a quarter turn, whichever takes the larger factor.

    >>> bed_scale((300, 100, 100)), bed_scale((100, 230, 100)), bed_scale((10, 10, 10))
    (0.8333333333333334, 1.0, 1.0)
    """
    bed = _bed(bed_mm)
    size = [max(float(v), 0.0) for v in size_mm]
    (long, short), (bed_long, bed_short) = sorted(size[:2], reverse=True), sorted(bed[:2], reverse=True)
    factors = [bed_long / long if long else np.inf, bed_short / short if short else np.inf,
               bed[2] / size[2] if size[2] else np.inf, 1.0]
    return float(min(factors))


def round_fit_height(radius_per_mm: float, *, extra_radius_mm: float = 0.0, bed_mm=DEFAULT_BED_MM) -> float:
    """The tallest a round object standing on its axis may be and still fit ``bed_mm``.

    Its widest radius is ``radius_per_mm`` times its height, plus ``extra_radius_mm`` that does not scale (a band
    standing out of a pot). A round footprint fits when its diameter fits the bed's shorter side.

    >>> round_fit_height(0.5), round_fit_height(1.0), round_fit_height(1.0, extra_radius_mm=5)
    (210.0, 105.0, 100.0)
    """
    x, y, z = _bed(bed_mm)
    return float(min(z, (min(x, y) / 2 - extra_radius_mm) / radius_per_mm))


def bed_note(made_mm: float, asked_mm: float, bed_mm=DEFAULT_BED_MM) -> str:
    """What a result's ``notes`` say when an object was made smaller than asked, to fit the bed."""
    x, y, z = _bed(bed_mm)
    return (f"made {made_mm:.0f} mm high instead of {asked_mm:.0f} mm, to fit the {x:.0f} × {y:.0f} mm print bed "
            f"({z:.0f} mm high)")


def fits_bed(size_mm, bed_mm=DEFAULT_BED_MM) -> bool:
    """Whether an object of ``size_mm`` (x, y, z) fits the print volume ``bed_mm`` (to a hundredth of a millimetre).

    >>> fits_bed((250, 210, 250)), fits_bed((210, 250, 100)), fits_bed((220, 220, 100))
    (True, True, False)
    """
    return bed_scale(np.asarray(size_mm, dtype=np.float64) - 0.01, bed_mm) >= 1.0


def report(mesh, *, min_wall_mm: float = DEFAULT_MIN_WALL_MM, bed_mm: float | None = DEFAULT_BED_MM,
           samples: int = _SAMPLES) -> PrintabilityReport:
    """Check a mesh in millimetres for 3D printing.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        The object, in millimetres. It is not changed, nor are its caches left fuller.
    min_wall_mm : float
        Thinnest wall the printer can make, from 0.1 to 50 mm; 1.2 mm suits FDM with a 0.4 mm nozzle, 0.6 mm resin.
    bed_mm : tuple of float, float or None
        The printer's volume: its bed's sides and the height it prints, ``(x, y, z)`` in millimetres (default
        :data:`DEFAULT_BED_MM`), or one number for a cube; an object that does not fit is a fault. ``None`` skips
        that check.
    samples : int
        Rays cast to measure the walls, from 100 to 100 000. More rays, finer detail, more time.

    Returns
    -------
    PrintabilityReport
        Facts, faults and a verdict; ``report.verdict("fr")`` (or ``"en"``, ``"ar"``) to show it.

    Raises
    ------
    ParameterError
        When ``mesh`` is not a ``trimesh.Trimesh`` or an option is out of range.
    """
    import trimesh

    if not isinstance(mesh, trimesh.Trimesh):
        raise ParameterError("mesh", type(mesh).__name__, Msg("allowed.trimesh"))
    min_wall_mm = check_float("min_wall_mm", min_wall_mm, 0.1, 50.0)
    if bed_mm is not None:
        bed_mm = _bed(bed_mm)
    samples = check_int("samples", samples, 100, 100_000)

    # the check fills the mesh's caches with what it needs (edges, triangles ...: 56 MB on a lantern): empty them
    # again, or they stay as long as the mesh does
    cached = set(mesh._cache.cache)
    try:
        return _check(mesh, min_wall_mm, bed_mm, samples)
    finally:
        mesh._cache.clear(exclude=cached)


def _check(mesh, min_wall_mm: float, bed_mm: tuple[float, float, float] | None, samples: int) -> PrintabilityReport:
    n_faces = int(len(mesh.faces))
    if n_faces == 0:
        return PrintabilityReport(False, False, None, None, (0.0, 0.0, 0.0), 0, 0, 0, None, min_wall_mm, False,
                                  [_said("empty")])

    watertight = bool(mesh.is_watertight)
    winding = bool(mesh.is_winding_consistent)
    # Edges used once: the rims of holes.
    edges = np.sort(np.asarray(mesh.edges, dtype=np.int64), axis=1)
    _, counts = np.unique(edges[:, 0] * (int(edges.max()) + 1) + edges[:, 1], return_counts=True)
    boundary = int(np.count_nonzero(counts == 1))
    nonmanifold = int(np.count_nonzero(counts > 2))

    outward: bool | None = None
    volume_cm3: float | None = None
    signed_volume = 0.0
    if watertight and winding:
        signed_volume = float(mesh.volume)
        outward = signed_volume > 0
        volume_cm3 = abs(signed_volume) / 1000.0

    extents = tuple(float(round(e, 4)) for e in mesh.extents)
    bodies = int(mesh.body_count)

    # Inverted normals: measure with the rays flipped so the wall is still found.
    direction_sign = -1.0 if outward is False else 1.0
    wall = wall_thickness(mesh, samples=samples, inward_sign=direction_sign)

    issues: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    if not watertight:
        holes = Msg("printability.boundary_edges", n=boundary) if boundary else \
            Msg("printability.nonmanifold_edges", n=nonmanifold)
        issues.append(_said("not_watertight", holes=holes))
    if not winding:
        issues.append(_said("inconsistent_winding"))
    if outward is False:
        issues.append(_said("inverted_normals"))
    if watertight and winding and abs(signed_volume) < 1e-9:
        issues.append(_said("no_volume"))
    if wall is not None and wall < min_wall_mm - WALL_TOLERANCE_MM:
        issues.append(_said("thin_wall", wall=_mm(wall), min=_mm(min_wall_mm)))
    if bodies > 1:
        notes.append(_said("several_bodies", n=bodies))
    fits = None if bed_mm is None else fits_bed(extents, bed_mm)
    if fits is False:
        issues.append(_said("larger_than_bed", size=_size(extents), bed=_size(bed_mm)))

    return PrintabilityReport(
        watertight=watertight,
        winding_consistent=winding,
        outward_normals=outward,
        volume_cm3=None if volume_cm3 is None else round(volume_cm3, 4),
        bbox_mm=extents,  # type: ignore[arg-type]
        bodies=bodies,
        faces=n_faces,
        boundary_edges=boundary,
        min_wall_mm=None if wall is None else round(wall, 3),
        min_wall_required_mm=min_wall_mm,
        ready=not issues,
        issues=issues,
        notes=notes,
        bed_mm=bed_mm,
        fits_bed=fits,
    )


def wall_thickness(mesh, *, samples: int = _SAMPLES, percentile: float = WALL_PERCENTILE,
                   inward_sign: float = 1.0) -> float | None:
    """Estimate the thinnest wall of ``mesh`` by casting rays into the material (see the module's notes).

    Parameters
    ----------
    mesh : trimesh.Trimesh
        The object; its face normals should point outwards (else pass ``inward_sign=-1``).
    samples : int
        Number of rays.
    percentile : float
        Which percentile of the measured thicknesses to return, from 0 to 100.
    inward_sign : float
        ``1`` casts along minus the face normal (outward normals), ``-1`` along the normal.

    Returns
    -------
    float or None
        The thickness in the mesh's units, or ``None`` when no ray met a face.
    """
    samples = check_int("samples", samples, 1, 1_000_000)
    percentile = check_float("percentile", percentile, 0.0, 100.0)
    if inward_sign not in (1, -1):
        raise ParameterError("inward_sign", inward_sign, ["1", "-1"])
    triangles = np.asarray(mesh.vertices, dtype=np.float64)[np.asarray(mesh.faces, dtype=np.int64)]
    # normals from the winding itself: a mesh's cached face normals can disagree with it (after ``invert()``)
    cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    areas = np.linalg.norm(cross, axis=1)
    normals = cross / np.maximum(areas, 1e-300)[:, None]
    good = areas > 0
    if not good.any():
        return None
    rng = np.random.default_rng(_SEED)
    cumulative = np.cumsum(np.where(good, areas, 0.0))
    face = np.searchsorted(cumulative, rng.random(samples) * cumulative[-1], side="right")
    face = np.minimum(face, len(areas) - 1)
    u, v = rng.random(samples), rng.random(samples)
    flip = u + v > 1
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    tri = triangles[face]
    points = tri[:, 0] + u[:, None] * (tri[:, 1] - tri[:, 0]) + v[:, None] * (tri[:, 2] - tri[:, 0])
    directions = -inward_sign * normals[face]

    lo, hi = triangles.reshape(-1, 3).min(axis=0), triangles.reshape(-1, 3).max(axis=0)
    diag = float(np.linalg.norm(hi - lo))
    offset = max(diag * 1e-5, 1e-9)
    hits = first_hit_distances(triangles, points + offset * directions, directions, max_distance=diag * 1.01,
                               ignore=face)
    found = np.isfinite(hits)
    if not found.any():
        return None
    return float(np.percentile(hits[found] + offset, percentile))


def _triangle_cells(tri_lo: np.ndarray, tri_hi: np.ndarray, lo: np.ndarray, cell: float,
                    shape: np.ndarray) -> np.ndarray:
    """``cell id << 32 | triangle index`` for every grid cell each triangle's box (grown by half a cell) overlaps.

    One number per entry, so that sorting them needs no second array; worked out for a few triangles at a time
    (:data:`_ENTRY_BATCH` entries), so that the working arrays stay small.
    """
    a = np.clip(np.floor((tri_lo - 0.5 * cell - lo) / cell).astype(np.int64), 0, shape - 1)
    b = np.clip(np.floor((tri_hi + 0.5 * cell - lo) / cell).astype(np.int64), 0, shape - 1)
    span = b - a + 1
    count = span.prod(axis=1)
    out = np.empty(int(count.sum()), dtype=np.int64)
    done = 0
    for first, stop in _batches(count, _ENTRY_BATCH):
        tri_index = np.repeat(np.arange(first, stop), count[first:stop])
        # position of each entry inside its triangle's block of cells
        starts = np.cumsum(count[first:stop]) - count[first:stop]
        local = np.arange(len(tri_index)) - np.repeat(starts, count[first:stop])
        sx, sy = span[tri_index, 0], span[tri_index, 1]
        ix = a[tri_index, 0] + local % sx
        iy = a[tri_index, 1] + (local // sx) % sy
        iz = a[tri_index, 2] + local // (sx * sy)
        out[done:done + len(tri_index)] = (((ix * shape[1] + iy) * shape[2] + iz) << 32) | tri_index
        done += len(tri_index)
    return out


_RAY_BATCH = 256  # rays marched together
_PAIR_BATCH = 65_536  # ray-triangle tests made together
_ENTRY_BATCH = 262_144  # (cell, triangle) entries of the grid worked out together
# Each batch's arrays take a few megabytes. Whole-array work took 120 MB for a 36 000-face pot and 780 MB for a
# relief, at every report: memory the C allocator kept (RSS grew by half a megabyte per lathe call in a booth).


def first_hit_distances(triangles: np.ndarray, origins: np.ndarray, directions: np.ndarray, *,
                        max_distance: float, ignore: np.ndarray | None = None) -> np.ndarray:
    """Distance along each ray to the first triangle it meets (either side), ``inf`` when it meets none.

    A uniform grid holds the triangles; each ray is marched through it in stages, and a ray stops as soon as its best
    hit lies within the part of the grid already searched, so short rays (thin walls) cost little. Rays, triangles
    and ray-triangle tests are taken in batches, so the memory it needs stays a few megabytes.

    Parameters
    ----------
    triangles : numpy.ndarray
        ``(n, 3, 3)`` triangle corners.
    origins, directions : numpy.ndarray
        ``(m, 3)`` ray starts and unit directions.
    max_distance : float
        Rays are followed this far.
    ignore : numpy.ndarray or None
        ``(m,)`` index of a triangle each ray must not hit (the face it starts from), or ``None``.

    Returns
    -------
    numpy.ndarray
        ``(m,)`` distances.
    """
    n_rays = len(origins)
    best = np.full(n_rays, np.inf)
    if n_rays == 0 or len(triangles) == 0:
        return best
    tri_lo, tri_hi = triangles.min(axis=1), triangles.max(axis=1)
    lo, hi = tri_lo.min(axis=0), tri_hi.max(axis=0)
    size = np.maximum(hi - lo, 1e-12)
    # About two cells per triangle, shaped like the bounding box.
    target_cells = max(8.0, 2.0 * len(triangles))
    cell = float((np.prod(size + size.max() * 1e-3) / target_cells) ** (1 / 3))
    cell = max(cell, float(size.max()) / 256)
    # one spare cell on every side, so that no grown box or ray sample near a face is clipped away
    lo = lo - cell
    shape = np.ceil(size / cell).astype(np.int64) + 2
    entries = _triangle_cells(tri_lo, tri_hi, lo, cell, shape)
    entries.sort()  # by cell, in place
    cell_start = np.searchsorted(entries, np.arange(int(shape.prod()) + 1, dtype=np.int64) << 32)
    tri_index = np.bitwise_and(entries, 0xFFFFFFFF, out=entries).astype(np.int32)
    del entries

    v0 = triangles[:, 0]
    e1 = triangles[:, 1] - v0
    e2 = triangles[:, 2] - v0
    n_steps = int(np.ceil(max_distance / cell)) + 1
    bounds = [0, 8, 32, 128, 512]
    bounds = [b for b in bounds if b < n_steps] + [n_steps]
    for first_ray in range(0, n_rays, _RAY_BATCH):
        active = np.arange(first_ray, min(first_ray + _RAY_BATCH, n_rays))
        for first, last in zip(bounds[:-1], bounds[1:]):
            if active.size == 0:
                break
            steps = np.arange(first, last, dtype=np.float64) * cell
            pts = origins[active, None, :] + directions[active, None, :] * steps[None, :, None]
            idx = np.floor((pts - lo) / cell).astype(np.int64)
            inside = np.all((idx >= 0) & (idx < shape), axis=2)
            cid = (idx[..., 0] * shape[1] + idx[..., 1]) * shape[2] + idx[..., 2]
            cid = np.where(inside, cid, -1)
            # drop repeats of the same cell along a ray
            keep = inside.copy()
            keep[:, 1:] &= cid[:, 1:] != cid[:, :-1]
            ray_local, step = np.nonzero(keep)
            cells = cid[ray_local, step]
            counts = cell_start[cells + 1] - cell_start[cells]
            has = counts > 0
            ray_local, cells, counts = ray_local[has], cells[has], counts[has]
            for lo_pair, hi_pair in _batches(counts, _PAIR_BATCH):
                part = slice(lo_pair, hi_pair)
                pair_ray = np.repeat(ray_local[part], counts[part])
                starts = np.repeat(cell_start[cells[part]] - np.cumsum(counts[part]) + counts[part], counts[part])
                pair_tri = tri_index[starts + np.arange(len(starts))]
                rays = active[pair_ray]
                if ignore is not None:
                    ok = ignore[rays] != pair_tri
                    rays, pair_tri = rays[ok], pair_tri[ok]
                t = _moller_trumbore(origins[rays], directions[rays], v0[pair_tri], e1[pair_tri], e2[pair_tri])
                np.minimum.at(best, rays, t)
            searched = (last - 1) * cell
            active = active[best[active] > searched]
    best[best > max_distance] = np.inf
    return best


def _batches(counts: np.ndarray, size: int):
    """``(start, stop)`` ranges of ``counts`` whose sums are about ``size`` (one item at least in each)."""
    if counts.size == 0:
        return
    ends = np.cumsum(counts)
    cuts = np.searchsorted(ends, np.arange(size, int(ends[-1]), size), side="right")
    edges = np.unique(np.concatenate([[0], cuts, [len(counts)]]))
    yield from zip(edges[:-1].tolist(), edges[1:].tolist())


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty_like(a)
    out[:, 0] = a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1]
    out[:, 1] = a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2]
    out[:, 2] = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    return out


def _moller_trumbore(orig: np.ndarray, d: np.ndarray, v0: np.ndarray, e1: np.ndarray, e2: np.ndarray) -> np.ndarray:
    """Ray–triangle distances (``inf`` for a miss), both sides of the triangle, only ahead of the origin."""
    p = _cross(d, e2)
    det = np.einsum("ij,ij->i", e1, p)
    ok = np.abs(det) > 1e-18
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    s = orig - v0
    u = np.einsum("ij,ij->i", s, p) * inv
    q = _cross(s, e1)
    v = np.einsum("ij,ij->i", d, q) * inv
    t = np.einsum("ij,ij->i", e2, q) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
    return np.where(hit, t, np.inf)
