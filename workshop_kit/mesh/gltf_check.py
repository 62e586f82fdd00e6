"""Check a glTF / GLB file with the Khronos glTF validator, the reference tool of the glTF format.

The validator is a JavaScript library published on the npm registry as ``gltf-validator``. This module runs it through
Node.js with a small script shipped in the package (``gltf_validate.js``), so that no Python package is needed:

.. code-block:: console

    $ npm install --prefix .tools gltf-validator     # once, at the root of the repository

The npm package is looked for in the folder named by the environment variable ``WORKSHOP_KIT_NODE_MODULES`` (a
``node_modules`` folder, or the folder given to ``npm install --prefix``), else in ``.tools/node_modules`` at the root
of the repository. ``node`` must be on the ``PATH``.

Examples
--------
>>> from workshop_kit.mesh.gltf_check import validate_glb
>>> report = validate_glb("pot.glb")  # doctest: +SKIP
>>> report["valid"], report["errors"], report["warnings"]  # doctest: +SKIP
(True, 0, 0)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..errors import EngineUnavailableError, ParameterError
from ..i18n import Msg
from ..validation import check_int

__all__ = ["validate_glb", "node_modules_dir", "validator_available", "RUNNER", "ENV_NODE_MODULES"]

ENV_NODE_MODULES = "WORKSHOP_KIT_NODE_MODULES"
"""Environment variable naming the ``node_modules`` folder that holds ``gltf-validator``."""

RUNNER = Path(__file__).with_name("gltf_validate.js")
"""The script that loads the validator and prints its report as JSON."""

_REPO_ROOT = Path(__file__).resolve().parents[2]
_SEVERITY = {0: "error", 1: "warning", 2: "info", 3: "hint"}


def node_modules_dir() -> Path:
    """The ``node_modules`` folder searched for ``gltf-validator``.

    ``$WORKSHOP_KIT_NODE_MODULES`` when set: a ``node_modules`` folder, or the folder given to ``npm install
    --prefix`` (its ``node_modules`` is used). Else ``<repository>/.tools/node_modules``.
    """
    configured = os.environ.get(ENV_NODE_MODULES, "").strip()
    if configured:
        folder = Path(configured).expanduser()
        if folder.name != "node_modules" and (folder / "node_modules").is_dir():
            return folder / "node_modules"
        return folder
    return _REPO_ROOT / ".tools" / "node_modules"


def _install_command(modules: Path) -> str:
    prefix = modules.parent if modules.name == "node_modules" else modules
    return f"npm install --prefix {prefix} gltf-validator"


def _find() -> tuple[str, Path]:
    """``node`` and the modules folder, or :class:`EngineUnavailableError` saying how to install what is missing."""
    modules = node_modules_dir()
    node = shutil.which("node")
    if node is None:
        raise EngineUnavailableError(Msg("error.gltf.no_node", command=_install_command(modules)))
    if not (modules / "gltf-validator" / "package.json").is_file():
        raise EngineUnavailableError(Msg("error.gltf.not_installed", modules=str(modules),
                                         command=_install_command(modules), env=ENV_NODE_MODULES))
    return node, modules


def validator_available() -> bool:
    """True when ``node`` and the ``gltf-validator`` npm package are both found."""
    try:
        _find()
    except EngineUnavailableError:
        return False
    return True


def validate_glb(path: str | os.PathLike, *, max_issues: int = 100, timeout: float = 120.0) -> dict[str, Any]:
    """Validate a ``.glb`` (or ``.gltf``) file with the Khronos glTF validator.

    Parameters
    ----------
    path : str or path-like
        The file to check. A ``.gltf`` file's external buffers are read from its folder.
    max_issues : int
        Most messages to list, from 1 to 10 000 (the counts are always complete).
    timeout : float
        Seconds to wait for the validator.

    Returns
    -------
    dict
        ``valid`` (no error), ``errors``, ``warnings``, ``infos``, ``hints`` (counts), ``messages`` (a list of
        ``{"code", "severity", "message", "pointer"}`` with ``severity`` one of ``"error"``, ``"warning"``,
        ``"info"``, ``"hint"``), ``truncated`` (more messages than ``max_issues``), ``info`` (what the validator
        saw: vertex and triangle counts, materials…), ``validator_version``, ``file``, and ``report`` (the
        validator's report as it is).

    Raises
    ------
    ParameterError
        When ``path`` is not a readable file, or the validator cannot even recognise it as glTF.
    EngineUnavailableError
        When ``node`` or the ``gltf-validator`` npm package is missing; the message gives the command that
        installs it.
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ParameterError("path", path, Msg("allowed.gltf_path"))
    file = Path(path).expanduser()
    if not file.is_file():
        raise ParameterError("path", str(file), Msg("allowed.gltf_existing"), reason=Msg("reason.no_such_file"))
    max_issues = check_int("max_issues", max_issues, 1, 10_000)
    node, modules = _find()
    command = [node, str(RUNNER), str(modules), str(file), str(max_issues)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace",
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise EngineUnavailableError(Msg("error.gltf.timeout", seconds=timeout, file=str(file))) from None
    detail = done.stderr.strip()
    if done.returncode == 3:
        raise EngineUnavailableError(Msg("error.gltf.cannot_load", modules=str(modules), detail=detail,
                                         command=_install_command(modules)))
    if done.returncode == 4:
        raise ParameterError("path", str(file), Msg("allowed.gltf2"), reason=detail)
    if done.returncode != 0:
        raise EngineUnavailableError(Msg("error.gltf.failed", file=str(file), status=done.returncode, detail=detail))
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise EngineUnavailableError(Msg("error.gltf.not_json", why=str(exc))) from None
    issues = report.get("issues", {})
    messages = [
        {"code": m.get("code", ""), "severity": _SEVERITY.get(m.get("severity"), str(m.get("severity"))),
         "message": m.get("message", ""), "pointer": m.get("pointer", "")}
        for m in issues.get("messages", [])
    ]
    errors = int(issues.get("numErrors", 0))
    return {
        "valid": errors == 0,
        "errors": errors,
        "warnings": int(issues.get("numWarnings", 0)),
        "infos": int(issues.get("numInfos", 0)),
        "hints": int(issues.get("numHints", 0)),
        "messages": messages,
        "truncated": bool(issues.get("truncated", False)),
        "info": report.get("info", {}),
        "validator_version": report.get("validatorVersion", ""),
        "file": str(file),
        "report": report,
    }
