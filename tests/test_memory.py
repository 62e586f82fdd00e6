"""Making and saving piece after piece, as the booth does all day, does not make the kit's memory grow.

Python's own allocations are traced (tracemalloc), not the process's size, so that the figures do not depend on what
else runs on the machine. No collection is forced between the pieces: that is what the booth's process lives with.
The other 3D engines take minutes under tracing: they are a soak (``make soak``), not part of ``make test``.
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest

import workshop_kit as wk

MB = 1e6


def _growth(make, calls: int, warm: int = 5) -> tuple[float, float]:
    """(the most the traced memory grew over ``calls`` calls of ``make(i)``, what is left of it after a collection)."""
    for i in range(warm):
        make(i)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        worst = 0
        for i in range(calls):
            make(warm + i)
            worst = max(worst, tracemalloc.get_traced_memory()[0] - base)
        gc.collect()
        left = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    return worst / MB, left / MB


def _mesh_maker(tmp_path, engine: str, **options):
    def make(i: int) -> None:
        result = wk.mesh.generate(engine=engine, seed=i, **options)
        result.save(tmp_path / "piece.glb")
        result.save(tmp_path / "piece.stl")

    return make


@pytest.mark.slow
def test_thirty_lathe_pots_made_and_saved_keep_memory_flat(tmp_path):
    # before: dead pots waited for a full collection, +165 MB traced after 60 pots and climbing (+80 MB at 30)
    worst, left = _growth(_mesh_maker(tmp_path, "lathe"), 30)
    assert worst < 40, f"traced memory grew by {worst:.1f} MB"
    assert left < 8, f"{left:.1f} MB still held after a collection"


@pytest.mark.soak
@pytest.mark.parametrize("engine, options", [
    ("lantern", dict(height_mm=60, diameter_mm=50)),
    ("relief", dict(width_mm=60, resolution=96)),
    ("tiles", dict(tile_mm=40, resolution=256)),
    ("shape-space", dict(segments=48)),
], ids=["lantern", "relief", "tiles", "shape-space"])
def test_each_3d_engine_made_and_saved_again_and_again_keeps_memory_flat(tmp_path, engine, options):
    worst, left = _growth(_mesh_maker(tmp_path, engine, **options), 24, warm=3)
    assert worst < 40, f"{engine}: traced memory grew by {worst:.1f} MB"
    assert left < 4, f"{engine}: {left:.1f} MB still held after a collection"


@pytest.mark.slow
@pytest.mark.parametrize("modality, engine, options, formats", [
    ("music", "rules", dict(bars=2), ("wav", "mid")),
    ("image", "cppn", dict(size=128), ("png",)),
    ("image", "motifs", dict(size=256), ("png",)),
], ids=["rules", "cppn", "motifs"])
def test_music_and_pictures_made_again_and_again_keep_memory_flat(tmp_path, modality, engine, options, formats):
    def make(i: int) -> None:
        result = getattr(wk, modality).generate(engine=engine, seed=i, **options)
        for suffix in formats:
            result.save(tmp_path / f"piece.{suffix}")

    worst, left = _growth(make, 24, warm=3)
    assert worst < 4 and left < 2, (engine, worst, left)


def test_the_kit_collects_dead_meshes_by_their_size(monkeypatch):
    from workshop_kit.mesh import reclaim

    collections = []
    monkeypatch.setattr(reclaim.gc, "collect", lambda *a: collections.append(a))
    monkeypatch.setattr(reclaim, "_made", 0)
    pot = wk.mesh.generate(engine="lathe", seed=0).mesh
    size = pot.vertices.nbytes + pot.faces.nbytes
    collections.clear()
    monkeypatch.setattr(reclaim, "_made", 0)
    for _ in range(int(reclaim.BUDGET_BYTES // size)):
        reclaim.made(pot)
    assert collections == []
    reclaim.made(pot)
    assert len(collections) == 1 and reclaim._made == 0
