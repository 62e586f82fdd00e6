"""The one skeleton of the kit's training scripts: time budget, learning rate, progress, held-out check, writing.

Three full trainers (:mod:`workshop_kit.music.train_melody`, :mod:`workshop_kit.image.train_motifs` with
:mod:`workshop_kit.image.motif_classifier`, :mod:`workshop_kit.mesh.train_shapes`) and two fine-tunings
(:mod:`workshop_kit.music.finetune`, :mod:`workshop_kit.image.finetune`) are written with these pieces:

- :class:`Budget`: a time budget, counted from its creation;
- :class:`Schedule`: the learning rate at each step — a linear warm-up then a cosine down to a floor, a constant
  rate after the warm-up, or torch's one-cycle;
- :class:`ProgressBar`: a bar (``tqdm.auto``, drawn as a widget in a notebook) that ``enabled=False`` silences;
- :class:`BestState`: the held-out check, which keeps the state of the best-scoring model and counts the checks
  without improvement (the patience);
- :func:`output_folder` and :func:`write_results`: where a full trainer writes, and the metrics and model card
  written last. A model folder is always written through :func:`workshop_kit.shipped.staged_folder`: everything,
  evaluation figures and model card included, goes into a fresh folder that then replaces the old one at once;
- :func:`command`: a script's command line, with the flags they share (``--minutes``, ``--seed``, ``--out``,
  ``--quiet``) and the kit's exit status (0, 2 with one line on a bad argument, 1 on another failure).

>>> from workshop_kit.training import Schedule
>>> schedule = Schedule("cosine", peak=1e-3, warmup=10, total=110, floor=0.1)
>>> [round(schedule.lr(step), 6) for step in (0, 9, 60, 110)]
[0.0001, 0.001, 0.00055, 0.0001]

Nothing here imports torch or tqdm at import time.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ParameterError, WorkshopKitError
from .validation import check_choice, check_float

__all__ = [
    "SCHEDULES",
    "Budget",
    "Schedule",
    "ProgressBar",
    "BestState",
    "check_minutes",
    "output_folder",
    "folder_note",
    "fmt",
    "reflow",
    "write_card",
    "write_results",
    "command",
]

#: The learning-rate schedules of :class:`Schedule`.
SCHEDULES = ("cosine", "constant", "one-cycle")
#: One-cycle, as torch's ``OneCycleLR`` by default: it starts at ``peak / 25`` and ends at that divided by 10 000,
#: while AdamW's first beta goes from 0.95 down to 0.85 at the peak and back.
ONE_CYCLE_DIV, ONE_CYCLE_FINAL_DIV, ONE_CYCLE_MOMENTUM = 25.0, 1e4, (0.85, 0.95)

METRICS_FILE = "metrics.json"


# --------------------------------------------------------------------------------------------------- time budget
def check_minutes(minutes: object, *, high: float, low: float = 0.0, optional: bool = False) -> float | None:
    """``minutes`` checked at the door: a number from ``low`` to ``high`` (above 0 when ``low`` is 0), or ``None``
    when ``optional``.

    Raises
    ------
    ParameterError
        Naming the value and the range allowed.
    """
    if minutes is None and optional:
        return None
    if low > 0:
        return check_float("minutes", minutes, low, high)
    try:
        value = check_float("minutes", minutes, 0.0, high)
    except ParameterError:
        value = 0.0
    if value <= 0:
        raise ParameterError("minutes", minutes, f"a number above 0 and at most {high:g}",
                             allowed_fr=f"un nombre supérieur à 0 et d'au plus {high:g}")
    return value


class Budget:
    """A time budget, counted from the moment it is made.

    Parameters
    ----------
    minutes : float, optional
        The budget; ``None`` for no limit (the training stops on its steps or epochs).
    clock : callable
        Seconds from some origin (default :func:`time.perf_counter`).
    """

    def __init__(self, minutes: float | None, *, clock: Callable[[], float] = time.perf_counter):
        self.seconds = math.inf if minutes is None else float(minutes) * 60.0
        self._clock = clock
        self.start = clock()

    @property
    def elapsed(self) -> float:
        """Seconds since the budget started."""
        return self._clock() - self.start

    @property
    def spent(self) -> bool:
        return self.elapsed >= self.seconds

    @property
    def fraction(self) -> float:
        """Share of the budget spent, from 0 (0 all along when there is no limit)."""
        return 0.0 if math.isinf(self.seconds) else self.elapsed / self.seconds

    def __repr__(self) -> str:
        return f"Budget(seconds={self.seconds:g}, elapsed={self.elapsed:.1f})"


# ------------------------------------------------------------------------------------------------ learning rate
def _anneal(start: float, end: float, pct: float) -> float:
    """From ``start`` to ``end`` along half a cosine, ``pct`` from 0 to 1 (torch's ``OneCycleLR`` formula)."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


@dataclass(frozen=True)
class Schedule:
    """The learning rate at each optimiser step.

    Parameters
    ----------
    kind : {"cosine", "constant", "one-cycle"}
        ``"cosine"``: a linear warm-up from ``peak / warmup`` to ``peak`` over ``warmup`` steps, then half a cosine
        from ``peak`` down to ``floor * peak`` at step ``total`` (or at the end of the time budget, when
        :meth:`lr` is given the share of it spent). ``"constant"``: the same warm-up, then ``peak``.
        ``"one-cycle"``: torch's ``OneCycleLR`` — half a cosine from ``peak / 25`` up to ``peak`` at step
        ``warmup - 1``, then down to ``peak / 25 / 10 000`` at step ``total - 1``; the optimiser's momentum (AdamW's
        first beta) goes the other way, 0.95 → 0.85 → 0.95.
    peak : float
        Highest learning rate, above 0 and at most 10.
    warmup : float
        Steps of the warm-up (one-cycle: of the rise, e.g. ``0.15 * total``); 0 for none.
    total : int, optional
        Steps of the whole schedule. Needed by ``"one-cycle"``, and by ``"cosine"`` unless it follows the budget.
    floor : float
        ``"cosine"``: the last learning rate, as a share of ``peak`` (0 to 1).
    """

    kind: str
    peak: float
    warmup: float = 0.0
    total: int | None = None
    floor: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "kind", check_choice("kind", self.kind, SCHEDULES))
        check_float("peak", self.peak, 1e-12, 10.0)
        check_float("warmup", self.warmup, 0.0, 1e9)
        check_float("floor", self.floor, 0.0, 1.0)
        if self.total is not None and (isinstance(self.total, bool) or not isinstance(self.total, int)
                                       or self.total < 1):
            raise ParameterError("total", self.total, "a whole number of steps, at least 1, or None")
        if self.kind == "one-cycle" and self.total is None:
            raise ParameterError("total", None, "a whole number of steps (a one-cycle schedule needs its length)")

    def lr(self, step: int, *, progress: float | None = None) -> float:
        """The learning rate of step ``step`` (from 0).

        ``progress``, the share of a time budget spent (0 to 1), replaces ``step / total`` as the position along the
        cosine: the warm-up then multiplies the cosine.
        """
        if self.kind == "one-cycle":
            return self._one_cycle(step)[0]
        warm = min(1.0, (step + 1) / self.warmup) if self.warmup else 1.0
        if self.kind == "constant":
            return self.peak * warm
        if progress is None:
            if self.total is None:
                raise ParameterError("progress", None, "the share of the time budget spent (this cosine schedule "
                                                       "has no number of steps)")
            progress = (step - self.warmup) / max(1, self.total - self.warmup)
        progress = min(1.0, max(0.0, progress))
        return self.peak * warm * (self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * progress)))

    def momentum(self, step: int) -> float | None:
        """The first beta of AdamW (or the momentum) at ``step`` for ``"one-cycle"``; ``None`` for the others."""
        return self._one_cycle(step)[1] if self.kind == "one-cycle" else None

    def _one_cycle(self, step: int) -> tuple[float, float]:
        low_m, high_m = ONE_CYCLE_MOMENTUM
        start = self.peak / ONE_CYCLE_DIV
        end = start / ONE_CYCLE_FINAL_DIV
        top = float(self.warmup) - 1  # the step at which the rate peaks, as OneCycleLR counts it
        last = self.total - 1
        if step <= top:
            pct = step / top if top > 0 else 1.0
            return _anneal(start, self.peak, pct), _anneal(high_m, low_m, pct)
        pct = (step - top) / (last - top) if last > top else 1.0
        return _anneal(self.peak, end, min(pct, 1.0)), _anneal(low_m, high_m, min(pct, 1.0))

    def apply(self, optimizer, step: int, *, progress: float | None = None) -> float:
        """Set the learning rate of step ``step`` (and the momentum, for one-cycle) on ``optimizer``; return it."""
        lr = self.lr(step, progress=progress)
        momentum = self.momentum(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
            if momentum is not None:
                if "betas" in group:
                    group["betas"] = (momentum, *group["betas"][1:])
                elif "momentum" in group:
                    group["momentum"] = momentum
        return lr


# ------------------------------------------------------------------------------------------------------ progress
class ProgressBar:
    """A progress bar (``tqdm.auto``) that ``enabled=False`` silences.

    Moved by steps (:meth:`advance`) or set to a position (:meth:`at`, e.g. the seconds of a budget spent); both,
    and :meth:`show`, take figures to show beside it (``loss="0.123"``). Closes at the end of a ``with`` block.
    """

    def __init__(self, *, total: float, desc: str, unit: str, enabled: bool = True):
        from tqdm.auto import tqdm

        self.total = int(total)
        self._bar = tqdm(total=self.total, desc=desc, unit=unit, disable=not enabled)

    def advance(self, n: int = 1, **figures: Any) -> None:
        if figures:
            self._bar.set_postfix(figures, refresh=False)
        self._bar.update(n)

    def show(self, **figures: Any) -> None:
        """Show ``figures`` beside the bar, which stays where it is."""
        self._bar.set_postfix(figures)

    def at(self, position: float, **figures: Any) -> None:
        self._bar.n = min(int(position), self.total)
        if figures:
            self._bar.set_postfix(figures, refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ------------------------------------------------------------------------------------------------ held-out check
class BestState:
    """The held-out check: the weights of the best-scoring model (lower is better), and the checks since then.

    Parameters
    ----------
    patience : int, optional
        Checks without improvement after which :attr:`exhausted` is true; ``None``: never.
    min_delta : float
        How much lower than the best a score must be to count as an improvement.

    Attributes
    ----------
    score : float
        The best score so far (``inf`` before the first check).
    at : object
        What :meth:`check` was told about the best check (a step or an epoch).
    bad : int
        Checks since the last improvement.
    """

    def __init__(self, *, patience: int | None = None, min_delta: float = 0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.score = math.inf
        self.state: dict | None = None
        self.at: Any = None
        self.bad = 0

    def check(self, score: float, model, *, at: Any = None) -> bool:
        """Compare ``score`` with the best; on an improvement keep a copy of ``model``'s weights. True if better."""
        if score < self.score - self.min_delta:
            self.score, self.at, self.bad = score, at, 0
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return True
        self.bad += 1
        return False

    @property
    def exhausted(self) -> bool:
        """True when ``patience`` checks in a row brought no improvement."""
        return self.patience is not None and self.bad >= self.patience

    def restore(self, model):
        """Put the best weights back into ``model`` (nothing when no check kept any); return ``model``."""
        if self.state is not None:
            model.load_state_dict(self.state)
        return model


# -------------------------------------------------------------------------------------------------------- writing
def output_folder(model, out_dir: str | os.PathLike | None) -> Path:
    """Where a full trainer writes ``model`` (a :class:`workshop_kit.shipped.ShippedModel`): ``out_dir``, else the
    folder shipped in the package. Refuses a path that names a file."""
    if out_dir is None:
        return model.shipped_folder()
    allowed = f"a folder for the {model.description}"
    allowed_fr = f"un dossier pour le modèle ({model.description_fr()})"
    if not isinstance(out_dir, (str, os.PathLike)) or not str(out_dir).strip():
        raise ParameterError("out_dir", out_dir, allowed, allowed_fr=allowed_fr)
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise ParameterError("out_dir", str(out_dir), allowed, reason="this is a file", allowed_fr=allowed_fr,
                             reason_fr="c'est un fichier")
    return out


def folder_note(model, out: Path) -> str:
    """A line saying how to use a model just written to ``out`` when the kit reads another folder ('' if not)."""
    reads = model.folder()
    try:
        if reads.resolve() == Path(out).resolve():
            return ""
    except OSError:  # pragma: no cover - an unreadable folder is another folder
        pass
    if os.environ.get(model.env_var, "").strip():
        return f"note: the kit reads the {model.description} in {reads} (${model.env_var}), not this one"
    return f"note: the kit reads the shipped {model.description}; set ${model.env_var}={out} to use this one"


def fmt(value: float | None, spec: str = ".3f", missing: str = "n/a") -> str:
    """``value`` formatted with ``spec`` for a model card, or ``missing`` when there is none."""
    return missing if value is None else format(value, spec)


def reflow(text: str) -> str:
    """Join the lines of each plain paragraph and list item (tables, headings and code are left as they are), so
    that a card's source may wrap where the file holds one line per paragraph."""
    out: list[str] = []
    in_code = False
    for line in text.split("\n"):
        if line.startswith("```"):
            in_code = not in_code
            out.append(line)
            continue
        plain = line and not in_code and not line.startswith(("|", "#", "- ", "  "))
        prev = out[-1] if out else ""
        prev_plain = prev and not prev.startswith(("|", "#", "- ", "  ", "```")) and not in_code
        if plain and prev_plain:
            out[-1] = prev + " " + line
        elif line.startswith("  ") and prev.startswith(("- ", "  ")) and not in_code:
            out[-1] = prev + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def write_card(folder: str | os.PathLike, text: str) -> Path:
    """Write ``MODEL_CARD.md`` in ``folder`` (a staged model folder): ``text`` reflowed, ending with a newline."""
    from .shipped import CARD_FILE

    path = Path(folder) / CARD_FILE
    path.write_text(reflow(text).rstrip("\n") + "\n", encoding="utf-8")
    return path


def write_results(folder: str | os.PathLike, metrics: dict, card: str) -> None:
    """Write ``metrics.json`` and the model card, the last files of a staged model folder."""
    from .files import write_json

    write_json(Path(folder) / METRICS_FILE, metrics)
    write_card(folder, card)


# --------------------------------------------------------------------------------------------------- command line
class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, exit 2, as the rest of the ``workshop-kit`` command."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise _UsageError(f"{self.prog}: {message}")


def command(prog: str, description: str, run: Callable[[argparse.Namespace], str], *,
            options: Callable[[argparse.ArgumentParser], None] | None = None, minutes: float | None,
            minutes_help: str, out_help: str, out_required: bool = False) -> Callable[[Sequence[str] | None], int]:
    """A training script's ``main(argv) -> int``.

    Parameters
    ----------
    prog, description : str
        Shown by ``--help`` and at the start of an error line.
    run : callable
        Does the work from the parsed arguments and returns what to print.
    options : callable, optional
        Adds the script's own flags to the parser.
    minutes : float, optional
        The default of ``--minutes`` (``None``: no time limit unless one is given).
    minutes_help, out_help : str
        Help of ``--minutes`` and ``--out``.
    out_required : bool
        Whether ``--out`` must be given (the fine-tunings).

    Returns
    -------
    callable
        ``main(argv=None)``: 0 on success; 2 with one line on stderr for a bad argument, before any work; 1 with one
        line for another failure the kit foresees (a missing model, say).
    """

    def main(argv: Sequence[str] | None = None) -> int:
        parser = _Parser(prog=prog, description=description)
        parser.add_argument("--minutes", type=float, default=minutes, help=minutes_help)
        parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
        parser.add_argument("--out", required=out_required, default=None, help=out_help)
        parser.add_argument("--quiet", action="store_true", help="no progress bars")
        if options is not None:
            options(parser)
        try:
            text = run(parser.parse_args(argv))
        except SystemExit as exc:  # --help
            return int(exc.code or 0)
        except _UsageError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        except ParameterError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 2
        except WorkshopKitError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return 1
        sys.stdout.write(text.rstrip("\n") + "\n")
        return 0

    return main
