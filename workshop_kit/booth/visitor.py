"""The visitor page: big city tiles; one tap makes the city's trio — music, a picture, a 3D object — to take home.

A trio is made by the engines the booth offers (:data:`TRIO`: the learnt models first, the exact ones as a fall-back),
with the options a city preset gives and the booth's defaults (:data:`workshop_kit.registry.ENGINES`). Its files
go to one folder of the day's trios (:class:`~workshop_kit.booth.share.TakeHome`), and the page shows a QR code that
opens that trio's download page on the visitor's phone. After :data:`IDLE_SECONDS` without a touch the page returns
to its start, in the default language, and an attract loop shows the day's gallery (the trios whose visitors ticked
"show it").
"""

from __future__ import annotations

import base64
import html
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from ..i18n import DEFAULT_LANG, LANG_NAMES, LANGS, check_lang, is_rtl, label_of, t
from ..presets import CITIES, get_city
from ..registry import ENGINES, Engine
from ..validation import MAX_SEED, check_int
from . import components as kit
from .share import FONT_CSS, FONT_STACK
from .common import Offers, call, lang_or_default, seed_value

__all__ = ["TRIO", "IDLE_SECONDS", "Visitor", "trio_options", "visitor_page"]

TRIO: dict[str, tuple[str, ...]] = {
    "music": ("melody-model", "rules"),
    "image": ("motif-diffusion", "motifs", "cppn"),
    "mesh": ("lathe", "lantern"),
}
"""For each modality, the engines a trio is made with, in order of preference: the first one offered here wins."""

IDLE_SECONDS = 90
"""Seconds without a touch after which the page returns to its start and the attract loop plays."""

PENDING_MAX = 20
"""Trios waiting at once; a visitor arriving beyond that is told, in their language, to try again in a moment."""


def trio_engines(offers: Offers) -> dict[str, Engine]:
    """The engine of each modality a trio uses on this machine."""
    out = {}
    for modality, names in TRIO.items():
        name = next((n for n in names if n in offers.of(modality)), None)
        if name is None:
            raise RuntimeError(f"no {modality} engine can run here for the visitor page")
        out[modality] = ENGINES[name]
    return out


def trio_options(engine: Engine, city: Any) -> dict[str, Any]:
    """The options of ``engine`` for a trio of ``city``: the city's values, else the booth's defaults and fixed
    values."""
    options: dict[str, Any] = {}
    for option in engine.options:
        if option.city and getattr(city, option.city, None) is not None:
            value = getattr(city, option.city)
            if option.kind == "choice" and value not in option.names():
                continue
            options[option.name] = value
        elif option.booth is not None and option.booth.fixed is not None:
            options[option.name] = option.booth.fixed
        elif option.booth is not None and option.booth.default is not None:
            options[option.name] = option.booth.default
    return options


@dataclass
class _Pending:
    """Trios admitted but not finished (with their time, so a visitor who left does not hold a place for ever)."""

    limit: int = PENDING_MAX
    ttl: float = 120.0
    stamps: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self) -> bool:
        now = time.time()
        with self.lock:
            self.stamps = [s for s in self.stamps if now - s < self.ttl]
            if len(self.stamps) >= self.limit:
                return False
            self.stamps.append(now)
            return True

    def done(self) -> None:
        with self.lock:
            if self.stamps:
                self.stamps.pop(0)

    def __len__(self) -> int:
        now = time.time()
        with self.lock:
            return sum(1 for s in self.stamps if now - s < self.ttl)


