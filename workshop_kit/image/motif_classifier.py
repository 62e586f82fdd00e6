"""A small CNN that tells motif families apart, trained on procedural motifs, to measure the motif diffusion model.

The classifier reads the same 32 × 32 cells of palette levels that :mod:`workshop_kit.image.motif_diffusion` draws
(see :func:`~workshop_kit.image.motif_diffusion.procedural_cells`) and answers which of the seven families of
:data:`workshop_kit.image.motifs.FAMILIES` a cell belongs to. Trained on exact procedural cells (a few minutes on a
laptop CPU), it is right on nearly all cells of tiles it has never seen, so it can judge the diffusion model:

- **conditional accuracy**: how many of the cells drawn for family *k* it reads as *k*;
- **diversity**: the mean distance between two cells drawn for one family, against the same for procedural cells
  (in pixels and in the classifier's features);
- **memorisation**: how far each drawn cell is from its nearest training cell, against the same for fresh
  procedural cells.

:func:`evaluate` computes these figures; :func:`with_evaluation` adds them to the diffusion model's metrics (the
training writes them with the model), and ``evaluate(write=True)`` rewrites a model folder with them.

    python -m workshop_kit.image.motif_classifier            # train (about 3 minutes)
    python -m workshop_kit.image.motif_classifier --evaluate # measure the shipped diffusion model

The weights live in ``workshop_kit/models/motif-classifier``; nothing is loaded, and torch is not imported, at import.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import EngineUnavailableError, ParameterError
from ..files import write_json
from ..training import Budget, ProgressBar, Schedule, check_minutes, command, output_folder, write_results
from ..validation import check_int
from .. import shipped
from . import motif_diffusion as md

__all__ = ["MODEL", "classify", "evaluate", "features", "load_classifier", "main", "train", "with_evaluation"]

#: The shipped classifier (package data; ``$WORKSHOP_KIT_MOTIF_CLASSIFIER`` names another folder).
MODEL = shipped.SHIPPED["motif-classifier"]
WEIGHTS_FILE, CONFIG_FILE, METRICS_FILE, CARD_FILE = "model.safetensors", "config.json", "metrics.json", "MODEL_CARD.md"

#: Seeds of the classifier's own training and held-out cells (the diffusion model's data uses its own seed).
TRAIN_SEED, HELDOUT_SEED = 101, 202
_CHANNELS = (16, 32, 64)


def _build(channels: Sequence[int] = _CHANNELS, n_classes: int = len(md.CLASSES)):
    """The network: three stages of 3 × 3 convolutions, global average pooling, one linear layer."""
    from torch import nn

    c1, c2, c3 = channels

    def stage(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    body = nn.Sequential(*stage(1, c1), nn.MaxPool2d(2), *stage(c1, c2), nn.MaxPool2d(2), *stage(c2, c3),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return nn.Sequential(body, nn.Linear(c3, n_classes))


def _build_from(folder: Path, device: str):
    from safetensors.torch import load_file

    config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    if tuple(config.get("classes", ())) != md.CLASSES or config.get("representation") != md.REPRESENTATION:
        raise EngineUnavailableError(
            f"The motif classifier in {folder} was trained for other motifs. Train it again with: "
            f"{MODEL.train_command}",
            f"Le classifieur de motifs de {folder} a été entraîné pour d'autres motifs. Entraînez-le de nouveau "
            f"avec : {MODEL.train_command}",
        )
    net = _build(config["channels"], len(config["classes"]))
    net.load_state_dict(load_file(str(folder / WEIGHTS_FILE)))
    net.eval()
    net.requires_grad_(False)
    return net


def load_classifier(*, path: str | os.PathLike | None = None):
    """The classifier (a ``torch.nn.Sequential`` in eval mode, on the CPU), read once per folder.

    Raises
    ------
    MissingModelError
        When the folder lacks the weights, with the command that trains them.
    """
    return shipped.load(MODEL.key, path, "cpu", _build_from)


def _as_batch(cells) -> np.ndarray:
    cells = np.asarray(cells, dtype=np.float32)
    if cells.ndim == 2:
        cells = cells[None]
    if cells.ndim != 3 or cells.shape[1:] != (md.CELL_PX, md.CELL_PX) or len(cells) == 0:
        raise ParameterError("cells", getattr(cells, "shape", None),
                             f"an array of (n, {md.CELL_PX}, {md.CELL_PX}) palette levels")
    return cells


def _run(net, cells: np.ndarray, *, head: bool, batch: int = 256) -> np.ndarray:
    import torch

    out = []
    with torch.inference_mode():
        for i in range(0, len(cells), batch):
            x = torch.from_numpy(cells[i:i + batch] * 2 - 1)[:, None]
            f = net[0](x)
            out.append((net[1](f) if head else f).numpy())
    return np.concatenate(out)


def classify(cells, *, path: str | os.PathLike | None = None, probabilities: bool = False) -> np.ndarray:
    """Which family each cell belongs to.

    Parameters
    ----------
    cells : array_like
        ``(n, 32, 32)`` (or one ``(32, 32)``) palette levels in [0, 1], as :func:`md.sample_cells
        <workshop_kit.image.motif_diffusion.sample_cells>` and :func:`md.procedural_cells
        <workshop_kit.image.motif_diffusion.procedural_cells>` return.
    path : path, optional
        Classifier folder (default: the shipped one, :data:`MODEL`).
    probabilities : bool
        Return each family's probability instead of the likeliest family.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` class numbers (indices into :data:`~workshop_kit.image.motif_diffusion.CLASSES`), or ``(n, 7)``
        probabilities.
    """
    logits = _run(load_classifier(path=path), _as_batch(cells), head=True)
    if not probabilities:
        return logits.argmax(axis=1)
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def features(cells, *, path: str | os.PathLike | None = None) -> np.ndarray:
    """The classifier's features of each cell (the ``(n, 64)`` average-pooled activations before its last layer)."""
    return _run(load_classifier(path=path), _as_batch(cells), head=False)


