"""Lists and units, shared by the other tables."""

from __future__ import annotations

COMMON: dict[str, dict[str, str]] = {
    "list": {"fr": "{items}", "en": "{items}", "ar": "{items}"},
    "list.sep": {"fr": ", ", "en": ", ", "ar": "، "},
    "list.sep.strong": {"fr": " ; ", "en": "; ", "ar": "؛ "},
    "punct.colon": {"fr": " : ", "en": ": ", "ar": ": "},
    "unit.mb": {"fr": "{n:.1f} Mo", "en": "{n:.1f} MB", "ar": "{n:.1f} ميغابايت"},
    "unit.mb.whole": {"fr": "{n:.0f} Mo", "en": "{n:.0f} MB", "ar": "{n:.0f} ميغابايت"},
    "unit.mib": {"fr": "{n:.1f} Mio", "en": "{n:.1f} MiB", "ar": "{n:.1f} ميغابايت"},
    "unit.bytes": {"fr": "{n} octets", "en": "{n} bytes", "ar": "{n} بايت"},
    "unit.mm": {"fr": "{n} mm", "en": "{n} mm", "ar": "{n} مم"},
}