@dataclass
class Visitor:
    """What the visitor page needs from the booth: where trios go, what this machine offers, its public address."""

    take: Any  # TakeHome
    offers: Offers
    base_url: Callable[[], str]
    pending: _Pending = field(default_factory=_Pending)

    def make_trio(self, city: str, seed: Any = None, lang: str = DEFAULT_LANG, gallery: bool = False) -> dict:
        """Make the trio of ``city`` and record it for taking home; returns its record (code, files, pieces, url)."""
        chosen = get_city(city)
        lang = check_lang(lang)
        if not isinstance(gallery, bool):
            from ..errors import ParameterError

            raise ParameterError("gallery", gallery, "True or False")
        seed = seed_value(seed)
        if seed is not None:
            seed = check_int("seed", seed, 0, MAX_SEED)
        code, folder = self.take.new()
        try:
            pieces = []
            engines = trio_engines(self.offers)
            view = ""
            for modality in ("music", "image", "mesh"):
                engine = engines[modality]
                options = trio_options(engine, chosen)
                made = engine.generate(seed=seed, **options)
                result = made[0] if isinstance(made, tuple) else made
                seed = result.seed if seed is None else seed  # one seed for the three pieces
                stem = {"music": "music", "image": "picture", "mesh": "object"}[modality]
                formats = {"music": (".wav", ".mid"), "image": (".png",), "mesh": (".glb", ".stl")}[modality]
                for suffix in formats:
                    if suffix == ".mid" and getattr(result, "score", None) is None:
                        continue
                    result.save(folder / f"{stem}{suffix}")
                if modality == "mesh":
                    from ..mesh.viewer import mesh_to_html

                    view = mesh_to_html(result.mesh, height=270, width=480, note=t("visitor.turn", lang))
                pieces.append({"modality": modality, "engine": engine.name, "seed": result.seed,
                               "model": result.model, "params": {k: v for k, v in result.params.items()
                                                                 if isinstance(v, (str, int, float, bool))}})
            (folder / "view.html").write_text(_view_page(view, lang), encoding="utf-8")
            meta = self.take.finish(code, city=chosen.name, lang=lang, gallery=gallery, pieces=pieces)
        except BaseException:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
            raise
        return {**meta, "url": f"{self.base_url()}/take/{code}?lang={lang}", "seed": seed}


    def warm_up(self) -> None:
        """Make one trio and throw it away, so that the first visitor does not wait for the models to load."""
        try:
            record = self.make_trio(next(iter(CITIES)), 0, DEFAULT_LANG, False)
        except Exception:  # noqa: BLE001 - a failed warm-up only means a slower first trio
            import logging

            logging.getLogger("workshop_kit.booth").exception("booth: the warm-up trio failed")
            return
        import shutil

        shutil.rmtree(self.take.root / record["code"], ignore_errors=True)


