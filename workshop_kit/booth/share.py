"""Take it home: every trio gets a short code, a QR code and a small download page of its own on the booth's network.

A trio's files live in one folder of the booth, ``<root>/take/<CODE>/``, with a ``trio.json`` that lists them (size,
sha256, what each is), the provenance of each piece and the licences of the models that made it. The page
``/take/<CODE>`` (:func:`take_page`) offers them to a visitor's phone; a code expires with its files, which are
removed after ``keep_seconds`` or, oldest first, when the day's total passes ``max_bytes``.

The QR code is drawn on this machine (:func:`qr_png`, with the ``segno`` package): nothing leaves the booth's network.

>>> from workshop_kit.booth.share import is_code
>>> is_code("K7M2QX"), is_code("../etc"), is_code("k7m2qx")
(True, False, True)
"""

from __future__ import annotations

import html
import io
import json
import secrets
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import write_json
from ..i18n import DEFAULT_LANG, LANGS, is_rtl, t

__all__ = ["CODE_ALPHABET", "CODE_LENGTH", "TakeHome", "is_code", "lan_address", "qr_png", "take_page",
           "not_found_page"]

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Letters and digits a visitor cannot confuse when reading a code aloud (no 0/O, 1/I/L)."""

CODE_LENGTH = 6
META = "trio.json"

_KINDS = {".wav": "audio", ".mid": "midi", ".png": "picture", ".glb": "object", ".stl": "print"}


def is_code(text: object) -> bool:
    """Whether ``text`` has the shape of a trio's code (case does not matter)."""
    return (isinstance(text, str) and len(text) == CODE_LENGTH
            and all(ch in CODE_ALPHABET for ch in text.upper()))


