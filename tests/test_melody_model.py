"""The embedded melody model: tokens, the shipped weights, sampling and its checks at the door."""

import math
import subprocess
import sys

import numpy as np
import pytest

from workshop_kit.errors import MissingModelError, ParameterError
from workshop_kit.music import melody_model as mm
from workshop_kit.music import tokens as tok

TWINKLE = [(0, 1), (0, 1), (7, 1), (7, 1), (9, 1), (9, 1), (7, 2),
           (5, 1), (5, 1), (4, 1), (4, 1), (2, 1), (2, 1), (0, 2)]


def _twinkle(tonic):
    return [(tonic + step, beats) for step, beats in TWINKLE]


# ---------------------------------------------------------------------------------------------------- tokens


def test_importing_is_cheap():
    code = ("import sys, workshop_kit.music.tokens, workshop_kit.music.melody_model, workshop_kit.music.corpus, "
            "workshop_kit.music.train_melody; "
            "print(sorted(m for m in ('torch', 'transformers', 'music21') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_vocabulary_is_small_and_unique():
    assert len(tok.VOCAB) < 200
    assert len(set(tok.VOCAB)) == len(tok.VOCAB)


def test_same_tune_in_two_keys_gives_the_same_tokens():
    in_c = tok.encode(_twinkle(60), key="C major", meter="4/4")
    in_f_sharp = tok.encode(_twinkle(66), key="F# major", meter="4/4")
    assert in_c == in_f_sharp
    assert in_c[:4] == ["<s>", "M:4/4", "P0:1", "D:1"]
    assert in_c.count("|") == 3


def test_decode_then_place_gives_the_tune_back():
    notes = tok.decode(tok.encode(_twinkle(62), key="D", meter="4/4"))
    assert [n.degree for n in notes] == [1, 1, 5, 5, 6, 6, 5, 4, 4, 3, 3, 2, 2, 1]
    assert [n.bar for n in notes][:5] == [0, 0, 0, 0, 1]
    assert tok.place(notes, scale="major", tonic=62) == [(float(p), float(b)) for p, b in _twinkle(62)]
    # the same degrees in Hijaz on D: the 2nd is E flat, the 3rd F sharp
    hijaz = [p for p, _ in tok.place(notes, scale="hijaz", tonic=62)]
    assert hijaz[-3:] == [63.0, 63.0, 62.0] and hijaz[9] == 66.0


def test_music21_stream_is_transposition_invariant():
    from music21 import converter

    tune = converter.parse("tinyNotation: 3/4 d4 e f# g2 a4 b a g f#2. e4 d2")
    assert tok.encode(tune) == tok.encode(tune.transpose(5))
    assert tok.encode(tune)[1] == "M:3/4"
    assert [n.degree for n in tok.decode(tok.encode(tune))][:4] == [1, 2, 3, 4]


def test_chromatic_notes_carry_an_alteration():
    words = tok.encode([(60, 1), (63, 1), (66, 1), (70, 1)], key="C major")
    assert words[2:-1:2] == ["P0:1", "P0:3b", "P0:4#", "P0:7b"]
    notes = tok.decode(words)
    assert [p for p, _ in tok.place(notes, scale="major", tonic=60, chromatic="keep")] == [60, 63, 66, 70]
    assert [p for p, _ in tok.place(notes, scale="major", tonic=60)] == [60, 64, 65, 71]


def test_five_note_scales_follow_the_documented_rule():
    notes = [tok.MelodyNote(d, 0, 1.0) for d in range(1, 8)]
    pitches = [p for p, _ in tok.place(notes, scale=(0, 3, 5, 7, 10), tonic=60)]
    assert pitches == [60, 63, 63, 65, 67, 70, 70]


def test_decode_skips_words_out_of_place():
    assert tok.decode(["<s>", "M:2/4", "P0:1", "P0:2", "D:1", "D:2", "R", "D:1/2", "</s>", "P0:3", "D:1"]) == [
        tok.MelodyNote(2, 0, 1.0, 0, 0), tok.MelodyNote(None, 0, 0.5, 0, 0)]


# ---------------------------------------------------------------------------------------------------- model


def test_shipped_model_loads_once_from_assets():
    from transformers import GPT2LMHeadModel

    model = mm.load_model(device="cpu")
    assert isinstance(model, GPT2LMHeadModel)
    assert mm.load_model(device="cpu") is model
    assert 1_000_000 <= sum(p.numel() for p in model.parameters()) <= 5_000_000
    assert (mm.MODEL.shipped_folder() / mm.WEIGHTS_FILE).stat().st_size <= 10 * 2**20
    for name in (mm.CONFIG_FILE, mm.VOCAB_FILE, mm.BASELINES_FILE, mm.METRICS_FILE, mm.CARD_FILE, mm.HELDOUT_FILE):
        assert (mm.MODEL.shipped_folder() / name).is_file(), name


def test_fast_decoder_matches_transformers():
    import torch

    model = mm.load_model(device="cpu")
    ids = tok.ids(tok.encode(_twinkle(60), key="C", meter="4/4"))
    with torch.inference_mode():
        reference = model(input_ids=torch.tensor([ids])).logits[0]
        decoder = mm._Decoder(model)
        first = decoder.restart(ids[:5])
        for i in ids[5:]:
            last = decoder.run([i])
    assert torch.allclose(first, reference[4], atol=1e-4)
    assert torch.allclose(last, reference[-1], atol=1e-4)


def test_sampling_is_deterministic_under_a_seed_and_seed_zero_is_valid():
    a = mm.sample(n_tokens=80, seed=0, device="cpu")
    b = mm.sample(n_tokens=80, seed=0, device="cpu")
    c = mm.sample(n_tokens=80, seed=1, device="cpu")
    assert a.seed == 0 and a.tokens == b.tokens
    assert a.tokens != c.tokens
    assert a.tokens[0] == "<s>" and a.tokens[1].startswith("M:")
    assert a.notes and all(n.duration > 0 for n in a.notes)
    placed = a.place(scale="bayati", tonic=62)
    assert len(placed) == len(a.notes)
    timeline = a.timeline(scale="pentatonic", tonic=50, max_beats=8)
    assert timeline and all(0 <= onset < 8 and onset + length <= 8 for onset, length, _ in timeline)


def test_sampling_writes_n_tokens_without_eos_and_past_the_context():
    melody = mm.sample(n_tokens=600, seed=3, stop_at_eos=False, meter="6/8", device="cpu")
    assert len(melody.tokens) == 2 + 600
    assert melody.meter == "6/8"


@pytest.mark.parametrize("options, name", [
    (dict(temperature=0), "temperature"),
    (dict(temperature=-1.0), "temperature"),
    (dict(temperature=5.5), "temperature"),
    (dict(temperature=math.nan), "temperature"),
    (dict(top_k=0), "top_k"),
    (dict(top_k=len(tok.VOCAB) + 1), "top_k"),
    (dict(n_tokens=0), "n_tokens"),
    (dict(n_tokens=1025), "n_tokens"),
    (dict(motif=""), "motif"),
    (dict(motif="   "), "motif"),
    (dict(meter="7/8"), "meter"),
    (dict(tonic="H"), "key"),
    (dict(seed=-1), "seed"),
])
def test_bad_options_are_refused_at_the_door(options, name):
    with pytest.raises(ParameterError) as info:
        mm.sample(**options)
    assert info.value.name == name


def test_unknown_note_name_is_named():
    with pytest.raises(ParameterError) as info:
        mm.sample(motif="D4 E4 H4 G4", tonic="D")
    assert "H4" in str(info.value)


def test_missing_midi_motif_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError) as info:
        mm.sample(motif=str(tmp_path / "nothing.mid"))
    assert "nothing.mid" in str(info.value)


