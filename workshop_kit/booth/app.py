"""The booth: a Gradio page where a visitor taps a city and takes home a piece of music, a picture and a 3D object.

The page only gathers options and shows results: every piece is made by :mod:`workshop_kit.music`,
:mod:`workshop_kit.image` and :mod:`workshop_kit.mesh`, drawn by :mod:`workshop_kit.music.analysis` and
:meth:`~workshop_kit.results.MeshResult.preview`, and written with ``result.save()``. Errors of the kit become
``gr.Error`` pop-ups in the visitor's language, so the booth stays up. Files go to one fresh folder per call, and
folders older than ``keep_seconds`` are removed, so that a booth open all day does not fill the disk.

Each tab offers the engines this machine can run: the embedded ones always, a pretrained one only when
:func:`workshop_kit.pretrained.status` finds its weights (SD-Turbo also needs its safety checker, which the booth
always turns on; Shap-E must be quick enough on this device), with its licence next to its name.

Each "make" button runs one event with an API name (``/music``, ``/image``, ``/mesh``) that returns the piece, its
files and its seed; the pictures that explain it (piano roll, spectrogram, 3D preview and printability, the
denoising steps) are drawn by a second event that the page chains to it. ``/analyse`` measures an uploaded sound.

Nothing heavy happens at import: engines are imported when the page is built, and models run on the first click.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import WorkshopKitError
from ..i18n import DEFAULT_LANG, LANG_NAMES, LANGS, check_lang, is_rtl, label_of, option_label, t
from ..palettes import PALETTES
from ..presets import CITIES, CityPreset
from ..validation import check_choice, check_float

__all__ = ["build_booth", "launch_booth", "launch_options", "DEFAULT_CITY", "KEEP_SECONDS"]

logger = logging.getLogger(__name__)

DEFAULT_CITY = "marrakech"
"""The city selected when the page opens."""

KEEP_SECONDS = 3600
"""How long the files of one call stay on disk (seconds); the visitor downloads them within that time."""

QUEUE_SIZE = 24
"""Most requests waiting at once; more get a "queue full" message instead of an ever longer wait."""

CONCURRENCY = 2
"""Pieces made at once, all kinds together (music, image and 3D share the computer's cores)."""

_QUEUE = dict(concurrency_id="make", concurrency_limit=CONCURRENCY)

MUSIC_BARS = (1, 32, 8)
"""Smallest, largest and default number of bars on the booth: short pieces keep the queue moving."""

TEMPERATURE = (0.2, 2.0, 1.0)
"""Smallest, largest and default temperature of the learnt music engines on the booth."""

IMAGE_SIZES = (128, 1024, 512)
"""Smallest, largest and default picture side on the booth, in pixels."""

TEMPO_RANGE = (40, 240)

SHAP_E_MAX_SECONDS = 120.0
"""Shap-E is offered only where one object takes at most this long, in seconds
(see :func:`workshop_kit.mesh.shap_e.estimate_seconds`)."""

MAX_UPLOAD = "40mb"
"""Gradio refuses larger uploads at the door; the kit's own, lower bounds (20 MB) answer in the visitor's language."""

FILMSTRIP_FRAMES = 6
"""Pictures of the denoising shown side by side, from noise to motif."""

PREVIEW_PX = 320
"""Side of the 3D preview picture, in pixels."""

ROLL_PX = (700, 300)
SPECTROGRAM_PX = (700, 230)
"""Sizes (width, height) the music figures are drawn at: about the width of the page's output column on a
1366-pixel screen, so that their text is shown at its own size, not shrunk."""

PROMPTS = {
    "music": "Moroccan gnawa trance, guembri bass and qraqeb castanets",
    "image": "a Moroccan zellige mosaic, glazed star tiles in green and blue",
    "mesh": "a Moroccan ceramic tagine with a conical lid",
}
"""Descriptions the text fields of pretrained engines open with (their models read English best)."""

NO_BAND = "none"

# Which option each engine uses: a field shows only while one of its engines is chosen.
_MUSIC_FIELDS: dict[str, frozenset[str]] = {
    "prompt": frozenset({"musicgen"}),
    "scale": frozenset({"rules", "melody-model"}),
    "rhythm": frozenset({"rules", "melody-model"}),
    "tempo": frozenset({"rules", "melody-model"}),
    "bars": frozenset({"rules", "melody-model"}),
    "temperature": frozenset({"melody-model", "musicgen"}),
}
_IMAGE_FIELDS: dict[str, frozenset[str]] = {
    "prompt": frozenset({"sd-turbo"}),
    "motif": frozenset({"motifs", "motif-diffusion"}),
    "style": frozenset({"cppn"}),
    "palette": frozenset({"cppn", "motifs", "motif-diffusion"}),
}
_MESH_FIELDS: dict[str, frozenset[str]] = {
    "prompt": frozenset({"shap-e"}),
    "vessel": frozenset({"lathe", "shape-space"}),
    "vessel_b": frozenset({"shape-space"}),
    "mix": frozenset({"shape-space"}),
    "band": frozenset({"lathe"}),
    "motif": frozenset({"lantern", "relief"}),
    "tile_motif": frozenset({"tiles"}),
    "picture": frozenset({"relief"}),
    "palette": frozenset({"lathe", "lantern", "tiles", "shape-space"}),
    "size_mm": frozenset({"lathe", "lantern", "relief", "tiles", "shape-space"}),
}

MESH_SIZE_MM = (40, 250, 150)
"""Smallest, largest and default size of a booth object, in mm: the default fits a common 250 mm print bed."""

# Which dimension the booth's size slider sets, for each kind of object.
_SIZE_OPTION = {"lathe": "height_mm", "lantern": "height_mm", "relief": "width_mm", "tiles": "tile_mm",
                "shape-space": "height_mm"}

# Pretrained models an engine needs (the first one's licence is shown next to the engine).
_MODELS_OF = {"musicgen": ("musicgen-small",), "sd-turbo": ("sd-turbo", "sd-safety-checker"), "shap-e": ("shap-e",)}

# Sets the page direction (Arabic right to left) and language; runs in the browser before the Python callback.
_DIRECTION_JS = """(lang) => {
    document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
    document.documentElement.lang = lang;
    return lang;
}"""

_CSS = """
.wk-header h1 { font-size: 1.6rem; margin: 0 0 0.2rem 0; }
.wk-header p { margin: 0; }
.wk-cities .wrap label { font-size: 1.05rem; padding: 0.4rem 0.9rem; }
.wk-lang .wrap { justify-content: flex-end; }
html[dir="rtl"] .wk-lang .wrap { justify-content: flex-start; }
.wk-go button, button.wk-go { font-size: 1.2rem; min-height: 3rem; }
.wk-figure { gap: 0.25rem; }
.wk-caption p { margin: 0; font-size: 0.9rem; }
html[dir="rtl"] .wk-header, html[dir="rtl"] .prose { text-align: right; }
"""


# --------------------------------------------------------------------------------------------------------------------
# Files: one folder per call, old folders removed


class _CallFolders:
    """Hands out one new folder per call under ``root`` and removes the folders older than ``keep_seconds``."""

    def __init__(self, root: str | Path | None, keep_seconds: float):
        if root is None:
            root = tempfile.mkdtemp(prefix="workshop-kit-booth-")
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.keep_seconds = keep_seconds

    def new(self, kind: str) -> Path:
        self.prune()
        return Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=self.root))

    def prune(self) -> None:
        limit = time.time() - self.keep_seconds
        for folder in self.root.iterdir():
            try:
                if folder.is_dir() and folder.stat().st_mtime < limit:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:  # removed meanwhile by another call
                continue


