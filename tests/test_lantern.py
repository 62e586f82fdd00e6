"""Pierced lanterns: one closed body, really pierced, of the asked size."""


import numpy as np
import pytest

from workshop_kit.errors import DeviceError, ParameterError
from workshop_kit.mesh import gltf_check, lantern
from workshop_kit.mesh.printability import report

SMALL = dict(height_mm=70, diameter_mm=56, seed=3)


def _full_shell_volume(shape: str, diameter: float, wall: float, height: float) -> float:
    r = diameter / 2
    if shape == "cylinder":
        return np.pi * (r**2 - (r - wall) ** 2) * height
    n = lantern.SHAPES[shape]
    area = lambda apothem: n * apothem**2 * np.tan(np.pi / n)  # noqa: E731
    apothem = r * np.cos(np.pi / n)
    return (area(apothem) - area(apothem - wall)) * height


@pytest.mark.parametrize("shape", sorted(lantern.SHAPES))
@pytest.mark.parametrize("motif", ["zellige8", "zellige16", "moucharabieh"])
def test_closed_single_body_pierced_and_of_the_asked_size(shape, motif):
    result = lantern.generate(shape=shape, motif=motif, **SMALL)
    m = result.mesh
    assert result.engine == "lantern" and result.device == "cpu"
    assert m.is_watertight and m.is_winding_consistent and m.volume > 0
    assert m.body_count == 1  # no island falls out
    low, high = m.bounds
    assert low[2] == pytest.approx(0) and high[2] == pytest.approx(70)
    assert m.extents[0] == pytest.approx(56)
    assert np.allclose((low[:2] + high[:2]) / 2, 0, atol=0.5)
    full = _full_shell_volume(shape, 56, 2.0, 70)
    assert m.volume < 0.9 * full  # really pierced
    assert m.volume > 0.3 * full
    assert result.params["open_fraction"] > 0.1


def test_default_lantern_is_ready_to_print_and_openness_is_honoured():
    result = lantern.generate(seed=0)
    m = result.mesh
    assert list(np.round(m.extents, 6)) == [120, 120, 180]
    rep = report(m, samples=1500)
    assert rep.ready, rep.verdict("en")
    assert rep.bodies == 1
    assert result.params["open_fraction"] == pytest.approx(0.4, abs=0.08)
    more = lantern.generate(seed=0, openness=0.6, height_mm=90, diameter_mm=60)
    less = lantern.generate(seed=0, openness=0.2, height_mm=90, diameter_mm=60)
    assert more.mesh.volume < less.mesh.volume


def test_same_seed_same_mesh_other_seed_other_mesh():
    a, b = lantern.generate(**SMALL), lantern.generate(**SMALL)
    assert np.array_equal(a.mesh.vertices, b.mesh.vertices) and np.array_equal(a.mesh.faces, b.mesh.faces)
    c = lantern.generate(**{**SMALL, "seed": 4})
    assert len(c.mesh.faces) != len(a.mesh.faces) or not np.array_equal(c.mesh.vertices, a.mesh.vertices)


def test_picture_lantern_and_palette(tmp_path):
    yy, xx = np.mgrid[0:64, 0:64]
    dots = ((np.hypot((xx % 16) - 8, (yy % 16) - 8) < 5) * 255).astype(np.uint8)  # light dots open
    result = lantern.generate(image=dots, palette="marrakech", **SMALL)
    m = result.mesh
    assert m.is_watertight and m.body_count == 1
    assert result.params["image"] == "array (64, 64)" and result.params["motif"] is None
    assert len(np.unique(m.visual.face_colors, axis=0)) == 2


def test_glb_passes_the_khronos_validator(validator, tmp_path):
    path = lantern.generate(shape="hexagon", palette="fes", **SMALL).save(tmp_path / "lantern.glb")
    rep = gltf_check.validate_glb(path)
    assert rep["errors"] == 0, [m for m in rep["messages"] if m["severity"] == "error"]


@pytest.mark.parametrize("name, value", [
    ("motif", "tartan"), ("shape", "star"), ("height_mm", 5), ("height_mm", float("nan")), ("diameter_mm", 1000),
    ("wall_mm", 0.2), ("wall_mm", 9.5), ("openness", 0.95), ("openness", "half"), ("repeats", 0), ("palette", "pink"),
    ("seed", -1), ("image", "/no/such/picture.png"),
])
def test_bad_parameters_are_named(name, value):
    with pytest.raises(ParameterError) as info:
        lantern.generate(**{**SMALL, name: value})
    assert info.value.name == name


def test_wall_too_thick_for_the_diameter_and_repeats_not_a_multiple_of_the_sides():
    with pytest.raises(ParameterError, match="too thick"):
        lantern.generate(diameter_mm=36, wall_mm=7, height_mm=60)
    with pytest.raises(ParameterError, match="whole sides"):
        lantern.generate(shape="hexagon", repeats=8, **SMALL)
    assert lantern.generate(shape="hexagon", repeats=3, **SMALL).params["repeats"] == 3


def test_missing_gpu_is_an_error(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError):
        lantern.generate(device="cuda", **SMALL)
