"""Regional colour palettes shared by every engine that colours something.

Colours are hex strings, darkest to lightest where that makes sense. Sources and notes are in docs/palettes.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validation import check_choice


@dataclass(frozen=True)
class Palette:
    name: str
    colors: tuple[str, ...]
    label: dict[str, str]
    description: str

    def rgb(self) -> np.ndarray:
        """The colours as an ``(n, 3)`` float array in [0, 1]."""
        return np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in self.colors], dtype=np.float32)


PALETTES: dict[str, Palette] = {
    p.name: p
    for p in (
        Palette(
            "marrakech",
            ("#1B1F4B", "#2A3FB0", "#3D5AFE", "#F2C14E", "#C1440E", "#F6E7CB"),
            {"fr": "Marrakech — bleu Majorelle", "en": "Marrakech — Majorelle blue", "ar": "مراكش — أزرق ماجوريل"},
            "Majorelle blue of the Jardin Majorelle with lemon yellow and the red ochre of the city walls.",
        ),
        Palette(
            "chefchaouen",
            ("#0E2A47", "#1F5F99", "#4A90C8", "#8EC3E6", "#D6ECF7", "#FFFFFF"),
            {"fr": "Chefchaouen — médina bleue", "en": "Chefchaouen — blue medina", "ar": "شفشاون — المدينة الزرقاء"},
            "The blue-washed walls of the Chefchaouen medina, from deep indigo to lime white.",
        ),
        Palette(
            "fes",
            ("#0B3D2E", "#12704F", "#2BA37A", "#1D4E89", "#E9D8A6", "#FDFBF3"),
            {"fr": "Fès — émaux verts et bleus", "en": "Fès — green and blue glazes",
             "ar": "فاس — الزليج الأخضر والأزرق"},
            "The green and cobalt glazes of Fès zellige and pottery on a cream ground.",
        ),
        Palette(
            "sahara",
            ("#4A2511", "#8B4513", "#C2692D", "#E0A15E", "#F1C98B", "#FAEBD2"),
            {"fr": "Sahara — ocres du désert", "en": "Sahara — desert ochres", "ar": "الصحراء — ألوان المغرة"},
            "Saharan ochres: dune sand, rammed earth and burnt sienna.",
        ),
        Palette(
            "atlantique",
            ("#0A2342", "#2C5D87", "#6FA3C7", "#C9D9E3", "#F4F1EA", "#FFFFFF"),
            {"fr": "Rabat & Essaouira — blancs et bleus atlantiques",
             "en": "Rabat & Essaouira — Atlantic whites and blues", "ar": "الرباط والصويرة — أبيض وأزرق الأطلسي"},
            "The white walls and blue shutters of Rabat's Oudayas and Essaouira facing the Atlantic.",
        ),
    )
}


def get_palette(name: str) -> Palette:
    """Return the palette called ``name``; raise ``ParameterError`` listing the palettes otherwise."""
    return PALETTES[check_choice("palette", name, PALETTES)]
