"""The recorded ComfyUI exchanges (real ComfyUI 0.3.64) that the client tests replay.

Binary WebSocket frames were recorded as their header fields and image size, not their bytes;
`binary_frame` rebuilds a frame with the same layout and length.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, Iterator

TRANSCRIPTS = Path(__file__).parent / "comfy_data" / "transcripts"

_MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff\xe0"}


def names() -> list[str]:
    return sorted(p.name for p in TRANSCRIPTS.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    return json.loads((TRANSCRIPTS / name).read_text(encoding="utf-8"))


def events(name: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in load(name)["events"] if e["kind"] == kind]


def ws_messages(name: str) -> Iterator[dict[str, Any]]:
    for event in events(name, "ws_recv"):
        yield event["json"]


def http(name: str, method: str, path: str) -> list[dict[str, Any]]:
    return [e for e in events(name, "http") if e["method"] == method and e["path"] == path]


def fake_image(magic: str, size: int) -> bytes:
    head = _MAGIC[magic]
    return head + b"\x00" * (size - len(head))


def binary_frame(recorded: dict[str, Any]) -> bytes:
    """A frame with the recorded header, metadata and image size."""
    image = fake_image(recorded["image_magic"], recorded["image_bytes"])
    if recorded["event_type"] == 1:
        return struct.pack(">II", 1, recorded["image_type_code"]) + image
    metadata = json.dumps(recorded["metadata"]).encode("utf-8")
    return struct.pack(">II", 4, len(metadata)) + metadata + image
