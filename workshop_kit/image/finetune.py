"""Your own motifs: fine-tune the motif diffusion model on photos of your work, in a few minutes on a laptop CPU.

    from workshop_kit.image.finetune import finetune, make_demo_folder
    report = finetune("mes_photos", out_dir="mon_modele", minutes=5)    # PNG, JPEG or WebP pictures, at least 20
    report.summary()
    generate(motif=report.family, model_path="mon_modele", seed=0)      # workshop_kit.image.motif_diffusion

What it does, in order:

1. reads every picture of the folder (:func:`read_pictures`) through :func:`workshop_kit.imageio_safe.load_image`:
   PNG, JPEG and WebP files of at most 20 MiB and 16 megapixels. A file that cannot be used (damaged, too large,
   GIF, TIFF…) is reported by name with the reason and skipped; at most :data:`MAX_FILES` files are read;
2. turns each picture into **cells** the model understands (:func:`picture_cells`): the picture is reduced, its
   lightness stretched between its darkest and lightest parts and quantised into :data:`LEVELS` palette levels
   (0 = darkest, 1 = lightest, as :func:`~workshop_kit.image.motif_diffusion.to_levels` does for a palette's
   colours), and random squares of it are cut out and reduced to 32 × 32 pixels by averaging. Flips and quarter
   turns are added during training;
3. continues the training of the shipped model on those cells, **under one motif family**: the shipped model has
   exactly one class embedding per family plus one for "no family" (no spare slot), and the sampler only knows
   those families, so the participant's pictures take over a family. ``family`` chooses it; by default it is the
   family whose denoising loss on the participant's cells is lowest before training: the one the model already
   finds closest, which moves least far. The label is dropped one time in ten, as in the first training, so that
   classifier-free guidance still works. AdamW at a small learning rate, an exponential moving average of the
   weights, for ``minutes`` (at most 10) or ``max_steps``;
4. writes a complete model folder — ``unet/``, ``scheduler/``, ``motif_diffusion.json``, ``metrics.json`` (the
   denoising loss on the participant's cells before and after) and ``MODEL_CARD.md`` — that
   :func:`workshop_kit.image.motif_diffusion.generate` reads with ``model_path=out_dir``; draw with
   ``motif=report.family``. The other families are still there, but drift towards the new pictures. The folder
   is written beside ``out_dir`` and takes its place at once (:func:`workshop_kit.shipped.staged_folder`).

The shipped weights are never written to: ``out_dir`` may not be the shipped folder nor the base folder.

:func:`make_demo_folder` writes 24 small PNG "photos" of one kind of woven motif (rotated, unevenly lit, grainy) for
a trainer without pictures of their own.

Heavy packages (torch, diffusers) are imported inside the functions.
"""

from __future__ import annotations

import copy
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..files import sha256_file, write_json
from ..participant import Skipped, check_out_dir, list_files, too_few
from ..imageio_safe import load_image
from ..shipped import staged_folder
from ..training import Budget, ProgressBar, Schedule, check_minutes, command, write_results
from ..validation import check_choice, check_int
from . import motif_diffusion as md

__all__ = [
    "CELLS_PER_PICTURE",
    "LEVELS",
    "MAX_ENTRIES",
    "MAX_FILES",
    "MAX_MINUTES",
    "MIN_PICTURES",
    "ImageFinetuneReport",
    "PictureSet",
    "Skipped",
    "finetune",
    "main",
    "make_demo_folder",
    "picture_cells",
    "read_pictures",
]

