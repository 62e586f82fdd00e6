"""What ``workshop-kit classroom`` does with its arguments (the parser lives with the others, in ``cli.py``)."""

from __future__ import annotations

from pathlib import Path


def settings_from(args):
    from .limits import Limits
    from .settings import RoomSettings, read_roster

    roster = read_roster(args.names) if args.names else ()
    return RoomSettings(
        folder=Path(args.room), mode="isolated" if args.isolated else "simple", login="names" if roster else "code",
        code=args.code, roster=roster, host=args.host, port=args.port, join_port=args.join_port,
        booth_port=None if args.no_booth else args.booth_port, trainer_port=args.trainer_port,
        limits=Limits(memory_gb=args.memory_gb, cores=args.cores, file_gb=min(args.disk_gb, 2.0)),
        max_participants=args.max_participants, disk_gb=args.disk_gb, idle_minutes=args.idle_minutes,
        notebooks=args.notebooks, lang=args.lang, proxy=args.proxy, open_folders=args.open_folders)


def main(args) -> int:
    if args.what == "card":
        from .card import write_card

        path = write_card(args.write, tdp_w=args.tdp)
        print(f"{path}: licences and energy rewritten (TDP {args.tdp:g} W)")
        return 0
    from .room import serve

    return serve(settings_from(args))
