"""The compare view's figures: a small table per clip (warping error, flicker, PSNR/SSIM
against the source) with one line saying what each figure means. Measured off the GUI thread
when the user asks (it takes seconds); the rows are kept for the export's sidecar."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from wan22_gui.core.interpolation.metrics import (
    FIGURE_NOTES, FIGURE_TITLES, ClipMetrics, compare_metrics,
)
from wan22_gui.gui.bridge import on_main
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.player.view import ClipSource


class MetricsTable(QWidget):
    """'Measure' button, status, and the table once measured (clip 1 is the reference).

    Signals:
        measured(list): the ClipMetrics rows, in clip order.
    """

    measured = Signal(list)

    def __init__(self, ctx: AppContext, clips: list[ClipSource], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("metrics_table")
        self.ctx = ctx
        self.clips = list(clips)
        self.rows: list[ClipMetrics] = []
        self._cancel = threading.Event()
        self.measure_button = QPushButton("Measure")
        self.measure_button.setObjectName("measure_button")
        self.measure_button.setToolTip("Compute temporal-consistency figures for every clip "
                                       f"(clip 1, {clips[0].title}, is the reference)")
        self.measure_button.clicked.connect(self.measure)
        self.status = QLabel("Figures: not measured yet")
        self.status.setObjectName("metrics_status")
        self.table = QTableWidget(0, 1 + len(FIGURE_TITLES))
        self.table.setObjectName("metrics_grid")
        self.table.setHorizontalHeaderLabels(["Clip", *FIGURE_TITLES.values()])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, key in enumerate(FIGURE_TITLES, start=1):
            self.table.horizontalHeaderItem(column).setToolTip(FIGURE_NOTES[key])
        self.notes = QLabel("\n".join(FIGURE_NOTES.values()))
        self.notes.setObjectName("metrics_notes")
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: palette(mid); font-size: 11px;")
        self.table.setVisible(False)
        self.notes.setVisible(False)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.measure_button)
        top.addWidget(self.status, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 2, 6, 2)
        column.addLayout(top)
        column.addWidget(self.table)
        column.addWidget(self.notes)

    def measure(self) -> None:
        """Start measuring in the background; the table fills in when done."""
        clips = [(c.path, c.title) for c in self.clips]
        self.measure_button.setEnabled(False)
        self.status.setText("Measuring…")
        self.ctx.tasks.run_in_background(
            lambda: compare_metrics(clips, progress=self._on_progress, cancel=self._cancel),
            self._on_measured, self._on_failed)

    @on_main
    def _on_progress(self, done: int, total: int) -> None:
        self.status.setText(f"Measuring {done * 100 // max(1, total)}%")

    def _on_measured(self, rows: list[ClipMetrics]) -> None:
        self.rows = rows
        self.measure_button.setEnabled(True)
        self.measure_button.setText("Measure again")
        self.status.setText(f"Figures (reference: 1. {self.clips[0].title}); "
                            "the export writes them next to the video")
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(f"{r + 1}. {self.clips[r].title}"))
            for c, text in enumerate(row.cells().values(), start=1):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        height = self.table.horizontalHeader().height() + sum(
            self.table.rowHeight(i) for i in range(len(rows))) + 4
        self.table.setFixedHeight(height)
        self.table.setVisible(True)
        self.notes.setVisible(True)
        self.measured.emit(rows)

    def _on_failed(self, exc: BaseException) -> None:
        self.measure_button.setEnabled(True)
        text = getattr(exc, "user_text", lambda: str(exc))()
        self.status.setText(f"Cannot measure: {text}")
        self.status.setStyleSheet("color: #d9534f;")

    def shutdown(self) -> None:
        self._cancel.set()
