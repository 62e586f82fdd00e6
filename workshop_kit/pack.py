"""The room's USB stick: ``workshop-kit pack DIR`` gathers everything a room of laptops needs to install the kit with
no network at all, and ``workshop-kit pack --verify DIR`` checks a stick before the workshop.

For each chosen operating system and CPython version the dependencies are resolved *for that platform* (not for
the machine building the pack: ``uv pip compile --python-platform``), then ``pip download --only-binary=:all:
--platform …`` fetches exactly those wheels. Linux gets a CPU build of torch (from a folder of local wheels or the
PyTorch CPU index), never PyPI's multi-GB CUDA build. The stick holds::

    wheels/                 every wheel of every target, once (pip picks the ones that fit each laptop)
    locks/<os>-cp311.txt    the pins of one target
    kit/                    the kit's own wheel
    models/<key>/           the pretrained models chosen, at their pinned revisions
    models/openvino/        SD-Turbo's networks converted for OpenVINO (when it is packed and this machine has
                            OpenVINO): the laptops read them instead of converting for minutes with 8 GB of memory
    notebooks/, docs/       the notebooks and the trainer's guide
    install.bat, install.ps1, install.sh
    reports/                each laptop's doctor report, written there by the install script
    MANIFEST.json           sha256, size and licence of every file; written last: a pack without it is unfinished

Building a pack downloads (a trainer does it once, with internet); running the kit never does.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from ._version import __version__
from .errors import MissingModelError, OutputPathError, ParameterError, WorkshopKitError
from .files import cache_dir, sha256_file

__all__ = ["TARGETS", "PYTHONS", "Target", "PackError", "build", "verify", "check_wheelhouse", "parse_targets"]

MANIFEST = "MANIFEST.json"
UNFINISHED = "PACK-UNFINISHED.txt"
FORMAT = 1
PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
MIB = 1 << 20
DOWNLOADS = 3  # pip processes at once


class PackError(WorkshopKitError):
    """A pack cannot be built or does not check out; the message says what to do."""


@dataclass(frozen=True)
class Target:
    """An operating system and architecture a pack can serve."""

    key: str
    label: str
    uv_platform: str  # uv pip compile --python-platform
    platforms: tuple[str, ...]  # pip download --platform, most specific first
    markers: dict = field(default_factory=dict, hash=False, compare=False)
    script: str = "install.sh"
    estimate_mb: int = 600  # a wheelhouse for one CPython version, for the disk check

    def environment(self, python: str) -> dict[str, str]:
        """The values of PEP 508 markers on such a laptop with CPython ``python`` (e.g. "3.11")."""
        return {"python_version": python, "python_full_version": f"{python}.0", "implementation_name": "cpython",
                "platform_python_implementation": "CPython", "implementation_version": f"{python}.0", **self.markers}

    def tags(self, python: str):
        """The wheel tags such a laptop accepts, best first (:mod:`packaging.tags`)."""
        from packaging import tags

        version = tuple(int(p) for p in python.split("."))
        platforms = list(self.platforms)
        if self.key.startswith("macos"):
            arch = "arm64" if "arm64" in self.platforms[0] else "x86_64"
            major, minor = (int(x) for x in self.platforms[0].split("_")[1:3])
            platforms = list(tags.mac_platforms((major, minor), arch))
        return [*tags.cpython_tags(version, platforms=platforms),
                *tags.compatible_tags(version, f"cp{version[0]}{version[1]}", platforms=platforms)]


def _linux(arch: str) -> tuple[str, ...]:
    return (*(f"manylinux_2_{v}_{arch}" for v in (28, 27, 26, 25, 24, 17)), f"manylinux2014_{arch}",
            *((f"manylinux_2_12_{arch}", f"manylinux2010_{arch}", f"manylinux_2_5_{arch}", f"manylinux1_{arch}")
              if arch == "x86_64" else ()))


TARGETS: dict[str, Target] = {t.key: t for t in (
    Target("windows-x64", "Windows 10/11, 64-bit (Intel or AMD)", "x86_64-pc-windows-msvc", ("win_amd64",),
           {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"},
           "install.bat", 470),
    Target("macos-arm64", "macOS on Apple silicon (M1 and later)", "aarch64-apple-darwin", ("macosx_14_0_arm64",),
           {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64", "os_name": "posix"},
           "install.sh", 420),
    Target("macos-x64", "macOS on an Intel Mac (torch 2.2.2, CPython <= 3.12)", "x86_64-apple-darwin",
           ("macosx_12_0_x86_64",),
           {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64", "os_name": "posix"},
           "install.sh", 420),
    Target("linux-x64", "Linux x86-64 (glibc 2.28 or newer)", "x86_64-manylinux_2_28", _linux("x86_64"),
           {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"},
           "install.sh", 620),
    Target("linux-arm64", "Linux aarch64 (glibc 2.28 or newer)", "aarch64-manylinux_2_28", _linux("aarch64"),
           {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64", "os_name": "posix"},
           "install.sh", 620),
)}
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
DEFAULT_OS = ("windows-x64", "macos-arm64", "linux-x64")
DEFAULT_PYTHONS = ("3.11", "3.12")


def target_name(target: Target, python: str) -> str:
    return f"{target.key}-cp{python.replace('.', '')}"


def host_target() -> tuple[str, str]:
    """The (target key, Python) of this machine, for a pack that serves only it."""
    machine = platform.machine().lower()
    arch = "arm64" if machine in ("arm64", "aarch64") else "x64"
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
    return f"{system}-{arch}", f"{sys.version_info[0]}.{sys.version_info[1]}"


def parse_targets(systems: Iterable[str] | None = None, pythons: Iterable[str] | None = None,
                  pairs: Iterable[str] | None = None) -> list[tuple[Target, str]]:
    """The targets asked for: ``pairs`` like ``linux-x64:3.11``, or every one of ``systems`` × ``pythons``."""
    def system(name: str) -> Target:
        key = name.strip().lower()
        if key not in TARGETS:
            raise ParameterError("os", name, ", ".join(TARGETS),
                                 reason="this system is not offered (Windows on ARM and 32-bit systems have no torch)",
                                 reason_fr="ce système n'est pas proposé (Windows sur ARM et les systèmes 32 bits "
                                           "n'ont pas de torch)")
        return TARGETS[key]

    def version(text: str) -> str:
        value = text.strip().lower().removeprefix("cp").removeprefix("python")
        if re.fullmatch(r"3\d\d", value):
            value = f"3.{value[1:]}"
        if value not in PYTHONS:
            raise ParameterError("python", text, ", ".join(PYTHONS), reason="this Python version is not offered",
                                 reason_fr="cette version de Python n'est pas proposée")
        return value

    out: list[tuple[Target, str]] = []
    if pairs:
        for pair in pairs:
            name, _, py = pair.partition(":")
            if not py:
                raise ParameterError("target", pair, "OS:PYTHON, e.g. windows-x64:3.11")
            out.append((system(name), version(py)))
    else:
        for name in systems or DEFAULT_OS:
            for py in pythons or DEFAULT_PYTHONS:
                out.append((system(name), version(py)))
    for target, py in out:
        if target.key == "macos-x64" and py == "3.13":
            raise ParameterError("python", py, "3.10, 3.11, 3.12 for macos-x64",
                                 reason="no torch exists for an Intel Mac with CPython 3.13",
                                 reason_fr="aucun torch n'existe pour un Mac Intel avec CPython 3.13")
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------------- wheels
@dataclass(frozen=True)
class Wheel:
    """A wheel file: its name, version and tags from the file name, its requirements from its METADATA."""

    path: Path
    name: str
    version: str
    tags: frozenset
    requires: tuple[str, ...]
    licence: str

    @classmethod
    def read(cls, path: Path) -> Wheel:
        from packaging.utils import parse_wheel_filename

        name, version, _, tags = parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as zf:
            meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            meta = HeaderParser().parsestr(zf.read(meta_name).decode("utf-8", "replace"))
        return cls(path, name, str(version), frozenset(tags), tuple(meta.get_all("Requires-Dist") or ()),
                   _licence(meta))


def _licence(meta) -> str:
    if meta.get("License-Expression"):
        return meta["License-Expression"].strip()
    text = (meta.get("License") or "").strip()
    if text and text.upper() != "UNKNOWN" and len(text) <= 80 and "\n" not in text:
        return text
    found = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or () if c.startswith("License ::")]
    if found:
        return ", ".join(found)
    return "see the package's licence file" if text else "not declared"


def read_wheels(folder: Path) -> list[Wheel]:
    return [Wheel.read(p) for p in sorted(Path(folder).glob("*.whl"))]


def check_wheelhouse(requirements: Iterable[str], wheels: Sequence[Wheel], target: Target, python: str) -> list[str]:
    """What ``wheels`` lack for a laptop of ``target`` with CPython ``python``: every requirement (and every
    requirement of the wheels chosen for them, transitively), with its markers evaluated for that platform, must be
    satisfied by a wheel whose tags that laptop accepts. Returns one line per requirement that is not; [] when the
    wheelhouse is complete."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    accepted = set(target.tags(python))
    by_name: dict[str, list[Wheel]] = {}
    for w in wheels:
        if w.tags & accepted:
            by_name.setdefault(canonicalize_name(w.name), []).append(w)
    env = target.environment(python)
    missing: list[str] = []
    todo = [(str(r), frozenset(), "the kit") for r in requirements]
    seen: set[tuple[str, frozenset]] = set()
    while todo:
        text, extras, wanted_by = todo.pop()
        req = Requirement(text)
        if req.marker is not None and not any(req.marker.evaluate({**env, "extra": e}) for e in (extras or {""})):
            continue
        name = canonicalize_name(req.name)
        fits = [w for w in by_name.get(name, ()) if req.specifier.contains(w.version, prereleases=True)]
        if not fits:
            missing.append(f"{text} (needed by {wanted_by})")
            continue
        wheel = max(fits, key=lambda w: _version_key(w.version))
        key = (f"{name}=={wheel.version}", frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        todo.extend((r, frozenset(req.extras), f"{wheel.name} {wheel.version}") for r in wheel.requires)
    return sorted(set(missing))


def _version_key(version: str):
    from packaging.version import Version

    return Version(version)


# ---------------------------------------------------------------------------------------------------- building
@dataclass
class Plan:
    """What one pack holds: its targets, the kit's wheel and the models, checked before anything is downloaded."""

    folder: Path
    targets: list[tuple[Target, str]]
    kit_wheel: Path
    models: list[tuple[str, Path]]
    source: Path | None
    torch_links: list[str]
    index_url: str | None = None


def _free_mb(folder: Path) -> float:
    return shutil.disk_usage(folder).free / MIB


def _writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".workshop-kit-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError("pack", str(folder), "a folder on a disk you can write to (the USB stick)",
                              reason=f"it cannot be written to ({exc.strerror})") from None


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / MIB


