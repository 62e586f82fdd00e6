"""Exact procedural motifs: shapes, seamless tiles, rosette symmetry, seeds, palettes, errors, files."""

import json
import math

import numpy as np
import pytest

from workshop_kit.errors import DeviceError, ParameterError
from workshop_kit.image import motifs
from workshop_kit.palettes import PALETTES, get_palette

ROSETTES = [name for name, fam in motifs.FAMILIES.items() if fam.fold]
STYLES = [(name, variant) for name, fam in motifs.FAMILIES.items() for variant in fam.variants]


def test_families_are_described_in_three_languages():
    assert set(motifs.FAMILIES) >= {"zellige8", "zellige10", "zellige12", "zellige16", "amazigh", "yaz", "moucharabieh"}
    for name, fam in motifs.FAMILIES.items():
        assert fam.name == name
        assert set(fam.label) == {"fr", "en", "ar"}
        assert fam.group in {"p4m", "p6m", "cmm", "pmm"}
        assert fam.description


@pytest.mark.parametrize("family,variant", STYLES)
def test_every_family_draws_a_square_uint8_tile(family, variant):
    unit = motifs.tile(family, palette="fes", size=96, seed=1, variant=variant)
    assert unit.shape == (96, 96, 3)
    assert unit.dtype == np.uint8
    assert unit.std() > 10  # a pattern, not a flat colour


def _column_steps(image):
    """Mean colour change between neighbouring columns, the last one wrapping round to the first."""
    img = image.astype(np.float64)
    return np.abs(np.roll(img, -1, axis=1) - img).mean(axis=(0, 2))


@pytest.mark.parametrize("family,variant", STYLES)
@pytest.mark.parametrize("size", [128, 101])  # an odd size is drawn without using the mirrors
def test_tiles_are_seamless(family, variant, size):
    unit = motifs.tile(family, palette="marrakech", size=size, seed=3, variant=variant)
    for image in (unit, unit.transpose(1, 0, 2)):
        steps = _column_steps(image)
        seam, inside = steps[-1], steps[:-1]
        # crossing the edge of the tile changes the picture no more than crossing a typical column inside it
        assert seam <= np.percentile(inside, 90) + 1.0


def test_generate_tiles_the_unit_exactly():
    result = motifs.generate(motif="zellige16", palette="sahara", size=256, repeats=2, seed=4)
    unit = motifs.tile("zellige16", palette="sahara", size=128, seed=4)
    assert np.array_equal(result.image, np.tile(unit, (2, 2, 1)))
    assert np.array_equal(np.roll(result.image, 128, axis=(0, 1)), result.image)
    assert result.params["period"] == 128 and result.params["group"] == "p4m"


def test_generate_crops_when_size_is_not_a_multiple():
    result = motifs.generate(motif="amazigh", size=100, repeats=3, seed=0)
    assert result.image.shape == (100, 100, 3)
    assert result.params["period"] == 34
    assert np.array_equal(result.image[:, 34:68], result.image[:, :34])


def _rotate(image, angle, centre):
    """Bilinear rotation of ``image`` by ``angle`` radians about ``centre`` (pixel-edge coordinates, wrapping)."""
    n = image.shape[0]
    y, x = np.mgrid[0:n, 0:n] + 0.5
    c, s = math.cos(angle), math.sin(angle)
    sx = centre + c * (x - centre) - s * (y - centre) - 0.5
    sy = centre + s * (x - centre) + c * (y - centre) - 0.5
    x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    img = image.astype(np.float64)

    def at(yy, xx):
        return img[yy % n, xx % n]

    return ((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1))
            + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)))


