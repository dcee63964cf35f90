"""The stand-in's folder layout: ``root/{input,output,temp,models/...}`` like a ComfyUI base directory.

Model folders use ComfyUI 0.3.64's names and search paths (``diffusion_models`` reads
``models/unet`` and ``models/diffusion_models``), so a model combo lists exactly the files a real
server would list for the same tree.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

MODEL_EXTENSIONS = frozenset({".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"})

# folder name -> (sub-folders of models/ searched, accepted extensions or None for "any").
# Order matches the real `GET /models` reply.
MODEL_FOLDERS: dict[str, tuple[tuple[str, ...], frozenset[str] | None]] = {
    "checkpoints": (("checkpoints",), MODEL_EXTENSIONS),
    "configs": (("configs",), frozenset({".yaml"})),
    "loras": (("loras",), MODEL_EXTENSIONS),
    "vae": (("vae",), MODEL_EXTENSIONS),
    "text_encoders": (("text_encoders", "clip"), MODEL_EXTENSIONS),
    "diffusion_models": (("unet", "diffusion_models"), MODEL_EXTENSIONS),
    "clip_vision": (("clip_vision",), MODEL_EXTENSIONS),
    "style_models": (("style_models",), MODEL_EXTENSIONS),
    "embeddings": (("embeddings",), MODEL_EXTENSIONS),
    "diffusers": (("diffusers",), None),
    "vae_approx": (("vae_approx",), MODEL_EXTENSIONS),
    "controlnet": (("controlnet", "t2i_adapter"), MODEL_EXTENSIONS),
    "gligen": (("gligen",), MODEL_EXTENSIONS),
    "upscale_models": (("upscale_models",), MODEL_EXTENSIONS),
    "custom_nodes": ((), None),
    "hypernetworks": (("hypernetworks",), MODEL_EXTENSIONS),
    "photomaker": (("photomaker",), MODEL_EXTENSIONS),
    "classifiers": (("classifiers",), None),
    "model_patches": (("model_patches",), MODEL_EXTENSIONS),
    "audio_encoders": (("audio_encoders",), MODEL_EXTENSIONS),
    "frame_interpolation": (("frame_interpolation",), MODEL_EXTENSIONS),
    # Registered by the ComfyUI-GGUF pack when it loads (after the core folders): the .gguf
    # files of the diffusion-model and text-encoder folders.
    "unet_gguf": (("unet", "diffusion_models"), frozenset({".gguf"})),
    "clip_gguf": (("text_encoders", "clip"), frozenset({".gguf"})),
}
# Folders that only newer ComfyUI versions register (hidden from /models on 0.3.64).
NEWER_FOLDERS = {"frame_interpolation"}
GGUF_FOLDERS = {"unet_gguf", "clip_gguf"}  # only with the GGUF pack installed


def model_folder_names(profile: str = "0.3.64", gguf: bool = False) -> list[str]:
    """What `GET /models` lists for the ComfyUI version a stand-in plays (with the GGUF
    pack's folders when it is installed)."""
    return [name for name in MODEL_FOLDERS
            if (profile != "0.3.64" or name not in NEWER_FOLDERS)
            and (gguf or name not in GGUF_FOLDERS)]

# The model files the official Wan 2.2 14B i2v templates (4-step LoRA and 20-step variants) name.
WAN_MODEL_FILES: dict[str, tuple[str, ...]] = {
    "diffusion_models": (
        "wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors",
        "wan2.2_i2v_low_noise_14B_fp8_scaled.safetensors",
    ),
    "loras": (
        "wan2.2_i2v_lightx2v_4steps_lora_v1_high_noise.safetensors",
        "wan2.2_i2v_lightx2v_4steps_lora_v1_low_noise.safetensors",
    ),
    "text_encoders": ("umt5_xxl_fp8_e4m3fn_scaled.safetensors",),
    "vae": ("wan_2.1_vae.safetensors",),
}

_DIR_TYPES = ("input", "output", "temp")


class Folders:
    """Paths under one stand-in root and the file lists ComfyUI derives from them."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.input = self.root / "input"
        self.output = self.root / "output"
        self.temp = self.root / "temp"
        self.models = self.root / "models"

    def ensure(self) -> "Folders":
        """Create the base folders (and every model folder, like a fresh ComfyUI checkout)."""
        for path in (self.input, self.output, self.temp):
            path.mkdir(parents=True, exist_ok=True)
        for subdirs, _ in MODEL_FOLDERS.values():
            for sub in subdirs:
                (self.models / sub).mkdir(parents=True, exist_ok=True)
        return self

    def by_type(self, kind: str | None) -> Path | None:
        """The folder for a `type` query value (`input`, `output`, `temp`), None when unknown."""
        return getattr(self, kind) if kind in _DIR_TYPES else None

    def annotated(self, name: str, default: str = "input") -> tuple[str, Path]:
        """Split ComfyUI's ``"name.png [output]"`` annotation into (name, folder)."""
        for kind in _DIR_TYPES:
            suffix = f" [{kind}]"
            if name.endswith(suffix):
                return name[: -len(suffix)], getattr(self, kind)
        return name, getattr(self, default)

    def annotated_path(self, name: str, default: str = "input") -> Path:
        bare, folder = self.annotated(name, default)
        return folder / bare

    def exists_annotated(self, name: str) -> bool:
        return os.path.exists(self.annotated_path(name))

    # -- lists that node combos show ---------------------------------------------------------

    def model_files(self, folder: str) -> list[str] | None:
        """Sorted relative file names of one model folder (None for an unknown folder)."""
        if folder not in MODEL_FOLDERS:
            return None
        subdirs, extensions = MODEL_FOLDERS[folder]
        found: set[str] = set()
        for sub in subdirs:
            base = self.models / sub
            if not base.is_dir():
                continue
            for dirpath, _dirs, files in os.walk(base, followlinks=True):
                for name in files:
                    if extensions is not None and os.path.splitext(name)[1].lower() not in extensions:
                        continue
                    rel = os.path.relpath(os.path.join(dirpath, name), base)
                    found.add(rel.replace(os.sep, "/"))
        return sorted(found)

    def model_path(self, folder: str, name: str) -> Path | None:
        """Where a listed model file lives (first match over the folder's search paths)."""
        for sub in MODEL_FOLDERS.get(folder, ((), None))[0]:
            path = self.models / sub / name
            if path.is_file():
                return path
        return None

    def input_files(self, content_types: tuple[str, ...] | None = None,
                    extensions: tuple[str, ...] | None = None) -> list[str]:
        """Sorted top-level files of input/, filtered by MIME family or by extension."""
        if not self.input.is_dir():
            return []
        names = [n for n in os.listdir(self.input) if (self.input / n).is_file()]
        if content_types is not None:
            names = [n for n in names if _content_type(n) in content_types]
        if extensions is not None:
            names = [n for n in names if n.rsplit(".", 1)[-1].lower() in extensions]
        return sorted(names)


def _content_type(name: str) -> str | None:
    mime, _ = mimetypes.guess_type(name, strict=False)
    return mime.split("/")[0] if mime else None


def add_model_file(root: Path, folder: str, name: str, size: int = 0) -> Path:
    """Create a dummy model file (``size`` zero bytes) so a model combo lists ``name``
    (a GGUF expert goes into ``diffusion_models``, where the pack's folder reads it)."""
    if folder not in MODEL_FOLDERS or not MODEL_FOLDERS[folder][0]:
        raise ValueError(f"unknown model folder {folder!r}; known: {', '.join(MODEL_FOLDERS)}")
    sub = MODEL_FOLDERS[folder][0][-1]  # e.g. diffusion_models rather than the legacy unet/
    path = Path(root) / "models" / sub / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        if size:
            handle.truncate(size)
    return path


def install_wan_models(root: Path) -> list[Path]:
    """Place empty files with the Wan 2.2 template's model names, like transcript 12 did."""
    return [add_model_file(root, folder, name)
            for folder, names in WAN_MODEL_FILES.items() for name in names]
