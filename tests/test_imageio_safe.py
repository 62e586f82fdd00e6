"""Pictures handed over by users are bounded before they are decoded."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from workshop_kit.errors import ParameterError
from workshop_kit.imageio_safe import load_image


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width × height`` pixels (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        chunk(b"IEND", b"")


def _saved(fmt: str, size=(12, 8), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (200, 30, 40) if mode == "RGB" else 0).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_accepted_formats_come_back_as_rgb(tmp_path, fmt):
    path = tmp_path / f"picture.{fmt.lower()}"
    path.write_bytes(_saved(fmt))
    rgb = load_image(path)
    assert rgb.shape == (8, 12, 3) and rgb.dtype == np.uint8
    assert load_image(path.read_bytes()).shape == (8, 12, 3)


def test_arrays_and_pil_images():
    assert load_image(np.zeros((5, 7), np.uint8)).shape == (5, 7, 3)
    rgba = np.zeros((4, 4, 4))
    rgba[..., 3] = 0.0  # fully transparent: laid on white
    assert (load_image(rgba) == 255).all()
    assert load_image(Image.new("L", (9, 3))).shape == (3, 9, 3)
    for bad in (np.zeros((4, 4, 2)), np.full((4, 4), 2.0), np.full((4, 4), np.nan), np.zeros((4, 4), np.int32)):
        with pytest.raises(ParameterError, match="image="):
            load_image(bad)


def test_oversize_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(_saved("PNG") + b"\x00" * 4096)
    with pytest.raises(ParameterError, match="at most 2.0 KiB|at most 2048 bytes") as info:
        load_image(path, max_bytes=2048)
    assert "big.png" in str(info.value) and "the file is" in str(info.value)
    with pytest.raises(ParameterError, match="the data is"):
        load_image(path.read_bytes(), max_bytes=2048)


def test_decompression_bomb_header_is_refused_without_decoding(tmp_path, monkeypatch):
    bomb = _png_claiming(20000, 20000)
    assert len(bomb) < 200
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    with pytest.raises(ParameterError, match="decompression bomb") as info:
        load_image(path)
    assert "16,000,000" in str(info.value) and "bomb.png" in str(info.value)
    # below Pillow's own limit, the kit's bound on the header refuses it all the same
    with pytest.raises(ParameterError, match="6000 × 6000 = 36,000,000 pixels"):
        load_image(_png_claiming(6000, 6000))
    with pytest.raises(ParameterError, match="pixels"):
        load_image(bomb)


def test_too_many_pixels_from_arrays_and_limits():
    with pytest.raises(ParameterError, match="at most 100 pixels"):
        load_image(np.zeros((20, 20), np.uint8), max_pixels=100)
    with pytest.raises(ParameterError, match="max_pixels"):
        load_image(np.zeros((2, 2), np.uint8), max_pixels=0)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_refused_by_name(tmp_path, fmt):
    path = tmp_path / f"picture.{fmt.lower()}"
    path.write_bytes(_saved(fmt, mode="RGB" if fmt != "GIF" else "P"))
    with pytest.raises(ParameterError, match=f"{fmt} pictures are not accepted") as info:
        load_image(path)
    assert "PNG, JPEG or WebP" in str(info.value)


def test_corrupt_empty_and_missing_files(tmp_path):
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(_saved("PNG", size=(64, 64))[:60])
    with pytest.raises(ParameterError, match="damaged"):
        load_image(truncated)
    noise = tmp_path / "noise.png"
    noise.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ParameterError, match="not a PNG, JPEG or WebP"):
        load_image(noise)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ParameterError, match="empty"):
        load_image(empty)
    with pytest.raises(ParameterError, match="no such file"):
        load_image(tmp_path / "nothing.png")
    with pytest.raises(ParameterError, match="image=42"):
        load_image(42)


def test_message_names_the_parameter_in_french_too(tmp_path):
    path = tmp_path / "x.gif"
    path.write_bytes(_saved("GIF", mode="P"))
    with pytest.raises(ParameterError) as info:
        load_image(path, name="photo")
    assert info.value.name == "photo" and "valeurs possibles" in info.value.message("fr")
