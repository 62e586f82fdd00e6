"""The embedded melody model: a small GPT-2 that writes folk-like melodies as scale degrees.

The model reads and writes the words of :mod:`workshop_kit.music.tokens` (degrees, octaves, durations, bar lines),
so what it writes fits any tonic and any scale: :meth:`Melody.place` plays it in major, Hijaz, Bayati or the Gnawa
pentatonic. It was trained on European (and some Chinese) folk tunes that ``music21`` ships, by
:mod:`workshop_kit.music.train_melody`; see ``workshop_kit/models/melody/MODEL_CARD.md``.

>>> from workshop_kit.music.melody_model import sample
>>> melody = sample(n_tokens=64, seed=0)              # doctest: +SKIP
>>> melody.place(scale="hijaz", tonic=62)[:3]          # doctest: +SKIP
[(57.0, 0.5), (58.0, 0.5), (63.0, 1.0)]

The weights are read once per (folder, device) and kept (:func:`load_model`); nothing is loaded at import.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..device import resolve_device
from ..errors import EngineUnavailableError, MissingModelError, ParameterError
from ..i18n import Msg
from ..validation import check_float, check_int, resolve_seed
from .. import shipped
from ..registry import ENGINES
from . import tokens as tok

if TYPE_CHECKING:  # pragma: no cover
    from ..results import AudioResult

__all__ = [
    "ATTEMPTS",
    "attempt_seed",
    "MODEL",
    "MAX_TOKENS",
    "Melody",
    "NGramModel",
    "make_config",
    "load_model",
    "load_baselines",
    "sample",
    "sequence_nll",
    "fit_baselines",
    "chunks",
    "length_batches",
    "padded_batch",
    "save_model",
    "sample_statistics",
    "evaluate",
]

#: The shipped model: its folder of package data, its licence, ``$WORKSHOP_KIT_MELODY_MODEL`` for another one.
MODEL = shipped.SHIPPED["melody"]
ENGINE = ENGINES["melody-model"]
#: Most tokens :func:`sample` writes in one call.
MAX_TOKENS = 1024
#: Most a temperature may be.
MAX_TEMPERATURE = 5.0

WEIGHTS_FILE, CONFIG_FILE, VOCAB_FILE = "model.safetensors", "config.json", "vocab.json"
BASELINES_FILE, METRICS_FILE, CARD_FILE = "baselines.json", "metrics.json", "MODEL_CARD.md"
HELDOUT_FILE = "heldout_sample.txt"


def make_config(*, n_embd: int = 192, n_layer: int = 4, n_head: int = 4, n_positions: int = 512,
                dropout: float = 0.1):
    """The ``GPT2Config`` of the melody model (about 1.9 M parameters with the defaults)."""
    from transformers import GPT2Config

    return GPT2Config(
        vocab_size=len(tok.VOCAB), n_positions=n_positions, n_embd=n_embd, n_layer=n_layer, n_head=n_head,
        resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=dropout,
        bos_token_id=tok.TOKEN_TO_ID[tok.BOS], eos_token_id=tok.TOKEN_TO_ID[tok.EOS],
        pad_token_id=tok.TOKEN_TO_ID[tok.PAD], tie_word_embeddings=True,
    )


def _build(folder: Path, device: str):
    """Read the model in ``folder`` (checked by :meth:`~workshop_kit.shipped.ShippedModel.check`) onto ``device``."""
    import torch
    from safetensors.torch import load_file
    from transformers import GPT2Config, GPT2LMHeadModel

    vocab = json.loads((folder / VOCAB_FILE).read_text(encoding="utf-8"))
    if tuple(vocab.get("tokens", ())) != tok.VOCAB:
        raise EngineUnavailableError(Msg("error.melody.vocab", folder=str(folder),
                                         version=vocab.get("tokenizer_version"), kit=tok.TOKENIZER_VERSION,
                                         command=MODEL.train_command))
    config = GPT2Config.from_json_file(str(folder / CONFIG_FILE))
    model = GPT2LMHeadModel(config)
    state = {k: v.float() for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k != "lm_head.weight"]  # tied to the token embedding
    if missing or unexpected:
        raise EngineUnavailableError(Msg("error.melody.weights", folder=str(folder), missing=str(missing[:3]),
                                         unexpected=str(unexpected[:3]), command=MODEL.train_command))
    model.tie_weights()
    model.eval()
    model.requires_grad_(False)
    return model.to(torch.device(device))


def load_model(*, path: str | os.PathLike | None = None, device: str | None = "auto"):
    """The melody model (a ``transformers.GPT2LMHeadModel`` in eval mode), read once per folder and device.

    Raises
    ------
    MissingModelError
        When the folder lacks the weights, with the command that trains them.
    """
    return shipped.load(MODEL.key, path, resolve_device(device), _build)


# --------------------------------------------------------------------------------------------------------------
# Baselines


@dataclass
class NGramModel:
    """A unigram (``order=1``) or bigram (``order=2``) model of token ids with add-``k`` smoothing."""

    order: int
    k: float
    counts: list  # order 1: [V]; order 2: [V][V] (row = previous token)

    @classmethod
    def fit(cls, sequences, *, order: int, k: float) -> "NGramModel":
        v = len(tok.VOCAB)
        if order == 1:
            counts = [0] * v
            for seq in sequences:
                for t in seq[1:]:
                    counts[t] += 1
        else:
            counts = [[0] * v for _ in range(v)]
            for seq in sequences:
                for a, b in zip(seq, seq[1:]):
                    counts[a][b] += 1
        return cls(order, float(k), counts)

    def nll(self, sequences) -> tuple[float, int]:
        """Total negative log-likelihood (nats) of every token after the first, and how many tokens."""
        v = len(tok.VOCAB)
        total, n = 0.0, 0
        if self.order == 1:
            denom = sum(self.counts) + self.k * v
            logp = [math.log((c + self.k) / denom) for c in self.counts]
            for seq in sequences:
                for t in seq[1:]:
                    total -= logp[t]
                    n += 1
            return total, n
        row_totals = [sum(row) + self.k * v for row in self.counts]
        for seq in sequences:
            for a, b in zip(seq, seq[1:]):
                total -= math.log((self.counts[a][b] + self.k) / row_totals[a])
                n += 1
        return total, n

    def to_dict(self) -> dict:
        return {"order": self.order, "k": self.k, "counts": self.counts}

    @classmethod
    def from_dict(cls, data: dict) -> "NGramModel":
        return cls(int(data["order"]), float(data["k"]), data["counts"])


def load_baselines(*, path: str | os.PathLike | None = None) -> dict[str, NGramModel]:
    """The unigram and bigram baselines saved beside the model (fitted on the same training split)."""
    folder = MODEL.folder(path)
    file = folder / BASELINES_FILE
    if not file.is_file():
        raise MissingModelError(Msg("error.melody.baselines", file=BASELINES_FILE, folder=str(folder),
                                    command=MODEL.train_command))
    data = json.loads(file.read_text(encoding="utf-8"))
    return {name: NGramModel.from_dict(data[name]) for name in ("unigram", "bigram")}


# --------------------------------------------------------------------------------------------------------------
# Training data and writing a model: shared by the training (train_melody) and the fine-tuning (finetune)

#: Add-k smoothings tried for the baselines; the one best on the validation tunes is kept.
SMOOTHING_CHOICES = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)


def fit_baselines(train_ids, val_ids) -> tuple[dict[str, NGramModel], dict[str, float]]:
    """The unigram and bigram baselines fitted on ``train_ids``, each with the smoothing best on ``val_ids``, and
    their validation NLL per token."""
    chosen, val_nll = {}, {}
    for name, order in (("unigram", 1), ("bigram", 2)):
        best = None
        for k in SMOOTHING_CHOICES:
            model = NGramModel.fit(train_ids, order=order, k=k)
            total, n = model.nll(val_ids)
            if best is None or total / n < best[0]:
                best = (total / n, model)
        val_nll[name], chosen[name] = best
    return chosen, val_nll


def chunks(ids: list[int], n_ctx: int) -> list[list[int]]:
    """A tune longer than the context cut into pieces of ``n_ctx`` tokens (the later ones start mid-tune)."""
    return [ids[i:i + n_ctx] for i in range(0, len(ids) - 1, n_ctx)]


def length_batches(seqs: list[list[int]], batch_tokens: int, rng) -> list[list[list[int]]]:
    """Sequences grouped by similar length so that each padded batch holds at most ``batch_tokens`` tokens; the
    batches in an order drawn from ``rng`` (a :class:`random.Random`)."""
    order = sorted(range(len(seqs)), key=lambda i: (len(seqs[i]), rng.random()))
    batches, current, width = [], [], 0
    for i in order:
        w = max(width, len(seqs[i]))
        if current and w * (len(current) + 1) > batch_tokens:
            batches.append(current)
            current, w = [], len(seqs[i])
        current.append(seqs[i])
        width = w
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def padded_batch(batch: list[list[int]]):
    """Token ids padded to the longest: ``(ids, attention mask, labels)`` tensors, the labels -100 on padding."""
    import torch

    width = max(len(s) for s in batch)
    ids = torch.full((len(batch), width), tok.TOKEN_TO_ID[tok.PAD], dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for r, s in enumerate(batch):
        ids[r, : len(s)] = torch.tensor(s)
        mask[r, : len(s)] = 1
    return ids, mask, ids.masked_fill(mask == 0, -100)


def save_model(folder: Path, model, baselines: dict[str, NGramModel], *, note: str,
               heldout: list[tuple[str, list[str]]]) -> None:
    """Write a model's files into ``folder`` as :func:`load_model` reads them: the weights in float16 (half the
    size) without the output layer (tied to the input one), the config, the vocabulary, the ``baselines`` (``note``
    says what they were fitted on) and the ``heldout`` tunes, ``(id, words)`` cut to the context."""
    import torch
    from safetensors.torch import save_file

    from ..files import write_json

    n_ctx = model.config.n_positions
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()
             if k != "lm_head.weight"}
    save_file(state, str(folder / WEIGHTS_FILE),
              metadata={"format": "pt", "tokenizer_version": str(tok.TOKENIZER_VERSION)})
    model.config.to_json_file(str(folder / CONFIG_FILE))
    write_json(folder / VOCAB_FILE, {"tokenizer_version": tok.TOKENIZER_VERSION, "tokens": list(tok.VOCAB)})
    write_json(folder / BASELINES_FILE, {"note": note, **{name: b.to_dict() for name, b in baselines.items()}})
    (folder / HELDOUT_FILE).write_text("".join(f"{name}\t{' '.join(words[:n_ctx])}\n" for name, words in heldout),
                                       encoding="utf-8")


def sequence_nll(model, sequences, *, batch_tokens: int = 8192) -> tuple[float, int]:
    """Total negative log-likelihood (nats) the model gives every token after the first, and how many tokens.

    Sequences longer than the model's context are cut to it.
    """
    import torch

    n_ctx = model.config.n_positions
    device = next(model.parameters()).device
    seqs = sorted((list(s[:n_ctx]) for s in sequences if len(s) > 1), key=len)
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    i = 0
    with torch.inference_mode():
        while i < len(seqs):
            longest = len(seqs[i])
            j = i
            while j < len(seqs) and (j - i + 1) * max(longest, len(seqs[j])) <= batch_tokens:
                longest = max(longest, len(seqs[j]))
                j += 1
            j = max(j, i + 1)
            ids, mask, labels = (t.to(device) for t in padded_batch(seqs[i:j]))
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
            target = labels[:, 1:]
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                                     ignore_index=-100, reduction="sum")
            total += float(loss)
            count += int((target != -100).sum())
            i = j
    model.train(was_training)
    return total, count


# --------------------------------------------------------------------------------------------------------------
# Sampling


@dataclass
class Melody:
    """A sampled melody.

    Attributes
    ----------
    tokens : list of str
        Every word, from ``<s>`` (the prompt included).
    notes : list of MelodyNote
        The notes and rests, as scale degrees (see :func:`workshop_kit.music.tokens.decode`).
    meter : str or None
        The time signature the melody is written in, e.g. ``"6/8"``.
    seed : int
        The seed that gives this melody again.
    prompt_length : int
        How many of ``tokens`` were given rather than sampled.
    seconds : float
        Time spent sampling.
    """

    tokens: list[str]
    notes: list[tok.MelodyNote]
    meter: str | None
    seed: int
    prompt_length: int
    seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    def place(self, *, scale: object = "major", tonic: float = 60.0, chromatic: str = "snap"):
        """``(midi_pitch, beats)`` pairs of the melody in ``scale`` on ``tonic``; see
        :func:`workshop_kit.music.tokens.place`."""
        return tok.place(self.notes, scale=scale, tonic=tonic, chromatic=chromatic)

    def timeline(self, *, scale: object = "major", tonic: float = 60.0, chromatic: str = "snap",
                 max_beats: float | None = None) -> list[tuple[float, float, float]]:
        """``(onset, duration, midi_pitch)`` of each note (rests skipped), onsets and durations in beats from 0.

        ``max_beats`` drops the notes that start at or after it and shortens the last one to end there: the form
        a score of a given number of bars needs.
        """
        out, onset = [], 0.0
        for pitch, beats in self.place(scale=scale, tonic=tonic, chromatic=chromatic):
            if max_beats is not None and onset >= max_beats:
                break
            if pitch is not None:
                length = beats if max_beats is None else min(beats, max_beats - onset)
                out.append((onset, length, pitch))
            onset += beats
        return out

    @property
    def beats(self) -> float:
        """Length in beats."""
        return float(sum(n.duration for n in self.notes))


def _grammar_masks(device):
    """Allowed next words after each kind of word, so every sampled melody decodes: a meter after ``<s>``; a
    duration after a pitch or rest; otherwise a pitch, rest, bar line or ``</s>``."""
    import torch

    v = len(tok.VOCAB)
    kinds = [tok.kind(w) for w in tok.VOCAB]

    def mask(allowed):
        m = torch.zeros(v, dtype=torch.bool)
        for i, k in enumerate(kinds):
            if k in allowed:
                m[i] = True
        return m

    after_start = mask({"meter"})
    after_pitch = mask({"duration"})
    body = mask({"pitch", "rest", "bar"})
    body[tok.TOKEN_TO_ID[tok.EOS]] = True
    after_meter = mask({"pitch", "rest"})  # no bar line or end right after the meter
    after_bar = mask({"pitch", "rest"})
    table = {"special": after_start, "meter": after_meter, "pitch": after_pitch, "rest": after_pitch,
             "duration": body, "bar": after_bar}
    return {k: m.to(device) for k, m in table.items()}


def _read_midi_motif(path: Path, *, tonic: str, scale: object) -> list[str]:
    import pretty_midi

    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except (OSError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise ParameterError("motif", str(path), Msg("allowed.readable_midi"),
                             reason=Msg("reason.cannot_read", why=str(exc))) from None
    notes = sorted((n for inst in pm.instruments if not inst.is_drum for n in inst.notes),
                   key=lambda n: (n.start, -n.pitch))
    if not notes:
        raise ParameterError("motif", str(path), Msg("allowed.midi_with_notes"), reason=Msg("reason.no_notes.file"))
    _, tempi = pm.get_tempo_changes()
    bps = (float(tempi[0]) if len(tempi) else 120.0) / 60.0
    events: list[tuple[float | None, float]] = []
    cursor = notes[0].start
    for n in notes:
        if n.start < cursor - 1e-3:
            continue  # keep the top voice only
        gap = (n.start - cursor) * bps
        if gap >= 0.125:
            events.append((None, gap))
        events.append((float(n.pitch), max((n.end - n.start) * bps, 0.125)))
        cursor = n.end
    return tok.encode_events(events, key=tonic, scale=scale, reference="median")


def _motif_tokens(motif: object, *, tonic: str, scale: object) -> list[str]:
    if isinstance(motif, os.PathLike) or (isinstance(motif, str) and motif.strip().lower().endswith((".mid", ".midi"))):
        path = Path(motif).expanduser()
        if not path.is_file():
            raise ParameterError("motif", str(motif), Msg("allowed.motif_or_midi"), reason=Msg("reason.no_such_file"))
        words = _read_midi_motif(path, tonic=tonic, scale=scale)
    elif isinstance(motif, str):
        words = tok.encode_note_names(motif, key=tonic, scale=scale)
    else:
        raise ParameterError("motif", motif, Msg("allowed.motif_or_midi_path"))
    body = [w for w in words if w not in (tok.BOS, tok.EOS) and not w.startswith("M:")]
    if not body:
        raise ParameterError("motif", motif, Msg("allowed.at_least_one_note"))
    return body


def _check_sample_args(n_tokens, temperature, top_k, meter, tonic, scale):
    n_tokens = check_int("n_tokens", n_tokens, 1, MAX_TOKENS)
    temperature = check_float("temperature", temperature, 0.0, MAX_TEMPERATURE)
    if temperature <= 0:
        raise ParameterError("temperature", temperature, Msg("allowed.temperature", max=MAX_TEMPERATURE))
    if top_k is not None:
        top_k = check_int("top_k", top_k, 1, len(tok.VOCAB))
    if meter is not None and (not isinstance(meter, str) or meter not in tok.METERS[:-1]):
        raise ParameterError("meter", meter, tok.METERS[:-1])
    tok.parse_key(tonic, scale=scale)  # raises on a bad tonic or scale
    return n_tokens, temperature, top_k


def sample(*, n_tokens: int = 256, temperature: float = 1.0, top_k: int | None = None, motif: object = None,
           tonic: str = "C", scale: object = "major", meter: str | None = None, seed: int | None = None,
           stop_at_eos: bool = True, device: str | None = "auto", path: str | os.PathLike | None = None) -> Melody:
    """Write a melody with the melody model.

    Parameters
    ----------
    n_tokens : int
        How many words to sample after the prompt, 1 to 1024 (a note takes two words). Beyond the model's context
        (512 words) it keeps writing from the last 256.
    temperature : float
        Above 0, at most 5: below 1 is safer and more repetitive, above 1 more surprising.
    top_k : int, optional
        Sample only among the ``top_k`` likeliest words (1 to the vocabulary size); ``None`` for all.
    motif : str or path, optional
        Opening notes the melody continues: note names with octaves (``"D4 E4 F4 G4"``, ``"r"`` for a rest, one
        beat each) or a MIDI file. They are read as degrees of ``scale`` on ``tonic``.
    tonic : str
        Note name of the key the motif is written in (``"D"``, ``"Bb"``). It only serves to read the motif: the
        melody itself is degrees, placed in a key afterwards with :meth:`Melody.place`.
    scale : str, Scale or sequence of float
        7-note scale of the motif's key (a name of :data:`workshop_kit.music.theory.SCALES` or steps).
    meter : str, optional
        Time signature to write in, one of ``2/4 3/4 4/4 2/2 3/2 6/4 3/8 6/8 9/8 12/8 5/4``; by default the model
        picks one.
    seed : int, optional
        0 to 2**32 - 1: the same seed (with the same options) gives the same melody. ``None`` draws one.
    stop_at_eos : bool
        Stop when the model ends the tune (``</s>``), before ``n_tokens`` words.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``.
    path : path, optional
        Model folder (default: the shipped model, see :data:`MODEL`).

    Returns
    -------
    Melody

    Raises
    ------
    ParameterError
        For a value out of range, an empty motif or a note name that is not one, naming it.
    MissingModelError
        When the model has not been trained.
    """
    n_tokens, temperature, top_k = _check_sample_args(n_tokens, temperature, top_k, meter, tonic, scale)
    forced: list[str] = [tok.BOS] + ([f"M:{meter}"] if meter is not None else [])
    motif_words = _motif_tokens(motif, tonic=tonic, scale=scale) if motif is not None else []
    seed = resolve_seed(seed)
    model = load_model(path=path, device=device)
    with _few_threads(model):
        return _sample_loop(model, forced, motif_words, n_tokens=n_tokens, temperature=temperature, top_k=top_k,
                            seed=seed, stop_at_eos=stop_at_eos, motif=motif, tonic=tonic, scale=scale, meter=meter)


_THREADS_LOCK = threading.Lock()  # torch's thread count is process-wide: one sampler changes it at a time


@contextlib.contextmanager
def _few_threads(model):
    """One CPU thread while sampling: a token at a time is too little work to share, and on a busy laptop extra
    threads only wait for each other (40 ms instead of 2 ms a token). The previous setting is restored.

    Samplers running at once (the booth serves two visitors) take turns, so none restores another's setting."""
    import torch

    if next(model.parameters()).device.type != "cpu":
        yield
        return
    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)


