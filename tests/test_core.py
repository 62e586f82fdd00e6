"""The backbone: cheap import, device choice, seeds, safe files, provenance, one error hierarchy, set-up files."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import workshop_kit as wk
from workshop_kit.device import resolve_device
from workshop_kit.errors import DeviceError, OutputPathError, ParameterError, WorkshopKitError
from workshop_kit.files import check_output_path, sidecar_path
from workshop_kit.motif_geometry import FAMILIES
from workshop_kit.results import ImageResult
from workshop_kit.validation import check_choice, check_float, check_int, resolve_seed

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "gradio", "diffusers", "transformers", "librosa", "trimesh")


def test_import_is_light():
    code = ("import sys, workshop_kit, workshop_kit.image, workshop_kit.music, workshop_kit.mesh; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]", f"importing the package pulled in {out.strip()}"


def test_lazy_submodules_and_unknown_attribute():
    assert wk.palettes.PALETTES  # loads on first use
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        wk.nope  # noqa: B018


def test_device_auto_is_cpu_here_and_env_overrides(monkeypatch):
    monkeypatch.delenv("WORKSHOP_KIT_DEVICE", raising=False)
    import torch

    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto") == resolve_device(None) == expected
    monkeypatch.setenv("WORKSHOP_KIT_DEVICE", "cpu")
    assert resolve_device("auto") == "cpu"
    assert resolve_device("CPU") == "cpu"


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_is_an_error_not_a_silent_cpu_run(monkeypatch):
    with pytest.raises(DeviceError, match="cuda"):
        resolve_device("cuda")
    monkeypatch.setenv("WORKSHOP_KIT_DEVICE", "cuda")
    with pytest.raises(DeviceError):
        resolve_device("auto")


@pytest.mark.parametrize("bad", ["tpu", "gpu", "cpu:0", "", 3])
def test_unknown_device_names_the_value(bad):
    with pytest.raises(DeviceError) as info:
        resolve_device(bad)
    assert "cpu" in str(info.value) and "auto" in str(info.value)


def test_seed_zero_is_a_seed_and_none_draws_one():
    assert resolve_seed(0) == 0
    assert resolve_seed(2**32 - 1) == 2**32 - 1
    drawn = {resolve_seed(None) for _ in range(5)}
    assert all(isinstance(s, int) and 0 <= s < 2**32 for s in drawn) and len(drawn) > 1


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "7", True])
def test_bad_seed(bad):
    with pytest.raises(ParameterError, match="seed"):
        resolve_seed(bad)


def test_parameter_error_is_a_value_error_with_both_languages():
    err = ParameterError("palette", "pink", ["fes", "sahara"])
    assert isinstance(err, ValueError) and isinstance(err, WorkshopKitError)
    assert "'pink'" in str(err) and "fes, sahara" in str(err)
    assert "valeurs possibles" in err.message("fr") and err.message("en") == str(err)
    assert "القيم الممكنة" in err.message("ar") and "'pink'" in err.message("ar")


def test_checks():
    assert check_choice("palette", " FES ", ["fes", "sahara"]) == "fes"
    assert check_int("bars", 4.0, 1, 64) == 4
    assert check_float("t", 1, 0, 2) == 1.0
    for call in (lambda: check_int("bars", 0, 1, 64), lambda: check_int("bars", "4", 1, 64),
                 lambda: check_float("t", float("nan"), 0, 2), lambda: check_choice("p", 3, ["a"])):
        with pytest.raises(ParameterError):
            call()


def _picture():
    rng = np.random.default_rng(0)
    return ImageResult(engine="test", seed=5, params={"size": 8}, device="cpu", seconds=0.01,
                       image=rng.integers(0, 255, (8, 8, 3), dtype=np.uint8))


def test_save_writes_file_and_sidecar(tmp_path):
    path = _picture().save(tmp_path / "p.png")
    record = json.loads(sidecar_path(path).read_text())
    assert record["engine"] == "test" and record["seed"] == 5 and record["device"] == "cpu"
    assert record["params"] == {"size": 8} and record["format"] == "png" and len(record["sha256"]) == 64
    assert record["versions"]["workshop-kit"] == wk.__version__
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png", "p.png.json"]


@pytest.mark.parametrize("name", ["p.gif", "p", "missing/p.png"])
def test_bad_output_path_leaves_nothing(tmp_path, name):
    with pytest.raises(OutputPathError) as info:
        _picture().save(tmp_path / name)
    assert name.split("/")[-1] in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_folder_is_reported():
    with pytest.raises(OutputPathError, match="cannot be written|does not exist"):
        check_output_path("/proc/p.png", [".png"])


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("workshop_kit.results.write_json", broken)
    with pytest.raises(OSError, match="disk full"):
        _picture().save(tmp_path / "p.png")
    assert list(tmp_path.iterdir()) == []


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    yaml = pytest.importorskip("yaml")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = set(project["project"]["dependencies"]) | set(project["project"]["optional-dependencies"]["dev"])
    wanted = {d for d in wanted if not d.startswith("torch")} | {project["tool"]["workshop-kit"]["torch"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip) == wanted


def test_makefile_installs_what_pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    makefile = (ROOT / "Makefile").read_text()
    assert "--no-deps" not in makefile  # every dependency installs as an ordinary one
    assert f"TORCH ?= {project['tool']['workshop-kit']['torch']}" in makefile


def test_presets_name_real_palettes():
    for city in wk.presets.CITIES.values():
        assert city.palette in wk.palettes.PALETTES
        assert city.motif in FAMILIES
        assert {"fr", "en", "ar"} <= set(city.label)
