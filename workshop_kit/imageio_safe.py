"""Reading a picture someone hands over — a file, its bytes, a PIL image or an array — without trusting it.

A visitor's upload at the booth or a participant's photo can be anything: a 200 MB file, a tiny PNG whose header
claims 20 000 × 20 000 pixels (a *decompression bomb*, which would take gigabytes once decoded), an animated GIF, a
file cut short. :func:`load_image` bounds everything **before** decoding:

1. the file size is read from the file system (or the length of the bytes) and refused above ``max_bytes``;
2. the header is read by ``PIL.Image.open``, which does not decode the pixels; its format must be PNG, JPEG or WebP;
3. the size announced by the header is refused above ``max_pixels`` — only then are the pixels decoded. Pillow's own
   guard (``PIL.Image.MAX_IMAGE_PIXELS``, raised as ``DecompressionBombError``) stays in place behind this one; the
   global setting is not changed, so other threads keep theirs.

Every refusal is a :class:`~workshop_kit.errors.ParameterError` naming the value and what is allowed.

Examples
--------
>>> import numpy as np
>>> from workshop_kit.imageio_safe import load_image
>>> load_image(np.zeros((4, 6), dtype=np.uint8)).shape
(4, 6, 3)
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from .errors import ParameterError
from .i18n import Msg

__all__ = ["load_image", "FORMATS", "MAX_BYTES", "MAX_PIXELS", "MIN_SIDE"]

#: Formats accepted from files and bytes (Pillow's names).
FORMATS = ("PNG", "JPEG", "WEBP")
#: Largest file accepted by default: 20 MiB.
MAX_BYTES = 20 * 2**20
#: Most pixels (width × height) accepted by default: 16 megapixels.
MAX_PIXELS = 16_000_000
#: Smallest side, in pixels.
MIN_SIDE = 2

_ALLOWED_TEXT = Msg("allowed.picture")
_MAGIC = (  # formats told apart by their first bytes, to name what was given
    (b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"), (b"%PDF", "PDF"), (b"8BPS", "PSD"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"),
)


def load_image(path_or_array, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
               name: str = "image") -> np.ndarray:
    """Return a picture as an ``(height, width, 3)`` ``uint8`` RGB array, refusing anything too big or not a picture.

    Parameters
    ----------
    path_or_array : str, path-like, bytes, PIL.Image.Image or numpy.ndarray
        A PNG, JPEG or WebP file (path or its bytes), a Pillow image, or an array: ``(h, w)`` grey, ``(h, w, 3)``
        RGB or ``(h, w, 4)`` RGBA, of ``uint8``, ``bool`` or floats in [0, 1].
    max_bytes : int
        Largest file (or bytes object) accepted, in bytes; 20 MiB by default.
    max_pixels : int
        Most pixels (width × height) accepted; 16 million by default. Checked on the header, before decoding.
    name : str
        The parameter name used in error messages (``"image"``).

    Returns
    -------
    numpy.ndarray
        ``uint8`` RGB. Transparent pixels are laid on white; a JPEG's EXIF orientation is applied; only the first
        frame of an animated WebP is kept.

    Raises
    ------
    ParameterError
        For a missing, oversize, empty, damaged or wrongly formatted file, too many pixels, or an array of the wrong
        shape or values.

    Examples
    --------
    >>> load_image(np.ones((3, 3, 4)), name="photo").dtype.name
    'uint8'
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ParameterError("max_bytes", max_bytes, Msg("allowed.whole_bytes"))
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1:
        raise ParameterError("max_pixels", max_pixels, Msg("allowed.whole_pixels"))
    from PIL import Image

    if isinstance(path_or_array, np.ndarray):
        return _from_array(path_or_array, max_pixels, name)
    if isinstance(path_or_array, Image.Image):
        _check_pixels(path_or_array.size, max_pixels, name, "picture")
        return _to_rgb(path_or_array, name, "picture")
    if isinstance(path_or_array, (bytes, bytearray, memoryview)):
        data = bytes(path_or_array)
        if len(data) > max_bytes:
            raise ParameterError(name, f"<{len(data)} bytes>", _at_most(max_bytes),
                                 reason=Msg("reason.data_is", size=_size(len(data))))
        return _decode(data, max_pixels, name, "<bytes>")
    if isinstance(path_or_array, (str, os.PathLike)) and str(path_or_array).strip():
        path = Path(path_or_array).expanduser()
        label = str(path)
        if not path.is_file():
            raise ParameterError(name, label, Msg("allowed.path_of", picture=_ALLOWED_TEXT),
                                 reason=Msg("reason.no_such_file"))
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise ParameterError(name, label, _at_most(max_bytes), reason=Msg("reason.file_is", size=_size(size)))
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)  # a file growing while we read is still bounded
        except OSError as exc:
            raise ParameterError(name, label, Msg("allowed.readable_file_holding", picture=_ALLOWED_TEXT),
                                 reason=Msg("reason.cannot_read", why=exc.strerror or str(exc))) from None
        if len(data) > max_bytes:
            raise ParameterError(name, label, _at_most(max_bytes), reason=Msg("reason.file_larger"))
        return _decode(data, max_pixels, name, label)
    raise ParameterError(name, path_or_array if isinstance(path_or_array, (int, float)) else _short(path_or_array),
                         Msg("allowed.picture_sources", picture=_ALLOWED_TEXT))


