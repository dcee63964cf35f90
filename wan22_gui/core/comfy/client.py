"""HTTP client for one ComfyUI server (requests). Every call has a timeout; every failure is a
`Wan22Error` whose message names the server and says what to do.

All methods block: call them off the GUI thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlencode

from wan22_gui.core.comfy.download import download_output, safe_filename
from wan22_gui.core.comfy.problems import rejection_from_response
from wan22_gui.core.comfy.transport import AuthHeader, HttpTransport, normalize_base_url
from wan22_gui.core.comfy.types import (
    HistoryEntry, OutputFile, QueuedPrompt, QueueItem, QueueState, UploadedFile,
)
from wan22_gui.core.base.errors import ComfyApiError, InputError, WorkflowError

log = logging.getLogger("wan22.comfy")


@dataclass
class ServerCache:
    """What a client remembers about one server: `/object_info` and uploads by content.

    Share one between clients of the same URL (see `ComfyCache`); its lock makes that safe.
    """

    object_info: dict[str, Any] | None = None  # the full reply, once read
    classes: dict[str, Any] = field(default_factory=dict)  # per-class reads (fresher)
    uploads: dict[tuple[str, str, str], UploadedFile] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class ComfyCache:
    """One `ServerCache` per server URL, for an app that talks to several servers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: dict[str, ServerCache] = {}

    def for_server(self, base_url: str) -> ServerCache:
        key = normalize_base_url(base_url)
        with self._lock:
            return self._servers.setdefault(key, ServerCache())


