"""The result types, each saving itself by extension with a provenance sidecar.

``Result`` is what every generator returns and how every file is saved; ``ImageResult`` (a picture, a strip of
pictures), ``FramesResult`` (an animation, GIF or MP4, through :mod:`workshop_kit.media`) and ``AudioResult`` (audio
and the score it was rendered from) show themselves in Jupyter as a picture, an animation and an audio player. The 3D
engines' ``MeshResult`` lives with them, in :mod:`workshop_kit.mesh.result`.
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from . import media
from .files import atomic_path, check_output_path, sha256_file, sidecar_path, write_json
from .i18n import Msg
from .provenance import now_iso, package_versions

__all__ = ["Result", "ImageResult", "FramesResult", "AudioResult"]


@dataclass(repr=False)
class Result:
    """What every generator returns: the content, and how it was made."""

    engine: str
    seed: int | None  # None for what no seed drew (pictures of an object given as it is)
    params: dict[str, Any]
    device: str
    seconds: float
    model: dict[str, str] | None = field(default=None, kw_only=True)
    notes: list[str] = field(default_factory=list, kw_only=True)  # what the user should know (a truncated prompt …)

    FORMATS: ClassVar[tuple[str, ...]] = ()
    PACKAGES: ClassVar[tuple[str, ...]] = ()

    def provenance(self) -> dict[str, Any]:
        """The facts written next to every saved file."""
        return {
            "engine": self.engine,
            "params": self.params,
            "seed": self.seed,
            "device": self.device,
            "seconds": round(self.seconds, 4),
            "model": self.model,
            "notes": self.notes,
            "versions": package_versions(self.PACKAGES),
            "created": now_iso(),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the result to ``path`` (format from the extension) and its sidecar ``<path>.json``.

        Raises :class:`~workshop_kit.errors.OutputPathError` for an unknown extension or an unwritable folder,
        before anything is written.
        """
        path = check_output_path(path, self.FORMATS)
        with atomic_path(path) as tmp:
            self._write(tmp, path.suffix.lower())
        try:
            record = self.provenance()
            record.update(file=path.name, format=path.suffix.lower().lstrip("."), sha256=sha256_file(path))
            write_json(sidecar_path(path), record)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    def _write(self, tmp: Path, suffix: str) -> None:  # pragma: no cover - each subclass writes its formats
        raise NotImplementedError

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(engine={self.engine!r}, seed={self.seed}, device={self.device!r}, "
                f"seconds={self.seconds:.3f})")


@dataclass(repr=False)
class ImageResult(Result):
    """A picture as an ``(height, width, 3)`` array of ``uint8``."""

    image: np.ndarray = field(default=None, kw_only=True)

    FORMATS: ClassVar[tuple[str, ...]] = (".png", ".jpg", ".jpeg", ".webp")
    PACKAGES: ClassVar[tuple[str, ...]] = ("torch", "pillow")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])

    def to_pil(self):
        from PIL import Image

        return Image.fromarray(self.image, mode="RGB")

    def _write(self, tmp: Path, suffix: str) -> None:
        options = {".png": dict(format="PNG", optimize=False), ".webp": dict(format="WEBP", quality=92)}
        self.to_pil().save(tmp, **options.get(suffix, dict(format="JPEG", quality=92)))

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.to_pil().save(buf, format="PNG")
        return buf.getvalue()


