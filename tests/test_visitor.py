"""The visitor page's side of the booth, over HTTP as a phone or a client sees it: trios, take-home pages, the door."""

from __future__ import annotations

import io
import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

gr = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def booth(tmp_path_factory):
    from workshop_kit.booth import serve_booth

    root = tmp_path_factory.mktemp("visitor-booth")
    running = serve_booth(port=_free_port(), root=root, background=True, idle_seconds=30,
                          log_folder=root.parent / "visitor-logs")
    yield running
    running.close()


@pytest.fixture(scope="module")
def client(booth):
    return gradio_client.Client(booth.url, verbose=False)


def get(booth, path: str, **headers) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(booth.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def post(booth, path: str, body: bytes, content_type="application/json", **headers) -> tuple[int, bytes]:
    request = urllib.request.Request(booth.url + path, data=body, method="POST",
                                     headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture(scope="module")
def trio(client):
    return client.predict(city="fes", seed="7", lang="ar", gallery=True, api_name="/trio")


def test_a_trio_holds_music_a_picture_and_an_object_that_other_programs_read(booth, trio, validator):
    import soundfile
    import trimesh
    from PIL import Image

    from workshop_kit.mesh.gltf_check import validate_glb

    kinds = {f["kind"]: f["name"] for f in trio["files"]}
    assert set(kinds) == {"audio", "midi", "picture", "object", "print"}
    assert {p["modality"] for p in trio["pieces"]} == {"music", "image", "mesh"} and trio["seed"] == 7
    files = {}
    for f in trio["files"]:
        status, body, headers = get(booth, f"/take/{trio['code']}/{f['name']}")
        assert status == 200 and len(body) == f["bytes"], f
        files[f["kind"]] = body
    audio, rate = soundfile.read(io.BytesIO(files["audio"]))
    assert rate == 44100 and len(audio) > rate
    assert files["midi"][:4] == b"MThd"
    assert Image.open(io.BytesIO(files["picture"])).format == "PNG"
    mesh = trimesh.load(io.BytesIO(files["print"]), file_type="stl")
    assert mesh.is_watertight
    glb = booth.root / "check.glb"
    glb.write_bytes(files["object"])
    assert validate_glb(glb)["valid"]


def test_the_take_home_page_speaks_the_visitors_language_and_lists_every_file(booth, trio):
    status, body, _ = get(booth, f"/take/{trio['code']}?lang=ar")
    page = body.decode("utf-8")
    assert status == 200 and 'dir="rtl"' in page and "فاس" in page
    for f in trio["files"]:
        assert f["name"] in page
    assert "/booth-assets/NotoSansArabic-Regular.ttf" in page  # the kit's own font: renders with no system font
    status, body, _ = get(booth, f"/take/{trio['code']}?lang=fr")
    assert "Fès" in body.decode("utf-8") and 'dir="ltr"' in body.decode("utf-8")


def test_the_qr_code_and_the_page_carry_the_booth_address(booth, trio):
    assert trio["url"] == f"{booth.public_url}/take/{trio['code']}?lang=ar"


@pytest.mark.parametrize("path", [
    "/take/ZZZZZZ", "/take/../../etc/passwd", "/take/ABC", "/take/{code}/../trio.json", "/take/{code}/trio.json",
    "/take/{code}/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/take/{code}/music.wav.json", "/view/ZZZZZZ",
    "/booth-assets/../../server.py", "/gradio_api/file=/etc/passwd",
])
def test_unknown_codes_and_paths_outside_the_trio_are_refused(booth, trio, path):
    status, body, _ = get(booth, path.format(code=trio["code"]), **{"Accept-Language": "fr"})
    assert status in (403, 404), (path, status)
    assert b"root:" not in body


def test_files_of_other_programs_are_not_served_and_monitoring_is_off(booth, tmp_path_factory):
    shared = Path("/tmp/gradio/shared-by-another-program")
    shared.mkdir(parents=True, exist_ok=True)
    (shared / "secret.txt").write_text("not yours")
    status, body, _ = get(booth, f"/gradio_api/file={shared / 'secret.txt'}")
    assert status in (403, 404) and b"not yours" not in body
    assert get(booth, "/monitoring")[0] in (403, 404)


def test_visitors_cannot_open_the_api_page_or_the_settings(booth):
    for query in ("view=api", "view=settings", "lang=fr&view=api"):
        request = urllib.request.Request(f"{booth.url}/?{query}")
        opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                                  {"redirect_request": lambda *a, **k: None}))
        try:
            opener.open(request, timeout=10)
            status = 200
        except urllib.error.HTTPError as err:
            status, location = err.code, err.headers.get("location")
        assert status == 303 and location == "/", query


def test_an_expired_code_says_so_in_the_visitors_language(booth):
    status, body, _ = get(booth, "/take/ZZZZZZ?lang=en")
    assert status == 404 and "Unknown or expired code" in body.decode("utf-8")


def test_the_gallery_shows_only_what_visitors_agreed_to_show(booth, client, trio):
    hidden = client.predict(city="rabat", seed="8", lang="fr", gallery=False, api_name="/trio")
    _, body, _ = get(booth, "/gallery.json")
    shown = {item["picture_url"].split("/")[2] for item in json.loads(body)["items"]}
    assert trio["code"] in shown and hidden["code"] not in shown


def test_health_says_engines_queue_and_disk(booth, trio):
    status, body, _ = get(booth, "/healthz")
    health = json.loads(body)
    assert status == 200 and health["ok"] is True
    assert {"music", "image", "mesh"} <= set(health["engines"]) and health["disk_free_bytes"] > 0
    assert health["trios"] >= 1 and health["booth_bytes"] > 0