#: Fewest readable pictures to fine-tune on.
MIN_PICTURES = 20
#: Most picture files read from a folder (in name order); the others are left out, with a note.
MAX_FILES = 500
#: Most entries (files and folders) looked at in a folder and its sub-folders.
MAX_ENTRIES = 10 * MAX_FILES
#: Longest time budget, in minutes.
MAX_MINUTES = 10.0
#: Lightness steps a picture is quantised into (levels 0, 1/4, …, 1), like a five-colour palette.
LEVELS = 5
#: Training cells cut out of each picture.
CELLS_PER_PICTURE = 48
#: Cells cut out of each picture (with another seed) to measure the denoising loss before and after.
EVAL_CELLS_PER_PICTURE = 4
#: Side, in pixels, to which a picture's shorter side is reduced before cells are cut out.
WORK_PX = 192
#: Side of the square cut out for a cell, as a fraction of the reduced picture's shorter side.
CROP_FRACTION = (0.2, 0.5)
#: Files tried as pictures; :func:`~workshop_kit.imageio_safe.load_image` refuses those other than PNG, JPEG, WebP.
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".avif")
PEAK_LR = 2e-4
WARMUP_STEPS = 10
BATCH_SIZE = 32
EMA_DECAY = 0.995
LABEL_DROPOUT = 0.1


@dataclass
class PictureSet:
    """The pictures read from a folder, with what was left out.

    Attributes
    ----------
    folder : Path
    pictures : list of (str, numpy.ndarray)
        ``(name, rgb)``: the file name relative to the folder, and the picture as ``uint8`` RGB, its shorter side
        reduced to at most :data:`WORK_PX` pixels.
    skipped : list of Skipped
        Files that could not be used, each with the reason.
    notes : list of str
        Files left out without being opened (other formats, hidden files, beyond :data:`MAX_FILES`).
    """

    folder: Path
    pictures: list[tuple[str, np.ndarray]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.pictures]


@dataclass(repr=False)
class ImageFinetuneReport:
    """What :func:`finetune` did; ``metrics`` is also written to ``out_dir/metrics.json``.

    Attributes
    ----------
    out_dir : Path
        The fine-tuned model folder: ``generate(motif=family, model_path=out_dir)`` draws with it.
    base : Path
        The model folder it started from.
    family : str
        The motif family the pictures were learnt under.
    family_chosen : str
        ``"given"`` when ``family`` was passed, ``"closest"`` when it was chosen by the loss before training.
    pictures : list of str
        Names of the pictures trained on.
    skipped : list of Skipped
        Files that could not be used, with the reason.
    notes : list of str
        Files left out without being opened.
    cells : int
        Training cells cut out of the pictures.
    loss_before, loss_after : float
        Denoising loss (mean squared error of the predicted noise, lower is better) on cells of the participant's
        pictures, with a fixed noise, before and after.
    steps : int
        Optimiser steps done.
    seconds : float
        Time spent training (reading and writing excluded).
    stopped : str
        Why training stopped.
    metrics : dict
    """

    out_dir: Path
    base: Path
    family: str
    family_chosen: str
    pictures: list[str]
    skipped: list[Skipped]
    notes: list[str]
    cells: int
    loss_before: float
    loss_after: float
    steps: int
    seconds: float
    stopped: str
    metrics: dict[str, Any] = field(default_factory=dict)

    def summary(self, lang: str = "fr") -> str:
        """A few lines for an artisan, in French (``"fr"``) or English (``"en"``)."""
        if lang == "fr":
            stopped = {"time budget spent": "temps écoulé", "all steps done": "tous les pas faits"}.get(
                self.stopped, self.stopped)
            lines = [(f"Modèle affiné écrit dans {self.out_dir} : {len(self.pictures)} images ({self.cells} cellules) "
                     f"apprises sous la famille « {self.family} », {self.steps} pas en {self.seconds:.0f} s, "
                     f"arrêt : {stopped}."),
                     (f"Erreur de débruitage sur vos images (plus bas = mieux) : {self.loss_before:.4f} → "
                     f"{self.loss_after:.4f}"),
                     f"Dessinez avec : generate(motif=\"{self.family}\", model_path=\"{self.out_dir}\")"]
            if self.skipped:
                lines.append("Fichiers ignorés : " + "; ".join(f"{s.name} ({s.reason})" for s in self.skipped))
            return "\n".join(lines)
        lines = [(f"Fine-tuned model written to {self.out_dir}: {len(self.pictures)} pictures ({self.cells} cells) "
                 f"learnt under the family '{self.family}', {self.steps} steps in {self.seconds:.0f} s, "
                 f"stopped: {self.stopped}."),
                 f"Denoising loss on your pictures (lower is better): {self.loss_before:.4f} -> {self.loss_after:.4f}",
                 f"Draw with: generate(motif=\"{self.family}\", model_path=\"{self.out_dir}\")"]
        if self.skipped:
            lines.append("Skipped files: " + "; ".join(f"{s.name} ({s.reason})" for s in self.skipped))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"ImageFinetuneReport(out_dir={str(self.out_dir)!r}, family={self.family!r}, "
                f"pictures={len(self.pictures)}, skipped={len(self.skipped)}, "
                f"loss={self.loss_before:.4f}->{self.loss_after:.4f}, steps={self.steps}, "
                f"seconds={self.seconds:.1f}, stopped={self.stopped!r})")


