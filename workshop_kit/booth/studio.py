"""The studio page: one tab per modality, whose fields are the booth options of the engines it offers.

Every field is built from :data:`workshop_kit.registry.ENGINES`: an option with a ``booth`` entry becomes a field
(options of several engines that share a field name share one field), shown only while one of its engines is
chosen, with that engine's range and choices. The "make" event of a tab (API names ``/music``, ``/image``,
``/mesh``) takes the engine and the fields by name, hands the chosen engine its options, saves the piece and returns
it, its files and its seed; a second event draws the pictures that explain it (piano roll and spectrogram, the
denoising steps, the 3D preview and whether it prints).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from ..i18n import DEFAULT_LANG, is_rtl, t
from ..registry import ENGINES, Engine, Option
from ..validation import check_choice, check_float, check_int
from . import components as kit
from .common import (NONE, CallFolders, Handoff, Offers, call, engine_choices, field_label, kit_error, make_piece,
                     option_choices, seed_value)

__all__ = ["Wiring", "Page", "studio_tabs", "fields_of"]

QUEUE = dict(concurrency_id="make", concurrency_limit=2)
"""Pieces made at once, all kinds together (music, image and 3D share the computer's cores)."""

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


@dataclass
class Wiring:
    """What a part of the page gives to the whole: relabelling for the language switch, filling for a city tap."""

    relabel: list[tuple[Any, Callable[[str], dict]]] = field(default_factory=list)
    from_city: list[tuple[Any, Callable[[Any, dict[str, str]], Any]]] = field(default_factory=list)
    engines: dict[str, Any] = field(default_factory=dict)  # modality -> its engine radio (a city checks choices)

    def extend(self, other: Wiring) -> None:
        self.relabel.extend(other.relabel)
        self.from_city.extend(other.from_city)
        self.engines.update(other.engines)


@dataclass(frozen=True)
class Page:
    """What every tab is built with."""

    lang: str
    city: Any
    lang_box: gr.Radio
    folders: CallFolders
    offers: Offers
    handoff: Handoff = field(default_factory=Handoff)  # pieces on their way from "make" to "draw"


# --------------------------------------------------------------------------------------------------------------------
# Fields from the registry


def fields_of(engines: tuple[str, ...]) -> dict[str, list[tuple[Engine, Option]]]:
    """Page field -> the (engine, option) pairs it sets, for the booth options of ``engines`` (in their order)."""
    fields: dict[str, list[tuple[Engine, Option]]] = {}
    for name in engines:
        engine = ENGINES[name]
        for option in engine.options:
            if option.booth is None or option.booth.fixed is not None:
                continue
            fields.setdefault(option.booth.field or option.name, []).append((engine, option))
    return fields


def _bounds(option: Option) -> tuple[float, float, Any, float]:
    """(low, high, default, step) of a number field for ``option``: the booth's narrower range where it has one."""
    b = option.booth
    low = b.low if b.low is not None else option.low
    high = b.high if b.high is not None else option.high
    default = b.default if b.default is not None else option.default
    if default is None:
        default = (low + high) / 2
    step = b.step if b.step is not None else (1 if option.kind == "int" else 0.1)
    return low, high, min(max(default, low), high), step


def _initial(option: Option, city: Any) -> Any:
    """What a field shows first: the city's value, else the booth's default, else the option's."""
    if option.city and city is not None:
        return getattr(city, option.city)
    if option.booth.default is not None:
        return option.booth.default
    if option.kind == "choice":
        return NONE if option.default is None else option.default
    return option.default


def _component(modality: str, name: str, option: Option, lang: str, city: Any, visible: bool):
    label = field_label(modality, name, lang)
    info = field_label(modality, name, lang, "info") or None
    if option.kind == "choice":
        widget = kit.Radio if option.booth.widget == "radio" else kit.Dropdown
        return widget(option_choices(option, lang, field_name=name), value=_initial(option, city), label=label,
                      info=info, visible=visible)
    if option.kind in ("int", "float"):
        low, high, default, step = _bounds(option)
        if option.city and city is not None:
            default = getattr(city, option.city)
        return kit.Slider(low, high, value=default, step=step, label=label, info=info, visible=visible, min_width=160)
    if option.kind == "prompt":
        return gr.Textbox(value=option.booth.default or PROMPTS.get(modality, ""), label=label, lines=2, max_lines=4,
                          max_length=500, visible=visible, rtl=False)
    if option.kind == "image":
        return gr.File(label=label, file_types=[".png", ".jpg", ".jpeg", ".webp"], type="filepath", height=90,
                       visible=visible)
    if option.kind == "bool":
        return kit.Checkbox(value=bool(option.default), label=label, visible=visible)
    raise ValueError(f"the booth has no field for options of kind {option.kind!r} ({option.name})")


def _value_for(engine: Engine, option: Option, value: Any) -> Any:
    """A field's value as ``engine``'s option takes it; numbers checked against the booth's range first."""
    if option.kind == "choice":
        return None if value in (None, NONE) and option.optional else value
    if option.kind in ("int", "float"):
        low, high, _, _ = _bounds(option)
        check = check_int if option.kind == "int" else check_float
        name = option.booth.field or option.name
        return check(name, value, int(low) if option.kind == "int" else low,
                     int(high) if option.kind == "int" else high)
    if option.kind == "image":
        return value or None
    return value


def _with_signature(fn: Callable, names: list[str], defaults: dict[str, Any]) -> Callable:
    """Give ``fn(*values)`` a signature naming its inputs, so that the API (and ``gradio_client``) takes keywords."""
    fn.__signature__ = inspect.Signature([
        inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=defaults.get(n, None)) for n in names])
    return fn


