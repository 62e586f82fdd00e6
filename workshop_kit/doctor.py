"""Pre-flight check of a laptop before a workshop: ``workshop-kit doctor``.

Reports Python, torch and kit versions, the device, memory, free disk, and for each engine whether it runs and how long
one generation takes. Exit status 1 when something would block the workshop.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

from ._version import __version__

MIN_PYTHON = (3, 10)
MIN_RAM_GB = 4.0
MIN_DISK_GB = 2.0


@dataclass
class Check:
    name: str
    ok: bool
    value: str
    detail: str = ""
    blocking: bool = True
    seconds: float | None = None


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok or not c.blocking for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "workshop_kit": __version__, "host": platform.node(), "checks": [asdict(c) for c in self.checks]}


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


QUICK = {"image": {"size": 256}, "music": {"bars": 2}, "mesh": {}}
"""Options of the doctor's quick mode, per modality: small generations that still run every engine."""


def _engine_jobs(quick: bool):
    """(engine, options) of one generation per embedded engine: the first benchmark case of its registry entry, made
    smaller when ``quick`` (never below what the engine allows)."""
    from .registry import ENGINES

    jobs = []
    for engine in ENGINES.values():
        if engine.tier != "embedded":
            continue
        options = dict(engine.cases[0].options) if engine.cases else {}
        if quick:
            for name, value in QUICK[engine.modality].items():
                if engine.takes(name):
                    low = engine.option(name).low
                    options[name] = max(value, int(low)) if low is not None else value
        jobs.append((engine, options))
    return jobs


def _measured(engine) -> Check:
    """How long one booth result of a pretrained engine takes on this machine, with the runtime the kit picks, and
    whether it fits: measured by a short run of the real model in a process of its own (its own peak memory),
    kept for the booth; "not here" when the weights are not."""
    from . import runtime

    name = f"{engine.name} time"
    state = engine.ready()
    if not state:
        return Check(name, True, "not here", state.reason, blocking=False)
    case = engine.cases[0]
    try:
        entry = runtime.measure_seconds(engine.name, runtime.booth_options(engine), fresh=True, isolated=True)
    except Exception as exc:  # noqa: BLE001 - a measurement must never stop the report
        return Check(name, False, "fails", f"{type(exc).__name__}: {exc}", blocking=False)
    try:
        import psutil

        total = psutil.virtual_memory().total / 2**30
    except ImportError:
        total = float("inf")
    fits = entry["peak_rss_gb"] <= runtime.LAPTOP_SHARE * total
    booth = entry["seconds"] <= runtime.BOOTH_MAX_SECONDS
    detail = (f"{case.what}; {entry['runtime']}, peak memory {entry['peak_rss_gb']:.1f} GB "
              + (f"(fits this {total:.0f} GB machine)" if fits else f"(too much beside the rest on {total:.0f} GB)")
              + f"; first run with loading {entry['first_s']:.1f} s; "
              + ("offered at the booth" if booth and fits else
                 f"not offered at the booth (over {runtime.BOOTH_MAX_SECONDS:g} s)" if fits else
                 "not offered at the booth"))
    return Check(name, fits, f"{entry['seconds']:.2f} s per result", detail, blocking=False,
                 seconds=entry["seconds"])


