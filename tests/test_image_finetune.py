"""Fine-tuning the motif diffusion model on a participant's folder of pictures: reading, refusing, training, drawing."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from workshop_kit.errors import ParameterError
from workshop_kit.image import motif_diffusion as md
from workshop_kit.image.finetune import (
    MIN_PICTURES,
    finetune,
    make_demo_folder,
    picture_cells,
    read_pictures,
)

pytestmark = pytest.mark.skipif(not (md.MODEL.shipped_folder() / md.KIT_CONFIG).is_file(),
                                reason="the shipped motif diffusion model is not in this checkout")


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """The 24 demo pictures, a damaged PNG and a GIF, fine-tuned on for a few steps."""
    from PIL import Image

    folder = make_demo_folder(tmp_path_factory.mktemp("pics") / "mes_photos")
    (folder / "abime.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a picture")
    Image.new("RGB", (64, 64), (200, 30, 30)).save(folder / "anime.gif", format="GIF")
    (folder / "lisez-moi.txt").write_text("mes photos", encoding="utf-8")
    out = tmp_path_factory.mktemp("model") / "mon_modele"
    report = finetune(folder, out_dir=out, max_steps=4, family="amazigh", seed=0, progress=False)
    return folder, out, report


def test_importing_is_cheap():
    code = ("import sys, workshop_kit.image.finetune; "
            "print(sorted(m for m in ('torch', 'diffusers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_demo_folder_is_reproducible_and_readable(tmp_path):
    first = make_demo_folder(tmp_path / "a", n=3, seed=2)
    second = make_demo_folder(tmp_path / "b", n=3, seed=2)
    names = sorted(p.name for p in first.glob("*.png"))
    assert names == ["photo_01.png", "photo_02.png", "photo_03.png"]
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)
    pictures = read_pictures(first)
    assert pictures.names == names and not pictures.skipped
    cells = picture_cells(pictures.pictures[0][1], n=5, seed=0)
    assert cells.shape == (5, md.CELL_PX, md.CELL_PX) and cells.dtype == np.float32
    assert 0.0 <= cells.min() and cells.max() <= 1.0 and cells.std() > 0.05


def test_finetune_writes_a_loadable_folder_and_the_loss_goes_down(tuned):
    _, out, report = tuned
    for name in (md.KIT_CONFIG, "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                 "scheduler/scheduler_config.json", md.METRICS_FILE, md.CARD_FILE):
        assert (out / name).is_file(), name
    assert not out.with_name(out.name + ".partial").exists()
    assert report.family == "amazigh" and report.family_chosen == "given" and report.steps == 4
    assert len(report.pictures) == 24
    assert report.loss_after < report.loss_before
    metrics = json.loads((out / md.METRICS_FILE).read_text(encoding="utf-8"))
    assert metrics["denoising_loss"]["before"] == report.loss_before
    assert metrics["denoising_loss"]["after"] == report.loss_after
    card = (out / md.CARD_FILE).read_text(encoding="utf-8")
    assert "fine-tuned from the kit's shipped motif diffusion model" in card and "participant's own images" in card
    assert "amazigh" in report.summary("fr") and "amazigh" in report.summary("en")


def test_damaged_and_gif_files_are_reported_by_name_and_skipped(tuned):
    _, _, report = tuned
    reasons = {s.name: s.reason for s in report.skipped}
    assert set(reasons) == {"abime.png", "anime.gif"}
    assert "damaged" in reasons["abime.png"]
    assert "GIF" in reasons["anime.gif"]
    assert any("not pictures" in note for note in report.notes)  # the text file, left out unopened


def test_generate_reads_the_new_model_and_is_deterministic(tuned):
    _, out, report = tuned
    a = md.generate(motif=report.family, palette="fes", size=256, steps=4, seed=3, model_path=out, device="cpu")
    b = md.generate(motif=report.family, palette="fes", size=256, steps=4, seed=3, model_path=out, device="cpu")
    shipped = md.generate(motif=report.family, palette="fes", size=256, steps=4, seed=3, device="cpu")
    assert a.image.shape == (256, 256, 3)
    assert np.array_equal(a.image, b.image)
    assert not np.array_equal(a.image, shipped.image)


def test_fewer_than_twenty_pictures_names_the_count(tmp_path):
    folder = make_demo_folder(tmp_path / "few", n=MIN_PICTURES - 1)
    with pytest.raises(ParameterError, match=f"only {MIN_PICTURES - 1} readable picture"):
        finetune(folder, out_dir=tmp_path / "out", max_steps=1, progress=False)
    assert not (tmp_path / "out").exists()


def test_shipped_folder_and_foreign_folders_are_refused(tuned, tmp_path):
    folder, _, _ = tuned
    with pytest.raises(ParameterError, match="never overwritten"):
        finetune(folder, out_dir=md.MODEL.shipped_folder(), max_steps=1, progress=False)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ParameterError, match="already holds other files"):
        finetune(folder, out_dir=busy, max_steps=1, progress=False)
    with pytest.raises(ParameterError, match="minutes"):
        finetune(folder, out_dir=tmp_path / "m", minutes=11, progress=False)
    with pytest.raises(ParameterError, match="family"):
        finetune(folder, out_dir=tmp_path / "m", family="paisley", progress=False)


def test_a_second_finetune_may_replace_the_first(tuned, tmp_path):
    folder, out, _ = tuned
    again = tmp_path / "again"
    shutil.copytree(out, again)
    report = finetune(folder, out_dir=again, max_steps=1, family="yaz", progress=False)
    assert report.family == "yaz"
    assert json.loads((again / md.KIT_CONFIG).read_text(encoding="utf-8"))["finetuned"]["family"] == "yaz"


def test_the_model_folder_has_a_manifest_and_nothing_beside_it(tuned):
    _, out, _ = tuned
    assert md.MODEL.verify(out) == []
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_a_failure_while_writing_leaves_the_previous_model_as_it_was(tuned, fails_while_writing):
    from workshop_kit.image import finetune as ft

    folder, out, _ = tuned
    fails_while_writing(out, ft, lambda previous: finetune(folder, out_dir=previous, max_steps=1, family="yaz",
                                                           progress=False))