# --------------------------------------------------------------------------------------------------------------------
# Shared pieces of every tab


def _seed_fields(lang: str, wiring: Wiring) -> tuple[gr.Textbox, gr.Textbox]:
    """The seed to ask for (empty: random) and the seed used, as text: an empty number field would show 0."""
    with gr.Row():
        seed = gr.Textbox(value="", label=t("seed.label", lang), info=t("seed.info", lang),
                          placeholder=t("seed.placeholder", lang), max_length=12, rtl=is_rtl(lang), min_width=160)
        used = gr.Textbox(value="", label=t("seed.used", lang), interactive=False, buttons=["copy"], rtl=is_rtl(lang),
                          min_width=160)
    wiring.relabel += [
        (seed, lambda lg: gr.update(label=t("seed.label", lg), info=t("seed.info", lg),
                                    placeholder=t("seed.placeholder", lg), rtl=is_rtl(lg))),
        _words(used, "seed.used", rtl=True),
    ]
    return seed, used


def _figure(label_key: str, lang: str, height: int, wiring: Wiring, *, visible: bool = True):
    """A figure the kit drew, under its caption: PNG, so that small text stays sharp, and no label or button over it.

    Returns the column holding both (to show or hide them together) and the picture.
    """
    with gr.Column(visible=visible, elem_classes="wk-figure") as box:
        caption = gr.Markdown(t(label_key, lang), rtl=is_rtl(lang), elem_classes="wk-caption")
        picture = gr.Image(show_label=False, type="numpy", format="png", interactive=False, height=height,
                           buttons=[], container=False)
    wiring.relabel.append((caption, lambda lg: gr.update(value=t(label_key, lg), rtl=is_rtl(lg))))
    return box, picture


def _words(component: Any, key: str, attr: str = "label", *, rtl: bool = False) -> tuple[Any, Callable[[str], dict]]:
    """Relabel ``component``'s ``attr`` with the wording of ``key`` (and its direction) when the language changes."""
    def update(lg: str) -> dict:
        return gr.update(**{attr: t(key, lg)}, **({"rtl": is_rtl(lg)} if rtl else {}))

    return component, update


def _made_state() -> gr.State:
    """The token of the piece just made (held in :class:`~workshop_kit.booth.common.Handoff`, not in the session)
    for the event that draws its pictures."""
    return gr.State(None, time_to_live=600)


