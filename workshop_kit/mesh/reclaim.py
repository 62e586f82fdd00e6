"""Giving back the memory of the meshes nobody holds any more.

A ``trimesh.Trimesh`` refers to itself (its ``visual``, ``ray``, ``nearest`` and ``permutate`` helpers each hold the
mesh), so a mesh is not freed when the last reference to it goes: only Python's cycle collector frees it, in a full
collection. Python starts one when the objects that survived since the last have grown by a quarter — it counts
objects, not bytes — and a mesh is a handful of objects holding megabytes of arrays. In a process that has imported
the kit's dependencies (tens of thousands of long-lived objects) that is once in more than sixty lathe calls: the
dead pots, their copies for the GLB file and their printability caches piled up meanwhile (+165 MB traced after
60 lathe calls, +480 MB after 15 lanterns), and the memory the C allocator had handed out stayed with the process.

So each engine counts the meshes it makes (:func:`made`), and after :data:`BUDGET_BYTES` of them the kit runs a full
collection: what a dead mesh holds is then given back within a few calls. A collection takes some tens of
milliseconds, once every few calls.
"""

from __future__ import annotations

import gc
import threading

import numpy as np

__all__ = ["BUDGET_BYTES", "made"]

BUDGET_BYTES = 4 * 2**20
"""Bytes of mesh (vertices and faces) made between two collections: three default lathe pots, half a lantern."""

_lock = threading.Lock()  # the booth makes two pieces at once
_made = 0


def made(mesh) -> None:
    """Count ``mesh``, just made; past :data:`BUDGET_BYTES` since the last collection, collect the dead ones."""
    global _made
    size = np.asarray(mesh.vertices).nbytes + np.asarray(mesh.faces).nbytes
    with _lock:
        _made += size
        if _made < BUDGET_BYTES:
            return
        _made = 0
    gc.collect()
