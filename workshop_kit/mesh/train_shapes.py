"""Train the shape-space autoencoder of vessel profiles, in about three minutes on a laptop CPU (one thread).

    python -m workshop_kit.mesh.train_shapes --seed 0

What it does, in order:

1. makes training, validation and held-out profiles (:func:`workshop_kit.mesh.shape_space.make_profiles`, three
   different seeds): lathe presets with random nudges, blends between them, random smooth outlines;
2. fits the baseline: a PCA of the log radii with as many components as the autoencoder has latent numbers;
3. trains the autoencoder (:func:`workshop_kit.mesh.shape_space.build_network`) with Adam and a cosine learning
   rate on the mean squared error of the log radii, keeping the weights that do best on the validation profiles;
4. writes ``model.safetensors``, ``baseline.safetensors`` (the PCA) and ``config.json`` into a fresh folder,
   measures both on the held-out profiles there, adds ``metrics.json`` and ``MODEL_CARD.md``, and lets the folder
   replace the shipped one, ``workshop_kit/models/shape-space`` (or ``--out``), at once
   (:func:`workshop_kit.shipped.staged_folder`).

Profiles that participants draw can be added with ``--extra FILE.npy`` (an ``(n, 64)`` array of profiles, see
:func:`workshop_kit.mesh.shape_space.profile_from_points`); they join the training profiles, repeated
``--extra-weight`` times.

The skeleton (schedule, held-out check, progress bar, command line) is :mod:`workshop_kit.training`.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
import time
from typing import Any

import numpy as np

from ..files import write_json
from ..shipped import staged_folder
from ..training import (Budget, BestState, ProgressBar, Schedule, check_minutes, command, folder_note, output_folder,
                        write_results)
from ..validation import check_float, check_int
from . import shape_space as ss

__all__ = ["train", "main", "reconstruction_errors"]

N_TRAIN, N_VAL, N_TEST = 24_000, 2_000, 2_000
SEEDS = {"train": 101, "val": 202, "test": 303}


def pca_fit(log_profiles: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and the first ``k`` principal directions ``(k, n)`` of ``log_profiles``."""
    mean = log_profiles.mean(axis=0)
    _, _, vt = np.linalg.svd(log_profiles - mean, full_matrices=False)
    return mean, vt[:k]


def reconstruction_errors(profiles: np.ndarray, recon: np.ndarray) -> dict[str, float]:
    """Errors of ``recon`` against ``profiles``, in fractions of the pot's height and in log radius."""
    diff = np.abs(recon - profiles)
    per_profile = diff.max(axis=1)
    return {
        "mean_abs_radius": float(diff.mean()),
        "mean_max_abs_radius": float(per_profile.mean()),
        "p95_max_abs_radius": float(np.percentile(per_profile, 95)),
        "rmse_log_radius": float(np.sqrt(np.mean((np.log(recon) - np.log(profiles)) ** 2))),
        "mm_on_200mm_pot": float(diff.mean() * 200.0),
    }