# --------------------------------------------------------------------------------------------------------------------
# What this machine offers


@dataclass(frozen=True)
class _Offers:
    """The engines each tab offers on this machine, and the pretrained models the kit knows (found or not)."""

    music: tuple[str, ...]
    image: tuple[str, ...]
    mesh: tuple[str, ...]
    models: dict[str, dict] = field(default_factory=dict)  # rows of pretrained.status(), by model key
    seconds: dict[str, float] = field(default_factory=dict)  # expected seconds per piece of a slow engine

    def licence(self, engine: str, lang: str) -> str:
        """The licence of the pretrained model behind ``engine``, in words; empty for an embedded engine."""
        keys = _MODELS_OF.get(engine)
        row = self.models.get(keys[0]) if keys else None
        if row is None:
            return ""
        return row["licence"] if row["commercial_use"] else f"{t('licence.non_commercial', lang)} — {row['licence']}"


def _motif_diffusion_ready() -> bool:
    """Whether the motif diffusion model has been trained on this machine (its folder holds the kit's config)."""
    from ..image import motif_diffusion

    return (motif_diffusion.model_dir() / motif_diffusion.KIT_CONFIG).is_file()


def _find_offers() -> _Offers:
    """Look once, when the page is built, at which engines can run here (no model is loaded)."""
    from .. import image, mesh, music, pretrained

    models = {row["key"]: row for row in pretrained.status()}

    def found(engine: str) -> bool:
        return all(models.get(key, {}).get("found") for key in _MODELS_OF[engine])

    music_engines = ["rules", "melody-model"] + (["musicgen"] if found("musicgen") else [])
    image_engines = ["cppn", "motifs"]
    if "motif-diffusion" in image.ENGINES and _motif_diffusion_ready():
        image_engines.append("motif-diffusion")
    if found("sd-turbo"):  # the weights and the safety checker
        image_engines.append("sd-turbo")
    mesh_engines = ["lathe", "lantern", "relief", "tiles", "shape-space"]
    seconds: dict[str, float] = {}
    if found("shap-e"):
        from ..device import resolve_device
        from ..mesh import shap_e

        seconds["shap-e"] = shap_e.estimate_seconds(resolve_device("auto"))
        if seconds["shap-e"] <= SHAP_E_MAX_SECONDS:
            mesh_engines.append("shap-e")
    return _Offers(music=tuple(e for e in music_engines if e in music.ENGINES),
                   image=tuple(e for e in image_engines if e in image.ENGINES),
                   mesh=tuple(e for e in mesh_engines if e in mesh.ENGINES), models=models, seconds=seconds)


# --------------------------------------------------------------------------------------------------------------------
# Calling the kit


def _lang_or_default(lang: object) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def _seed(text: object) -> Any:
    """The seed field as the kit takes it: ``None`` when empty (a random seed), else the number typed.

    The kit itself checks the number (a whole number from 0; 0 is a seed like any other) and says what is wrong in
    the visitor's language; text that is no number goes to it as it is, to be refused with that message.
    """
    if text is None:
        return None
    if not isinstance(text, str):
        return text
    text = text.strip()
    if not text:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _call(lang: str, work: Callable[[], Any]) -> Any:
    """Run ``work`` and turn a failure into a ``gr.Error`` in ``lang``, so the page stays up."""
    lang = _lang_or_default(lang)
    try:
        return work()
    except WorkshopKitError as err:
        raise gr.Error(err.message(lang), title=t("error.title", lang), print_exception=False) from err
    except Exception as err:
        logger.exception("booth: a call failed")
        raise gr.Error(t("error.unexpected", lang), title=t("error.title", lang), print_exception=False) from err


