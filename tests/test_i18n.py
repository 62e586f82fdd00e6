"""One wording table for every word a user sees: complete in French, English and Arabic, and used everywhere."""

from __future__ import annotations

import re
import string
from pathlib import Path

import numpy as np
import pytest

from workshop_kit.errors import EngineUnavailableError, ParameterError, WorkshopKitError
from workshop_kit.i18n import LANGS, LRI, PDI, STRINGS, Msg, recognise, t

PACKAGE = Path(__file__).resolve().parents[1] / "workshop_kit"
ARABIC = re.compile(r"[\u0600-\u06FF]")
# words of an English or French sentence; names of formats, packages and classes are not among them
SENTENCE_WORDS = re.compile(
    r"\b(the|is|not|are|allowed|must|number|numbers|from|with|and|or|of|at|most|least|file|folder|picture|"
    r"to|a|an|it|this|le|la|les|un|une|de|des|du|est|pas|fichier|dossier|valeurs|possibles|au|plus|moins)\b",
    re.IGNORECASE)


def _outside_isolates(text: str) -> str:
    """``text`` without the values set left to right (file names, settings, option names)."""
    return re.sub(f"{LRI}[^{PDI}]*{PDI}", " ", text)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def assert_arabic(text: str) -> None:
    """An Arabic sentence: Arabic letters, and no English or French sentence word outside its values."""
    assert ARABIC.search(text), text
    words = SENTENCE_WORDS.findall(_outside_isolates(text))
    assert not words, (words, text)


# -------------------------------------------------------------------------------------------------- the table


def test_every_key_has_its_three_languages_with_the_same_fields():
    for key, entry in STRINGS.items():
        assert set(entry) == set(LANGS), key
        for lang in LANGS:
            assert isinstance(entry[lang], str) and entry[lang].strip() or key == "list", (key, lang)
        assert _fields(entry["fr"]) == _fields(entry["en"]) == _fields(entry["ar"]), key
        if key.startswith(("error.", "allowed.", "reason.", "printability.", "doctor.", "figure.")):
            assert ARABIC.search(entry["ar"]) or not re.search("[A-Za-z]{3,}", _drop_fields(entry["ar"])), key


def _drop_fields(template: str) -> str:
    return "".join(text for text, *_ in string.Formatter().parse(template))


def test_every_key_the_code_names_is_in_the_table():
    named = set()
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        named |= {(path.name, key) for key in re.findall(r"\b(?:Msg|t|text_of)\(\"([a-z][\w.\-]*)\"", source)}
    assert named, "no key found: the pattern is wrong"
    missing = sorted((name, key) for name, key in named if key not in STRINGS)
    assert not missing, missing


def test_a_message_renders_in_each_language_and_str_stays_english():
    err = ParameterError("bars", 99, Msg("allowed.int_range", low=1, high=64))
    assert str(err) == err.message("en") == "bars=99 is not allowed; allowed: a whole number from 1 to 64"
    assert err.message("fr") == "bars=99 n'est pas accepté ; valeurs possibles : un nombre entier de 1 à 64"
    assert_arabic(err.message("ar"))
    assert f"{LRI}bars=99{PDI}" in err.message("ar")  # the setting reads left to right inside the Arabic sentence
    assert err.message("xx") == str(err)


def test_english_reasons_given_by_callers_are_understood_through_the_table():
    err = ParameterError("x", 3, "1..16, a multiple of 8 or none", reason="not a multiple of 8")
    assert str(err) == "x=3: not a multiple of 8; allowed: 1..16, a multiple of 8 or none"
    assert "pas un multiple de 8" in err.message("fr") and "1 à 16, un multiple de 8 ou rien" in err.message("fr")
    assert_arabic(err.message("ar"))
    assert recognise("this option must be given").render("fr") == "cette option doit être donnée"
    assert recognise("words nobody wrote") is None
    unknown = ParameterError("x", 1, "something new", reason="new reason", reason_fr="raison nouvelle")
    assert "raison nouvelle" in unknown.message("fr") and "new reason" in str(unknown)


def test_legacy_sentences_still_work():
    err = WorkshopKitError("in English", "en français")
    assert str(err) == "in English" and err.message("fr") == "en français" and err.message_fr == "en français"


# -------------------------------------------------------------------------------------------------- errors


