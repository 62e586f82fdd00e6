"""`workshop-kit bench --pretrained-shapes`: the real measurement code (workers in their own processes, runtimes
alternated, fidelity, the README table), run here on the tiny random models so that it stays fast."""

import pytest

from workshop_kit import bench, openvino_rt, tiny_models
from workshop_kit.image import sd_turbo
from workshop_kit.openvino_rt import available


@pytest.mark.slow
def test_the_pretrained_benchmark_measures_each_runtime_in_its_own_process(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_KIT_CACHE_DIR", str(tmp_path / "cache"))
    models = {"sd-turbo": tiny_models.sd_turbo(tmp_path / "sd-turbo"), "taesd": tiny_models.taesd(tmp_path / "taesd"),
              "musicgen-small": tiny_models.musicgen(tmp_path / "musicgen-small")}
    report = bench.pretrained_shapes(runs=2, music_runs=1, sizes=(64,), music=(1.0,), models=models)
    row = report["sd-turbo"]["64"]
    assert row["torch"]["runs"] == 2 and row["torch"]["runtime"]["name"] == "torch"
    assert row["torch"]["peak_rss_gb"] > 0.1  # a process of its own: its own peak memory
    if available():
        assert row["openvino"]["runtime"]["name"] == "openvino" and row["speed-up"] > 0
        assert row["openvino"]["int8_vs_fp32"]["psnr_db"] > 25
        kit = sd_turbo.openvino_weights()
        other = next(kind for kind in openvino_rt.CALIBRATED if kind != kit)
        # the other calibrated kind is measured beside the kit's, on the same seeds, with the weights it asked for
        assert row["openvino"]["runtime"]["weights"] == kit
        assert row[f"openvino-{other}"]["runtime"]["weights"] == other
        assert row[f"openvino-{other}"]["int8_vs_fp32"]["psnr_db"] > 25
        if openvino_rt.precision() == "bf16":  # fp32 maths measured too, as a CPU without BF16 runs them
            assert row[bench.SD_F32]["runtime"]["maths"] == row[f"openvino-{other}-f32"]["runtime"]["maths"] == "f32"
        conversion = report["sd-turbo"]["conversion"]
        assert set(conversion) == set(openvino_rt.CALIBRATED)
        assert all(c["cached"] is False and c["peak_rss_gb"] > 0.1 for c in conversion.values())  # a fresh cache
    floor = report["sd-turbo"]["floor"]["64"]
    assert floor["total_gflop"] >= floor["unet_gflop"] > 0 and floor["floor_s"] > 0
    music = report["musicgen"]["1"]
    assert music["int8"]["runtime"]["name"] == "int8" and music["torch"]["rtf"] > 0
    assert music["openvino"]["runtime"]["decoder"] == ("openvino" if available() else "torch")
    for name in ("int8", "openvino"):
        assert music[name]["speed-up"] > 0 and 0 <= report["musicgen"]["int8_vs_fp32_logits"][name]["same_top1"] <= 1
    assert report["musicgen"]["first_vs_second"]["runtime"] in ("int8", "openvino")
    text = bench.pretrained_table(report)
    assert "OpenVINO int8 decoder step" in text
    assert "FastSD CPU" in text and "MusicGen-small" in text
    if available():
        assert "int8 against PyTorch fp32 on the same seed" in text and "the kit's choice" in text
        assert "hybrid int8" in text and "full int8" in text and "Converting once, here" in text


def test_the_floor_counts_the_networks_operations_without_computing_them(tmp_path):
    """Four times the pixels: four times the convolutions' work, sixteen times the attention's (its cost grows with
    the square of the tokens), so between the two for the UNet; the text encoder's work stays."""
    sd, taesd = tiny_models.sd_turbo(tmp_path / "sd-turbo"), tiny_models.taesd(tmp_path / "taesd")
    floor = bench.sd_floor(str(sd), str(taesd), (64, 128))
    small, large = floor["64"], floor["128"]
    assert 3.9 < large["unet_gflop"] / small["unet_gflop"] < 16.1
    assert 3.9 < large["decoder_gflop"] / small["decoder_gflop"] < 4.1
    assert large["total_gflop"] == pytest.approx(large["unet_gflop"] + large["decoder_gflop"]
                                                 + floor["text_encoder_gflop"], rel=1e-3)
    assert floor["fp32_gemm_gflops"] > 1 and floor["int8_gemm_gops"] > 1
    assert large["floor_s"] == pytest.approx(large["total_gflop"] / max(floor["fp32_gemm_gflops"],
                                                                        floor["int8_gemm_gops"]), rel=0.05)


def test_one_engine_measured_alone_keeps_the_other_engines_figures_and_says_when():
    full = {"created": "2026-12-01T10:00:00+00:00", "machine": {"cpu": "x"}, "sd-turbo": {"512": {"torch": 1}},
            "musicgen": {"5": {"int8": 2}}}
    music_alone = bench.keep_measured({"created": "2026-12-02T08:00:00+00:00", "machine": {}, "sd-turbo": {},
                                       "musicgen": {"5": {"int8": 3}}}, full, "musicgen")
    assert music_alone["sd-turbo"] == full["sd-turbo"] and music_alone["musicgen"] == {"5": {"int8": 3}}
    assert music_alone["machine"]["sd_measured"] == full["created"]
    sd_alone = bench.keep_measured({"created": "2026-12-03T08:00:00+00:00", "machine": {}, "sd-turbo": {"512": 4},
                                    "musicgen": {}}, music_alone, "sd-turbo")
    assert sd_alone["musicgen"] == {"5": {"int8": 3}} and sd_alone["machine"] == {
        "musicgen_measured": music_alone["created"]}  # no stale mark: SD-Turbo is this run's
