"""The room's address: a join page on the LAN with a QR code, and the same address printed on the trainer's screen.

The QR code is drawn here, offline, by ``segno`` (pure Python, no dependency, ISO/IEC 18004): an SVG inline in the
page, and blocks of text in the trainer's terminal. The page says, in French, English and Arabic, where the
notebooks and the booth are; it serves ``/room.json`` for :func:`workshop_kit.use_server` and nothing else (no file,
no folder).
"""

from __future__ import annotations

import html
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..i18n import LANGS, t


def lan_address() -> str:
    """This machine's address on its local network (the one a route to the outside would use; nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def public_address(host: str) -> str:
    """The address participants type for a server bound to ``host``."""
    return lan_address() if host in ("0.0.0.0", "", "::") else host


def qr_svg(text: str, *, scale: int = 6) -> str:
    """An inline SVG QR code of ``text`` (error correction M: it still reads with a sixth of it hidden)."""
    import segno

    return segno.make(text, error="m", micro=False).svg_inline(scale=scale, dark="#1B1F4B", light="#ffffff",
                                                                   title=text)


def qr_text(text: str) -> str:
    """The QR code of ``text`` as text blocks, for the trainer's terminal."""
    import io

    import segno

    out = io.StringIO()
    segno.make(text, error="m", micro=False).terminal(out=out, compact=True, border=2)
    return out.getvalue()


_CSS = """
body { font-family: system-ui, "Noto Sans", "Noto Sans Arabic", sans-serif; margin: 0; background: #F6E7CB;
       color: #1B1F4B; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
h1 { margin: 0 0 0.3rem; font-size: 1.5rem; }
.lang { margin: 0 0 0.2rem; }
.lang[lang="ar"] { font-size: 1.1rem; }
a.go { display: block; margin: 1rem 0; padding: 1rem 1.2rem; border-radius: 0.6rem; background: #2A3FB0;
       color: #fff; text-decoration: none; font-size: 1.2rem; }
a.go small { display: block; opacity: 0.85; font-size: 0.9rem; }
.note { background: #fff; padding: 0.8rem 1rem; border-radius: 0.5rem; }
figure { text-align: center; margin: 1.5rem 0 0; }
"""


def _said(key: str, tag: str = "p") -> str:
    return "".join(f'<{tag} class="lang" lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">'
                   f"{html.escape(t(key, lang))}</{tag}>" for lang in LANGS)


def join_page(address: str, *, notebooks: str | None, booth: str | None, login: str = "code") -> str:
    """The join page: where the notebooks and the booth are, and the page's own QR code."""
    parts = [_said("room.join.title", "h1"), _said("room.join.intro")]
    if notebooks:
        key = "room.join.notebooks_names" if login == "names" else "room.join.notebooks"
        words = " · ".join(html.escape(t(key, lang)) for lang in LANGS)
        parts.append(f'<a class="go" href="{html.escape(notebooks)}">{words}'
                     f"<small>{html.escape(notebooks)}</small></a>")
    else:
        parts.append(f'<div class="note">{_said("room.join.no_notebooks")}</div>')
    if booth:
        words = " · ".join(html.escape(t("room.join.booth", lang)) for lang in LANGS)
        parts.append(f'<a class="go" href="{html.escape(booth)}">{words}<small>{html.escape(booth)}</small></a>')
    parts.append(f"<figure>{qr_svg(address)}<figcaption>{_said('room.join.scan')}"
                 f"<p><strong>{html.escape(address)}</strong></p></figcaption></figure>")
    title = " · ".join(t("room.join.title", lang) for lang in LANGS)
    return ("<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>")


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes | str, kind: str) -> None:
    """Answer a request of one of the room's small servers (never cached: the room changes)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(data)))
    handler.send_header("Cache-Control", "no-store")
    handler.end_headers()
    handler.wfile.write(data)


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, *_args):  # the trainer's terminal shows the room, not each request
        pass


class ThreadedServer:
    """One of the room's small HTTP servers (join page, trainer's view), served from a thread."""

    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler], name: str):
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=name, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class JoinServer(ThreadedServer):
    """Serves the join page and ``/room.json`` on the LAN, from a thread."""

    def __init__(self, host: str, port: int, *, address: str, notebooks: str | None, booth: str | None,
                 login: str = "code"):
        page = join_page(address, notebooks=notebooks, booth=booth, login=login)
        room = json.dumps({"notebooks": notebooks, "booth": booth, "address": address})

        class Handler(Quiet):
            def do_GET(self):  # noqa: N802 - http.server's API
                path = self.path.split("?", 1)[0]
                if path == "/":
                    send(self, 200, page, "text/html; charset=utf-8")
                elif path == "/room.json":
                    send(self, 200, room, "application/json")
                else:
                    self.send_error(404)

        super().__init__(host, port, Handler, "workshop-kit-join")