class ComfyClient:
    """Talks HTTP to one ComfyUI.

    Attributes:
        base_url: normalised address, e.g. "http://127.0.0.1:8188".
        client_id: sent with every prompt; the EventStream must use the same id.
    """

    def __init__(self, base_url: str, *, client_id: str | None = None, timeout: float = 10.0,
                 cache: ServerCache | None = None, download_read_timeout: float = 30.0,
                 auth: AuthHeader | None = None) -> None:
        self._http = HttpTransport(base_url, timeout, auth)
        self.auth = auth  # the event stream of this server sends the same header
        self.base_url = self._http.base_url
        self.client_id = client_id or uuid.uuid4().hex
        self.timeout = timeout
        self._cache = cache or ServerCache()
        self._download_read_timeout = download_read_timeout
        self.last_system_stats: dict | None = None  # the last answer (where its folders are)

    def close(self) -> None:
        self._http.close()

    # --- server -----------------------------------------------------------------------------

    def system_stats(self) -> dict:
        """`/system_stats`; also the cheapest "is this really ComfyUI?" check."""
        stats = self._http.get_json("/system_stats")
        if not isinstance(stats.get("system"), dict) or not isinstance(stats.get("devices"), list):
            raise ComfyApiError(
                f"The server at {self.base_url} answered /system_stats without ComfyUI's "
                f"'system' and 'devices' fields.",
                hint="Check the address and port: this does not look like ComfyUI.",
            )
        self.last_system_stats = stats
        return stats

    def features(self) -> dict:
        """`/features` ({} on ComfyUI versions that predate it)."""
        response = self._http.request("GET", "/features", ok=(200, 404))
        if response.status_code == 404:
            return {}
        return self._http.decode_json("GET /features", response)

    def free(self, *, unload_models: bool = True, free_memory: bool = True) -> None:
        """Ask ComfyUI to unload models / free cached memory (applied when it is idle)."""
        self._http.post_json("/free", {"unload_models": unload_models,
                                       "free_memory": free_memory})

    # --- node definitions ---------------------------------------------------------------------

    def object_info(self, node_class: str | None = None, *, refresh: bool = False) -> dict:
        """Node definitions as `{class_type: info}`: every class, or just `node_class`.

        Cached per server. Model-file combos change when the user adds files, so
        `object_info("UNETLoader", refresh=True)` re-reads one class cheaply; an unknown class
        gives `{}`.
        """
        cache = self._cache
        if node_class is None:
            with cache.lock:
                if cache.object_info is not None and not refresh:
                    return {**cache.object_info, **cache.classes}
            info = self._read_object_info("/object_info")
            with cache.lock:
                cache.object_info, cache.classes = info, {}
            return dict(info)
        with cache.lock:
            known = cache.classes.get(node_class) or (cache.object_info or {}).get(node_class)
            if known is not None and not refresh:
                return {node_class: known}
        reply = self._read_object_info("/object_info/" + quote(node_class, safe=""))
        if node_class in reply:
            with cache.lock:
                cache.classes[node_class] = reply[node_class]
        return {node_class: reply[node_class]} if node_class in reply else {}

    def _read_object_info(self, path: str) -> dict:
        info = self._http.get_json(path)
        if not all(isinstance(v, dict) and "input" in v for v in info.values()):
            raise ComfyApiError(
                f"The server at {self.base_url} answered {path} with data that are not node "
                f"definitions.", hint="Check the address: is this ComfyUI?",
            )
        return info

    # --- uploads ------------------------------------------------------------------------------

    def upload_image(self, path: Path, *, subfolder: str = "", kind: str = "input",
                     force: bool = False) -> UploadedFile:
        """Upload an image (once per content and server) and return the name ComfyUI gave it.

        ComfyUI may rename a clashing file to `name (1).ext`: always use the returned name.
        `force=True` uploads even if these bytes were uploaded before.
        """
        data = _read_file(Path(path))
        key = (hashlib.sha256(data).hexdigest(), subfolder, kind)
        with self._cache.lock:
            known = self._cache.uploads.get(key)
        if known is not None and not force and self._server_has(known):
            return known
        uploaded = self._post_upload(Path(path).name, data, subfolder, kind)
        with self._cache.lock:
            self._cache.uploads[key] = uploaded
        return uploaded

    def _post_upload(self, name: str, data: bytes, subfolder: str, kind: str) -> UploadedFile:
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        response = self._http.request(
            "POST", "/upload/image", ok=(200, 413),
            files={"image": (name, data, mime)}, data={"type": kind, "subfolder": subfolder},
        )
        if response.status_code == 413:
            raise InputError(
                f"{name} ({len(data):,} bytes) is larger than ComfyUI at {self.base_url} "
                f"accepts.", hint="Use a smaller image, or start ComfyUI with a larger "
                                  "--max-upload-size.",
            )
        reply = self._http.decode_json("POST /upload/image", response)
        if not isinstance(reply.get("name"), str):
            raise ComfyApiError(f"ComfyUI at {self.base_url} accepted {name} but did not say "
                                f"under which name it stored it.")
        return UploadedFile(safe_filename(reply["name"]), str(reply.get("subfolder") or ""),
                            str(reply.get("type") or kind))

    def _server_has(self, uploaded: UploadedFile) -> bool:
        """Whether an earlier upload is still there (the user may have emptied input/)."""
        params = {"filename": uploaded.name, "subfolder": uploaded.subfolder,
                  "type": uploaded.type}
        response = self._http.request("GET", "/view", params=params, stream=True,
                                      headers={"Range": "bytes=0-0"}, ok=(200, 206, 404))
        response.close()
        return response.status_code != 404

    # --- prompts and queue ----------------------------------------------------------------

    def queue_prompt(self, graph: dict, *, prompt_id: str | None = None,
                     extra_data: dict | None = None, front: bool = False) -> QueuedPrompt:
        """Queue an API-format graph under our client_id and a prompt_id chosen here.

        Raises PromptRejected (with one ValidationProblem per issue) when ComfyUI says 400.
        """
        body: dict[str, Any] = {"prompt": graph, "client_id": self.client_id,
                                "prompt_id": prompt_id or str(uuid.uuid4())}
        if extra_data:
            body["extra_data"] = extra_data
        if front:
            body["front"] = True
        try:
            payload = json.dumps(body)
        except (TypeError, ValueError) as exc:
            raise WorkflowError(f"The workflow cannot be sent to ComfyUI: {exc}.",
                                hint="This is a bug in the app: please report it.") from exc
        response = self._http.request("POST", "/prompt", data=payload, ok=(200, 400),
                                      headers={"Content-Type": "application/json"})
        if response.status_code == 400:
            try:
                rejection = response.json()
            except ValueError:
                rejection = response.text
            raise rejection_from_response(rejection, graph)
        reply = self._http.decode_json("POST /prompt", response)
        if not reply.get("prompt_id"):
            raise ComfyApiError(f"ComfyUI at {self.base_url} accepted the prompt without "
                                f"returning its prompt_id.")
        return QueuedPrompt(str(reply["prompt_id"]), reply.get("number", 0),
                            dict(reply.get("node_errors") or {}))

    def get_queue(self) -> QueueState:
        reply = self._http.get_json("/queue")
        try:
            return QueueState(
                running=[QueueItem.from_json(i) for i in reply["queue_running"]],
                pending=[QueueItem.from_json(i) for i in reply["queue_pending"]],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ComfyApiError(f"ComfyUI at {self.base_url} sent a queue this app cannot "
                                f"read ({exc}).", hint="Is this address really ComfyUI?") from exc

    def delete_from_queue(self, prompt_ids: list[str]) -> None:
        """Remove pending jobs (a running one is stopped with `interrupt`)."""
        self._http.post_json("/queue", {"delete": list(prompt_ids)})

    def clear_queue(self) -> None:
        self._http.post_json("/queue", {"clear": True})

    def interrupt(self, prompt_id: str | None = None) -> None:
        """Stop the running job; with `prompt_id`, only if that job is the one running."""
        self._http.post_json("/interrupt", {"prompt_id": prompt_id} if prompt_id else {})

    # --- history ------------------------------------------------------------------------------

    def history(self, prompt_id: str) -> HistoryEntry | None:
        """The finished job, or None while it is queued/running or unknown to the server."""
        reply = self._http.get_json("/history/" + quote(prompt_id, safe=""))
        entry = reply.get(prompt_id)
        return None if entry is None else self._entry(prompt_id, entry)

    def history_all(self, max_items: int | None = None,
                    offset: int | None = None) -> dict[str, HistoryEntry]:
        """Finished jobs, oldest first (`max_items` newest ones, skipping `offset`)."""
        params = {k: v for k, v in (("max_items", max_items), ("offset", offset))
                  if v is not None}
        reply = self._http.get_json("/history", params=params or None)
        return {str(pid): self._entry(str(pid), entry) for pid, entry in reply.items()}

    def _entry(self, prompt_id: str, entry: Any) -> HistoryEntry:
        try:
            return HistoryEntry.from_json(prompt_id, entry)
        except (ValueError, TypeError) as exc:
            raise ComfyApiError(f"ComfyUI at {self.base_url} sent a history entry this app "
                                f"cannot read ({exc}).") from exc

    def delete_history(self, prompt_ids: list[str]) -> None:
        self._http.post_json("/history", {"delete": list(prompt_ids)})

    def clear_history(self) -> None:
        self._http.post_json("/history", {"clear": True})

    # --- outputs ------------------------------------------------------------------------------

    def view_url(self, ref: OutputFile) -> str:
        """The /view address of an output (players can stream it; Range works)."""
        query = urlencode({"filename": ref.filename, "subfolder": ref.subfolder,
                           "type": ref.type})
        return f"{self.base_url}/view?{query}"

    def download(self, ref: OutputFile, dest_dir: Path, *, name: str | None = None,
                 progress: Callable[[int, int | None], None] | None = None) -> Path:
        """Download an output into `dest_dir` and return its path (never overwrites)."""
        return download_output(self._http, ref, Path(dest_dir), name=name, progress=progress,
                               read_timeout=self._download_read_timeout)


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"The image {path} does not exist.",
                         hint="Pick the image again; it may have been moved or deleted.") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not an image.", hint="Pick an image file.") from None
    except OSError as exc:
        raise InputError(f"Could not read {path}: {exc.strerror or exc}.",
                         hint="Check that the file is readable.") from None
