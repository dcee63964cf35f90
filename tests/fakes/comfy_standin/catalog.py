"""Node classes the stand-in knows: the recorded `/object_info` dumps plus live file lists.

The core dump is the real reply of ComfyUI 0.3.64 (478 classes). Custom-node classes (RIFE/FILM
VFI, KJNodes, VideoHelperSuite) come from the second dump, and the ComfyUI-GGUF loaders from a
third (written from the pack's source); they are enabled per instance, because a real server only
has them when the packs are installed. Combos that list files (model loaders,
LoadImage, LoadVideo) are filled from the stand-in's folders on every call, as ComfyUI does.
"""

from __future__ import annotations

import copy
import gzip
import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from tests.fakes.comfy_standin.folders import Folders

DATA_DIR = Path(__file__).parent / "data"
CORE_DUMP = DATA_DIR / "object_info_core.json.gz"
CUSTOM_DUMP = DATA_DIR / "object_info_custom_nodes.json.gz"
GGUF_DUMP = DATA_DIR / "object_info_gguf.json"  # UnetLoaderGGUF(Advanced), from the pack's source
# What ComfyUI 0.38 adds for the nodes the app uses (switch, math, core frame interpolation).
NEWER_CORE_DUMP = DATA_DIR / "object_info_0.38.json"
# Stand-in profile (the ComfyUI version played) -> dumps added on top of the 0.3.64 core dump.
PROFILES: dict[str, tuple[Path, ...]] = {"0.3.64": (), "0.38.1": (NEWER_CORE_DUMP,)}

# The custom-node classes the app relies on (api-facts section 3).
APP_CUSTOM_NODES = ("RIFE VFI", "FILM VFI", "PathchSageAttentionKJ", "VHS_VideoCombine",
                    "VHS_LoadVideo")

# (class, input) -> model folder whose files the combo lists.
_MODEL_COMBOS: dict[tuple[str, str], str] = {
    ("CheckpointLoaderSimple", "ckpt_name"): "checkpoints",
    ("CheckpointLoader", "ckpt_name"): "checkpoints",
    ("unCLIPCheckpointLoader", "ckpt_name"): "checkpoints",
    ("ImageOnlyCheckpointLoader", "ckpt_name"): "checkpoints",
    ("CreateHookModelAsLora", "ckpt_name"): "checkpoints",
    ("CreateHookModelAsLoraModelOnly", "ckpt_name"): "checkpoints",
    ("LoraLoader", "lora_name"): "loras",
    ("LoraLoaderModelOnly", "lora_name"): "loras",
    ("CreateHookLora", "lora_name"): "loras",
    ("CreateHookLoraModelOnly", "lora_name"): "loras",
    ("CLIPLoader", "clip_name"): "text_encoders",
    ("DualCLIPLoader", "clip_name1"): "text_encoders",
    ("DualCLIPLoader", "clip_name2"): "text_encoders",
    ("TripleCLIPLoader", "clip_name1"): "text_encoders",
    ("TripleCLIPLoader", "clip_name2"): "text_encoders",
    ("TripleCLIPLoader", "clip_name3"): "text_encoders",
    ("QuadrupleCLIPLoader", "clip_name1"): "text_encoders",
    ("QuadrupleCLIPLoader", "clip_name2"): "text_encoders",
    ("QuadrupleCLIPLoader", "clip_name3"): "text_encoders",
    ("QuadrupleCLIPLoader", "clip_name4"): "text_encoders",
    ("UNETLoader", "unet_name"): "diffusion_models",
    ("UnetLoaderGGUF", "unet_name"): "unet_gguf",
    ("UnetLoaderGGUFAdvanced", "unet_name"): "unet_gguf",
    ("ControlNetLoader", "control_net_name"): "controlnet",
    ("DiffControlNetLoader", "control_net_name"): "controlnet",
    ("StyleModelLoader", "style_model_name"): "style_models",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
    ("GLIGENLoader", "gligen_name"): "gligen",
    ("HypernetworkLoader", "hypernetwork_name"): "hypernetworks",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("PhotoMakerLoader", "photomaker_model_name"): "photomaker",
    ("ModelPatchLoader", "name"): "model_patches",
    ("FrameInterpolationModelLoader", "model_name"): "frame_interpolation",
}
_VHS_VIDEO_EXTENSIONS = ("webm", "mp4", "mkv", "gif", "mov")
_TAESD = (("taesd", "taesd_"), ("taesdxl", "taesdxl_"), ("taesd3", "taesd3_"), ("taef1", "taef1_"))


