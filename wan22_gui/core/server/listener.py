"""Which local process listens on a TCP port: ComfyUI's pid for a server the app did not
launch (attached by address), so telemetry can still measure its own VRAM.

Linux reads /proc (the socket's inode in /proc/net/tcp*, then the process holding it); other
systems answer None and the per-process figure stays "not measured".
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0.0.0.0")
_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def pid_of_local_server(url: str) -> int | None:
    """The pid listening on `url`'s port when the URL names this machine; else None."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if (parts.hostname or "") not in LOCAL_HOSTS:
        return None
    try:
        port = parts.port or 80
    except ValueError:
        return None
    return listening_pid(port)


def listening_pid(port: int, proc: Path = Path("/proc")) -> int | None:
    """The pid of a process listening on TCP `port` (any address), or None."""
    inodes = _listening_inodes(port, proc)
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    return int(entry.name)
        except OSError:  # gone meanwhile, or another user's process
            continue
    return None


def _listening_inodes(port: int, proc: Path) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _LISTEN and \
                    int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes
