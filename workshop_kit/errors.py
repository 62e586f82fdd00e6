"""One error hierarchy for the whole kit.

Every error carries its sentence as a key of :data:`workshop_kit.i18n.STRINGS` and its values, so that the CLI, the
notebooks and the booth can say it in French, English or Arabic: ``err.message(lang)`` is a complete sentence in
that language, ``str(err)`` the English one.

>>> from workshop_kit.i18n import Msg
>>> err = ParameterError("bars", 99, Msg("allowed.int_range", low=1, high=64))
>>> str(err)
'bars=99 is not allowed; allowed: a whole number from 1 to 64'
>>> err.message("fr")
"bars=99 n'est pas accepté ; valeurs possibles : un nombre entier de 1 à 64"
"""

from __future__ import annotations

from collections.abc import Iterable

from .i18n import Msg, Plain, recognise

__all__ = [
    "WorkshopKitError",
    "ParameterError",
    "DeviceError",
    "EngineUnavailableError",
    "MissingModelError",
    "OutputPathError",
]


class WorkshopKitError(Exception):
    """Base class of every error the kit raises on purpose.

    Parameters
    ----------
    message : Msg or str
        The sentence: a :class:`~workshop_kit.i18n.Msg` (a key of the wording table and its values), or, from a
        caller that words it itself, the English text — then ``message_fr`` and ``message_ar`` give the others
        (English where none is given).

    ``str(error)`` is the English wording; ``message(lang)`` the wording in ``lang`` (``"fr"``, ``"en"``, ``"ar"``);
    ``message_en``, ``message_fr`` and ``message_ar`` are the three.
    """

    def __init__(self, message: Msg | str, message_fr: str | None = None, message_ar: str | None = None):
        self.text = message if isinstance(message, Msg) else Plain(message, message_fr, message_ar)
        super().__init__(self.text.render("en"))

    def message(self, lang: str = "en") -> str:
        """The whole sentence in ``lang``; English for a language the kit does not speak."""
        return self.text.render(lang if lang in ("fr", "en", "ar") else "en")

    @property
    def message_en(self) -> str:
        return self.message("en")

    @property
    def message_fr(self) -> str:
        return self.message("fr")

    @property
    def message_ar(self) -> str:
        return self.message("ar")


class _Shown(str):
    """A long value cut for a message: its repr is the cut text itself, ending in an ellipsis."""

    def __repr__(self) -> str:
        return str(self)


def _short(value: object, limit: int = 160) -> object:
    """``value`` as a message shows it: a long text or repr is cut in its middle (a 100 kB value is not echoed
    back; the end of a long path, its file name, stays)."""
    text = repr(value)
    if len(text) <= limit:
        return value
    half = (limit - 1) // 2
    return _Shown(text[:half] + "…" + text[-half:])


def _piece(text: Msg | str | Iterable[object] | None, text_fr: str | None) -> Msg | Plain | list[str] | None:
    """A part of a parameter's sentence (what is allowed, or why not) as something that can be worded in any language.

    A :class:`Msg` is kept; English text is looked up in the wording table (:func:`~workshop_kit.i18n.recognise`),
    else kept as given (with its French, if any); a list of values is kept as a list (the values are names, the same
    in every language).
    """
    if text is None or isinstance(text, (Msg, Plain)):
        return text
    if isinstance(text, str):
        known = recognise(text)
        return known if known is not None else Plain(text, text_fr)
    return [str(a) for a in text]


class ParameterError(WorkshopKitError, ValueError):
    """A parameter has a value the kit cannot use. Also a ``ValueError``.

    Parameters
    ----------
    name : str
        The parameter.
    value : object
        Its value (shown with ``repr``).
    allowed : Msg, str or iterable
        What is allowed: a :class:`~workshop_kit.i18n.Msg` (``Msg("allowed.int_range", low=1, high=64)``), the
        allowed values themselves, or an English description (looked up in the wording table).
    reason : Msg or str, optional
        Why the value is refused, as ``allowed``.
    allowed_fr, reason_fr : str, optional
        French for an English ``allowed`` or ``reason`` that the wording table does not know.

    >>> raise ParameterError("palette", "pink", ["marrakech", "fes"])
    Traceback (most recent call last):
    ...
    workshop_kit.errors.ParameterError: palette='pink' is not allowed; allowed: marrakech, fes
    """

    def __init__(self, name: str, value: object, allowed: Msg | str | Iterable[object], reason: Msg | str | None = None,
                 *, allowed_fr: str | None = None, reason_fr: str | None = None):
        allowed_part = _piece(allowed, allowed_fr)
        reason_part = _piece(reason, reason_fr)
        setting = f"{name}={_short(value)!r}"  # a 100 kB value is not echoed back
        if reason_part is None:
            text = Msg("error.parameter", setting=setting, allowed=allowed_part)
        else:
            text = Msg("error.parameter.reason", setting=setting, allowed=allowed_part, reason=reason_part)
        super().__init__(text)
        self.name = name
        self.value = value
        self.allowed = Msg("list", items=allowed_part).render("en") if isinstance(allowed_part, list) \
            else str(allowed_part)
        self.reason = None if reason_part is None else str(reason_part)


class DeviceError(ParameterError):
    """The requested compute device does not exist on this machine."""


class OutputPathError(ParameterError):
    """An output path that cannot be written: missing or read-only folder, unknown extension."""


class EngineUnavailableError(WorkshopKitError):
    """An engine cannot run here: a package it needs is missing, or its files are."""


class MissingModelError(EngineUnavailableError):
    """A pretrained model's weights are neither in the local cache nor in an offline folder."""
