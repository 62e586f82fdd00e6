"""A participant's 3D file: bounded before parsing, no archive, no external reference, clear refusals."""

import json
import struct

import pytest
import trimesh

from workshop_kit.errors import ParameterError
from workshop_kit.mesh.load import load_mesh


@pytest.mark.parametrize("suffix", [".stl", ".obj", ".ply", ".glb"])
def test_each_format_opens(tmp_path, suffix):
    box = trimesh.creation.box((10, 20, 30))
    path = tmp_path / f"box{suffix}"
    box.export(path)
    mesh = load_mesh(path)
    assert len(mesh.faces) == 12 and mesh.is_watertight


def test_obj_material_library_is_not_followed(tmp_path):
    (tmp_path / "secret.mtl").write_text("newmtl x\nKd 1 0 0\n")
    path = tmp_path / "tri.obj"
    path.write_text("mtllib secret.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl x\nf 1 2 3\n")
    assert len(load_mesh(path).faces) == 1


def _glb_with(doc: dict) -> bytes:
    body = json.dumps(doc).encode()
    body += b" " * (-len(body) % 4)
    return b"glTF" + struct.pack("<II", 2, 20 + len(body)) + struct.pack("<I4s", len(body), b"JSON") + body


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("big.stl", b"\0" * 80 + struct.pack("<I", 10_000_000) + b"\0" * 50, "10000000 faces"),
        ("empty.ply", b"", "empty"),
        ("model.zip", b"PK\x03\x04", ".zip"),
        ("scene.gltf", b"{}", ".gltf"),
        ("link.glb",
         _glb_with({"asset": {"version": "2.0"}, "buffers": [{"uri": "../../etc/passwd", "byteLength": 4}]}),
         "other files"),
        ("junk.glb", b"not a glb at all, really", "GLB"),
        ("junk.ply", b"ply\nformat nonsense\n", "PLY"),
    ],
)
def test_bad_files_are_refused_by_name(tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ParameterError) as info:
        load_mesh(path)
    assert name in str(info.value) and words in str(info.value)
    assert name in info.value.message("fr")


def test_size_and_face_bounds(tmp_path):
    sphere = trimesh.creation.icosphere(subdivisions=4)  # 5120 faces
    path = tmp_path / "ball.ply"
    sphere.export(path)
    with pytest.raises(ParameterError, match="5120 faces"):
        load_mesh(path, max_faces=1000)
    with pytest.raises(ParameterError, match="MB"):
        load_mesh(path, max_bytes=1000)
    with pytest.raises(ParameterError, match="no such file"):
        load_mesh(tmp_path / "missing.stl")
