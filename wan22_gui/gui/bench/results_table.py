"""A table of benchmark runs, one row per run key (a re-run replaces its row)."""

from __future__ import annotations

from typing import Any, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from wan22_gui.core.bench.results import RunRecord
from wan22_gui.core.workflow.calculator import FPS_14B, describe_duration
from wan22_gui.gui import theme

GIB = 1024**3
COLUMNS = ("Configuration", "Image", "Size", "Length", "Run", "Status", "Total (s)",
           "High / low pass (s)", "Peak VRAM (GiB)", "What happened")
# a run's outcome as the theme's "ok"/"error" colour (they read on either theme); the rest
# in orange or grey, which read on both
STATUS_KINDS = {"succeeded": "ok", "oom": "error", "crashed": "error"}
STATUS_COLORS = {"error": "#e65100", "skipped": "#8a8a8a", "not_run": "#8a8a8a",
                 "cancelled": "#8a8a8a"}


def status_colour(status: str) -> str:
    kind = STATUS_KINDS.get(status)
    return theme.status_color(kind) if kind else STATUS_COLORS.get(status, theme.colors().text)


class BenchResultsTable(QTableWidget):
    """Shows RunRecords; newest at the bottom."""

    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setObjectName("bench_results")
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self._rows: dict[str, int] = {}

    def set_records(self, records: Iterable[RunRecord]) -> None:
        self.setRowCount(0)
        self._rows.clear()
        for record in records:
            self.add_record(record)

    def add_record(self, record: RunRecord) -> None:
        row = self._rows.get(record.run_key)
        if row is None:
            row = self.rowCount()
            self.insertRow(row)
            self._rows[record.run_key] = row
        for column, value in enumerate(_values(record)):
            item = QTableWidgetItem(value)
            if column in (3, 6, 7, 8):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if column == 5:
                item.setForeground(QBrush(QColor(status_colour(record.status))))
            if column == len(COLUMNS) - 1 and record.error:
                item.setToolTip(record.error)
            self.setItem(row, column, item)
        self.scrollToItem(self.item(row, 0))

    def statuses(self) -> list[str]:
        """The status column, top to bottom (what a user reads down the table)."""
        return [self.item(row, 5).text() for row in range(self.rowCount())]


def _values(record: RunRecord) -> list[str]:
    passes = [record.timings.get(p) for p in ("high_noise", "low_noise")]
    peak = record.metrics.get("peak_vram_bytes")
    return [
        record.config, record.image, f"{record.width}×{record.height}",
        describe_duration(record.frames, record.fps or FPS_14B),
        "warm-up" if record.warmup else f"repeat {record.repeat + 1}", record.status,
        _num(record.total_s), " / ".join(_num(p) for p in passes),
        _num(peak / GIB if isinstance(peak, (int, float)) else None, 2),
        record.error.splitlines()[0] if record.error else "",
    ]


def _num(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
