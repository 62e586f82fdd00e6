"""Zellige tiles: separate coloured pieces that fit in the square with joints between them."""


import numpy as np
import pytest

from workshop_kit.errors import ParameterError
from workshop_kit.mesh import gltf_check, tiles
from workshop_kit.mesh.printability import report


@pytest.fixture(scope="module")
def fes8():
    return tiles.generate(motif="zellige8", palette="fes", tile_mm=80, gap_mm=0.8, resolution=320, seed=2)


def test_pieces_are_separate_closed_bodies(fes8):
    m = fes8.mesh
    assert fes8.engine == "tiles"
    assert m.is_watertight and m.is_winding_consistent and m.volume > 0
    bodies = m.split(only_watertight=False)
    assert len(bodies) == fes8.params["pieces"] == m.body_count > 10
    for body in bodies:
        assert body.is_watertight and body.is_winding_consistent and body.volume > 0
        assert body.extents[2] == pytest.approx(6.0)
        assert body.bounds[0][2] == pytest.approx(0)


def test_pieces_fit_in_the_square_with_joints(fes8):
    m = fes8.mesh
    low, high = m.bounds
    assert np.all(low[:2] >= -40 + 0.4 - 1e-6) and np.all(high[:2] <= 40 - 0.4 + 1e-6)
    assert np.all(high[:2] > 40 - 0.8)  # the pieces reach the edges (less their half joint)
    area = sum(b.volume for b in m.split(only_watertight=False)) / 6.0
    assert 0.8 * 80 * 80 < area < 80 * 80  # they nearly fill the square, joints and rounded points aside
    # no two pieces overlap: their footprints, drawn on a fine grid, never share a cell
    cover = np.zeros((800, 800), np.int32)
    for body in m.split(only_watertight=False):
        top = body.vertices[body.faces][:, :, :2]
        top = top[body.face_normals[:, 2] > 0.5]
        grid = np.mgrid[0:800, 0:800][::-1].reshape(2, -1).T * 0.1 - 40 + 0.05
        lo, hi = top.reshape(-1, 2).min(0), top.reshape(-1, 2).max(0)
        sel = np.all((grid >= lo) & (grid <= hi), axis=1)
        pts = grid[sel]
        inside = np.zeros(len(pts), bool)
        for a, b, c in top:
            d1 = (b[0] - a[0]) * (pts[:, 1] - a[1]) - (b[1] - a[1]) * (pts[:, 0] - a[0])
            d2 = (c[0] - b[0]) * (pts[:, 1] - b[1]) - (c[1] - b[1]) * (pts[:, 0] - b[0])
            d3 = (a[0] - c[0]) * (pts[:, 1] - c[1]) - (a[1] - c[1]) * (pts[:, 0] - c[0])
            inside |= (d1 >= 0) & (d2 >= 0) & (d3 >= 0)
        cover.reshape(-1)[np.flatnonzero(sel)[inside]] += 1
    assert cover.max() == 1


def test_pieces_have_distinct_palette_colours(fes8):
    from workshop_kit.palettes import get_palette

    m = fes8.mesh
    colours = {tuple(c[:3]) for c in np.unique(m.visual.face_colors, axis=0)}
    assert len(colours) >= 3
    palette = {tuple(int(h[i:i + 2], 16) for i in (1, 3, 5)) for h in get_palette("fes").colors}
    assert colours <= palette
    assert len(fes8.params["colours"]) == len(colours)
    for body in m.split(only_watertight=False)[:5]:  # one colour per piece
        assert len(np.unique(body.visual.face_colors, axis=0)) == 1


def test_printable_and_deterministic(fes8):
    rep = report(fes8.mesh, samples=1500)
    assert rep.ready, rep.verdict("en")
    assert rep.bodies == fes8.params["pieces"]
    again = tiles.generate(motif="zellige8", palette="fes", tile_mm=80, gap_mm=0.8, resolution=320, seed=2)
    assert np.array_equal(again.mesh.vertices, fes8.mesh.vertices)


@pytest.mark.parametrize("motif", ["zellige10", "zellige16"])
def test_other_families(motif):
    result = tiles.generate(motif=motif, palette="chefchaouen", tile_mm=60, resolution=256, seed=0)
    m = result.mesh
    assert m.is_watertight and m.is_winding_consistent and m.volume > 0
    assert m.body_count == result.params["pieces"] > 10
    assert np.all(np.abs(m.bounds[:, :2]) <= 30)


def test_glb_passes_the_khronos_validator(validator, fes8, tmp_path):
    path = fes8.save(tmp_path / "tiles.glb")
    rep = gltf_check.validate_glb(path)
    assert rep["errors"] == 0, [m for m in rep["messages"] if m["severity"] == "error"]


@pytest.mark.parametrize("name, value", [
    ("motif", "zellige12"), ("motif", "amazigh"), ("palette", "neon"), ("tile_mm", 10), ("thickness_mm", 0.5),
    ("gap_mm", 0), ("gap_mm", 5.0), ("resolution", 100), ("resolution", 4096), ("seed", 2**40),
])
def test_bad_parameters_are_named(name, value):
    with pytest.raises(ParameterError) as info:
        tiles.generate(**{"resolution": 256, name: value})
    assert info.value.name == name
