"""Which model files and interpolation nodes a server has, for the form's choices.

Model combos in `/object_info` list what is on disk right now, so one fresh read per loader
class tells which Wan files are installed; reading the RIFE/FILM classes the same way tells
whether "After generation: RIFE/FILM" can run there.
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
    """Installed files per ModelFiles field (HTTP: call it off the GUI thread)."""
    lists: dict[str, list[str]] = {}
    for node_class in sorted({c for c, _ in MODEL_SOURCES.values()}):
        info = client.object_info(node_class, refresh=True)
        for key, (cls, name) in MODEL_SOURCES.items():
            if cls == node_class:
                lists[key] = combo_options(info, cls, name)
    return lists


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
                             rife_models(client))
    finally:
        client.close()
