"""Your own melodies: fine-tune the embedded melody model on a folder of tunes, in a few minutes on a laptop CPU.

    from workshop_kit.music.finetune import finetune, make_demo_folder
    report = finetune("mes_airs", out_dir="mon_modele", minutes=3)     # MIDI, MusicXML or ABC files
    report.summary()
    sample(path="mon_modele", seed=0)                                   # workshop_kit.music.melody_model.sample

What it does, in order:

1. reads every tune of the folder (:func:`read_tunes`): MIDI (``.mid``, ``.midi``), MusicXML (``.xml``,
   ``.musicxml``, ``.mxl``) and ABC (``.abc``, every ``X:`` tune of a file) through ``music21``, and turns each into
   the scale-degree words of :mod:`workshop_kit.music.tokens`. A file that cannot be read is reported by name with
   the reason and skipped; at most :data:`MAX_FILES` files of at most :data:`MAX_FILE_BYTES` each are read;
2. holds out :data:`HELDOUT_TUNES` tunes when there are at least :data:`HOLDOUT_FROM` (chosen by ``seed``), to
   see whether the model learns the *style* of the tunes rather than the tunes themselves;
3. continues the training of the shipped GPT-2 (:mod:`workshop_kit.music.train_melody`) on the other tunes, with
   AdamW at a small learning rate, for ``minutes`` or ``epochs``. With held-out tunes, the weights of the epoch that
   scores them best are kept, and training stops when they no longer improve: a few tunes are learnt by heart in a
   minute, and a model that has learnt them by heart only plays them back;
4. writes a complete model folder — ``model.safetensors``, ``config.json``, ``vocab.json``, ``baselines.json``
   (fitted on the participant's tunes), ``metrics.json`` and ``MODEL_CARD.md`` — that
   :func:`workshop_kit.music.melody_model.sample` reads with ``path=out_dir``. The folder is written beside
   ``out_dir`` and takes its place at once (:func:`workshop_kit.shipped.staged_folder`): a failure half-way leaves
   the previous model as it was.

The shipped weights are never written to: ``out_dir`` may not be the shipped folder nor the base folder.

:func:`make_demo_folder` writes a dozen short Moroccan-flavoured tunes (Chaabi and Gnawa cycles in Hijaz and the
Gnawa pentatonic, composed by :func:`workshop_kit.music.rules.compose`) for a trainer without tunes of their own.

Heavy packages (torch, transformers, music21) are imported inside the functions.
"""

from __future__ import annotations

import copy
import math
import os
import random
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..files import atomic_path, sha256_file
from ..participant import Skipped, check_out_dir, list_files, too_few
from ..shipped import staged_folder
from ..training import Budget, BestState, ProgressBar, Schedule, check_minutes, command, fmt, write_results
from ..validation import check_int
from . import melody_model as mm
from . import tokens as tok

__all__ = [
    "FORMATS",
    "MIN_TUNES",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_ENTRIES",
    "HOLDOUT_FROM",
    "HELDOUT_TUNES",
    "MAX_MINUTES",
    "Skipped",
    "TuneSet",
    "FinetuneReport",
    "read_tunes",
    "finetune",
    "make_demo_folder",
    "main",
]

#: File extensions read, and the format each stands for.
FORMATS = {".mid": "MIDI", ".midi": "MIDI", ".xml": "MusicXML", ".musicxml": "MusicXML", ".mxl": "MusicXML",
           ".abc": "ABC"}
