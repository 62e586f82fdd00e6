"""``workshop-kit bench``: import time, each engine (median of several runs), peak memory, booth start-up.

Speed targets live here, not in the tests: shared machines are noisy, so the figures are medians and the verdict is a
column of the table rather than a failing test.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
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
            sd_turbo.generate(prompt="zellige", size=64, seed=0, model_path=sd_folder, tiny_decoder=False,
                              runtime="torch", progress=False)

        results["sd-turbo"] = _side_by_side(raw_sd, kit_sd, runs)

        mg_folder = tiny_models.musicgen(Path(tmp) / "musicgen-small")
        model, processor = musicgen.load_model(str(mg_folder), "cpu")

        def raw_mg():
            inputs = processor(text=["gnawa"], padding=True, return_tensors="pt")
            torch.manual_seed(0)
            model.generate(**inputs, do_sample=True, guidance_scale=3.0, max_new_tokens=100)

        def kit_mg():
            musicgen.generate(prompt="gnawa", seconds=2.0, seed=0, model_path=mg_folder, runtime="torch",
                              progress=False)

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


def run(*, runs: int = 5, booth: bool = True, overhead: bool = True,
        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
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
        f"(Python {m['python']}, torch {m['torch']}); "
        f"medians of {max(r['runs'] for r in report['results'].values())} runs; "
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
    report = run(runs=runs, booth=booth, overhead=overhead, progress=_say)
    return _publish(report, table(report), out, readme, README_START, README_END)


def _say(msg: str) -> None:
    print(f"… {msg}", file=sys.stderr, flush=True)


def _publish(report: dict[str, Any], text: str, out: str | None, readme: str | None, start: str, end: str) -> int:
    """Write the report as JSON, print its table, and rewrite the README's block between ``start`` and ``end``."""
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        write_json(out, report)
    print(text)
    if readme:
        replace_block(readme, start, end, text)
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
    report = classroom(sizes, progress=_say)
    return _publish(report, classroom_table(report), out, readme, CLASSROOM_START, CLASSROOM_END)


# `workshop-kit bench --pretrained-shapes`: the pretrained engines at their real size (random weights), per runtime

PRETRAINED_START = "<!-- bench-pretrained:start -->"
PRETRAINED_END = "<!-- bench-pretrained:end -->"
SD_SIZES = (512, 384, 256)
MUSIC_SECONDS = (5.0, 10.0)
MUSIC_RUNTIMES = ("torch", "int8", "openvino")  # fp32 first: the others' speed-ups are against it
#: Targets on a 2-core laptop-class CPU (seconds; for MusicGen, seconds of computing per second of audio).
SD_TARGETS = {("bf16", 512): 1.0, ("f32", 512): 2.5, ("bf16", 256): 0.35, ("f32", 256): 0.8}
MUSIC_TARGET_RTF = 2.5
SD_F32 = "openvino-f32"  # OpenVINO forced to fp32 maths, measured too where the CPU would pick bf16
FASTSD_CPU = ("FastSD CPU (published): SD-Turbo, OpenVINO + TAESD, 512², Core i7-12700, 12 cores, AVX2", 1.7, "9–11")


def shapes_folder() -> Path:
    """Where the real-size random models live (built once, gigabytes): ``cache_dir()/shapes``."""
    from .files import cache_dir

    return cache_dir() / "shapes"


def build_shapes(progress: Callable[[str], None]) -> dict[str, Path]:
    """Build the real-size random models once (each in its own process, so their memory is given back)."""
    root = shapes_folder()
    built = {}
    for key, fn in (("sd-turbo", "sd_turbo_full"), ("taesd", "taesd_full"), ("musicgen-small", "musicgen_small_full")):
        folder = root / key
        if not (folder / "model_index.json").is_file() and not (folder / "config.json").is_file():
            progress(f"building {key} at its real size, random weights (once): {folder}")
            code = (f"from pathlib import Path; from workshop_kit import tiny_models, shipped\n"
                    f"with shipped.staged_folder(Path({str(folder)!r})) as stage: tiny_models.{fn}(stage)")
            subprocess.run([sys.executable, "-c", code], check=True)
        built[key] = folder
    return built


