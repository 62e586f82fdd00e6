"""3D: ``generate(engine="lathe", preset=..., seed=...)`` returns a :class:`~workshop_kit.results.MeshResult`."""

from __future__ import annotations

from ..engines import Engine, pick

ENGINES: dict[str, Engine] = {
    "lathe": Engine("lathe", "workshop_kit.mesh.lathe", "embedded",
                    "Lathe pottery: a watertight vessel turned from a profile curve (tagine, jar, vase, bowl)"),
}

__all__ = ["ENGINES", "generate"]


def generate(*, engine: str = "lathe", **options):
    """Make a 3D object with ``engine``; see that engine's ``generate`` for its options."""
    return pick(ENGINES, engine).load().generate(**options)
