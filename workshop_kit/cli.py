"""The ``workshop-kit`` command.

Exit status: 0 on success, 2 on a bad argument (one line on stderr, nothing written), 1 on any other failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import ParameterError, WorkshopKitError
from .files import check_output_path, sidecar_path

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, exit 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise _UsageError(f"{self.prog}: {message}")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed={text!r} is not a whole number from 0 to 4294967295") from None
    if not 0 <= value <= 2**32 - 1:
        raise argparse.ArgumentTypeError(f"seed={value} is out of range; allowed: 0 to 4294967295")
    return value


def _ranged(cast, kind: str):
    """An argparse type: ``cast`` the text, then check it lies in [low, high]; one clear line otherwise."""

    def bounds(low, high, name: str):
        def parse(text: str):
            try:
                value = cast(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{name}={text!r} is not {kind} from {low} to {high}") from None
            if not low <= value <= high:  # also refuses nan
                raise argparse.ArgumentTypeError(f"{name}={value} is out of range; allowed: {low} to {high}")
            return value

        return parse

    return bounds


_ranged_int = _ranged(int, "a whole number")
_ranged_float = _ranged(float, "a number")


def _choices(values) -> list[str]:
    return sorted(values)


def _add_common(p: argparse.ArgumentParser, default_out: str, formats: Sequence[str], also_help: str) -> None:
    from .device import DEVICES
    from .registry import SEED

    p.add_argument("--seed", type=_seed, default=None, help=SEED.help + ", printed")
    p.add_argument("--device", default="auto", choices=list(DEVICES),
                   help="where torch runs (default: auto = cuda, then mps, then cpu; or $WORKSHOP_KIT_DEVICE)")
    p.add_argument("--out", default=default_out,
                   help=f"output file; its extension picks the format: {', '.join(formats)} (default: {default_out})")
    p.add_argument("--also", default=None,
                   help=f"comma-separated extra formats written beside --out ({also_help}; 'none' for none)")
    p.add_argument("--city", default=None,
                   help="a city preset that fills the options not given: " + ", ".join(_city_names()))


def _city_names() -> list[str]:
    from .presets import CITIES

    return sorted(CITIES)


def _number(kind: str, name: str):
    """An argparse type for a number option: its range is the engine's, checked once the engine is known."""
    cast = int if kind == "int" else float
    words = "a whole number" if kind == "int" else "a number"

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}={text!r} is not {words}") from None
        if value != value:  # nan
            raise argparse.ArgumentTypeError(f"{name}={text!r} is not {words}")
        return value

    return parse


def engine_flags(modality: str) -> dict[str, list]:
    """The command-line flags of ``modality``, each with the (engine, option) pairs it sets: one flag per option
    name or alias of the registry, shared by the engines that take it."""
    from .registry import engines

    flags: dict[str, list] = {}
    for engine in engines(modality).values():
        for option in engine.options:
            if not option.cli or option.kind in ("seed", "device"):
                continue
            for name in filter(None, (option.name, option.alias)):
                flags.setdefault(name, []).append((engine, option))
    return flags


def _describe(uses: list) -> str:
    """The help of one flag: what it is, what each engine that takes it allows and its default (from the registry)."""
    def default(option) -> str:
        value = option.default
        if value is None:
            return "the engine's own" if option.kind in ("int", "float") else "none"
        return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)

    first = uses[0][1]
    names = ", ".join(e.name for e, _ in uses)
    if first.kind not in ("int", "float", "choice"):
        return f"{first.help} ({names})"
    groups: dict[str, list] = {}
    for e, o in uses:
        groups.setdefault(o.allowed(), []).append((e, o))
    parts = []
    for allowed, members in groups.items():
        defaults: dict[str, list[str]] = {}
        for e, o in members:
            defaults.setdefault(default(o), []).append(e.name)
        said = "; ".join(f"default {d} ({', '.join(es)})" for d, es in defaults.items())
        parts.append(f"{allowed}; {said}")
    return f"{first.help}: " + " — ".join(parts)


