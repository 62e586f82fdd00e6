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
