"""Train the motif diffusion model on the kit's own procedural motifs, in about half an hour on a laptop CPU.

    python -m workshop_kit.image.train_motifs --minutes 30 --seed 0

What it does, in order:

1. trains the motif classifier first if its folder is empty (:mod:`workshop_kit.image.motif_classifier`, a few
   minutes): it is what measures the diffusion model at the end;
2. draws the training data: for each motif family of :mod:`workshop_kit.image.motifs`, ``cells_per_family`` cells of
   tiles with random seeds, variants and palettes, as palette levels
   (:func:`workshop_kit.image.motif_diffusion.procedural_cells`), and a few held-out cells for a validation loss;
3. trains a class-conditional ``UNet2DModel`` (about 2.5 M parameters) to predict the noise added to a cell (the
   DDPM loss, cosine noise schedule, 1000 steps), with AdamW, a learning rate that warms up and then follows a
   cosine over the time budget, an exponential moving average (EMA) of the weights, and the family label dropped
   one time in ten so that the sampler can use classifier-free guidance;
4. writes the EMA weights and configs (diffusers' ``save_pretrained`` layout: ``unet/``, ``scheduler/``) and the
   kit's ``motif_diffusion.json`` into a fresh folder, measures the model there
   (:func:`workshop_kit.image.motif_classifier.evaluate`), adds ``metrics.json`` and ``MODEL_CARD.md``, and lets the
   folder replace ``out_dir`` at once (:func:`workshop_kit.shipped.staged_folder`).

The skeleton (time budget, schedule, progress bar, command line) is :mod:`workshop_kit.training`.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from ..files import write_json
from ..shipped import staged_folder
from ..training import (Budget, ProgressBar, Schedule, check_minutes, command, fmt, folder_note, output_folder,
                        write_card)
from ..validation import check_float, check_int
from . import motif_diffusion as md

__all__ = ["main", "make_unet", "train", "write_model_card"]

#: The noise schedule of training; the sampler (DPM-Solver++) reads it from ``scheduler/``.
NUM_TRAIN_TIMESTEPS, BETA_SCHEDULE = 1000, "squaredcos_cap_v2"
#: How often the family label is replaced by the "no family" label during training (for classifier-free guidance).
LABEL_DROPOUT = 0.1
EMA_DECAY = 0.999
HELDOUT_PER_FAMILY = 32
VERSION = "1"


def make_unet():
    """A fresh class-conditional ``UNet2DModel`` for 32 × 32 single-channel cells (about 2.5 M parameters).

    Three resolutions (32, 16, 8 pixels) with 32, 64 and 128 channels, one ResNet block each, self-attention in the
    middle block at 8 × 8; one class embedding per motif family plus one for "no family" (the last).
    """
    from diffusers import UNet2DModel

    return UNet2DModel(
        sample_size=md.CELL_PX, in_channels=1, out_channels=1, layers_per_block=1,
        block_out_channels=(32, 64, 128),
        down_block_types=("DownBlock2D", "DownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "UpBlock2D", "UpBlock2D"),
        norm_num_groups=16, attention_head_dim=32,
        num_class_embeds=len(md.CLASSES) + 1, class_embed_type=None,
    )


def denoising_step(unet, ema, opt, noise_schedule, x0, y, *, gen, step: int, lr: float, ema_decay: float) -> float:
    """One training step of the motif UNet: noise ``x0`` at random timesteps, predict the noise, clip the gradient,
    take an AdamW step at ``lr``, then move the ``ema`` copy. Returns the loss. Shared by training and fine-tuning."""
    import torch
    import torch.nn.functional as F

    noise = torch.randn(x0.shape, generator=gen)
    t = torch.randint(0, int(noise_schedule.config.num_train_timesteps), (x0.shape[0],), generator=gen)
    loss = F.mse_loss(unet(noise_schedule.add_noise(x0, noise, t), t, class_labels=y).sample, noise)
    for group in opt.param_groups:
        group["lr"] = lr
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
    opt.step()
    decay = min(ema_decay, (1 + step) / (10 + step))
    with torch.no_grad():
        for e, p in zip(ema.parameters(), unet.parameters()):
            e.lerp_(p, 1 - decay)
    return float(loss.detach())


def train(
    *,
    out_dir: str | os.PathLike | None = None,
    minutes: float = 30.0,
    seed: int = 0,
    cells_per_family: int = 1000,
    batch_size: int = 32,
    learning_rate: float = 6e-4,
    threads: int | None = None,
    classifier_dir: str | os.PathLike | None = None,
    evaluate: bool = True,
    progress: bool = True,
) -> dict:
    """Train the motif diffusion model and write it to ``out_dir``.

    Parameters
    ----------
    out_dir : path, optional
        The model folder, replaced at the end (default: the shipped model's folder,
        ``workshop_kit/models/motif-diffusion``).
    minutes : float
        Time budget of the training loop, 0.5 to 600 minutes (drawing the data and measuring come on top: about
        3 minutes).
    seed : int
        Seeds the data, the initialisation and the noise: the same seed on the same machine gives the same model.
    cells_per_family : int
        Training cells drawn for each motif family, 50 to 20 000.
    batch_size : int
        Cells per training step, 4 to 512.
    learning_rate : float
        Peak learning rate of AdamW.
    threads : int, optional
        CPU threads for torch (default: torch's own choice). On a laptop shared with other work, 1 is often faster.
    classifier_dir : path, optional
        The motif classifier (default: the shipped one); trained first if missing.
    evaluate : bool
        Measure the model with the classifier and put the figures in ``metrics.json`` and the model card.
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.
    """
    minutes = check_minutes(minutes, low=0.5, high=600.0)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    cells_per_family = check_int("cells_per_family", cells_per_family, 50, 20_000)
    batch_size = check_int("batch_size", batch_size, 4, 512)
    learning_rate = check_float("learning_rate", learning_rate, 1e-6, 1e-1)
    if threads is not None:
        threads = check_int("threads", threads, 1, 256)
    out = output_folder(md.MODEL, out_dir)
    import torch
    import torch.nn.functional as F
    from diffusers import DDPMScheduler
    from tqdm.auto import tqdm

    from . import motif_classifier as mc

    if threads is not None:
        torch.set_num_threads(threads)
    started = time.perf_counter()
    timings: dict[str, float] = {}

    cls_folder = Path(classifier_dir).expanduser() if classifier_dir is not None else mc.MODEL.shipped_folder()
    if not (cls_folder / mc.WEIGHTS_FILE).is_file():
        mc.train(out_dir=cls_folder, seed=seed, progress=progress)
        timings["classifier"] = round(time.perf_counter() - started, 1)

    t0 = time.perf_counter()
    cells, labels, held, held_labels = [], [], [], []
    for k, motif in enumerate(tqdm(md.CLASSES, desc="Drawing motifs", unit="family", disable=not progress)):
        cells.append(md.procedural_cells(motif, n=cells_per_family, seed=seed))
        labels.append(np.full(cells_per_family, k, np.int64))
        held.append(md.procedural_cells(motif, n=HELDOUT_PER_FAMILY, seed=seed + 7919))
        held_labels.append(np.full(HELDOUT_PER_FAMILY, k, np.int64))
    x_all = torch.from_numpy(np.concatenate(cells) * 2 - 1)[:, None]
    y_all = torch.from_numpy(np.concatenate(labels))
    x_held = torch.from_numpy(np.concatenate(held) * 2 - 1)[:, None]
    y_held = torch.from_numpy(np.concatenate(held_labels))
    timings["drawing_data"] = round(time.perf_counter() - t0, 1)

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    unet = make_unet()
    ema = copy.deepcopy(unet).requires_grad_(False)
    noise_schedule = DDPMScheduler(num_train_timesteps=NUM_TRAIN_TIMESTEPS, beta_schedule=BETA_SCHEDULE,
                                   prediction_type="epsilon", clip_sample=False)
    opt = torch.optim.AdamW(unet.parameters(), lr=learning_rate, weight_decay=1e-4)
    null_class = len(md.CLASSES)

    # A fixed validation batch: the same noise and timesteps every time it is measured.
    vgen = torch.Generator().manual_seed(seed + 1)
    v_noise = torch.randn(x_held.shape, generator=vgen)
    v_t = torch.randint(0, NUM_TRAIN_TIMESTEPS, (len(x_held),), generator=vgen)
    v_in = noise_schedule.add_noise(x_held, v_noise, v_t)

    def validation_loss(model) -> float:
        model.eval()
        with torch.inference_mode():
            loss = float(F.mse_loss(model(v_in, v_t, class_labels=y_held).sample, v_noise))
        model.train()
        return loss

    budget = Budget(minutes)
    schedule = Schedule("cosine", peak=learning_rate, warmup=200, floor=0.05)  # the cosine follows the budget
    step, running, curve = 0, None, []
    bar = ProgressBar(total=budget.seconds, desc="Training motif diffusion", unit="s", enabled=progress)
    unet.train()
    while (elapsed := budget.elapsed) < budget.seconds:
        idx = torch.randint(0, len(x_all), (batch_size,), generator=gen)
        x0, y = x_all[idx], y_all[idx].clone()
        y[torch.rand(batch_size, generator=gen) < LABEL_DROPOUT] = null_class
        value = denoising_step(unet, ema, opt, noise_schedule, x0, y, gen=gen, step=step, ema_decay=EMA_DECAY,
                               lr=schedule.lr(step, progress=elapsed / budget.seconds))
        step += 1
        running = value if running is None else 0.98 * running + 0.02 * value
        if step % 500 == 0:
            curve.append({"step": step, "seconds": round(elapsed, 1), "train_loss": round(running, 5),
                          "validation_loss_ema": round(validation_loss(ema), 5)})
        bar.at(elapsed, step=step, loss=f"{running:.4f}")
    bar.close()
    timings["training_loop"] = round(budget.elapsed, 1)
    final_val = validation_loss(ema)

    # Write everything to a fresh folder, measure the model there, then let it replace the old one.
    with staged_folder(out, key=md.MODEL.key) as stage:
        ema.eval()
        ema.save_pretrained(stage / md.UNET_DIR, safe_serialization=True)
        noise_schedule.save_pretrained(stage / md.SCHEDULER_DIR)
        kit = {
            "classes": list(md.CLASSES), "representation": md.REPRESENTATION, "cell_px": md.CELL_PX,
            "null_class": null_class, "data_seed": seed, "cells_per_family": cells_per_family,
            "cell_region": {k: list(v) for k, v in md.CELL_REGION.items()},
            "version": VERSION, "trained": time.strftime("%Y-%m-%d"),
            "default_steps": md.DEFAULT_STEPS, "default_guidance": md.DEFAULT_GUIDANCE,
        }
        write_json(stage / md.KIT_CONFIG, kit)
        n_params = sum(p.numel() for p in ema.parameters())
        metrics = {
            "training": {
                "steps": step, "batch_size": batch_size, "learning_rate": learning_rate, "ema_decay": EMA_DECAY,
                "label_dropout": LABEL_DROPOUT, "noise_schedule": f"{BETA_SCHEDULE}, {NUM_TRAIN_TIMESTEPS} steps",
                "parameters": n_params, "seed": seed, "minutes_budget": minutes, "threads": torch.get_num_threads(),
                "final_train_loss": round(running or float("nan"), 5),
                "final_validation_loss_ema": round(final_val, 5),
                "curve": curve, "seconds": timings,
                "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} logical CPUs",
                "torch": torch.__version__,
            },
            "data": {"cells_per_family": cells_per_family, "heldout_cells_per_family": HELDOUT_PER_FAMILY,
                     "families": list(md.CLASSES), "cell_px": md.CELL_PX, "representation": md.REPRESENTATION},
            "command": f"python -m workshop_kit.image.train_motifs --minutes {minutes:g} --seed {seed}",
        }
        if evaluate:
            t0 = time.perf_counter()
            result = mc.evaluate(model_path=stage, classifier_path=cls_folder, write=False, progress=progress)
            metrics = mc.with_evaluation(metrics, result, classifier_path=cls_folder)
            timings["evaluation"] = round(time.perf_counter() - t0, 1)
        timings["total"] = round(time.perf_counter() - started, 1)
        write_json(stage / md.METRICS_FILE, metrics)
        write_model_card(stage, metrics)
    return metrics


def write_model_card(folder: str | os.PathLike, metrics: dict) -> Path:
    """Write ``MODEL_CARD.md`` in ``folder`` from its ``metrics``."""
    folder = Path(folder)
    tr, ev = metrics["training"], metrics.get("evaluation", {})
    nn = ev.get("nearest_training_distance", {})
    gen_nn, fresh_nn = nn.get("generated", {}), nn.get("fresh_procedural", {})
    header = ("| family | accuracy | diversity (pixels) | diversity (features) | nearest, generated (median) | "
              "nearest, procedural (median) |")
    rows = "\n".join(
        f"| {m} | {fmt(v['accuracy'], '.0%')} | {fmt(v['diversity_pixels'], '.2f')} | "
        f"{fmt(v['diversity_features'], '.2f')} | {fmt(v['nearest_median_generated'], '.3f')} | "
        f"{fmt(v['nearest_median_procedural'], '.3f')} |"
        for m, v in ev.get("per_family", {}).items())
    weights = folder / md.UNET_DIR / "diffusion_pytorch_model.safetensors"
    size_mb = weights.stat().st_size / 1e6 if weights.is_file() else float("nan")
    secs = tr["seconds"]
    text = f"""# Motif diffusion — model card

A small class-conditional diffusion model that draws new cells of Moroccan geometric motifs, the embedded image
engine `motif-diffusion` of workshop-kit (`workshop_kit.image.motif_diffusion`).

## What it is
- A diffusers `UNet2DModel` of {tr['parameters']:,} parameters ({size_mb:.1f} MB, float32 safetensors), conditioned on
  the motif family through a class embedding: {', '.join(f'`{c}`' for c in md.CLASSES)}, plus a "no family" class
  for classifier-free guidance.
- It draws a 32 × 32 *cell* of **palette levels** (0 = a palette's darkest colour, 1 = its lightest): a rectangle
  between four mirror lines of the pattern. The engine mirrors the cell into a seamless block, lays blocks across,
  resamples smoothly to the size asked for (up to 4096 pixels) and colours the levels with any regional palette.
- Sampler: DPM-Solver++ (2nd order), {md.DEFAULT_STEPS} steps by default, guidance {md.DEFAULT_GUIDANCE:g}.

## Data
Made by the kit itself: cells of exact procedural motifs drawn by `workshop_kit.image.motifs` (zellige rosettes of
8, 10, 12 and 16 folds, Amazigh rug bands, the yaz sign, moucharabieh lattices), {metrics['data']['cells_per_family']}
per family, from tiles with random seeds, variants and palettes (seed {tr['seed']}). No image from outside the kit was
used; no person, photograph or artwork appears in the data.

## Training
- Command: `{metrics['command']}` (or `workshop-kit train motifs`).
- {tr['steps']:,} steps of {tr['batch_size']} cells; AdamW, peak learning rate {tr['learning_rate']:g}, cosine over the
  time budget; EMA {tr['ema_decay']}; label dropout {tr['label_dropout']}; noise schedule {tr['noise_schedule']};
  DDPM noise-prediction (epsilon) loss.
- Time on {tr['machine']} ({tr['threads']} torch thread(s), torch {tr['torch']}): training loop
  {secs.get('training_loop', 0) / 60:.1f} min, drawing the data {secs.get('drawing_data', 0) / 60:.1f} min,
  measuring {secs.get('evaluation', 0) / 60:.1f} min; {secs.get('total', 0) / 60:.1f} min in all.
- Final loss: training {fmt(tr['final_train_loss'], '.4f')}, held-out cells (EMA weights)
  {fmt(tr['final_validation_loss_ema'], '.4f')}.

## Measures
Measured by a small CNN classifier of motif families trained on procedural cells (`workshop_kit.image.motif_classifier`,
held-out accuracy {fmt(metrics.get('classifier_heldout_accuracy'), '.1%')}), on
{ev.get('settings', {}).get('cells_per_family', 'n/a')} cells drawn per family with the default sampler settings.

- **Conditional accuracy** (cells drawn for family *k* that the classifier reads as *k*):
  {fmt(ev.get('conditional_accuracy'), '.1%')}.
- **Diversity** (mean distance between two drawn cells of a family, divided by the same for training cells):
  {fmt(ev.get('diversity_ratio_pixels'), '.2f')} in pixels, {fmt(ev.get('diversity_ratio_features'), '.2f')} in the
  classifier's features.
- **Nearest training cell** (RMS difference of levels per pixel): generated cells min
  {fmt(gen_nn.get('min'), '.3f')}, median {fmt(gen_nn.get('median'), '.3f')}; fresh procedural cells (the
  baseline: new tiles of the same families) min {fmt(fresh_nn.get('min'), '.3f')}, median
  {fmt(fresh_nn.get('median'), '.3f')}.

{header}
| --- | --- | --- | --- | --- | --- |
{rows}

## Limitations
- It knows seven families and nothing else; it draws shapes, not colours (the palette colours them), at 32 pixels a
  cell: fine lines (grout, yaz strokes) come out softer than in the exact motifs, and a star can miss a point.
- The geometry is learnt, not computed: unlike `workshop_kit.image.motifs`, rosettes are not exact, and a cell may
  mix features of two families. Use the `motifs` engine for exact patterns.
- The procedural motifs have a finite number of designs, so a drawn cell may look like one of them; the nearest-cell
  distances above compare that with fresh procedural cells.

## Licence
The weights are released under the MIT licence, like the code of workshop-kit; the training data is made by the kit.
"""
    return write_card(folder, text)


def _flags(parser) -> None:
    parser.add_argument("--cells", type=int, default=1000, help="training cells per motif family (default 1000)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    parser.add_argument("--no-evaluate", action="store_true", help="skip measuring the model with the classifier")


def _run_command(args) -> str:
    metrics = train(out_dir=args.out, minutes=args.minutes, seed=args.seed, cells_per_family=args.cells,
                    threads=args.threads, evaluate=not args.no_evaluate, progress=not args.quiet)
    summary = {"steps": metrics["training"]["steps"], "seconds": metrics["training"]["seconds"],
               "evaluation": {k: v for k, v in metrics.get("evaluation", {}).items() if k != "per_family"}}
    return json.dumps(summary, indent=2) + "\n" + folder_note(md.MODEL, output_folder(md.MODEL, args.out))


#: Command line: ``python -m workshop_kit.image.train_motifs [--minutes M] [--seed S] [--out DIR] [--cells N]
#: [--threads N] [--no-evaluate] [--quiet]`` (also ``workshop-kit train motifs``).
main = command("python -m workshop_kit.image.train_motifs",
               "Train the motif diffusion model on the kit's procedural motifs.", _run_command, options=_flags,
               minutes=30.0, minutes_help="time budget of the training loop, 0.5 to 600 (default 30)",
               out_help="model folder, replaced (default: the shipped model's folder, "
                        "workshop_kit/models/motif-diffusion)")


if __name__ == "__main__":
    raise SystemExit(main())
