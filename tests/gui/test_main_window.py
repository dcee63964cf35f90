from __future__ import annotations

import subprocess
import sys

import pytest
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


def test_work_after_the_window_runs_later_and_never_after_quit(qtbot):
    from PySide6.QtCore import QObject

    from wan22_gui.gui.tasks import AFTER_WINDOW_MS

    runner, owner, seen = TaskRunner(), QObject(), []
    runner.run_after_window(owner, lambda: "gpus", seen.append)
    assert seen == []  # not during start-up
    qtbot.waitUntil(lambda: seen == ["gpus"], timeout=5000)
    runner.run_after_window(owner, lambda: "too late", seen.append)
    runner.shutdown()  # the app quit before the moment came
    qtbot.wait(AFTER_WINDOW_MS + 200)
    assert seen == ["gpus"]


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


def _plain(html_text: str) -> str:
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(html_text)
    return doc.toPlainText()


def _window_without_gpu(qtbot, app_paths, size):
    """The main window at `size` on a computer without an NVIDIA driver."""
    from tests.fakes.fake_nvml import library_not_found
    from wan22_gui.app import Given
    from wan22_gui.core.telemetry.nvml import Nvml

    core = App.for_gui(app_paths, given=Given(nvml=Nvml(library_not_found(),
                                                        register_atexit=False)))
    ctx = AppContext(app=core, tasks=TaskRunner())
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    return window, ctx, core


def _close(window, ctx, core):
    window.shutdown_panels()
    ctx.tasks.shutdown()
    core.close()


def test_view_menu_toggles_the_two_panels(qtbot, app_paths):
    window, ctx, core = _window_without_gpu(qtbot, app_paths, (1280, 720))
    try:
        for name in ("toggle_launcher_dock", "toggle_telemetry_dock"):
            action = window.actions_by_name[name]
            dock = window.findChild(QDockWidget, name.removeprefix("toggle_"))
            assert action.isEnabled() and action.isChecked(), name
            action.trigger()
            qtbot.waitUntil(lambda d=dock: not d.isVisible(), timeout=2000)
            action.trigger()
            qtbot.waitUntil(dock.isVisible, timeout=2000)
    finally:
        _close(window, ctx, core)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_window_is_roomy_without_a_gpu(qtbot, app_paths, size, tmp_path):
    window, ctx, core = _window_without_gpu(qtbot, app_paths, size)
    try:
        telemetry = window.panels["telemetry"]
        qtbot.waitUntil(lambda: telemetry.folded, timeout=5000)
        qtbot.wait(100)
        dock = window.findChild(QDockWidget, "telemetry_dock")
        tabs = window.findChild(QTabWidget, "main_tabs")
        assert dock.height() < 110, "no GPU data: one line, not half the window"
        assert tabs.height() > size[1] * 0.7
        launcher = window.panels["launcher"]
        launcher.show_launcher()
        qtbot.wait(100)
        scroll = launcher.scroll
        assert scroll.widget().width() <= scroll.viewport().width(), "cut off at the side"
        assert scroll.horizontalScrollBar().value() == 0
        assert launcher.attach_button.isVisible()  # not at the bottom of the scrolled part
        progress = window.panels["generate"].progress
        for label in (progress.now, progress.step_text):
            assert label.height() >= label.fontMetrics().height() or not label.text()
        assert window.grab().save(str(tmp_path / f"window_{size[0]}.png"))
    finally:
        _close(window, ctx, core)


def test_a_dead_server_shows_as_lost_everywhere_in_the_same_words(qtbot, app_paths, standin):
    import time

    from wan22_gui.core.comfy.connection import ServerInfo

    window, ctx, core = _window_without_gpu(qtbot, app_paths, (1280, 720))
    try:
        core.connection.set(ServerInfo(standin.url, "attached"))
        status = window.server_status
        qtbot.waitUntil(lambda: "connected to" in status.text(), timeout=5000)
        assert "NVIDIA GeForce RTX 4090" in status.text()
        standin.die()
        died = time.monotonic()
        qtbot.waitUntil(lambda: "lost since" in status.text(), timeout=5000)
        assert time.monotonic() - died < 5.0
        words = core.health.current.words
        assert status.text() == words
        launcher = window.panels["launcher"]
        generate = window.panels["generate"]
        telemetry = window.panels["telemetry"]
        qtbot.waitUntil(lambda: _plain(launcher.state_label.text()) == words, timeout=3000)
        qtbot.waitUntil(lambda: generate.connection_line.text() == words, timeout=3000)
        qtbot.waitUntil(lambda: telemetry.fold_line.text().endswith(words), timeout=3000)
    finally:
        _close(window, ctx, core)