def run_checks(*, quick: bool = False) -> Report:
    """Run every check and return the report (nothing is printed)."""
    report = Report()
    add = report.checks.append

    py = sys.version_info
    add(Check("python", py[:2] >= MIN_PYTHON, platform.python_version(),
              "" if py[:2] >= MIN_PYTHON else f"Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer is needed"))
    add(Check("workshop-kit", True, __version__))

    torch_version = _version("torch")
    add(Check("torch", torch_version is not None, torch_version or "missing",
              "" if torch_version else "install the CPU build: pip install torch==2.13.0"))
    if torch_version:
        try:
            from .device import resolve_device

            device = resolve_device("auto")
            add(Check("device", True, device, "a GPU speeds up the pretrained tier" if device == "cpu" else "", blocking=False))
        except Exception as exc:  # a broken torch install must not stop the report
            add(Check("device", False, "unknown", f"{type(exc).__name__}: {exc}"))

    try:
        import psutil

        ram = psutil.virtual_memory()
        total, avail = ram.total / 2**30, ram.available / 2**30
        add(Check("memory", total >= MIN_RAM_GB, f"{total:.1f} GB total, {avail:.1f} GB free",
                  "" if total >= MIN_RAM_GB else f"at least {MIN_RAM_GB:.0f} GB is needed"))
    except ImportError:
        add(Check("memory", False, "unknown", "install psutil", blocking=False))

    free = shutil.disk_usage(os.getcwd()).free / 2**30
    add(Check("disk", free >= MIN_DISK_GB, f"{free:.1f} GB free here",
              "" if free >= MIN_DISK_GB else f"at least {MIN_DISK_GB:.0f} GB of free disk is needed"))

    for package, why in (("gradio", "the booth"), ("tinysoundfont", "music audio"), ("trimesh", "3D"),
                         ("librosa", "audio analysis"), ("jupyterlab", "the notebooks")):
        v = _version(package)
        add(Check(package, v is not None, v or "missing", "" if v else f"needed for {why}"))

    try:  # the kit's own models: here, and the files those that ship were made with
        from . import shipped

        for model in shipped.SHIPPED.values():
            folder = model.folder()
            missing = model.missing(folder)
            changed = [] if missing or not model.is_shipped(folder) else model.verify(folder)
            ok = not missing and not changed
            where = "shipped" if model.is_shipped(folder) else str(folder)
            value = ("sha256 verified" if model.is_shipped(folder) else "found") if ok else \
                ("missing" if missing else "damaged")
            detail = f"{where}; {model.licence}" if ok else (
                f"missing {', '.join(missing)}; {model.train_command}" if missing else
                f"files differ from the manifest: {', '.join(changed)}; reinstall the kit")
            add(Check(f"model {model.key}", ok, value, detail))
    except Exception as exc:  # noqa: BLE001 - a broken folder must not stop the report
        add(Check("shipped models", False, "unknown", f"{type(exc).__name__}: {exc}"))

    try:  # the pretrained tier is optional: report what is here, never block on it
        from .pretrained import status

        for row in status():
            licence = row["licence"] + ("" if row["commercial_use"] else ", non-commercial")
            add(Check(f"model {row['key']}", row["found"], "found" if row["found"] else "not here",
                      f"{licence}; " + (row["path"] if row["found"] else "optional: workshop-kit models fetch " + row["key"]),
                      blocking=False))
    except Exception as exc:  # noqa: BLE001 - a broken cache must not stop the report
        add(Check("pretrained models", False, "unknown", f"{type(exc).__name__}: {exc}", blocking=False))

    if torch_version:  # the slow engines: say what they would cost here before anyone waits for them
        from .registry import ENGINES

        for engine in ENGINES.values():
            if engine.estimate is None:
                continue
            if engine.takes("runtime") and engine.cases:  # measured here, not estimated
                add(_measured(engine))
                continue
            try:
                minutes = engine.estimate_seconds("auto") / 60
                add(Check(f"{engine.name} time", True,
                          f"about {minutes:.0f} min per result" if minutes >= 1 else "under a minute",
                          "practical at the booth" if minutes <= 2 else "too slow for the booth on this machine: GPU only",
                          blocking=False))
            except Exception as exc:  # noqa: BLE001 - an estimate must never stop the report
                add(Check(f"{engine.name} time", False, "unknown", f"{type(exc).__name__}: {exc}", blocking=False))

    from .registry import MODALITIES

    with tempfile.TemporaryDirectory() as tmp:
        for engine, options in _engine_jobs(quick):
            label = f"{engine.modality}/{engine.name}"
            state = engine.ready()
            if not state:
                add(Check(label, False, "not ready", state.reason))
                continue
            try:
                start = time.perf_counter()
                engine.generate(seed=0, **options)  # the first call loads what the engine needs (torch, the SoundFont …)
                first = time.perf_counter() - start
                start = time.perf_counter()
                result = engine.generate(seed=1, **options)  # another seed: nothing cached from the first call
                seconds = time.perf_counter() - start
                result.save(os.path.join(tmp, "check" + MODALITIES[engine.modality].formats()[0]))
                add(Check(label, True, f"{seconds:.2f} s", f"first call {first:.2f} s with loading", seconds=round(seconds, 3)))
            except Exception as exc:  # the doctor reports every failure and goes on
                add(Check(label, False, "fails", f"{type(exc).__name__}: {exc}"))
    return report


def format_report(report: Report) -> str:
    width = max(len(c.name) for c in report.checks)
    lines = ["workshop-kit doctor — vérification avant l'atelier / pre-flight check", ""]
    for c in report.checks:
        mark = "OK " if c.ok else ("!! " if c.blocking else "-- ")
        lines.append(f"  {mark}{c.name.ljust(width)}  {c.value}" + (f"   ({c.detail})" if c.detail else ""))
    lines.append("")
    lines.append("Prêt pour l'atelier. / Ready for the workshop." if report.ok
                 else "Quelque chose bloque l'atelier (!!). / Something blocks the workshop (!!).")
    return "\n".join(lines)


def main(*, as_json: bool = False, quick: bool = False) -> int:
    report = run_checks(quick=quick)
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else format_report(report))
    return 0 if report.ok else 1
