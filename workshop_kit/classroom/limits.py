"""How much of the machine one participant may take: memory, cores, processes, file size — and what works here.

The best bound is a control group per participant (all their processes together: the Jupyter server, every kernel
and what a kernel starts). Linux offers it in two shapes: the older one, a hierarchy per controller
(``/sys/fs/cgroup/memory/…``), and the unified one (cgroup v2), where a child group may use the memory controller
only when the group above delegates it. Where neither can be written on Linux (a cgroup v2 group with processes
in it), each process gets ``RLIMIT_AS``, a cap on its own address space: a kernel that asks for more gets a
``MemoryError`` and the others are unaffected, but two processes of one participant each get the cap. macOS
enforces neither: there memory is not bounded per participant, and the hub's capacity check protects the room.

``RLIMIT_FSIZE`` caps the size of one file a participant's processes write everywhere (Python then raises
``OSError: File too large``); the room's guard (:mod:`workshop_kit.classroom.room`) watches each folder's total.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

GB = 2**30

ROOM_ENV = "WORKSHOP_KIT_ROOM_ID"
ACCOUNT_ENV = "WORKSHOP_KIT_ROOM_ACCOUNT"
"""Every process of a room carries its room's id in its environment (the hub, the proxy, the services, each server
and each kernel), and a participant's processes their account too: that is how the room finds them all to stop."""

ADDRESS_SPACE_EXTRA_GB = 2.0
"""Added to the memory bound when it becomes an address-space cap: a Python process that imported torch maps about
1 GB of address space for 330 MB it really uses (measured with notebook 00), so the cap must sit above the bound."""


@dataclass(frozen=True)
class Limits:
    """What one participant may use."""

    memory_gb: float = 2.0
    cores: int = 1
    processes: int = 256
    file_gb: float = 2.0


@dataclass(frozen=True)
class Mechanism:
    """How the limits are enforced on this machine, in words for the trainer's screen and the README."""

    kind: str  # "cgroup-v1", "cgroup-v2", "rlimit" or "none" (macOS)
    base: tuple[Path, ...] = ()  # where the participants' groups are made: one per controller (v1), one (v2)
    detail: str = ""

    def describe(self, limits: Limits) -> str:
        per = f"{limits.memory_gb:g} GB"
        if self.kind == "none":
            return (f"memory per participant: not bounded ({self.detail}); the room refuses a new participant when "
                    f"memory is short; one file at most {limits.file_gb:g} GB (RLIMIT_FSIZE)")
        if self.kind == "rlimit":
            cap = limits.memory_gb + ADDRESS_SPACE_EXTRA_GB
            return (f"memory per participant: {per} — enforced per process as an address-space cap (RLIMIT_AS "
                    f"{cap:g} GB), no control group can be written here ({self.detail}); one file at most "
                    f"{limits.file_gb:g} GB (RLIMIT_FSIZE)")
        return (f"memory per participant: {per} for all their processes together ({self.kind}: {self.detail}); "
                f"{limits.cores} core(s), {limits.processes} processes at most; one file at most "
                f"{limits.file_gb:g} GB (RLIMIT_FSIZE)")


V1_ROOT = Path("/sys/fs/cgroup")


def _controller(folder: Path) -> str:
    """The cgroup v1 controller a group folder belongs to (``memory``, ``cpu``, ``pids``)."""
    return folder.relative_to(V1_ROOT).parts[0]


def _own_groups() -> dict[str, str]:
    """controller -> path of this process's group (``""`` for cgroup v2), from /proc/self/cgroup."""
    groups: dict[str, str] = {}
    try:
        text = Path("/proc/self/cgroup").read_text(encoding="utf-8")
    except OSError:
        return groups
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            groups[controller] = parts[2]
    return groups


def _v2_root() -> Path | None:
    try:
        for line in Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if len(fields) > 2 and fields[2] == "cgroup2":
                return Path(fields[1])
    except OSError:
        pass
    return None


