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

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from ..i18n import DEFAULT_LANG, LANG_NAMES, LANGS, check_lang, is_rtl, t
from ..presets import CITIES
from . import components as kit
from .common import CallFolders, Offers, city_choices, find_offers, lang_or_default
from .share import FONT_CSS, FONT_STACK
from .studio import QUEUE, Page, Wiring, studio_tabs
from .visitor import VISITOR_CSS

__all__ = ["build_booth", "launch_booth", "launch_options", "DEFAULT_CITY", "KEEP_SECONDS"]

DEFAULT_CITY = "marrakech"
"""The city selected when the page opens."""

KEEP_SECONDS = 3600
"""How long the files of one call stay on disk (seconds); the visitor downloads them within that time."""

QUEUE_SIZE = 24
"""Most requests waiting at once; more get a "queue full" message instead of an ever longer wait."""

CONCURRENCY = QUEUE["concurrency_limit"]
"""Pieces made at once, all kinds together (music, image and 3D share the computer's cores)."""

DAY_MAX_BYTES = 3 * 2**30
"""The most the day's trios may take on disk: the oldest go first beyond it."""

SESSIONS_MAX = 64
"""Page sessions whose state the booth keeps (the most recently used: a kiosk's page, a room of trainers' and
participants' studios); Gradio's own default is 10,000, which a day of pages and clients fills with a fraction of
a megabyte each and never gives back."""

MAX_UPLOAD = "40mb"
"""Gradio refuses larger uploads at the door; the kit's own, lower bounds (20 MB) answer in the visitor's language."""

# Sets the page direction (Arabic right to left) and language; runs in the browser before the Python callback.
_DIRECTION_JS = """(lang) => {
    document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
    document.documentElement.lang = lang;
    return lang;
}"""

_CSS = """
body, button, input, textarea { font-family: var(--font); }
.wk-header h1 { font-size: 1.6rem; margin: 0 0 0.2rem 0; }
.wk-header p { margin: 0; }
.wk-cities .wrap label { font-size: 1.05rem; padding: 0.4rem 0.9rem; }
.wk-lang .wrap { justify-content: flex-end; }
html[dir="rtl"] .wk-lang .wrap { justify-content: flex-start; }
.wk-go button, button.wk-go { font-size: 1.2rem; min-height: 3rem; }
.wk-figure { gap: 0.25rem; }
.wk-caption p { margin: 0; font-size: 0.9rem; }
html[dir="rtl"] .wk-header, html[dir="rtl"] .prose { text-align: right; }
html[dir="rtl"] .gradio-container { direction: rtl; }
html[dir="rtl"] .gradio-container label, html[dir="rtl"] .gradio-container .block-title,
html[dir="rtl"] .gradio-container [data-testid="block-info"], html[dir="rtl"] .gradio-container .prose {
  text-align: right; }
html[dir="rtl"] .gradio-container .tab-nav, html[dir="rtl"] .gradio-container .wrap,
html[dir="rtl"] .gradio-container [dir="ltr"] { direction: rtl; text-align: right; }
html[dir="rtl"] .gradio-container .slider_input_container, html[dir="rtl"] .gradio-container .waveform-container,
html[dir="rtl"] .gradio-container .controls, html[dir="rtl"] .gradio-container canvas { direction: ltr; }
"""


