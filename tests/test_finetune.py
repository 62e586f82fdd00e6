"""Fine-tuning the melody model on a participant's folder of tunes: reading, refusing, training, sampling."""

import inspect
import json
import shutil
import subprocess
import sys

import pytest

from workshop_kit.errors import ParameterError
from workshop_kit.files import sha256_file
from workshop_kit.music import melody_model as mm
from workshop_kit.music import tokens as tok
from workshop_kit.music import finetune as ft
from workshop_kit.music.finetune import MAX_FILE_BYTES, finetune, make_demo_folder, read_tunes

ABC_TWO_TUNES = """X:1
T:Premier air
M:6/8
L:1/8
K:Dm
DEF GAB | AGF E2D | DEF GAB | A3 D3 |]

X:2
T:Second air
M:2/4
L:1/8
K:G
GABc | d2B2 | cBAG | A2D2 | GABc | d2B2 | cAFA | G4 |]
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Twelve demo tunes, a corrupt MIDI file and a text file, fine-tuned on for two short epochs."""
    folder = make_demo_folder(tmp_path_factory.mktemp("tunes") / "mes_airs")
    (folder / "abime.mid").write_bytes(b"MThd this is not a MIDI file")
    (folder / "lisez-moi.txt").write_text("mes airs", encoding="utf-8")
    out = tmp_path_factory.mktemp("model") / "mon_modele"
    report = finetune(folder, out_dir=out, epochs=2, minutes=2.0, seed=0, progress=False)
    return folder, out, report


def test_importing_is_cheap():
    code = ("import sys, workshop_kit.music.finetune; "
            "print(sorted(m for m in ('torch', 'transformers', 'music21', 'pretty_midi') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_demo_folder_holds_twelve_moroccan_tunes_and_is_reproducible(tmp_path):
    first = make_demo_folder(tmp_path / "a", seed=3)
    second = make_demo_folder(tmp_path / "b", seed=3)
    names = sorted(p.name for p in first.glob("*.mid"))
    assert len(names) == 12
    assert {n.split("_")[1] for n in names} == {"chaabi", "gnawa"}
    assert {n.split("_")[2] for n in names} == {"hijaz", "pentatonic"}
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)
    tunes = read_tunes(first)
    assert len(tunes.tunes) == 12 and not tunes.skipped
    assert all(words[1] == "M:12/8" for _, words in tunes.tunes)


def test_fine_tuning_writes_a_loadable_model_folder(demo):
    folder, out, report = demo
    for name in ("model.safetensors", "config.json", "vocab.json", "baselines.json", "metrics.json", "MODEL_CARD.md"):
        assert (out / name).is_file(), name
    model = mm.load_model(path=out, device="cpu")
    assert model.config.vocab_size == len(tok.VOCAB)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["finetune"]["epochs"] == 2 and metrics["data"]["tunes"] == 12
    assert len(metrics["data"]["heldout_tunes"]) == 2 and len(report.train_tunes) == 10
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "fine-tuned from the kit's shipped melody model" in card and "participant's own files" in card
    assert mm.evaluate(sequences=[words for _, words in read_tunes(folder).tunes], path=out, device="cpu",
                       n_samples=0)["nll"]["model"] > 0


def test_fine_tuning_lowers_the_nll_of_the_tunes(demo):
    _, out, report = demo
    assert report.nll_after["train"] < report.nll_before["train"] - 0.05
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["nll_nats_per_token"]["after"]["train"] == pytest.approx(report.nll_after["train"])
    assert report.nll_before["heldout"] is not None and report.nll_before["folk"] is not None
    assert "NLL" in report.summary("fr") and "NLL" in report.summary("en")


def test_a_corrupt_file_is_named_and_skipped(demo):
    _, _, report = demo
    assert [s.name for s in report.skipped] == ["abime.mid"]
    assert "cannot be read" in report.skipped[0].reason
    assert any("other formats" in note for note in report.notes)
    assert "abime.mid" in report.summary("en")


def test_fewer_than_ten_readable_tunes_is_refused_with_the_count(tmp_path):
    folder = make_demo_folder(tmp_path / "peu", n=9)
    (folder / "casse.mid").write_bytes(b"\x00\x01 broken")
    with pytest.raises(ParameterError) as info:
        finetune(folder, out_dir=tmp_path / "out", progress=False)
    message = str(info.value)
    assert "only 9 readable tune(s)" in message and "10 are needed" in message and "casse.mid" in message
    assert "9 air(s)" in info.value.message("fr")
    assert not (tmp_path / "out").exists()