def _add_engine_flags(p: argparse.ArgumentParser, modality: str) -> None:
    for name, uses in engine_flags(modality).items():
        option = uses[0][1]
        flag = "--" + name.replace("_", "-")
        kinds = {o.kind for _, o in uses}
        help_text = _describe(uses).replace("%", "%%")
        if kinds == {"bool"}:
            p.add_argument(flag, dest=name, action="store_const", const=True, default=None, help=help_text)
        elif kinds == {"choice"}:
            names = sorted({n for _, o in uses for n in o.names()})
            p.add_argument(flag, dest=name, choices=names, default=None, help=help_text, metavar=name.upper())
        elif kinds <= {"int", "float"}:
            kind = "float" if "float" in kinds else "int"
            p.add_argument(flag, dest=name, type=_number(kind, name.replace("_", "-")), default=None, help=help_text)
        else:
            p.add_argument(flag, dest=name, default=None, help=help_text, metavar=option.kind.upper())


def _engine_help(modality: str) -> str:
    from .registry import MODALITIES, engines

    default = MODALITIES[modality].default_engine
    listed = ", ".join(f"{e.name} ({e.tier})" for e in engines(modality).values())
    return f"engine (default {default}): {listed}"


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; the generation commands' flags come from :data:`workshop_kit.registry.ENGINES`."""
    from ._version import __version__
    from .i18n import LANGS
    from .registry import ENGINES, MODALITIES, engines

    parser = _Parser(prog="workshop-kit",
                     description="Generative music, images and 3D for creative workshops — offline, on a laptop CPU.")
    parser.add_argument("--version", action="version", version=f"workshop-kit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("doctor", help="check this machine for a workshop (versions, device, memory, disk, each engine)")
    p.add_argument("--json", action="store_true", help="print the report as JSON (for a trainer to collect)")
    p.add_argument("--quick", action="store_true", help="small generations only (faster, timings not representative)")
    p.add_argument("--lang", default="fr", choices=list(LANGS), help="language of the report (default fr)")

    p = sub.add_parser("booth", help="serve the booth: the visitor page at /, the trainer's studio at /studio")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this computer only)")
    p.add_argument("--port", type=_ranged_int(1024, 65535, "port"), default=7860, help="port (default 7860)")
    p.add_argument("--lang", default="fr", choices=list(LANGS), help="interface language (default fr)")
    p.add_argument("--lan", action="store_true",
                   help="serve the booth's network too, so that phones open the QR codes (never a share link)")
    p.add_argument("--public-url", default=None,
                   help="the address phones reach the booth at, for the QR codes (default: found on the network)")
    p.add_argument("--kiosk", action="store_true", help="the visitor page only: no studio, no uploads")
    p.add_argument("--idle-seconds", type=_ranged_int(10, 3600, "idle-seconds"), default=None,
                   help="seconds without a touch before the visitor page starts over (default 90)")
    p.add_argument("--folder", default=None,
                   help="the booth's own folder, emptied at start and stop (default: $WORKSHOP_KIT_BOOTH_DIR or the "
                        "kit's cache)")
    p.add_argument("--print-unit", action="store_true",
                   help="print a systemd unit that restarts the booth if it stops, then exit")
    p.add_argument("--open-kiosk", action="store_true",
                   help="also open the visitor page full screen in Chromium (Debian's chromium)")

    for modality, what in (("image", "make a picture"), ("music", "compose and render a piece (audio + MIDI)"),
                           ("mesh", "make a 3D object (GLB + STL + a preview picture)")):
        info = MODALITIES[modality]
        p = sub.add_parser(modality, help=what)
        names = ["--engine", "--kind"] if modality == "mesh" else ["--engine"]
        p.add_argument(*names, dest="engine", default=info.default_engine, choices=_choices(engines(modality)),
                       help=_engine_help(modality))
        _add_engine_flags(p, modality)
        also = ", ".join(info.also) or "none"
        _add_common(p, info.default_out, info.formats(), f"default: {also}")
        if info.preview:
            p.add_argument("--no-preview", action="store_true",
                           help="do not write the preview picture <out>-preview.png")

    cppn = ENGINES["cppn"]
    p = sub.add_parser("walk", help="a looping animation through a CPPN's space (GIF or MP4)")
    p.add_argument("--palette", choices=_choices(cppn.option("palette").names()), default="marrakech",
                   help="regional palette (default marrakech)")
    p.add_argument("--style", choices=_choices(cppn.option("style").names()), default="flow",
                   help="composition (default flow)")
    p.add_argument("--size", type=_ranged_int(64, 1024, "size"), default=256,
                   help="width and height, 64..1024 (default 256)")
    p.add_argument("--frames", type=_ranged_int(2, 240, "frames"), default=48,
                   help="pictures in the loop, 2..240 (default 48)")
    p.add_argument("--fps", type=_ranged_int(1, 60, "fps"), default=12, help="pictures per second (default 12)")
    p.add_argument("--no-loop", action="store_true", help="go half way round instead of a closed loop")
    p.add_argument("--seed", type=_seed, default=None, help="whole number 0..4294967295 (default: random, printed)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"], help="where torch runs")
    p.add_argument("--out", default="walk.gif", help="output file: .gif or .mp4 (default walk.gif)")

    p = sub.add_parser("analyse", help="listen to an audio file: tempo, beats, key estimate, loudness, and figures")
    p.add_argument("file", help="WAV, FLAC, OGG or MP3, at most 20 MB and 60 s")
    p.add_argument("--json", action="store_true", help="print every measure as JSON")
    p.add_argument("--png-dir", default=None, help="also save the spectrogram and chroma pictures (PNG) in this folder")
    p.add_argument("--lang", default="fr", choices=list(LANGS), help="language of the summary (default fr)")

    p = sub.add_parser("check", help="can this 3D file be printed? (STL, OBJ, PLY or GLB, at most 20 MB)")
    p.add_argument("file", help="the 3D file to check")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--min-wall-mm", type=_ranged_float(0.2, 20, "min-wall-mm"), default=1.2,
                   help="thinnest wall the printer can make (default 1.2 mm, FDM)")
    p.add_argument("--lang", default="fr", choices=list(LANGS), help="language of the verdict (default fr)")

    p = sub.add_parser("engines", help="list the engines: modality, tier, whether each can run here, what it needs")
    p.add_argument("--markdown", action="store_true", help="print the README's engine table")
    p.add_argument("--readme", default=None, help="rewrite the engine table in this README")

    p = sub.add_parser("models", help="the kit's own models and the pretrained ones: which are here, licences, "
                                      "fetching")
    p.add_argument("action", choices=["list", "fetch"], help="list: what is here; fetch KEY: download (needs internet)")
    p.add_argument("key", nargs="?", default=None, help="the model to fetch")
    p.add_argument("--dest", default=None, help="folder to fetch into (default $WORKSHOP_KIT_MODELS/KEY)")

    p = sub.add_parser("train", help="train an embedded model again (melody, motifs, shapes); --help after the name "
                                     "lists its options",
                       add_help=True)
    p.add_argument("what", choices=["melody", "motifs", "shapes"], help="which model")
    p.add_argument("options", nargs=argparse.REMAINDER,
                   help="options of that training script (e.g. --minutes 12); melody or motifs --from FOLDER --out DIR "
                        "fine-tunes the shipped model on your own tunes or pictures instead")

    p = sub.add_parser("pack", help="build the room's USB stick: wheels per OS and Python, the kit, models, notebooks, "
                                    "install scripts (needs internet once); --verify checks a stick")
    p.add_argument("folder", help="the folder of the pack (the USB stick, or a folder to copy onto it)")
    p.add_argument("--verify", action="store_true", help="check every file of the pack against its manifest (sha256)")
    p.add_argument("--os", default=None, help="comma-separated systems (default windows-x64,macos-arm64,linux-x64); "
                                              "offered: windows-x64, macos-arm64, macos-x64, linux-x64, linux-arm64")
    p.add_argument("--python", default=None,
                   help="comma-separated CPython versions (default 3.11,3.12; offered 3.10-3.13)")
    p.add_argument("--target", action="append", default=None, metavar="OS:PYTHON",
                   help="one system and Python, e.g. linux-x64:3.11 (repeat it; replaces --os and --python)")
    p.add_argument("--models", default="", help="comma-separated pretrained models to copy onto the stick (from "
                                                "the cache or $WORKSHOP_KIT_MODELS), e.g. sd-turbo,taesd")
    p.add_argument("--wheel", default=None,
                   help="the kit's wheel to put on the stick (default: built from this source)")
    p.add_argument("--torch-wheels", action="append", default=None, metavar="FOLDER",
                   help="a folder of CPU torch wheels for Linux (default: pip's local folders, then the PyTorch "
                        "CPU index)")
    p.add_argument("--index-url", default=None, help="a package index to resolve and download from (default PyPI)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("room", help="the room check: every laptop's doctor report on the stick, in one table "
                                    "(printed, and written as an HTML page)")
    p.add_argument("folder", nargs="?", default=None, help="the pack folder (its reports/) or a folder of reports")
    p.add_argument("--html", default=None, help="the HTML page to write (default FOLDER/room.html)")
    p.add_argument("--lang", default="fr", choices=["fr", "en"], help="language of the table (default fr)")
    p.add_argument("--json", action="store_true", help="print the room's table as JSON")
    p.add_argument("--summary", default=None, metavar="REPORT", help="one laptop's verdict from its report, in a line")

    p = sub.add_parser("classroom", help="serve the room from this machine: notebooks for every participant in the "
                                         "browser (JupyterHub), the booth, a join page with a QR code")
    p.add_argument("what", nargs="?", choices=["serve", "card"], default="serve",
                   help="serve: the room (default); card: rewrite the ethics card's licences and energy (--write)")
    p.add_argument("--room", default="salle", help="the room's folder: participants' work, doctor reports, the hub's "
                                                   "files (default ./salle; kept from one day to the next)")
    p.add_argument("--isolated", action="store_true",
                   help="one system user per participant (Linux, as root): no kernel can read another's folder")
    p.add_argument("--open-folders", action="store_true",
                   help="--isolated: let the participants' users pass through closed folders on the way to Python and "
                        "the kit (o+x, not listable) while the room runs; their modes are put back afterwards")
    p.add_argument("--names", default=None, help="a file of the participants' names, one a line: each gets a "
                                                 "personal code to print (default: one room code for all)")
    p.add_argument("--code", default=None, help="the room code (default: made up, and kept in the room's folder)")
    p.add_argument("--host", default="0.0.0.0", help="address to serve (default 0.0.0.0: the room's network)")
    p.add_argument("--port", type=_ranged_int(1, 65535, "port"), default=8000,
                   help="the notebooks' port (default 8000)")
    p.add_argument("--join-port", type=_ranged_int(1, 65535, "join-port"), default=8080,
                   help="the join page's port: the room's address (default 8080)")
    p.add_argument("--booth-port", type=_ranged_int(1, 65535, "booth-port"), default=7860,
                   help="the booth's port (default 7860)")
    p.add_argument("--no-booth", action="store_true", help="do not serve the booth")
    p.add_argument("--trainer-port", type=_ranged_int(1, 65535, "trainer-port"), default=8001,
                   help="the trainer's view, on this machine only (default 8001)")
    p.add_argument("--memory-gb", type=_ranged_float(0.5, 512, "memory-gb"), default=2.0,
                   help="memory one participant may use, all their processes together where the machine allows "
                        "(default 2)")
    p.add_argument("--cores", type=_ranged_int(1, 256, "cores"), default=1,
                   help="cores one participant's kernels use (default 1)")
    p.add_argument("--max-participants", type=_ranged_int(1, 1000, "max-participants"), default=None,
                   help="most participants at once (default: what the memory holds at 0.7 GB each)")
    p.add_argument("--disk-gb", type=_ranged_float(0.1, 1000, "disk-gb"), default=2.0,
                   help="what one participant's folder may hold (default 2)")
    p.add_argument("--idle-minutes", type=_ranged_int(5, 1440, "idle-minutes"), default=30,
                   help="a server idle this long is stopped; its files stay (default 30)")
    p.add_argument("--notebooks", default=None, help="the notebooks each participant gets a copy of "
                                                     "(default: the kit's notebooks/)")
    p.add_argument("--lang", default="fr", choices=list(LANGS), help="the booth's language (default fr)")
    p.add_argument("--proxy", default=None,
                   help="configurable-http-proxy (default: .tools/ of the kit, else the PATH)")
    p.add_argument("--write", default="docs/carte-ethique.md", help="card: the card to rewrite")
    p.add_argument("--tdp", type=_ranged_float(1, 1000, "tdp"), default=15.0,
                   help="card: the processor's TDP in watts the energy estimate uses (default 15, a laptop's)")

    p = sub.add_parser("bench", help="measure import time, each engine (median of runs), memory and booth start-up")
    p.add_argument("--runs", type=_ranged_int(1, 50, "runs"), default=5, help="runs per engine (default 5)")
    p.add_argument("--out", default="bench/results.json", help="JSON file to write (default bench/results.json)")
    p.add_argument("--readme", default=None, help="also rewrite the benchmark table in this README")
    p.add_argument("--no-booth", action="store_true", help="skip the booth start-up measurement")
    p.add_argument("--no-overhead", action="store_true", help="skip the pretrained wrappers' overhead measurement")
    p.add_argument("--booth", action="store_true",
                   help="measure the booth instead: visitors at once, then a long soak (memory and disk)")
    p.add_argument("--visitors", type=_ranged_int(1, 200, "visitors"), default=25,
                   help="with --booth: clients at once (default 25)")
    p.add_argument("--generations", type=_ranged_int(10, 100_000, "generations"), default=1500,
                   help="with --booth: generations of the soak (default 1500)")
    p.add_argument("--classroom", action="store_true",
                   help="instead: how many participants this machine holds as a classroom (each logs in, starts a "
                        "server and runs notebook 00, all at once); writes bench/classroom.json")
    p.add_argument("--sizes", default="5,10,20", help="--classroom: the room sizes to try (default 5,10,20)")
    p.add_argument("--pretrained-shapes", action="store_true",
                   help="instead: SD-Turbo and MusicGen-small at their real size (random weights, built once in the "
                        "cache), each runtime and size, alternately; writes bench/pretrained.json (takes a while, "
                        "and about 6 GB of memory)")
    p.add_argument("--only", choices=("sd-turbo", "musicgen"), default=None,
                   help="with --pretrained-shapes: measure this engine alone, keeping the other's figures from the "
                        "JSON file it rewrites (the table says when each was measured)")
    return parser


