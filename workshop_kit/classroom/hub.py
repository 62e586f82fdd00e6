"""The room's JupyterHub plugins: who may come in, and how each participant's server is started.

Loaded by the hub process only (the configuration ``workshop-kit classroom`` writes names them): it imports
JupyterHub, which the rest of the kit never does.

- :class:`RoomAuthenticator` — a participant types their name and the room code (``code`` login) or their own code
  from the trainer's list (``names`` login). No system account is needed. In the ``code`` login, the first browser
  that uses a name keeps it: someone else typing the same name is told to add an initial, and the trainer can free
  a name from their view (a participant on a new computer).
- :class:`RoomSpawner` — JupyterHub's local-process spawner, with the participant's folder as home and the room's
  limits (control groups where the machine allows, else per-process caps), refusing a new participant with a clear
  page when the room or the machine is full. In the ``simple`` mode servers run as the hub's user; in the
  ``isolated`` mode (Linux, root) each participant's server runs as their own system user ``wk-<account>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import os
import secrets
import signal
import time
from pathlib import Path

from jupyterhub.auth import Authenticator
from jupyterhub.spawner import LocalProcessSpawner, SpawnException, set_user_setuid
from tornado import web
from traitlets import Unicode

from ..errors import ParameterError
from ..i18n import LANGS, t
from ..provenance import now_iso
from . import folders, limits
from .folders import participants
from .limits import ACCOUNT_ENV, ROOM_ENV, participant_pids
from .names import account_of, check_name, is_account
from .settings import same_code

TEMPLATES = Path(__file__).with_name("templates")
"""The room's pages (login in three languages); JupyterHub's own templates fill the rest."""

BROWSER_COOKIE = "workshop-kit-browser"
WRONG_CODES_ALLOWED = 5
WRONG_CODES_WINDOW_S = 60
"""After this many wrong codes from one address within the window, that address waits: a room code of two words and
two digits has about 92 000 values, which the network must not be able to try in an afternoon."""

KIT_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "PYTHONUNBUFFERED": "1"}
"""Set for every participant's server and kernels: nothing reaches a model hub, nothing reports analytics."""


def words(key: str, **values) -> str:
    """A room message in every language, French first, one a line."""
    return "\n".join(t(key, lang).format(**values) for lang in LANGS)


def words_html(key: str, **values) -> str:
    return "".join(f'<p dir="auto" lang="{lang}">{html.escape(t(key, lang).format(**values))}</p>' for lang in LANGS)


class _RoomFile:
    """``hub/room.json``, read again when it changes."""

    def __init__(self):
        self._stamp = None
        self._data = {}

    def read(self, path: str) -> dict:
        stamp = os.stat(path).st_mtime_ns
        if stamp != self._stamp:
            self._data = json.loads(Path(path).read_text(encoding="utf-8"))
            self._stamp = stamp
        return self._data


def _deny(key: str, **values) -> web.HTTPError:
    """A refusal shown on the login form, in the three languages (the form shows one line per language)."""
    return web.HTTPError(403, words(key, **values))


class RoomAuthenticator(Authenticator):
    """Name + room code, or name + personal code; see the module's description."""

    room_file = Unicode(config=True, help="hub/room.json written by workshop-kit classroom")

    _room = _RoomFile()
    _failures: dict[str, list[float]] = {}  # address -> times of its recent wrong codes

    @property
    def room(self) -> dict:
        return self._room.read(self.room_file)

    def _wrong(self, address: str, key: str, **values) -> web.HTTPError:
        """Count a wrong code from ``address``: guessing the room code from the network takes too long to try."""
        self._failures.setdefault(address, []).append(time.monotonic())
        return _deny(key, **values)

    def _too_many(self, address: str) -> bool:
        recent = [t for t in self._failures.get(address, ()) if time.monotonic() - t < WRONG_CODES_WINDOW_S]
        self._failures[address] = recent
        return len(recent) >= WRONG_CODES_ALLOWED

    def words(self, key: str) -> list[tuple[str, str]]:
        """(language, text) of ``key``, for the room's login page."""
        return [(lang, t(key, lang)) for lang in LANGS]

    def validate_username(self, username: str) -> bool:
        return is_account(username)

    def normalize_username(self, username: str) -> str:
        return username  # already an account: lower-case ASCII (account_of)

    async def authenticate(self, handler, data):
        room = self.room
        address = getattr(getattr(handler, "request", None), "remote_ip", "") or ""
        if self._too_many(address):
            raise _deny("room.slow_down", seconds=WRONG_CODES_WINDOW_S)
        typed = (data or {}).get("username", "")
        code = (data or {}).get("password", "")
        try:
            name = check_name(typed)
        except ParameterError as exc:
            detail = [words("room.bad_name"), exc.message("fr"), exc.message("en")]
            raise web.HTTPError(403, "\n".join(detail)) from None
        account = account_of(name)
        if room["login"] == "code":
            if not same_code(code, room["salt"], room["code"]):
                raise self._wrong(address, "room.wrong_code")
        else:
            entry = room["roster"].get(account)
            if entry is None:
                raise self._wrong(address, "room.not_listed", name=name)
            if not same_code(code, room["salt"], entry["code"]):
                raise self._wrong(address, "room.wrong_personal")
        token = handler.get_cookie(BROWSER_COOKIE) or ""
        if len(token) != 32:
            token = secrets.token_hex(16)
        browser = hashlib.sha256(token.encode("ascii", "replace")).hexdigest()
        with participants(Path(self.room_file).parent) as known:
            entry = known.get(account)
            if room["login"] == "code" and entry and entry.get("browser") and entry["browser"] != browser:
                raise _deny("room.name_taken", name=name)
            known[account] = {"name": name, "browser": browser, "first": (entry or {}).get("first", now_iso()),
                              "last": now_iso()}
        handler.set_cookie(BROWSER_COOKIE, token, path="/", httponly=True, expires_days=30)
        return {"name": account}


