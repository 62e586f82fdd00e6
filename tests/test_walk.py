"""The latent walk: a looping CPPN animation, saved as GIF or MP4 with its provenance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workshop_kit.errors import EngineUnavailableError, OutputPathError, ParameterError
from workshop_kit.files import sidecar_path
from workshop_kit import media
from workshop_kit.image import cppn
from workshop_kit.image.walk import WalkResult, latent_walk


def small(**options) -> WalkResult:
    options.setdefault("size", 64)
    options.setdefault("frames", 12)
    options.setdefault("seed", 0)
    options.setdefault("device", "cpu")
    return latent_walk(**options)


@pytest.fixture(scope="module")
def loop24() -> WalkResult:
    return small(frames=24, seed=5, palette="chefchaouen")


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def test_frames_shape_dtype_and_result(loop24):
    assert isinstance(loop24, WalkResult)
    assert loop24.frames.shape == (24, 64, 64, 3)
    assert loop24.frames.dtype == np.uint8
    assert loop24.engine == "cppn-walk" and loop24.seed == 5 and loop24.device == "cpu"
    assert loop24.params == {"palette": "chefchaouen", "style": "flow", "size": 64, "frames": 24, "loop": True,
                             "fps": 12}
    assert loop24.fps == 12 and loop24.duration == pytest.approx(2.0) and loop24.size == (64, 64)
    assert loop24.seconds >= 0
    assert all(frame.std() > 10 for frame in loop24.frames)  # pictures, not flat colours


def test_same_seed_same_walk_other_seed_other_walk(loop24):
    again = small(frames=24, seed=5, palette="chefchaouen")
    np.testing.assert_array_equal(again.frames, loop24.frames)
    other = small(frames=24, seed=6, palette="chefchaouen")
    assert _diff(other.frames[3], loop24.frames[3]) > 5


def test_first_frame_is_the_cppn_picture_of_the_seed(loop24):
    picture = cppn.generate(palette="chefchaouen", style="flow", size=64, seed=5, device="cpu").image
    assert _diff(loop24.frames[0], picture) < 0.5


def test_frames_move_a_little_and_the_loop_closes(loop24):
    frames = loop24.frames
    steps = [_diff(frames[i], frames[i + 1]) for i in range(len(frames) - 1)]
    closing = _diff(frames[-1], frames[0])
    farthest = max(_diff(frame, frames[0]) for frame in frames)
    assert min(steps) > 0.5  # every frame moves ...
    assert max(steps) < farthest / 2  # ... a little: no jumps
    assert closing < 2 * np.median(steps)  # the last frame leads back into the first like any other step
    assert farthest > 4 * closing


def test_open_walk_goes_from_the_picture_to_far_away():
    result = small(loop=False, frames=12)
    frames = result.frames
    assert result.params["loop"] is False
    picture = cppn.generate(palette="marrakech", style="flow", size=64, seed=0, device="cpu").image
    assert _diff(frames[0], picture) < 0.5
    assert _diff(frames[-1], frames[0]) > 1.5 * _diff(frames[1], frames[0])  # it ends far from where it began


@pytest.mark.parametrize("style", ["rosette", "tile"])
def test_every_frame_keeps_the_style_symmetry(style):
    result = small(style=style, frames=4, seed=2)
    if style == "rosette":
        assert result.params["k"] in cppn.ROSETTE_FOLDS
    else:  # a tile is the same under the swap of x and y, in every frame
        for frame in result.frames:
            assert _diff(frame, frame.transpose(1, 0, 2)) < 1.0


def test_gif_has_every_frame_loops_forever_and_has_a_sidecar(tmp_path):
    from PIL import Image

    result = small(frames=6, fps=10)
    path = result.save(tmp_path / "walk.gif")
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.size == (64, 64)
        assert gif.n_frames == 6
        assert gif.info["loop"] == 0 and gif.info["duration"] == 100
    record = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    assert record["engine"] == "cppn-walk" and record["seed"] == 0 and record["frames"] == 6 and record["fps"] == 10
    assert record["format"] == "gif" and record["device"] == "cpu" and "torch" in record["versions"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk.gif", "walk.gif.json"]


def test_mp4_is_h264_and_readable(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    result = small(frames=10, size=65)  # an odd side is padded to an even one, never rescaled
    path = result.save(tmp_path / "walk.mp4")
    assert path.read_bytes()[4:8] == b"ftyp"
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    assert meta["codec"] == "h264" and tuple(meta["size"]) == (66, 66)
    decoded = [np.frombuffer(frame, dtype=np.uint8).reshape(66, 66, 3) for frame in reader]
    assert len(decoded) == 10
    assert _diff(decoded[4][:65, :65], result.frames[4]) < 12  # lossy, but the same picture
    assert json.loads(sidecar_path(path).read_text(encoding="utf-8"))["format"] == "mp4"


def test_mp4_without_imageio_ffmpeg_names_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setattr(media, "ffmpeg_available", lambda: False)
    with pytest.raises(EngineUnavailableError, match="pip install imageio-ffmpeg"):
        small(frames=2).save(tmp_path / "walk.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["walk.png", "walk.webm", "walk"])
def test_other_extensions_refused_leaving_nothing(tmp_path, name):
    result = small(frames=2)
    with pytest.raises(OutputPathError) as info:
        result.save(tmp_path / name)
    assert ".gif" in str(info.value) and ".mp4" in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("frames", 1), ("frames", 241), ("frames", 2.5), ("size", 63), ("size", 1025), ("palette", "pink"),
     ("style", "spiral"), ("seed", -1), ("loop", "yes"), ("fps", 0), ("fps", 61)],
)
def test_bad_options_raise_parameter_error_naming_the_value(option, value):
    with pytest.raises(ParameterError) as info:
        latent_walk(**{option: value})
    assert info.value.name == option
    assert repr(value) in str(info.value)


def test_repr_html_shows_the_gif_inline():
    html = small(frames=3)._repr_html_()
    assert html.startswith('<img src="data:image/gif;base64,R0lGOD')  # "GIF8" in base64
