"""Images: ``generate(engine="cppn", palette=..., seed=...)`` returns an :class:`~workshop_kit.results.ImageResult`."""

from __future__ import annotations

from ..engines import Engine, pick
from ..palettes import PALETTES

ENGINES: dict[str, Engine] = {
    "cppn": Engine("cppn", "workshop_kit.image.cppn", "embedded",
                   "CPPN generative art: a random coordinate network coloured with a regional palette"),
    "motifs": Engine("motifs", "workshop_kit.image.motifs", "embedded",
                     "Exact zellige, Amazigh and moucharabieh motifs: seamless tiles coloured with a regional palette"),
    "motif-diffusion": Engine("motif-diffusion", "workshop_kit.image.motif_diffusion", "embedded",
                              "A diffusion model trained by the kit on its own zellige, Amazigh and moucharabieh motifs: "
                              "new seamless patterns in any palette"),
    "sd-turbo": Engine("sd-turbo", "workshop_kit.image.sd_turbo", "pretrained",
                       "SD-Turbo text → image and image → image (weights from the offline pack or cache; best on a GPU)"),
}

__all__ = ["ENGINES", "PALETTES", "generate"]


def generate(*, engine: str = "cppn", **options):
    """Make a picture with ``engine``; see that engine's ``generate`` for its options."""
    return pick(ENGINES, engine).load().generate(**options)
