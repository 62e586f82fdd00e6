"""Music: ``generate(engine="rules", scale=..., rhythm=..., seed=...)`` returns an :class:`~workshop_kit.results.AudioResult`."""

from __future__ import annotations

from ..engines import Engine, pick

ENGINES: dict[str, Engine] = {
    "rules": Engine("rules", "workshop_kit.music.rules", "embedded",
                    "Rule-based composer over Moroccan rhythm cycles and scales, played with SoundFont instruments"),
    "melody-model": Engine("melody-model", "workshop_kit.music.melody_model", "embedded",
                           "A small GPT-2 trained by the kit on folk tunes writes the melody, placed in any scale or maqam"),
    "musicgen": Engine("musicgen", "workshop_kit.music.musicgen", "pretrained",
                       "MusicGen-small text → music (non-commercial weights from the offline pack or cache; best on a GPU)"),
}

__all__ = ["ENGINES", "generate"]


def generate(*, engine: str = "rules", **options):
    """Compose and render a piece with ``engine``; see that engine's ``generate`` for its options."""
    return pick(ENGINES, engine).load().generate(**options)
