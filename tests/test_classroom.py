"""The classroom: names at the door, the room's pages, limits, the trainer's view, and a whole room on loopback.

The room test starts ``workshop-kit classroom``'s services on 127.0.0.1, logs three participants in over HTTP, runs
notebook 00 on each of their servers through the Jupyter REST and websocket API, tries what a participant should not
be able to do, and stops everything. As root on Linux it runs the isolated mode (one system user per participant)
and checks that no kernel can read another participant's folder.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from workshop_kit.errors import ParameterError, WorkshopKitError

ROOT = Path(__file__).resolve().parents[1]
jupyterhub = pytest.importorskip("jupyterhub") if sys.platform != "win32" else None

from workshop_kit.classroom import folders, limits  # noqa: E402
from workshop_kit.classroom.names import account_of, check_name, is_account  # noqa: E402
from workshop_kit.classroom.settings import RoomSettings, check, config_text, find_proxy, read_roster  # noqa: E402


def _proxy_or_skip() -> str:
    try:
        return find_proxy()
    except WorkshopKitError as exc:
        if os.environ.get("WORKSHOP_KIT_REQUIRE_CLASSROOM") == "1":
            pytest.fail(f"{exc} (required here: WORKSHOP_KIT_REQUIRE_CLASSROOM=1)")
        pytest.skip(str(exc))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------------------------
# Names at the door


@pytest.mark.parametrize("name", ["Sara", "Hélène Dubois", "سارة", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "Jean-Luc O'Neil", "Ali 2"])
def test_real_names_are_welcome(name):
    assert check_name(f"  {name}  ") == name
    assert is_account(account_of(name))


@pytest.mark.parametrize("name, says", [
    ("../../etc/passwd", "U+002F"), ("a/b", "U+002F"), ("a\\b", "U+005C"), ("C:", "U+003A"),
    ("Sara\u202egnp.exe", "U+202E"), ("\u2066Sara", "U+2066"), ("Sa\u200bra", "U+200B"), ("Sara\x00", "U+0000"),
    ("", "empty"), ("   ", "empty"), ("x" * 10_000, "10000 characters"), ("x" * 41, "41 characters"),
    ("...", "starts with a letter"), ("<script>", "U+003C"),
])
def test_hostile_names_are_refused_by_name(name, says):
    with pytest.raises(ParameterError) as info:
        check_name(name)
    assert says in str(info.value)
    assert len(str(info.value)) < 400  # a 10 kB paste is not echoed back


def test_the_same_name_is_the_same_participant_and_others_are_not():
    assert account_of("Sara") == account_of(" sara ") == account_of("SARA")
    assert account_of("Hélène") != account_of("Helene")
    assert account_of("سارة").startswith("p-")
    assert all(len(account_of(n)) <= 25 for n in ("x" * 40, "سارة", "Jean-Luc O'Neil"))


def test_a_roster_refuses_a_repeated_or_bad_name_with_its_line(tmp_path):
    roster = tmp_path / "noms.txt"
    roster.write_text("# la salle\nSara\nYassine\n\n sara \n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"noms.txt:5.*line 2"):
        read_roster(roster)
    roster.write_text("Sara\n../x\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"noms.txt:2"):
        read_roster(roster)
    roster.write_text("Sara\nيوسف\n", encoding="utf-8")
    assert read_roster(roster) == ("Sara", "يوسف")


# --------------------------------------------------------------------------------------------------------------------
# Settings, the generated configuration, ports


def test_settings_refuse_what_cannot_work(tmp_path, monkeypatch):
    with pytest.raises(ParameterError, match="names login needs"):
        check(RoomSettings(folder=tmp_path / "salle", login="names"))
    empty = tmp_path / "vide"
    empty.mkdir()
    with pytest.raises(ParameterError, match="no notebook"):
        check(RoomSettings(folder=tmp_path / "salle", notebooks=empty))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(ParameterError, match="needs Linux and root"):
        check(RoomSettings(folder=tmp_path / "salle", mode="isolated"))


def test_the_generated_configuration_is_plain_jupyterhub_configuration(tmp_path):
    settings = RoomSettings(folder=tmp_path / "salle", port=8123, idle_minutes=20)
    text = config_text(settings, hub_port=9001, proxy_api_port=9002, proxy="/x/configurable-http-proxy")
    compile(text, "jupyterhub_config.py", "exec")
    assert "c.JupyterHub.bind_url = 'http://0.0.0.0:8123'" in text
    assert "jupyterhub_idle_culler" in text and "'--timeout=1200'" in text
    assert "RoomAuthenticator" in text and "RoomSpawner" in text


def test_a_taken_port_is_said_in_one_line():
    from workshop_kit.classroom.room import check_port

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(WorkshopKitError, match=rf"port {port} \(the notebooks\) is taken.*--port"):
            check_port("127.0.0.1", port, "notebooks", "--port")


def test_a_participants_copy_of_the_notebooks_is_never_replaced(tmp_path):
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    (notebooks / "00.ipynb").write_text("{}", encoding="utf-8")
    room = tmp_path / "salle"
    folders.make_room(room)
    account = account_of("Sara")
    home = folders.prepare(room, account, notebooks)
    (home / "carnets" / "00.ipynb").write_text('{"mine": 1}', encoding="utf-8")
    (notebooks / "01.ipynb").write_text("{}", encoding="utf-8")
    folders.prepare(room, account, notebooks)
    assert (home / "carnets" / "00.ipynb").read_text(encoding="utf-8") == '{"mine": 1}'
    assert (home / "carnets" / "01.ipynb").is_file() and (home / "travail").is_dir()
    assert oct((room / "participants").stat().st_mode & 0o777) == "0o711"
    with pytest.raises(WorkshopKitError):
        folders.participant_folder(room, "../hub")


# --------------------------------------------------------------------------------------------------------------------
# Limits: one participant's memory, the others unaffected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="control groups and rlimits as tested here: Linux")
def test_a_participant_over_their_memory_is_stopped_and_the_next_one_is_not():
    mechanism = limits.find_mechanism(f"t{os.getpid()}")
    bound = limits.Limits(memory_gb=0.25)
    greedy = "x = bytearray(1 << 30); print('allocated')"
    modest = "x = bytearray(50 << 20); print('allocated')"
    try:
        runs = []
        for account, code in (("greedy-00000000", greedy), ("modest-00000000", modest)):
            groups = limits.make_groups(mechanism, account, bound)
            runs.append(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                                       preexec_fn=limits.preexec(mechanism, groups, bound)))
    finally:
        limits.remove_groups(mechanism)
    assert "allocated" not in runs[0].stdout  # killed by its group, or a MemoryError under an address-space cap
    assert runs[1].returncode == 0 and "allocated" in runs[1].stdout
    assert mechanism.describe(bound).startswith("memory per participant: 0.25 GB")


# --------------------------------------------------------------------------------------------------------------------
# The join page and the trainer's view


def test_the_join_page_names_the_room_in_three_languages_with_a_qr_code():
    from workshop_kit.classroom.join import JoinServer, join_page, qr_svg

    page = join_page("http://10.0.0.2:8080/", notebooks="http://10.0.0.2:8000/", booth="http://10.0.0.2:7860/")
    assert "Bienvenue" in page and "Welcome" in page and "مرحبًا" in page
    assert 'href="http://10.0.0.2:8000/"' in page and 'href="http://10.0.0.2:7860/"' in page
    assert "<svg" in page and qr_svg("http://10.0.0.2:8080/") in page
    windows = join_page("http://10.0.0.2:8080/", notebooks=None, booth="http://10.0.0.2:7860/")
    assert "JupyterHub" in windows and "8000" not in windows

    port = _free_port()
    server = JoinServer("127.0.0.1", port, address=f"http://127.0.0.1:{port}/", notebooks=None,
                        booth="http://127.0.0.1:7860/").start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/room.json") as response:
            assert json.loads(response.read())["booth"] == "http://127.0.0.1:7860/"
        for path in ("/../../etc/passwd", "/hub/room.json", "/favicon.ico"):
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}")
            assert info.value.code == 404
    finally:
        server.stop()


def test_the_room_check_reads_the_laptops_doctor_reports(tmp_path):
    from workshop_kit.classroom.trainer import read_reports, room_check
    from workshop_kit.doctor import Check, Report

    good = Report([Check("python", True, "3.11"), Check("device", False, "cpu", blocking=False)])
    bad = Report([Check("python", True, "3.11"), Check("memory", False, "3.5 GB"), Check("disk", False, "1 GB")])
    (tmp_path / "pc-sara.json").write_text(json.dumps(dict(good.to_dict(), host="pc-sara")), encoding="utf-8")
    (tmp_path / "pc-ali.json").write_text(json.dumps(dict(bad.to_dict(), host="pc-ali")), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{ not json", encoding="utf-8")
    rows = read_reports(tmp_path)
    summary = room_check(rows)
    assert summary["laptops"] == 3 and summary["ready"] == 1
    assert dict(summary["blocking"])["memory"] == 1 and dict(summary["blocking"])["disk"] == 1
    assert any("unreadable" in name for name, _ in summary["blocking"])


def test_the_guard_stops_the_kernels_of_a_folder_over_its_quota_only(tmp_path):
    from workshop_kit.classroom.room import Classroom

    class API:
        stopped: list[tuple[str, str]] = []

        def kernels(self, account):
            return [{"id": f"k-{account}"}]

        def shutdown_kernel(self, account, kernel):
            self.stopped.append((account, kernel))

    room = Classroom(RoomSettings(folder=tmp_path / "salle", disk_gb=0.001))
    folders.make_room(room.settings.folder)
    big, small = account_of("Big"), account_of("Small")
    (folders.participant_folder(room.settings.folder, big) / "travail").mkdir(parents=True)
    (folders.participant_folder(room.settings.folder, small) / "travail").mkdir(parents=True)
    (folders.participant_folder(room.settings.folder, big) / "travail" / "x.bin").write_bytes(os.urandom(2 << 20))
    room.api = API()
    notes = room.guard()
    assert list(notes) == [big] and "kernels stopped" in notes[big][0]
    assert API.stopped == [(big, f"k-{big}")]


# --------------------------------------------------------------------------------------------------------------------
# A whole room on loopback


def _page_text(page: str) -> str:
    import html

    return html.unescape(page)


def _isolated_possible() -> bool:
    return sys.platform.startswith("linux") and os.geteuid() == 0


@pytest.fixture(scope="module")
def room_folder():
    base = Path(tempfile.mkdtemp(prefix="workshop-kit-room-"))  # not under pytest's 0700 basetemp: other users
    base.chmod(0o711)                                            # (the isolated mode's) must pass through
    yield base
    import shutil

    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_a_room_serves_three_participants_and_stops_clean(room_folder):
    from workshop_kit.classroom.client import LoginRefused, Participant
    from workshop_kit.classroom.room import Classroom

    proxy = _proxy_or_skip()
    isolated = _isolated_possible()
    port = _free_port()
    settings = RoomSettings(folder=room_folder / "salle", mode="isolated" if isolated else "simple",
                            open_folders=isolated, code="riad-safran-42", host="127.0.0.1", port=port,
                            join_port=_free_port(), booth_port=None, trainer_port=_free_port(), max_participants=3,
                            limits=limits.Limits(memory_gb=1.5, file_gb=0.01), disk_gb=0.05, proxy=proxy)
    url = f"http://127.0.0.1:{port}"
    room = Classroom(settings)
    pwd = pytest.importorskip("pwd")
    start = time.perf_counter()
    room.start()
    try:
        # the door: a wrong code, a name that hides its direction, both said on the login page
        with pytest.raises(LoginRefused) as wrong:
            Participant(url, "Sara", "riad-safran-43").login()
        assert wrong.value.status == 403 and "code de la salle" in _page_text(wrong.value.page)
        with pytest.raises(LoginRefused) as hostile:
            Participant(url, "Sara\u202eabc", "riad-safran-42").login()
        assert "U+202E" in _page_text(hostile.value.page)

        names = ["Sara", "Yassine", "سارة"]
        people = [Participant(url, name, "riad-safran-42") for name in names]
        for person in people:
            person.login()
        with pytest.raises(LoginRefused) as taken:  # another browser, the same name
            Participant(url, "sara", "riad-safran-42").login()
        assert "déjà utilisé" in _page_text(taken.value.page)

        errors: list[BaseException] = []
        results: dict[str, dict] = {}

        def work(person):
            try:
                person.start_server()
                results[person.name] = person.run_notebook("carnets/00_decouvrir.ipynb")
            except BaseException as exc:  # noqa: BLE001 - reported below, with the participant's name
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(p,)) for p in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=420)
        assert not errors, errors
        for person in people:
            assert results[person.name]["errors"] == [], (person.name, results[person.name]["errors"])
            home = folders.participant_folder(settings.folder, person.account)
            assert {"gnaoua.wav", "rosace.png", "tajine.glb"} <= {p.name for p in (home / "carnets").iterdir()}

        # a fourth participant: the room holds three, the page says so
        fourth = Participant(url, "Nadia", "riad-safran-42").login()
        with pytest.raises(LoginRefused) as full:
            fourth.start_server(timeout=60)
        assert "salle est pleine" in _page_text(full.value.page) or "room is full" in full.value.page

        sara, yassine, third = people

        # coming back (in the background, while the rest goes on): a stopped server starts again on their files
        came_back: dict[str, object] = {}

        def come_back():
            try:
                third.stop_server()
                third.login().start_server()
                came_back["file"] = third.api("GET", "/contents/carnets/gnaoua.wav?content=0")["type"]
            except BaseException as exc:  # noqa: BLE001 - asserted below
                came_back["error"] = exc

        returning = threading.Thread(target=come_back)
        returning.start()
        kernel = sara.open_notebook("carnets/00_decouvrir.ipynb")
        other = folders.participant_folder(settings.folder, yassine.account) / "carnets" / "00_decouvrir.ipynb"
        probe = kernel.execute(
            "import os\n"
            f"for path in [{str(other)!r}, {str(settings.folder / 'hub' / 'room.json')!r}]:\n"
            "    try:\n        open(path).read(); print('READ', path)\n"
            "    except PermissionError:\n        print('DENIED', path)\n"
            f"try:\n    print('LISTED', os.listdir({str(settings.folder / 'participants')!r}))\n"
            "except PermissionError:\n    print('DENIED listing')\n"
            "print('uid', os.getuid())")
        if isolated:
            assert "READ" not in probe.text and "LISTED" not in probe.text, probe.text
            assert probe.text.count("DENIED") == 3, probe.text
            assert f"uid {pwd.getpwnam(folders.system_user(sara.account)).pw_uid}" in probe.text

        # a kernel that loops forever: the others go on, the trainer restarts it from the trainer's view
        looping = kernel
        looping.ws.send(json.dumps({"header": {"msg_id": "loop", "username": "", "session": looping.session,
                                               "msg_type": "execute_request", "version": "5.3", "date": ""},
                                    "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                                    "content": {"code": "while True: pass", "silent": False, "store_history": False,
                                                "user_expressions": {}, "allow_stdin": False,
                                                "stop_on_error": True}}))
        other_kernel = yassine.open_notebook("carnets/00_decouvrir.ipynb")
        assert other_kernel.execute("print(6 * 7)", timeout=60).text.strip() == "42"

        # a notebook that fills the disk: one file is capped, the folder watched; the others unaffected
        filled = other_kernel.execute("open('../travail/gros.bin', 'wb').write(b'x' * (50 << 20))")
        assert filled.error and filled.error["ename"] == "OSError", filled
        other_kernel.execute("for i in range(8): open(f'../travail/{i}.bin', 'wb').write(b'x' * (9 << 20))")
        notes = room.guard()
        assert list(notes) == [yassine.account]
        other_kernel.close()

        key = room.key
        trainer = f"http://127.0.0.1:{settings.trainer_port}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{trainer}/state.json?key=wrong")
        assert refused.value.code == 403
        with urllib.request.urlopen(f"{trainer}/state.json?key={key}") as response:
            state = json.loads(response.read())
        by_name = {p["name"]: p for p in state["participants"]}
        assert set(names) <= set(by_name) and state["machine"]["cores"] == os.cpu_count()
        busy = [k for k in by_name["Sara"]["kernels"] if k["id"] == looping.id]
        assert busy and busy[0]["state"] == "busy"
        assert by_name["Sara"]["rss_gb"] > 0.05
        form = urllib.parse.urlencode({"key": key, "account": sara.account, "kernel": looping.id}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{trainer}/restart", data=form))  # 303 -> the view
        looping.close()
        again = sara.open_notebook("carnets/00_decouvrir.ipynb")
        assert again.execute("print('back')", timeout=90).text.strip() == "back"
        again.close()

        returning.join(timeout=300)
        assert came_back.get("file") == "file", came_back
        print(f"room test: {time.perf_counter() - start:.0f} s until stop")  # shown with -s
    finally:
        left = room.stop()
    assert left == []
    assert limits.room_pids(room.room_id) == set()
    if isolated:
        assert not [u for u in pwd.getpwall() if u.pw_name.startswith("wk-") and
                    u.pw_dir.startswith(str(settings.folder))]
        assert not (settings.folder / "hub" / folders.PASSAGE).exists()


# --------------------------------------------------------------------------------------------------------------------
# Heavy engines on the classroom machine: use_server


@pytest.fixture(scope="module")
def classroom_booth(tmp_path_factory):
    from workshop_kit.classroom.join import JoinServer
    from workshop_kit.classroom.room import serve_booth

    output = tmp_path_factory.mktemp("booth")
    port, join_port = _free_port(), _free_port()
    booth = serve_booth("127.0.0.1", port, "fr", output)
    join = JoinServer("127.0.0.1", join_port, address=f"http://127.0.0.1:{join_port}/", notebooks=None,
                      booth=f"http://127.0.0.1:{port}/").start()
    yield f"http://127.0.0.1:{join_port}/", f"http://127.0.0.1:{port}/"
    join.stop()
    booth.close()


@pytest.mark.slow
def test_a_notebook_gets_the_kits_own_results_from_the_classrooms_booth(classroom_booth, tmp_path):
    import numpy as np

    import workshop_kit as wk
    import workshop_kit.registry  # noqa: F401 - wk.registry below

    address, booth = classroom_booth
    room = wk.use_server(address)  # the room's address names its booth
    assert room.booth == booth and "rules" in room.engines("music")

    song = room.music(engine="rules", scale="bayati", rhythm="gnawa", bars=2, seed=3)
    assert isinstance(song, wk.results.AudioResult) and song.seed == 3 and song.device == "cpu"
    assert song.params["scale"] == "bayati" and song.duration > 1
    song.save(tmp_path / "gnaoua.wav")
    song.save(tmp_path / "gnaoua.mid")
    sidecar = json.loads((tmp_path / "gnaoua.wav.json").read_text(encoding="utf-8"))
    assert sidecar["device"] == "cpu" and any("classroom machine" in note for note in sidecar["notes"])
    assert "<audio" in song._repr_html_()

    def options(engine, params):  # what the booth's sidecar says the engine was given
        return {k: v for k, v in params.items() if wk.registry.ENGINES[engine].takes(k) and k != "seed"}

    picture = room.image(engine="motifs", motif="zellige8", palette="fes", seed=5)
    local = wk.image.generate(engine="motifs", seed=5, **options("motifs", picture.params))
    assert np.array_equal(picture.image, local.image)  # the same picture as made here, pixel for pixel

    pot = room.mesh(engine="lathe", preset="jar", seed=1)
    here = wk.mesh.generate(engine="lathe", seed=1, **options("lathe", pot.params))
    assert np.allclose(pot.mesh.extents, here.mesh.extents, atol=0.01)  # millimetres, Z up, as made here
    pot.save(tmp_path / "jarre.stl")
    there, made = pot.printability.to_dict(), here.printability.to_dict()  # the GLB holds float32 coordinates
    assert there["watertight"] and there["ready"] == made["ready"]
    assert there["volume_cm3"] == pytest.approx(made["volume_cm3"], rel=1e-4)


def test_use_server_says_what_is_wrong_before_or_without_the_network(classroom_booth):
    import workshop_kit as wk

    with pytest.raises(ParameterError, match="url"):
        wk.use_server("ftp://10.0.0.2")
    with pytest.raises(WorkshopKitError, match="does not answer"):
        wk.use_server(f"http://127.0.0.1:{_free_port()}/", timeout=2)
    room = wk.use_server(classroom_booth[1])  # a booth's own address works too
    with pytest.raises(ParameterError, match="does not offer this engine"):
        room.music(engine="nope")
    with pytest.raises(ParameterError, match="scale"):
        room.music(engine="rules", scale="pink")
    with pytest.raises(ParameterError, match="from afar"):
        room.music(engine="rules", tonic="E")


# --------------------------------------------------------------------------------------------------------------------
# The ethics card: its licences are the registries', its energy is measured


def test_the_ethics_card_lists_every_model_with_the_registrys_licence():
    from workshop_kit.classroom.card import LICENCES, licence_table
    from workshop_kit.pretrained import MODELS
    from workshop_kit.shipped import SHIPPED

    card = (ROOT / "docs" / "carte-ethique.md").read_text(encoding="utf-8")
    block = card.split(LICENCES[0])[1].split(LICENCES[1])[0].strip()
    assert block == licence_table()  # rewrite it with: workshop-kit classroom card --write docs/carte-ethique.md
    for key in (*SHIPPED, *MODELS):
        assert f"`{key}`" in block
    for spec in MODELS.values():
        assert spec.licence in block


@pytest.mark.slow
def test_the_energy_of_a_generation_is_measured_and_said_as_an_estimate(tmp_path):
    from workshop_kit.classroom.card import ENERGY, LICENCES, energy_table, measure_energy, write_card

    rows = measure_energy(tdp_w=15, runs=1)
    assert {"cppn", "rules", "lathe"} <= {r["engine"] for r in rows}
    assert all(r["cpu_s"] > 0 and r["wh"] == pytest.approx(r["cpu_s"] * 15 / os.cpu_count() / 3600) for r in rows)
    assert "estimate" in energy_table(rows, 15)
    card = tmp_path / "carte.md"
    card.write_text(f"x\n{LICENCES[0]}\n{LICENCES[1]}\n{ENERGY[0]}\n{ENERGY[1]}\n", encoding="utf-8")
    write_card(card, tdp_w=15)
    assert "mWh" in card.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------------------------------
# The command


def test_the_command_says_in_one_line_that_the_port_is_taken(tmp_path, capsys):
    from workshop_kit.cli import main

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        status = main(["classroom", "--room", str(tmp_path / "salle"), "--host", "127.0.0.1", "--port", str(port),
                       "--no-booth", "--lang", "en"])
    err = capsys.readouterr().err
    assert status == 1 and f"port {port} (the notebooks) is taken" in err and "--port" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "salle").exists()


def test_where_jupyterhub_does_not_run_the_room_still_serves_its_join_page(tmp_path, monkeypatch):
    from workshop_kit.classroom import room as room_module

    monkeypatch.setattr(room_module, "HUB_SUPPORTED", False)  # as on a Windows trainer machine
    settings = RoomSettings(folder=tmp_path / "salle", host="127.0.0.1", port=_free_port(), join_port=_free_port(),
                            booth_port=None)
    room = room_module.Classroom(settings).start()
    try:
        assert room.hub is None and room.urls["notebooks"] is None
        assert "JupyterHub runs on Linux and macOS only" in room.banner()
        with urllib.request.urlopen(room.urls["address"]) as response:
            assert "JupyterHub" in response.read().decode("utf-8")
    finally:
        assert room.stop() == []


# --------------------------------------------------------------------------------------------------------------------
# The door, without a hub: the authenticator alone


class _Browser:
    """What the authenticator asks of a request handler: one cookie jar."""

    def __init__(self, address: str = "10.0.0.5"):
        self.cookies: dict[str, str] = {}
        self.request = type("Request", (), {"remote_ip": address})()

    def get_cookie(self, name):
        return self.cookies.get(name)

    def set_cookie(self, name, value, **_kw):
        self.cookies[name] = value


def _door(tmp_path, **options):
    import asyncio

    from workshop_kit.classroom.hub import RoomAuthenticator
    from workshop_kit.classroom.settings import load_codes, write_room

    settings = RoomSettings(folder=tmp_path / "salle", **options)
    folders.make_room(settings.folder)
    codes = load_codes(settings)
    write_room(settings, room_id="t", codes=codes, hub_port=1, proxy_api_port=2, proxy="/x")
    door = RoomAuthenticator(room_file=str(settings.folder / "hub" / "room.json"))

    def come(name, code, browser):
        return asyncio.run(door.authenticate(browser, {"username": name, "password": code}))

    return settings, codes, come


@pytest.mark.skipif(sys.platform == "win32", reason="the hub runs on Linux and macOS")
def test_a_name_is_kept_by_its_browser_until_the_trainer_frees_it(tmp_path):
    from tornado.web import HTTPError

    from workshop_kit.classroom.room import Classroom

    settings, codes, come = _door(tmp_path, code="atlas-souk-12")
    sara, other = _Browser(), _Browser()
    assert come("Sara", "ATLAS-souk-12 ", sara) == {"name": account_of("Sara")}  # a code is read as said aloud
    assert come(" sara ", "atlas-souk-12", sara)["name"] == account_of("Sara")    # she comes back
    guesser = _Browser("10.0.0.66")
    for attempt in range(5):
        with pytest.raises(HTTPError, match="code de la salle"):
            come("Intrus", f"riad-dune-{attempt}", guesser)
    with pytest.raises(HTTPError, match="attendez 60 secondes"):  # even with the right code, for a minute
        come("Intrus", "atlas-souk-12", guesser)
    with pytest.raises(HTTPError) as taken:
        come("SARA", "atlas-souk-12", other)
    assert "déjà utilisé" in taken.value.log_message and "already used" in taken.value.log_message
    with pytest.raises(HTTPError) as wrong:
        come("Yassine", "atlas-souk-13", other)
    assert "code de la salle" in wrong.value.log_message and "رمز القاعة" in wrong.value.log_message
    Classroom(settings).free_name(account_of("Sara"))  # Sara on a new computer: the trainer frees her name
    assert come("Sara", "atlas-souk-12", other)["name"] == account_of("Sara")
    with folders.participants(settings.folder / "hub") as known:
        assert known[account_of("Sara")]["name"] == "Sara"
    stored = (settings.folder / "hub" / "room.json").read_text(encoding="utf-8")
    assert "atlas-souk-12" not in stored  # only a salted digest of the code


@pytest.mark.skipif(sys.platform == "win32", reason="the hub runs on Linux and macOS")
def test_with_a_list_of_names_each_participant_has_a_code_of_their_own(tmp_path):
    from tornado.web import HTTPError

    settings, codes, come = _door(tmp_path, login="names", roster=("Sara", "يوسف"))
    assert set(codes) == {"Sara", "يوسف"} and codes["Sara"] != codes["يوسف"]
    assert "Sara" in (settings.folder / "hub" / "codes.html").read_text(encoding="utf-8")
    assert come("يوسف", codes["يوسف"], _Browser())["name"] == account_of("يوسف")
    with pytest.raises(HTTPError, match="votre carte"):
        come("Sara", codes["يوسف"], _Browser())
    with pytest.raises(HTTPError, match="pas sur la liste"):
        come("Nadia", codes["Sara"], _Browser())
    assert _door(tmp_path, login="names", roster=("Sara", "يوسف"))[1] == codes  # the same codes tomorrow


def test_every_word_of_the_room_is_in_three_languages_with_the_same_blanks():
    import string

    from workshop_kit.i18n import LANGS, STRINGS

    keys = [k for k in STRINGS if k.startswith("room.")]
    assert len(keys) > 15
    for key in keys:
        blanks = {lang: {f for _, f, _, _ in string.Formatter().parse(STRINGS[key][lang]) if f} for lang in LANGS}
        assert all(STRINGS[key].get(lang) for lang in LANGS), key
        assert blanks["fr"] == blanks["en"] == blanks["ar"], (key, blanks)
