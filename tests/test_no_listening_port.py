"""The app opens no port to the network: remote backends are reached only at the URLs the user
added (outgoing connections); nothing in the app listens on a non-loopback address."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import wan22_gui
from wan22_gui.app import App

PACKAGE = Path(wan22_gui.__file__).parent
# Servers a module could open: each is a listening port (QLocalServer is a local socket file).
SERVER_APIS = re.compile(r"QTcpServer|QUdpSocket|QWebSocketServer|http\.server|socketserver|"
                         r"start_server|create_server|aiohttp\.web|\.listen\(\s*\d*\s*\)")


def test_no_module_of_the_app_can_open_a_network_server():
    offenders = [f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
                 for path in PACKAGE.rglob("*.py")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if SERVER_APIS.search(line) and not line.lstrip().startswith("#")]
    assert offenders == []


def test_building_and_closing_the_app_binds_nothing_beyond_loopback(app_paths, monkeypatch):
    bound: list[tuple] = []
    real_bind, real_listen = socket.socket.bind, socket.socket.listen

    def bind(self, address):
        bound.append(("bind", self.family, address))
        return real_bind(self, address)

    def listen(self, *args):
        bound.append(("listen", self.family, self.getsockname()))
        return real_listen(self, *args)

    monkeypatch.setattr(socket.socket, "bind", bind)
    monkeypatch.setattr(socket.socket, "listen", listen)
    app = App.for_gui(app_paths)
    app.close()
    listening = [entry for entry in bound if entry[0] == "listen"]
    assert all(family == socket.AF_UNIX or address[0] in ("127.0.0.1", "::1")
               for _, family, address in listening), listening