class RoomSpawner(LocalProcessSpawner):
    """A local process per participant, in their folder, within the room's limits."""

    room_file = Unicode(config=True, help="hub/room.json written by workshop-kit classroom")

    _room = _RoomFile()
    _starting: set[str] = set()  # accounts whose start is under way (the event loop makes the check atomic)
    _mechanism: dict[str, limits.Mechanism] = {}

    @property
    def room(self) -> dict:
        return self._room.read(self.room_file)

    @property
    def isolated(self) -> bool:
        return self.room["mode"] == "isolated"

    @property
    def folder(self) -> Path:
        return folders.participant_folder(Path(self.room["folder"]), self.user.name)

    @property
    def limits(self) -> limits.Limits:
        return limits.Limits(**self.room["limits"])

    @property
    def mechanism(self) -> limits.Mechanism:
        room_id = self.room["room_id"]
        if room_id not in self._mechanism:
            self._mechanism[room_id] = limits.find_mechanism(room_id)
        return self._mechanism[room_id]

    # ---- capacity ---------------------------------------------------------------------------------------------

    def _active(self) -> set[str]:
        from jupyterhub.app import JupyterHub

        app = JupyterHub.instance()
        return {user.name for user in list(app.users.values())
                if any(s.active for s in user.spawners.values())} | self._starting

    def check_room(self) -> None:
        """Refuse a new participant when the room is full or the machine short of memory (a clear page)."""
        room = self.room
        others = self._active() - {self.user.name}
        if len(others) >= room["max_participants"]:
            raise SpawnException(words("room.full", n=len(others), max=room["max_participants"]), reason="capacity",
                                 message_html=words_html("room.full", n=len(others), max=room["max_participants"]),
                                 status_code=503)
        machine = limits.Machine.now(room["folder"])
        need = room["need_gb"] + room["reserve_gb"]
        if machine.available_gb < need:
            values = dict(free=f"{machine.available_gb:.1f}", need=f"{need:.1f}")
            raise SpawnException(words("room.memory", **values), reason="memory",
                                 message_html=words_html("room.memory", **values), status_code=503)
        if machine.disk_free_gb < 1.0:
            values = dict(free=f"{machine.disk_free_gb:.1f}")
            raise SpawnException(words("room.disk_full", **values), reason="disk",
                                 message_html=words_html("room.disk_full", **values), status_code=503)

    # ---- start and stop ---------------------------------------------------------------------------------------

    async def start(self):
        account = self.user.name
        self.check_room()
        self._starting.add(account)
        try:
            await asyncio.to_thread(self._prepare, account)  # users, folders, groups: off the hub's event loop
            return await super().start()
        finally:
            self._starting.discard(account)

    def _prepare(self, account: str) -> None:
        room = self.room
        home = folders.participant_folder(Path(room["folder"]), account)
        owner = folders.ensure_user(account, home) if self.isolated else None
        folders.prepare(Path(room["folder"]), account, Path(room["notebooks"]), owner=owner)
        self._groups = limits.make_groups(self.mechanism, account, self.limits)

    def make_preexec_fn(self, name):
        apply_limits = limits.preexec(self.mechanism, getattr(self, "_groups", []), self.limits)
        home = str(self.folder)
        become = set_user_setuid(folders.system_user(name), chdir=False) if self.isolated else None

        def preexec():
            apply_limits()
            if become is not None:
                become()
            os.chdir(home)

        return preexec

    def get_args(self):
        args = super().get_args()
        args += ["--ServerApp.jpserver_extensions", "jupyter_lsp=False",  # code completion servers: not for a room
                 "--ServerApp.answer_yes=True"]  # stop at once when the hub (or the idle culler) says so
        if not self.isolated and os.geteuid() == 0:
            args.append("--ServerApp.allow_root=True")  # the simple mode runs servers as the hub's user
        return args

    def user_env(self, env):
        room = self.room
        home = str(self.folder)
        env.update(KIT_ENV)
        threads = str(self.limits.cores)
        env.update(USER=folders.system_user(self.user.name) if self.isolated else self.user.name, HOME=home,
                   SHELL="/bin/bash", OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads,
                   XDG_CACHE_HOME=os.path.join(home, ".cache"), MPLCONFIGDIR=os.path.join(home, ".cache", "matplotlib"),
                   JUPYTER_RUNTIME_DIR=os.path.join(home, ".local", "share", "jupyter", "runtime"),
                   **{ACCOUNT_ENV: self.user.name, ROOM_ENV: room["room_id"]})
        for key in ("WORKSHOP_KIT_MODELS", "WORKSHOP_KIT_DEVICE", "PYTHONPATH"):
            if os.environ.get(key):
                env[key] = os.environ[key]
        return env

    async def stop(self, now=False):
        await super().stop(now=now)
        await self.end_processes()

    async def end_processes(self) -> None:
        """End what the server left behind (a kernel whose server was killed), then remove the participant's groups."""
        room_id, account = self.room["room_id"], self.user.name

        def left() -> set[int]:
            return participant_pids(room_id, account, self.mechanism)

        for pid in await asyncio.to_thread(left):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while await asyncio.to_thread(left) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        limits.remove_groups(self.mechanism, [account])
