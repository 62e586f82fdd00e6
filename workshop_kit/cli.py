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
    p.add_argument("--seed", type=_seed, default=None, help="whole number 0..4294967295; the same seed gives the same result (default: random, printed)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"], help="where torch runs (default: auto = cuda, then mps, then cpu; or $WORKSHOP_KIT_DEVICE)")
    p.add_argument("--out", default=default_out, help=f"output file; its extension picks the format: {', '.join(formats)} (default: {default_out})")
    p.add_argument("--also", default=None, help=f"comma-separated extra formats written beside --out ({also_help}; 'none' for none)")
    p.add_argument("--city", default=None, help="a city preset that fills the options not given: " + ", ".join(_city_names()))
    p.add_argument("--model-path", default=None, help="pretrained engines: a folder holding the model (default: offline pack or cache)")


def _city_names() -> list[str]:
    from .presets import CITIES

    return sorted(CITIES)


# For each modality: the engine options the command line knows (argparse dest -> engine keyword), and what a city
# preset fills in when the option is not given and the engine takes it.
ENGINE_OPTIONS = {
    "image": ("palette", "style", "size", "motif", "repeats", "variant", "prompt", "steps", "model_path"),
    "music": ("scale", "rhythm", "bars", "tempo", "temperature", "top_k", "motif", "prompt", "seconds", "model_path"),
    "mesh": ("preset", "height_mm", "wall_mm", "segments", "palette", "band_motif", "motif", "shape", "diameter_mm",
             "openness", "image", "width_mm", "depth_mm", "tile_mm", "thickness_mm", "a", "b", "mix", "prompt", "steps",
             "size_mm", "model_path"),
}
CITY_FIELDS = {
    "image": {"palette": "palette", "style": "image_style", "motif": "motif"},
    "music": {"scale": "scale", "rhythm": "rhythm", "tempo": "tempo"},
    "mesh": {"preset": "vessel", "palette": "palette", "motif": "motif"},
}