def source_tree() -> Path | None:
    """The repository this kit runs from (with notebooks/ and docs/), or None for an installed wheel."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir() else None


def build_kit_wheel(source: Path, out: Path) -> Path:
    """``pip wheel --no-deps`` of the source tree: the kit's own wheel, its models inside."""
    out.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
          str(source)], "building the kit's wheel")
    wheels = sorted(out.glob(f"workshop_kit-{__version__}-*.whl"))
    if not wheels:
        raise PackError(f"building the kit's wheel from {source} made no workshop_kit-{__version__} wheel")
    return wheels[-1]


def _run(cmd: list[str], what: str, env: dict | None = None, echo: Callable[[str], None] | None = None) -> str:
    # A pack is resolved for other machines: this machine's own pip constraints do not apply to it.
    full_env = {**os.environ, "PIP_CONSTRAINT": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **(env or {})}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if echo is not None:
            echo(line.rstrip())
    if proc.wait() != 0:
        tail = "".join(lines[-15:])
        if "No space left on device" in tail:
            raise PackError(f"the disk is full while {what}: free some space or use a larger stick, then run "
                            f"the same command again")
        raise PackError(f"{what} failed:\n{tail.strip()}")
    return "".join(lines)


def _uv() -> list[str]:
    exe = shutil.which("uv", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if exe:
        return [exe]
    try:
        import uv  # noqa: F401 - the PyPI package that carries the uv binary

        from uv import find_uv_bin

        return [find_uv_bin()]
    except ImportError:
        raise PackError("building a pack resolves each platform with uv: pip install uv "
                        "(or pip install 'workshop-kit[pack]')") from None


def kit_requirements(wheel: Path) -> list[str]:
    """The kit's own requirements (extras left out), from its wheel."""
    return [r for r in Wheel.read(wheel).requires if "extra ==" not in r.replace("extra==", "extra ==")]


def _cpu_torch(target: Target, python: str, links: Sequence[str], cache: Path) -> Path | None:
    """A CPU torch wheel for a Linux target: from the folders in ``links`` or, failing that, the PyTorch CPU index.
    None when neither has one."""
    from packaging.utils import parse_wheel_filename

    accepted = set(target.tags(python))
    found = []
    for link in links:
        for p in Path(link).glob("torch-*.whl"):
            _, version, _, tags = parse_wheel_filename(p.name)
            if tags & accepted and (version.local or "").startswith("cpu"):
                found.append((version, p))
    if found:
        return max(found)[1]
    dest = cache / f"torch-cpu-{target_name(target, python)}"
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version",
           python, "--implementation", "cp", "-d", str(dest), "--index-url", PYTORCH_CPU_INDEX, "--timeout", "20",
           "--retries", "1", "torch"]
    for tag in target.platforms:
        cmd[4:4] = ["--platform", tag]
    try:
        _run(cmd, "looking for a CPU torch", env={"PIP_FIND_LINKS": "", "PIP_EXTRA_INDEX_URL": ""})
    except PackError:
        return None
    wheels = sorted(dest.glob("torch-*.whl"))
    return wheels[-1] if wheels else None


