"""The main window's menu bar: quit, panel visibility, the theme, the log and the app's folders.

Keyboard shortcuts come from `core.keyboard` (one table for menus, tooltips and the guide).

"Reveal log" shows the log file in the system's file manager (selected where the platform can
do that), so a user can attach it to a bug report without hunting for the platform's log folder.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QMessageBox

from wan22_gui import APP_NAME, __version__
from wan22_gui.core import keyboard
from wan22_gui.gui import notify, theme

if TYPE_CHECKING:
    from wan22_gui.gui.mainwindow import MainWindow

log = logging.getLogger("wan22.gui")


def open_url(url: QUrl) -> bool:
    """Open a URL with the desktop's handler (tests replace this)."""
    return QDesktopServices.openUrl(url)


def reveal_in_file_manager(path: Path) -> bool:
    """Show `path` in the file manager: selected on Windows and macOS, its folder elsewhere."""
    path = Path(path)
    target = path if path.exists() else path.parent
    try:
        if sys.platform == "win32" and target.is_file():
            subprocess.Popen(["explorer", f"/select,{target}"])  # returns at once
            return True
        if sys.platform == "darwin":
            subprocess.Popen(["open", "-R", str(target)])
            return True
    except OSError:
        log.warning("file manager could not be started for %s", target, exc_info=True)
    folder = target if target.is_dir() else target.parent
    return open_url(QUrl.fromLocalFile(str(folder)))


def build_menus(window: "MainWindow") -> dict[str, QAction]:
    """Add the File, View and Help menus to `window`; returns the actions by object name."""
    paths = window.ctx.app.paths
    actions: dict[str, QAction] = {}

    def add(menu, name: str, text: str, slot, shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, window)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(shortcut)
        elif name in keyboard.BY_NAME:
            action.setShortcuts([QKeySequence(k) for k in keyboard.keys_of(name)])
        action.triggered.connect(slot)
        menu.addAction(action)
        actions[name] = action
        return action

    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    add(file_menu, "queue", "Queue job", lambda: _on_generate(window, "queue_now"))
    add(file_menu, "open_image", "Open start image…", lambda: _on_generate(window, "choose_image"))
    file_menu.addSeparator()
    add(file_menu, "open_outputs", "Open output folder",
        lambda: _open_folder(window, paths.output_dir))
    file_menu.addSeparator()
    add(file_menu, "quit", "Quit", window.close)

    view_menu = bar.addMenu("&View")
    for dock in window.findChildren(QDockWidget):
        toggle = dock.toggleViewAction()
        toggle.setObjectName(f"toggle_{dock.objectName()}")
        view_menu.addAction(toggle)
        actions[toggle.objectName()] = toggle
    view_menu.addSeparator()
    for area in keyboard.AREA_KEYS:
        if area in window.panels or area in window.pages:  # tabs build their panel when shown
            add(view_menu, f"area_{area}", f"Go to {_area_title(window, area)}",
                lambda _=False, a=area: window.show_area(a))
    view_menu.addSeparator()
    actions.update(_theme_menu(window, view_menu.addMenu("&Theme")))
    actions.update(_notify_menu(window, view_menu.addMenu("&Notifications")))
    add(view_menu, "reset_layout", "Reset layout", window.reset_layout)

    help_menu = bar.addMenu("&Help")
    add(help_menu, "reveal_log", "Reveal log", lambda: _reveal_log(window))
    add(help_menu, "open_settings", "Open settings folder",
        lambda: _open_folder(window, paths.config_dir))
    help_menu.addSeparator()
    add(help_menu, "about", f"About {APP_NAME}", lambda: _about(window))
    return actions


def _area_title(window: "MainWindow", area: str) -> str:
    from wan22_gui.gui.mainwindow import AREAS

    return next(title for name, title, _where in AREAS if name == area)


def _on_generate(window: "MainWindow", method: str) -> None:
    """Bring Generate to the front and call one of its commands (queue_now, choose_image)."""
    panel = window.panel("generate")  # built now if its tab was not shown yet
    if panel is None:
        return
    window.show_area("generate")
    getattr(panel, method)()


def _theme_menu(window: "MainWindow", menu: QMenu) -> dict[str, QAction]:
    """System / Dark / Light, one checked; the choice is saved and applied at once."""
    settings = window.ctx.app.settings
    group = QActionGroup(menu)
    group.setExclusive(True)
    found = {}
    current = theme.choice_of(settings)
    for choice in theme.CHOICES:
        action = QAction(choice.capitalize(), menu, checkable=True)
        action.setObjectName(f"theme_{choice}")
        action.setChecked(choice == current)
        action.triggered.connect(lambda _=False, c=choice: theme.choose(settings, c))
        group.addAction(action)
        menu.addAction(action)
        found[action.objectName()] = action
    return found


def _notify_menu(window: "MainWindow", menu: QMenu) -> dict[str, QAction]:
    """Two switches saved in settings: the desktop notification and the sound."""
    settings = window.ctx.app.settings
    found = {}
    for name, key, text in (
        ("notify_desktop", notify.DESKTOP_KEY, "Notify when a job or the queue ends"),
        ("notify_sound", notify.SOUND_KEY, "Play a sound with it"),
    ):
        action = QAction(text, menu, checkable=True)
        action.setObjectName(name)
        action.setChecked(bool(settings.get(key)))
        action.toggled.connect(lambda on, k=key: settings.set(k, bool(on)))
        menu.addAction(action)
        found[name] = action
    return found


def _reveal_log(window: "MainWindow") -> None:
    log_file = window.ctx.app.paths.log_file
    for handler in logging.getLogger("wan22").handlers:
        flush = getattr(handler, "flush", None)
        if callable(flush):
            flush()  # what the user is about to read should include the last lines
    if reveal_in_file_manager(log_file):
        window.statusBar().showMessage(f"Log: {log_file}", 15000)
    else:
        _no_file_manager(window, log_file)


def _open_folder(window: "MainWindow", folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if open_url(QUrl.fromLocalFile(str(folder))):
        window.statusBar().showMessage(str(folder), 15000)
    else:
        _no_file_manager(window, folder)


def _no_file_manager(window: "MainWindow", path: Path) -> None:
    QMessageBox.information(
        window, APP_NAME,
        f"No file manager could be opened on this system.\n\nThe file is here:\n{path}",
    )


def _about(window: "MainWindow") -> None:
    paths = window.ctx.app.paths
    QMessageBox.about(
        window, f"About {APP_NAME}",
        f"<b>{APP_NAME}</b> {__version__}<br>"
        "Wan 2.2 14B image-to-video on a local ComfyUI.<br><br>"
        f"Settings: {paths.config_dir}<br>History: {paths.data_dir}<br>"
        f"Logs: {paths.log_dir}<br>Outputs: {paths.output_dir}",
    )
