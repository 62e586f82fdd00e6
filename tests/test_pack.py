"""The room's USB stick: targets, a wheelhouse complete for each platform, the manifest, refusals that say what to do.

The Windows and macOS wheelhouses are checked on a small resolved set (``tests/data/wheelhouse-small.json``: the file
names and ``Requires-Dist`` of real wheels that ``workshop-kit pack`` downloaded for win_amd64 and macosx arm64,
CPython 3.11) rather than by downloading 450 MB in the suite. ``test_offline_install`` builds a pack for this Linux
machine and installs it with no network at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workshop_kit import pack
from workshop_kit.cli import main
from workshop_kit.errors import OutputPathError, ParameterError
from workshop_kit.files import sha256_file

DATA = Path(__file__).parent / "data" / "wheelhouse-small.json"


def _small(key: str):
    data = json.loads(DATA.read_text())
    wheels = []
    for entry in data["targets"][key]:
        from packaging.utils import parse_wheel_filename

        name, version, _, tags = parse_wheel_filename(entry["file"])
        wheels.append(pack.Wheel(Path(entry["file"]), name, str(version), frozenset(tags), tuple(entry["requires"]),
                                 ""))
    return data["roots"], wheels


# ------------------------------------------------------------------------------------------------ targets
def test_default_targets_are_three_systems_and_two_pythons():
    targets = pack.parse_targets()
    assert {(t.key, py) for t, py in targets} == {(o, p) for o in ("windows-x64", "macos-arm64", "linux-x64")
                                                  for p in ("3.11", "3.12")}
    assert [pack.target_name(t, py) for t, py in pack.parse_targets(pairs=["linux-x64:cp311"])] == ["linux-x64-cp311"]


@pytest.mark.parametrize("systems,pythons,pairs,word", [
    (["windows-arm64"], None, None, "os='windows-arm64'"),
    (None, ["3.9"], None, "python='3.9'"),
    (None, None, ["macos-x64:3.13"], "Intel Mac"),
    (None, None, ["linux-x64"], "OS:PYTHON"),
])
def test_a_system_or_python_not_offered_is_refused_naming_it(systems, pythons, pairs, word):
    with pytest.raises(ParameterError, match=word):
        pack.parse_targets(systems, pythons, pairs)


def test_cli_refuses_an_unknown_os_in_one_line(tmp_path, capsys):
    assert main(["pack", str(tmp_path / "stick"), "--os", "beos"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "beos" in err[0] and "windows-x64" in err[0]
    assert not (tmp_path / "stick").exists()


# ------------------------------------------------------------------------------------------------ wheelhouse
@pytest.mark.parametrize("key", ["windows-x64", "macos-arm64"])
def test_the_small_wheelhouse_is_complete_for_its_platform(key):
    roots, wheels = _small(key)
    assert pack.check_wheelhouse(roots, wheels, pack.TARGETS[key], "3.11") == []


def test_markers_are_evaluated_for_the_target_not_the_host():
    roots, wheels = _small("windows-x64")
    names = {w.name for w in wheels}
    assert "colorama" in names  # tqdm needs it on Windows only
    assert "colorama" not in {w.name for w in _small("macos-arm64")[1]}
    # a Linux-only requirement (as torch's CUDA wheels are) is not wanted on Windows, though this host is Linux
    linux_only = roots + ["nvidia-cublas-cu12>=12; platform_system == 'Linux'"]
    assert pack.check_wheelhouse(linux_only, wheels, pack.TARGETS["windows-x64"], "3.11") == []
    assert any(m.startswith("nvidia-cublas") for m in pack.check_wheelhouse(linux_only, [], pack.TARGETS["linux-x64"],
                                                                            "3.11"))


def test_a_missing_wheel_is_named_with_who_needs_it():
    roots, wheels = _small("windows-x64")
    without = [w for w in wheels if w.name != "cffi"]
    missing = pack.check_wheelhouse(roots, without, pack.TARGETS["windows-x64"], "3.11")
    assert len(missing) == 1 and missing[0].startswith("cffi") and "needed by soundfile" in missing[0]


def test_a_wheel_for_another_platform_does_not_count():
    roots, wheels = _small("windows-x64")
    numpy = next(w for w in wheels if w.name == "numpy")
    linux = pack.Wheel(Path(f"numpy-{numpy.version}-cp311-cp311-manylinux_2_28_x86_64.whl"), "numpy", numpy.version,
                       frozenset(pack.TARGETS["linux-x64"].tags("3.11")[:1]), (), "")
    swapped = [linux if w is numpy else w for w in wheels]
    missing = pack.check_wheelhouse(roots, swapped, pack.TARGETS["windows-x64"], "3.11")
    assert any(m.startswith("numpy") for m in missing)
    assert pack.check_wheelhouse(roots, wheels, pack.TARGETS["windows-x64"], "3.12")  # cp311 wheels do not fit 3.12


# ------------------------------------------------------------------------------------------------ manifest
def _fake_pack(root: Path) -> Path:
    (root / "wheels").mkdir(parents=True)
    (root / "wheels" / "a-1.0-py3-none-any.whl").write_bytes(b"wheel a")
    (root / "install.sh").write_text("#!/bin/sh\n")
    files = [{"path": p.relative_to(root).as_posix(), "bytes": p.stat().st_size, "sha256": sha256_file(p),
              "licence": "MIT"} for p in sorted(root.rglob("*")) if p.is_file()]
    (root / pack.MANIFEST).write_text(json.dumps({"format": pack.FORMAT, "files": files}))
    return root


def test_verify_passes_a_good_pack_and_names_a_corrupted_file(tmp_path, capsys):
    root = _fake_pack(tmp_path / "stick")
    assert pack.verify(root) == []
    assert main(["pack", "--verify", str(root)]) == 0
    (root / "wheels" / "a-1.0-py3-none-any.whl").write_bytes(b"wheel b")  # same size, other bytes
    (root / "install.sh").unlink()
    (root / "stray.txt").write_text("?")
    assert sorted(pack.verify(root)) == ["damaged (sha256 differs): wheels/a-1.0-py3-none-any.whl",
                                         "missing: install.sh", "not in the manifest: stray.txt"]
    capsys.readouterr()
    assert main(["pack", "--verify", str(root)]) == 1
    assert "build the pack again" in capsys.readouterr().err


def test_networks_converted_on_the_stick_are_listed_with_their_models_licence(tmp_path):
    from workshop_kit.pretrained import MODELS

    root = tmp_path / "stick"
    converted = root / "models" / "openvino" / "sd-turbo-0123456789ab" / "int8-full"
    converted.mkdir(parents=True)
    (converted / "MANIFEST.json").write_text("{}")  # the converted folder's own manifest: checked like any file
    (converted / "unet.bin").write_bytes(b"int8")
    (root / pack.MANIFEST).write_text("{}")  # the pack's: left out of itself
    rels = [p.relative_to(root).as_posix() for p in pack._pack_files(root)]
    assert rels == [f"{converted.relative_to(root).as_posix()}/{name}" for name in ("MANIFEST.json", "unet.bin")]
    assert pack._model_licence(rels[1]) == MODELS["sd-turbo"].licence
    assert pack._model_licence("models/taesd/config.json") == MODELS["taesd"].licence


def test_an_unfinished_pack_does_not_verify(tmp_path, capsys):
    root = _fake_pack(tmp_path / "stick")
    (root / pack.MANIFEST).unlink()
    (root / pack.UNFINISHED).write_text("building")
    assert main(["pack", "--verify", str(root)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no finished pack" in err[0] and "build it again" in err[0]


def test_a_manifest_of_another_format_is_refused(tmp_path):
    root = _fake_pack(tmp_path / "stick")
    (root / pack.MANIFEST).write_text(json.dumps({"format": 99, "files": []}))
    with pytest.raises(pack.PackError, match="format 99"):
        pack.verify(root)


# ------------------------------------------------------------------------------------------------ refusals
def test_a_read_only_folder_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    import errno

    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(pack.tempfile, "mkstemp", read_only)
    assert main(["pack", str(tmp_path / "stick"), "--target", "windows-x64:3.11"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot be written to (Read-only file system)" in err[0]
    with pytest.raises(OutputPathError):
        pack.plan(tmp_path / "stick", pack.parse_targets(pairs=["windows-x64:3.11"]))


def test_a_disk_too_small_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pack, "_free_mb", lambda folder: 300.0)
    assert main(["pack", str(tmp_path / "stick"), "--target", "windows-x64:3.11", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not enough room" in err[0] and "0.3 GB free" in err[0]
    assert not (tmp_path / "stick" / pack.MANIFEST).exists() and not (tmp_path / "stick" / "wheels").exists()


def test_a_missing_model_is_named_with_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_KIT_MODELS", str(tmp_path / "no-models"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert main(["pack", str(tmp_path / "stick"), "--target", "windows-x64:3.11", "--models", "sd-turbo"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sd-turbo" in err[0] and "models fetch sd-turbo" in err[0]
    assert main(["pack", str(tmp_path / "stick"), "--target", "windows-x64:3.11", "--models", "dall-e"]) == 2


def _packed_models(models: Path) -> Path:
    from workshop_kit import tiny_models
    from workshop_kit.pretrained import MODELS, REVISION_FILE

    tiny_models.sd_turbo(models / "sd-turbo")
    tiny_models.taesd(models / "taesd")
    for key in ("sd-turbo", "taesd"):  # what build() writes beside each packed model
        (models / key / REVISION_FILE).write_text(MODELS[key].revision + "\n", encoding="utf-8")
    return models


@pytest.mark.slow
def test_the_pack_carries_sd_turbo_converted_and_a_laptops_copy_reads_it_without_converting(tmp_path, monkeypatch):
    from workshop_kit import openvino_rt
    from workshop_kit.image import sd_turbo

    if not openvino_rt.available():
        pytest.skip("OpenVINO is not installed (the kit's [fast] extra)")
    stick = _packed_models(tmp_path / "stick" / "models")
    monkeypatch.setenv("WORKSHOP_KIT_CACHE_DIR", str(tmp_path / "packer-cache"))
    lines = pack.convert_for_laptops(stick, ["sd-turbo", "taesd"], quiet=True, check_size=64)
    kind = sd_turbo.openvino_weights()
    assert f"SD-Turbo converted for OpenVINO ({kind})" in lines[-2]
    assert not (tmp_path / "packer-cache" / "openvino").exists()  # into the pack, not this machine's cache
    # the check on the packed weights: one picture each way, same seed, side by side for the trainer
    picture = stick / "openvino" / f"sd-turbo-{kind}-check.png"
    assert "PSNR" in lines[-1] and picture.name in lines[-1]
    from PIL import Image

    assert Image.open(picture).size == (128, 64)
    figures = json.loads(picture.with_name(picture.name + ".json").read_text())["params"]
    assert figures["weights"] == kind and figures["psnr_db"] > 25 and figures["left"] == "PyTorch fp32"
    assert sd_turbo._OPENVINO == {} and sd_turbo.load_pipeline.cache_info().currsize == 0  # memory given back
    laptop = tmp_path / "laptop" / "models"
    shutil.copytree(stick, laptop, copy_function=shutil.copyfile)  # fresh dates, as the install script's copy
    monkeypatch.setenv("WORKSHOP_KIT_MODELS", str(laptop))
    monkeypatch.setenv("WORKSHOP_KIT_CACHE_DIR", str(tmp_path / "laptop-cache"))
    result = sd_turbo.generate(prompt="zellige of Fès", size=64, seed=0, runtime="openvino",
                               model_path=str(laptop / "sd-turbo"), taesd_path=str(laptop / "taesd"), progress=False)
    assert result.model["runtime"]["weights"] == sd_turbo.openvino_weights()
    assert not [note for note in result.notes if "convert" in note], result.notes
    assert not (tmp_path / "laptop-cache" / "openvino").exists()  # nothing converted on the laptop


def test_a_pack_built_without_openvino_says_the_laptops_will_convert(tmp_path, monkeypatch):
    from workshop_kit import openvino_rt, tiny_models

    monkeypatch.setattr(openvino_rt, "available", lambda: False)
    tiny_models.sd_turbo(tmp_path / "sd-turbo")
    assert pack.convert_for_laptops(tmp_path, ["taesd"]) == []  # nothing to convert
    [line] = pack.convert_for_laptops(tmp_path, ["sd-turbo"])
    assert "OpenVINO is not installed" in line and "first use" in line and "GB of memory" in line
    assert not (tmp_path / "openvino").exists()


def test_install_scripts_install_with_no_index_and_leave_a_report(tmp_path):
    pack.write_scripts(tmp_path, pack.parse_targets(), "workshop_kit-0-py3-none-any.whl")
    sh = (tmp_path / "install.sh").read_text()
    ps1 = (tmp_path / "install.ps1").read_text()
    for script in (sh, ps1):
        assert "--no-index" in script and "--find-links" in script and "doctor --json" in script
        assert "MANIFEST.json" in script and "reports" in script
    assert "linux-x64-cp311" in sh and "macos-arm64-cp312" in sh
    assert (tmp_path / "install.bat").read_bytes().count(b"\r\n") >= 3  # cmd.exe wants CRLF
    assert os.access(tmp_path / "install.sh", os.X_OK)


# ------------------------------------------------------------------------------------------------ offline install
def _unshare_works() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux" or not _unshare_works(), reason="needs Linux and unshare -n (root)")
def test_offline_install_runs_the_doctor_generators_and_notebook_00(tmp_path):
    """A pack for this machine only (this OS and Python, no pretrained model: the reduced pack), installed into a
    fresh virtual environment inside ``unshare -n`` (no network at all). Building it downloads the wheels once into
    the kit's cache (``$WORKSHOP_KIT_CACHE_DIR/pack/wheels``, kept between runs, so the next run copies them); the
    install itself takes 2-4 minutes here."""
    system, python = pack.host_target()
    stick = tmp_path / "stick"
    manifest = pack.build(stick, pack.parse_targets(pairs=[f"{system}:{python}"]), quiet=True)
    assert pack.verify(stick) == []
    assert manifest["targets"][0]["megabytes"] > 100
    dest = tmp_path / "laptop"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHONPATH", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp_path / "home"), PIP_CONFIG_FILE=os.devnull, WORKSHOP_KIT_CACHE_DIR=str(tmp_path / "c"))
    os.makedirs(env["HOME"])
    run = subprocess.run(["unshare", "-n", "sh", str(stick / "install.sh"), str(dest)], env=env, capture_output=True,
                         text=True, timeout=900)
    assert "installed" in run.stdout, run.stdout[-2000:] + run.stderr[-3000:]
    reports = list((stick / "reports").glob("*.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text())
    assert report["format"] == 2 and report["python"].startswith(python) and report["memory_gb"] > 0
    blocking = [c for c in report["checks"] if not c["ok"] and c["blocking"]]
    assert report["ok"] and not blocking and run.returncode == 0, blocking

    kit = dest / "venv" / "bin" / "workshop-kit"
    out = tmp_path / "out"
    out.mkdir()
    for args in (["image", "--seed", "0", "--out", str(out / "a.png")],
                 ["music", "--bars", "2", "--seed", "0", "--out", str(out / "a.wav")],
                 ["mesh", "--seed", "0", "--out", str(out / "a.glb")]):
        done = subprocess.run(["unshare", "-n", str(kit), *args], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "a.png").stat().st_size and (out / "a.wav").stat().st_size and (out / "a.glb").stat().st_size

    script = ("import nbformat, sys\nfrom nbclient import NotebookClient\n"
              "nb = nbformat.read(sys.argv[1], as_version=4)\n"
              "NotebookClient(nb, kernel_name='python3', timeout=300, resources={'metadata': {'path': sys.argv[2]}})"
              ".execute()\nprint('notebook ran')\n")
    nb_env = {**env, "WORKSHOP_KIT_QUICK": "1", "HF_HUB_OFFLINE": "1"}
    # a kernel talks to Jupyter over 127.0.0.1: the namespace's loopback is up, and nothing else is
    done = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
                           str(dest / "venv" / "bin" / "python"), "-c", script,
                           str(dest / "notebooks" / "00_decouvrir.ipynb"), str(out)], env=nb_env,
                          capture_output=True, text=True, timeout=600)
    assert "notebook ran" in done.stdout, done.stderr[-3000:]
    assert (out / "gnaoua.wav").is_file() and (out / "tajine.glb").is_file()
