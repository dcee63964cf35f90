from __future__ import annotations

import subprocess
import sys

from PySide6.QtWidgets import QDockWidget, QTabWidget

from tests.core.launcher_helpers import free_port
from wan22_gui.app import App
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.mainwindow import REQUIRED_AREAS, MainWindow
from wan22_gui.gui.tasks import TaskRunner


def tabs_has(window, area):
    tabs = window.findChild(QTabWidget, "main_tabs")
    return tabs.indexOf(window.panels[area]) >= 0


def test_window_shows_the_four_areas(qtbot, app_paths):
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    for area in REQUIRED_AREAS:
        assert area in window.panels
        assert window.panels[area].isVisibleTo(window) or tabs_has(window, area), area
    tabs = window.findChild(QTabWidget, "main_tabs")
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    assert "Generate" in titles and "Gallery" in titles
    docks = {d.windowTitle() for d in window.findChildren(QDockWidget)}
    assert {"ComfyUI", "Live GPU"} <= docks
    window.close()
    ctx.tasks.shutdown()
    core.close()


def test_self_test_command_passes(tmp_path):
    shot = tmp_path / "window.png"
    result = subprocess.run(
        [sys.executable, "-m", "wan22_gui", "--self-test", "--screenshot", str(shot)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "self-test: ok" in result.stdout
    assert shot.stat().st_size > 10_000


def test_background_result_arrives_on_gui_thread(qtbot):
    import threading

    runner = TaskRunner()
    main = threading.get_ident()
    seen = []
    runner.run_in_background(lambda: threading.get_ident(), lambda worker: seen.append(
        (worker != main, threading.get_ident() == main)))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [(True, True)]
    failures = []
    runner.run_in_background(lambda: 1 / 0, on_failure=failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert isinstance(failures[0], ZeroDivisionError)
    runner.shutdown()


def test_status_bar_says_which_comfyui_the_app_uses(qtbot, app_paths):
    from PySide6.QtWidgets import QLabel

    from wan22_gui.core.comfy.connection import ServerInfo

    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    label = window.findChild(QLabel, "server_status")
    assert label.text() == "ComfyUI: not connected"
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: the panels' probes are refused
    core.connection.set(ServerInfo(url, "launched", pid=42))
    qtbot.waitUntil(lambda: "started by the app" in label.text(), timeout=3000)
    assert url in label.text()
    other = f"http://127.0.0.1:{free_port()}"
    core.connection.set(ServerInfo(other, "attached"))
    qtbot.waitUntil(lambda: f"{other} (attached)" in label.text(), timeout=3000)
    window.shutdown_panels()
    ctx.tasks.shutdown()
    core.close()
