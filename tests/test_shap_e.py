"""Shap-E's real loading, generation and mesh code, on tiny random pipelines built here (no download)."""

import json

import numpy as np
import pytest
import trimesh

from workshop_kit import tiny_models as tiny_shap_e
from workshop_kit.errors import MissingModelError, ParameterError
from workshop_kit.mesh import shap_e
from workshop_kit.pretrained import ENV_VAR, locate

FAST = dict(steps=4, grid_size=16, progress=False)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {"text": tiny_shap_e.shap_e(root / "shap-e"), "image": tiny_shap_e.shap_e_img2img(root / "shap-e-img2img"),
            "root": root}


def make(models, **kw):
    options = dict(prompt="a tagine from Safi", seed=0, model_path=models["text"], **FAST)
    options.update(kw)
    return shap_e.generate(**options)


def test_marching_cubes_table_closes_a_sphere():
    import torch
    from diffusers.pipelines.shap_e.renderer import MeshDecoder

    cases, masks = tiny_shap_e.marching_cubes_table()
    decoder = MeshDecoder()
    decoder.cases.copy_(torch.from_numpy(cases))
    decoder.masks.copy_(torch.from_numpy(masks))
    axis = torch.linspace(-1, 1, 24)
    x, y, z = torch.meshgrid(axis, axis, axis, indexing="ij")
    out = decoder(0.6 - torch.sqrt(x**2 + y**2 + z**2), torch.tensor([-1.0] * 3), torch.tensor([2.0] * 3))
    mesh = trimesh.Trimesh(out.verts.numpy(), out.faces.numpy())
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0


def test_text_to_mesh_in_millimetres_z_up_with_provenance(models, tmp_path):
    result = make(models, size_mm=80)
    mesh = result.mesh
    assert result.engine == "shap-e" and result.device == "cpu"
    assert mesh.is_watertight and mesh.volume > 0
    assert float(mesh.extents.max()) == pytest.approx(80.0)
    assert float(mesh.bounds[0, 2]) == pytest.approx(0.0, abs=1e-9)  # standing on z = 0
    assert np.allclose((mesh.bounds[0, :2] + mesh.bounds[1, :2]) / 2, 0.0, atol=1e-9)  # centred on the z axis
    assert mesh.visual.kind == "vertex" and mesh.visual.vertex_colors.shape == (len(mesh.vertices), 4)
    assert result.model["id"] == "openai/shap-e" and result.model["licence"] == "MIT"
    assert result.params == dict(prompt="a tagine from Safi", steps=4, guidance_scale=15.0, grid_size=16, size_mm=80.0)
    assert any(note.startswith("made in") for note in result.notes)

    glb = result.save(tmp_path / "tagine.glb")
    back = trimesh.load(glb, force="mesh")  # glTF: metres, Y up
    assert float(back.extents.max()) == pytest.approx(0.080, rel=1e-4)
    assert float(back.extents[1]) == pytest.approx(float(mesh.extents[2]) / 1000, rel=1e-4)
    stl = result.save(tmp_path / "tagine.stl")
    printed = trimesh.load(stl)
    assert printed.is_watertight and float(printed.extents.max()) == pytest.approx(80.0, rel=1e-4)
    record = json.loads((tmp_path / "tagine.stl.json").read_text())
    assert record["engine"] == "shap-e" and record["model"]["id"] == "openai/shap-e" and record["seed"] == 0


def test_same_seed_same_mesh_other_seed_other_mesh(models):
    a, b, c = make(models, seed=7), make(models, seed=7), make(models, seed=8)
    assert np.array_equal(a.mesh.vertices, b.mesh.vertices) and np.array_equal(a.mesh.faces, b.mesh.faces)
    assert a.mesh.vertices.shape != c.mesh.vertices.shape or not np.allclose(a.mesh.vertices, c.mesh.vertices)


def test_pipeline_is_loaded_once(models):
    make(models)
    before = shap_e.load_pipeline.cache_info()
    make(models, seed=5)
    after = shap_e.load_pipeline.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses


def test_image_to_mesh(models):
    picture = np.zeros((48, 64, 3), dtype=np.uint8)
    picture[8:40, 16:48] = (30, 80, 200)  # a blue block on black
    result = shap_e.generate(image=picture, seed=0, model_path=models["image"], **FAST)
    assert result.mesh.is_watertight and result.model["id"] == "openai/shap-e-img2img"
    assert result.params["image"] == "64x48 px" and result.params["guidance_scale"] == 3.0
    assert "prompt" not in result.params


def test_long_prompt_is_reported_as_truncated(models):
    result = make(models, prompt="zellige " * 60)
    assert any("truncated" in note for note in result.notes)


@pytest.mark.parametrize(
    "kw, named",
    [
        (dict(prompt=""), "prompt"),
        (dict(prompt="\u200b \u200d"), "prompt"),
        (dict(prompt=None), "neither"),
        (dict(image=np.zeros((32, 32, 3), np.uint8)), "both"),
        (dict(steps=3), "steps"),
        (dict(steps=129), "steps"),
        (dict(guidance_scale=0.5), "guidance_scale"),
        (dict(guidance_scale=31), "guidance_scale"),
        (dict(grid_size=8), "grid_size"),
        (dict(size_mm=5), "size_mm"),
        (dict(seed=-1), "seed"),
        (dict(prompt=None, image=np.zeros((8, 8, 3), np.uint8)), "image"),
        (dict(prompt=None, image=np.full((32, 32, 3), 300.0)), "image"),
        (dict(prompt=None, image="picture.png"), "image"),
    ],
)
def test_bad_input_is_named(models, kw, named):
    with pytest.raises(ParameterError, match=named):
        make(models, **kw)


def test_missing_model_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(MissingModelError) as info:
        shap_e.generate(prompt="a lantern", **FAST)
    assert str(tmp_path / "shap-e") in str(info.value) and "models fetch shap-e" in str(info.value)
    with pytest.raises(MissingModelError, match="shap-e-img2img"):
        shap_e.generate(image=np.zeros((32, 32, 3), np.uint8), **FAST)
    with pytest.raises(MissingModelError, match="holds no shap-e"):
        shap_e.generate(prompt="a lantern", model_path=tmp_path, **FAST)


def test_offline_pack_folder_is_found(models, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(models["root"]))
    shap_e.generate(prompt="a brass lantern", seed=0, **FAST)  # registers the specs if pretrained.py lacks them
    assert locate("shap-e") == models["root"] / "shap-e"
    assert locate("shap-e-img2img") == models["root"] / "shap-e-img2img"


def test_estimate_is_honest_about_a_cpu():
    cpu64 = shap_e.estimate_seconds("cpu", 64)
    assert cpu64 > 60  # Shap-E is never a matter of seconds on a CPU
    assert shap_e.estimate_seconds("cpu", 32) < cpu64
    assert shap_e.estimate_seconds("cpu", 64, grid_size=64) < cpu64
    assert shap_e.estimate_seconds("cpu", 64, image=True) > cpu64  # more tokens for the picture
    with pytest.raises(ParameterError, match="steps"):
        shap_e.estimate_seconds("cpu", 500)
