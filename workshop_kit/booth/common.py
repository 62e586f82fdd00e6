"""What every page of the booth shares: its folders, what this machine offers, calling the kit, saving a piece.

Nothing here builds a page; :mod:`workshop_kit.booth.studio` and the page wrapper in :mod:`workshop_kit.booth.app`
do. Engines, their options and their labels are read from :data:`workshop_kit.registry.ENGINES`.
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
from ..i18n import DEFAULT_LANG, LANGS, STRINGS, label_of, option_label, t
from ..registry import ENGINES, MODALITIES, Engine, Option
from ..runtime import BOOTH_MAX_SECONDS
from .allocator import TRIMMER

logger = logging.getLogger("workshop_kit.booth")

SLOW_MAX_SECONDS = 120.0
"""A 3D engine that says how long it takes (Shap-E on a CPU) is offered only where one piece takes at most this long."""

NONE = "none"
"""The value of the "none" choice of an optional field (no embossed band, a palette drawn from the seed)."""


# --------------------------------------------------------------------------------------------------------------------
# Files: one folder per call, old folders removed


class CallFolders:
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


class Handoff:
    """Pieces handed from the event that makes them to the event that draws their pictures, held here and bounded.

    A page's state would keep each visitor session's last piece (a mesh, a sound, their caches: megabytes) for as
    long as the state lives, whether or not a browser ever asks for the drawing (a client of the API never does).
    The make event stores the piece here and puts only its token in the page's state; the draw event takes it out.
    At most ``size`` pieces wait at once, the oldest dropped first: the memory is bounded whatever the sessions do.

    >>> box = Handoff(size=2)
    >>> first = box.put("a"); second = box.put("b"); third = box.put("c")
    >>> box.take(first) is None, box.take(third), box.take(third) is None, len(box)
    (True, 'c', True, 1)
    """

    def __init__(self, size: int = 16):
        import collections
        import threading

        self.size = size
        self._items: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    def put(self, piece: Any) -> str:
        import secrets

        token = secrets.token_hex(8)
        with self._lock:
            self._items[token] = piece
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return token

    def take(self, token: Any) -> Any:
        """The piece of ``token``, removed from here; ``None`` when it was already taken or dropped."""
        if not isinstance(token, str):
            return None
        with self._lock:
            return self._items.pop(token, None)

    def __len__(self) -> int:
        return len(self._items)


# --------------------------------------------------------------------------------------------------------------------
# What this machine offers


@dataclass(frozen=True)
class Offers:
    """The engines the booth offers on this machine, per modality, and the pretrained models the kit knows."""

    engines: dict[str, tuple[str, ...]]
    models: dict[str, dict] = field(default_factory=dict)  # rows of pretrained.status(), by model key
    seconds: dict[str, float] = field(default_factory=dict)  # expected seconds per piece of a slow engine

    def of(self, modality: str) -> tuple[str, ...]:
        return self.engines.get(modality, ())

    @property
    def music(self) -> tuple[str, ...]:
        return self.of("music")

    @property
    def image(self) -> tuple[str, ...]:
        return self.of("image")

    @property
    def mesh(self) -> tuple[str, ...]:
        return self.of("mesh")

    def licence(self, engine: str, lang: str) -> str:
        """The licence of the pretrained model behind ``engine``, in words; empty for an embedded engine."""
        models = ENGINES[engine].models if engine in ENGINES else ()
        row = self.models.get(models[0]) if models and ENGINES[engine].tier == "pretrained" else None
        if row is None:
            return ""
        return row["licence"] if row["commercial_use"] else f"{t('licence.non_commercial', lang)} — {row['licence']}"


def find_offers() -> Offers:
    """Look once, when the page is built, at which engines can run here (no model is loaded).

    An embedded engine is offered when its models are in place; a pretrained one when its weights are found
    (SD-Turbo also needs its safety checker, which the booth always turns on); an engine that says how slow it is
    only where one piece takes at most :data:`SLOW_MAX_SECONDS` (3D) or :data:`BOOTH_MAX_SECONDS` (a picture, a
    piece of music: SD-Turbo and MusicGen measure it here once, and the measurement is kept).
    """
    from .. import pretrained

    models = {row["key"]: row for row in pretrained.status()}
    offered: dict[str, list[str]] = {m: [] for m in MODALITIES}
    seconds: dict[str, float] = {}
    for engine in ENGINES.values():
        if not engine.booth:
            continue
        if engine.tier == "pretrained":
            ready = all(models.get(key, {}).get("found") for key in engine.models)
        else:
            ready = bool(engine.ready())
        if not ready:
            continue
        if engine.estimate is not None:
            try:
                seconds[engine.name] = engine.estimate_seconds("auto")
            except Exception:  # noqa: BLE001 - an engine that cannot say how slow it is is not offered
                logger.exception("booth: no estimate for %s", engine.name)
                continue
            if seconds[engine.name] > (SLOW_MAX_SECONDS if engine.modality == "mesh" else BOOTH_MAX_SECONDS):
                continue
        offered[engine.modality].append(engine.name)
    return Offers(engines={m: tuple(names) for m, names in offered.items()}, models=models, seconds=seconds)


# --------------------------------------------------------------------------------------------------------------------
# Words


def lang_or_default(lang: object) -> str:
    return lang if lang in LANGS else DEFAULT_LANG


def field_label(modality: str, name: str, lang: str, part: str = "") -> str:
    """The label of a page field (``part="info"`` for its hint): ``field.<modality>.<name>``, else ``field.<name>``."""
    suffix = f".{part}" if part else ""
    for key in (f"field.{modality}.{name}{suffix}", f"field.{name}{suffix}"):
        if key in STRINGS:
            return t(key, lang)
    return ""


def option_choices(option: Option, lang: str, *, field_name: str | None = None) -> list[tuple[str, str]]:
    """A choice option's values as (label in ``lang``, value), with "none" first when the option is optional."""
    from ..registry import Choices

    kind = option.choices.kind if isinstance(option.choices, Choices) else option.name
    items = option.choices.items() if isinstance(option.choices, Choices) else dict.fromkeys(option.names())
    out = [(option_label(kind, name, item, lang), name) for name, item in items.items()]
    if option.optional:
        key = f"field.{field_name or option.name}.none"
        out.insert(0, (t(key if key in STRINGS else "choice.none", lang), NONE))
    return out


