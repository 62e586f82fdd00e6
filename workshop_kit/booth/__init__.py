"""The booth: a Gradio page for a stand, in French, English and Arabic.

>>> from workshop_kit.booth import build_booth, launch_options
>>> demo = build_booth()                                        # doctest: +SKIP
>>> demo.launch(**launch_options(server_port=7860))             # doctest: +SKIP

Importing this module imports Gradio, not any model: models run on the first click.
"""

from __future__ import annotations

from .app import DEFAULT_CITY, KEEP_SECONDS, build_booth, launch_booth, launch_options

__all__ = ["build_booth", "launch_booth", "launch_options", "DEFAULT_CITY", "KEEP_SECONDS"]
