"""3D: ``generate(engine="lathe", preset=..., seed=...)`` returns a :class:`~workshop_kit.results.MeshResult`."""

from __future__ import annotations

from ..engines import Engine, pick

ENGINES: dict[str, Engine] = {
    "lathe": Engine("lathe", "workshop_kit.mesh.lathe", "embedded",
                    "Lathe pottery: a watertight vessel turned from a profile curve (tagine, jar, vase, bowl)"),
    "lantern": Engine("lantern", "workshop_kit.mesh.lantern", "embedded",
                      "Pierced lantern: a motif cut through a round, hexagonal or octagonal shell"),
    "relief": Engine("relief", "workshop_kit.mesh.relief", "embedded",
                     "Bas-relief: a picture or motif carved into a framed plate (plaster, cedar)"),
    "tiles": Engine("tiles", "workshop_kit.mesh.tiles", "embedded",
                    "Zellige tiles: the coloured pieces of a zellige motif, ready to print and assemble"),
    "shape-space": Engine("shape-space", "workshop_kit.mesh.shape_space", "embedded",
                          "Learned shape space of vessels: blend two pots (a, b, mix) or draw a new one from the seed"),
    "shap-e": Engine("shap-e", "workshop_kit.mesh.shap_e", "pretrained",
                     "Shap-E: a text or a picture becomes a 3D mesh (slow on a CPU: see shap_e.estimate_seconds)"),
}

__all__ = ["ENGINES", "generate"]


def generate(*, engine: str = "lathe", **options):
    """Make a 3D object with ``engine``; see that engine's ``generate`` for its options."""
    return pick(ENGINES, engine).load().generate(**options)