def test_the_shipped_weights_are_never_overwritten(tmp_path):
    folder = make_demo_folder(tmp_path / "airs", n=10)
    before = sha256_file(mm.MODEL.shipped_folder() / mm.WEIGHTS_FILE)
    with pytest.raises(ParameterError, match="never overwritten"):
        finetune(folder, out_dir=mm.MODEL.shipped_folder(), progress=False)
    with pytest.raises(ParameterError, match="other files"):
        finetune(folder, out_dir=tmp_path / "airs" / "..", progress=False)  # a folder holding something else
    assert sha256_file(mm.MODEL.shipped_folder() / mm.WEIGHTS_FILE) == before


@pytest.mark.parametrize("options", [{"minutes": 0}, {"minutes": 6}, {"epochs": 0}, {"seed": -1}])
def test_bad_options_are_refused_at_the_door(tmp_path, options):
    with pytest.raises(ParameterError):
        finetune(tmp_path, out_dir=tmp_path / "out", progress=False, **options)


def test_reading_abc_musicxml_large_and_missing(tmp_path):
    from music21 import converter

    (tmp_path / "deux.abc").write_text(ABC_TWO_TUNES, encoding="utf-8")
    converter.parse("tinyNotation: 3/4 d4 e f# g2 a4 b a g f#2. e4 d2").write("musicxml", tmp_path / "air.musicxml")
    with open(tmp_path / "enorme.mid", "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    (tmp_path / ".cache.mid").write_bytes(b"hidden")
    tunes = read_tunes(tmp_path)
    assert sorted(tunes.names) == ["air.musicxml", "deux.abc#1", "deux.abc#2"]
    assert [s.name for s in tunes.skipped] == ["enorme.mid"] and "too large" in tunes.skipped[0].reason
    assert any("hidden" in note for note in tunes.notes)
    with pytest.raises(ParameterError, match="no such folder"):
        read_tunes(tmp_path / "absent")


def test_percussion_only_files_and_too_many_files_are_reported(tmp_path, monkeypatch):
    import pretty_midi

    make_demo_folder(tmp_path, n=4)
    drums = pretty_midi.PrettyMIDI()
    kit = pretty_midi.Instrument(program=0, is_drum=True)
    kit.notes += [pretty_midi.Note(velocity=90, pitch=38, start=i * 0.25, end=i * 0.25 + 0.1) for i in range(16)]
    drums.instruments.append(kit)
    drums.write(str(tmp_path / "00_tambour.mid"))
    monkeypatch.setattr(ft, "MAX_FILES", 3)
    tunes = read_tunes(tmp_path)
    assert [s.name for s in tunes.skipped] == ["00_tambour.mid"] and "no melody" in tunes.skipped[0].reason
    assert len(tunes.tunes) == 2
    assert any("at most 3 files" in note for note in tunes.notes)


def test_sampling_the_fine_tuned_model_is_deterministic(demo):
    _, out, _ = demo
    first = mm.sample(n_tokens=96, seed=5, path=out, device="cpu")
    again = mm.sample(n_tokens=96, seed=5, path=out, device="cpu")
    shipped = mm.sample(n_tokens=96, seed=5, device="cpu")
    assert first.tokens == again.tokens and first.notes
    assert first.tokens != shipped.tokens


def test_fine_tuning_again_into_the_same_folder_replaces_the_model(demo, tmp_path):
    folder, out, _ = demo
    copy = tmp_path / "copie"
    shutil.copytree(out, copy)
    report = finetune(folder, out_dir=copy, epochs=1, minutes=1.0, seed=1, progress=False)
    assert report.epochs == 1
    assert json.loads((copy / "metrics.json").read_text(encoding="utf-8"))["finetune"]["seed"] == 1


@pytest.mark.skipif("model_path" not in inspect.signature(mm.generate).parameters,
                    reason="the melody-model engine has no model_path option yet")
def test_the_engine_plays_the_fine_tuned_model(demo):
    from workshop_kit import music

    _, out, _ = demo
    result = music.generate(engine="melody-model", model_path=out, scale="hijaz", rhythm="chaabi", bars=2, seed=4)
    again = music.generate(engine="melody-model", model_path=out, scale="hijaz", rhythm="chaabi", bars=2, seed=4)
    assert result.audio.shape == again.audio.shape and (result.audio == again.audio).all()
    assert str(out) in json.dumps(result.provenance())


def test_the_model_folder_has_a_manifest_and_nothing_beside_it(demo):
    _, out, _ = demo
    assert mm.MODEL.verify(out) == []
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_a_failure_while_writing_leaves_the_previous_model_as_it_was(demo, fails_while_writing):
    folder, out, _ = demo
    fails_while_writing(out, ft, lambda previous: finetune(folder, out_dir=previous, epochs=1, minutes=1.0, seed=2,
                                                           progress=False))


def test_the_command_line_refuses_a_bad_argument_in_one_line(tmp_path, capsys):
    assert ft.main(["--from", str(tmp_path), "--out", str(tmp_path / "out"), "--minutes", "9", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "minutes=9.0" in err
    assert ft.main(["--out", str(tmp_path / "out")]) == 2 and "--from" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