#: Fewest readable tunes to fine-tune on.
MIN_TUNES = 10
#: Most files read from a folder (in name order); the others are left out, with a note.
MAX_FILES = 500
#: Most entries (files and folders) looked at in a folder and its sub-folders.
MAX_ENTRIES = 10 * MAX_FILES
#: Largest file read (2 MiB): a folk tune takes a few kilobytes, a whole symphony in MusicXML a few megabytes.
MAX_FILE_BYTES = 2 * 2**20
#: With this many tunes or more, :data:`HELDOUT_TUNES` of them are kept aside to measure the model.
HOLDOUT_FROM = 12
HELDOUT_TUNES = 2
#: Longest time budget, in minutes.
MAX_MINUTES = 5.0
#: Epochs when no tune is held out and ``epochs`` is not given: past this, a few tunes are learnt by heart.
MAX_EPOCHS_WITHOUT_HELDOUT = 12
#: Epochs without a better score on the held-out tunes before training stops.
PATIENCE = 3
PEAK_LR = 5e-4
WARMUP_STEPS = 10
BATCH_TOKENS = 512
#: Folk tunes of the base model's ``heldout_sample.txt`` scored before and after, to show what is forgotten.
FOLK_TUNES = 20


_STOPPED_FR = {"time budget spent": "temps écoulé",
               "the held-out tunes stopped improving": "les airs mis de côté ne s'amélioraient plus",
               "all epochs done": "tous les passages faits"}


@dataclass
class TuneSet:
    """The tunes read from a folder, as token sequences, with what was left out.

    Attributes
    ----------
    folder : Path
    tunes : list of (str, list of str)
        ``(name, tokens)``: the file name relative to the folder (``name#N`` for the N-th tune of an ABC file) and
        its words, from ``<s>`` to ``</s>``.
    skipped : list of Skipped
        Files and tunes that could not be used, each with the reason.
    notes : list of str
        Files left out without being opened (other formats, hidden files, beyond :data:`MAX_FILES`).
    """

    folder: Path
    tunes: list[tuple[str, list[str]]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.tunes]


@dataclass(repr=False)
class FinetuneReport:
    """What :func:`finetune` did; ``metrics`` is also written to ``out_dir/metrics.json``.

    Attributes
    ----------
    out_dir : Path
        The fine-tuned model folder: ``sample(path=out_dir)`` plays it.
    base : Path
        The model folder it started from.
    tunes : int
        Tunes read from the folder.
    train_tunes, heldout_tunes : list of str
        Names of the tunes trained on and of those kept aside.
    skipped : list of Skipped
        Files and tunes that could not be used, with the reason.
    notes : list of str
        Files left out without being opened.
    nll_before, nll_after : dict
        Negative log-likelihood per token (nats; lower means "more expected by the model") before and after, on
        ``"train"`` (the tunes trained on), ``"heldout"`` (the tunes kept aside; None without) and ``"folk"``
        (folk tunes the base model was tested on; None when the base folder has none).
    epochs, steps : int
        Passes over the tunes and optimiser steps done (``epochs`` counts a pass cut short by the time budget).
    best_epoch : int
        The epoch whose weights were written.
    seconds : float
        Time spent training (reading and writing excluded).
    stopped : str
        Why training stopped.
    metrics : dict
    """

    out_dir: Path
    base: Path
    tunes: int
    train_tunes: list[str]
    heldout_tunes: list[str]
    skipped: list[Skipped]
    notes: list[str]
    nll_before: dict[str, float | None]
    nll_after: dict[str, float | None]
    epochs: int
    steps: int
    best_epoch: int
    seconds: float
    stopped: str
    metrics: dict[str, Any] = field(default_factory=dict)

    def summary(self, lang: str = "fr") -> str:
        """A few lines for a musician, in French (``"fr"``) or English (``"en"``)."""
        b, a = self.nll_before, self.nll_after

        def pair(key: str) -> str:
            return f"{b[key]:.2f} → {a[key]:.2f}"

        if lang == "fr":
            stopped = _STOPPED_FR.get(self.stopped, self.stopped)
            lines = [f"Modèle affiné écrit dans {self.out_dir} : {len(self.train_tunes)} airs appris, "
                     f"{self.epochs} passages ({self.steps} pas) en {self.seconds:.0f} s, arrêt : {stopped}.",
                     f"Surprise du modèle (NLL, plus bas = mieux) sur vos airs appris : {pair('train')}"]
            if b["heldout"] is not None:
                lines.append(f"… sur vos airs mis de côté ({', '.join(self.heldout_tunes)}) : {pair('heldout')}")
            if b["folk"] is not None:
                lines.append(f"… sur des airs folkloriques qu'il connaissait : {pair('folk')} (ce qu'il oublie)")
            if self.skipped:
                lines.append("Fichiers ignorés : " + "; ".join(f"{s.name} ({s.reason})" for s in self.skipped))
            return "\n".join(lines)
        lines = [f"Fine-tuned model written to {self.out_dir}: {len(self.train_tunes)} tunes learnt, "
                 f"{self.epochs} epoch(s) ({self.steps} steps) in {self.seconds:.0f} s, stopped: {self.stopped}.",
                 f"Model surprise (NLL, lower is better) on your training tunes: {pair('train')}"]
        if b["heldout"] is not None:
            lines.append(f"... on your held-out tunes ({', '.join(self.heldout_tunes)}): {pair('heldout')}")
        if b["folk"] is not None:
            lines.append(f"... on folk tunes it knew: {pair('folk')} (what it forgets)")
        if self.skipped:
            lines.append("Skipped files: " + "; ".join(f"{s.name} ({s.reason})" for s in self.skipped))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"FinetuneReport(out_dir={str(self.out_dir)!r}, tunes={self.tunes}, skipped={len(self.skipped)}, "
                f"nll_train={self.nll_before['train']:.3f}->{self.nll_after['train']:.3f}, epochs={self.epochs}, "
                f"seconds={self.seconds:.1f}, stopped={self.stopped!r})")


