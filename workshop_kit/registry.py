"""The engine registry: every engine of the kit, its options, its models and its labels, declared once as data.

The command line (flags and their help), the booth (its fields, what each engine shows, what it offers), the doctor,
the benchmark and the README's engine table are all built from :data:`ENGINES`; every engine's ``generate``
checks its arguments through its entry (:meth:`Engine.check`), so a range said here is the range everywhere.

Listing engines and their options is cheap: this module imports no engine, and the tables of allowed values
(palettes, scales, motif families …) are read from their own modules only when asked for.

>>> from workshop_kit.registry import ENGINES
>>> ENGINES["cppn"].option("size").high
2048
>>> sorted(e.name for e in ENGINES.values() if e.modality == "music")
['melody-model', 'musicgen', 'rules']

Adding an engine takes its module (with a ``generate`` whose keywords are the options below), one entry in
:data:`ENGINES`, and its labels (``engine.<name>`` and the fields it shows, in :mod:`workshop_kit.i18n`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from .errors import ParameterError
from .validation import MAX_SEED, check_choice, check_float, check_int, check_prompt

__all__ = [
    "REQUIRED", "Choices", "Booth", "Option", "Case", "Engine", "Modality", "Readiness",
    "MODALITIES", "ENGINES", "engine", "engines", "markdown_table",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""The default of an option that has none: the caller must give it (a prompt)."""


def _resolve(ref: str) -> Any:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Choices:
    """The allowed values of a choice option: the keys of a table that lives in its own module.

    ``table`` is ``"module:NAME"`` of a mapping whose items carry their labels (palettes, scales …) or of a tuple of
    names; ``only`` optionally names a tuple that restricts it (the tile motifs among all motif families).
    ``kind`` says how the interface labels a value (``"palette"``, ``"scale"`` …, see
    :func:`workshop_kit.i18n.option_label`).
    """

    table: str
    kind: str
    only: str | None = None

    def items(self) -> dict[str, Any]:
        """Allowed value -> the table's item for it (``None`` for a table of bare names)."""
        table = _resolve(self.table)
        items = dict(table) if isinstance(table, Mapping) else dict.fromkeys(table)
        if self.only is not None:
            items = {name: items.get(name) for name in _resolve(self.only)}
        return items

    def names(self) -> tuple[str, ...]:
        return tuple(self.items())


@dataclass(frozen=True)
class Booth:
    """How an option appears on the booth's studio page.

    ``field`` is the page field it fills (options of several engines share one field: the size slider sets a
    pot's height and a tile's side); ``low``, ``high``, ``default`` and ``step`` narrow the option's own range
    for visitors; ``fixed`` gives a value the booth always passes without showing a field (the safety checker);
    ``widget`` is ``"radio"`` for a few choices shown at once.
    """

    field: str | None = None
    low: float | None = None
    high: float | None = None
    default: Any = None
    step: float | None = None
    fixed: Any = None
    widget: str | None = None