def train(*, out_dir: str | os.PathLike | None = None, latent_dim: int = ss.LATENT_DIM, hidden: int = 256,
          n_basis: int = 20, steps: int = 20_000, batch_size: int = 256, lr: float = 2e-3, seed: int = 0,
          smooth_weight: float = 0.02, extra: np.ndarray | None = None, extra_weight: int = 20, threads: int = 1,
          minutes: float | None = None, progress: bool = True) -> dict[str, Any]:
    """Train the autoencoder and write its files to ``out_dir``.

    Parameters
    ----------
    out_dir : path, optional
        The model folder, replaced at the end (default: the shipped model's folder,
        ``workshop_kit/models/shape-space``).
    latent_dim : int
        Latent numbers, 2 to 16.
    hidden : int
        Width of the hidden layers, 16 to 1024.
    n_basis : int
        Smooth bumps (cubic B-splines) the decoder adds up, 6 to 64.
    steps : int
        Optimiser steps, 100 to 200 000.
    batch_size : int
        Profiles per step, 8 to 4096.
    lr : float
        Peak learning rate.
    seed : int
        Seeds torch (weights, batches); the profiles have their own fixed seeds.
    smooth_weight : float
        Weight of the smoothness term: the mean absolute second difference of the log radii that the decoder
        writes for random latents far (2.5 standard deviations) from the training ones, so that the whole latent
        space decodes to calm outlines, not only its populated middle.
    extra : numpy.ndarray, optional
        ``(n, 64)`` more training profiles (drawn by participants).
    extra_weight : int
        How many times the extra profiles are repeated in the training set.
    threads : int
        CPU threads for torch.
    minutes : float, optional
        A time budget for the training loop, above 0 and at most 600, that stops it before ``steps``; ``None``
        (default): all the steps.
    progress : bool
        Show a progress bar.

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.
    """
    latent_dim = check_int("latent_dim", latent_dim, 2, 16)
    hidden = check_int("hidden", hidden, 16, 1024)
    n_basis = check_int("n_basis", n_basis, 6, 64)
    steps = check_int("steps", steps, 100, 200_000)
    batch_size = check_int("batch_size", batch_size, 8, 4096)
    lr = check_float("lr", lr, 1e-5, 1.0)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    smooth_weight = check_float("smooth_weight", smooth_weight, 0.0, 10.0)
    threads = check_int("threads", threads, 1, 64)
    extra_weight = check_int("extra_weight", extra_weight, 1, 1000)
    minutes = check_minutes(minutes, high=600.0, optional=True)
    out = output_folder(ss.MODEL, out_dir)
    import torch
    from safetensors.numpy import save_file as save_numpy
    from safetensors.torch import save_file

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    started = time.perf_counter()

    data = {name: ss.make_profiles(n, seed=SEEDS[name]) for name, n in
            (("train", N_TRAIN), ("val", N_VAL), ("test", N_TEST))}
    train_profiles = data["train"]
    n_extra = 0
    if extra is not None:
        extra = np.array([ss.check_profile(p, "extra") for p in np.asarray(extra, dtype=np.float64)])
        n_extra = len(extra)
        train_profiles = np.concatenate([train_profiles] + [extra] * extra_weight)
    seconds_data = time.perf_counter() - started

    log_train = np.log(train_profiles)
    pca_mean, pca_comp = pca_fit(log_train, latent_dim)

    config = {"n_points": ss.N_POINTS, "latent_dim": latent_dim, "hidden": hidden, "n_basis": n_basis,
              "min_radius": ss.MIN_RADIUS, "max_radius": ss.MAX_RADIUS, "licence": "MIT"}
    net = ss.build_network(config)
    with torch.no_grad():
        net.x_mean.copy_(torch.tensor(log_train.mean(axis=0), dtype=torch.float32))
        net.x_std.copy_(torch.tensor(log_train.std(axis=0) + 1e-3, dtype=torch.float32))
    x_train = torch.tensor(log_train, dtype=torch.float32)
    x_val = torch.tensor(np.log(data["val"]), dtype=torch.float32)
    std = net.x_std

    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = Schedule("cosine", peak=lr, warmup=200, total=steps, floor=0.02)
    generator = torch.Generator().manual_seed(seed)
    best, history = BestState(), []
    budget = Budget(minutes)
    done, stopped = 0, "all steps done"
    bar = ProgressBar(total=steps, desc="Training shape space", unit="step", enabled=progress)
    for step in range(steps):
        schedule.apply(optimiser, step)
        idx = torch.randint(0, len(x_train), (batch_size,), generator=generator)
        x = x_train[idx]
        z = net.encode(x)
        loss = (((net.decode(z) - x) / std) ** 2).mean()
        if smooth_weight > 0:
            spread = z.detach().std(dim=0) * 2.5
            far = z.detach().mean(dim=0) + spread * torch.randn(z.shape, generator=generator)
            loss = loss + smooth_weight * net.decode(far).diff(n=2, dim=1).abs().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        done = step + 1
        bar.advance()
        last = budget.spent or step == steps - 1
        if done % 250 == 0 or last:
            with torch.no_grad():
                net.eval()
                val = float((((net(x_val) - x_val) / std) ** 2).mean())
                net.train()
            history.append({"step": done, "train_loss": round(float(loss.detach()), 6), "val_loss": round(val, 6)})
            bar.show(val=f"{val:.4f}")
            best.check(val, net, at=done)
        if budget.spent:
            stopped = "time budget spent"
            break
    bar.close()
    best.restore(net)
    net.eval()
    seconds_train = time.perf_counter() - started - seconds_data

    with torch.no_grad():
        z_train = net.encode(x_train[:N_TRAIN]).numpy()
    config.update(latent_mean=[round(float(v), 6) for v in z_train.mean(axis=0)],
                  latent_std=[round(float(v), 6) for v in z_train.std(axis=0)],
                  trained=_dt.date.today().isoformat())
    with staged_folder(out, key=ss.MODEL.key) as stage:
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(stage / ss.WEIGHTS_FILE))
        save_numpy({"pca_mean": pca_mean.astype(np.float32), "pca_components": pca_comp.astype(np.float32)},
                   str(stage / ss.BASELINE_FILE))
        write_json(stage / ss.CONFIG_FILE, config)

        model = ss.load_model(str(stage.resolve()))
        test = data["test"]
        ae = reconstruction_errors(test, model.decode(model.encode(test)))
        pca = reconstruction_errors(test, model.pca_reconstruct(test))
        presets = np.array([ss.preset_profile(name) for name in ss.PRESET_OUTLINES])
        ae_presets = reconstruction_errors(presets, model.decode(model.encode(presets)))
        pca_presets = reconstruction_errors(presets, model.pca_reconstruct(presets))
        n_params = sum(p.numel() for p in net.parameters())
        metrics = {
            "heldout": {"profiles": N_TEST, "seed": SEEDS["test"], "autoencoder": ae, "pca": pca,
                        "improvement_mean_abs_radius": round(1 - ae["mean_abs_radius"] / pca["mean_abs_radius"], 4)},
            "presets": {"autoencoder": ae_presets, "pca": pca_presets},
            "data": {"train": N_TRAIN, "val": N_VAL, "test": N_TEST, "seeds": SEEDS, "extra_profiles": n_extra,
                     "extra_weight": extra_weight if n_extra else 0},
            "training": {"steps": done, "batch_size": batch_size, "lr": lr, "seed": seed, "threads": threads,
                         "smooth_weight": smooth_weight, "stopped": stopped,
                         "best_val_loss": round(best.score, 6), "history": history},
            "model": {"parameters": int(n_params), "latent_dim": latent_dim, "hidden": hidden, "n_basis": n_basis},
            "seconds": {"data": round(seconds_data, 1), "training": round(seconds_train, 1)},
            "machine": {"python": platform.python_version(), "torch": torch.__version__,
                        "cpu": platform.processor() or platform.machine(), "threads": threads},
            "command": ss.MODEL.train_command,
        }
        write_results(stage, metrics, _model_card(metrics))
    return metrics


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _model_card(m: dict[str, Any]) -> str:
    ae, pca = m["heldout"]["autoencoder"], m["heldout"]["pca"]
    k = m["model"]["latent_dim"]
    lines = [
        "# Shape space of vessels (workshop-kit)",
        "",
        f"A small autoencoder ({m['model']['parameters']:,} parameters) that reads the outline of a pot turned on a "
        f"wheel — {ss.N_POINTS} radii at evenly spaced heights, divided by the height — into {k} numbers, and turns "
        "any such numbers back into a smooth outline. It lets a notebook or the booth walk from one pot to another "
        "(a tagine to a vase), or draw new pots, and turn each outline into a watertight, printable vessel.",
        "",
        "## Data",
        "",
        f"Made by the kit itself (`workshop_kit.mesh.shape_space.make_profiles`), nothing downloaded: "
        f"{m['data']['train']:,} training, {m['data']['val']:,} validation and {m['data']['test']:,} held-out "
        f"outlines, from three fixed seeds {m['data']['seeds']}. About 40 % are the four lathe presets (tagine, jar, "
        "vase, bowl; the tagine as its whole silhouette, dish and lid) with random nudges: radii by up to about "
        "20 %, the spacing of their control points, the overall width by 0.8 to 1.25. About 30 % are blends of two "
        "nudged presets (a weighted mean of their log radii) and 30 % random smooth outlines (4 to 8 control points, "
        "radii a random walk in log space). Every outline is the lathe's cubic Hermite curve through its control "
        "points, resampled. Radii lie between "
        f"{ss.MIN_RADIUS} and {ss.MAX_RADIUS} times the height."
        + (f" Participants' outlines: {m['data']['extra_profiles']} (repeated {m['data']['extra_weight']} times)."
           if m["data"]["extra_profiles"] else ""),
        "",
        "## Model",
        "",
        f"Input: the log radii, standardised. Encoder: an MLP {ss.N_POINTS} → {m['model']['hidden']} → "
        f"{m['model']['hidden']} → {k} (SiLU). Decoder: an MLP {k} → {m['model']['hidden']} → {m['model']['hidden']} "
        f"→ {m['model']['n_basis']} weights of clamped cubic B-splines, summed into the log radii; so whatever latent "
        "it is given, the outline is smooth and its radii positive. Loss: mean squared error of the standardised log "
        f"radii, plus {m['training']['smooth_weight']} × the mean absolute second difference of the log radii "
        "decoded from random latents 2.5 standard deviations out (so that the whole space decodes to calm "
        f"outlines). Adam, {m['training']['steps']} steps of {m['training']['batch_size']}, peak learning rate "
        f"{m['training']['lr']}, cosine schedule; the weights best on the validation outlines are kept.",
        "",
        "## Reconstruction of held-out outlines",
        "",
        f"Baseline: a PCA of the log radii of the training outlines with {k} components, the same size as the "
        "latent. Errors on the held-out outlines, as a fraction of the pot's height (and in millimetres for a "
        "200 mm pot):",
        "",
        "| | mean abs. radius error | mean of each outline's worst error | 95th pct. of worst error "
        "| RMSE of log radius |",
        "|---|---|---|---|---|",
        f"| autoencoder ({k} numbers) | {_pct(ae['mean_abs_radius'])} ({ae['mm_on_200mm_pot']:.2f} mm) | "
        f"{_pct(ae['mean_max_abs_radius'])} | {_pct(ae['p95_max_abs_radius'])} | {ae['rmse_log_radius']:.4f} |",
        f"| PCA ({k} components) | {_pct(pca['mean_abs_radius'])} ({pca['mm_on_200mm_pot']:.2f} mm) | "
        f"{_pct(pca['mean_max_abs_radius'])} | {_pct(pca['p95_max_abs_radius'])} | {pca['rmse_log_radius']:.4f} |",
        "",
        f"The autoencoder's mean error is {100 * m['heldout']['improvement_mean_abs_radius']:.0f} % lower than the "
        "PCA's. `tests/test_shape_space.py` measures both again on fresh outlines and fails if the autoencoder does "
        "not beat the PCA.",
        "",
        "## Limits",
        "",
        "It knows only outlines like those above: pots turned on a wheel, one radius per height (no handles, no "
        "spouts, no overhanging lips), between the four presets' families. Outlines far from them (very flat, very "
        "thin, with many bulges) come back smoothed towards the families it knows. The tagine is one silhouette: "
        "the shape space does not know that its lid comes off.",
        "",
        "## How it was made",
        "",
        f"Command: `{m['command']}` (seed {m['training']['seed']}). Making the outlines took "
        f"{m['seconds']['data']:.0f} s and training {m['seconds']['training']:.0f} s on {m['machine']['threads']} "
        f"CPU thread(s), torch {m['machine']['torch']}, Python {m['machine']['python']}.",
        "",
        "## Licence",
        "",
        "MIT, like workshop-kit: the training outlines are made by the kit's own code from its own presets.",
        "",
    ]
    return "\n".join(lines)


