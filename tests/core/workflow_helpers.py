"""Shared data for the workflow tests: the official templates and the bundled node schemas."""

from __future__ import annotations

import json
from pathlib import Path

from wan22_gui.core.base.resources import read_json

DATA = Path(__file__).parent / "workflow_data"
API_LORA = "video_wan2_2_14B_i2v.api.from-0.1.95.json"
API_BASE = "video_wan2_2_14B_i2v.api.from-0.1.95.fp8-20step-variant.json"
UI_TEMPLATE = "video_wan2_2_14B_i2v.ui.templates-0.1.95.json"
# The seeds the template happened to hold when it was converted (API format has no "randomize").
SEED_LORA = 138073435077572
SEED_BASE = 306189419888845


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def object_info() -> dict:
    """Schemas of the nodes the Wan workflows use, as a real server reports them."""
    return read_json("workflows", "object_info_wan.json")


def template_prompt() -> str:
    return load(API_LORA)["93"]["inputs"]["text"]
