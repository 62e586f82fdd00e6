"""The booth: a Gradio page where a visitor taps a city and takes home a piece of music, a picture and a 3D object.

The page only gathers options and shows results: every piece is made by :mod:`workshop_kit.music`,
:mod:`workshop_kit.image` and :mod:`workshop_kit.mesh`, and written with ``result.save()``. Errors of the kit become
``gr.Error`` pop-ups in the visitor's language, so the booth stays up. Files go to one fresh folder per call, and
folders older than ``keep_seconds`` are removed, so that a booth open all day does not fill the disk.

Nothing heavy happens at import: engines are imported when the page is built, and models run on the first click.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import WorkshopKitError
from ..i18n import DEFAULT_LANG, LANG_NAMES, LANGS, check_lang, is_rtl, label_of, option_label, t
from ..palettes import PALETTES
from ..presets import CITIES, CityPreset

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

IMAGE_SIZES = (128, 1024, 512)
"""Smallest, largest and default picture side on the booth, in pixels."""

TEMPO_RANGE = (40, 240)

# Sets the page direction (Arabic right to left) and language; runs in the browser before the Python callback.
_DIRECTION_JS = """(lang) => {
    document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
    document.documentElement.lang = lang;
    return lang;
}"""

_CSS = """
.wk-cities .wrap label { font-size: 1.1rem; padding: 0.6rem 1rem; }
.wk-go button, button.wk-go { font-size: 1.2rem; min-height: 3rem; }
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


def _seed_fields(lang: str, wiring: _Wiring) -> tuple[gr.Textbox, gr.Textbox]:
    """The seed to ask for (empty: random) and the seed used, as text: an empty number field would show 0."""
    seed = gr.Textbox(value="", label=t("seed.label", lang), info=t("seed.info", lang),
                      placeholder=t("seed.placeholder", lang), max_length=12, rtl=is_rtl(lang))
    used = gr.Textbox(value="", label=t("seed.used", lang), interactive=False, buttons=["copy"], rtl=is_rtl(lang))
    wiring.relabel += [
        (seed, lambda lg: gr.update(label=t("seed.label", lg), info=t("seed.info", lg),
                                    placeholder=t("seed.placeholder", lg), rtl=is_rtl(lg))),
        (used, lambda lg: gr.update(label=t("seed.used", lg), rtl=is_rtl(lg))),
    ]
    return seed, used


def _music_tab(lang: str, city: CityPreset, lang_box: gr.Radio, folders: _CallFolders) -> _Wiring:
    from .. import music
    from ..music.theory import RHYTHMS, SCALES

    wiring = _Wiring()
    low, high, bars_default = MUSIC_BARS
    with gr.Tab(t("tab.music", lang)) as tab:
        with gr.Row():
            with gr.Column(scale=1):
                scale = gr.Dropdown(_choices("scale", SCALES, lang), value=city.scale, label=t("music.scale", lang))
                rhythm = gr.Radio(_choices("rhythm", RHYTHMS, lang), value=city.rhythm, label=t("music.rhythm", lang))
                tempo = gr.Slider(*TEMPO_RANGE, value=city.tempo, step=1, label=t("music.tempo", lang))
                bars = gr.Slider(low, high, value=bars_default, step=1, label=t("music.bars", lang))
                seed, used = _seed_fields(lang, wiring)
                go = gr.Button(t("music.button", lang), variant="primary", elem_classes="wk-go")
            with gr.Column(scale=1):
                audio = gr.Audio(label=t("music.audio", lang), type="filepath", interactive=False, autoplay=True,
                                 buttons=["download"])
                files = gr.File(label=t("music.files", lang), file_count="multiple", interactive=False)

    def make_music(scale, rhythm, tempo, bars, seed, lang=DEFAULT_LANG):
        def work():
            result = music.generate(scale=scale, rhythm=rhythm, tempo=tempo, bars=bars, seed=_seed(seed))
            folder = folders.new("music")
            stem = f"{scale}-{rhythm}-seed{result.seed}"
            wav = result.save(folder / f"{stem}.wav")
            mid = result.save(folder / f"{stem}.mid")
            return str(wav), [str(wav), str(mid)], str(result.seed)

        return _call(lang, work)

    go.click(make_music, [scale, rhythm, tempo, bars, seed, lang_box], [audio, files, used], api_name="music",
             **_QUEUE)

    wiring.relabel += [
        (tab, lambda lg: gr.update(label=t("tab.music", lg))),
        (scale, lambda lg: gr.update(label=t("music.scale", lg), choices=_choices("scale", SCALES, lg))),
        (rhythm, lambda lg: gr.update(label=t("music.rhythm", lg), choices=_choices("rhythm", RHYTHMS, lg))),
        (tempo, lambda lg: gr.update(label=t("music.tempo", lg))),
        (bars, lambda lg: gr.update(label=t("music.bars", lg))),
        (go, lambda lg: gr.update(value=t("music.button", lg))),
        (audio, lambda lg: gr.update(label=t("music.audio", lg))),
        (files, lambda lg: gr.update(label=t("music.files", lg))),
    ]
    wiring.from_city += [(scale, lambda c: c.scale), (rhythm, lambda c: c.rhythm), (tempo, lambda c: c.tempo)]
    return wiring


