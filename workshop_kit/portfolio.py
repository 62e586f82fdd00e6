"""A small portfolio to take home: a page that opens in any browser, the files, and how each piece was made.

>>> import workshop_kit as wk
>>> pieces = {"Ma musique": wk.music.generate(bars=2, seed=0), "Mon image": wk.image.generate(size=128, seed=0)}
>>> folio = wk.portfolio.export_portfolio("mon_portfolio", pieces, title="Fès", author="Sara")  # doctest: +SKIP
>>> folio.page, folio.archive                                                                 # doctest: +SKIP
(PosixPath('mon_portfolio/index.html'), PosixPath('mon_portfolio.zip'))

Each piece is saved with ``result.save()`` (so each file has its provenance sidecar): a picture as PNG, a piece of
music as WAV and MIDI, an object as GLB and STL with a preview picture. ``index.html`` shows them (nothing loaded
from the internet), with the engine, the seed, the device, the model and its licence, and the settings. The folder
is written whole or not at all, and zipped beside itself.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ParameterError
from .files import write_json
from .provenance import now_iso

__all__ = ["Portfolio", "export_portfolio"]

MARKER = "portfolio.json"
"""Written in every portfolio folder: a folder holding it may be replaced by a new export, no other folder."""

MAX_PIECES = 24
MAX_TEXT = 200


@dataclass
class Portfolio:
    """An exported portfolio: its folder, its page, its zip archive and the files in it."""

    folder: Path
    page: Path
    archive: Path | None
    files: list[Path] = field(default_factory=list)

    def _repr_html_(self) -> str:
        names = ", ".join(html.escape(p.name) for p in self.files)
        zipped = f" — <code>{html.escape(str(self.archive))}</code>" if self.archive else ""
        return (f"<p>Portfolio : <code>{html.escape(str(self.page))}</code>{zipped}</p>"
                f"<p style='font-size:0.9em'>{names}</p>")


def _text(name: str, value: Any, *, optional: bool = False) -> str:
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise ParameterError(name, value if not isinstance(value, str) else value[:40],
                             f"a text of 1 to {MAX_TEXT} characters",
                             allowed_fr=f"un texte de 1 à {MAX_TEXT} caractères")
    return " ".join(value.split())


def _stem(label: str, used: set[str]) -> str:
    ascii_only = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii").lower()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:40] or "piece"
    candidate, n = stem, 2
    while candidate in used:
        candidate, n = f"{stem}-{n}", n + 1
    used.add(candidate)
    return candidate


def _check_folder(folder: Any) -> Path:
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise ParameterError("folder", folder, "a folder path for the portfolio",
                             allowed_fr="un chemin de dossier pour le portfolio")
    path = Path(folder).expanduser()
    if not path.parent.is_dir():
        raise ParameterError("folder", str(folder), "a folder inside an existing folder",
                             reason=f"{path.parent} does not exist", allowed_fr="un dossier dans un dossier existant",
                             reason_fr=f"{path.parent} n'existe pas")
    if path.exists() and (not path.is_dir() or (any(path.iterdir()) and not (path / MARKER).is_file())):
        raise ParameterError("folder", str(folder), "a new folder, or a portfolio exported before",
                             reason="this path already holds other files",
                             allowed_fr="un nouveau dossier, ou un portfolio exporté avant",
                             reason_fr="ce chemin contient déjà d'autres fichiers")
    return path


def _files_of(result) -> list[tuple[str, Any]]:
    """(extension, what to save) of one piece, the main file first."""
    from .mesh.result import MeshResult
    from .results import AudioResult, ImageResult

    if isinstance(result, ImageResult):
        return [(".png", result)]
    if isinstance(result, AudioResult):
        return [(".wav", result)] + ([(".mid", result)] if result.score is not None else [])
    if isinstance(result, MeshResult):
        return [(".glb", result), (".stl", result), ("-preview.png", result.preview(size=480))]
    raise ParameterError("pieces", type(result).__name__, "results of wk.music, wk.image or wk.mesh",
                         allowed_fr="des résultats de wk.music, wk.image ou wk.mesh")


_CSS = """
body { font-family: system-ui, "Noto Sans", sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       color: #1B1F4B; background: #FDFBF3; }
h1 { margin-bottom: 0; } .by { margin-top: 0.2rem; color: #555; }
section { border-top: 1px solid #ddd; padding: 1rem 0; }
img { max-width: 100%; border-radius: 0.3rem; } audio { width: 100%; }
table { border-collapse: collapse; font-size: 0.9rem; } td { padding: 0.15rem 0.6rem 0.15rem 0; vertical-align: top; }
td:first-child { color: #555; white-space: nowrap; }
"""


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value)
    return str(value)


def _section(label: str, result, files: list[Path]) -> str:
    main = files[0].name
    if main.endswith(".wav"):
        shown = f'<audio controls src="{html.escape(main)}"></audio>'
    elif main.endswith(".glb"):
        preview = next(p.name for p in files if p.name.endswith("-preview.png"))
        shown = f'<img src="{html.escape(preview)}" alt="{html.escape(label)}">'
    else:
        shown = f'<img src="{html.escape(main)}" alt="{html.escape(label)}">'
    record = result.provenance()
    model = record.get("model") or {}
    rows = [("moteur / engine", record["engine"]), ("graine / seed", record["seed"]),
            ("appareil / device", record["device"]), ("secondes / seconds", f"{record['seconds']:.2f}")]
    if model:
        licence = model.get("licence", "")
        commercial = "" if model.get("commercial_use", True) else " — usage non commercial / non-commercial use"
        rows.append(("modèle / model", f"{model.get('id') or model.get('key', '')} — {licence}{commercial}"))
    rows += [("réglages / settings", _value({k: v for k, v in record["params"].items() if not hasattr(v, "shape")}))]
    rows += [("note", note) for note in record.get("notes", ())]
    table = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    links = " · ".join(f'<a href="{html.escape(p.name)}">{html.escape(p.name)}</a> '
                       f'(<a href="{html.escape(p.name)}.json">provenance</a>)' for p in files
                       if not p.name.endswith("-preview.png") or main.endswith(".png"))
    return (f'<section><h2 dir="auto">{html.escape(label)}</h2>{shown}<p>{links}</p><table>{table}</table>'
            "</section>")


def export_portfolio(folder: str | os.PathLike, pieces: dict[str, Any], *, title: str, author: str | None = None,
                     note: str | None = None, archive: bool = True) -> Portfolio:
    """Write ``pieces`` (label -> result) and their page into ``folder``; zip it beside as ``<folder>.zip``.

    Parameters
    ----------
    folder : path
        A new folder (its parent must exist), or a portfolio exported before, which is replaced.
    pieces : dict
        Up to 24 results of :mod:`workshop_kit.music`, :mod:`workshop_kit.image` or :mod:`workshop_kit.mesh`, by
        the label the page shows (in any language).
    title, author, note : str
        What the page says at the top: a title, who made it, a sentence about it (each at most 200 characters).
    archive : bool
        Also write ``<folder>.zip``.

    Raises
    ------
    ParameterError
        For a folder that holds other files, no piece or more than 24, something that is not a result, or a text
        that is empty or too long. Nothing is written.
    """
    path = _check_folder(folder)
    title = _text("title", title)
    author = _text("author", author, optional=True)
    note = _text("note", note, optional=True)
    if not isinstance(pieces, dict) or not 1 <= len(pieces) <= MAX_PIECES:
        raise ParameterError("pieces", type(pieces).__name__ if not isinstance(pieces, dict) else len(pieces),
                             f"a dict of 1 to {MAX_PIECES} pieces (label -> result)",
                             allowed_fr=f"un dict de 1 à {MAX_PIECES} créations (titre -> résultat)")
    labelled = [(_text("label", label), result, _files_of(result)) for label, result in pieces.items()]

    stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    stage.chmod(0o755)  # a page to share, not a secret
    try:
        used: set[str] = set()
        sections, written = [], []
        for label, result, files in labelled:
            stem = _stem(label, used)
            saved = [what.save(stage / f"{stem}{suffix}") for suffix, what in files]
            sections.append(_section(label, result, saved))
            written += saved
        by = f'<p class="by" dir="auto">{html.escape(author)}</p>' if author else ""
        said = f'<p dir="auto">{html.escape(note)}</p>' if note else ""
        page = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
                f'<style>{_CSS}</style></head><body><h1 dir="auto">{html.escape(title)}</h1>{by}{said}'
                f"{''.join(sections)}<footer><p><small>workshop-kit — {now_iso()[:10]}</small></p></footer>"
                "</body></html>")
        (stage / "index.html").write_text(page, encoding="utf-8")
        write_json(stage / MARKER, {"made_by": "workshop-kit portfolio", "created": now_iso(), "title": title,
                                    "files": [p.name for p in written]})
        if path.exists():
            shutil.rmtree(path)
        os.replace(stage, path)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    files = [path / p.name for p in written]
    zipped = Path(shutil.make_archive(str(path), "zip", root_dir=path.parent, base_dir=path.name)) if archive else None
    return Portfolio(folder=path, page=path / "index.html", archive=zipped, files=files)
