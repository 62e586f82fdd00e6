"""The ``workshop-kit`` command: files with sidecars on success, exit 2 and one line on a bad argument."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import trimesh
from PIL import Image


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "workshop_kit", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_image_writes_png_and_sidecar(tmp_path):
    out = tmp_path / "art.png"
    run = cli("image", "--palette", "chefchaouen", "--style", "rosette", "--size", "128", "--seed", "0",
              "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert Image.open(out).size == (128, 128)
    record = json.loads((tmp_path / "art.png.json").read_text())
    assert record["seed"] == 0 and record["params"]["palette"] == "chefchaouen" and record["engine"] == "cppn"
    assert "seed=0" in run.stdout


def test_image_is_reproducible_from_the_printed_seed(tmp_path):
    first = cli("image", "--size", "64", "--out", str(tmp_path / "a.png"))
    seed = json.loads((tmp_path / "a.png.json").read_text())["seed"]
    second = cli("image", "--size", "64", "--seed", str(seed), "--out", str(tmp_path / "b.png"))
    assert first.returncode == second.returncode == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(tmp_path / "b.png")))


def test_music_writes_wav_midi_and_sidecars(tmp_path):
    out = tmp_path / "x.wav"
    run = cli("music", "--scale", "bayati", "--rhythm", "gnawa", "--bars", "2", "--seed", "1", "--out", str(out))
    assert run.returncode == 0, run.stderr
    audio, rate = soundfile.read(out)
    assert rate == 44100 and audio.ndim == 2 and len(audio) > rate
    assert (tmp_path / "x.mid").stat().st_size > 0
    for name in ("x.wav.json", "x.mid.json"):
        assert json.loads((tmp_path / name).read_text())["params"]["scale"] == "bayati"


def test_mesh_writes_glb_stl_and_sidecars(tmp_path):
    out = tmp_path / "v.glb"
    run = cli("mesh", "--preset", "vase", "--seed", "2", "--out", str(out))
    assert run.returncode == 0, run.stderr
    stl = trimesh.load(tmp_path / "v.stl")
    assert stl.is_watertight
    assert trimesh.load(out).bounds is not None
    assert {p.name for p in tmp_path.iterdir()} == {"v.glb", "v.glb.json", "v.stl", "v.stl.json",
                                                    "v-preview.png", "v-preview.png.json"}
    record = json.loads((tmp_path / "v.glb.json").read_text())
    assert record["printability"]["watertight"] is True and record["printability"]["verdict_en"]
    assert Image.open(tmp_path / "v-preview.png").size == (512, 512)


def test_lantern_glb_is_validator_clean(tmp_path):
    from workshop_kit.mesh.gltf_check import validate_glb, validator_available

    run = cli("mesh", "--kind", "lantern", "--motif", "zellige8", "--seed", "2", "--out", str(tmp_path / "l.glb"))
    assert run.returncode == 0, run.stderr
    assert "ready to print" in run.stdout
    assert (tmp_path / "l.stl").exists() and (tmp_path / "l-preview.png").exists()
    if validator_available():
        assert validate_glb(tmp_path / "l.glb")["errors"] == 0


def test_city_preset_fills_options(tmp_path):
    run = cli("image", "--city", "fes", "--size", "64", "--seed", "3", "--out", str(tmp_path / "f.png"))
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "f.png.json").read_text())["params"]["palette"] == "fes"


@pytest.mark.parametrize(
    "args, named",
    [
        (["image", "--palette", "pink"], "pink"),
        (["image", "--style", "cubist"], "cubist"),
        (["image", "--size", "100000"], "100000"),
        (["image", "--size", "-5"], "-5"),
        (["image", "--seed", "-1"], "-1"),
        (["image", "--seed", "99999999999"], "99999999999"),
        (["image", "--out", "picture.gif"], ".gif"),
        (["image", "--out", "no/such/folder/p.png"], "does not exist"),
        (["image", "--city", "paris"], "paris"),
        (["music", "--scale", "lydian"], "lydian"),
        (["music", "--rhythm", "polka"], "polka"),
        (["music", "--bars", "0"], "bars"),
        (["music", "--bars", "100000"], "100000"),
        (["music", "--tempo", "999"], "999"),
        (["music", "--out", "x.mp3"], ".mp3"),
        (["mesh", "--preset", "teapot"], "teapot"),
        (["mesh", "--height-mm", "0"], "height"),
        (["mesh", "--out", "x.fbx"], ".fbx"),
        (["mesh", "--also", "fbx"], ".fbx"),
        (["mesh", "--kind", "teapot"], "teapot"),
        (["mesh", "--kind", "lantern", "--preset", "jar"], "--preset"),
        (["mesh", "--kind", "relief", "--image", "missing.png"], "missing.png"),
        (["paint"], "paint"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(tmp_path, args, named):
    run = cli(*args, cwd=tmp_path)
    assert run.returncode == 2, (run.stdout, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], run.stderr
    assert list(tmp_path.iterdir()) == []


def test_help_lists_allowed_values():
    run = cli("music", "--help")
    assert run.returncode == 0
    for word in ("bayati", "gnawa", "chaabi", "hijaz", "--seed", "--out"):
        assert word in run.stdout
    assert "marrakech" in cli("image", "--help").stdout
    assert "tagine" in cli("mesh", "--help").stdout


def test_no_command_prints_help_and_exits_2():
    run = cli()
    assert run.returncode == 2 and "doctor" in run.stdout


def test_doctor_json_reports_every_engine():
    run = cli("doctor", "--json", "--quick")
    report = json.loads(run.stdout)
    names = {c["name"]: c for c in report["checks"]}
    for engine in ("image/cppn", "image/motifs", "music/rules", "mesh/lathe"):
        assert names[engine]["ok"], names[engine]
        assert names[engine]["seconds"] > 0
    assert {"python", "torch", "device", "memory", "disk"} <= set(names)
    assert run.returncode == (0 if report["ok"] else 1)


def test_doctor_exit_1_when_an_engine_is_broken(monkeypatch, capsys):
    from workshop_kit import doctor

    from workshop_kit.image import cppn

    def broken(**options):
        raise RuntimeError("no luck")

    monkeypatch.setattr(cppn, "generate", broken)
    jobs = doctor._engine_jobs
    # the broken engine and one that works: the whole round of engines is test_doctor_json_reports_every_engine's
    monkeypatch.setattr(doctor, "_engine_jobs", lambda quick: [(e, o) for e, o in jobs(quick)
                                                                if e.name in ("cppn", "rules")])
    assert doctor.main(quick=True) == 1
    assert "no luck" in capsys.readouterr().out


def test_bench_writes_json_and_table(tmp_path):
    from workshop_kit import bench

    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{bench.README_START}\nold\n{bench.README_END}\nafter\n")
    assert bench.main(runs=1, out=str(tmp_path / "b.json"), readme=str(readme), booth=False, overhead=False) == 0
    report = json.loads((tmp_path / "b.json").read_text())
    for key in ("import", "image.cppn", "image.motifs", "music.rules", "mesh.lathe"):
        entry = report["results"][key]
        assert entry["median_s"] > 0 and "target_s" in entry and isinstance(entry["meets_target"], bool)
    assert report["machine"]["cores"] >= 1 and report["peak_rss_mb"] > 0
    text = readme.read_text()
    assert "old" not in text and "CPPN picture" in text and text.endswith("after\n")


def test_side_by_side_reports_the_relative_overhead():
    import time

    from workshop_kit.bench import _side_by_side

    entry = _side_by_side(lambda: time.sleep(0.01), lambda: time.sleep(0.02), runs=3)
    assert entry["kit_median_s"] > entry["raw_median_s"] and 0.5 < entry["overhead"] < 2.0


def test_analyse_prints_a_summary_json_and_pictures(tmp_path):
    piece = tmp_path / "p.wav"
    assert cli("music", "--rhythm", "chaabi", "--bars", "4", "--seed", "0", "--out", str(piece)).returncode == 0
    run = cli("analyse", str(piece), "--lang", "en", "--png-dir", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "BPM" in run.stdout or "bpm" in run.stdout.lower()
    assert Image.open(tmp_path / "p-spectrogram.png").size[0] > 100
    assert (tmp_path / "p-chroma.png.json").exists()
    report = json.loads(cli("analyse", str(piece), "--json").stdout)
    assert 100 < report["tempo_bpm"] < 160 or 50 < report["tempo_bpm"] < 80


def test_analyse_refuses_a_corrupt_file_with_one_line(tmp_path):
    bad = tmp_path / "noise.wav"
    bad.write_bytes(b"RIFF not really a wave file" * 10)
    run = cli("analyse", str(bad))
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1 and "noise.wav" in run.stderr


def test_train_shapes_writes_a_model_folder(tmp_path):
    run = cli("train", "shapes", "--steps", "100", "--out", str(tmp_path / "shapes"), "--quiet")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "shapes" / "model.safetensors").exists() and "PCA" in run.stdout


def test_shape_space_blend_from_the_command_line(tmp_path):
    run = cli("mesh", "--kind", "shape-space", "--a", "tagine", "--b", "vase", "--mix", "0.5", "--seed", "1",
              "--out", str(tmp_path / "blend.stl"))
    assert run.returncode == 0, run.stderr
    record = json.loads((tmp_path / "blend.stl.json").read_text())
    assert record["engine"] == "shape-space" and record["printability"]["watertight"]


def test_walk_writes_a_gif_and_refuses_other_formats(tmp_path):
    run = cli("walk", "--size", "64", "--frames", "4", "--seed", "1", "--out", str(tmp_path / "w.gif"))
    assert run.returncode == 0, run.stderr
    assert Image.open(tmp_path / "w.gif").n_frames == 4 and (tmp_path / "w.gif.json").exists()
    bad = cli("walk", "--out", str(tmp_path / "w.avi"))
    assert bad.returncode == 2 and ".avi" in bad.stderr and not (tmp_path / "w.avi").exists()


def test_check_a_participants_file(tmp_path):
    import trimesh

    trimesh.creation.box((40, 40, 40)).export(tmp_path / "cube.stl")
    run = cli("check", str(tmp_path / "cube.stl"), "--lang", "en")
    assert run.returncode == 0 and "ready to print" in run.stdout
    assert json.loads(cli("check", str(tmp_path / "cube.stl"), "--json").stdout)["watertight"] is True
    (tmp_path / "bad.glb").write_bytes(b"nope")
    bad = cli("check", str(tmp_path / "bad.glb"))
    assert bad.returncode == 2 and "bad.glb" in bad.stderr


@pytest.mark.slow
def test_train_motifs_writes_a_model_the_engine_draws_with(tmp_path):
    out = tmp_path / "motifs"
    run = cli("train", "motifs", "--minutes", "0.5", "--cells", "50", "--no-evaluate", "--quiet", "--out", str(out))
    assert run.returncode == 0, run.stderr
    from workshop_kit.image import motif_diffusion

    result = motif_diffusion.generate(motif="yaz", size=256, seed=0, model_path=out)
    assert result.image.shape == (256, 256, 3)


def test_number_options_refuse_nan_and_words():
    for args in (["mesh", "--height-mm", "nan"], ["music", "--bars", "many"]):
        run = cli(*args)
        assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1


def test_gpu_check_refuses_cleanly_without_a_gpu():
    """`make gpu-check` on a machine with no CUDA GPU: one clear line, a non-zero exit, nothing written."""
    script = Path(__file__).resolve().parents[1] / "bench" / "gpu_check.py"
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert run.returncode == 3, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no CUDA GPU" in lines[0] and "nothing was checked" in lines[0]
    assert not (script.parent / "gpu.json").exists()
