"""ComfyUI WebSocket messages as typed, immutable events.

`parse_text` turns a text frame (`{"type": ..., "data": {...}}`) and `parse_binary` a binary
frame into one event each. Neither raises: a frame we do not understand becomes an
`UnknownEvent`, so one odd message from a newer ComfyUI or a custom node never stops the stream.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Union

# Binary frame types (4-byte big-endian header). Type 2 never reaches the wire.
BINARY_PREVIEW_IMAGE = 1
BINARY_TEXT = 3
BINARY_PREVIEW_IMAGE_WITH_METADATA = 4

# Image format codes of a type-1 preview frame.
_LEGACY_IMAGE_MIME = {1: "image/jpeg", 2: "image/png"}

# How ComfyUI words an out-of-memory failure (see api-facts, section e).
_OOM_MESSAGE_MARKERS = ("out of memory", "this error means you ran out of memory on your gpu")


@dataclass(frozen=True)
class Status:
    """Queue length broadcast to every socket; `sid` is set only in the first message."""

    queue_remaining: int
    sid: str | None = None


@dataclass(frozen=True)
class ExecutionStart:
    prompt_id: str
    timestamp: int | None = None  # ms since the epoch, as ComfyUI sends it


@dataclass(frozen=True)
class ExecutionCached:
    prompt_id: str
    nodes: tuple[str, ...] = ()
    timestamp: int | None = None


@dataclass(frozen=True)
class Executing:
    """A node started. `node=None` with a prompt_id is the definitive end of that prompt.

    After a reconnect ComfyUI re-sends the running node without prompt_id or display_node.
    """

    prompt_id: str | None
    node: str | None
    display_node: str | None = None

    @property
    def is_end(self) -> bool:
        return self.node is None


@dataclass(frozen=True)
class Progress:
    prompt_id: str | None
    node: str | None
    value: float
    max: float


@dataclass(frozen=True)
class ProgressState:
    """Cumulative per-node snapshot: node id -> {value, max, state, ...}."""

    prompt_id: str | None
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Executed:
    """An output node finished; `output` has the same shape as `/history` outputs."""

    prompt_id: str | None
    node: str | None
    display_node: str | None = None
    output: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExecutionSuccess:
    prompt_id: str
    timestamp: int | None = None


@dataclass(frozen=True)
class ExecutionError:
    """A node raised while running. Also found in `/history/{id}` status messages."""

    prompt_id: str | None
    node_id: str | None
    node_type: str | None
    exception_type: str
    exception_message: str
    traceback: tuple[str, ...] = ()
    current_inputs: dict[str, Any] = field(default_factory=dict)
    executed: tuple[str, ...] = ()
    timestamp: int | None = None

    @property
    def is_oom(self) -> bool:
        """True when the GPU (or RAM) ran out of memory."""
        if self.exception_type.endswith("OutOfMemoryError"):
            return True
        message = self.exception_message.lower()
        return any(marker in message for marker in _OOM_MESSAGE_MARKERS)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "ExecutionError":
        return cls(
            prompt_id=_opt_str(data.get("prompt_id")),
            node_id=_opt_str(data.get("node_id")),
            node_type=_opt_str(data.get("node_type")),
            exception_type=str(data.get("exception_type") or ""),
            exception_message=str(data.get("exception_message") or ""),
            traceback=tuple(str(line) for line in data.get("traceback") or ()),
            current_inputs=dict(data.get("current_inputs") or {}),
            executed=_str_tuple(data.get("executed")),
            timestamp=data.get("timestamp"),
        )


@dataclass(frozen=True)
class ExecutionInterrupted:
    prompt_id: str | None
    node_id: str | None
    node_type: str | None
    executed: tuple[str, ...] = ()
    timestamp: int | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "ExecutionInterrupted":
        return cls(
            prompt_id=_opt_str(data.get("prompt_id")),
            node_id=_opt_str(data.get("node_id")),
            node_type=_opt_str(data.get("node_type")),
            executed=_str_tuple(data.get("executed")),
            timestamp=data.get("timestamp"),
        )


@dataclass(frozen=True)
class PreviewImage:
    """A preview frame. The legacy format (type 1) carries no node or prompt id."""

    image: bytes = field(repr=False)
    mime: str
    node_id: str | None = None
    prompt_id: str | None = None


@dataclass(frozen=True)
class TextOutput:
    """Text streamed by a node (binary type 3)."""

    node_id: str
    text: str


@dataclass(frozen=True)
class FeatureFlags:
    """The server's answer to our feature negotiation."""

    flags: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UnknownEvent:
    """Anything else: a newer message type, a custom node's message, or a malformed frame."""

    type: str
    data: Any = None


@dataclass(frozen=True)
class ConnectionLost:
    """Made by the client: the socket dropped (or could not be opened)."""

    reason: str


