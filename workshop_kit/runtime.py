"""Choosing how a pretrained engine runs here, and what one result costs on this machine, measured.

The pretrained engines take ``runtime="auto"`` (the fastest this machine has), or a runtime by name. What each
runtime needs in memory is compared with what the machine has free before anything is loaded, and a runtime
that does not fit falls back to one that does, with a note in the result. How long one booth result takes is
measured (a short timed run of the real model), kept per machine in ``cache_dir()/timings.json``, and read back by
the booth and the doctor: the booth offers a pretrained engine only where that measurement meets its bar.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BOOTH_MAX_SECONDS", "LAPTOP_SHARE", "Choice", "fits", "weights_gb", "machine_key", "recorded_seconds",
           "record_seconds", "booth_options", "measure_seconds"]

TIMINGS_FILE = "timings.json"
BOOTH_MAX_SECONDS = 3.0
"""A pretrained picture or music engine is offered at the booth where one piece takes about what an embedded one
takes: at most this long, as measured on this machine (at start-up, or by the doctor)."""
LAPTOP_SHARE = 0.5
"""A pretrained engine fits a machine when its peak memory is at most this share of the machine's memory (4 GB of an
8 GB laptop: the rest is the system, the browser, the booth)."""


@dataclass(frozen=True)
class Choice:
    """The runtime that will run, and why (empty when it is the one asked for)."""

    name: str
    why: str = ""


def weights_gb(folder: str | os.PathLike, patterns: tuple[str, ...] = ("*.safetensors", "*.bin")) -> float:
    """The size of the weight files under ``folder`` (GB)."""
    folder = Path(folder)
    return sum(p.stat().st_size for pattern in patterns for p in folder.rglob(pattern) if p.is_file()) / 2**30


def fits(need_gb: float) -> tuple[bool, float]:
    """Whether ``need_gb`` of memory is free now, and how much is."""
    from .openvino_rt import free_memory_gb

    free = free_memory_gb()
    return free >= need_gb, free


def machine_key() -> str:
    """A name for this machine's compute: the CPU, its cores, the memory and the libraries' versions."""
    from importlib import metadata

    from ._version import __version__

    parts: list[Any] = [__version__, platform.machine(), platform.processor(), os.cpu_count()]
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            parts.append(next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), ""))
    except OSError:
        pass
    for name in ("torch", "openvino"):
        try:
            parts.append(metadata.version(name))
        except metadata.PackageNotFoundError:
            parts.append("")
    return hashlib.sha1(json.dumps(parts).encode()).hexdigest()[:12]


def _timings_path() -> Path:
    from .files import cache_dir

    return cache_dir() / TIMINGS_FILE


def _key(engine: str, options: dict[str, Any]) -> str:
    return engine + " " + json.dumps(options, sort_keys=True, default=str)


def _read() -> dict[str, Any]:
    try:
        return json.loads(_timings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def recorded_seconds(engine: str, options: dict[str, Any]) -> dict[str, Any] | None:
    """The measurement kept for ``engine`` with ``options`` on this machine, or ``None``."""
    return _read().get(machine_key(), {}).get(_key(engine, options))


def record_seconds(engine: str, options: dict[str, Any], entry: dict[str, Any]) -> None:
    from .files import write_json

    data = _read()
    data.setdefault(machine_key(), {})[_key(engine, options)] = entry
    path = _timings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, data)


def booth_options(engine, device: str = "auto") -> dict[str, Any]:
    """The options of the booth result an engine is measured on: its registry case, on ``device``."""
    return {**engine.cases[0].options, "device": device}


def measure_seconds(engine_name: str, options: dict[str, Any], *, fresh: bool = False,
                    isolated: bool = False) -> dict[str, Any]:
    """How long one result of ``engine_name`` with ``options`` takes here: kept, or measured now and kept.

    The engine runs twice (the first run loads, and converts once where its runtime needs it); the second is timed.
    Returns ``{"seconds", "first_s", "runtime", "peak_rss_gb", "measured"}``. With ``isolated`` the runs take a
    process of their own, so that the peak memory is the engine's alone and is given back after (the doctor);
    without, the engine stays loaded in this process (the booth, which will use it). Raises what the engine raises
    (a :class:`~workshop_kit.errors.MissingModelError` when its weights are not here).
    """
    from .openvino_rt import peak_rss_gb
    from .provenance import now_iso
    from .registry import ENGINES

    if not fresh:
        kept = recorded_seconds(engine_name, options)
        if kept is not None:
            return kept
    if isolated:
        import subprocess
        import sys

        code = ("import json, sys; from workshop_kit import runtime; "
                "print(json.dumps(runtime.measure_seconds(sys.argv[1], json.loads(sys.argv[2]), fresh=True)))")
        run = subprocess.run([sys.executable, "-c", code, engine_name, json.dumps(options)], capture_output=True,
                             text=True)
        if run.returncode:
            lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
            raise RuntimeError(lines[-1] if lines else f"the measurement stopped (exit {run.returncode})")
        return json.loads(run.stdout.strip().splitlines()[-1])
    engine = ENGINES[engine_name]
    start = time.perf_counter()
    engine.generate(seed=0, **options)
    first = time.perf_counter() - start
    start = time.perf_counter()
    result = engine.generate(seed=1, **options)
    seconds = time.perf_counter() - start
    runtime = (result.model or {}).get("runtime", {})
    entry = {"seconds": round(seconds, 3), "first_s": round(first, 3), "runtime": runtime.get("name", "torch"),
             "peak_rss_gb": round(peak_rss_gb(), 2), "measured": now_iso()}
    record_seconds(engine_name, options, entry)
    return entry