# ------------------------------------------------------------------------------------------------ reading
def _short_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text if len(text) <= 120 else text[:117] + "..."
    return f"cannot be read ({type(exc).__name__}{': ' + text if text else ''})"


def _melody_part(score):
    """The part to learn from: the first pitched part with at least MIN_NOTES notes, else the first pitched part
    with notes, else None (percussion only, or no notes)."""
    from music21 import instrument, note

    from .corpus import MIN_NOTES

    parts = list(score.parts) if hasattr(score, "parts") and len(score.parts) else [score]
    pitched = []
    for part in parts:
        if isinstance(part.getInstrument(returnDefault=False), instrument.UnpitchedPercussion):
            continue
        count = sum(1 for n in part.recurse().notes if not isinstance(n, note.Unpitched))
        if count:
            pitched.append((count, part))
    for count, part in pitched:
        if count >= MIN_NOTES:
            return part
    return pitched[0][1] if pitched else None


def _tokens_of_score(score) -> tuple[list[str] | None, str]:
    """Words of a parsed score, or None and the reason it cannot be used."""
    from .corpus import MIN_NOTES

    try:
        part = _melody_part(score)
        if part is None:
            return None, "no melody (no notes, or percussion only)"
        words = tok.encode_stream(part)
    except ParameterError:
        return None, "no melody (no notes, or percussion only)"
    except Exception as exc:  # noqa: BLE001 - music21 streams can be odd in many ways; each file is reported
        return None, _short_reason(exc)
    notes = sum(tok.kind(w) == "pitch" for w in words)
    if notes < MIN_NOTES:
        return None, f"too short ({notes} notes; at least {MIN_NOTES} are needed)"
    return words, ""


