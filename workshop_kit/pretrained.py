"""The pretrained tier: known open models, pinned, found on this machine — never downloaded at run time.

A model is looked for, in order, in an explicit folder (``model_path=``), in the offline pack folder named by
``WORKSHOP_KIT_MODELS`` (one sub-folder per model key, e.g. ``$WORKSHOP_KIT_MODELS/sd-turbo``), and in the local
Hugging Face cache at the pinned revision. When it is in none of them, :class:`MissingModelError` says where it
looked and how to get it. ``workshop-kit models fetch KEY`` is the one command that downloads (on a machine with
internet, to prepare the offline pack); nothing else in the kit does.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import MissingModelError
from .i18n import Msg
from .validation import check_choice

ENV_VAR = "WORKSHOP_KIT_MODELS"
REVISION_FILE = ".workshop-kit-revision"  # written by fetch(): the commit a folder of the offline pack holds


@dataclass(frozen=True)
class ModelSpec:
    """A pretrained model the kit knows how to use."""

    key: str
    repo_id: str
    revision: str  # a commit of the model repository
    licence: str
    licence_url: str
    commercial_use: bool
    modality: str
    size_gb: float
    note: str = ""

    def record(self, path: str | os.PathLike | None = None) -> dict[str, str]:
        """What goes into a result's provenance."""
        revision = self.revision
        if path is not None and (Path(path) / REVISION_FILE).is_file():
            revision = (Path(path) / REVISION_FILE).read_text(encoding="utf-8").strip()
        record = {"id": self.repo_id, "revision": revision, "licence": self.licence,
                  "licence_url": self.licence_url, "commercial_use": self.commercial_use}
        if path is not None:
            record["path"] = str(path)
        return record


MODELS: dict[str, ModelSpec] = {
    m.key: m
    for m in (
        ModelSpec("sd-turbo", "stabilityai/sd-turbo", "b261bac6fd2cf515557d5d0707481eafa0485ec2",
                  "Stability AI Community License", "https://huggingface.co/stabilityai/sd-turbo/blob/main/LICENSE.md",
                  False, "image", 5.2,
                  "Distilled Stable Diffusion 2.1: one to four steps, 512×512. "
                  "Commercial use needs Stability AI's terms."),
        ModelSpec("taesd", "madebyollin/taesd", "main",
                  "MIT", "https://huggingface.co/madebyollin/taesd", True, "image", 0.01,
                  "Tiny decoder for Stable Diffusion latents; `models fetch` records the commit it got."),
        ModelSpec("sd-safety-checker", "CompVis/stable-diffusion-safety-checker", "main",
                  "CreativeML OpenRAIL-M", "https://huggingface.co/CompVis/stable-diffusion-safety-checker",
                  True, "image", 1.2,
                  "Flags pictures that are not for a public booth; `models fetch` records the commit it got."),
        ModelSpec("shap-e", "openai/shap-e", "449e95759dfa179ee740abe3cfd3f4838aa51b9b",
                  "MIT", "https://huggingface.co/openai/shap-e", True, "3d", 5.4,
                  "Text to 3D (OpenAI). About 300 M parameters in the prior; tens of minutes on a laptop CPU, "
                  "seconds on a GPU."),
        ModelSpec("shap-e-img2img", "openai/shap-e-img2img", "0e0aba80f08d368aaf6af9cb93583707481cc29b",
                  "MIT", "https://huggingface.co/openai/shap-e-img2img", True, "3d", 5.5,
                  "Picture of one object to 3D (OpenAI); as slow as the text model on a CPU."),
        ModelSpec("musicgen-small", "facebook/musicgen-small", "4c8334b02c6ec4e8664a91979669a501ec497792",
                  "CC-BY-NC 4.0 (weights)", "https://huggingface.co/facebook/musicgen-small", False, "music", 2.4,
                  "Text to music, 32 kHz mono, up to 30 s. Weights for non-commercial use only."),
    )
}


def models_folder() -> Path | None:
    """The offline pack folder from ``WORKSHOP_KIT_MODELS``, or None."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value).expanduser() if value else None


def get_spec(key: str) -> ModelSpec:
    return MODELS[check_choice("model", key, MODELS)]


def _looks_like_model(folder: Path) -> bool:
    return folder.is_dir() and ((folder / "model_index.json").is_file() or (folder / "config.json").is_file())


def locate(key: str, *, model_path: str | os.PathLike | None = None) -> Path:
    """Return the local folder holding model ``key``; raise :class:`MissingModelError` when there is none."""
    spec = get_spec(key)
    looked: list[str] = []
    if model_path is not None:
        folder = Path(model_path).expanduser()
        if _looks_like_model(folder):
            return folder
        raise MissingModelError(Msg("error.pretrained.not_a_model", setting=f"model_path={str(model_path)!r}",
                                    key=spec.key))
    pack = models_folder()
    if pack is not None:
        folder = pack / spec.key
        if _looks_like_model(folder):
            return folder
        looked.append(str(folder))
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        try:
            return Path(snapshot_download(spec.repo_id, revision=spec.revision, local_files_only=True))
        except LocalEntryNotFoundError:
            looked.append(Msg("word.hf_cache", repo=spec.repo_id, revision=spec.revision[:10]))
    except ImportError:
        looked.append(Msg("word.hf_cache.absent"))
    raise MissingModelError(Msg("error.pretrained.missing", key=spec.key, repo=spec.repo_id, where=looked, env=ENV_VAR,
                                command=f"`workshop-kit models fetch {spec.key}`"))


def readiness(key: str):
    """Whether model ``key`` is on this machine (a :class:`~workshop_kit.registry.Readiness`); nothing is loaded."""
    from .registry import Readiness

    try:
        locate(key)
    except MissingModelError:
        return Readiness(False, f"the pretrained model {key} is not on this machine (an offline pack, or "
                                f"`workshop-kit models fetch {key}` where there is internet)",
                         f"le modèle pré-entraîné {key} n'est pas sur cette machine (un pack hors ligne, ou "
                         f"`workshop-kit models fetch {key}` avec internet)")
    return Readiness(True)


def status() -> list[dict]:
    """One row per known model: found or not, where, and its licence — for the doctor and the booth."""
    rows = []
    for key, spec in MODELS.items():
        try:
            path, found = str(locate(key)), True
        except MissingModelError:
            path, found = None, False
        rows.append({**asdict(spec), "found": found, "path": path})
    return rows


def fetch(key: str, *, dest: str | os.PathLike | None = None) -> Path:
    """Download model ``key`` at its pinned revision into ``dest`` (default ``$WORKSHOP_KIT_MODELS/KEY``).

    The only function of the kit that reaches the network: run it on a machine with internet to prepare the offline
    pack, then copy the folder to the workshop laptops.
    """
    spec = get_spec(key)
    target = Path(dest) if dest is not None else (models_folder() or Path("models")) / spec.key
    from huggingface_hub import HfApi, snapshot_download

    commit = HfApi().model_info(spec.repo_id, revision=spec.revision).sha
    snapshot_download(spec.repo_id, revision=commit, local_dir=target)
    (target / REVISION_FILE).write_text(commit + "\n", encoding="utf-8")
    return target