# ------------------------------------------------------------------------------------------------ reading
def _reason(exc: ParameterError) -> str:
    """The reason part of a :class:`ParameterError` from ``load_image`` (without the name and the allowed list)."""
    text = exc.message_en
    prefix = f"{exc.name}={exc.value!r}: "
    text = text.removeprefix(prefix)
    return text.rsplit("; allowed:", 1)[0].strip()


def _reduce(rgb: np.ndarray) -> np.ndarray:
    """Reduce a picture so that its shorter side is at most WORK_PX pixels (averaging, so nothing aliases)."""
    from PIL import Image

    h, w = rgb.shape[:2]
    scale = WORK_PX / min(h, w)
    if scale >= 1:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, resample=Image.Resampling.BOX), dtype=np.uint8)


def read_pictures(folder: str | os.PathLike, *, progress: bool = False) -> PictureSet:
    """Read every picture of a folder (and its sub-folders), safely.

    Parameters
    ----------
    folder : path
        A folder of PNG, JPEG or WebP pictures (photos of your work). Each file goes through
        :func:`workshop_kit.imageio_safe.load_image`: at most 20 MiB and 16 megapixels.
    progress : bool
        Show a progress bar.

    Returns
    -------
    PictureSet
        The pictures (reduced to :data:`WORK_PX` pixels on their shorter side), and the files skipped with their
        reasons (damaged, too large, another format).

    Raises
    ------
    ParameterError
        When ``folder`` is not an existing folder.
    """
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise ParameterError("folder", folder, "a folder of PNG, JPEG or WebP pictures")
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ParameterError("folder", str(folder), "an existing folder of PNG, JPEG or WebP pictures",
                             reason="no such folder", reason_fr="ce dossier n'existe pas")
    from tqdm.auto import tqdm

    files, notes, _ = list_files(root, PICTURE_SUFFIXES, max_files=MAX_FILES, max_entries=MAX_ENTRIES,
                                 others="file(s) that are not pictures")
    result = PictureSet(root, [], [], notes)
    for path in tqdm(files, desc="Reading your pictures", unit="file", disable=not progress):
        name = path.relative_to(root).as_posix()
        try:
            rgb = load_image(path, name="picture")
        except ParameterError as exc:
            result.skipped.append(Skipped(name, _reason(exc)))
            continue
        if min(rgb.shape[:2]) < md.CELL_PX:
            result.skipped.append(Skipped(name, f"too small ({rgb.shape[1]} × {rgb.shape[0]} pixels; at least "
                                                f"{md.CELL_PX} on each side)"))
            continue
        result.pictures.append((name, _reduce(rgb)))
    return result


# ------------------------------------------------------------------------------------------------ cells
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _picture_levels(rgb: np.ndarray) -> np.ndarray:
    """A picture's lightness, smoothed a little (against the grain of photos), stretched between its 2nd and 98th
    percentiles and quantised into LEVELS steps."""
    from PIL import Image, ImageFilter

    rgb = np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(1.0)), dtype=np.uint8)
    lum = (rgb.astype(np.float32) / 255.0) @ _LUMA
    low, high = np.percentile(lum, [2.0, 98.0])
    if high - low < 1e-3:  # a flat picture: one level, its own lightness
        stretched = np.full_like(lum, float(np.clip(lum.mean(), 0, 1)))
    else:
        stretched = np.clip((lum - low) / (high - low), 0.0, 1.0)
    return (np.round(stretched * (LEVELS - 1)) / (LEVELS - 1)).astype(np.float32)


