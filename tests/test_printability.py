"""Printability report: facts, faults and the verdict in French and English."""

import json
import time

import numpy as np
import pytest
import trimesh

from workshop_kit.errors import ParameterError
from workshop_kit.mesh.printability import (DEFAULT_BED_MM, DEFAULT_MIN_WALL_MM, PrintabilityReport, bed_scale,
                                            fits_bed, report)


def _annulus(wall: float, *, radius: float = 20.0, height: float = 40.0) -> trimesh.Trimesh:
    """A tube standing on z, with a wall of ``wall`` mm."""
    return trimesh.creation.annulus(r_min=radius - wall, r_max=radius, height=height, sections=128)


def test_watertight_box_is_ready():
    r = report(trimesh.creation.box((40, 30, 20)))
    assert isinstance(r, PrintabilityReport)
    assert r.watertight and r.winding_consistent and r.outward_normals
    assert r.volume_cm3 == pytest.approx(24.0)
    assert r.bbox_mm == pytest.approx((40.0, 30.0, 20.0))
    assert r.bodies == 1 and r.faces == 12 and r.boundary_edges == 0
    assert r.min_wall_mm == pytest.approx(20.0, rel=0.05)  # a solid block: its smallest size
    assert r.ready and r.issues == []
    assert r.verdict("en") == "ready to print"
    assert r.verdict("fr") == "prêt à imprimer"
    assert r.min_wall_required_mm == DEFAULT_MIN_WALL_MM


def test_open_mesh_is_not_watertight():
    box = trimesh.creation.box((20, 20, 20))
    box.update_faces(np.arange(1, len(box.faces)))
    r = report(box)
    assert not r.watertight and not r.ready
    assert r.boundary_edges == 3
    assert r.volume_cm3 is None and r.outward_normals is None
    assert "not watertight" in r.verdict_en
    assert "maillage ouvert" in r.verdict_fr
    assert r.issues[0]["code"] == "not_watertight"


def test_thin_wall_is_found():
    r = report(_annulus(0.5))
    assert r.watertight and r.outward_normals
    assert r.min_wall_mm == pytest.approx(0.5, rel=0.3)
    assert not r.ready
    assert [i["code"] for i in r.issues] == ["thin_wall"]
    assert "paroi trop fine (0.5 mm < 1.2 mm)" in r.verdict_fr
    assert "wall too thin (0.5 mm < 1.2 mm)" in r.verdict_en


def test_thick_wall_is_measured_and_ready():
    r = report(_annulus(5.0))
    assert r.min_wall_mm == pytest.approx(5.0, rel=0.3)
    assert r.ready
    # the threshold is an option: a resin printer takes thinner walls, a big nozzle needs thicker ones
    assert report(_annulus(0.5), min_wall_mm=0.4).ready
    assert not report(_annulus(5.0), min_wall_mm=6.0).ready


def test_inverted_normals_are_detected():
    box = trimesh.creation.box((40, 30, 20))
    box.invert()
    r = report(box)
    assert r.watertight and r.winding_consistent
    assert r.outward_normals is False
    assert r.volume_cm3 == pytest.approx(24.0)  # the material is still there
    assert r.min_wall_mm == pytest.approx(20.0, rel=0.05)  # measured with the rays turned round
    assert [i["code"] for i in r.issues] == ["inverted_normals"]
    assert "normales inversées" in r.verdict_fr and "inwards" in r.verdict_en


def test_several_bodies_get_a_note_not_a_fault():
    a = trimesh.creation.box((10, 10, 10))
    b = trimesh.creation.box((10, 10, 10))
    b.apply_translation((30, 0, 0))
    r = report(trimesh.util.concatenate([a, b]))
    assert r.bodies == 2 and r.ready
    assert [n["code"] for n in r.notes] == ["several_bodies"]
    assert r.verdict("en").startswith("ready to print — note: 2 separate parts")