def plan(folder: str | os.PathLike, targets: list[tuple[Target, str]], *, models: Sequence[str] = (),
         kit_wheel: str | os.PathLike | None = None, torch_links: Sequence[str] = (),
         index_url: str | None = None) -> Plan:
    """Check everything that can be checked before downloading: the folder (writable, free space), the models asked
    for (on this machine), the kit's wheel or source. Raises one clear error otherwise."""
    from . import pretrained

    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise OutputPathError("pack", str(folder), "a folder", reason="this is a file")
    _writable(folder)
    found = []
    for key in models:
        spec = pretrained.get_spec(key)
        try:
            found.append((spec.key, pretrained.locate(spec.key)))
        except MissingModelError as exc:
            raise PackError(f"the model {spec.key} was asked for but is not on this machine: run `workshop-kit models "
                            f"fetch {spec.key}` where there is internet (or set {pretrained.ENV_VAR}), then pack again",
                            f"le modèle {spec.key} est demandé mais absent de cette machine : lancez `workshop-kit "
                            f"models fetch {spec.key}` avec internet (ou définissez {pretrained.ENV_VAR}), puis "
                            f"recommencez") from exc
    source = source_tree()
    if kit_wheel is not None:
        wheel = Path(kit_wheel).expanduser()
        if not wheel.is_file() or not wheel.name.startswith("workshop_kit-") or wheel.suffix != ".whl":
            raise ParameterError("wheel", str(kit_wheel), "the kit's wheel file, workshop_kit-VERSION-py3-none-any.whl")
    elif source is None:
        raise PackError("this kit is installed from a wheel: give the wheel to put on the stick with --wheel FILE")
    else:
        wheel = Path()  # built into the pack by build()
    links = list(torch_links) or _pip_find_links()
    need = sum(t.estimate_mb for t, _ in targets) * 0.8 + sum(_folder_mb(p) for _, p in found) + 50
    existing = _folder_mb(folder / "wheels") if (folder / "wheels").is_dir() else 0.0
    free = _free_mb(folder)
    if free + existing < need:
        raise PackError(f"not enough room in {folder}: this pack needs about {need / 1024:.1f} GB and the disk has "
                        f"{free / 1024:.1f} GB free; use a larger stick, fewer targets (--os, --python) "
                        "or fewer models",
                        f"pas assez de place dans {folder} : ce pack demande environ {need / 1024:.1f} Go et le disque "
                        f"a {free / 1024:.1f} Go libres ; prenez une clé plus grande, moins de cibles ou de modèles")
    return Plan(folder, targets, wheel, found, source, links, index_url)


def _pip_find_links() -> list[str]:
    """The local wheel folders pip is configured with here (where a CPU torch may lie)."""
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    links = re.findall(r"find-links='([^']+)'", out) + os.environ.get("PIP_FIND_LINKS", "").split()
    return [p for link in links for p in link.split() if Path(p).is_dir()]


