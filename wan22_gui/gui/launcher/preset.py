"""Preset choice: the combo (the recommended one marked), a table of its flags and variables
with the reason for each, the attention backend and the user's extra flags."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFormLayout, QHeaderView, QLabel, QLineEdit, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from wan22_gui.core.presets import ATTENTION_TITLES, Preset, PresetBook


class PresetTable(QTableWidget):
    """Setting | Why, one row per flag and environment variable; grows to fit (no scrollbar)."""

    def __init__(self) -> None:
        super().__init__(0, 2)
        self.setObjectName("preset_table")
        self.setHorizontalHeaderLabels(["Setting", "Why"])
        self.verticalHeader().hide()
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(0, 112)

    def show_preset(self, preset: Preset, attention: str) -> None:
        rows = [(" ".join(spec.argv()) + (f" ({spec.era()})" if spec.era() else ""), spec.reason)
                for spec in preset.args]
        if attention == "sage":
            rows.append(("--use-sage-attention", "SageAttention: faster attention kernels, "
                                                 "installed in ComfyUI's Python."))
        elif attention == "flash":
            rows.append(("--use-flash-attention", "FlashAttention, installed in ComfyUI's Python."))
        rows += [(f"{name}={spec.value}", spec.reason) for name, spec in preset.env.items()]
        if not rows:
            rows = [("(none)", "ComfyUI's defaults.")]
        self.setRowCount(len(rows))
        for row, (setting, why) in enumerate(rows):
            item = QTableWidgetItem(_breakable(setting))
            item.setToolTip(setting)
            self.setItem(row, 0, item)
            self.setItem(row, 1, QTableWidgetItem(why))
        self.fit()

    def fit(self) -> None:
        self.resizeRowsToContents()
        height = self.horizontalHeader().height() + 2 * self.frameWidth()
        height += sum(self.rowHeight(row) for row in range(self.rowCount()))
        self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # Qt override: rows re-wrap at the new width
        super().resizeEvent(event)
        self.fit()

    def rows(self) -> list[tuple[str, str]]:
        return [(self.item(r, 0).text().replace(ZWSP, ""), self.item(r, 1).text())
                for r in range(self.rowCount())]


ZWSP = "\u200b"  # zero-width space: lets long names wrap after = , : _ without showing anything


def _breakable(setting: str) -> str:
    for mark in ("=", ",", ":", "_"):
        setting = setting.replace(mark, mark + ZWSP)
    return setting


class PresetBox(QWidget):
    """Signals:
        changed(): the preset, attention or extra flags changed.
    """

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.book: PresetBook | None = None
        self.recommended: str | None = None
        self.gpu_name: str | None = None
        self.combo = QComboBox()
        self.combo.setObjectName("preset_combo")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(20)
        self.description = QLabel(wordWrap=True)
        self.description.setObjectName("preset_description")
        self.table = PresetTable()
        self.attention = QComboBox()
        self.attention.setObjectName("attention_combo")
        self.extra = QLineEdit()
        self.extra.setObjectName("extra_args")
        self.extra.setPlaceholderText("more ComfyUI flags, e.g. --preview-method auto")
        form = QFormLayout()
        form.addRow("Attention", self.attention)
        form.addRow("Extra flags", self.extra)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.description)
        layout.addLayout(form)
        layout.addWidget(self.table)
        self.set_attention_choices(["sdpa"], "Checking which attention packages are installed...")
        self.combo.currentIndexChanged.connect(self._on_change)
        self.attention.currentIndexChanged.connect(self._on_change)
        self.extra.editingFinished.connect(self.changed)

    def set_book(self, book: PresetBook, recommended: Preset, gpu_name: str | None,
                 selected: str = "auto") -> None:
        self.book, self.recommended = book, recommended.name
        self.combo.blockSignals(True)
        self.combo.clear()
        self.gpu_name = gpu_name
        for preset in book.presets:
            title = preset.title
            if preset.name == recommended.name:  # short: the description names the GPU
                title += " ★ recommended"
            self.combo.addItem(title, preset.name)
            self.combo.setItemData(self.combo.count() - 1, title, Qt.ItemDataRole.ToolTipRole)
        wanted = recommended.name if selected in ("", "auto") else selected
        index = self.combo.findData(wanted)
        self.combo.setCurrentIndex(index if index >= 0 else self.combo.findData(recommended.name))
        self.combo.blockSignals(False)
        self._on_change()

    def set_attention_choices(self, available: list[str], note: str = "",
                              selected: str = "") -> None:
        current = selected or self.attention.currentData() or ""
        self.attention.blockSignals(True)
        self.attention.clear()
        self.attention.addItem("Preset's choice", "")
        for backend, title in ATTENTION_TITLES.items():
            self.attention.addItem(title, backend)
            item = self.attention.model().item(self.attention.count() - 1)
            if backend not in available:
                item.setEnabled(False)
                item.setToolTip(f"Not importable in ComfyUI's Python. {note}".strip())
        index = self.attention.findData(current)
        enabled = index >= 0 and self.attention.model().item(index).isEnabled()
        self.attention.setCurrentIndex(index if enabled else 0)
        self.attention.setToolTip(note)
        self.attention.blockSignals(False)
        self._on_change()

    def preset(self) -> Preset | None:
        name = self.combo.currentData()
        return self.book.get(name) if self.book is not None and name else None

    def preset_setting(self) -> str:
        """What to store: "auto" while the recommended preset is selected."""
        name = self.combo.currentData() or "auto"
        return "auto" if name == self.recommended else name

    def attention_choice(self) -> str | None:
        return self.attention.currentData() or None

    def _on_change(self) -> None:
        preset = self.preset()
        if preset is not None:
            marker = ""
            if preset.name == self.recommended:
                target = (f"{self.gpu_name}, the GPU ComfyUI will use" if self.gpu_name
                          else "this computer: no NVIDIA GPU was found")
                marker = f"<b>Recommended for {html.escape(target)}.</b> "
            self.description.setText(marker + html.escape(preset.description))
            self.table.show_preset(preset, self.attention_choice() or preset.attention)
        self.combo.setToolTip(self.combo.currentText())
        self.changed.emit()
