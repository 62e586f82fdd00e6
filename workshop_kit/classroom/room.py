"""``workshop-kit classroom``: one service for the room, on the trainer's machine.

:class:`Classroom` starts, in this order: the JupyterHub of the room (a process of its own, configured by
:mod:`workshop_kit.classroom.settings`), the booth (in this process), the join page on the LAN and the trainer's view
on this machine; a guard then watches every participant's folder. :meth:`Classroom.stop` ends it all — the hub stops
the participants' servers and its proxy, then every process that still carries the room's id is ended, the control
groups and (isolated mode) the system users are removed — and says whether anything was left.

On Windows, JupyterHub does not run: the room serves the booth and the join page, and says so.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from ..errors import WorkshopKitError
from . import folders, limits
from .join import JoinServer, public_address, qr_text
from .settings import RoomSettings, check, find_proxy, load_codes, passage_needed, write_room

HUB_START_S = 90.0
"""How long the hub may take to answer (a cold start imports JupyterHub and starts the proxy)."""

GUARD_EVERY_S = 30.0
"""How often the guard measures the participants' folders."""

HUB_SUPPORTED = sys.platform.startswith("linux") or sys.platform == "darwin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_port(host: str, port: int, what: str, flag: str) -> None:
    """Refuse a port another program holds, naming the program when this machine says which."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return
        except OSError:
            pass
    holder = None
    try:
        import psutil

        for conn in psutil.net_connections("tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                holder = (psutil.Process(conn.pid).name(), conn.pid)
                break
    except Exception:  # noqa: BLE001 - naming the holder is a courtesy
        pass
    from ..i18n import t

    def words(lang: str) -> str:
        by = t("room.port.by", lang).format(program=holder[0], pid=holder[1]) if holder else ""
        return t("room.port.taken", lang).format(port=port, what=t(f"room.port.{what}", lang), by=by, flag=flag)

    raise WorkshopKitError(words("en"), words("fr"), words("ar"))


def _wait_for(url: str, timeout: float, alive) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("stopped")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(url)


class Classroom:
    """The room's services, started and stopped together (a context manager too)."""

    def __init__(self, settings: RoomSettings, *, say=None):
        self.settings = settings
        self.say = say or (lambda _text: None)
        self.room_id = secrets.token_hex(4)
        self.token = secrets.token_hex(32)
        self.key = secrets.token_urlsafe(12)
        self.hub: subprocess.Popen | None = None
        self.booth = None
        self.join: JoinServer | None = None
        self.trainer = None
        self.api = None
        self.mechanism: limits.Mechanism | None = None
        self.codes: dict[str, str] = {}
        self.notes: list[str] = []
        self.guard_notes: dict[str, list[str]] = {}
        self._stop = threading.Event()
        self._guard: threading.Thread | None = None
        self.urls: dict[str, str | None] = {}

    # ---- start -------------------------------------------------------------------------------------------------

    def start(self) -> Classroom:
        s = self.settings
        self.notes = check(s) if HUB_SUPPORTED else []
        address = public_address(s.host)
        notebooks = HUB_SUPPORTED
        ports = [(s.join_port, "join", "--join-port")]
        if notebooks:
            ports.insert(0, (s.port, "notebooks", "--port"))
            ports.append((s.trainer_port, "trainer", "--trainer-port"))
        if s.booth_port:
            ports.append((s.booth_port, "booth", "--booth-port"))
        for port, what, flag in ports:
            check_port(s.host if flag != "--trainer-port" else "127.0.0.1", port, what, flag)
        proxy = find_proxy(s.proxy) if notebooks else None
        room = folders.make_room(s.folder)
        if notebooks and s.mode == "isolated":
            folders.close_passage(room["hub"])  # a room that was not stopped cleanly
            folders.open_passage(passage_needed(s), room["hub"])
        self.urls = {"address": f"http://{address}:{s.join_port}/",
                     "notebooks": f"http://{address}:{s.port}/" if notebooks else None,
                     "booth": f"http://{address}:{s.booth_port}/" if s.booth_port else None,
                     "trainer": f"http://127.0.0.1:{s.trainer_port}/?key={self.key}" if notebooks else None}
        try:
            if notebooks:
                self._start_hub(proxy)
            else:
                self.notes.append(f"JupyterHub runs on Linux and macOS only, not on {sys.platform}: the notebooks are "
                                  "not served from this machine; the booth and the join page are")
            if s.booth_port:
                self._start_booth(room["booth"])
            self.join = JoinServer(s.host, s.join_port, address=self.urls["address"], notebooks=self.urls["notebooks"],
                                   booth=self.urls["booth"], login=s.login).start()
            if notebooks:
                self._start_trainer()
                self._guard = threading.Thread(target=self._watch, name="workshop-kit-guard", daemon=True)
                self._guard.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_hub(self, proxy: str) -> None:
        s = self.settings
        self.mechanism = limits.find_mechanism(self.room_id)
        self.notes.append(self.mechanism.describe(s.limits))
        self.codes = load_codes(s)
        hub_port, proxy_api_port = _free_port(), _free_port()
        config = write_room(s, room_id=self.room_id, codes=self.codes, hub_port=hub_port, proxy_api_port=proxy_api_port,
                            proxy=proxy)
        env = dict(os.environ, CONFIGPROXY_AUTH_TOKEN=secrets.token_hex(32), WORKSHOP_KIT_ROOM_TOKEN=self.token,
                   **{limits.ROOM_ENV: self.room_id})
        log = open(s.folder / "hub" / "hub.log", "ab")  # noqa: SIM115 - kept open while the hub runs
        self._log = log
        self.hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=config.parent, env=env,
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        try:
            _wait_for(f"http://127.0.0.1:{s.port}/hub/health", HUB_START_S, lambda: self.hub.poll() is None)
        except (RuntimeError, TimeoutError):
            tail = self.hub_log(12)
            log = s.folder / "hub" / "hub.log"
            raise WorkshopKitError(f"the room's JupyterHub did not start; the end of {log}:\n{tail}",
                                   f"le JupyterHub de la salle n'a pas démarré ; la fin de {log} :\n{tail}") from None
        from .trainer import HubAPI

        self.api = HubAPI(f"http://127.0.0.1:{hub_port}", f"http://127.0.0.1:{s.port}", self.token)

    def _start_booth(self, output: Path) -> None:
        s = self.settings
        self.booth = serve_booth(s.host, s.booth_port, s.lang, output)

    def _start_trainer(self) -> None:
        from .trainer import TrainerServer, room_state

        def state():
            return room_state(self.api, self.settings.folder, self.room_id, self.mechanism, self.guard_notes)

        self.trainer = TrainerServer(self.settings.trainer_port, self.key, state, self._act).start()

    def _act(self, path: str, form: dict[str, str]) -> None:
        """What the trainer's buttons do."""
        account = form.get("account", "")
        folders.participant_folder(self.settings.folder, account)  # refuses anything but an account
        if path == "/restart":
            self.api.restart_kernel(account, form["kernel"])
        elif path == "/free":
            self.free_name(account)
        elif path == "/stop":
            self.api.stop_server(account)
        else:
            raise WorkshopKitError(f"unknown action {path}", f"action inconnue {path}")

    def free_name(self, account: str) -> None:
        """Let the next browser that types this name have it (a participant on a new computer)."""
        with folders.participants(self.settings.folder / "hub") as known:
            if account in known:
                known[account].pop("browser", None)

    # ---- the guard ---------------------------------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.wait(GUARD_EVERY_S):
            with contextlib.suppress(Exception):
                self.guard()

    def guard(self) -> dict[str, list[str]]:
        """Stop the kernels of a participant whose folder holds more than the room allows (the others go on; their
        server stays up so that they can delete files), and say so in the trainer's view."""
        s = self.settings
        quota = s.disk_gb * limits.GB
        notes: dict[str, list[str]] = {}
        base = folders.layout(s.folder)["participants"]
        for folder in sorted(p for p in base.iterdir() if p.is_dir()):
            used = folders.folder_bytes(folder)
            if used <= quota:
                continue
            account = folder.name
            notes[account] = [f"folder {used / limits.GB:.1f} GB > {s.disk_gb:g} GB: kernels stopped"]
            with contextlib.suppress(Exception):
                for kernel in self.api.kernels(account):
                    self.api.shutdown_kernel(account, kernel["id"])
        self.guard_notes = notes
        return notes

    # ---- stop --------------------------------------------------------------------------------------------------

    def stop(self) -> list[int]:
        """Stop everything; returns the processes of the room still alive afterwards (none, normally)."""
        self._stop.set()
        for server in (self.trainer, self.join):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()
        self.trainer = self.join = None
        if self.booth is not None:
            with contextlib.suppress(Exception):
                self.booth.close()
            self.booth = None
        if self.hub is not None:
            if self.hub.poll() is None:
                self.hub.send_signal(signal.SIGTERM)
                try:
                    self.hub.wait(timeout=45)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(OSError):
                        os.killpg(self.hub.pid, signal.SIGKILL)
                    self.hub.wait(timeout=10)
            self._log.close()
            self.hub = None
        left = self._end_room()
        if self.mechanism is not None:
            limits.remove_groups(self.mechanism)
        if self.settings.mode == "isolated" and HUB_SUPPORTED:
            base = folders.layout(self.settings.folder)["participants"]
            accounts = [p.name for p in base.iterdir()] if base.is_dir() else []
            folders.remove_users(accounts)
            folders.close_passage(self.settings.folder / "hub")
        return left

    def _end_room(self) -> list[int]:
        """End every process that carries the room's id (a kernel orphaned by a killed server, the proxy …)."""
        pids = limits.room_pids(self.room_id, mechanism=None)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while pids and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = limits.room_pids(self.room_id, mechanism=None)
        return sorted(pids)

    def __enter__(self) -> Classroom:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- words for the trainer ---------------------------------------------------------------------------------

    def hub_log(self, lines: int = 20) -> str:
        try:
            text = (self.settings.folder / "hub" / "hub.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def banner(self) -> str:
        """What the trainer's screen shows: the room's address and its QR code, the code(s), the trainer's view."""
        s = self.settings
        out = ["", "workshop-kit — la salle / the room", "",
               f"  Adresse de la salle / room's address:  {self.urls['address']}", ""]
        out.append(qr_text(self.urls["address"]))
        if self.urls["notebooks"]:
            out.append(f"  Carnets / notebooks:   {self.urls['notebooks']}")
        if self.urls["booth"]:
            out.append(f"  Borne / booth:         {self.urls['booth']}")
        if s.login == "code" and self.codes:
            out.append(f"  Code de la salle / room code:   {self.codes['']}")
        elif self.codes:
            cards = s.folder / "hub" / "codes.html"
            out.append(f"  Codes personnels / personal codes: {cards} (cartes à imprimer / cards to print)")
        if self.urls["trainer"]:
            out.append(f"  Vue du formateur / trainer's view (this machine only): {self.urls['trainer']}")
        out += ["", *(f"  note: {n}" for n in self.notes), "", "  Ctrl+C arrête la salle / stops the room.", ""]
        return "\n".join(out)

    def state(self) -> dict[str, Any]:
        from .trainer import room_state

        return room_state(self.api, self.settings.folder, self.room_id, self.mechanism, self.guard_notes)


def serve_booth(host: str, port: int, lang: str, output: Path):
    """The booth of the room, served in the background from this process (its folder: ``output``); it answers
    :data:`workshop_kit.provenance.SIDECAR_ROUTE`, which :func:`workshop_kit.use_server` reads."""
    from ..booth import serve_booth as serve

    return serve(host=host, port=port, lang=lang, root=output, background=True, lan=host != "127.0.0.1")


def serve(settings: RoomSettings) -> int:
    """Start the room, show its address, wait for Ctrl+C (or SIGTERM), stop it all."""
    room = Classroom(settings)
    stop = threading.Event()

    def on_signal(_signum, _frame):
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        room.start()
        print(room.banner(), flush=True)
        while not stop.is_set():
            if room.hub is not None and room.hub.poll() is not None:
                print(f"workshop-kit: the room's JupyterHub stopped (status {room.hub.returncode}):\n{room.hub_log()}",
                      file=sys.stderr)
                return 1
            stop.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        left = room.stop()
        signal.signal(signal.SIGTERM, previous)
        if left:
            print(f"workshop-kit: processes still running after the room stopped: {left}", file=sys.stderr)
    print("La salle est fermée. / The room is closed.")
    return 0
