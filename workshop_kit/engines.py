"""The engine registry each modality shares: a name, a one-line description, and a module with ``generate()``.

Engine modules import heavy packages (torch, trimesh, librosa …) inside their functions, so listing engines and
their options — for ``--help``, the booth and the doctor — stays cheap.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from .validation import check_choice


@dataclass(frozen=True)
class Engine:
    name: str
    module: str  # absolute module path holding ``generate(**options)``
    tier: str  # "embedded" or "pretrained"
    description: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


def pick(engines: dict[str, Engine], engine: str) -> Engine:
    """Return the engine called ``engine``; raise ``ParameterError`` listing the engines otherwise."""
    return engines[check_choice("engine", engine, engines)]
