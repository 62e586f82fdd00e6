"""The trainer's view: who is connected, whose kernel is busy or dead (and a button to restart it), the machine's
memory and cores, and the room check from the laptops' doctor reports.

Served on this machine only (127.0.0.1) behind a key printed on the trainer's screen: a participant's kernel runs on
this machine too and can reach its loopback address, so the address alone must not be enough.
"""

from __future__ import annotations

import hmac
import html
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import folders, limits
from .join import Quiet, ThreadedServer, send
from .limits import GB, Machine


class HubAPI:
    """The hub's REST API and, through the proxy, each participant's Jupyter server API, with the room's token."""

    def __init__(self, hub_url: str, public_url: str, token: str, timeout: float = 10.0):
        import requests

        self.hub_url = hub_url.rstrip("/")
        self.public_url = public_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"
        self.timeout = timeout

    def hub(self, method: str, path: str, **kw) -> Any:
        response = self.session.request(method, f"{self.hub_url}/hub/api{path}", timeout=self.timeout, **kw)
        response.raise_for_status()
        return response.json() if response.content else None

    def server(self, method: str, account: str, path: str, **kw) -> Any:
        response = self.session.request(method, f"{self.public_url}/user/{account}/api{path}", timeout=self.timeout,
                                        **kw)
        response.raise_for_status()
        return response.json() if response.content else None

    def users(self) -> list[dict]:
        return self.hub("GET", "/users")

    def kernels(self, account: str) -> list[dict]:
        return self.server("GET", account, "/kernels")

    def sessions(self, account: str) -> list[dict]:
        return self.server("GET", account, "/sessions")

    def restart_kernel(self, account: str, kernel: str) -> None:
        self.server("POST", account, f"/kernels/{urllib.parse.quote(kernel)}/restart")

    def shutdown_kernel(self, account: str, kernel: str) -> None:
        self.server("DELETE", account, f"/kernels/{urllib.parse.quote(kernel)}")

    def stop_server(self, account: str) -> None:
        response = self.session.delete(f"{self.hub_url}/hub/api/users/{account}/server", timeout=self.timeout)
        if response.status_code not in (202, 204, 400):  # 400: it was not running
            response.raise_for_status()


# --------------------------------------------------------------------------------------------------------------------
# The doctor's reports


def read_reports(folder: Path, max_files: int = 200) -> list[dict]:
    """The laptops' doctor reports (``workshop-kit doctor --json``) in ``folder``: host, ready or not, what blocks."""
    rows = []
    for path in sorted(folder.glob("*.json"))[:max_files]:
        try:
            if path.stat().st_size > 1_000_000:
                raise ValueError("larger than 1 MB")
            report = json.loads(path.read_text(encoding="utf-8-sig"))
            checks = report["checks"]
            blocking = [c["name"] for c in checks if not c.get("ok") and c.get("blocking", True)]
            rows.append({"file": path.name, "host": str(report.get("host", path.stem)), "ok": bool(report.get("ok")),
                         "version": str(report.get("workshop_kit", "?")), "blocking": blocking})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            rows.append({"file": path.name, "host": path.stem, "ok": False, "version": "?",
                         "blocking": [f"unreadable report: {type(exc).__name__}"]})
    return rows