def model_folder_for(cls: str, input_name: str) -> str | None:
    """The model folder a loader input lists (VAELoader's vae_name -> "vae"), if any."""
    if (cls, input_name) == ("VAELoader", "vae_name"):
        return "vae"
    return _MODEL_COMBOS.get((cls, input_name))


def _harness_nodes() -> dict[str, dict]:
    """The two test-only nodes the recordings used (transcripts 06, 07, 09, 13)."""
    def node(name: str, required: dict, output: list, output_node: bool) -> dict:
        return {
            "input": {"required": required}, "input_order": {"required": list(required)},
            "output": output, "output_is_list": [False] * len(output), "output_name": output,
            "name": name, "display_name": name, "description": "", "output_node": output_node,
            "python_module": "custom_nodes.comfy_harness_nodes", "category": "harness",
        }
    return {
        "HarnessSlowProgress": node("HarnessSlowProgress", {
            "images": ["IMAGE"],
            "steps": ["INT", {"default": 10, "min": 1, "max": 10000}],
            "seconds_per_step": ["FLOAT", {"default": 0.1, "min": 0.0, "max": 60.0, "step": 0.01}],
            "send_preview": ["BOOLEAN", {"default": True}],
        }, ["IMAGE"], False),
        "HarnessRaiseOOM": node("HarnessRaiseOOM", {
            "images": ["IMAGE"],
            "message": ["STRING", {"default": "CUDA out of memory. Tried to allocate 2.00 GiB.",
                                   "multiline": False}],
        }, ["IMAGE"], True),
    }


@lru_cache(maxsize=8)
def _read_dump(path: str) -> dict[str, Any]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    data.pop("_comment", None)  # hand-written dumps say where their schemas come from
    return data


def _custom() -> dict[str, Any]:
    """Every custom-node class the stand-in can switch on (the recorded dump and the GGUF one)."""
    return {**_read_dump(str(CUSTOM_DUMP)), **_read_dump(str(GGUF_DUMP))}


def load_dump(path: Path | str = CORE_DUMP) -> dict[str, Any]:
    """A private deep copy of a recorded `/object_info` reply (core dump by default)."""
    return copy.deepcopy(_read_dump(str(path)))


