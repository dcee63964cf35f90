"""Start the GUI: QApplication, the App (composition root), the main window, and an ordered shutdown.

`wan22-gui --self-test` opens the window offscreen, checks that every panel, module and
resource loads, and exits 0 (used to check an installed or frozen build without a display).
`--screenshot PNG` saves a picture of the window and exits. Neither mode touches the window
geometry of the user nor the single-instance guard, so they run beside an open app.
`--install-shortcut` adds the app (as it runs now) to the desktop's application menu.
`--startup-report` prints how long the window took to become usable and the memory in use at
idle, then exits (`bench/bench_startup.py` runs it).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from wan22_gui import APP_NAME, __version__

APP_ID = "wan22-studio"  # desktop file name / Wayland app id (see packaging/)
ORGANIZATION = "Wan22Studio"
WINDOW_STATE_FILE = "window.ini"  # Qt's geometry blobs, next to settings.json
OFFSCREEN_DELAY_MS = 1500  # let panels finish their first background loads before checking


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wan22-gui", description=f"{APP_NAME} desktop app")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window offscreen, check panels, modules and resources, "
                             "print 'self-test: ok' and exit 0 (1 and the problems otherwise)")
    parser.add_argument("--screenshot", metavar="PNG", help="save a picture of the window and exit")
    parser.add_argument("--install-shortcut", action="store_true",
                        help="add this app to the desktop's application menu and exit")
    parser.add_argument("--startup-report", action="store_true",
                        help="open the window offscreen, print the seconds until it was usable "
                             "and the memory in use at idle, and exit")
    parser.add_argument("--version", action="version", version=f"wan22-gui {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    if getattr(sys, "frozen", False):
        # The built-in interpolation engine starts worker processes with "spawn"; in a frozen
        # build each worker re-runs this executable, and freeze_support() turns it into the worker.
        import multiprocessing

        multiprocessing.freeze_support()
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if args.install_shortcut:
        return _install_shortcut()
    offscreen = bool(args.self_test or args.screenshot or args.startup_report)
    if offscreen:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _set_windows_app_id()
    from wan22_gui.gui.xcb_check import check_before_qt

    problem = check_before_qt()  # Qt's own message would name one library, often the wrong one
    if problem:
        print(problem, file=sys.stderr)
        return 1

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from wan22_gui.app import App
    from wan22_gui.core.base.errors import Wan22Error
    from wan22_gui.core.base.logsetup import setup_logging
    from wan22_gui.core.base.paths import AppPaths
    from wan22_gui.gui import theme
    from wan22_gui.gui.context import AppContext
    from wan22_gui.gui.common.wheel_guard import install_wheel_guard
    from wan22_gui.gui.crash import install_crash_handler
    from wan22_gui.gui.gc_guard import MainThreadGarbageCollector
    from wan22_gui.gui.mainwindow import MainWindow
    from wan22_gui.gui.single_instance import SingleInstance, server_name
    from wan22_gui.gui.tasks import TaskRunner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    collector = MainThreadGarbageCollector(app)
    install_wheel_guard(app)  # scrolling a form never turns its spin boxes and combos

    try:
        paths = AppPaths.default().ensure()
    except Wan22Error as exc:  # an unwritable or full app home: say so, do not crash
        return _startup_failed(exc, offscreen)
    guard = None
    if not offscreen:
        guard = SingleInstance(server_name(paths.config_dir))
        if not guard.acquire():
            print(f"{APP_NAME} is already running; its window was brought to the front.")
            return 0

    try:
        root = App.for_gui(paths)
    except Wan22Error as exc:  # e.g. the history database is locked or read-only
        if guard is not None:
            guard.close()
        return _startup_failed(exc, offscreen)
    theme.install(app, root.settings)
    ring = setup_logging(root.paths.log_file)
    crash = install_crash_handler(app, root.messages, ring, root.paths.log_file)
    logging.getLogger("wan22").info("starting %s %s (frozen: %s)", APP_NAME, __version__,
                                    bool(getattr(sys, "frozen", False)))
    ctx = AppContext(app=root, tasks=TaskRunner(), log_ring=ring)
    window = MainWindow(ctx)
    window_state = QSettings(str(root.paths.config_dir / WINDOW_STATE_FILE),
                             QSettings.Format.IniFormat)
    if not offscreen:
        window.restore_geometry(window_state)
        guard.activate_requested.connect(window.bring_to_front)
    window.show()
    # Once the first frame is out: what start-up made lives until quit, so no collection walks it.
    QTimer.singleShot(0, collector.after_startup)

    if args.startup_report:
        from wan22_gui.gui.startup_report import report_when_usable

        report_when_usable(app, collector, started)
    elif offscreen:
        QTimer.singleShot(OFFSCREEN_DELAY_MS, lambda: _finish_offscreen(app, window, args))
    code = app.exec()
    if not offscreen:
        window.save_geometry(window_state)
        guard.close()
    window.shutdown_panels()
    ctx.tasks.shutdown()
    root.close()
    crash.uninstall()
    collector.stop()
    return code if not offscreen else getattr(app, "_wan22_code", 1)


def _startup_failed(exc: BaseException, offscreen: bool) -> int:
    """The app cannot start: the reason in words (a dialog, or stderr without a display)."""
    text = exc.user_text() if hasattr(exc, "user_text") else str(exc)
    print(f"{APP_NAME} cannot start: {text}", file=sys.stderr)
    if not offscreen:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, f"{APP_NAME} cannot start", text)
    return 1


def app_icon():
    """The app icon in every size shipped under resources/icons/."""
    from PySide6.QtGui import QIcon

    from wan22_gui.core.base.resources import resource_path
    from wan22_gui.core.shortcuts import ICON_SIZES

    icon = QIcon()
    for size in ICON_SIZES:
        path = resource_path("icons", f"{APP_ID}-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    return icon


def _set_windows_app_id() -> None:
    # Without an explicit id Windows groups the window under python.exe / the bootloader and
    # shows their icon in the taskbar instead of ours.
    if sys.platform != "win32":
        return
    try:
        import ctypes

        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(f"{ORGANIZATION}.{APP_ID}")
    except (AttributeError, OSError):
        pass


def _install_shortcut() -> int:
    from wan22_gui.core import shortcuts
    from wan22_gui.core.base.resources import resource_path

    if not getattr(sys, "frozen", False):
        print("--install-shortcut is for the built app (dist/wan22-studio); from a source "
              "install, start the app with the wan22-gui command.", file=sys.stderr)
        return 2
    written = shortcuts.install_for_user(Path(sys.executable), resource_path("icons"), __version__)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("No shortcut was written: this platform has no application menu to add to.",
              file=sys.stderr)
        return 1
    return 0


def _finish_offscreen(app, window, args) -> None:
    from wan22_gui.gui.selftest import run_self_test

    problems = run_self_test(window) if args.self_test else []
    if args.screenshot:
        target = Path(args.screenshot)
        if not window.grab().save(str(target)):
            problems.append(f"the screenshot could not be saved to {target}")
    log = logging.getLogger("wan22")
    for problem in problems:
        log.error("self-test: %s", problem)  # the log is all a windowed Windows build shows
        print(f"self-test: {problem}", file=sys.stderr)
    if args.self_test and not problems:
        log.info("self-test: ok")
        print("self-test: ok")
    if sys.stdout is not None:  # None in a windowed (no console) build
        sys.stdout.flush()
    app._wan22_code = 1 if problems else 0
    app.quit()
