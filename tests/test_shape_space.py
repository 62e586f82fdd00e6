"""The shipped shape-space model: it loads offline, beats its PCA baseline, and makes valid, watertight vessels."""

import json

import numpy as np
import pytest

from workshop_kit.errors import MissingModelError, ParameterError
from workshop_kit.mesh import shape_space as ss


def smoothness(profiles):
    """Largest second difference of the log radii (a kink or a wiggle makes it large)."""
    return float(np.abs(np.diff(np.log(profiles), n=2, axis=-1)).max())


def test_weights_load_offline_and_once():
    for name in (ss.WEIGHTS_FILE, ss.CONFIG_FILE, ss.BASELINE_FILE, ss.METRICS_FILE, ss.CARD_FILE):
        assert (ss.MODEL.shipped_folder() / name).is_file(), name
    ss.encode("jar")
    assert ss.load_model() is ss.load_model()
    z = ss.encode("vase")
    assert z.shape == (ss.LATENT_DIM,) and np.all(np.isfinite(z))
    card = (ss.MODEL.shipped_folder() / ss.CARD_FILE).read_text(encoding="utf-8")
    assert "PCA" in card and "MIT" in card and ("train_shapes" in card or "train shapes" in card)


def test_reconstruction_of_fresh_profiles_beats_pca():
    model = ss.load_model(str(ss.MODEL.shipped_folder().resolve()))
    profiles = ss.make_profiles(400, seed=9090)  # none of these was seen in training (seeds 101, 202, 303)
    ae = np.abs(model.decode(model.encode(profiles)) - profiles).mean()
    pca = np.abs(model.pca_reconstruct(profiles) - profiles).mean()
    assert ae < pca, f"autoencoder {ae:.5f} vs PCA {pca:.5f}"
    assert ae < 0.015  # under 1.5 % of the height on average
    metrics = json.loads((ss.MODEL.shipped_folder() / ss.METRICS_FILE).read_text())
    assert metrics["heldout"]["autoencoder"]["mean_abs_radius"] < metrics["heldout"]["pca"]["mean_abs_radius"]


@pytest.mark.parametrize("name", list(ss.PRESET_OUTLINES))
def test_presets_come_back_close(name):
    profile = ss.preset_profile(name)
    back = ss.decode(ss.encode(profile))
    assert np.abs(back - profile).max() < 0.04
    assert np.abs(back - profile).mean() < 0.01


def test_interpolation_from_tagine_to_vase():
    profiles = ss.interpolate("tagine", "vase", 6)
    assert profiles.shape == (6, ss.N_POINTS)
    logs = np.log(profiles)
    from_a = [np.abs(p - logs[0]).mean() for p in logs]
    to_b = [np.abs(p - logs[-1]).mean() for p in logs]
    assert all(b >= a - 0.01 for a, b in zip(from_a, from_a[1:]))  # moves away from the tagine …
    assert all(b <= a + 0.01 for a, b in zip(to_b, to_b[1:]))  # … and towards the vase, step by step
    assert np.abs(profiles[0] - ss.preset_profile("tagine")).mean() < 0.01
    assert np.abs(profiles[-1] - ss.preset_profile("vase")).mean() < 0.01
    results = [ss.vessel_from_profile(p, height_mm=120, segments=32) for p in profiles]
    for r in results:
        mesh = r.mesh
        assert mesh.is_watertight and mesh.volume > 0
        assert float(mesh.bounds[0, 2]) == pytest.approx(0.0, abs=1e-9)
        assert float(mesh.extents[2]) == pytest.approx(120.0)
    widths = [float(r.mesh.extents[0]) for r in results]
    assert all(b <= a + 1.0 for a, b in zip(widths, widths[1:]))  # the wide tagine narrows into the vase


def test_random_latents_decode_to_valid_profiles():
    model = ss.load_model(str(ss.MODEL.shipped_folder().resolve()))
    rng = np.random.default_rng(0)
    z = np.asarray(model.config["latent_mean"]) + 3 * np.asarray(model.config["latent_std"]) * rng.standard_normal(
        (64, model.latent_dim))
    for profiles in (ss.decode(z), ss.sample(32, seed=1), ss.sample(8, seed=2, spread=3.0)):
        assert np.all(np.isfinite(profiles))
        assert profiles.min() >= ss.MIN_RADIUS and profiles.max() <= ss.MAX_RADIUS
        assert smoothness(profiles) < 0.35  # calmer than 99 % of the training outlines (about 0.49)
    assert np.array_equal(ss.sample(4, seed=3), ss.sample(4, seed=3))
    result = ss.vessel_from_profile(ss.sample(1, seed=4)[0], height_mm=100, segments=24)
    assert result.mesh.is_watertight


def test_vessel_is_hollow_with_its_base_at_the_bottom():
    profile = ss.preset_profile("jar")
    result = ss.vessel_from_profile(profile, height_mm=150, wall_mm=3, segments=48, palette="fes", seed=0)
    mesh = result.mesh
    solid = np.pi * np.trapezoid((profile * 150) ** 2, np.linspace(0, 150, ss.N_POINTS))
    assert mesh.volume < 0.5 * solid  # a wall, not a solid lump
    foot = mesh.vertices[mesh.vertices[:, 2] < 1e-6]
    assert np.hypot(foot[:, 0], foot[:, 1]).max() == pytest.approx(profile[0] * 150, rel=0.02)
    assert result.params["wall_mm"] == 3 and len(result.params["profile"]) == ss.N_POINTS
    assert mesh.visual.vertex_colors.shape[0] == len(mesh.vertices)


