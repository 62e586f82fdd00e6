"""The engine registry is the one source of truth: engines, command line, booth and README agree with it."""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workshop_kit import registry
from workshop_kit.registry import ENGINES, MODALITIES, REQUIRED

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", list(ENGINES))
def test_options_are_the_keywords_of_generate(name):
    engine = ENGINES[name]
    parameters = inspect.signature(engine.load().generate).parameters
    assert [o.name for o in engine.options] == list(parameters)
    for option in engine.options:
        default = parameters[option.name].default
        if default is inspect.Parameter.empty:
            assert option.default is REQUIRED, option.name
        else:
            assert option.default == default, (option.name, option.default, default)
        assert parameters[option.name].kind is inspect.Parameter.KEYWORD_ONLY, option.name


@pytest.mark.parametrize("name", list(ENGINES))
def test_every_default_passes_its_own_check(name):
    engine = ENGINES[name]
    checked = engine.check(engine.defaults())
    assert set(checked) == {o.name for o in engine.options if o.default is not REQUIRED}


@pytest.mark.parametrize("name", list(ENGINES))
def test_generate_refuses_what_the_registry_refuses(name):
    """Each engine checks its arguments through its entry: a value one past a range is refused, naming it."""
    engine = ENGINES[name]
    for option in engine.options:
        if option.kind not in ("int", "float"):
            continue
        bad = option.high + 1
        with pytest.raises(ValueError, match=option.name):
            engine.check({option.name: bad})
        required = {o.name: "zellige" for o in engine.options if o.default is REQUIRED}
        with pytest.raises(ValueError, match=option.name):
            engine.generate(**required, **{option.name: bad})


def test_choices_resolve_to_their_tables():
    from workshop_kit.image.cppn import STYLES
    from workshop_kit.mesh.tiles import MOTIFS
    from workshop_kit.palettes import PALETTES

    assert ENGINES["cppn"].option("palette").names() == tuple(PALETTES)
    assert ENGINES["cppn"].option("style").names() == tuple(STYLES)
    assert ENGINES["tiles"].option("motif").names() == tuple(MOTIFS)


def test_every_engine_has_a_modality_a_tier_and_cases_for_the_embedded_ones():
    for engine in ENGINES.values():
        assert engine.modality in MODALITIES and engine.tier in ("embedded", "pretrained")
        if engine.tier == "embedded":
            assert engine.cases, engine.name
            for case in engine.cases:
                engine.check(case.options)


def test_city_fields_exist_on_the_presets():
    from workshop_kit.presets import CITIES

    for engine in ENGINES.values():
        for option in engine.options:
            if option.city:
                for city in CITIES.values():
                    option.check(getattr(city, option.city))


def test_a_missing_model_makes_an_engine_not_ready(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_KIT_MELODY_MODEL", str(tmp_path))
    state = ENGINES["melody-model"].ready()
    assert not state and "model.safetensors" in state.reason
    assert ENGINES["rules"].ready()


def test_cli_ranges_are_the_engines():
    """A value the engine refuses is refused by the command line, with the engine's range in the message."""
    for args, words in (
        (["image", "--engine", "cppn", "--size", "4096"], "64 to 2048"),
        (["image", "--engine", "motifs", "--size", "4097"], "64 to 4096"),
        (["image", "--engine", "sd-turbo", "--prompt", "x", "--size", "1025"], "64 to 1024"),
        (["music", "--engine", "musicgen", "--prompt", "x", "--temperature", "3"], "0.05 to 2"),
        (["mesh", "--engine", "lathe", "--wall-mm", "0.5"], "1 to 20"),
        (["mesh", "--engine", "lantern", "--openness", "0.8"], "0.05 to 0.7"),
    ):
        run = subprocess.run([sys.executable, "-m", "workshop_kit", *args], capture_output=True, text=True, timeout=120)
        assert run.returncode == 2, (args, run.stderr)
        assert words in run.stderr and len(run.stderr.strip().splitlines()) == 1, (args, run.stderr)


def test_every_option_has_a_flag_with_the_engines_range_in_its_help():
    from workshop_kit.cli import build_parser, engine_flags

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for modality in MODALITIES:
        helps = {a.dest: a.help for a in subparsers[modality]._actions}
        for name, uses in engine_flags(modality).items():
            assert name in helps, (modality, name)
            for engine, option in uses:
                if option.kind in ("int", "float"):
                    assert option.allowed() in helps[name], (modality, name, engine.name)


def test_size_mm_sets_each_objects_main_size_on_the_command_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "workshop_kit", "mesh", "--kind", "tiles", "--size-mm", "60",
                          "--seed", "0", "--no-preview", "--also", "none", "--out", str(tmp_path / "t.glb")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    import json

    assert json.loads((tmp_path / "t.glb.json").read_text())["params"]["tile_mm"] == 60


def test_readme_engine_table_is_generated_from_the_registry():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- engines:start -->\n(.*?)\n<!-- engines:end -->", text, re.S)
    assert block, "README has no generated engine table"
    assert block.group(1) == registry.markdown_table(), "run: workshop-kit engines --readme README.md"


def test_listing_engines_imports_no_engine():
    code = ("import sys, workshop_kit.registry as r; r.markdown_table(); [e.ready() for e in r.ENGINES.values()]; "
            "print(sorted(m for m in ('torch', 'diffusers', 'transformers', 'gradio', 'trimesh', "
            "'workshop_kit.image.cppn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