@dataclass
class _Tab:
    """The engine choice and the fields of one modality's tab, built from the registry."""

    modality: str
    offered: tuple[str, ...]
    engine: gr.Radio
    fields: dict[str, list[tuple[Engine, Option]]]
    components: dict[str, Any]

    def names(self) -> list[str]:
        return ["engine", *self.components, "seed", "lang"]

    def inputs(self, seed, lang_box) -> list:
        return [self.engine, *self.components.values(), seed, lang_box]

    def options(self, engine_name: str, values: dict[str, Any]) -> tuple[Engine, dict[str, Any]]:
        """The chosen engine and its options from the fields' ``values`` (fixed booth values included)."""
        engine = ENGINES[check_choice("engine", engine_name, self.offered)]
        options: dict[str, Any] = {}
        for name, uses in self.fields.items():
            for owner, option in uses:
                if owner is engine:
                    options[option.name] = _value_for(engine, option, values.get(name))
        for option in engine.options:
            if option.booth is not None and option.booth.fixed is not None:
                options[option.name] = option.booth.fixed
        for option in engine.options:  # a picture given replaces the motif it excludes
            if options.get(option.name) is not None:
                for other in option.excludes:
                    options.pop(other, None)
        return engine, options

    def show(self, engine_name: str, lang: str, *values) -> list[dict]:
        """Updates of every field for ``engine_name``: shown or hidden, with that engine's range and choices (a value
        the engine does not take is replaced by its default)."""
        engine = ENGINES.get(engine_name)
        current = dict(zip(self.components, values))
        updates = []
        for name, uses in self.fields.items():
            option = next((o for e, o in uses if e is engine), None)
            value = current.get(name)
            if option is None:
                updates.append(gr.update(visible=False))
            elif option.kind in ("int", "float"):
                low, high, default, step = _bounds(option)
                changes = dict(visible=True, minimum=low, maximum=high, step=step)
                if not isinstance(value, (int, float)) or not low <= value <= high:
                    changes["value"] = default
                updates.append(gr.update(**changes))
            elif option.kind == "choice":
                choices = option_choices(option, lang, field_name=name)
                changes = dict(visible=True, choices=choices)
                if value not in [v for _, v in choices]:
                    changes["value"] = NONE if option.default is None else option.default
                updates.append(gr.update(**changes))
            else:
                updates.append(gr.update(visible=True))
        return updates


def _build_tab(page: Page, modality: str, wiring: Wiring) -> _Tab:
    """The engine radio and the fields of ``modality``, with their relabelling and city filling."""
    offered = page.offers.of(modality)
    lang = page.lang
    label_key = "mesh.engine" if modality == "mesh" else "engine.label"
    engine = kit.Radio(engine_choices(page.offers, offered, lang), value=offered[0], label=t(label_key, lang))
    fields = fields_of(offered)
    first = ENGINES[offered[0]]
    components = {}
    for name, uses in fields.items():
        shown = next((o for e, o in uses if e is first), None)
        option = shown or uses[0][1]
        components[name] = _component(modality, name, option, lang, page.city, visible=shown is not None)
    tab = _Tab(modality, offered, engine, fields, components)

    def relabel_field(name: str, component):
        def update(lg: str) -> dict:
            changes: dict[str, Any] = {"label": field_label(modality, name, lg)}
            info = field_label(modality, name, lg, "info")
            if info:
                changes["info"] = info
            option = fields[name][0][1]
            if option.kind == "choice":
                changes["choices"] = option_choices(option, lg, field_name=name)
            return gr.update(**changes)

        return component, update

    wiring.relabel.append((engine, lambda lg: gr.update(label=t(label_key, lg),
                                                        choices=engine_choices(page.offers, offered, lg))))
    wiring.relabel += [relabel_field(name, c) for name, c in components.items()]
    for name, uses in fields.items():
        if any(o.city for _, o in uses):
            wiring.from_city.append((components[name], _city_filler(modality, uses)))
    wiring.engines[modality] = engine
    engine.change(tab.show, [engine, page.lang_box, *components.values()], list(components.values()), queue=False,
                  show_progress="hidden", api_visibility="private")
    return tab


def _city_filler(modality: str, uses: list[tuple[Engine, Option]]):
    """Set a field from a city, when the engine chosen in its tab takes the city's value (else leave it)."""
    def fill(city, chosen: dict[str, str]) -> Any:
        option = next((o for e, o in uses if e.name == chosen.get(modality)), None)
        option = option or next(o for _, o in uses if o.city)
        if not option.city:
            return gr.update()
        value = getattr(city, option.city)
        if option.kind == "choice" and value not in option.names():
            return gr.update()
        return value

    return fill