def room_check(reports: list[dict]) -> dict[str, Any]:
    """The room in a few numbers: laptops reported, ready, and what blocks the others (most frequent first)."""
    counts: dict[str, int] = {}
    for row in reports:
        for name in row["blocking"]:
            counts[name] = counts.get(name, 0) + 1
    return {"laptops": len(reports), "ready": sum(r["ok"] for r in reports),
            "blocking": sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


# --------------------------------------------------------------------------------------------------------------------
# The room now


@dataclass
class Participant:
    account: str
    name: str
    server: str  # "running", "starting", "stopping", "stopped"
    last_activity: str | None
    kernels: list[dict] = field(default_factory=list)  # id, state, notebook, busy_s
    rss_gb: float = 0.0
    disk_gb: float = 0.0
    notes: list[str] = field(default_factory=list)


def room_state(api: HubAPI, room: Path, room_id: str, mechanism: limits.Mechanism | None,
               notes: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Everything the trainer's view shows, as data (the tests read it too)."""
    with folders.participants(room / "hub") as known:
        names = {account: entry.get("name", account) for account, entry in known.items()}
    people = []
    for user in api.users():
        account = user["name"]
        server = (user.get("servers") or {}).get("")
        state = "stopped"
        if server:
            state = "running" if server.get("ready") else (server.get("pending") or "starting")
            state = {"spawn": "starting", "stop": "stopping"}.get(state, state)
        person = Participant(account, names.get(account, account), state, user.get("last_activity"))
        if state == "running":
            try:
                sessions = {s["kernel"]["id"]: s.get("path", "") for s in api.sessions(account)}
                for kernel in api.kernels(account):
                    person.kernels.append({"id": kernel["id"], "state": kernel.get("execution_state", "unknown"),
                                           "notebook": sessions.get(kernel["id"], ""),
                                           "last_activity": kernel.get("last_activity")})
            except Exception as exc:  # noqa: BLE001 - one server that does not answer must not hide the others
                person.notes.append(f"its server does not answer: {type(exc).__name__}")
        person.rss_gb = limits.rss_bytes(limits.participant_pids(room_id, account, mechanism)) / GB
        try:
            person.disk_gb = folders.folder_bytes(folders.participant_folder(room, account)) / GB
        except Exception:  # noqa: BLE001 - a folder not made yet
            person.disk_gb = 0.0
        person.notes += (notes or {}).get(account, [])
        people.append(person)
    reports = read_reports(room / "rapports")
    return {"participants": people, "machine": Machine.now(room), "reports": reports, "check": room_check(reports),
            "time": time.strftime("%H:%M:%S")}


# --------------------------------------------------------------------------------------------------------------------
# The page


_CSS = """
body { font-family: system-ui, sans-serif; margin: 1rem 2rem; color: #1B1F4B; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
td, th { border-bottom: 1px solid #ddd; padding: 0.3rem 0.7rem; text-align: left; vertical-align: top; }
.busy { color: #C1440E; font-weight: bold; } .dead { color: #fff; background: #C1440E; padding: 0 0.3rem; }
.idle { color: #12704F; } form { display: inline; } .small { font-size: 0.85rem; color: #555; }
"""


def _kernel_cell(account: str, kernel: dict, key: str) -> str:
    state = kernel["state"]
    label = {"busy": "occupé / busy", "idle": "libre / idle", "dead": "mort / dead",
             "starting": "démarre / starting", "restarting": "redémarre / restarting"}.get(state, state)
    css = "dead" if state == "dead" else ("busy" if state == "busy" else "idle")
    since = ""
    if state == "busy" and kernel.get("last_activity"):
        since = f" <span class=small>depuis / since {html.escape(kernel['last_activity'][11:19])} UTC</span>"
    return (f"<div><span class={css}>{html.escape(label)}</span> {html.escape(kernel['notebook'] or kernel['id'][:8])}"
            f"{since} <form method=post action='/restart'><input type=hidden name=key value='{key}'>"
            f"<input type=hidden name=account value='{html.escape(account)}'>"
            f"<input type=hidden name=kernel value='{html.escape(kernel['id'])}'>"
            "<button>Redémarrer / Restart</button></form></div>")


def page(state: dict[str, Any], key: str, *, title: str) -> str:
    m: Machine = state["machine"]
    rows = []
    for p in state["participants"]:
        kernels = "".join(_kernel_cell(p.account, k, key) for k in p.kernels) or "—"
        free = (f"<form method=post action='/free'><input type=hidden name=key value='{key}'>"
                f"<input type=hidden name=account value='{html.escape(p.account)}'>"
                "<button>Libérer le nom / Free the name</button></form>")
        notes = "".join(f"<div class=busy>{html.escape(n)}</div>" for n in p.notes)
        rows.append(f"<tr><td dir=auto>{html.escape(p.name)}<div class=small>{html.escape(p.account)}</div></td>"
                    f"<td>{html.escape(p.server)}</td><td>{kernels}</td><td>{p.rss_gb:.2f} GB</td>"
                    f"<td>{p.disk_gb:.2f} GB</td><td>{free}{notes}</td></tr>")
    check = state["check"]
    blocking = ", ".join(f"{html.escape(name)} ×{n}" for name, n in check["blocking"]) or "—"
    reports = "".join(f"<tr><td>{html.escape(r['host'])}</td><td>{'✓' if r['ok'] else '✗'}</td>"
                      f"<td>{html.escape(r['version'])}</td>"
                      f"<td>{html.escape(', '.join(r['blocking']) or '—')}</td></tr>" for r in state["reports"])
    return f"""<!doctype html><html lang=fr><head><meta charset=utf-8><meta http-equiv=refresh content=10>
<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Machine : mémoire / memory {m.memory_gb - m.available_gb:.1f} / {m.memory_gb:.1f} GB utilisés / used ·
{m.cores} cœurs / cores · disque libre / free disk {m.disk_free_gb:.1f} GB · {html.escape(state['time'])}</p>
<h2>Participants ({len(state['participants'])})</h2>
<table><tr><th>Nom / name</th><th>Serveur / server</th><th>Noyaux / kernels</th><th>Mémoire / memory</th>
<th>Dossier / folder</th><th></th></tr>{''.join(rows)}</table>
<h2>Vérification de la salle / room check</h2>
<p>{check['ready']} / {check['laptops']} portables prêts / laptops ready · ce qui bloque / what blocks: {blocking}</p>
<table><tr><th>Portable / laptop</th><th>Prêt / ready</th><th>workshop-kit</th><th>Bloque / blocks</th></tr>
{reports}</table>
<p class=small>Rapports / reports: <code>workshop-kit doctor --json &gt; rapports/NOM.json</code>, copiés dans le
dossier <code>rapports/</code> de la salle / copied into the room's <code>rapports/</code> folder.</p>
</body></html>"""


class TrainerServer(ThreadedServer):
    """Serves the trainer's view on 127.0.0.1, behind ``key``."""

    def __init__(self, port: int, key: str, state, act, *, title: str = "workshop-kit — la salle / the room"):
        refused = "la clé manque ou est fausse / the key is missing or wrong"

        class Handler(Quiet):
            def do_GET(self):  # noqa: N802 - http.server's API
                url = urllib.parse.urlsplit(self.path)
                given = urllib.parse.parse_qs(url.query).get("key", [""])[0]
                if url.path not in ("/", "/state.json") or not hmac.compare_digest(given.encode(), key.encode()):
                    send(self, 403, refused, "text/plain; charset=utf-8")
                    return
                current = state()
                if url.path == "/state.json":
                    data = dict(current, participants=[vars(p) for p in current["participants"]],
                                machine=vars(current["machine"]))
                    send(self, 200, json.dumps(data, default=str), "application/json")
                else:
                    send(self, 200, page(current, key, title=title), "text/html; charset=utf-8")

            def do_POST(self):  # noqa: N802 - http.server's API
                length = min(int(self.headers.get("Content-Length") or 0), 10_000)
                form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8")).items()}
                if not hmac.compare_digest(form.get("key", "").encode(), key.encode()):
                    send(self, 403, refused, "text/plain; charset=utf-8")
                    return
                try:
                    act(self.path, form)
                except Exception as exc:  # noqa: BLE001 - the trainer sees what failed, the view stays up
                    send(self, 500, f"{type(exc).__name__}: {exc}", "text/plain; charset=utf-8")
                    return
                self.send_response(303)
                self.send_header("Location", f"/?key={key}")
                self.end_headers()

        super().__init__("127.0.0.1", port, Handler, "workshop-kit-trainer")