def _kit_error(key: str) -> WorkshopKitError:
    """An error of the booth itself, worded in the three languages by :data:`workshop_kit.i18n.STRINGS`."""
    return WorkshopKitError(t(key, "en"), t(key, "fr"), t(key, "ar"))


def _verdict(report: Any, lang: str) -> str:
    """The printability verdict in ``lang``; in Arabic, the verdict's head, then its details in French."""
    if lang in ("fr", "en"):
        return report.verdict(lang)
    head = t("mesh.ready" if report.ready else "mesh.to_fix", lang)
    return f"{head} — {report.verdict('fr')}" if report.issues or report.notes else head


def _picture_notes(result: Any, lang: str) -> str:
    """What the visitor should know about a picture: a withheld picture said in ``lang``, other notes as they are."""
    notes = list(result.notes)
    withheld = [note for note in notes if "withheld" in note]
    others = [note for note in notes if note not in withheld]
    return "\n".join(([t("image.withheld", lang)] if withheld else []) + others)


# --------------------------------------------------------------------------------------------------------------------
# Building the page: one function per tab; each says how to relabel its components and how a city fills them


@dataclass
class _Wiring:
    """What a part of the page gives to the whole: relabelling for the language switch, filling for a city tap."""

    relabel: list[tuple[gr.components.Component | gr.blocks.BlockContext, Callable[[str], dict]]] = field(
        default_factory=list)
    from_city: list[tuple[gr.components.Component, Callable[[CityPreset], Any]]] = field(default_factory=list)

    def extend(self, other: _Wiring) -> None:
        self.relabel.extend(other.relabel)
        self.from_city.extend(other.from_city)


@dataclass(frozen=True)
class _Page:
    """What every tab is built with."""

    lang: str
    city: CityPreset
    lang_box: gr.Radio
    folders: _CallFolders
    offers: _Offers


