"""A room's settings, checked before anything starts, and the JupyterHub configuration the kit writes from them.

The trainer chooses with the options of ``workshop-kit classroom``; the kit writes ``hub/jupyterhub_config.py``
(plain JupyterHub configuration, readable) and ``hub/room.json`` (what the room's authenticator and spawner read:
the login mode, the codes' digests, the limits). Nothing else configures the hub.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import ParameterError, WorkshopKitError
from ..files import write_json
from ..provenance import now_iso
from .limits import Limits, Machine, default_capacity
from .names import account_of, check_name

MODES = ("simple", "isolated")
LOGINS = ("code", "names")

NEED_GB = 0.7
"""Memory one participant typically uses (their Jupyter server and one kernel that ran notebook 00), rounded up from
``workshop-kit bench --classroom`` on the 2-core development machine; the hub counts it to decide when the room is
full."""

RESERVE_GB = 2.0
"""Memory kept for the system, the hub, the proxy and the booth."""

CODE_WORDS = ("atlas", "medina", "zellige", "tajine", "souk", "riad", "oasis", "dune", "argan", "cedre", "henne",
              "menthe", "safran", "olive", "datte", "figue", "ambre", "indigo", "cobalt", "ocre", "sable", "vague",
              "etoile", "lune", "soleil", "nuage", "fleuve", "jardin", "fontaine", "lanterne", "tapis", "poterie")
"""Words of the codes the kit makes up: easy to say aloud in a room, to write on a board, in French or English."""


def make_code(words: int = 2) -> str:
    """A room or personal code: ``words`` words and two digits, e.g. ``riad-safran-42``."""
    return "-".join([*(secrets.choice(CODE_WORDS) for _ in range(words)), f"{secrets.randbelow(90) + 10}"])


def digest(code: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", code.strip().casefold().encode("utf-8"), salt.encode("ascii"), 100_000).hex()


def same_code(code: str, salt: str, expected: str) -> bool:
    return hmac.compare_digest(digest(code, salt), expected)


@dataclass
class RoomSettings:
    """Everything a room is started with. ``check()`` says in one line what cannot work, before anything starts."""

    folder: Path
    mode: str = "simple"
    login: str = "code"
    code: str | None = None  # the room code (code login); made up when None
    roster: tuple[str, ...] = ()  # the participants' names (names login)
    host: str = "0.0.0.0"
    port: int = 8000  # the hub (notebooks)
    join_port: int = 8080  # the join page, the room's address
    booth_port: int | None = 7860  # None: no booth
    trainer_port: int = 8001  # the trainer's view, on this machine only
    limits: Limits = field(default_factory=Limits)
    need_gb: float = NEED_GB
    reserve_gb: float = RESERVE_GB
    max_participants: int | None = None  # None: as many as the memory holds
    disk_gb: float = 2.0  # what one participant's folder may hold
    idle_minutes: int = 30
    notebooks: Path | None = None
    lang: str = "fr"
    proxy: str | None = None  # configurable-http-proxy; found in .tools/ or on the PATH when None
    open_folders: bool = False  # isolated mode: let the participants' users pass through closed folders on the way

    def __post_init__(self):
        self.folder = Path(self.folder).expanduser().resolve()
        if self.notebooks is None:
            from .folders import repository_notebooks

            self.notebooks = repository_notebooks()
        self.notebooks = Path(self.notebooks).expanduser().resolve()

    def capacity(self, machine: Machine | None = None) -> int:
        if self.max_participants is not None:
            return self.max_participants
        return default_capacity(machine or Machine.now(self.folder.parent), self.need_gb, self.reserve_gb)


def _fail(name: str, value: object, allowed: str, reason: str, allowed_fr: str, reason_fr: str) -> ParameterError:
    return ParameterError(name, value, allowed, reason=reason, allowed_fr=allowed_fr, reason_fr=reason_fr)


def find_proxy(given: str | None = None) -> str:
    """configurable-http-proxy: ``given``, else the repository's ``.tools`` (``make test`` puts it there), else the
    folder of ``$WORKSHOP_KIT_NODE_MODULES``, else the PATH."""
    from ..mesh.gltf_check import node_modules_dir

    candidates = [given] if given else []
    name = Path(".bin") / "configurable-http-proxy"
    candidates += [str(Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / name),
                   str(node_modules_dir() / name)]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("configurable-http-proxy")
    if found and not given:
        return found
    raise WorkshopKitError(
        "configurable-http-proxy (JupyterHub's proxy, from npm) is not installed: run "
        "`npm install --prefix .tools configurable-http-proxy@5.3.0` at the root of the kit (make test does), "
        "or name it with --proxy",
        "configurable-http-proxy (le proxy de JupyterHub, sur npm) n'est pas installé : lancez "
        "`npm install --prefix .tools configurable-http-proxy@5.3.0` à la racine du kit (make test le fait), "
        "ou indiquez-le avec --proxy")


def read_roster(path: str | os.PathLike) -> tuple[str, ...]:
    """The participants' names, one a line (empty lines and ``#`` comments skipped); a bad or repeated name is
    refused with its line number."""
    file = Path(path).expanduser()
    try:
        lines = file.read_text(encoding="utf-8-sig").splitlines()[:1000]
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail("names", str(path), "a UTF-8 text file, one name a line", str(exc),
                    "un fichier texte UTF-8, un nom par ligne", str(exc)) from None
    names: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            name = check_name(line)
        except ParameterError as exc:
            raise _fail("names", f"{file.name}:{number}", "one valid name a line", exc.message_en,
                        "un nom valide par ligne", exc.message_fr) from None
        account = account_of(name)
        if account in seen:
            raise _fail("names", f"{file.name}:{number}", "each name once",
                        f"{name!r} is already on line {seen[account]}", "chaque nom une fois",
                        f"{name!r} est déjà à la ligne {seen[account]}")
        seen[account] = number
        names.append(name)
    if not names:
        raise _fail("names", str(path), "a file with at least one name", "it holds no name",
                    "un fichier d'au moins un nom", "il ne contient aucun nom")
    return tuple(names)


def check(settings: RoomSettings) -> list[str]:
    """Refuse, before anything starts, what cannot work; returns notes for the trainer (what works, what does not)."""
    notes: list[str] = []
    if settings.mode not in MODES:
        raise ParameterError("mode", settings.mode, MODES)
    if settings.login not in LOGINS:
        raise ParameterError("login", settings.login, LOGINS)
    if settings.login == "names" and not settings.roster:
        raise _fail("names", None, "a file of the participants' names (--names FILE)",
                    "the names login needs the list of names", "un fichier des noms des participants (--names FICHIER)",
                    "la connexion par nom demande la liste des noms")
    if settings.login == "code" and settings.code is not None and len(settings.code.strip()) < 4:
        raise _fail("code", settings.code, "a code of at least 4 characters", "the room code is too short",
                    "un code d'au moins 4 caractères", "le code de la salle est trop court")
    if not settings.notebooks.is_dir() or not any(settings.notebooks.glob("*.ipynb")):
        raise _fail("notebooks", str(settings.notebooks), "a folder of .ipynb notebooks", "no notebook there",
                    "un dossier de carnets .ipynb", "aucun carnet ici")
    if settings.mode == "isolated":
        if not sys.platform.startswith("linux") or os.geteuid() != 0:
            raise _fail("mode", "isolated", "simple (or run as root on Linux)",
                        "the isolated mode creates one system user per participant: it needs Linux and root",
                        "simple (ou lancez en root sous Linux)",
                        "le mode isolé crée un utilisateur système par participant : il faut Linux et root")
        if shutil.which("useradd") is None:
            raise _fail("mode", "isolated", "simple", "useradd is not on this machine", "simple",
                        "useradd n'est pas sur cette machine")
        closed = passage_needed(settings)
        if closed and not settings.open_folders:
            shown = ", ".join(str(f) for f in closed)
            raise _fail("mode", "isolated", "the kit and the room in folders other users can pass through",
                        f"the participants' users could not reach Python, the kit or the room: {shown} "
                        f"{'is' if len(closed) == 1 else 'are'} closed to other users. Add --open-folders (they "
                        "become passable, not listable, while the room runs), or install the kit outside a home "
                        "folder (e.g. /opt/workshop-kit)",
                        "le kit et la salle dans des dossiers que les autres utilisateurs peuvent traverser",
                        f"les utilisateurs des participants n'atteindraient ni Python, ni le kit, ni la salle : "
                        f"{shown} leur est fermé. Ajoutez --open-folders (traversables, non listables, le temps de "
                        "la salle), ou installez le kit hors d'un dossier personnel (par exemple /opt/workshop-kit)")
        if closed:
            notes.append("opened for the participants' users while the room runs (o+x: passable, not listable): "
                         + ", ".join(str(f) for f in closed) + "; files there that others may read become readable "
                         "to them")
    elif os.name == "posix" and os.geteuid() == 0:
        notes.append("simple mode as root: every participant's kernel runs as root and can read the whole machine; "
                     "prefer --isolated here")
    return notes


def passage_needed(settings: RoomSettings) -> list[Path]:
    """The closed folders between the participants' users and what their servers need: the room, Python (the
    environment and the interpreter it was made from), the kit, ``PYTHONPATH`` and the offline models."""
    from .folders import closed_folders

    needed = [settings.folder.parent, Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)),
              Path(__file__).resolve().parents[1]]
    needed += [Path(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if os.environ.get("WORKSHOP_KIT_MODELS"):
        needed.append(Path(os.environ["WORKSHOP_KIT_MODELS"]))
    closed: list[Path] = []
    for path in needed:
        for folder in closed_folders(path):
            if folder not in closed:
                closed.append(folder)
    return closed


def room_record(settings: RoomSettings, room_id: str, codes: dict[str, str]) -> dict:
    """What ``hub/room.json`` holds: the hub's plugins read only this. Codes are kept as salted digests."""
    salt = secrets.token_hex(8)
    record = {
        "created": now_iso(),
        "room_id": room_id,
        "folder": str(settings.folder),
        "mode": settings.mode,
        "login": settings.login,
        "salt": salt,
        "limits": asdict(settings.limits),
        "need_gb": settings.need_gb,
        "reserve_gb": settings.reserve_gb,
        "max_participants": settings.capacity(),
        "disk_gb": settings.disk_gb,
        "notebooks": str(settings.notebooks),
        "lang": settings.lang,
    }
    if settings.login == "code":
        record["code"] = digest(codes[""], salt)
    else:
        record["roster"] = {account_of(name): {"name": name, "code": digest(codes[name], salt)}
                            for name in settings.roster}
    return record


