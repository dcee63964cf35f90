"""Files dropped on the window: an image on Generate is the start image; a workflow (JSON, or a
ComfyUI PNG/WebP/MP4 with the graph embedded) opens the import dialog.

`DropRouter` is an event filter: text boxes and lists take drops themselves (a file dropped on
the prompt would become its path as text), so the filter catches file drops on every widget of
an area first and hands the paths to the area's handler.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMessageBox, QWidget

from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.workflow.embedded import is_workflow_file
from wan22_gui.core.workflow.readback import settings_of
from wan22_gui.core.workflow.server_import import ServerImport, read_for_server
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.gui.tasks import TaskRunner
from wan22_gui.gui.workflow_import_dialog import WorkflowImportDialog

log = logging.getLogger("wan22.gui")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
_DRAG_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)


def local_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    """The local files a drag carries (none for text, web links or in-app moves)."""
    data = event.mimeData()
    if not data.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in data.urls() if u.isLocalFile()]


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


class DropRouter(QObject):
    """Catches file drops on `area` and all its children for `handler(paths)`.

    `wants(paths)` says which drags the area takes (others go on to the widget as usual).
    """

    def __init__(self, area: QWidget, wants: Callable[[list[Path]], bool],
                 handler: Callable[[list[Path]], None]) -> None:
        super().__init__(area)
        self._wants, self._handler = wants, handler
        area.setAcceptDrops(True)
        for widget in [area, *area.findChildren(QWidget)]:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() not in _DRAG_EVENTS:
            return False
        paths = local_files(event)  # type: ignore[arg-type]
        if not paths or not self._wants(paths):
            return False
        event.acceptProposedAction()  # type: ignore[attr-defined]
        if event.type() == QEvent.Type.Drop:
            self._handler(paths)
        return True


class WorkflowImport:
    """Reads a dropped workflow in the background and shows the import dialog.

    `current_spec()` is the form's job now (what the workflow's settings are laid over);
    `use(spec, note)` gets the result of Use; `server_url()` is the connected ComfyUI (None:
    none), against which the dialog says what the workflow needs.
    """

    def __init__(self, parent: QWidget, tasks: TaskRunner, current_spec: Callable[[], JobSpec],
                 use: Callable[[JobSpec, str], None],
                 server_url: Callable[[], str | None] = lambda: None) -> None:
        self.parent, self.tasks = parent, tasks
        self.current_spec, self.use, self.server_url = current_spec, use, server_url
        self.dialog: WorkflowImportDialog | None = None
        self.refusal: QMessageBox | None = None

    def open(self, path: Path) -> None:
        base, url = self.current_spec(), self.server_url()

        def read():  # the file and the server's nodes: both off the GUI thread
            found = read_for_server(path, url)
            return found, settings_of(found.imported, base)

        self.tasks.run_in_background(read, lambda found: self._show(path, *found),
                                     lambda exc: self._refused(path, exc))

    def _show(self, path: Path, found: ServerImport, readback) -> None:
        dialog = WorkflowImportDialog(path, found.imported, readback, self.parent,
                                      report=found.report, server_note=found.server_note)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.use(readback.spec, f"Settings from {path.name}: "
                                            f"{', '.join(readback.taken)}."))
        dialog.finished.connect(lambda _result, d=dialog: self._forget(d))  # deleted on close
        self.dialog = dialog
        dialog.open()  # window-modal, but returns at once

    def _forget(self, dialog: WorkflowImportDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _refused(self, path: Path, exc: BaseException) -> None:
        if isinstance(exc, Wan22Error):
            text, hint = str(exc), exc.hint
        else:
            log.error("reading the dropped workflow %s failed", path, exc_info=exc)
            text, hint = f"{path.name} could not be imported: {exc}", ""
        box = QMessageBox(QMessageBox.Icon.Warning, "Import workflow", text,
                          QMessageBox.StandardButton.Ok, self.parent)
        box.setObjectName("import_refused")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if hint:
            box.setInformativeText(hint)
        self.refusal = box
        box.open()


def wants_workflow(paths: list[Path]) -> bool:
    return is_workflow_file(paths[0])