def picture_cells(rgb: np.ndarray, *, n: int, seed: int = 0) -> np.ndarray:
    """Cut ``n`` cells out of a picture, as palette levels: what the model learns from.

    The picture's lightness is stretched between its darkest and lightest parts (2nd and 98th percentiles) and
    quantised into :data:`LEVELS` steps; then random squares (a fifth to a half of its shorter side, after reducing
    it to :data:`WORK_PX` pixels) are reduced to :data:`~workshop_kit.image.motif_diffusion.CELL_PX` pixels by
    averaging, as the kit's own training cells are.

    Parameters
    ----------
    rgb : numpy.ndarray
        ``(h, w, 3)`` ``uint8`` picture, at least 32 pixels on each side.
    n : int
        How many cells, 1 to 10 000.
    seed : int
        Chooses the squares; the same seed gives the same cells.

    Returns
    -------
    numpy.ndarray
        ``(n, CELL_PX, CELL_PX)`` ``float32`` levels in [0, 1].
    """
    from PIL import Image

    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < md.CELL_PX:
        raise ParameterError("rgb", f"<array {rgb.shape} {rgb.dtype}>",
                             f"an (h, w, 3) uint8 picture at least {md.CELL_PX} pixels on each side")
    n = check_int("n", n, 1, 10_000)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    levels = Image.fromarray(_picture_levels(_reduce(rgb)), mode="F")
    w, h = levels.size
    short = min(w, h)
    rng = np.random.default_rng(seed)
    out = np.empty((n, md.CELL_PX, md.CELL_PX), np.float32)
    for i in range(n):
        side = max(md.CELL_PX // 2, round(short * rng.uniform(*CROP_FRACTION)))
        side = min(side, short)
        x, y = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
        cell = levels.resize((md.CELL_PX, md.CELL_PX), resample=Image.Resampling.BOX, box=(x, y, x + side, y + side))
        out[i] = np.asarray(cell, dtype=np.float32)
    return np.clip(out, 0.0, 1.0)


# ------------------------------------------------------------------------------------------------ training
def _augment(x, gen):
    """Random flips and quarter turns of a batch ``(n, 1, h, w)``, drawn from ``gen``."""
    import torch

    flip_h = torch.rand(len(x), generator=gen) < 0.5
    flip_v = torch.rand(len(x), generator=gen) < 0.5
    turn = torch.rand(len(x), generator=gen) < 0.5
    x = torch.where(flip_h[:, None, None, None], x.flip(-1), x)
    x = torch.where(flip_v[:, None, None, None], x.flip(-2), x)
    return torch.where(turn[:, None, None, None], x.transpose(-1, -2), x)


def _fixed_loss(unet, batch: dict, label: int, *, chunk: int = 128) -> float:
    """Denoising loss on a fixed batch (same noise and timesteps every time) under class ``label``."""
    import torch
    import torch.nn.functional as F

    was_training = unet.training
    unet.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for i in range(0, len(batch["x"]), chunk):
            noisy, t, eps = batch["noisy"][i:i + chunk], batch["t"][i:i + chunk], batch["noise"][i:i + chunk]
            y = torch.full((len(t),), label, dtype=torch.long)
            total += float(F.mse_loss(unet(noisy, t, class_labels=y).sample, eps, reduction="sum"))
            count += eps.numel()
    if was_training:
        unet.train()
    return total / count


def finetune(folder: str | os.PathLike, *, out_dir: str | os.PathLike, minutes: float = 5.0, seed: int = 0,
             progress: bool = True, family: str | None = None, max_steps: int | None = None,
             base: str | os.PathLike | None = None) -> ImageFinetuneReport:
    """Fine-tune the motif diffusion model on a folder of your pictures, and write the new model to ``out_dir``.

    Parameters
    ----------
    folder : path
        A folder of at least 20 PNG, JPEG or WebP pictures (photos of your work; see :func:`read_pictures`). Files
        that cannot be used are skipped and listed in ``report.skipped``.
    out_dir : path
        Folder to write the model to: a new or empty folder, or one that a previous fine-tuning wrote (it is then
        replaced). Never the shipped model's folder nor ``base``.
    minutes : float
        Time budget for the training, above 0 and at most 10 (default 5). Reading the pictures, measuring and
        writing come on top (seconds).
    seed : int
        Chooses the cells, the noise and the batches; with ``max_steps``, the same seed gives the same weights.
    progress : bool
        Show progress bars.
    family : str, optional
        The motif family (:data:`~workshop_kit.image.motif_diffusion.CLASSES`) the pictures are learnt under: the
        model has no spare class, so your pictures take this family's place. ``None`` (default) picks the family
        whose denoising loss on your cells is lowest before training (the closest one).
    max_steps : int, optional
        Stop after this many optimiser steps, 1 to 100 000 (within the time budget).
    base : path, optional
        The model folder to start from (default: the model
        :func:`~workshop_kit.image.motif_diffusion.generate` uses, the shipped one unless
        ``WORKSHOP_KIT_MOTIF_DIFFUSION_MODEL`` names another).

    Returns
    -------
    ImageFinetuneReport
        ``report.summary()`` gives a few readable lines;
        ``generate(motif=report.family, model_path=report.out_dir)`` draws with the new model.

    Raises
    ------
    ParameterError
        For fewer than 20 readable pictures (naming how many were read and the files skipped), a missing folder, a
        bad option, or an ``out_dir`` that would overwrite the shipped model or another folder's files.
    MissingModelError
        When ``base`` holds no motif diffusion model.

    Notes
    -----
    Training runs on the CPU, on at most two threads: the model has 2.5 M parameters and the batches are small.
    """
    minutes = check_minutes(minutes, high=MAX_MINUTES)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if family is not None:
        family = check_choice("family", family, md.CLASSES)
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, 1, 100_000)
    base_dir = md.MODEL.folder(base)
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise ParameterError("folder", folder, "a folder of PNG, JPEG or WebP pictures")
    out = check_out_dir(out_dir, protected=(md.MODEL.shipped_folder(), base_dir), inputs=Path(folder).expanduser(),
                        marker=md.METRICS_FILE)  # before any work
    pictures = read_pictures(folder, progress=progress)
    if len(pictures.pictures) < MIN_PICTURES:
        raise too_few(folder, len(pictures.pictures), MIN_PICTURES, pictures.skipped,
                      what=("picture(s)", "image(s) lisible(s)"),
                      allowed=(f"a folder with at least {MIN_PICTURES} PNG, JPEG or WebP pictures",
                               f"un dossier d'au moins {MIN_PICTURES} images PNG, JPEG ou WebP"))

    import torch
    from diffusers import DDPMScheduler

    from .train_motifs import denoising_step

    base_model = md.load_model(path=base_dir, device="cpu")  # checks the folder; raises MissingModelError
    base_unet, scheduler_config, base_kit = base_model
    null_class = int(base_kit["null_class"])
    noise_schedule = DDPMScheduler.from_config(scheduler_config)
    n_train_t = int(noise_schedule.config.num_train_timesteps)

    # the cells: training cells, and a fixed set (other squares, fixed noise and timesteps) to measure the loss
    cells = np.concatenate([picture_cells(rgb, n=CELLS_PER_PICTURE, seed=int(seed + 1000 * i))
                            for i, (_, rgb) in enumerate(pictures.pictures)])
    eval_cells = np.concatenate([picture_cells(rgb, n=EVAL_CELLS_PER_PICTURE, seed=int(seed + 1000 * i + 500))
                                 for i, (_, rgb) in enumerate(pictures.pictures)])
    x_all = torch.from_numpy(cells * 2 - 1)[:, None]
    x_eval = torch.from_numpy(eval_cells * 2 - 1)[:, None]
    vgen = torch.Generator().manual_seed(seed + 1)
    v_noise = torch.randn(x_eval.shape, generator=vgen)
    v_t = ((torch.arange(len(x_eval)) + 0.5) * n_train_t / len(x_eval)).long().clamp(0, n_train_t - 1)
    v_t = v_t[torch.randperm(len(x_eval), generator=vgen)]  # timesteps spread evenly over the schedule
    fixed = {"x": x_eval, "noise": v_noise, "t": v_t, "noisy": noise_schedule.add_noise(x_eval, v_noise, v_t)}

    before_threads = torch.get_num_threads()
    torch.set_num_threads(min(before_threads, 2))
    try:
        unet = copy.deepcopy(base_unet)
        chosen = "given" if family is not None else "closest"
        if family is None:  # every family measured, the closest kept
            per_family = {name: round(_fixed_loss(unet, fixed, k), 6) for k, name in enumerate(md.CLASSES)}
            family = min(per_family, key=per_family.get)
        else:
            per_family = {family: round(_fixed_loss(unet, fixed, md.CLASSES.index(family)), 6)}
        label = md.CLASSES.index(family)
        loss_before = per_family[family]

        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        unet.requires_grad_(True)
        unet.train()
        ema = copy.deepcopy(unet).requires_grad_(False)
        opt = torch.optim.AdamW(unet.parameters(), lr=PEAK_LR, weight_decay=1e-4)
        schedule = Schedule("constant", peak=PEAK_LR, warmup=WARMUP_STEPS)
        budget = Budget(minutes)
        step, running, history = 0, None, []
        stopped = ""
        bar = ProgressBar(total=max_steps if max_steps is not None else budget.seconds,
                          unit="step" if max_steps else "s", desc="Fine-tuning on your pictures", enabled=progress)
        while not stopped:
            idx = torch.randint(0, len(x_all), (BATCH_SIZE,), generator=gen)
            x0 = _augment(x_all[idx], gen)
            y = torch.full((BATCH_SIZE,), label, dtype=torch.long)
            y[torch.rand(BATCH_SIZE, generator=gen) < LABEL_DROPOUT] = null_class
            value = denoising_step(unet, ema, opt, noise_schedule, x0, y, gen=gen, step=step, ema_decay=EMA_DECAY,
                                   lr=schedule.lr(step))
            step += 1
            running = value if running is None else 0.95 * running + 0.05 * value
            elapsed = budget.elapsed
            if step % 100 == 0:
                history.append({"step": step, "seconds": round(elapsed, 1), "train_loss": round(running, 5)})
            bar.at(step if max_steps is not None else elapsed, step=step, loss=f"{running:.4f}")
            if max_steps is not None and step >= max_steps:
                stopped = "all steps done"
            elif elapsed >= budget.seconds:
                stopped = "time budget spent"
        bar.close()
        train_seconds = budget.elapsed

        # write everything — weights, configs, then the loss measured on what was written, read back as the kit
        # reads it — into a fresh folder that then replaces out_dir at once
        kit = dict(base_kit)
        kit.update({"version": f"{base_kit.get('version', '')}+finetuned", "trained": time.strftime("%Y-%m-%d"),
                    "finetuned": {"family": family, "pictures": len(pictures.pictures), "seed": seed,
                                  "base": str(base_dir.resolve())}})
        with staged_folder(out, key=md.MODEL.key) as stage:
            ema.eval()
            ema.save_pretrained(stage / md.UNET_DIR, safe_serialization=True)
            noise_schedule.save_pretrained(stage / md.SCHEDULER_DIR)
            write_json(stage / md.KIT_CONFIG, kit)
            tuned_unet = md.load_model(path=stage, device="cpu")[0]
            loss_after = round(_fixed_loss(tuned_unet, fixed, label), 6)
            metrics = {
                "finetune": {"base": str(base_dir.resolve()),
                             "base_weights_sha256": sha256_file(base_dir / md.UNET_DIR /
                                                                "diffusion_pytorch_model.safetensors"),
                             "folder": str(pictures.folder.resolve()), "family": family, "family_chosen": chosen,
                             "seed": seed, "minutes_budget": minutes, "max_steps": max_steps, "steps": step,
                             "seconds": round(train_seconds, 1), "stopped": stopped, "peak_lr": PEAK_LR,
                             "warmup_steps": WARMUP_STEPS, "batch_size": BATCH_SIZE, "ema_decay": EMA_DECAY,
                             "label_dropout": LABEL_DROPOUT,
                             "optimizer": "AdamW(weight_decay=1e-4), constant after warm-up",
                             "augmentation": "random horizontal and vertical flips, transposition",
                             "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
                             "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} logical CPUs",
                             "history": history},
                "data": {"pictures": pictures.names, "cells": len(cells), "cells_per_picture": CELLS_PER_PICTURE,
                         "eval_cells": len(eval_cells), "levels": LEVELS, "work_px": WORK_PX,
                         "crop_fraction": list(CROP_FRACTION), "cell_px": md.CELL_PX,
                         "skipped": [{"file": s.name, "reason": s.reason} for s in pictures.skipped],
                         "notes": pictures.notes},
                "denoising_loss": {"what": "mean squared error of the predicted noise on cells of the participant's "
                                           "pictures (other squares than those trained on), fixed noise, timesteps "
                                           "spread evenly",
                                   "family": family, "before": loss_before, "after": loss_after,
                                   "before_per_family": per_family},
            }
            write_results(stage, metrics, _model_card(metrics))
    finally:
        torch.set_num_threads(before_threads)

    return ImageFinetuneReport(out, base_dir, family, chosen, pictures.names, list(pictures.skipped),
                               list(pictures.notes), len(cells), loss_before, loss_after, step, train_seconds,
                               stopped, metrics)


