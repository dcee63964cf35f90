"""The main window: launcher on the left, generate/gallery tabs in the middle, the live GPU
graph along the bottom. Every area is a panel module from `wan22_gui.gui`.

The docks' panels are built with the window; a tab's panel (and what its module imports) is
built the first time its tab is shown (`LazyTab`), so start-up pays only for what is on screen.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTabWidget, QWidget

from wan22_gui import APP_NAME, __version__
from wan22_gui.core import keyboard
from wan22_gui.gui import bridge
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.dropping import WorkflowImport, local_files, wants_workflow
from wan22_gui.gui.notify import Notifier
from wan22_gui.gui.lazy_tab import LazyTab
from wan22_gui.gui.window_menu import build_menus

log = logging.getLogger("wan22.gui")

# (panel name, title, where): "left"/"bottom" are docks, "tab" goes into the central tabs.
AREAS = [
    ("launcher", "ComfyUI", "left"),
    ("generate", "Generate", "tab"),
    ("gallery", "Gallery", "tab"),
    ("benchmark", "Benchmark", "tab"),
    ("telemetry", "Live GPU", "bottom"),
]
# panel name -> the feature folder whose `panel` module builds it
FEATURE_FOLDERS = {"benchmark": "bench"}
REQUIRED_AREAS = ("launcher", "generate", "gallery", "telemetry")


class MainWindow(QMainWindow):
    """Hosts the panels and shuts them down in reverse order on close.

    `panels` holds the panels built so far (a tab's panel appears once its tab was shown, or
    `ensure_panels()` / `panel(name)` built it); `pages` the tab pages by panel name.
    """

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(f"{APP_NAME} {__version__}")
        self.setObjectName("main_window")
        self.panels: dict[str, QWidget] = {}
        self.pages: dict[str, LazyTab] = {}
        self.tabs = QTabWidget()
        self.tabs.setObjectName("main_tabs")
        self.setCentralWidget(self.tabs)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks)
        for name, title, where in AREAS:
            if where == "tab":
                self._add_tab(name, title)
            else:
                self._add_dock(name, title, where)
        self.server_status = QLabel()
        self.server_status.setObjectName("server_status")
        self.statusBar().addPermanentWidget(self.server_status)
        self._show_server(ctx.app.health.current)
        bridge.subscribe(self, ctx.app.health.changed, self._show_server)
        ctx.app.health.start()  # the probe that tells a dead server within seconds
        self.notifier = Notifier(self, ctx)
        self.setAcceptDrops(True)  # workflows dropped on any area that takes no drops itself
        self.workflow_import = self._workflow_import()
        self.actions_by_name = build_menus(self)
        self.resize(1480, 940)
        self._default_state = self.saveState()
        self._sized_docks = False  # the first show sizes them for the window's real size
        self._default_dock_sizes()

    def _workflow_import(self) -> WorkflowImport | None:
        """The import dialog for dropped workflows; the Generate panel (built on first use, as
        tabs are) gives the job the import starts from and takes the result."""
        if "generate" not in self.pages and "generate" not in self.panels:
            return None

        def current_spec():
            return self.panel("generate").form.spec()

        return WorkflowImport(self, self.ctx.tasks, current_spec, self.open_in_generate,
                              server_url=lambda: self.ctx.app.connection.url)

    def open_in_generate(self, spec, note: str, *, clip_frames: int | None = None) -> None:
        """Show Generate filled with `spec` (an imported workflow, a gallery "Extend…");
        `clip_frames`: the length of the clip an extend job continues (its calculator)."""
        self.show_area("generate")
        panel = self.panel("generate")
        panel.use_settings(spec, note)
        if spec.extend_clip:
            panel.form.extend.set_spec(spec, clip_frames)

    def dragEnterEvent(self, event) -> None:  # Qt override
        paths = local_files(event)
        if self.workflow_import is not None and paths and wants_workflow(paths):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # Qt override
        paths = local_files(event)
        if self.workflow_import is not None and paths and wants_workflow(paths):
            event.acceptProposedAction()
            self.workflow_import.open(paths[0])

    def _add_tab(self, name: str, title: str) -> None:
        if self._has_area(name):
            self.pages[name] = page = self._lazy_page(name, title)
            index = self.tabs.addTab(page, title)
            if name in keyboard.AREA_KEYS:
                self.tabs.setTabToolTip(index, keyboard.with_key(title, f"area_{name}"))

    def _add_dock(self, name: str, title: str, where: str) -> None:
        panel = self._create_panel(name)
        if panel is None:
            return
        self.panels[name] = panel
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{name}_dock")
        dock.setWidget(panel)
        dock.setFeatures(  # closable: View → ComfyUI / Live GPU toggle them
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        area = (
            Qt.DockWidgetArea.LeftDockWidgetArea
            if where == "left"
            else Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.addDockWidget(area, dock)

    def _show_server(self, health) -> None:
        """The permanent status-bar line: the app's one connection state, in its words."""
        self.server_status.setText(health.words)

    def _default_dock_sizes(self) -> None:
        # Without this the launcher dock opens as narrow as its smallest widget; a share of
        # the window (not fixed pixels) keeps 1280x720 as usable as 1920x1080.
        docks = {d.objectName(): d for d in self.findChildren(QDockWidget)}
        if "launcher_dock" in docks:
            width = min(max(int(self.width() * 0.3), 360), 460)
            self.resizeDocks([docks["launcher_dock"]], [width], Qt.Orientation.Horizontal)
        if "telemetry_dock" in docks:
            height = min(max(int(self.height() * 0.32), 180), 340)  # folds itself w/o GPU
            self.resizeDocks([docks["telemetry_dock"]], [height], Qt.Orientation.Vertical)

    def showEvent(self, event) -> None:  # Qt override
        super().showEvent(event)
        if not self._sized_docks:
            self._sized_docks = True
            QTimer.singleShot(0, self._default_dock_sizes)

    def reset_layout(self) -> None:
        """Put every dock back where it starts and show it."""
        self.restoreState(self._default_state)
        for dock in self.findChildren(QDockWidget):
            dock.setFloating(False)
            dock.show()
        self._default_dock_sizes()

    def show_area(self, name: str) -> None:
        """Bring one area to the front: its tab, or its dock (shown and raised)."""
        if name in self.pages:  # a tab: showing it builds its panel
            self.tabs.setCurrentWidget(self.pages[name])
            return
        panel = self.panels.get(name)
        if panel is None:
            return
        index = self.tabs.indexOf(panel)
        if index >= 0:
            self.tabs.setCurrentIndex(index)
            return
        dock = self.findChild(QDockWidget, f"{name}_dock")
        if dock is not None:
            dock.show()
            dock.raise_()
            panel.setFocus()

    def bring_to_front(self) -> None:
        """Show the window above others (a second launch of the app asks for this)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def _lazy_page(self, name: str, title: str) -> LazyTab:
        def built(panel: QWidget) -> None:
            self.panels[name] = panel

        return LazyTab(title, lambda: self._create_panel(name), built)

    def panel(self, name: str) -> QWidget | None:
        """The panel of an area, built now if its tab was not shown yet (None: not in this
        build, or it failed to build; its page then says why)."""
        if name in self.pages:
            return self.pages[name].ensure_panel()
        return self.panels.get(name)

    def ensure_panels(self) -> list[str]:
        """Build every tab's panel (the self-test); returns why any could not be built."""
        problems = []
        for name, page in self.pages.items():
            if page.ensure_panel() is None:
                problems.append(f"panel '{name}' could not be built: {page.problem}")
        return problems

    def _has_area(self, name: str) -> bool:
        """Whether this build has the area's module (found without importing it)."""
        if name in REQUIRED_AREAS:
            return True
        try:
            return importlib.util.find_spec(self._panel_module(name)) is not None
        except ModuleNotFoundError:  # its feature folder is missing altogether
            return False

    def _create_panel(self, name: str) -> QWidget | None:
        try:
            module = importlib.import_module(self._panel_module(name))
        except ModuleNotFoundError as exc:
            if name in REQUIRED_AREAS or exc.name != self._panel_module(name):
                raise
            return None  # an optional area that this build does not have
        return module.create_panel(self.ctx)

    @staticmethod
    def _panel_module(name: str) -> str:
        return f"wan22_gui.gui.{FEATURE_FOLDERS.get(name, name)}.panel"

    def restore_geometry(self, store: QSettings) -> None:
        """Size, position, docks and the open tab as the user left them."""
        geometry = store.value("main_window/geometry")
        state = store.value("main_window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self._sized_docks = self.restoreState(state)  # the user's sizes win
        tab = store.value("main_window/tab")
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == tab:
                self.tabs.setCurrentIndex(index)

    def save_geometry(self, store: QSettings) -> None:
        store.setValue("main_window/geometry", self.saveGeometry())
        store.setValue("main_window/state", self.saveState())
        store.setValue("main_window/tab", self.tabs.tabText(self.tabs.currentIndex()))
        store.sync()

    def shutdown_panels(self) -> None:
        bridge.unsubscribe_all(self)
        self.notifier.close()
        for name, panel in reversed(list(self.panels.items())):
            shutdown = getattr(panel, "shutdown", None)
            if callable(shutdown):
                try:
                    shutdown()
                except Exception:
                    log.exception("panel %s failed to shut down", name)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        self.shutdown_panels()
        super().closeEvent(event)
