"""Fixtures and helpers of the ComfyUI client tests.

`comfy_url` is the stand-in ComfyUI normally and the real server named by WAN22_COMFYUI_URL when
that variable is set (the integration tier). Tests that script faults or read the stand-in's
internals ask for `standin_only`, which skips them against a real server. `ScriptedHttp` is a tiny
HTTP server whose replies a test writes itself (HTML pages, slow or broken answers).

Test modules import the fixtures they use: `from tests.core.comfy_fixtures import comfy_url`.
"""

from __future__ import annotations

import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest

REAL_URL_VAR = "WAN22_COMFYUI_URL"


def real_comfy_url() -> str | None:
    """The real ComfyUI to test against, or None (then the stand-in is used)."""
    return os.environ.get(REAL_URL_VAR) or None


integration = pytest.mark.integration
needs_real_comfy = pytest.mark.skipif(
    real_comfy_url() is None,
    reason=f"integration test: set {REAL_URL_VAR} to the address of a running ComfyUI",
)


@pytest.fixture
def standin_only():
    """Skip against a real ComfyUI: the test scripts faults or reads stand-in internals."""
    if real_comfy_url():
        pytest.skip("needs the stand-in's scripted faults; not run against a real ComfyUI")


@pytest.fixture
def comfy_url(request) -> str:
    """Address of the ComfyUI the client tests talk to."""
    url = real_comfy_url()
    if url:
        return url.rstrip("/")
    return request.getfixturevalue("standin").url


def closed_port_url() -> str:
    """An address where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


Reply = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that gave up (timeout tests) is expected: no traceback on stderr."""


class ScriptedHttp:
    """A local HTTP server: `routes[path]` writes the reply for GET/POST of that path."""

    def __init__(self, routes: dict[str, Reply]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                path = self.path.split("?", 1)[0]
                scripted.requests.append((self.command, self.path, dict(self.headers)))
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length) if length else b""
                reply = scripted.routes.get(path) or scripted.routes.get("*")
                if reply is None:
                    self.send_error(404)
                    return
                reply(self)

            do_GET = do_POST = _serve

            def log_message(self, *args) -> None:  # keep test output clean
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes,
         content_type: str = "application/json; charset=utf-8",
         headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def scripted_http():
    """Factory: `scripted_http({"/system_stats": reply, ...})` -> a running ScriptedHttp."""
    servers: list[ScriptedHttp] = []

    def make(routes: dict[str, Reply]) -> ScriptedHttp:
        server = ScriptedHttp(routes)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


# --- graphs and a connected client ---------------------------------------------------------------

def make_png(path, color=(200, 40, 40), size=(48, 32)):
    """Write a small PNG (different colours give different bytes) and return its path."""
    from PIL import Image

    Image.new("RGB", size, color).save(path)
    return path


def video_graph(image: str, prefix: str = "video/wan22_client_test", frames: int = 5) -> dict:
    """A tiny image-to-video graph of core nodes only (runs on a real ComfyUI in a second)."""
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": image},
              "_meta": {"title": "Start image"}},
        "2": {"class_type": "ImageScale", "inputs": {
            "image": ["1", 0], "upscale_method": "lanczos", "width": 64, "height": 64,
            "crop": "center"}},
        "3": {"class_type": "RepeatImageBatch", "inputs": {"image": ["2", 0], "amount": frames}},
        "4": {"class_type": "CreateVideo", "inputs": {"images": ["3", 0], "fps": 16}},
        "5": {"class_type": "SaveVideo", "inputs": {
            "video": ["4", 0], "filename_prefix": prefix, "format": "auto", "codec": "auto"}},
    }


def slow_graph(image: str, steps: int = 10, seconds_per_step: float = 0.05,
               send_preview: bool = False, prefix: str = "video/wan22_slow") -> dict:
    """`video_graph` with the recording harness's slow progress node (stand-in only)."""
    graph = video_graph(image, prefix)
    graph["6"] = {"class_type": "HarnessSlowProgress", "inputs": {
        "images": ["3", 0], "steps": steps, "seconds_per_step": seconds_per_step,
        "send_preview": send_preview}}
    graph["4"]["inputs"]["images"] = ["6", 0]
    return graph


class ComfySession:
    """A client, its event stream (started) and a watcher, closed together."""

    def __init__(self, url: str, *, timeout: float = 10.0, announce: bool = True,
                 start_stream: bool = True, **watcher_options) -> None:
        from wan22_gui.core.comfy.client import ComfyClient
        from wan22_gui.core.comfy.stream import EventStream
        from wan22_gui.core.comfy.watcher import PromptWatcher

        self.client = ComfyClient(url, timeout=timeout)
        self.stream = EventStream(url, self.client.client_id, announce_preview_metadata=announce,
                                  backoff_initial=0.05, backoff_max=0.5)
        self.seen: list = []
        self.stream.events.connect(self.seen.append)
        options = {"poll_interval": 0.5, "unreachable_timeout": 5.0, "confirm_grace": 2.0}
        options.update(watcher_options)
        self.watcher = PromptWatcher(self.client, self.stream, **options)
        if start_stream:
            self.stream.start()
            assert self.stream.wait_connected(10), "the event socket did not open"

    def upload(self, path):
        return self.client.upload_image(path).load_value

    def run(self, graph: dict, timeout: float = 60.0):
        """Queue `graph`, wait for its outcome; returns (handle, outcome)."""
        import uuid

        prompt_id = str(uuid.uuid4())
        handle = self.watcher.watch(prompt_id)
        self.client.queue_prompt(graph, prompt_id=prompt_id)
        return handle, handle.wait(timeout)

    def close(self) -> None:
        self.watcher.close()
        self.stream.stop()
        self.client.close()


@pytest.fixture
def comfy_session(comfy_url):
    """Factory: `comfy_session(**options)` -> a ComfySession on `comfy_url`, closed after."""
    sessions: list[ComfySession] = []

    def make(url: str | None = None, **options) -> ComfySession:
        session = ComfySession(url or comfy_url, **options)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
