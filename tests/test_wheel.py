"""The kit's own wheel, installed away from the repository, runs every embedded engine and says "ready".

The wheel is built from this checkout and installed, without its dependencies, into a fresh virtual environment;
the dependencies come from the test environment's site-packages through a ``.pth`` line (the editable install of
the kit there is not active: its finder is only started by that folder's own ``.pth`` files). Everything runs from
a folder outside the repository, so only what the wheel carries can be found.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

RUN_ENGINES = r"""
import json, pathlib, sys
import workshop_kit as wk
from workshop_kit.registry import ENGINES, MODALITIES
out = pathlib.Path(sys.argv[1])
small = {"size": 256, "bars": 2}
made = {}
for engine in (ENGINES[name] for name in sys.argv[2:]):
    options = {k: v for k, v in small.items() if engine.takes(k) and v >= (engine.option(k).low or 0)}
    result = engine.generate(seed=0, **options)
    path = result.save(out / f"{engine.name}{MODALITIES[engine.modality].formats()[0]}")
    made[engine.name] = {"bytes": path.stat().st_size, "model": result.model}
print(json.dumps({"kit": wk.__file__, "made": made}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    wheels = work / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            str(ROOT), "-w", str(wheels)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("workshop_kit-*.whl")
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_KIT_") and k != "PYTHONPATH"}
    return wheel, python, elsewhere, env


def test_the_wheel_holds_the_weights_and_model_cards(installed):
    import zipfile

    from workshop_kit.shipped import SHIPPED

    wheel, *_ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for model in SHIPPED.values():
        for file in (*model.files, model.card, "MANIFEST.json"):
            assert f"workshop_kit/models/{model.key}/{file}" in names, (model.key, file)


def test_music_from_the_installed_wheel_is_made_with_its_own_models(installed):
    _, python, elsewhere, env = installed
    run = subprocess.run([str(python), "-c", RUN_ENGINES, str(elsewhere), "rules", "melody-model"],
                         capture_output=True, text=True, cwd=elsewhere, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert ROOT.as_posix() not in Path(report["kit"]).as_posix(), report["kit"]
    assert all(entry["bytes"] > 0 for entry in report["made"].values())
    assert report["made"]["melody-model"]["model"]["id"] == "workshop-kit/melody"


def test_the_doctor_of_the_installed_wheel_runs_every_engine_and_says_ready(installed):
    """The doctor makes and saves a piece with every embedded engine of the three modalities."""
    from workshop_kit.registry import ENGINES

    _, python, elsewhere, env = installed
    script = python.parent / ("workshop-kit.exe" if os.name == "nt" else "workshop-kit")
    run = subprocess.run([str(script), "doctor", "--json", "--quick"], capture_output=True, text=True,
                         cwd=elsewhere, env=env, timeout=600)
    report = json.loads(run.stdout)
    failed = [c for c in report["checks"] if c["blocking"] and not c["ok"]]
    assert run.returncode == 0 and report["ok"], failed
    checks = {c["name"]: c for c in report["checks"]}
    for engine in ENGINES.values():
        if engine.tier == "embedded":
            assert checks[f"{engine.modality}/{engine.name}"]["ok"], engine.name
    for key in ("melody", "motif-diffusion", "motif-classifier", "shape-space"):
        assert checks[f"model {key}"]["value"] == "sha256 verified", checks[f"model {key}"]
