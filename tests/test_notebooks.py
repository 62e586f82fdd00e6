"""Every notebook runs top to bottom on a CPU, and each modality cell shows what it made.

Cells tagged ``music``, ``image`` or ``mesh`` must display an audio player, a picture or a 3D view.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds

# What each tagged cell must display: a MIME type, and a marker its content must hold (None: any content).
EXPECTED = {
    "music": ("text/html", "<audio"),
    "image": ("image/png", None),
    "mesh": ("text/html", "<canvas"),
}


def _displays(cell) -> list[dict]:
    return [out.get("data", {}) for out in cell.get("outputs", ()) if out.get("output_type") in
            ("display_data", "execute_result")]


def _shows(cell, mime: str, marker: str | None) -> bool:
    for data in _displays(cell):
        if mime in data and (marker is None or marker in "".join(data[mime])):
            return True
    return False


def test_there_is_a_discovery_notebook():
    names = [path.name for path in NOTEBOOKS]
    assert "00_decouvrir.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_is_clean(path):
    """Valid nbformat 4, stored without outputs, so that participants start from a clean page."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: outputs are stored"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("WORKSHOP_KIT_QUICK", "1")  # the notebooks' quick mode: smaller sizes, fewer steps

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT, allow_errors=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError naming the failing cell

    tagged = [cell for cell in nb.cells if cell.cell_type == "code" and cell.metadata.get("tags")]
    for cell in tagged:
        for tag in cell.metadata["tags"]:
            if tag in EXPECTED:
                mime, marker = EXPECTED[tag]
                assert _shows(cell, mime, marker), f"{path.name}: a {tag!r} cell shows no {mime} {marker or ''}"
    if path.name == "00_decouvrir.ipynb":
        assert {tag for cell in tagged for tag in cell.metadata["tags"]} >= set(EXPECTED)
        assert (tmp_path / "gnaoua.wav").is_file() and (tmp_path / "rosace.png").is_file()
        assert (tmp_path / "tajine.glb").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_first_cell_installs_the_trainers_wheel_on_colab_only(path, tmp_path, monkeypatch):
    """On Colab the first cell installs the wheel the trainer hands out (a URL set once, $WORKSHOP_KIT_WHEEL, or the
    file uploaded to /content); without one it stops with a clear message; elsewhere it installs nothing. It never
    installs a bare package name from the index, where the name is not the project's."""
    import sys
    import types

    from IPython.core.inputtransformer2 import TransformerManager

    nb = nbformat.read(path, as_version=4)
    source = next(c.source for c in nb.cells if c.cell_type == "code")
    assert "%pip install -q workshop-kit" not in source
    code = TransformerManager().transform_cell(source)
    calls = []
    namespace: dict = {}
    # IPython expands {name} in a magic's line from the user's variables before running it
    shell = types.SimpleNamespace(run_line_magic=lambda name, line: calls.append((name, line.format(**namespace))))

    def run(colab: bool):
        calls.clear()
        if colab:
            monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
        else:
            monkeypatch.delitem(sys.modules, "google.colab", raising=False)
        namespace.clear()
        namespace.update(get_ipython=lambda: shell, __name__="__main__")
        exec(compile(code, path.name, "exec"), namespace)

    run(colab=False)
    assert calls == []
    monkeypatch.delenv("WORKSHOP_KIT_WHEEL", raising=False)
    with pytest.raises(RuntimeError, match="workshop_kit-….whl"):
        run(colab=True)
    monkeypatch.setenv("WORKSHOP_KIT_WHEEL", "https://example.org/workshop_kit-0.1.0-py3-none-any.whl")
    run(colab=True)
    assert calls == [("pip", 'install -q "https://example.org/workshop_kit-0.1.0-py3-none-any.whl"')]