def engine_choices(offers: Offers, engines: tuple[str, ...], lang: str) -> list[tuple[str, str]]:
    """Engines by name in ``lang``; a pretrained one with its licence, a slow one with its expected time."""
    out = []
    for name in engines:
        text = t(f"engine.{name}", lang)
        if name in offers.seconds:
            modality, seconds = ENGINES[name].modality, offers.seconds[name]
            key = f"{modality}.estimate" if f"{modality}.estimate" in STRINGS else "mesh.estimate"
            text += f" · {t(key, lang).format(n=round(seconds) if seconds >= 10 else f'{seconds:.1f}')}"
        licence = offers.licence(name, lang)
        out.append((f"{text} · {licence}" if licence else text, name))
    return out


def city_choices(lang: str) -> list[tuple[str, str]]:
    """Cities in ``lang``, with their Tamazight name in Tifinagh where the preset has one."""
    from ..presets import CITIES

    out = []
    for name, city in CITIES.items():
        text = label_of(city, lang, default=name)
        tzm = city.label.get("tzm")
        out.append((f"{text} · {tzm}" if tzm else text, name))
    return out


# --------------------------------------------------------------------------------------------------------------------
# Calling the kit


def seed_value(text: object) -> Any:
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


def call(lang: str, work: Callable[[], Any]) -> Any:
    """Run ``work`` and turn a failure into a ``gr.Error`` in ``lang``, so the page stays up; then let the
    allocator's trimmer (:data:`workshop_kit.booth.allocator.TRIMMER`) give the freed memory back."""
    lang = lang_or_default(lang)
    try:
        return work()
    except WorkshopKitError as err:
        logger.info("booth: refused (%s): %s", type(err).__name__, str(err)[:200])
        raise gr.Error(err.message(lang), title=t("error.title", lang), print_exception=False) from err
    except gr.Error as err:  # raised by Gradio itself: its words, under a title in the visitor's language
        raise gr.Error(err.message, title=t("error.title.unexpected", lang), print_exception=False) from err
    except Exception as err:
        logger.exception("booth: a call failed")
        raise gr.Error(t("error.unexpected", lang), title=t("error.title.unexpected", lang),
                       print_exception=False) from err
    finally:
        TRIMMER.made()  # the piece's arrays are freed: give their pages back soon


def kit_error(key: str) -> WorkshopKitError:
    """An error of the booth itself, worded in the three languages by :data:`workshop_kit.i18n.STRINGS`."""
    return WorkshopKitError(t(key, "en"), t(key, "fr"), t(key, "ar"))


def make_piece(engine: Engine, options: dict[str, Any], seed: Any, folders: CallFolders):
    """Make a piece with ``engine`` and save its files in a new folder of ``folders``.

    Returns ``(result, extra, paths)``: the result, what the engine gave beside it (the denoising steps of
    motif-diffusion, else ``None``) and the files written — the modality's main format first, then its extra
    formats (MIDI only where the engine wrote a score).
    """
    made = engine.generate(seed=seed, **options)
    result, extra = made if isinstance(made, tuple) else (made, None)
    info = MODALITIES[engine.modality]
    folder = folders.new(engine.modality)
    stem = f"{engine.stem_for(options)}-seed{result.seed}"
    formats = [Path(info.default_out).suffix, *(f".{ext}" for ext in engine.extra_formats())]
    paths = []
    for suffix in formats:
        if suffix in (".mid", ".midi") and getattr(result, "score", None) is None:
            continue
        paths.append(result.save(folder / f"{stem}{suffix}"))
    return result, extra, paths
