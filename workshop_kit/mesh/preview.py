"""Pictures of a mesh without a GPU or a display: a still (:func:`render_png`), pictures of several meshes on one
scale (:func:`render_pngs`) and a turntable (:func:`turntable_gif`).

A small z-buffer rasteriser written with numpy: the triangles facing the camera are cut into rows of pixels, all
triangles at once (in chunks), the nearest one wins each pixel, then each pixel is shaded from its interpolated
normal — soft Lambert light from a key and a fill lamp, a little sky-and-ground ambient and a faint highlight, like a
glazed pot in a studio. Normals are smoothed across gentle edges and kept sharp across creases (more than
:data:`CREASE_DEGREES`), so a pot looks round and a box keeps its edges. Vertex colours (a glazed pot) or face colours
are used when the mesh has them, else a clay colour. The picture is drawn at twice its size and scaled down
(anti-aliasing), over a plain neutral background with a soft contact shadow under the object.

``up`` names the object's vertical axis (``"z"`` for the kit's meshes, which are in millimetres for printing; ``"y"``
for meshes read from glTF files). ``azimuth`` turns the camera around that axis, ``elevation`` raises it; the object
is centred and framed to fill most of the picture, in a perspective view.

Examples
--------
>>> import trimesh
>>> from workshop_kit.mesh.preview import render_png
>>> image = render_png(trimesh.creation.box((30, 20, 10)), size=128)
>>> image.shape, image.dtype.name
((128, 128, 3), 'uint8')
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..i18n import Msg
from ..files import check_output_path
from ..results import FramesResult, ImageResult
from ..validation import check_choice, check_float, check_int
from .result import describe

__all__ = ["render_png", "render_pngs", "turntable_gif", "DEFAULT_BACKGROUND", "DEFAULT_COLOR", "CREASE_DEGREES"]

DEFAULT_BACKGROUND = "#ECEAE6"
"""A warm light grey: neutral behind any glaze."""

DEFAULT_COLOR = "#D2A27F"
"""Bare clay, for meshes without colours."""

CREASE_DEGREES = 35.0
"""Edges sharper than this stay sharp in the shading; gentler ones are smoothed."""

_FOV_DEGREES = 28.0
_MARGIN = 0.08  # fraction of the picture left free on each side
_SUPERSAMPLE = 2
_MAX_CANDIDATES = 3_000_000  # pixel tests per chunk of triangles
_MAX_NORMAL_PAIRS = 6_000_000  # beyond this (huge vertex fans), normals are not smoothed


def _parse_color(name: str, value) -> np.ndarray:
    """An RGB colour as a float array in [0, 1] from ``"#RRGGBB"`` or three numbers from 0 to 255."""
    if isinstance(value, str):
        text = value.strip().lstrip("#")
        if len(text) == 6:
            try:
                return np.array([int(text[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.float64) / 255.0
            except ValueError:
                pass
    elif isinstance(value, (tuple, list, np.ndarray)) and len(value) == 3:
        arr = np.asarray(value, dtype=np.float64)
        if np.all(np.isfinite(arr)) and np.all((arr >= 0) & (arr <= 255)):
            return arr / 255.0
    raise ParameterError(name, value, Msg("allowed.colour"))


def _to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)


@dataclass
class _Scene:
    """Everything about the mesh that does not depend on the camera, computed once."""

    vertices: np.ndarray  # (V, 3) with z up, centred on the bounding box
    faces: np.ndarray  # (F, 3)
    corner_normals: np.ndarray  # (F, 3, 3) unit normals at each corner
    corner_colors: np.ndarray | None  # (F, 3, 3) linear RGB at each corner, or None for one colour
    uniform_color: np.ndarray | None  # (3,) linear RGB when the whole object has one colour
    radius: float
    closed: bool
    ground: np.ndarray  # (K, 2) outline of the footprint on the ground plane (x, y)
    z_ground: float


def _corner_normals(vertices: np.ndarray, faces: np.ndarray, face_normals: np.ndarray, areas: np.ndarray,
                    crease_cos: float) -> np.ndarray:
    """Normals at each face corner: the area-weighted mean of the faces around the vertex that meet this face at
    less than the crease angle. Vertices at the same position are treated as one."""
    n_faces = len(faces)
    lo = vertices.min(axis=0)
    diag = float(np.linalg.norm(vertices.max(axis=0) - lo)) or 1.0
    q = np.round((vertices - lo) / (diag * 1e-6)).astype(np.int64)  # each below 2**20
    _, vid = np.unique((q[:, 0] << 40) | (q[:, 1] << 20) | q[:, 2], return_inverse=True)
    vid = vid.reshape(-1)
    corner_vertex = vid[faces].reshape(-1)  # (3F,)
    corner_face = np.repeat(np.arange(n_faces), 3)
    order = np.argsort(corner_vertex, kind="stable")
    sorted_vertex = corner_vertex[order]
    group_start_flags = np.r_[True, sorted_vertex[1:] != sorted_vertex[:-1]]
    group_id = np.cumsum(group_start_flags) - 1
    starts = np.flatnonzero(group_start_flags)
    sizes = np.diff(np.r_[starts, len(order)])
    reps = sizes[group_id]
    total = int(reps.sum())
    flat = np.repeat(face_normals, 3, axis=0)
    if total > _MAX_NORMAL_PAIRS:
        return flat.reshape(n_faces, 3, 3)
    first = np.repeat(np.arange(len(order)), reps)  # position in sorted order of the corner being computed
    offset = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
    second = np.repeat(starts[group_id], reps) + offset
    fi, fj = corner_face[order[first]], corner_face[order[second]]
    weight = areas[fj] * (np.einsum("ij,ij->i", face_normals[fi], face_normals[fj]) > crease_cos)
    out = np.empty((len(order), 3))
    for k in range(3):
        out[:, k] = np.bincount(first, weights=weight * face_normals[fj, k], minlength=len(order))
    normals = np.empty_like(out)
    normals[order] = out
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.where(length > 1e-12, normals / np.maximum(length, 1e-12), flat)
    return normals.reshape(n_faces, 3, 3)


def _colors(mesh, color: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(corner colours, None) for a mesh with vertex or face colours, else (None, one colour); linear RGB."""
    visual = getattr(mesh, "visual", None)
    kind = getattr(visual, "kind", None)
    if color is None and kind == "vertex":
        rgb = np.asarray(visual.vertex_colors, dtype=np.float64)[:, :3] / 255.0
        return _to_linear(rgb)[mesh.faces].astype(np.float32), None
    if color is None and kind == "face":
        rgb = np.asarray(visual.face_colors, dtype=np.float64)[:, :3] / 255.0
        return np.repeat(_to_linear(rgb)[:, None, :], 3, axis=1).astype(np.float32), None
    base = _parse_color("color", DEFAULT_COLOR) if color is None else color
    return None, _to_linear(base).astype(np.float32)