def _make(tab: _Tab, page: Page, draw_kind: str):
    """The tab's "make" event: the piece, its files and its seed, and the piece for the drawing event."""
    def make(*values, **given):
        bound = make.__signature__.bind(*values, **given)
        bound.apply_defaults()
        named = dict(bound.arguments)
        lang = named.get("lang") or DEFAULT_LANG

        def work():
            engine, options = tab.options(named["engine"], named)
            result, extra, paths = make_piece(engine, options, seed_value(named.get("seed")), page.folders)
            return str(paths[0]), [str(p) for p in paths], str(result.seed), page.handoff.put((result, extra))

        return call(lang, work)

    defaults = {"engine": tab.offered[0], "seed": "", "lang": DEFAULT_LANG}
    for name, component in tab.components.items():
        defaults[name] = component.value
    make.__name__ = f"make_{draw_kind}"
    return _with_signature(make, tab.names(), defaults)


# --------------------------------------------------------------------------------------------------------------------
# The three tabs


def _music_tab(page: Page) -> Wiring:
    from ..music import analysis

    lang, wiring = page.lang, Wiring()
    with gr.Tab(t("tab.music", lang)) as tab_box:
        with gr.Row():
            with gr.Column(scale=2):
                tab = _build_tab(page, "music", wiring)
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

    def draw_music(made, lang=DEFAULT_LANG):
        piece = page.handoff.take(made)
        if piece is None:  # dropped while the queue was long: the piece is shown, its drawings are not
            return [gr.skip()] * 4

        def work():
            result = piece[0]
            roll_picture = None
            if result.score is not None:
                roll_picture = analysis.piano_roll_image(result, width=ROLL_PX[0], height=ROLL_PX[1], lang=lang).image
            measured = analysis.analyse(result, max_seconds=600)
            picture = analysis.spectrogram_image(result, analysis=measured, width=SPECTROGRAM_PX[0],
                                                 height=SPECTROGRAM_PX[1], lang=lang, max_seconds=600).image
            return gr.update(visible=roll_picture is not None), roll_picture, picture, measured.summary(lang)

        return call(lang, work)

    def analyse_sound(sound, lang=DEFAULT_LANG):
        def work():
            if not sound:
                raise kit_error("analyse.empty")
            measured = analysis.analyse(sound)  # bounded: at most 20 MB and 60 s, checked before decoding
            picture = analysis.spectrogram_image(sound, analysis=measured, width=SPECTROGRAM_PX[0],
                                                 height=SPECTROGRAM_PX[1], lang=lang).image
            return measured.summary(lang), picture

        return call(lang, work)

    go.click(_make(tab, page, "music"), tab.inputs(seed, page.lang_box), [audio, files, used, made],
             api_name="music", **QUEUE).success(
        draw_music, [made, page.lang_box], [roll_box, roll, spectrogram, summary], api_visibility="private", **QUEUE)
    gr.on([sound.upload, sound.stop_recording], analyse_sound, [sound, page.lang_box], [heard, heard_picture],
          api_name="analyse", **QUEUE)
    wiring.relabel += [
        _words(tab_box, "tab.music"),
        _words(go, "music.button", "value"),
        _words(audio, "music.audio"),
        _words(summary, "music.summary", rtl=True),
        _words(files, "music.files"),
        _words(upload_box, "analyse.title"),
        _words(sound, "analyse.input"),
        _words(heard, "music.summary", rtl=True),
    ]
    return wiring


def _picture_notes(result: Any, lang: str) -> str:
    """What the visitor should know about a picture: a withheld picture said in ``lang``, other notes as they are."""
    notes = list(result.notes)
    withheld = [note for note in notes if "withheld" in note]
    others = [note for note in notes if note not in withheld]
    return "\n".join(([t("image.withheld", lang)] if withheld else []) + others)