class _Decoder:
    """The GPT-2 forward pass for one melody at a time, with a preallocated key-value cache.

    Same weights and arithmetic as ``GPT2LMHeadModel`` in eval mode (checked by the tests), without the generic
    machinery around it: a token costs about 0.5 ms on a laptop CPU instead of 2-3 ms.
    """

    def __init__(self, model):
        import torch

        c = model.config
        self.n_head, self.n_ctx = c.n_head, c.n_positions
        self.head_dim = c.n_embd // c.n_head
        self.eps = c.layer_norm_epsilon
        t = model.transformer
        self.wte, self.wpe = t.wte.weight, t.wpe.weight
        self.ln_f = (t.ln_f.weight, t.ln_f.bias)
        self.blocks = [(b.ln_1.weight, b.ln_1.bias, b.attn.c_attn.weight, b.attn.c_attn.bias, b.attn.c_proj.weight,
                        b.attn.c_proj.bias, b.ln_2.weight, b.ln_2.bias, b.mlp.c_fc.weight, b.mlp.c_fc.bias,
                        b.mlp.c_proj.weight, b.mlp.c_proj.bias) for b in t.h]
        shape = (len(self.blocks), 1, self.n_head, self.n_ctx, self.head_dim)
        self.keys = torch.zeros(shape, dtype=self.wte.dtype, device=self.wte.device)
        self.values = torch.zeros_like(self.keys)
        self.length = 0

    def run(self, ids: list[int]):
        """Feed ``ids`` after what is cached (restarting when the cache would overflow); logits of the last one."""
        import torch
        import torch.nn.functional as F

        if self.length + len(ids) > self.n_ctx:
            raise ValueError("context overflow")  # callers restart with a shorter context first
        dev = self.wte.device
        n = len(ids)
        pos = torch.arange(self.length, self.length + n, device=dev)
        x = self.wte[torch.tensor(ids, device=dev)] + self.wpe[pos]
        x = x.unsqueeze(0)
        end = self.length + n
        for i, (g1, b1, wa, ba, wp, bp, g2, b2, wf, bf, wo, bo) in enumerate(self.blocks):
            h = F.layer_norm(x, (x.shape[-1],), g1, b1, self.eps)
            q, k, v = torch.addmm(ba, h[0], wa).split(x.shape[-1], dim=-1)
            q, k, v = (z.view(n, self.n_head, self.head_dim).transpose(0, 1).unsqueeze(0) for z in (q, k, v))
            self.keys[i, :, :, self.length:end] = k
            self.values[i, :, :, self.length:end] = v
            keys, values = self.keys[i, :, :, :end], self.values[i, :, :, :end]
            if n == 1:
                a = F.scaled_dot_product_attention(q, keys, values)
            else:
                mask = torch.ones(n, end, dtype=torch.bool, device=dev).tril(diagonal=self.length)
                a = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask)
            a = a.squeeze(0).transpose(0, 1).reshape(n, -1)
            x = x + torch.addmm(bp, a, wp).unsqueeze(0)
            h = F.layer_norm(x, (x.shape[-1],), g2, b2, self.eps)
            h = F.gelu(torch.addmm(bf, h[0], wf), approximate="tanh")
            x = x + torch.addmm(bo, h, wo).unsqueeze(0)
        self.length = end
        last = F.layer_norm(x[0, -1], (x.shape[-1],), *self.ln_f, self.eps)
        return self.wte @ last

    def restart(self, ids: list[int]):
        """Forget the cache and feed ``ids`` from position 0."""
        self.length = 0
        return self.run(ids)