def read_tunes(folder: str | os.PathLike, *, progress: bool = False) -> TuneSet:
    """Read every tune of a folder (and its sub-folders) as tokens.

    Parameters
    ----------
    folder : path
        A folder of MIDI (``.mid``, ``.midi``), MusicXML (``.xml``, ``.musicxml``, ``.mxl``) or ABC (``.abc``)
        files. Of a file with several parts, the first pitched part with at least 8 notes is read (of chords, the
        top note). Every tune of an ABC file counts.
    progress : bool
        Show a progress bar.

    Returns
    -------
    TuneSet
        The tunes, and the files skipped with their reasons (unreadable, too large, too short, duplicates).

    Raises
    ------
    ParameterError
        When ``folder`` is not an existing folder.
    """
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise ParameterError("folder", folder, "a folder of MIDI, MusicXML or ABC files")
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ParameterError("folder", str(folder), "an existing folder of MIDI, MusicXML or ABC files",
                             reason="no such folder", reason_fr="ce dossier n'existe pas")
    from tqdm.auto import tqdm

    files, notes, skipped = list_files(root, FORMATS, max_files=MAX_FILES, max_entries=MAX_ENTRIES,
                                       max_file_bytes=MAX_FILE_BYTES,
                                       others=f"file(s) of other formats (read: {', '.join(sorted(FORMATS))})")
    result = TuneSet(root, [], skipped, notes)
    seen: dict[tuple[str, ...], str] = {}
    if not files:
        return result
    from music21 import converter

    from .corpus import parse_abc_file

    def keep(name: str, score) -> None:
        words, reason = _tokens_of_score(score)
        if words is None:
            result.skipped.append(Skipped(name, reason))
        elif tuple(words) in seen:
            result.skipped.append(Skipped(name, f"the same notes as {seen[tuple(words)]}"))
        else:
            seen[tuple(words)] = name
            result.tunes.append((name, words))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # music21 warns on many harmless oddities of real files
        for path in tqdm(files, desc="Reading your tunes", unit="file", disable=not progress):
            name = path.relative_to(root).as_posix()
            try:
                if path.suffix.lower() == ".abc":
                    scores = list(parse_abc_file(path))
                    for number, score in scores:
                        label = name if len(scores) == 1 else f"{name}#{number}"
                        if isinstance(score, Exception):
                            result.skipped.append(Skipped(label, _short_reason(score)))
                        else:
                            keep(label, score)
                else:
                    keep(name, converter.parse(str(path), forceSource=True))
            except Exception as exc:  # noqa: BLE001 - music21 raises many kinds of errors on bad files; reported
                result.skipped.append(Skipped(name, _short_reason(exc)))
    return result


# ----------------------------------------------------------------------------------------------- training
def _nll(model, sequences) -> float | None:
    if not sequences:
        return None
    total, count = mm.sequence_nll(model, sequences)
    return total / count if count else None


def _folk_sequences(base: Path, n_ctx: int) -> list[list[int]]:
    file = base / mm.HELDOUT_FILE
    if not file.is_file():
        return []
    out = []
    for line in file.read_text(encoding="utf-8").splitlines()[:FOLK_TUNES]:
        words = line.split("\t", 1)[-1].split()
        if words and all(w in tok.TOKEN_TO_ID for w in words):
            out.append(tok.ids(words)[:n_ctx])
    return out


def _split(names: list[str], seed: int) -> set[int]:
    if len(names) < HOLDOUT_FROM:
        return set()
    return set(random.Random(seed).sample(range(len(names)), HELDOUT_TUNES))