def _image_tab(page: Page) -> Wiring:
    lang, wiring = page.lang, Wiring()
    with gr.Tab(t("tab.image", lang)) as tab_box:
        with gr.Row():
            with gr.Column(scale=2):
                tab = _build_tab(page, "image", wiring)
                seed, used = _seed_fields(lang, wiring)
                go = gr.Button(t("image.button", lang), variant="primary", elem_classes="wk-go")
            with gr.Column(scale=3):
                picture = gr.Image(label=t("image.output", lang), type="filepath", format="png", interactive=False,
                                   height=400, buttons=["download", "fullscreen"])
                notes = gr.Textbox(label=t("image.notes", lang), interactive=False, visible=False, rtl=is_rtl(lang))
                strip_box, strip = _figure("image.filmstrip", lang, 150, wiring, visible=False)
                files = gr.File(label=t("image.files", lang), file_count="multiple", interactive=False)
        made = _made_state()

    def draw_image(made, lang=DEFAULT_LANG):
        piece = page.handoff.take(made)
        if piece is None:
            return [gr.skip()] * 3

        def work():
            from ..image.motif_diffusion import filmstrip

            result, steps = piece
            film = filmstrip(steps, count=min(FILMSTRIP_FRAMES, len(steps))) if steps else None
            words = _picture_notes(result, lang)
            return gr.update(value=words, visible=bool(words)), gr.update(visible=film is not None), film

        return call(lang, work)

    go.click(_make(tab, page, "image"), tab.inputs(seed, page.lang_box), [picture, files, used, made],
             api_name="image", **QUEUE).success(
        draw_image, [made, page.lang_box], [notes, strip_box, strip], api_visibility="private", **QUEUE)
    wiring.relabel += [
        _words(tab_box, "tab.image"),
        _words(go, "image.button", "value"),
        _words(picture, "image.output"),
        _words(notes, "image.notes", rtl=True),
        _words(files, "image.files"),
    ]
    return wiring


def verdict(report: Any, lang: str) -> str:
    """The printability verdict in ``lang``."""
    return report.verdict(lang)


def _mesh_tab(page: Page) -> Wiring:
    lang, wiring = page.lang, Wiring()
    with gr.Tab(t("tab.mesh", lang)) as tab_box:
        with gr.Row():
            with gr.Column(scale=2):
                tab = _build_tab(page, "mesh", wiring)
                seed, used = _seed_fields(lang, wiring)
                go = gr.Button(t("mesh.button", lang), variant="primary", elem_classes="wk-go")
            with gr.Column(scale=3):
                view = gr.Model3D(label=t("mesh.output", lang), clear_color=(0.96, 0.94, 0.90, 1.0), height=380,
                                  interactive=False)
                with gr.Row():
                    preview = gr.Image(label=t("mesh.preview", lang), type="numpy", format="png",
                                       interactive=False, height=220, buttons=["fullscreen"], scale=1)
                    said = gr.Textbox(label=t("mesh.verdict", lang), interactive=False, lines=4, scale=2,
                                      rtl=is_rtl(lang))
                files = gr.File(label=t("mesh.files", lang), file_count="multiple", interactive=False)
        made = _made_state()

    def draw_mesh(made, lang=DEFAULT_LANG):
        piece = page.handoff.take(made)
        if piece is None:
            return [gr.skip()] * 2

        def work():
            result = piece[0]
            return result.preview(size=PREVIEW_PX).image, verdict(result.printability, lang)

        return call(lang, work)

    go.click(_make(tab, page, "mesh"), tab.inputs(seed, page.lang_box), [view, files, used, made],
             api_name="mesh", **QUEUE).success(
        draw_mesh, [made, page.lang_box], [preview, said], api_visibility="private", **QUEUE)
    wiring.relabel += [
        _words(tab_box, "tab.mesh"),
        _words(go, "mesh.button", "value"),
        _words(view, "mesh.output"),
        _words(preview, "mesh.preview"),
        _words(said, "mesh.verdict", rtl=True),
        _words(files, "mesh.files"),
    ]
    return wiring


def studio_tabs(page: Page) -> Wiring:
    """The three tabs of the studio page, inside a ``gr.Tabs`` of the caller's ``gr.Blocks``."""
    wiring = Wiring()
    with gr.Tabs():
        for build in (_music_tab, _image_tab, _mesh_tab):
            wiring.extend(build(page))
    return wiring
