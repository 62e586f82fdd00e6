"""OpenVINO on the CPU: what this CPU can do, converting torch models once into the kit's cache, compiling them.

The pretrained engines run their networks through OpenVINO where it pays (SD-Turbo: 1.4× to 4.7× faster than
PyTorch on a laptop CPU, and far steadier under load). A network is converted once from the model's own files —
by the machine that prepares the offline pack, or here on first use — into a folder of OpenVINO IR files:

* ``$WORKSHOP_KIT_MODELS/openvino/<key>-<stamp>/<weights>/`` in the offline pack (read, never written), else
* ``cache_dir()/openvino/<key>-<stamp>/<weights>/`` (written here),

where ``<stamp>`` changes whenever the source model's files do and ``<weights>`` is ``int8`` (weights compressed
to 8 bits by nncf, computing still in floating point), ``hybrid`` (the same for the linear layers, and the
convolutions quantized in full, calibrated on the inputs the network sees), ``int8-full`` (the convolutions and the
linear layers quantized in full, weights and activations) or ``fp32``. A folder is written all at once (the kit's
:func:`~workshop_kit.shipped.staged_folder`: a half-written folder is never used) with an ``openvino.json`` saying
what made it and a ``MANIFEST.json`` of its files. A folder made by another kit or OpenVINO version, or whose
files are not the size its manifest says (a copy cut short), is converted again, and the caller is told why.

The maths run in bf16 only where the CPU reports BF16 (AVX-512-BF16 or AMX), in fp32 elsewhere: OpenVINO itself
would pick bf16 on such a CPU, so the precision is always set explicitly (:func:`precision`).
Only the converted IR files are kept: they hold no instruction of any CPU. The networks are compiled for this CPU
when they load (the booth does it at start-up), so files copied from the machine that made the pack run here with
the instructions this CPU has.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from .errors import EngineUnavailableError

__all__ = ["FORMAT", "INFO_FILE", "Part", "available", "missing_packages", "require", "capabilities", "cpu_name",
           "has_bf16", "precision", "precision_note", "source_stamp", "find_converted", "convert", "compile_part",
           "free_memory_gb", "peak_rss_gb"]

FORMAT = 1
"""The layout of a converted folder; a folder of another format is converted again."""
INFO_FILE = "openvino.json"
PACKAGES = ("openvino", "nncf")
EXTRA = "fast"  # pip install 'workshop-kit[fast]'
PRECISION_ENV = "WORKSHOP_KIT_OV_PRECISION"  # "bf16" or "f32": force the maths (a test, a comparison)
_HASHED_BYTES = 64 * 2**20  # files up to this size are hashed into the stamp; larger ones by size (and date)
_STAMPS: dict[tuple, str] = {}


def missing_packages(names: Sequence[str] = PACKAGES) -> list[str]:
    return [name for name in names if find_spec(name) is None]


def available() -> bool:
    """Whether OpenVINO (and nncf, for int8 weights) is installed: the ``fast`` extra of the kit."""
    return not missing_packages()


def require() -> None:
    """Raise :class:`EngineUnavailableError` naming what to install when OpenVINO or nncf is missing."""
    missing = missing_packages()
    if missing:
        names = " and ".join(missing)
        raise EngineUnavailableError(
            f"runtime='openvino' needs {names}: pip install 'workshop-kit[{EXTRA}]' "
            f"(or pip install {' '.join(missing)})",
            f"runtime='openvino' demande {names} : pip install 'workshop-kit[{EXTRA}]' "
            f"(ou pip install {' '.join(missing)})")


@functools.lru_cache(maxsize=1)
def core():
    import openvino as ov

    return ov.Core()


@functools.lru_cache(maxsize=1)
def capabilities() -> tuple[str, ...]:
    """What OpenVINO's CPU plugin reports this CPU can do (``FP32``, ``INT8``, ``BF16`` …)."""
    return tuple(str(c) for c in core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))


@functools.lru_cache(maxsize=1)
def cpu_name() -> str:
    try:
        return str(core().get_property("CPU", "FULL_DEVICE_NAME")).strip()
    except Exception:  # noqa: BLE001 - a name is only for reports
        return platform.processor() or "CPU"