def _try_group(parent: Path, name: str, files: dict[str, str]) -> bool:
    """Make ``parent/name``, write ``files`` in it, remove it again: whether this machine lets the room do so."""
    probe = parent / name
    try:
        probe.mkdir(exist_ok=True)
        for file, value in files.items():
            (probe / file).write_text(value, encoding="ascii")
        return True
    except OSError:
        return False
    finally:
        try:
            probe.rmdir()
        except OSError:
            pass


def find_mechanism(room_id: str) -> Mechanism:
    """The best way to bound a participant here; tried for real (a group is made and removed), never assumed."""
    if sys.platform == "darwin":
        return Mechanism("none", detail="macOS has no control groups and does not enforce address-space caps")
    if not sys.platform.startswith("linux"):
        return Mechanism("rlimit", detail=f"{sys.platform} has no control groups")
    groups = _own_groups()
    name = f"workshop-kit-{room_id}"
    if "memory" in groups:  # cgroup v1: one hierarchy per controller
        bases = []
        for controller, probe in (("memory", {"memory.limit_in_bytes": str(64 * 2**20)}),
                                  ("cpu", {"cpu.cfs_quota_us": "100000"}), ("pids", {"pids.max": "64"})):
            parent = V1_ROOT / controller / groups.get(controller, "/").lstrip("/")
            if controller in groups and _try_group(parent, name + "-probe", probe):
                bases.append(parent / name)
            elif controller == "memory":
                break
        if bases:
            kinds = ", ".join(_controller(b) for b in bases)
            return Mechanism("cgroup-v1", tuple(bases), f"controllers {kinds} under {bases[0].parent}")
    root = _v2_root()
    if "" in groups and root is not None:
        parent = root / groups[""].lstrip("/")
        try:
            delegated = "memory" in (parent / "cgroup.subtree_control").read_text(encoding="ascii").split()
        except OSError:
            delegated = False
        if delegated and _try_group(parent, name + "-probe", {"memory.max": str(64 * 2**20)}):
            return Mechanism("cgroup-v2", (parent / name,), f"delegated group {parent}")
        return Mechanism("rlimit", detail=f"cgroup v2 group {parent} does not delegate the memory controller")
    return Mechanism("rlimit", detail="no writable memory control group")


def group_paths(mechanism: Mechanism, account: str) -> list[Path]:
    """The groups of one participant (empty for the rlimit mechanism)."""
    return [base / account for base in mechanism.base]


def make_groups(mechanism: Mechanism, account: str, limits: Limits) -> list[Path]:
    """Create (or refresh) the participant's groups with ``limits``; returns the group folders to join."""
    memory = str(int(limits.memory_gb * GB))
    period = 100_000
    made = []
    for folder in group_paths(mechanism, account):
        folder.parent.mkdir(exist_ok=True)
        folder.mkdir(exist_ok=True)
        controller = _controller(folder) if mechanism.kind == "cgroup-v1" else "v2"
        writes: list[tuple[str, str]] = []
        if controller == "memory":
            writes = [("memory.limit_in_bytes", memory), ("memory.memsw.limit_in_bytes", memory)]
        elif controller == "cpu":
            writes = [("cpu.cfs_period_us", str(period)), ("cpu.cfs_quota_us", str(period * limits.cores))]
        elif controller == "pids":
            writes = [("pids.max", str(limits.processes))]
        elif controller == "v2":
            writes = [("memory.max", memory), ("memory.swap.max", "0"), ("pids.max", str(limits.processes)),
                      ("cpu.max", f"{period * limits.cores} {period}")]
        for file, value in writes:
            try:
                (folder / file).write_text(value, encoding="ascii")
            except OSError:  # memsw without swap accounting, a controller v2 does not delegate: the rest holds
                if file in ("memory.limit_in_bytes", "memory.max"):
                    raise
        made.append(folder)
    return made