@dataclass
class TakeHome:
    """The trios of the day: their folders under ``root``, bounded in age and in bytes."""

    root: Path
    keep_seconds: float = 3600.0
    max_bytes: int = 2 * 2**30

    def __post_init__(self):
        self.root = Path(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    # ---------------------------------------------------------------------------------------------- writing
    def new(self) -> tuple[str, Path]:
        """A fresh code and its (empty) folder."""
        self.prune()
        with self._lock:
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                folder = self.root / code
                try:
                    folder.mkdir()
                    return code, folder
                except FileExistsError:  # pragma: no cover - one chance in a billion
                    continue

    def finish(self, code: str, *, city: str, lang: str, gallery: bool, pieces: list[dict[str, Any]]) -> dict:
        """Record what the trio holds (its files, their provenance, the licences) and make its code valid."""
        from ..files import sha256_file, sidecar_path

        folder = self.root / code
        files = []
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in _KINDS:  # the sidecars, the record, the 3D view's page
                continue
            sidecar = sidecar_path(path)
            record = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
            files.append({"name": path.name, "kind": _KINDS.get(path.suffix.lower(), "file"),
                          "bytes": path.stat().st_size, "sha256": record.get("sha256") or sha256_file(path)})
        meta = {"code": code, "created": time.time(), "city": city, "lang": lang, "gallery": bool(gallery),
                "files": files, "pieces": pieces}
        write_json(folder / META, meta)
        return meta

    # ---------------------------------------------------------------------------------------------- reading
    def get(self, code: object) -> dict | None:
        """The record of trio ``code``, or ``None`` when there is no such trio (or it has expired)."""
        if not is_code(code):
            return None
        folder = self.root / code.upper()
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if time.time() - float(meta.get("created", 0)) > self.keep_seconds:
            return None
        return meta

    def file(self, code: object, name: object) -> Path | None:
        """The file ``name`` of trio ``code`` — only a name the trio lists, never a path."""
        meta = self.get(code)
        if meta is None or not isinstance(name, str):
            return None
        if name not in {f["name"] for f in meta["files"]}:
            return None
        path = self.root / meta["code"] / name
        return path if path.is_file() else None

    def gallery(self, limit: int = 12) -> list[dict]:
        """The latest trios whose visitors agreed to show them, newest first."""
        out = []
        for folder in sorted(self._folders(), key=lambda p: p.stat().st_mtime, reverse=True):
            meta = self.get(folder.name)
            if meta and meta.get("gallery"):
                picture = next((f["name"] for f in meta["files"] if f["kind"] == "picture"), None)
                if picture:
                    out.append({"code": meta["code"], "city": meta["city"], "picture": picture})
            if len(out) >= limit:
                break
        return out

    # ---------------------------------------------------------------------------------------------- bounds
    def _folders(self) -> list[Path]:
        try:
            return [p for p in self.root.iterdir() if p.is_dir() and is_code(p.name)]
        except OSError:  # pragma: no cover - the folder was removed under us
            return []

    def usage(self) -> tuple[int, int]:
        """(trios, bytes) on disk now."""
        folders = self._folders()
        return len(folders), sum(_size(p) for p in folders)

    def prune(self) -> None:
        """Remove expired trios, then the oldest ones while the total is above ``max_bytes``."""
        with self._lock:
            now = time.time()
            folders = sorted(self._folders(), key=lambda p: p.stat().st_mtime)
            kept = []
            for folder in folders:
                if now - folder.stat().st_mtime > self.keep_seconds:
                    shutil.rmtree(folder, ignore_errors=True)
                else:
                    kept.append((folder, _size(folder)))
            total = sum(size for _, size in kept)
            for folder, size in kept:
                if total <= self.max_bytes:
                    break
                shutil.rmtree(folder, ignore_errors=True)
                total -= size


def _size(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


# --------------------------------------------------------------------------------------------------------------------
# The booth's address on its network, and the QR code


def lan_address() -> str | None:
    """This machine's address on its local network (a private IPv4 address), or ``None`` when it has none.

    No packet is sent: a UDP socket is pointed at a private address only to ask the system which interface it would
    use; the interfaces are then listed as a second way to find one.
    """
    import ipaddress

    candidates = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            candidates.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        import psutil

        for addresses in psutil.net_if_addrs().values():
            candidates += [a.address for a in addresses if a.family == socket.AF_INET]
    except Exception:  # noqa: BLE001 - listing interfaces is a second chance only
        pass
    for address in candidates:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if ip.is_private and not ip.is_loopback and not ip.is_link_local:
            return address
    return None


def qr_png(text: str, *, scale: int = 6) -> bytes:
    """A QR code of ``text`` as PNG bytes (dark on white, with its quiet zone), drawn here by ``segno``."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=4, dark="#111111", light="#ffffff")
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------------------------
# The download page (phones)

FONT_FACES = (("Noto Sans", "NotoSans-Regular.ttf", 400), ("Noto Sans Arabic", "NotoSansArabic-Regular.ttf", 400),
              ("Noto Sans Arabic", "NotoSansArabic-Bold.ttf", 700),
              ("Noto Sans Tifinagh", "NotoSansTifinagh-Regular.ttf", 400))
"""The fonts the booth serves (family, file in ``workshop_kit/fonts``, weight): the only files ``/booth-assets``
gives."""


def _fonts_css() -> str:
    return "".join(
        f'@font-face {{ font-family: "{family}"; src: url("/booth-assets/{file}") format("truetype"); '
        f'font-weight: {weight}; font-display: swap; }}'
        for family, file, weight in FONT_FACES)


FONT_CSS = _fonts_css()
"""``@font-face`` rules for the fonts the kit ships (Latin, Arabic, Tifinagh), served by the booth at
``/booth-assets``: every glyph of a page in one family per script (Gradio's own Source Sans Pro files hold only
a few dozen glyphs, so a title mixed them with whatever the system had)."""
FONT_STACK = ", ".join(dict.fromkeys(f'"{family}"' for family, _, _ in FONT_FACES)) + ", system-ui, sans-serif"
"""The font families of every page the booth serves: the kit's own first, then the system's."""


_PAGE_CSS = (f"body {{ font-family: {FONT_STACK}; margin: 0; background: #f6f1e7; color: #1f1a14; "
             "line-height: 1.5; }") + """
main { max-width: 34rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.2rem 0 0.6rem; }
.code { font: 700 1.1rem ui-monospace, monospace; letter-spacing: 0.15em; color: #5b2a0e; }
img.picture { width: 100%; border-radius: 10px; }
ul { list-style: none; padding: 0; }
li { margin: 0.5rem 0; }
a.file { display: block; padding: 0.9rem 1rem; border-radius: 10px; background: #8a2e12; color: #fff;
         text-decoration: none; font-size: 1.1rem; }
a.file small { color: #ffe9dc; }
section { background: #fff; border-radius: 10px; padding: 0.8rem 1rem; margin-top: 1rem; font-size: 0.95rem; }
.lang a { color: #1b1f4b; margin-inline-end: 0.8rem; }
"""


def _page(lang: str, title: str, body: str) -> str:
    direction = "rtl" if is_rtl(lang) else "ltr"
    return (f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{FONT_CSS}{_PAGE_CSS}</style></head>"
            f"<body><main>{body}</main></body></html>")


def _size_words(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(1, round(n / 1024))} kB"


def take_page(meta: dict, lang: str = DEFAULT_LANG) -> str:
    """The download page of one trio, in ``lang``: its picture, a link per file, where each piece comes from."""
    from ..presets import CITIES
    from ..i18n import label_of

    lang = lang if lang in LANGS else DEFAULT_LANG
    code = meta["code"]
    city = CITIES.get(meta.get("city"))
    city_name = label_of(city, lang, default=meta.get("city", "")) if city else meta.get("city", "")
    title = t("take.title", lang).format(city=city_name)
    links = []
    picture = ""
    for f in meta["files"]:
        href = f"/take/{code}/{html.escape(f['name'])}"
        if f["kind"] == "picture":
            picture = f'<img class="picture" src="{href}" alt="{html.escape(t("take.picture", lang))}">'
        kind = t(f"take.kind.{f['kind']}", lang)
        links.append(f'<li><a class="file" href="{href}" download>{html.escape(kind)}'
                     f' <small>· {html.escape(f["name"])} · {_size_words(int(f["bytes"]))}</small></a></li>')
    pieces = []
    for piece in meta.get("pieces", []):
        model = piece.get("model") or {}
        licence = model.get("licence") or t("take.licence.kit", lang)
        engine = t(f"engine.{piece['engine']}", lang)
        pieces.append(f"<li><b>{html.escape(engine)}</b> — "
                      f"{html.escape(t('take.seed', lang))} {piece['seed']} · {html.escape(licence)}</li>")
    languages = " ".join(f'<a href="/take/{code}?lang={code_}">{html.escape(t("lang.name", code_))}</a>'
                         for code_ in LANGS if code_ != lang)
    body = (f'<p class="lang">{languages}</p><h1>{html.escape(title)}</h1>'
            f'<p>{html.escape(t("take.code", lang))} <span class="code">{code}</span></p>{picture}'
            f"<ul>{''.join(links)}</ul>"
            f"<section><p>{html.escape(t('take.about', lang))}</p><ul>{''.join(pieces)}</ul>"
            f"<p>{html.escape(t('take.expires', lang))}</p></section>")
    return _page(lang, title, body)


def not_found_page(lang: str = DEFAULT_LANG) -> str:
    """The page of an unknown or expired code, in ``lang``."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    return _page(lang, t("take.missing.title", lang),
                 f"<h1>{html.escape(t('take.missing.title', lang))}</h1><p>{html.escape(t('take.missing', lang))}</p>")