def test_motif_continuation_starts_with_the_motif():
    melody = mm.sample(motif="D4 E4 F4 G4", tonic="D", meter="4/4", n_tokens=40, seed=0, device="cpu")
    assert melody.tokens[:10] == ["<s>", "M:4/4", "P0:1", "D:1", "P0:2", "D:1", "P0:3b", "D:1", "P0:4", "D:1"]
    assert melody.place(scale="major", tonic=62, chromatic="keep")[:4] == [(62.0, 1.0), (64.0, 1.0), (65.0, 1.0),
                                                                           (67.0, 1.0)]
    assert len(melody.tokens) > 10


def test_midi_motif_reads_like_note_names(tmp_path):
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    for i, pitch in enumerate((62, 64, 65, 67)):
        inst.notes.append(pretty_midi.Note(velocity=90, pitch=pitch, start=i * 0.5, end=(i + 1) * 0.5))
    pm.instruments.append(inst)
    path = tmp_path / "motif.mid"
    pm.write(str(path))
    from_file = mm.sample(motif=path, tonic="D", meter="4/4", n_tokens=20, seed=5, device="cpu")
    from_text = mm.sample(motif="D4 E4 F4 G4", tonic="D", meter="4/4", n_tokens=20, seed=5, device="cpu")
    assert from_file.tokens == from_text.tokens