def _choices(kind: str, options: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    return [(option_label(kind, name, item, lang), name) for name, item in options.items()]


def _palette_choices(lang: str) -> list[tuple[str, str]]:
    return [(label_of(p, lang, default=name), name) for name, p in PALETTES.items()]


def _city_choices(lang: str) -> list[tuple[str, str]]:
    """Cities in ``lang``, with their Tamazight name in Tifinagh where the preset has one."""
    out = []
    for name, city in CITIES.items():
        text = label_of(city, lang, default=name)
        tzm = city.label.get("tzm")
        out.append((f"{text} · {tzm}" if tzm else text, name))
    return out


def _engine_choices(offers: _Offers, engines: Iterable[str], lang: str) -> list[tuple[str, str]]:
    """Engines by name in ``lang``; a pretrained one with its licence, a slow one with its expected time."""
    out = []
    for name in engines:
        text = t(f"engine.{name}", lang)
        if name in offers.seconds:
            text += f" · {t('mesh.estimate', lang).format(n=round(offers.seconds[name]))}"
        licence = offers.licence(name, lang)
        out.append((f"{text} · {licence}" if licence else text, name))
    return out


def _visible(table: dict[str, frozenset[str]], engine: str) -> list[dict]:
    """Show the fields ``engine`` uses and hide the others, in the order of ``table``."""
    return [gr.update(visible=engine in engines) for engines in table.values()]


def _seed_fields(lang: str, wiring: _Wiring) -> tuple[gr.Textbox, gr.Textbox]:
    """The seed to ask for (empty: random) and the seed used, as text: an empty number field would show 0."""
    with gr.Row():
        seed = gr.Textbox(value="", label=t("seed.label", lang), info=t("seed.info", lang),
                          placeholder=t("seed.placeholder", lang), max_length=12, rtl=is_rtl(lang), min_width=160)
        used = gr.Textbox(value="", label=t("seed.used", lang), interactive=False, buttons=["copy"], rtl=is_rtl(lang),
                          min_width=160)
    wiring.relabel += [
        (seed, lambda lg: gr.update(label=t("seed.label", lg), info=t("seed.info", lg),
                                    placeholder=t("seed.placeholder", lg), rtl=is_rtl(lg))),
        (used, lambda lg: gr.update(label=t("seed.used", lg), rtl=is_rtl(lg))),
    ]
    return seed, used


def _prompt_field(lang: str, text: str, shown: bool, wiring: _Wiring) -> gr.Textbox:
    prompt = gr.Textbox(value=text, label=t("prompt.label", lang), lines=2, max_lines=4, max_length=500,
                        visible=shown)
    wiring.relabel.append((prompt, lambda lg: gr.update(label=t("prompt.label", lg))))
    return prompt


def _figure(label_key: str, lang: str, height: int, wiring: _Wiring, *, visible: bool = True) -> tuple[gr.Column,
                                                                                                     gr.Image]:
    """A figure the kit drew, under its caption: PNG, so that small text stays sharp, and no label or button over it.

    Returns the column holding both (to show or hide them together) and the picture.
    """
    with gr.Column(visible=visible, elem_classes="wk-figure") as box:
        caption = gr.Markdown(t(label_key, lang), rtl=is_rtl(lang), elem_classes="wk-caption")
        picture = gr.Image(show_label=False, type="numpy", format="png", interactive=False, height=height,
                           buttons=[], container=False)
    wiring.relabel.append((caption, lambda lg: gr.update(value=t(label_key, lg), rtl=is_rtl(lg))))
    return box, picture


def _made_state() -> gr.State:
    """Hands the piece just made to the event that draws its pictures; forgotten soon after."""
    return gr.State(None, time_to_live=600)


def _music_tab(page: _Page) -> _Wiring:
    from .. import music
    from ..music import analysis
    from ..music.theory import RHYTHMS, SCALES

    lang, city, offered, folders = page.lang, page.city, page.offers.music, page.folders
    wiring = _Wiring()
    low, high, bars_default = MUSIC_BARS
    t_low, t_high, t_default = TEMPERATURE
    first = offered[0]
    with gr.Tab(t("tab.music", lang)) as tab:
        with gr.Row():
            with gr.Column(scale=2):
                engine = gr.Radio(_engine_choices(page.offers, offered, lang), value=first,
                                  label=t("engine.label", lang))
                prompt = _prompt_field(lang, PROMPTS["music"], first in _MUSIC_FIELDS["prompt"], wiring)
                scale = gr.Dropdown(_choices("scale", SCALES, lang), value=city.scale, label=t("music.scale", lang))
                rhythm = gr.Radio(_choices("rhythm", RHYTHMS, lang), value=city.rhythm, label=t("music.rhythm", lang))
                with gr.Row():
                    tempo = gr.Slider(*TEMPO_RANGE, value=city.tempo, step=1, label=t("music.tempo", lang),
                                      min_width=160)
                    bars = gr.Slider(low, high, value=bars_default, step=1, label=t("music.bars", lang), min_width=160)
                temperature = gr.Slider(t_low, t_high, value=t_default, step=0.1, label=t("music.temperature", lang),
                                        info=t("music.temperature.info", lang),
                                        visible=first in _MUSIC_FIELDS["temperature"])
                seed, used = _seed_fields(lang, wiring)
                go = gr.Button(t("music.button", lang), variant="primary", elem_classes="wk-go")
            with gr.Column(scale=3):
                audio = gr.Audio(label=t("music.audio", lang), type="filepath", interactive=False, autoplay=True,
                                 buttons=["download"])
                summary = gr.Textbox(label=t("music.summary", lang), interactive=False, rtl=is_rtl(lang))
                roll_box, roll = _figure("music.roll", lang, ROLL_PX[1], wiring)
                _, spectrogram = _figure("music.spectrogram", lang, SPECTROGRAM_PX[1], wiring)
                files = gr.File(label=t("music.files", lang), file_count="multiple", interactive=False)
        with gr.Accordion(t("analyse.title", lang), open=False) as upload_box:
            with gr.Row():
                sound = gr.Audio(label=t("analyse.input", lang), sources=["upload", "microphone"], type="filepath",
                                 buttons=[])
                with gr.Column():
                    heard = gr.Textbox(label=t("music.summary", lang), interactive=False, rtl=is_rtl(lang))
                    _, heard_picture = _figure("music.spectrogram", lang, SPECTROGRAM_PX[1], wiring)
        made = _made_state()

    def make_music(engine, scale, rhythm, tempo, bars, temperature, prompt, seed, lang=DEFAULT_LANG):
        def work():
            check_choice("engine", engine, offered)
            if engine == "musicgen":
                options, stem = dict(prompt=prompt, temperature=temperature), "musicgen"
            else:
                options, stem = dict(scale=scale, rhythm=rhythm, tempo=tempo, bars=bars), f"{scale}-{rhythm}"
                if engine == "melody-model":
                    options["temperature"], stem = temperature, f"melody-{stem}"
            result = music.generate(engine=engine, seed=_seed(seed), **options)
            folder = folders.new("music")
            stem = f"{stem}-seed{result.seed}"
            paths = [result.save(folder / f"{stem}.wav")]
            if result.score is not None:  # an engine that composes notes also gives the MIDI file
                paths.append(result.save(folder / f"{stem}.mid"))
            return str(paths[0]), [str(p) for p in paths], str(result.seed), result

        return _call(lang, work)

    def draw_music(result, lang=DEFAULT_LANG):
        def work():
            roll_picture = None
            if result.score is not None:
                roll_picture = analysis.piano_roll_image(result, width=ROLL_PX[0], height=ROLL_PX[1], lang=lang).image
            measured = analysis.analyse(result, max_seconds=600)
            picture = analysis.spectrogram_image(result, analysis=measured, width=SPECTROGRAM_PX[0],
                                                 height=SPECTROGRAM_PX[1], lang=lang, max_seconds=600).image
            return gr.update(visible=roll_picture is not None), roll_picture, picture, measured.summary(lang)

        return _call(lang, work)

    def analyse_sound(sound, lang=DEFAULT_LANG):
        def work():
            if not sound:
                raise _kit_error("analyse.empty")
            measured = analysis.analyse(sound)  # bounded: at most 20 MB and 60 s, checked before decoding
            picture = analysis.spectrogram_image(sound, analysis=measured, width=SPECTROGRAM_PX[0],
                                                 height=SPECTROGRAM_PX[1], lang=lang).image
            return measured.summary(lang), picture

        return _call(lang, work)

    fields = dict(prompt=prompt, scale=scale, rhythm=rhythm, tempo=tempo, bars=bars, temperature=temperature)
    engine.change(lambda e: _visible(_MUSIC_FIELDS, e), engine, [fields[name] for name in _MUSIC_FIELDS],
                  queue=False, show_progress="hidden", api_visibility="private")
    go.click(make_music, [engine, scale, rhythm, tempo, bars, temperature, prompt, seed, page.lang_box],
             [audio, files, used, made], api_name="music", **_QUEUE).success(
        draw_music, [made, page.lang_box], [roll_box, roll, spectrogram, summary], api_visibility="private",
        **_QUEUE)
    gr.on([sound.upload, sound.stop_recording], analyse_sound, [sound, page.lang_box], [heard, heard_picture],
          api_name="analyse", **_QUEUE)

    wiring.relabel += [
        (tab, lambda lg: gr.update(label=t("tab.music", lg))),
        (engine, lambda lg: gr.update(label=t("engine.label", lg), choices=_engine_choices(page.offers, offered, lg))),
        (scale, lambda lg: gr.update(label=t("music.scale", lg), choices=_choices("scale", SCALES, lg))),
        (rhythm, lambda lg: gr.update(label=t("music.rhythm", lg), choices=_choices("rhythm", RHYTHMS, lg))),
        (tempo, lambda lg: gr.update(label=t("music.tempo", lg))),
        (bars, lambda lg: gr.update(label=t("music.bars", lg))),
        (temperature, lambda lg: gr.update(label=t("music.temperature", lg), info=t("music.temperature.info", lg))),
        (go, lambda lg: gr.update(value=t("music.button", lg))),
        (audio, lambda lg: gr.update(label=t("music.audio", lg))),
        (summary, lambda lg: gr.update(label=t("music.summary", lg), rtl=is_rtl(lg))),
        (files, lambda lg: gr.update(label=t("music.files", lg))),
        (upload_box, lambda lg: gr.update(label=t("analyse.title", lg))),
        (sound, lambda lg: gr.update(label=t("analyse.input", lg))),
        (heard, lambda lg: gr.update(label=t("music.summary", lg), rtl=is_rtl(lg))),
    ]
    wiring.from_city += [(scale, lambda c: c.scale), (rhythm, lambda c: c.rhythm), (tempo, lambda c: c.tempo)]
    return wiring


def _image_tab(page: _Page) -> _Wiring:
    from .. import image
    from ..image.cppn import STYLES
    from ..image.motifs import FAMILIES

    lang, city, offered, folders = page.lang, page.city, page.offers.image, page.folders
    wiring = _Wiring()
    low, high, size_default = IMAGE_SIZES
    smallest = {name: low for name in offered}
    if "motif-diffusion" in offered:
        from ..image import motif_diffusion

        smallest["motif-diffusion"] = max(low, motif_diffusion.MIN_SIZE)
    first = offered[0]
    with gr.Tab(t("tab.image", lang)) as tab:
        with gr.Row():
            with gr.Column(scale=2):
                engine = gr.Radio(_engine_choices(page.offers, offered, lang), value=first,
                                  label=t("engine.label", lang))
                prompt = _prompt_field(lang, PROMPTS["image"], first in _IMAGE_FIELDS["prompt"], wiring)
                motif = gr.Dropdown(_choices("motif", FAMILIES, lang), value="zellige8", label=t("image.motif", lang),
                                    visible=first in _IMAGE_FIELDS["motif"])
                style = gr.Radio(_choices("style", STYLES, lang), value=city.image_style, label=t("image.style", lang),
                                 visible=first in _IMAGE_FIELDS["style"])
                palette = gr.Dropdown(_palette_choices(lang), value=city.palette, label=t("palette.label", lang),
                                      visible=first in _IMAGE_FIELDS["palette"])
                size = gr.Slider(low, high, value=size_default, step=64, label=t("image.size", lang))
                seed, used = _seed_fields(lang, wiring)
                go = gr.Button(t("image.button", lang), variant="primary", elem_classes="wk-go")
            with gr.Column(scale=3):
                picture = gr.Image(label=t("image.output", lang), type="filepath", format="png", interactive=False,
                                   height=400, buttons=["download", "fullscreen"])
                notes = gr.Textbox(label=t("image.notes", lang), interactive=False, visible=False, rtl=is_rtl(lang))
                strip_box, strip = _figure("image.filmstrip", lang, 150, wiring, visible=False)
                files = gr.File(label=t("image.files", lang), file_count="multiple", interactive=False)
        made = _made_state()

    def make_image(engine, motif, palette, style, size, prompt, seed, lang=DEFAULT_LANG):
        def work():
            check_choice("engine", engine, offered)
            options, stem = {
                "cppn": (dict(palette=palette, style=style, size=size), f"{palette}-{style}"),
                "motifs": (dict(motif=motif, palette=palette, size=size), f"{motif}-{palette}"),
                "motif-diffusion": (dict(motif=motif, palette=palette, size=size, return_steps=True),
                                    f"diffusion-{motif}-{palette}"),
                "sd-turbo": (dict(prompt=prompt, size=size, safety_checker=True), "sd-turbo"),  # always checked here
            }[engine]
            made = image.generate(engine=engine, seed=_seed(seed), **options)
            result, steps = made if isinstance(made, tuple) else (made, None)
            folder = folders.new("image")
            png = result.save(folder / f"{stem}-seed{result.seed}.png")
            return str(png), [str(png)], str(result.seed), (result, steps)

        return _call(lang, work)

    def draw_image(made, lang=DEFAULT_LANG):
        def work():
            result, steps = made
            film = None
            if steps:
                from ..image.motif_diffusion import filmstrip

                film = filmstrip(steps, count=min(FILMSTRIP_FRAMES, len(steps)))
            words = _picture_notes(result, lang)
            return gr.update(value=words, visible=bool(words)), gr.update(visible=film is not None), film

        return _call(lang, work)

    def show_fields(engine, size):
        least = smallest.get(engine, low)
        return [*_visible(_IMAGE_FIELDS, engine), gr.update(minimum=least, value=max(least, size or least))]

    fields = dict(prompt=prompt, motif=motif, style=style, palette=palette)
    engine.change(show_fields, [engine, size], [*(fields[name] for name in _IMAGE_FIELDS), size], queue=False,
                  show_progress="hidden", api_visibility="private")
    go.click(make_image, [engine, motif, palette, style, size, prompt, seed, page.lang_box],
             [picture, files, used, made], api_name="image", **_QUEUE).success(
        draw_image, [made, page.lang_box], [notes, strip_box, strip], api_visibility="private", **_QUEUE)

    wiring.relabel += [
        (tab, lambda lg: gr.update(label=t("tab.image", lg))),
        (engine, lambda lg: gr.update(label=t("engine.label", lg), choices=_engine_choices(page.offers, offered, lg))),
        (motif, lambda lg: gr.update(label=t("image.motif", lg), choices=_choices("motif", FAMILIES, lg))),
        (palette, lambda lg: gr.update(label=t("palette.label", lg), choices=_palette_choices(lg))),
        (style, lambda lg: gr.update(label=t("image.style", lg), choices=_choices("style", STYLES, lg))),
        (size, lambda lg: gr.update(label=t("image.size", lg))),
        (go, lambda lg: gr.update(value=t("image.button", lg))),
        (picture, lambda lg: gr.update(label=t("image.output", lg))),
        (notes, lambda lg: gr.update(label=t("image.notes", lg), rtl=is_rtl(lg))),
        (files, lambda lg: gr.update(label=t("image.files", lg))),
    ]
    wiring.from_city += [(palette, lambda c: c.palette), (style, lambda c: c.image_style)]
    return wiring


def _mesh_tab(page: _Page) -> _Wiring:
    from .. import mesh
    from ..image.motifs import FAMILIES
    from ..mesh.lathe import PRESETS
    from ..mesh.tiles import MOTIFS as TILE_MOTIFS

    lang, city, offered, folders = page.lang, page.city, page.offers.mesh, page.folders
    wiring = _Wiring()
    tile_families = {name: FAMILIES[name] for name in TILE_MOTIFS}
    second = next(name for name in PRESETS if name != city.vessel)

    def bands(lg: str) -> list[tuple[str, str]]:
        return [(t("mesh.band.none", lg), NO_BAND), *_choices("motif", FAMILIES, lg)]

    def shown(name: str) -> bool:
        return offered[0] in _MESH_FIELDS[name]

    with gr.Tab(t("tab.mesh", lang)) as tab:
        with gr.Row():
            with gr.Column(scale=2):
                kind = gr.Radio(_engine_choices(page.offers, offered, lang), value=offered[0],
                                label=t("mesh.kind", lang))
                prompt = _prompt_field(lang, PROMPTS["mesh"], shown("prompt"), wiring)
                vessel = gr.Radio(_choices("vessel", PRESETS, lang), value=city.vessel, label=t("mesh.vessel", lang),
                                  visible=shown("vessel"))
                vessel_b = gr.Radio(_choices("vessel", PRESETS, lang), value=second, label=t("mesh.second", lang),
                                    visible=shown("vessel_b"))
                mix = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label=t("mesh.mix", lang), visible=shown("mix"))
                size_mm = gr.Slider(*MESH_SIZE_MM[:2], value=MESH_SIZE_MM[2], step=5, label=t("mesh.size", lang),
                                    visible=shown("size_mm"))
                band = gr.Dropdown(bands(lang), value=NO_BAND, label=t("mesh.band", lang), visible=shown("band"))
                motif = gr.Dropdown(_choices("motif", FAMILIES, lang), value="zellige8", label=t("mesh.motif", lang),
                                    visible=shown("motif"))
                tile_motif = gr.Dropdown(_choices("motif", tile_families, lang), value=TILE_MOTIFS[0],
                                         label=t("mesh.motif", lang), visible=shown("tile_motif"))
                upload = gr.File(label=t("mesh.picture", lang), file_types=[".png", ".jpg", ".jpeg", ".webp"],
                                 type="filepath", height=90, visible=shown("picture"))
                palette = gr.Dropdown(_palette_choices(lang), value=city.palette, label=t("mesh.glaze", lang),
                                      visible=shown("palette"))
                seed, used = _seed_fields(lang, wiring)
                go = gr.Button(t("mesh.button", lang), variant="primary", elem_classes="wk-go")
            with gr.Column(scale=3):
                view = gr.Model3D(label=t("mesh.output", lang), clear_color=(0.96, 0.94, 0.90, 1.0), height=380,
                                  interactive=False)
                with gr.Row():
                    preview = gr.Image(label=t("mesh.preview", lang), type="numpy", format="png",
                                       interactive=False, height=220, buttons=["fullscreen"], scale=1)
                    verdict = gr.Textbox(label=t("mesh.verdict", lang), interactive=False, lines=4, scale=2,
                                         rtl=is_rtl(lang))
                files = gr.File(label=t("mesh.files", lang), file_count="multiple", interactive=False)
        made = _made_state()

    def make_mesh(kind, vessel, band, motif, tile_motif, vessel_b, mix, palette, prompt, seed, picture=None,
                  lang=DEFAULT_LANG, size_mm=MESH_SIZE_MM[2]):
        def work():
            check_choice("kind", kind, offered)
            options, stem = {
                "lathe": (dict(preset=vessel, palette=palette, band_motif=None if band in (None, NO_BAND) else band),
                          vessel if band in (None, NO_BAND) else f"{vessel}-{band}"),
                "lantern": (dict(motif=motif, palette=palette), f"lantern-{motif}"),
                "relief": ((dict(image=picture), "relief-picture") if picture else
                           (dict(motif=motif), f"relief-{motif}")),  # an upload is bounded by imageio_safe
                "tiles": (dict(motif=tile_motif, palette=palette), f"tiles-{tile_motif}"),
                "shape-space": (dict(a=vessel, b=vessel_b, mix=mix, palette=palette), f"{vessel}-{vessel_b}"),
                "shap-e": (dict(prompt=prompt), "shap-e"),
            }[kind]
            if kind in _SIZE_OPTION:
                options[_SIZE_OPTION[kind]] = check_float("size_mm", size_mm, *MESH_SIZE_MM[:2])
            result = mesh.generate(engine=kind, seed=_seed(seed), **options)
            folder = folders.new("mesh")
            stem = f"{stem}-seed{result.seed}"
            glb = result.save(folder / f"{stem}.glb")
            stl = result.save(folder / f"{stem}.stl")
            return str(glb), [str(glb), str(stl)], str(result.seed), result

        return _call(lang, work)

    def draw_mesh(result, lang=DEFAULT_LANG):
        def work():
            return result.preview(size=PREVIEW_PX).image, _verdict(result.printability, lang)

        return _call(lang, work)

    fields = dict(prompt=prompt, vessel=vessel, vessel_b=vessel_b, mix=mix, band=band, motif=motif,
                  tile_motif=tile_motif, picture=upload, palette=palette, size_mm=size_mm)
    kind.change(lambda k: _visible(_MESH_FIELDS, k), kind, [fields[name] for name in _MESH_FIELDS], queue=False,
                show_progress="hidden", api_visibility="private")
    go.click(make_mesh, [kind, vessel, band, motif, tile_motif, vessel_b, mix, palette, prompt, seed, upload,
                         page.lang_box, size_mm], [view, files, used, made], api_name="mesh", **_QUEUE).success(
        draw_mesh, [made, page.lang_box], [preview, verdict], api_visibility="private", **_QUEUE)

    wiring.relabel += [
        (tab, lambda lg: gr.update(label=t("tab.mesh", lg))),
        (kind, lambda lg: gr.update(label=t("mesh.kind", lg), choices=_engine_choices(page.offers, offered, lg))),
        (vessel, lambda lg: gr.update(label=t("mesh.vessel", lg), choices=_choices("vessel", PRESETS, lg))),
        (vessel_b, lambda lg: gr.update(label=t("mesh.second", lg), choices=_choices("vessel", PRESETS, lg))),
        (mix, lambda lg: gr.update(label=t("mesh.mix", lg))),
        (size_mm, lambda lg: gr.update(label=t("mesh.size", lg))),
        (band, lambda lg: gr.update(label=t("mesh.band", lg), choices=bands(lg))),
        (motif, lambda lg: gr.update(label=t("mesh.motif", lg), choices=_choices("motif", FAMILIES, lg))),
        (tile_motif, lambda lg: gr.update(label=t("mesh.motif", lg), choices=_choices("motif", tile_families, lg))),
        (upload, lambda lg: gr.update(label=t("mesh.picture", lg))),
        (palette, lambda lg: gr.update(label=t("mesh.glaze", lg), choices=_palette_choices(lg))),
        (go, lambda lg: gr.update(value=t("mesh.button", lg))),
        (view, lambda lg: gr.update(label=t("mesh.output", lg))),
        (preview, lambda lg: gr.update(label=t("mesh.preview", lg))),
        (verdict, lambda lg: gr.update(label=t("mesh.verdict", lg), rtl=is_rtl(lg))),
        (files, lambda lg: gr.update(label=t("mesh.files", lg))),
    ]
    wiring.from_city += [(vessel, lambda c: c.vessel), (palette, lambda c: c.palette)]
    return wiring


