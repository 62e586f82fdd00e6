"""The trainer's guide's solutions run: each section of docs/solutions.md, its Python blocks in order, as a notebook
of its own in an empty folder (quick mode, like the notebooks)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

SOLUTIONS = Path(__file__).resolve().parents[1] / "docs" / "solutions.md"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def sections() -> dict[str, list[str]]:
    """Section title -> its Python code blocks."""
    found: dict[str, list[str]] = {}
    title = None
    for part in re.split(r"^(## .*)$", SOLUTIONS.read_text(encoding="utf-8"), flags=re.M):
        if part.startswith("## "):
            title = part[3:].strip()
        elif title is not None:
            found[title] = re.findall(r"```python\n(.*?)```", part, flags=re.S)
    return found


def test_every_your_turn_cell_of_every_notebook_has_a_solution():
    solved = {title.split(" ")[0] for title, blocks in sections().items() if blocks}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        asks = [c for c in nb.cells if c.cell_type == "markdown" and re.search(r"à vous", c.source, re.I)]
        if asks:
            assert path.name[:2] in solved, f"{path.name} has a 'à vous' cell and no solution in {SOLUTIONS.name}"


@pytest.mark.slow
@pytest.mark.parametrize("title", list(sections()), ids=[t.split(" ")[0] for t in sections()])
def test_solution_runs(title, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("WORKSHOP_KIT_QUICK", "1")
    blocks = sections()[title]
    assert blocks, f"section {title!r} has no code"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in blocks])
    NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