def _prepare(mesh, *, up: str, color) -> _Scene:
    import trimesh

    if not isinstance(mesh, trimesh.Trimesh):
        raise ParameterError("mesh", type(mesh).__name__, Msg("allowed.trimesh"))
    if len(mesh.faces) == 0:
        raise ParameterError("mesh", "an empty mesh", Msg("allowed.mesh_faces"))
    up = check_choice("up", up, ("z", "y"))
    color = None if color is None else _parse_color("color", color)
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    if not np.all(np.isfinite(vertices)):
        raise ParameterError("mesh", "vertices with NaN or infinity", Msg("allowed.finite_vertices"))
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if up == "y":  # (x, y, z) -> (x, -z, y): y becomes the vertical axis
        vertices = np.column_stack([vertices[:, 0], -vertices[:, 2], vertices[:, 1]])
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    centre = (lo + hi) / 2
    vertices = vertices - centre
    radius = float(np.linalg.norm(vertices, axis=1).max()) or 1.0
    tri = vertices[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    double_area = np.linalg.norm(cross, axis=1)
    face_normals = cross / np.maximum(double_area, 1e-300)[:, None]
    normals = _corner_normals(vertices, faces, face_normals, double_area, math.cos(math.radians(CREASE_DEGREES)))
    corner_colors, uniform_color = _colors(mesh, color)
    closed = bool(mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0)
    ground = _footprint(vertices[:, :2])
    return _Scene(vertices, faces, normals.astype(np.float32), corner_colors, uniform_color, radius, closed, ground,
                  float(vertices[:, 2].min()))


def _footprint(xy: np.ndarray) -> np.ndarray:
    """Convex outline of the object seen from above, for its contact shadow."""
    from scipy.spatial import ConvexHull, QhullError

    try:
        hull = ConvexHull(xy)
    except (QhullError, ValueError):
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    return xy[hull.vertices]


@dataclass
class _Camera:
    eye: np.ndarray
    right: np.ndarray
    up: np.ndarray
    forward: np.ndarray

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image-plane coordinates (x right, y up, before framing) and depth of ``points``."""
        rel = points - self.eye
        depth = rel @ self.forward
        safe = np.maximum(depth, 1e-9)
        return np.column_stack([rel @ self.right / safe, rel @ self.up / safe]), depth


def _camera(scene: _Scene, azimuth: float, elevation: float) -> _Camera:
    a, e = math.radians(azimuth), math.radians(elevation)
    toward_eye = np.array([math.sin(a) * math.cos(e), -math.cos(a) * math.cos(e), math.sin(e)])
    distance = scene.radius / math.sin(math.radians(_FOV_DEGREES) / 2)
    forward = -toward_eye
    world_up = np.array([0.0, 0.0, 1.0])
    right = np.cross(forward, world_up)
    if np.linalg.norm(right) < 1e-9:  # looking straight down or up
        right = np.array([1.0, 0.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    return _Camera(toward_eye * distance, right, up, forward)


def _extent(scene: _Scene, camera: _Camera) -> np.ndarray:
    """(xmin, ymin, xmax, ymax) of the object on the image plane."""
    plane, _ = camera.project(scene.vertices)
    return np.r_[plane.min(axis=0), plane.max(axis=0)]


def _framing(extent: np.ndarray, pixels: int) -> tuple[float, np.ndarray]:
    """Scale and centre that fit ``extent`` in a square of ``pixels`` with a margin."""
    span = max(float(extent[2] - extent[0]), float(extent[3] - extent[1]), 1e-12)
    scale = (1 - 2 * _MARGIN) * pixels / span
    centre = np.array([(extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2])
    return scale, centre


def _to_pixels(plane: np.ndarray, scale: float, centre: np.ndarray, pixels: int) -> np.ndarray:
    out = np.empty_like(plane)
    out[:, 0] = (plane[:, 0] - centre[0]) * scale + pixels / 2
    out[:, 1] = pixels / 2 - (plane[:, 1] - centre[1]) * scale
    return out


def _rasterise(xy: np.ndarray, depth: np.ndarray, faces: np.ndarray, pixels: int, *, cull: bool):
    """Nearest face and perspective-correct barycentric weights at each pixel centre.

    Scanline, vectorised: every (triangle, row) pair gets the span of pixel centres inside the triangle on that row
    (where its three edge functions are all positive), then every span is expanded into its pixels, so no pixel
    outside a triangle is ever tested. The z-buffer keeps the largest ``1 / depth``.

    Returns ``face_buffer`` (``pixels²`` ints, -1 where empty), ``weights`` (``pixels²`` × 3, float32) and
    ``back`` (per face: seen from behind).
    """
    n_pix = pixels * pixels
    inv_z = 1.0 / np.maximum(depth, 1e-12)
    zbuf = np.zeros(n_pix)
    face_buf = np.full(n_pix, -1, dtype=np.int64)
    weights = np.zeros((n_pix, 3), dtype=np.float32)
    p0, p1, p2 = xy[faces[:, 0]], xy[faces[:, 1]], xy[faces[:, 2]]
    area = (p1[:, 0] - p0[:, 0]) * (p2[:, 1] - p0[:, 1]) - (p1[:, 1] - p0[:, 1]) * (p2[:, 0] - p0[:, 0])
    # y grows downwards, so a triangle wound counter-clockwise as seen by the camera has a negative area here.
    back = area > 0
    keep = (area < -1e-12) if cull else (np.abs(area) > 1e-12)
    keep &= np.all(depth[faces] > 0, axis=1)
    tri_y = np.stack([p0[:, 1], p1[:, 1], p2[:, 1]], axis=1)
    y0 = np.clip(np.ceil(tri_y.min(axis=1) - 0.5), 0, pixels).astype(np.int64)
    y1 = np.clip(np.floor(tri_y.max(axis=1) - 0.5), -1, pixels - 1).astype(np.int64)
    rows = np.where(keep, np.maximum(y1 - y0 + 1, 0), 0)
    ids = np.flatnonzero(rows)
    if ids.size == 0:
        return face_buf, weights, back
    # Edge functions: lambda_i(x, y) = a_i x + b_i y + c_i, normalised by the area (positive inside).
    inv_area = 1.0 / area[ids]
    q0, q1, q2 = p0[ids], p1[ids], p2[ids]
    ea, eb, ec = np.empty((3, ids.size)), np.empty((3, ids.size)), np.empty((3, ids.size))
    for i, (a_pt, b_pt) in enumerate(((q1, q2), (q2, q0), (q0, q1))):
        ea[i] = (a_pt[:, 1] - b_pt[:, 1]) * inv_area
        eb[i] = (b_pt[:, 0] - a_pt[:, 0]) * inv_area
        ec[i] = (a_pt[:, 0] * b_pt[:, 1] - b_pt[:, 0] * a_pt[:, 1]) * inv_area
    corner_inv_z = inv_z[faces[ids]].T  # (3, k)
    # (triangle, row) pairs
    n_rows = rows[ids]
    tri = np.repeat(np.arange(ids.size), n_rows)
    row = np.repeat(y0[ids], n_rows) + (np.arange(int(n_rows.sum())) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows))
    cy = row + 0.5
    lo = np.full(tri.size, -np.inf)
    hi = np.full(tri.size, np.inf)
    for i in range(3):
        a = ea[i][tri]
        rest = eb[i][tri] * cy + ec[i][tri]
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = -rest / a
        lo = np.where(a > 0, np.maximum(lo, bound), lo)
        hi = np.where(a < 0, np.minimum(hi, bound), hi)
        # an edge parallel to the row: the whole row is in or out
        hi = np.where((a == 0) & (rest < 0), -np.inf, hi)
    x_start = np.clip(np.ceil(lo - 0.5 - 1e-9), 0, pixels).astype(np.int64)
    x_end = np.clip(np.floor(hi - 0.5 + 1e-9), -1, pixels - 1).astype(np.int64)
    span = np.maximum(x_end - x_start + 1, 0)
    good = span > 0
    tri, row, cy, x_start, span = tri[good], row[good], cy[good], x_start[good], span[good]
    # Along a row, lambda_i * (1 / z_i) is linear in x: keep its value at the span's first pixel and its step.
    cx = x_start + 0.5
    iz = corner_inv_z[:, tri]  # (3, spans)
    b_start = np.empty((3, tri.size))
    b_step = np.empty((3, tri.size))
    for i in range(2):
        b_start[i] = (ea[i][tri] * cx + eb[i][tri] * cy + ec[i][tri]) * iz[i]
        b_step[i] = ea[i][tri] * iz[i]
    b_start[2] = (1.0 - (b_start[0] / iz[0]) - (b_start[1] / iz[1])) * iz[2]
    b_step[2] = -(ea[0][tri] + ea[1][tri]) * iz[2]
    z_start = b_start.sum(axis=0)
    z_step = b_step.sum(axis=0)
    first_pixel = row * pixels + x_start
    face_of_span = ids[tri]
    cum = np.cumsum(span)
    begin = 0
    while begin < span.size:
        done = int(cum[begin - 1]) if begin else 0
        end = max(int(np.searchsorted(cum, done + _MAX_CANDIDATES, side="right")), begin + 1)
        n = span[begin:end]
        offset = (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)).astype(np.float64)
        z = np.repeat(z_start[begin:end], n) + np.repeat(z_step[begin:end], n) * offset
        pix = np.repeat(first_pixel[begin:end], n) + offset.astype(np.int64)
        np.maximum.at(zbuf, pix, z)
        win = np.flatnonzero(z >= zbuf[pix])
        which = np.repeat(np.arange(begin, end), n)[win]
        pix, z, offset = pix[win], z[win], offset[win]
        face_buf[pix] = face_of_span[which]
        inv = 1.0 / z
        b0 = (b_start[0, which] + b_step[0, which] * offset) * inv
        b1 = (b_start[1, which] + b_step[1, which] * offset) * inv
        weights[pix, 0] = b0
        weights[pix, 1] = b1
        weights[pix, 2] = 1.0 - b0 - b1
        begin = end
    return face_buf, weights, back


def _shade(scene: _Scene, camera: _Camera, face_buf: np.ndarray, weights: np.ndarray,
           back: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear RGB of covered pixels, and their indices."""
    covered = np.flatnonzero(face_buf >= 0)
    f = face_buf[covered]
    w = weights[covered]
    n3 = scene.corner_normals
    c3 = scene.corner_colors
    normal = np.einsum("nk,nkc->nc", w, np.take(n3, f, axis=0))
    normal *= (1.0 / np.maximum(np.sqrt(np.einsum("ij,ij->i", normal, normal)), 1e-12))[:, None]
    # faces seen from behind (inside of an open pot) are lit as if they faced the camera
    flip = back[f]
    if flip.any():
        normal[flip] *= -1
    if scene.uniform_color is not None:
        base = scene.uniform_color
    else:
        base = np.einsum("nk,nkc->nc", w, np.take(c3, f, axis=0))
    view = -camera.forward.astype(np.float32)
    # Lamps placed relative to the camera: a key from the upper left, a fill from the right.
    key = -0.55 * camera.right + 0.65 * camera.up - 0.5 * camera.forward + np.array([0.0, 0.0, 0.25])
    key /= np.linalg.norm(key)
    fill = 0.85 * camera.right + 0.05 * camera.up - 0.55 * camera.forward
    fill /= np.linalg.norm(fill)
    half = key - camera.forward
    half /= np.linalg.norm(half)
    lamps = np.stack([key, fill, half, np.array([0.0, 0.0, 1.0]), view]).T.astype(np.float32)  # (3, 5)
    dots = normal @ lamps
    light = (0.80 * np.clip(dots[:, 0], 0, None) + 0.20 * np.clip(dots[:, 1], 0, None)
             + 0.15 + 0.10 * (0.5 + 0.5 * dots[:, 3]))
    s8 = np.clip(dots[:, 2], 0, 1)
    for _ in range(3):
        s8 = s8 * s8
    spec = 0.08 * s8 * (s8 * s8) ** 2  # (n.h) ** 40
    rgb = base * light[:, None] + spec[:, None]
    return rgb, covered


def _render(scene: _Scene, *, azimuth: float, elevation: float, size: int, background: np.ndarray,
            extent: np.ndarray | None = None, shadow: bool = True) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFilter

    ss = _SUPERSAMPLE
    pixels = size * ss
    camera = _camera(scene, azimuth, elevation)
    if extent is None:
        extent = _extent(scene, camera)
    scale, centre = _framing(extent, pixels)
    plane, depth = camera.project(scene.vertices)
    xy = _to_pixels(plane, scale, centre, pixels)
    face_buf, weights, back = _rasterise(xy, depth, scene.faces, pixels, cull=scene.closed)

    bg_linear = _to_linear(background)
    canvas = np.empty((pixels * pixels, 3), dtype=np.float32)
    canvas[:] = bg_linear
    if shadow and elevation > -5:
        ground = np.column_stack([scene.ground, np.full(len(scene.ground), scene.z_ground)])
        gplane, gdepth = camera.project(ground)
        if np.all(gdepth > 0):
            gxy = _to_pixels(gplane, scale / ss, centre, size)  # drawn at the final size, then blurred
            mask = Image.new("L", (size, size), 0)
            ImageDraw.Draw(mask).polygon([tuple(p) for p in gxy], fill=255)
            mask = mask.filter(ImageFilter.GaussianBlur(radius=max(1.0, size * 0.025)))
            mask = mask.resize((pixels, pixels), Image.Resampling.BILINEAR)
            darkness = np.asarray(mask, dtype=np.float32).reshape(-1) * np.float32(0.35 / 255.0)
            canvas *= (1.0 - darkness)[:, None]
    rgb, covered = _shade(scene, camera, face_buf, weights, back)
    canvas[covered] = rgb
    # scale down in linear light, then to sRGB
    canvas = canvas.reshape(pixels, pixels, 3)
    total = np.zeros((size, size, 3), dtype=np.float32)
    for dy in range(ss):
        for dx in range(ss):
            total += canvas[dy::ss, dx::ss]
    canvas = total * np.float32(1.0 / (ss * ss))
    return np.round(_to_srgb(canvas) * 255.0).astype(np.uint8)


def _check_view(size: int, azimuth: float, elevation: float, *, max_size: int = 2048) -> tuple[int, float, float]:
    size = check_int("size", size, 16, max_size)
    azimuth = check_float("azimuth", azimuth, -3600.0, 3600.0)
    elevation = check_float("elevation", elevation, -89.0, 89.0)
    return size, azimuth, elevation


def render_png(mesh, *, size: int = 512, azimuth: float = 30.0, elevation: float = 20.0,
               background=DEFAULT_BACKGROUND, color=None, up: str = "z",
               path: str | os.PathLike | None = None) -> np.ndarray:
    """A shaded picture of ``mesh``, drawn on the CPU.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        The object. Its vertex or face colours are used (not textures); else ``color``.
    size : int
        Width and height in pixels, from 16 to 2048.
    azimuth : float
        Degrees the camera turns around the vertical axis; 0 looks at the object from the front (from minus y).
    elevation : float
        Degrees above the horizon, from -89 to 89.
    background : str or tuple
        ``"#RRGGBB"`` or ``(r, g, b)`` from 0 to 255.
    color : str, tuple or None
        Colour of the whole object, replacing its own colours; ``None`` keeps them (clay when it has none).
    up : str
        The mesh's vertical axis: ``"z"`` (the kit's meshes, 3D printing) or ``"y"`` (glTF files).
    path : str, path-like or None
        Also save the picture as a PNG file there, with its provenance sidecar ``<path>.json`` (written atomically).

    Returns
    -------
    numpy.ndarray
        ``(size, size, 3)`` ``uint8`` RGB picture. The same mesh and options always give the same pixels.

    Raises
    ------
    ParameterError
        A bad option or an empty mesh; :class:`~workshop_kit.errors.OutputPathError` for a bad ``path``.
    """
    size, azimuth, elevation = _check_view(size, azimuth, elevation)
    options = {"size": size, "azimuth": azimuth, "elevation": elevation, "background": background, "color": color,
               "up": up}
    background = _parse_color("background", background)
    target = None if path is None else check_output_path(path, (".png",), name="path")
    start = time.perf_counter()
    scene = _prepare(mesh, up=up, color=color)
    image = _render(scene, azimuth=azimuth, elevation=elevation, size=size, background=background)
    if target is not None:
        ImageResult(engine="preview", seed=None, params={"of": describe(mesh), **options}, device="cpu",
                    seconds=time.perf_counter() - start, image=image).save(target)
    return image


def render_pngs(meshes, *, size: int = 192, azimuth: float = 30.0, elevation: float = 15.0,
                same_scale: bool = True) -> list[np.ndarray]:
    """A picture of each mesh from the same camera; with ``same_scale``, every object at the scale of the largest.

    :func:`render_png` fills its picture with the object, so with ``same_scale`` a smaller object is drawn on a
    smaller picture (in proportion to its size on screen) and set, centred, on the ground line of a full-size one:
    sizes compare, as on a shelf.

    Parameters
    ----------
    meshes : sequence of trimesh.Trimesh
        The objects (see :func:`render_png`).
    size : int
        Width and height of each picture, from 16 to 2048 pixels.
    azimuth, elevation : float
        The camera, as in :func:`render_png`.
    same_scale : bool
        One scale for all (``True``), or each object filling its own picture.

    Returns
    -------
    list of numpy.ndarray
        ``(size, size, 3)`` ``uint8`` RGB pictures, in the order of ``meshes``.
    """
    size, azimuth, elevation = _check_view(size, azimuth, elevation)
    background = _parse_color("background", DEFAULT_BACKGROUND)
    scenes = [_prepare(m, up="z", color=None) for m in meshes]
    spans = []
    for scene in scenes:
        extent = _extent(scene, _camera(scene, azimuth, elevation))
        distance = scene.radius / np.sin(np.radians(_FOV_DEGREES) / 2)
        spans.append(max(extent[2] - extent[0], extent[3] - extent[1]) * distance)
    largest = max(spans)
    out = []
    for scene, span in zip(scenes, spans):
        own = size if not same_scale else max(16, int(round(size * span / largest)))
        picture = _render(scene, azimuth=azimuth, elevation=elevation, size=own, background=background)
        if own == size:
            out.append(picture)
            continue
        canvas = np.empty((size, size, 3), dtype=np.uint8)
        canvas[:] = np.round(background * 255).astype(np.uint8)
        left = (size - own) // 2
        canvas[size - own:, left:left + own] = picture
        out.append(canvas)
    return out


def turntable_gif(mesh, path: str | os.PathLike, *, frames: int = 24, size: int = 320, elevation: float = 20.0,
                  seconds: float = 3.0, background=DEFAULT_BACKGROUND, color=None, up: str = "z") -> Path:
    """Write an animated GIF of ``mesh`` turning once around its vertical axis.

    Parameters
    ----------
    mesh : trimesh.Trimesh
        The object (see :func:`render_png`).
    path : str or path-like
        Where to write the ``.gif``; the folder must exist. Written atomically.
    frames : int
        Pictures in one turn, from 2 to 360.
    size : int
        Width and height in pixels, from 16 to 1024.
    elevation : float
        Degrees above the horizon.
    seconds : float
        Length of one turn, from 0.1 to 60 s; the GIF loops forever.
    background, color, up
        As in :func:`render_png`.

    Returns
    -------
    pathlib.Path
        The file written, with its provenance sidecar ``<path>.json``.

    Notes
    -----
    The object is framed once for the whole turn, so it does not jump in size. All frames share one 256-colour
    palette. A GIF cannot hold two identical frames in a row: those of a perfectly round, plain pot can come out the
    same, and are then stored as one longer frame (it plays the same).
    """
    target = check_output_path(path, (".gif",), name="path")
    frames = check_int("frames", frames, 2, 360)
    size, _, elevation = _check_view(size, 0.0, elevation, max_size=1024)
    seconds = check_float("seconds", seconds, 0.1, 60.0)
    options = {"frames": frames, "size": size, "elevation": elevation, "seconds": seconds, "background": background,
               "color": color, "up": up}
    background = _parse_color("background", background)
    start = time.perf_counter()
    scene = _prepare(mesh, up=up, color=color)
    azimuths = [360.0 * k / frames for k in range(frames)]
    extents = np.array([_extent(scene, _camera(scene, a, elevation)) for a in azimuths])
    extent = np.r_[extents[:, :2].min(axis=0), extents[:, 2:].max(axis=0)]
    pictures = np.stack([_render(scene, azimuth=a, elevation=elevation, size=size, background=background,
                                 extent=extent) for a in azimuths])
    turn = FramesResult(engine="turntable", seed=None, params={"of": describe(mesh), **options}, device="cpu",
                        seconds=time.perf_counter() - start, frames=pictures, fps=frames / seconds, dither=True)
    return turn.save(target)