class ExtraNodes:
    """Custom-node classes switched on for one stand-in (thread-safe set of class names)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._extra_dumps: list[dict[str, Any]] = []
        self._names: set[str] = set()
        for name in names:
            self.add(name)

    def add(self, name: str) -> None:
        """Enable one class from the custom-nodes dump (KeyError names the unknown class)."""
        if name not in _custom():
            raise KeyError(f"{name!r} is not in the recorded custom-node dumps")
        with self._lock:
            self._names.add(name)

    def add_app_nodes(self) -> None:
        """Enable RIFE/FILM VFI, PathchSageAttentionKJ and the VHS video nodes."""
        for name in APP_CUSTOM_NODES:
            self.add(name)

    def add_dump(self, dump: dict[str, Any]) -> None:
        """Add every class of another `/object_info` reply (e.g. a newer core's nodes)."""
        with self._lock:
            self._extra_dumps.append(dump)

    def discard(self, name: str) -> None:
        with self._lock:
            self._names.discard(name)

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._names

    def lookup(self, name: str) -> dict[str, Any] | None:
        """The info of one enabled class, None when it is not enabled here."""
        with self._lock:
            for dump in reversed(self._extra_dumps):
                if name in dump:
                    return dump[name]
            enabled = name in self._names
        return _custom()[name] if enabled else None

    def snapshot(self) -> dict[str, Any]:
        """class name -> info of everything enabled now."""
        custom = _custom()
        with self._lock:
            out = {name: custom[name] for name in sorted(self._names)}
            for dump in self._extra_dumps:
                out.update(dump)
        return out


class NodeCatalog:
    """What `/object_info` says now: recorded schemas with file combos read from disk."""

    def __init__(self, folders: Folders, extra_nodes: ExtraNodes | None = None) -> None:
        self.folders = folders
        self.extra_nodes = extra_nodes if extra_nodes is not None else ExtraNodes()
        self._core = _read_dump(str(CORE_DUMP))
        self._harness = _harness_nodes()

    def _static(self, name: str) -> dict[str, Any] | None:
        return self.extra_nodes.lookup(name) or self._core.get(name) or self._harness.get(name)

    def names(self) -> list[str]:
        return list({**self._core, **self._harness, **self.extra_nodes.snapshot()})

    def has(self, name: str) -> bool:
        return self._static(name) is not None

    def info(self, name: str) -> dict[str, Any] | None:
        """One class's `/object_info` entry with live file lists, None when unknown."""
        static = self._static(name)
        if static is None:
            return None
        return self._with_live_lists(name, static)

    def all_info(self) -> dict[str, Any]:
        merged = {**self._core, **self._harness, **self.extra_nodes.snapshot()}
        return {name: self._with_live_lists(name, info) for name, info in merged.items()}

    def output_types(self, name: str) -> list:
        return list(self._static(name)["output"])

    def is_output_node(self, name: str) -> bool:
        return bool(self._static(name).get("output_node"))

    # -- live combos -----------------------------------------------------------------------

    def _live_options(self, cls: str, input_name: str) -> list[str] | None:
        folder = _MODEL_COMBOS.get((cls, input_name))
        if folder is not None:
            return self.folders.model_files(folder)
        if (cls, input_name) == ("VAELoader", "vae_name"):
            return self._vae_list()
        if cls == "LoadImage" and input_name == "image":
            return self.folders.input_files(content_types=("image",))
        if cls == "LoadImageMask" and input_name == "image":
            return self.folders.input_files()
        if cls == "LoadVideo" and input_name == "file":
            return self.folders.input_files(content_types=("video",))
        if cls == "VHS_LoadVideo" and input_name == "video":
            return self.folders.input_files(extensions=_VHS_VIDEO_EXTENSIONS)
        if cls == "LoadLatent" and input_name == "latent":
            return self.folders.input_files(extensions=("latent",))
        return None

    def _vae_list(self) -> list[str]:
        vaes = self.folders.model_files("vae") or []
        approx = self.folders.model_files("vae_approx") or []
        for name, stem in _TAESD:
            if any(a.startswith(stem + "encoder.") for a in approx) and \
                    any(a.startswith(stem + "decoder.") for a in approx):
                vaes.append(name)
        return vaes + ["pixel_space"]

    def _with_live_lists(self, cls: str, info: dict[str, Any]) -> dict[str, Any]:
        changed: dict[str, dict] = {}
        for category in ("required", "optional"):
            specs = info.get("input", {}).get(category, {})
            for input_name, spec in specs.items():
                options = self._live_options(cls, input_name)
                if options is None:
                    continue
                changed.setdefault(category, dict(specs))[input_name] = _set_options(spec, options)
        if not changed:
            return info
        return {**info, "input": {**info["input"], **changed}}


def _set_options(spec: list, options: list[str]) -> list:
    """Replace a combo's options in either spelling (V1 list type or V3 ``COMBO``)."""
    if spec and spec[0] == "COMBO":
        extra = dict(spec[1]) if len(spec) > 1 else {}
        extra["options"] = options
        return ["COMBO", extra, *spec[2:]]
    return [options, *spec[1:]]