def has_bf16() -> bool:
    return "BF16" in capabilities()


def precision() -> str:
    """The maths the CPU runs: ``"bf16"`` where it reports BF16, else ``"f32"`` (``WORKSHOP_KIT_OV_PRECISION``
    may ask for ``f32`` anywhere, or ``bf16`` where the CPU has it)."""
    wanted = os.environ.get(PRECISION_ENV, "").strip().lower()
    if wanted in ("f32", "fp32"):
        return "f32"
    return "bf16" if has_bf16() else "f32"


def precision_note() -> str:
    """One line when the maths asked for cannot be had here (bf16 on a CPU without BF16), else ``""``."""
    wanted = os.environ.get(PRECISION_ENV, "").strip().lower()
    if wanted == "bf16" and not has_bf16():
        return (f"{PRECISION_ENV}=bf16, but this CPU reports no BF16 instructions (AVX-512-BF16 or AMX): "
                "OpenVINO computes in fp32")
    return ""


def _ov_version() -> str:
    import openvino as ov

    return ov.get_version().split("-")[0]


def _versions() -> dict[str, str]:
    from importlib import metadata

    from ._version import __version__

    out = {"workshop_kit": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


def source_stamp(folder: str | os.PathLike) -> str:
    """A short fingerprint of a model folder's files: it changes when any of them does.

    Small files (configs, tokenizers) are hashed; large weight files count by size, and by date unless the folder
    records the revision it holds (then a copy made with another date keeps its stamp).
    """
    from .files import sha256_file
    from .pretrained import REVISION_FILE

    folder = Path(folder)
    pinned = (folder / REVISION_FILE).is_file() or "snapshots" in folder.parts
    files = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        files.append((file.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    listing = (str(folder), pinned, tuple(files))
    if listing not in _STAMPS:  # hashing the small files once per listing: every generation asks
        digest = hashlib.sha1()
        for rel, size, mtime in files:
            part = sha256_file(folder / rel) if size <= _HASHED_BYTES else f"{size}" + ("" if pinned else f":{mtime}")
            digest.update(f"{rel}\0{part}\n".encode())
        _STAMPS[listing] = digest.hexdigest()[:12]
    return _STAMPS[listing]


@dataclass(frozen=True)
class Part:
    """One network to convert: its file name, how to build it (a torch module and an example input), and the
    names and shapes of its inputs (``-1`` for a size fixed only when the network is compiled)."""

    name: str
    build: Callable[[], tuple[Any, Any]]
    inputs: tuple[tuple[str, tuple[int, ...]], ...]
    compress: bool = True  # int8 weights for this part when the folder is int8, hybrid or int8-full
    calibration: Callable[[], list[dict[str, Any]]] | None = None  # inputs it sees, for the CALIBRATED kinds
    outputs: tuple[str, ...] = ()  # names for the outputs, in order (unnamed when empty)
    # (input, output) pairs the network keeps between calls instead (a cache: see _make_stateful), and the input
    # whose first dimension is the kept tensors' first dimension
    stateful: tuple[tuple[str, str], ...] = ()
    rows_from: str = ""

    def given(self) -> dict[str, tuple[int, ...]]:
        """The inputs a caller gives at each call (those not kept by the network), with their shapes."""
        kept = {name for name, _ in self.stateful}
        return {name: shape for name, shape in self.inputs if name not in kept}


def _problem(folder: Path, parts: Sequence[Part]) -> str | None:
    """Why ``folder`` cannot be used as it is (``None``: it can)."""
    from .shipped import MANIFEST_FILE

    info_file, manifest_file = folder / INFO_FILE, folder / MANIFEST_FILE
    if not folder.is_dir():
        return "missing"
    if not manifest_file.is_file() or not info_file.is_file():
        return "it was not written to the end"
    try:
        info = json.loads(info_file.read_text(encoding="utf-8"))
        files = json.loads(manifest_file.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return "its description cannot be read"
    made = {k: info.get("versions", {}).get(k) for k in ("workshop_kit", "openvino")}
    here = {k: _versions()[k] for k in made}
    if info.get("format") != FORMAT or made != here:
        return (f"it was made by workshop-kit {made['workshop_kit']} with OpenVINO {made['openvino']}, "
                f"this is workshop-kit {here['workshop_kit']} with OpenVINO {here['openvino']}")
    for part in parts:
        for suffix in (".xml", ".bin"):
            name = part.name + suffix
            if name not in files:
                return f"it has no {name}"
            size = (folder / name).stat().st_size if (folder / name).is_file() else None
            if size != files[name]["bytes"]:
                shown = "missing" if size is None else f"{size} bytes"
                return f"{name} is {shown}, {files[name]['bytes']} were written (a copy cut short?)"
    return None


def find_converted(key: str, source: str | os.PathLike, parts: Sequence[Part], weights: str,
                   notes: list[str] | None = None) -> Path | None:
    """The folder of ``key``'s converted networks for ``source`` (offline pack first, then the cache), or ``None``
    when none is usable; ``notes`` gets one line for each folder found but not usable."""
    from . import pretrained
    from .files import cache_dir

    name = f"{key}-{source_stamp(source)}"
    places = [cache_dir() / "openvino" / name / weights]
    pack = pretrained.models_folder()
    if pack is not None:
        places.insert(0, pack / "openvino" / name / weights)
    for folder in places:
        problem = _problem(folder, parts)
        if problem is None:
            return folder
        if problem != "missing" and notes is not None:
            notes.append(f"OpenVINO files in {folder} not used: {problem}")
    return None


def convert(key: str, source: str | os.PathLike, parts: Sequence[Part], weights: str, *, progress: bool = True,
            notes: list[str] | None = None, dest: str | os.PathLike | None = None) -> Path:
    """Convert ``parts`` of model ``key`` (from the folder ``source``) to OpenVINO, once; return the folder.

    An existing usable folder is returned as it is. Otherwise the networks are converted one at a time (each torch
    module is freed before the next is built), int8-compressed when ``weights`` is ``"int8"``
    (and, calibrated, ``"hybrid"`` or ``"int8-full"``: :data:`CALIBRATED`), and written all at
    once into ``dest`` (default: the kit's cache; the pack-building machine passes the pack's folder).
    """
    import gc

    require()
    found = find_converted(key, source, parts, weights, notes) if dest is None else None
    if found is not None:
        return found
    from .files import cache_dir, write_json
    from .shipped import staged_folder

    root = Path(dest) if dest is not None else cache_dir() / "openvino"
    target = root / f"{key}-{source_stamp(source)}" / weights
    problem = _problem(target, parts)
    if problem is None:
        return target
    if problem != "missing" and notes is not None:
        notes.append(f"OpenVINO files in {target} converted again: {problem}")

    import openvino as ov
    import torch
    from tqdm.auto import tqdm

    _no_telemetry()
    start = time.perf_counter()
    with staged_folder(target, key=f"{key}-openvino-{weights}") as stage:
        bar = tqdm(parts, desc=f"{key}: converting to OpenVINO ({weights}), once", unit="network",
                   disable=not progress, leave=False)
        for part in bar:
            bar.set_postfix_str(f"{part.name}: loading")
            module, example = part.build()
            bar.set_postfix_str(f"{part.name}: tracing")
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the tracer's notes on shapes it treats as constants
                traced = torch.jit.trace(module, example, check_trace=False, strict=False)
                del module
                bar.set_postfix_str(f"{part.name}: converting")
                model = ov.convert_model(traced, example_input=example,
                                         input=[ov.PartialShape(list(shape)) for _, shape in part.inputs])
            del traced
            gc.collect()
            for port, (name, _) in zip(model.inputs, part.inputs, strict=True):
                port.get_tensor().set_names({name})
            for port, name in zip(model.outputs, part.outputs, strict=False):
                port.get_tensor().set_names({name})
            if part.stateful:
                _make_stateful(model, part.stateful, part.rows_from)
            if weights in CALIBRATED and part.compress and part.calibration is not None:
                bar.set_postfix_str(f"{part.name}: calibrating int8 (minutes)")
                model = CALIBRATED[weights](model, part.calibration())
            elif weights in ("int8", *CALIBRATED) and part.compress:
                bar.set_postfix_str(f"{part.name}: int8 weights")
                model = _compress(model)
            bar.set_postfix_str(f"{part.name}: writing")
            ov.save_model(model, stage / f"{part.name}.xml", compress_to_fp16=False)
            del model
            gc.collect()
        write_json(stage / INFO_FILE, {"format": FORMAT, "model": key, "weights": weights,
                                       "source": str(source), "source_stamp": source_stamp(source),
                                       "versions": _versions(), "converted_on": cpu_name(),
                                       "seconds": round(time.perf_counter() - start, 1),
                                       "parts": [p.name for p in parts]})
    if notes is not None:
        notes.append(f"converted {key} to OpenVINO ({weights} weights) in {time.perf_counter() - start:.0f} s, "
                     f"once: {target}")
    return target


def _make_stateful(model, pairs: Sequence[tuple[str, str]], rows_from: str) -> None:
    """Each (input, output) pair of ``model`` becomes a tensor the compiled network keeps between calls: the input
    reads what the output wrote at the last call (empty after ``reset_state()``: the non-first dimensions given by
    the input's shape, 0 for its free ones, the first taken from ``rows_from``'s). A decoder's cache kept this way
    is one OpenVINO fuses into its attention (appending in place rather than copying the cache each step), where
    the past is read through a ``Gather`` on ``rows_from`` (how it reorders beams; here the rows, in order)."""
    import numpy as np
    import openvino as ov
    from openvino import opset13 as ops
    from openvino.op.util import Variable, VariableInfo

    parameters = {p.get_output_tensor(0).get_any_name(): p for p in model.get_parameters()}
    results = {r.output(0).get_any_name(): r for r in model.get_results()}
    rows = ops.gather(ops.shape_of(parameters[rows_from]), ops.constant(np.array([0], np.int64)),
                      ops.constant(np.int64(0)))
    sinks = []
    for name, output in pairs:
        parameter, result = parameters[name], results[output]
        shape = parameter.get_partial_shape()
        info = VariableInfo()
        info.data_shape, info.data_type, info.variable_id = shape, parameter.get_element_type(), name
        variable = Variable(info)
        rest = [d.get_length() if d.is_static else 0 for d in list(shape)[1:]]
        empty = ops.broadcast(ops.constant(np.zeros((), parameter.get_element_type().to_dtype())),
                              ops.concat([rows, ops.constant(np.array(rest, np.int64))], 0))
        kept = ops.read_value(empty, variable)
        for target in list(parameter.output(0).get_target_inputs()):
            target.replace_source_output(kept.output(0))
        source = result.input_value(0)
        sinks.append(ov.op.assign(source.get_node() if source.get_node().get_output_size() == 1 else source,
                                  variable))
        model.remove_result(result)
        model.remove_parameter(parameter)
    model.add_sinks(sinks)
    model.validate_nodes_and_infer_types()


def _no_telemetry() -> None:
    """The kit reaches no network: OpenVINO's converter and nncf get the do-nothing telemetry each uses when the
    openvino-telemetry package is absent."""
    from nncf.telemetry import decorator, wrapper
    from openvino.tools.ovc import convert_impl, telemetry_stub, telemetry_utils

    convert_impl.tm = telemetry_utils.tm = telemetry_stub
    decorator.telemetry = wrapper.telemetry = wrapper.NNCFTelemetryStub()


@contextlib.contextmanager
def _quiet_nncf():
    """nncf's progress notes and warnings kept out of the user's console (the kit shows its own progress bar)."""
    import logging

    nncf_logger = logging.getLogger("nncf")
    level = nncf_logger.level
    nncf_logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        nncf_logger.setLevel(level)


def _compress(model):
    """Weights to int8 (asymmetric, per output channel), data-free, quietly."""
    import nncf

    with _quiet_nncf():
        return nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)


def _weighted_matmuls(model) -> list[str]:
    """The names of the matrix products whose second input is a constant (the linear layers' weights)."""
    names = []
    for op in model.get_ordered_ops():
        if op.get_type_name() != "MatMul":
            continue
        source = op.input_value(1).get_node()
        while source.get_type_name() == "Convert":
            source = source.input_value(0).get_node()
        if source.get_type_name() == "Constant":
            names.append(op.get_friendly_name())
    return names


def _hybrid(model, calibration: list[dict[str, Any]]):
    """Hybrid int8, as OpenVINO's tools do for diffusion UNets: the linear layers get int8 weights (computing in
    floating point), the convolutions are quantized in full — weights and activations in 8 bits, their ranges
    measured on ``calibration`` (the inputs the network sees). A CPU without BF16 keeps those convolutions in 8 bits
    instead of unpacking their weights to fp32 (the UNet: 2.2 GB compiled instead of 5.2 GB) and runs them in int8."""
    import nncf

    with _quiet_nncf():
        linear = _weighted_matmuls(model)
        model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM,
                                      ignored_scope=nncf.IgnoredScope(types=["Convolution"]))
        return nncf.quantize(
            model, nncf.Dataset(calibration), subset_size=len(calibration),
            model_type=nncf.ModelType.TRANSFORMER, ignored_scope=nncf.IgnoredScope(names=linear),
            advanced_parameters=nncf.AdvancedQuantizationParameters(
                smooth_quant_alphas=nncf.AdvancedSmoothQuantParameters(matmul=-1)))


def _full_int8(model, calibration: list[dict[str, Any]]):
    """Full int8, as OpenVINO's own notebooks quantize diffusion UNets: the convolutions and the linear layers
    compute in 8 bits, weights and activations, the activations' ranges measured on ``calibration`` and their
    outliers moved into the weights first (SmoothQuant).
    SD-Turbo's UNet, 512², 2 cores of an Intel Xeon with AMX: 1.52 s against hybrid's 2.23 s in fp32 maths (the
    maths of a laptop without BF16), 1.29 s against 1.53 s in bf16; its output 5.1 % (RMS) from fp32's, hybrid's
    3.9 %. The whole picture on an AMD EPYC with AVX-512-BF16: 0.91 s against 1.09 s (bf16), 1.18 s against 1.34 s
    (fp32), as close to PyTorch fp32's picture as hybrid's (random weights). The kit's choice
    (``sd_turbo.openvino_weights``)."""
    import nncf

    with _quiet_nncf():
        return nncf.quantize(model, nncf.Dataset(calibration), subset_size=len(calibration),
                             model_type=nncf.ModelType.TRANSFORMER)


CALIBRATED = {"hybrid": _hybrid, "int8-full": _full_int8}
"""The kinds of weights whose networks are calibrated on the inputs they see (a part without calibration inputs
gets int8 weights alone)."""


def compile_part(folder: str | os.PathLike, name: str, shapes: dict[str, Sequence[int]], maths: str,
                 config: dict[str, Any] | None = None):
    """Read ``name`` from a converted folder, fix its input shapes and compile it for this CPU with ``maths``
    (``"bf16"`` or ``"f32"``) and any other of OpenVINO's settings in ``config``. Nothing compiled is kept on
    disk: a compiled UNet is 2.5 GB per size where the CPU has no BF16, and is made for this CPU's instructions
    alone, so it is compiled again at each start."""
    import openvino as ov

    model = core().read_model(Path(folder) / f"{name}.xml")
    model.reshape({key: ov.PartialShape(list(shape)) for key, shape in shapes.items()})
    settings = {"INFERENCE_PRECISION_HINT": maths, "PERFORMANCE_HINT": "LATENCY", **(config or {})}
    return core().compile_model(model, "CPU", settings)


def free_memory_gb() -> float:
    """Memory this machine can give now (GB), or infinity when psutil cannot say."""
    try:
        import psutil

        return psutil.virtual_memory().available / 2**30
    except Exception:  # noqa: BLE001
        return float("inf")


def peak_rss_gb() -> float:
    """This process's peak resident memory so far (GB)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**30 if sys.platform == "darwin" else peak / 2**20