def _sample_loop(model, forced, motif_words, *, n_tokens, temperature, top_k, seed, stop_at_eos, motif, tonic,
                 scale, meter) -> Melody:
    import torch

    start = time.perf_counter()
    dev = next(model.parameters()).device
    masks = _grammar_masks(dev)
    generator = torch.Generator(device=dev).manual_seed(seed)
    n_ctx = model.config.n_positions
    words: list[str] = list(forced)
    # the meter, when not given, is sampled before the motif is forced in
    pending = list(motif_words)
    prompt_length = len(forced) + len(motif_words)
    sampled = 0
    with torch.inference_mode():
        decoder = _Decoder(model)
        logits = decoder.restart(tok.ids(words))
        while True:
            if pending and any(w.startswith("M:") for w in words):
                word = pending.pop(0)
            else:
                if sampled >= n_tokens:
                    break
                scores = logits.float() / temperature
                scores = scores.masked_fill(~masks[tok.kind(words[-1])], float("-inf"))
                if top_k is not None:
                    kth = torch.topk(scores, min(top_k, scores.shape[-1])).values[-1]
                    scores = scores.masked_fill(scores < kth, float("-inf"))
                probs = torch.softmax(scores, dim=-1)
                word = tok.VOCAB[int(torch.multinomial(probs, 1, generator=generator))]
                sampled += 1
            words.append(word)
            if word == tok.EOS and stop_at_eos:
                break
            if not pending and sampled >= n_tokens:
                break
            if decoder.length >= n_ctx:  # context full: continue from the last half
                logits = decoder.restart(tok.ids(words[-(n_ctx // 2):]))
            else:
                logits = decoder.run([tok.TOKEN_TO_ID[word]])
    seconds = time.perf_counter() - start
    params = {"n_tokens": n_tokens, "temperature": temperature, "top_k": top_k,
              "motif": None if motif is None else str(motif), "tonic": tonic,
              "scale": scale if isinstance(scale, str)
              else getattr(scale, "name", list(getattr(scale, "steps", scale))),
              "meter": meter, "stop_at_eos": stop_at_eos}
    return Melody(words, tok.decode(words), tok.meter_of(words), seed, prompt_length, seconds, params)


# --------------------------------------------------------------------------------------------------------------
# Evaluation


def sample_statistics(melodies) -> dict[str, float]:
    """In-scale ratio and repetition of decoded melodies (lists of MelodyNote, or :class:`Melody`).

    ``in_scale_ratio``: share of notes with no alteration (notes of the key). ``repeated_4gram_fraction``: share of
    4-note groups (degree, octave, alteration, duration) that repeat an earlier group of the same melody, 0 for
    no repetition. ``notes_per_melody``: mean number of notes.
    """
    notes_total = in_scale = grams_total = grams_repeated = 0
    lengths = []
    for m in melodies:
        notes = m.notes if isinstance(m, Melody) else m
        pitched = [n for n in notes if n.degree is not None]
        notes_total += len(pitched)
        in_scale += sum(n.alteration == 0 for n in pitched)
        keys = [(n.degree, n.octave, n.alteration, n.duration) for n in notes]
        seen = set()
        for i in range(len(keys) - 3):
            gram = tuple(keys[i:i + 4])
            grams_total += 1
            if gram in seen:
                grams_repeated += 1
            seen.add(gram)
        lengths.append(len(pitched))
    return {
        "in_scale_ratio": in_scale / notes_total if notes_total else 0.0,
        "repeated_4gram_fraction": grams_repeated / grams_total if grams_total else 0.0,
        "notes_per_melody": statistics.fmean(lengths) if lengths else 0.0,
    }


def evaluate(split: str = "test", *, path: str | os.PathLike | None = None, device: str | None = "auto",
             sequences=None, n_samples: int = 20, n_tokens: int = 256, seed: int = 0,
             progress: bool = False) -> dict[str, Any]:
    """Per-token negative log-likelihood of held-out tunes under the model and its baselines, and statistics of
    samples.

    Parameters
    ----------
    split : {"test", "validation", "train"}
        Split of the folk-tune corpus (parsed once and cached, see :func:`workshop_kit.music.corpus.load_corpus`).
    sequences : list of list of str, optional
        Token sequences to score instead of a corpus split (e.g. ``heldout_sample.txt`` beside the weights).
    n_samples, n_tokens, seed : int
        Melodies sampled for the statistics (seeds ``seed`` .. ``seed + n_samples - 1``), 0 for none.

    Returns
    -------
    dict
        ``nll`` (nats per token: ``model``, ``unigram``, ``bigram``), ``tokens``, ``tunes``; ``samples`` and
        ``reference`` (the same statistics on the held-out tunes themselves).
    """
    from .corpus import SPLITS, load_corpus

    if sequences is None:
        if split not in SPLITS:
            raise ParameterError("split", split, list(SPLITS))
        sequences = [t.tokens for t in load_corpus(progress=progress).split(split)]
        source = f"corpus:{split}"
    else:
        source = "given"
    model = load_model(path=path, device=device)
    n_ctx = model.config.n_positions
    id_seqs = [tok.ids(s)[:n_ctx] for s in sequences]
    baselines = load_baselines(path=path)
    model_total, n = sequence_nll(model, id_seqs)
    result: dict[str, Any] = {"split": source, "tunes": len(id_seqs), "tokens": n, "nll": {"model": model_total / n}}
    for name, base in baselines.items():
        total, count = base.nll(id_seqs)
        result["nll"][name] = total / count
    samples = [sample(n_tokens=n_tokens, seed=seed + i, path=path, device=device) for i in range(n_samples)]
    result["samples"] = sample_statistics(samples) if samples else {}
    result["samples"]["n"] = len(samples)
    result["reference"] = sample_statistics([tok.decode(s) for s in sequences])
    return result


# --------------------------------------------------------------------------------------------------- engine
def _meter_for(rhythm) -> str:
    """The time signature the model writes in for a rhythm cycle (its beats, binary or ternary)."""
    if rhythm.subdivision == 3:
        return {2: "6/8", 3: "9/8", 4: "12/8"}.get(rhythm.beats, "6/8")
    return {2: "2/4", 3: "3/4", 4: "4/4", 5: "5/4"}.get(rhythm.beats, "4/4")


def generate(*, scale: str = "hijaz", rhythm: str = "gnawa", bars: int = 16, tempo: float | None = None,
             tonic: str = "D", temperature: float = 1.0, top_k: int | None = None, motif: object = None,
             seed: int | None = None, device: str | None = "auto",
             model_path: str | os.PathLike | None = None) -> AudioResult:
    """A melody written by the melody model, placed in ``scale``, arranged over ``rhythm`` and rendered.

    The model writes scale degrees; the kit places them in the scale or maqam (quarter tones included), then the
    rule-based arranger (:func:`workshop_kit.music.arrange.compose`) adds the bass and the percussion cycle of the
    rhythm, as for the ``rules`` engine. A melody shorter than the piece is played again, as folk tunes repeat their
    strains.

    Parameters
    ----------
    scale, rhythm, bars, tempo, tonic
        As for the ``rules`` engine (:func:`workshop_kit.music.rules.generate`).
    temperature : float
        Above 0, at most 5: below 1 is safer and more repetitive, above 1 more surprising.
    top_k : int, optional
        Sample only among the ``top_k`` likeliest words.
    motif : str or path, optional
        Opening notes to continue, as note names in ``tonic``'s key (``"D4 E4 F4 G4"``) or a MIDI file.
    seed : int or None
        The same seed gives the same piece; ``None`` draws one (returned in ``result.seed``).
    device : str
        Where the model samples (``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``); rendering runs on the CPU.
    model_path : path, optional
        Another melody model folder, such as one :func:`workshop_kit.music.finetune.finetune` wrote from your own
        tunes (default: the shipped model, or the folder named by ``WORKSHOP_KIT_MELODY_MODEL``).
    """
    ENGINE.check(locals())
    import numpy as np

    from ..device import resolve_device
    from ..results import AudioResult
    from .render import SAMPLE_RATE
    from .arrange import check_piece, compose, render_piece
    from .theory import RHYTHMS, SCALES, TONICS

    began = time.perf_counter()
    piece = check_piece(scale=scale, rhythm=rhythm, bars=bars, tempo=tempo, tonic=tonic)
    seed = resolve_seed(seed)
    device = resolve_device(device)
    rhythm_obj, scale_obj = RHYTHMS[piece["rhythm"]], SCALES[piece["scale"]]
    quarters_per_beat = 1.5 if rhythm_obj.subdivision == 3 else 1.0
    total_quarters = piece["bars"] * rhythm_obj.beats * quarters_per_beat
    melody, line, notes = _melody_with_notes(
        seed, place=dict(scale=scale_obj.steps, tonic=60 + TONICS[piece["tonic"]]),
        n_tokens=min(1024, int(total_quarters * 6) + 32), temperature=temperature, top_k=top_k, motif=motif,
        tonic=piece["tonic"], scale=scale_obj.steps if len(scale_obj.steps) == 7 else "major",
        meter=_meter_for(rhythm_obj), device=device, path=model_path)
    length = max(melody.beats, 1e-6)
    lead, offset = [], 0.0
    while offset < total_quarters:  # play the tune again until the piece is full
        for onset, duration, pitch in line:
            start = offset + onset
            if start >= total_quarters:
                break
            lead.append((start / quarters_per_beat, min(duration, total_quarters - start) / quarters_per_beat, pitch))
        offset += length
    score = compose(scale=scale_obj, rhythm=rhythm_obj, bars=piece["bars"], tempo=float(piece["tempo"]),
                    tonic=TONICS[piece["tonic"]], rng=np.random.default_rng(seed), lead=lead)
    params = {**piece, "temperature": temperature, "top_k": top_k, "motif": None if motif is None else str(motif),
              "meter": melody.meter, "melody_tokens": len(melody.tokens), "melody_seed": melody.seed,
              "melody_to_the_end": not melody.params["stop_at_eos"],
              "model_path": None if model_path is None else str(model_path)}
    return AudioResult(engine="melody-model", seed=seed, params=params, device=device,
                       seconds=time.perf_counter() - began, audio=render_piece(score, piece), sample_rate=SAMPLE_RATE,
                       score=score, model=MODEL.record(model_path), notes=notes)


ATTEMPTS = 8
"""Melodies :func:`generate` samples, from seeds drawn from the piece's, before it writes one to the end."""


def attempt_seed(seed: int, attempt: int) -> int:
    """The seed of the ``attempt``-th melody sampled for a piece of seed ``seed``: ``seed`` itself first, then seeds
    derived from it (the same on every machine), so that the same seed always gives the same piece."""
    if attempt == 0:
        return seed
    import numpy as np

    return int(np.random.SeedSequence([seed, attempt]).generate_state(1)[0])


def _melody_with_notes(seed: int, *, place: dict, **options) -> tuple[Melody, list, list[str]]:
    """A melody that holds at least one note, its timeline (placed with ``place``) and what the result should say.

    The model may end a tune before any note (a rest, then the end: 2 of 400 random seeds). Then it samples again
    from :func:`attempt_seed`, up to :data:`ATTEMPTS` melodies; if none holds a note, it writes one last melody with
    the piece's own seed without letting the model end it. A model that writes no note even so (an untrained or
    broken one) raises a :class:`~workshop_kit.errors.WorkshopKitError` in the three languages.
    """
    from ..errors import WorkshopKitError
    from ..i18n import Msg

    for attempt in range(ATTEMPTS):
        melody = sample(seed=attempt_seed(seed, attempt), **options)
        line = melody.timeline(**place)
        if line:
            said = [] if attempt == 0 else [
                f"the melody model ended its tune before any note with seed {seed}: the melody was written with "
                f"seed {melody.seed}, drawn from it"]
            return melody, line, said
    melody = sample(seed=seed, stop_at_eos=False, **options)
    line = melody.timeline(**place)
    if line:
        return melody, line, [f"the melody model ended its tune before any note {ATTEMPTS} times: the melody of "
                              f"seed {seed} was written to its full length"]
    raise WorkshopKitError(Msg("error.melody_no_note"))