def finetune(folder: str | os.PathLike, *, out_dir: str | os.PathLike, minutes: float = 3.0,
             epochs: int | None = None, seed: int = 0, progress: bool = True,
             base: str | os.PathLike | None = None) -> FinetuneReport:
    """Fine-tune the melody model on a folder of your own tunes, and write the new model to ``out_dir``.

    Parameters
    ----------
    folder : path
        A folder of at least 10 tunes: MIDI, MusicXML or ABC files (see :func:`read_tunes`). Files that cannot be
        read are skipped and listed in ``report.skipped``.
    out_dir : path
        Folder to write the model to: a new or empty folder, or one that a previous fine-tuning wrote (it is then
        replaced). Never the shipped model's folder nor ``base``.
    minutes : float
        Time budget for the training, above 0 and at most 5. Training usually stops earlier, when the tunes kept
        aside stop improving. Reading the tunes and writing the model come on top (seconds).
    epochs : int, optional
        Passes over the tunes, 1 to 1000, within the time budget; ``None``: until the budget is spent or the
        held-out tunes stop improving (at most 12 passes when fewer than 12 tunes leave none to hold out). With
        held-out tunes, the weights written are those of the pass that scores them best.
    seed : int
        Chooses the held-out tunes and the batch order; with ``epochs``, the same seed gives the same weights.
    progress : bool
        Show progress bars.
    base : path, optional
        The model folder to start from (default: the model :func:`~workshop_kit.music.melody_model.sample` uses,
        the shipped one unless ``WORKSHOP_KIT_MELODY_MODEL`` names another).

    Returns
    -------
    FinetuneReport
        Use ``report.summary()`` for a few readable lines; ``sample(path=report.out_dir)`` plays the new model.

    Raises
    ------
    ParameterError
        For fewer than 10 readable tunes (naming how many were read and the files skipped), a missing folder, a
        bad option, or an ``out_dir`` that would overwrite the shipped model or another folder's files.
    MissingModelError
        When ``base`` holds no melody model.

    Notes
    -----
    Training runs on the CPU (the model has 1.9 M parameters: a GPU would not be faster by much).
    """
    minutes = check_minutes(minutes, high=MAX_MINUTES)
    if epochs is not None:
        epochs = check_int("epochs", epochs, 1, 1000)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    base_dir = mm.MODEL.folder(base)
    if isinstance(folder, (str, os.PathLike)):
        out = check_out_dir(out_dir, protected=(mm.MODEL.shipped_folder(), base_dir), inputs=Path(folder).expanduser(),
                            marker=mm.METRICS_FILE)  # before any work
    tunes = read_tunes(folder, progress=progress)
    if len(tunes.tunes) < MIN_TUNES:
        raise too_few(folder, len(tunes.tunes), MIN_TUNES, tunes.skipped, what=("tune(s)", "air(s) lisible(s)"),
                      allowed=(f"a folder with at least {MIN_TUNES} tunes (MIDI, MusicXML, ABC)",
                               f"un dossier d'au moins {MIN_TUNES} airs (MIDI, MusicXML, ABC)"))

    import torch

    base_model = mm.load_model(path=base_dir, device="cpu")  # checks the folder; raises MissingModelError
    n_ctx = base_model.config.n_positions
    held = _split(tunes.names, seed)
    train_named = [(n, t) for i, (n, t) in enumerate(tunes.tunes) if i not in held]
    held_named = [(n, t) for i, (n, t) in enumerate(tunes.tunes) if i in held]
    train_ids = [tok.ids(t) for _, t in train_named]
    held_ids = [tok.ids(t)[:n_ctx] for _, t in held_named]
    folk_ids = _folk_sequences(base_dir, n_ctx)
    train_eval = [s[:n_ctx] for s in train_ids]
    before = {"train": _nll(base_model, train_eval), "heldout": _nll(base_model, held_ids),
              "folk": _nll(base_model, folk_ids)}

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = copy.deepcopy(base_model)
    model.loss_type = "ForCausalLM"  # what transformers falls back to, said up front to spare a warning
    model.requires_grad_(True)
    model.train()
    train_seqs = [c for s in train_ids for c in mm.chunks(s, n_ctx)]
    optimizer = torch.optim.AdamW(model.parameters(), lr=PEAK_LR, betas=(0.9, 0.98), weight_decay=0.01)
    schedule = Schedule("constant", peak=PEAK_LR, warmup=WARMUP_STEPS)
    max_epochs = epochs if epochs is not None else (1000 if held_ids else MAX_EPOCHS_WITHOUT_HELDOUT)
    budget = Budget(minutes)
    best = BestState(patience=PATIENCE, min_delta=1e-3)
    best_epoch = 0
    history: list[dict[str, float]] = []
    step = epoch = 0
    stopped = ""
    bar = ProgressBar(total=max_epochs if epochs is not None else math.ceil(budget.seconds),
                      unit="epoch" if epochs else "s", desc="Fine-tuning on your tunes", enabled=progress)
    while not stopped:
        epoch += 1
        losses = []
        for batch in mm.length_batches(train_seqs, BATCH_TOKENS, rng):
            ids, mask, labels = mm.padded_batch(batch)
            schedule.apply(optimizer, step)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            losses.append(float(loss.detach()))
            elapsed = budget.elapsed
            bar.at(epoch - 1 if epochs is not None else elapsed, epoch=epoch, loss=f"{losses[-1]:.3f}")
            if elapsed >= budget.seconds:
                stopped = "time budget spent"
                break
        row = {"epoch": epoch, "step": step, "seconds": round(budget.elapsed, 1),
               "train_loss": round(sum(losses) / len(losses), 4)}
        if held_ids:
            score = _nll(model, held_ids)
            model.train()
            row["heldout_nll"] = round(score, 4)
            if best.check(score, model, at=epoch):
                best_epoch = epoch
        else:
            best_epoch = epoch  # nothing to choose by: the last weights are kept
        history.append(row)
        if epochs is not None:
            bar.at(epoch)
        if stopped:
            break
        if held_ids and best.exhausted and epochs is None:
            stopped = "the held-out tunes stopped improving"
        elif epoch >= max_epochs:
            stopped = "all epochs done"
    bar.close()
    train_seconds = budget.elapsed
    best.restore(model)
    model.eval()

    # write, as the shipped model is written: float16 weights without the tied output layer; everything in a fresh
    # folder that replaces out_dir at once
    baselines, _ = mm.fit_baselines(train_ids, held_ids or train_ids)
    with staged_folder(out, key=mm.MODEL.key) as stage:
        mm.save_model(stage, model, baselines, heldout=held_named,
                      note="fitted on the participant's training tunes; k chosen on the "
                           + ("held-out tunes" if held_ids else "same tunes"))

        # score what was written, read back as the kit reads it
        tuned = mm.load_model(path=stage, device="cpu")
        after = {"train": _nll(tuned, train_eval), "heldout": _nll(tuned, held_ids), "folk": _nll(tuned, folk_ids)}
        metrics = {
            "finetune": {"base": str(base_dir.resolve()),
                         "base_weights_sha256": sha256_file(base_dir / mm.WEIGHTS_FILE),
                         "folder": str(tunes.folder.resolve()), "seed": seed, "minutes_budget": minutes,
                         "epochs_asked": epochs, "epochs": epoch, "best_epoch": best_epoch, "steps": step,
                         "seconds": round(train_seconds, 1), "stopped": stopped, "peak_lr": PEAK_LR,
                         "warmup_steps": WARMUP_STEPS, "batch_tokens": BATCH_TOKENS, "patience": PATIENCE,
                         "optimizer": "AdamW(betas=(0.9, 0.98), weight_decay=0.01), constant rate after warm-up",
                         "torch_threads": torch.get_num_threads(), "history": history},
            "data": {"tunes": len(tunes.tunes), "train_tunes": [n for n, _ in train_named],
                     "heldout_tunes": [n for n, _ in held_named],
                     "tokens": {"train": sum(len(s) for s in train_ids), "heldout": sum(len(s) for s in held_ids)},
                     "skipped": [{"file": s.name, "reason": s.reason} for s in tunes.skipped], "notes": tunes.notes},
            "nll_nats_per_token": {"before": before, "after": after, "folk_tunes": len(folk_ids)},
            "model": {"architecture": "GPT2LMHeadModel", "parameters": sum(p.numel() for p in model.parameters()),
                      "n_positions": n_ctx, "vocab_size": len(tok.VOCAB), "weights_dtype": "float16",
                      "weights_bytes": (stage / mm.WEIGHTS_FILE).stat().st_size},
        }
        write_results(stage, metrics, _model_card(metrics))
    return FinetuneReport(out, base_dir, len(tunes.tunes), metrics["data"]["train_tunes"],
                          metrics["data"]["heldout_tunes"], list(tunes.skipped), list(tunes.notes), before, after,
                          epoch, step, best_epoch, train_seconds, stopped, metrics)


