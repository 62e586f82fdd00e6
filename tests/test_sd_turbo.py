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
    options = dict(prompt="zellige in Fès", size=64, seed=0, model_path=models["sd"], runtime="torch", progress=False)
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
    result = sd_turbo.generate(prompt="Majorelle", size=64, seed=0, runtime="torch", progress=False)
    assert result.model["path"] == str(models["root"] / "sd-turbo")


# --------------------------------------------------------------------------------------------------------------------
# Runtimes: PyTorch and OpenVINO on the same tiny models (the OpenVINO tests skip where the `fast` extra is missing)

needs_openvino = pytest.mark.skipif(not __import__("workshop_kit.openvino_rt").openvino_rt.available(),
                                    reason="OpenVINO and nncf are not installed (pip install 'workshop-kit[fast]')")


@pytest.fixture(scope="module")
def converted(models, tmp_path_factory):
    """One cache for the module, where the tiny models are converted once (a few seconds)."""
    root = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKSHOP_KIT_CACHE_DIR", str(root))
        (root / "notes.txt").write_text("\n".join(_convert(models)))
    return root


def _convert(models) -> list[str]:
    if not __import__("workshop_kit.openvino_rt").openvino_rt.available():
        pytest.skip("OpenVINO and nncf are not installed (pip install 'workshop-kit[fast]')")
    notes: list[str] = []
    sd_turbo.converted(str(models["sd"]), str(models["taesd"]), progress=False, notes=notes)
    return notes


@pytest.fixture()
def cache(converted, monkeypatch):
    """The module's converted cache, and no OpenVINO pipeline kept from another test."""
    monkeypatch.setenv("WORKSHOP_KIT_CACHE_DIR", str(converted))
    sd_turbo._OPENVINO.clear()
    yield converted
    sd_turbo._OPENVINO.clear()


@pytest.fixture()
def fresh_cache(converted, tmp_path, monkeypatch):
    """A copy of the converted cache that a test may damage."""
    import shutil

    copy = tmp_path / "cache"
    shutil.copytree(converted, copy)
    monkeypatch.setenv("WORKSHOP_KIT_CACHE_DIR", str(copy))
    sd_turbo._OPENVINO.clear()
    yield copy
    sd_turbo._OPENVINO.clear()


def _psnr(a, b) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_the_torch_runtime_is_recorded(models):
    result = make(models, runtime="torch")
    assert result.model["runtime"]["name"] == "torch" and result.params["runtime"] == "torch"


@needs_openvino
def test_openvino_converts_once_into_the_cache_and_says_so(models, cache):
    notes = (cache / "notes.txt").read_text().splitlines()
    kind = sd_turbo.openvino_weights()  # int8-full, unless a comparison asks for another
    assert len(notes) == 2 and f"converted sd-turbo to OpenVINO ({kind} weights)" in notes[0]
    folders = sorted(p.parent.name.split("-")[0] + "/" + p.name for p in (cache / "openvino").glob("*/*"))
    assert folders == [f"sd/{kind}", "taesd/fp32"]
    assert not [p for p in (cache / "openvino").rglob("*.new-*")]  # nothing left half-written
    result = make(models, runtime="openvino", taesd_path=models["taesd"])
    assert result.model["runtime"]["name"] == "openvino" and result.model["runtime"]["weights"] == kind
    assert result.model["runtime"]["maths"] in ("f32", "bf16")
    assert not result.notes  # found: nothing converted again
    sd_turbo._OPENVINO.clear()  # as a new process would
    again = make(models, runtime="openvino", taesd_path=models["taesd"])
    assert not again.notes and np.array_equal(again.image, result.image)


@needs_openvino
@pytest.mark.parametrize("image", [None, np.full((80, 80, 3), 180, np.uint8)], ids=["text", "image"])
def test_openvino_fp32_gives_the_torch_picture_and_int8_stays_close(models, cache, monkeypatch, image):
    kw = dict(taesd_path=models["taesd"], seed=3)
    if image is not None:
        kw.update(image=image, strength=0.6, steps=2)
    reference = make(models, runtime="torch", **kw).image
    int8 = make(models, runtime="openvino", **kw).image
    from workshop_kit import openvino_rt

    monkeypatch.setattr(sd_turbo, "OPENVINO_WEIGHTS", "fp32")
    monkeypatch.setenv(openvino_rt.PRECISION_ENV, "f32")  # fp32 maths too, on a CPU that would pick bf16
    sd_turbo._OPENVINO.clear()
    fp32 = make(models, runtime="openvino", **kw).image
    assert np.abs(fp32.astype(int) - reference).max() <= 1  # the same picture, to a rounding
    monkeypatch.delenv(openvino_rt.PRECISION_ENV)
    sd_turbo._OPENVINO.clear()
    # weights in 8 bits alone stay within 30 dB; the calibrated kinds also round activations (25 dB on these
    # tiny random networks; the real-size figures are in README)
    floor = 30 if sd_turbo.openvino_weights() == "int8" else 25
    assert _psnr(int8, fp32) > floor and not np.array_equal(int8, make(models, runtime="openvino", seed=4).image)


