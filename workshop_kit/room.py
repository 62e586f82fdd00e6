"""The room check: ``workshop-kit room DIR`` reads every laptop's doctor report on the stick (``DIR/reports/*.json``,
written there by the install script) and shows one table — each laptop ready or not and why, its slowest
generation, free disk and memory — with the room's verdict, printed and written as a self-contained HTML page.

A report that cannot be read (garbled JSON, another report format) is a row of its own, not ready, saying what to do.
"""

from __future__ import annotations

import html
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from .doctor import REPORT_FORMAT
from .errors import ParameterError
from .i18n import Msg

__all__ = ["Laptop", "read_report", "read_room", "table", "to_html", "main"]

WORDS = {
    "title": {"fr": "Vérification de la salle", "en": "Room check"},
    "laptop": {"fr": "portable", "en": "laptop"},
    "ready": {"fr": "prêt", "en": "ready"},
    "system": {"fr": "système", "en": "system"},
    "why": {"fr": "pourquoi", "en": "why"},
    "slowest": {"fr": "génération la plus lente", "en": "slowest generation"},
    "disk": {"fr": "disque libre", "en": "free disk"},
    "memory": {"fr": "mémoire (libre / totale)", "en": "memory (free / total)"},
    "yes": {"fr": "oui", "en": "yes"},
    "no": {"fr": "NON", "en": "NO"},
    "room_ready": {"fr": "La salle est prête : {n} portables sur {n}.", "en": "The room is ready: {n} of {n} laptops."},
    "room_not": {"fr": "La salle n'est pas prête : {ok} portables prêts sur {n}. Voyez la colonne « pourquoi ».",
                 "en": "The room is not ready: {ok} of {n} laptops ready. See the 'why' column."},
    "empty": {"fr": "Aucun rapport dans {where} : lancez install sur chaque portable (il y écrit son rapport).",
              "en": "No report in {where}: run the install script on each laptop (it writes its report there)."},
    "garbled": {"fr": "rapport illisible ({e}) : relancez l'installation ou `workshop-kit doctor --json` "
                      "sur ce portable",
                "en": "unreadable report ({e}): run the install script or `workshop-kit doctor --json` on this "
                      "laptop again"},
    "format": {"fr": "rapport au format {f} (workshop-kit {v}), ce kit lit le format {want} : réinstallez ce portable "
                     "depuis la clé de cette salle",
               "en": "report of format {f} (workshop-kit {v}), this kit reads format {want}: install this laptop again "
                     "from this room's stick"},
    "made": {"fr": "Rapports lus dans {where}.", "en": "Reports read from {where}."},
}


def _w(key: str, lang: str, **values) -> str:
    return WORDS[key][lang].format(**values)


@dataclass
class Laptop:
    """One row of the room's table."""

    name: str
    ready: bool
    why: str
    system: str = ""
    slowest: str = ""
    slowest_seconds: float | None = None
    disk_free_gb: float | None = None
    memory_gb: float | None = None
    memory_free_gb: float | None = None
    kit: str = ""


def read_report(path: Path, lang: str = "en") -> Laptop:
    """The row of one report file; a report that cannot be used gives a row that says so and what to do."""
    name = path.stem
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("checks"), list):
            raise ValueError("no list of checks")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return Laptop(name, False, _w("garbled", lang, e=f"{type(exc).__name__}: {str(exc)[:80]}"))
    if data.get("format") != REPORT_FORMAT:
        return Laptop(name, False, _w("format", lang, f=data.get("format", 1), v=data.get("workshop_kit", "?"),
                                      want=REPORT_FORMAT), kit=str(data.get("workshop_kit", "")))
    failed = [c for c in data["checks"] if isinstance(c, dict) and not c.get("ok") and c.get("blocking", True)]
    why = "; ".join(f"{c.get('name')}: {c.get('value')}" + (f" ({c['detail']})" if c.get("detail") else "")
                    for c in failed)
    slowest = data.get("slowest") or {}
    return Laptop(
        name=str(data.get("host") or name), ready=bool(data.get("ok")) and not failed, why=why,
        system=f"{data.get('os', '?')} {data.get('machine', '')}, Python {data.get('python', '?')}",
        slowest=str(slowest.get("name", "")), slowest_seconds=slowest.get("seconds"),
        disk_free_gb=data.get("disk_free_gb"), memory_gb=data.get("memory_gb"),
        memory_free_gb=data.get("memory_free_gb"), kit=str(data.get("workshop_kit", "")))


def reports_folder(folder: str | Path) -> Path:
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ParameterError("folder", str(folder), Msg("allowed.room_folder"), Msg("reason.no_such_folder"))
    return folder / "reports" if (folder / "reports").is_dir() else folder


