"""Which model files a server has, for the form's model choices.

Model combos in `/object_info` list what is on disk right now, so one fresh read per loader
class tells which Wan files are installed.
"""

from __future__ import annotations

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
        for field, (cls, name) in MODEL_SOURCES.items():
            if cls == node_class:
                lists[field] = combo_options(info, cls, name)
    return lists


def model_lists_at(url: str) -> dict[str, list[str]]:
    """`fetch_model_lists` for the server at `url`, with a client of its own."""
    from wan22_gui.core.comfy.client import ComfyClient

    client = ComfyClient(url)
    try:
        return fetch_model_lists(client)
    finally:
        client.close()