def _about(offers: _Offers, lang: str) -> str:
    """The engines of this booth with their tiers, and every pretrained model the kit knows with its licence."""
    from .. import image, mesh, music

    colon = " : " if lang == "fr" else ": "
    lines = [f"**{t('about.engines', lang)}**", ""]
    for tab_key, registry, names in (("tab.music", music.ENGINES, offers.music),
                                     ("tab.image", image.ENGINES, offers.image),
                                     ("tab.mesh", mesh.ENGINES, offers.mesh)):
        items = [f"{t(f'engine.{name}', lang)} ({t(f'tier.{registry[name].tier}', lang)})" for name in names]
        lines.append(f"- {t(tab_key, lang)}{colon}{' · '.join(items)}")
    yes, no = t("about.yes", lang), t("about.no", lang)
    lines += ["", t("about.tiers", lang), "", f"**{t('about.models', lang)}**", "",
              f"| {t('about.model', lang)} | {t('about.licence', lang)} | {t('about.commercial', lang)} "
              f"| {t('about.here', lang)} |",
              "|---|---|---|---|"]
    for row in offers.models.values():
        lines.append(f"| {row['repo_id']} | {row['licence']} | {yes if row['commercial_use'] else no} "
                     f"| {yes if row['found'] else no} |")
    lines += ["", t("about.offline", lang)]
    return "\n".join(lines)