def _image_tab(lang: str, city: CityPreset, lang_box: gr.Radio, folders: _CallFolders) -> _Wiring:
    from .. import image
    from ..image.cppn import STYLES

    wiring = _Wiring()
    low, high, size_default = IMAGE_SIZES
    with gr.Tab(t("tab.image", lang)) as tab:
        with gr.Row():
            with gr.Column(scale=1):
                palette = gr.Dropdown(_palette_choices(lang), value=city.palette, label=t("palette.label", lang))
                style = gr.Radio(_choices("style", STYLES, lang), value=city.image_style, label=t("image.style", lang))
                size = gr.Slider(low, high, value=size_default, step=64, label=t("image.size", lang))
                seed, used = _seed_fields(lang, wiring)
                go = gr.Button(t("image.button", lang), variant="primary", elem_classes="wk-go")
            with gr.Column(scale=1):
                picture = gr.Image(label=t("image.output", lang), type="filepath", format="png", interactive=False,
                                   height=420, buttons=["download", "fullscreen"])
                files = gr.File(label=t("image.files", lang), file_count="multiple", interactive=False)

    def make_image(palette, style, size, seed, lang=DEFAULT_LANG):
        def work():
            result = image.generate(palette=palette, style=style, size=size, seed=_seed(seed))
            folder = folders.new("image")
            png = result.save(folder / f"{palette}-{style}-seed{result.seed}.png")
            return str(png), [str(png)], str(result.seed)

        return _call(lang, work)

    go.click(make_image, [palette, style, size, seed, lang_box], [picture, files, used], api_name="image",
             **_QUEUE)

    wiring.relabel += [
        (tab, lambda lg: gr.update(label=t("tab.image", lg))),
        (palette, lambda lg: gr.update(label=t("palette.label", lg), choices=_palette_choices(lg))),
        (style, lambda lg: gr.update(label=t("image.style", lg), choices=_choices("style", STYLES, lg))),
        (size, lambda lg: gr.update(label=t("image.size", lg))),
        (go, lambda lg: gr.update(value=t("image.button", lg))),
        (picture, lambda lg: gr.update(label=t("image.output", lg))),
        (files, lambda lg: gr.update(label=t("image.files", lg))),
    ]
    wiring.from_city += [(palette, lambda c: c.palette), (style, lambda c: c.image_style)]
    return wiring


