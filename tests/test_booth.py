"""The booth for real: served on a free local port, called through ``gradio_client`` like a visitor's browser would."""

from __future__ import annotations

import importlib.util
import inspect
import socket
import urllib.request
from pathlib import Path

import pytest

gr = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")

ROOT = Path(__file__).resolve().parents[1]

# gradio's queue calls a pandas option that pandas 3 deprecates; not ours to fix here
pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def booth(tmp_path_factory):
    from workshop_kit.booth import build_booth

    out = tmp_path_factory.mktemp("booth")
    demo = build_booth(output_dir=out)
    port = _free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        yield demo, f"http://127.0.0.1:{port}/", out
    finally:
        demo.close()


@pytest.fixture(scope="module")
def client(booth):
    _, url, _ = booth
    return gradio_client.Client(url, verbose=False)


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status


@pytest.mark.slow
def test_page_answers(booth):
    _, url, _ = booth
    assert _get(url) == 200


@pytest.mark.slow
def test_music_endpoint(client, booth):
    import soundfile

    audio, files, seed = client.predict(scale="bayati", rhythm="gnawa", tempo=120, bars=2, seed="0", api_name="/music")
    assert seed == "0"
    wav = [f for f in files if f.endswith(".wav")]
    mid = [f for f in files if f.endswith(".mid")]
    assert len(wav) == 1 and len(mid) == 1
    data, rate = soundfile.read(wav[0])
    assert rate == 44100 and data.ndim == 2 and data.shape[0] > rate // 2
    assert Path(mid[0]).read_bytes()[:4] == b"MThd"
    assert Path(audio).is_file()
    # written through result.save(): the provenance sidecar is in the call's folder
    assert list(booth[2].glob("music-*/*.wav.json"))


@pytest.mark.slow
def test_image_endpoint(client):
    from PIL import Image

    shown, files, seed = client.predict(palette="fes", style="tile", size=128, seed="7", api_name="/image")
    assert seed == "7"
    with Image.open(files[0]) as picture:
        assert picture.format == "PNG" and picture.size == (128, 128)
    assert Path(shown).is_file()


@pytest.mark.slow
def test_mesh_endpoint(client):
    import trimesh

    shown, files, seed = client.predict(vessel="bowl", palette="sahara", seed="3", api_name="/mesh")
    assert seed == "3"
    glb = [f for f in files if f.endswith(".glb")][0]
    assert any(f.endswith(".stl") for f in files)
    mesh = trimesh.load(glb, force="mesh")
    assert len(mesh.faces) > 0
    assert Path(shown).suffix == ".glb"


@pytest.mark.slow
def test_empty_seed_is_random_and_shown(client):
    _, _, first = client.predict(palette="sahara", style="flow", size=128, seed="", api_name="/image")
    _, _, second = client.predict(palette="sahara", style="flow", size=128, seed="", api_name="/image")
    assert first.isdigit() and second.isdigit() and first != second


@pytest.mark.slow
@pytest.mark.parametrize("endpoint, options, bad", [
    ("/image", dict(palette="fes", style="tile", size=128, seed="-1"), "-1"),
    ("/image", dict(palette="pink", style="tile", size=128, seed="1"), "pink"),
    ("/music", dict(scale="bayati", rhythm="waltz", bars=2, seed="1"), "waltz"),
    ("/mesh", dict(vessel="teapot", seed="1"), "teapot"),
])
def test_bad_input_gives_an_error_and_the_booth_stays_up(client, booth, endpoint, options, bad):
    with pytest.raises(Exception) as info:  # gradio_client's AppError, carrying the message shown to the visitor
        client.predict(**options, api_name=endpoint)
    assert bad in str(info.value)
    assert _get(booth[1]) == 200
    _, files, _ = client.predict(palette="fes", style="tile", size=128, seed="1", api_name="/image")
    assert Path(files[0]).is_file()


@pytest.mark.slow
@pytest.mark.parametrize("lang, wording", [("fr", "n'est pas accepté"), ("en", "is not allowed")])
def test_errors_speak_the_visitors_language(client, lang, wording):
    with pytest.raises(Exception) as info:
        client.predict(palette="fes", style="tile", size=128, seed="1.5", lang=lang, api_name="/image")
    assert wording in str(info.value)


def test_demo_app_imports_without_launching():
    spec = importlib.util.spec_from_file_location("booth_demo_app", ROOT / "demos" / "booth" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert isinstance(module.demo, gr.Blocks)
    assert not module.demo.is_running


def test_booth_binds_localhost_by_default():
    from workshop_kit.booth import launch_booth, launch_options

    assert inspect.signature(launch_booth).parameters["host"].default == "127.0.0.1"
    options = launch_options()
    assert options["server_name"] == "127.0.0.1" and options["share"] is False


def test_booth_has_the_three_endpoints_and_a_bounded_queue():
    from workshop_kit.booth import build_booth

    demo = build_booth(lang="ar")
    names = {dep.api_name for dep in demo.fns.values()}
    assert {"music", "image", "mesh"} <= names
    assert demo._queue.max_size is not None
    assert demo.analytics_enabled is False
    assert demo.delete_cache is not None


def test_bad_language_is_refused():
    from workshop_kit.booth import build_booth
    from workshop_kit.errors import ParameterError

    with pytest.raises(ParameterError):
        build_booth(lang="xx")


@pytest.mark.parametrize("lang", ["en", "ar", "fr"])
def test_language_switch_relabels_the_page(lang):
    from workshop_kit.booth import build_booth
    from workshop_kit.i18n import t

    demo = build_booth()
    relabel = next(block_fn.fn for block_fn in demo.fns.values() if block_fn.name == "relabel")
    updates = relabel(lang)
    labels = {update.get("label") for update in updates}
    values = {update.get("value") for update in updates}
    for key in ("tab.music", "tab.image", "tab.mesh", "seed.label", "music.scale", "mesh.vessel", "city.label"):
        assert t(key, lang) in labels, key
    assert t("music.button", lang) in values


def test_a_city_fills_every_tab():
    from workshop_kit.booth import build_booth
    from workshop_kit.presets import CITIES

    demo = build_booth()
    fill = next(block_fn.fn for block_fn in demo.fns.values() if block_fn.name == "fill_from_city")
    fes = CITIES["fes"]
    values = fill("fes")
    for wanted in (fes.palette, fes.image_style, fes.scale, fes.rhythm, fes.tempo, fes.vessel):
        assert wanted in values
