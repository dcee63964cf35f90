"""A remote backend behind a reverse proxy that wants a token: the client sends the header on
every HTTP request and on the WebSocket handshake, and a missing token is said in words."""

from __future__ import annotations

import asyncio
import threading
from typing import Iterator

import pytest
from aiohttp import web

from wan22_gui.core.base.errors import ComfyApiError
from wan22_gui.core.comfy.client import ComfyClient
from wan22_gui.core.comfy.stream import EventStream
from wan22_gui.core.comfy.transport import auth_header

TOKEN = "proxy-token-7f3a"
STATS = {"system": {"os": "posix", "comfyui_version": "0.3.64"}, "devices": []}


class Gate:
    """A proxy's token check in front of two ComfyUI routes, on a free loopback port."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @web.middleware
    async def _check(self, request: web.Request, handler):
        self.seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.Response(status=401, text="401 Authorization Required")
        return await handler(request)

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(STATS)

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "status", "data": {"status": {"exec_info":
                                                                  {"queue_remaining": 0}}}})
        async for _ in ws:
            pass
        return ws

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(middlewares=[self._check])
        app.router.add_get("/system_stats", self._stats)
        app.router.add_get("/ws", self._ws)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def gate() -> Iterator[Gate]:
    server = Gate()
    server.start()
    yield server
    server.stop()


def test_a_bare_token_goes_in_authorization_as_bearer_and_a_custom_header_as_is():
    assert auth_header(TOKEN) == ("Authorization", f"Bearer {TOKEN}")
    assert auth_header("Basic dXNlcjpwYXNz") == ("Authorization", "Basic dXNlcjpwYXNz")
    assert auth_header(TOKEN, "X-Api-Key") == ("X-Api-Key", TOKEN)
    assert auth_header(None) is None


def test_the_client_sends_the_token_on_every_request(gate):
    client = ComfyClient(gate.url, auth=auth_header(TOKEN))
    try:
        assert client.system_stats()["system"]["comfyui_version"] == "0.3.64"
        client.system_stats()
    finally:
        client.close()
    assert gate.seen == [f"Bearer {TOKEN}"] * 2


def test_without_the_token_the_user_reads_that_the_server_refused(gate):
    client = ComfyClient(gate.url)
    try:
        with pytest.raises(ComfyApiError, match="HTTP 401") as caught:
            client.system_stats()
    finally:
        client.close()
    assert gate.url in caught.value.user_text()


@pytest.mark.parametrize("auth,connects", [(auth_header(TOKEN), True), (None, False)])
def test_the_websocket_handshake_carries_the_token(gate, auth, connects):
    stream = EventStream(gate.url, "cid", auth=auth, backoff_initial=0.05, connect_timeout=2.0)
    stream.start()
    try:
        assert stream.wait_connected(5.0 if connects else 1.0) is connects
    finally:
        stream.stop()
    assert gate.seen and gate.seen[0] == (f"Bearer {TOKEN}" if connects else None)
