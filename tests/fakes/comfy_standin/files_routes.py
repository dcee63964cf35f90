"""`GET /view` and `POST /upload/image` with ComfyUI 0.3.64's path rules and status codes.

/view streams with aiohttp's FileResponse, so ``Range: bytes=0-99`` gives 206 like the real one.
Uploads reuse the name for identical bytes and pick ``name (1).ext`` for different bytes.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
from typing import Any

from aiohttp import web

_FORCE_DOWNLOAD = {"text/html", "text/html-sandboxed", "application/xhtml+xml", "text/javascript",
                   "text/css"}


class FileApi:
    """Handlers for downloading outputs and uploading inputs."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def routes(self) -> list[tuple[str, str, Any]]:
        return [("GET", "/view", self.view), ("POST", "/upload/image", self.upload_image)]

    async def view(self, request: web.Request) -> web.StreamResponse:
        self.server.counters.bump("views")
        folders = self.server.folders
        query = request.rel_url.query
        if "filename" not in query:
            return web.Response(status=404)
        filename, folder = query["filename"], None
        for kind in ("output", "input", "temp"):
            if filename.endswith(f" [{kind}]"):
                filename, folder = filename[: -len(kind) - 3], folders.by_type(kind)
        if not filename or filename[0] == "/" or ".." in filename:
            return web.Response(status=400)
        if folder is None:
            folder = folders.by_type(query.get("type", "output"))
        if folder is None:
            return web.Response(status=400)
        base = str(folder)
        if "subfolder" in query:
            full = os.path.join(base, query["subfolder"])
            if os.path.commonpath((os.path.abspath(full), base)) != base:
                return web.Response(status=403)
            base = full
        filename = os.path.basename(filename)
        path = os.path.join(base, filename)
        if not os.path.isfile(path):
            return web.Response(status=404)
        scripted = self.server.faults.take_view_error()
        if scripted == "drop":
            return await _drop_midway(request, path)
        if scripted is not None:
            return web.Response(status=int(scripted), text=f"{scripted}: scripted failure")
        disposition = {"Content-Disposition": f'filename="{filename}"'}
        if "preview" in query or query.get("channel") in ("rgb", "a"):
            return _image_variant(path, query, disposition)
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if content_type in _FORCE_DOWNLOAD:
            content_type = "application/octet-stream"
        return web.FileResponse(path, headers={**disposition, "Content-Type": content_type})

    async def upload_image(self, request: web.Request) -> web.Response:
        post = await request.post()
        self.server.counters.bump("uploads")
        image = post.get("image")
        overwrite = post.get("overwrite")
        kind = post.get("type") or "input"
        folder = self.server.folders.by_type(kind)
        if folder is None:  # the real server fails with an UnboundLocalError -> 500
            raise UnboundLocalError("cannot access local variable 'type_dir'")
        if not image:
            return web.Response(status=400)
        if not isinstance(image, web.FileField):  # a part without filename: real code -> 500
            raise AttributeError("'str' object has no attribute 'file'")
        upload_dir = str(folder)
        subfolder = post.get("subfolder", "")
        target_dir = os.path.join(upload_dir, os.path.normpath(subfolder))
        filename = image.filename
        path = os.path.abspath(os.path.join(target_dir, filename))
        if os.path.commonpath((upload_dir, path)) != upload_dir:
            return web.Response(status=400)
        os.makedirs(target_dir, exist_ok=True)
        data = image.file.read()
        duplicate = False
        if overwrite not in ("true", "1"):
            stem, ext = os.path.splitext(filename)
            index = 1
            while os.path.exists(path):
                if _same_bytes(path, data):
                    duplicate = True
                    break
                filename = f"{stem} ({index}){ext}"
                path = os.path.join(target_dir, filename)
                index += 1
        if not duplicate:
            with open(path, "wb") as handle:
                handle.write(data)
        self.server.counters.bump("upload_bytes", len(data))
        return web.json_response({"name": filename, "subfolder": subfolder, "type": kind})


async def _drop_midway(request: web.Request, path: str) -> web.StreamResponse:
    """Send the headers and a third of the file, then cut the connection."""
    size = os.path.getsize(path)
    response = web.StreamResponse(headers={"Content-Length": str(size),
                                           "Content-Type": "application/octet-stream"})
    await response.prepare(request)
    with open(path, "rb") as handle:
        await response.write(handle.read(max(1, size // 3)))
    if request.transport is not None:
        request.transport.close()
    return response


def _same_bytes(path: str, data: bytes) -> bool:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).digest() == hashlib.sha256(data).digest()


def _image_variant(path: str, query: Any, headers: dict) -> web.Response:
    """The ``preview=webp;90`` / ``channel=rgb|a`` re-encodes of an image."""
    from PIL import Image

    buffer = io.BytesIO()
    with Image.open(path) as img:
        if "preview" in query:
            parts = query["preview"].split(";")
            fmt = parts[0] if parts[0] in ("webp", "jpeg") and "a" not in query.get("channel", "") else "webp"
            quality = int(parts[-1]) if parts[-1].isdigit() else 90
            if fmt == "jpeg" or query.get("channel") == "rgb":
                img = img.convert("RGB")
            img.save(buffer, format=fmt, quality=quality)
            return web.Response(body=buffer.getvalue(), content_type=f"image/{fmt}", headers=headers)
        if query.get("channel") == "rgb":
            img.convert("RGB").save(buffer, format="PNG")
        else:
            alpha = img.split()[3] if img.mode == "RGBA" else Image.new("L", img.size, 255)
            out = Image.new("RGBA", img.size)
            out.putalpha(alpha)
            out.save(buffer, format="PNG")
    return web.Response(body=buffer.getvalue(), content_type="image/png", headers=headers)
