"""``workshop-kit bench --booth``: the booth under load and over a long day, measured from outside as visitors use it.

Two measures, each against a booth started in a process of its own (``workshop-kit booth`` on a free port):

- **load**: ``visitors`` clients at once (each its own ``gradio_client`` session), each asking for ``trios`` trios:
  how many were made, how many got a clean "busy / queue full" answer, any other failure, and the longest wait;
- **soak**: ``generations`` generations across the three kinds (trios, and the studio's music, image and 3D
  endpoints), spread over many client sessions as a day brings many visitors: the booth's memory (RSS) after the
  warm-up and at the end (the target is a drift under 5 %), and the files and bytes in its folder (bounded).

Figures go to JSON and, with ``--readme``, to README's booth table.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

__all__ = ["load", "soak", "run", "table"]

README_START, README_END = "<!-- bench-booth:start -->", "<!-- bench-booth:end -->"

SETTLE_SECONDS = 5.0
"""Rest before the soak's memory readings: longer than the booth's trimmer round
(:class:`workshop_kit.booth.allocator.Trimmer`)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Booth:
    """A booth in a process of its own, on a free port, with its own folder."""

    def __init__(self):
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="workshop-kit-bench-booth-"))
        env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "workshop_kit", "booth", "--port", str(self.port),
                                      "--folder", str(self.folder / "booth")], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the booth exited with status {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError("the booth did not answer within 180 s")

    def rss_mb(self) -> float:
        import psutil

        process = psutil.Process(self.proc.pid)
        return round(sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20, 1)

    def memory(self) -> dict[str, float]:
        """The booth's size as the last piece left it (``busy_mb``) and once it has rested a few seconds
        (``rss_mb``, what the drift is measured on): the booth gives freed memory back between pieces."""
        busy = self.rss_mb()
        time.sleep(SETTLE_SECONDS)
        return {"rss_mb": self.rss_mb(), "busy_mb": busy}

    def disk(self) -> dict[str, int]:
        files = [p for p in (self.folder / "booth").rglob("*") if p.is_file()]
        return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def _client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


_CITIES = ("marrakech", "casablanca", "fes", "rabat", "chefchaouen", "sahara")


def load(*, visitors: int = 25, trios: int = 2, booth: _Booth | None = None) -> dict[str, Any]:
    """``visitors`` clients at once, each asking for ``trios`` trios; successes, clean refusals, longest wait."""
    own = booth is None
    booth = booth or _Booth()
    waits: list[float] = []
    outcome = {"made": 0, "busy": 0, "failed": 0}
    errors: list[str] = []
    lock = threading.Lock()
    start_line = threading.Barrier(visitors)

    def visitor(i: int) -> None:
        client = _client(booth.url)
        start_line.wait()
        for k in range(trios):
            began = time.perf_counter()
            try:
                client.predict(city=_CITIES[(i + k) % len(_CITIES)], seed=str(i * 100 + k), lang="fr",
                               api_name="/trio")
                kind = "made"
            except Exception as exc:  # noqa: BLE001 - every answer is counted
                text = str(exc).lower()
                kind = "busy" if "queue" in text or "busy" in text or "monde" in text else "failed"
                if kind == "failed":
                    with lock:
                        errors.append(str(exc)[:200])
            with lock:
                outcome[kind] += 1
                waits.append(time.perf_counter() - began)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(visitors)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = {"visitors": visitors, "trios_each": trios, **outcome, "longest_wait_s": round(max(waits), 2),
              "median_wait_s": round(statistics.median(waits), 2), "seconds": round(time.perf_counter() - began, 1),
              "errors": errors[:5], "rss_mb": booth.rss_mb()}
    if own:
        booth.close()
    return result


def soak(*, generations: int = 1500, sessions: int = 60, warm_up: int | None = None,
         progress: bool = True) -> dict[str, Any]:
    """``generations`` generations over ``sessions`` client sessions; memory and disk after warm-up and at the end.

    The warm-up is the first tenth of the soak by default: a booth's first hundred or so pieces give it its working
    set (every kind and size made, the allocator's pools, the bounded stores filling). The memory after the first 30
    is reported too (``early``), so the warm-up's own growth is seen."""
    warm_up = max(30, generations // 10) if warm_up is None else warm_up
    from tqdm.auto import tqdm

    booth = _Booth()
    try:
        made = 0
        calls = [("trio", 3), ("music", 1), ("image", 1), ("mesh", 1)]
        samples: list[dict[str, Any]] = []
        after_warm_up = early = None
        bar = tqdm(total=generations, desc="Booth soak", unit="generation", disable=not progress)
        session = 0
        failures: list[str] = []
        began = time.perf_counter()
        while made < generations:
            client = _client(booth.url)  # a new visitor
            session += 1
            for k in range(max(1, generations // sessions // 3)):
                name, cost = calls[(session + k) % len(calls)]
                city = _CITIES[(session + k) % len(_CITIES)]
                try:
                    if name == "trio":
                        client.predict(city=city, lang="fr", gallery=bool(k % 2), api_name="/trio")
                    elif name == "music":
                        client.predict(engine="rules", bars=4, api_name="/music")
                    elif name == "image":
                        client.predict(engine="motifs", size=512, api_name="/image")
                    else:
                        client.predict(engine="lathe", api_name="/mesh")
                except Exception as exc:  # noqa: BLE001 - counted, the soak goes on
                    failures.append(f"{name}: {str(exc)[:160]}")
                made += cost
                bar.update(cost)
                if early is None and made >= 30:
                    early = {"generations": made, **booth.memory()}
                if after_warm_up is None and made >= warm_up:
                    after_warm_up = {"generations": made, **booth.memory(), **booth.disk()}
                if made >= generations:
                    break
            if session % 10 == 0:
                samples.append({"generations": made, "rss_mb": booth.rss_mb(), **booth.disk(),
                                "seconds": round(time.perf_counter() - began, 1)})
        bar.close()
        end = {"generations": made, **booth.memory(), **booth.disk()}
        drift = (end["rss_mb"] - after_warm_up["rss_mb"]) / after_warm_up["rss_mb"]
        busy = (end["busy_mb"] - after_warm_up["busy_mb"]) / after_warm_up["busy_mb"]
        return {"generations": made, "sessions": session, "failures": len(failures), "failure_examples": failures[:5],
                "early": early, "after_warm_up": after_warm_up, "end": end, "rss_drift": round(drift, 4),
                "busy_drift": round(busy, 4), "settle_seconds": SETTLE_SECONDS,
                "target_drift": 0.05,
                "meets_target": drift < 0.05, "max_bytes": max(s["bytes"] for s in samples + [end]),
                "samples": samples, "seconds": round(time.perf_counter() - began, 1)}
    finally:
        booth.close()


def run(*, visitors: int = 25, generations: int = 1500) -> dict[str, Any]:
    from .bench import machine
    from .provenance import now_iso

    return {"created": now_iso(), "machine": machine(), "load": load(visitors=visitors),
            "soak": soak(generations=generations)}


def table(report: dict[str, Any]) -> str:
    m, ld, sk = report["machine"], report["load"], report["soak"]
    return "\n".join([
        f"Measured {report['created'][:10]} on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM.",
        "",
        "| measure | figure |",
        "|---|---:|",
        f"| {ld['visitors']} visitors at once, {ld['trios_each']} trios each: made | {ld['made']} |",
        f"| … clean \"busy\" answers / other failures | {ld['busy']} / {ld['failed']} |",
        f"| … longest wait / median wait | {ld['longest_wait_s']} s / {ld['median_wait_s']} s |",
        f"| soak: generations over visitor sessions | {sk['generations']} over {sk['sessions']} |",
        f"| … booth memory after warm-up ({sk['after_warm_up']['generations']} generations) → end, "
        f"each read after {sk.get('settle_seconds', 0):g} s at rest | "
        f"{sk['after_warm_up']['rss_mb']} → {sk['end']['rss_mb']} MB ({sk['rss_drift']:+.1%}, target < 5 %) |",
        *([f"| … the same, read just after a piece (no rest) | {sk['after_warm_up']['busy_mb']} → "
           f"{sk['end']['busy_mb']} MB ({sk['busy_drift']:+.1%}) |"] if "busy_drift" in sk else []),
        *([f"| … booth memory after {sk['early']['generations']} generations | {sk['early']['rss_mb']} MB |"]
          if sk.get("early") else []),
        f"| … files / bytes in the booth's folder at the end (most seen) | {sk['end']['files']} / "
        f"{sk['end']['bytes'] / 2**20:.0f} MB ({sk['max_bytes'] / 2**20:.0f} MB) |",
        f"| … failures | {sk['failures']} |",
    ])