class _Worker:
    """One engine with one runtime, loaded in a process of its own (so its peak memory is its own)."""

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if spec.get("maths"):  # OpenVINO's maths forced (fp32 on a CPU with BF16: what a laptop without it runs)
            from .openvino_rt import PRECISION_ENV

            env[PRECISION_ENV] = spec["maths"]
        if spec.get("weights"):  # a kind of int8 compared with the kit's
            from .image.sd_turbo import WEIGHTS_ENV

            env[WEIGHTS_ENV] = spec["weights"]
        self.proc = subprocess.Popen([sys.executable, "-m", "workshop_kit.bench", "--worker", json.dumps(spec)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def ask(self, **command) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the benchmark worker {self.spec} stopped (exit {self.proc.wait()})")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.spec}: {reply['error']}")
        return reply

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=120)


def _serve(spec: dict[str, Any]) -> int:
    """The worker's loop: one JSON command a line on stdin, one JSON answer a line on stdout."""
    import numpy as np

    from .openvino_rt import peak_rss_gb

    out = sys.stdout
    sys.stdout = sys.stderr  # libraries' prints must not mix with the answers
    engine = spec["engine"]
    for line in sys.stdin:
        command = json.loads(line)
        try:
            start = time.perf_counter()
            if command.get("load"):  # what a booth does at start: load and warm up, before any visitor
                _load(spec)
                out.write(json.dumps({"seconds": time.perf_counter() - start}) + "\n")
                out.flush()
                continue
            if engine == "sd-turbo":
                from .image import sd_turbo

                result = sd_turbo.generate(prompt="zellige of Fès, blue and white", size=command["size"],
                                           seed=command["seed"], runtime=spec["runtime"], model_path=spec["folder"],
                                           taesd_path=spec["taesd"], progress=False)
                array = result.image
            else:
                from .music import musicgen

                result = musicgen.generate(prompt="gnawa trance, guembri and qraqeb", seconds=command["seconds"],
                                           seed=command["seed"], runtime=spec["runtime"], model_path=spec["folder"],
                                           progress=False)
                array = None
            seconds = time.perf_counter() - start
            if command.get("save") and array is not None:
                np.save(command["save"], array)
            reply = {"seconds": seconds, "peak_rss_gb": round(peak_rss_gb(), 2), "runtime": result.model["runtime"],
                     "notes": result.notes}
            if command.get("logits") and engine == "musicgen":
                reply["logits"] = _musicgen_logits(spec)
        except Exception as exc:  # noqa: BLE001 - the orchestrator reports it
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


def _load(spec: dict[str, Any]) -> None:
    """Load (and warm up) the worker's engine as the booth does at start."""
    if spec["engine"] == "musicgen":
        from .music import musicgen

        choice = musicgen.choose_runtime(spec["runtime"], "cpu", spec["folder"])
        musicgen.load_model(spec["folder"], "cpu", choice.name)


def _musicgen_logits(spec: dict[str, Any]) -> str:
    """The decoder's logits for one fixed input (a teacher-forced step), saved beside the models: the int8 decoder
    is compared with the fp32 one on the same numbers, which sampling cannot do."""
    import numpy as np
    import torch

    from .music import musicgen

    choice = musicgen.choose_runtime(spec["runtime"], "cpu", spec["folder"])
    model, processor = musicgen.load_model(spec["folder"], "cpu", choice.name)
    inputs = processor(text=["gnawa trance"], padding=True, return_tensors="pt")
    decoder = model.config.decoder
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, decoder.vocab_size, (decoder.num_codebooks, 16), generator=generator)
    with torch.inference_mode():
        if hasattr(model, "forced_logits"):  # the lean loop (int8)
            logits = model.forced_logits(inputs["input_ids"], inputs["attention_mask"], ids).float().numpy()
        else:
            logits = model(**inputs, decoder_input_ids=ids).logits.float().numpy()
    path = Path(spec["work"]) / f"musicgen-logits-{spec['runtime']}.npy"
    np.save(path, logits)
    return str(path)


