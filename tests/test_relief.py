"""Bas-reliefs from pictures and motifs: closed plates of the asked size."""


import numpy as np
import pytest
from PIL import Image

from workshop_kit.errors import ParameterError
from workshop_kit.mesh import gltf_check, relief
from workshop_kit.mesh.printability import report


def _disc(size=48):
    yy, xx = np.mgrid[0:size, 0:size]
    return ((np.hypot(xx - size / 2, yy - size / 2) < size / 3) * 255).astype(np.uint8)


def _solid(m):
    assert m.is_watertight and m.is_winding_consistent and m.volume > 0


@pytest.mark.parametrize("motif", ["zellige8", "zellige12", "amazigh", "moucharabieh"])
def test_motif_reliefs_are_closed_plates(motif):
    result = relief.generate(motif=motif, width_mm=90, resolution=96, seed=1)
    m = result.mesh
    _solid(m)
    assert result.engine == "relief" and result.params["motif"] == motif
    assert m.extents[0] == pytest.approx(90) and m.extents[2] == pytest.approx(9)
    assert m.bounds[0][2] == pytest.approx(0)
    assert m.body_count == 1
    # carved: less material than the full block, more than the base
    area = m.extents[0] * m.extents[1]
    assert 3 * area < m.volume < 9 * area


def test_picture_relief_size_heights_and_invert(tmp_path):
    path = tmp_path / "disc.png"
    Image.fromarray(_disc(48)).resize((96, 48)).save(path)
    result = relief.generate(image=path, width_mm=100, depth_mm=4, base_mm=2, frame_mm=0, resolution=64, smooth=0)
    m = result.mesh
    _solid(m)
    assert [round(float(e), 3) for e in m.extents] == [100.0, round(100 * 31 / 63, 3), 6.0]
    assert result.params["image"] == "disc.png"
    inverted = relief.generate(image=path, width_mm=100, depth_mm=4, base_mm=2, frame_mm=0, resolution=64,
                               smooth=0, invert=True)
    _solid(inverted.mesh)
    # the disc is light and covers less than half: carving it high takes less material than carving it low
    assert m.volume < inverted.mesh.volume


def test_frame_stands_at_the_top():
    m = relief.generate(image=np.zeros((32, 32), np.uint8), width_mm=60, frame_mm=6, resolution=40).mesh
    _solid(m)
    top = m.vertices[m.vertices[:, 2] > 8.99]
    ring = np.abs(top[:, :2]).max(axis=1)  # how far out each top point is (square distance)
    assert ring.max() == pytest.approx(30)
    assert ring.min() >= 30 - 6 - 1.6  # only the frame is at full height: the flat middle is lower
    assert m.volume < 60 * 60 * 9


def test_ready_to_print_and_deterministic():
    a = relief.generate(motif="zellige8", width_mm=80, resolution=80, seed=5)
    rep = report(a.mesh, samples=1000)
    assert rep.ready, rep.verdict("en")
    b = relief.generate(motif="zellige8", width_mm=80, resolution=80, seed=5)
    assert np.array_equal(a.mesh.vertices, b.mesh.vertices)
    c = relief.generate(motif="zellige8", width_mm=80, resolution=80, seed=6)
    assert not np.array_equal(a.mesh.vertices, c.mesh.vertices)


def test_glb_passes_the_khronos_validator(validator, tmp_path):
    path = relief.generate(motif="yaz", width_mm=60, resolution=48, seed=0).save(tmp_path / "relief.glb")
    rep = gltf_check.validate_glb(path)
    assert rep["errors"] == 0, [m for m in rep["messages"] if m["severity"] == "error"]


@pytest.mark.parametrize("name, value", [
    ("motif", "plaid"), ("width_mm", 5), ("width_mm", float("inf")), ("depth_mm", 0), ("base_mm", 100),
    ("frame_mm", 60), ("resolution", 8), ("resolution", 2.5), ("invert", "yes"), ("smooth", -1), ("seed", "x"),
])
def test_bad_parameters_are_named(name, value):
    with pytest.raises(ParameterError) as info:
        relief.generate(**{"width_mm": 100, name: value})
    assert info.value.name == name


def test_bad_pictures_are_refused(tmp_path):
    gif = tmp_path / "a.gif"
    Image.new("P", (8, 8)).save(gif)
    with pytest.raises(ParameterError, match="GIF") as info:
        relief.generate(image=gif)
    assert info.value.name == "image"
    with pytest.raises(ParameterError) as info:
        relief.generate(image=_disc(), motif="zellige8")
    assert info.value.name == "motif"
