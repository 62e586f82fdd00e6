"""One error hierarchy for the whole kit.

Every message names the bad value and what is allowed, in English and French, so that the CLI, the notebooks and the
booth can show it as it is.
"""

from __future__ import annotations

from collections.abc import Iterable

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

    ``str(error)`` is the English wording; ``message_fr`` and ``message_ar`` hold the French and Arabic ones (English
    where none was given). ``message(lang)`` picks one.
    """

    def __init__(self, message: str, message_fr: str | None = None, message_ar: str | None = None):
        super().__init__(message)
        self.message_en = message
        self.message_fr = message_fr or message
        self.message_ar = message_ar or message

    def message(self, lang: str = "en") -> str:
        return {"fr": self.message_fr, "ar": self.message_ar}.get(lang, self.message_en)


class _Shown(str):
    """A long value cut for a message: its repr is the cut text itself, ending in an ellipsis."""

    def __repr__(self) -> str:
        return str(self)


def _short(value: object, limit: int = 60) -> object:
    """``value`` as a message shows it: a long text or repr is cut (a 100 kB value is not echoed back)."""
    text = repr(value)
    if len(text) <= limit:
        return value
    return _Shown(text[: limit - 1] + "…")


def _fmt_allowed(allowed: Iterable[object] | str) -> str:
    if isinstance(allowed, str):
        return allowed
    return ", ".join(str(a) for a in allowed)


class ParameterError(WorkshopKitError, ValueError):
    """A parameter has a value the kit cannot use. Also a ``ValueError``.

    >>> raise ParameterError("palette", "pink", ["marrakech", "fes"])
    Traceback (most recent call last):
    ...
    workshop_kit.errors.ParameterError: palette='pink' is not allowed; allowed: marrakech, fes
    """

    def __init__(self, name: str, value: object, allowed: Iterable[object] | str, reason: str | None = None, *,
                 allowed_fr: str | None = None, reason_fr: str | None = None):
        original, value = value, _short(value)
        allowed_text = _fmt_allowed(allowed)
        allowed_fr = allowed_fr or allowed_text
        reason_fr = reason_fr or reason
        en = f"{name}={value!r} is not allowed; allowed: {allowed_text}"
        fr = f"{name}={value!r} n'est pas accepté ; valeurs possibles : {allowed_fr}"
        ar = f"القيمة {name}={value!r} غير مقبولة؛ القيم الممكنة: {allowed_text}"
        if reason:
            en = f"{name}={value!r}: {reason}; allowed: {allowed_text}"
            fr = f"{name}={value!r} : {reason_fr} ; valeurs possibles : {allowed_fr}"
            ar = f"{name}={value!r}: {reason}؛ القيم الممكنة: {allowed_text}"
        super().__init__(en, fr, ar)
        self.name = name
        self.value = original
        self.allowed = allowed_text


class DeviceError(ParameterError):
    """The requested compute device does not exist on this machine."""


class OutputPathError(ParameterError):
    """An output path that cannot be written: missing or read-only folder, unknown extension."""


class EngineUnavailableError(WorkshopKitError):
    """An engine cannot run here: a package it needs is missing, or its files are."""


class MissingModelError(EngineUnavailableError):
    """A pretrained model's weights are neither in the local cache nor in an offline folder."""
