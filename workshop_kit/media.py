"""Frames and pictures to files: animations as GIF or MP4, and pictures side by side.

One place for what every animation and every strip of the kit does: check the frames (:func:`check_frames`), lay
pictures side by side (:func:`side_by_side`), encode a GIF that loops forever with one palette for all its frames
(:func:`gif_bytes`) and an H.264 MP4 that plays everywhere (:func:`write_mp4`, with the ``imageio-ffmpeg`` package).

Files are written through the result types: :class:`~workshop_kit.results.FramesResult` for an animation and
:class:`~workshop_kit.results.ImageResult` for a strip, so that each gets its provenance sidecar ``<file>.json`` and
is written atomically.

Examples
--------
>>> import numpy as np
>>> from workshop_kit import media
>>> pictures = [np.full((8, 8, 3), level, np.uint8) for level in (0, 128, 255)]
>>> media.side_by_side(pictures, gap=2).shape
(8, 28, 3)
>>> media.gif_bytes(pictures, frame_ms=100)[:6]
b'GIF89a'
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np

from .errors import EngineUnavailableError, ParameterError
from .i18n import Msg
from .validation import check_int

__all__ = ["PIP_FFMPEG", "check_frames", "side_by_side", "gif_bytes", "ffmpeg_available", "require_ffmpeg",
           "write_mp4"]

#: What to install for MP4 files.
PIP_FFMPEG = "pip install imageio-ffmpeg"
_PALETTE_SAMPLES = 8  # frames, evenly chosen, that a GIF's one palette is drawn from
_MIN_FRAME_MS = 20  # a GIF frame shorter than 2/100 s is played at 1/10 s by most viewers


def check_frames(images, *, name: str = "images") -> np.ndarray:
    """``images`` as one ``(n, h, w, 3)`` ``uint8`` array.

    ``images`` is a non-empty list or tuple of RGB pictures of one size, an ``(n, h, w, 3)`` array, or an animation
    (anything with such a ``frames`` array, e.g. a :class:`~workshop_kit.results.FramesResult`). Raises
    :class:`~workshop_kit.errors.ParameterError` naming ``name`` otherwise.
    """
    frames = getattr(images, "frames", images)
    if isinstance(frames, np.ndarray):
        pictures = list(frames) if frames.ndim == 4 else None
    else:
        pictures = [np.asarray(f) for f in frames] if isinstance(frames, (list, tuple)) else None
    if not pictures or any(f.dtype != np.uint8 or f.ndim != 3 or f.shape[2] != 3 for f in pictures):
        raise ParameterError(name, type(images).__name__, Msg("allowed.uint8_pictures"))
    if len({f.shape for f in pictures}) != 1:
        raise ParameterError(name, [f.shape for f in pictures][:4], Msg("allowed.same_size"))
    return np.ascontiguousarray(frames if isinstance(frames, np.ndarray) else np.stack(pictures))


def side_by_side(images, *, gap: int = 0) -> np.ndarray:
    """Pictures of one size laid left to right, ``gap`` white pixels (0 to 64) between them.

    Returns an ``(h, n * w + (n - 1) * gap, 3)`` ``uint8`` picture.
    """
    frames = check_frames(images)
    gap = check_int("gap", gap, 0, 64)
    n, h, w, _ = frames.shape
    strip = np.full((h, n * w + (n - 1) * gap, 3), 255, np.uint8)
    for i, frame in enumerate(frames):
        strip[:, i * (w + gap): i * (w + gap) + w] = frame
    return strip


def gif_bytes(images, *, frame_ms: float, hold_ms: int | None = None, dither: bool = False) -> bytes:
    """A GIF that loops forever: each frame shown ``frame_ms`` milliseconds, the last ``hold_ms`` when given.

    All frames share one 256-colour palette, drawn from a few of them, so colours do not shimmer from frame to frame.
    ``dither`` spreads the rounding to that palette (Floyd–Steinberg): smoother shading on renders of objects, but a
    grain that moves from frame to frame on flat colours. A frame identical to the one before it is stored as one
    longer frame (it plays the same).
    """
    from PIL import Image

    frames = check_frames(images)
    picks = np.unique(np.round(np.linspace(0, len(frames) - 1, min(len(frames), _PALETTE_SAMPLES))).astype(int))
    sample = Image.fromarray(np.concatenate(list(frames[picks]), axis=0), mode="RGB")
    palette = sample.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    how = Image.Dither.FLOYDSTEINBERG if dither else Image.Dither.NONE
    pictures = [Image.fromarray(frame, mode="RGB").quantize(palette=palette, dither=how) for frame in frames]
    durations = [max(_MIN_FRAME_MS, int(round(frame_ms)))] * len(pictures)
    if hold_ms is not None:
        durations[-1] = max(_MIN_FRAME_MS, int(hold_ms))
    buf = io.BytesIO()
    pictures[0].save(buf, format="GIF", save_all=True, append_images=pictures[1:], duration=durations, loop=0,
                     disposal=1, optimize=False)
    return buf.getvalue()


def ffmpeg_available() -> bool:
    """Whether the imageio-ffmpeg package (and the ffmpeg it ships) is installed, without importing it."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def require_ffmpeg() -> None:
    """Raise :class:`~workshop_kit.errors.EngineUnavailableError` naming the pip command when MP4 cannot be written."""
    if not ffmpeg_available():
        raise EngineUnavailableError(Msg("error.ffmpeg", command=PIP_FFMPEG))


def write_mp4(path: str | Path, images, *, fps: float) -> None:
    """Encode the frames as H.264 (yuv420p, playable everywhere) with the ffmpeg that imageio-ffmpeg ships.

    Odd sides are padded by repeating the last row or column (yuv420p needs even ones), never rescaled.
    """
    require_ffmpeg()
    import imageio_ffmpeg

    frames = check_frames(images)
    _, height, width, _ = frames.shape
    pad_h, pad_w = height % 2, width % 2
    if pad_h or pad_w:
        frames = np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    writer = imageio_ffmpeg.write_frames(
        str(path), (width + pad_w, height + pad_h), fps=fps, codec="libx264", pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p", quality=8, macro_block_size=1, ffmpeg_log_level="error",
        output_params=["-movflags", "+faststart"],
    )
    writer.send(None)  # start ffmpeg
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
    finally:
        writer.close()
