"""A motif embossed in a band around a turned vessel keeps it closed."""


import numpy as np
import pytest
import trimesh

from workshop_kit.errors import ParameterError
from workshop_kit.mesh import gltf_check, lathe
from workshop_kit.mesh.emboss import emboss_band
from workshop_kit.mesh.printability import report
from workshop_kit.mesh.result import MeshResult

CUP = np.array([[0, 0], [40, 0], [40, 80], [36, 80], [36, 4], [0, 4]], dtype=float)


@pytest.fixture(scope="module")
def cup():
    return emboss_band(CUP, motif="zellige8", band=(20, 60), depth_mm=1.5, cell_mm=1.5, seed=0)


def _radius(m):
    return np.hypot(m.vertices[:, 0], m.vertices[:, 1])


def test_embossed_section_is_closed_and_raised_only_in_the_band(cup):
    assert cup.is_watertight and cup.is_winding_consistent and cup.volume > 0
    assert cup.body_count == 1
    r, z = _radius(cup), cup.vertices[:, 2]
    assert z.min() == pytest.approx(0) and z.max() == pytest.approx(80)
    assert r.max() == pytest.approx(41.5, abs=0.05)  # the pieces stand 1.5 mm out
    assert np.all(r[(z < 20) | (z > 60)] <= 40 + 1e-6)  # nothing moves outside the band
    band = (z > 21) & (z < 59) & (r > 39)
    raised = r[band] - 40
    assert (raised > 1.4).mean() > 0.15 and (raised < 0.1).mean() > 0.05  # pieces up, grout lines down
    plain = trimesh.creation.revolve(CUP, sections=64)
    assert abs(plain.volume) < cup.volume < abs(plain.volume) + 2 * np.pi * 41.5 * 40 * 1.5


def test_inside_is_untouched_and_printable(cup):
    r, z = _radius(cup), cup.vertices[:, 2]
    inner = (r < 37) & (z > 5)
    assert np.allclose(r[inner & (r > 30)], 36)
    rep = report(cup, samples=1000)
    assert rep.ready, rep.verdict("en")


def test_emboss_a_finished_lathe_mesh_keeps_it_closed_and_its_colours():
    pot = lathe.generate(preset="bowl", segments=128, palette="fes", seed=0).mesh
    out = emboss_band(pot, motif="zellige16", band=(30, 70), depth_mm=1.0, seed=1)
    assert out.is_watertight and out.is_winding_consistent
    assert out.volume > pot.volume
    assert np.array_equal(out.faces, pot.faces)
    assert out.visual.kind == "vertex"
    moved = np.linalg.norm(out.vertices - pot.vertices, axis=1) > 1e-9
    assert moved.any() and np.all((pot.vertices[moved, 2] >= 30) & (pot.vertices[moved, 2] <= 70))


def test_deterministic_under_seed():
    a = emboss_band(CUP, band=(20, 60), cell_mm=2.0, seed=4)
    b = emboss_band(CUP, band=(20, 60), cell_mm=2.0, seed=4)
    c = emboss_band(CUP, band=(20, 60), cell_mm=2.0, seed=5)
    assert np.array_equal(a.vertices, b.vertices) and not np.array_equal(a.vertices, c.vertices)


def test_glb_passes_the_khronos_validator(validator, cup, tmp_path):
    result = MeshResult(engine="emboss", seed=0, params={}, device="cpu", seconds=0.0, mesh=cup)
    rep = gltf_check.validate_glb(result.save(tmp_path / "cup.glb"))
    assert rep["errors"] == 0, [m for m in rep["messages"] if m["severity"] == "error"]


@pytest.mark.parametrize("name, value, options", [
    ("band", (60, 20), {}), ("band", (0, 200), {}), ("band", "middle", {}), ("band", (20, 20.5), {}),
    ("depth_mm", 0, {}), ("depth_mm", 20, {}), ("motif", "zigzag", {}), ("repeats", 0, {}), ("cell_mm", 0.01, {}),
    ("segments", 4, {}), ("seed", -3, {}),
])
def test_bad_parameters_are_named(name, value, options):
    with pytest.raises(ParameterError) as info:
        emboss_band(CUP, **{"band": (20, 60), "cell_mm": 2.0, name: value})
    assert info.value.name == name


def test_bad_targets_are_refused():
    for target in ("pot", np.zeros((5, 3)), np.array([[-1.0, 0], [1, 1], [0, 2]])):
        with pytest.raises(ParameterError) as info:
            emboss_band(target, band=(0, 1))
        assert info.value.name == "target"
    with pytest.raises(ParameterError, match="no outer wall"):
        emboss_band(trimesh.creation.box((10, 10, 10)).apply_translation((0, 0, 5)), band=(2, 8), cell_mm=1)
