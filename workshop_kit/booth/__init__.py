"""The booth: a visitor page (a city, a tap, a trio to take home) and a trainer's studio, in French, Arabic and English.

>>> from workshop_kit.booth import serve_booth
>>> serve_booth(port=7860, lan=True)                            # doctest: +SKIP

Importing this module imports Gradio, not any model: models run on the first tap.
"""

from __future__ import annotations

from .app import DEFAULT_CITY, KEEP_SECONDS, build_booth, launch_booth, launch_options
from .server import serve_booth

__all__ = ["build_booth", "launch_booth", "launch_options", "serve_booth", "DEFAULT_CITY", "KEEP_SECONDS"]
