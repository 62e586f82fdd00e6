"""Pre-flight check of a laptop before a workshop: ``workshop-kit doctor``.

Reports Python, torch and kit versions, the device, memory, free disk, and for each engine whether it runs and how long
one generation takes. Exit status 1 when something would block the workshop. The report is worded in French, English
or Arabic (``format_report(report, lang)``, the ``doctor.*`` keys of :data:`workshop_kit.i18n.STRINGS`); its JSON
form is in English.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from ._version import __version__
from .i18n import DEFAULT_LANG, Msg, Plain, check_lang, t

MIN_PYTHON = (3, 10)
MIN_RAM_GB = 4.0
MIN_DISK_GB = 2.0


@dataclass
class Check:
    """One line of the report. ``value`` and ``detail`` are text or a :class:`~workshop_kit.i18n.Msg`."""

    name: str
    ok: bool
    value: Msg | Plain | str
    detail: Msg | Plain | str = ""
    blocking: bool = True
    seconds: float | None = None

    def words(self, lang: str = "en") -> tuple[str, str]:
        """``value`` and ``detail`` in ``lang``."""
        return tuple(w.render(lang) if isinstance(w, (Msg, Plain)) else str(w) for w in (self.value, self.detail))

    def to_dict(self) -> dict[str, Any]:
        value, detail = self.words("en")
        return {"name": self.name, "ok": self.ok, "value": value, "detail": detail, "blocking": self.blocking,
                "seconds": self.seconds}


REPORT_FORMAT = 2
"""Version of the JSON report (``workshop-kit doctor --json``) that ``workshop-kit room`` reads."""


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # numbers for the room check: memory, disk, ...

    @property
    def ok(self) -> bool:
        return all(c.ok or not c.blocking for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        timed = [c for c in self.checks if c.seconds is not None]
        slowest = max(timed, key=lambda c: c.seconds) if timed else None
        return {"format": REPORT_FORMAT, "ok": self.ok, "workshop_kit": __version__, "host": platform.node(),
                "os": platform.system(), "os_release": platform.release(), "machine": platform.machine(),
                "python": platform.python_version(), "python_bits": 64 if sys.maxsize > 2**32 else 32,
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "slowest": {"name": slowest.name, "seconds": slowest.seconds} if slowest else None,
                **self.facts, "checks": [c.to_dict() for c in self.checks]}


def laptop_supported(system: str, machine: str, python: tuple[int, int], bits: int = 64,
                     glibc: tuple[int, int] | None = None) -> tuple[bool, str]:
    """Whether a torch exists for this kind of laptop, and what to do when none does (README, "Which laptops")."""
    machine = machine.lower()
    if bits != 64:
        return False, "a 32-bit Python: torch has no 32-bit build; install the 64-bit Python from python.org"
    if system == "Windows" and machine in ("arm64", "aarch64"):
        return False, ("Windows on ARM: torch has no build for it; install the x64 Python from python.org "
                       "(Windows runs it by emulation), then the kit again")
    if system == "Darwin" and machine == "x86_64":
        if python >= (3, 13):
            return False, "an Intel Mac: its last torch (2.2.2) stops at Python 3.12; install Python 3.12"
        return True, "an Intel Mac: torch 2.2.2 (the last built for it), numpy 1.x"
    if system == "Linux" and glibc is not None and glibc < (2, 17):
        return False, f"glibc {glibc[0]}.{glibc[1]} is too old for any torch wheel (2.17 or newer)"
    if system == "Linux" and glibc is not None and glibc < (2, 28):
        return True, f"glibc {glibc[0]}.{glibc[1]}: an older torch (before 2.7); 2.28 or newer gets the current one"
    if system not in ("Windows", "Darwin", "Linux") or machine not in ("amd64", "x86_64", "arm64", "aarch64"):
        return False, f"{system} on {machine}: torch has no build for it"
    return True, ""


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
              "" if py[:2] >= MIN_PYTHON else Msg("doctor.python_old", version=f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]}")))
    add(Check("workshop-kit", True, __version__))
    libc = platform.libc_ver()
    glibc = tuple(int(x) for x in libc[1].split(".")[:2]) if libc[0] == "glibc" and libc[1] else None
    supported, why = laptop_supported(platform.system(), platform.machine(), tuple(py[:2]),
                                      64 if sys.maxsize > 2**32 else 32, glibc)
    add(Check("laptop", supported, f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
              why))

    torch_version = _version("torch")
    add(Check("torch", torch_version is not None, torch_version or Msg("doctor.missing"),
              "" if torch_version else Msg("doctor.install_torch", command="pip install torch==2.13.0")))
    if torch_version:
        try:
            from .device import resolve_device

            device = resolve_device("auto")
            add(Check("device", True, device, Msg("doctor.gpu_helps") if device == "cpu" else "", blocking=False))
        except Exception as exc:  # a broken torch install must not stop the report
            add(Check("device", False, Msg("doctor.unknown"), f"{type(exc).__name__}: {exc}"))

    try:
        import psutil

        ram = psutil.virtual_memory()
        total, avail = ram.total / 2**30, ram.available / 2**30
        report.facts.update(memory_gb=round(total, 2), memory_free_gb=round(avail, 2))
        add(Check("memory", total >= MIN_RAM_GB, Msg("doctor.memory", total=total, free=avail),
                  "" if total >= MIN_RAM_GB else Msg("doctor.memory_needed", n=MIN_RAM_GB)))
    except ImportError:
        add(Check("memory", False, Msg("doctor.unknown"), Msg("doctor.install", command="pip install psutil"),
                  blocking=False))

    free = shutil.disk_usage(os.getcwd()).free / 2**30
    report.facts.update(disk_free_gb=round(free, 2))
    add(Check("disk", free >= MIN_DISK_GB, Msg("doctor.disk", free=free),
              "" if free >= MIN_DISK_GB else Msg("doctor.disk_needed", n=MIN_DISK_GB)))

    for package, why in (("gradio", "booth"), ("pretty_midi", "audio"), ("trimesh", "3d"),
                         ("librosa", "analysis"), ("jupyterlab", "notebooks")):
        v = _version(package)
        add(Check(package, v is not None, v or Msg("doctor.missing"), "" if v else Msg(f"doctor.needed_for.{why}")))

    try:  # the kit's own models: here, and the files those that ship were made with
        from . import shipped

        for model in shipped.SHIPPED.values():
            folder = model.folder()
            missing = model.missing(folder)
            changed = [] if missing or not model.is_shipped(folder) else model.verify(folder)
            ok = not missing and not changed
            where = Msg("doctor.shipped") if model.is_shipped(folder) else str(folder)
            value = Msg("doctor.verified" if model.is_shipped(folder) else "doctor.found") if ok else \
                Msg("doctor.missing" if missing else "doctor.damaged")
            detail = Msg("doctor.model_here", where=where, licence=model.licence) if ok else (
                Msg("doctor.model_missing", files=missing, command=model.train_command) if missing else
                Msg("doctor.model_changed", files=changed))
            add(Check(f"model {model.key}", ok, value, detail))
    except Exception as exc:  # noqa: BLE001 - a broken folder must not stop the report
        add(Check("shipped models", False, Msg("doctor.unknown"), f"{type(exc).__name__}: {exc}"))

    try:  # the pretrained tier is optional: report what is here, never block on it
        from .pretrained import status

        for row in status():
            licence = row["licence"] if row["commercial_use"] else \
                Msg("doctor.non_commercial", licence=row["licence"])
            where = row["path"] if row["found"] else \
                Msg("doctor.optional_fetch", command=f"workshop-kit models fetch {row['key']}")
            add(Check(f"model {row['key']}", row["found"], Msg("doctor.found" if row["found"] else "doctor.not_here"),
                      Msg("doctor.pretrained", licence=licence, where=where), blocking=False))
    except Exception as exc:  # noqa: BLE001 - a broken cache must not stop the report
        add(Check("pretrained models", False, Msg("doctor.unknown"), f"{type(exc).__name__}: {exc}", blocking=False))

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
                          Msg("doctor.minutes", n=minutes) if minutes >= 1 else Msg("doctor.under_a_minute"),
                          Msg("doctor.booth_ok" if minutes <= 2 else "doctor.booth_too_slow"), blocking=False))
            except Exception as exc:  # noqa: BLE001 - an estimate must never stop the report
                add(Check(f"{engine.name} time", False, Msg("doctor.unknown"), f"{type(exc).__name__}: {exc}",
                          blocking=False))

    from .registry import MODALITIES

    with tempfile.TemporaryDirectory() as tmp:
        for engine, options in _engine_jobs(quick):
            label = f"{engine.modality}/{engine.name}"
            state = engine.ready()
            if not state:
                add(Check(label, False, Msg("doctor.not_ready"), Plain(state.reason, state.reason_fr or None)))
                continue
            try:
                start = time.perf_counter()
                # the first call loads what the engine needs (torch, the SoundFont …)
                engine.generate(seed=0, **options)
                first = time.perf_counter() - start
                start = time.perf_counter()
                result = engine.generate(seed=1, **options)  # another seed: nothing cached from the first call
                seconds = time.perf_counter() - start
                result.save(os.path.join(tmp, "check" + MODALITIES[engine.modality].formats()[0]))
                add(Check(label, True, Msg("doctor.seconds", n=seconds), Msg("doctor.first_call", n=first),
                          seconds=round(seconds, 3)))
            except Exception as exc:  # the doctor reports every failure and goes on
                add(Check(label, False, Msg("doctor.fails"), f"{type(exc).__name__}: {exc}"))
    return report


def format_report(report: Report, lang: str = DEFAULT_LANG) -> str:
    """The report as lines of text in ``lang`` (``"fr"``, ``"en"`` or ``"ar"``)."""
    lang = check_lang(lang)
    width = max(len(c.name) for c in report.checks)
    lines = [t("doctor.title", lang), ""]
    for c in report.checks:
        mark = "OK " if c.ok else ("!! " if c.blocking else "-- ")
        value, detail = c.words(lang)
        lines.append(f"  {mark}{c.name.ljust(width)}  {value}" + (f"   ({detail})" if detail else ""))
    lines.append("")
    lines.append(t("doctor.ready" if report.ok else "doctor.blocked", lang))
    return "\n".join(lines)


def main(*, as_json: bool = False, quick: bool = False, lang: str = DEFAULT_LANG) -> int:
    report = run_checks(quick=quick)
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else format_report(report, lang))
    return 0 if report.ok else 1
