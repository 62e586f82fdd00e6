"""Writing files safely: check the path before the work, write to a temporary name, then rename.

A failure at any point leaves neither a half-written file nor a file without its provenance sidecar.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import OutputPathError
from .i18n import Msg

SIDECAR_SUFFIX = ".json"
CACHE_ENV = "WORKSHOP_KIT_CACHE_DIR"


def cache_dir() -> Path:
    """Folder for the kit's caches: ``$WORKSHOP_KIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/workshop-kit``, else
    ``~/.cache/workshop-kit``."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "workshop-kit"


def sidecar_path(path: str | os.PathLike) -> Path:
    """The provenance file that goes with ``path``: ``picture.png`` → ``picture.png.json``."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def check_output_path(path: str | os.PathLike, formats: Iterable[str], name: str = "out") -> Path:
    """Return ``path`` as a ``Path`` if a file of one of ``formats`` (extensions like ``".png"``) can be written there.

    Raises :class:`OutputPathError` naming the path and what is allowed when the extension is unknown, the folder is
    missing, or the folder cannot be written to. Nothing is left on disk.
    """
    formats = sorted(formats)
    if not isinstance(path, (str, os.PathLike)) or str(path).strip() == "":
        raise OutputPathError(name, path, Msg("allowed.path_ending", formats=list(formats)))
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in formats:
        raise OutputPathError(name, str(path), list(formats),
                              reason=Msg("reason.unknown_extension",
                                         ext=repr(suffix) if suffix else Msg("word.no_extension")))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputPathError(name, str(path), Msg("allowed.existing_folder_path"),
                              reason=Msg("reason.folder_missing", folder=str(folder)))
    if path.is_dir():
        raise OutputPathError(name, str(path), Msg("allowed.file_not_folder"), reason=Msg("reason.is_folder"))
    try:  # os.access says yes to root on read-only mounts: try for real
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".workshop-kit-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError(name, str(path), Msg("allowed.writable_folder"),
                              reason=Msg("reason.folder_readonly", folder=str(folder), why=exc.strerror)) from None
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` with the same extension; rename it to ``path`` only on success."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.stem}.",
                               suffix=path.suffix)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sha256_file(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json(path: str | os.PathLike, data: dict) -> Path:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return Path(path)


def replace_block(path: str | os.PathLike, start: str, end: str, text: str) -> Path:
    """Rewrite, in the text file ``path``, what lies between the marker lines ``start`` and ``end`` (kept)."""
    import re

    path = Path(path)
    content = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(content):
        raise OutputPathError("readme", str(path), Msg("allowed.readme_block", start=start, end=end),
                              reason=Msg("reason.no_readme_block", start=start, end=end))
    new = pattern.sub(lambda _m: f"{start}\n{text}\n{end}", content)
    with atomic_path(path) as tmp:
        tmp.write_text(new, encoding="utf-8")
    return path
