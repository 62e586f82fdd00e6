"""GLB files checked by the Khronos glTF validator (Node.js and the npm package gltf-validator).

Without them these tests are skipped, unless WORKSHOP_KIT_REQUIRE_GLTF_VALIDATOR=1 (as in `make test` and CI), where
a missing validator is a failure.
"""


import numpy as np
import pytest
import trimesh

from workshop_kit.errors import EngineUnavailableError, ParameterError
from workshop_kit.mesh import gltf_check
from workshop_kit.mesh.gltf_check import validate_glb, validator_available


def _errors(report):
    return [m for m in report["messages"] if m["severity"] == "error"]


def test_plain_box_glb_is_valid(validator, tmp_path):
    path = tmp_path / "box.glb"
    trimesh.creation.box((20, 20, 20)).export(path)
    report = validate_glb(path)
    assert report["valid"] and report["errors"] == 0, _errors(report)
    assert report["warnings"] == 0
    assert report["info"]["totalTriangleCount"] == 12
    assert report["validator_version"]


def test_vertex_coloured_glb_is_valid(validator, tmp_path):
    mesh = trimesh.creation.icosphere(subdivisions=2, radius=10)
    rng = np.random.default_rng(0)
    mesh.visual.vertex_colors = rng.integers(0, 256, (len(mesh.vertices), 4), dtype=np.uint8)
    path = tmp_path / "colours.glb"
    mesh.export(path)
    report = validate_glb(path)
    assert report["valid"] and report["errors"] == 0, _errors(report)
    assert report["warnings"] == 0
    assert report["info"]["maxAttributes"] >= 2  # POSITION and COLOR_0


def test_glazed_lathe_pot_saved_by_the_kit_is_valid(validator, tmp_path):
    from workshop_kit.mesh import lathe

    path = lathe.generate(preset="tagine", palette="fes", seed=1, segments=32).save(tmp_path / "tagine.glb")
    report = validate_glb(path)
    assert report["valid"] and report["errors"] == 0, _errors(report)
    assert report["warnings"] == 0


def test_not_a_gltf_file(validator, tmp_path):
    path = tmp_path / "noise.glb"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(ParameterError):
        validate_glb(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ParameterError):
        validate_glb(tmp_path / "nothing.glb")


def test_modules_folder_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(gltf_check.ENV_NODE_MODULES, str(tmp_path / "node_modules"))
    assert gltf_check.node_modules_dir() == tmp_path / "node_modules"
    monkeypatch.setenv(gltf_check.ENV_NODE_MODULES, str(tmp_path))  # an npm --prefix folder
    assert gltf_check.node_modules_dir() == tmp_path
    (tmp_path / "node_modules").mkdir()
    assert gltf_check.node_modules_dir() == tmp_path / "node_modules"
    monkeypatch.delenv(gltf_check.ENV_NODE_MODULES)
    assert gltf_check.node_modules_dir().parts[-2:] == (".tools", "node_modules")


def test_missing_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv(gltf_check.ENV_NODE_MODULES, str(tmp_path / "node_modules"))
    path = tmp_path / "box.glb"
    trimesh.creation.box().export(path)
    assert not validator_available()
    with pytest.raises(EngineUnavailableError) as info:
        validate_glb(path)
    assert f"npm install --prefix {tmp_path} gltf-validator" in str(info.value)
    assert "npm install" in info.value.message("fr")


def test_missing_node_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    path = tmp_path / "box.glb"
    trimesh.creation.box().export(path)
    with pytest.raises(EngineUnavailableError, match="Node.js"):
        validate_glb(path)