class _Progress:
    """A progress bar (tqdm when it is installed, plain lines otherwise)."""

    def __init__(self, total: int, desc: str, quiet: bool):
        self.bar = None
        self.quiet = quiet
        if not quiet:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=desc, unit="file", leave=True, file=sys.stderr)
            except ImportError:
                print(f"{desc}: {total} files", file=sys.stderr)

    def step(self, n: int = 1, note: str = ""):
        if self.bar is not None:
            self.bar.update(n)
            if note:
                self.bar.set_postfix_str(note[:40], refresh=False)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _resolve(p: Plan, target: Target, python: str, requirements: list[str], locks: Path,
             say) -> tuple[Path, Path | None]:
    """The lock of one target (``uv pip compile`` for that platform); Linux pins a CPU torch."""
    name = target_name(target, python)
    reqs = list(requirements)
    links = []
    torch = None
    if target.key.startswith("linux"):
        torch = _cpu_torch(target, python, p.torch_links, cache_dir() / "pack")
        if torch is None:
            raise PackError(f"no CPU build of torch for {name}: looked in"
                            f" {', '.join(p.torch_links) or 'no local folder'}"
                            f" and {PYTORCH_CPU_INDEX}; put a torch-*+cpu wheel for CPython {python} in a folder and"
                            f" give it with --torch-wheels FOLDER, or leave {name} out (--target)")
        from packaging.utils import parse_wheel_filename

        reqs.append(f"torch=={parse_wheel_filename(torch.name)[1]}")
        links = ["--find-links", str(torch.parent)]
    work = Path(tempfile.mkdtemp(prefix="workshop-kit-pack-"))
    try:
        (work / "requirements.in").write_text("\n".join(reqs) + "\n", encoding="utf-8")
        lock = locks / f"{name}.txt"
        cmd = [*_uv(), "pip", "compile", "--quiet", "--no-header", "--no-annotate", "--only-binary", ":all:",
               "--python-platform", target.uv_platform, "--python-version", python, *links,
               *(["--index-url", p.index_url] if p.index_url else []), "-o", str(work / "lock.txt"),
               str(work / "requirements.in")]
        _run(cmd, f"resolving the dependencies for {name}", env={"UV_CONSTRAINT": "", "UV_NO_CONFIG": "1"})
        text = "".join(line + "\n" for line in (work / "lock.txt").read_text(encoding="utf-8").splitlines()
                       if line.strip() and not line.lstrip().startswith("-"))  # pins only: no index, no links
        header = (f"# workshop-kit {__version__}: the wheels for {target.label}, CPython {python}\n"
                  f"# resolved with uv pip compile --python-platform {target.uv_platform} --python-version {python}\n")
        lock.write_text(header + text, encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lock, torch


def _pins(lock: Path) -> list[str]:
    return [line.split("#")[0].strip() for line in lock.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith(("#", "-"))]


def _download(p: Plan, target: Target, python: str, lock: Path, torch: Path | None, wheels: Path, say) -> None:
    """Fetch the wheels of one lock into ``wheels`` (a cache first, so the second pack is quick)."""
    cache = cache_dir() / "pack" / "wheels"
    cache.mkdir(parents=True, exist_ok=True)
    pins = _pins(lock)
    bar = _Progress(len(pins), target_name(target, python), say is None)
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename

    accepted = set(target.tags(python))
    have = {}
    for folder in (wheels, cache):
        for w in folder.glob("*.whl"):
            n, v, _, tags = parse_wheel_filename(w.name)
            if tags & accepted:
                have.setdefault((canonicalize_name(n), str(v)), w)
    todo = []
    for pin in pins:
        req = Requirement(pin)
        version = next(iter(req.specifier)).version
        key = (canonicalize_name(req.name), version)
        if torch is not None and key[0] == "torch":
            have[key] = torch
        if key in have:
            _place(have[key], wheels)
            bar.step(1, req.name)
        else:
            todo.append(pin)
    if todo:
        from concurrent.futures import ThreadPoolExecutor

        def fetch(chunk: list[str]):
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version",
                   python, "--implementation", "cp", "-d", str(cache), "--progress-bar", "off",
                   *(["--index-url", p.index_url] if p.index_url else []), *chunk]
            for tag in target.platforms:
                cmd[4:4] = ["--platform", tag]

            def echo(line: str):
                if line.startswith(("Saved ", "File was already downloaded")):
                    bar.step(1, Path(line.split()[-1]).name)

            _run(cmd, f"downloading the wheels for {target_name(target, python)}", echo=echo)

        with ThreadPoolExecutor(max_workers=DOWNLOADS) as pool:  # a few pip processes at once: 2-3x faster
            list(pool.map(fetch, [chunk for i in range(DOWNLOADS) if (chunk := todo[i::DOWNLOADS])]))
        wanted = {(canonicalize_name(Requirement(t).name), next(iter(Requirement(t).specifier)).version) for t in todo}
        for w in cache.glob("*.whl"):
            n, v, _, tags = parse_wheel_filename(w.name)
            if tags & accepted and (canonicalize_name(n), str(v)) in wanted:
                _place(w, wheels)
    bar.close()


def _place(wheel: Path, folder: Path) -> None:
    """Copy ``wheel`` into ``folder`` (whole or not at all: a temporary name, then a rename)."""
    dest = folder / wheel.name
    if dest.is_file() and dest.stat().st_size == wheel.stat().st_size:
        return
    tmp = folder / f".{wheel.name}.part"
    try:
        shutil.copyfile(wheel, tmp)
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == 28:
            raise PackError(f"the disk is full while copying {wheel.name} into {folder}: use a larger stick or fewer "
                            f"targets, then run the same command again (the pack is not marked complete)") from None
        raise