def _in_8_bits(folder, kind: str = "Convolution") -> tuple[int, int]:
    """(operations of ``kind``, those whose inputs pass through a quantizer) in the UNet of a converted folder:
    the convolutions, or the linear layers (``MatMul``)."""
    import openvino as ov

    model = ov.Core().read_model(folder / "unet.xml")
    convolutions = [op for op in model.get_ordered_ops() if op.get_type_name() == kind]

    def fed_by_quantizer(node, depth=3) -> bool:  # a FakeQuantize, or one behind a Convert or two
        if node.get_type_name() == "FakeQuantize":
            return True
        return depth > 0 and node.get_type_name() == "Convert" and fed_by_quantizer(
            node.input_value(0).get_node(), depth - 1)

    quantized = [op for op in convolutions if any(fed_by_quantizer(op.input_value(i).get_node()) for i in range(2))]
    return len(convolutions), len(quantized)


@needs_openvino
@pytest.mark.parametrize("kind", ["int8-full", "hybrid", "int8"])
def test_each_kind_of_int8_keeps_the_picture_and_quantizes_what_it_says(models, tmp_path, monkeypatch, kind):
    """int8-full: convolutions and linear layers calibrated and computed in 8 bits; hybrid: the convolutions
    alone; int8: weights only."""
    monkeypatch.setenv("WORKSHOP_KIT_CACHE_DIR", str(tmp_path))
    model_dir, _ = sd_turbo.converted(str(models["sd"]), str(models["taesd"]), progress=False, weights=kind)
    assert model_dir.name == kind and json.loads((model_dir / "openvino.json").read_text())["weights"] == kind
    convolutions, quantized = _in_8_bits(model_dir)
    linear, linear_quantized = _in_8_bits(model_dir, "MatMul")
    assert convolutions > 0 and linear > 0
    assert (quantized >= convolutions // 2) if kind != "int8" else quantized == 0
    assert (linear_quantized >= linear // 2) if kind == "int8-full" else linear_quantized == 0
    monkeypatch.setattr(sd_turbo, "OPENVINO_WEIGHTS", kind)
    sd_turbo._OPENVINO.clear()
    kw = dict(taesd_path=models["taesd"], seed=3)
    result = make(models, runtime="openvino", **kw)
    assert result.model["runtime"]["weights"] == kind
    reference = make(models, runtime="torch", **kw).image
    assert _psnr(result.image, reference) > 25
    sd_turbo._OPENVINO.clear()


@needs_openvino
def test_openvino_without_taesd_uses_the_models_own_vae(models, cache):
    reference = make(models, runtime="torch", tiny_decoder=False).image
    result = make(models, runtime="openvino", tiny_decoder=False)
    assert result.image.shape == (64, 64, 3) and _psnr(result.image, reference) > 30


@needs_openvino
def test_a_cut_short_or_foreign_cache_is_converted_again(models, fresh_cache):
    unet_bin = next((fresh_cache / "openvino").glob(f"sd-turbo-*/{sd_turbo.openvino_weights()}/unet.bin"))
    unet_bin.write_bytes(unet_bin.read_bytes()[:1000])
    sd_turbo._OPENVINO.clear()
    result = make(models, runtime="openvino")
    assert any("unet.bin is 1000 bytes" in note and "converted again" in note for note in result.notes)
    info = unet_bin.parent / "openvino.json"
    record = json.loads(info.read_text())
    record["versions"]["openvino"] = "1999.0"
    info.write_text(json.dumps(record))
    sd_turbo._OPENVINO.clear()
    result = make(models, runtime="openvino")
    assert any("OpenVINO 1999.0" in note for note in result.notes)


@needs_openvino
def test_a_failed_conversion_leaves_nothing_half_written(models, tmp_path, monkeypatch):
    import openvino

    def fail(model, path, **kw):
        if "unet" in str(path):
            raise OSError("disk full")
        return save(model, path, **kw)

    save = openvino.save_model
    monkeypatch.setattr(openvino, "save_model", fail)
    monkeypatch.setenv("WORKSHOP_KIT_CACHE_DIR", str(tmp_path))
    sd_turbo._OPENVINO.clear()
    with pytest.raises(OSError, match="disk full"):
        make(models, runtime="openvino")
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@needs_openvino
def test_auto_falls_back_to_torch_when_memory_is_short(models, cache, monkeypatch):
    from workshop_kit import runtime

    monkeypatch.setattr(runtime, "fits", lambda need: (False, 0.5))
    result = make(models, runtime="auto")
    assert result.model["runtime"]["name"] == "torch"
    assert any("not enough free memory for OpenVINO" in note and "0.5 GB free" in note for note in result.notes)


def test_without_openvino_auto_runs_torch_and_openvino_says_what_to_install(models, monkeypatch):
    from workshop_kit import openvino_rt
    from workshop_kit.errors import EngineUnavailableError

    monkeypatch.setattr(openvino_rt, "missing_packages", lambda names=openvino_rt.PACKAGES: ["openvino"])
    result = make(models, runtime="auto")
    assert result.model["runtime"]["name"] == "torch" and "workshop-kit[fast]" in result.notes[0]
    with pytest.raises(EngineUnavailableError, match=r"workshop-kit\[fast\]"):
        make(models, runtime="openvino")
    with pytest.raises(ParameterError, match="runtime"):
        make(models, runtime="onnx")


@needs_openvino
def test_bf16_maths_only_where_the_cpu_reports_it(monkeypatch):
    from workshop_kit import openvino_rt

    monkeypatch.setattr(openvino_rt, "capabilities", lambda: ("FP32", "INT8"))
    assert openvino_rt.precision() == "f32"
    monkeypatch.setattr(openvino_rt, "capabilities", lambda: ("FP32", "INT8", "BF16"))
    assert openvino_rt.precision() == "bf16"
    monkeypatch.setenv(openvino_rt.PRECISION_ENV, "f32")
    assert openvino_rt.precision() == "f32" and not openvino_rt.precision_note()


@needs_openvino
def test_bf16_asked_of_a_cpu_without_it_runs_fp32_and_says_so(models, cache, monkeypatch):
    from workshop_kit import openvino_rt

    monkeypatch.setattr(openvino_rt, "capabilities", lambda: ("FP32", "INT8"))  # a laptop with AVX2 only
    monkeypatch.setenv(openvino_rt.PRECISION_ENV, "bf16")
    result = make(models, runtime="openvino")
    assert result.model["runtime"]["maths"] == "f32"
    assert any("no BF16 instructions" in note and "fp32" in note for note in result.notes)


# --------------------------------------------------------------------------------------------------------------------
# What one booth picture costs here: measured by the doctor, kept for the booth


def test_the_doctor_says_not_here_without_the_weights(tmp_path, monkeypatch):
    from workshop_kit import doctor
    from workshop_kit.registry import ENGINES

    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    check = doctor._measured(ENGINES["sd-turbo"])
    assert check.value == "not here" and not check.blocking and "sd-turbo" in check.detail


@pytest.mark.slow
@needs_openvino
def test_the_doctor_measures_a_booth_picture_and_the_booth_reads_it(models, cache, tmp_path, monkeypatch):
    from workshop_kit import doctor, runtime
    from workshop_kit.registry import ENGINES

    pack = tmp_path / "pack"
    pack.mkdir()
    for key, folder in (("sd-turbo", models["sd"]), ("taesd", models["taesd"]),
                        ("sd-safety-checker", models["flag_none"])):
        (pack / key).symlink_to(folder)
    monkeypatch.setenv(ENV_VAR, str(pack))
    check = doctor._measured(ENGINES["sd-turbo"])
    assert check.value.endswith("s per result") and check.seconds is not None, check
    assert "openvino, peak memory" in check.detail and "safety checker on" in check.detail
    kept = runtime.recorded_seconds("sd-turbo", runtime.booth_options(ENGINES["sd-turbo"]))
    assert kept["seconds"] == check.seconds and kept["runtime"] == "openvino"
    assert ENGINES["sd-turbo"].estimate_seconds("auto") == check.seconds  # the booth reads it: nothing runs again


@needs_openvino
def test_one_compiled_size_is_kept(models, cache):
    make(models, runtime="openvino", size=64)
    make(models, runtime="openvino", size=72)
    assert [key[2] for key in sd_turbo._OPENVINO] == [72]  # the 64 px networks were freed before compiling 72
    assert make(models, runtime="openvino", size=72).image.shape == (72, 72, 3)
