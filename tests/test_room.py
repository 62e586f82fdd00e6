"""The room check: every laptop's doctor report on the stick in one table, printed and as a self-contained page."""

from __future__ import annotations

import json

import pytest

from workshop_kit import doctor
from workshop_kit.cli import main


def _report(host: str, ok: bool = True, **extra) -> dict:
    checks = [{"name": "python", "ok": True, "value": "3.11.7", "detail": "", "blocking": True, "seconds": None},
              {"name": "music/rules", "ok": True, "value": "0.40 s", "detail": "", "blocking": True, "seconds": 0.4},
              {"name": "image/cppn", "ok": ok, "value": "2.10 s" if ok else "fails",
               "detail": "" if ok else "RuntimeError: out of memory", "blocking": True, "seconds": 2.1 if ok else None}]
    return {"format": doctor.REPORT_FORMAT, "ok": ok, "workshop_kit": "0.1.0", "host": host, "os": "Windows",
            "machine": "AMD64", "python": "3.11.7", "memory_gb": 7.8, "memory_free_gb": 3.1, "disk_free_gb": 21.5,
            "slowest": {"name": "image/cppn", "seconds": 2.1} if ok else {"name": "music/rules", "seconds": 0.4},
            "checks": checks, **extra}


@pytest.fixture
def stick(tmp_path):
    reports = tmp_path / "stick" / "reports"
    reports.mkdir(parents=True)
    (reports / "PC-01.json").write_text(json.dumps(_report("PC-01")))
    (reports / "PC-02.json").write_text(json.dumps(_report("PC-02", ok=False)))
    return tmp_path / "stick"


def test_the_doctor_report_has_what_the_room_needs():
    report = doctor.Report([doctor.Check("x", True, "1", seconds=1.5), doctor.Check("y", True, "2", seconds=0.2)],
                           {"memory_gb": 8.0, "memory_free_gb": 4.0, "disk_free_gb": 30.0}).to_dict()
    assert report["format"] == doctor.REPORT_FORMAT and report["slowest"] == {"name": "x", "seconds": 1.5}
    for key in ("os", "machine", "python", "python_bits", "memory_gb", "disk_free_gb", "host", "when"):
        assert key in report
    assert isinstance(report["memory_gb"], float)


@pytest.mark.parametrize("system,machine,python,bits,glibc,ok,word", [
    ("Windows", "AMD64", (3, 12), 64, None, True, ""),
    ("Windows", "ARM64", (3, 12), 64, None, False, "x64 Python"),
    ("Windows", "AMD64", (3, 11), 32, None, False, "64-bit Python"),
    ("Darwin", "arm64", (3, 13), 64, None, True, ""),
    ("Darwin", "x86_64", (3, 12), 64, None, True, "2.2.2"),
    ("Darwin", "x86_64", (3, 13), 64, None, False, "Python 3.12"),
    ("Linux", "x86_64", (3, 11), 64, (2, 31), True, ""),
    ("Linux", "x86_64", (3, 11), 64, (2, 17), True, "older torch"),
    ("Linux", "x86_64", (3, 11), 64, (2, 12), False, "too old"),
    ("Linux", "riscv64", (3, 11), 64, (2, 36), False, "no build"),
])
def test_which_laptops_are_out_and_why(system, machine, python, bits, glibc, ok, word):
    supported, why = doctor.laptop_supported(system, machine, python, bits, glibc)
    assert supported is ok and word in why


def test_the_table_shows_each_laptop_and_the_verdict(stick, capsys):
    assert main(["room", str(stick), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "PC-01" in out and "PC-02" in out and "image/cppn 2.10 s" in out and "21.5 GB" in out
    assert "image/cppn: fails (RuntimeError: out of memory)" in out
    assert "The room is not ready: 1 of 2 laptops ready" in out
    page = (stick / "room.html").read_text()
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")  # nothing fetched
    assert page.index("Room check") < page.index("Vérification de la salle")  # asked language first, then French
    assert "out of memory" in page


def test_a_ready_room_exits_0_in_french(stick, capsys):
    (stick / "reports" / "PC-02.json").write_text(json.dumps(_report("PC-02")))
    assert main(["room", str(stick)]) == 0
    assert "La salle est prête : 2 portables sur 2." in capsys.readouterr().out


def test_garbled_and_old_reports_get_one_line_each_and_a_not_ready_row(stick, capsys):
    (stick / "reports" / "PC-03.json").write_text('{"ok": true, "checks": [')
    (stick / "reports" / "PC-04.json").write_text(json.dumps({"ok": True, "workshop_kit": "0.0.9", "checks": []}))
    assert main(["room", str(stick), "--lang", "en", "--json"]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 2
    assert "PC-03.json: unreadable report" in err[0] and "run the install script" in err[0]
    assert "PC-04.json: report of format 1 (workshop-kit 0.0.9)" in err[1] and "install this laptop again" in err[1]
    rows = {r["name"]: r for r in json.loads(captured.out)["laptops"]}
    assert not rows["PC-03"]["ready"] and not rows["PC-04"]["ready"] and rows["PC-01"]["ready"]


def test_an_empty_or_missing_folder_says_what_to_do(tmp_path, capsys):
    (tmp_path / "reports").mkdir()
    assert main(["room", str(tmp_path), "--lang", "en"]) == 1
    assert "run the install script on each laptop" in capsys.readouterr().out
    assert main(["room", str(tmp_path / "nope"), "--lang", "en"]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["room", str(tmp_path / "nope")]) == 2  # French by default, every word of it
    err = capsys.readouterr().err
    assert "ce dossier n'existe pas" in err and "la clé USB" in err and "USB stick" not in err


def test_one_laptops_summary_line(stick, capsys):
    assert main(["room", "--summary", str(stick / "reports" / "PC-02.json"), "--lang", "en"]) == 1
    assert capsys.readouterr().out.strip().startswith("PC-02: NO — image/cppn: fails")
