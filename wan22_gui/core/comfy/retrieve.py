"""Bringing a finished prompt's files home even when `/view` fails, and saying where they are.

A clip that took twenty minutes to make must never be lost because one download failed. A
transient failure (the server answers 5xx, the connection drops or is refused, a read times
out) is retried with a growing pause; a refusal that will not change (400/403: the server
refuses the path, 404: no such file, a name unsafe on this disk, a full disk) is not. What
could not be fetched is described as a `ServerFile`: the file's place in ComfyUI's output
folder and its `/view` URL, so the user (or `wan22 history fetch`) can fetch it later.
"""

from __future__ import annotations

import logging
import ntpath
import posixpath
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import ServerUnavailable, Wan22Error
from wan22_gui.core.comfy.download import safe_filename
from wan22_gui.core.comfy.transport import ServerError
from wan22_gui.core.comfy.types import OutputFile

log = logging.getLogger("wan22.comfy")

# ComfyUI numbers its outputs "<prefix>_00001_.mp4"; the app's own files drop the counter
# (downloads never overwrite, so a second run gets " (2)").
_COUNTER = re.compile(r"_\d{5}_(?=\.[^.]+$)")
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a download is tried (`attempts` in all)."""

    attempts: int = 4
    first_pause_s: float = 1.0  # doubled after each failure: 1 + 2 + 4 s by default


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class ServerFile:
    """A finished output that is (still) only on the server.

    Attributes:
        filename, subfolder, type: the `/view` reference.
        location: where it lies on the server's machine: an absolute path when the server's
            command line tells its folders, else "output/<subfolder>/<filename>" under the
            ComfyUI folder.
        url: the `/view` address (a browser or curl can fetch it).
        dest: the local folder the app meant to put it in.
        error: why it could not be downloaded.
    """

    filename: str
    subfolder: str
    type: str
    location: str
    url: str
    dest: str
    error: str = ""

    @property
    def ref(self) -> OutputFile:
        return OutputFile(self.filename, self.subfolder, self.type)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServerFile:
        return cls(**{name: str(data.get(name) or "") for name in
                      ("filename", "subfolder", "type", "location", "url", "dest", "error")})

    def where(self) -> str:
        """"<location> (<url>)" for a message."""
        return f"{self.location} ({self.url})"


def local_name(server_name: str) -> str:
    """The name the app gives a downloaded file: ComfyUI's counter dropped, and characters no
    disk accepts replaced (the server may save names this machine refuses)."""
    name = _COUNTER.sub("", server_name)
    try:
        return safe_filename(name)
    except Wan22Error:
        stem, dot, ext = name.rpartition(".")
        stem, ext = (stem, ext) if dot else (name, "")
        cleaned = _UNSAFE_CHARS.sub("_", stem).strip(" .") or "clip"
        cleaned = f"_{cleaned}" if cleaned.upper() in {"CON", "PRN", "AUX", "NUL"} else cleaned
        return f"{cleaned}.{_UNSAFE_CHARS.sub('_', ext)}" if ext else cleaned


def is_transient(exc: BaseException) -> bool:
    """Whether trying again later may work (server busy, restarting, network hiccup)."""
    return isinstance(exc, (ServerUnavailable, ServerError))


def fetch(client: Any, ref: OutputFile, dest: Path, *, policy: RetryPolicy = DEFAULT_RETRY,
          sleep: Callable[[float], None] = time.sleep) -> Path:
    """Download one output into `dest` under its local name, retrying transient failures.

    Raises:
        Wan22Error: the last failure, once it is permanent or the attempts are used up.
    """
    pause = policy.first_pause_s
    for attempt in range(1, max(1, policy.attempts) + 1):
        try:
            return Path(client.download(ref, dest, name=local_name(Path(ref.filename).name)))
        except Wan22Error as exc:
            if not is_transient(exc) or attempt >= policy.attempts:
                raise
            log.warning("download of %s failed (attempt %d of %d), again in %.1f s: %s",
                        ref.filename, attempt, policy.attempts, pause, exc)
            sleep(pause)
            pause *= 2
    raise AssertionError("unreachable")


def output_folder(stats: dict | None) -> str | None:
    """ComfyUI's output folder on its own machine, from `/system_stats` argv; None when its
    command line does not say (started as `python main.py` from its folder)."""
    argv = [str(a) for a in ((stats or {}).get("system") or {}).get("argv") or []]
    explicit = _flag(argv, "--output-directory")
    if explicit:
        return explicit
    base = _flag(argv, "--base-directory")
    if base:
        return _join(base, "output")
    main = argv[0] if argv else ""
    if _is_absolute(main):
        folder = (ntpath if "\\" in main else posixpath).dirname(main)
        return _join(folder, "output")
    return None


def describe(client: Any, ref: OutputFile, dest: Path, error: str = "",
             stats: dict | None = None) -> ServerFile:
    """The ServerFile for an output that stays on the server."""
    folder = output_folder(stats if stats is not None else _stats(client))
    parts = [p for p in re.split(r"[\\/]", ref.subfolder or "") if p] + [ref.filename]
    if folder is None:
        location = "/".join([ref.type or "output", *parts]) + " in the ComfyUI folder"
    else:
        location = _join(folder, *parts) if ref.type in ("", "output") else \
            "/".join([ref.type, *parts]) + " in the ComfyUI folder"
    return ServerFile(ref.filename, ref.subfolder, ref.type, location, client.view_url(ref),
                      str(dest), error)


def _stats(client: Any) -> dict | None:
    """The server's last known /system_stats (asked again if the client has none)."""
    known = getattr(client, "last_system_stats", None)
    if known:
        return known
    try:
        return client.system_stats()
    except Wan22Error:
        return None


def _flag(argv: list[str], name: str) -> str | None:
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _is_absolute(path: str) -> bool:
    return posixpath.isabs(path) or bool(re.match(r"^[A-Za-z]:[\\/]", path))


def _join(folder: str, *parts: str) -> str:
    return (ntpath if "\\" in folder else posixpath).join(folder, *parts)