def image_formats() -> tuple[str, ...]:
    from .results import ImageResult

    return ImageResult.FORMATS


def audio_formats() -> tuple[str, ...]:
    from .results import AudioResult

    return AudioResult.FORMATS


def mesh_formats() -> tuple[str, ...]:
    from .mesh.result import MeshResult

    return MeshResult.FORMATS


def _outputs(out: str, also: str, formats: Sequence[str]) -> list[Path]:
    """All the files a generation command will write, checked before any work."""
    main = check_output_path(out, formats)
    paths = [main]
    for ext in (a.strip().lower().lstrip(".") for a in also.split(",")):
        if ext in ("", "none"):
            continue
        extra = main.with_suffix("." + ext)
        if extra not in paths:
            paths.append(check_output_path(extra, formats, name="also"))
    return paths


def _engine_options(args, modality: str, engine) -> dict:
    """The options given on the command line for ``engine``, plus the city's, checked by the engine's registry entry."""
    from .presets import get_city

    given: dict = {}
    wrong = []
    for name, uses in engine_flags(modality).items():
        value = getattr(args, name, None)
        if value is None:
            continue
        option = next((o for e, o in uses if e is engine), None)
        if option is None:
            wrong.append(name)
            continue
        if option.name in given:
            raise _UsageError(f"workshop-kit {modality}: --{name.replace('_', '-')} and "
                              f"--{option.name.replace('_', '-')} "
                              f"set the same option of the {engine.name} engine; give one of them")
        given[option.name] = value
    if wrong:
        takes = sorted({"--" + n.replace("_", "-") for n, uses in engine_flags(modality).items()
                        if any(e is engine for e, _ in uses)})
        raise _UsageError(f"workshop-kit {modality}: --{wrong[0].replace('_', '-')} does not apply to the "
                          f"{engine.name} engine; its options: {', '.join(takes) or 'none'}")
    if args.city:
        city = get_city(args.city)
        for option in engine.options:
            if option.city and option.name not in given:
                given[option.name] = getattr(city, option.city)
    return engine.check(given)


