"""The room's folders on disk, each participant's copy of the notebooks, and the isolated mode's system users.

::

    <room>/                 the room (its parents must let other users through, in the isolated mode)
      hub/                  0700: the generated JupyterHub config, its database, secrets, logs, the participants
      participants/         0711: nobody but the hub's user can list it
        <account>/          0700, owned by the participant's system user in the isolated mode: their home
          carnets/          their own copy of the notebooks (copied once: a participant who comes back finds them)
          travail/          a working folder for their files
      rapports/             the laptops' doctor reports (``workshop-kit doctor --json > rapports/<name>.json``)
      booth/                the booth's files (one folder per call, removed after an hour)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

from ..errors import WorkshopKitError
from ..files import write_json
from .names import SYSTEM_PREFIX, is_account

PARTICIPANTS = "participants.json"
NOTEBOOKS = "carnets"
WORK = "travail"


def repository_notebooks() -> Path:
    """The notebooks folder of the kit's repository (an editable install or a checkout)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def layout(room: Path) -> dict[str, Path]:
    return {"hub": room / "hub", "participants": room / "participants", "reports": room / "rapports",
            "booth": room / "booth"}


def make_room(room: Path) -> dict[str, Path]:
    """Create the room's folders with their modes; returns them by role."""
    room.mkdir(parents=True, exist_ok=True)
    room.chmod(0o711)
    folders = layout(room)
    for role, folder in folders.items():
        folder.mkdir(exist_ok=True)
        folder.chmod({"hub": 0o700, "participants": 0o711}.get(role, 0o755))
    return folders


def participant_folder(room: Path, account: str) -> Path:
    if not is_account(account):  # the hub hands only accounts it made; anything else is refused, never joined
        raise WorkshopKitError(f"{account!r} is not a participant's account",
                               f"{account!r} n'est pas un compte de participant")
    return layout(room)["participants"] / account


def prepare(room: Path, account: str, notebooks: Path, owner: str | None = None) -> Path:
    """The participant's folder, made the first time: a copy of every notebook and an empty working folder.

    Notebooks already there are never replaced (they hold the participant's work); a notebook added since is
    copied. With ``owner`` (a system user), the folder and everything in it belong to that user, mode 0700.
    """
    folder = participant_folder(room, account)
    (folder / NOTEBOOKS).mkdir(parents=True, exist_ok=True)
    (folder / WORK).mkdir(exist_ok=True)
    for source in sorted(notebooks.glob("*.ipynb")):
        target = folder / NOTEBOOKS / source.name
        if not target.exists():
            shutil.copyfile(source, target)
    folder.chmod(0o700)
    if owner is not None:
        import pwd

        entry = pwd.getpwnam(owner)
        for path in (folder, *folder.rglob("*")):
            if not path.is_symlink():
                os.chown(path, entry.pw_uid, entry.pw_gid)
    return folder


def folder_bytes(folder: Path, max_entries: int = 200_000) -> int:
    """Bytes used by the files of ``folder`` (symbolic links not followed; the walk stops after ``max_entries``)."""
    total = seen = 0
    stack = [folder]
    while stack and seen < max_entries:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(Path(entry.path))
            elif stat.S_ISREG(info.st_mode):
                total += info.st_blocks * 512 if hasattr(info, "st_blocks") else info.st_size
    return total


# --------------------------------------------------------------------------------------------------------------------
# The isolated mode: one system user per participant


def system_user(account: str) -> str:
    return SYSTEM_PREFIX + account


def ensure_user(account: str, home: Path) -> str:
    """The participant's system user ``wk-<account>``, created when missing: no password, no login shell."""
    import pwd

    name = system_user(account)
    try:
        pwd.getpwnam(name)
        return name
    except KeyError:
        pass
    command = ["useradd", "--system", "--no-create-home", "--home-dir", str(home), "--shell", "/usr/sbin/nologin",
               "--user-group", "--comment", "workshop-kit classroom participant", name]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 and "already exists" not in done.stderr:
        raise WorkshopKitError(f"could not create the system user {name}: {done.stderr.strip()}",
                               f"impossible de créer l'utilisateur système {name} : {done.stderr.strip()}")
    return name


def remove_users(accounts: list[str]) -> list[str]:
    """Remove the system users of ``accounts`` (only ``wk-`` users the room made); their folders stay."""
    import pwd

    removed = []
    for account in accounts:
        name = system_user(account)
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        subprocess.run(["userdel", name], capture_output=True, text=True)
        removed.append(name)
    return removed


def closed_folders(path: Path) -> list[Path]:
    """The folders on the way to ``path`` (itself included) that other users cannot pass through."""
    path = Path(os.path.realpath(path))
    closed = []
    for folder in (*reversed(path.parents), path):
        try:
            mode = folder.stat().st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            closed.append(folder)
    return closed


PASSAGE = "opened.json"


def open_passage(folders: list[Path], hub_folder: Path) -> list[Path]:
    """Let other users pass through ``folders`` (``o+x``: they may go through, not list them) while the room runs;
    the modes they had are kept in ``hub/opened.json`` and put back by :func:`close_passage`."""
    record = hub_folder / PASSAGE
    kept = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    for folder in folders:
        mode = stat.S_IMODE(folder.stat().st_mode)
        kept.setdefault(str(folder), mode)
        folder.chmod(mode | stat.S_IXOTH)
    write_json(record, kept)
    return folders


def close_passage(hub_folder: Path) -> list[str]:
    """Put back the modes :func:`open_passage` changed (also those of a room that was not stopped cleanly)."""
    record = hub_folder / PASSAGE
    if not record.exists():
        return []
    kept = json.loads(record.read_text(encoding="utf-8"))
    for folder, mode in kept.items():
        with contextlib.suppress(OSError):
            os.chmod(folder, mode)
    record.unlink()
    return list(kept)


@contextlib.contextmanager
def participants(hub_folder: Path):
    """The room's participants (account -> name, who holds the name, when they came), read and written under a lock
    (the hub writes it on each login, the trainer's view when it frees a name)."""
    import fcntl  # the room's hub runs on Linux and macOS only

    path = hub_folder / PARTICIPANTS
    with open(hub_folder / (PARTICIPANTS + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except ValueError:
            data = {}
        before = json.dumps(data, sort_keys=True)
        yield data
        if json.dumps(data, sort_keys=True) != before:
            write_json(path, data)
            path.chmod(0o600)
