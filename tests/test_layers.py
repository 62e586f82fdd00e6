"""Imports run one way: 3D does not depend on the image studio, the two music engines share an arranger, the result
types know nothing of the engines that make them. Read from the sources (nothing is imported)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workshop_kit"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[tuple[str, str]]:
    """``(module, name)`` for every import in the file, relative ones resolved; ``name`` is "" for ``import m``."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {(alias.name, "") for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found |= {(module, alias.name) for alias in node.names}
    return found


def _reaches(found: set[tuple[str, str]], target: str) -> list[str]:
    """The imports among ``found`` that load ``target`` (the module, or a module inside it)."""
    hits = []
    for module, name in found:
        for full in (module, f"{module}.{name}" if name else module):
            if full == target or full.startswith(target + "."):
                hits.append(f"{module}:{name}" if name else module)
                break
    return hits


MESH = sorted((PACKAGE / "mesh").glob("*.py"))


@pytest.mark.parametrize("path", MESH, ids=lambda p: p.name)
def test_no_mesh_module_imports_the_image_studio(path):
    assert _reaches(imports(path), "workshop_kit.image") == []


@pytest.mark.parametrize("path", MESH, ids=lambda p: p.name)
def test_no_mesh_module_imports_a_private_name_of_another(path):
    private = sorted(f"{m}:{n}" for m, n in imports(path) if m.startswith("workshop_kit") and n.startswith("_"))
    assert private == []


def test_the_music_engines_share_the_arranger_and_not_each_other():
    rules = imports(PACKAGE / "music" / "rules.py")
    melody = imports(PACKAGE / "music" / "melody_model.py")
    assert _reaches(rules, "workshop_kit.music.melody_model") == []
    assert _reaches(melody, "workshop_kit.music.rules") == []
    assert _reaches(rules, "workshop_kit.music.arrange") and _reaches(melody, "workshop_kit.music.arrange")


@pytest.mark.parametrize("name", ["results.py", "media.py", "motif_geometry.py", "palettes.py"])
def test_shared_top_level_modules_import_no_engine(name):
    found = imports(PACKAGE / name)
    for engines in ("workshop_kit.mesh", "workshop_kit.image", "workshop_kit.music", "workshop_kit.booth"):
        assert _reaches(found, engines) == [], (name, engines)


def test_the_resolver_sees_relative_imports():
    """The checks above are only as good as this: relative imports resolve to the modules they load."""
    found = imports(PACKAGE / "mesh" / "relief.py")
    assert ("workshop_kit.motif_geometry", "motif_period") in found
    assert ("workshop_kit.mesh.result", "MeshResult") in found
    assert _reaches({("workshop_kit", "image")}, "workshop_kit.image") == ["workshop_kit:image"]
