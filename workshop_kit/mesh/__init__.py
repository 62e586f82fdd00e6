"""3D: ``generate(engine="lathe", preset=..., seed=...)`` returns a :class:`~workshop_kit.mesh.result.MeshResult`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import Engine, engine as _engine, engines as _engines

if TYPE_CHECKING:  # pragma: no cover
    from .result import MeshResult

ENGINES: dict[str, Engine] = _engines("mesh")
"""The mesh engines of :data:`workshop_kit.registry.ENGINES`, by name."""

__all__ = ["ENGINES", "generate"]


def generate(*, engine: str = "lathe", **options) -> MeshResult:
    """Make a 3D object with ``engine``; see that engine's ``generate`` (and :data:`ENGINES`) for its options."""
    return _engine(engine, "mesh").generate(**options)
