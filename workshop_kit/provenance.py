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