def _model_card(m: dict[str, Any]) -> str:
    f, d, loss = m["finetune"], m["data"], m["denoising_loss"]
    skipped = "".join(f"\n- `{s['file']}`: {s['reason']}" for s in d["skipped"]) or " none."
    how = ("chosen by the participant" if f["family_chosen"] == "given"
           else "chosen as the family whose denoising loss on these pictures was lowest before training")
    return f"""# Motif diffusion, fine-tuned on your pictures

This model was **fine-tuned from the kit's shipped motif diffusion model** (`{f['base']}`, weights sha256
`{f['base_weights_sha256'][:16]}…`) on **the participant's own images**: {len(d['pictures'])} pictures read from
`{f['folder']}`. It draws 32 × 32 cells of palette levels, like the model it comes from; the kit mirrors them into
seamless artworks and colours them with any regional palette.

The pictures were learnt under the family **`{f['family']}`** ({how}): the model has one class per motif family and
no spare one, so draw with `generate(motif="{f['family']}", model_path="<this folder>", seed=0)`
(`workshop_kit.image.motif_diffusion`), or set `WORKSHOP_KIT_MOTIF_DIFFUSION_MODEL` to this folder. The other
families still work, but drift towards the new pictures.

## Data

Each picture's lightness was stretched between its darkest and lightest parts and quantised into {d['levels']}
levels; {d['cells_per_picture']} random squares of each (a fifth to a half of its shorter side, at {d['work_px']}
pixels) were reduced to {d['cell_px']} × {d['cell_px']} cells: {d['cells']} cells. Colours are not learnt, only
light and dark.
Files skipped:{skipped}

## Training

{f['steps']} steps of {f['batch_size']} cells in {f['seconds']:.0f} s on {f['machine']} ({f['torch_threads']}
thread(s), torch {f['torch']}); stopped: {f['stopped']}. {f['optimizer']}, learning rate {f['peak_lr']:g}, EMA
{f['ema_decay']}, label dropout {f['label_dropout']}, {f['augmentation']}; seed {f['seed']}.

## Metrics

Denoising loss ({loss['what']}), with the weights as written, under `{f['family']}`:

| | before | after |
|---|---|---|
| your pictures ({d['eval_cells']} cells) | {loss['before']:.4f} | {loss['after']:.4f} |

## Licence and limitations

- The base model's weights are MIT-licensed and were trained on motifs the kit draws itself. The rights on the
  pictures this model was fine-tuned on are those of their authors: credit them, and ask before showing what it
  draws as theirs.
- With a few dozen pictures, the model can repeat parts of them closely; it sees only 32-pixel squares of light
  and dark, so large compositions, colours and fine textures are lost.
"""


