"""Which model files and interpolation nodes a server has, for the form's choices.

Model combos in `/object_info` list what is on disk right now, so one fresh read per loader
class tells which Wan files are installed; reading the RIFE/FILM classes the same way tells
whether "After generation: RIFE/FILM" can run there. The expert lists hold the GGUF pack's
`.gguf` files too when the server has UnetLoaderGGUF (the builder loads those with it), and
LoraLoaderModelOnly's list is the LoRA library the user picks extra LoRAs from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# ModelFiles field -> (node class, input name) whose combo lists the files.
MODEL_SOURCES: dict[str, tuple[str, str]] = {
    "unet_high": ("UNETLoader", "unet_name"),
    "unet_low": ("UNETLoader", "unet_name"),
    "lora_high": ("LoraLoaderModelOnly", "lora_name"),
    "lora_low": ("LoraLoaderModelOnly", "lora_name"),
    "text_encoder": ("CLIPLoader", "clip_name"),
    "vae": ("VAELoader", "vae_name"),
}
GGUF_SOURCE = ("UnetLoaderGGUF", "unet_name")  # the ComfyUI-GGUF pack's experts
LORA_LIBRARY = "loras"  # key of fetch_model_lists' reply: every file of models/loras


def combo_options(object_info: dict, node_class: str, input_name: str) -> list[str]:
    """The options of a combo input in either spelling (V1 list-in-type or V3 "COMBO")."""
    spec = object_info.get(node_class, {}).get("input", {})
    for group in ("required", "optional"):
        entry = spec.get(group, {}).get(input_name)
        if not entry:
            continue
        if isinstance(entry[0], list):
            return [str(o) for o in entry[0]]
        if entry[0] == "COMBO" and len(entry) > 1 and isinstance(entry[1], dict):
            return [str(o) for o in entry[1].get("options", [])]
    return []


def fetch_model_lists(client: Any) -> dict[str, list[str]]:
    """Installed files per ModelFiles field, plus the LoRA library under LORA_LIBRARY
    (HTTP: call it off the GUI thread)."""
    lists: dict[str, list[str]] = {}
    for node_class in sorted({c for c, _ in MODEL_SOURCES.values()}):
        info = client.object_info(node_class, refresh=True)
        for key, (cls, name) in MODEL_SOURCES.items():
            if cls == node_class:
                lists[key] = combo_options(info, cls, name)
    gguf = combo_options(client.object_info(GGUF_SOURCE[0], refresh=True), *GGUF_SOURCE)
    for key in ("unet_high", "unet_low"):
        lists[key] = lists.get(key, []) + gguf
    lists[LORA_LIBRARY] = list(lists.get("lora_high", []))
    return lists


def server_vram(client: Any) -> int | None:
    """Total memory of the server's first GPU, from /system_stats (None when it has none)."""
    try:
        devices = client.system_stats().get("devices") or []
        total = devices[0].get("vram_total") if devices else None
    except (AttributeError, IndexError, TypeError):
        return None
    return int(total) if isinstance(total, (int, float)) and total > 0 else None


def interpolation_support(client: Any) -> dict[str, str | None]:
    """Per method ("rife", "film"): None when the server can interpolate after generation,
    else the note of the built-in engine's run instead: why, and what to install (HTTP: call
    it off the GUI thread)."""
    from wan22_gui.core.interpolation.comfy_vfi import METHODS
    from wan22_gui.core.interpolation.fallback import missing_engine, server_version, vfi_info

    info, version = vfi_info(client), server_version(client)
    return {method: missing_engine(info, method, comfyui_version=version) for method in METHODS}


def rife_models(client: Any) -> list[str]:
    """The RIFE models the server offers (core frame_interpolation files, else the pack's
    checkpoints), for the form's RIFE model choice and `--rife-model`."""
    from wan22_gui.core.interpolation.comfy_vfi import model_choices

    from wan22_gui.core.interpolation.fallback import vfi_info

    return model_choices(vfi_info(client), "rife")


@dataclass(frozen=True)
class ServerChoices:
    """What the Generate form offers for one server: model files and interpolation."""

    models: dict[str, list[str]] = field(default_factory=dict)
    interpolation: dict[str, str | None] = field(default_factory=dict)
    rife_models: list[str] = field(default_factory=list)
    vram_total: int | None = None  # the server's GPU, for "which experts fit"


def model_lists_at(url: str) -> dict[str, list[str]]:
    """`fetch_model_lists` for the server at `url`, with a client of its own."""
    return server_choices_at(url, interpolation=False).models


def server_choices_at(url: str, *, interpolation: bool = True) -> ServerChoices:
    """Model lists (and interpolation support) of the server at `url`, one client for both."""
    from wan22_gui.core.comfy.client import ComfyClient

    client = ComfyClient(url)
    try:
        if not interpolation:
            return ServerChoices(fetch_model_lists(client))
        return ServerChoices(fetch_model_lists(client), interpolation_support(client),
                             rife_models(client), server_vram(client))
    finally:
        client.close()
