"""SD-Turbo's real loading and generation code, on a tiny random pipeline built here (no download)."""

import json

import numpy as np
import pytest

from workshop_kit import tiny_models
from workshop_kit.errors import MissingModelError, ParameterError
from workshop_kit.image import sd_turbo
from workshop_kit.pretrained import ENV_VAR, locate


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {
        "sd": tiny_models.sd_turbo(root / "sd-turbo"),
        "taesd": tiny_models.taesd(root / "taesd"),
        "flag_all": tiny_models.safety_checker(root / "flag-all", flag_everything=True),
        "flag_none": tiny_models.safety_checker(root / "flag-none", flag_everything=False),
        "root": root,
    }


def make(models, **kw):
    options = dict(prompt="zellige in Fès", size=64, seed=0, model_path=models["sd"], progress=False)
    options.update(kw)
    return sd_turbo.generate(**options)


def test_text_to_image_shape_and_provenance(models, tmp_path):
    result = make(models)
    assert result.image.shape == (64, 64, 3) and result.image.dtype == np.uint8
    assert result.model["id"] == "stabilityai/sd-turbo" and len(result.model["revision"]) == 40
    assert "Community" in result.model["licence"]
    path = result.save(tmp_path / "door.png")
    record = json.loads((tmp_path / "door.png.json").read_text())
    assert record["model"]["revision"] == result.model["revision"] and record["params"]["prompt"] == "zellige in Fès"
    assert path.exists()


def test_same_seed_same_picture_other_seed_other_picture(models):
    a, b, c = make(models, seed=0), make(models, seed=0), make(models, seed=1)
    assert np.array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)


def test_pipeline_is_loaded_once(models):
    make(models)
    before = sd_turbo.load_pipeline.cache_info()
    make(models, seed=5)
    after = sd_turbo.load_pipeline.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses


def test_tiny_decoder_is_used_and_recorded(models):
    result = make(models, taesd_path=models["taesd"])
    assert result.model["decoder"]["id"] == "madebyollin/taesd" and result.params["tiny_decoder"] is True
    assert not np.array_equal(result.image, make(models).image)


def test_image_to_image(models):
    start = np.full((80, 80, 3), 200, dtype=np.uint8)
    result = make(models, image=start, strength=0.5, steps=2)
    assert result.image.shape == (64, 64, 3) and result.params["strength"] == 0.5


def test_long_prompt_is_reported_as_truncated(models):
    result = make(models, prompt="zellige " * 60)
    assert any("truncated" in note for note in result.notes)
    assert not make(models).notes


def test_safety_checker_withholds_a_flagged_picture(models):
    flagged = make(models, safety_checker=True, safety_checker_path=models["flag_all"])
    assert any("safety checker" in note for note in flagged.notes)
    assert (flagged.image == flagged.image[0, 0]).all()  # replaced by a plain picture
    passed = make(models, safety_checker=True, safety_checker_path=models["flag_none"])
    assert not passed.notes and np.array_equal(passed.image, make(models).image)


@pytest.mark.parametrize(
    "kw, named",
    [
        (dict(prompt=""), "prompt"),
        (dict(prompt="\u200b\u200b \u200d"), "prompt"),
        (dict(prompt="a" * 10_000), "10000 characters"),
        (dict(prompt=None), "prompt"),
        (dict(steps=0), "steps"),
        (dict(steps=50), "steps"),
        (dict(size=60), "size"),
        (dict(size=4096), "size"),
        (dict(seed=-3), "seed"),
        (dict(image=np.zeros((8, 8, 3), np.uint8), strength=0.2, steps=1), "strength"),
    ],
)
def test_bad_input_is_named(models, kw, named):
    with pytest.raises(ParameterError, match=named):
        make(models, **kw)


def test_missing_model_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(MissingModelError) as info:
        sd_turbo.generate(prompt="x", size=64)
    assert str(tmp_path / "sd-turbo") in str(info.value) and "models fetch sd-turbo" in str(info.value)
    with pytest.raises(MissingModelError, match="holds no sd-turbo"):
        locate("sd-turbo", model_path=tmp_path)


def test_offline_pack_folder_is_found(models, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(models["root"]))
    assert locate("sd-turbo") == models["root"] / "sd-turbo"
    result = sd_turbo.generate(prompt="Majorelle", size=64, seed=0, progress=False)
    assert result.model["path"] == str(models["root"] / "sd-turbo")