def _flags(parser) -> None:
    parser.add_argument("--latent-dim", type=int, default=ss.LATENT_DIM)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--extra", default=None, help="an .npy file of (n, 64) profiles drawn by participants")
    parser.add_argument("--extra-weight", type=int, default=20)


def _run_command(args) -> str:
    extra = _read_extra(args.extra) if args.extra else None
    metrics = train(out_dir=args.out, latent_dim=args.latent_dim, hidden=args.hidden, steps=args.steps,
                    seed=args.seed, extra=extra, extra_weight=args.extra_weight, threads=args.threads,
                    minutes=args.minutes, progress=not args.quiet)
    h = metrics["heldout"]
    return "\n".join(filter(None, [
        f"held-out mean abs radius error: autoencoder {_pct(h['autoencoder']['mean_abs_radius'])}, "
        f"PCA {_pct(h['pca']['mean_abs_radius'])}",
        folder_note(ss.MODEL, output_folder(ss.MODEL, args.out))]))


def _read_extra(path: str) -> np.ndarray:
    """The participants' profiles of ``--extra``: an ``.npy`` array (never a pickle)."""
    from ..errors import ParameterError

    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ParameterError("extra", path, "an .npy file of (n, 64) profiles",
                             reason=f"it cannot be read ({type(exc).__name__})") from None


#: Command line: ``python -m workshop_kit.mesh.train_shapes [--out DIR] [--steps N] [--minutes M] [--seed S]
#: [--latent-dim K] [--hidden H] [--threads N] [--extra FILE.npy] [--extra-weight W] [--quiet]`` (also
#: ``workshop-kit train shapes``).
main = command("python -m workshop_kit.mesh.train_shapes", "Train the shape-space autoencoder of vessel profiles.",
               _run_command, options=_flags, minutes=None,
               minutes_help="time budget of the training loop, stopping it before --steps (default: none)",
               out_help="model folder, replaced (default: the shipped model's folder, "
                        "workshop_kit/models/shape-space)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