def _stats(times: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "runs": len(times)}


def _alternate(workers: dict[str, _Worker], command: dict[str, Any], runs: int) -> dict[str, list[dict]]:
    """Each worker once untimed (compiling for this size; its seed-0 output saved), then ``runs`` rounds: one run
    of each in turn."""
    replies: dict[str, list[dict]] = {name: [] for name in workers}
    for name, worker in workers.items():
        worker.ask(**command, seed=0, save=str(Path(worker.spec["work"]) / f"out-{name}-{command.get('size', 0)}.npy"))
    for round_ in range(runs):
        for name, worker in workers.items():
            replies[name].append(worker.ask(**command, seed=1 + round_))
    return replies


def _sd_variants(kinds: Sequence[str], maths: str) -> dict[str, dict[str, Any]]:
    """The SD-Turbo workers: PyTorch fp32; OpenVINO with each of ``kinds``, the kit's first (``openvino``, then
    ``openvino-<kind>``), in this CPU's maths and, where that is bf16, in fp32 maths too (``-f32``: what a CPU
    without BF16 runs)."""
    variants: dict[str, dict[str, Any]] = {"torch": {"runtime": "torch"}}
    for i, kind in enumerate(kinds):
        name = "openvino" if i == 0 else f"openvino-{kind}"
        variants[name] = {"runtime": "openvino", "weights": kind}
        if maths == "bf16":
            variants[SD_F32 if i == 0 else f"{name}-f32"] = {"runtime": "openvino", "weights": kind, "maths": "f32"}
    return variants


def _convert_sd(folder: str, taesd: str, kind: str) -> dict[str, Any]:
    """Convert SD-Turbo's networks to ``kind`` in a process of its own: its time and peak memory (or that the
    cache already held them)."""
    code = (f"import json; from workshop_kit.image import sd_turbo; from workshop_kit import openvino_rt\n"
            f"held = openvino_rt.find_converted(sd_turbo.MODEL_KEY, {folder!r}, sd_turbo._model_parts({folder!r}), "
            f"{kind!r}) is not None\n"
            f"sd_turbo.converted({folder!r}, {taesd!r}, weights={kind!r})\n"
            f"print(json.dumps({{'cached': held, 'peak_rss_gb': round(openvino_rt.peak_rss_gb(), 2)}}))")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.PIPE, text=True)
    return {"seconds": round(time.perf_counter() - start, 1), **json.loads(done.stdout.strip().splitlines()[-1])}


