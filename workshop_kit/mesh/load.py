"""Opening a participant's 3D file safely: bounded before it is parsed, and never reading another file.

``load_mesh`` accepts STL, OBJ, PLY and GLB files of at most 20 MB and 500 000 faces. Archives (ZIP, 3MF) and
``.gltf`` files (whose buffers live in other files) are refused, a GLB that points at external buffers or images is
refused, and an OBJ's material library is not followed: the file is parsed from memory with nothing to resolve.
"""

from __future__ import annotations

import io
import json
import os
import struct
from pathlib import Path

from ..errors import ParameterError
from ..i18n import Msg

FORMATS = (".stl", ".obj", ".ply", ".glb")
MAX_BYTES = 20 * 2**20
MAX_FACES = 500_000


def _refuse(path, key: str, **values) -> ParameterError:
    return ParameterError("mesh", Path(path).name, Msg("allowed.mesh_file"), reason=Msg(key, **values))


def _glb_external_references(data: bytes) -> list[str]:
    """URIs a GLB's JSON chunk points at (buffers and images outside the file)."""
    if len(data) < 20 or data[:4] != b"glTF":
        raise ValueError("not a GLB file (no glTF header)")
    length, kind = struct.unpack_from("<I4s", data, 12)
    if kind != b"JSON" or 20 + length > len(data):
        raise ValueError("the GLB has no JSON chunk")
    doc = json.loads(data[20:20 + length].decode("utf-8"))
    return [item["uri"] for key in ("buffers", "images") for item in doc.get(key, ()) if "uri" in item]


def load_mesh(path: str | os.PathLike, *, max_bytes: int = MAX_BYTES, max_faces: int = MAX_FACES):
    """Open a participant's 3D file as one ``trimesh.Trimesh``, or raise ``ParameterError`` saying why not.

    Checks, in order: the file exists; its extension is one of STL, OBJ, PLY, GLB; its size; for a binary STL the face
    count in its header; for a GLB that it references no other file; then it is parsed from memory, and the face
    count is checked again.
    """
    path = Path(path)
    if not path.is_file():
        raise _refuse(path, "reason.no_such_file")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise _refuse(path, "reason.mesh_format", format=suffix or Msg("word.no_extension"))
    size = path.stat().st_size
    if size == 0:
        raise _refuse(path, "reason.file_empty")
    if size > max_bytes:
        raise _refuse(path, "reason.file_more_than", size=Msg("unit.mb", n=size / 2**20),
                      max=Msg("unit.mb.whole", n=max_bytes / 2**20))
    data = path.read_bytes()
    if suffix == ".stl" and not data[:5].lower().startswith(b"solid") and len(data) >= 84:
        faces = struct.unpack_from("<I", data, 80)[0]
        if faces > max_faces:
            raise _refuse(path, "reason.header_faces", n=faces, max=max_faces)
    if suffix == ".glb":
        try:
            external = _glb_external_references(data)
        except (ValueError, UnicodeDecodeError, struct.error) as exc:
            raise _refuse(path, "reason.unreadable_as", format="GLB", why=str(exc)) from None
        if external:
            raise _refuse(path, "reason.external_files", files=external[:3])

    import trimesh

    try:
        loaded = trimesh.load(io.BytesIO(data), file_type=suffix.lstrip("."), force="mesh", process=True)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad upload, told as such
        raise _refuse(path, "reason.unreadable_as", format=suffix[1:].upper(), why=type(exc).__name__) from None
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise _refuse(path, "reason.no_surface")
    if len(loaded.faces) > max_faces:
        raise _refuse(path, "reason.too_many_faces", n=len(loaded.faces), max=max_faces)
    return loaded
