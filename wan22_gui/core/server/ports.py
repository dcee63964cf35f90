"""Ports and "is a ComfyUI answering there?" checks, done before a launch.

A busy port makes ComfyUI fail only after its whole start-up (about 14 s), so the launcher
checks first: a ComfyUI already there can be attached to; anything else means the next port.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

LOOPBACK = "127.0.0.1"


def connect_host(listen: str) -> str:
    """The address to reach a server that listens on `listen` ("0.0.0.0,::" -> 127.0.0.1)."""
    first = listen.split(",")[0].strip()
    if first in ("", "0.0.0.0", "::", "*"):
        return LOOPBACK
    return f"[{first}]" if ":" in first else first


def is_loopback(listen: str) -> bool:
    """True when every address ComfyUI would listen on is loopback-only."""
    for part in (p.strip() for p in listen.split(",")):
        if part == "localhost":
            continue
        try:
            if not ipaddress.ip_address(part).is_loopback:
                return False
        except ValueError:
            return False
    return True


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a server could bind `host:port` right now."""
    bind_host = host.split(",")[0].strip() or "0.0.0.0"
    family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((bind_host, port))
        except OSError:
            return False
    return True


def next_free_port(start: int, host: str = LOOPBACK, tries: int = 50) -> int | None:
    """The first free port from `start` on (None when `tries` ports in a row are taken)."""
    for port in range(start, min(start + tries, 65536)):
        if port_is_free(port, host):
            return port
    return None


def probe_comfy(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """GET /system_stats; the reply when it looks like ComfyUI's, else None (never raises)."""
    import requests  # here: the app's start-up does not wait for requests to load

    try:
        reply = requests.get(url.rstrip("/") + "/system_stats", timeout=timeout)
        data = reply.json() if reply.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("system"), dict):
        return data
    return None


def post_interrupt(url: str, timeout: float = 2.0) -> bool:
    """POST /interrupt (stops the running job before a shutdown); False when it failed."""
    import requests

    try:
        return requests.post(url.rstrip("/") + "/interrupt", json={}, timeout=timeout).ok
    except requests.RequestException:
        return False