def group_pids(mechanism: Mechanism, account: str) -> set[int]:
    """Processes in the participant's groups now."""
    pids: set[int] = set()
    for folder in group_paths(mechanism, account):
        try:
            pids.update(int(p) for p in (folder / "cgroup.procs").read_text(encoding="ascii").split())
        except (OSError, ValueError):
            continue
    return pids


def remove_groups(mechanism: Mechanism, accounts: list[str] | None = None) -> None:
    """Remove the participants' (empty) groups, then the room's own when nothing is left in it."""
    for base in mechanism.base:
        if not base.is_dir():
            continue
        for folder in base.iterdir():
            if folder.is_dir() and (accounts is None or folder.name in accounts):
                try:
                    folder.rmdir()
                except OSError:
                    pass
        try:
            base.rmdir()
        except OSError:
            pass


def preexec(mechanism: Mechanism, groups: list[Path], limits: Limits):
    """What a participant's server runs after fork, before exec (still as the hub's user): join the groups, set the
    per-process caps. Only system calls here: nothing that takes a lock another thread may hold."""
    import resource

    fsize = int(limits.file_gb * GB)
    address = int((limits.memory_gb + ADDRESS_SPACE_EXTRA_GB) * GB)
    procs = [str(folder / "cgroup.procs") for folder in groups]

    def apply() -> None:
        for path in procs:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if mechanism.kind == "rlimit":
            resource.setrlimit(resource.RLIMIT_AS, (address, address))

    return apply


@dataclass(frozen=True)
class Machine:
    """This machine's memory, cores and disk, now."""

    memory_gb: float
    available_gb: float
    cores: int
    disk_free_gb: float

    @classmethod
    def now(cls, folder: str | os.PathLike = ".") -> Machine:
        import psutil

        memory = psutil.virtual_memory()
        return cls(memory.total / GB, memory.available / GB, os.cpu_count() or 1,
                   shutil.disk_usage(folder).free / GB)


def default_capacity(machine: Machine, need_gb: float, reserve_gb: float) -> int:
    """How many participants fit: the memory left after ``reserve_gb`` (system, hub, booth) over what one needs."""
    return max(1, int((machine.memory_gb - reserve_gb) // need_gb))


def room_pids(room_id: str, account: str | None = None, mechanism: Mechanism | None = None) -> set[int]:
    """The processes of a room (or of one participant of it, with ``account``): those in the participant's control
    groups, and those whose environment carries the room's id (and the account)."""
    import psutil

    pids = group_pids(mechanism, account) if mechanism is not None and account else set()
    for process in psutil.process_iter(["pid"]):
        try:
            env = process.environ()
        except (psutil.Error, OSError):
            continue
        if env.get(ROOM_ENV) == room_id and (account is None or env.get(ACCOUNT_ENV) == account):
            pids.add(process.pid)
    pids.discard(os.getpid())
    return pids


def room_rss(room_id: str) -> dict[str, int]:
    """Resident memory of a room now, by participant's account (``""``: the hub, its proxy and services), in one
    pass over the machine's processes."""
    import psutil

    used: dict[str, int] = {}
    for process in psutil.process_iter(["pid"]):
        try:
            env = process.environ()
            if env.get(ROOM_ENV) != room_id or process.pid == os.getpid():
                continue
            account = env.get(ACCOUNT_ENV, "")
            used[account] = used.get(account, 0) + process.memory_info().rss
        except (psutil.Error, OSError):
            continue
    return used


def participant_pids(room_id: str, account: str, mechanism: Mechanism | None = None) -> set[int]:
    return room_pids(room_id, account, mechanism)


def rss_bytes(pids: set[int]) -> int:
    """Resident memory (RSS) of ``pids`` added up: pages shared between them count once per process, so this is
    an upper bound of what they take together."""
    import psutil

    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue
    return total