def _view_page(snippet: str, lang: str) -> str:
    direction = "rtl" if is_rtl(lang) else "ltr"
    return (f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<style>{FONT_CSS}body{{margin:0;background:#f4efe6;font-family:{FONT_STACK}}}</style></head>'
            f"<body>{snippet}</body></html>")


# --------------------------------------------------------------------------------------------------------------------
# The page

VISITOR_CSS = """
.nav-holder { display: none !important; }
.gradio-container > .main > .wrap > .app, .gradio-container .app { padding: 6px 14px !important; }
.wk-visitor { max-width: 1340px; margin: 0 auto; gap: 8px !important; }
.wk-visitor .wk-top { align-items: center; gap: 0.5rem; }
.wk-visitor .wk-top h1 { font-size: 1.3rem; margin: 0; color: #1b1f4b; line-height: 1.25; }
.wk-visitor .wk-top p { margin: 0; font-size: 1rem; color: #2d2a26; }
.wk-tiles { display: grid !important; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 0.5rem; }
.wk-tile { min-height: 3.6rem !important; font-size: 1.15rem !important; line-height: 1.2 !important;
           background: #1b1f4b !important; color: #ffffff !important; border-radius: 12px !important;
           border: 0 !important; white-space: normal !important; }
.wk-tile:focus-visible { outline: 3px solid #f2c14e !important; }
.wk-card { background: #fffdf8; border-radius: 12px; padding: 0.4rem !important; min-width: 0 !important; }
.wk-card h2 { font-size: 1.05rem; margin: 0.1rem 0.3rem 0.3rem; color: #1b1f4b; }
.wk-view iframe { width: 100%; height: 300px; border: 0; border-radius: 8px; background: #f4efe6; }
.wk-results { gap: 8px !important; }
.wk-results .wk-card > div { gap: 4px !important; }
.wk-take { align-items: center; gap: 0.6rem; }
.wk-take p, .wk-take label, .wk-status p { font-size: 1rem !important; color: #2d2a26 !important; }
.wk-code { font: 700 1.6rem ui-monospace, monospace; letter-spacing: 0.2em; color: #5b2a0e; }
.wk-again { background: #8a2e12 !important; color: #ffffff !important; font-size: 1.15rem !important;
            min-height: 3rem !important; border: 0 !important; }
.wk-hidden { display: none !important; }
#wk-attract { position: fixed; inset: 0; z-index: 1000; display: none; background: rgba(15, 18, 45, 0.94);
              color: #ffffff; align-items: center; justify-content: center; flex-direction: column; gap: 1rem;
              text-align: center; cursor: pointer; }
#wk-attract img { max-width: min(70vw, 560px); max-height: 60vh; border-radius: 14px; }
#wk-attract p { font-size: 1.6rem; margin: 0; }
html[dir="rtl"] .wk-visitor { text-align: right; direction: rtl; }
html[dir="rtl"] .wk-visitor .prose, html[dir="rtl"] .wk-visitor .md, html[dir="rtl"] .wk-visitor h1,
html[dir="rtl"] .wk-visitor h2, html[dir="rtl"] .wk-visitor p, html[dir="rtl"] .wk-visitor label,
html[dir="rtl"] #wk-status, html[dir="rtl"] #wk-take, html[dir="rtl"] #wk-gallery {
  direction: rtl !important; text-align: right !important; }
@media (max-width: 760px) {
  .wk-visitor .wk-top, .wk-take { flex-direction: column !important; align-items: stretch !important; }
  .wk-visitor .wk-top > *, .wk-take > * { width: 100% !important; min-width: 0 !important; flex: none !important; }
  .wk-tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .wk-results { flex-direction: column !important; }
  .wk-view iframe { height: 280px; }
}
"""

_IDLE_JS = """
(() => {
  const idle = IDLE_SECONDS * 1000;
  let timer = null, slides = [], index = 0, cycle = null;
  const overlay = document.getElementById("wk-attract");
  const playing = () => overlay.style.display === "flex";
  const step = () => {
    const img = overlay.querySelector("img");
    if (slides.length) { img.src = slides[index % slides.length].picture_url; img.style.display = "block"; index++; }
    else { img.style.display = "none"; }
  };
  const show = async () => {
    try { slides = (await (await fetch("/gallery.json")).json()).items || []; } catch (e) { slides = []; }
    if (cycle) clearInterval(cycle);
    index = 0; overlay.style.display = "flex"; step();
    cycle = setInterval(step, 5000);
  };
  const hide = () => { overlay.style.display = "none"; if (cycle) { clearInterval(cycle); cycle = null; } };
  const reset = () => {
    const button = document.querySelector("#wk-reset button, button#wk-reset");
    if (button) button.click();
    window.scrollTo(0, 0);
    show();
  };
  const arm = () => { clearTimeout(timer); timer = setTimeout(reset, idle); };
  const touched = () => { hide(); arm(); };
  ["pointerdown", "keydown", "touchstart", "wheel"].forEach(n => window.addEventListener(n, touched, {passive: true}));
  // a trio being made, or arriving, counts as activity: the page never starts over under a visitor's eyes; the
  // music player's own clock ticking while it plays does not (the piece ends long before the page would start over)
  const page = document.querySelector(".wk-results") || document.body;
  const ours = (record) => { const player = document.getElementById("wk-audio");
                             return !(player && player.contains(record.target)); };
  new MutationObserver((records) => { if (!playing() && records.some(ours)) arm(); }).observe(
    page, {subtree: true, childList: true, characterData: true});
  overlay.addEventListener("pointerdown", hide);
  arm();
})();
"""

_DIRECTION_JS = """(lang) => {
    document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
    document.documentElement.lang = lang;
    return lang;
}"""


def _city_text(city: Any, lang: str) -> str:
    text = label_of(city, lang, default=city.name)
    tzm = city.label.get("tzm")
    return f"{text}\n{tzm}" if tzm else text


def _qr_html(record: dict | None, lang: str) -> str:
    if not record:
        return f'<p>{html.escape(t("visitor.take.empty", lang))}</p>'
    from .share import qr_png

    data = base64.b64encode(qr_png(record["url"], scale=4)).decode("ascii")
    return (f'<div style="display:flex;gap:0.8rem;align-items:center">'
            f'<img alt="QR" width="120" height="120" src="data:image/png;base64,{data}">'
            f'<div><p>{html.escape(t("visitor.take.scan", lang))}</p>'
            f'<p class="wk-code">{record["code"]}</p>'
            f'<p style="word-break:break-all">{html.escape(record["url"])}</p></div></div>')


def visitor_page(visitor: Visitor, lang: str = DEFAULT_LANG, *, idle_seconds: int = IDLE_SECONDS) -> gr.Blocks:
    """Build the visitor page's components inside the caller's ``gr.Blocks`` (the booth's root page)."""
    cities = list(CITIES.values())
    with gr.Column(elem_classes="wk-visitor"):
        with gr.Row(elem_classes="wk-top", equal_height=True):
            header = gr.Markdown(f"# {t('visitor.title', lang)}\n{t('visitor.intro', lang)}", rtl=is_rtl(lang),
                                 scale=4)
            lang_box = kit.Radio([(LANG_NAMES[code], code) for code in LANGS], value=lang, show_label=False,
                                container=False, scale=1, min_width=300, elem_id="wk-lang")
        with gr.Row(elem_classes="wk-tiles"):
            tiles = [gr.Button(_city_text(c, lang), elem_classes="wk-tile", elem_id=f"wk-city-{c.name}",
                               min_width=0) for c in cities]
        with gr.Row(elem_classes="wk-results", equal_height=True):
            with gr.Column(elem_classes="wk-card", min_width=0):
                music_title = gr.Markdown(f"## {t('visitor.music', lang)}")
                audio = gr.Audio(type="filepath", interactive=False, autoplay=True, show_label=False,
                                 buttons=[], elem_id="wk-audio")
            with gr.Column(elem_classes="wk-card", min_width=0):
                picture_title = gr.Markdown(f"## {t('visitor.picture', lang)}")
                picture = gr.Image(type="filepath", interactive=False, show_label=False, height=300, buttons=[],
                                   elem_id="wk-picture")
            with gr.Column(elem_classes="wk-card wk-view", min_width=0):
                object_title = gr.Markdown(f"## {t('visitor.object', lang)}")
                view = gr.HTML("", elem_id="wk-object")
        with gr.Row(elem_classes="wk-take", equal_height=True):
            with gr.Column(scale=3, min_width=0):
                take = gr.HTML(_qr_html(None, lang), elem_id="wk-take")
            with gr.Column(scale=2, min_width=220):
                again = gr.Button(t("visitor.again", lang), elem_classes="wk-again", elem_id="wk-again")
                gallery = kit.Checkbox(False, label=t("visitor.gallery", lang), elem_id="wk-gallery")
                status = gr.Markdown("", elem_classes="wk-status", elem_id="wk-status")
        reset = gr.Button("reset", elem_id="wk-reset", elem_classes="wk-hidden")
        gr.HTML('<div id="wk-attract"><img alt=""><p>Touchez une ville · المس مدينة · Tap a city</p></div>',
                js_on_load=_IDLE_JS.replace("IDLE_SECONDS", str(int(idle_seconds))))
        current = gr.State(None)

    outputs = [audio, picture, view, take, status, current]

    def tile_trio(city_name, seed, lang_, gallery_):
        lang_ = lang_or_default(lang_)

        def work():
            try:
                record = visitor.make_trio(city_name, seed, lang_, bool(gallery_))
            finally:
                visitor.pending.done()
            folder = visitor.take.root / record["code"]
            names = {f["kind"]: f["name"] for f in record["files"]}
            frame = (f'<iframe title="{html.escape(t("visitor.object", lang_))}" '
                     f'src="/view/{record["code"]}" loading="eager"></iframe>')
            said = t("visitor.made", lang_).format(seed=record["seed"])
            return (str(folder / names["audio"]), str(folder / names["picture"]), frame, _qr_html(record, lang_),
                    said, city_name)

        return call(lang_, work)

    def tile_admit(lang_):
        lang_ = lang_or_default(lang_)
        if not visitor.pending.admit():
            raise gr.Error(t("visitor.busy", lang_), title=t("visitor.busy.title", lang_), print_exception=False)

    for tile, city in zip(tiles, cities):
        tile.click(tile_admit, [lang_box], None, queue=False, api_visibility="private", show_progress="hidden").success(
            tile_trio, [gr.State(city.name), gr.State(""), lang_box, gallery], outputs, api_visibility="private",
            concurrency_id="make", concurrency_limit=2)
    again.click(tile_admit, [lang_box], None, queue=False, api_visibility="private", show_progress="hidden").success(
        lambda c, lg, g: tile_trio(c or cities[0].name, "", lg, g), [current, lang_box, gallery], outputs,
        api_visibility="private", concurrency_id="make", concurrency_limit=2)

    def api_trio(city: str, seed: str = "", lang: str = DEFAULT_LANG, gallery: bool = False) -> dict:
        """Make the trio of ``city`` and return its code, its download address and its files (for clients)."""
        return call(lang_or_default(lang), lambda: _public(visitor.make_trio(city, seed, lang, gallery)))

    gr.api(api_trio, api_name="trio", concurrency_id="make", concurrency_limit=2)

    def visitor_relabel(lang_):
        lang_ = lang_or_default(lang_)
        return [gr.update(value=f"# {t('visitor.title', lang_)}\n{t('visitor.intro', lang_)}", rtl=is_rtl(lang_)),
                *[gr.update(value=_city_text(c, lang_)) for c in cities],
                gr.update(value=f"## {t('visitor.music', lang_)}"),
                gr.update(value=f"## {t('visitor.picture', lang_)}"),
                gr.update(value=f"## {t('visitor.object', lang_)}"), gr.update(value=t("visitor.again", lang_)),
                gr.update(label=t("visitor.gallery", lang_))]

    labelled = [header, *tiles, music_title, picture_title, object_title, again, gallery]
    lang_box.change(visitor_relabel, lang_box, labelled, js=_DIRECTION_JS, queue=False, api_visibility="private",
                    show_progress="hidden")

    def visitor_start_over():
        return (gr.update(value=DEFAULT_LANG), None, None, "", _qr_html(None, DEFAULT_LANG), "", None,
                gr.update(value=False))

    reset.click(visitor_start_over, None, [lang_box, audio, picture, view, take, status, current, gallery], queue=False,
                api_visibility="private", show_progress="hidden")
    return lang_box


def _public(record: dict) -> dict:
    return {"code": record["code"], "url": record["url"], "seed": record["seed"], "city": record["city"],
            "files": [{k: f[k] for k in ("name", "kind", "bytes", "sha256")} for f in record["files"]],
            "pieces": [{k: p[k] for k in ("modality", "engine", "seed")} for p in record["pieces"]]}
