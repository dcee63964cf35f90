"""The compare view: 2–4 clips (an output and its RIFE, FILM and built-in versions, or any
clips) on one clock, side by side, in a grid, wiped or differenced, and exported as a video."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from wan22_gui.core.video.export import ExportClip, export_compare
from wan22_gui.core.video.writer import unique_path
from wan22_gui.gui.bridge import on_main
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.player.canvas import LAYOUT_TITLES
from wan22_gui.gui.player.view import ClipSource, PlayerView

MAX_CLIPS = 4


class CompareView(QWidget):
    """A window comparing clips; with one clip it is a plain player.

    Signals:
        exported(Path): an export finished.
    """

    exported = Signal(Path)

    def __init__(self, ctx: AppContext, clips: list[ClipSource], parent: QWidget | None = None,
                 *, budget_bytes: int | None = None) -> None:
        super().__init__(parent)
        if not 1 <= len(clips) <= MAX_CLIPS:
            raise ValueError(f"compare takes 1–{MAX_CLIPS} clips, got {len(clips)}")
        self.setObjectName("compare_view")
        self.setWindowTitle("Compare" if len(clips) > 1 else f"Play · {clips[0].path.name}")
        self.ctx = ctx
        self.player = PlayerView(ctx, clips, budget_bytes=budget_bytes)
        self.layout_combo = QComboBox()
        self.layout_combo.setObjectName("layout_combo")
        self.layout_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for mode, title in LAYOUT_TITLES.items():
            if len(clips) >= 2 or mode == "side_by_side":
                self.layout_combo.addItem(title, mode)
        self.layout_combo.currentIndexChanged.connect(
            lambda i: self.set_layout(self.layout_combo.itemData(i)))
        self.gain = QDoubleSpinBox()
        self.gain.setObjectName("diff_gain")
        self.gain.setRange(1, 32)
        self.gain.setValue(self.player.canvas.diff_gain)
        self.gain.setPrefix("×")
        self.gain.setToolTip("How much the difference is amplified")
        self.gain.valueChanged.connect(self._on_gain)
        self.export_button = QPushButton("Export video…")
        self.export_button.setObjectName("export_button")
        self.export_button.setToolTip("Write this comparison, labelled, at the highest frame rate")
        self.export_button.clicked.connect(self._ask_export)
        self.export_status = QLabel()
        self._cancel_export = threading.Event()
        self._build(len(clips))
        self.resize(1280, 860)

    def _build(self, count: int) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        if count > 1:
            bar.addWidget(QLabel("Layout"))
            bar.addWidget(self.layout_combo)
            self.gain_label = QLabel("Difference gain")
            bar.addWidget(self.gain_label)
            bar.addWidget(self.gain)
        bar.addStretch(1)
        bar.addWidget(self.export_status)
        bar.addWidget(self.export_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(bar)
        column.addWidget(self.player, 1)
        self._show_gain(False)

    def set_layout(self, mode: str) -> None:
        """Side by side, grid, wipe (first two clips) or difference (first two clips)."""
        self.player.canvas.set_layout_mode(mode)
        index = self.layout_combo.findData(mode)
        if index >= 0 and index != self.layout_combo.currentIndex():
            self.layout_combo.setCurrentIndex(index)
        self._show_gain(mode == "difference")
        self.player.setFocus()

    def _show_gain(self, visible: bool) -> None:
        self.gain.setVisible(visible)
        if hasattr(self, "gain_label"):
            self.gain_label.setVisible(visible)

    def _on_gain(self, value: float) -> None:
        self.player.canvas.diff_gain = value
        self.player.canvas.update()

    # -- export -----------------------------------------------------------------------------

    def default_export_path(self) -> Path:
        mode = self.player.canvas.layout_mode
        stem = f"compare_{self.player.clips[0].path.stem}_{mode}"
        return unique_path(self.ctx.app.paths.output_dir / "compare", stem)

    def _ask_export(self) -> None:
        suggested = self.default_export_path()
        suggested.parent.mkdir(parents=True, exist_ok=True)
        path, _ = QFileDialog.getSaveFileName(self, "Export comparison", str(suggested),
                                              "MP4 video (*.mp4)")
        if path:
            self.export_to(Path(path))

    def export_to(self, dest: Path) -> None:
        """Export in the background; `exported` fires when done (errors go to the status)."""
        player = self.player
        clips = [ExportClip(c.path, f"{c.title} · {player.clip_facts(i)}" if player.caches else c.title)
                 for i, c in enumerate(player.clips)]
        mode, split = player.canvas.layout_mode, player.canvas.split
        self.export_button.setEnabled(False)
        self.export_status.setText("Exporting…")
        self.ctx.tasks.run_in_background(
            lambda: export_compare(clips, dest, layout=mode, split=split,
                                   progress=self._on_export_progress,
                                   cancel=self._cancel_export),
            self._on_exported, self._on_export_failed)

    @on_main
    def _on_export_progress(self, done: int, total: int) -> None:
        self.export_status.setText(f"Exporting {done * 100 // total}%")

    def _on_exported(self, path: Path) -> None:
        self.export_button.setEnabled(True)
        self.export_status.setText(f"Exported {path.name}")
        self.exported.emit(path)

    def _on_export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        text = getattr(exc, "user_text", lambda: str(exc))()
        self.export_status.setText(f"Export failed: {text}")

    def shutdown(self) -> None:
        self._cancel_export.set()
        self.player.shutdown()

    def closeEvent(self, event) -> None:  # Qt override
        self.shutdown()
        super().closeEvent(event)