def build_parser() -> argparse.ArgumentParser:
    from .image.cppn import STYLES
    from .image.motifs import FAMILIES  # noqa: F811 - also the 3D motifs
    from .mesh.lathe import PRESETS
    from .music.theory import RHYTHMS, SCALES
    from .palettes import PALETTES
    from ._version import __version__
    from . import image, mesh, music

    parser = _Parser(prog="workshop-kit", description="Generative music, images and 3D for creative workshops — offline, on a laptop CPU.")
    parser.add_argument("--version", action="version", version=f"workshop-kit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("doctor", help="check this machine for a workshop (versions, device, memory, disk, each engine)")
    p.add_argument("--json", action="store_true", help="print the report as JSON (for a trainer to collect)")
    p.add_argument("--quick", action="store_true", help="small generations only (faster, timings not representative)")

    p = sub.add_parser("booth", help="serve the booth (Gradio) on this machine")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 to serve the booth network)")
    p.add_argument("--port", type=_ranged_int(1024, 65535, "port"), default=7860, help="port (default 7860)")
    p.add_argument("--lang", default="fr", choices=["fr", "en", "ar"], help="interface language (default fr)")

    engines = lambda modality: ", ".join(f"{e.name} ({e.tier})" for e in modality.ENGINES.values())  # noqa: E731

    p = sub.add_parser("image", help="make a picture")
    p.add_argument("--engine", default="cppn", choices=_choices(image.ENGINES), help="engine (default cppn): " + engines(image))
    p.add_argument("--palette", choices=_choices(PALETTES), default=None, help="regional palette (cppn, motifs)")
    p.add_argument("--style", choices=_choices(STYLES), default=None, help="composition (cppn)")
    p.add_argument("--motif", choices=_choices(FAMILIES), default=None, help="motif family (motifs)")
    p.add_argument("--repeats", type=_ranged_int(1, 16, "repeats"), default=None, help="unit tiles across, 1..16 (motifs)")
    p.add_argument("--variant", default=None, help="drawing style of a motif family, e.g. knotted, flat, beads, star (motifs)")
    p.add_argument("--size", type=_ranged_int(64, 4096, "size"), default=None, help="width and height in pixels (default: the engine's)")
    p.add_argument("--prompt", default=None, help="what to draw (sd-turbo)")
    p.add_argument("--steps", type=_ranged_int(1, 8, "steps"), default=None, help="denoising steps, 1..8 (sd-turbo)")
    _add_common(p, "image.png", image_formats(), "default: none")

    p = sub.add_parser("walk", help="a looping animation through a CPPN's space (GIF or MP4)")
    p.add_argument("--palette", choices=_choices(PALETTES), default="marrakech", help="regional palette (default marrakech)")
    p.add_argument("--style", choices=_choices(STYLES), default="flow", help="composition (default flow)")
    p.add_argument("--size", type=_ranged_int(64, 1024, "size"), default=256, help="width and height, 64..1024 (default 256)")
    p.add_argument("--frames", type=_ranged_int(2, 240, "frames"), default=48, help="pictures in the loop, 2..240 (default 48)")
    p.add_argument("--fps", type=_ranged_int(1, 60, "fps"), default=12, help="pictures per second (default 12)")
    p.add_argument("--no-loop", action="store_true", help="go half way round instead of a closed loop")
    p.add_argument("--seed", type=_seed, default=None, help="whole number 0..4294967295 (default: random, printed)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"], help="where torch runs")
    p.add_argument("--out", default="walk.gif", help="output file: .gif or .mp4 (default walk.gif)")

    p = sub.add_parser("music", help="compose and render a piece (audio + MIDI)")
    p.add_argument("--engine", default="rules", choices=_choices(music.ENGINES), help="engine (default rules): " + engines(music))
    p.add_argument("--scale", choices=_choices(SCALES), default=None, help="scale or maqam (rules, melody-model)")
    p.add_argument("--rhythm", choices=_choices(RHYTHMS), default=None, help="rhythm cycle (rules, melody-model)")
    p.add_argument("--bars", type=_ranged_int(1, 64, "bars"), default=None, help="length in bars, 1..64 (default 16)")
    p.add_argument("--tempo", type=_ranged_int(40, 240, "tempo"), default=None, help="beats per minute, 40..240 (default: the rhythm's own)")
    p.add_argument("--temperature", type=_ranged_float(0.05, 5.0, "temperature"), default=None, help="sampling temperature (melody-model, musicgen)")
    p.add_argument("--top-k", type=_ranged_int(1, 1000, "top-k"), default=None, help="sample among the k likeliest tokens (melody-model)")
    p.add_argument("--motif", default=None, help='notes to continue, e.g. "D4 E4 F4 G4", or a MIDI file (melody-model)')
    p.add_argument("--prompt", default=None, help="a description of the music (musicgen)")
    p.add_argument("--seconds", type=_ranged_float(1, 30, "seconds"), default=None, help="length in seconds, 1..30 (musicgen)")
    _add_common(p, "music.wav", audio_formats(), "default: mid when the engine writes a score")

    p = sub.add_parser("mesh", help="make a 3D object (GLB + STL + a preview picture)")
    p.add_argument("--engine", "--kind", dest="engine", default="lathe", choices=_choices(mesh.ENGINES),
                   help="what to make (default lathe): " + engines(mesh))
    p.add_argument("--preset", choices=_choices(PRESETS), default=None, help="vessel (lathe; default jar)")
    p.add_argument("--height-mm", type=_ranged_float(20, 600, "height-mm"), default=None, help="height in millimetres (lathe, lantern)")
    p.add_argument("--wall-mm", type=_ranged_float(0.5, 20, "wall-mm"), default=None, help="wall thickness in millimetres (lathe, lantern)")
    p.add_argument("--segments", type=_ranged_int(16, 512, "segments"), default=None, help="facets around, 16..512 (lathe)")
    p.add_argument("--palette", choices=_choices(PALETTES), default=None, help="colours (lathe glaze, lantern, tiles)")
    p.add_argument("--band-motif", choices=_choices(FAMILIES), default=None, help="emboss a band of this motif (lathe)")
    p.add_argument("--motif", choices=_choices(FAMILIES), default=None, help="motif family (lantern, relief, tiles)")
    p.add_argument("--shape", choices=["cylinder", "hexagon", "octagon"], default=None, help="shell (lantern)")
    p.add_argument("--diameter-mm", type=_ranged_float(20, 600, "diameter-mm"), default=None, help="diameter in millimetres (lantern)")
    p.add_argument("--openness", type=_ranged_float(0.05, 0.9, "openness"), default=None, help="share of the shell cut open (lantern)")
    p.add_argument("--image", default=None, help="a PNG/JPEG/WebP picture to carve (relief) or pierce (lantern)")
    p.add_argument("--width-mm", type=_ranged_float(20, 600, "width-mm"), default=None, help="plate width in millimetres (relief)")
    p.add_argument("--depth-mm", type=_ranged_float(0.5, 50, "depth-mm"), default=None, help="carving depth in millimetres (relief)")
    p.add_argument("--tile-mm", type=_ranged_float(20, 600, "tile-mm"), default=None, help="tile side in millimetres (tiles)")
    p.add_argument("--thickness-mm", type=_ranged_float(1, 50, "thickness-mm"), default=None, help="tile thickness in millimetres (tiles)")
    p.add_argument("--a", choices=_choices(PRESETS), default=None, help="first vessel of a blend (shape-space)")
    p.add_argument("--b", choices=_choices(PRESETS), default=None, help="second vessel of a blend (shape-space)")
    p.add_argument("--mix", type=_ranged_float(0, 1, "mix"), default=None, help="0 = a, 1 = b (shape-space)")
    p.add_argument("--prompt", default=None, help="what to make (shap-e)")
    p.add_argument("--steps", type=_ranged_int(4, 128, "steps"), default=None, help="denoising steps (shap-e)")
    p.add_argument("--size-mm", type=_ranged_float(10, 600, "size-mm"), default=None, help="largest side in mm (shap-e)")
    p.add_argument("--no-preview", action="store_true", help="do not write the preview picture <out>-preview.png")
    _add_common(p, "vessel.glb", mesh_formats(), "default: stl")

    p = sub.add_parser("analyse", help="listen to an audio file: tempo, beats, key estimate, loudness, and figures")
    p.add_argument("file", help="WAV, FLAC, OGG or MP3, at most 20 MB and 60 s")
    p.add_argument("--json", action="store_true", help="print every measure as JSON")
    p.add_argument("--png-dir", default=None, help="also save the spectrogram and chroma pictures (PNG) in this folder")
    p.add_argument("--lang", default="fr", choices=["fr", "en", "ar"], help="language of the summary (default fr)")

    p = sub.add_parser("check", help="can this 3D file be printed? (STL, OBJ, PLY or GLB, at most 20 MB)")
    p.add_argument("file", help="the 3D file to check")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--min-wall-mm", type=_ranged_float(0.2, 20, "min-wall-mm"), default=1.2,
                   help="thinnest wall the printer can make (default 1.2 mm, FDM)")
    p.add_argument("--lang", default="fr", choices=["fr", "en"], help="language of the verdict (default fr)")

    p = sub.add_parser("models", help="pretrained models: which are on this machine, and fetching them for the offline pack")
    p.add_argument("action", choices=["list", "fetch"], help="list: what is here; fetch KEY: download (needs internet)")
    p.add_argument("key", nargs="?", default=None, help="the model to fetch")
    p.add_argument("--dest", default=None, help="folder to fetch into (default $WORKSHOP_KIT_MODELS/KEY)")

    p = sub.add_parser("train", help="train an embedded model again (melody, motifs, shapes); --help after the name lists its options",
                       add_help=True)
    p.add_argument("what", choices=["melody", "motifs", "shapes"], help="which model")
    p.add_argument("options", nargs=argparse.REMAINDER,
                   help="options of that training script (e.g. --minutes 12); melody or motifs --from FOLDER --out DIR "
                        "fine-tunes the shipped model on your own tunes or pictures instead")

    p = sub.add_parser("bench", help="measure import time, each engine (median of runs), memory and booth start-up")
    p.add_argument("--runs", type=_ranged_int(1, 50, "runs"), default=5, help="runs per engine (default 5)")
    p.add_argument("--out", default="bench/results.json", help="JSON file to write (default bench/results.json)")
    p.add_argument("--readme", default=None, help="also rewrite the benchmark table in this README")
    p.add_argument("--no-booth", action="store_true", help="skip the booth start-up measurement")
    p.add_argument("--no-overhead", action="store_true", help="skip the pretrained wrappers' overhead measurement")
    return parser


