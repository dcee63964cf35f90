"""The app's queue as a list: the running job on top, then the waiting ones in run order.

Waiting jobs can be dragged or moved with the arrow buttons, edited, or removed; the running
one can be cancelled. The widget only asks; the panel calls the core queue and refreshes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
    QPushButton, QVBoxLayout, QWidget,
)

from wan22_gui.core.history import JobRecord
from wan22_gui.core.interpolation.comfy_vfi import TITLES as VFI_TITLES
from wan22_gui.core.workflow.calculator import describe_duration
from wan22_gui.gui.generate.queue_pause import PauseBanner

ROLE_ID = Qt.ItemDataRole.UserRole
ROLE_RUNNING = Qt.ItemDataRole.UserRole + 1


def job_summary(record: JobRecord) -> str:
    """One line about a job: image, size, length, mode (+ what runs after generation), seed."""
    p: dict[str, Any] = record.params or {}
    name = Path(str(p.get("image") or record.source_image or "?")).name
    fps = float(p.get("fps") or 16)
    frames = int(p.get("frames") or 0)
    mode = f"LoRA {p.get('steps') or 4} steps" if p.get("use_lora", True) else \
        f"{p.get('steps') or 20} steps"
    if p.get("phases") == 3:
        mode += " in 3 phases"
    loras = p.get("loras") or ()
    if loras:  # the user's own LoRAs change the result as much as the mode
        mode += f" + {len(loras)} LoRA{'s' if len(loras) != 1 else ''}"
    method = p.get("interpolation")
    if method:  # RIFE/FILM in the same job: the user should see it before it runs
        title = VFI_TITLES.get(str(method), str(method).upper())
        mode += f" + {title} ×{p.get('interpolation_multiplier') or 2}"
    seed = "random seed" if p.get("seed") is None else f"seed {p['seed']}"
    text = (f"{name} · {p.get('width')}×{p.get('height')} · {describe_duration(frames, fps)}"
            f" · {mode} · {seed}")
    return f"{record.label}: {text}" if record.label else text


class _DragList(QListWidget):
    """Emits `dropped` after an internal drag so the new order can be saved."""

    dropped = Signal()

    def dropEvent(self, event) -> None:  # Qt override
        super().dropEvent(event)
        self.dropped.emit()


class QueueList(QWidget):
    """Signals: move_requested(job_id, delta), reorder_requested(list[str]),
    edit_requested(job_id), remove_requested(job_id), cancel_requested(job_id),
    pause_toggled(bool), resume_requested() (the queue paused itself, e.g. on a full disk)."""

    move_requested = Signal(str, int)
    reorder_requested = Signal(list)
    edit_requested = Signal(str)
    remove_requested = Signal(str)
    cancel_requested = Signal(str)
    pause_toggled = Signal(bool)
    resume_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queue_list")
        self.title = QLabel("Queue")
        self.title.setStyleSheet("font-weight: bold;")
        self.list = _DragList()
        self.list.setObjectName("queue_items")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.buttons = {
            "up": QPushButton("▲ Up"), "down": QPushButton("▼ Down"),
            "edit": QPushButton("Edit…"), "remove": QPushButton("Remove"),
            "cancel": QPushButton("Cancel running"),
        }
        for name, button in self.buttons.items():
            button.setObjectName(f"queue_{name}")
        self.pause = QCheckBox("Pause after the current job")
        self.pause.setObjectName("queue_pause")
        self.pause_banner = PauseBanner()
        waiting = QHBoxLayout()  # what acts on the selected waiting job
        for name in ("up", "down", "edit", "remove"):
            waiting.addWidget(self.buttons[name])
        waiting.addStretch(1)
        running = QHBoxLayout()  # what acts on the queue as a whole (two rows: a narrow column)
        running.addWidget(self.pause)
        running.addStretch(1)
        running.addWidget(self.buttons["cancel"])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.pause_banner)
        layout.addWidget(self.list, 1)
        layout.addLayout(waiting)
        layout.addLayout(running)
        self.buttons["up"].clicked.connect(lambda: self._move(-1))
        self.buttons["down"].clicked.connect(lambda: self._move(1))
        self.buttons["edit"].clicked.connect(lambda: self._emit_selected(self.edit_requested))
        self.buttons["remove"].clicked.connect(lambda: self._emit_selected(self.remove_requested))
        self.buttons["cancel"].clicked.connect(self._cancel_running)
        self.pause.toggled.connect(self.pause_toggled.emit)
        self.pause_banner.resume_requested.connect(self.resume_requested.emit)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.list.dropped.connect(self._dropped)
        self._running_id: str | None = None
        self._update_buttons()

    def show_queue(self, running: JobRecord | None, pending: list[JobRecord],
                   paused: bool = False, pause_reason: str | None = None) -> None:
        """Show the running job (if any) and the waiting ones, keeping the selection, and
        why the queue paused itself, if it did."""
        self.pause.blockSignals(True)
        self.pause.setChecked(paused)  # the queue may be paused from elsewhere (CLI, code)
        self.pause.blockSignals(False)
        self.pause_banner.show_reason(pause_reason if paused else None)
        selected = self.selected_id()
        self._running_id = running.job_id if running else None
        self.list.clear()
        if running is not None:
            item = QListWidgetItem(f"▶ Running — {job_summary(running)}")
            item.setData(ROLE_ID, running.job_id)
            item.setData(ROLE_RUNNING, True)
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDragEnabled)
            self.list.addItem(item)
        for n, record in enumerate(pending, 1):
            item = QListWidgetItem(f"{n}. {job_summary(record)}")
            item.setData(ROLE_ID, record.job_id)
            item.setData(ROLE_RUNNING, False)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)
            self.list.addItem(item)
            if record.job_id == selected:
                self.list.setCurrentItem(item)
        waiting = f"{len(pending)} waiting" if pending else "nothing waiting"
        state = " (paused)" if paused and pending else ""
        self.title.setText(f"Queue — {'1 running, ' if running else ''}{waiting}{state}")
        self._update_buttons()

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(ROLE_ID) if item is not None else None

    def _selected_is_pending(self) -> bool:
        item = self.list.currentItem()
        return item is not None and not item.data(ROLE_RUNNING)

    def _update_buttons(self) -> None:
        pending = self._selected_is_pending()
        for name in ("up", "down", "edit", "remove"):
            self.buttons[name].setEnabled(pending)
        self.buttons["cancel"].setEnabled(self._running_id is not None)

    def _move(self, delta: int) -> None:
        if self._selected_is_pending():
            self.move_requested.emit(self.selected_id(), delta)

    def _emit_selected(self, signal: Any) -> None:
        if self._selected_is_pending():
            signal.emit(self.selected_id())

    def _cancel_running(self) -> None:
        if self._running_id is not None:
            self.cancel_requested.emit(self._running_id)

    def _dropped(self) -> None:
        ids = [self.list.item(i).data(ROLE_ID) for i in range(self.list.count())
               if not self.list.item(i).data(ROLE_RUNNING)]
        self.reorder_requested.emit(ids)
