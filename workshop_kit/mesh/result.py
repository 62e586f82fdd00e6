"""The result of every 3D engine: a mesh in millimetres that saves itself by extension, with a provenance sidecar.

A :class:`MeshResult` shows itself in Jupyter as an interactive 3D view (:mod:`workshop_kit.mesh.viewer`), draws a
picture of itself on the CPU (:meth:`MeshResult.preview`, :mod:`workshop_kit.mesh.preview`) and says whether it can
be printed (:attr:`MeshResult.printability`, :mod:`workshop_kit.mesh.printability`, also written in its sidecar).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..results import ImageResult, Result

__all__ = ["MeshResult", "GLTF_FROM_MM_Z_UP", "describe"]

#: Millimetres, Z up  ->  metres, Y up: rotate -90° about X (Z becomes Y), then scale by 1/1000.
GLTF_FROM_MM_Z_UP = np.array([[0.001, 0, 0, 0], [0, 0, 0.001, 0], [0, -0.001, 0, 0], [0, 0, 0, 1]], dtype=float)


@dataclass(repr=False)
class MeshResult(Result):
    """A 3D object as a ``trimesh.Trimesh``, in millimetres."""

    mesh: Any = field(default=None, kw_only=True)

    FORMATS: ClassVar[tuple[str, ...]] = (".glb", ".stl", ".obj", ".ply")
    PACKAGES: ClassVar[tuple[str, ...]] = ("trimesh",)

    @functools.cached_property
    def printability(self):
        """Can it be printed? Watertight, winding, volume, size in mm, thinnest wall, and a verdict in plain words."""
        from .printability import report

        return report(self.mesh)

    def provenance(self) -> dict[str, Any]:
        return {**super().provenance(), "printability": self.printability.to_dict()}

    def preview(self, *, size: int = 512, azimuth: float = 30, elevation: float = 20) -> ImageResult:
        """A shaded picture of the object, drawn on the CPU (no GPU, no screen)."""
        from .preview import render_png

        start = time.perf_counter()
        image = render_png(self.mesh, size=size, azimuth=azimuth, elevation=elevation)
        return ImageResult(engine="preview", seed=self.seed, device="cpu", seconds=time.perf_counter() - start,
                           params={"of": self.engine, "object_params": self.params, "size": size,
                                   "azimuth": azimuth, "elevation": elevation}, image=image)

    def _write(self, tmp: Path, suffix: str) -> None:
        mesh = self.mesh
        if suffix == ".glb":  # glTF means metres and Y up; the kit works in millimetres with Z up (as printers do)
            mesh = mesh.copy()
            mesh.apply_transform(GLTF_FROM_MM_Z_UP)
        mesh.export(str(tmp), file_type=suffix.lstrip("."))

    def _repr_html_(self) -> str:
        from .viewer import mesh_to_html

        return mesh_to_html(self.mesh)


def describe(obj) -> dict[str, Any]:
    """What the sidecar of a picture says about the object it shows: a result's engine, seed and options, or the
    size of a mesh given as it is."""
    if isinstance(obj, Result):
        return {"engine": obj.engine, "seed": obj.seed, "params": obj.params}
    mesh = getattr(obj, "mesh", obj)
    return {"vertices": int(len(mesh.vertices)), "faces": int(len(mesh.faces))}