def read_room(folder: str | Path, lang: str = "en") -> list[Laptop]:
    where = reports_folder(folder)
    return [read_report(p, lang) for p in sorted(where.glob("*.json"))]


def verdict(laptops: list[Laptop], lang: str, where: str) -> str:
    if not laptops:
        return _w("empty", lang, where=where)
    ok = sum(1 for r in laptops if r.ready)
    return _w("room_ready", lang, n=len(laptops)) if ok == len(laptops) else _w("room_not", lang, ok=ok, n=len(laptops))


def _cells(r: Laptop, lang: str) -> list[str]:
    def gb(v):
        return "?" if v is None else f"{v:.1f} GB"

    slow = f"{r.slowest} {r.slowest_seconds:.2f} s" if r.slowest_seconds is not None else "—"
    memory = "?" if r.memory_gb is None else f"{gb(r.memory_free_gb)} / {gb(r.memory_gb)}"
    return [r.name, _w("yes" if r.ready else "no", lang), r.system or "?", slow, gb(r.disk_free_gb), memory,
            r.why or "—"]


def _header(lang: str) -> list[str]:
    return [_w(k, lang) for k in ("laptop", "ready", "system", "slowest", "disk", "memory", "why")]


def table(laptops: list[Laptop], lang: str = "fr") -> str:
    """The table as text, one laptop a line."""
    rows = [_header(lang)] + [_cells(r, lang) for r in laptops]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row[:-1], widths)) + "  " + row[-1] for row in rows)


def to_html(laptops: list[Laptop], lang: str, where: str) -> str:
    """A self-contained page (no script, no font, nothing fetched): the table and the verdict in ``lang``, then in
    the other language."""
    def block(code: str) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in _header(code))
        body = "".join("<tr class='{}'>{}</tr>".format("ok" if r.ready else "bad",
                                                        "".join(f"<td>{html.escape(c)}</td>" for c in _cells(r, code)))
                       for r in laptops)
        ready = bool(laptops) and all(r.ready for r in laptops)
        return (f"<section id='{code}' lang='{code}'><h1>{html.escape(_w('title', code))}</h1>"
                f"<p class='verdict {'ok' if ready else 'bad'}'>{html.escape(verdict(laptops, code, where))}</p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"<p class='small'>{html.escape(_w('made', code, where=where))}</p></section>")

    other = "en" if lang == "fr" else "fr"
    style = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
             "td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}"
             "tr.bad td:nth-child(2){color:#b00020;font-weight:bold}tr.ok td:nth-child(2){color:#126b2f}"
             ".verdict{font-size:1.3em}.verdict.bad{color:#b00020}.verdict.ok{color:#126b2f}.small{color:#666}"
             "nav a{margin-right:1em}section{margin-bottom:3em}")
    sections = block(lang) + block(other)
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>workshop-kit · "
            f"{html.escape(_w('title', lang))}</title><style>{style}</style></head><body>"
            f"<nav><a href='#fr'>Français</a><a href='#en'>English</a></nav>{sections}</body></html>\n")


def main(folder: str | None, *, html: str | None = None, lang: str = "fr", as_json: bool = False,
         summary: str | None = None) -> int:
    """``workshop-kit room``: exit 0 when every laptop is ready, 1 otherwise."""
    from .files import atomic_path, check_output_path

    if summary is not None:
        row = read_report(Path(summary), lang)
        print(f"{row.name}: " + (_w("yes", lang) if row.ready else _w("no", lang) + " — " + row.why))
        return 0 if row.ready else 1
    if folder is None:
        raise ParameterError("folder", None, Msg("allowed.room_folder"))
    where = reports_folder(folder)
    laptops = read_room(folder, lang)
    for r in laptops:
        if not r.system:  # unreadable reports: one line each on stderr too
            print(f"workshop-kit room: {r.name}.json: {r.why}", file=sys.stderr)
    if as_json:
        print(json.dumps({"ready": bool(laptops) and all(r.ready for r in laptops),
                          "laptops": [asdict(r) for r in laptops]}, indent=2, ensure_ascii=False))
    else:
        print(table(laptops, lang))
        print()
        print(verdict(laptops, lang, str(where)))
    page = check_output_path(html or Path(folder).expanduser() / "room.html", [".html", ".htm"], name="html")
    with atomic_path(page) as tmp:
        tmp.write_text(to_html(laptops, lang, str(where)), encoding="utf-8")
    if not as_json:
        print(f"{page}")
    return 0 if laptops and all(r.ready for r in laptops) else 1
