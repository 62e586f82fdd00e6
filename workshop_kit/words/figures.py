"""Words drawn into pictures: axes, legends, note names, track and drum names of the figures."""

from __future__ import annotations

FIGURES: dict[str, dict[str, str]] = {
}
