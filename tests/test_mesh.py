"""The embedded 3D engine (lathe pottery) and the offline WebGL viewer."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import trimesh

from workshop_kit import mesh as mesh_module
from workshop_kit.errors import DeviceError, OutputPathError, ParameterError
from workshop_kit.mesh import lathe
from workshop_kit.mesh.viewer import MAX_FACES, mesh_to_html
from workshop_kit.palettes import PALETTES
from workshop_kit.presets import CITIES
from workshop_kit.mesh.result import MeshResult


def pot(**options) -> MeshResult:
    options.setdefault("seed", 0)
    options.setdefault("segments", 32)
    return lathe.generate(**options)


def assert_solid(m: trimesh.Trimesh) -> None:
    assert m.is_watertight
    assert m.is_winding_consistent
    assert m.volume > 0


@pytest.mark.parametrize("preset", sorted(lathe.PRESETS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_preset_is_a_closed_solid_of_the_asked_height(preset, seed):
    result = pot(preset=preset, seed=seed)
    m = result.mesh
    assert isinstance(result, MeshResult) and isinstance(m, trimesh.Trimesh)
    assert_solid(m)
    spec = lathe.PRESETS[preset]
    assert result.params["height_mm"] == spec.height_mm
    low, high = m.bounds
    assert low[2] == pytest.approx(0, abs=1e-9)
    assert high[2] == pytest.approx(spec.height_mm, abs=1e-6)
    # centred on the axis, as wide as its widest control radius allows
    assert np.allclose((low[:2] + high[:2]) / 2, 0, atol=0.05 * high[0])
    widest = max(r for r, _ in spec.profile + (spec.lid or ())) * spec.height_mm / spec.drawn_mm
    assert widest * (1 - 2 * lathe.JITTER) < high[0] <= widest * (1 + 2 * lathe.JITTER)
    # a real wall: the pot holds far less clay than its outer volume
    assert m.volume < 0.6 * m.convex_hull.volume


def test_tagine_is_a_dish_and_a_lid():
    m = pot(preset="tagine").mesh
    assert m.body_count == 2
    bodies = sorted(m.split(only_watertight=False), key=lambda b: b.bounds[0][2])
    for body in bodies:
        assert_solid(body)
    dish, lid = bodies
    assert dish.bounds[0][2] == pytest.approx(0, abs=1e-9)
    assert lid.bounds[0][2] == pytest.approx(dish.bounds[1][2])  # the lid rests on the dish's rim
    assert lid.bounds[1][2] == pytest.approx(lathe.PRESETS["tagine"].height_mm)


@pytest.mark.parametrize("height", [20, 45.5, 600])
def test_height_scales_the_pot(height):
    result = pot(preset="jar", height_mm=height)
    assert_solid(result.mesh)
    assert result.mesh.extents[2] == pytest.approx(height)
    assert result.params["height_mm"] == height
    assert lathe.MIN_WALL_MM <= result.params["wall_mm"] <= lathe.MAX_WALL_MM


def test_default_heights_fit_the_bed_and_fit_bed_makes_a_pot_fit():
    from workshop_kit.mesh.printability import DEFAULT_BED_MM, fits_bed

    for name, spec in lathe.PRESETS.items():  # the widest a seed can make each pot, at its own height
        widest = max(r for r, _ in spec.profile + (spec.lid or ())) * (1 + lathe.JITTER)
        assert 2 * widest * spec.height_mm / spec.drawn_mm <= min(DEFAULT_BED_MM[:2]), name
        assert spec.height_mm <= DEFAULT_BED_MM[2], name
    asked = pot(preset="bowl", height_mm=150, seed=3)  # made as asked: 420 mm wide, and the check says so
    assert asked.mesh.extents[2] == pytest.approx(150) and asked.notes == []
    assert not asked.printability.ready and "larger than the bed" in asked.printability.verdict("en")
    fitted = pot(preset="bowl", height_mm=150, fit_bed=True, seed=3)
    assert fits_bed(fitted.mesh.extents) and fitted.mesh.extents[2] < 150
    assert fitted.params["height_mm"] == pytest.approx(fitted.mesh.extents[2])
    assert fitted.notes == [f"made {fitted.params['height_mm']:.0f} mm high instead of 150 mm, to fit the "
                            "250 × 210 mm print bed (250 mm high)"]
    assert max(fitted.mesh.extents[:2]) > 0.97 * min(DEFAULT_BED_MM[:2])  # as large as fits, not smaller
    small = pot(preset="bowl", height_mm=50, fit_bed=True, seed=3)  # a pot that fits is left as asked
    assert small.params["height_mm"] == 50 and small.notes == []
    banded = pot(preset="bowl", band_motif="zellige8", band_depth_mm=10, seed=0)  # the band stands out too
    assert fits_bed(banded.mesh.extents) and banded.params["height_mm"] < lathe.PRESETS["bowl"].height_mm


def test_default_wall_is_thick_enough_for_a_printer_on_small_pots():
    from workshop_kit.mesh.printability import DEFAULT_MIN_WALL_MM

    for preset in lathe.PRESETS:
        assert pot(preset=preset, height_mm=40).params["wall_mm"] >= DEFAULT_MIN_WALL_MM, preset
    assert pot(preset="vase", height_mm=40, wall_mm=1).params["wall_mm"] == 1  # a resin printer's wall, if asked


def test_rims_are_as_wide_as_the_wall_and_walls_keep_their_thickness():
    from workshop_kit.mesh.printability import wall_thickness

    for preset, height in (("tagine", 150), ("tagine", 40), ("bowl", 40), ("jar", 250)):
        for seed in (0, 2):
            result = pot(preset=preset, height_mm=height, seed=seed, segments=64)
            for body in result.mesh.split(only_watertight=False):  # a tagine's dish and lid, each on its own
                assert wall_thickness(body) >= result.params["wall_mm"] - 0.05, (preset, height, seed)


def test_wall_thickness_is_respected():
    thin, thick = pot(preset="vase", wall_mm=2), pot(preset="vase", wall_mm=10)
    assert_solid(thin.mesh) and assert_solid(thick.mesh)
    assert thick.mesh.volume > 2.5 * thin.mesh.volume
    # the outside is the same pot: the inside moved
    np.testing.assert_allclose(thin.mesh.extents, thick.mesh.extents, rtol=1e-9)
    # a thin wall leaves a hole at the top the size of the rim minus the wall
    top = thin.mesh.vertices[np.isclose(thin.mesh.vertices[:, 2], thin.mesh.bounds[1][2])]
    radii = np.hypot(top[:, 0], top[:, 1])
    assert radii.max() - radii.min() == pytest.approx(2, rel=0.2)


def test_same_seed_same_vertices_other_seed_other_pot():
    a, b, c = pot(seed=0), pot(seed=0), pot(seed=1)
    np.testing.assert_array_equal(a.mesh.vertices, b.mesh.vertices)
    np.testing.assert_array_equal(a.mesh.faces, b.mesh.faces)
    assert a.mesh.vertices.shape != c.mesh.vertices.shape or not np.allclose(a.mesh.vertices, c.mesh.vertices)
    assert abs(a.mesh.volume - c.mesh.volume) > 1e-3 * a.mesh.volume


def test_seed_none_draws_an_int_and_zero_is_a_seed():
    first = pot(seed=None)
    assert isinstance(first.seed, int)
    np.testing.assert_array_equal(pot(seed=first.seed).mesh.vertices, first.mesh.vertices)
    assert pot(seed=0).seed == 0


def test_segments_set_the_facets():
    coarse, fine = pot(segments=16), pot(segments=128)
    assert len(fine.mesh.faces) == 8 * len(coarse.mesh.faces)
    assert_solid(coarse.mesh)


@pytest.mark.parametrize("palette", sorted(PALETTES))
def test_glaze_paints_palette_colours(palette):
    result = pot(preset="tagine", palette=palette, seed=4)
    assert_solid(result.mesh)
    colours = result.mesh.visual.vertex_colors
    assert colours.shape == (len(result.mesh.vertices), 4)
    allowed = np.round(PALETTES[palette].rgb() * 255)
    nearest = np.abs(colours[:, None, :3].astype(float) - allowed[None]).max(axis=2).min(axis=1)
    assert np.mean(nearest <= 1) > 0.8  # most vertices wear a palette colour exactly
    assert result.params["palette"] == palette


def test_registry_and_case_insensitive_names():
    result = mesh_module.generate(engine="lathe", preset="Vase", segments=24, seed=2)
    assert result.params["preset"] == "vase" and result.engine == "lathe" and result.device == "cpu"


@pytest.mark.parametrize(
    "options, name, bad",
    [
        (dict(preset="amphora"), "preset", "amphora"),
        (dict(height_mm=19.9), "height_mm", 19.9),
        (dict(height_mm=601), "height_mm", 601),
        (dict(height_mm="tall"), "height_mm", "tall"),
        (dict(wall_mm=0.5), "wall_mm", 0.5),
        (dict(wall_mm=21), "wall_mm", 21),
        (dict(preset="vase", height_mm=60, wall_mm=12), "wall_mm", 12.0),  # thicker than the neck is wide
        (dict(segments=15), "segments", 15),
        (dict(segments=513), "segments", 513),
        (dict(segments=32.5), "segments", 32.5),
        (dict(palette="pink"), "palette", "pink"),
        (dict(seed=-3), "seed", -3),
        (dict(device="quantum"), "device", "quantum"),
    ],
)
def test_bad_parameters_raise_naming_the_value(options, name, bad):
    with pytest.raises(ParameterError) as info:
        pot(**options)
    assert isinstance(info.value, ValueError)
    assert info.value.name == name
    assert repr(bad) in str(info.value)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ParameterError) as info:
        pot(preset="amphora")
    assert all(name in str(info.value) for name in lathe.PRESETS)


def test_missing_gpu_is_an_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(DeviceError):
        pot(device="cuda")


def test_presets_have_labels_and_cities_name_existing_vessels():
    for name, spec in lathe.PRESETS.items():
        assert {"fr", "en", "ar"} <= set(spec.label), name
        assert spec.description and spec.height_mm > 0 and spec.profile[0][1] == 0
        assert all(z2 > z1 for (_, z1), (_, z2) in zip(spec.profile, spec.profile[1:])), name
    assert {"tagine", "jar", "vase", "bowl"} <= set(lathe.PRESETS)
    for city in CITIES.values():
        assert city.vessel in lathe.PRESETS, city.name


@pytest.mark.parametrize("suffix", [".glb", ".stl", ".obj", ".ply"])
def test_save_writes_mesh_and_sidecar(tmp_path, suffix):
    result = pot(preset="jar", palette="fes", height_mm=80, seed=7)
    path = result.save(tmp_path / f"jar{suffix}")
    assert path.exists() and path.stat().st_size > 0
    reloaded = trimesh.load(path, force="mesh")
    assert reloaded.is_watertight
    volume, extents = result.mesh.volume, result.mesh.extents
    if suffix == ".glb":  # glTF: metres, Y up
        volume, extents = volume * 1e-9, extents[[0, 2, 1]] * 1e-3
    assert reloaded.volume == pytest.approx(volume, rel=1e-3)
    assert reloaded.extents == pytest.approx(extents, rel=1e-4)
    sidecar = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    assert sidecar["engine"] == "lathe" and sidecar["seed"] == 7 and sidecar["params"]["preset"] == "jar"
    assert sidecar["format"] == suffix.lstrip(".")


@pytest.mark.parametrize("name", ["missing/jar.glb", "jar.fbx", "jar"])
def test_bad_output_path_leaves_nothing(tmp_path, name):
    result = pot()
    with pytest.raises(OutputPathError):
        result.save(tmp_path / name)
    assert list(tmp_path.rglob("*")) == []


def test_viewer_is_self_contained_html():
    result = pot(preset="tagine", palette="marrakech")
    first, second = mesh_to_html(result.mesh), mesh_to_html(result.mesh, height=300)
    for snippet in (first, second):
        assert "<canvas" in snippet and "<script>" in snippet
        assert not re.search(r"https?://", snippet)
        assert "<script src" not in snippet
    ids = [re.search(r'<canvas id="([^"]+)"', s).group(1) for s in (first, second)]
    assert ids[0] != ids[1]
    assert f'getElementById("{ids[0]}")' in first
    assert "height:300px" in second
    assert result._repr_html_().count("<canvas") == 1


def test_viewer_takes_any_trimesh_and_caps_huge_ones():
    sphere = trimesh.creation.icosphere(subdivisions=2)
    assert "<canvas" in mesh_to_html(sphere)
    big = trimesh.Trimesh(vertices=np.random.default_rng(0).random((10, 3)),
                          faces=np.zeros((MAX_FACES + 5, 3), dtype=np.int64) + [0, 1, 2], process=False)
    snippet = mesh_to_html(big)
    assert f"{MAX_FACES:,}" in snippet and f"{MAX_FACES + 5:,}" in snippet


def test_default_vessel_is_quick():
    result = lathe.generate(seed=0)
    assert result.params == {"preset": "jar", "height_mm": 220.0, "wall_mm": 4.4, "segments": 96, "palette": None}
    assert result.seconds < 2.0  # about 0.02 s on a laptop; generous for slow test machines


def test_glb_is_in_metres_with_y_up_and_stl_in_millimetres(tmp_path):
    import trimesh

    result = pot(preset="jar", height_mm=300, seed=0)
    glb = trimesh.load(result.save(tmp_path / "jar.glb"), force="mesh")
    stl = trimesh.load(result.save(tmp_path / "jar.stl"))
    assert glb.extents[1] == pytest.approx(0.3, rel=1e-3)  # height along Y, in metres
    assert stl.extents[2] == pytest.approx(300, rel=1e-3)  # height along Z, in millimetres
    assert result.mesh.extents[2] == pytest.approx(300, rel=1e-3)  # the result itself is untouched


@pytest.mark.parametrize("preset", ["vase", "tagine"])
def test_embossed_band_stays_printable(preset):
    plain = pot(preset=preset, seed=4)
    embossed = pot(preset=preset, seed=4, band_motif="zellige8", band_depth_mm=2.0)
    assert embossed.mesh.is_watertight and embossed.mesh.volume > plain.mesh.volume
    assert embossed.params["band_motif"] == "zellige8"
    with pytest.raises(ParameterError, match="band_motif"):
        pot(preset=preset, band_motif="paisley")
