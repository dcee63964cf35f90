"""The launcher panel (left dock): ComfyUI folder, GPUs, preset with reasons, doctor, network,
Start/Stop/Restart/Attach, start-up progress, crash banner, console, script export and snapshot.
A first start without ComfyUI shows the first-run page (`first_run.py`) instead; a server
attached last time is attached again at start, and the result is said.

A view over the launch setup (`core.server.setup.LaunchSetup`), which holds the state and runs
install -> probe -> flag table -> plan -> doctor; every blocking step (finding the install,
probing its Python, `--help`, port checks, start, stop, attach, snapshot) is one of its methods,
run here in the background. Its `changed` and the controller's signals reach the GUI thread
through `gui.bridge.subscribe`.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
    QPushButton, QScrollArea, QSpinBox, QSplitter, QStackedWidget, QVBoxLayout, QWidget,
)

from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.server import launcher as L
from wan22_gui.core.server.crash import CrashReport
from wan22_gui.core.server.ports import LOOPBACK, is_loopback
from wan22_gui.core.server.scripts import default_name
from wan22_gui.core.server.setup import LaunchSetup
from wan22_gui.gui.bridge import subscribe, unsubscribe_all
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.launcher.crash import CrashBanner
from wan22_gui.gui.launcher.doctor import DoctorList
from wan22_gui.gui.launcher.first_run import FirstRunPage
from wan22_gui.gui.launcher.gpus import GpuList
from wan22_gui.gui.launcher.install import InstallBox
from wan22_gui.gui.launcher.log import LauncherLog
from wan22_gui.gui.launcher.preset import PresetBox
from wan22_gui.gui.richtext import colored

log = logging.getLogger("wan22.gui")
LISTEN_CHOICES = [("This computer only (127.0.0.1)", LOOPBACK),
                  ("All networks (0.0.0.0) - no authentication!", "0.0.0.0")]
NO_AUTH_WARNING = (
    "ComfyUI has no login and no password. Listening on all networks lets anyone who can reach "
    "this computer run workflows, upload files and read your outputs.\n\n"
    "Only do this on a network you trust. Listen on all networks?")


def create_panel(ctx: AppContext) -> QWidget:
    return LauncherPanel(ctx)


def _group(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(widget)
    return box


class LauncherPanel(QWidget):
    """See the module docstring. `setup.plan` is the launch the current choices describe."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("launcher_panel")
        self.setMinimumWidth(340)
        self.ctx, self.app = ctx, ctx.app
        self.setup: LaunchSetup = ctx.app.launch_setup(remember=True)
        self.controller = self.setup.controller
        self.shown_revision = -1
        self._build()
        subscribe(self, self.setup.changed, self._on_changed)
        subscribe(self, self.controller.state_changed, self._on_state)
        subscribe(self, self.controller.crashed, self._on_crash)
        subscribe(self, self.app.health.changed, lambda _health: self._show_state())
        self.app.health.start()  # idempotent: the window starts it too
        self.elapsed_timer = QTimer(self)
        self.elapsed_timer.setInterval(500)
        self.elapsed_timer.timeout.connect(self._show_state)
        self._on_state(self.controller.state)
        self._background(self.setup.detect_gpus, lambda _: None, "detecting GPUs",
                         later=True)  # NVML: once the window is up
        if self.setup.first_run:
            self.show_first_run()
        self._load_install(None)
        self._reattach()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.install_box = InstallBox()
        self.gpu_list = GpuList()
        self.preset_box = PresetBox()
        self.doctor = DoctorList()
        config = QWidget()
        column = QVBoxLayout(config)
        column.setContentsMargins(0, 0, 4, 0)
        for title, widget in (("ComfyUI folder", self.install_box), ("GPU", self.gpu_list),
                              ("Launch preset", self.preset_box), ("Doctor", self.doctor),
                              ("Network", self._network())):
            column.addWidget(_group(title, widget))
        column.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(config)
        self.log_view = LauncherLog(self.controller)
        self.splitter = splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.scroll)
        splitter.addWidget(self._run_area())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.first_run = FirstRunPage(self.attach_url.text())
        self.first_run.folder_chosen.connect(self._first_run_folder)
        self.first_run.attach_requested.connect(self._first_run_attach)
        self.first_run.skipped.connect(self.show_launcher)
        first_scroll = QScrollArea()  # the page wraps its text; it scrolls only when short
        first_scroll.setWidgetResizable(True)
        first_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        first_scroll.setWidget(self.first_run)
        self.pages = QStackedWidget()
        self.pages.addWidget(splitter)
        self.pages.addWidget(first_scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.pages)
        self.install_box.path_chosen.connect(self._load_install)
        self.preset_box.changed.connect(self._on_choice_changed)

    def _network(self) -> QWidget:
        self.port = QSpinBox()
        self.port.setObjectName("port")
        self.port.setRange(1024, 65535)
        self.port.setValue(self.setup.choices.port)
        self.port.valueChanged.connect(self._on_choice_changed)
        self.listen = QComboBox()
        self.listen.setObjectName("listen")
        for title, address in LISTEN_CHOICES:
            self.listen.addItem(title, address)
        self.listen.setCurrentIndex(max(0, self.listen.findData(self.setup.choices.listen)))
        self.listen.activated.connect(self._on_listen_chosen)
        self.listen.setMinimumContentsLength(12)  # long titles elide instead of widening
        self.listen.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.attach_url = QLineEdit(self.setup.settings.get("server.url", "http://127.0.0.1:8188"))
        self.attach_url.setObjectName("attach_url")
        self.attach_button = QPushButton("Attach")
        self.attach_button.setObjectName("attach_button")
        self.attach_button.setToolTip("Use a ComfyUI that is already running (here or remote)")
        self.attach_button.clicked.connect(self._attach)
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Port", self.port)
        form.addRow("Listen on", self.listen)
        return box

    def _attach_row(self) -> QHBoxLayout:
        """Outside the scrolled settings: attaching needs no folder, so it is always in view."""
        row = QHBoxLayout()
        row.addWidget(QLabel("Or attach to"))
        row.addWidget(self.attach_url, 1)
        row.addWidget(self.attach_button)
        return row

    def _run_area(self) -> QWidget:
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("start_button")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stop_button")
        self.restart_button = QPushButton("Restart")
        self.restart_button.setObjectName("restart_button")
        self.start_button.clicked.connect(self._start)
        self.stop_button.clicked.connect(self._stop)
        self.restart_button.clicked.connect(self._restart)
        self.state_label = QLabel(wordWrap=True)
        self.state_label.setObjectName("server_state")
        self.message = QLabel(wordWrap=True)
        self.message.setObjectName("launcher_message")
        self.message.hide()
        self.crash_banner = CrashBanner()
        self.crash_banner.restart_requested.connect(self._restart)
        export = QPushButton("Export script...")
        export.setObjectName("export_button")
        export.clicked.connect(self._export_script)
        snapshot = QPushButton("Env snapshot...")
        snapshot.setObjectName("snapshot_button")
        snapshot.clicked.connect(self._snapshot)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.restart_button):
            buttons.addWidget(button)
        welcome = QPushButton("Getting started...")
        welcome.setObjectName("first_run_button")
        welcome.setToolTip("The first-run page: pick a folder, attach, or what to install")
        welcome.clicked.connect(self.show_first_run)
        tools = QHBoxLayout()
        tools.addWidget(export)
        tools.addWidget(snapshot)
        tools.addWidget(welcome)
        area = QWidget()
        layout = QVBoxLayout(area)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addLayout(self._attach_row())
        layout.addWidget(self.state_label)
        layout.addWidget(self.message)
        layout.addWidget(self.crash_banner)
        layout.addWidget(self.log_view, 1)
        layout.addLayout(tools)
        return area

    # -- plumbing --------------------------------------------------------------------------
    def _background(self, fn: Callable[[], Any], done: Callable[[Any], None], what: str,
                    failed: Callable[[BaseException], None] | None = None, *,
                    later: bool = False) -> None:
        def _failed(exc: BaseException) -> None:
            if failed is not None:
                failed(exc)
            else:
                self._say(exc.user_text() if isinstance(exc, Wan22Error) else
                          f"{what} failed: {exc}", error=True)
            if not isinstance(exc, Wan22Error):
                log.error("%s failed", what, exc_info=exc)
        if later:
            self.ctx.tasks.run_after_window(self, fn, done, _failed)
        else:
            self.ctx.tasks.run_in_background(fn, done, _failed)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(colored(text, "#b00020" if error else "#333"))
        self.message.setVisible(bool(text))

    # -- first run and re-attach ---------------------------------------------------------------
    def show_first_run(self) -> None:
        self.pages.setCurrentIndex(1)

    def show_launcher(self) -> None:
        self.pages.setCurrentIndex(0)

    @property
    def on_first_run(self) -> bool:
        return self.pages.currentIndex() == 1

    def _first_run_folder(self, folder: str) -> None:
        self.first_run.say("")
        self.install_box.path.setText(folder)
        self._load_install(folder)
        self.show_launcher()  # the folder's findings, the preset and Start are there

    def _first_run_attach(self, url: str) -> None:
        self.attach_url.setText(url)
        self.first_run.set_busy(True)
        self.first_run.say(f"Attaching to {url}...")

        def attached(info) -> None:
            self.first_run.set_busy(False)
            self.first_run.say("")
            self.show_launcher()

        def failed(exc: BaseException) -> None:
            self.first_run.set_busy(False)
            self.first_run.say(exc.user_text() if isinstance(exc, Wan22Error) else str(exc),
                               error=True)

        self._background(lambda: self.setup.attach(url), attached, "attaching", failed)

    def _reattach(self) -> None:
        """Attach to the server of last time, and say how that went."""
        url = self.setup.saved_attach_url
        if not url:
            return
        self._say(f"Attaching again to {url} (the server of last time)...")

        def failed(exc: BaseException) -> None:
            why = exc.user_text() if isinstance(exc, Wan22Error) else str(exc)
            self._say(f"Could not attach again to {url}: {why}", error=True)

        self._background(self.setup.reattach, lambda info: self._say(
            f"Attached again to {info.url}, the server of last time." if info else ""),
            "attaching again", failed)

    # -- showing the model -----------------------------------------------------------------
    def _on_changed(self, part: str) -> None:
        """Show what the model says (on the GUI thread); `shown_revision` tells tests we did."""
        revision = self.setup.revision
        show = {"install": self._show_install, "probe": self._show_probe,
                "gpus": self._show_gpus}.get(part)
        if show is not None:
            show()
        self._show_plan()
        self.shown_revision = revision

    def _show_install(self) -> None:
        setup = self.setup
        if setup.looking:
            self.install_box.info.setText("<i>Looking at the ComfyUI folder...</i>")
        elif setup.install is not None:
            self.install_box.show_install(setup.install, setup.probe)
            if self.on_first_run:
                self.show_launcher()  # found in a usual place: nothing to ask any more
        elif setup.install_problem:
            self.install_box.show_problem(setup.install_problem)

    def _show_probe(self) -> None:
        setup, probe = self.setup, self.setup.probe
        if probe is None or setup.install is None:
            return
        self.install_box.show_install(setup.install, probe)
        note = probe.error or "SageAttention / FlashAttention appear once installed there."
        self.preset_box.set_attention_choices(probe.attention_backends(), note,
                                              setup.choices.attention)

    def _show_gpus(self) -> None:
        setup = self.setup
        if setup.recommended is None:
            return
        self.preset_box.extra.setText(setup.choices.extra_args)  # before set_book: it saves
        self.preset_box.set_book(setup.presets, setup.recommended,
                                 setup.gpu.name if setup.gpu else None, setup.choices.preset)
        if setup.presets.problems:
            self._say("\n".join(setup.presets.problems), error=True)

    def _show_plan(self) -> None:
        setup = self.setup
        if setup.plan is not None:
            pending = "Checking flags..." if setup.flags_pending else ""
            self.doctor.set_findings(setup.findings, pending=pending,
                                     problem=setup.help_problem)
        elif setup.install is None and not setup.looking:
            self.doctor.show_nothing_to_check()
        if setup.report is not None:
            self.gpu_list.show_report(setup.report, setup.used_gpu_index())
        self._show_state()

    # -- the user's choices ----------------------------------------------------------------
    def _load_install(self, path: str | None) -> None:
        self.install_box.info.setText("<i>Looking at the ComfyUI folder...</i>")
        self._background(lambda: self.setup.load_install(path), lambda _: None,
                         "finding ComfyUI", self._install_failed)

    def _install_failed(self, exc: BaseException) -> None:
        """The model recorded the problem and `changed` shows it; only log the unexpected."""

    def _on_choice_changed(self) -> None:
        box = self.preset_box
        if box.book is None:  # the combo is not filled yet: keep the saved choices
            self.setup.choose(port=self.port.value())
        else:
            self.setup.choose(preset=box.preset_setting(), attention=box.attention_choice() or "",
                              extra_args=box.extra.text(), port=self.port.value())
        self._show_plan()

    def _on_listen_chosen(self, index: int) -> None:
        address = self.listen.itemData(index)
        if not is_loopback(address):
            answer = QMessageBox.warning(self, "ComfyUI has no authentication", NO_AUTH_WARNING,
                                         QMessageBox.StandardButton.Yes
                                         | QMessageBox.StandardButton.No,
                                         QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                self.listen.setCurrentIndex(self.listen.findData(LOOPBACK))
                address = LOOPBACK
        self.setup.choose(listen=address)
        self._show_plan()

    # -- running ---------------------------------------------------------------------------
    def _start(self) -> None:
        if self.setup.plan is None:
            self._say("Choose a ComfyUI folder first (Browse...).", error=True)
            return
        self._say("")
        self.crash_banner.hide()
        self._background(self.setup.start, lambda started: self._show_plan(),
                         "starting ComfyUI", self._start_failed)

    def _start_failed(self, exc: BaseException) -> None:
        if isinstance(exc, L.ComfyAlreadyRunning):
            answer = QMessageBox.question(self, "ComfyUI is already running",
                                          f"{exc}\n\nAttach to it instead of starting another?")
            if answer == QMessageBox.StandardButton.Yes:
                self.attach_url.setText(exc.url)
                self._attach()
            return
        self._say(exc.user_text() if isinstance(exc, Wan22Error) else str(exc), error=True)

    def _stop(self) -> None:
        self._background(self.setup.stop, lambda _: None, "stopping ComfyUI")

    def _restart(self) -> None:
        """Stop and start again with the current choices (a fixed flag takes effect)."""
        self.crash_banner.hide()
        if self.setup.plan is None or self.controller.state == L.STATE_ATTACHED:
            self._start()
            return
        self._background(self.setup.restart, lambda _: None, "restarting ComfyUI",
                         self._start_failed)

    def _attach(self) -> None:
        url = self.attach_url.text()
        self._say("")
        self._background(lambda: self.setup.attach(url), lambda info: None, "attaching")

    def _on_crash(self, report: CrashReport) -> None:
        self.crash_banner.show_report(report)

    def _on_state(self, state: str) -> None:
        if state == L.STATE_STARTING:
            self.elapsed_timer.start()
        else:
            self.elapsed_timer.stop()
        self._show_state()

    def _show_state(self) -> None:
        """What the launcher is doing while it starts or stops; else the app's one connection
        state, in the same words as the status bar."""
        state = self.controller.state
        elapsed = self.controller.elapsed() or 0.0
        plan = self.controller.plan
        texts = {
            L.STATE_STARTING: f"Starting... {elapsed:.0f} s (waiting for "
                              f"{plan.url if plan else 'ComfyUI'} to answer)",
            L.STATE_STOPPING: "Stopping ComfyUI...",
        }
        text = texts.get(state) or self.app.health.current.words
        self.state_label.setText(f"<b>{colored(text, '#222')}</b>")
        idle = state in (L.STATE_STOPPED, L.STATE_CRASHED)
        self.start_button.setEnabled(idle and self.setup.plan is not None)
        self.stop_button.setEnabled(state in (L.STATE_STARTING, L.STATE_READY, L.STATE_ATTACHED))
        self.stop_button.setText("Detach" if state == L.STATE_ATTACHED else "Stop")
        self.restart_button.setEnabled(state in (L.STATE_READY, L.STATE_CRASHED, L.STATE_STARTING))
        self.attach_button.setEnabled(idle)

    # -- export ----------------------------------------------------------------------------
    def _export_script(self) -> None:
        plan = self.setup.plan
        if plan is None:
            self._say("Choose a ComfyUI folder and a preset first.", error=True)
            return
        fmt = "bat" if os.name == "nt" else "sh"
        start = str(Path.home() / default_name(plan, fmt))
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export launch script", start, "Windows batch (*.bat);;Shell script (*.sh)",
            "Windows batch (*.bat)" if fmt == "bat" else "Shell script (*.sh)")
        if not path:
            return
        fmt = "bat" if path.endswith(".bat") or (".bat" in chosen and not path.endswith(".sh")) \
            else "sh"
        self._background(lambda: self.setup.export_script(fmt, Path(path)),
                         lambda written: self._say(f"Saved {written}"), "exporting the script")

    def _snapshot(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path, _ = QFileDialog.getSaveFileName(self, "Save environment snapshot",
                                              str(Path.home() / f"wan22-env-{stamp}.json"),
                                              "JSON (*.json)")
        if not path:
            return
        self._background(lambda: self.setup.snapshot(Path(path)),
                         lambda written: self._say(f"Saved {written}"), "taking the snapshot")

    def shutdown(self) -> None:
        """Stop timers and unsubscribe (the server itself is stopped by App.close)."""
        self.elapsed_timer.stop()
        self.log_view.shutdown()
        unsubscribe_all(self)
