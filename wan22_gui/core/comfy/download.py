"""Downloading ComfyUI outputs (GET /view) safely.

Names from the server are checked before they touch the disk; the bytes go to `<name>.part`,
which is renamed only when complete; an existing file is never overwritten (`name (2).mp4` is
picked instead); a dropped connection resumes with an HTTP Range request.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator

from wan22_gui.core.comfy.transport import HttpTransport
from wan22_gui.core.comfy.types import OutputFile
from wan22_gui.core.base.errors import (
    ComfyApiError, InputError, ServerUnavailable, UnsafePath, Wan22Error,
)

if TYPE_CHECKING:
    import requests

ProgressFn = Callable[[int, "int | None"], None]

_DRIVE = re.compile(r"^[A-Za-z]:")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT")
                                                     for i in range(1, 10)}
_CONTENT_RANGE_TOTAL = re.compile(r"/(\d+)\s*$")
_CHUNK = 1 << 16  # a dropped connection loses at most one partly read chunk


def safe_filename(name: str) -> str:
    """Return `name` if it is a plain file name on every OS, else raise UnsafePath."""
    problem = _filename_problem(name)
    if problem:
        raise UnsafePath(
            f"Refused the file name {name!r} from the server: {problem}.",
            hint="The server (or a custom node) produced an unsafe name; nothing was written.",
        )
    return name


def _filename_problem(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        return "it is empty"
    if name in (".", ".."):
        return "it names a folder"
    if "/" in name or "\\" in name:
        return "it contains a path separator"
    if _DRIVE.match(name) or ":" in name:
        return "it contains a drive letter or colon"
    if any(ord(ch) < 32 for ch in name):
        return "it contains control characters"
    if name.endswith((".", " ")):
        return "it ends with a dot or space"
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        return "it is a reserved device name on Windows"
    return ""


def check_subfolder(subfolder: str) -> str:
    """A server subfolder may hold `/` or `\\`, but never `..`, a root or a drive."""
    parts = re.split(r"[\\/]", subfolder or "")
    if subfolder.startswith(("/", "\\")) or _DRIVE.match(subfolder or "") or ".." in parts:
        raise UnsafePath(
            f"Refused the subfolder {subfolder!r} from the server: it leaves its folder.",
            hint="The server (or a custom node) produced an unsafe path; nothing was written.",
        )
    return subfolder


def candidate_names(filename: str) -> Iterator[str]:
    """`a.mp4`, `a (2).mp4`, `a (3).mp4`, ..."""
    stem, dot, ext = filename.rpartition(".")
    if not stem:  # no extension (or a dot-file)
        stem, dot, ext = filename, "", ""
    yield filename
    number = 2
    while True:
        yield f"{stem} ({number}){dot}{ext}"
        number += 1


def check_server_name(name: str) -> str:
    """A server file name may hold what this disk refuses (a colon, "NUL") when the file is
    saved under another `name`; but never a path separator, a folder name or control
    characters: a server sending those is refused."""
    problem = _filename_problem(name)
    if problem in ("it is empty", "it names a folder", "it contains a path separator",
                   "it contains control characters"):
        raise UnsafePath(f"Refused the file name {name!r} from the server: {problem}.",
                         hint="The server (or a custom node) produced an unsafe name; nothing "
                              "was written.")
    return name


def download_output(transport: HttpTransport, ref: OutputFile, dest_dir: Path, *,
                    name: str | None = None, progress: ProgressFn | None = None,
                    read_timeout: float = 30.0, retries: int = 3) -> Path:
    """Download `ref` into `dest_dir` and return the path of the new, complete file."""
    check_server_name(ref.filename)
    check_subfolder(ref.subfolder)
    filename = safe_filename(name or ref.filename)
    dest_dir = Path(dest_dir)
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        part, handle = _claim_part(dest_dir, filename)
    except OSError as exc:
        raise _disk_error(dest_dir, filename, exc) from exc
    try:
        with handle:
            _fetch(transport, ref, handle, progress, read_timeout, retries)
            handle.flush()
            os.fsync(handle.fileno())
        return _publish(part, dest_dir, filename)
    except Wan22Error:
        part.unlink(missing_ok=True)
        raise
    except OSError as exc:  # disk full, no permission, folder removed meanwhile
        part.unlink(missing_ok=True)
        raise _disk_error(dest_dir, filename, exc) from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _disk_error(dest_dir: Path, filename: str, exc: OSError) -> InputError:
    return InputError(
        f"Could not save {filename} in {dest_dir}: {exc.strerror or exc}.",
        hint="Check that the output folder exists, is writable and has free space.",
    )


def _claim_part(dest_dir: Path, filename: str) -> tuple[Path, BinaryIO]:
    """Create `<free name>.part` exclusively, so two downloads never share a file."""
    for candidate in candidate_names(filename):
        final = dest_dir / candidate
        part = final.with_name(final.name + ".part")
        if final.exists():
            continue
        try:
            return part, open(part, "xb")
        except FileExistsError:
            continue
    raise AssertionError("unreachable")  # candidate_names never ends


def _publish(part: Path, dest_dir: Path, filename: str) -> Path:
    """Give the finished `.part` its final name without ever replacing an existing file."""
    preferred = part.name[: -len(".part")]
    names = itertools.chain([preferred], (c for c in candidate_names(filename) if c != preferred))
    for candidate in names:
        final = dest_dir / candidate
        try:
            os.link(part, final)  # fails if `final` exists: no overwrite race
        except FileExistsError:
            continue
        except OSError:  # no hard links here (some network or FAT drives)
            if final.exists():
                continue
            os.replace(part, final)
            return final
        part.unlink()
        return final
    raise AssertionError("unreachable")


def _fetch(transport: HttpTransport, ref: OutputFile, out: BinaryIO,
           progress: ProgressFn | None, read_timeout: float, retries: int) -> None:
    """Stream the file into `out`, resuming with Range after a dropped connection."""
    import requests  # here: the app's start-up downloads nothing

    state = {"have": 0, "total": None}
    failures = 0
    while True:
        try:
            if _fetch_once(transport, ref, out, progress, read_timeout, state):
                return
            reason = "the connection closed early"
        except (requests.RequestException, ServerUnavailable, ConnectionError) as exc:
            reason = str(exc) or type(exc).__name__
        failures += 1
        if failures > retries:
            raise ServerUnavailable(
                f"Downloading {ref.filename} from {transport.base_url} stopped at "
                f"{_size(state['have'])} of {_size(state['total'])} ({reason}).",
                hint="Check that ComfyUI is still running, then download again.",
            )
        time.sleep(min(0.25 * 2 ** (failures - 1), 2.0))


def _fetch_once(transport: HttpTransport, ref: OutputFile, out: BinaryIO,
                progress: ProgressFn | None, read_timeout: float, state: dict[str, Any]) -> bool:
    """One GET /view; True when the file is complete."""
    have = state["have"]
    headers = {"Range": f"bytes={have}-"} if have else {}
    params = {"filename": ref.filename, "subfolder": ref.subfolder, "type": ref.type}
    response = transport.request(
        "GET", "/view", params=params, headers=headers, stream=True,
        ok=(200, 206, 400, 403, 404, 416), timeout=(transport.timeout, read_timeout),
    )
    with response:
        _check_view_status(transport, ref, response, state)
        if response.status_code == 416:
            return True
        if response.status_code == 200 and have:  # the server ignored Range: start over
            out.seek(0)
            out.truncate()
            state["have"] = have = 0
        state["total"] = _total_size(response, have)
        for chunk in response.iter_content(_CHUNK):
            out.write(chunk)
            state["have"] += len(chunk)
            if progress is not None:
                progress(state["have"], state["total"])
    return state["total"] is None or state["have"] >= state["total"]


def _check_view_status(transport: HttpTransport, ref: OutputFile,
                       response: requests.Response, state: dict[str, Any]) -> None:
    status = response.status_code
    where = f"{ref.subfolder}/{ref.filename}" if ref.subfolder else ref.filename
    if status == 404:
        raise ComfyApiError(
            f"ComfyUI at {transport.base_url} has no {ref.type} file '{where}'.",
            hint="It may have been deleted or moved in ComfyUI's folder; run the job again.",
        )
    if status == 400:  # ComfyUI's rule: no name that starts with "/" or holds ".."
        raise UnsafePath(f"ComfyUI at {transport.base_url} refused to serve '{where}' "
                         f"(HTTP 400): it serves no file whose name starts with '/' or holds "
                         f"'..'.", hint="The file is in ComfyUI's output folder; copy it "
                                        "from there.")
    if status == 403:
        raise UnsafePath(f"ComfyUI at {transport.base_url} refused to serve '{where}' "
                         f"(HTTP 403): the subfolder leaves its output folder.",
                         hint="The file is in ComfyUI's output folder; copy it from there.")
    if status == 416 and (state["total"] is None or state["have"] < state["total"]):
        raise ComfyApiError(f"ComfyUI at {transport.base_url} could not resume the download of "
                            f"'{where}' (HTTP 416).", hint="Download it again.")


def _total_size(response: requests.Response, have: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    match = _CONTENT_RANGE_TOTAL.search(content_range)
    if response.status_code == 206 and match:
        return int(match.group(1))
    length = response.headers.get("Content-Length")
    return have + int(length) if length and length.isdigit() else None


def _size(value: int | None) -> str:
    return "unknown size" if value is None else f"{value:,} bytes"
