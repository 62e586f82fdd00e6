"""Train the embedded melody model on the folk tunes music21 ships, in about a quarter of an hour on a laptop CPU.

    python -m workshop_kit.music.train_melody --minutes 12 --seed 0

What it does, in order:

1. reads the tokenised corpus (:func:`workshop_kit.music.corpus.load_corpus`; parsed and cached on first use);
2. fits the unigram and bigram baselines on the training split, their smoothing chosen on the validation split;
3. trains a small GPT-2 (:func:`workshop_kit.music.melody_model.make_config`) with AdamW and a cosine learning
   rate, in batches of about the same number of tokens, checking the validation loss as it goes and stopping
   early when it no longer improves; the best weights are kept;
4. writes ``model.safetensors`` (float16), ``config.json``, ``vocab.json``, ``baselines.json``, a small held-out
   sample of test tunes (``heldout_sample.txt``, used by the tests), then measures the model written and adds
   ``metrics.json`` and ``MODEL_CARD.md`` — all in a fresh folder that then replaces the old one at once
   (:func:`workshop_kit.shipped.staged_folder`), so that a failure leaves the old model as it was.

The skeleton (time budget, schedule, progress bar, held-out check, command line) is :mod:`workshop_kit.training`.
"""

from __future__ import annotations

import math
import os
import platform
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..shipped import staged_folder
from ..training import (Budget, BestState, ProgressBar, Schedule, check_minutes, command, fmt, folder_note,
                        output_folder, write_results)
from ..validation import check_int
from . import melody_model as mm
from . import tokens as tok

__all__ = ["train", "main"]

#: Tunes of the test split written to ``heldout_sample.txt`` for fast checks.
HELDOUT_TUNES = 120


