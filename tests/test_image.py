"""The embedded image engine: CPPN generative art."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workshop_kit import image
from workshop_kit.errors import DeviceError, OutputPathError, ParameterError
from workshop_kit.image import cppn
from workshop_kit.palettes import PALETTES, get_palette
from workshop_kit.presets import CITIES
from workshop_kit.results import ImageResult


def small(**options) -> ImageResult:
    options.setdefault("size", 64)
    options.setdefault("seed", 0)
    return cppn.generate(**options)


@pytest.mark.parametrize("style", sorted(cppn.STYLES))
def test_shape_dtype_and_result(style):
    result = small(style=style, palette="fes", seed=11)
    assert isinstance(result, ImageResult)
    assert result.image.shape == (64, 64, 3)
    assert result.image.dtype == np.uint8
    assert result.engine == "cppn"
    assert result.device == "cpu"
    assert result.seed == 11
    assert result.params["style"] == style and result.params["palette"] == "fes" and result.params["size"] == 64
    assert result.seconds >= 0
    assert result.image.std() > 10  # a picture, not a flat colour


def test_size_follows_request():
    assert small(size=100).image.shape == (100, 100, 3)
    assert small(size=128.0).params["size"] == 128  # a whole float is a whole number


def test_registry_and_options_are_case_insensitive():
    result = image.generate(engine="cppn", palette="Chefchaouen", style="ROSETTE", size=64, seed=1)
    assert result.params["palette"] == "chefchaouen" and result.params["style"] == "rosette"
    assert result.params["k"] in cppn.ROSETTE_FOLDS


def test_same_seed_same_picture_other_seed_other_picture():
    for style in cppn.STYLES:
        a, b, c = small(style=style, seed=0), small(style=style, seed=0), small(style=style, seed=1)
        np.testing.assert_array_equal(a.image, b.image)
        assert np.abs(a.image.astype(int) - c.image.astype(int)).mean() > 5


def test_seed_none_draws_an_int_that_reproduces():
    first = small(seed=None)
    assert isinstance(first.seed, int) and 0 <= first.seed < 2**32
    again = small(seed=first.seed)
    np.testing.assert_array_equal(first.image, again.image)


@pytest.mark.parametrize("palette", sorted(PALETTES))
def test_palette_colours_are_used(palette):
    result = small(palette=palette, size=96, seed=5)
    pixels = result.image.reshape(-1, 1, 3).astype(np.float32) / 255
    colours = get_palette(palette).rgb()[None, :, :]
    distance = np.linalg.norm(pixels - colours, axis=2)
    assert np.median(distance.min(axis=1)) < 0.06  # most pixels sit on a palette colour, not between them
    assert len(np.unique(distance.argmin(axis=1))) >= 4  # and the picture uses several of them


def test_rosette_has_its_rotational_symmetry():
    result = small(style="rosette", size=201, seed=4)  # odd size: the centre is a pixel
    k = result.params["k"]
    picture = result.image.astype(np.float32)
    if k % 4 == 0:  # a quarter turn is one of the rosette's symmetries
        turned = np.rot90(picture)
        assert np.abs(turned - picture).mean() < 3
    mirrored = picture[::-1]  # the mirror across the horizontal axis is always one
    assert np.abs(mirrored - picture).mean() < 3


def test_tile_edges_continue():
    picture = small(style="tile", size=128, seed=9).image.astype(np.float32)
    step_x = np.abs(np.diff(picture, axis=1)).mean()
    step_y = np.abs(np.diff(picture, axis=0)).mean()
    seam_x = np.abs(picture[:, 0] - picture[:, -1]).mean()
    seam_y = np.abs(picture[0] - picture[-1]).mean()
    assert seam_x <= 2 * step_x + 1
    assert seam_y <= 2 * step_y + 1
    # and a picture that is not a tile does not wrap like that
    flow = small(style="flow", size=128, seed=9).image.astype(np.float32)
    assert np.abs(flow[:, 0] - flow[:, -1]).mean() > 2 * np.abs(np.diff(flow, axis=1)).mean() + 1


@pytest.mark.parametrize(
    "options, name, bad",
    [
        (dict(palette="pink"), "palette", "pink"),
        (dict(palette=3), "palette", 3),
        (dict(style="cubist"), "style", "cubist"),
        (dict(size=63), "size", 63),
        (dict(size=2049), "size", 2049),
        (dict(size=100.5), "size", 100.5),
        (dict(size="big"), "size", "big"),
        (dict(size=True), "size", True),
        (dict(seed=-1), "seed", -1),
        (dict(seed=2**32), "seed", 2**32),
        (dict(seed=1.5), "seed", 1.5),
        (dict(device="tpu"), "device", "tpu"),
    ],
)
def test_bad_parameters_raise_naming_the_value(options, name, bad):
    with pytest.raises(ParameterError) as info:
        small(**options)
    assert isinstance(info.value, ValueError)
    assert info.value.name == name
    assert repr(bad) in str(info.value)


def test_unknown_palette_and_style_list_the_allowed_ones():
    with pytest.raises(ParameterError) as info:
        small(palette="pink")
    assert all(name in str(info.value) for name in PALETTES)
    with pytest.raises(ParameterError) as info:
        small(style="cubist")
    assert all(name in str(info.value) for name in cppn.STYLES)


def test_missing_gpu_is_an_error_not_a_silent_cpu_run():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(DeviceError):
        small(device="cuda")


def test_every_city_names_an_existing_style_and_palette():
    for city in CITIES.values():
        assert city.image_style in cppn.STYLES, city.name
        assert city.palette in PALETTES, city.name


def test_styles_describe_themselves_in_french_too():
    assert set(cppn.STYLES) == {"flow", "rosette", "tile"}
    assert all(" — " in text for text in cppn.STYLES.values())
    assert (cppn.MIN_SIZE, cppn.MAX_SIZE) == (64, 2048)


@pytest.mark.parametrize("suffix, pil_format",
                         [(".png", "PNG"), (".jpg", "JPEG"), (".jpeg", "JPEG"), (".webp", "WEBP")])
def test_save_writes_picture_and_sidecar(tmp_path, suffix, pil_format):
    from PIL import Image

    result = small(style="rosette", seed=3)
    path = result.save(tmp_path / f"rosette{suffix}")
    assert path.exists()
    with Image.open(path) as reloaded:
        assert reloaded.format == pil_format
        assert reloaded.size == (64, 64)
        if suffix == ".png":
            np.testing.assert_array_equal(np.asarray(reloaded.convert("RGB")), result.image)
    sidecar = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    assert sidecar["engine"] == "cppn" and sidecar["seed"] == 3 and sidecar["params"]["style"] == "rosette"
    assert sidecar["file"] == path.name


@pytest.mark.parametrize("name", ["missing/picture.png", "picture.gif", "picture"])
def test_bad_output_path_leaves_nothing(tmp_path, name):
    result = small()
    with pytest.raises(OutputPathError):
        result.save(tmp_path / name)
    assert list(tmp_path.rglob("*")) == []


def test_repr_png_is_a_png():
    assert small()._repr_png_().startswith(b"\x89PNG")


def test_importing_the_engine_does_not_import_torch():
    code = "import sys, workshop_kit, workshop_kit.image.cppn; print('torch' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "False"