# ---------------------------------------------------------------------------------------------- demo pictures
def make_demo_folder(folder: str | os.PathLike, *, n: int = 24, seed: int = 0) -> Path:
    """Write ``n`` small PNG "photos" of woven motifs, to fine-tune on when you have no pictures of your own.

    Each is an Amazigh rug band (:func:`workshop_kit.image.motifs.tile`, random seed, variant and palette) photographed
    badly on purpose: turned by a few degrees, lit unevenly, a little out of focus and grainy, 192 × 192 pixels.
    Files are named ``photo_01.png`` ...; files of the same names are replaced, others left alone.

    Parameters
    ----------
    folder : path
        Where to write (created if missing).
    n : int
        Number of pictures, 1 to 200.
    seed : int
        The same seed writes the same pictures.

    Returns
    -------
    Path
        The folder, ready for :func:`finetune`.
    """
    from PIL import Image, ImageFilter

    from ..files import atomic_path
    from ..palettes import PALETTES
    from . import motifs

    n = check_int("n", n, 1, 200)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise ParameterError("folder", folder, "a folder path")
    out = Path(folder).expanduser()
    if out.exists() and not out.is_dir():
        raise ParameterError("folder", str(folder), "a folder path", reason="this is a file")
    out.mkdir(parents=True, exist_ok=True)
    palettes = list(PALETTES)
    side = 192
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        unit = motifs.tile("amazigh", palette=palettes[int(rng.integers(len(palettes)))], size=128,
                           seed=int(rng.integers(2**32)), variant=("flat", "knotted")[int(rng.integers(2))])
        cloth = Image.fromarray(np.tile(unit, (3, 3, 1)))
        turned = cloth.rotate(float(rng.uniform(-12, 12)), resample=Image.Resampling.BICUBIC)
        c = (turned.width - side) // 2 + int(rng.integers(-20, 21))
        photo = turned.crop((c, c, c + side, c + side)).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.0))))
        yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
        angle = rng.uniform(0, 2 * np.pi)
        light = 0.75 + 0.35 * (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)) + rng.uniform(-0.05, 0.1)
        pixels = np.asarray(photo, np.float32) * light[..., None] * rng.uniform(0.9, 1.1, 3)[None, None, :]
        pixels += rng.normal(0.0, 4.0, pixels.shape)
        with atomic_path(out / f"photo_{i + 1:02d}.png") as tmp:
            Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8)).save(tmp, format="PNG")
    return out