def config_text(settings: RoomSettings, *, hub_port: int, proxy_api_port: int, proxy: str) -> str:
    """The JupyterHub configuration of the room, as a Python file (secrets come from the environment)."""
    folder = settings.folder
    hub = folder / "hub"
    singleuser = str(Path(sys.executable).with_name("jupyterhub-singleuser"))
    idle = settings.idle_minutes * 60
    lines = [
        f"# Written by `workshop-kit classroom` on {now_iso()}: change the command's options, not this file.",
        "import os",
        "",
        "from workshop_kit.classroom.hub import RoomAuthenticator, RoomSpawner, TEMPLATES",
        "",
        "c = get_config()  # noqa: F821 - JupyterHub's configuration loader provides it",
        f"c.JupyterHub.bind_url = {f'http://{settings.host}:{settings.port}'!r}",
        f"c.JupyterHub.hub_bind_url = {f'http://127.0.0.1:{hub_port}'!r}",
        f"c.ConfigurableHTTPProxy.api_url = {f'http://127.0.0.1:{proxy_api_port}'!r}",
        f"c.ConfigurableHTTPProxy.command = [{proxy!r}]",
        "c.ConfigurableHTTPProxy.auth_token = os.environ['CONFIGPROXY_AUTH_TOKEN']",
        f"c.JupyterHub.db_url = {'sqlite:///' + str(hub / 'jupyterhub.sqlite')!r}",
        f"c.JupyterHub.cookie_secret_file = {str(hub / 'jupyterhub_cookie_secret')!r}",
        f"c.JupyterHub.pid_file = {str(hub / 'jupyterhub.pid')!r}",
        "c.JupyterHub.template_paths = [str(TEMPLATES)]",
        "c.JupyterHub.authenticator_class = RoomAuthenticator",
        "c.JupyterHub.spawner_class = RoomSpawner",
        f"c.RoomAuthenticator.room_file = {str(hub / 'room.json')!r}",
        f"c.RoomSpawner.room_file = {str(hub / 'room.json')!r}",
        "c.Authenticator.allow_all = True",
        f"c.Spawner.cmd = [{singleuser!r}]",
        f"c.Spawner.notebook_dir = {str(folder / 'participants' / '{username}')!r}",
        "c.Spawner.default_url = '/lab/tree/carnets'",
        "c.Spawner.start_timeout = 180",
        "c.Spawner.http_timeout = 180",
        f"c.JupyterHub.active_server_limit = {settings.capacity() + 1}  # the room's own check says it first, in words",
        "c.JupyterHub.cleanup_servers = True",
        "c.JupyterHub.cleanup_proxy = True",
        "c.JupyterHub.services = [",
        "    {'name': 'idle-culler', 'command': [" + repr(sys.executable) + ", '-m', 'jupyterhub_idle_culler', "
        f"'--timeout={idle}', '--cull-every={max(30, idle // 10)}'],",
        "     'environment': {'WORKSHOP_KIT_ROOM_ID': os.environ['WORKSHOP_KIT_ROOM_ID']}},",
        "    {'name': 'workshop-kit', 'api_token': os.environ['WORKSHOP_KIT_ROOM_TOKEN']},",
        "]",
        "c.JupyterHub.load_roles = [",
        "    {'name': 'idle-culler', 'services': ['idle-culler'],",
        "     'scopes': ['list:users', 'read:users:activity', 'read:servers', 'delete:servers']},",
        "    {'name': 'workshop-kit', 'services': ['workshop-kit'],",
        "     'scopes': ['list:users', 'read:users', 'read:users:activity', 'read:servers', 'delete:servers',",
        "                'admin:servers', 'access:servers']},",
        "]",
    ]
    return "\n".join(lines) + "\n"


