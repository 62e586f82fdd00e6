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

FORMATS = (".stl", ".obj", ".ply", ".glb")
MAX_BYTES = 20 * 2**20
MAX_FACES = 500_000


def _refuse(path, reason: str, reason_fr: str, allowed: str = "an STL, OBJ, PLY or GLB file of at most 20 MB and "
            "500 000 faces"):
    return ParameterError("mesh", Path(path).name, allowed, reason=reason, reason_fr=reason_fr,
                          allowed_fr="un fichier STL, OBJ, PLY ou GLB d'au plus 20 Mo et 500 000 faces")


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
        raise _refuse(path, "no such file", "fichier introuvable")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise _refuse(path, f"the format {suffix or '(none)'} is not accepted (archives and .gltf neither)",
                      f"le format {suffix or '(aucun)'} n'est pas accepté (ni archives, ni .gltf)")
    size = path.stat().st_size
    if size == 0:
        raise _refuse(path, "the file is empty", "le fichier est vide")
    if size > max_bytes:
        raise _refuse(path, f"the file is {size / 2**20:.1f} MB, more than {max_bytes / 2**20:.0f} MB",
                      f"le fichier fait {size / 2**20:.1f} Mo, plus de {max_bytes / 2**20:.0f} Mo")
    data = path.read_bytes()
    if suffix == ".stl" and not data[:5].lower().startswith(b"solid") and len(data) >= 84:
        faces = struct.unpack_from("<I", data, 80)[0]
        if faces > max_faces:
            raise _refuse(path, f"its header announces {faces} faces, more than {max_faces}",
                          f"son en-tête annonce {faces} faces, plus de {max_faces}")
    if suffix == ".glb":
        try:
            external = _glb_external_references(data)
        except (ValueError, UnicodeDecodeError, struct.error) as exc:
            raise _refuse(path, f"it cannot be read as GLB ({exc})", f"illisible comme GLB ({exc})") from None
        if external:
            raise _refuse(path, f"it points at other files ({', '.join(external[:3])})",
                          f"il fait référence à d'autres fichiers ({', '.join(external[:3])})")

    import trimesh

    try:
        loaded = trimesh.load(io.BytesIO(data), file_type=suffix.lstrip("."), force="mesh", process=True)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad upload, told as such
        raise _refuse(path, f"it cannot be read as {suffix[1:].upper()} ({type(exc).__name__})",
                      f"illisible comme {suffix[1:].upper()} ({type(exc).__name__})") from None
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise _refuse(path, "it holds no surface", "il ne contient aucune surface")
    if len(loaded.faces) > max_faces:
        raise _refuse(path, f"it has {len(loaded.faces)} faces, more than {max_faces}",
                      f"il a {len(loaded.faces)} faces, plus de {max_faces}")
    return loaded
