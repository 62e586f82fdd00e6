"""The motif diffusion engine: shipped weights, seamless artworks, seeds, errors, the classifier's verdict,
filmstrips."""

import json
import subprocess
import sys

import numpy as np
import pytest

from workshop_kit.errors import MissingModelError, OutputPathError, ParameterError
from workshop_kit.image import motif_classifier as mc
from workshop_kit.image import motif_diffusion as md
from workshop_kit.palettes import get_palette


def test_importing_loads_nothing():
    code = ("import sys, workshop_kit.image.motif_diffusion, workshop_kit.image.motif_classifier, "
            "workshop_kit.image.train_motifs; print('torch' in sys.modules, 'diffusers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_shipped_weights_load_offline_and_once():
    first = md.load_model(device="cpu")
    second = md.load_model(device="cpu")
    assert first is second
    unet, _, kit = first
    assert unet.config.num_class_embeds == len(md.CLASSES) + 1
    assert tuple(kit["classes"]) == md.CLASSES
    assert md.MODEL.folder().joinpath("unet", "diffusion_pytorch_model.safetensors").stat().st_size < 20e6
    assert md.MODEL.folder().joinpath("MODEL_CARD.md").is_file()
    metrics = json.loads(md.MODEL.folder().joinpath("metrics.json").read_text())
    assert metrics["evaluation"]["conditional_accuracy"] >= 0.8


@pytest.fixture(scope="module")
def artwork():
    return md.generate(motif="zellige8", palette="fes", size=1024, steps=10, seed=0, device="cpu")


def test_artwork_is_a_large_uint8_picture(artwork):
    assert artwork.image.shape == (1024, 1024, 3)
    assert artwork.image.dtype == np.uint8
    assert artwork.engine == "motif-diffusion" and artwork.seed == 0
    assert artwork.params["motif"] == "zellige8" and artwork.params["palette"] == "fes"
    assert artwork.image.std() > 20  # a pattern, not a flat colour
    fes = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in get_palette("fes").colors}
    colours, counts = np.unique(artwork.image.reshape(-1, 3), axis=0, return_counts=True)
    held = sum(n for c, n in zip(map(tuple, colours), counts) if c in fes)
    assert held / counts.sum() > 0.5  # mostly the palette's own colours, crisp edges between them


def _column_steps(image):
    img = image.astype(np.float64)
    return np.abs(np.roll(img, -1, axis=1) - img).mean(axis=(0, 2))


@pytest.mark.parametrize("motif", ["zellige8", "zellige12"])
def test_artwork_is_seamless_when_tiled(artwork, motif):
    image = artwork.image if motif == "zellige8" else md.generate(motif=motif, size=300, steps=4, seed=1).image
    for img in (image, image.transpose(1, 0, 2)):
        steps = _column_steps(img)
        assert steps[-1] <= np.percentile(steps[:-1], 90) + 1.0
        assert np.abs(img[:, 0].astype(int) - img[:, -1].astype(int)).max() <= 2  # mirror images across the edge


def test_same_seed_same_picture_different_seeds_differ(artwork):
    again = md.generate(motif="zellige8", palette="fes", size=1024, steps=10, seed=0, device="cpu")
    assert np.array_equal(again.image, artwork.image)
    other = md.generate(motif="zellige8", palette="fes", size=1024, steps=10, seed=1, device="cpu")
    assert np.abs(other.image.astype(int) - artwork.image.astype(int)).mean() > 5


def test_no_seed_draws_one_and_reports_it():
    result = md.generate(motif="yaz", size=256, steps=3)
    assert 0 <= result.seed < 2**32
    assert np.array_equal(md.generate(motif="yaz", size=256, steps=3, seed=result.seed).image, result.image)