def test_shipped_model_beats_the_bigram_baseline_on_held_out_tunes():
    lines = (mm.MODEL.shipped_folder() / mm.HELDOUT_FILE).read_text(encoding="utf-8").splitlines()
    sequences = [tok.ids(line.split("\t", 1)[1].split()) for line in lines]
    assert len(sequences) >= 100
    model_total, n = mm.sequence_nll(mm.load_model(device="cpu"), sequences)
    baselines = mm.load_baselines()
    bigram_total, n_bigram = baselines["bigram"].nll(sequences)
    unigram_total, _ = baselines["unigram"].nll(sequences)
    assert n == n_bigram
    assert model_total / n < bigram_total / n < unigram_total / n
    assert model_total / n < 0.95 * bigram_total / n  # a clear margin, not a tie


def test_an_untrained_model_does_not_beat_the_bigram_baseline():
    """The comparison above can fail: the same check on random weights does."""
    import torch
    from transformers import GPT2LMHeadModel

    torch.manual_seed(0)
    untrained = GPT2LMHeadModel(mm.make_config()).eval()
    lines = (mm.MODEL.shipped_folder() / mm.HELDOUT_FILE).read_text(encoding="utf-8").splitlines()[:30]
    sequences = [tok.ids(line.split("\t", 1)[1].split()) for line in lines]
    total, n = mm.sequence_nll(untrained, sequences)
    bigram_total, _ = mm.load_baselines()["bigram"].nll(sequences)
    assert total / n > bigram_total / n


def test_evaluate_reports_model_and_baselines():
    lines = (mm.MODEL.shipped_folder() / mm.HELDOUT_FILE).read_text(encoding="utf-8").splitlines()[:20]
    result = mm.evaluate(sequences=[line.split("\t", 1)[1].split() for line in lines], n_samples=2, device="cpu")
    assert set(result["nll"]) == {"model", "unigram", "bigram"}
    assert 0 <= result["samples"]["in_scale_ratio"] <= 1
    assert 0 <= result["samples"]["repeated_4gram_fraction"] <= 1


def test_missing_weights_folder_says_how_to_train(tmp_path):
    with pytest.raises(MissingModelError) as info:
        mm.sample(path=tmp_path / "no-model", seed=0)
    assert "workshop-kit train melody" in str(info.value)
    with pytest.raises(MissingModelError):
        mm.load_model(path=tmp_path)


# ------------------------------------------------------------------------------------------ the engine
def test_engine_places_the_melody_in_a_maqam_and_arranges_it():
    import workshop_kit as wk
    from workshop_kit.music.theory import RHYTHMS

    result = wk.music.generate(engine="melody-model", scale="bayati", rhythm="gnawa", bars=4, seed=1)
    rhythm = RHYTHMS["gnawa"]
    piece_seconds = 4 * rhythm.beats * 60 / rhythm.tempo
    assert result.audio.shape[1] == 2 and result.duration == pytest.approx(piece_seconds + 1.0, abs=0.05)
    lead = [n for n in result.score.notes if n.track == "lead"]
    assert lead and all(n.start < piece_seconds for n in lead)
    assert any(abs(n.pitch % 1 - 0.5) < 1e-6 for n in lead)  # bayati's quarter tone is played
    assert {n.track for n in result.score.notes} >= {"lead", "bass"}
    assert result.model["commercial_use"] is False and result.params["meter"]


def test_engine_is_deterministic_and_continues_a_motif():
    import workshop_kit as wk

    a = wk.music.generate(engine="melody-model", scale="hijaz", rhythm="chaabi", bars=2, seed=0, motif="D4 E4 F4 G4")
    b = wk.music.generate(engine="melody-model", scale="hijaz", rhythm="chaabi", bars=2, seed=0, motif="D4 E4 F4 G4")
    assert np.array_equal(a.audio, b.audio)
    first = sorted((n for n in a.score.notes if n.track == "lead"), key=lambda n: n.start)[:4]
    assert [round(n.pitch) for n in first] == [62, 63, 66, 67]  # D, Eb, F#, G: the motif read in hijaz on D