# --------------------------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------------------------


def _dataset(per_class: int, seed: int, progress: bool, desc: str):
    from tqdm.auto import tqdm

    xs, ys = [], []
    for k, motif in enumerate(tqdm(md.CLASSES, desc=desc, unit="family", disable=not progress)):
        xs.append(md.procedural_cells(motif, n=per_class, seed=seed))
        ys.append(np.full(per_class, k, np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def _augment(x, gen):
    """Noise, a slight blur and a small shift of the levels: the kind of roughness a generated cell has."""
    import torch
    import torch.nn.functional as F

    n = x.shape[0]
    blur = torch.rand(n, 1, 1, 1, generator=gen) < 0.3
    soft = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    x = torch.where(blur, 0.5 * x + 0.5 * soft, x)
    x = x + torch.randn(x.shape, generator=gen) * (torch.rand(n, 1, 1, 1, generator=gen) * 0.12)
    x = x + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.1
    return x


def train(
    *,
    out_dir: str | os.PathLike | None = None,
    per_class: int = 600,
    heldout_per_class: int = 200,
    epochs: int = 8,
    seed: int = 0,
    minutes: float | None = None,
    progress: bool = True,
) -> dict:
    """Train the classifier on procedural cells and write it, with its held-out accuracy, to ``out_dir``.

    Parameters
    ----------
    out_dir : path, optional
        The folder of ``model.safetensors``, ``config.json``, ``metrics.json`` and ``MODEL_CARD.md``, replaced at the
        end (default: the shipped classifier's folder, ``workshop_kit/models/motif-classifier``).
    per_class, heldout_per_class : int
        Training and held-out cells of each family (tiles drawn with different seeds).
    epochs : int
        Passes over the training cells, 1 to 100.
    seed : int
        Seeds the network's initialisation and the order of the batches.
    minutes : float, optional
        A time budget for the training loop, above 0 and at most 600; ``None`` (default): all the epochs. The
        learning rate follows one cycle over the epochs, so a budget that cuts it short leaves it unfinished.
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        The metrics written to ``metrics.json`` (``heldout_accuracy``, per family too).
    """
    per_class = check_int("per_class", per_class, 10, 100_000)
    heldout_per_class = check_int("heldout_per_class", heldout_per_class, 10, 100_000)
    epochs = check_int("epochs", epochs, 1, 100)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    minutes = check_minutes(minutes, high=600.0, optional=True)
    out = output_folder(MODEL, out_dir)
    import torch
    from safetensors.torch import save_file

    start = time.perf_counter()
    x_train, y_train = _dataset(per_class, TRAIN_SEED, progress, "Drawing training motifs")
    x_held, y_held = _dataset(heldout_per_class, HELDOUT_SEED, progress, "Drawing held-out motifs")
    render_s = time.perf_counter() - start

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = _build()
    batch = 64
    steps = epochs * (len(x_train) // batch)
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    schedule = Schedule("one-cycle", peak=3e-3, warmup=0.15 * steps, total=steps)
    xt = torch.from_numpy(x_train * 2 - 1)[:, None]
    yt = torch.from_numpy(y_train)
    budget = Budget(minutes)
    step, stopped = 0, "all epochs done"
    net.train()
    with ProgressBar(total=steps, desc="Training motif classifier", unit="batch", enabled=progress) as bar:
        for _ in range(epochs):
            order = torch.randperm(len(xt), generator=gen)
            for i in range(0, len(order) - batch + 1, batch):
                idx = order[i:i + batch]
                schedule.apply(opt, step)
                loss = torch.nn.functional.cross_entropy(net(_augment(xt[idx], gen)), yt[idx], label_smoothing=0.05)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                bar.advance(loss=f"{loss.item():.3f}")
                if budget.spent:
                    stopped = "time budget spent"
                    break
            if budget.spent:
                break
    net.eval()

    logits = _run(net, x_held, head=True)
    pred = logits.argmax(axis=1)
    per_family = {m: float((pred[y_held == k] == k).mean()) for k, m in enumerate(md.CLASSES)}
    confusion = np.zeros((len(md.CLASSES),) * 2, np.int64)
    np.add.at(confusion, (y_held, pred), 1)

    with shipped.staged_folder(out, key=MODEL.key) as stage:
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(stage / WEIGHTS_FILE))
        config = {"classes": list(md.CLASSES), "representation": md.REPRESENTATION, "cell_px": md.CELL_PX,
                  "channels": list(_CHANNELS)}
        write_json(stage / CONFIG_FILE, config)
        metrics = {
            "heldout_accuracy": float((pred == y_held).mean()),
            "heldout_accuracy_per_family": per_family,
            "confusion": {"rows_true_cols_predicted": list(md.CLASSES), "counts": confusion.tolist()},
            "data": {"train_cells_per_family": per_class, "heldout_cells_per_family": heldout_per_class,
                     "train_seed": TRAIN_SEED, "heldout_seed": HELDOUT_SEED,
                     "source": "procedural motifs of workshop_kit.image.motifs, all palettes and variants"},
            "training": {"epochs": epochs, "batch": batch, "seed": seed, "steps": step, "stopped": stopped,
                         "parameters": sum(p.numel() for p in net.parameters()),
                         "seconds_drawing_data": round(render_s, 1),
                         "seconds_total": round(time.perf_counter() - start, 1)},
            "command": "python -m workshop_kit.image.motif_classifier",
        }
        write_results(stage, metrics, model_card(metrics))
    return metrics


def model_card(m: dict) -> str:
    """The classifier's model card, from its metrics."""
    t, d = m["training"], m["data"]
    rows = "\n".join(f"| {family} | {acc:.3f} |" for family, acc in m["heldout_accuracy_per_family"].items())
    return f"""# Motif classifier (workshop-kit)

A small convolutional network ({t['parameters']:,} parameters) that tells the seven motif families of the kit apart
from a 32 × 32 cell of palette levels. It is not an engine: it measures the motif diffusion model (conditional
accuracy, diversity and memorisation, in that model's card) and the fine-tunings of it.

## Data
{d['train_cells_per_family']} training and {d['heldout_cells_per_family']} held-out cells per family, cut from
{d['source']} (training seed {d['train_seed']}, held-out seed {d['heldout_seed']}: tiles it never saw).

## Held-out accuracy
{m['heldout_accuracy']:.3f} over all families.

| family | accuracy |
|---|---:|
{rows}

## Training
{t['epochs']} epochs, batches of {t['batch']}, seed {t['seed']}, {t['seconds_total']:.0f} s on a laptop-class CPU
({t['seconds_drawing_data']:.0f} s of it drawing the motifs). Command: `{m['command']}`.

## Licence
MIT, like the code of workshop-kit; the training data is drawn by the kit itself.
"""


# --------------------------------------------------------------------------------------------------------------------
# Measuring the diffusion model
# --------------------------------------------------------------------------------------------------------------------


def _pairwise_mean(x: np.ndarray) -> float:
    """Mean distance between two different rows of ``x`` (RMS over the features)."""
    x = x.reshape(len(x), -1).astype(np.float64)
    sq = (x * x).sum(1)
    d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0) / x.shape[1])
    n = len(x)
    return float(d.sum() / (n * (n - 1)))