def _mesh_tab(lang: str, city: CityPreset, lang_box: gr.Radio, folders: _CallFolders) -> _Wiring:
    from .. import mesh
    from ..mesh.lathe import PRESETS

    wiring = _Wiring()
    with gr.Tab(t("tab.mesh", lang)) as tab:
        with gr.Row():
            with gr.Column(scale=1):
                vessel = gr.Radio(_choices("vessel", PRESETS, lang), value=city.vessel, label=t("mesh.vessel", lang))
                palette = gr.Dropdown(_palette_choices(lang), value=city.palette, label=t("mesh.glaze", lang))
                seed, used = _seed_fields(lang, wiring)
                go = gr.Button(t("mesh.button", lang), variant="primary", elem_classes="wk-go")
            with gr.Column(scale=1):
                view = gr.Model3D(label=t("mesh.output", lang), clear_color=(0.96, 0.94, 0.90, 1.0), height=420,
                                  interactive=False)
                files = gr.File(label=t("mesh.files", lang), file_count="multiple", interactive=False)

    def make_mesh(vessel, palette, seed, lang=DEFAULT_LANG):
        def work():
            result = mesh.generate(preset=vessel, palette=palette, seed=_seed(seed))
            folder = folders.new("mesh")
            stem = f"{vessel}-seed{result.seed}"
            glb = result.save(folder / f"{stem}.glb")
            stl = result.save(folder / f"{stem}.stl")
            return str(glb), [str(glb), str(stl)], str(result.seed)

        return _call(lang, work)

    go.click(make_mesh, [vessel, palette, seed, lang_box], [view, files, used], api_name="mesh", **_QUEUE)

    wiring.relabel += [
        (tab, lambda lg: gr.update(label=t("tab.mesh", lg))),
        (vessel, lambda lg: gr.update(label=t("mesh.vessel", lg), choices=_choices("vessel", PRESETS, lg))),
        (palette, lambda lg: gr.update(label=t("mesh.glaze", lg), choices=_palette_choices(lg))),
        (go, lambda lg: gr.update(value=t("mesh.button", lg))),
        (view, lambda lg: gr.update(label=t("mesh.output", lg))),
        (files, lambda lg: gr.update(label=t("mesh.files", lg))),
    ]
    wiring.from_city += [(vessel, lambda c: c.vessel), (palette, lambda c: c.palette)]
    return wiring


def _header(lang: str) -> str:
    return f"# {t('app.title', lang)}\n{t('app.intro', lang)}"


def build_booth(lang: str = DEFAULT_LANG, output_dir: str | Path | None = None, *,
                keep_seconds: float = KEEP_SECONDS) -> gr.Blocks:
    """Build the booth page: a city selector, a language switch and three tabs (music, image, 3D).

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
        The page, with its queue set (bounded size). Events ``/music``, ``/image`` and ``/mesh`` can be called with
        ``gradio_client``. Launch it with ``demo.launch(**launch_options())`` or use :func:`launch_booth`.

    Raises
    ------
    workshop_kit.errors.ParameterError
        If ``lang`` is not one of ``"fr"``, ``"en"``, ``"ar"``.
    """
    lang = check_lang(lang)
    folders = _CallFolders(output_dir, keep_seconds)
    city = CITIES[DEFAULT_CITY]
    sweep = max(60, int(keep_seconds) // 4)

    with gr.Blocks(title=t("app.title", lang), analytics_enabled=False,
                   delete_cache=(sweep, int(keep_seconds))) as demo:
        header = gr.Markdown(_header(lang), rtl=is_rtl(lang), elem_classes="wk-header")
        with gr.Row(equal_height=True):
            cities = gr.Radio(_city_choices(lang), value=city.name, label=t("city.label", lang),
                              info=t("city.info", lang), scale=4, elem_classes="wk-cities")
            lang_box = gr.Radio([(LANG_NAMES[code], code) for code in LANGS], value=lang, label=t("lang.label", lang),
                                scale=1)
        wiring = _Wiring(relabel=[
            (header, lambda lg: gr.update(value=_header(lg), rtl=is_rtl(lg))),
            (cities, lambda lg: gr.update(label=t("city.label", lg), info=t("city.info", lg),
                                          choices=_city_choices(lg))),
            (lang_box, lambda lg: gr.update(label=t("lang.label", lg))),
        ])
        with gr.Tabs():
            for tab in (_music_tab, _image_tab, _mesh_tab):
                wiring.extend(tab(lang, city, lang_box, folders))

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
    """Keyword arguments of ``demo.launch()`` for a booth: local address, no share link, kiosk look.

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