def write_room(settings: RoomSettings, *, room_id: str, codes: dict[str, str], hub_port: int, proxy_api_port: int,
               proxy: str) -> Path:
    """Write ``hub/room.json`` and ``hub/jupyterhub_config.py`` (both 0600); returns the config's path."""
    hub = settings.folder / "hub"
    room = write_json(hub / "room.json", room_record(settings, room_id, codes))
    config = hub / "jupyterhub_config.py"
    config.write_text(config_text(settings, hub_port=hub_port, proxy_api_port=proxy_api_port, proxy=proxy),
                      encoding="utf-8")
    for path in (room, config):
        path.chmod(0o600)
    return config


def load_codes(settings: RoomSettings) -> dict[str, str]:
    """The codes in plain words for the trainer: the room code (key ``""``), or one per name. Kept in
    ``hub/codes.json`` (0600) so that a room started again tomorrow keeps its codes."""
    path = settings.folder / "hub" / "codes.json"
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = {}
    if settings.login == "code":
        codes = {"": (settings.code or kept.get("") or make_code()).strip()}
    else:
        codes = {name: kept.get(name) or make_code(1) for name in settings.roster}
    write_json(path, codes)
    path.chmod(0o600)
    if settings.login == "names":
        cards = path.with_name("codes.html")
        cards.write_text(cards_html(codes), encoding="utf-8")
        cards.chmod(0o600)
    return codes


def cards_html(codes: dict[str, str]) -> str:
    """A page of cards to print and cut: each participant's name and personal code."""
    import html

    cards = "".join(f'<div class="card"><p class="name" dir="auto">{html.escape(name)}</p>'
                    f'<p class="code">{html.escape(code)}</p></div>' for name, code in codes.items())
    return ("<!doctype html><html lang=fr><head><meta charset=utf-8><title>Codes</title><style>"
            "body{font-family:system-ui,sans-serif}.card{display:inline-block;width:8cm;height:4cm;margin:0.2cm;"
            "border:1px dashed #999;padding:0.4cm;box-sizing:border-box;vertical-align:top}"
            ".name{font-size:1.3rem;margin:0 0 .5rem}.code{font-family:monospace;font-size:1.6rem;margin:0}"
            f"</style></head><body>{cards}</body></html>")
