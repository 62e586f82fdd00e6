"""Headless previews: a still picture and a turntable GIF, drawn by numpy."""

import numpy as np
import pytest
import trimesh
from PIL import Image

from workshop_kit.errors import OutputPathError, ParameterError
from workshop_kit.mesh.preview import DEFAULT_BACKGROUND, render_png, turntable_gif

BACKGROUND = np.array([int(DEFAULT_BACKGROUND[i:i + 2], 16) for i in (1, 3, 5)])


@pytest.fixture(scope="module")
def box():
    return trimesh.creation.box((40, 30, 20))


def _object_fraction(image: np.ndarray, background=BACKGROUND) -> float:
    """Share of pixels clearly unlike the background (the soft shadow only darkens it a little)."""
    return float(np.mean(np.abs(image.astype(int) - background).max(axis=2) > 40))


def test_shape_and_type(box):
    image = render_png(box, size=96)
    assert image.shape == (96, 96, 3) and image.dtype == np.uint8


def test_not_blank_and_framed(box):
    image = render_png(box, size=128)
    assert 0.25 < _object_fraction(image) < 0.9
    assert np.abs(image[64, 64].astype(int) - BACKGROUND).max() > 40  # the object is in the middle
    assert np.array_equal(image[0, 0], BACKGROUND)  # and the corners are background
    assert np.array_equal(image[0, -1], BACKGROUND)
    # shaded, not flat: the visible faces of a box get different light
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 3


def test_deterministic(box):
    assert np.array_equal(render_png(box, size=96), render_png(box, size=96))


def test_changes_with_azimuth_and_elevation(box):
    a = render_png(box, size=96, azimuth=30)
    b = render_png(box, size=96, azimuth=75)
    c = render_png(box, size=96, azimuth=30, elevation=60)
    assert np.abs(a.astype(int) - b.astype(int)).max() > 30
    assert np.abs(a.astype(int) - c.astype(int)).max() > 30


def test_vertex_colours_are_used():
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=10)
    sphere.visual.vertex_colors = np.tile([200, 20, 20, 255], (len(sphere.vertices), 1)).astype(np.uint8)
    image = render_png(sphere, size=64).astype(int)
    centre = image[24:40, 24:40].reshape(-1, 3).mean(axis=0)
    assert centre[0] > 2 * centre[1] and centre[0] > 2 * centre[2]
    green = render_png(sphere, size=64, color="#20C040").astype(int)[24:40, 24:40].reshape(-1, 3).mean(axis=0)
    assert green[1] > green[0] and green[1] > green[2]


def test_open_and_inside_faces_are_drawn():
    tube = trimesh.creation.annulus(r_min=18, r_max=20, height=30, sections=64)
    tube.update_faces(np.flatnonzero(tube.face_normals[:, 2] < 0.5))  # take off the top ring: an open tube
    assert not tube.is_watertight
    image = render_png(tube, size=96, elevation=60)
    assert _object_fraction(image) > 0.3


def test_background_and_up_axis(box):
    image = render_png(box, size=64, background=(10, 20, 30))
    assert tuple(image[0, 0]) == (10, 20, 30)
    lying = box.copy()
    lying.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))  # z up -> y up
    difference = render_png(lying, size=64, up="y").astype(int) - render_png(box, size=64).astype(int)
    assert np.abs(difference).max() <= 2


def test_saves_a_png(box, tmp_path):
    out = tmp_path / "box.png"
    image = render_png(box, size=48, path=out)
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), image)
    with pytest.raises(OutputPathError):
        render_png(box, size=48, path=tmp_path / "box.jpg")


def test_bad_options_are_refused(box):
    for options in ({"size": 0}, {"elevation": 95}, {"background": "pink"}, {"color": (300, 0, 0)}, {"up": "w"}):
        with pytest.raises(ParameterError):
            render_png(box, **options)
    with pytest.raises(ParameterError):
        render_png("box.stl")
    with pytest.raises(ParameterError):
        render_png(trimesh.Trimesh())


def test_turntable_gif_has_the_frames(box, tmp_path):
    out = turntable_gif(box, tmp_path / "box.gif", frames=6, size=64)
    assert out == tmp_path / "box.gif"
    with Image.open(out) as gif:
        assert gif.n_frames == 6
        assert gif.size == (64, 64)
        assert gif.info.get("loop") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["box.gif", "box.gif.json"]  # no temporary file left


def test_turntable_gif_refuses_bad_paths(box, tmp_path):
    with pytest.raises(OutputPathError):
        turntable_gif(box, tmp_path / "box.png", frames=4, size=32)
    with pytest.raises(OutputPathError):
        turntable_gif(box, tmp_path / "missing" / "box.gif", frames=4, size=32)
    with pytest.raises(ParameterError):
        turntable_gif(box, tmp_path / "box.gif", frames=1, size=32)
    assert list(tmp_path.iterdir()) == []