def _nats(x: float | None) -> str:
    return fmt(x, missing="—")


def _model_card(m: dict[str, Any]) -> str:
    f, d, nll = m["finetune"], m["data"], m["nll_nats_per_token"]
    b, a = nll["before"], nll["after"]
    rows = [f"| your training tunes ({len(d['train_tunes'])}) | {_nats(b['train'])} | {_nats(a['train'])} |"]
    if d["heldout_tunes"]:
        rows.append(f"| your held-out tunes ({', '.join(d['heldout_tunes'])}) | {_nats(b['heldout'])} | "
                    f"{_nats(a['heldout'])} |")
    if b["folk"] is not None:
        rows.append(f"| folk tunes of the base model's test set ({nll['folk_tunes']}) | {_nats(b['folk'])} | "
                    f"{_nats(a['folk'])} |")
    skipped = "".join(f"\n- `{s['file']}`: {s['reason']}" for s in d["skipped"]) or " none."
    return f"""# Melody model, fine-tuned on your tunes

This model was **fine-tuned from the kit's shipped melody model** (`{f['base']}`, weights sha256
`{f['base_weights_sha256'][:16]}…`) on **the participant's own files**: {d['tunes']} tunes read from
`{f['folder']}`. It writes melodies as scale degrees, like the model it comes from, so the kit can play them in any
scale or maqam.

Use: `sample(path="<this folder>", seed=0)` (`workshop_kit.music.melody_model`), or set
`WORKSHOP_KIT_MELODY_MODEL` to this folder to make it the kit's melody model.

## Training

{f['epochs']} epoch(s), {f['steps']} steps in {f['seconds']:.0f} s on the CPU ({f['torch_threads']} thread(s));
weights of epoch {f['best_epoch']} kept; stopped: {f['stopped']}. {f['optimizer']}, peak learning rate
{f['peak_lr']}, batches of at most {f['batch_tokens']} tokens, seed {f['seed']}.

Tunes trained on: {len(d['train_tunes'])} ({d['tokens']['train']} tokens). Held out: {len(d['heldout_tunes'])}
({d['tokens']['heldout']} tokens){' — fewer than 12 tunes leave none to hold out' if not d['heldout_tunes'] else ''}.
Files skipped:{skipped}

## Metrics

Negative log-likelihood per token (nats; lower means the model expects these notes more), with the float16 weights
as written:

| tunes | before | after |
|---|---|---|
{chr(10).join(rows)}

## Licence and limitations

- The base model learned from folk-tune collections licensed for **non-commercial** use (see its MODEL_CARD.md):
  this model inherits that restriction. The rights on the tunes it was fine-tuned on are those of their authors.
- With a dozen tunes, the model can repeat whole phrases of them: listen before presenting a melody as new, and
  credit the tunes it learned from.
- It knows only what the token words hold: scale degrees, octaves, durations and bar lines of one melody line;
  ornaments, dynamics, lyrics, quarter tones and the other parts of the files were dropped.
"""


