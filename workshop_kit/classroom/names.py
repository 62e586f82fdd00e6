"""Participants' names: what a person types at the door, and the safe account name the room keeps for them.

A name is shown as typed (Arabic, accents and Tifinagh welcome) but never used as a path: each participant's folder,
hub account and (in the isolated mode) system user are named by :func:`account_of`, a short ASCII slug followed by
a digest of the name, so that two different names never share a folder and a name cannot point anywhere else.
The same name typed again (other case, extra spaces) is the same participant: that is how a participant reconnects.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from ..errors import ParameterError

MAX_NAME_CHARS = 40
"""Longest name accepted, in characters (after spaces are tidied)."""

SYSTEM_PREFIX = "wk-"
"""System users of the isolated mode are ``wk-<account>``: the room only ever creates or removes such users."""

_PUNCTUATION = set(" -'’.")
_ALLOWED_EN = "letters (any alphabet), digits, spaces and - ' ."
_ALLOWED_FR = "des lettres (tout alphabet), des chiffres, des espaces et - ' ."


def _refuse(value: object, reason_en: str, reason_fr: str) -> ParameterError:
    shown = value if not isinstance(value, str) or len(value) <= 24 else value[:24] + "…"
    return ParameterError("name", shown, f"{MAX_NAME_CHARS} characters at most: {_ALLOWED_EN}", reason=reason_en,
                          reason_fr=reason_fr, allowed_fr=f"{MAX_NAME_CHARS} caractères au plus : {_ALLOWED_FR}")


def check_name(value: object) -> str:
    """The participant's name as it will be shown: Unicode NFC, spaces tidied.

    Raises :class:`~workshop_kit.errors.ParameterError` for an empty or overlong name, for control and direction
    characters (the invisible marks that turn text around) and for anything but letters, digits, spaces and
    ``- ' .`` — so no name can hold a path (``../``, ``/``, ``\\``) or hide what it says.
    """
    if not isinstance(value, str):
        raise _refuse(value, "the name is not a text", "le nom n'est pas un texte")
    if len(value) > 4 * MAX_NAME_CHARS:  # refuse a 10 kB paste before looking at every character
        raise _refuse(value, f"the name has {len(value)} characters", f"le nom a {len(value)} caractères")
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if not text:
        raise _refuse(value, "the name is empty", "le nom est vide")
    if len(text) > MAX_NAME_CHARS:
        raise _refuse(value, f"the name has {len(text)} characters", f"le nom a {len(text)} caractères")
    for ch in text:
        kind = unicodedata.category(ch)
        if kind[0] in "LMN" or ch in _PUNCTUATION:
            continue
        code = f"U+{ord(ch):04X}"
        what = unicodedata.name(ch, "").lower() or "unnamed character"
        raise _refuse(value, f"it holds {code} ({what}), which a name may not hold",
                      f"il contient {code} ({what}), qu'un nom ne peut pas contenir")
    if text[0] in _PUNCTUATION or not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise _refuse(value, "a name starts with a letter or a digit", "un nom commence par une lettre ou un chiffre")
    return text


def account_of(name: str) -> str:
    """The account of a (checked) name: ``sara-b-3f2a91c0`` — lowercase ASCII, at most 25 characters.

    The slug keeps what ASCII can say of the name (empty for an Arabic name: ``p-…``); the digest of the case-folded
    name tells apart names that read the same in ASCII (« Hélène » and « Helene »).
    """
    name = check_name(name)
    digest = hashlib.sha256(name.casefold().encode("utf-8")).hexdigest()[:8]
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:16].strip("-")
    return f"{slug or 'p'}-{digest}"


def is_account(text: object) -> bool:
    """Whether ``text`` has the shape :func:`account_of` gives (the hub checks every name it is handed)."""
    return isinstance(text, str) and re.fullmatch(r"[a-z0-9][a-z0-9-]{0,15}-[0-9a-f]{8}", text) is not None