def _bench_sampling(path: Path, repeats: int = 5) -> dict[str, float]:
    times = []
    for r in range(repeats + 1):
        melody = mm.sample(n_tokens=256, seed=1000 + r, stop_at_eos=False, path=path, device="cpu")
        if r:  # the first run warms up
            times.append(melody.seconds)
    times.sort()
    return {"tokens": 256, "median_seconds": times[len(times) // 2], "min_seconds": times[0], "repeats": repeats}


def _temperature_statistics(path: Path, temperatures=(0.7, 1.5), n: int = 20) -> dict[str, dict[str, float]]:
    """Sample statistics at other temperatures (seeds 0 .. n-1), for the model card."""
    return {f"{t:g}": mm.sample_statistics([mm.sample(n_tokens=256, temperature=t, seed=i, path=path, device="cpu")
                                            for i in range(n)]) for t in temperatures}


def train(*, out_dir: str | os.PathLike | None = None, minutes: float = 12.0, seed: int = 0, progress: bool = True,
          n_embd: int = 192, n_layer: int = 4, n_head: int = 4, dropout: float = 0.0, batch_tokens: int = 6144,
          lr: float = 2e-3, eval_every: int = 60, patience: int = 4, threads: int | None = None) -> dict[str, Any]:
    """Train the melody model and write it, its baselines, its metrics and its model card to ``out_dir``.

    Parameters
    ----------
    out_dir : path, optional
        The model folder, replaced at the end (default: the shipped model's folder, ``workshop_kit/models/melody``).
    minutes : float
        Time budget for the optimisation (0.5 to 120); parsing the corpus the first time (about 6 minutes) and the
        final evaluation (about a minute) come on top.
    seed : int
        Seeds the initial weights, the batch order and dropout.
    progress : bool
        Show progress bars.
    n_embd, n_layer, n_head : int
        Model width, depth and attention heads.
    dropout : float
        Dropout rate; none by default, as a quarter of an hour is about one pass over the tunes.
    batch_tokens : int
        Most tokens (padding included) in a batch.
    lr : float
        Peak learning rate.
    eval_every : int
        Steps between validation checks; training stops after ``patience`` checks without improvement, and the
        weights of the best check are kept.
    patience : int
        Checks without improvement before training stops.
    threads : int, optional
        CPU threads for torch (default: torch's choice). On a busy machine, 1 is often faster than 2.

    Returns
    -------
    dict
        The metrics also written to ``metrics.json``.
    """
    minutes = check_minutes(minutes, low=0.5, high=120.0)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if threads is not None:
        threads = check_int("threads", threads, 1, 256)
    out = output_folder(mm.MODEL, out_dir)
    import torch
    from transformers import GPT2LMHeadModel

    from .corpus import COLLECTIONS, load_corpus

    if threads is not None:
        torch.set_num_threads(threads)
    wall_start = time.perf_counter()
    corpus = load_corpus(progress=progress)
    splits = {name: [tok.ids(t.tokens) for t in corpus.split(name)] for name in ("train", "validation", "test")}

    baselines, baseline_val = mm.fit_baselines(splits["train"], splits["validation"])

    torch.manual_seed(seed)
    rng = random.Random(seed)
    config = mm.make_config(n_embd=n_embd, n_layer=n_layer, n_head=n_head, dropout=dropout)
    n_ctx = config.n_positions
    model = GPT2LMHeadModel(config)
    n_params = sum(p.numel() for p in model.parameters())
    train_seqs = [c for s in splits["train"] for c in mm.chunks(s, n_ctx)]
    val_seqs = [s[:n_ctx] for s in splits["validation"]]
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.05)

    budget = Budget(minutes)
    # the length of the cosine is fixed after timing the first steps, so that it ends when the budget does
    schedule = Schedule("cosine", peak=lr, warmup=100, total=10**6, floor=0.1)
    planned_steps = None
    best = BestState(patience=patience, min_delta=1e-3)
    step, epoch = 0, 0
    history: list[dict[str, float]] = []
    stopped = "budget"
    bar = ProgressBar(total=budget.seconds, desc="Training melody model", unit="s", enabled=progress)
    model.train()
    done = False
    while not done:
        epoch += 1
        for batch in mm.length_batches(train_seqs, batch_tokens, rng):
            ids, mask, labels = mm.padded_batch(batch)
            schedule.apply(optimizer, step)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            elapsed = budget.elapsed
            if step == 20:
                # about 12 % of the time goes to validation checks
                planned_steps = max(50, int(budget.seconds / (elapsed / 20) * 0.88))
                schedule = replace(schedule, total=planned_steps, warmup=min(100, planned_steps // 10 + 1))
            bar.at(elapsed, step=step, epoch=epoch, loss=f"{loss.item():.3f}",
                   val=f"{best.score:.3f}" if best.score < math.inf else "-")
            last = elapsed >= budget.seconds or (planned_steps is not None and step >= planned_steps)
            if step % eval_every == 0 or last:
                total_nll, count = mm.sequence_nll(model, val_seqs)
                val = total_nll / count
                history.append({"step": step, "epoch": epoch, "seconds": round(elapsed, 1),
                                "train_loss": round(loss.item(), 4), "val_nll": round(val, 4)})
                if not best.check(val, model, at=step) and best.exhausted:
                    stopped, done = "early stop (validation loss no longer improving)", True
                    break
                model.train()
            if last:
                stopped = "budget" if elapsed >= budget.seconds else "schedule finished"
                done = True
                break
    bar.close()
    train_seconds = budget.elapsed
    best.restore(model)
    model.eval()

    test_tunes = sorted(corpus.split("test"), key=lambda t: t.id)
    stride = max(1, len(test_tunes) // HELDOUT_TUNES)
    heldout = [t for t in test_tunes[::stride]][:HELDOUT_TUNES]
    with staged_folder(out, key=mm.MODEL.key) as stage:
        mm.save_model(stage, model, baselines, note="fitted on the training split; k chosen on the validation split",
                      heldout=[(t.id, t.tokens) for t in heldout])

        # evaluate what was written (float16 weights, read back as the kit reads them)
        test = mm.evaluate(sequences=[t.tokens for t in corpus.split("test")], path=stage, device="cpu",
                           n_samples=20)
        val = mm.evaluate(sequences=[t.tokens for t in corpus.split("validation")], path=stage, device="cpu",
                          n_samples=0)
        heldout_eval = mm.evaluate(sequences=[t.tokens[:n_ctx] for t in heldout], path=stage, device="cpu",
                                   n_samples=0)
        by_temperature = _temperature_statistics(stage)
        bench = _bench_sampling(stage)
        weights_bytes = (stage / mm.WEIGHTS_FILE).stat().st_size
        metrics = {
            "model": {"architecture": "GPT2LMHeadModel", "parameters": n_params, "n_embd": n_embd,
                      "n_layer": n_layer, "n_head": n_head, "n_positions": n_ctx, "vocab_size": len(tok.VOCAB),
                      "weights_dtype": "float16", "weights_bytes": weights_bytes},
            "data": {**corpus.summary(), "split_rule": "sha1(tune id) mod 100: <90 train, <95 validation, else test",
                     "collections": {k: {"title": v["title"], "licence": v["licence"]}
                                     for k, v in COLLECTIONS.items()}},
            "training": {"seed": seed, "minutes_budget": minutes, "seconds": round(train_seconds, 1),
                         "total_seconds": round(time.perf_counter() - wall_start, 1), "steps": step, "epochs": epoch,
                         "planned_steps": planned_steps, "stopped": stopped, "batch_tokens": batch_tokens,
                         "peak_lr": lr, "dropout": dropout, "eval_every": eval_every, "patience": patience,
                         "optimizer": "AdamW(betas=(0.9, 0.98), weight_decay=0.05), cosine schedule with warm-up",
                         "best_val_nll_float32": round(best.score, 4), "history": history,
                         "torch_threads": torch.get_num_threads(), "machine": platform.machine(),
                         "processor": platform.processor() or platform.machine()},
            "baselines": {name: {"k": b.k, "val_nll": round(baseline_val[name], 4)} for name, b in baselines.items()},
            "nll_nats_per_token": {"test": test["nll"], "validation": val["nll"],
                                   "heldout_sample": heldout_eval["nll"]},
            "test_tokens": test["tokens"],
            "samples": {"temperature": 1.0, "n_tokens": 256, **test["samples"]},
            "samples_by_temperature": by_temperature,
            "reference_test_tunes": test["reference"],
            "sampling_benchmark_cpu": bench,
            "command": "python -m workshop_kit.music.train_melody " + f"--minutes {minutes:g} --seed {seed}"
                       + (f" --threads {threads}" if threads is not None else ""),
        }
        write_results(stage, metrics, _model_card(metrics))
    return metrics


def _model_card(m: dict[str, Any]) -> str:
    from .corpus import COLLECTIONS

    nll = m["nll_nats_per_token"]
    d = m["data"]
    t = m["training"]
    rows = "\n".join(
        f"| {name} | {fmt(nll['test']['model' if name == 'GPT-2 melody model' else name.split()[0]])} | "
        f"{fmt(nll['validation']['model' if name == 'GPT-2 melody model' else name.split()[0]])} | "
        f"{fmt(math.exp(nll['test']['model' if name == 'GPT-2 melody model' else name.split()[0]]), '.2f')} |"
        for name in ("GPT-2 melody model", "bigram (add-k)", "unigram (add-k)"))
    coll = "\n".join(
        f"- **{v['title']}** — {v['origin']} *Licence:* {v['licence']}" for v in COLLECTIONS.values())
    per = "\n".join(f"| {k} | {v['train']} | {v['validation']} | {v['test']} |"
                    for k, v in sorted(d["per_collection"].items()))
    s, r = m["samples"], m["reference_test_tunes"]
    temps = "; ".join(f"temperature {t}: {v['in_scale_ratio']:.3f} of notes in the key, "
                      f"{v['repeated_4gram_fraction']:.3f} repeated 4-note groups"
                      for t, v in m.get("samples_by_temperature", {}).items())
    epochs = f"{t['epochs']} epoch" + ("s" if t["epochs"] != 1 else "")
    threads = f"{t['torch_threads']} CPU thread" + ("s" if t["torch_threads"] != 1 else "")
    return f"""# Melody model (embedded)

A small GPT-2 ({m['model']['parameters']:,} parameters; {m['model']['n_layer']} layers, width
{m['model']['n_embd']}, {m['model']['n_head']} heads, context {m['model']['n_positions']} tokens) that writes monophonic
folk-like melodies as **scale degrees** (degree 1–7 with an optional ♯/♭, octave, duration, bar lines), so that a
melody can be played on any tonic and in any scale — major, Hijaz, Nahawand, Kurd, Bayati, Rast, Sikah or the Gnawa
pentatonic. Vocabulary: {m['model']['vocab_size']} tokens (`vocab.json`, see `workshop_kit/music/tokens.py`).
Weights: `model.safetensors`, {m['model']['weights_dtype']}, {m['model']['weights_bytes'] / 1e6:.1f} MB.

## Use

```python
from workshop_kit.music.melody_model import sample
melody = sample(n_tokens=256, temperature=1.0, seed=0)          # or motif="D4 E4 F4 G4", tonic="D"
pairs = melody.place(scale="hijaz", tonic=62)                     # [(midi pitch, beats), ...]
```

## Data and licence

{coll}

All three collections come inside the `music21` package (BSD licence for the software; the corpus terms are in
`music21/corpus/license.txt`). The Essen encodings are licensed for **non-commercial** use: the weights, which are
derived from them, should be used in the same spirit (teaching, demonstrations).

Tunes: {d['tunes']:,} after dropping {sum(d['skipped_unparsable'].values())} that did not parse,
{d['skipped_too_short']} with fewer than 8 notes and {d['duplicates_dropped']} exact duplicates (same tokens).
Keys: the tonic is the tune's last note when it belongs to the key signature, else music21's key analysis.

Split: {d['split_rule']} — tokens: train {d['tokens']['train']:,}, validation {d['tokens']['validation']:,}, test
{d['tokens']['test']:,}.

| collection | train | validation | test |
|---|---|---|---|
{per}

## Training

Command: `{m['command']}` (also `workshop-kit train melody`). AdamW, peak learning rate {t['peak_lr']}, cosine schedule,
batches of at most {t['batch_tokens']} tokens, validation every {t['eval_every']} steps, early stop after
{t['patience']} checks without improvement; best validation weights kept. {t['steps']} steps ({epochs}) in
{t['seconds'] / 60:.1f} min on {threads} ({t['processor']}); stopped by: {t['stopped']}. Total time including
evaluation: {t['total_seconds'] / 60:.1f} min (the first run also parses the corpus, about 6 min, then cached).

## Metrics

Negative log-likelihood per token (nats; lower is better) on held-out tunes, computed with the float16 weights as
shipped ({m['test_tokens']:,} test tokens; sequences cut to the {m['model']['n_positions']}-token context). Baselines
are fitted on the same training split, their add-k smoothing chosen on the validation split.

| model | test NLL | validation NLL | test perplexity |
|---|---|---|---|
{rows}

Samples (20 melodies, 256 tokens, temperature 1, seeds 0–19) compared with the test tunes themselves:

| statistic | samples | test tunes |
|---|---|---|
| notes in the key (no ♯/♭) | {fmt(s['in_scale_ratio'])} | {fmt(r['in_scale_ratio'])} |
| repeated 4-note groups | {fmt(s['repeated_4gram_fraction'])} | {fmt(r['repeated_4gram_fraction'])} |
| notes per melody | {s['notes_per_melody']:.1f} | {r['notes_per_melody']:.1f} |

At other temperatures (same seeds): {temps}.

Sampling 256 tokens on this CPU (key-value cache): median {m['sampling_benchmark_cpu']['median_seconds']:.3f} s
over {m['sampling_benchmark_cpu']['repeats']} runs.

`heldout_sample.txt` holds {HELDOUT_TUNES} test tunes (one per line: id, tab, tokens) on which the tests check that
the model still beats the bigram baseline.

## Limitations — please read

- **The model learned European folk melody, not Moroccan music.** Its training tunes are German, Central European,
  Irish, Scottish and American songs and dance tunes, with some Chinese songs. It has never heard Gnawa, Chaabi,
  Andalusi, Malhun, Amazigh or Aita music. When the kit plays its degrees in Hijaz, Bayati or the Gnawa pentatonic,
  the *scale* comes from the Arabic maqam tradition or the Gnawa pentatonic, but the *melodic shapes and rhythms*
  remain those of European folk tunes. Say so
  when you present it: it is a demonstration of how a model learns structure, not a Moroccan composer.
- Quarter-tone scales are reached only by mapping degrees: the model knows nothing of maqam practice (ajnas,
  modulation, characteristic phrases, ornaments).
- Degrees 1–7 are counted on note names; in a 5-note scale, degrees 2 and 3, and 6 and 7, fall on the same notes.
- Durations are rounded to 21 classes; ornaments, grace notes, dynamics, repeats and lyrics are dropped.
- Melodies are monophonic; the bass, drums and form come from the kit's other engines.
- **Samples repeat far less than real tunes** ({s['repeated_4gram_fraction']:.1%} of 4-note groups against
  {r['repeated_4gram_fraction']:.1%} in the test tunes): the model writes lines that wander on rather than the
  repeated phrases (AABB forms, refrains) of folk music. To get a form, repeat phrases around the model (sample
  a phrase, then play it again or continue it as a motif).
- Higher temperatures give more chromatic, less tonal lines (see the figures above); the grammar of the tokens (a
  duration after each note) is enforced while sampling, so every sample decodes.
"""


def _flags(parser) -> None:
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")


def _run_command(args) -> str:
    metrics = train(out_dir=args.out, minutes=args.minutes, seed=args.seed, progress=not args.quiet,
                    threads=args.threads)
    nll = metrics["nll_nats_per_token"]["test"]
    out = output_folder(mm.MODEL, args.out)
    return "\n".join(filter(None, [
        f"melody model written to {out}",
        f"test NLL (nats/token): model {nll['model']:.3f}, bigram {nll['bigram']:.3f}, unigram {nll['unigram']:.3f}",
        folder_note(mm.MODEL, out)]))


#: Command line: ``python -m workshop_kit.music.train_melody [--out DIR] [--minutes M] [--seed S] [--threads N]
#: [--quiet]`` (also ``workshop-kit train melody``).
main = command("python -m workshop_kit.music.train_melody",
               "Train the embedded melody model on music21's folk-tune corpora.", _run_command, options=_flags,
               minutes=12.0, minutes_help="training time budget in minutes, 0.5 to 120 (default: 12)",
               out_help="output folder (default: the shipped model's folder, workshop_kit/models/melody)")


if __name__ == "__main__":
    sys.exit(main())
