"""Heavy engines on the classroom machine: a notebook on a participant's laptop sends one generation to the booth of
the room and gets the kit's own result objects back.

>>> import workshop_kit as wk
>>> salle = wk.use_server("http://192.168.1.10:8080")            # the room's address   # doctest: +SKIP
>>> image = salle.image(engine="sd-turbo", prompt="a riad courtyard", seed=0)          # doctest: +SKIP
>>> image.save("riad.png"); image.device                                               # doctest: +SKIP
'cuda'

Each call goes to the booth's API (``/music``, ``/image``, ``/mesh``: the engine and the booth's fields by name)
through ``gradio_client``. The result is rebuilt from the files the booth sends back — WAV and MIDI, PNG, GLB — and
from the provenance the booth wrote for them (engine, options, seed, the device that made it, the model), which the
classroom serves beside the booth. Against a booth without that (a plain ``workshop-kit booth``), the provenance says
what this laptop knows: what it asked, the seed the booth used, and that the device is unknown.
"""

from __future__ import annotations

import json
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError, WorkshopKitError
from ..files import sha256_file

from ..provenance import SIDECAR_ROUTE as PROVENANCE_ROUTE  # the booth answers there with a file's sidecar

TIMEOUT_S = 10.0
"""How long to wait for the room to answer before saying it cannot be reached (a generation may take longer)."""


def _get_json(url: str, timeout: float = TIMEOUT_S) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


def _unreachable(url: str, exc: BaseException) -> WorkshopKitError:
    return WorkshopKitError(
        f"the classroom machine at {url} does not answer ({exc}); check the address on the trainer's screen and "
        "that this laptop is on the room's network",
        f"la machine de la salle ({url}) ne répond pas ({exc}) : vérifiez l'adresse affichée sur l'écran du "
        "formateur et que cet ordinateur est sur le réseau de la salle")


class Server:
    """The booth of a classroom machine, as a participant's notebook uses it (see the module's description)."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_S):
        if not isinstance(url, str) or not url.strip().lower().startswith(("http://", "https://")):
            raise ParameterError("url", url, "the room's address, e.g. http://192.168.1.10:8080",
                                 allowed_fr="l'adresse de la salle, par exemple http://192.168.1.10:8080")
        url = url.strip().rstrip("/") + "/"
        self.url = url
        self.booth = url
        try:  # the room's address (join page) names its booth; a booth's own address is used as it is
            room = _get_json(urllib.parse.urljoin(url, "room.json"), timeout)
            if room.get("booth"):
                self.booth = room["booth"].rstrip("/") + "/"
        except urllib.error.HTTPError:
            pass
        except (OSError, ValueError) as exc:
            raise _unreachable(url, exc) from None
        from gradio_client import Client

        self._files = Path(tempfile.mkdtemp(prefix="workshop-kit-remote-"))
        try:
            self.client = Client(self.booth, verbose=False, download_files=str(self._files))
        except Exception as exc:  # noqa: BLE001 - a booth that cannot be reached or read says so in one line
            raise _unreachable(self.booth, exc) from None
        self._api = self.client.view_api(print_info=False, return_format="dict")["named_endpoints"]

    def __repr__(self) -> str:
        return f"Server({self.booth!r})"

    def engines(self, modality: str) -> list[str]:
        """The engines the booth offers for ``modality`` (music, image, mesh)."""
        for parameter in self._api.get(f"/{modality}", {}).get("parameters", ()):
            if parameter["parameter_name"] == "engine":
                return list(parameter["type"].get("enum", ()))
        return []

    def music(self, engine: str | None = None, *, seed: int | None = None, **options):
        """A piece made by the booth, as an :class:`~workshop_kit.results.AudioResult` (with its score when the
        engine wrote one)."""
        return self.generate("music", engine, seed=seed, **options)

    def image(self, engine: str | None = None, *, seed: int | None = None, **options):
        """A picture made by the booth, as an :class:`~workshop_kit.results.ImageResult`."""
        return self.generate("image", engine, seed=seed, **options)

    def mesh(self, engine: str | None = None, *, seed: int | None = None, **options):
        """An object made by the booth, as a :class:`~workshop_kit.results.MeshResult` in millimetres, Z up."""
        return self.generate("mesh", engine, seed=seed, **options)

    def generate(self, modality: str, engine: str | None = None, *, seed: int | None = None, **options):
        from ..registry import MODALITIES, engines
        from ..validation import check_choice, resolve_seed

        check_choice("modality", modality, MODALITIES)
        offered = self.engines(modality)
        engine = engine or (offered[0] if offered else MODALITIES[modality].default_engine)
        chosen = engines(modality).get(engine)
        if chosen is None or engine not in offered:
            raise ParameterError("engine", engine, ", ".join(offered) or "none",
                                 reason="the classroom's booth does not offer this engine",
                                 reason_fr="la borne de la salle ne propose pas ce moteur")
        checked = chosen.check(options)  # a bad value is said here, before the network
        fields = self._fields(chosen, checked)
        if seed is not None:
            seed = resolve_seed(seed)
        start = time.perf_counter()
        try:
            made = self.client.predict(engine=engine, **fields, seed="" if seed is None else str(seed),
                                       lang="en", api_name=f"/{modality}")
        except Exception as exc:  # noqa: BLE001 - the booth's own message (gr.Error) is the useful part
            raise WorkshopKitError(f"the classroom's booth refused: {exc}",
                                   f"la borne de la salle a refusé : {exc}") from None
        seconds = time.perf_counter() - start
        files = [Path(p) for p in made[1]] if isinstance(made[1], (list, tuple)) else [Path(made[0])]
        record = self._provenance(files[0]) or {
            "engine": engine, "params": checked, "seed": int(made[2]), "device": "unknown (classroom machine)",
            "seconds": seconds, "model": None, "notes": []}
        return _rebuild(modality, files, record, self.booth)

    def _fields(self, engine, options: dict[str, Any]) -> dict[str, Any]:
        """The booth's field names for ``options``; an option the booth has no field for is refused by name."""
        names = {p["parameter_name"] for p in self._api[f"/{engine.modality}"]["parameters"]}
        fields = {}
        for name, value in options.items():
            option = engine.option(name)
            field = option.booth and option.booth.fixed is None and (option.booth.field or option.name)
            if not field or field not in names or option.kind in ("image", "path"):  # no file goes from afar
                takes = sorted(o.name for o in engine.options if o.booth and o.booth.fixed is None)
                raise ParameterError(name, value, ", ".join(takes),
                                     reason="the booth does not take this option from afar",
                                     reason_fr="la borne ne prend pas cette option à distance")
            fields[field] = "none" if value is None else value
        return fields

    def _provenance(self, file: Path) -> dict | None:
        try:
            return _get_json(urllib.parse.urljoin(self.booth, PROVENANCE_ROUTE.lstrip("/") + sha256_file(file)))
        except (OSError, ValueError):
            return None


