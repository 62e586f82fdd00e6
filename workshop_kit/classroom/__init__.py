"""The classroom: one machine serves the whole room in the browser — notebooks for everyone, nothing to install.

``workshop-kit classroom`` starts a JupyterHub the kit configures (one local process per participant, each in a
folder of their own with a copy of the notebooks), the booth, a join page with a QR code and the trainer's view.
:func:`use_server` lets a notebook on a participant's own laptop send a heavy generation to the room's booth.

Importing this package is cheap; JupyterHub is imported by the hub's process only (:mod:`.hub`).
"""

from __future__ import annotations

from .names import account_of, check_name

__all__ = ["Classroom", "RoomSettings", "use_server", "check_name", "account_of"]


def __getattr__(name: str):
    if name == "Classroom":
        from .room import Classroom

        return Classroom
    if name == "RoomSettings":
        from .settings import RoomSettings

        return RoomSettings
    if name == "use_server":
        from .remote import use_server

        return use_server
    raise AttributeError(f"module 'workshop_kit.classroom' has no attribute {name!r}")
