"""Replay a recorded ComfyUI transcript against a server and list where the replies differ.

Compared: HTTP status, content type and the JSON *shape* (keys and value types; id-keyed maps
and list lengths are not compared), and each WebSocket message's type and data shape, in order.
Recorded prompt ids are mapped to the ids the replayed server hands out.

Two recording races are normalised first: a `status` broadcast logged just before the
`POST /prompt` (or `/queue`) reply that caused it is moved after that reply. In ``tolerant``
mode runs of `progress`/`progress_state`/preview messages may be longer or shorter than
recorded (steps keep coming while the client talks to the server, or are lost while its socket
is down); everything else must still match in order.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any, Callable

import requests
import websocket

TRANSCRIPTS = Path(__file__).parent / "data" / "transcripts"
# The order the recording session ran them in (prompt numbers 0..24 follow it).
SESSION_ORDER = ("01_upload_image", "02_success_video_core_nodes", "03_cached_rerun",
                 "04_ws_binary_frames_legacy", "05_ws_binary_frames_with_metadata",
                 "06_sampler_like_progress_with_previews", "07_interrupt_and_queue",
                 "07b_interrupt_stock_nodes", "07c_idle_interrupt_is_noop",
                 "09_prompt_without_client_id", "09b_ws_reconnect_same_client_id",
                 "08_validation_failures", "10_validation_wan_template_without_models",
                 "12_execution_error_wan_dummy_models", "13_execution_error_oom_simulated",
                 "14_http_endpoints")
PROGRESSISH = {"progress", "progress_state", "binary"}
_ID = re.compile(r"^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


def load(name: str) -> dict:
    return json.loads((TRANSCRIPTS / f"{name}.json").read_text(encoding="utf-8"))


def shape(value: Any) -> Any:
    """Keys and value types; maps keyed by node/prompt ids collapse to one ``<id>`` key."""
    if isinstance(value, dict):
        if value and all(_ID.match(str(k)) for k in value):
            merged: dict = {}
            for item in value.values():
                merged = _merge(merged, shape(item))
            return {"<id>": merged}
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(shape(v), sort_keys=True) for v in value})
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, (int, float)):
        return type(value).__name__
    return "str"


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        return {**a, **b}
    return b


def normalise(events: list[dict]) -> list[dict]:
    """Move `status` broadcasts logged before the reply of the request that caused them."""
    out = list(events)
    for index, event in enumerate(out):
        if event["kind"] == "http" and event["method"] == "POST" and event["path"] in ("/prompt", "/queue"):
            start = index
            while start > 0 and _is_plain_status(out[start - 1]):
                start -= 1
            if start < index:
                moved = out[start:index]
                out[start:index + 1] = [event, *moved]
    return out


def _is_plain_status(event: dict) -> bool:
    return event["kind"] == "ws_recv" and event["json"]["type"] == "status" \
        and "sid" not in event["json"]["data"]


class Replayer:
    """Drives one server through transcripts; collects human-readable mismatches."""

    def __init__(self, base_url: str, upload_bytes: Callable[[str, int], bytes], timeout: float = 15) -> None:
        self.base_url = base_url.rstrip("/")
        self.upload_bytes = upload_bytes
        self.timeout = timeout
        self.ids: dict[str, str] = {}
        self.mismatches: list[str] = []
        self.replies: list[tuple[dict, requests.Response]] = []
        self.ws_messages: list[Any] = []
        self.on_event: Callable[[dict], None] = lambda event: None
        self._ws: websocket.WebSocket | None = None
        self._pushed: Any = None

    def run(self, name: str, *, tolerant: bool = False) -> list[str]:
        self.scenario, self.tolerant = name, tolerant
        events = normalise(load(name)["events"])
        for index, event in enumerate(events):
            self.on_event(event)
            handler = getattr(self, "_" + event["kind"], None)
            if handler is not None:
                following = events[index + 1] if index + 1 < len(events) else None
                handler(event, following)
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        return self.mismatches

    def _fail(self, text: str) -> None:
        self.mismatches.append(f"{self.scenario}: {text}")

    def _map_ids(self, text: str) -> str:
        for recorded, actual in self.ids.items():
            text = text.replace(recorded, actual)
        return text

    # -- http ----------------------------------------------------------------------------------

    def _http(self, event: dict, _following: dict | None) -> None:
        path = self._map_ids(event["path"])
        kwargs: dict[str, Any] = {"timeout": self.timeout}
        if "params" in event:
            kwargs["params"] = json.loads(self._map_ids(json.dumps(event["params"])))
        if "request_json" in event:
            kwargs["json"] = json.loads(self._map_ids(json.dumps(event["request_json"])))
        elif "request_body" in event:
            kwargs["data"] = event["request_body"].encode()
        if "request_form" in event or "request_files" in event:
            kwargs["data"] = event.get("request_form", {})
            kwargs["files"] = {field: (name, self.upload_bytes(name, size), mime)
                               for field, (name, size, mime) in event.get("request_files", {}).items()}
        reply = requests.request(event["method"], self.base_url + path, **kwargs)
        self.replies.append((event, reply))
        where = f"{event['method']} {event['path']}"
        if reply.status_code != event["status"]:
            self._fail(f"{where}: status {reply.status_code} != recorded {event['status']}: {reply.text[:300]}")
            return
        if reply.headers.get("Content-Type") != event["content_type"]:
            self._fail(f"{where}: content type {reply.headers.get('Content-Type')!r} != {event['content_type']!r}")
        if "response_json" in event:
            got = reply.json()
            if event["path"] == "/prompt" and event["method"] == "POST" and "prompt_id" in got:
                self.ids[event["response_json"]["prompt_id"]] = got["prompt_id"]
            if shape(got) != shape(event["response_json"]):
                self._fail(f"{where}: JSON shape differs:\n  got      {json.dumps(shape(got))[:600]}\n"
                           f"  recorded {json.dumps(shape(event['response_json']))[:600]}")
        for header in ("Content-Disposition",):
            recorded = event.get("response_headers", {}).get(header)
            if recorded is not None and reply.headers.get(header) is None:
                self._fail(f"{where}: header {header} missing")

    # -- websocket -----------------------------------------------------------------------------

    def _ws_connect(self, event: dict, _following: dict | None) -> None:
        url = self.base_url.replace("http://", "ws://") + "/ws" + event["url"].split("/ws", 1)[1]
        self._ws = websocket.create_connection(url, timeout=self.timeout)
        self._pushed = None

    def _ws_send(self, event: dict, _following: dict | None) -> None:
        self._ws.send(json.dumps(event["json"]))

    def _ws_closed(self, event: dict, following: dict | None) -> None:
        if following is not None and following["kind"] in ("note", "ws_connect") and self._ws is not None:
            self._ws.close()
            self._ws = None

    def _next(self) -> Any:
        if self._pushed is not None:
            message, self._pushed = self._pushed, None
            return message
        message = self._ws.recv()
        self.ws_messages.append(message)
        return message

    def _ws_recv(self, event: dict, _following: dict | None) -> None:
        self._expect(event["json"]["type"], event)

    def _ws_recv_binary(self, event: dict, _following: dict | None) -> None:
        self._expect("binary", event)

    def _expect(self, kind: str, event: dict) -> None:
        while True:
            try:
                message = self._next()
            except websocket.WebSocketTimeoutException:
                self._fail(f"timed out waiting for WS {kind}")
                return
            got = "binary" if isinstance(message, bytes) else json.loads(message)["type"]
            if self.tolerant and got in PROGRESSISH and kind not in PROGRESSISH:
                continue  # extra steps while the client was busy
            if self.tolerant and kind in PROGRESSISH and got not in PROGRESSISH:
                self._pushed = message  # fewer steps than recorded: skip the expectation
                return
            break
        if got != kind:
            self._fail(f"WS {got} received where the recording has {kind}")
            return
        if kind == "binary":
            self._compare_binary(message, event)
        elif not (self.tolerant and kind in PROGRESSISH):
            data = json.loads(message)["data"]
            if kind == "executed":
                self._map_files(event["json"]["data"].get("output"), data.get("output"))
            if shape(data) != shape(event["json"]["data"]):
                self._fail(f"WS {kind} data shape differs:\n  got      {json.dumps(shape(data))[:400]}\n"
                           f"  recorded {json.dumps(shape(event['json']['data']))[:400]}")

    def _map_files(self, recorded: Any, got: Any) -> None:
        """Remember recorded output file names -> the replay's (counters differ)."""
        if isinstance(recorded, dict) and isinstance(got, dict):
            for key in recorded:
                self._map_files(recorded[key], got.get(key))
        elif isinstance(recorded, list) and isinstance(got, list):
            for a, b in zip(recorded, got):
                if isinstance(a, dict) and isinstance(b, dict) and "filename" in a and "filename" in b:
                    self.ids[a["filename"]] = b["filename"]

    def _compare_binary(self, message: bytes, event: dict) -> None:
        event_type = struct.unpack(">I", message[:4])[0]
        if event_type != event["event_type"]:
            self._fail(f"binary event type {event_type} != recorded {event['event_type']}")
        elif event_type == 1 and struct.unpack(">I", message[4:8])[0] != event["image_type_code"]:
            self._fail(f"binary image type {struct.unpack('>I', message[4:8])[0]} != {event['image_type_code']}")
        elif event_type == 4:
            length = struct.unpack(">I", message[4:8])[0]
            metadata = json.loads(message[8:8 + length])
            if shape(metadata) != shape(event["metadata"]) or metadata["image_type"] != event["metadata"]["image_type"]:
                self._fail(f"binary metadata {metadata} differs from {event['metadata']}")
