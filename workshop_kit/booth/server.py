"""Serving the booth for a whole day: one web app for the pages, the take-home pages, the health check and the guards.

:func:`serve_booth` empties the booth's own folder (:func:`booth_root`), makes it Gradio's cache too (so each piece is
written once, and no file outside it can be served), builds the pages, and serves them with uvicorn together with:

- ``/take/<CODE>`` and ``/take/<CODE>/<file>``: a trio's download page and its files (phones on the booth network);
- ``/view/<CODE>``: the trio's turning 3D view (the kit's own WebGL viewer, no download);
- ``/gallery.json``: the day's shown trios, for the attract loop; ``/booth-assets/<font>``: the fonts the kit ships;
- ``/healthz``: engines ready, trios waiting, disk left, bytes the booth holds.

:class:`Guard` stands in front of everything: request bodies are bounded, uploads are taken only where a page has an
upload field and are bounded per visitor, a file field must name a file of the booth's own folder (never an address
to fetch, never a path elsewhere), and every refusal is one line in the visitor's language. Logs rotate.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
import shutil
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from ..files import cache_dir
from ..i18n import DEFAULT_LANG, LANGS, t
from ..provenance import SIDECAR_ROUTE, find_sidecar
from .share import FONT_FACES

__all__ = ["BOOTH_ENV", "Guard", "RunningBooth", "booth_root", "create_app", "serve_booth"]

logger = logging.getLogger("workshop_kit.booth")

BOOTH_ENV = "WORKSHOP_KIT_BOOTH_DIR"
"""Environment variable naming the booth's own folder (default: ``<cache>/booth``)."""

MAX_BODY_BYTES = 256 * 1024
"""Largest request body other than an upload (the pages send a few hundred bytes)."""

MAX_UPLOAD_BYTES = 20 * 2**20
"""Largest upload, the same bound as the kit's own readers (a sound or a picture of 20 MB)."""

UPLOAD_QUOTA_BYTES = 120 * 2**20
UPLOAD_QUOTA_SECONDS = 600
"""What one visitor (one address) may upload in ten minutes."""

FONTS = tuple(file for _, file, _ in FONT_FACES)


def booth_root(path: str | os.PathLike | None = None) -> Path:
    """The booth's own folder: ``path``, else ``$WORKSHOP_KIT_BOOTH_DIR``, else ``<cache>/booth``."""
    if path is not None:
        return Path(path).expanduser().resolve()
    env = os.environ.get(BOOTH_ENV, "").strip()
    return Path(env).expanduser().resolve() if env else (cache_dir() / "booth").resolve()


def empty(folder: Path) -> None:
    """Remove everything inside ``folder`` (the folder stays)."""
    folder.mkdir(parents=True, exist_ok=True)
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _lang_of(scope: dict) -> str:
    """The visitor's language for a refusal: ``?lang=``, else the browser's first language we speak, else French."""
    query = scope.get("query_string", b"").decode("latin-1")
    match = re.search(r"(?:^|&)lang=([a-z]{2})", query)
    if match and match.group(1) in LANGS:
        return match.group(1)
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            for part in value.decode("latin-1").split(","):
                code = part.strip()[:2].lower()
                if code in LANGS:
                    return code
    return DEFAULT_LANG


_VIEW = re.compile(rb"(?:^|&)view=(?:api|settings)")