def test_each_piece_is_written_once_inside_the_booths_own_folder(booth, trio):
    """Gradio's cache is the booth's folder, so no copy of a trio's file exists anywhere else in it."""
    names = {f["name"]: f["bytes"] for f in trio["files"]}
    copies = [p for p in booth.root.rglob("*") if p.is_file() and p.name in names and "take" not in p.parts]
    assert copies == []


@pytest.mark.parametrize("payload, lang, wording", [
    ({"data": [{"path": "http://example.com/a.wav", "meta": {"_type": "gradio.FileData"}}]}, "fr",
     "n'a pas été envoyé"),
    ({"data": [{"path": "relative/a.wav", "meta": {"_type": "gradio.FileData"}}]}, "en", "was not sent"),
    ({"data": [{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}]}, "ar", "لم يُرسل"),
])
def test_a_file_field_that_is_not_the_booths_is_refused_without_a_lookup(booth, payload, lang, wording):
    status, body = post(booth, "/gradio_api/call/analyse", json.dumps(payload).encode(), **{"Accept-Language": lang})
    assert status == 400 and wording in json.loads(body)["error"]


def test_a_huge_body_is_refused(booth):
    status, body = post(booth, "/gradio_api/call/trio", b'{"data": ["' + b"x" * 400_000 + b'"]}',
                        **{"Accept-Language": "en"})
    assert status == 413 and "too long" in json.loads(body)["error"]


@pytest.mark.parametrize("options, wording", [
    (dict(city="paris", lang="fr"), "paris"),
    (dict(city="fes", seed="-3", lang="en"), "-3"),
    (dict(city="fes", seed="x" * 100_000, lang="en"), "seed"),
    (dict(city="fes", lang="xx"), "xx"),
])
def test_bad_trio_requests_get_a_short_clear_message(client, booth, options, wording):
    with pytest.raises(Exception) as info:
        client.predict(**options, api_name="/trio")
    message = str(info.value)
    assert wording in message and len(message) < 600 and "Traceback" not in message
    assert get(booth, "/healthz")[0] == 200


def test_the_day_is_bounded_in_bytes_oldest_first(tmp_path):
    from workshop_kit.booth.share import TakeHome

    take = TakeHome(tmp_path, keep_seconds=3600, max_bytes=3000)
    codes = []
    for i in range(5):
        code, folder = take.new()
        (folder / "picture.png").write_bytes(bytes(1000))
        take.finish(code, city="fes", lang="fr", gallery=False, pieces=[])
        codes.append(code)
        time.sleep(0.01)
    take.prune()
    kept = {p.name for p in tmp_path.iterdir()}
    assert codes[-1] in kept and codes[0] not in kept and take.usage()[1] <= 3000 + 2000


def test_the_booths_folder_is_emptied_at_start_and_at_stop(tmp_path):
    from workshop_kit.booth import serve_booth

    (tmp_path / "left-over").mkdir()
    (tmp_path / "left-over" / "old.wav").write_bytes(b"old")
    running = serve_booth(port=_free_port(), root=tmp_path, background=True, studio=False,
                          log_folder=tmp_path.parent / "empty-logs")
    try:
        assert not (tmp_path / "left-over").exists()
        status, body = post(running, "/gradio_api/upload", b"--x--\r\n", "multipart/form-data; boundary=x",
                            **{"Accept-Language": "en"})
        assert status == 403 and "takes no files" in json.loads(body)["error"]  # a kiosk takes no uploads
    finally:
        running.close()
    assert list(tmp_path.iterdir()) == []


def test_a_taken_port_is_said_in_one_line():
    from workshop_kit.booth import serve_booth
    from workshop_kit.errors import ParameterError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ParameterError, match="already listens"):
            serve_booth(port=taken.getsockname()[1], background=True)


def test_the_kiosk_launcher_and_the_supervisor_recipe():
    from workshop_kit.booth import kiosk

    command = kiosk.chromium_command("http://127.0.0.1:7860/", lang="ar")
    assert "--kiosk" in command and "--lang=ar" in command and command[-1] == "--app=http://127.0.0.1:7860/"
    unit = kiosk.systemd_unit(port=7861, lan=True, kiosk=True)
    assert "Restart=always" in unit and "--lan --kiosk" in unit and "7861" in unit


def test_codes_are_hard_to_guess_and_easy_to_read():
    from workshop_kit.booth.share import CODE_ALPHABET, CODE_LENGTH

    assert CODE_LENGTH >= 6 and not set("0O1IL") & set(CODE_ALPHABET)
    assert len(CODE_ALPHABET) ** CODE_LENGTH > 5e8


def test_the_log_rotates(booth):
    from pathlib import Path as _Path

    handlers = [h for h in __import__("logging").getLogger("workshop_kit").handlers
                if h.__class__.__name__ == "RotatingFileHandler"]
    assert handlers and handlers[0].maxBytes > 0 and handlers[0].backupCount > 0
    assert _Path(handlers[0].baseFilename).name == "booth.log"


def test_the_booth_benchmark_counts_what_visitors_got():
    """A small run of ``workshop-kit bench --booth``: the figures README shows are counted, not assumed."""
    from workshop_kit import bench_booth

    result = bench_booth.soak(generations=8, sessions=2, warm_up=3, progress=False)
    assert result["generations"] >= 8 and result["failures"] == 0, result["failure_examples"]
    assert result["after_warm_up"]["rss_mb"] > 0 and result["end"]["bytes"] > 0
    assert isinstance(result["meets_target"], bool)