def _copy_tree(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    try:
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".git",
                                                                 ".cache"))
    except OSError as exc:
        if exc.errno == 28 or "No space left" in str(exc):
            raise PackError(f"the disk is full while copying {src.name}: use a larger stick or fewer models "
                            f"(the pack is not marked complete)") from None
        raise


def build(folder: str | os.PathLike, targets: list[tuple[Target, str]] | None = None, *, models: Sequence[str] = (),
          kit_wheel: str | os.PathLike | None = None, torch_links: Sequence[str] = (), index_url: str | None = None,
          quiet: bool = False) -> dict:
    """Build (or bring up to date) the pack in ``folder``; return its manifest. See the module's docstring."""
    say = None if quiet else (lambda text: print(text, file=sys.stderr))
    started = time.perf_counter()
    p = plan(folder, targets or parse_targets(), models=models, kit_wheel=kit_wheel, torch_links=torch_links,
             index_url=index_url)
    root = p.folder
    (root / MANIFEST).unlink(missing_ok=True)  # from here on the folder is not a finished pack
    (root / UNFINISHED).write_text("This pack is being built or its build stopped: build it again with "
                                   "`workshop-kit pack` before using it.\n", encoding="utf-8")
    for sub in ("wheels", "locks", "kit", "reports"):
        (root / sub).mkdir(exist_ok=True)
    if p.source is not None and kit_wheel is None:
        if say:
            say("the kit's wheel …")
        with tempfile.TemporaryDirectory() as tmp:
            built = build_kit_wheel(p.source, Path(tmp))
            for old in (root / "kit").glob("workshop_kit-*.whl"):
                old.unlink()
            _place(built, root / "kit")
            p.kit_wheel = root / "kit" / built.name
    else:
        for old in (root / "kit").glob("workshop_kit-*.whl"):
            if old.name != p.kit_wheel.name:
                old.unlink()
        _place(p.kit_wheel, root / "kit")
        p.kit_wheel = root / "kit" / p.kit_wheel.name
    requirements = kit_requirements(p.kit_wheel)
    seconds: dict[str, float] = {}
    for target, python in p.targets:
        name = target_name(target, python)
        t0 = time.perf_counter()
        if say:
            say(f"{name}: resolving for {target.label}, CPython {python} …")
        lock, torch = _resolve(p, target, python, requirements, root / "locks", say)
        _download(p, target, python, lock, torch, root / "wheels", say)
        missing = check_wheelhouse(_pins(lock) + requirements, read_wheels(root / "wheels"), target, python)
        if missing:
            raise PackError(f"the wheelhouse for {name} is incomplete after downloading: {'; '.join(missing[:5])}")
        seconds[name] = round(time.perf_counter() - t0, 1)
    for key, path in p.models:
        if say:
            say(f"model {key} …")
        _copy_tree(path, root / "models" / key)
        from .pretrained import MODELS, REVISION_FILE

        revision = root / "models" / key / REVISION_FILE
        if not revision.is_file():
            revision.write_text(MODELS[key].revision + "\n", encoding="utf-8")
    for line in convert_for_laptops(root / "models", [key for key, _ in p.models], quiet=quiet):
        if say:
            say(line)
    if p.source is not None:
        _copy_tree(p.source / "notebooks", root / "notebooks")
        (root / "docs").mkdir(exist_ok=True)
        for doc in ("formateur.md",):
            shutil.copyfile(p.source / "docs" / doc, root / "docs" / doc)
        shutil.copyfile(p.source / "LICENSE", root / "LICENSE")
    write_scripts(root, p.targets, p.kit_wheel.name)
    manifest = _manifest(root, p, seconds, time.perf_counter() - started)
    from .files import write_json

    write_json(root / MANIFEST, manifest)  # the last file: now the pack is complete
    (root / UNFINISHED).unlink(missing_ok=True)
    return manifest


def convert_for_laptops(models: Path, keys: Sequence[str], *, quiet: bool = False, check_size: int = 512) -> list[str]:
    """Convert the packed SD-Turbo (``models/sd-turbo``, with ``models/taesd`` when packed) to OpenVINO into
    ``models/openvino``, with the weights the laptops pick: they find it there (the folder's name follows the
    files of the pinned revision, not their dates, so a copy keeps it) and never convert it themselves. Then one
    picture of ``check_size`` from the converted networks and one from PyTorch fp32, same seed, on these real
    weights: how far apart they are, and both side by side in ``models/openvino/sd-turbo-<weights>-check.png``
    (with its figures in the ``.json`` beside it) for the trainer to look at. Returns what was done, in lines; a
    machine without OpenVINO or the memory to convert packs the models alone and says so."""
    if "sd-turbo" not in keys:
        return []
    from . import openvino_rt
    from . import runtime as runtimes
    from .image import sd_turbo

    later = "the laptops will convert SD-Turbo on first use (minutes, and about {need:.0f} GB of memory)"
    folder = models / "sd-turbo"
    need = sd_turbo.memory_needed_gb(str(folder), "convert")
    if not openvino_rt.available():
        return [f"OpenVINO is not installed here (pip install 'workshop-kit[fast]'): {later.format(need=need)}"]
    ok, free = runtimes.fits(need)
    if not ok:
        return [f"converting SD-Turbo needs about {need:.1f} GB of memory and {free:.1f} GB are free here: "
                + later.format(need=need)]
    notes: list[str] = []
    taesd = models / "taesd" if "taesd" in keys else None
    start = time.perf_counter()
    model_dir, decoder_dir = sd_turbo.converted(str(folder), None if taesd is None else str(taesd),
                                                progress=not quiet, notes=notes, dest=models / "openvino")
    lines = [*notes, f"SD-Turbo converted for OpenVINO ({model_dir.name}) in {time.perf_counter() - start:.0f} s: "
                     f"{model_dir.relative_to(models)}, {decoder_dir.relative_to(models)}"]
    from unittest import mock

    from . import pretrained

    with mock.patch.dict(os.environ, {pretrained.ENV_VAR: str(models)}):  # as the laptops will: read from the pack
        check = sd_turbo.compare_with_torch(str(folder), None if taesd is None else str(taesd), size=check_size)
    figures = check.params
    picture = check.save(models / "openvino" / f"sd-turbo-{figures['weights']}-check.png")
    lines.append(f"SD-Turbo {figures['weights']} against PyTorch fp32, same seed, {check_size}², these weights: PSNR "
                 f"{figures['psnr_db']} dB, mean difference {figures['mean_abs']}/255, RMS difference "
                 f"{figures['relative_rms']:.1%} of the picture's spread; the two pictures side by side: "
                 f"{picture.relative_to(models)}")
    return lines


