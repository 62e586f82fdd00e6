"""The embedded music engine: theory tables, score and MIDI export, SoundFont rendering, the rules composer."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from workshop_kit import music
from workshop_kit.errors import EngineUnavailableError, OutputPathError, ParameterError
from workshop_kit.music import rules
from workshop_kit.music.render import SAMPLE_RATE, TAIL_SECONDS, render
from workshop_kit.music.score import Score, split_pitch
from workshop_kit.music.theory import DRUMS, INSTRUMENTS, PITCH_BEND_RANGE, RHYTHMS, SCALES, TONICS
from workshop_kit.presets import CITIES


def _expected_samples(bars: int, rhythm: str, tempo: float) -> int:
    return int(round((bars * RHYTHMS[rhythm].beats * 60.0 / tempo + TAIL_SECONDS) * SAMPLE_RATE)) + 1


@pytest.fixture(scope="module")
def bayati():
    return music.generate(scale="bayati", rhythm="gnawa", bars=2, seed=7)


# ------------------------------------------------------------------------------------------------ theory
def test_required_names_exist():
    for name in ("major", "minor", "pentatonic", "hijaz", "nahawand", "bayati", "rast"):
        assert name in SCALES
    for name in ("gnawa", "chaabi", "ahidous"):
        assert name in RHYTHMS


@pytest.mark.parametrize("name", list(SCALES))
def test_scales_are_well_formed(name):
    s = SCALES[name]
    assert s.name == name
    assert s.steps[0] == 0 and all(b > a for a, b in zip(s.steps, s.steps[1:])) and s.steps[-1] < 12
    assert all((2 * step).is_integer() for step in s.steps)  # semitones and quarter tones only
    assert set(s.label) >= {"fr", "en", "ar"} and s.description and s.source


def test_quarter_tone_scales():
    assert SCALES["bayati"].steps[1] == 1.5
    assert SCALES["rast"].steps[2] == 3.5 and SCALES["rast"].steps[6] == 10.5
    assert SCALES["bayati"].microtonal and SCALES["rast"].microtonal
    assert not SCALES["hijaz"].microtonal and not SCALES["nahawand"].microtonal
    assert SCALES["pentatonic"].steps == (0, 3, 5, 7, 10)


@pytest.mark.parametrize("name", list(RHYTHMS))
def test_rhythms_are_well_formed(name):
    r = RHYTHMS[name]
    assert r.subdivision in (2, 3) and r.beats >= 1 and 40 <= r.tempo <= 240
    assert r.lead in INSTRUMENTS and r.bass in INSTRUMENTS and r.bass_style in ("ostinato", "pulse", "drone")
    assert set(r.label) >= {"fr", "en", "ar"} and r.description and r.source
    for h in r.hits:
        assert h.drum in DRUMS and 1 <= h.velocity <= 127 and 0 <= h.position < r.beats
        assert abs(h.position * r.subdivision - round(h.position * r.subdivision)) < 1e-9  # on the grid


def test_gnawa_is_ternary_and_swung_with_qraqeb_on_castanets():
    g = RHYTHMS["gnawa"]
    assert g.subdivision == 3 and g.swing != 0
    assert any(h.drum == "qraqeb" for h in g.hits) and DRUMS["qraqeb"] == 85
    assert INSTRUMENTS[g.bass].name == "guembri" and 32 <= INSTRUMENTS["guembri"].program <= 39  # a GM bass


def test_every_city_preset_names_a_scale_and_rhythm_that_exist():
    for city in CITIES.values():
        assert city.scale in SCALES, city.name
        assert city.rhythm in RHYTHMS, city.name
        assert 40 <= city.tempo <= 240


def test_importing_the_music_modules_stays_cheap():
    code = (
        "import sys, workshop_kit.music.theory, workshop_kit.music.score, workshop_kit.music.render, "
        "workshop_kit.music.rules\n"
        "heavy = {'torch', 'pretty_midi', 'scipy', 'soundfile', 'librosa', 'music21'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


# ------------------------------------------------------------------------------------------------ engine
def test_audio_shape_dtype_rate_and_duration(bayati):
    assert bayati.engine == "rules" and bayati.device == "cpu" and bayati.seed == 7
    assert bayati.sample_rate == SAMPLE_RATE == 44100
    assert bayati.audio.dtype == np.float32 and bayati.audio.ndim == 2 and bayati.audio.shape[1] == 2
    tempo = RHYTHMS["gnawa"].tempo
    assert bayati.params == {"scale": "bayati", "rhythm": "gnawa", "bars": 2, "tempo": tempo, "tonic": "D"}
    assert bayati.audio.shape[0] == _expected_samples(2, "gnawa", tempo)


@pytest.mark.parametrize("rhythm,bars,tempo", [("chaabi", 3, 150), ("ahidous", 1, 60.5), ("gnawa", 5, None)])
def test_duration_follows_bars_and_tempo(rhythm, bars, tempo):
    result = music.generate(scale="hijaz", rhythm=rhythm, bars=bars, tempo=tempo, seed=1)
    used = RHYTHMS[rhythm].tempo if tempo is None else tempo
    assert result.params["tempo"] == used
    assert result.audio.shape[0] == _expected_samples(bars, rhythm, used)
    assert result.duration == pytest.approx(bars * RHYTHMS[rhythm].beats * 60 / used + TAIL_SECONDS, abs=1e-3)


def test_no_clipping_and_not_silent(bayati):
    audio = bayati.audio
    assert np.all(np.isfinite(audio))
    assert float(np.max(np.abs(audio))) <= 1.0
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    assert rms > 0.03


def test_loudness_is_consistent_across_styles():
    levels = []
    for rhythm in RHYTHMS:
        audio = music.generate(scale="hijaz", rhythm=rhythm, bars=2, seed=3).audio
        levels.append(20 * np.log10(np.sqrt(np.mean(audio.astype(np.float64) ** 2))))
        assert float(np.max(np.abs(audio))) <= 0.9
    assert max(levels) - min(levels) < 3.0  # dB


def test_same_seed_same_audio_and_seeds_differ(bayati):
    again = music.generate(scale="bayati", rhythm="gnawa", bars=2, seed=7)
    assert np.array_equal(again.audio, bayati.audio)
    zero = music.generate(scale="bayati", rhythm="gnawa", bars=2, seed=0)
    one = music.generate(scale="bayati", rhythm="gnawa", bars=2, seed=1)
    assert zero.seed == 0 and one.seed == 1
    assert zero.audio.shape == one.audio.shape and not np.array_equal(zero.audio, one.audio)


def test_concurrent_calls_match_a_serial_call(bayati):
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: music.generate(scale="bayati", rhythm="gnawa", bars=2, seed=7), range(4)))
    for r in results:
        assert np.array_equal(r.audio, bayati.audio)


def test_seed_none_draws_an_int_seed():
    result = music.generate(bars=1, seed=None)
    assert isinstance(result.seed, int) and 0 <= result.seed < 2**32
    again = music.generate(bars=1, seed=result.seed)
    assert np.array_equal(again.audio, result.audio)


def test_options_are_case_insensitive_and_resolved():
    result = music.generate(scale="Bayati", rhythm="CHAABI", tonic="f#", bars=1, seed=2)
    assert result.params["scale"] == "bayati" and result.params["rhythm"] == "chaabi" and result.params["tonic"] == "F#"


@pytest.mark.parametrize("scale", list(SCALES))
@pytest.mark.parametrize("rhythm", list(RHYTHMS))
def test_every_scale_and_rhythm_composes_in_scale_and_cadences_on_the_tonic(scale, rhythm):
    rng = np.random.default_rng(11)
    tonic = TONICS["E"]
    score = rules.compose(scale=SCALES[scale], rhythm=RHYTHMS[rhythm], bars=4, tempo=RHYTHMS[rhythm].tempo,
                          tonic=tonic, rng=rng)
    lead = score.notes_of("lead")
    assert lead and score.notes_of("bass") and score.notes_of("percussion")
    steps = set(SCALES[scale].steps)
    for n in lead + score.notes_of("bass"):
        assert (n.pitch - tonic) % 12 in steps
    assert (lead[-1].pitch - tonic) % 12 == 0  # the last note is the tonic
    for a, b in zip(lead, lead[1:]):
        assert a.end <= b.start + 1e-9  # monophonic, so pitch bends never clash
    end = 4 * RHYTHMS[rhythm].beats * 60 / RHYTHMS[rhythm].tempo
    assert max(n.end for n in score.notes) <= end + 1e-9


def test_melody_moves_mostly_by_step():
    shares = []
    for seed in range(5):
        score = rules.compose(scale=SCALES["hijaz"], rhythm=RHYTHMS["gnawa"], bars=16, tempo=100, tonic=2,
                              rng=np.random.default_rng(seed))
        lead = score.notes_of("lead")
        rank = {p: i for i, p in enumerate(sorted({n.pitch for n in lead}))}
        moves = [abs(rank[b.pitch] - rank[a.pitch]) for a, b in zip(lead, lead[1:])]
        shares.append(np.mean([m <= 2 for m in moves]))
    assert np.mean(shares) > 0.8 and min(shares) > 0.65


@pytest.mark.parametrize(
    "options,bad",
    [
        ({"scale": "lydian"}, "lydian"),
        ({"scale": 3}, "3"),
        ({"rhythm": "polka"}, "polka"),
        ({"tonic": "H"}, "H"),
        ({"tonic": "D4"}, "D4"),
        ({"bars": 0}, "0"),
        ({"bars": 65}, "65"),
        ({"bars": 2.5}, "2.5"),
        ({"bars": "4"}, "4"),
        ({"bars": True}, "True"),
        ({"tempo": 39}, "39"),
        ({"tempo": 241}, "241"),
        ({"tempo": "fast"}, "fast"),
        ({"tempo": float("nan")}, "nan"),
        ({"seed": -1}, "-1"),
        ({"seed": 2**32}, str(2**32)),
        ({"seed": 1.5}, "1.5"),
        ({"seed": "lucky"}, "lucky"),
        ({"device": "tpu"}, "tpu"),
    ],
)
def test_bad_parameters_raise_parameter_error_naming_the_value(options, bad):
    with pytest.raises(ParameterError) as info:
        music.generate(**{"bars": 1, "seed": 0, **options})
    assert isinstance(info.value, ValueError)
    assert bad in str(info.value)
    name = next(iter(options))
    assert name in str(info.value)


def test_unknown_scale_lists_the_allowed_ones():
    with pytest.raises(ParameterError) as info:
        music.generate(scale="lydian", bars=1, seed=0)
    for name in SCALES:
        assert name in str(info.value)


def test_missing_gpu_is_an_error_not_a_silent_cpu_run():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(ParameterError, match="cuda"):
        music.generate(bars=1, seed=0, device="cuda")


def test_options_must_be_keywords():
    with pytest.raises(TypeError):
        rules.generate("hijaz")  # type: ignore[misc]


def test_unknown_engine_raises():
    with pytest.raises(ParameterError, match="nope"):
        music.generate(engine="nope")


# ------------------------------------------------------------------------------------------------ saving
@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mid"])
def test_save_writes_file_and_sidecar(bayati, tmp_path, suffix):
    path = bayati.save(tmp_path / f"piece{suffix}")
    assert path.is_file() and path.stat().st_size > 0
    record = json.loads((tmp_path / f"piece{suffix}.json").read_text(encoding="utf-8"))
    assert record["engine"] == "rules" and record["seed"] == 7 and record["device"] == "cpu"
    assert record["params"]["scale"] == "bayati" and record["params"]["tempo"] == RHYTHMS["gnawa"].tempo
    assert "pretty_midi" in record["versions"] and "numpy" in record["versions"]
    if suffix == ".mid":
        import pretty_midi

        pm = pretty_midi.PrettyMIDI(str(path))
        assert sum(len(i.notes) for i in pm.instruments) == len(bayati.score.notes)
    else:
        import soundfile

        info = soundfile.info(str(path))
        assert info.samplerate == 44100 and info.channels == 2 and info.frames == bayati.audio.shape[0]


@pytest.mark.parametrize("name", ["missing/piece.wav", "piece.mp3", "piece"])
def test_bad_output_path_raises_and_leaves_nothing(bayati, tmp_path, name):
    with pytest.raises(OutputPathError):
        bayati.save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------------ MIDI
def _bends_of(pm, name):
    inst = next(i for i in pm.instruments if i.name == name)
    return inst, sorted(inst.pitch_bends, key=lambda b: b.time)


def test_midi_has_pitch_bends_for_quarter_tones(bayati, tmp_path):
    import pretty_midi

    path = bayati.save(tmp_path / "bayati.mid")
    pm = pretty_midi.PrettyMIDI(str(path))
    inst, bends = _bends_of(pm, "lead")
    assert bends, "a quarter-tone scale needs pitch bends"
    quarter = round(0.5 / PITCH_BEND_RANGE * 8192)
    assert {abs(b.pitch) for b in bends} <= {0, quarter}
    assert any(abs(b.pitch) == quarter for b in bends)
    # the pitch-bend range is declared with RPN 0 (CC 101/100 = 0, data entry CC 6 = range)
    numbers = [(c.number, c.value) for c in inst.control_changes]
    assert (101, 0) in numbers and (100, 0) in numbers and (6, PITCH_BEND_RANGE) in numbers
    # every note reads back as key + bend == the score's float pitch
    for note, original in zip(sorted(inst.notes, key=lambda n: n.start), bayati.score.notes_of("lead")):
        bend = max((b for b in bends if b.time <= note.start + 1e-6), key=lambda b: b.time)
        assert note.pitch + bend.pitch / 8192 * PITCH_BEND_RANGE == pytest.approx(original.pitch, abs=1e-3)


def test_midi_has_no_pitch_bends_without_quarter_tones():
    result = music.generate(scale="hijaz", rhythm="chaabi", bars=2, seed=5)
    pm = result.score.to_midi()
    assert all(not i.pitch_bends for i in pm.instruments)
    assert next(i for i in pm.instruments if i.is_drum).name == "percussion"


def test_split_pitch():
    assert split_pitch(62.5) == (63, -0.5)
    assert split_pitch(61.0) == (61, 0.0)
    assert split_pitch(69.49) == (69, pytest.approx(0.49))


def test_score_keeps_melodic_tracks_monophonic():
    score = Score(tempo=60)
    score.add_track("m", 40)
    score.add("m", 0.0, 2.0, 60)
    score.add("m", 1.0, 1.0, 62.5)
    first, second = score.notes_of("m")
    assert first.end == pytest.approx(1.0) and second.start == 1.0
    with pytest.raises(ParameterError):
        score.add_track("m", 41)


# ------------------------------------------------------------------------------------------------ rendering
def _median_cents(audio: np.ndarray, start: float, end: float, target: float, fmin: float = 200) -> float:
    librosa = pytest.importorskip("librosa")
    segment = audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)].mean(axis=1)
    segment = librosa.resample(segment, orig_sr=SAMPLE_RATE, target_sr=16000)
    f0, voiced, _ = librosa.pyin(segment, fmin=fmin, fmax=800, sr=16000, frame_length=2048, resolution=0.05)
    f0 = f0[voiced & np.isfinite(f0)]
    assert f0.size > 10, "no pitch found"
    return float(np.median(librosa.hz_to_midi(f0)) - target) * 100


# A sustained bowed instrument (GM 49, String Ensemble), one note after another on the same channel, so each bend
# must also be undone for the next plain note. Bayati's second degree above D4 is 63.5.
KEY_NOTES = [69.0, SCALES["bayati"].pitch(1, 62), 62.0, 69.5, 62.5, 64.0]


@pytest.fixture(scope="module")
def key_render():
    score = Score(tempo=60)
    score.add_track("strings", INSTRUMENTS["strings"].program)
    for i, pitch in enumerate(KEY_NOTES):
        score.add("strings", 1.2 * i, 1.2, pitch, 100)
    return render(score)


@pytest.mark.parametrize("index", range(len(KEY_NOTES)))
def test_rendered_pitch_matches_the_score_within_15_cents(key_render, index):
    target = KEY_NOTES[index]
    cents = _median_cents(key_render, 1.2 * index + 0.3, 1.2 * index + 1.1, target)
    assert abs(cents) <= 15, f"pitch {target}: median off by {cents:.1f} cents"


def test_quarter_tone_is_not_a_semitone(key_render):
    # 63.5 must sound neither as 63 nor as 64
    cents = _median_cents(key_render, 1.5, 2.3, 63.0)
    assert 35 <= cents <= 65


def test_render_is_normalised_and_has_a_tail():
    score = Score(tempo=60)
    score.add_track("nay", INSTRUMENTS["nay"].program)
    score.add("nay", 0.0, 0.5, 67, 30)
    audio = render(score)
    assert audio.shape == (int(round((0.5 + TAIL_SECONDS) * SAMPLE_RATE)) + 1, 2)
    assert 0.3 < float(np.max(np.abs(audio))) <= 0.9
    assert float(np.max(np.abs(audio[-100:]))) < 1e-3  # faded out


def test_empty_score_renders_silence_of_the_tail():
    audio = render(Score())
    assert audio.dtype == np.float32 and not np.any(audio)


@pytest.mark.parametrize("name", ["nay", "oud", "strings", "guembri"])
def test_a_note_bent_a_quarter_tone_sounds_50_cents_up(name):
    """The same key plain, then bent +50 cents: the bent one sounds 50 ± 15 cents above the plain one (each
    instrument's sample keeps its own tuning, so the plain note is the reference)."""
    score = Score(tempo=60)
    score.add_track(name, INSTRUMENTS[name].program)
    base = 69.0 if name != "guembri" else 57.0
    score.add(name, 0.0, 1.5, base, 100)
    score.add(name, 1.5, 1.5, base + 0.5, 100)
    audio = render(score)
    low = 200 if name != "guembri" else 100
    plain = _median_cents(audio, 0.3, 1.2, base, fmin=low)
    bent = _median_cents(audio, 1.8, 2.7, base + 0.5, fmin=low)
    assert abs(bent - plain) <= 15, f"{name}: the bend moved the pitch by {50 + bent - plain:.1f} cents, not 50"


def test_a_damaged_soundfont_is_engine_unavailable(monkeypatch, tmp_path):
    from workshop_kit.music import render as render_module

    broken = tmp_path / "TimGM6mb.sf2"
    broken.write_bytes(b"RIFF\x04\x00\x00\x00sfbk" + b"\x00" * 64)
    monkeypatch.setattr(render_module, "soundfont_path", lambda: str(broken))
    with pytest.raises(EngineUnavailableError, match="could not be (read|loaded).*reinstall"):
        music.generate(bars=1, seed=0)


def test_missing_soundfont_is_engine_unavailable(monkeypatch, tmp_path):
    import pretty_midi

    monkeypatch.setattr(pretty_midi, "__file__", str(tmp_path / "pretty_midi" / "__init__.py"))
    with pytest.raises(EngineUnavailableError, match="TimGM6mb.sf2"):
        music.generate(bars=1, seed=0)
