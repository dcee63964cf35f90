from __future__ import annotations

import subprocess
import sys

from PySide6.QtWidgets import QDockWidget, QLabel, QTabWidget

from tests.core.launcher_helpers import free_port
from wan22_gui.app import App
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.mainwindow import REQUIRED_AREAS, MainWindow
from wan22_gui.gui.tasks import TaskRunner


def test_window_shows_the_four_areas(qtbot, app_paths):
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.ensure_panels() == []
    tabs = window.findChild(QTabWidget, "main_tabs")
    for area in REQUIRED_AREAS:
        assert area in window.panels
        page = window.pages.get(area)
        assert window.panels[area].isVisibleTo(window) or tabs.indexOf(page) >= 0, area
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    assert "Generate" in titles and "Gallery" in titles
    docks = {d.windowTitle() for d in window.findChildren(QDockWidget)}
    assert {"ComfyUI", "Live GPU"} <= docks
    window.close()
    ctx.tasks.shutdown()
    core.close()


def test_a_tab_builds_its_panel_when_first_shown(qtbot, app_paths):
    """Start-up pays for the tab on screen only; the others open when the user picks them."""
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    tabs = window.findChild(QTabWidget, "main_tabs")
    assert "generate" not in window.panels and "gallery" not in window.panels
    assert "launcher" in window.panels and "telemetry" in window.panels  # docks are on screen
    window.show()
    assert tabs.tabText(tabs.currentIndex()) == "Generate"
    assert "generate" in window.panels and window.panels["generate"].isVisible()
    assert "gallery" not in window.panels
    gallery_page = window.pages["gallery"]
    assert "Opening Gallery" in gallery_page.findChild(QLabel, "lazy_tab_placeholder").text()
    tabs.setCurrentIndex(tabs.indexOf(gallery_page))
    gallery = window.panels["gallery"]
    assert gallery.isVisible() and gallery.parentWidget() is gallery_page
    tabs.setCurrentIndex(0)
    tabs.setCurrentIndex(tabs.indexOf(gallery_page))
    assert window.panels["gallery"] is gallery  # built once
    window.shutdown_panels()
    ctx.tasks.shutdown()
    core.close()


def test_a_tab_that_fails_to_build_says_so_and_the_window_goes_on(qtbot, app_paths, monkeypatch):
    import wan22_gui.gui.gallery.panel as gallery_panel

    def broken(ctx):
        raise RuntimeError("thumbnail folder is not readable")

    monkeypatch.setattr(gallery_panel, "create_panel", broken)
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    tabs = window.findChild(QTabWidget, "main_tabs")
    tabs.setCurrentIndex(tabs.indexOf(window.pages["gallery"]))
    text = window.pages["gallery"].findChild(QLabel, "lazy_tab_placeholder").text()
    assert "The Gallery tab could not be opened" in text
    assert "thumbnail folder is not readable" in text and "Reveal log" in text
    assert window.ensure_panels() == [
        "panel 'gallery' could not be built: RuntimeError: thumbnail folder is not readable"]
    assert "generate" in window.panels  # the rest of the window works
    window.shutdown_panels()
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
    core.connection.set(ServerInfo("http://gpu-box:8188", "attached"))
    qtbot.waitUntil(lambda: label.text() == "ComfyUI: http://gpu-box:8188 (attached)", timeout=3000)
    window.shutdown_panels()
    ctx.tasks.shutdown()
    core.close()
