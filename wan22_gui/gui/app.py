"""Start the GUI: QApplication, AppCore, the main window, and an ordered shutdown.

`wan22-gui --self-test` opens the window offscreen, checks that every panel and resource
loads, and exits 0 (used to check an installed or frozen build without a display).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from wan22_gui import APP_NAME, __version__


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wan22-gui", description=f"{APP_NAME} desktop app")
    parser.add_argument("--self-test", action="store_true", help="open offscreen, check, exit")
    parser.add_argument("--screenshot", metavar="PNG", help="save a picture of the window and exit")
    parser.add_argument("--version", action="version", version=f"wan22-gui {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test or args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from wan22_gui.core.appcore import AppCore
    from wan22_gui.core.logsetup import setup_logging
    from wan22_gui.gui.context import AppContext
    from wan22_gui.gui.mainwindow import MainWindow
    from wan22_gui.gui.tasks import TaskRunner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName("Wan22Studio")
    app.setApplicationVersion(__version__)
    core = AppCore.create()
    ring = setup_logging(core.paths.log_file)
    logging.getLogger("wan22").info("starting %s %s", APP_NAME, __version__)
    ctx = AppContext(core=core, tasks=TaskRunner(), log_ring=ring)
    window = MainWindow(ctx)
    geometry_store = QSettings()
    if not (args.self_test or args.screenshot):
        window.restore_geometry(geometry_store)
    window.show()

    if args.self_test or args.screenshot:
        QTimer.singleShot(1500, lambda: _finish_offscreen(app, window, args))
    code = app.exec()
    if not (args.self_test or args.screenshot):
        window.save_geometry(geometry_store)
    window.shutdown_panels()
    ctx.tasks.shutdown()
    core.close()
    return code if not (args.self_test or args.screenshot) else getattr(app, "_wan22_code", 1)


def _finish_offscreen(app, window, args) -> None:
    from wan22_gui.gui.selftest import run_self_test

    problems = run_self_test(window)
    if args.screenshot:
        window.grab().save(args.screenshot)
    for problem in problems:
        print(f"self-test: {problem}", file=sys.stderr)
    if args.self_test and not problems:
        print("self-test: ok")
    app._wan22_code = 1 if problems else 0
    app.quit()
