"""Images: ``generate(engine="cppn", palette=..., seed=...)`` returns an :class:`~workshop_kit.results.ImageResult`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..palettes import PALETTES
from ..registry import Engine, engine as _engine, engines as _engines

if TYPE_CHECKING:  # pragma: no cover
    from ..results import ImageResult

ENGINES: dict[str, Engine] = _engines("image")
"""The image engines of :data:`workshop_kit.registry.ENGINES`, by name."""

__all__ = ["ENGINES", "PALETTES", "generate"]


def generate(*, engine: str = "cppn", **options) -> ImageResult:
    """Make a picture with ``engine``; see that engine's ``generate`` (and :data:`ENGINES`) for its options."""
    return _engine(engine, "image").generate(**options)
