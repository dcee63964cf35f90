"""Shared fixtures. Every test gets its own app folders (WAN22_HOME) so nothing touches the
user's real settings or history, and Qt runs offscreen."""

from __future__ import annotations

import gc
import os
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
