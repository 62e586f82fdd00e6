"""What every saved file says about how it was made."""

from __future__ import annotations

import datetime as _dt
import platform
from importlib import metadata

from ._version import __version__

BASE_PACKAGES = ("numpy",)


def package_versions(packages: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of Python, the kit and ``packages``, read from package metadata (nothing is imported)."""
    versions = {"python": platform.python_version(), "workshop-kit": __version__}
    for name in (*BASE_PACKAGES, *packages):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


SIDECAR_ROUTE = "/workshop-kit/provenance/"
"""Where a booth answers with the sidecar of a file it made, by the file's sha256 (read by
:func:`workshop_kit.use_server` to know how and where a piece made on the classroom machine was made)."""


def find_sidecar(folder, sha256: str) -> dict | None:
    """The provenance sidecar, among the files under ``folder``, of the file whose sha256 is ``sha256``."""
    import json
    from pathlib import Path

    if not isinstance(sha256, str) or len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return None
    for sidecar in sorted(Path(folder).rglob("*.*.json")):
        try:
            record = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("sha256") == sha256:
            return record
    return None