# ---------------------------------------------------------------------------------------------------- manifest
_SKIP = {MANIFEST, UNFINISHED}


def _pack_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "reports"
                  and p.relative_to(root).as_posix() not in _SKIP and not p.name.startswith("."))


def _model_licence(rel: str) -> str:
    """The licence of a file under ``models/``: its model's, for the networks converted from it too
    (``models/openvino/<key>-<stamp>/…``)."""
    from . import pretrained

    parts = rel.split("/")
    name = parts[2] if parts[1] == "openvino" and len(parts) > 2 else parts[1]
    keys = [key for key in pretrained.MODELS if name == key or name.startswith(f"{key}-")]
    return pretrained.MODELS[max(keys, key=len)].licence if keys else "the licence of the model it comes from"


def _manifest(root: Path, p: Plan, seconds: dict, total_seconds: float) -> dict:
    from . import pretrained

    wheels = {w.path.name: w for w in read_wheels(root / "wheels")}
    wheels[p.kit_wheel.name] = Wheel.read(p.kit_wheel)
    files = []
    for path in _pack_files(root):
        rel = path.relative_to(root).as_posix()
        if path.name in wheels:
            licence = wheels[path.name].licence
        elif rel.startswith("models/"):
            licence = _model_licence(rel)
        else:
            licence = "MIT (workshop-kit)"
        files.append({"path": rel, "bytes": path.stat().st_size, "sha256": sha256_file(path), "licence": licence})
    sizes = {}
    by_name = {f["path"]: f["bytes"] for f in files}
    for target, python in p.targets:
        name = target_name(target, python)
        lock = root / "locks" / f"{name}.txt"
        used = _lock_files(lock, target, python, root / "wheels")
        sizes[name] = round((sum(by_name.get(f"wheels/{w}", 0) for w in used) + p.kit_wheel.stat().st_size) / MIB, 1)
    return {
        "format": FORMAT,
        "workshop_kit": __version__,
        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "built_on": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "kit_wheel": f"kit/{p.kit_wheel.name}",
        "targets": [{"name": target_name(t, py), "os": t.key, "label": t.label, "python": py,
                     "lock": f"locks/{target_name(t, py)}.txt", "script": t.script,
                     "megabytes": sizes[target_name(t, py)], "seconds": seconds.get(target_name(t, py))}
                    for t, py in p.targets],
        "models": [{"key": k, "licence": pretrained.MODELS[k].licence, "revision": pretrained.MODELS[k].revision}
                   for k, _ in p.models],
        "megabytes": round(sum(f["bytes"] for f in files) / MIB, 1),
        "build_seconds": round(total_seconds, 1),
        "files": files,
    }