# ------------------------------------------------------------------------------------------- command line
def _flags(parser) -> None:
    parser.add_argument("--from", dest="folder", required=True, help="folder of your pictures")
    parser.add_argument("--family", default=None, choices=md.CLASSES,
                        help="motif family to learn the pictures under (default: the closest one)")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many steps")
    parser.add_argument("--base", default=None, help="model folder to start from (default: the shipped model)")
    parser.add_argument("--demo", action="store_true", help="first write 24 demo pictures into the --from folder")


def _run_command(args) -> str:
    if args.demo:
        make_demo_folder(args.folder, seed=args.seed)
    report = finetune(args.folder, out_dir=args.out, minutes=args.minutes, seed=args.seed, progress=not args.quiet,
                      family=args.family, max_steps=args.steps, base=args.base)
    return report.summary("en")


#: Command line: ``python -m workshop_kit.image.finetune --from FOLDER --out DIR [--minutes M] [--family F]
#: [--steps N] [--seed S] [--base DIR] [--demo] [--quiet]`` (also ``workshop-kit train motifs --from ...``).
main = command("python -m workshop_kit.image.finetune",
               "Fine-tune the motif diffusion model on a folder of your own pictures "
               f"(PNG, JPEG, WebP; at least {MIN_PICTURES}).", _run_command, options=_flags, minutes=5.0,
               minutes_help=f"time budget (default 5, at most {MAX_MINUTES:g})",
               out_help="folder to write the fine-tuned model to", out_required=True)


if __name__ == "__main__":
    sys.exit(main())