def _size(n: int) -> Msg:
    return Msg("unit.mib", n=n / 2**20) if n >= 2**20 else Msg("unit.bytes", n=n)


def _at_most(max_bytes: int) -> Msg:
    return Msg("allowed.picture_at_most", picture=_ALLOWED_TEXT, size=_size(max_bytes))


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _check_pixels(size: tuple[int, int], max_pixels: int, name: str, label: str) -> None:
    width, height = int(size[0]), int(size[1])
    if width * height > max_pixels:
        raise ParameterError(name, label, Msg("allowed.at_most_pixels", n=max_pixels),
                             reason=Msg("reason.pixels", size=f"{width} × {height}", n=width * height))
    if min(width, height) < MIN_SIDE:
        raise ParameterError(name, label, Msg("allowed.min_side", n=MIN_SIDE),
                             reason=Msg("reason.dims", size=f"{width} × {height}"))


def _decode(data: bytes, max_pixels: int, name: str, label: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ParameterError(name, label, _ALLOWED_TEXT, reason=Msg("reason.file_empty"))
    sniffed = next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), None)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        sniffed = "WEBP"
    if sniffed is not None and sniffed not in FORMATS:
        raise ParameterError(name, label, _ALLOWED_TEXT, reason=Msg("reason.format_refused", fmt=sniffed))
    try:
        # the formats list keeps Pillow from trying every other decoder on unknown data; open() reads the header only
        picture = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except Image.DecompressionBombError:
        raise ParameterError(name, label, Msg("allowed.at_most_pixels", n=max_pixels),
                             reason=Msg("reason.bomb", n=2 * (Image.MAX_IMAGE_PIXELS or 0))) from None
    except UnidentifiedImageError:
        reason = Msg("reason.damaged") if sniffed else Msg("reason.not_picture")
        raise ParameterError(name, label, _ALLOWED_TEXT, reason=reason) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ParameterError(name, label, _ALLOWED_TEXT, reason=Msg("reason.damaged_why", why=str(exc))) from None
    with picture:
        if picture.format not in FORMATS:
            raise ParameterError(name, label, _ALLOWED_TEXT, reason=Msg("reason.format_refused", fmt=picture.format))
        _check_pixels(picture.size, max_pixels, name, label)  # from the header, before any pixel is decoded
        try:
            picture.load()
        except Image.DecompressionBombError as exc:
            raise ParameterError(name, label, Msg("allowed.at_most_pixels", n=max_pixels),
                                 reason=Msg("reason.bomb_detail", why=str(exc))) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ParameterError(name, label, _ALLOWED_TEXT, reason=Msg("reason.damaged_why", why=str(exc))) from None
        return _to_rgb(picture, name, label)


def _to_rgb(picture, name: str, label: str) -> np.ndarray:
    from PIL import Image, ImageOps

    try:
        picture = ImageOps.exif_transpose(picture)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        pass  # a broken EXIF block only loses the orientation, not the picture
    mode = picture.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):  # 16-bit and float greys: scale to 8 bits
        grey = np.asarray(picture, dtype=np.float64)
        top = 65535.0 if mode.startswith("I") and grey.max(initial=0) > 255 else 255.0
        grey = np.clip(grey / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))
    if mode == "P":
        picture = picture.convert("RGBA")
    elif mode in ("LA", "La", "PA", "RGBa"):
        picture = picture.convert("RGBA")
    if picture.mode == "RGBA":
        ground = Image.new("RGBA", picture.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(ground, picture)
    try:
        rgb = picture.convert("RGB")
    except (OSError, ValueError) as exc:
        raise ParameterError(name, label, _ALLOWED_TEXT, reason=Msg("reason.colours", why=str(exc))) from None
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _from_array(array: np.ndarray, max_pixels: int, name: str) -> np.ndarray:
    label = f"<array {array.shape} {array.dtype}>"
    allowed = Msg("allowed.array_picture")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ParameterError(name, label, allowed, reason=Msg("reason.wrong_shape"))
    _check_pixels((array.shape[1], array.shape[0]), max_pixels, name, label)
    if array.dtype == np.bool_:
        values = array.astype(np.float32)
    elif array.dtype == np.uint8:
        values = array.astype(np.float32) / 255.0
    elif np.issubdtype(array.dtype, np.floating):
        values = array.astype(np.float32)
        if not np.all(np.isfinite(values)) or values.min(initial=0) < 0 or values.max(initial=0) > 1:
            raise ParameterError(name, label, allowed, reason=Msg("reason.float_range"))
    else:
        raise ParameterError(name, label, allowed, reason=Msg("reason.unsupported_type", dtype=str(array.dtype)))
    if values.ndim == 2:
        values = np.repeat(values[..., None], 3, axis=2)
    elif values.shape[2] == 4:
        alpha = values[..., 3:4]
        values = values[..., :3] * alpha + (1.0 - alpha)  # laid on white
    return np.ascontiguousarray(np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8))
