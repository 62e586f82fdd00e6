"""Checks made at the door, before any work is done."""

from __future__ import annotations

import numbers
import secrets
import unicodedata
from collections.abc import Iterable

from .errors import ParameterError
from .i18n import Msg

MAX_SEED = 2**32 - 1


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed`` (case-insensitive), else raise ``ParameterError``."""
    allowed = list(allowed)
    if isinstance(value, str):
        key = value.strip().lower()
        for a in allowed:
            if a.lower() == key:
                return a
    raise ParameterError(name, value, allowed)


def check_int(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` as an int if it is a whole number in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ParameterError(name, value, Msg("allowed.int_range", low=low, high=high))
    value = int(value)
    if not low <= value <= high:
        raise ParameterError(name, value, Msg("allowed.int_range", low=low, high=high))
    return value


def check_float(name: str, value: object, low: float, high: float) -> float:
    """Return ``value`` as a float if it is a finite number in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(name, value, Msg("allowed.float_range", low=low, high=high))
    value = float(value)
    if not (low <= value <= high):  # also rejects NaN
        raise ParameterError(name, value, Msg("allowed.float_range", low=low, high=high))
    return value


def resolve_seed(seed: int | None) -> int:
    """Return the seed to use: ``seed`` itself (0 included), or a fresh random one when ``seed`` is None."""
    if seed is None:
        return secrets.randbits(32)
    return check_int("seed", seed, 0, MAX_SEED)


MAX_PROMPT_CHARS = 1000
_INVISIBLE = {"Cf", "Cc", "Zs", "Zl", "Zp"}  # zero-width and other characters that make a prompt look non-empty


def check_prompt(prompt: object, max_chars: int = MAX_PROMPT_CHARS) -> str:
    """Return ``prompt`` stripped, or raise ``ParameterError`` for an empty, invisible-only or overlong prompt."""
    if not isinstance(prompt, str):
        raise ParameterError("prompt", prompt, Msg("allowed.text_chars", n=max_chars))
    text = prompt.strip()
    if not text or all(unicodedata.category(ch) in _INVISIBLE for ch in text):
        raise ParameterError("prompt", prompt[:40], Msg("allowed.text_visible", n=max_chars),
                             reason=Msg("reason.prompt_empty"))
    if len(text) > max_chars:
        raise ParameterError("prompt", text[:40] + "…", Msg("allowed.at_most_chars", n=max_chars),
                             reason=Msg("reason.prompt_long", n=len(text)))
    return text