def test_the_bed_is_250_by_210_and_250_high():
    assert DEFAULT_BED_MM == (250.0, 210.0, 250.0)
    assert fits_bed((250, 210, 250)) and fits_bed((210, 250, 250))  # turned a quarter turn on the bed
    assert not fits_bed((220, 220, 100))  # a 220 mm square does not go on a 210 mm wide bed
    assert not fits_bed((100, 100, 251))
    assert bed_scale((500, 100, 100)) == pytest.approx(0.5)
    assert bed_scale((300, 300, 100)) == pytest.approx(0.7)  # 210 / 300
    assert bed_scale((100, 100, 500)) == pytest.approx(0.5)
    assert bed_scale((10, 10, 10)) == 1.0
    assert fits_bed((300, 10, 10), bed_mm=300) and not fits_bed((300, 10, 10), bed_mm=(250, 250, 250))
    with pytest.raises(ParameterError):
        fits_bed((1, 1, 1), bed_mm=(250, 210))


def test_larger_than_the_bed_is_a_fault_so_never_ready():
    big = report(trimesh.creation.box((300, 10, 10)))
    assert not big.ready and big.fits_bed is False and big.bed_mm == DEFAULT_BED_MM
    assert [i["code"] for i in big.issues] == ["larger_than_bed"]
    assert big.verdict("en") == "to fix: larger than the bed (300 × 10 × 10 mm for 250 × 210 × 250 mm): scale it down"
    assert big.verdict("fr").startswith("à corriger : plus grand que le plateau (300 × 10 × 10 mm")
    wide = report(trimesh.creation.box((220, 220, 20)))  # under 250 mm every way, but wider than the bed
    assert not wide.ready and "larger than the bed" in wide.verdict("en")
    turned = report(trimesh.creation.box((200, 240, 20)))
    assert turned.ready and turned.fits_bed
    unchecked = report(trimesh.creation.box((300, 10, 10)), bed_mm=None)
    assert unchecked.ready and unchecked.fits_bed is None and unchecked.bed_mm is None
    assert report(trimesh.creation.box((300, 10, 10)), bed_mm=(320, 300, 300)).ready
    for r in (big, wide, turned, unchecked, report(_annulus(0.5))):
        for lang in ("en", "fr"):
            said = r.verdict(lang)
            ready_words = "ready to print" if lang == "en" else "prêt à imprimer"
            bed_words = "larger than the bed" if lang == "en" else "plus grand que le plateau"
            assert not (ready_words in said and bed_words in said), said
            assert said.startswith(ready_words) == r.ready


def test_to_dict_is_json_ready():
    data = report(_annulus(0.5)).to_dict()
    text = json.dumps(data, ensure_ascii=False)
    assert "paroi trop fine" in text
    assert data["bbox_mm"] == pytest.approx([40.0, 40.0, 40.0], rel=1e-3)
    assert set(data) >= {"watertight", "winding_consistent", "outward_normals", "volume_cm3", "bbox_mm", "bodies",
                         "min_wall_mm", "ready", "issues", "verdict_fr", "verdict_en", "verdict_ar", "bed_mm",
                         "fits_bed"}
    assert data["bed_mm"] == [250.0, 210.0, 250.0] and data["fits_bed"] is True


def test_report_is_deterministic_and_leaves_the_mesh_alone():
    mesh = _annulus(2.0)
    before = mesh.vertices.copy()
    assert report(mesh).to_dict() == report(mesh).to_dict()
    assert np.array_equal(mesh.vertices, before)


def test_lathe_vessel_wall_is_measured():
    from workshop_kit.mesh import lathe

    mesh = lathe.generate(preset="jar", height_mm=100, wall_mm=2.0, seed=0, segments=48).mesh
    r = report(mesh)
    assert r.watertight and r.outward_normals and r.ready
    assert r.min_wall_mm == pytest.approx(2.0, rel=0.3)


def test_bad_inputs_are_refused():
    with pytest.raises(ParameterError):
        report("pot.stl")
    with pytest.raises(ParameterError):
        report(trimesh.creation.box(), min_wall_mm=0)
    with pytest.raises(ParameterError):
        report(trimesh.creation.box(), samples=10)
    empty = report(trimesh.Trimesh())
    assert not empty.ready and empty.issues[0]["code"] == "empty"


def test_fifty_thousand_faces_stay_quick():
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=30)  # 20 480 faces
    mesh = mesh.subdivide_loop(1) if len(mesh.faces) < 50_000 else mesh  # 81 920 faces, more than asked
    report(mesh)
    start = time.perf_counter()
    report(mesh)
    # well under a second on a quiet laptop core; generous here, for shared CI machines
    assert time.perf_counter() - start < 3.0
