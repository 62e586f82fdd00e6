"""Words drawn into the kit's pictures, in any of its languages, the same on every machine.

The figures (piano roll, spectrogram, chroma) draw their labels with :func:`draw_text`. Two fonts ship with the
package (``workshop_kit/fonts/``, SIL Open Font License): Noto Sans for Latin letters with their accents and for
digits, Noto Sans Arabic for Arabic. Arabic is shaped (each letter in its joined form, lam-alef ligatures) by
``arabic-reshaper`` and put in right-to-left order by ``python-bidi`` before it is drawn, then drawn with Pillow's
basic layout: the result does not depend on whether this Pillow was built with libraqm, which Windows and macOS
wheels lack. A label mixing scripts (``دو4``) is drawn run by run, each run with the font that has its letters, on
one baseline.
"""

from __future__ import annotations

import functools
import io
import re
from importlib import resources
from pathlib import Path

__all__ = ["FONT_FILES", "draw_text", "font_path", "text_width", "visual_order"]

FONT_FILES = {"latin": "NotoSans-Regular.ttf", "arabic": "NotoSansArabic-Regular.ttf"}
"""The shipped fonts, by script, in ``workshop_kit/fonts/``."""

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def font_path(script: str):
    """The shipped font for ``script`` (``"latin"`` or ``"arabic"``): a ``Path`` for a package installed as files."""
    return resources.files("workshop_kit").joinpath("fonts", FONT_FILES[script])


@functools.lru_cache(maxsize=32)
def _font(script: str, size: int):
    from PIL import ImageFont

    found = font_path(script)
    source = str(found) if isinstance(found, Path) else io.BytesIO(found.read_bytes())  # a zipped package
    return ImageFont.truetype(source, size, layout_engine=ImageFont.Layout.BASIC)


def visual_order(text: str) -> str:
    """``text`` as it is drawn: Arabic letters joined and the line in display order (left to right on the page).

    Text without Arabic is returned as it is. Direction marks and isolates are left out once applied.

    Examples
    --------
    >>> visual_order("C4")
    'C4'
    >>> visual_order("لا") == "\\ufefb"  # lam-alef drawn as one ligature
    True
    """
    if not _ARABIC.search(text):
        return text.translate(_BIDI_CONTROLS)
    try:
        import arabic_reshaper
        from bidi import get_display
    except ImportError:
        from .errors import EngineUnavailableError
        from .i18n import Msg

        raise EngineUnavailableError(Msg("error.arabic_layout")) from None
    return get_display(arabic_reshaper.reshape(text)).translate(_BIDI_CONTROLS)


def _runs(text: str) -> list[tuple[str, str]]:
    """(script, text) runs of a line already in visual order; spaces stay with the run they are in."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        script = "arabic" if _ARABIC.match(ch) else ("" if ch.isspace() else "latin")
        if runs and (not script or runs[-1][0] == script):
            runs[-1] = (runs[-1][0], runs[-1][1] + ch)
        else:
            runs.append((script or "latin", ch))
    return runs


def text_width(text: str, size: int) -> float:
    """How wide ``text`` is drawn at ``size`` pixels, in pixels."""
    return sum(_font(script, size).getlength(run) for script, run in _runs(visual_order(text)))


def draw_text(draw, xy: tuple[float, float], text: str, *, size: int, fill, anchor: str = "la") -> None:
    """Draw ``text`` at ``xy`` on a ``PIL.ImageDraw.Draw``, in any script, with the shipped fonts.

    Parameters
    ----------
    draw : PIL.ImageDraw.ImageDraw
    xy : (float, float)
        Where the anchor point lies.
    text : str
        One line, in logical order (as written); Arabic is shaped and ordered here.
    size : int
        Font size in pixels.
    fill
        The colour.
    anchor : str
        Two letters as Pillow's: horizontal ``l``, ``m`` or ``r``, then vertical ``a`` (ascender), ``m``
        (middle), ``s`` (baseline) or ``d`` (descender).
    """
    runs = _runs(visual_order(text))
    if not runs:
        return
    latin = _font("latin", size)
    ascent, descent = latin.getmetrics()
    x, y = xy
    widths = [_font(script, size).getlength(run) for script, run in runs]
    total = sum(widths)
    x -= {"l": 0.0, "m": total / 2, "r": total}[anchor[0]]
    baseline = y + {"a": ascent, "m": (ascent - descent) / 2, "s": 0.0, "d": -descent}[anchor[1]]
    for (script, run), width in zip(runs, widths):
        draw.text((x, baseline), run, fill=fill, font=_font(script, size), anchor="ls")
        x += width