@dataclass(frozen=True)
class Option:
    """One keyword of an engine's ``generate``: its kind, what it accepts, its default and where it shows.

    Kinds: ``"choice"`` (one of ``choices``), ``"int"`` and ``"float"`` (from ``low`` to ``high``), ``"prompt"``
    (a text to draw from), ``"text"`` (a word the engine checks), ``"bool"``, ``"image"`` (a picture: a file, bytes
    or an array), ``"notes"`` (notes as text, or a MIDI file), ``"path"`` (a folder), ``"seed"`` and ``"device"``.
    ``optional`` means ``None`` is accepted (the engine then picks). ``city`` is the field of a city preset
    (:class:`workshop_kit.presets.CityPreset`) that fills the option when it is not given. ``alias`` is a second
    name the command line and the booth use for it across a modality (``size_mm`` for a pot's height). ``cli``
    says whether the command line has a flag for it; ``booth`` how the booth shows it (``None``: not shown).
    """

    name: str
    kind: str
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    choices: Choices | tuple[str, ...] | None = None
    optional: bool = False
    multiple_of: int | None = None
    city: str | None = None
    alias: str | None = None
    excludes: tuple[str, ...] = ()
    cli: bool = True
    booth: Booth | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def names(self) -> tuple[str, ...]:
        """The allowed values of a choice option."""
        if isinstance(self.choices, Choices):
            return self.choices.names()
        return tuple(self.choices or ())

    def allowed(self) -> str:
        """What the option accepts, in words (for help texts and tables)."""
        if self.kind == "choice":
            text = ", ".join(self.names())
        elif self.kind in ("int", "float"):
            text = f"{_num(self.low)}..{_num(self.high)}"
            if self.multiple_of:
                text += f", a multiple of {self.multiple_of}"
        else:
            text = self.kind
        return text + (" or none" if self.optional and self.kind in ("choice", "int", "float") else "")

    def check(self, value: Any) -> Any:
        """``value`` as the engine uses it, or :class:`~workshop_kit.errors.ParameterError` naming it."""
        if value is REQUIRED:
            raise ParameterError(self.name, None, self.allowed(), reason="this option must be given",
                                 reason_fr="cette option doit être donnée")
        if value is None and (self.optional or self.kind in ("seed", "device", "path", "image", "notes")):
            return None
        if self.kind == "choice":
            return check_choice(self.name, value, self.names())
        if self.kind == "int":
            number = check_int(self.name, value, int(self.low), int(self.high))
            if self.multiple_of and number % self.multiple_of:
                raise ParameterError(self.name, number, self.allowed(),
                                     reason=f"not a multiple of {self.multiple_of}",
                                     reason_fr=f"pas un multiple de {self.multiple_of}")
            return number
        if self.kind == "float":
            return check_float(self.name, value, self.low, self.high)
        if self.kind == "seed":
            return check_int(self.name, value, 0, MAX_SEED)
        if self.kind == "prompt":
            return check_prompt(value)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ParameterError(self.name, value, "True or False")
            return value
        if self.kind in ("text", "device"):
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                raise ParameterError(self.name, value if not isinstance(value, str) else value[:40],
                                     "a word of 1 to 200 characters")
            return value.strip()
        return value  # image, notes, path: the engine opens them, bounded, and says what is wrong


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


@dataclass(frozen=True)
class Case:
    """A measured generation: what it is, its options, and the time it should take on a laptop CPU (seconds)."""

    what: str
    options: dict[str, Any]
    target_s: float
    label: str = ""  # tells apart two cases of one engine in the benchmark's keys ("100k")


@dataclass(frozen=True)
class Readiness:
    """Whether an engine can run here, and why not."""

    ready: bool
    reason: str = ""
    reason_fr: str = ""

    def __bool__(self) -> bool:
        return self.ready


@dataclass(frozen=True)
class Modality:
    """What the engines of one modality share: their result type, files and default engine."""

    name: str
    result: str  # "module:Class" of the result type
    default_engine: str
    default_out: str
    also: tuple[str, ...] = ()  # formats written beside the main file by default
    preview: bool = False  # whether the command line also writes a preview picture

    def result_class(self):
        return _resolve(self.result)

    def formats(self) -> tuple[str, ...]:
        return self.result_class().FORMATS


MODALITIES: dict[str, Modality] = {
    m.name: m
    for m in (
        Modality("image", "workshop_kit.results:ImageResult", "cppn", "image.png"),
        Modality("music", "workshop_kit.results:AudioResult", "rules", "music.wav", also=("mid",)),
        Modality("mesh", "workshop_kit.mesh.result:MeshResult", "lathe", "vessel.glb", also=("stl",), preview=True),
    )
}


