"""Workflows inside files: a ComfyUI JSON, or the graph ComfyUI's save nodes embed in outputs.

ComfyUI writes the executed graph ("prompt", API format) and the editor's graph ("workflow", UI
format) into what it saves: PNG text chunks (SaveImage), EXIF strings "prompt:{...}" and
"workflow:{...}" in an animated WebP (SaveAnimatedWEBP), and MP4 metadata keys (SaveVideo:
moov/udta/meta with `keys` + `ilst`, the "mdta" handler). `read_workflow(path)` finds it; the
API graph is preferred, as it holds the exact values that ran.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.workflow.importer import ImportedWorkflow, import_workflow

IMAGE_SUFFIXES = (".png", ".webp")
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v")
WORKFLOW_SUFFIXES = (".json", *IMAGE_SUFFIXES, *VIDEO_SUFFIXES)
_KEYS = ("prompt", "workflow")  # in order of preference
_CONTAINERS = {b"moov", b"udta", b"meta", b"ilst", b"trak"}
_MAX_MOOV = 64 * 1024 * 1024  # metadata lives in moov; a larger one is not ComfyUI's


def is_workflow_file(path: Path) -> bool:
    """Whether a dropped file may hold a workflow (by its name; reading says for sure)."""
    return Path(path).suffix.lower() in WORKFLOW_SUFFIXES


def read_workflow(path: Path, object_info: dict[str, Any] | None = None) -> ImportedWorkflow:
    """Import the workflow a file is or holds; WorkflowError says why not."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            return import_workflow(path.read_bytes(), object_info)
        if suffix in IMAGE_SUFFIXES:
            found = image_metadata(path)
        elif suffix in VIDEO_SUFFIXES:
            found = mp4_metadata(path)
        else:
            raise WorkflowError(f"{path.name} is not a workflow file.",
                                hint="Drop a .json workflow, or a PNG, WebP or MP4 "
                                     "saved by ComfyUI.")
    except OSError as exc:
        raise WorkflowError(f"{path.name} cannot be read ({exc.strerror or exc}).",
                            hint="Check that the file exists and is readable.") from None
    for key in _KEYS:
        text = found.get(key)
        if text:
            return import_workflow(text, object_info)
    raise WorkflowError(f"{path.name} holds no ComfyUI workflow.",
                        hint="Only files saved by ComfyUI's save nodes carry one (with the "
                             "metadata option on); or export the workflow as JSON in ComfyUI.")


def image_metadata(path: Path) -> dict[str, str]:
    """PNG text chunks, or a WebP's EXIF strings "key:value", as {key: text}."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            found = {k: v for k, v in getattr(image, "text", {}).items() if k in _KEYS}
            for value in image.getexif().values():
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if isinstance(value, str) and ":" in value:
                    key, _, text = value.partition(":")
                    if key in _KEYS:
                        found.setdefault(key, text)
    except (UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise WorkflowError(f"{path.name} is not a readable image ({exc}).",
                            hint="Drop a PNG or WebP saved by ComfyUI.") from None
    return found


def mp4_metadata(path: Path) -> dict[str, str]:
    """The string values of an MP4's `mdta` metadata (moov/udta/meta or moov/meta)."""
    with open(path, "rb") as file:
        moov = _find_top_box(file, b"moov")
    if moov is None:
        return {}
    found: dict[str, str] = {}
    _walk(moov, found)
    return found


def _find_top_box(file: Any, kind: bytes) -> bytes | None:
    while True:
        header = file.read(8)
        if len(header) < 8:
            return None
        size, box = struct.unpack(">I4s", header)
        skip = 8
        if size == 1:
            size = struct.unpack(">Q", file.read(8))[0]
            skip = 16
        elif size == 0:  # to the end of the file
            size = None
        if box == kind:
            length = (size - skip) if size is not None else _MAX_MOOV
            if length > _MAX_MOOV:
                return None
            return file.read(length)
        if size is None:
            return None
        file.seek(size - skip, 1)


def _boxes(data: bytes):
    """(type, payload) of each box in `data`."""
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        head = 8
        if size == 1 and at + 16 <= len(data):
            size, head = struct.unpack(">Q", data[at + 8:at + 16])[0], 16
        elif size == 0:
            size = len(data) - at
        if size < head or at + size > len(data):
            return
        yield kind, data[at + head:at + size]
        at += size


def _walk(data: bytes, found: dict[str, str]) -> None:
    for kind, payload in _boxes(data):
        if kind == b"meta":
            _read_meta(payload, found)
        elif kind in _CONTAINERS:
            _walk(payload, found)


def _read_meta(payload: bytes, found: dict[str, str]) -> None:
    # QuickTime's meta has no version/flags; ISO's has 4 bytes of them first.
    body = payload if payload[4:8] == b"hdlr" else payload[4:]
    children = dict(_boxes(body))
    keys = _keys(children.get(b"keys", b""))
    for kind, item in _boxes(children.get(b"ilst", b"")):
        index = struct.unpack(">I", kind)[0]
        if 1 <= index <= len(keys):
            for sub, value in _boxes(item):
                if sub == b"data" and len(value) >= 8:
                    found.setdefault(keys[index - 1], value[8:].decode("utf-8", "replace"))


def _keys(payload: bytes) -> list[str]:
    if len(payload) < 8:
        return []
    count = struct.unpack(">I", payload[4:8])[0]
    names, at = [], 8
    for _ in range(count):
        if at + 8 > len(payload):
            break
        size = struct.unpack(">I", payload[at:at + 4])[0]
        if size < 8:
            break
        names.append(payload[at + 8:at + size].decode("utf-8", "replace"))
        at += size
    return names