@dataclass(frozen=True)
class Reconnected:
    """Made by the client: the socket is back after a ConnectionLost."""


Event = Union[  # noqa: UP007 - a runtime alias over 16 classes, kept as Union
    Status, ExecutionStart, ExecutionCached, Executing, Progress, ProgressState, Executed,
    ExecutionSuccess, ExecutionError, ExecutionInterrupted, PreviewImage, TextOutput,
    FeatureFlags, UnknownEvent, ConnectionLost, Reconnected,
]


def event_prompt_id(event: object) -> str | None:
    """The prompt an event belongs to, or None when the event does not say."""
    return getattr(event, "prompt_id", None)


def parse_text(text: str | bytes) -> Event:
    """Parse one text frame into an event (never raises)."""
    try:
        message = json.loads(text)
    except (ValueError, TypeError):
        return UnknownEvent("invalid_json", {"text": str(text)[:200]})
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return UnknownEvent("invalid_message", message)
    kind, data = message["type"], message.get("data")
    parser = _TEXT_PARSERS.get(kind)
    if parser is None or not isinstance(data, dict):
        return UnknownEvent(kind, data)
    try:
        return parser(data)
    except (TypeError, ValueError, KeyError, AttributeError):
        return UnknownEvent(kind, data)


def parse_binary(frame: bytes) -> Event:
    """Parse one binary frame (preview image of either format, or node text; never raises)."""
    if len(frame) < 8:
        return UnknownEvent("invalid_binary", {"length": len(frame)})
    kind, second = struct.unpack(">II", frame[:8])
    try:
        if kind == BINARY_PREVIEW_IMAGE:
            mime = _LEGACY_IMAGE_MIME.get(second, "application/octet-stream")
            return PreviewImage(image=frame[8:], mime=mime)
        if kind == BINARY_PREVIEW_IMAGE_WITH_METADATA:
            return _parse_preview_with_metadata(frame, second)
        if kind == BINARY_TEXT:
            node_id = frame[8:8 + second].decode("utf-8")
            return TextOutput(node_id=node_id, text=frame[8 + second:].decode("utf-8", "replace"))
    except (ValueError, UnicodeDecodeError):
        pass
    return UnknownEvent(f"binary:{kind}", {"length": len(frame)})


def _parse_preview_with_metadata(frame: bytes, meta_len: int) -> PreviewImage:
    if 8 + meta_len > len(frame):
        raise ValueError("metadata longer than the frame")
    metadata = json.loads(frame[8:8 + meta_len].decode("utf-8"))
    if not isinstance(metadata, dict):
        raise ValueError("metadata is not an object")
    return PreviewImage(
        image=frame[8 + meta_len:],
        mime=str(metadata.get("image_type") or "application/octet-stream"),
        node_id=_opt_str(metadata.get("node_id")),
        prompt_id=_opt_str(metadata.get("prompt_id")),
    )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _str_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value or ())


def _status(data: dict[str, Any]) -> Status:
    exec_info = (data.get("status") or {}).get("exec_info") or {}
    return Status(int(exec_info.get("queue_remaining", 0)), _opt_str(data.get("sid")))


def _executing(data: dict[str, Any]) -> Executing:
    return Executing(
        _opt_str(data.get("prompt_id")), _opt_str(data.get("node")),
        _opt_str(data.get("display_node")),
    )


def _progress(data: dict[str, Any]) -> Progress:
    return Progress(
        _opt_str(data.get("prompt_id")), _opt_str(data.get("node")),
        float(data["value"]), float(data["max"]),
    )


def _executed(data: dict[str, Any]) -> Executed:
    return Executed(
        _opt_str(data.get("prompt_id")), _opt_str(data.get("node")),
        _opt_str(data.get("display_node")), dict(data.get("output") or {}),
    )


_TEXT_PARSERS: dict[str, Callable[[dict[str, Any]], Event]] = {
    "status": _status,
    "execution_start": lambda d: ExecutionStart(str(d["prompt_id"]), d.get("timestamp")),
    "execution_cached": lambda d: ExecutionCached(
        str(d["prompt_id"]), _str_tuple(d.get("nodes")), d.get("timestamp")
    ),
    "executing": _executing,
    "progress": _progress,
    "progress_state": lambda d: ProgressState(
        _opt_str(d.get("prompt_id")), dict(d.get("nodes") or {})
    ),
    "executed": _executed,
    "execution_success": lambda d: ExecutionSuccess(str(d["prompt_id"]), d.get("timestamp")),
    "execution_error": ExecutionError.from_data,
    "execution_interrupted": ExecutionInterrupted.from_data,
    "feature_flags": lambda d: FeatureFlags(dict(d)),
}
