"""Choosing where torch code runs: resolved when a generator runs, never at import."""

from __future__ import annotations

import os

from .errors import DeviceError
from .i18n import Msg

DEVICES = ("auto", "cpu", "cuda", "mps")
ENV_VAR = "WORKSHOP_KIT_DEVICE"


def resolve_device(device: str | None = "auto") -> str:
    """Return the device a generator should use: ``"cpu"``, ``"cuda"`` (or ``"cuda:N"``) or ``"mps"``.

    ``device=None`` or ``"auto"`` reads the ``WORKSHOP_KIT_DEVICE`` environment variable, then picks cuda, then mps,
    then cpu. Asking for a device this machine lacks raises :class:`DeviceError` rather than running on the CPU.
    """
    requested = device
    if requested is None or requested == "auto":
        requested = os.environ.get(ENV_VAR, "").strip() or "auto"
    if not isinstance(requested, str):
        raise DeviceError("device", requested, DEVICES)
    requested = requested.strip().lower()
    base = requested.split(":", 1)[0]
    if base not in DEVICES or (":" in requested and base != "cuda"):
        raise DeviceError("device", device if device not in (None, "auto") else requested, DEVICES)
    if base == "cpu":
        return "cpu"

    import torch  # only now: choosing a device is the first thing that needs torch

    if base == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if base == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError("device", requested, Msg("allowed.no_cuda"), reason=Msg("reason.no_cuda"))
        if ":" in requested:
            index = requested.split(":", 1)[1]
            if not index.isdigit() or int(index) >= torch.cuda.device_count():
                raise DeviceError("device", requested, [f"cuda:{i}" for i in range(torch.cuda.device_count())])
        return requested
    mps = getattr(torch.backends, "mps", None)
    if mps is None or not mps.is_available():
        raise DeviceError("device", requested, Msg("allowed.no_mps"), reason=Msg("reason.no_mps"))
    return "mps"


def no_torch_device(device: str | None = "auto") -> str:
    """For engines written in numpy: check the request like :func:`resolve_device`, then run on the CPU."""
    requested = device
    if requested is None or requested == "auto":
        requested = os.environ.get(ENV_VAR, "").strip() or "auto"
    if requested in ("auto", "cpu"):
        return "cpu"
    resolve_device(requested)  # a missing GPU is still an error, not a silent CPU run
    return "cpu"
