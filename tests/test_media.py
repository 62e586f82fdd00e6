"""Frames and pictures to files: every animation and strip the kit writes goes through one helper and one result
type, and leaves a provenance sidecar whose sha256 is the file's."""

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workshop_kit import media
from workshop_kit.errors import EngineUnavailableError, OutputPathError, ParameterError
from workshop_kit.files import sha256_file, sidecar_path
from workshop_kit.results import FramesResult

PACKAGE = Path(__file__).resolve().parents[1] / "workshop_kit"


def frames(n=4, size=16):
    ramp = np.linspace(0, 255, size, dtype=np.float32)
    return np.stack([np.stack(np.broadcast_arrays(ramp[None, :], ramp[:, None] * k / n, np.float32(40 * k)), -1)
                     .astype(np.uint8) for k in range(n)])


def animation(**options):
    return FramesResult(engine="test", seed=0, params={}, device="cpu", seconds=0.0, frames=frames(), **options)


def assert_sidecar(path: Path, *, engine: str) -> dict:
    """The sidecar beside ``path`` names it, its format and its sha256, and nothing temporary is left."""
    record = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    assert record["file"] == path.name and record["format"] == path.suffix.lstrip(".").lower()
    assert record["sha256"] == sha256_file(path)
    assert record["engine"] == engine and "versions" in record and "created" in record
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "a temporary file was left"
    return record


# ------------------------------------------------------------------------------------------------ the helper


def test_side_by_side_lays_pictures_left_to_right_with_white_gaps():
    a, b = np.zeros((4, 3, 3), np.uint8), np.full((4, 3, 3), 7, np.uint8)
    strip = media.side_by_side([a, b], gap=2)
    assert strip.shape == (4, 8, 3)
    assert (strip[:, :3] == 0).all() and (strip[:, 3:5] == 255).all() and (strip[:, 5:] == 7).all()
    assert np.array_equal(media.side_by_side([a, b]), np.concatenate([a, b], axis=1))


@pytest.mark.parametrize("bad", [[], [np.zeros((4, 4), np.uint8)], [np.zeros((4, 4, 3))], "frames",
                                 [np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)]])
def test_bad_frames_are_refused_by_name(bad):
    with pytest.raises(ParameterError, match="images"):
        media.side_by_side(bad)


def test_gif_loops_keeps_every_frame_and_holds_the_last():
    data = media.gif_bytes(frames(5), frame_ms=80, hold_ms=900)
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.n_frames == 5 and gif.info["loop"] == 0
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
    assert durations == [80, 80, 80, 80, 900]


def test_frames_result_reads_as_its_pictures():
    result = animation(fps=10)
    assert len(result) == 4 and np.array_equal(result[-1], result.frames[3])
    assert [p.shape for p in result] == [(16, 16, 3)] * 4
    assert result.size == (16, 16) and result.duration == pytest.approx(0.4)
    assert np.array_equal(media.check_frames(result), result.frames)


def test_frames_result_refuses_other_extensions_and_missing_ffmpeg(tmp_path, monkeypatch):
    with pytest.raises(OutputPathError):
        animation().save(tmp_path / "x.png")
    monkeypatch.setattr(media, "ffmpeg_available", lambda: False)
    with pytest.raises(EngineUnavailableError, match="pip install imageio-ffmpeg"):
        animation().save(tmp_path / "x.mp4")
    assert list(tmp_path.iterdir()) == []


def test_one_place_encodes_animations():
    """No module but media.py encodes a GIF or drives ffmpeg: every writer goes through it."""
    writers = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.name != "media.py"
               and re.search(r"format=\"GIF\"|imageio_ffmpeg\.write_frames", p.read_text(encoding="utf-8"))]
    assert writers == []


# ------------------------------------------------------------------------------- every writer leaves a sidecar


def test_frames_result_gif_and_mp4_have_sidecars(tmp_path):
    result = animation(fps=8, hold_ms=500)
    record = assert_sidecar(result.save(tmp_path / "a.gif"), engine="test")
    assert record["frames"] == 4 and record["fps"] == 8 and record["hold_ms"] == 500
    if media.ffmpeg_available():
        assert_sidecar(result.save(tmp_path / "a.mp4"), engine="test")


def test_turntable_and_preview_pictures_have_sidecars(tmp_path):
    import trimesh

    from workshop_kit.mesh.preview import render_png, turntable_gif

    box = trimesh.creation.box((30, 20, 10))
    record = assert_sidecar(turntable_gif(box, tmp_path / "box.gif", frames=4, size=32), engine="turntable")
    assert record["frames"] == 4 and record["params"]["of"] == {"vertices": 8, "faces": 12}
    render_png(box, size=32, path=tmp_path / "box.png")
    assert_sidecar(tmp_path / "box.png", engine="preview")


def test_shape_space_strip_and_gif_have_sidecars(tmp_path):
    from workshop_kit.mesh import lathe, shape_space

    pots = [lathe.generate(preset=p, height_mm=80, segments=24, seed=1) for p in ("jar", "bowl")]
    shape_space.strip(pots, size=32, path=tmp_path / "pots.png")
    record = assert_sidecar(tmp_path / "pots.png", engine="shape-space-strip")
    assert [o["engine"] for o in record["params"]["of"]] == ["lathe", "lathe"]
    record = assert_sidecar(shape_space.gif(pots, tmp_path / "pots.gif", size=32, seconds=1), engine="shape-space-gif")
    assert record["frames"] == 2


def test_walk_gif_and_mp4_have_sidecars(tmp_path):
    from workshop_kit.image.walk import latent_walk

    walk = latent_walk(size=64, frames=3, seed=4, device="cpu")
    assert_sidecar(walk.save(tmp_path / "walk.gif"), engine="cppn-walk")
    if media.ffmpeg_available():
        assert_sidecar(walk.save(tmp_path / "walk.mp4"), engine="cppn-walk")


def test_denoising_gif_has_a_sidecar_with_the_motif_and_the_seed(tmp_path):
    from workshop_kit.image import motif_diffusion as md

    steps = md.denoising_steps(motif="yaz", palette="fes", size=64, steps=3, seed=2, device="cpu")
    record = assert_sidecar(md.save_gif(steps, tmp_path / "steps.gif", frame_ms=60), engine="motif-diffusion")
    assert record["seed"] == 2 and record["params"]["motif"] == "yaz" and record["frames"] == 4
    assert record["model"]["licence"]
    plain = assert_sidecar(md.save_gif(list(steps), tmp_path / "plain.gif"), engine="pictures")
    assert plain["seed"] is None and plain["frames"] == 4