def _generate(args) -> int:
    from .registry import MODALITIES, engine as find

    modality = args.command
    info = MODALITIES[modality]
    engine = find(args.engine, modality)
    options = _engine_options(args, modality, engine)
    also = ",".join(engine.extra_formats())
    paths = _outputs(args.out, args.also if args.also is not None else also, info.formats())
    preview = None
    if info.preview and not args.no_preview:
        preview = check_output_path(paths[0].with_name(paths[0].stem + "-preview.png"), [".png"], name="preview")
    result = engine.generate(seed=args.seed, device=args.device, **options)

    written: list[Path] = []
    try:
        for path in paths:
            written.append(result.save(path))
        if preview is not None:
            written.append(result.preview().save(preview))
    except BaseException:
        for path in written:  # all or nothing
            path.unlink(missing_ok=True)
            sidecar_path(path).unlink(missing_ok=True)
        raise
    for path in written:
        print(f"{path}  (+ {sidecar_path(path).name})")
    for note in result.notes:
        print(f"note: {note}")
    if modality == "mesh":
        print(result.printability.verdict("en"))
    print(f"engine={result.engine} seed={result.seed} device={result.device} seconds={result.seconds:.2f}")
    return EXIT_OK


def _bench_booth(args) -> int:
    from . import bench_booth
    from .files import replace_block, write_json

    report = bench_booth.run(visitors=args.visitors, generations=args.generations)
    out = Path(args.out if args.out != "bench/results.json" else "bench/booth.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, report)
    text = bench_booth.table(report)
    print(text)
    if args.readme:
        replace_block(args.readme, bench_booth.README_START, bench_booth.README_END, text)
    return EXIT_OK


def _booth(args) -> int:
    from .booth import kiosk

    if args.public_url is not None and not args.public_url.startswith(("http://", "https://")):
        raise _UsageError(f"workshop-kit booth: --public-url={args.public_url!r} is not an address such as "
                          "http://192.168.1.20:7860")
    if args.print_unit:
        print(kiosk.systemd_unit(port=args.port, lang=args.lang, lan=args.lan, kiosk=args.kiosk,
                                 public_url=args.public_url))
        return EXIT_OK
    from .booth import serve_booth

    if args.open_kiosk:
        kiosk.open_later(f"http://127.0.0.1:{args.port}/", lang=args.lang)
    serve_booth(host=args.host, port=args.port, lang=args.lang, lan=args.lan, public_url=args.public_url,
                studio=not args.kiosk, idle_seconds=args.idle_seconds, root=args.folder)
    return EXIT_OK


def _engines(args) -> int:
    from .registry import ENGINES, markdown_table

    if args.markdown or args.readme:
        table = markdown_table()
        if args.readme:
            from .files import replace_block

            replace_block(args.readme, ENGINE_TABLE_START, ENGINE_TABLE_END, table)
            print(f"{args.readme}: engine table rewritten")
        else:
            print(table)
        return EXIT_OK
    for e in ENGINES.values():
        state = e.ready()
        where = "ready" if state else f"not here: {state.reason}"
        print(f"{e.modality:6} {e.name:16} {e.tier:10} {where}")
    return EXIT_OK


ENGINE_TABLE_START, ENGINE_TABLE_END = "<!-- engines:start -->", "<!-- engines:end -->"


def _analyse(args) -> int:
    import json

    from .music import analysis

    pictures = []
    if args.png_dir is not None:  # check where the pictures go before listening
        folder = Path(args.png_dir)
        stem = Path(args.file).stem
        pictures = [check_output_path(folder / f"{stem}-{kind}.png", [".png"], name="png-dir")
                    for kind in ("spectrogram", "chroma")]
    result = analysis.analyse(args.file)
    print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if args.json else result.summary(args.lang))
    if pictures:
        analysis.spectrogram_image(args.file, analysis=result, lang=args.lang).save(pictures[0])
        analysis.chroma_image(result, lang=args.lang).save(pictures[1])
        for path in pictures:
            print(f"{path}  (+ {sidecar_path(path).name})", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def _models(args) -> int:
    from . import pretrained

    if args.action == "list":
        from . import shipped

        for row in shipped.status():
            where = ("in the package" if row["shipped"] else row["path"]) if row["found"] else "missing"
            use = "commercial use allowed" if row["commercial_use"] else "NON-COMMERCIAL"
            print(f"{row['key']:18} {'workshop-kit (embedded)':42} {row['licence'][:40]} ({use})  {where}")
        for row in pretrained.status():
            where = row["path"] if row["found"] else "not here"
            use = "commercial use allowed" if row["commercial_use"] else "NON-COMMERCIAL"
            print(f"{row['key']:18} {row['repo_id']:42} {row['licence']} ({use})  {where}")
        return EXIT_OK
    if args.key is None:
        raise _UsageError("workshop-kit models fetch: name the model: " + ", ".join(pretrained.MODELS))
    path = pretrained.fetch(args.key, dest=args.dest)
    print(f"{args.key} -> {path}")
    return EXIT_OK


def _pack(args) -> int:
    from . import pack

    if args.verify:
        problems = pack.verify(args.folder)
        for line in problems:
            print(f"  {line}")
        if problems:
            print(f"workshop-kit pack --verify: {len(problems)} problem(s) in {args.folder}: build the pack again "
                  f"(or copy the stick again from a good one)", file=sys.stderr)
            return EXIT_FAILURE
        print(f"{args.folder}: every file matches the manifest (sha256)")
        return EXIT_OK

    def split(text):
        return [t for t in (text or "").split(",") if t.strip()] or None

    targets = pack.parse_targets(split(args.os), split(args.python), args.target)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    manifest = pack.build(args.folder, targets, models=models, kit_wheel=args.wheel,
                          torch_links=args.torch_wheels or (), index_url=args.index_url, quiet=args.quiet)
    print(pack.summary(manifest))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = "en"  # errors are said in the command's --lang, where it has one
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        lang = getattr(args, "lang", lang)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        if args.command == "doctor":
            from .doctor import main as doctor_main

            return doctor_main(as_json=args.json, quick=args.quick, lang=args.lang)
        if args.command == "booth":
            return _booth(args)
        if args.command == "walk":
            from .image.walk import WalkResult, latent_walk

            out = check_output_path(args.out, WalkResult.FORMATS)
            walk = latent_walk(palette=args.palette, style=args.style, size=args.size, frames=args.frames, fps=args.fps,
                               loop=not args.no_loop, seed=args.seed, device=args.device)
            path = walk.save(out)
            print(f"{path}  (+ {sidecar_path(path).name})")
            print(f"seed={walk.seed} frames={args.frames} seconds={walk.seconds:.2f}")
            return EXIT_OK
        if args.command == "train":
            import importlib

            module = {"melody": "workshop_kit.music.train_melody", "motifs": "workshop_kit.image.train_motifs",
                      "shapes": "workshop_kit.mesh.train_shapes"}[args.what]
            if any(o == "--from" or o.startswith("--from=") for o in args.options):
                # fine-tune a shipped model on a folder of your own tunes or pictures
                module = {"melody": "workshop_kit.music.finetune", "motifs": "workshop_kit.image.finetune",
                          "shapes": module}[args.what]
            return importlib.import_module(module).main(args.options)
        if args.command == "check":
            import json

            from .mesh.load import load_mesh
            from .mesh.printability import report

            result = report(load_mesh(args.file), min_wall_mm=args.min_wall_mm)
            print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if args.json
                  else result.verdict(args.lang))
            return EXIT_OK
        if args.command == "analyse":
            return _analyse(args)
        if args.command == "models":
            return _models(args)
        if args.command == "engines":
            return _engines(args)
        if args.command == "bench" and args.booth:
            return _bench_booth(args)
        if args.command == "pack":
            return _pack(args)
        if args.command == "room":
            from .room import main as room_main

            return room_main(args.folder, html=args.html, lang=args.lang, as_json=args.json, summary=args.summary)
        if args.command == "classroom":
            from .classroom.command import main as classroom_main

            return classroom_main(args)
        if args.command == "bench" and args.classroom:
            from .bench import classroom_main

            try:
                sizes = tuple(_ranged_int(1, 200, "sizes")(n) for n in args.sizes.split(","))
            except argparse.ArgumentTypeError as exc:
                raise _UsageError(f"workshop-kit bench: {exc}") from None
            out = "bench/classroom.json" if args.out == "bench/results.json" else args.out
            return classroom_main(sizes=sizes, out=out, readme=args.readme)
        if args.command == "bench":
            from .bench import main as bench_main, pretrained_main

            if args.pretrained_shapes:
                out = "bench/pretrained.json" if args.out == "bench/results.json" else args.out
                return pretrained_main(runs=args.runs, out=out, readme=args.readme, only=args.only)
            return bench_main(runs=args.runs, out=args.out, readme=args.readme, booth=not args.no_booth,
                              overhead=not args.no_overhead)
        return _generate(args)
    except _UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except ParameterError as exc:
        print(f"workshop-kit: {exc.message(lang)}", file=sys.stderr)
        return EXIT_USAGE
    except WorkshopKitError as exc:
        print(f"workshop-kit: {exc.message(lang)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not a failure
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # keep one clear line; the traceback on request
        if os.environ.get("WORKSHOP_KIT_DEBUG"):
            raise
        print(f"workshop-kit: unexpected {type(exc).__name__}: {exc} (set WORKSHOP_KIT_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