@dataclass(repr=False)
class FramesResult(Result):
    """An animation as an ``(n, height, width, 3)`` array of ``uint8`` frames, played at ``fps`` frames per second.

    ``save("x.gif")`` writes a GIF that loops forever, its frames sharing one 256-colour palette (``dither`` for
    shaded renders, see :func:`workshop_kit.media.gif_bytes`), the last one shown ``hold_ms`` when given;
    ``save("x.mp4")`` an H.264 video (with the ``imageio-ffmpeg`` package). Each file gets its provenance sidecar
    ``<file>.json``. It reads as the list of its pictures too: ``len(result)``, ``result[-1]``, ``for p in result``.
    """

    frames: np.ndarray = field(default=None, kw_only=True)
    fps: float = field(default=12, kw_only=True)
    hold_ms: int | None = field(default=None, kw_only=True)
    dither: bool = field(default=False, kw_only=True)

    FORMATS: ClassVar[tuple[str, ...]] = (".gif", ".mp4")
    PACKAGES: ClassVar[tuple[str, ...]] = ("pillow", "imageio-ffmpeg")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])

    @property
    def duration(self) -> float:
        """Length of one pass in seconds."""
        return self.frames.shape[0] / self.fps

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def __getitem__(self, index):
        return self.frames[index]

    def __iter__(self):
        return iter(self.frames)

    def provenance(self) -> dict[str, Any]:
        record = {**super().provenance(), "frames": len(self), "fps": round(self.fps, 4)}
        if self.hold_ms is not None:
            record["hold_ms"] = self.hold_ms
        return record

    def save(self, path: str | os.PathLike) -> Path:
        """Write the animation to ``path`` (``.gif`` or ``.mp4``) and its sidecar ``<path>.json``.

        Raises
        ------
        OutputPathError
            For another extension or an unwritable folder, before anything is written.
        EngineUnavailableError
            For ``.mp4`` when the ``imageio-ffmpeg`` package is missing, before anything is written.
        """
        if Path(str(path)).suffix.lower() == ".mp4":
            media.require_ffmpeg()
        return super().save(path)

    def _write(self, tmp: Path, suffix: str) -> None:
        if suffix == ".gif":
            tmp.write_bytes(self.gif_bytes())
        else:
            media.write_mp4(tmp, self.frames, fps=self.fps)

    def gif_bytes(self) -> bytes:
        """The animation as a GIF that loops forever (what ``save("x.gif")`` writes)."""
        return media.gif_bytes(self.frames, frame_ms=1000 / self.fps, hold_ms=self.hold_ms, dither=self.dither)

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.gif_bytes()).decode("ascii")
        width, height = self.size
        return f'<img src="data:image/gif;base64,{data}" width="{width}" height="{height}" alt="{self.engine}"/>'


@dataclass(repr=False)
class AudioResult(Result):
    """Audio as a ``(samples, channels)`` array of ``float32`` in [-1, 1], with the score it was rendered from.

    ``score`` has a ``to_midi()`` method returning a ``pretty_midi.PrettyMIDI``.
    """

    audio: np.ndarray = field(default=None, kw_only=True)
    sample_rate: int = field(default=44100, kw_only=True)
    score: Any = field(default=None, kw_only=True)

    FORMATS: ClassVar[tuple[str, ...]] = (".wav", ".flac", ".mid", ".midi")
    # the SoundFont player is numpy
    PACKAGES: ClassVar[tuple[str, ...]] = ("soundfile", "pretty_midi", "numpy", "scipy")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.audio.shape[0] / self.sample_rate

    def save(self, path: str | os.PathLike) -> Path:
        if self.score is None and Path(path).suffix.lower() in (".mid", ".midi"):
            from .errors import OutputPathError

            raise OutputPathError("out", str(path), [".wav", ".flac"], reason=Msg("reason.no_midi", engine=self.engine))
        return super().save(path)

    def _write(self, tmp: Path, suffix: str) -> None:
        if suffix in (".mid", ".midi"):
            self.score.to_midi().write(str(tmp))
            return
        import soundfile

        subtype = "PCM_16" if suffix == ".wav" else "PCM_24"
        soundfile.write(tmp, self.audio, self.sample_rate, subtype=subtype, format=suffix.lstrip(".").upper())

    def wav_bytes(self) -> bytes:
        import soundfile

        buf = io.BytesIO()
        soundfile.write(buf, self.audio, self.sample_rate, subtype="PCM_16", format="WAV")
        return buf.getvalue()

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.wav_bytes()).decode("ascii")
        return f'<audio controls src="data:audio/wav;base64,{data}"></audio>'
