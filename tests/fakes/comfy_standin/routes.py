"""The JSON routes of ComfyUI 0.3.64: prompt, queue, history, interrupt, free, info endpoints.

Each route is served bare and under ``/api``. "Nothing to say" replies are an empty 200 with no
content type, as aiohttp's ``web.Response(status=200)`` gives (transcript 14).
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

from aiohttp import web

from tests.fakes.comfy_standin.folders import GGUF_FOLDERS, model_folder_names
from tests.fakes.comfy_standin.validation import validate_prompt

COMFYUI_VERSION = "0.3.64"


class JsonApi:
    """Handlers for the JSON routes; ``server`` is the StandinServer that owns the state."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.number = 0  # ComfyUI's running prompt counter

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("POST", "/prompt", self.post_prompt), ("GET", "/prompt", self.get_prompt),
            ("GET", "/queue", self.get_queue), ("POST", "/queue", self.post_queue),
            ("GET", "/history", self.get_history), ("GET", "/history/{prompt_id}", self.get_history_id),
            ("POST", "/history", self.post_history), ("POST", "/interrupt", self.post_interrupt),
            ("POST", "/free", self.post_free), ("GET", "/system_stats", self.system_stats),
            ("GET", "/object_info", self.object_info), ("GET", "/object_info/{node_class}", self.object_info_one),
            ("GET", "/features", self.features), ("GET", "/models", self.models),
            ("GET", "/models/{folder}", self.models_folder), ("GET", "/embeddings", self.embeddings),
        ]

    # -- prompt ---------------------------------------------------------------------------------

    async def post_prompt(self, request: web.Request) -> web.Response:
        server = self.server
        server.console("got prompt")
        server.counters.bump("prompts_received")
        data = await request.json()
        if "number" in data:
            number: Any = float(data["number"])
        else:
            number = self.number
            if data.get("front"):
                number = -number
            self.number += 1
        if "prompt" not in data:
            error = {"type": "no_prompt", "message": "No prompt provided",
                     "details": "No prompt provided", "extra_info": {}}
            return web.json_response({"error": error, "node_errors": {}}, status=400)
        prompt = data["prompt"]
        prompt_id = str(data.get("prompt_id", uuid.uuid4()))
        result = validate_prompt(server.catalog, server.folders, prompt,
                                 data.get("partial_execution_targets"))
        for line in result.log:
            server.console(line)
        extra_data = data.get("extra_data", {})
        if "client_id" in data:
            extra_data["client_id"] = data["client_id"]
        if not result.ok:
            server.console(f"invalid prompt: {result.error}")
            return web.json_response({"error": result.error, "node_errors": result.node_errors}, status=400)
        server.counters.bump("prompts_queued")
        server.queue.put((number, prompt_id, prompt, extra_data, result.outputs))
        return web.json_response({"prompt_id": prompt_id, "number": number,
                                  "node_errors": result.node_errors})

    async def get_prompt(self, request: web.Request) -> web.Response:
        return web.json_response(self.server.queue_info())

    # -- queue and history ---------------------------------------------------------------------

    async def get_queue(self, request: web.Request) -> web.Response:
        running, pending = self.server.queue.current()
        return web.json_response({"queue_running": [_public(i) for i in running],
                                  "queue_pending": [_public(i) for i in pending]})

    async def post_queue(self, request: web.Request) -> web.Response:
        data = await request.json()
        if data.get("clear"):
            self.server.queue.wipe_queue()
        for prompt_id in data.get("delete", []) if "delete" in data else []:
            self.server.queue.delete_queue_item(prompt_id)
        return web.Response(status=200)

    async def get_history(self, request: web.Request) -> web.Response:
        query = request.rel_url.query
        max_items = int(query["max_items"]) if "max_items" in query else None
        offset = int(query.get("offset", -1))
        return web.json_response(self.server.queue.get_history(max_items=max_items, offset=offset))

    async def get_history_id(self, request: web.Request) -> web.Response:
        return web.json_response(self.server.queue.get_history(request.match_info["prompt_id"]))

    async def post_history(self, request: web.Request) -> web.Response:
        data = await request.json()
        if data.get("clear"):
            self.server.queue.wipe_history()
        for prompt_id in data.get("delete", []) if "delete" in data else []:
            self.server.queue.delete_history_item(prompt_id)
        return web.Response(status=200)

    # -- control ---------------------------------------------------------------------------------

    async def post_interrupt(self, request: web.Request) -> web.Response:
        server = self.server
        server.counters.bump("interrupts")
        try:
            data = await request.json()
        except ValueError:
            data = {}
        prompt_id = data.get("prompt_id") if isinstance(data, dict) else None
        if prompt_id:
            if prompt_id in server.queue.running_ids():
                server.console(f"Interrupting prompt {prompt_id}")
                server.executor.interrupted.set()
            else:
                server.console(f"Prompt {prompt_id} is not currently running, skipping interrupt")
        else:
            server.console("Global interrupt (no prompt_id specified)")
            server.executor.interrupted.set()
        return web.Response(status=200)

    async def post_free(self, request: web.Request) -> web.Response:
        data = await request.json()
        self.server.counters.bump("frees")
        if data.get("unload_models", False):
            self.server.queue.set_flag("unload_models", data["unload_models"])
        if data.get("free_memory", False):
            self.server.queue.set_flag("free_memory", data["free_memory"])
        return web.Response(status=200)

    # -- information -----------------------------------------------------------------------------

    async def system_stats(self, request: web.Request) -> web.Response:
        server = self.server
        system = {
            "os": server.system.get("os", "posix"),
            "ram_total": server.system.get("ram_total", 68_719_476_736),
            "ram_free": server.system.get("ram_free", 51_539_607_552),
            "comfyui_version": server.profile, "required_frontend_version": "1.27.10",
            "installed_templates_version": "0.1.95", "required_templates_version": "0.1.95",
            "python_version": sys.version, "pytorch_version": server.system.get("pytorch_version", "2.8.0+cu128"),
            "embedded_python": bool(server.system.get("embedded_python", False)),
            "argv": list(server.argv),
        }
        return web.json_response({"system": system, "devices": [dict(d) for d in server.devices]})

    async def object_info(self, request: web.Request) -> web.Response:
        return web.json_response(self.server.catalog.all_info())

    async def object_info_one(self, request: web.Request) -> web.Response:
        name = request.match_info["node_class"]
        info = self.server.catalog.info(name)
        return web.json_response({name: info} if info is not None else {})

    async def features(self, request: web.Request) -> web.Response:
        return web.json_response(self.server.hub.features())

    async def models(self, request: web.Request) -> web.Response:
        gguf = "UnetLoaderGGUF" in self.server.extra_nodes
        return web.json_response(model_folder_names(self.server.profile, gguf))

    async def models_folder(self, request: web.Request) -> web.Response:
        folder = request.match_info["folder"]
        files = self.server.folders.model_files(folder)
        if files is None or folder in GGUF_FOLDERS and "UnetLoaderGGUF" not in self.server.extra_nodes:
            return web.Response(status=404)
        return web.json_response(files)

    async def embeddings(self, request: web.Request) -> web.Response:
        names = self.server.folders.model_files("embeddings") or []
        return web.json_response([n.rsplit(".", 1)[0] for n in names])


def _public(item: tuple) -> list:
    """A queue item as /queue shows it: the raw 5-element array (0.3.64 strips nothing here)."""
    return list(item)
