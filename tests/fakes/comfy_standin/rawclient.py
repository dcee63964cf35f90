"""A bare requests + websocket-client helper for tests that talk to a (stand-in) ComfyUI."""

from __future__ import annotations

import json
import struct
import time
import uuid
from typing import Any

import requests
import websocket


class RawClient:
    """One WebSocket session plus HTTP calls, with no protocol smarts of its own."""

    def __init__(self, url: str, client_id: str | None = None, *, preview_metadata: bool = False,
                 timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.client_id = client_id or uuid.uuid4().hex
        self.timeout = timeout
        self.ws = websocket.create_connection(
            self.url.replace("http://", "ws://") + f"/ws?clientId={self.client_id}", timeout=timeout)
        if preview_metadata:
            self.ws.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
        self.hello = json.loads(self.ws.recv())  # the `status` every new socket gets

    def close(self) -> None:
        self.ws.close()

    def __enter__(self) -> "RawClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def queue(self, graph: dict, **body: Any) -> requests.Response:
        """POST /prompt with this session's client_id (pass client_id=None to leave it out)."""
        payload = {"prompt": graph, "client_id": self.client_id, **body}
        if payload["client_id"] is None:
            del payload["client_id"]
        return requests.post(self.url + "/prompt", json=payload, timeout=self.timeout)

    def run(self, graph: dict, **body: Any) -> tuple[str, list]:
        """Queue a graph and collect messages until its ``executing`` node=null."""
        reply = self.queue(graph, **body)
        assert reply.status_code == 200, reply.text
        prompt_id = reply.json()["prompt_id"]
        return prompt_id, self.until_end(prompt_id)

    def until_end(self, prompt_id: str) -> list:
        messages: list = []
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = decode(self.ws.recv())
            messages.append(message)
            if isinstance(message, dict) and message["type"] == "executing" \
                    and message["data"].get("node") is None and message["data"].get("prompt_id") == prompt_id:
                return messages
        raise TimeoutError(f"no end marker for {prompt_id}; got {types(messages)}")

    def history(self, prompt_id: str) -> dict:
        return requests.get(f"{self.url}/history/{prompt_id}", timeout=self.timeout).json().get(prompt_id, {})


def decode(message: str | bytes) -> dict | tuple:
    """JSON messages as dicts; binary frames as ("binary", event_type, header, image_bytes)."""
    if isinstance(message, str):
        return json.loads(message)
    event = struct.unpack(">I", message[:4])[0]
    if event == 4:
        length = struct.unpack(">I", message[4:8])[0]
        return ("binary", 4, json.loads(message[8:8 + length]), message[8 + length:])
    return ("binary", event, struct.unpack(">I", message[4:8])[0], message[8:])


def types(messages: list) -> list[str]:
    return [m["type"] if isinstance(m, dict) else f"binary{m[1]}" for m in messages]


def wait_for_history(url: str, prompt_id: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = requests.get(f"{url}/history/{prompt_id}", timeout=timeout).json()
        if entry:
            return entry[prompt_id]
        time.sleep(0.05)
    raise TimeoutError(f"{prompt_id} never reached /history")