def _header(lang: str) -> str:
    return f"# {t('app.title', lang)}\n{t('app.intro', lang)}"


def build_booth(lang: str = DEFAULT_LANG, output_dir: str | Path | None = None, *,
                keep_seconds: float = KEEP_SECONDS) -> gr.Blocks:
    """Build the booth page: a city selector, a language switch, three studios (music, image, 3D) and an about box.

    Parameters
    ----------
    lang : {"fr", "en", "ar"}, default "fr"
        The language the page opens in; visitors switch it on the page.
    output_dir : str or path-like, optional
        Where the files of each call are written, one folder per call. By default a new temporary folder.
    keep_seconds : float, default 3600
        Folders of calls older than this are removed at the next call; Gradio's own copies are removed on the same
        schedule.

    Returns
    -------
    gradio.Blocks
        The page, with its queue set (bounded size). Events ``/music``, ``/image`` and ``/mesh`` return the piece,
        its files and its seed; ``/analyse`` returns a summary and a spectrogram of an uploaded sound. All can be
        called with ``gradio_client``. Launch it with ``demo.launch(**launch_options())`` or use
        :func:`launch_booth`.

    Raises
    ------
    workshop_kit.errors.ParameterError
        If ``lang`` is not one of ``"fr"``, ``"en"``, ``"ar"``.

    Notes
    -----
    The engines offered are looked up once, here: :func:`workshop_kit.pretrained.status` says which pretrained
    models are on this machine. Copy an offline pack and build the page again to offer more.
    """
    lang = check_lang(lang)
    folders = _CallFolders(output_dir, keep_seconds)
    city = CITIES[DEFAULT_CITY]
    sweep = max(60, int(keep_seconds) // 4)
    offers = _find_offers()

    with gr.Blocks(title=t("app.title", lang), analytics_enabled=False,
                   delete_cache=(sweep, int(keep_seconds))) as demo:
        with gr.Row(equal_height=True):
            header = gr.Markdown(_header(lang), rtl=is_rtl(lang), elem_classes="wk-header", scale=3)
            lang_box = gr.Radio([(LANG_NAMES[code], code) for code in LANGS], value=lang, label=t("lang.label", lang),
                                scale=1, min_width=330, container=False, elem_classes="wk-lang")
        cities = gr.Radio(_city_choices(lang), value=city.name, label=t("city.label", lang), elem_classes="wk-cities")
        wiring = _Wiring(relabel=[
            (header, lambda lg: gr.update(value=_header(lg), rtl=is_rtl(lg))),
            (cities, lambda lg: gr.update(label=t("city.label", lg), choices=_city_choices(lg))),
            (lang_box, lambda lg: gr.update(label=t("lang.label", lg))),
        ])
        page = _Page(lang=lang, city=city, lang_box=lang_box, folders=folders, offers=offers)
        with gr.Tabs():
            for tab in (_music_tab, _image_tab, _mesh_tab):
                wiring.extend(tab(page))
        with gr.Accordion(t("about.title", lang), open=False) as about_box:
            about = gr.Markdown(_about(offers, lang), rtl=is_rtl(lang))
        wiring.relabel += [
            (about_box, lambda lg: gr.update(label=t("about.title", lg))),
            (about, lambda lg: gr.update(value=_about(offers, lg), rtl=is_rtl(lg))),
        ]

        def fill_from_city(name):
            chosen = CITIES.get(name, city)
            return [fill(chosen) for _, fill in wiring.from_city]

        def relabel(new_lang):
            new_lang = _lang_or_default(new_lang)
            return [update(new_lang) for _, update in wiring.relabel]

        cities.change(fill_from_city, cities, [c for c, _ in wiring.from_city], api_visibility="private",
                      show_progress="hidden", queue=False)
        lang_box.change(relabel, lang_box, [c for c, _ in wiring.relabel], js=_DIRECTION_JS,
                        api_visibility="private", show_progress="hidden", queue=False)
        demo.load(None, lang_box, None, js=_DIRECTION_JS, api_visibility="private")

    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return demo


def launch_options(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments of ``demo.launch()`` for a booth: local address, no share link, kiosk look, bounded uploads.

    Parameters
    ----------
    **overrides
        Replace or add options of ``gradio.Blocks.launch``.

    Returns
    -------
    dict
        Options for ``demo.launch(**launch_options())``.
    """
    options: dict[str, Any] = dict(
        server_name="127.0.0.1",
        share=False,
        css=_CSS,
        footer_links=[],
        show_error=True,
        pwa=False,
        ssr_mode=False,
        mcp_server=False,
        max_file_size=MAX_UPLOAD,
    )
    options.update(overrides)
    return options


def launch_booth(host: str = "127.0.0.1", port: int = 7860, lang: str = DEFAULT_LANG, *,
                 output_dir: str | Path | None = None, **kw: Any) -> gr.Blocks:
    """Build the booth and serve it.

    Parameters
    ----------
    host : str, default "127.0.0.1"
        Address to listen on. The default is this computer only; ``"0.0.0.0"`` opens it to the booth network.
    port : int, default 7860
        Port to listen on.
    lang : {"fr", "en", "ar"}, default "fr"
        Language the page opens in.
    output_dir : str or path-like, optional
        Where files are written (see :func:`build_booth`); it is added to the paths Gradio may serve.
    **kw
        More options of ``gradio.Blocks.launch``, e.g. ``prevent_thread_lock=True``; ``share`` is always off.

    Returns
    -------
    gradio.Blocks
        The running page (once it stops, when ``prevent_thread_lock`` is false). ``demo.close()`` stops it.
    """
    demo = build_booth(lang=lang, output_dir=output_dir)
    if output_dir is not None:
        kw["allowed_paths"] = [*kw.get("allowed_paths", ()), str(Path(output_dir).expanduser().resolve())]
    kw.pop("share", None)
    demo.launch(**launch_options(server_name=host, server_port=port, **kw))
    return demo