@pytest.mark.parametrize("family", ROSETTES)
def test_rosettes_have_their_k_fold_symmetry(family):
    fam = motifs.FAMILIES[family]
    size = 768 if family == "zellige12" else 256
    unit = motifs.tile(family, palette="chefchaouen", size=size, seed=2)
    centred = np.roll(unit, (size // 2, size // 2), axis=(0, 1))  # the rosette at the tile's corner, now in the middle
    radius = 0.9 * fam.rosette_radius * size
    y, x = np.mgrid[0:size, 0:size] + 0.5
    disk = np.hypot(x - size / 2, y - size / 2) < radius

    def difference(angle):
        return np.abs(_rotate(centred, angle, size / 2) - centred)[disk].mean()

    turned = difference(2 * math.pi / fam.fold)
    half_turned = difference(math.pi / fam.fold)
    assert turned < 8.0, turned  # equal up to anti-aliasing
    assert turned < 0.35 * half_turned  # and a half step is clearly not a symmetry


@pytest.mark.parametrize("family", list(motifs.FAMILIES))
def test_seeds_are_deterministic_and_vary(family):
    first = motifs.tile(family, size=64, seed=11)
    assert np.array_equal(first, motifs.tile(family, size=64, seed=11))
    others = [motifs.tile(family, size=64, seed=s) for s in (0, 1, 2, 3)]  # 0 is a seed like any other
    assert any(not np.array_equal(first, o) for o in others)


def test_seed_none_draws_a_fresh_seed():
    result = motifs.generate(motif="yaz", size=64, repeats=1)
    assert 0 <= result.seed < 2**32
    again = motifs.generate(motif="yaz", size=64, repeats=1, seed=result.seed)
    assert np.array_equal(result.image, again.image)


@pytest.mark.parametrize("family,variant", [(f, v) for f, v in STYLES if v not in ("knotted", "beads", "star")])
@pytest.mark.parametrize("palette", list(PALETTES))
def test_pieces_take_the_palette_colours(family, variant, palette):
    size = 768 if family == "zellige12" else 256  # zellige12's tile holds 7 × 4 cells of its lattice
    unit = motifs.tile(family, palette=palette, size=size, seed=5, variant=variant).reshape(-1, 1, 3).astype(float)
    colours = get_palette(palette).rgb()[None] * 255
    nearest = np.abs(unit - colours).max(axis=2).min(axis=1)
    # the rest are anti-aliased edges, more of them in zellige12's small pieces
    assert (nearest <= 6).mean() > (0.7 if family == "zellige12" else 0.8)


@pytest.mark.parametrize("variant", ["beads", "star"])
def test_moucharabieh_openings_let_the_light_through(variant):
    palette = get_palette("atlantique")
    unit = motifs.tile("moucharabieh", palette="atlantique", size=128, seed=0, variant=variant)
    lum = palette.rgb() @ np.array([0.299, 0.587, 0.114])
    light = np.rint(palette.rgb()[np.argmax(lum)] * 255)
    opening = (np.abs(unit.astype(float) - light).max(axis=2) <= 1).mean()
    assert 0.15 < opening < 0.9


@pytest.mark.parametrize(
    "options,name,value",
    [
        (dict(motif="tagine"), "motif", "tagine"),
        (dict(palette="pink"), "palette", "pink"),
        (dict(size=32), "size", 32),
        (dict(size=5000), "size", 5000),
        (dict(repeats=0), "repeats", 0),
        (dict(repeats=17), "repeats", 17),
        (dict(variant="woven"), "variant", "woven"),
        (dict(seed=-1), "seed", -1),
        (dict(size=128.5), "size", 128.5),
    ],
)
def test_bad_parameters_are_refused_by_name(options, name, value):
    with pytest.raises(ParameterError) as info:
        motifs.generate(**options)
    assert info.value.name == name
    assert repr(value) in str(info.value)


def test_unknown_motif_lists_the_families():
    with pytest.raises(ParameterError) as info:
        motifs.tile("girih")
    assert "zellige8" in str(info.value) and "moucharabieh" in str(info.value)


def test_missing_gpu_is_an_error_not_a_silent_cpu_run():
    with pytest.raises(DeviceError):
        motifs.generate(size=64, device="quantum")
    assert motifs.generate(size=64, repeats=1, seed=0, device="cpu").device == "cpu"


def test_save_png_with_sidecar(tmp_path):
    result = motifs.generate(motif="zellige12", palette="atlantique", size=128, repeats=1, seed=9)
    path = result.save(tmp_path / "zellige.png")
    assert path.exists()
    record = json.loads((tmp_path / "zellige.png.json").read_text(encoding="utf-8"))
    assert record["engine"] == "motifs"
    assert record["seed"] == 9
    assert record["params"]["motif"] == "zellige12" and record["params"]["group"] == "p6m"
    from PIL import Image

    with Image.open(path) as img:
        assert np.array_equal(np.asarray(img.convert("RGB")), result.image)
