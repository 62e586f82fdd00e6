"""The models the kit ships inside the package — trained by its own scripts, found with :mod:`importlib.resources`.

Each model is a folder of package data, ``workshop_kit/models/<key>/``, holding its weights, its model card and a
``MANIFEST.json`` with the sha256 of every file. :data:`SHIPPED` says, for each, which files it needs, its licence,
the environment variable that points to another folder (a model retrained or fine-tuned elsewhere) and the command
that trains it again. It is shaped like :class:`workshop_kit.pretrained.ModelSpec`, the pretrained tier's registry.

Every loader of the kit goes through here: :meth:`ShippedModel.folder` says where the model is, :func:`load`
reads it once per folder and device (and again only when the files change), and :func:`staged_folder` is the one
way a training script writes a model folder — all at once, so a crash never leaves old and new files mixed.

>>> from workshop_kit.shipped import SHIPPED
>>> SHIPPED["melody"].folder().name
'melody'
>>> SHIPPED["melody"].readiness().ready
True
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import MissingModelError, ParameterError
from .i18n import Msg, t

__all__ = ["MANIFEST_FILE", "ShippedModel", "SHIPPED", "get", "load", "staged_folder", "write_manifest", "status"]

MANIFEST_FILE = "MANIFEST.json"
CARD_FILE = "MODEL_CARD.md"
_PACKAGE_FOLDER = "models"


@dataclass(frozen=True)
class ShippedModel:
    """A model shipped inside the package.

    ``files`` are the files it cannot run without; ``extra`` the other shipped files (metrics, baselines, held-out
    samples). ``env_var`` names a folder to use instead of the shipped one.
    """

    key: str
    description: str
    files: tuple[str, ...]
    env_var: str
    train_command: str
    train_minutes: float
    licence: str
    commercial_use: bool
    modality: str
    extra: tuple[str, ...] = ()
    card: str = CARD_FILE

    # ---------------------------------------------------------------------------------------------- where it is
    def shipped_folder(self) -> Path:
        """The folder inside the installed package (extracted to the cache when the package is zipped)."""
        root = resources.files("workshop_kit").joinpath(_PACKAGE_FOLDER, self.key)
        if isinstance(root, Path):
            return root
        return _extract(root, self.key)  # pragma: no cover - a zipped install

    def folder(self, path: str | os.PathLike | None = None) -> Path:
        """The folder to read: ``path``, else ``$<env_var>``, else :meth:`shipped_folder`."""
        if path is not None:
            if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
                raise ParameterError("model_path", path, Msg("allowed.model_folder"))
            return Path(path).expanduser()
        env = os.environ.get(self.env_var, "").strip()
        return Path(env).expanduser() if env else self.shipped_folder()

    def is_shipped(self, folder: str | os.PathLike) -> bool:
        try:
            return Path(folder).resolve() == self.shipped_folder().resolve()
        except OSError:  # pragma: no cover - an unreadable folder is not the shipped one
            return False

    # ---------------------------------------------------------------------------------------------- checks
    def missing(self, folder: str | os.PathLike | None = None) -> list[str]:
        root = self.folder(folder)
        return [name for name in self.files if not (root / name).is_file()]

    def check(self, path: str | os.PathLike | None = None) -> Path:
        """The model's folder, or :class:`MissingModelError` saying what is missing and how to train it."""
        root = self.folder(path)
        missing = self.missing(root)
        if missing:
            raise MissingModelError(Msg("error.shipped.missing", model=Msg(f"model.{self.key}"), root=str(root),
                                        missing=missing, minutes=f"{self.train_minutes:g}",
                                        command=self.train_command))
        return root

    def description_fr(self) -> str:
        return t(f"model.{self.key}", "fr")

    def readiness(self, path: str | os.PathLike | None = None):
        from .registry import Readiness

        missing = self.missing(path)
        if missing:
            return Readiness(False, f"the {self.description} is missing ({', '.join(missing)})",
                             f"le {self.description_fr()} manque ({', '.join(missing)})")
        return Readiness(True)

    def manifest(self, path: str | os.PathLike | None = None) -> dict[str, Any] | None:
        """The folder's ``MANIFEST.json`` (sha256 and size of every file), or ``None`` when it has none."""
        try:
            return json.loads((self.folder(path) / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def verify(self, path: str | os.PathLike | None = None) -> list[str]:
        """Files of the folder whose sha256 differs from its manifest, or that are missing (empty: all good)."""
        from .files import sha256_file

        root = self.folder(path)
        manifest = self.manifest(root)
        if manifest is None:
            return [MANIFEST_FILE]
        bad = []
        for name, entry in manifest.get("files", {}).items():
            file = root / name
            if not file.is_file() or sha256_file(file) != entry.get("sha256"):
                bad.append(name)
        return bad + [name for name in self.files if name not in manifest.get("files", {})]

    def record(self, path: str | os.PathLike | None = None) -> dict[str, Any]:
        """What goes into a result's provenance: which weights made it (their manifest's digest) and the licence."""
        root = self.folder(path)
        shipped = self.is_shipped(root)
        manifest = self.manifest(root) or {}
        weights = manifest.get("files", {}).get(self.files[0], {}).get("sha256", "")
        return {"id": f"workshop-kit/{self.key}" + ("" if shipped else " (retrained or fine-tuned)"),
                "revision": f"sha256:{weights[:16]}" if weights else "unknown",
                "licence": self.licence, "commercial_use": self.commercial_use,
                **({} if shipped else {"path": str(root)})}

    def stamp(self, path: str | os.PathLike | None = None) -> tuple:
        """Changes whenever the model's files are rewritten: loaders key their cache on it."""
        root = self.folder(path)
        out = []
        for name in self.files:
            try:
                st = (root / name).stat()
                out.append((name, st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((name, None, None))
        return tuple(out)


SHIPPED: dict[str, ShippedModel] = {
    m.key: m
    for m in (
        ShippedModel(
            "melody", "melody model",
            files=("model.safetensors", "config.json", "vocab.json"),
            extra=("baselines.json", "metrics.json", "heldout_sample.txt"),
            env_var="WORKSHOP_KIT_MELODY_MODEL",
            train_command="workshop-kit train melody",
            train_minutes=15,
            licence="non-commercial, like the Essen encodings it learnt from (see MODEL_CARD.md)",
            commercial_use=False, modality="music",
        ),
        ShippedModel(
            "motif-diffusion", "motif diffusion model",
            files=("unet/diffusion_pytorch_model.safetensors", "motif_diffusion.json", "unet/config.json",
                   "scheduler/scheduler_config.json"),
            extra=("metrics.json",),
            env_var="WORKSHOP_KIT_MOTIF_DIFFUSION_MODEL",
            train_command="workshop-kit train motifs",
            train_minutes=35,
            licence="MIT", commercial_use=True, modality="image",
        ),
        ShippedModel(
            "motif-classifier", "motif classifier",
            files=("model.safetensors", "config.json"),
            extra=("metrics.json",),
            env_var="WORKSHOP_KIT_MOTIF_CLASSIFIER",
            train_command="workshop-kit train motifs",
            train_minutes=3,
            licence="MIT", commercial_use=True, modality="image",
        ),
        ShippedModel(
            "shape-space", "vessel shape space",
            files=("model.safetensors", "config.json", "baseline.safetensors"),
            extra=("metrics.json",),
            env_var="WORKSHOP_KIT_SHAPE_MODEL",
            train_command="workshop-kit train shapes",
            train_minutes=2,
            licence="MIT", commercial_use=True, modality="mesh",
        ),
    )
}


def get(key: str) -> ShippedModel:
    from .validation import check_choice

    return SHIPPED[check_choice("model", key, SHIPPED)]


def status() -> list[dict[str, Any]]:
    """One row per shipped model: here or not, where, its licence — for the doctor."""
    rows = []
    for model in SHIPPED.values():
        folder = model.folder()
        rows.append({**asdict(model), "found": not model.missing(folder), "path": str(folder),
                     "shipped": model.is_shipped(folder)})
    return rows


# --------------------------------------------------------------------------------------------------------------------
# Reading once


_CACHE: OrderedDict[tuple, Any] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()


def load(key: str, path: str | os.PathLike | None, device: str, build: Callable[[Path, str], Any]) -> Any:
    """``build(folder, device)`` once per folder, device and version of the files; the result is kept and reused.

    The model is checked first (:meth:`ShippedModel.check`). A folder rewritten by a training script is read again
    on its next use, with nothing to clear by hand.
    """
    model = get(key)
    folder = model.check(path)
    cache_key = (key, str(folder.resolve()), model.stamp(folder), device)
    with _LOCK:
        if cache_key in _CACHE:
            _CACHE.move_to_end(cache_key)
            return _CACHE[cache_key]
        value = build(folder, device)
        _CACHE[cache_key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return value


# --------------------------------------------------------------------------------------------------------------------
# Writing all at once


def write_manifest(folder: str | os.PathLike, key: str | None = None) -> Path:
    """Write ``MANIFEST.json`` in ``folder``: the sha256 and size of every other file in it."""
    from ._version import __version__
    from .files import sha256_file, write_json
    from .provenance import now_iso

    folder = Path(folder)
    files = {}
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_FILE):
        rel = file.relative_to(folder).as_posix()
        files[rel] = {"sha256": sha256_file(file), "bytes": file.stat().st_size}
    return write_json(folder / MANIFEST_FILE, {"model": key or folder.name, "workshop_kit": __version__,
                                               "created": now_iso(), "files": files})


@contextlib.contextmanager
def staged_folder(out: str | os.PathLike, *, key: str | None = None, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield an empty folder beside ``out`` to write a model into; on success it replaces ``out`` at once.

    The new folder gets its ``MANIFEST.json``, then takes the place of ``out`` by renames, so that ``out`` holds
    either the old model or the new one, never a mix. On a failure the new folder is removed and ``out`` is left
    as it was. ``keep`` names files of the old folder to carry over when the new one lacks them.
    """
    out = Path(out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        yield stage
        for name in keep:
            if (out / name).is_file() and not (stage / name).exists():
                (stage / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(out / name, stage / name)
        write_manifest(stage, key)
        _same_permissions(stage, out if out.is_dir() else out.parent)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            old.rmdir()
            os.replace(out, old)
        try:
            os.replace(stage, out)
        except BaseException:  # pragma: no cover - put the old folder back
            if old is not None:
                os.replace(old, out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _same_permissions(stage: Path, like: Path) -> None:
    """Give a new model folder the permission bits of ``like`` (the folder it replaces, else its parent), and its
    files the same without execution: a folder from :func:`tempfile.mkdtemp` is readable by its owner only."""
    mode = stat.S_IMODE(like.stat().st_mode)
    for path in stage.rglob("*"):
        os.chmod(path, mode if path.is_dir() else mode & 0o666)
    os.chmod(stage, mode)


def _extract(root, key: str) -> Path:  # pragma: no cover - a zipped install
    """Copy a model folder out of a zipped package into the cache, once per kit version."""
    from ._version import __version__
    from .files import cache_dir

    target = cache_dir() / "models" / __version__ / key
    if (target / MANIFEST_FILE).is_file():
        return target

    def copy(node, dest: Path) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        for child in node.iterdir():
            if child.is_dir():
                copy(child, dest / child.name)
            else:
                (dest / child.name).write_bytes(child.read_bytes())

    with staged_folder(target, key=key) as stage:
        copy(root, stage)
    return target
