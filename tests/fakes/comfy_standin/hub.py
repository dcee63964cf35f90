"""WebSocket sessions and the one ordered message pipe from the worker thread to them.

Like ComfyUI, every event goes through a single asyncio queue drained by one task, so sockets see
events in the order the worker produced them. ``sid=None`` means "every socket".
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import uuid
from typing import Any, Callable

from aiohttp import WSMsgType, web

PREVIEW_IMAGE = 1
TEXT = 3
PREVIEW_IMAGE_WITH_METADATA = 4
SERVER_FEATURES_BASE = {"supports_preview_metadata": True}

# Pseudo events the worker queues for binary frames.
LEGACY_PREVIEW = "__preview_legacy__"
METADATA_PREVIEW = "__preview_metadata__"

log = logging.getLogger(__name__)


class Hub:
    """Sockets by client id, their feature flags, and the publisher task."""

    def __init__(self, queue_info: Callable[[], dict], max_upload_size: int) -> None:
        self._queue_info = queue_info
        self.max_upload_size = max_upload_size
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self._transports: dict[int, Any] = {}  # id(ws) -> its TCP transport, to cut it abruptly
        self.metadata: dict[str, dict] = {}
        self.client_id: str | None = None  # the running prompt's client (worker sets it)
        self.last_node_id: str | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._messages: asyncio.Queue | None = None
        self._publisher: asyncio.Task | None = None
        self.on_connect: Callable[[], None] = lambda: None

    # -- lifecycle (loop thread) --------------------------------------------------------------

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._messages = asyncio.Queue()
        self._publisher = loop.create_task(self._publish())

    async def close(self, abort: bool = False) -> None:
        """Close every socket (``abort``: drop the TCP connection without a close frame)."""
        for ws in list(self.sockets.values()):
            try:
                transport = self._transports.get(id(ws))
                if abort and transport is not None:
                    transport.abort()
                else:
                    await ws.close()
            except Exception:  # noqa: BLE001 - a socket already gone is fine
                pass

    async def shutdown(self) -> None:
        await self.close()
        if self._publisher is not None:
            self._publisher.cancel()

    # -- sending ------------------------------------------------------------------------------

    def features(self) -> dict:
        return {**SERVER_FEATURES_BASE, "max_upload_size": self.max_upload_size}

    def send_sync(self, event: Any, data: Any, sid: str | None = None) -> None:
        """Queue an event from any thread; dropped silently once the loop is gone."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._messages.put_nowait, (event, data, sid))
        except RuntimeError:
            pass

    def queue_updated(self) -> None:
        self.send_sync("status", {"status": self._queue_info()})

    def supports_metadata(self, sid: str | None) -> bool:
        meta = self.metadata.get(sid) if sid is not None else None
        return bool(meta) and meta.get("feature_flags", {}).get("supports_preview_metadata", False) is True

    async def _publish(self) -> None:
        while True:
            event, data, sid = await self._messages.get()
            try:
                await self.send(event, data, sid)
            except Exception:  # noqa: BLE001 - one bad send must not stop the pipe
                log.exception("stand-in: failed to send %s", event)

    async def send(self, event: Any, data: Any, sid: str | None) -> None:
        if event == LEGACY_PREVIEW:
            fmt, image = data
            payload = struct.pack(">I", 1 if fmt == "JPEG" else 2) + image
            await self._send_bytes(PREVIEW_IMAGE, payload, sid)
        elif event == METADATA_PREVIEW:
            fmt, image, metadata = data
            metadata = {**metadata, "image_type": "image/png" if fmt == "PNG" else "image/jpeg"}
            meta = json.dumps(metadata).encode("utf-8")
            await self._send_bytes(PREVIEW_IMAGE_WITH_METADATA, struct.pack(">I", len(meta)) + meta + image, sid)
        else:
            await self._send_json(event, data, sid)

    def _targets(self, sid: str | None) -> list[web.WebSocketResponse]:
        if sid is None:
            return list(self.sockets.values())
        return [self.sockets[sid]] if sid in self.sockets else []

    async def _send_json(self, event: str, data: Any, sid: str | None) -> None:
        for ws in self._targets(sid):
            await _quietly(ws.send_json({"type": event, "data": data}))

    async def _send_bytes(self, event: int, payload: bytes, sid: str | None) -> None:
        message = struct.pack(">I", event) + payload
        for ws in self._targets(sid):
            await _quietly(ws.send_bytes(message))

    # -- the /ws route ------------------------------------------------------------------------

    async def websocket_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.rel_url.query.get("clientId", "")
        if sid:
            self.sockets.pop(sid, None)  # reusing a session: the old socket is forgotten
        else:
            sid = uuid.uuid4().hex
        self.sockets[sid] = ws
        self.metadata[sid] = {"feature_flags": {}}
        self._transports[id(ws)] = request.transport
        self.on_connect()
        try:
            await self.send("status", {"status": self._queue_info(), "sid": sid}, sid)
            if self.client_id == sid and self.last_node_id is not None:
                await self.send("executing", {"node": self.last_node_id}, sid)
            first_message = True
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                    if first_message and data.get("type") == "feature_flags":
                        self.metadata.setdefault(sid, {})["feature_flags"] = data.get("data", {})
                        await self.send("feature_flags", self.features(), sid)
                    first_message = False
                except (ValueError, AttributeError):
                    log.warning("Invalid JSON received from client %s: %s", sid, msg.data)
        finally:
            # As in ComfyUI 0.3.64: this also forgets a newer socket that reused the id.
            self.sockets.pop(sid, None)
            self.metadata.pop(sid, None)
            self._transports.pop(id(ws), None)
        return ws


async def _quietly(coro) -> None:
    try:
        await coro
    except Exception:  # noqa: BLE001 - like send_socket_catch_exception
        pass