def _engine_errors():
    """ParameterErrors of every engine's own check: each number option above its range, each choice misspelt."""
    from workshop_kit.registry import ENGINES

    for engine in ENGINES.values():
        for option in engine.options:
            if option.kind in ("int", "float") and option.high is not None:
                bad = {option.name: option.high + 1}
            elif option.kind == "choice":
                bad = {option.name: "nope"}
            else:
                continue
            with pytest.raises(ParameterError) as info:
                engine.check(bad)
            yield f"{engine.name}.{option.name}", info.value
        with pytest.raises(ParameterError) as info:
            engine.check({"nope": 1})
        yield f"{engine.name}.nope", info.value


def test_every_engine_refuses_a_bad_option_in_three_languages():
    seen = 0
    for where, err in _engine_errors():
        assert err.message("en") == str(err) and "allowed" in str(err), where
        assert "valeurs possibles" in err.message("fr") and "allowed" not in err.message("fr"), where
        assert_arabic(err.message("ar"))
        seen += 1
    assert seen > 40


def _module_errors(tmp_path):
    """Errors the kit's own modules raise on bad input, one call each."""
    import trimesh

    from workshop_kit.device import resolve_device
    from workshop_kit.files import check_output_path
    from workshop_kit.imageio_safe import load_image
    from workshop_kit.mesh.load import load_mesh
    from workshop_kit.mesh.preview import render_png
    from workshop_kit.mesh.printability import report
    from workshop_kit.music import analysis, tokens
    from workshop_kit.validation import check_prompt, resolve_seed

    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    damaged = tmp_path / "damaged.wav"
    damaged.write_bytes(b"RIFF not a wave file" * 8)
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * 4000)
    calls = [
        lambda: resolve_seed(-1),
        lambda: check_prompt("   "),
        lambda: check_prompt("x" * 2000),
        lambda: resolve_device("tpu"),
        lambda: check_output_path(tmp_path / "x.fbx", [".png"]),
        lambda: check_output_path(tmp_path / "missing" / "x.png", [".png"]),
        lambda: load_image(tmp_path / "none.png"),
        lambda: load_image(big, max_bytes=100),
        lambda: load_image(b"GIF89a" + b"\0" * 20),
        lambda: load_image(np.zeros((4, 4, 2))),
        lambda: load_image(np.full((4, 4), 2.0)),
        lambda: analysis.load_audio(empty),
        lambda: analysis.load_audio(damaged),
        lambda: analysis.load_audio(tmp_path / "song.avi"),
        lambda: analysis.load_audio(np.zeros(22050), sample_rate=22050),
        lambda: analysis.load_audio(np.zeros(100), sample_rate=22050),
        lambda: load_mesh(tmp_path / "none.stl"),
        lambda: load_mesh(empty),
        lambda: report("not a mesh"),
        lambda: render_png(trimesh.Trimesh()),
        lambda: tokens.parse_key("H major"),
        lambda: tokens.encode_note_names("D4 X9", key="D minor"),
    ]
    for call in calls:
        with pytest.raises(WorkshopKitError) as info:
            call()
        yield info.value


def test_errors_of_the_kits_modules_are_said_in_arabic(tmp_path):
    errors = list(_module_errors(tmp_path))
    assert len(errors) == 22
    for err in errors:
        assert err.message("en") == str(err)
        assert err.message("fr") != str(err) or not re.search(r"\b(the|is|not)\b", str(err)), str(err)
        assert_arabic(err.message("ar"))


def test_a_missing_arabic_layout_package_is_said_plainly(monkeypatch):
    import builtins

    from workshop_kit import figure_text

    real = builtins.__import__

    def no_bidi(name, *args, **kwargs):
        if name == "bidi":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_bidi)
    with pytest.raises(EngineUnavailableError, match="python-bidi"):
        figure_text.visual_order("دو")


# -------------------------------------------------------------------------------------------------- reports


def _meshes_with_every_issue():
    import trimesh

    open_box = trimesh.creation.box((20, 20, 20))
    open_box.update_faces(np.arange(len(open_box.faces)) > 0)
    inverted = trimesh.creation.box((20, 20, 20))
    inverted.invert()
    thin = trimesh.creation.annulus(r_min=19.5, r_max=20.0, height=40.0)
    two = trimesh.util.concatenate([trimesh.creation.box((10, 10, 10)),
                                    trimesh.creation.box((10, 10, 10)).apply_translation((30, 0, 0))])
    return [open_box, inverted, thin, two, trimesh.Trimesh()]