def _about(offers: Offers, lang: str) -> str:
    """The engines of this booth with their tiers, and every pretrained model the kit knows with its licence."""
    from ..registry import ENGINES

    colon = t("punct.colon", lang)
    lines = [f"**{t('about.engines', lang)}**", ""]
    for modality in ("music", "image", "mesh"):
        tab_key, names = f"tab.{modality}", offers.of(modality)
        items = [f"{t(f'engine.{name}', lang)} ({t(f'tier.{ENGINES[name].tier}', lang)})" for name in names]
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
                keep_seconds: float = KEEP_SECONDS, studio: bool = True, idle_seconds: int | None = None,
                base_url: Callable[[], str] | None = None, with_visitor: bool = False):
    """Build the booth: the visitor page at ``/`` and, unless ``studio=False``, the trainer's studio at ``/studio``.

    Parameters
    ----------
    lang : {"fr", "en", "ar"}, default "fr"
        The language the pages open in; visitors switch it on the page.
    output_dir : str or path-like, optional
        The booth's own folder: the day's trios go to ``take/`` in it, the studio's pieces to ``studio/``.
        By default a new temporary folder. :func:`workshop_kit.booth.serve_booth` also makes it Gradio's cache.
    keep_seconds : float, default 3600
        Trios and studio pieces older than this are removed (their download codes expire with them).
    studio : bool, default True
        Also build the studio page (three tabs: music, image, 3D, with every option) at ``/studio``.
    idle_seconds : int, optional
        Seconds without a touch before the visitor page starts over (default
        :data:`workshop_kit.booth.visitor.IDLE_SECONDS`).
    base_url : callable, optional
        Returns the address phones reach the booth at, for the QR codes (default ``http://127.0.0.1:7860``).
    with_visitor : bool, default False
        Return ``(demo, visitor)``: the page and the :class:`~workshop_kit.booth.visitor.Visitor` that makes trios.

    Returns
    -------
    gradio.Blocks
        The pages, with their queue set (bounded size). The visitor page's ``/trio`` endpoint makes a city's trio;
        the studio's ``/music``, ``/image`` and ``/mesh`` return a piece, its files and its seed, and ``/analyse``
        measures an uploaded sound. All can be called with ``gradio_client``.

    Raises
    ------
    workshop_kit.errors.ParameterError
        If ``lang`` is not one of ``"fr"``, ``"en"``, ``"ar"``.

    Notes
    -----
    The engines offered are looked up once, here: :func:`workshop_kit.pretrained.status` says which pretrained
    models are on this machine. Copy an offline pack and build the page again to offer more.
    """
    from .share import TakeHome
    from .visitor import IDLE_SECONDS, Visitor, visitor_page

    lang = check_lang(lang)
    root = Path(output_dir).expanduser().resolve() if output_dir is not None else Path(
        tempfile.mkdtemp(prefix="workshop-kit-booth-"))
    folders = CallFolders(root / "studio", keep_seconds)
    take = TakeHome(root / "take", keep_seconds=keep_seconds, max_bytes=DAY_MAX_BYTES)
    sweep = max(60, int(keep_seconds) // 4)
    offers = find_offers()
    visitor = Visitor(take=take, offers=offers, base_url=base_url or (lambda: "http://127.0.0.1:7860"))

    with gr.Blocks(title=t("visitor.title", lang), analytics_enabled=False,
                   delete_cache=(sweep, int(keep_seconds))) as demo:
        gr.Navbar(visible=False)
        visitor_lang = visitor_page(visitor, lang, idle_seconds=idle_seconds or IDLE_SECONDS)
        demo.load(None, visitor_lang, None, js=_DIRECTION_JS, api_visibility="private")
    if studio:
        with demo.route(t("app.title", lang), "/studio", show_in_navbar=False):
            gr.Navbar(visible=False)
            _studio_page(lang, folders, offers)

    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    demo.state_session_capacity = SESSIONS_MAX  # read when the page is served (mounted or launched)
    return (demo, visitor) if with_visitor else demo


def _studio_page(lang: str, folders: CallFolders, offers: Offers) -> None:
    """The trainer's page: a city, a language switch, three studios (music, image, 3D) and an about box."""
    city = CITIES[DEFAULT_CITY]
    with gr.Row(equal_height=True):
        header = gr.Markdown(_header(lang), rtl=is_rtl(lang), elem_classes="wk-header", scale=3)
        lang_box = kit.Radio([(LANG_NAMES[code], code) for code in LANGS], value=lang, label=t("lang.label", lang),
                            scale=1, min_width=330, container=False, elem_classes="wk-lang")
    cities = kit.Radio(city_choices(lang), value=city.name, label=t("city.label", lang), elem_classes="wk-cities")
    wiring = Wiring(relabel=[
        (header, lambda lg: gr.update(value=_header(lg), rtl=is_rtl(lg))),
        (cities, lambda lg: gr.update(label=t("city.label", lg), choices=city_choices(lg))),
        (lang_box, lambda lg: gr.update(label=t("lang.label", lg))),
    ])
    page = Page(lang=lang, city=city, lang_box=lang_box, folders=folders, offers=offers)
    wiring.extend(studio_tabs(page))
    with gr.Accordion(t("about.title", lang), open=False) as about_box:
        about = gr.Markdown(_about(offers, lang), rtl=is_rtl(lang))
    wiring.relabel += [
        (about_box, lambda lg: gr.update(label=t("about.title", lg))),
        (about, lambda lg: gr.update(value=_about(offers, lg), rtl=is_rtl(lg))),
    ]
    modalities = list(wiring.engines)

    def fill_from_city(name, *engines):
        chosen = CITIES.get(name, city)
        picked = dict(zip(modalities, engines))
        return [fill(chosen, picked) for _, fill in wiring.from_city]

    def relabel(new_lang):
        new_lang = lang_or_default(new_lang)
        return [update(new_lang) for _, update in wiring.relabel]

    cities.change(fill_from_city, [cities, *wiring.engines.values()], [c for c, _ in wiring.from_city],
                  api_visibility="private", show_progress="hidden", queue=False)
    lang_box.change(relabel, lang_box, [c for c, _ in wiring.relabel], js=_DIRECTION_JS,
                    api_visibility="private", show_progress="hidden", queue=False)


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
        css=FONT_CSS + f":root, .gradio-container {{ --font: {FONT_STACK} !important; }}" + _CSS + VISITOR_CSS,
        footer_links=[],
        show_error=True,
        pwa=False,
        ssr_mode=False,
        mcp_server=False,
        max_file_size=MAX_UPLOAD,
        state_session_capacity=SESSIONS_MAX,
    )
    options.update(overrides)
    return options


def launch_booth(host: str = "127.0.0.1", port: int = 7860, lang: str = DEFAULT_LANG, **kw: Any):
    """Serve the booth (see :func:`workshop_kit.booth.server.serve_booth` for every option); never a share link."""
    from .server import serve_booth

    return serve_booth(host=host, port=port, lang=lang, **kw)