@pytest.mark.parametrize("options,name", [
    ({"motif": "zellige9"}, "motif"),
    ({"palette": "pink"}, "palette"),
    ({"size": 255}, "size"),
    ({"size": 4097}, "size"),
    ({"steps": 1}, "steps"),
    ({"steps": 101}, "steps"),
    ({"guidance": 0.5}, "guidance"),
    ({"repeats": 0}, "repeats"),
    ({"seed": -1}, "seed"),
])
def test_bad_parameters_are_refused_naming_the_value(options, name):
    with pytest.raises(ParameterError) as err:
        md.generate(**options)
    assert err.value.name == name
    assert repr(next(iter(options.values()))) in str(err.value)
    if name == "motif":
        assert "zellige8" in str(err.value) and "moucharabieh" in str(err.value)


def test_missing_weights_name_the_training_command(tmp_path):
    with pytest.raises(MissingModelError) as err:
        md.generate(motif="zellige8", size=256, seed=0, model_path=tmp_path / "nowhere")
    assert "workshop-kit train motifs" in str(err.value)


def test_cells_drawn_for_a_family_are_read_as_that_family():
    # A fixed batch, few steps: the classifier trained on exact procedural motifs must recognise the family asked for.
    hits = []
    for k, motif in enumerate(md.CLASSES):
        cells = md.sample_cells(motif=motif, n=8, steps=8, seed=100 + k, device="cpu")
        assert cells.shape == (8, md.CELL_PX, md.CELL_PX)
        hits.append(mc.classify(cells) == k)
    accuracy = float(np.mean(hits))
    assert accuracy >= 0.8, f"conditional accuracy {accuracy:.0%}"


def test_classifier_reads_procedural_cells():
    cells = np.concatenate([md.procedural_cells(m, n=4, seed=999) for m in md.CLASSES])
    labels = np.repeat(np.arange(len(md.CLASSES)), 4)
    assert (mc.classify(cells) == labels).mean() >= 0.9
    assert mc.features(cells).shape == (len(cells), 64)


def test_denoising_goes_from_noise_to_the_tile(tmp_path):
    frames = md.denoising_steps(motif="moucharabieh", palette="chefchaouen", size=128, steps=6, seed=5)
    assert len(frames) == 7
    tile = md.tile(motif="moucharabieh", palette="chefchaouen", size=128, steps=6, seed=5)
    assert np.array_equal(frames[-1], tile)
    # the first picture is the seeded starting noise, coloured like the rest
    noise = ((md._noise(5).clamp(-1, 1) + 1) / 2)[0, 0].numpy()
    assert np.array_equal(frames[0], md.colourise(md._tile_levels(noise, "moucharabieh", 128), "chefchaouen"))

    def roughness(img):
        return np.abs(np.diff(img.astype(float), axis=1)).mean()
    assert roughness(frames[0]) > 2 * roughness(frames[-1])
    strip = md.filmstrip(frames, count=4, gap=4)
    assert strip.shape == (128, 4 * 128 + 3 * 4, 3)
    path = md.save_gif(frames, tmp_path / "noise.gif")
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.n_frames == len(frames)
    with pytest.raises(OutputPathError):
        md.save_gif(frames, tmp_path / "noise.png")
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_return_steps_and_tile_match_the_artwork():
    result, frames = md.generate(motif="amazigh", palette="sahara", size=256, repeats=1, steps=5, seed=2,
                                 return_steps=True)
    assert len(frames) == 6
    tile = md.tile(motif="amazigh", palette="sahara", size=256, steps=5, seed=2)
    assert np.array_equal(frames[-1], tile)
    assert np.array_equal(result.image, tile)  # one block across at the same size: the artwork is the tile


def test_zellige12_tile_keeps_its_lattice_proportions():
    tile = md.tile(motif="zellige12", size=112, steps=3, seed=0)
    assert tile.shape == (112, 128, 3)


def test_save_writes_picture_and_sidecar(tmp_path, artwork):
    path = artwork.save(tmp_path / "zellige.png")
    sidecar = json.loads((tmp_path / "zellige.png.json").read_text())
    assert path.is_file() and sidecar["engine"] == "motif-diffusion" and sidecar["seed"] == 0
