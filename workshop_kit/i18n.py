"""Every word a user sees, in French (the default), English and Arabic: one table, one lookup.

:data:`STRINGS` maps a key (``"tab.music"``, ``"error.parameter"``, ``"printability.thin_wall"`` …) to its wording
in each of :data:`LANGS`. The table is written by subject in :mod:`workshop_kit.words` (the booth, errors, reports,
figures) and gathered here; :func:`t` looks a key up. A wording may hold ``{fields}`` (``str.format`` syntax, with
format specs such as ``{seconds:.1f}``), filled by :func:`t`'s keywords or by a :class:`Msg`, a key and its values
kept together until the language is known — the way an error carries its sentence in every language.

The names of cities, palettes, scales, rhythms, styles and vessels come from the ``label`` dictionaries of the
package's own presets, read with :func:`label_of`.

In Arabic, a value that holds Latin letters or digits (a file name, ``seed=-1``, a list of option names) is set in a
left-to-right isolate (U+2066 … U+2069), so that it reads in order inside the right-to-left sentence; numbers keep the
digits 0–9, as they are written in Morocco, and units are written in Arabic (مم، ث).

>>> from workshop_kit.i18n import Msg, t
>>> t("tab.music", "fr"), t("tab.music", "en")
('Musique', 'Music')
>>> Msg("allowed.int_range", low=1, high=16).render("fr")
'un nombre entier de 1 à 16'
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from .words.booth import BOOTH
from .words.classroom import CLASSROOM
from .words.common import COMMON
from .words.errors import ERRORS
from .words.figures import FIGURES
from .words.reports import REPORTS

__all__ = [
    "LANGS", "DEFAULT_LANG", "LANG_NAMES", "RTL_LANGS", "STRINGS", "Msg", "Plain",
    "check_lang", "is_rtl", "label_of", "option_label", "recognise", "t", "text_of",
]

LANGS: tuple[str, ...] = ("fr", "en", "ar")
"""Languages of the interface, the default first."""

DEFAULT_LANG = "fr"

LANG_NAMES: dict[str, str] = {"fr": "Français", "en": "English", "ar": "العربية"}
"""Each language named in itself, for the language switch."""

RTL_LANGS: frozenset[str] = frozenset({"ar"})


def _gather(*tables: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for table in tables:
        for key, entry in table.items():
            if key in out:
                raise ValueError(f"the wording key {key!r} is written twice")
            out[key] = dict(entry)
    return out


STRINGS: dict[str, dict[str, str]] = _gather(COMMON, BOOTH, CLASSROOM, ERRORS, REPORTS, FIGURES)
"""Every key with its wording in each language (see :mod:`workshop_kit.words`)."""


def check_lang(lang: str) -> str:
    """Return ``lang`` as one of :data:`LANGS`.

    Parameters
    ----------
    lang : str
        A language code, case-insensitive.

    Returns
    -------
    str
        The code as written in :data:`LANGS`.

    Raises
    ------
    workshop_kit.errors.ParameterError
        If ``lang`` is not one of :data:`LANGS`.
    """
    if lang in LANGS:
        return lang
    from .validation import check_choice

    return check_choice("lang", lang, LANGS)


def is_rtl(lang: str) -> bool:
    """Whether ``lang`` is written right to left."""
    return check_lang(lang) in RTL_LANGS


def text_of(key: str, lang: str = DEFAULT_LANG) -> str:
    """The raw wording of ``key`` in ``lang`` (its ``{fields}`` unfilled); French when ``lang`` has none."""
    entry = STRINGS[key]
    return entry.get(check_lang(lang)) or entry[DEFAULT_LANG]


def t(key: str, lang: str = DEFAULT_LANG, /, **values: Any) -> str:
    """Return the wording of ``key`` in ``lang``, its fields filled with ``values``.

    Parameters
    ----------
    key : str
        A key of :data:`STRINGS`, such as ``"tab.music"``.
    lang : str, default "fr"
        One of :data:`LANGS`.
    **values
        The values of the wording's ``{fields}``: numbers, text, lists (joined as a list is in ``lang``) or
        :class:`Msg` (worded in ``lang`` too). Without values the wording is returned as it is written.

    Returns
    -------
    str
        The wording; French when the key has no wording in ``lang``.

    Raises
    ------
    KeyError
        If ``key`` is not in :data:`STRINGS`, or a field has no value.
    workshop_kit.errors.ParameterError
        If ``lang`` is not one of :data:`LANGS`.

    Examples
    --------
    >>> t("tab.image", "ar")
    'صورة'
    >>> t("mesh.estimate", "en", n=40)
    'about 40 s per object'
    """
    if not values:
        return text_of(key, lang)
    return Msg(key, **values).render(lang)


# ------------------------------------------------------------------------------------------------ messages


_LTR = re.compile(r"[0-9A-Za-z\u00C0-\u024F]")
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
LRI, PDI = "\u2066", "\u2069"


def _isolate(text: str, lang: str) -> str:
    """``text`` set left to right inside a right-to-left sentence, when it holds Latin letters or digits."""
    if lang in RTL_LANGS and _LTR.search(text) and not _ARABIC.search(text):
        return f"{LRI}{text}{PDI}"
    return text


class _Formatter(string.Formatter):
    """``str.format`` whose fields are worded in one language: :class:`Msg` rendered, lists joined, Latin isolated."""

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Msg):
            return value.render(self.lang)
        if isinstance(value, Plain):
            return _isolate(value.render(self.lang), self.lang)
        if isinstance(value, (list, tuple)):  # "{items:;}" joins with semicolons
            sep = text_of("list.sep.strong" if format_spec == ";" else "list.sep", self.lang)
            items = [v.render(self.lang) if isinstance(v, (Msg, Plain)) else _isolate(str(v), self.lang)
                     for v in value]
            return sep.join(items)
        return _isolate(_format_value(value, format_spec, self.lang), self.lang)


def _format_value(value: Any, spec: str, lang: str) -> str:
    """``format(value, spec)``; a number given as text (a recognised wording's field) is read back as a number first.

    French groups thousands with a narrow no-break space where the spec asks for groups (``{n:,}``).
    """
    if isinstance(value, str) and spec:
        for cast in (int, float):
            try:
                value = cast(value)
                break
            except ValueError:
                continue
        else:
            return value
    text = format(value, spec)
    return text.replace(",", "\u202f") if lang == "fr" and "," in spec else text


class Msg:
    """A key of :data:`STRINGS` with the values of its fields: a sentence that can be said in every language.

    ``str(msg)`` is the English wording; ``msg.render(lang)`` the wording in ``lang``. Values may be numbers,
    text, lists, or other :class:`Msg` (rendered in the same language).

    Parameters
    ----------
    key : str
        A key of :data:`STRINGS`.
    **values
        The values of its fields.

    Raises
    ------
    KeyError
        If ``key`` is not in :data:`STRINGS`.

    Examples
    --------
    >>> m = Msg("reason.file_empty")
    >>> str(m), m.render("fr")
    ('the file is empty', 'le fichier est vide')
    """

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values: Any):
        if key not in STRINGS:
            raise KeyError(f"no wording for {key!r} in workshop_kit.i18n.STRINGS")
        self.key = key
        self.values = values

    def render(self, lang: str = DEFAULT_LANG) -> str:
        """The wording in ``lang`` (one of :data:`LANGS`)."""
        lang = check_lang(lang)
        return _Formatter(lang).vformat(text_of(self.key, lang), (), self.values)

    def __str__(self) -> str:
        return self.render("en")

    def __repr__(self) -> str:
        values = "".join(f", {k}={v!r}" for k, v in self.values.items())
        return f"Msg({self.key!r}{values})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.key, self.values) == (other.key, other.values)

    def __hash__(self) -> int:
        return hash(self.key)


class Plain:
    """Text given as it is, per language, for callers that word it themselves: English, else French for ``"fr"``.

    Arabic falls back to the English text (a caller that gives no Arabic has not worded it); prefer a :class:`Msg`.
    """

    __slots__ = ("by_lang",)

    def __init__(self, en: str, fr: str | None = None, ar: str | None = None):
        self.by_lang = {"en": en, "fr": fr or en, "ar": ar or en}

    def render(self, lang: str = DEFAULT_LANG) -> str:
        return self.by_lang.get(lang, self.by_lang["en"])

    def __str__(self) -> str:
        return self.by_lang["en"]

    def __repr__(self) -> str:
        return f"Plain({self.by_lang['en']!r})"


_RECOGNISED_PREFIXES = ("allowed.", "reason.", "word.")
_patterns: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = []


def _compile_patterns() -> list[tuple[re.Pattern[str], str, tuple[str, ...]]]:
    if not _patterns:
        found = []
        for key, entry in STRINGS.items():
            if not key.startswith(_RECOGNISED_PREFIXES):
                continue
            english = entry["en"]
            pattern, fields, literal = "", [], 0
            for text, field, _spec, _conv in string.Formatter().parse(english):
                pattern += re.escape(text)
                literal += len(text)
                if field is not None:
                    group = f"f{len(fields)}"
                    pattern += f"(?P<{group}>.+?)"
                    fields.append(field)
            found.append((literal, re.compile(f"^{pattern}$", re.DOTALL), key, tuple(fields)))
        found.sort(key=lambda item: -item[0])  # the most specific wording first
        _patterns.extend((p, k, f) for _, p, k, f in found)
    return _patterns


def recognise(text: str, depth: int = 2) -> Msg | None:
    """The :class:`Msg` whose English wording is ``text``, for callers that pass a reason or allowed values in English.

    Only the ``allowed.*``, ``reason.*`` and ``word.*`` keys are looked at; a field whose text is itself such a
    wording is recognised in turn (``"1..16 or none"``). Returns ``None`` when no wording matches: the text is then
    shown as it was given.

    Examples
    --------
    >>> recognise("not a multiple of 8").render("fr")
    'pas un multiple de 8'
    """
    if not isinstance(text, str) or not text:
        return None
    for pattern, key, fields in _compile_patterns():
        match = pattern.match(text)
        if match is None:
            continue
        values: dict[str, Any] = {}
        for i, field in enumerate(fields):
            captured = match.group(f"f{i}")
            inner = recognise(captured, depth - 1) if depth > 0 else None
            if field in values and values[field] != captured:
                break  # a field that appears twice must read the same both times
            values[field] = inner if inner is not None else captured
        else:
            return Msg(key, **values)
    return None


# ------------------------------------------------------------------------------------------------ labels


def label_of(item: object, lang: str = DEFAULT_LANG, default: str | None = None) -> str:
    """Return the label of a preset, palette, scale, rhythm, style or vessel in ``lang``.

    Parameters
    ----------
    item : object
        An object with a ``label`` attribute, a mapping with a ``"label"`` key, or the label mapping itself
        (language code to text).
    lang : str, default "fr"
        One of :data:`LANGS`.
    default : str, optional
        What to return when ``item`` carries no label.

    Returns
    -------
    str
        The label in ``lang``, else in French, else in English, else ``default`` (or ``str(item)``).

    Examples
    --------
    >>> label_of({"fr": "Fès", "en": "Fes", "ar": "فاس"}, "ar")
    'فاس'
    """
    lang = check_lang(lang)
    labels = getattr(item, "label", None)
    if labels is None and isinstance(item, Mapping):
        labels = item.get("label", item)
    if isinstance(labels, str):
        return labels
    if isinstance(labels, Mapping):
        for code in (lang, DEFAULT_LANG, "en"):
            text = labels.get(code)
            if isinstance(text, str) and text:
                return text
    return default if default is not None else str(item)


def option_label(kind: str, name: str, item: object = None, lang: str = DEFAULT_LANG) -> str:
    """Return the name of an engine option as the interface shows it.

    Parameters
    ----------
    kind : str
        The kind of option: ``"style"``, ``"scale"``, ``"rhythm"``, ``"vessel"``, ``"palette"``, ``"city"`` …
    name : str
        The option's value, such as ``"bayati"``.
    item : object, optional
        The engine's own description of the option; its ``label`` is used when :data:`STRINGS` has no
        ``"<kind>.<name>"`` entry.
    lang : str, default "fr"
        One of :data:`LANGS`.

    Returns
    -------
    str
        The wording from :data:`STRINGS`, else the engine's label, else ``name`` itself.

    Examples
    --------
    >>> option_label("style", "rosette", lang="en")
    'Zellige rosette'
    >>> option_label("vessel", "jar", {"label": {"fr": "Jarre", "en": "Jar"}}, lang="fr")
    'Jarre'
    """
    key = f"{kind}.{name}"
    if key in STRINGS:
        return t(key, lang)
    if item is None:
        check_lang(lang)
        return name
    return label_of(item, lang, default=name)
