"""Shared fixtures. Every test gets its own app folders (WAN22_HOME) so nothing touches the
user's real settings or history, and Qt runs offscreen."""

from __future__ import annotations

import errno
import gc
import os
import socket
import sys
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The stand-in ComfyUI fixtures: standin, standin_with_models, standin_process, comfy_object_info.
pytest_plugins = ["tests.fakes.fixtures"]


@pytest.fixture(autouse=True)
def _collect_qt_garbage_on_main_thread():
    """Widgets left in reference cycles must be freed on the GUI thread. Otherwise the next
    automatic collection may run on a worker thread (an image decode, an HTTP call), delete
    QObjects there and crash the interpreter."""
    yield
    if "PySide6" in sys.modules:
        gc.collect()


COMFY_DEFAULT_PORT = 8188  # a user's (or another test run's) ComfyUI may be listening there


@pytest.fixture(autouse=True)
def _no_default_comfyui_port(monkeypatch):
    """Nothing in a test may talk to 127.0.0.1:8188. Whatever listens there on this machine, a
    connection is refused (so no test depends on it), and the test fails naming the call: every
    server a test uses takes a free port (`tests.core.launcher_helpers.free_port`)."""
    attempts: list[tuple[str, int]] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def _guarded(address) -> bool:
        if isinstance(address, tuple) and len(address) >= 2 and address[1] == COMFY_DEFAULT_PORT:
            attempts.append((str(address[0]), int(address[1])))
            return True
        return False

    def connect(self, address):
        if _guarded(address):
            raise ConnectionRefusedError(errno.ECONNREFUSED, "port 8188 is closed to tests")
        return real_connect(self, address)

    def connect_ex(self, address):
        return errno.ECONNREFUSED if _guarded(address) else real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield
    assert not attempts, (f"the test connected to {attempts[0][0]}:{COMFY_DEFAULT_PORT}, the "
                          "default ComfyUI port; give the server it means a free port")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("wan22home")
    monkeypatch.setenv("WAN22_HOME", str(home))
    monkeypatch.delenv("WAN22_CONFIG", raising=False)
    yield home


@pytest.fixture
def app_paths(_isolated_home):
    from wan22_gui.core.base.paths import AppPaths

    return AppPaths.under(_isolated_home).ensure()


@pytest.fixture(autouse=True)
def _no_dangling_threads():
    """A test that leaves a non-daemon thread running fails (it would hang the app on quit)."""
    before = set(threading.enumerate())
    yield
    leaked = []
    for thread in set(threading.enumerate()) - before:
        if thread.daemon or not thread.is_alive():
            continue
        thread.join(timeout=5)
        if thread.is_alive():
            leaked.append(thread.name)
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture(autouse=True)
def _no_writes_to_system_devices(monkeypatch):
    """The suite runs as root in CI, where an atomic write "into" /dev/null replaces the
    device with a plain file and breaks every later program. Renaming onto or deleting
    anything under /dev fails the test instead, naming the path."""
    def guard(name, real):
        def checked(src, dst=None, *args, **kwargs):
            target = os.path.realpath(os.fspath(dst if dst is not None else src))
            if target.startswith("/dev/"):
                raise AssertionError(f"a test tried os.{name} on {target}: write to tmp_path")
            if dst is None:
                return real(src, *args, **kwargs)
            return real(src, dst, *args, **kwargs)
        return checked

    for name in ("replace", "rename"):
        monkeypatch.setattr(os, name, guard(name, getattr(os, name)))
    for name in ("unlink", "remove"):
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda path, *a, _real=real, _n=name, **k: (
            guard(_n, _real)(path, None, *a, **k)))
    yield
