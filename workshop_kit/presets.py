"""City presets for the booth and the notebooks: one tap gives a palette, a music style and a craft object.

Each value names an option of the embedded engines (checked by the tests), so a preset never asks for something
that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from .validation import check_choice


@dataclass(frozen=True)
class CityPreset:
    name: str
    label: dict[str, str]
    palette: str
    image_style: str
    scale: str
    rhythm: str
    tempo: int
    vessel: str
    motif: str


CITIES: dict[str, CityPreset] = {
    c.name: c
    for c in (
        CityPreset("marrakech", {"fr": "Marrakech", "en": "Marrakech", "ar": "مراكش", "tzm": "ⵎⵕⵕⴰⴽⵛ"},
                   "marrakech", "rosette", "pentatonic", "gnawa", 110, "tagine", "zellige8"),
        CityPreset("casablanca", {"fr": "Casablanca", "en": "Casablanca", "ar": "الدار البيضاء", "tzm": "ⴰⵏⴼⴰ"},
                   "atlantique", "flow", "hijaz", "chaabi", 132, "vase", "zellige16"),
        CityPreset("fes", {"fr": "Fès", "en": "Fès", "ar": "فاس", "tzm": "ⴼⴰⵙ"},
                   "fes", "tile", "rast", "ahidous", 96, "jar", "zellige12"),
        CityPreset("rabat", {"fr": "Rabat", "en": "Rabat", "ar": "الرباط", "tzm": "ⵕⵕⴱⴰⵟ"},
                   "atlantique", "tile", "bayati", "chaabi", 120, "vase", "zellige10"),
        CityPreset("chefchaouen", {"fr": "Chefchaouen", "en": "Chefchaouen", "ar": "شفشاون", "tzm": "ⴰⵛⵛⴰⵡⵏ"},
                   "chefchaouen", "rosette", "minor", "ahidous", 100, "jar", "moucharabieh"),
        CityPreset("sahara", {"fr": "Sahara", "en": "Sahara", "ar": "الصحراء", "tzm": "ⵜⴰⵏⵥⵕⵓⴼⵜ"},
                   "sahara", "flow", "pentatonic", "gnawa", 92, "jar", "amazigh"),
    )
}


def get_city(name: str) -> CityPreset:
    return CITIES[check_choice("city", name, CITIES)]