async def _redirect(send, path: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", (path or "/").encode("utf-8", "replace")), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


_FILE_FIELD = re.compile(rb'"(?:path|url)"\s*:\s*"((?:[^"\\]|\\.)*)"')


@dataclass
class Guard:
    """ASGI middleware: bounded bodies, uploads only where allowed, file fields within the booth's folder."""

    app: Any
    root: Path
    uploads: bool = True
    max_body: int = MAX_BODY_BYTES
    max_upload: int = MAX_UPLOAD_BYTES
    quota: int = UPLOAD_QUOTA_BYTES
    quota_seconds: float = UPLOAD_QUOTA_SECONDS
    _spent: dict = field(default_factory=lambda: defaultdict(deque))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") == "GET" and _VIEW.search(scope.get("query_string", b"")):
            return await _redirect(send, scope.get("path", "/"))  # no API page, no settings for visitors
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        lang = _lang_of(scope)
        length = next((int(v) for n, v in scope.get("headers", []) if n == b"content-length" and v.isdigit()), None)
        if path.endswith("/upload"):
            if not self.uploads:
                return await _refuse(send, 403, t("guard.no_upload", lang), receive)
            if length is None or length > self.max_upload + 64 * 1024:
                return await _refuse(send, 413, t("guard.too_big", lang).format(mb=self.max_upload // 2**20),
                                     receive)
            if not self._charge(scope, length):
                return await _refuse(send, 429, t("guard.quota", lang), receive)
            return await self.app(scope, _bounded(receive, self.max_upload + 64 * 1024), send)
        if length is not None and length > self.max_body:
            return await _refuse(send, 413, t("guard.body", lang), receive)
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                return await _refuse(send, 413, t("guard.body", lang), receive if more else None)
        for match in _FILE_FIELD.finditer(body):
            if not self._ours(match.group(1)):
                return await _refuse(send, 400, t("guard.file", lang))
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)

    def _ours(self, raw: bytes) -> bool:
        """Whether a file field names a file inside the booth's own folder (no address, no other path)."""
        try:
            text = json.loads(b'"' + raw + b'"')
        except ValueError:
            return False
        if not text:
            return True
        if "://" in text or text.startswith("//") or not os.path.isabs(text):
            return False
        try:
            return Path(text).resolve().is_relative_to(self.root)
        except (OSError, ValueError):
            return False

    def _charge(self, scope: dict, length: int) -> bool:
        who = (scope.get("client") or ("?", 0))[0]
        now = time.time()
        with self._lock:
            spent = self._spent[who]
            while spent and now - spent[0][0] > self.quota_seconds:
                spent.popleft()
            if sum(n for _, n in spent) + length > self.quota:
                return False
            spent.append((now, length))
            return True


def _bounded(receive, limit: int):
    seen = 0

    async def bounded():
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            return {"type": "http.disconnect"}
        return message

    return bounded


DRAIN_BYTES = 64 * 2**20
"""A refused request's body is read (and dropped) up to this much first, so that the client reads the answer."""


async def _refuse(send, status: int, words: str, receive=None) -> None:
    logger.info("booth: refused a request (%s): %s", status, words)
    if receive is not None:
        seen = 0
        while seen < DRAIN_BYTES:
            message = await receive()
            seen += len(message.get("body", b""))
            if message.get("type") != "http.request" or not message.get("more_body", False):
                break
    body = json.dumps({"error": words}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------------------------------------------------
# The web app


def create_app(demo, *, root: Path, take, visitor=None, uploads: bool = True):
    """The booth's web app: the Gradio pages at ``/`` and the booth's own routes, behind :class:`Guard`."""
    from fastapi import FastAPI
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
    import gradio as gr

    from .share import is_code, not_found_page, take_page

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    fonts = Path(__file__).resolve().parents[1] / "fonts"

    def lang_of(request) -> str:
        lang = request.query_params.get("lang", "")
        return lang if lang in LANGS else _lang_of(request.scope)

    @app.get("/healthz")
    def healthz():
        trios, held = take.usage()
        free = shutil.disk_usage(root).free
        engines = {m: list(names) for m, names in visitor.offers.engines.items()} if visitor else {}
        return {"ok": True, "engines": engines, "waiting": len(visitor.pending) if visitor else 0,
                "trios": trios, "booth_bytes": held, "disk_free_bytes": free}

    @app.get("/gallery.json")
    def gallery():
        items = [{"city": g["city"], "picture_url": f"/take/{g['code']}/{g['picture']}"} for g in take.gallery()]
        return {"items": items}

    @app.get("/take/{code}")
    def take_home(code: str, request: Request):
        meta = take.get(code)
        lang = lang_of(request)
        if meta is None:
            return HTMLResponse(not_found_page(lang), status_code=404)
        return HTMLResponse(take_page(meta, lang), headers={"Cache-Control": "no-store"})

    @app.get("/take/{code}/{name}")
    def take_file(code: str, name: str, request: Request):
        path = take.file(code, name)
        if path is None:
            return HTMLResponse(not_found_page(lang_of(request)), status_code=404)
        return FileResponse(path, filename=path.name)

    @app.get("/view/{code}")
    def view(code: str, request: Request):
        meta = take.get(code)
        page = root / "take" / code.upper() / "view.html" if is_code(code) and meta else None
        if page is None or not page.is_file():
            return HTMLResponse(not_found_page(lang_of(request)), status_code=404)
        return HTMLResponse(page.read_text(encoding="utf-8"))

    @app.get(SIDECAR_ROUTE + "{sha256}")
    def provenance(sha256: str):
        record = find_sidecar(root, sha256)
        return JSONResponse(record or {"error": "unknown file"}, status_code=200 if record else 404)

    @app.get("/booth-assets/{name}")
    def asset(name: str):
        if name not in FONTS:
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(fonts / name, headers={"Cache-Control": "public, max-age=86400"})

    import warnings

    with warnings.catch_warnings():  # the booth never renders on the server: no SSR to disable twice
        warnings.filterwarnings("ignore", message="SSR mode is not supported")
        app = gr.mount_gradio_app(app, demo, path="", **_gradio_options())
    return Guard(app, root=root, uploads=uploads)


def _gradio_options() -> dict[str, Any]:
    from .app import MAX_UPLOAD, launch_options

    options = launch_options()
    keep = ("footer_links", "show_error", "pwa", "ssr_mode", "mcp_server", "css", "head")
    out = {k: v for k, v in options.items() if k in keep}
    out.update(max_file_size=MAX_UPLOAD, enable_monitoring=False)
    return out


# --------------------------------------------------------------------------------------------------------------------
# Serving


def _rotating_log(folder: Path) -> logging.Handler:
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(folder / "booth.log", maxBytes=1_000_000, backupCount=5,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


@dataclass
class RunningBooth:
    """A booth served in the background (tests, benchmarks): its address, and how to stop it."""

    url: str
    public_url: str
    root: Path
    server: Any
    thread: threading.Thread
    visitor: Any

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        empty(self.root)


def serve_booth(*, host: str = "127.0.0.1", port: int = 7860, lang: str = DEFAULT_LANG,
                root: str | os.PathLike | None = None, public_url: str | None = None, lan: bool = False,
                studio: bool = True, idle_seconds: int | None = None, keep_seconds: float = 3600.0,
                background: bool = False, log_folder: str | os.PathLike | None = None):
    """Serve the booth: the visitor page at ``/`` (the studio at ``/studio`` unless ``studio=False``).

    ``lan=True`` listens on every address and puts this machine's network address in the QR codes (``public_url``
    overrides it). The booth's folder is emptied at start and at stop. With ``background=True`` the server runs in
    a thread and a :class:`RunningBooth` is returned; otherwise this call returns when the server stops.
    """
    import socket

    import uvicorn

    from ..errors import ParameterError
    from .share import lan_address

    from .allocator import TRIMMER, tune

    tune()  # before the server's threads: few arenas, large blocks unmapped when freed
    TRIMMER.start()
    folder = booth_root(root)
    empty(folder)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)  # Gradio's cache is the booth's own folder: files written once
    if lan and host == "127.0.0.1":
        host = "0.0.0.0"
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise ParameterError("port", port, "a free port", reason="another program already listens there",
                                 reason_fr="un autre programme écoute déjà sur ce port") from None
    address = public_url or (f"http://{lan_address() or '127.0.0.1'}:{port}" if lan else f"http://127.0.0.1:{port}")
    address = address.rstrip("/")

    from .app import build_booth

    demo, visitor = build_booth(lang=lang, output_dir=folder, keep_seconds=keep_seconds, studio=studio,
                                idle_seconds=idle_seconds, base_url=lambda: address, with_visitor=True)
    handler = _rotating_log(Path(log_folder) if log_folder else cache_dir() / "booth-logs")
    for name in ("workshop_kit", "gradio", "uvicorn.error"):
        logging.getLogger(name).addHandler(handler)
    logging.getLogger("workshop_kit").setLevel(logging.INFO)
    app = create_app(demo, root=folder, take=visitor.take, visitor=visitor, uploads=studio)
    threading.Thread(target=visitor.warm_up, name="workshop-kit-warm-up", daemon=True).start()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5)  # an open page (its event stream) holds no stop
    server = uvicorn.Server(config)
    url = f"http://127.0.0.1:{port}" if host in ("0.0.0.0", "127.0.0.1") else f"http://{host}:{port}"
    if background:
        thread = threading.Thread(target=server.run, name="workshop-kit-booth", daemon=True)
        thread.start()
        deadline = time.time() + 60
        while not server.started and thread.is_alive() and time.time() < deadline:
            time.sleep(0.05)
        if not server.started:
            raise RuntimeError("the booth did not start")
        return RunningBooth(url=url, public_url=address, root=folder, server=server, thread=thread, visitor=visitor)
    print(f"workshop-kit booth: {url}  (phones: {address})", flush=True)
    try:
        server.run()
    finally:
        empty(folder)
    return None