@dataclass(frozen=True)
class Engine:
    """One engine: where its ``generate`` lives, its tier, its options and the models it needs.

    ``models`` are keys of :data:`workshop_kit.shipped.SHIPPED` (embedded engines) or of
    :data:`workshop_kit.pretrained.MODELS` (pretrained ones). ``stem`` builds the booth's file names: literal words
    and ``{option}`` parts, an empty or ``None`` option left out. ``also`` overrides the modality's extra formats
    (MusicGen writes no score, so no MIDI). ``cases`` are the benchmark's and the doctor's generations.
    """

    name: str
    modality: str
    module: str
    tier: str
    description: str
    options: tuple[Option, ...]
    models: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # packages (import names) it needs beyond the kit's own dependencies
    stem: tuple[str, ...] = ()
    also: tuple[str, ...] | None = None
    cases: tuple[Case, ...] = ()
    booth: bool = True
    estimate: str | None = None  # "module:function(device) -> seconds" for an engine too slow for some machines
    _by_name: dict[str, Option] = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_name", {o.name: o for o in self.options})

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def generate(self, **options):
        """Run the engine (``options`` as its ``generate`` takes them)."""
        return self.load().generate(**options)

    def option(self, name: str) -> Option:
        return self._by_name[name]

    def takes(self, name: str) -> bool:
        return name in self._by_name

    def check(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Check every value of ``given`` (keyword -> value) against this engine's options.

        Returns the values as the engine uses them (a choice spelled as the table spells it, a whole float as an
        int). An unknown keyword or a bad value raises :class:`~workshop_kit.errors.ParameterError` naming it.
        """
        out = {}
        for name, value in given.items():
            if name not in self._by_name:
                raise ParameterError(name, value, ", ".join(self._by_name),
                                     reason=f"the {self.name} engine has no such option",
                                     reason_fr=f"le moteur {self.name} n'a pas cette option")
            out[name] = self._by_name[name].check(value)
        for option in self.options:
            for other in option.excludes:
                if out.get(option.name) is not None and out.get(other) is not None:
                    shown = out[other] if isinstance(out[other], (str, int, float)) else type(out[other]).__name__
                    raise ParameterError(other, shown, f"either {option.name} or {other}",
                                         reason=f"both {option.name} and {other} were given",
                                         reason_fr=f"{option.name} et {other} sont donnés tous les deux")
        return out

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options if o.default is not REQUIRED}

    def extra_formats(self) -> tuple[str, ...]:
        return MODALITIES[self.modality].also if self.also is None else self.also

    def stem_for(self, options: Mapping[str, Any]) -> str:
        """A file name stem for a piece made with ``options`` (the engine's defaults fill what is missing)."""
        values = {**self.defaults(), **options}
        parts = []
        for part in self.stem or (self.name,):
            if part.startswith("{"):
                value = values.get(part.strip("{}"))
                if value is None or value == "" or value is False:
                    continue
                part = str(value)
            parts.append(part)
        return "-".join(parts) or self.name

    def ready(self) -> Readiness:
        """Whether the models this engine needs are on this machine (nothing is loaded)."""
        from importlib.util import find_spec

        from . import pretrained, shipped

        for package in self.requires:
            if find_spec(package) is None:
                return Readiness(False, f"the package {package} is not installed",
                                 f"le paquet {package} n'est pas installé")
        for key in self.models:
            if key in shipped.SHIPPED:
                state = shipped.SHIPPED[key].readiness()
            else:
                state = pretrained.readiness(key)
            if not state:
                return state
        return Readiness(True)

    def estimate_seconds(self, device: str = "auto") -> float | None:
        """The expected seconds of one generation here, for an engine that declares how to estimate it."""
        return None if self.estimate is None else float(_resolve(self.estimate)(device))


# --------------------------------------------------------------------------------------------------------------------
# The options several engines share

_PALETTES = Choices("workshop_kit.palettes:PALETTES", "palette")
_FAMILIES = Choices("workshop_kit.motif_geometry:FAMILIES", "motif")
_SCALES = Choices("workshop_kit.music.theory:SCALES", "scale")
_RHYTHMS = Choices("workshop_kit.music.theory:RHYTHMS", "rhythm")
_TONICS = Choices("workshop_kit.music.theory:TONICS", "tonic")
_VESSELS = Choices("workshop_kit.mesh.lathe:PRESETS", "vessel")

SEED = Option("seed", "seed", None, "whole number 0..4294967295; the same seed gives the same result (default: random)")
DEVICE = Option("device", "device", "auto", "where torch runs: auto (cuda, then mps, then cpu), cpu, cuda or mps")


_BED_SHORT_SIDE_MM = 210  # a square plate or tile fits the 250 × 210 mm print bed up to this side (printability)
_FIT_BED = Option("fit_bed", "bool", False, "make the pot smaller, if need be, to fit a 250 × 210 mm print bed "
                  "(250 mm high), as the booth does", booth=Booth(fixed=True))

MODEL_PATH = Option("model_path", "path", None, "a folder holding the engine's model (default: the one shipped with "
                    "the kit, or the offline pack's)")


def _progress(default: bool) -> Option:
    return Option("progress", "bool", default, "show a progress bar", cli=False)


def _palette(default: str | None, help: str, *, optional: bool = False, label: str = "palette") -> Option:
    return Option("palette", "choice", default, help, choices=_PALETTES, optional=optional, city="palette",
                  booth=Booth(field=label))


def _prompt(help: str) -> Option:
    return Option("prompt", "prompt", REQUIRED, help, booth=Booth())


_MUSIC_PIECE = (
    Option("scale", "choice", "hijaz", "scale or maqam (bayati, rast and sikah hold quarter tones)", choices=_SCALES,
           city="scale", booth=Booth()),
    Option("rhythm", "choice", "gnawa", "rhythm cycle", choices=_RHYTHMS, city="rhythm", booth=Booth(widget="radio")),
    Option("bars", "int", 16, "length in bars", low=1, high=64, booth=Booth(high=32, default=8, step=1)),
    Option("tempo", "float", None, "beats per minute (default: the rhythm's own)", low=40, high=240, optional=True,
           city="tempo", booth=Booth(step=1)),
    Option("tonic", "choice", "D", "note name of the tonic", choices=_TONICS),
)


# --------------------------------------------------------------------------------------------------------------------
# The engines

ENGINES: dict[str, Engine] = {
    e.name: e
    for e in (
        # ---------------------------------------------------------------------------------------------- images
        Engine(
            "cppn", "image", "workshop_kit.image.cppn", "embedded",
            "CPPN generative art: a random coordinate network coloured with a regional palette",
            (
                _palette("marrakech", "regional palette"),
                Option("style", "choice", "flow", "composition: flowing shapes, a zellige rosette or a seamless tile",
                       choices=Choices("workshop_kit.image.cppn:STYLES", "style"), city="image_style",
                       booth=Booth(widget="radio")),
                Option("size", "int", 512, "width and height in pixels", low=64, high=2048,
                       booth=Booth(low=128, high=1024, default=512, step=64)),
                SEED, DEVICE,
            ),
            stem=("{palette}", "{style}"),
            cases=(Case("CPPN picture 512×512", {"size": 512}, 1.0),),
        ),
        Engine(
            "motifs", "image", "workshop_kit.image.motifs", "embedded",
            "Exact zellige, Amazigh and moucharabieh motifs: seamless tiles coloured with a regional palette",
            (
                Option("motif", "choice", "zellige8", "motif family", choices=_FAMILIES, city="motif", booth=Booth()),
                _palette("fes", "regional palette"),
                Option("size", "int", 1024, "width and height in pixels", low=64, high=4096,
                       booth=Booth(low=128, high=1024, default=512, step=64)),
                Option("repeats", "int", 2, "unit tiles across", low=1, high=16),
                SEED,
                Option("variant", "text", None, "drawing style of a motif family, e.g. knotted, flat, beads, star",
                       optional=True),
                DEVICE,
            ),
            stem=("{motif}", "{palette}"),
            cases=(Case("procedural zellige 1024×1024", {"motif": "zellige8", "size": 1024}, 0.5),),
        ),
        Engine(
            "motif-diffusion", "image", "workshop_kit.image.motif_diffusion", "embedded",
            "A diffusion model trained by the kit on its own zellige, Amazigh and moucharabieh motifs: new seamless "
            "patterns in any palette",
            (
                Option("motif", "choice", "zellige8", "motif family", choices=_FAMILIES, city="motif", booth=Booth()),
                _palette(None, "regional palette (default: one drawn from the seed)", optional=True),
                Option("size", "int", 1024, "width and height in pixels", low=256, high=4096,
                       booth=Booth(low=256, high=1024, default=512, step=64)),
                Option("repeats", "int", 4, "periods of the pattern across the picture", low=1, high=16),
                Option("steps", "int", 20, "denoising steps", low=2, high=100),
                Option("guidance", "float", 2.0, "how strictly the sample follows its family", low=1.0, high=10.0),
                SEED, DEVICE,
                Option("return_steps", "bool", False, "also return the pictures of the denoising", cli=False,
                       booth=Booth(fixed=True)),
                _progress(False),
                MODEL_PATH,
            ),
            models=("motif-diffusion",),
            stem=("diffusion", "{motif}", "{palette}"),
            cases=(Case("motif diffusion artwork 512×512", {"motif": "zellige8", "size": 512}, 1.5),),
        ),
        Engine(
            "sd-turbo", "image", "workshop_kit.image.sd_turbo", "pretrained",
            "SD-Turbo text → image and image → image, with the TAESD decoder and the safety checker",
            (
                _prompt("what to draw"),
                Option("image", "image", None, "a starting picture for image → image", cli=False),
                Option("strength", "float", 0.5, "how far to move from the starting picture", low=0.1, high=1.0,
                       cli=False),
                Option("steps", "int", 1, "denoising steps (SD-Turbo is made for 1 to 4)", low=1, high=8),
                Option("size", "int", 512, "width and height in pixels", low=64, high=1024, multiple_of=8,
                       booth=Booth(low=128, high=768, default=512, step=64)),
                SEED, DEVICE,
                Option("runtime", "choice", "auto", "auto (OpenVINO on a CPU where it is installed and fits in memory, "
                       "else PyTorch), torch, or openvino (converted once, on first use)",
                       choices=("auto", "torch", "openvino")),
                MODEL_PATH,
                Option("tiny_decoder", "bool", True, "decode with TAESD (fast) instead of the full VAE", cli=False),
                Option("taesd_path", "path", None, "a folder holding TAESD", cli=False),
                Option("safety_checker", "bool", False, "check the picture with the safety checker", cli=False,
                       booth=Booth(fixed=True)),
                Option("safety_checker_path", "path", None, "a folder holding the safety checker", cli=False),
                _progress(True),
            ),
            models=("sd-turbo", "sd-safety-checker"),  # the booth always checks its pictures
            stem=("sd-turbo",),
            # what the booth makes, measured here once (at start-up or by the doctor) against the booth's bar
            cases=(Case("booth picture: 512², 1 step, TAESD, safety checker on",
                        {"prompt": "zellige of Fès, blue and white", "size": 512, "safety_checker": True,
                         "progress": False}, 2.5),),
            estimate="workshop_kit.image.sd_turbo:estimate_seconds",
        ),
        # ---------------------------------------------------------------------------------------------- music
        Engine(
            "rules", "music", "workshop_kit.music.rules", "embedded",
            "A rule-based composer over Moroccan rhythm cycles and scales or maqamat (true quarter tones), played "
            "with the General MIDI SoundFont that pretty_midi ships",
            (*_MUSIC_PIECE, SEED, DEVICE),
            requires=("pretty_midi",),  # the SoundFont and its player ship with the kit and pretty_midi
            stem=("{scale}", "{rhythm}"),
            cases=(Case("compose + render 16 bars", {"bars": 16}, 1.0),),
        ),
        Engine(
            "melody-model", "music", "workshop_kit.music.melody_model", "embedded",
            "A 1.9 M-parameter GPT-2 the kit trains on folk tunes from music21, writing scale degrees placed in any "
            "maqam; fine-tune it on your own tunes",
            (
                *_MUSIC_PIECE,
                Option("temperature", "float", 1.0, "sampling temperature: below 1 safer, above 1 more surprising",
                       low=0.05, high=5.0, booth=Booth(low=0.2, high=2.0, default=1.0, step=0.1)),
                Option("top_k", "int", None, "sample among the k likeliest tokens", low=1, high=1000, optional=True),
                Option("motif", "notes", None, 'notes to continue, e.g. "D4 E4 F4 G4", or a MIDI file'),
                SEED, DEVICE,
                MODEL_PATH,
            ),
            models=("melody",),
            requires=("pretty_midi",),  # the SoundFont and its player ship with the kit and pretty_midi
            stem=("melody", "{scale}", "{rhythm}"),
            cases=(Case("melody model: 16 bars written, arranged and rendered", {"bars": 16}, 1.0),),
        ),
        Engine(
            "musicgen", "music", "workshop_kit.music.musicgen", "pretrained",
            "MusicGen-small text → music (non-commercial weights)",
            (
                _prompt("a description of the music"),
                Option("seconds", "float", 8.0, "length in seconds", low=1.0, high=30.0),
                Option("guidance_scale", "float", 3.0, "how closely to follow the prompt", low=1.0, high=10.0),
                Option("temperature", "float", 1.0, "sampling temperature", low=0.05, high=2.0,
                       booth=Booth(low=0.2, high=2.0, default=1.0, step=0.1)),
                SEED, DEVICE,
                Option("runtime", "choice", "auto", "auto (on a CPU the faster of int8 and openvino here, timed "
                       "once; fp16 on a GPU), torch (transformers' generate, fp32 weights, fp16 on a GPU), int8 (the "
                       "kit's lean loop, the decoder's linear layers in 8 bits, CPU only) or openvino (the lean "
                       "loop, its step in OpenVINO with int8 weights, CPU only)",
                       choices=("auto", "torch", "int8", "openvino")),
                MODEL_PATH,
                _progress(True),
            ),
            models=("musicgen-small",),
            stem=("musicgen",),
            also=(),
            cases=(Case("booth piece: 5 s of music", {"prompt": "gnawa trance, guembri and qraqeb", "seconds": 5.0,
                                                      "progress": False}, 12.5),),
            estimate="workshop_kit.music.musicgen:estimate_seconds",
        ),
        # ---------------------------------------------------------------------------------------------- 3D
        Engine(
            "lathe", "mesh", "workshop_kit.mesh.lathe", "embedded",
            "Lathe pottery: a watertight vessel turned from a profile curve (tagine, jar, vase, bowl), optional glaze "
            "and embossed motif band",
            (
                Option("preset", "choice", "jar", "vessel", choices=_VESSELS, city="vessel",
                       booth=Booth(widget="radio")),
                Option("height_mm", "float", None, "height in millimetres (default: the preset's own, which fits "
                       "the print bed)", low=20, high=600, optional=True, alias="size_mm",
                       booth=Booth(field="size_mm", low=40, high=250, default=150, step=5)),
                _FIT_BED,
                Option("wall_mm", "float", None, "wall thickness in millimetres (default: in proportion)", low=1.0,
                       high=20.0, optional=True),
                Option("segments", "int", 96, "facets around", low=16, high=512),
                _palette(None, "glaze colours (default: bare clay)", optional=True, label="glaze"),
                Option("band_motif", "choice", None, "emboss a band of this motif family", choices=_FAMILIES,
                       optional=True, booth=Booth()),
                Option("band_depth_mm", "float", 1.5, "how far the band stands out, in millimetres", low=0.2,
                       high=10.0),
                SEED, DEVICE,
            ),
            stem=("{preset}", "{band_motif}"),
            cases=(Case("lathe vessel (jar), 36 k faces", {"preset": "jar"}, 0.5),
                   Case("lathe vessel, 96 k faces", {"preset": "jar", "segments": 256}, 0.5, "100k")),
        ),
        Engine(
            "lantern", "mesh", "workshop_kit.mesh.lantern", "embedded",
            "Pierced lantern: a motif cut through a round, hexagonal or octagonal shell",
            (
                Option("motif", "choice", "zellige8", "motif family pierced through the shell", choices=_FAMILIES,
                       city="motif", booth=Booth()),
                Option("shape", "choice", "cylinder", "shell",
                       choices=Choices("workshop_kit.mesh.lantern:SHAPES", "shape")),
                Option("height_mm", "float", 180.0, "height in millimetres", low=40, high=400, alias="size_mm",
                       booth=Booth(field="size_mm", low=40, high=250, default=150, step=5)),
                Option("diameter_mm", "float", 120.0, "width across in millimetres", low=30, high=300),
                Option("wall_mm", "float", 2.0, "shell thickness in millimetres", low=1.2, high=8.0),
                Option("openness", "float", 0.4, "share of the shell cut open", low=0.05, high=0.7),
                Option("repeats", "int", None, "copies of the motif around (default: about 80 mm each)", low=1,
                       high=24, optional=True),
                Option("image", "image", None, "a PNG/JPEG/WebP picture to pierce instead of a motif"),
                SEED, DEVICE,
                _palette(None, "colours outside and inside (default: bare)", optional=True, label="glaze"),
            ),
            stem=("lantern", "{motif}"),
            cases=(Case("pierced lantern", {}, 1.5),),
        ),
        Engine(
            "relief", "mesh", "workshop_kit.mesh.relief", "embedded",
            "Bas-relief: a picture or motif carved into a framed plate (plaster, cedar)",
            (
                Option("image", "image", None, "a PNG/JPEG/WebP picture to carve", excludes=("motif",),
                       booth=Booth(field="picture")),
                Option("motif", "choice", None, "motif family to carve (default zellige8)", choices=_FAMILIES,
                       optional=True, city="motif", booth=Booth()),
                Option("width_mm", "float", 150.0, "plate width in millimetres", low=20, high=600, alias="size_mm",
                       booth=Booth(field="size_mm", low=40, high=_BED_SHORT_SIDE_MM, default=150, step=5)),
                Option("depth_mm", "float", 6.0, "carving depth in millimetres", low=0.2, high=50.0),
                Option("base_mm", "float", 3.0, "solid base under the carving, in millimetres", low=0.8, high=50.0),
                Option("frame_mm", "float", 8.0, "width of the raised frame in millimetres (at most a quarter of the "
                       "width)", low=0.0, high=150.0),
                Option("resolution", "int", 256, "points of the height grid across", low=16, high=1024),
                Option("invert", "bool", False, "carve dark parts high and light parts low"),
                Option("smooth", "float", 1.0, "softening of the carving", low=0.0, high=10.0),
                SEED, DEVICE,
            ),
            stem=("relief", "{motif}"),
            cases=(Case("relief from a zellige motif, 512 points across", {"resolution": 512}, 1.0),),
        ),
        Engine(
            "tiles", "mesh", "workshop_kit.mesh.tiles", "embedded",
            "Zellige tiles: the coloured pieces of a zellige motif, ready to print and assemble",
            (
                Option("motif", "choice", "zellige8", "zellige motif",
                       choices=Choices("workshop_kit.motif_geometry:FAMILIES", "motif",
                                       only="workshop_kit.mesh.tiles:MOTIFS"),
                       booth=Booth()),
                _palette("fes", "glaze colours (its lightest is the grout)", label="glaze"),
                Option("tile_mm", "float", 100.0, "tile side in millimetres", low=30, high=300, alias="size_mm",
                       booth=Booth(field="size_mm", low=40, high=_BED_SHORT_SIDE_MM, default=150, step=5)),
                Option("thickness_mm", "float", 6.0, "tile thickness in millimetres", low=1.5, high=30.0),
                Option("gap_mm", "float", 0.6, "joint between pieces in millimetres", low=0.2, high=3.0),
                Option("resolution", "int", 512, "pixels of the motif drawing along a side", low=256, high=1024),
                SEED, DEVICE,
            ),
            stem=("tiles", "{motif}"),
            cases=(Case("zellige tiles, 512 px drawing", {}, 1.5),),
        ),
        Engine(
            "shape-space", "mesh", "workshop_kit.mesh.shape_space", "embedded",
            "A learned space of vessel outlines: blend two pots (a, b, mix) or draw a new one from the seed",
            (
                Option("a", "choice", None, "first vessel of a blend", choices=_VESSELS, optional=True, city="vessel",
                       booth=Booth(field="preset", widget="radio")),
                Option("b", "choice", None, "second vessel of a blend", choices=_VESSELS, optional=True,
                       booth=Booth(field="preset_b", default="vase", widget="radio")),
                Option("mix", "float", 0.5, "0 = a, 1 = b", low=0.0, high=1.0, booth=Booth(step=0.05)),
                Option("spread", "float", 1.0, "for a drawn shape: how far from the usual ones", low=0.0, high=3.0),
                Option("height_mm", "float", None, "height in millimetres (default: 200, or less where the pot "
                       "would not fit the print bed)", low=20, high=600, optional=True, alias="size_mm",
                       # below 60 mm a blend with the tagine has too narrow a knob for a 1.2 mm wall
                       booth=Booth(field="size_mm", low=60, high=250, default=150, step=5)),
                _FIT_BED,
                Option("wall_mm", "float", None, "wall thickness in millimetres (default: in proportion)", low=1.0,
                       high=20.0, optional=True),
                Option("segments", "int", 96, "facets around", low=16, high=512),
                _palette(None, "glaze colours (default: bare clay)", optional=True, label="glaze"),
                SEED, DEVICE,
                MODEL_PATH,
            ),
            models=("shape-space",),
            stem=("{a}", "{b}"),
            cases=(Case("shape-space blend of two pots", {"a": "tagine", "b": "vase"}, 0.5),),
        ),
        Engine(
            "shap-e", "mesh", "workshop_kit.mesh.shap_e", "pretrained",
            "Shap-E text or picture → 3D (slow on a CPU: the doctor says how slow here)",
            (
                Option("prompt", "prompt", None, "what to make", optional=True, excludes=("image",), booth=Booth()),
                Option("image", "image", None, "a picture of one object on a plain background", cli=False),
                Option("steps", "int", 64, "denoising steps", low=4, high=128),
                Option("guidance_scale", "float", None, "how closely to follow the prompt (default 15 for text, 3 "
                       "for a picture)", low=1.0, high=30.0, optional=True),
                Option("grid_size", "int", 128, "marching-cubes resolution", low=16, high=256),
                Option("size_mm", "float", 120.0, "largest side in millimetres", low=10, high=600,
                       booth=Booth(low=40, high=250, default=150, step=5)),
                SEED, DEVICE,
                MODEL_PATH,
                _progress(True),
            ),
            models=("shap-e",),
            stem=("shap-e",),
            estimate="workshop_kit.mesh.shap_e:estimate_seconds",
        ),
    )
}


def engine(name: str, modality: str | None = None) -> Engine:
    """The engine called ``name`` (of ``modality`` when given), or :class:`ParameterError` listing them."""
    return ENGINES[check_choice("engine", name, engines(modality))]


def engines(modality: str | None = None) -> dict[str, Engine]:
    """The engines of ``modality`` (all when ``None``), by name, in the registry's order."""
    if modality is not None:
        check_choice("modality", modality, MODALITIES)
    return {name: e for name, e in ENGINES.items() if modality is None or e.modality == modality}


_MODALITY_WORDS = {"image": "image", "music": "music", "mesh": "3D"}


def markdown_table() -> str:
    """The README's table of engines: modality, name, tier, what it makes and the models it needs."""
    lines = ["| modality | engine | tier | what | needs |", "|---|---|---|---|---|"]
    for e in ENGINES.values():
        needs = ", ".join(f"`{m}`" for m in e.models) or "—"
        lines.append(f"| {_MODALITY_WORDS[e.modality]} | `{e.name}` | {e.tier} | {e.description} | {needs} |")
    return "\n".join(lines)