def pretrained_shapes(*, runs: int = 5, music_runs: int = 3, progress: Callable[[str], None] | None = None,
                      sizes: tuple[int, ...] = SD_SIZES, music: tuple[float, ...] = MUSIC_SECONDS,
                      models: dict[str, Path] | None = None) -> dict[str, Any]:
    """Measure SD-Turbo (per runtime and size) and MusicGen-small (per runtime and length) at their real size
    (``models`` names other folders: the tests run the same measurement on the tiny models)."""
    import numpy as np

    from . import openvino_rt

    say = progress or (lambda _msg: None)
    models = models or build_shapes(say)
    work = str(Path(models["sd-turbo"]).parent)
    report: dict[str, Any] = {"created": now_iso(), "machine": machine(), "sd-turbo": {}, "musicgen": {}}
    report["machine"]["openvino"] = openvino_rt._ov_version() if openvino_rt.available() else None
    report["machine"]["bf16"] = openvino_rt.has_bf16() if openvino_rt.available() else False
    report["machine"]["maths"] = openvino_rt.precision() if openvino_rt.available() else "f32"
    report["machine"]["load_average"] = [round(x, 1) for x in os.getloadavg()]  # a shared machine says how busy
    folder, taesd = str(models["sd-turbo"]), str(models["taesd"])

    from .image.sd_turbo import difference, openvino_weights

    kit_kind = openvino_weights()
    kinds = ([kit_kind] + [kind for kind in openvino_rt.CALIBRATED if kind != kit_kind]  # the kit's, and the other
             if openvino_rt.available() and sizes else [])
    if kinds:
        report["sd-turbo"]["conversion"] = {}
    for kind in kinds:
        say(f"converting SD-Turbo to OpenVINO, {kind} (once; minutes)")
        report["sd-turbo"]["conversion"][kind] = _convert_sd(folder, taesd, kind)
    variants = _sd_variants(kinds, report["machine"]["maths"]) if sizes else {}
    names = list(variants)
    workers = {name: _Worker({"engine": "sd-turbo", "folder": folder, "taesd": taesd, "work": work, **spec})
               for name, spec in variants.items()}
    try:
        for size in sizes:
            say(f"SD-Turbo {size}²: " + " / ".join(names) + ", alternately")
            replies = _alternate(workers, {"size": size}, runs)
            row = {}
            b = np.load(Path(work) / f"out-torch-{size}.npy")
            for name, got in replies.items():
                row[name] = {**_stats([r["seconds"] for r in got]), "peak_rss_gb": got[-1]["peak_rss_gb"],
                             "runtime": got[-1]["runtime"]}
                if name == "torch":
                    continue
                row[name]["speed-up"] = round(row["torch"]["median_s"] / row[name]["median_s"], 2)
                row[name]["int8_vs_fp32"] = difference(np.load(Path(work) / f"out-{name}-{size}.npy"), b)
                target = SD_TARGETS.get((row[name]["runtime"].get("maths", "f32"), size))
                if target is not None:
                    row[name].update(target_s=target, meets_target=row[name]["median_s"] <= target)
            if "openvino" in row:  # the kit's choice, where a reader looks first
                row["speed-up"] = row["openvino"]["speed-up"]
            report["sd-turbo"][str(size)] = row
    finally:
        for worker in workers.values():
            worker.close()
    if sizes:
        say("SD-Turbo: the least time this CPU's arithmetic allows")
        report["sd-turbo"]["floor"] = sd_floor(folder, taesd, sizes)

    mg = str(models["musicgen-small"])
    if not music:  # SD-Turbo alone (``music=()``)
        report["machine"]["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
        report["sd-turbo"]["parameters"] = _sd_parameters(folder, taesd)
        return report
    workers = {name: _Worker({"engine": "musicgen", "runtime": name, "folder": mg, "work": work})
               for name in MUSIC_RUNTIMES}
    try:
        for length in music:
            say(f"MusicGen-small {length:g} s: {' / '.join(MUSIC_RUNTIMES)}, alternately")
            replies = _alternate(workers, {"seconds": length}, music_runs)
            row = {}
            for name, got in replies.items():
                stats = _stats([r["seconds"] for r in got])
                row[name] = {**stats, "rtf": round(stats["median_s"] / length, 2),
                             "peak_rss_gb": got[-1]["peak_rss_gb"], "runtime": got[-1]["runtime"],
                             "target_rtf": MUSIC_TARGET_RTF,
                             "meets_target": stats["median_s"] / length <= MUSIC_TARGET_RTF}
            for name in MUSIC_RUNTIMES[1:]:
                row[name]["speed-up"] = round(row["torch"]["median_s"] / row[name]["median_s"], 2)
            report["musicgen"][f"{length:g}"] = row
        faster = min(MUSIC_RUNTIMES[1:], key=lambda name: report["musicgen"][f"{music[0]:g}"][name]["median_s"])
        say(f"MusicGen-small: first piece after loading ({faster}, the faster here), and the int8 logits against fp32")
        fresh = _Worker({"engine": "musicgen", "runtime": faster, "folder": mg, "work": work})
        try:
            loading = fresh.ask(load=True)["seconds"]
            first = fresh.ask(seconds=music[0], seed=0)["seconds"]
            second = fresh.ask(seconds=music[0], seed=1)["seconds"]
        finally:
            fresh.close()
        reference = np.load(workers["torch"].ask(seconds=1.0, seed=0, logits=True)["logits"])
        report["musicgen"]["first_vs_second"] = {"runtime": faster, "load_s": round(loading, 2),
                                                 "first_s": round(first, 2), "second_s": round(second, 2)}
        report["musicgen"]["int8_vs_fp32_logits"] = {}
        for name in MUSIC_RUNTIMES[1:]:
            a = np.load(workers[name].ask(seconds=1.0, seed=0, logits=True)["logits"])
            report["musicgen"]["int8_vs_fp32_logits"][name] = {
                "max_abs": round(float(np.abs(a - reference).max()), 4),
                "relative_rms": round(float(np.sqrt(np.mean((a - reference) ** 2)) / np.sqrt(np.mean(reference**2))),
                                      4),
                "same_top1": round(float(np.mean(a.argmax(-1) == reference.argmax(-1))), 3)}
    finally:
        for worker in workers.values():
            worker.close()
    report["machine"]["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    report["sd-turbo"]["parameters"] = _sd_parameters(folder, taesd)
    report["musicgen"]["parameters"] = parameters(mg, by_part=True)
    return report


def parameters(folder: str | os.PathLike, *, by_part: bool = False) -> dict[str, int]:
    """Parameters in the safetensors files of ``folder`` (read from their headers, nothing loaded): the total, or
    per top-level module (``decoder``, ``text_encoder`` …) with ``by_part``."""
    import math
    import struct

    parts: dict[str, int] = {}
    for file in Path(folder).glob("*.safetensors"):
        with open(file, "rb") as fh:
            header = json.loads(fh.read(struct.unpack("<Q", fh.read(8))[0]))
        for name, entry in header.items():
            if name != "__metadata__":
                part = name.split(".")[0] if by_part else "total"
                parts[part] = parts.get(part, 0) + math.prod(entry["shape"])
    return parts


def _rate(fn: Callable[[], Any], operations: float, runs: int = 7) -> float:
    """``operations`` per second (billions) of ``fn``, the median of ``runs`` after one to warm up."""
    return operations / time_runs(fn, runs)["median_s"] / 1e9


def sd_floor(folder: str, taesd: str, sizes: Sequence[int]) -> dict[str, Any]:
    """A yardstick for one SD-Turbo picture: the networks' operations (counted by torch on shapeless "meta"
    tensors: nothing computed) over the fastest rate PyTorch sustains here on a large matrix product, fp32 or int8.
    Not a floor: OpenVINO's int8 convolutions can beat that rate (hybrid int8 did, 1.1 s against 1.38 s at 512² on
    2 cores of an AMD EPYC with AVX-512-BF16)."""
    import warnings

    import torch
    from diffusers import AutoencoderTiny, UNet2DConditionModel
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import CLIPTextConfig, CLIPTextModel

    from .image.sd_turbo import latent_factor

    def counted(run: Callable[[], Any]) -> float:
        with torch.device("meta"), FlopCounterMode(display=False) as counter:
            run()
        return counter.get_total_flops() / 1e9

    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")  # diffusers' notes on config keys a class does not read
        unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(Path(folder) / "unet"))
        decoder = AutoencoderTiny.from_config(AutoencoderTiny.load_config(taesd))
        text = CLIPTextModel(CLIPTextConfig.from_pretrained(Path(folder) / "text_encoder"))
    factor = latent_factor(folder)
    length = text.config.max_position_embeddings
    text_gflop = counted(lambda: text(torch.zeros(1, length, dtype=torch.long)))
    report: dict[str, Any] = {"text_encoder_gflop": _figures(text_gflop)}
    with torch.inference_mode():
        a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
        fp32 = _rate(lambda: a @ b, 2 * 2048**3)
        with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao; it still works
            warnings.simplefilter("ignore")
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            product = quantize_dynamic(torch.nn.Sequential(torch.nn.Linear(2048, 2048, bias=False)),
                                       {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
        rows = torch.randn(4096, 2048)
        int8 = _rate(lambda: product(rows), 2 * 4096 * 2048 * 2048)
    best = max(fp32, int8)
    report.update(fp32_gemm_gflops=round(fp32, 1), int8_gemm_gops=round(int8, 1))
    for size in sizes:
        side = size // factor
        unet_gflop = counted(lambda side=side: unet(torch.zeros(1, unet.config.in_channels, side, side),
                                                    torch.tensor([999]), encoder_hidden_states=torch.zeros(
                                                        1, length, unet.config.cross_attention_dim)))
        decoder_gflop = counted(lambda side=side: decoder.decode(torch.zeros(1, decoder.config.latent_channels,
                                                                             side, side)))
        total = text_gflop + unet_gflop + decoder_gflop
        report[str(size)] = {"unet_gflop": _figures(unet_gflop), "decoder_gflop": _figures(decoder_gflop),
                             "total_gflop": _figures(total), "floor_s": _figures(total / best)}
    return report


def _figures(x: float, digits: int = 6) -> float:
    """``x`` to ``digits`` significant figures (a tiny model's fraction of a millisecond keeps its precision).

    >>> _figures(0.000123456789), _figures(991.23456789)
    (0.000123457, 991.235)
    """
    return float(f"{x:.{digits}g}")


def _sd_parameters(folder: str, taesd: str) -> dict[str, int]:
    return {"unet": parameters(Path(folder) / "unet").get("total", 0),
            "text_encoder": parameters(Path(folder) / "text_encoder").get("total", 0),
            "taesd": parameters(taesd).get("total", 0)}


def pretrained_table(report: dict[str, Any]) -> str:
    m = report["machine"]
    maths = "bf16" if m.get("bf16") else "fp32"
    lines = [
        f"Measured {report['created'][:10]} on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, no GPU "
        f"(torch {m['torch']}, OpenVINO {m.get('openvino') or 'not installed'}; this CPU "
        f"{'reports' if m.get('bf16') else 'lacks'} BF16, so OpenVINO computes in {maths}). Real architectures, "
        "random weights; medians, the runtimes run alternately in one run, each in its own process (its own peak "
        "memory)." + (f" The machine was shared: load average {m['load_average'][0]:g} at the start, "
                      f"{m.get('load_average_end', ['?'])[0]} at the end, on {m['cores']} cores."
                      if "load_average" in m else ""),
        "",
    ]
    sd = report["sd-turbo"]
    sizes = sorted((k for k in sd if k.isdigit()), key=int, reverse=True)
    lines += ["| SD-Turbo, 1 step, TAESD, text included | " + " | ".join(f"{k}²" for k in sizes)
              + f" | peak RSS | vs torch ({sizes[0] if sizes else '-'}²) |", "|---|" + "---:|" * (len(sizes) + 2)]
    first = sd[sizes[0]] if sizes else {}
    from .image.sd_turbo import openvino_weights

    kit = openvino_weights()
    names = sorted((name for name in first if isinstance(first[name], dict) and "median_s" in first[name]),
                   key=lambda name: (name != "torch", first[name]["runtime"].get("weights") != kit,
                                     first[name]["runtime"].get("maths") == "f32"))  # the kit's choice first
    for name in names:
        ran = first[name]["runtime"]
        label = "PyTorch fp32" if name == "torch" else (
            f"OpenVINO {_kind_words(ran.get('weights', 'int8'))}, {_maths_words(ran.get('maths', maths))} maths"
            + (" (forced: what a CPU without BF16 runs)" if ran.get("maths") == "f32" and m.get("bf16") else "")
            + (", the kit's choice" if ran.get("weights") == kit else ""))
        cells = [f"{sd[s][name]['median_s']:.2f} s" + (" ✓" if sd[s][name].get("meets_target") else
                                                       " ✗" if "meets_target" in sd[s][name] else "") for s in sizes]
        ratio = f"{first[name]['speed-up']:.2f}×" if name != "torch" else "1×"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {first[name]['peak_rss_gb']:.1f} GB | {ratio} |")
    what, seconds, ram = FASTSD_CPU
    lines.append(f"| {what} | {seconds} s" + " |" * len(sizes) + f" {ram} GB | |")
    targets = ", ".join(f"{s}² ≤ {t:g} s ({p})" for (p, s), t in SD_TARGETS.items())
    lines += ["", f"Targets: {targets}."]
    floor = sd.get("floor")
    if floor and sizes:
        shown = ", ".join(f"{s}² {floor[s]['floor_s']:.2f} s ({floor[s]['total_gflop']:.0f} GFLOP)" for s in sizes
                          if s in floor)
        lines += ["", f"The time every operation of text encoder, UNet and decoder would take at the best rate "
                      f"PyTorch sustains on a large matrix product here "
                      f"({floor['fp32_gemm_gflops']:.0f} GFLOP/s in fp32, {floor['int8_gemm_gops']:.0f} GOP/s in "
                      f"int8): {shown}. A yardstick, not a floor: OpenVINO's own int8 kernels can run faster than "
                      f"PyTorch's products, and the rate varies between readings on a shared machine."]
    fidelity = []
    for name in names[1:]:
        got = [(s, sd[s][name].get("int8_vs_fp32")) for s in sizes]
        if all(f for _, f in got):
            ran = first[name]["runtime"]
            fidelity.append(f"{_kind_words(ran.get('weights', 'int8'), short=True)}, "
                            f"{_maths_words(ran.get('maths', maths))} maths: "
                            + ", ".join(f"{s}² {f['psnr_db']} dB" for s, f in got)
                            + f" (at {sizes[0]}²: mean |Δ| {got[0][1]['mean_abs']}/255"
                            + (f", RMS difference {got[0][1]['relative_rms']:.1%} of the picture's own spread"
                               if "relative_rms" in got[0][1] else "") + ")")
    if fidelity:
        lines += ["", "int8 against PyTorch fp32 on the same seed, PSNR of the picture: " + "; ".join(fidelity) + "."]
        level = first.get(names[1], {}).get("int8_vs_fp32", {}).get("mean_level") if len(names) > 1 else None
        if level is not None and level < 32:
            lines[-1] += (f" Random weights make a dark, flat picture (mean level {level:g}/255): the PSNR flatters "
                          "them, the share of the spread is the figure to compare; the pack's check "
                          "(`models/openvino/sd-turbo-*-check.png`) gives the real weights' own.")
    conversion = sd.get("conversion", {})
    if conversion:
        lines += ["", "Converting once, here (in a process of its own): " + "; ".join(
            f"{_kind_words(kind, short=True)} " + ("already in the cache" if c.get("cached") else
                                                 f"{c['seconds']:.0f} s, peak memory {c['peak_rss_gb']:.1f} GB")
            for kind, c in conversion.items()) + "."]
    mg = report["musicgen"]
    lengths = [k for k in mg if k.replace(".", "").isdigit()]
    if lengths:
        lines += ["", "| MusicGen-small, guidance 3 | " + " | ".join(f"{k} s of audio" for k in lengths)
                  + " | peak RSS | vs torch |", "|---|" + "---:|" * (len(lengths) + 2)]
        labels = {"torch": "PyTorch fp32, transformers' generate", "int8": "the kit's lean loop, PyTorch int8 decoder",
                  "openvino": "the kit's lean loop, OpenVINO int8 decoder step (cache kept in the network)"}
        for name in [n for n in MUSIC_RUNTIMES if n in mg[lengths[0]]]:
            row = mg[lengths[0]][name]
            ran = row.get("runtime", {})
            label = labels[name] + (" (ran in PyTorch)" if name == "openvino" and ran.get("decoder") != "openvino"
                                    else "") + (", EnCodec in OpenVINO" if ran.get("audio_decoder") == "openvino"
                                                else "")
            cells = [f"{mg[k][name]['median_s']:.1f} s ({mg[k][name]['rtf']:.2f} s per s)"
                     + (" ✓" if mg[k][name]["meets_target"] else " ✗") for k in lengths]
            ratio = f"{row['speed-up']:.2f}×" if "speed-up" in row else \
                f"{mg[lengths[0]]['speed-up']:.2f}×" if name == "int8" and "speed-up" in mg[lengths[0]] else "1×"
            rss = row.get("peak_rss_gb")
            shown = "—" if rss is None else f"{rss:.1f} GB"
            lines.append(f"| {label} | " + " | ".join(cells) + f" | {shown} | {ratio} |")
        fs = mg.get("first_vs_second")
        lg = mg.get("int8_vs_fp32_logits")
        if m.get("sd_measured"):
            lines += ["", f"SD-Turbo measured by the run of {m['sd_measured'][:16].replace('T', ' ')} UTC on the same "
                      "machine (MusicGen-small alone was measured again since)."]
        if m.get("musicgen_measured"):
            lines += ["", f"MusicGen-small measured by the run of {m['musicgen_measured'][:16].replace('T', ' ')} UTC "
                      "on the same machine (SD-Turbo alone was measured again since)."]
        lines += ["", f"Target: ≤ {MUSIC_TARGET_RTF:g} s of computing per second of audio."
                  + (f" {fs['runtime']} (the faster here), in a fresh process:" if fs and "runtime" in fs else "")
                  + (f" Loading and warming up {fs['load_s']:.1f} s (at start, before any visitor); then the first "
                     f"piece {fs['first_s']:.1f} s, the second {fs['second_s']:.1f} s." if fs and "load_s" in fs else
                     f" First piece after loading {fs['first_s']:.1f} s, second {fs['second_s']:.1f} s." if fs else "")
                  + _logits_words(lg)]
    return "\n".join(lines)


def _kind_words(kind: str, short: bool = False) -> str:
    """An OpenVINO kind of weights in words (``short``: its name alone)."""
    words = {"hybrid": ("hybrid int8", "convolutions computed in int8, linear layers with int8 weights"),
             "int8-full": ("full int8", "convolutions and linear layers computed in int8"),
             "int8": ("int8 weights", ""), "fp32": ("fp32", "")}.get(kind, (f"{kind} weights", ""))
    return words[0] if short or not words[1] else f"{words[0]} ({words[1]})"


def _maths_words(maths: str) -> str:
    return {"f32": "fp32"}.get(maths, maths)


def _logits_words(fidelity: dict[str, Any] | None) -> str:
    """The int8 decoders' logits against fp32's, in words (one runtime's figures, or one per runtime)."""
    if not fidelity:
        return ""
    each = {"int8": fidelity} if "relative_rms" in fidelity else fidelity
    return " int8 weights against fp32, same input: " + "; ".join(
        f"{name}: relative RMS error of the logits {f['relative_rms']}, same likeliest token {f['same_top1']:.1%}"
        for name, f in each.items()) + "."


PRETRAINED_ENGINES = ("sd-turbo", "musicgen")


def keep_measured(report: dict[str, Any], previous: dict[str, Any], only: str) -> dict[str, Any]:
    """``report`` measured ``only`` one engine: the other engine's figures from ``previous`` (the report it
    replaces), with when they were measured, so the table says which run each part comes from."""
    other = next(name for name in PRETRAINED_ENGINES if name != only)
    mark = f"{other.split('-')[0]}_measured"  # sd_measured, musicgen_measured
    report[other] = previous.get(other, {})
    report["machine"][mark] = previous.get("machine", {}).get(mark) or previous.get("created")
    return report


def pretrained_main(*, runs: int = 5, out: str | None = "bench/pretrained.json", readme: str | None = None,
                    only: str | None = None) -> int:
    """Measure both pretrained engines, or ``only`` one of them (the other's figures kept from ``out``)."""
    sizes = () if only == "musicgen" else SD_SIZES
    music = () if only == "sd-turbo" else MUSIC_SECONDS
    report = pretrained_shapes(runs=runs, progress=_say, sizes=sizes, music=music)
    if only and out and Path(out).is_file():
        report = keep_measured(report, json.loads(Path(out).read_text(encoding="utf-8")), only)
    return _publish(report, pretrained_table(report), out, readme, PRETRAINED_START, PRETRAINED_END)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--worker":
    sys.exit(_serve(json.loads(sys.argv[2])))