class MidiScore:
    """The score of a piece made elsewhere, read from its MIDI file: what ``AudioResult.save(".mid")`` needs."""

    def __init__(self, path: str | Path):
        self.midi_bytes = Path(path).read_bytes()

    def to_midi(self):
        import io

        import pretty_midi

        return pretty_midi.PrettyMIDI(io.BytesIO(self.midi_bytes))


def _rebuild(modality: str, files: list[Path], record: dict, booth: str):
    """The kit's result object from the booth's files and the provenance it wrote for them."""
    from ..mesh.result import GLTF_FROM_MM_Z_UP, MeshResult
    from ..results import AudioResult, ImageResult

    notes = [*record.get("notes", ()), f"made by the classroom machine {booth}"]
    common = dict(engine=record["engine"], seed=int(record["seed"]), params=record.get("params", {}),
                  device=record.get("device", "unknown"), seconds=float(record.get("seconds", 0.0)),
                  model=record.get("model"), notes=notes)
    by_suffix = {f.suffix.lower(): f for f in files}
    if modality == "music":
        import soundfile

        audio, rate = soundfile.read(by_suffix[".wav"], dtype="float32", always_2d=True)
        score = MidiScore(by_suffix[".mid"]) if ".mid" in by_suffix else None
        return AudioResult(**common, audio=audio, sample_rate=int(rate), score=score)
    if modality == "image":
        from PIL import Image

        with Image.open(by_suffix[".png"]) as picture:
            return ImageResult(**common, image=np.asarray(picture.convert("RGB")))
    from ..mesh.load import load_mesh

    mesh = load_mesh(by_suffix[".glb"])
    mesh.apply_transform(np.linalg.inv(GLTF_FROM_MM_Z_UP))  # the GLB is in metres, Y up; the kit works in mm, Z up
    return MeshResult(**common, mesh=mesh)


def use_server(url: str, *, timeout: float = TIMEOUT_S) -> Server:
    """Use the booth of the classroom machine at ``url`` (the room's address on the trainer's screen, or a booth's
    own address) for heavy engines: ``use_server(url).image(engine="sd-turbo", prompt=..., seed=0)``."""
    return Server(url, timeout=timeout)


__all__ = ["Server", "use_server", "MidiScore", "PROVENANCE_ROUTE"]