@pytest.mark.parametrize("kw, named", [(dict(temperature=0), "temperature"), (dict(motif="H9"), "H9"),
                                       (dict(bars=0), "bars"), (dict(scale="lydian"), "lydian")])
def test_engine_bad_input(kw, named):
    import workshop_kit as wk

    with pytest.raises(ParameterError, match=named):
        wk.music.generate(engine="melody-model", **kw)


# --------------------------------------------------------------------------- a melody with no note in it
SILENT_SEED = 2930035341  # the model writes a rest and ends the tune: "<s> M:4/4 R D:3/2 </s>"


def test_a_seed_whose_tune_ends_before_any_note_still_gives_a_piece():
    import workshop_kit as wk

    silent = mm.sample(seed=SILENT_SEED, n_tokens=56, meter="4/4", device="cpu")
    assert not silent.timeline()  # the model's own first answer for this seed has no note
    a = wk.music.generate(engine="melody-model", bars=2, seed=SILENT_SEED)
    b = wk.music.generate(engine="melody-model", bars=2, seed=SILENT_SEED)
    assert a.seed == SILENT_SEED and np.array_equal(a.audio, b.audio)  # the same seed gives the same piece
    assert a.params["melody_seed"] == mm.attempt_seed(SILENT_SEED, 1) != SILENT_SEED
    assert any(n.track == "lead" for n in a.score.notes)
    assert a.notes and str(SILENT_SEED) in a.notes[0]
    ordinary = wk.music.generate(engine="melody-model", bars=1, seed=1)
    assert ordinary.params["melody_seed"] == 1 and ordinary.notes == []  # other seeds give the pieces they gave


def test_hundreds_of_seeds_all_give_a_melody_with_notes():
    from workshop_kit.music.theory import SCALES

    place = dict(scale=SCALES["hijaz"].steps, tonic=62)
    silent = (SILENT_SEED, 3843581013, 827169184)  # about one seed in two hundred ends its first tune at once
    seeds = (*silent, *np.random.default_rng(1).integers(0, 2**32, 250).tolist())
    for seed in seeds:  # short tunes in 12/8, the default rhythm's meter
        melody, line, said = mm._melody_with_notes(seed, place=place, n_tokens=40, meter="12/8", scale="major",
                                                   tonic="D", device="cpu")
        assert line, seed
        assert melody.seed in {mm.attempt_seed(seed, k) for k in range(mm.ATTEMPTS)}
        assert bool(said) == (melody.seed != seed) == (seed in silent), seed
    assert len({mm.attempt_seed(7, k) for k in range(mm.ATTEMPTS)}) == mm.ATTEMPTS
    assert all(0 <= mm.attempt_seed(SILENT_SEED, k) < 2**32 for k in range(mm.ATTEMPTS))


def test_a_model_that_never_writes_a_note_falls_back_then_says_so_in_three_languages(monkeypatch):
    import workshop_kit as wk
    from workshop_kit.errors import WorkshopKitError

    real = mm.sample
    calls = []

    def ends_at_once(*, seed, stop_at_eos=True, **options):
        calls.append((seed, stop_at_eos))
        if stop_at_eos:
            words = [tok.BOS, "M:4/4", "R", "D:3/2", tok.EOS]
            return mm.Melody(words, tok.decode(words), "4/4", seed, 2, 0.0, {"stop_at_eos": True})
        return real(seed=seed, stop_at_eos=stop_at_eos, **options)

    monkeypatch.setattr(mm, "sample", ends_at_once)
    result = wk.music.generate(engine="melody-model", bars=1, seed=3)
    assert len(calls) == mm.ATTEMPTS + 1 and calls[-1] == (3, False)  # written to its full length at last
    assert result.params["melody_to_the_end"] and "full length" in result.notes[0]

    def never(*, seed, stop_at_eos=True, **options):
        words = [tok.BOS, "M:4/4", "R", "D:3/2", tok.EOS]
        return mm.Melody(words, tok.decode(words), "4/4", seed, 2, 0.0, {"stop_at_eos": stop_at_eos})

    monkeypatch.setattr(mm, "sample", never)
    with pytest.raises(WorkshopKitError) as info:
        wk.music.generate(engine="melody-model", bars=1, seed=3)
    assert not isinstance(info.value, RuntimeError)
    assert "wrote no note" in info.value.message("en") and "aucune note" in info.value.message("fr")
    assert info.value.message("ar") != info.value.message("en")