def image_formats() -> tuple[str, ...]:
    from .results import ImageResult

    return ImageResult.FORMATS


def audio_formats() -> tuple[str, ...]:
    from .results import AudioResult

    return AudioResult.FORMATS


def mesh_formats() -> tuple[str, ...]:
    from .results import MeshResult

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
    """The options given on the command line, checked against what ``engine`` takes, plus the city's."""
    import inspect

    from .presets import get_city

    accepted = inspect.signature(engine.load().generate).parameters
    given = {name: getattr(args, name) for name in ENGINE_OPTIONS[modality] if getattr(args, name, None) is not None}
    foreign = sorted(set(given) - set(accepted))
    if foreign:
        takes = sorted(f"--{n.replace('_', '-')}" for n in ENGINE_OPTIONS[modality] if n in accepted)
        raise _UsageError(f"workshop-kit {modality}: --{foreign[0].replace('_', '-')} does not apply to the "
                          f"{engine.name} engine; its options: {', '.join(takes) or 'none'}")
    if args.city:
        city = get_city(args.city)
        for option, attribute in CITY_FIELDS[modality].items():
            if option in accepted and option not in given:
                given[option] = getattr(city, attribute)
    return given


def _generate(args) -> int:
    from . import image, mesh, music
    from .engines import pick

    modality = args.command
    package, formats, also = {
        "image": (image, image_formats(), ""),
        "music": (music, audio_formats(), "mid"),
        "mesh": (mesh, mesh_formats(), "stl"),
    }[modality]
    engine = pick(package.ENGINES, args.engine)
    if modality == "music" and engine.name == "musicgen":
        also = ""  # audio only: MusicGen writes no score
    options = _engine_options(args, modality, engine)
    paths = _outputs(args.out, args.also if args.also is not None else also, formats)
    preview = None
    if modality == "mesh" and not args.no_preview:
        preview = check_output_path(paths[0].with_name(paths[0].stem + "-preview.png"), [".png"], name="preview")
    result = package.generate(engine=engine.name, seed=args.seed, device=args.device, **options)

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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        if args.command == "doctor":
            from .doctor import main as doctor_main

            return doctor_main(as_json=args.json, quick=args.quick)
        if args.command == "booth":
            from .booth import launch_booth

            launch_booth(host=args.host, port=args.port, lang=args.lang)
            return EXIT_OK
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
            print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if args.json else result.verdict(args.lang))
            return EXIT_OK
        if args.command == "analyse":
            return _analyse(args)
        if args.command == "models":
            return _models(args)
        if args.command == "bench":
            from .bench import main as bench_main

            return bench_main(runs=args.runs, out=args.out, readme=args.readme, booth=not args.no_booth,
                              overhead=not args.no_overhead)
        return _generate(args)
    except _UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except ParameterError as exc:
        print(f"workshop-kit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except WorkshopKitError as exc:
        print(f"workshop-kit: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not a failure
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # keep one clear line; the traceback on request
        if os.environ.get("WORKSHOP_KIT_DEBUG"):
            raise
        print(f"workshop-kit: unexpected {type(exc).__name__}: {exc} (set WORKSHOP_KIT_DEBUG=1 for details)", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
