"""Music: ``generate(engine="rules", scale=..., rhythm=..., seed=...)`` returns an
:class:`~workshop_kit.results.AudioResult`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import Engine, engine as _engine, engines as _engines

if TYPE_CHECKING:  # pragma: no cover
    from ..results import AudioResult

ENGINES: dict[str, Engine] = _engines("music")
"""The music engines of :data:`workshop_kit.registry.ENGINES`, by name."""

__all__ = ["ENGINES", "generate"]


def generate(*, engine: str = "rules", **options) -> AudioResult:
    """Compose and render a piece with ``engine``; see that engine's ``generate`` (and :data:`ENGINES`) for its
    options."""
    return _engine(engine, "music").generate(**options)
