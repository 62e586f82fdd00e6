"""Reading a participant's folder of their own work, and choosing where a fine-tuned model goes.

Shared by the fine-tuning of the melody model (tunes) and of the motif diffusion model (pictures): the folder walk
is bounded so that a home folder given by mistake is not read to the end, files that cannot be used are reported by
name and skipped, and a shipped model's folder is never written to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from .errors import ParameterError
from .i18n import Msg, Plain, recognise


class Skipped(NamedTuple):
    """A file (or a tune of an ABC file, ``name#3``) that was not used, and why."""

    name: str
    reason: str


def list_files(folder: Path, suffixes: Iterable[str], *, max_files: int, max_entries: int,
               max_file_bytes: int | None = None, others: str = "file(s) of other formats"
               ) -> tuple[list[Path], list[str], list[Skipped]]:
    """Files of ``folder`` and its sub-folders with one of ``suffixes``, in name order, at most ``max_files``.

    The walk stops after ``max_entries`` entries; hidden files and folders are left out. Returns the files, notes on
    what was left out, and the files skipped for their size (over ``max_file_bytes``).
    """
    suffixes = {s.lower() for s in suffixes}
    files: list[Path] = []
    notes: list[str] = []
    skipped: list[Skipped] = []
    n_others = hidden = seen = 0
    done = False
    for current, dirs, names in os.walk(folder):
        hidden += sum(1 for d in dirs if d.startswith("."))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            seen += 1
            if seen > max_entries:
                notes.append(f"the folder holds more than {max_entries} entries: the rest was not looked at")
                done = True
                break
            path = Path(current) / name
            rel = path.relative_to(folder).as_posix()
            if name.startswith("."):
                hidden += 1
                continue
            if path.suffix.lower() not in suffixes or not path.is_file():
                n_others += 1
                continue
            if len(files) >= max_files:
                notes.append(f"{rel} and the files after it were left out: at most {max_files} files are read")
                done = True
                break
            if max_file_bytes is not None and (size := path.stat().st_size) > max_file_bytes:
                skipped.append(Skipped(rel, f"too large ({size / 2**20:.1f} MB; at most "
                                            f"{max_file_bytes / 2**20:.0f} MB)"))
                continue
            files.append(path)
        if done:
            break
    if n_others:
        notes.append(f"{n_others} {others} left out")
    if hidden:
        notes.append(f"{hidden} hidden file(s) or folder(s) left out")
    return files, notes, skipped


def too_few(folder: object, found: int, needed: int, skipped: list[Skipped], *, what: Msg | tuple[str, str],
            allowed: Msg | tuple[str, str]) -> ParameterError:
    """The error for a folder with fewer than ``needed`` usable items.

    ``what`` names the items (``Msg`` or an (en, fr) pair, plural: "tunes"), ``allowed`` says what the folder
    should hold (``Msg`` or (en, fr)).
    """
    what = what if isinstance(what, Msg) else recognise(what[0]) or Plain(*what)
    allowed = allowed if isinstance(allowed, Msg) else recognise(allowed[0]) or Plain(*allowed)
    reason = Msg("reason.too_few", found=found, what=what, needed=needed)
    if skipped:
        shown = [f"{s.name}: {s.reason}" for s in skipped[:5]]
        more = Msg("reason.and_more", n=len(skipped) - 5) if len(skipped) > 5 else ""
        reason = Msg("reason.too_few.skipped", found=found, what=what, needed=needed, shown=shown, more=more)
    return ParameterError("folder", str(folder), allowed, reason=reason)


def check_out_dir(out_dir: object, *, protected: Iterable[Path], inputs: Path, marker: str) -> Path:
    """Where a fine-tuned model may be written: never a ``protected`` (shipped or base) model folder, never the
    participant's ``inputs`` folder or inside it, and not a folder holding other files — unless an earlier
    fine-tuning wrote it (its ``marker`` file names ``"finetune"``)."""
    if not isinstance(out_dir, (str, os.PathLike)) or not str(out_dir).strip():
        raise ParameterError("out_dir", out_dir, Msg("allowed.out_dir"))
    out = Path(out_dir).expanduser()
    resolved = out.resolve()
    if any(resolved == p.resolve() for p in protected):
        raise ParameterError("out_dir", str(out_dir), Msg("allowed.new_model_folder"), reason=Msg("reason.base_model"))
    if resolved == inputs.resolve() or inputs.resolve() in resolved.parents:
        raise ParameterError("out_dir", str(out_dir), Msg("allowed.outside_inputs"))
    if out.exists() and not out.is_dir():
        raise ParameterError("out_dir", str(out_dir), Msg("allowed.folder_path"), reason=Msg("reason.is_file"))
    if out.is_dir():
        entries = [p for p in out.iterdir() if not p.name.startswith(".")]
        marker_path = out / marker
        ours = marker_path.is_file() and '"finetune"' in marker_path.read_text(encoding="utf-8", errors="replace")
        if entries and not ours:
            raise ParameterError("out_dir", str(out_dir), Msg("allowed.empty_or_ours"),
                                 reason=Msg("reason.other_files"))
    return out
