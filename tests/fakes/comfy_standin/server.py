"""StandinServer: an in-process stand-in for ComfyUI 0.3.64 (or, with ``profile="0.38.1"``, the
newer core nodes of ComfyUI 0.38) on a loopback port.

HTTP and WebSocket run on an aiohttp event loop in one daemon thread; prompts run one at a time
on a worker thread, like ComfyUI's prompt_worker. ``stop()`` is clean and idempotent.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import logging
import socket
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

from aiohttp import web

from tests.fakes.comfy_standin.catalog import PROFILES, ExtraNodes, NodeCatalog, load_dump
from tests.fakes.comfy_standin.execution import Executor, RunResult
from tests.fakes.comfy_standin.faults import Counters, Faults
from tests.fakes.comfy_standin.files_routes import FileApi
from tests.fakes.comfy_standin.folders import Folders, add_model_file, install_wan_models
from tests.fakes.comfy_standin.hub import Hub
from tests.fakes.comfy_standin.noderun import Stopped
from tests.fakes.comfy_standin.prompt_queue import PromptQueue
from tests.fakes.comfy_standin.routes import JsonApi

DEFAULT_MAX_UPLOAD = 100 * 1024 * 1024
DEFAULT_DEVICE = {"name": "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync", "type": "cuda",
                  "index": 0, "vram_total": 25_393_692_672, "vram_free": 23_987_224_576,
                  "torch_vram_total": 0, "torch_vram_free": 0}
CONTROL_PREFIX = "/__standin__"
log = logging.getLogger(__name__)


class Console:
    """ComfyUI-like console lines: kept for tests, optionally echoed to a stream (stderr)."""

    def __init__(self, stream: TextIO | None = None, keep: int = 5000) -> None:
        self.stream = stream
        self._lines: collections.deque[str] = collections.deque(maxlen=keep)
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self._lock:
            self._lines.extend(text.split("\n"))
            if self.stream is not None:
                print(text, file=self.stream, flush=True)

    @property
    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)


class ModelFiles:
    """``server.models``: create dummy model files so loader combos list them."""

    def __init__(self, root: Path, folders: Folders) -> None:
        self._root = root
        self._folders = folders

    def add(self, folder: str, name: str, size: int = 0) -> Path:
        return add_model_file(self._root, folder, name, size)

    def install_wan(self) -> list[Path]:
        return install_wan_models(self._root)

    def list(self, folder: str) -> list[str] | None:
        return self._folders.model_files(folder)


class StandinServer:
    """A fake ComfyUI: ``url = StandinServer(root).start()`` ... ``stop()``."""

    def __init__(self, root: Path, *, faults: Faults | dict | None = None,
                 extra_nodes: Iterable[str] = (), object_info_paths: Iterable[Path] = (),
                 host: str = "127.0.0.1", port: int = 0, max_upload_size: int = DEFAULT_MAX_UPLOAD,
                 argv: list[str] | None = None, devices: list[dict] | None = None,
                 system: dict | None = None, console_stream: TextIO | None = None,
                 on_die: Callable[[], None] | None = None, profile: str = "0.3.64") -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown stand-in profile {profile!r}; known: {', '.join(PROFILES)}")
        self.root = Path(root)
        self.folders = Folders(self.root)
        self.profile = profile  # the ComfyUI version this stand-in plays (system_stats, banner)
        self.extra_nodes = ExtraNodes(extra_nodes)
        for path in PROFILES[profile]:
            self.extra_nodes.add_dump(load_dump(path))
        for path in object_info_paths:
            self.extra_nodes.add_dump(load_dump(path))
        self.catalog = NodeCatalog(self.folders, self.extra_nodes)
        self.faults = faults if isinstance(faults, Faults) else Faults(**(faults or {}))
        self.counters = Counters()
        self.models = ModelFiles(self.root, self.folders)
        self.console = Console(console_stream)
        self.host, self.port = host, port
        self.argv = argv
        self.devices = devices if devices is not None else [dict(DEFAULT_DEVICE)]
        self.system = dict(system or {})
        self.hub = Hub(self.queue_info, max_upload_size)
        self.hub.on_connect = lambda: self.counters.bump("ws_connections")
        self.queue = PromptQueue(self.hub.queue_updated)
        self.executor = Executor(self)
        self.stopping = threading.Event()
        self.dead = False
        self._max_upload_size = max_upload_size
        self._on_die = on_die
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._http_thread: threading.Thread | None = None
        self._worker: threading.Thread | None = None
        self._startup_error: BaseException | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> str:
        """Bind, serve, start the worker; returns the base URL (``http://127.0.0.1:<port>``)."""
        if self._http_thread is not None:
            return self.url
        self.folders.ensure()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        if self.argv is None:
            self.argv = ["main.py", "--listen", self.host, "--port", str(self.port)]
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._http_thread = threading.Thread(target=self._serve, args=(sock, ready), daemon=True,
                                             name=f"comfy-standin-http-{self.port}")
        self._http_thread.start()
        ready.wait(30)
        if self._startup_error is not None or not ready.is_set():
            self.stop()
            raise RuntimeError(f"stand-in server did not start: {self._startup_error}")
        self._worker = threading.Thread(target=self._work, daemon=True,
                                        name=f"comfy-standin-worker-{self.port}")
        self._worker.start()
        self.console(f"To see the GUI go to: {self.url}")
        return self.url

    def stop(self) -> None:
        """Stop serving and working; safe to call twice or after a scripted death."""
        self.stopping.set()
        self.queue.wake()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=10)
        loop, thread = self._loop, self._http_thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)

    def __enter__(self) -> "StandinServer":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._setup(sock))
        except BaseException as error:  # noqa: BLE001 - reported by start()
            self._startup_error = error
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._teardown())
            loop.close()

    async def _setup(self, sock: socket.socket) -> None:
        app = web.Application(client_max_size=self._max_upload_size,
                              middlewares=[_origin_only_middleware, self._faults_middleware])
        handlers = [*JsonApi(self).routes(), *FileApi(self).routes(),
                    ("GET", "/ws", self.hub.websocket_handler)]
        for method, path, handler in handlers:
            app.router.add_route(method, path, handler)
            app.router.add_route(method, "/api" + path, handler)
        app.router.add_route("GET", CONTROL_PREFIX + "/faults", self._get_faults)
        app.router.add_route("POST", CONTROL_PREFIX + "/faults", self._post_faults)
        app.router.add_route("GET", CONTROL_PREFIX + "/counters", self._get_counters)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self.hub.bind(asyncio.get_running_loop())

    async def _teardown(self) -> None:
        await self.hub.shutdown()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- services used by routes and the executor -------------------------------------------

    def queue_info(self) -> dict:
        return {"exec_info": {"queue_remaining": self.queue.tasks_remaining()}}

    def drop_sockets(self) -> None:
        """Cut every WebSocket connection now (the job goes on)."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self.hub.close(abort=True), self._loop)

    def die(self) -> None:
        """Scripted crash: a process exits; an in-process server drops everything and stops."""
        if self._on_die is not None:
            self._on_die()
        self.dead = True
        self.stopping.set()
        if self._loop is not None and self._http_thread is not None and self._http_thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(self._abort(), self._loop)
            future.result(timeout=10)

    async def _abort(self) -> None:
        await self.hub.close(abort=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _work(self) -> None:
        while not self.stopping.is_set():
            got = self.queue.get(timeout=0.1)
            if got is not None:
                item, task_id = got
                started = time.perf_counter()
                try:
                    result = self.executor.run(item)
                except Stopped:
                    self.queue.drop_running(task_id)
                    return
                except Exception as error:  # noqa: BLE001 - a stand-in bug must not kill the worker
                    log.exception("stand-in worker failed on prompt %s", item[1])
                    self.console(f"!!! Exception during processing !!! {error}")
                    result = RunResult({"outputs": {}, "meta": {}},
                                       {"status_str": "error", "completed": False, "messages": []},
                                       None)
                self.queue.task_done(task_id, result.history, result.status)
                if result.client_id is not None:
                    self.hub.send_sync("executing", {"node": None, "prompt_id": item[1]}, result.client_id)
                self.console(f"Prompt executed in {time.perf_counter() - started:.2f} seconds")
            flags = self.queue.take_flags()
            free_memory = flags.get("free_memory", False)
            if flags.get("unload_models", free_memory):
                self.counters.bump("model_unloads")
            if free_memory:
                self.executor.reset()

    # -- middleware and control routes -------------------------------------------------------

    @web.middleware
    async def _faults_middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        self.counters.bump("requests")
        if self.faults.slow_reply_s:
            await asyncio.sleep(float(self.faults.slow_reply_s))
        if self.faults.is_malformed(request.path) and request.path not in ("/ws", "/api/ws"):
            return web.Response(body=b'{"exec_info": {"queue_remaining": <html>garbage',
                                content_type="application/json")
        return await handler(request)

    async def _get_faults(self, request: web.Request) -> web.Response:
        return web.json_response(self.faults.as_dict())

    async def _post_faults(self, request: web.Request) -> web.Response:
        try:
            self.faults.update(**(await request.json()))
        except (ValueError, TypeError) as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(self.faults.as_dict())

    async def _get_counters(self, request: web.Request) -> web.Response:
        return web.json_response(self.counters.snapshot())


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback
                       for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


@web.middleware
async def _origin_only_middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
    """ComfyUI's anti-CSRF check: loopback Host with a mismatching Origin -> 403."""
    if "Host" in request.headers and "Origin" in request.headers:
        host_domain = request.headers["Host"].lower()
        parsed = urllib.parse.urlparse(request.headers["Origin"])
        origin_domain = parsed.netloc.lower()
        host_parsed = urllib.parse.urlsplit("//" + host_domain)
        loopback = _is_loopback(host_parsed.hostname)
        if parsed.port is None:
            host_domain = host_parsed.hostname
        if host_parsed.port is None:
            origin_domain = parsed.hostname
        if loopback and host_domain and origin_domain and host_domain != origin_domain:
            log.warning("request with non matching host and origin %s != %s, returning 403",
                        host_domain, origin_domain)
            return web.Response(status=403)
    if request.method == "OPTIONS":
        return web.Response()
    return await handler(request)


def print_banner(console: Console, server: StandinServer) -> None:
    """The start-up lines a real ComfyUI prints before it is ready."""
    device = server.devices[0] if server.devices else {"name": "cpu", "vram_total": 0}
    total_mb = int(device.get("vram_total", 0)) // (1024 * 1024)
    console(f"Total VRAM {total_mb} MB, total RAM 65536 MB")
    console(f"pytorch version: {server.system.get('pytorch_version', '2.8.0+cu128')}")
    console(f"Device: {device.get('name')}")
    console(f"Python version: {sys.version}")
    console(f"ComfyUI version: {server.profile}")
    console("Starting server\n")