# ---------------------------------------------------------------------------------------------- demo tunes
_DEMO_TONICS = ("D", "E", "G", "A", "C")
_DEMO_STYLES = (("chaabi", "hijaz"), ("gnawa", "pentatonic"), ("chaabi", "pentatonic"), ("gnawa", "hijaz"))
#: Semitones from the tonic to the major key whose signature spells each scale (Phrygian for Hijaz, Aeolian for
#: the pentatonic): a MIDI key signature cannot spell Hijaz's augmented second.
_RELATIVE_MAJOR = {"hijaz": 8, "pentatonic": 3}


def make_demo_folder(folder: str | os.PathLike, *, n: int = 12, seed: int = 0, bars: int = 8) -> Path:
    """Write ``n`` short MIDI tunes in a Moroccan flavour, to fine-tune on when you have no tunes of your own.

    Each tune is the melody (one track, no drums) of a piece the ``rules`` engine composes
    (:func:`workshop_kit.music.rules.compose`): Chaabi and Gnawa cycles in 12/8, in maqam Hijaz or in the Gnawa
    pentatonic, on a few tonics, notes held until the next one. Files are named ``01_chaabi_hijaz_D.mid`` ...;
    files of the same names are replaced, others left alone.

    Parameters
    ----------
    folder : path
        Where to write (created if missing).
    n : int
        Number of tunes, 1 to 100.
    seed : int
        The same seed writes the same tunes.
    bars : int
        Bars (rhythm cycles) per tune, 2 to 32.

    Returns
    -------
    Path
        The folder, ready for :func:`finetune`.
    """
    n = check_int("n", n, 1, 100)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    bars = check_int("bars", bars, 2, 32)
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise ParameterError("folder", folder, "a folder path")
    out = Path(folder).expanduser()
    if out.exists() and not out.is_dir():
        raise ParameterError("folder", str(folder), "a folder path", reason="this is a file")
    out.mkdir(parents=True, exist_ok=True)
    import numpy as np
    import pretty_midi

    from .arrange import LEAD, compose
    from .theory import INSTRUMENTS, RHYTHMS, SCALES, TONICS

    for i in range(n):
        rhythm_name, scale_name = _DEMO_STYLES[i % len(_DEMO_STYLES)]
        tonic = _DEMO_TONICS[(i // len(_DEMO_STYLES) + i) % len(_DEMO_TONICS)]
        rhythm = RHYTHMS[rhythm_name]
        rng = np.random.default_rng([seed, i])
        score = compose(scale=SCALES[scale_name], rhythm=rhythm, bars=bars, tempo=float(rhythm.tempo),
                        tonic=TONICS[tonic], rng=rng)
        lead = score.notes_of(LEAD)
        beat = 60.0 / rhythm.tempo
        end = bars * rhythm.beats * beat
        # a ternary beat is a dotted quarter: the MIDI tempo counts quarters, and the bar is 12/8
        quarters = rhythm.tempo * (1.5 if rhythm.subdivision == 3 else 1.0)
        pm = pretty_midi.PrettyMIDI(initial_tempo=quarters)
        num, den = (rhythm.beats * 3, 8) if rhythm.subdivision == 3 else (rhythm.beats, 4)
        pm.time_signature_changes.append(pretty_midi.TimeSignature(num, den, 0.0))
        pm.key_signature_changes.append(
            pretty_midi.KeySignature((TONICS[tonic] + _RELATIVE_MAJOR[scale_name]) % 12, 0.0))
        inst = pretty_midi.Instrument(program=INSTRUMENTS[rhythm.lead].program, name="melody")
        for j, note in enumerate(lead):
            stop = lead[j + 1].start if j + 1 < len(lead) else end
            inst.notes.append(pretty_midi.Note(velocity=note.velocity, pitch=int(round(note.pitch)),
                                               start=note.start, end=max(stop, note.start + 0.05)))
        pm.instruments.append(inst)
        with atomic_path(out / f"{i + 1:02d}_{rhythm_name}_{scale_name}_{tonic}.mid") as tmp:
            pm.write(str(tmp))
    return out


# ------------------------------------------------------------------------------------------- command line
def _flags(parser) -> None:
    parser.add_argument("--from", dest="folder", required=True, help="folder of your tunes")
    parser.add_argument("--epochs", type=int, default=None, help="passes over the tunes (default: until they "
                                                                 "stop improving)")
    parser.add_argument("--base", default=None, help="model folder to start from (default: the shipped model)")
    parser.add_argument("--demo", action="store_true", help="first write 12 demo tunes into the --from folder")


def _run_command(args) -> str:
    if args.demo:
        make_demo_folder(args.folder, seed=args.seed)
    report = finetune(args.folder, out_dir=args.out, minutes=args.minutes, epochs=args.epochs, seed=args.seed,
                      progress=not args.quiet, base=args.base)
    return report.summary("en")


#: Command line: ``python -m workshop_kit.music.finetune --from FOLDER --out DIR [--minutes M] [--epochs E]
#: [--seed S] [--base DIR] [--demo] [--quiet]`` (also ``workshop-kit train melody --from FOLDER --out DIR``);
#: ``--demo`` writes the demo tunes first.
main = command("python -m workshop_kit.music.finetune",
               "Fine-tune the melody model on a folder of your own tunes (MIDI, MusicXML, ABC; at least 10).",
               _run_command, options=_flags, minutes=3.0,
               minutes_help=f"time budget (default 3, at most {MAX_MINUTES:g})",
               out_help="folder to write the fine-tuned model to", out_required=True)


if __name__ == "__main__":
    sys.exit(main())
