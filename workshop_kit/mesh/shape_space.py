"""A learned space of vessel shapes: a small autoencoder that squeezes a pot's outline into a few numbers.

A *profile* is the outline of a pot turned on a wheel: its outside radius at :data:`N_POINTS` evenly spaced heights,
from the foot (index 0) to the rim (the last index), divided by the pot's height, so that a profile holds its shape
and not its size. The autoencoder reads a profile into a latent vector of :data:`LATENT_DIM` numbers
(:func:`encode`) and turns any latent vector back into a profile (:func:`decode`). Its decoder writes the logarithm
of the radius as a sum of smooth bumps (cubic B-splines), so whatever latent it is given, the profile it returns is
smooth and its radii are positive: walking in a straight line from a tagine to a vase (:func:`interpolate`) gives a
family of pots that change little by little, each of which can be turned into a watertight vessel
(:func:`vessel_from_profile`) and shown side by side (:func:`strip`) or as an animation (:func:`gif`).

The model was trained by :mod:`workshop_kit.mesh.train_shapes` on outlines this module makes
(:func:`make_profiles`: the lathe presets with random nudges, blends between them, random smooth outlines); its
files are in ``workshop_kit/models/shape-space`` (see ``MODEL_CARD.md`` there, with its error on held-out outlines
against a PCA of the same size). It is read once per folder and kept (:func:`load_model`).

The tagine's profile is its whole silhouette, dish and lid in one outline up to the knob: in the shape space it is
one closed pot whose narrow mouth is the knob.

Examples
--------
>>> from workshop_kit.mesh import shape_space
>>> profiles = shape_space.interpolate("tagine", "vase", 5)      # doctest: +SKIP
>>> meshes = [shape_space.vessel_from_profile(p, height_mm=150).mesh for p in profiles]  # doctest: +SKIP
>>> picture = shape_space.strip(meshes)                             # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import shipped
from ..device import no_torch_device
from ..errors import ParameterError
from ..i18n import Msg
from ..files import check_output_path
from ..media import side_by_side
from ..palettes import PALETTES
from ..registry import ENGINES
from ..results import FramesResult, ImageResult
from ..validation import check_choice, check_float, check_int, resolve_seed
from . import reclaim
from .lathe import PRESETS, profile_curve
from .preview import render_pngs
from .printability import DEFAULT_MIN_WALL_MM, bed_note, round_fit_height
from .result import MeshResult, describe

__all__ = [
    "N_POINTS",
    "LATENT_DIM",
    "MIN_RADIUS",
    "MAX_RADIUS",
    "HEIGHT_MM",
    "MODEL",
    "PRESET_OUTLINES",
    "preset_profile",
    "profile_from_points",
    "make_profiles",
    "check_profile",
    "bspline_basis",
    "build_network",
    "ShapeModel",
    "load_model",
    "encode",
    "decode",
    "interpolate",
    "sample",
    "vessel_from_profile",
    "generate",
    "strip",
    "gif",
]

#: Radii in a profile, at evenly spaced heights from the foot to the rim.
N_POINTS = 64
#: Numbers in a latent vector (the shipped model's; a retrained one says its own in ``config.json``).
LATENT_DIM = 6
#: Smallest and largest radius of a profile, as a fraction of the height.
MIN_RADIUS, MAX_RADIUS = 0.03, 2.5
#: The shipped model (package data; ``$WORKSHOP_KIT_SHAPE_MODEL`` names another folder).
MODEL = shipped.SHIPPED["shape-space"]
ENGINE = ENGINES["shape-space"]
WEIGHTS_FILE, CONFIG_FILE, BASELINE_FILE = "model.safetensors", "config.json", "baseline.safetensors"
METRICS_FILE, CARD_FILE = "metrics.json", "MODEL_CARD.md"

_CONTROL_POINTS = 25  # control points handed to the lathe's spline when a profile becomes a vessel
#: The height a pot is made at when none is given (less where it would not fit the print bed).
HEIGHT_MM = 200.0
_MAX_BLEND = 64  # most profiles interpolate() returns


def _outlines() -> dict[str, tuple[tuple[float, float], ...]]:
    """Each lathe preset's outside outline; the tagine's is its whole silhouette, dish then lid turned upright."""
    out = {}
    for name, spec in PRESETS.items():
        points = list(spec.profile)
        if spec.lid is not None:
            top, rim = spec.drawn_mm, points[-1][1]
            points += [(r, top - z) for r, z in reversed(spec.lid) if top - z > rim + 1e-9]
        out[name] = tuple((float(r), float(z)) for r, z in points)
    return out


#: Outlines of the lathe presets, control points ``(radius_mm, height_mm)`` from the foot up.
PRESET_OUTLINES: dict[str, tuple[tuple[float, float], ...]] = _outlines()


# --------------------------------------------------------------------------------------------------------- profiles


def _heights(n: int = N_POINTS) -> np.ndarray:
    return np.linspace(0.0, 1.0, n)


def profile_from_points(points, *, n: int = N_POINTS) -> np.ndarray:
    """A profile from control points of an outline, e.g. one a participant drew.

    Parameters
    ----------
    points : array-like of shape (k, 2)
        ``(radius, height)`` pairs from the foot up, in any unit (millimetres, pixels …); at least 3, heights
        strictly rising from the first to the last, radii positive. A smooth curve runs through them, as on the
        lathe.
    n : int
        Radii in the profile, from 8 to 1024.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` radii divided by the height, clipped to :data:`MIN_RADIUS` … :data:`MAX_RADIUS`.
    """
    n = check_int("n", n, 8, 1024)
    try:
        pts = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError("points", _short(points), Msg("allowed.profile_points")) from None
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.all(np.isfinite(pts)):
        raise ParameterError("points", _short(points), Msg("allowed.profile_points_min"))
    if np.any(np.diff(pts[:, 1]) <= 0):
        raise ParameterError("points", _short(points), Msg("allowed.rising_heights"))
    if np.any(pts[:, 0] <= 0):
        raise ParameterError("points", _short(points), Msg("allowed.radii_positive"))
    pts = pts - [0.0, pts[0, 1]]
    height = pts[-1, 1]
    curve = profile_curve(pts)
    radii = np.interp(_heights(n) * height, curve[:, 1], curve[:, 0]) / height
    return np.clip(radii, MIN_RADIUS, MAX_RADIUS)


def preset_profile(name: str, *, n: int = N_POINTS) -> np.ndarray:
    """The profile of a lathe preset (``"tagine"``, ``"jar"``, ``"vase"``, ``"bowl"``), without nudges."""
    name = check_choice("preset", name, PRESET_OUTLINES.keys())
    return profile_from_points(PRESET_OUTLINES[name], n=n)


def _smooth_noise(rng: np.random.Generator, k: int) -> np.ndarray:
    noise = rng.uniform(-1.0, 1.0, k)
    padded = np.concatenate([noise[:1], noise, noise[-1:]])
    return 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:]


def _nudged_preset(rng: np.random.Generator, names: list[str]) -> np.ndarray:
    """A preset outline with its radii nudged by up to about 20 %, its inner heights moved a little, its width
    scaled by 0.8 … 1.25."""
    pts = np.array(PRESET_OUTLINES[names[int(rng.integers(len(names)))]], dtype=np.float64)
    pts[:, 0] *= (1 + 0.2 * _smooth_noise(rng, len(pts))) * rng.uniform(0.8, 1.25)
    gaps = np.diff(pts[:, 1]) * rng.uniform(0.75, 1.3, len(pts) - 1)
    pts[1:, 1] = np.cumsum(gaps)
    return profile_from_points(pts)


def _random_outline(rng: np.random.Generator) -> np.ndarray:
    """A random smooth outline: 4 to 8 control points, radii a random walk in log space."""
    k = int(rng.integers(4, 9))
    heights = np.sort(rng.uniform(0.05, 0.95, k - 2))
    heights = np.concatenate([[0.0], heights, [1.0]])
    heights = heights + np.arange(k) * 1e-3  # strictly rising
    log_r = np.log(rng.uniform(0.12, 0.8)) + np.cumsum(rng.normal(0.0, 0.35, k))
    radii = np.exp(np.clip(log_r, np.log(0.05), np.log(1.4)))
    return profile_from_points(np.column_stack([radii, heights]))


def make_profiles(n: int, *, seed: int) -> np.ndarray:
    """``n`` profiles for training and testing: the same ``seed`` gives the same profiles.

    About 40 % are lathe presets with random nudges (radii, spacing of the control points, width), 30 % blends of
    two nudged presets (a weighted mean of their log radii), 30 % random smooth outlines.

    Returns
    -------
    numpy.ndarray
        ``(n, N_POINTS)`` radii divided by height.
    """
    n = check_int("n", n, 1, 1_000_000)
    seed = resolve_seed(seed)
    rng = np.random.default_rng(seed)
    names = list(PRESET_OUTLINES.keys())
    out = np.empty((n, N_POINTS))
    kinds = rng.choice(3, size=n, p=[0.4, 0.3, 0.3])
    for i, kind in enumerate(kinds):
        if kind == 0:
            out[i] = _nudged_preset(rng, names)
        elif kind == 1:
            w = rng.uniform(0.0, 1.0)
            a, b = _nudged_preset(rng, names), _nudged_preset(rng, names)
            out[i] = np.exp((1 - w) * np.log(a) + w * np.log(b))
        else:
            out[i] = _random_outline(rng)
    return np.clip(out, MIN_RADIUS, MAX_RADIUS)


def check_profile(profile, name: str = "profile") -> np.ndarray:
    """Return ``profile`` as a float array of :data:`N_POINTS` radii, or raise :class:`ParameterError`.

    A profile has :data:`N_POINTS` finite radii from :data:`MIN_RADIUS` to :data:`MAX_RADIUS` (fractions of the
    height), from the foot to the rim. Control points ``(k, 2)`` are accepted too and resampled
    (:func:`profile_from_points`), and so is the name of a lathe preset.
    """
    if isinstance(profile, str):
        return preset_profile(profile)
    try:
        arr = np.asarray(profile, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(name, _short(profile), Msg("allowed.profile_spec", n=N_POINTS)) from None
    if arr.ndim == 2 and arr.shape[1] == 2 and arr.shape[0] != N_POINTS:
        return profile_from_points(arr)
    allowed = Msg("allowed.profile_radii", n=N_POINTS, low=MIN_RADIUS, high=MAX_RADIUS)
    if arr.shape != (N_POINTS,) or not np.all(np.isfinite(arr)):
        raise ParameterError(name, _short(profile), allowed)
    if arr.min() < MIN_RADIUS - 1e-9 or arr.max() > MAX_RADIUS + 1e-9:
        raise ParameterError(name, _short(profile), allowed,
                             reason=Msg("reason.radii_span", low=arr.min(), high=arr.max()))
    return arr


def _short(value: object) -> object:
    text = repr(value)
    return value if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------------------------------------------------ model


def bspline_basis(n_points: int, n_basis: int) -> np.ndarray:
    """``(n_points, n_basis)`` clamped uniform cubic B-splines on [0, 1]: smooth bumps that add up to 1."""
    degree = 3
    inner = np.linspace(0.0, 1.0, n_basis - degree + 1)
    knots = np.concatenate([[0.0] * degree, inner, [1.0] * degree])
    t = np.clip(_heights(n_points), 0.0, 1.0 - 1e-12)
    basis = np.array([(knots[i] <= t) & (t < knots[i + 1]) for i in range(len(knots) - 1)], dtype=np.float64).T
    for d in range(1, degree + 1):
        new = np.zeros((len(t), len(knots) - 1 - d))
        for i in range(len(knots) - 1 - d):
            left = knots[i + d] - knots[i]
            right = knots[i + d + 1] - knots[i + 1]
            if left > 0:
                new[:, i] += (t - knots[i]) / left * basis[:, i]
            if right > 0:
                new[:, i] += (knots[i + d + 1] - t) / right * basis[:, i + 1]
        basis = new
    basis[-1] = 0.0
    basis[-1, -1] = 1.0  # the rim: the last bump alone
    return basis


def build_network(config: dict[str, Any]):
    """The autoencoder's torch modules, from ``config`` (see ``config.json``)."""
    import torch
    from torch import nn

    n, hidden, latent, n_basis = config["n_points"], config["hidden"], config["latent_dim"], config["n_basis"]

    class ShapeAutoencoder(nn.Module):
        """MLP encoder (standardised log radii → latent) and MLP decoder (latent → B-spline weights → log radii)."""

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(n, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                         nn.Linear(hidden, latent))
            self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                         nn.Linear(hidden, n_basis))
            self.register_buffer("basis", torch.tensor(bspline_basis(n, n_basis), dtype=torch.float32))
            self.register_buffer("x_mean", torch.zeros(n))
            self.register_buffer("x_std", torch.ones(n))

        def encode(self, log_radii):
            return self.encoder((log_radii - self.x_mean) / self.x_std)

        def decode(self, z):
            return (self.decoder(z) @ self.basis.T) * self.x_std + self.x_mean

        def forward(self, log_radii):
            return self.decode(self.encode(log_radii))

    return ShapeAutoencoder()


def _soft_clamp(x: np.ndarray, lo: float, hi: float, width: float = 0.1) -> np.ndarray:
    """``x`` kept within [lo, hi] by smooth bends (softplus) rather than corners, so a clamped outline stays smooth."""
    x = lo + width * np.logaddexp(0.0, (x - lo) / width)
    return hi - width * np.logaddexp(0.0, (hi - x) / width)


class ShapeModel:
    """The loaded autoencoder, its configuration, and the PCA baseline it was measured against."""

    def __init__(self, net, config: dict[str, Any], baseline: dict[str, np.ndarray], folder: Path):
        self.net = net
        self.config = config
        self.baseline = baseline
        self.folder = folder

    @property
    def latent_dim(self) -> int:
        return int(self.config["latent_dim"])

    def encode(self, profiles: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            x = torch.tensor(np.log(profiles), dtype=torch.float32)
            return self.net.encode(x).numpy().astype(np.float64)

    def decode(self, z: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            log_r = self.net.decode(torch.tensor(z, dtype=torch.float32)).numpy().astype(np.float64)
        return np.clip(np.exp(_soft_clamp(log_r, math.log(MIN_RADIUS), math.log(MAX_RADIUS))), MIN_RADIUS, MAX_RADIUS)

    def pca_reconstruct(self, profiles: np.ndarray) -> np.ndarray:
        """The PCA baseline's reconstruction (same latent size, on log radii)."""
        mean, comps = self.baseline["pca_mean"], self.baseline["pca_components"]
        x = np.log(profiles) - mean
        return np.clip(np.exp((x @ comps.T) @ comps + mean), MIN_RADIUS, MAX_RADIUS)


def _build(folder: Path, device: str) -> ShapeModel:
    from safetensors.torch import load_file

    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    net = build_network(config)
    net.load_state_dict(load_file(str(folder / WEIGHTS_FILE)))
    net.eval()
    baseline = {k: v.numpy().astype(np.float64) for k, v in load_file(str(folder / BASELINE_FILE)).items()}
    return ShapeModel(net, config, baseline, folder)


def load_model(path: str | os.PathLike | None = None) -> ShapeModel:
    """The autoencoder in ``path`` (default: the shipped one), read once and reused. Runs on the CPU: it is tiny.

    Raises :class:`MissingModelError` when the folder holds no model, with the command that trains one.
    """
    return shipped.load(MODEL.key, path, "cpu", _build)


def _check_latent(z, model: ShapeModel, name: str = "z") -> np.ndarray:
    try:
        arr = np.asarray(z, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(name, _short(z), Msg("allowed.latent", n=model.latent_dim)) from None
    if arr.shape != (model.latent_dim,) and not (arr.ndim == 2 and arr.shape[1] == model.latent_dim):
        raise ParameterError(name, _short(z), Msg("allowed.latent_rows", n=model.latent_dim))
    if not np.all(np.isfinite(arr)) or np.abs(arr).max(initial=0.0) > 1e3:
        raise ParameterError(name, _short(z), Msg("allowed.latent_bounded", n=model.latent_dim))
    return arr


def encode(profile, *, model_path=None) -> np.ndarray:
    """The latent vector of a profile.

    Parameters
    ----------
    profile : array-like or str
        :data:`N_POINTS` radii divided by height (see :func:`check_profile`), ``(k, 2)`` control points, or the
        name of a lathe preset; or an ``(m, N_POINTS)`` array of profiles.
    model_path : path, optional
        Another model folder (default: the shipped one).

    Returns
    -------
    numpy.ndarray
        ``(latent_dim,)``, or ``(m, latent_dim)`` for ``m`` profiles.
    """
    model = load_model(model_path)
    if not isinstance(profile, str):
        try:
            rows = np.asarray(profile, dtype=np.float64)
        except (TypeError, ValueError):
            rows = None
        if rows is not None and rows.ndim == 2 and rows.shape[1] == N_POINTS:
            return model.encode(np.array([check_profile(p) for p in rows]))
    return model.encode(check_profile(profile)[None])[0]


def decode(z, *, model_path=None) -> np.ndarray:
    """The profile of a latent vector (or of each row of an array of them): smooth, positive, foot first."""
    model = load_model(model_path)
    arr = _check_latent(z, model)
    out = model.decode(np.atleast_2d(arr))
    return out[0] if arr.ndim == 1 else out


def interpolate(a, b, n: int = 7, *, model_path=None) -> np.ndarray:
    """``n`` profiles from ``a`` to ``b``, walking in a straight line through the latent space.

    Parameters
    ----------
    a, b : array-like or str
        Profiles, control points or preset names (see :func:`check_profile`).
    n : int
        How many profiles, ends included, from 2 to 64.

    Returns
    -------
    numpy.ndarray
        ``(n, N_POINTS)``; the first and last are the model's reconstructions of ``a`` and ``b``.
    """
    n = check_int("n", n, 2, _MAX_BLEND)
    pa, pb = check_profile(a, "a"), check_profile(b, "b")
    model = load_model(model_path)
    za, zb = model.encode(np.stack([pa, pb]))
    w = np.linspace(0.0, 1.0, n)[:, None]
    return model.decode((1 - w) * za + w * zb)


def sample(n: int = 1, *, seed: int | None = None, spread: float = 1.0, model_path=None) -> np.ndarray:
    """``n`` new profiles from random latent vectors, drawn around those of the training outlines.

    ``spread`` scales how far from the usual shapes they go (0 … 3). The same seed gives the same profiles.
    """
    n = check_int("n", n, 1, 1024)
    spread = check_float("spread", spread, 0.0, 3.0)
    seed = resolve_seed(seed)
    model = load_model(model_path)
    rng = np.random.default_rng(seed)
    mean = np.asarray(model.config["latent_mean"])
    std = np.asarray(model.config["latent_std"])
    z = mean + spread * std * rng.standard_normal((n, model.latent_dim))
    return model.decode(z)


# ----------------------------------------------------------------------------------------------------------- meshes


def vessel_from_profile(profile, *, height_mm: float = 200.0, wall_mm: float | None = None, segments: int = 96,
                        palette: str | None = None, seed: int | None = None) -> MeshResult:
    """Turn a profile into a watertight vessel with a real wall, in millimetres, through the lathe's code.

    Parameters
    ----------
    profile : array-like or str
        A profile, control points or a preset name (see :func:`check_profile`).
    height_mm : float
        Height from 20 to 600 mm; the radii scale with it.
    wall_mm : float or None
        Wall (and floor) thickness from 1 to 20 mm, less than 45 % of the narrowest radius; ``None`` picks 2.5 %
        of the height, at least the 1.2 mm an FDM printer needs
        (:data:`~workshop_kit.mesh.printability.DEFAULT_MIN_WALL_MM`) and within those bounds, thinner where a
        tight curve needs it.
    segments : int
        Facets around the axis, 16 to 512.
    palette : str or None
        Glaze bands from :data:`workshop_kit.palettes.PALETTES`; ``None`` leaves the clay bare.
    seed : int or None
        Draws the glaze bands; ``None`` draws a fresh seed. The shape itself does not depend on it.

    Returns
    -------
    MeshResult
        ``engine="shape-space"``; ``result.params["profile"]`` holds the profile (rounded), so the pot can be made
        again.

    Raises
    ------
    ParameterError
        A bad profile or option, or a wall too thick for the profile's narrowest part or sharpest curve.
    """
    from .lathe import MAX_HEIGHT_MM, MAX_SEGMENTS, MAX_WALL_MM, MIN_HEIGHT_MM, MIN_SEGMENTS, MIN_WALL_MM, vessel

    prof = check_profile(profile)
    height_mm = check_float("height_mm", height_mm, MIN_HEIGHT_MM, MAX_HEIGHT_MM)
    narrowest = float(prof.min()) * height_mm
    thickest = min(MAX_WALL_MM, 0.45 * narrowest)
    if thickest < MIN_WALL_MM:
        lowest = f"{MIN_WALL_MM / (0.45 * prof.min()):.0f}"
        raise ParameterError("height_mm", height_mm, Msg("allowed.at_least_mm", n=lowest),
                             reason=Msg("reason.profile_too_thin", narrowest=narrowest, wall=MIN_WALL_MM))
    chosen = wall_mm is None
    if chosen:
        wall_mm = float(min(max(0.025 * height_mm, DEFAULT_MIN_WALL_MM), thickest))
    else:
        wall_mm = check_float("wall_mm", wall_mm, MIN_WALL_MM, MAX_WALL_MM)
        if wall_mm > thickest:
            raise ParameterError("wall_mm", wall_mm, Msg("allowed.float_range_2f", low=MIN_WALL_MM, high=thickest),
                                 reason=Msg("reason.wall_45", narrowest=narrowest))
    segments = check_int("segments", segments, MIN_SEGMENTS, MAX_SEGMENTS)
    if palette is not None:
        palette = check_choice("palette", palette, PALETTES)
    seed = resolve_seed(seed)

    start = time.perf_counter()
    control = _control(prof) * height_mm
    while True:
        try:
            mesh = vessel(control, wall_mm=wall_mm, segments=segments, palette=palette,
                          rng=np.random.default_rng(seed))
            break
        except ParameterError:
            if not chosen or wall_mm <= MIN_WALL_MM:
                raise
            wall_mm = max(MIN_WALL_MM, 0.7 * wall_mm)  # a tight curve: a thinner wall follows it
    params = {"height_mm": round(height_mm, 4), "wall_mm": round(wall_mm, 4), "segments": segments,
              "palette": palette, "profile": [round(float(r), 5) for r in prof]}
    reclaim.made(mesh)
    return MeshResult(engine="shape-space", seed=seed, params=params, device="cpu",
                      seconds=time.perf_counter() - start, mesh=mesh)


def _control(prof: np.ndarray) -> np.ndarray:
    """The control points the lathe turns for a profile, for a pot 1 high."""
    t = np.linspace(0.0, 1.0, _CONTROL_POINTS)
    return np.column_stack([np.interp(t, _heights(), prof), t])


def _model_record(model: ShapeModel) -> dict[str, Any]:
    return {"id": "workshop-kit/shape-space", "revision": str(model.config.get("trained", "")),
            "licence": str(model.config.get("licence", "MIT")), "commercial_use": True, "path": str(model.folder)}


def generate(*, a: str | None = None, b: str | None = None, mix: float = 0.5, spread: float = 1.0,
             height_mm: float | None = None, fit_bed: bool = False, wall_mm: float | None = None, segments: int = 96,
             palette: str | None = None, seed: int | None = None, device: str | None = "auto",
             model_path=None) -> MeshResult:
    """A vessel from the shape space: a blend of two presets, or a new shape drawn by the seed.

    Parameters
    ----------
    a, b : str or None
        Two lathe presets (``"tagine"``, ``"jar"``, ``"vase"``, ``"bowl"``) to blend; give both or neither. With
        neither, the seed draws a new shape (:func:`sample`).
    mix : float
        Where between ``a`` (0) and ``b`` (1) the vessel lies.
    spread : float
        For a drawn shape: how far from the usual ones it may go (0 … 3).
    height_mm : float or None
        Height from 20 to 600 mm; ``None`` takes :data:`HEIGHT_MM`, or less where the pot would not fit the print
        bed (:data:`~workshop_kit.mesh.printability.DEFAULT_BED_MM`) at that height.
    fit_bed : bool
        Make the pot smaller, if need be, so that it fits the print bed, as the booth does; ``result.notes`` then
        says the height made. Without it a height given is made as it is.
    wall_mm, segments, palette
        As in :func:`vessel_from_profile`.
    seed : int or None
        The same seed gives the same vessel; ``None`` draws one.
    device : str or None
        Checked like the other engines' (a missing GPU is an error); the tiny model runs on the CPU.
    model_path : path, optional
        Another model folder.
    """
    args = ENGINE.check(locals())
    a, b, mix, spread = args["a"], args["b"], args["mix"], args["spread"]
    if (a is None) != (b is None):
        raise ParameterError("b" if b is None else "a", None, Msg("allowed.two_presets"))
    seed = resolve_seed(seed)
    device = no_torch_device(device)
    start = time.perf_counter()
    model = load_model(model_path)
    if a is None:
        profile = sample(1, seed=seed, spread=spread, model_path=model_path)[0]
        source = {"spread": check_float("spread", spread, 0.0, 3.0)}
    else:
        za, zb = model.encode(np.stack([check_profile(a, "a"), check_profile(b, "b")]))
        profile = model.decode(((1 - mix) * za + mix * zb)[None])[0]
        source = {"a": check_choice("a", a, PRESET_OUTLINES.keys()), "b": check_choice("b", b, PRESET_OUTLINES.keys()),
                  "mix": mix}
    asked = HEIGHT_MM if args["height_mm"] is None else args["height_mm"]
    height_mm = asked
    if args["fit_bed"] or args["height_mm"] is None:
        widest = float(np.max(profile_curve(_control(check_profile(profile)))[:, 0]))
        height_mm = min(asked, math.floor(10 * round_fit_height(widest)) / 10)
    result = vessel_from_profile(profile, height_mm=height_mm, wall_mm=wall_mm, segments=segments, palette=palette,
                                 seed=seed)
    if height_mm < asked:
        result.notes.append(bed_note(height_mm, asked))
    result.params = {**source, **result.params}
    result.device = device
    result.model = _model_record(model)
    result.seconds = time.perf_counter() - start
    return result


# --------------------------------------------------------------------------------------------------------- pictures


def _meshes(meshes) -> tuple[list, list]:
    """``(given, items)``: the objects as given (meshes or results, for the sidecar) and their trimesh meshes."""
    given = list(meshes)
    items = [getattr(m, "mesh", m) for m in given]
    if not items or any(not hasattr(m, "vertices") for m in items):
        raise ParameterError("meshes", _short(meshes), Msg("allowed.meshes"))
    if len(items) > _MAX_BLEND:
        raise ParameterError("meshes", f"{len(items)} meshes", Msg("allowed.at_most_n", n=_MAX_BLEND))
    return given, items


def strip(meshes, *, size: int = 192, azimuth: float = 30.0, elevation: float = 15.0, same_scale: bool = True,
          path: str | os.PathLike | None = None) -> np.ndarray:
    """Pictures of the meshes side by side, as one ``uint8`` image (``size`` high, ``size`` wide per mesh).

    Parameters
    ----------
    meshes : sequence of trimesh.Trimesh or MeshResult
        1 to 64 objects, drawn left to right.
    size : int
        Height of the strip and width of each picture, 16 to 1024 pixels.
    azimuth, elevation : float
        The camera, as in :func:`workshop_kit.mesh.preview.render_png`.
    same_scale : bool
        Draw every object at the scale of the largest, standing on one ground line (sizes compare); ``False``
        fills each picture.
    path : str or path-like, optional
        Also save the strip there as a PNG, with its provenance sidecar ``<path>.json`` (written atomically).

    Returns
    -------
    numpy.ndarray
        ``(size, size * len(meshes), 3)`` ``uint8`` RGB.
    """
    given, items = _meshes(meshes)
    size = check_int("size", size, 16, 1024)
    azimuth = check_float("azimuth", azimuth, -3600.0, 3600.0)
    elevation = check_float("elevation", elevation, -89.0, 89.0)
    target = None if path is None else check_output_path(path, (".png",), name="path")
    start = time.perf_counter()
    image = side_by_side(render_pngs(items, size=size, azimuth=azimuth, elevation=elevation, same_scale=same_scale))
    if target is not None:
        params = {"of": [describe(m) for m in given], "size": size, "azimuth": azimuth, "elevation": elevation,
                  "same_scale": bool(same_scale)}
        ImageResult(engine="shape-space-strip", seed=None, params=params, device="cpu",
                    seconds=time.perf_counter() - start, image=image).save(target)
    return image


def gif(meshes, path: str | os.PathLike, *, size: int = 256, seconds: float = 4.0, azimuth: float = 30.0,
        elevation: float = 15.0, bounce: bool = True) -> Path:
    """An animated GIF morphing through the meshes (e.g. an interpolation), on one common scale.

    Parameters
    ----------
    meshes : sequence of trimesh.Trimesh or MeshResult
        2 to 64 objects, the frames in order.
    path : str or path-like
        Where to write the ``.gif`` (the folder must exist); written atomically.
    size : int
        Width and height, 16 to 1024 pixels.
    seconds : float
        Length of one pass through the meshes, 0.2 to 60 s; the GIF loops forever.
    azimuth, elevation : float
        The camera, as in :func:`workshop_kit.mesh.preview.render_png`.
    bounce : bool
        Play forwards then backwards, so the loop has no jump.

    Returns
    -------
    pathlib.Path
        The file written, with its provenance sidecar ``<path>.json``.
    """
    target = check_output_path(path, (".gif",), name="path")
    given, items = _meshes(meshes)
    if len(items) < 2:
        raise ParameterError("meshes", f"{len(items)} mesh", Msg("allowed.at_least_meshes", n=2))
    size = check_int("size", size, 16, 1024)
    seconds = check_float("seconds", seconds, 0.2, 60.0)
    azimuth = check_float("azimuth", azimuth, -3600.0, 3600.0)
    elevation = check_float("elevation", elevation, -89.0, 89.0)
    start = time.perf_counter()
    frames = render_pngs(items, size=size, azimuth=azimuth, elevation=elevation, same_scale=True)
    if bounce:
        frames = frames + frames[-2:0:-1]
    params = {"of": [describe(m) for m in given], "size": size, "seconds": seconds, "azimuth": azimuth,
              "elevation": elevation, "bounce": bool(bounce)}
    morph = FramesResult(engine="shape-space-gif", seed=None, params=params, device="cpu",
                         seconds=time.perf_counter() - start, frames=np.stack(frames), fps=len(items) / seconds,
                         dither=True)
    return morph.save(target)
