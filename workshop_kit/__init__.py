"""workshop-kit: small generative music, image and 3D models for the cultural and creative industries.

Importing the package is cheap: the modalities (``music``, ``image``, ``mesh``) and everything that needs torch,
gradio, diffusers or transformers load on first use.

>>> import workshop_kit as wk
>>> picture = wk.image.generate(palette="chefchaouen", seed=0)      # doctest: +SKIP
>>> picture.save("chefchaouen.png")                                  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__
from .errors import (
    DeviceError,
    EngineUnavailableError,
    MissingModelError,
    OutputPathError,
    ParameterError,
    WorkshopKitError,
)

_SUBMODULES = ("music", "image", "mesh", "palettes", "presets", "device", "results", "files", "doctor", "bench",
               "booth", "i18n", "pretrained", "shipped", "registry", "validation", "imageio_safe", "classroom",
               "portfolio")

__all__ = [
    "__version__",
    "WorkshopKitError",
    "ParameterError",
    "DeviceError",
    "OutputPathError",
    "EngineUnavailableError",
    "MissingModelError",
    *_SUBMODULES,
    "use_server",
]

if TYPE_CHECKING:  # pragma: no cover - what IDEs and type checkers see; at run time each loads on first use
    from . import (  # noqa: F401
        bench,
        booth,
        classroom,
        device,
        doctor,
        files,
        i18n,
        image,
        imageio_safe,
        mesh,
        music,
        palettes,
        portfolio,
        presets,
        pretrained,
        registry,
        results,
        shipped,
        validation,
    )


def __getattr__(name: str):
    if name == "use_server":  # heavy engines on the classroom machine (workshop_kit.classroom.remote)
        from .classroom.remote import use_server

        return use_server
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'workshop_kit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
