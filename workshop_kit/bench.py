"""``workshop-kit bench``: import time, each engine (median of several runs), peak memory, booth start-up.

Speed targets live here, not in the tests: shared machines are noisy, so the figures are medians and the verdict is a
column of the table rather than a failing test.
"""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from ._version import __version__
from .files import replace_block, write_json
from .provenance import now_iso

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    try:
        import psutil

        ram_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        ram_gb = None
    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = None
    return {"system": platform.system(), "cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram_gb,
            "python": platform.python_version(), "torch": torch_version, "workshop_kit": __version__}


def time_runs(fn: Callable[[], Any], runs: int, warmup: int = 1) -> dict[str, float]:
    """Call ``fn`` ``warmup`` times untimed, then ``runs`` times; return the median, min and max in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": runs}


def import_time(runs: int) -> dict[str, float]:
    """Time ``import workshop_kit`` in fresh interpreters (interpreter start-up excluded)."""
    code = "import time; t = time.perf_counter(); import workshop_kit; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
             for _ in range(runs)]
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": runs}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def booth_startup(timeout: float = 180.0) -> dict[str, float]:
    """Seconds from starting ``workshop-kit booth`` in a fresh process to its page answering."""
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "workshop_kit", "booth", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"the booth exited with status {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        return {"median_s": time.perf_counter() - start, "runs": 1}
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"the booth did not answer within {timeout:.0f} s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def cases() -> list[tuple[str, str, float, Callable[[], Any]]]:
    """(name, what, target seconds, function) for every benchmarked operation: each embedded engine's cases from
    :data:`workshop_kit.registry.ENGINES`, then the steps no engine covers alone."""
    import atexit
    import shutil
    import tempfile

    from . import mesh
    from .music import melody_model
    from .registry import ENGINES

    out = []
    for engine in ENGINES.values():
        if engine.tier != "embedded":
            continue
        for case in engine.cases:
            name = f"{engine.modality}.{engine.name}" + (f"-{case.label}" if case.label else "")
            out.append((name, case.what, case.target_s,
                        lambda e=engine, o=case.options: e.generate(seed=next(_seeds), **o)))
    vessel = mesh.generate(engine="lathe", preset="jar", segments=256, seed=0)
    tmp = tempfile.mkdtemp(prefix="workshop-kit-bench-")  # a few MB, removed when the process ends
    atexit.register(shutil.rmtree, tmp, True)
    out += [
        ("music.melody-sample", "melody model: 256 tokens sampled", 0.5,
         lambda: melody_model.sample(n_tokens=256, stop_at_eos=False, seed=next(_seeds))),
        ("mesh.glb-export", "GLB export of a 96 k-face vessel", 0.2, lambda: vessel.save(Path(tmp) / "v.glb")),
    ]
    return out


_seeds = iter(range(10**9))  # a fresh seed per call, so no engine serves a cached result


def wrapper_overhead(runs: int) -> dict[str, Any]:
    """The kit's wrappers against the raw library call on the same tiny random models, measured side by side.

    Each pair runs interleaved (raw, wrapper, raw, wrapper …) on one loaded model, so both see the same machine.
    """
    import tempfile

    import torch

    from . import tiny_models
    from .image import sd_turbo
    from .music import musicgen

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sd_folder = tiny_models.sd_turbo(Path(tmp) / "sd-turbo")
        pipe = sd_turbo.load_pipeline(str(sd_folder), "cpu", None)

        def raw_sd():
            generator = torch.Generator("cpu").manual_seed(0)
            pipe(prompt="zellige", num_inference_steps=1, guidance_scale=0.0, height=64, width=64,
                 generator=generator, output_type="np")

        def kit_sd():
            sd_turbo.generate(prompt="zellige", size=64, seed=0, model_path=sd_folder, tiny_decoder=False, progress=False)

        results["sd-turbo"] = _side_by_side(raw_sd, kit_sd, runs)

        mg_folder = tiny_models.musicgen(Path(tmp) / "musicgen-small")
        model, processor = musicgen.load_model(str(mg_folder), "cpu")

        def raw_mg():
            inputs = processor(text=["gnawa"], padding=True, return_tensors="pt")
            torch.manual_seed(0)
            model.generate(**inputs, do_sample=True, guidance_scale=3.0, max_new_tokens=100)

        def kit_mg():
            musicgen.generate(prompt="gnawa", seconds=2.0, seed=0, model_path=mg_folder, progress=False)

        results["musicgen"] = _side_by_side(raw_mg, kit_mg, runs)
    return results


def _side_by_side(raw: Callable[[], Any], kit: Callable[[], Any], runs: int) -> dict[str, float]:
    raw(), kit()  # warm both
    raw_times, kit_times = [], []
    for _ in range(max(runs, 10)):
        for fn, times in ((raw, raw_times), (kit, kit_times)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    raw_s, kit_s = statistics.median(raw_times), statistics.median(kit_times)
    return {"raw_median_s": raw_s, "kit_median_s": kit_s, "overhead": (kit_s - raw_s) / raw_s}


def run(*, runs: int = 5, booth: bool = True, overhead: bool = True, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    say = progress or (lambda _msg: None)
    results: dict[str, Any] = {}
    say("import workshop_kit")
    results["import"] = {"what": "import workshop_kit", "target_s": 0.3, **import_time(runs)}
    for name, what, target, fn in cases():
        say(name)
        results[name] = {"what": what, "target_s": target, **time_runs(fn, runs)}
    if booth:
        say("booth start-up")
        results["booth.startup"] = {"what": "booth start-up to first page", "target_s": 15.0, **booth_startup()}
    for entry in results.values():
        entry["meets_target"] = entry["median_s"] <= entry["target_s"]
    report = {"created": now_iso(), "machine": machine(), "results": results}
    if overhead:
        say("wrapper overhead (tiny random models)")
        report["wrapper_overhead"] = wrapper_overhead(runs)
        for entry in report["wrapper_overhead"].values():
            entry.update(target=0.05, meets_target=entry["overhead"] <= 0.05)
    report["peak_rss_mb"] = peak_rss_mb()
    return report


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Measured {report['created'][:10]} on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, no GPU "
        f"(Python {m['python']}, torch {m['torch']}); medians of {max(r['runs'] for r in report['results'].values())} runs; "
        f"peak memory {report['peak_rss_mb']} MB.",
        "",
        "| operation | median | target | |",
        "|---|---:|---:|---|",
    ]
    for entry in report["results"].values():
        mark = "✓" if entry["meets_target"] else "✗"
        lines.append(f"| {entry['what']} | {entry['median_s']:.3f} s | ≤ {entry['target_s']:g} s | {mark} |")
    for name, entry in report.get("wrapper_overhead", {}).items():
        mark = "✓" if entry["meets_target"] else "✗"
        lines.append(f"| {name} wrapper overhead vs raw call (tiny model; {entry['raw_median_s'] * 1000:.0f} ms raw) "
                     f"| {entry['overhead']:+.1%} | ≤ {entry['target']:.0%} | {mark} |")
    return "\n".join(lines)


def update_readme(path: str | os.PathLike, text: str) -> None:
    replace_block(path, README_START, README_END, text)


def main(*, runs: int = 5, out: str | None = "bench/results.json", readme: str | None = None, booth: bool = True,
         overhead: bool = True) -> int:
    report = run(runs=runs, booth=booth, overhead=overhead, progress=lambda msg: print(f"… {msg}", file=sys.stderr, flush=True))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        write_json(out, report)
    text = table(report)
    print(text)
    if readme:
        update_readme(readme, text)
    return 0


# --------------------------------------------------------------------------------------------------------------------
# The classroom: how many participants one machine holds

CLASSROOM_START = "<!-- classroom:start -->"
CLASSROOM_END = "<!-- classroom:end -->"
CLASSROOM_SIZES = (5, 10, 20)
CLASSROOM_OS_GB = 2.0
"""Memory left to the operating system and the trainer's own programs when a machine's capacity is extrapolated."""


def classroom(sizes: tuple[int, ...] = CLASSROOM_SIZES, *, notebook: str = "carnets/00_decouvrir.ipynb",
              timeout_s: float = 1200.0, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """N simulated participants at once, for each N of ``sizes``: each logs in over HTTP, starts a server and runs
    ``notebook`` through the Jupyter API, all at the same time, in a room on 127.0.0.1 (simple mode).

    Measured: the seconds from a participant's login to their first result shown, the seconds to the end of the
    notebook, the resident memory of each participant's processes (the peak, sampled every second) and of the hub.
    A size is tried only when the memory it would need (from what the previous size measured) is free, so that the
    benchmark finds the largest N this machine holds without exhausting it.
    """
    import shutil
    import tempfile
    import threading

    from .classroom import limits
    from .classroom.client import Participant
    from .classroom.room import Classroom
    from .classroom.settings import NEED_GB, RoomSettings

    say = progress or (lambda _msg: None)
    rows: list[dict[str, Any]] = []
    per_gb = NEED_GB
    for n in sizes:
        here = limits.Machine.now()
        needed = n * per_gb + CLASSROOM_OS_GB
        if here.available_gb < needed:
            rows.append({"participants": n, "tried": False, "held": False,
                         "why": f"needs about {needed:.1f} GB, {here.available_gb:.1f} GB available"})
            say(f"{n} participants: not tried ({rows[-1]['why']})")
            break
        say(f"{n} participants at once")
        base = Path(tempfile.mkdtemp(prefix="workshop-kit-bench-room-"))
        settings = RoomSettings(folder=base / "salle", code="bench-room", host="127.0.0.1", port=_free_port(),
                                join_port=_free_port(), booth_port=None, trainer_port=_free_port(),
                                max_participants=n, reserve_gb=0.5)
        room = Classroom(settings)
        peaks: dict[str, int] = {}
        done = threading.Event()
        runs: dict[str, dict] = {}

        def sample():
            while not done.wait(1.0):
                for account, rss in limits.room_rss(room.room_id).items():
                    peaks[account] = max(peaks.get(account, 0), rss)

        def participate(person: Participant):
            try:
                person.login().start_server(timeout=timeout_s)
                runs[person.account] = person.run_notebook(notebook, cell_timeout=timeout_s)
            except Exception as exc:  # noqa: BLE001 - a participant who fails is a measure, not a crash
                runs[person.account] = {"errors": [f"{type(exc).__name__}: {exc}"[:300]]}

        start = time.perf_counter()
        try:
            room.start()
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            people = [Participant(f"http://127.0.0.1:{settings.port}", f"Participant {i + 1}", "bench-room",
                                  timeout=120) for i in range(n)]
            threads = [threading.Thread(target=participate, args=(p,)) for p in people]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=timeout_s)
            wall = time.perf_counter() - start
            done.set()
            sampler.join()
            least = limits.Machine.now().available_gb
        finally:
            done.set()
            left = room.stop()
            shutil.rmtree(base, ignore_errors=True)
        ok = [r for r in runs.values() if not r.get("errors")]
        firsts = [r["first_result_s"] for r in ok if r.get("first_result_s") is not None]
        rss = [peaks.get(p.account, 0) / 2**30 for p in people]
        row = {"participants": n, "tried": True, "held": len(ok) == n, "finished": len(ok),
               "first_result_median_s": statistics.median(firsts) if firsts else None,
               "first_result_max_s": max(firsts) if firsts else None,
               "notebook_median_s": statistics.median([r["seconds"] for r in ok]) if ok else None,
               "wall_s": wall, "rss_per_participant_median_gb": statistics.median(rss),
               "rss_per_participant_max_gb": max(rss), "hub_rss_gb": peaks.get("", 0) / 2**30,
               "available_gb_after": least, "errors": [e for r in runs.values() for e in r.get("errors", [])][:5],
               "processes_left": len(left)}
        rows.append(row)
        say(f"{n} participants: {row['finished']}/{n} finished, first result median "
            f"{row['first_result_median_s'] or 0:.0f} s, {row['rss_per_participant_median_gb']:.2f} GB each")
        per_gb = max(per_gb, row["rss_per_participant_max_gb"])
        if not row["held"]:
            break
    held = [r for r in rows if r.get("held")]
    measured = [r for r in rows if r.get("tried")]
    per = max((r["rss_per_participant_median_gb"] for r in measured), default=NEED_GB)
    hub = max((r["hub_rss_gb"] for r in measured), default=0.0)

    def holds(ram_gb: float) -> int:
        return int((ram_gb - CLASSROOM_OS_GB - hub) // per)

    return {"created": now_iso(), "machine": machine(), "notebook": notebook, "sizes": rows,
            "largest_held": max((r["participants"] for r in held), default=0),
            "per_participant_gb": per, "hub_gb": hub,
            "extrapolated": {"16 GB laptop": holds(16), "64 GB GPU box": holds(64)}}


def classroom_table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [f"Measured {report['created'][:10]} on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM (a machine "
             f"shared with other work); every participant runs `{report['notebook']}` at the same time.", "",
             "| participants at once | finished | login to first result (median / slowest) "
             "| whole notebook (median) | memory per participant (median / max) |", "|---:|---:|---:|---:|---:|"]
    for r in report["sizes"]:
        if not r["tried"]:
            lines.append(f"| {r['participants']} | not tried: {r['why']} | | | |")
            continue
        first = (f"{r['first_result_median_s']:.0f} s / {r['first_result_max_s']:.0f} s"
                 if r["first_result_median_s"] is not None else "—")
        whole = f"{r['notebook_median_s']:.0f} s" if r["notebook_median_s"] is not None else "—"
        lines.append(f"| {r['participants']} | {r['finished']} | {first} | {whole} | "
                     f"{r['rss_per_participant_median_gb']:.2f} / {r['rss_per_participant_max_gb']:.2f} GB |")
    x = report["extrapolated"]
    lines += ["", f"Largest room this machine held: **{report['largest_held']}** participants. Extrapolated from the "
              f"measured memory per participant ({report['per_participant_gb']:.2f} GB) and of the hub "
              f"({report['hub_gb']:.2f} GB), keeping {CLASSROOM_OS_GB:g} GB for the system — memory only, an "
              f"extrapolation, not a measurement: a 16 GB laptop holds about **{x['16 GB laptop']}**, a 64 GB GPU box "
              f"about **{x['64 GB GPU box']}** participants running notebook 00. Cores decide how long each waits: "
              "see the first-result column."]
    return "\n".join(lines)


def classroom_main(*, sizes: tuple[int, ...] = CLASSROOM_SIZES, out: str | None = "bench/classroom.json",
                   readme: str | None = None) -> int:
    report = classroom(sizes, progress=lambda msg: print(f"… {msg}", file=sys.stderr, flush=True))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        write_json(out, report)
    text = classroom_table(report)
    print(text)
    if readme:
        replace_block(readme, CLASSROOM_START, CLASSROOM_END, text)
    return 0
