"""The gallery's filter and sort bar: text, date, source image, resolution, duration, status."""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPushButton, QToolButton, QWidget

from wan22_gui.core.video.library import SORT_KEYS, ClipFilter

DATES = (("Any date", None), ("Today", 1), ("Last 7 days", 7), ("Last 30 days", 30))
DURATIONS = (("Any length", (None, None)), ("Under 3 s", (None, 3.0)), ("3–6 s", (3.0, 6.0)),
             ("Over 6 s", (6.0, None)))
SORT_TITLES = {"date": "Date", "source": "Source image", "resolution": "Resolution",
               "duration": "Duration", "status": "Status"}
SEARCH_MIN_WIDTH = 160  # "Search prompt, file…" still reads in a 1280 px window
COMBO_MIN_WIDTH = 84  # a narrow window shortens the choices ("Any sour…"), not the search


class _ShrinkingCombo(QComboBox):
    """A combo as wide as its longest entry when there is room, narrower (its text elided)
    when there is not: a plain one never gives up width, so the search box got squeezed to
    "S…" at 1280 px."""

    def minimumSizeHint(self) -> QSize:  # Qt override
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), COMBO_MIN_WIDTH), hint.height())


class GalleryFilterBar(QWidget):
    """Emits `changed` whenever the filter or the order changes; `add_requested` for the button.

    Signals:
        changed()
        add_requested()
    """

    changed = Signal()
    add_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery_filters")
        self.search = QLineEdit()
        self.search.setObjectName("gallery_search")
        self.search.setPlaceholderText("Search prompt, file, label…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(SEARCH_MIN_WIDTH)
        self.search.textChanged.connect(self.changed)
        self.date = self._combo("date_filter", DATES)
        self.source = self._combo("source_filter", [("Any source image", None)])
        self.resolution = self._combo("resolution_filter", [("Any resolution", None)])
        self.duration = self._combo("duration_filter", DURATIONS)
        self.status = self._combo("status_filter", [("Any status", None)])
        self.sort = self._combo("sort_combo", [(f"Sort: {SORT_TITLES[k]}", k) for k in SORT_KEYS])
        self.order = QToolButton()
        self.order.setObjectName("sort_order")
        self.order.setCheckable(True)
        self.order.setChecked(True)
        self.order.setText("↓")
        self.order.setToolTip("Descending (newest, largest, longest first)")
        self.order.toggled.connect(self._on_order)
        add = QPushButton("Add videos…")
        add.setObjectName("add_videos_button")
        add.setToolTip("Add video files to the gallery (or drop them on it)")
        add.clicked.connect(self.add_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.search, self.date, self.source, self.resolution, self.duration,
                       self.status, self.sort, self.order, add):
            row.addWidget(widget)
        row.setStretch(0, 1)

    def _combo(self, name: str, entries) -> QComboBox:
        combo = _ShrinkingCombo()
        combo.setObjectName(name)
        for title, value in entries:
            combo.addItem(title, value)
        combo.currentIndexChanged.connect(self.changed)
        return combo

    def _on_order(self, descending: bool) -> None:
        self.order.setText("↓" if descending else "↑")
        self.changed.emit()

    def set_choices(self, choices: dict[str, list[str]]) -> None:
        """Offer the source images, resolutions and statuses present (keeps the current pick)."""
        for combo, key, title in ((self.source, "source", "Any source image"),
                                  (self.resolution, "resolution", "Any resolution"),
                                  (self.status, "status", "Any status")):
            current = combo.currentData()
            values = list(choices.get(key, []))
            if current is not None and current not in values:
                values.append(current)
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(title, None)
            for value in values:
                combo.addItem(value.rsplit("/", 1)[-1].rsplit("\\", 1)[-1], value)
            combo.setCurrentIndex(max(0, combo.findData(current)) if current is not None else 0)
            combo.blockSignals(False)

    def current_filter(self) -> ClipFilter:
        days = self.date.currentData()
        low, high = self.duration.currentData()
        return ClipFilter(
            text=self.search.text().strip(), status=self.status.currentData(),
            source_image=self.source.currentData(), resolution=self.resolution.currentData(),
            min_seconds=low, max_seconds=high,
            since=time.time() - days * 86400 if days else None,
        )

    def sort_key(self) -> tuple[str, bool]:
        return self.sort.currentData(), self.order.isChecked()
