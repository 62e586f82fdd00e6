"""The ethics card's two tables, derived, never typed: the models' licences (from :data:`workshop_kit.shipped.SHIPPED`
and :data:`workshop_kit.pretrained.MODELS`) and the energy of one generation of each embedded engine (measured).

The energy is an estimate, and the card says so: the processor time a generation takes (all threads of this process,
``time.process_time``) times the share of one core in the processor's rated power (TDP / cores). It leaves out the
screen, the memory, the disk and the machine's idle power; on a laptop CPU (TDP 15 W) it is the order of magnitude.

``workshop-kit classroom card --write docs/carte-ethique.md --tdp 15`` rewrites both tables of the card.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..files import replace_block

LICENCES = ("<!-- licences:start -->", "<!-- licences:end -->")
ENERGY = ("<!-- energy:start -->", "<!-- energy:end -->")

DATA = {
    "melody": "Essen folk-song encodings shipped by music21 (non-commercial use)",
    "motif-diffusion": "zellige, Amazigh and moucharabieh motifs the kit draws itself",
    "motif-classifier": "zellige, Amazigh and moucharabieh motifs the kit draws itself",
    "shape-space": "vessel profiles the kit draws itself",
}
"""What each shipped model learnt from (the model cards beside the weights say more)."""

PHONE_CHARGE_WH = 15.0
"""About one full charge of a phone battery (4 000 mAh at 3.8 V), the card's everyday comparison."""


def licence_table() -> str:
    """Every model the kit knows: who made it, its licence, whether commercial use is allowed, what it learnt from."""
    from ..pretrained import MODELS
    from ..shipped import SHIPPED

    lines = ["| modèle / model | par / by | licence | usage commercial / commercial use | appris sur / learnt from |",
             "|---|---|---|---|---|"]
    for model in SHIPPED.values():
        lines.append(f"| `{model.key}` ({model.description}) | workshop-kit | {model.licence} | "
                     f"{'oui / yes' if model.commercial_use else '**non / no**'} | {DATA.get(model.key, '—')} |")
    for spec in MODELS.values():
        by = spec.repo_id.split("/")[0]
        lines.append(f"| `{spec.key}` ([{spec.repo_id}]({spec.licence_url})) | {by} | {spec.licence} | "
                     f"{'oui / yes' if spec.commercial_use else '**non / no**'} | see its model card |")
    return "\n".join(lines)


def measure_energy(tdp_w: float = 15.0, runs: int = 3) -> list[dict]:
    """One generation of each embedded engine (its first benchmark case): processor seconds (median of ``runs``,
    after one untimed call, torch on one thread) and the estimated energy."""
    import statistics

    import torch

    from ..registry import ENGINES

    cores = os.cpu_count() or 1
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # worker threads spin while they wait: on a busy machine that is time, not work
    rows, seed = [], 0
    try:
        for engine in ENGINES.values():
            if engine.tier != "embedded" or not engine.cases or not engine.ready():
                continue
            case = engine.cases[0]
            engine.generate(seed=seed, **case.options)
            cpu, wall = [], []
            for _ in range(runs):
                seed += 1
                start_cpu, start = time.process_time(), time.perf_counter()
                engine.generate(seed=seed, **case.options)
                cpu.append(time.process_time() - start_cpu)
                wall.append(time.perf_counter() - start)
            cpu_s = statistics.median(cpu)
            wh = cpu_s * tdp_w / cores / 3600
            rows.append({"engine": engine.name, "what": case.what, "cpu_s": cpu_s, "wall_s": statistics.median(wall),
                         "wh": wh, "per_phone_charge": int(PHONE_CHARGE_WH / wh) if wh > 0 else None})
    finally:
        torch.set_num_threads(threads)
    return rows


def energy_table(rows: list[dict], tdp_w: float) -> str:
    from ..bench import machine

    m = machine()
    lines = [f"Mesuré / measured {time.strftime('%Y-%m-%d')} : {m['cpu']}, {m['cores']} cœurs / cores ; "
             f"estimation / estimate = temps processeur × {tdp_w:g} W ÷ {m['cores']} cœurs / CPU time × {tdp_w:g} W "
             f"÷ {m['cores']} cores.", "",
             "| génération / generation | temps processeur / CPU time | énergie estimée / estimated energy "
             "| par charge de téléphone / per phone charge |",
             "|---|---:|---:|---:|"]
    for r in rows:
        charge = f"{r['per_phone_charge']:,}".replace(",", " ") if r["per_phone_charge"] else "—"
        lines.append(f"| {r['what']} (`{r['engine']}`) | {r['cpu_s']:.3f} s | {r['wh'] * 1000:.3f} mWh | {charge} |")
    return "\n".join(lines)


def write_card(path: str | os.PathLike, *, tdp_w: float = 15.0) -> Path:
    """Rewrite the licence and energy tables of the card at ``path``."""
    replace_block(path, *LICENCES, licence_table())
    replace_block(path, *ENERGY, energy_table(measure_energy(tdp_w), tdp_w))
    return Path(path)