def test_generate_is_seeded_and_recorded():
    a = ss.generate(a="tagine", b="bowl", mix=0.4, height_mm=90, segments=24, seed=3)
    b = ss.generate(a="tagine", b="bowl", mix=0.4, height_mm=90, segments=24, seed=3)
    assert np.array_equal(a.mesh.vertices, b.mesh.vertices)
    assert a.engine == "shape-space" and a.params["a"] == "tagine" and a.params["mix"] == 0.4
    assert a.model["licence"] == "MIT"
    drawn = ss.generate(seed=11, height_mm=90, segments=24)
    assert drawn.mesh.is_watertight and drawn.params["spread"] == 1.0
    assert np.array_equal(drawn.mesh.vertices, ss.generate(seed=11, height_mm=90, segments=24).mesh.vertices)


def test_default_height_fits_the_bed_and_fit_bed_fits_a_height_given():
    from workshop_kit.mesh.printability import DEFAULT_MIN_WALL_MM, fits_bed

    wide = [seed for seed in range(8) if ss.sample(1, seed=seed)[0].max() * ss.HEIGHT_MM * 2 > 210]
    assert wide  # some drawn pots are wider than the bed at 200 mm
    for seed in wide[:2]:
        made = ss.generate(seed=seed, segments=24)
        assert fits_bed(made.mesh.extents) and made.params["height_mm"] < ss.HEIGHT_MM
        assert made.notes and "to fit the 250 × 210 mm print bed" in made.notes[0]
        asked = ss.generate(seed=seed, height_mm=ss.HEIGHT_MM, segments=24)  # a height given is made as it is
        assert asked.mesh.extents[2] == pytest.approx(ss.HEIGHT_MM) and not fits_bed(asked.mesh.extents)
        fitted = ss.generate(seed=seed, height_mm=ss.HEIGHT_MM, fit_bed=True, segments=24)
        assert np.array_equal(fitted.mesh.vertices, made.mesh.vertices)
    assert ss.generate(a="jar", b="vase", height_mm=40, segments=24, seed=0).params["wall_mm"] >= DEFAULT_MIN_WALL_MM


def test_strip_and_gif(tmp_path):
    meshes = [ss.vessel_from_profile(p, height_mm=100, segments=24) for p in ss.interpolate("jar", "bowl", 3)]
    image = ss.strip(meshes, size=48, path=tmp_path / "strip.png")
    assert image.shape == (48, 144, 3) and image.dtype == np.uint8 and (tmp_path / "strip.png").is_file()
    path = ss.gif(meshes, tmp_path / "morph.gif", size=32, seconds=1)
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.n_frames >= 2


def test_profiles_made_by_seed_are_valid_and_repeatable():
    a, b = ss.make_profiles(50, seed=5), ss.make_profiles(50, seed=5)
    assert np.array_equal(a, b) and a.shape == (50, ss.N_POINTS)
    assert a.min() >= ss.MIN_RADIUS and a.max() <= ss.MAX_RADIUS


def test_drawn_points_become_a_profile():
    drawn = [(40, 0), (70, 30), (85, 90), (50, 160), (60, 200)]  # pixels from a drawing, foot first
    profile = ss.profile_from_points(drawn)
    assert profile.shape == (ss.N_POINTS,) and profile[0] == pytest.approx(40 / 200)
    assert ss.encode(drawn).shape == (ss.LATENT_DIM,)


@pytest.mark.parametrize(
    "call, named",
    [
        (lambda: ss.check_profile(np.ones(10)), "profile"),
        (lambda: ss.check_profile(np.full(ss.N_POINTS, -0.2)), "profile"),
        (lambda: ss.check_profile(np.full(ss.N_POINTS, np.nan)), "profile"),
        (lambda: ss.check_profile("teapot"), "preset"),
        (lambda: ss.profile_from_points([(10, 0), (12, 5), (11, 3)]), "points"),
        (lambda: ss.profile_from_points([(10, 0), (0, 5), (11, 8)]), "points"),
        (lambda: ss.interpolate("jar", "vase", 1), "n"),
        (lambda: ss.interpolate("jar", "vase", 65), "n"),
        (lambda: ss.decode(np.zeros(3)), "z"),
        (lambda: ss.decode(np.full(ss.LATENT_DIM, np.inf)), "z"),
        (lambda: ss.sample(2, spread=5), "spread"),
        (lambda: ss.vessel_from_profile("jar", height_mm=5), "height_mm"),
        (lambda: ss.vessel_from_profile("jar", height_mm=100, wall_mm=15), "wall_mm"),
        (lambda: ss.vessel_from_profile("tagine", height_mm=40), "height_mm"),
        (lambda: ss.vessel_from_profile("jar", segments=4), "segments"),
        (lambda: ss.vessel_from_profile("jar", palette="pink"), "palette"),
        (lambda: ss.generate(a="jar"), "b"),
        (lambda: ss.generate(a="jar", b="vase", mix=2), "mix"),
        (lambda: ss.strip([]), "meshes"),
        (lambda: ss.gif(["not a mesh"], "x.gif"), "meshes"),
    ],
)
def test_bad_input_is_named(call, named):
    with pytest.raises(ParameterError, match=named):
        call()


def test_missing_model_says_how_to_train(tmp_path):
    with pytest.raises(MissingModelError, match="train shapes"):
        ss.encode("jar", model_path=tmp_path)