def _lock_files(lock: Path, target: Target, python: str, wheels: Path) -> list[str]:
    """The file names in ``wheels`` that the pins of ``lock`` install on that target."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename

    accepted = set(target.tags(python))
    pins = {(canonicalize_name(Requirement(t).name), next(iter(Requirement(t).specifier)).version)
            for t in _pins(lock)}
    out = []
    for w in sorted(wheels.glob("*.whl")):
        n, v, _, tags = parse_wheel_filename(w.name)
        if (canonicalize_name(n), str(v)) in pins and tags & accepted:
            out.append(w.name)
    return out


def verify(folder: str | os.PathLike) -> list[str]:
    """Check a pack against its manifest; return one line per problem ([] when every file is there and intact)."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise PackError(f"{root} is not a folder: give the folder of the pack (the USB stick)")
    path = root / MANIFEST
    if not path.is_file():
        raise PackError(f"{root} holds no finished pack (no {MANIFEST}: its build did not end); build it again with "
                        f"`workshop-kit pack {root}`",
                        f"{root} ne contient pas de pack terminé (pas de {MANIFEST} : sa fabrication n'a pas abouti) ; "
                        f"refaites-le avec `workshop-kit pack {root}`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PackError(f"{path} is damaged ({exc}); build the pack again") from None
    if manifest.get("format") != FORMAT:
        raise PackError(f"{path} is a pack of format {manifest.get('format')!r}, this kit reads format {FORMAT}: "
                        f"build it again with this kit")
    problems = []
    listed = set()
    for entry in files:
        rel = entry["path"]
        listed.add(rel)
        file = root / rel
        if not file.is_file():
            problems.append(f"missing: {rel}")
        elif file.stat().st_size != entry["bytes"] or sha256_file(file) != entry["sha256"]:
            problems.append(f"damaged (sha256 differs): {rel}")
    for file in _pack_files(root):
        rel = file.relative_to(root).as_posix()
        if rel not in listed:
            problems.append(f"not in the manifest: {rel}")
    return problems


# ---------------------------------------------------------------------------------------------------- scripts
def write_scripts(root: Path, targets: list[tuple[Target, str]], kit_wheel: str) -> None:
    """The install scripts, one per kind of system the pack serves."""
    names = {target_name(t, py) for t, py in targets}
    shell = any(t.script == "install.sh" for t, _ in targets)
    windows = any(t.script == "install.bat" for t, _ in targets)
    if shell:
        _write(root / "install.sh",
               INSTALL_SH.replace("@KIT@", kit_wheel).replace("@TARGETS@", " ".join(sorted(names))),
               executable=True)
    if windows:
        _write(root / "install.bat", INSTALL_BAT, newline="\r\n")
        _write(root / "install.ps1", INSTALL_PS1.replace("@KIT@", kit_wheel), newline="\r\n")


def _write(path: Path, text: str, *, executable: bool = False, newline: str = "\n") -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(text.replace("\n", newline).encode("utf-8"))
    if executable:
        tmp.chmod(0o755)
    os.replace(tmp, path)


INSTALL_SH = r"""#!/bin/sh
# workshop-kit: install from this USB stick, with no network at all (macOS and Linux).
#   sh install.sh            -> ~/workshop-kit (a virtual environment, the notebooks, the models)
#   sh install.sh FOLDER     -> somewhere else
# Then the doctor checks the laptop and writes its report onto the stick, in reports/.
set -eu
STICK=$(cd "$(dirname "$0")" && pwd)
DEST=${1:-"$HOME/workshop-kit"}
say() { printf '%s\n' "$*"; }
fail() { say "workshop-kit install: $*" >&2; exit 1; }
[ -f "$STICK/MANIFEST.json" ] && [ ! -f "$STICK/PACK-UNFINISHED.txt" ] || \
  fail "this stick holds no finished pack (no MANIFEST.json): build it again with workshop-kit pack"
OS=$(uname -s); ARCH=$(uname -m)
case "$OS" in Darwin) os=macos ;; Linux) os=linux ;; *) fail "unsupported system $OS" ;; esac
case "$ARCH" in arm64|aarch64) arch=arm64 ;; x86_64|amd64) arch=x64 ;; *) fail "unsupported processor $ARCH" ;; esac
# The first Python that runs and that this stick has wheels for ($PYTHON to choose one).
PY=""; NAME=""; SEEN=""
for c in ${PYTHON:-} python3.12 python3.11 python3.13 python3.10 python3; do
  v=$("$c" -c 'import sys; print("%d%d" % sys.version_info[:2])' 2>/dev/null) || continue
  SEEN="$SEEN $c(cp$v)"
  case " @TARGETS@ " in *" $os-$arch-cp$v "*) PY=$(command -v "$c"); NAME="$os-$arch-cp$v"; break ;; esac
done
[ -n "$PY" ] || fail "no Python this stick serves was found (found:${SEEN:- none}; the stick has: @TARGETS@): install Python 3.11 or 3.12 from python.org, then run this again"
say "workshop-kit: installing for $NAME into $DEST (no network needed) ..."
mkdir -p "$DEST"
"$PY" -m venv "$DEST/venv" || fail "could not make a virtual environment (on Debian/Ubuntu: the python3-venv package)"
"$DEST/venv/bin/python" -m pip install --no-index --find-links "$STICK/wheels" --no-cache-dir --quiet --no-deps --no-compile \
  -r "$STICK/locks/$NAME.txt" "$STICK/kit/@KIT@" || fail "pip could not install from the stick (see above)"
rm -rf "$DEST/notebooks.new" && cp -R "$STICK/notebooks" "$DEST/notebooks.new" && rm -rf "$DEST/notebooks" && \
  mv "$DEST/notebooks.new" "$DEST/notebooks"
if [ -d "$STICK/models" ]; then mkdir -p "$DEST/models" && cp -R "$STICK/models/." "$DEST/models/"; fi
cat > "$DEST/jupyter.sh" <<EOF
#!/bin/sh
# Start the notebooks (the pretrained models are found in $DEST/models).
export WORKSHOP_KIT_MODELS="$DEST/models" HF_HUB_OFFLINE=1
cd "$DEST/notebooks" && exec "$DEST/venv/bin/jupyter" lab
EOF
chmod +x "$DEST/jupyter.sh"
HOST=$(hostname 2>/dev/null | tr -c 'A-Za-z0-9._\n-' '_')
mkdir -p "$STICK/reports"
REPORT="$STICK/reports/${HOST:-laptop}.json"
say "workshop-kit: the doctor checks this laptop ..."
WORKSHOP_KIT_MODELS="$DEST/models" HF_HUB_OFFLINE=1 "$DEST/venv/bin/workshop-kit" doctor --json > "$REPORT.part" \
  && STATUS=0 || STATUS=$?
mv "$REPORT.part" "$REPORT"
"$DEST/venv/bin/workshop-kit" room --summary "$REPORT" || true
say "workshop-kit: installed. Notebooks: $DEST/jupyter.sh   Report: $REPORT"
exit $STATUS
"""  # noqa: E501

INSTALL_BAT = r"""@echo off
rem workshop-kit: install from this USB stick, with no network at all (Windows). Double-click, or:
rem   install.bat            -> %USERPROFILE%\workshop-kit
rem   install.bat FOLDER     -> somewhere else
powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1" %*
set STATUS=%ERRORLEVEL%
if "%~1"=="" pause
exit /b %STATUS%
"""

INSTALL_PS1 = r"""# workshop-kit: install from this USB stick, with no network at all (Windows PowerShell 5 or later).
param([string]$Dest = (Join-Path $env:USERPROFILE "workshop-kit"))
$ErrorActionPreference = "Stop"
$Stick = Split-Path -Parent $MyInvocation.MyCommand.Path
function Fail($text) { Write-Host "workshop-kit install: $text" -ForegroundColor Red; exit 1 }
if (-not (Test-Path (Join-Path $Stick "MANIFEST.json")) -or (Test-Path (Join-Path $Stick "PACK-UNFINISHED.txt"))) {
  Fail "this stick holds no finished pack (no MANIFEST.json): build it again with workshop-kit pack" }
$Py = $null
foreach ($v in "3.12", "3.11", "3.13", "3.10") {
  try { & py "-$v" -c "import sys" 2>$null; if ($LASTEXITCODE -eq 0) { $Py = @("py", "-$v"); break } } catch {} }
if (-not $Py) { try { & python -c "import sys" 2>$null; if ($LASTEXITCODE -eq 0) { $Py = @("python") } } catch {} }
if (-not $Py) { Fail "Python was not found: install Python 3.11 or 3.12 (64-bit) from python.org, then run this again" }
$Exe = $Py[0]; $PyArgs = @($Py | Select-Object -Skip 1)
$Info = & $Exe @PyArgs -c "import sys, platform; print('%d%d %s %d' % (sys.version_info[0], sys.version_info[1], platform.machine(), 64 if sys.maxsize > 2**32 else 32))"
$Ver, $Machine, $Bits = $Info.Split(" ")
if ($Bits -ne "64") { Fail "this Python is 32-bit: install the 64-bit Python from python.org (torch has no 32-bit build)" }
if ($Machine -eq "ARM64") { Fail "this Python is for ARM: install the x64 (64-bit Intel) Python from python.org; Windows runs it by emulation" }
$Name = "windows-x64-cp$Ver"
$Lock = Join-Path $Stick "locks\$Name.txt"
if (-not (Test-Path $Lock)) { Fail "this stick has no wheels for $Name; install a Python it serves (see locks\)" }
Write-Host "workshop-kit: installing for $Name into $Dest (no network needed) ..."
New-Item -ItemType Directory -Force -Path $Dest | Out-Null
& $Exe @PyArgs -m venv (Join-Path $Dest "venv"); if ($LASTEXITCODE -ne 0) { Fail "could not make a virtual environment" }
$VPy = Join-Path $Dest "venv\Scripts\python.exe"
& $VPy -m pip install --no-index --find-links (Join-Path $Stick "wheels") --no-cache-dir --quiet --no-deps --no-compile -r $Lock (Join-Path $Stick "kit\@KIT@")
if ($LASTEXITCODE -ne 0) { Fail "pip could not install from the stick (see above)" }
$Nb = Join-Path $Dest "notebooks"
if (Test-Path $Nb) { Remove-Item -Recurse -Force $Nb }
Copy-Item -Recurse (Join-Path $Stick "notebooks") $Nb
$Models = Join-Path $Dest "models"
New-Item -ItemType Directory -Force -Path $Models | Out-Null
if (Test-Path (Join-Path $Stick "models")) { Copy-Item -Recurse -Force (Join-Path $Stick "models\*") $Models }
Set-Content -Encoding ASCII -Path (Join-Path $Dest "jupyter.bat") -Value @(
  "@echo off", "set WORKSHOP_KIT_MODELS=$Models", "set HF_HUB_OFFLINE=1", "cd /d `"$Nb`"",
  "`"$Dest\venv\Scripts\jupyter.exe`" lab")
$Reports = Join-Path $Stick "reports"
New-Item -ItemType Directory -Force -Path $Reports | Out-Null
$Report = Join-Path $Reports (($env:COMPUTERNAME -replace '[^A-Za-z0-9._-]', '_') + ".json")
Write-Host "workshop-kit: the doctor checks this laptop ..."
$env:WORKSHOP_KIT_MODELS = $Models; $env:HF_HUB_OFFLINE = "1"; $env:PYTHONIOENCODING = "utf-8"
$Json = & (Join-Path $Dest "venv\Scripts\workshop-kit.exe") doctor --json
$Status = $LASTEXITCODE
[System.IO.File]::WriteAllText("$Report.part", ($Json -join "`n"), (New-Object System.Text.UTF8Encoding $false))
Move-Item -Force "$Report.part" $Report
& (Join-Path $Dest "venv\Scripts\workshop-kit.exe") room --summary $Report
Write-Host "workshop-kit: installed. Notebooks: $Dest\jupyter.bat   Report: $Report"
exit $Status
"""  # noqa: E501


def summary(manifest: dict) -> str:
    """A few lines for the trainer: size per target, the whole pack, the models."""
    lines = [f"pack of workshop-kit {manifest['workshop_kit']}: {manifest['megabytes'] / 1024:.2f} GB in "
             f"{len(manifest['files'])} files, built in {manifest['build_seconds']:.0f} s"]
    for t in manifest["targets"]:
        took = f", {t['seconds']:.0f} s" if t.get("seconds") is not None else ""
        lines.append(f"  {t['name']:22} {t['megabytes']:8.1f} MB   {t['label']}{took}")
    for m in manifest["models"]:
        lines.append(f"  model {m['key']:16} {m['licence']}")
    return "\n".join(lines)