def _nearest(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """For each row of ``x``, the RMS distance to its nearest row of ``ref``."""
    x = x.reshape(len(x), -1).astype(np.float64)
    ref = ref.reshape(len(ref), -1).astype(np.float64)
    d2 = (x * x).sum(1)[:, None] + (ref * ref).sum(1)[None, :] - 2 * x @ ref.T
    return np.sqrt(np.maximum(d2.min(axis=1), 0) / x.shape[1])


def evaluate(
    *,
    model_path: str | os.PathLike | None = None,
    classifier_path: str | os.PathLike | None = None,
    n_per_class: int = 64,
    steps: int = md.DEFAULT_STEPS,
    guidance: float = md.DEFAULT_GUIDANCE,
    seed: int = 2024,
    write: bool = True,
    progress: bool = True,
) -> dict:
    """Measure the diffusion model with the classifier, and write the figures into its ``metrics.json``.

    For each family, ``n_per_class`` cells are drawn (noise from ``seed`` and the family's number) and compared with
    the model's training cells (drawn again from the seed recorded in the model's folder) and with as many fresh
    procedural cells.

    Parameters
    ----------
    model_path, classifier_path : path, optional
        The diffusion model's and the classifier's folders (defaults: the shipped ones).
    n_per_class : int
        Cells drawn for each family, 8 to 512.
    steps, guidance : int, float
        Sampler settings, as in :func:`workshop_kit.image.motif_diffusion.generate`.
    seed : int
        Seeds the drawn cells' noise.
    write : bool
        Rewrite the model's folder with the figures under ``"evaluation"`` in its ``metrics.json`` (and in its model
        card), all at once (:func:`workshop_kit.shipped.staged_folder`).
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        ``conditional_accuracy`` (and per family), ``diversity`` (pixel and feature ratios of generated to
        procedural), ``nearest_training_distance`` (min and median, for generated cells and, as the baseline, for
        fresh procedural cells), with the settings used.
    """
    from tqdm.auto import tqdm

    n_per_class = check_int("n_per_class", n_per_class, 8, md.MAX_BATCH)
    seed = check_int("seed", seed, 0, 2**32 - 1 - len(md.CLASSES))
    folder = md.MODEL.check(model_path).resolve()
    kit = md.read_kit_config(folder)
    data_seed, data_n = int(kit["data_seed"]), int(kit["cells_per_family"])
    load_classifier(path=classifier_path)
    start = time.perf_counter()

    acc, div_px, div_feat, nn_gen, nn_fresh, per_family = [], [], [], [], [], {}
    for k, motif in enumerate(tqdm(md.CLASSES, desc="Evaluating motif diffusion", unit="family",
                                   disable=not progress)):
        gen = md.sample_cells(motif=motif, n=n_per_class, steps=steps, guidance=guidance, seed=seed + k,
                              model_path=folder)
        train_cells = md.procedural_cells(motif, n=data_n, seed=data_seed)
        fresh = md.procedural_cells(motif, n=n_per_class, seed=HELDOUT_SEED + 1000)
        ref = train_cells[:n_per_class]
        hit = float((classify(gen, path=classifier_path) == k).mean())
        f_gen, f_ref = features(gen, path=classifier_path), features(ref, path=classifier_path)
        d_px = _pairwise_mean(gen) / _pairwise_mean(ref)
        d_feat = _pairwise_mean(f_gen) / _pairwise_mean(f_ref)
        g_nn, f_nn = _nearest(gen, train_cells), _nearest(fresh, train_cells)
        acc.append(hit)
        div_px.append(d_px)
        div_feat.append(d_feat)
        nn_gen.append(g_nn)
        nn_fresh.append(f_nn)
        per_family[motif] = {"accuracy": round(hit, 4), "diversity_pixels": round(d_px, 3),
                             "diversity_features": round(d_feat, 3),
                             "nearest_median_generated": round(float(np.median(g_nn)), 4),
                             "nearest_median_procedural": round(float(np.median(f_nn)), 4)}
    nn_gen, nn_fresh = np.concatenate(nn_gen), np.concatenate(nn_fresh)
    result = {
        "conditional_accuracy": round(float(np.mean(acc)), 4),
        "diversity_ratio_pixels": round(float(np.mean(div_px)), 3),
        "diversity_ratio_features": round(float(np.mean(div_feat)), 3),
        "nearest_training_distance": {
            "unit": "RMS difference of palette levels (0..1) per pixel, to the nearest of the training cells",
            "generated": {"min": round(float(nn_gen.min()), 4), "median": round(float(np.median(nn_gen)), 4)},
            "fresh_procedural": {"min": round(float(nn_fresh.min()), 4),
                                 "median": round(float(np.median(nn_fresh)), 4)},
        },
        "per_family": per_family,
        "settings": {"cells_per_family": n_per_class, "steps": steps, "guidance": guidance, "seed": seed,
                     "training_cells_per_family": data_n},
        "seconds": round(time.perf_counter() - start, 1),
    }
    if write:
        _rewrite_with(folder, result, classifier_path)
    return result


def with_evaluation(metrics: dict, result: dict, *, classifier_path: str | os.PathLike | None = None) -> dict:
    """The diffusion model's ``metrics`` with the figures of :func:`evaluate` under ``"evaluation"`` and the
    classifier's own held-out accuracy (the model card quotes both)."""
    metrics = {**metrics, "evaluation": result}
    cls_metrics = MODEL.folder(classifier_path) / METRICS_FILE
    if cls_metrics.is_file():
        metrics["classifier_heldout_accuracy"] = json.loads(cls_metrics.read_text(encoding="utf-8"))[
            "heldout_accuracy"]
    return metrics


def _rewrite_with(folder: Path, result: dict, classifier_path) -> None:
    """Rewrite a diffusion model's folder with new measures: its files copied into a fresh folder, the metrics (and,
    for a model the kit trained, the model card) written anew, then the folder swapped in at once."""
    from .train_motifs import write_model_card

    metrics_file = folder / md.METRICS_FILE
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    metrics = with_evaluation(metrics, result, classifier_path=classifier_path)
    with shipped.staged_folder(folder, key=md.MODEL.key) as stage:
        shutil.copytree(folder, stage, dirs_exist_ok=True, ignore=shutil.ignore_patterns(shipped.MANIFEST_FILE))
        write_json(stage / md.METRICS_FILE, metrics)
        if "training" in metrics:
            write_model_card(stage, metrics)


def _flags(parser) -> None:
    parser.add_argument("--evaluate", action="store_true", help="measure the diffusion model instead of training")
    parser.add_argument("--epochs", type=int, default=8)


def _run_command(args) -> str:
    if args.evaluate:
        result = evaluate(classifier_path=args.out, progress=not args.quiet)
    else:
        result = train(out_dir=args.out, epochs=args.epochs, seed=args.seed, minutes=args.minutes,
                       progress=not args.quiet)
    return json.dumps(result, indent=2)


#: Command line: ``python -m workshop_kit.image.motif_classifier [--out DIR] [--epochs E] [--seed S] [--minutes M]
#: [--quiet]`` trains (about 3 minutes); ``--evaluate`` measures the motif diffusion model with the classifier.
main = command("python -m workshop_kit.image.motif_classifier",
               "Train the motif classifier, or measure the motif diffusion model.", _run_command, options=_flags,
               minutes=None, minutes_help="time budget of the training loop (default: all the epochs)",
               out_help="classifier folder (default: the shipped one)")


if __name__ == "__main__":
    raise SystemExit(main())
