"""Shared test settings: nothing in the suite may reach the network."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.pop("WORKSHOP_KIT_DEVICE", None)
os.environ.pop("WORKSHOP_KIT_MODELS", None)


import pytest


@pytest.fixture(scope="session")
def validator():
    """The Khronos glTF validator: skipped where Node.js or the package is missing, but a failure where
    WORKSHOP_KIT_REQUIRE_GLTF_VALIDATOR=1 (as in make test and CI)."""
    from workshop_kit.errors import EngineUnavailableError
    from workshop_kit.mesh import gltf_check

    try:
        gltf_check._find()
    except EngineUnavailableError as exc:
        reason = f"glTF validator unavailable: {exc}"
        if os.environ.get("WORKSHOP_KIT_REQUIRE_GLTF_VALIDATOR") == "1":
            pytest.fail(reason + " (required here: WORKSHOP_KIT_REQUIRE_GLTF_VALIDATOR=1)")
        pytest.skip(reason)


@pytest.fixture
def fails_while_writing(tmp_path, monkeypatch):
    """``check(source, module, run)``: a copy of the model folder ``source`` is written over by ``run(copy)`` while
    ``module._model_card`` fails (it is called in the new folder, once the weights are there); the copy must be left
    byte for byte as it was, with nothing beside it."""
    import shutil

    def files(folder):
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    def broken(metrics):
        raise RuntimeError("disk full")

    def check(source, module, run):
        previous = tmp_path / "previous" / source.name
        shutil.copytree(source, previous)
        before = files(previous)
        monkeypatch.setattr(module, "_model_card", broken)
        with pytest.raises(RuntimeError, match="disk full"):
            run(previous)
        assert files(previous) == before
        assert [p.name for p in previous.parent.iterdir()] == [previous.name]

    return check
