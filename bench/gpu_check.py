"""`make gpu-check`: the pretrained engines' CUDA fp16 paths, on a machine with an NVIDIA GPU.

SD-Turbo (1 step, TAESD, 512², text included) and MusicGen-small (5 s of music) run at their real size — the
pinned weights where they are here, else the real architectures with random weights (what a step costs does not
depend on the weights' values) — in fp16 on the GPU, through the kit's own ``generate``. The report says each
median against its target (SD-Turbo 512² under 0.1 s; MusicGen under 0.5 s of computing per second of audio) and
is written to bench/gpu.json.

Exit status: 0 when every target is met, 1 when one is missed, 3 when there is no CUDA GPU here (nothing was
checked; on a CPU, `workshop-kit bench --pretrained-shapes` measures the CPU runtimes).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

NO_GPU = 3
TARGETS = {"sd-turbo 512²": 0.1, "musicgen 5 s (s per s of audio)": 0.5}
RUNS = 10


def main() -> int:
    try:
        import torch
    except ImportError:
        print("gpu-check: torch is not installed here: nothing was checked", file=sys.stderr)
        return NO_GPU
    if not torch.cuda.is_available():
        print("gpu-check: no CUDA GPU on this machine (torch.cuda.is_available() is False): nothing was checked. "
              "Run it where there is an NVIDIA GPU; on a CPU, `workshop-kit bench --pretrained-shapes` measures the "
              "CPU runtimes.", file=sys.stderr)
        return NO_GPU

    from workshop_kit import bench
    from workshop_kit.errors import MissingModelError
    from workshop_kit.image import sd_turbo
    from workshop_kit.music import musicgen
    from workshop_kit.pretrained import locate

    def folder(key: str, shape: Path) -> Path:
        try:
            return locate(key)
        except MissingModelError:
            return shape

    shapes = bench.build_shapes(lambda msg: print(f"… {msg}", file=sys.stderr, flush=True))
    sd, taesd = folder("sd-turbo", shapes["sd-turbo"]), folder("taesd", shapes["taesd"])
    mg = folder("musicgen-small", shapes["musicgen-small"])
    report = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda,
              "models": {"sd-turbo": str(sd), "musicgen-small": str(mg)}, "results": {}}

    def timed(fn, runs: int) -> list[float]:
        fn()  # loads, and the first CUDA kernels
        times = []
        for _ in range(runs):
            torch.cuda.synchronize()
            start = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        return times

    times = timed(lambda: sd_turbo.generate(prompt="zellige of Fès, blue and white", size=512, seed=0,
                                            device="cuda", runtime="torch", model_path=sd, taesd_path=taesd,
                                            progress=False), RUNS)
    report["results"]["sd-turbo 512²"] = statistics.median(times)
    times = timed(lambda: musicgen.generate(prompt="gnawa trance", seconds=5.0, seed=0, device="cuda",
                                            runtime="torch", model_path=mg, progress=False), 3)
    report["results"]["musicgen 5 s (s per s of audio)"] = statistics.median(times) / 5.0
    report["peak_gpu_memory_gb"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    missed = []
    print(f"gpu-check on {report['gpu']} (torch {report['torch']}, CUDA {report['cuda']}), fp16:")
    for name, value in report["results"].items():
        ok = value <= TARGETS[name]
        missed += [] if ok else [name]
        print(f"  {'OK' if ok else '!!'} {name}: {value:.3f} (target ≤ {TARGETS[name]:g})")
    out = Path(__file__).with_name("gpu.json")
    out.write_text(json.dumps({**report, "targets": TARGETS, "missed": missed}, indent=2) + "\n", encoding="utf-8")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
