"""Keyboard shortcuts: Queue Ctrl+Enter, open image Ctrl+O, areas Ctrl+1..4; shown in the
menus and in the tooltips of the buttons they press."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QPushButton

from wan22_gui.app import App
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.mainwindow import MainWindow
from wan22_gui.gui.tasks import TaskRunner


@pytest.fixture
def window(qtbot, app_paths):
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    ctx.tasks.shutdown()
    core.close()


def test_menus_carry_the_shortcuts(window):
    actions = window.actions_by_name
    assert QKeySequence("Ctrl+Return") in actions["queue"].shortcuts()
    assert actions["open_image"].shortcut() == QKeySequence("Ctrl+O")
    for key, area in enumerate(("launcher", "generate", "gallery", "benchmark"), start=1):
        assert actions[f"area_{area}"].shortcut() == QKeySequence(f"Ctrl+{key}"), area


def test_tooltips_name_the_keys(window):
    generate = window.panel("generate")  # tabs build their panel when first shown
    assert "Ctrl+Enter" in generate.queue_button.toolTip()
    assert "Ctrl+O" in window.findChild(QPushButton, "choose_image").toolTip()
    tabs = window.tabs
    assert "Ctrl+3" in tabs.tabToolTip(tabs.indexOf(window.pages["gallery"]))


def test_area_keys_switch_tabs_and_raise_the_launcher(window, qtbot):
    tabs = window.tabs
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentWidget() is window.pages["gallery"]
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentWidget() is window.pages["generate"]
    dock = window.findChild(QDockWidget, "launcher_dock")
    dock.hide()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert dock.isVisible()


def test_ctrl_enter_queues_like_the_button(window, qtbot):
    generate = window.panel("generate")  # tabs build their panel when first shown
    window.tabs.setCurrentWidget(window.pages["gallery"])
    qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.pages["generate"]
    # no start image chosen: the same refusal the button gives
    assert "Choose a start image" in generate.form_message.text()