def test_the_printability_verdict_is_arabic_throughout():
    from workshop_kit.mesh.printability import report

    codes = set()
    for mesh in _meshes_with_every_issue():
        r = report(mesh, bed_mm=25.0)
        codes |= {i["code"] for i in r.issues + r.notes}
        assert r.verdict("ar") == r.to_dict()["verdict_ar"]
        remaining = _outside_isolates(r.verdict("ar"))
        assert ARABIC.search(remaining) and not re.search(r"[A-Za-zÀ-ÿ]{2,}", remaining), r.verdict("ar")
    assert {"not_watertight", "inverted_normals", "thin_wall", "several_bodies", "larger_than_bed", "empty"} <= codes


def test_the_doctor_speaks_each_language():
    from workshop_kit.doctor import Check, Report, format_report

    report = Report([Check("python", True, "3.11"),
                     Check("memory", False, Msg("doctor.memory", total=3.5, free=1.0),
                           Msg("doctor.memory_needed", n=4)),
                     Check("image/cppn", True, Msg("doctor.seconds", n=0.5), Msg("doctor.first_call", n=1.5))])
    assert "3.5 GB total, 1.0 GB free" in format_report(report, "en")
    assert "Go libres" in format_report(report, "fr")
    said = format_report(report, "ar")
    assert t("doctor.blocked", "ar") in said and "غيغابايت" in said and "GB" not in said
    assert report.to_dict()["checks"][1]["value"] == "3.5 GB total, 1.0 GB free"


def test_audio_summary_names_the_key_in_each_language():
    from workshop_kit.music.analysis import note_names

    assert note_names("fr")[2] == "ré" and note_names("en")[2] == "D" and note_names("ar")[2] == "ري"
    assert all(len(note_names(lang)) == 12 for lang in LANGS)


# -------------------------------------------------------------------------------------------------- figures


def test_figures_draw_their_words_in_the_visitors_language():
    from workshop_kit.music import analysis
    from workshop_kit.music.score import Score

    score = Score(tempo=120.0, beats_per_bar=4)
    score.add_track("lead", 73)
    score.add_track("percussion", 0, is_drum=True)
    for i, pitch in enumerate((62, 64, 65.5, 67)):
        score.add("lead", start=i * 0.5, duration=0.5, pitch=pitch)
        score.add("percussion", start=i * 0.5, duration=0.1, pitch=85)  # qraqeb
    pictures = {lang: analysis.piano_roll_image(score, width=600, height=300, lang=lang).image for lang in LANGS}
    assert not np.array_equal(pictures["ar"], pictures["en"]) and not np.array_equal(pictures["fr"], pictures["en"])
    sr = 22050
    tone = np.sin(2 * np.pi * 293.66 * np.arange(sr * 2) / sr).astype(np.float32)  # two seconds of D4
    measured = analysis.analyse(tone, sample_rate=sr)
    chroma = {lang: analysis.chroma_image(measured, width=400, height=200, lang=lang).image for lang in ("en", "ar")}
    assert not np.array_equal(chroma["ar"], chroma["en"])
    spectrogram = {lang: analysis.spectrogram_image(tone, sample_rate=sr, analysis=measured, width=400, height=200,
                                                    lang=lang).image for lang in ("en", "ar")}
    assert not np.array_equal(spectrogram["ar"], spectrogram["en"])


def test_arabic_is_shaped_and_set_right_to_left_before_it_is_drawn():
    from workshop_kit.figure_text import visual_order

    shown = visual_order("دو4")
    assert shown.startswith("4")  # the digits at the left end of a right-to-left line
    assert all("\uFE70" <= ch <= "\uFEFF" for ch in shown[1:])  # letters in their joined (presentation) forms
    assert visual_order("C#4 do") == "C#4 do"


def test_every_letter_drawn_into_a_figure_is_in_the_shipped_fonts():
    ttlib = pytest.importorskip("fontTools.ttLib")
    from workshop_kit.figure_text import FONT_FILES, font_path, visual_order

    covered = set()
    for script in FONT_FILES:
        covered |= set(ttlib.TTFont(font_path(script)).getBestCmap())
    drawn = [STRINGS[key][lang] for key in STRINGS if key.startswith(("figure.", "music.note_names"))
             for lang in LANGS]
    for text in drawn:
        for ch in visual_order(_drop_fields(text)):
            assert ord(ch) in covered or ch.isspace(), (text, ch, hex(ord(ch)))
    licence = font_path("latin").with_name("OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
