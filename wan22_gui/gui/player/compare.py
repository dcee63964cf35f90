"""The compare view: 2–4 clips (an output and its RIFE, FILM and built-in versions, or any
clips) on one clock, side by side, in a grid, wiped or differenced, and exported as a video.

The user picks which two clips wipe and difference show, and which clip the arrow keys step
(or clicks its panel); Esc and Ctrl+W close the window.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
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
                 *, budget_bytes: int | None = None, autoplay: bool = False) -> None:
        super().__init__(parent)
        if not 1 <= len(clips) <= MAX_CLIPS:
            raise ValueError(f"compare takes 1–{MAX_CLIPS} clips, got {len(clips)}")
        self.setObjectName("compare_view")
        self.setWindowTitle("Compare" if len(clips) > 1 else f"Play · {clips[0].path.name}")
        self.ctx = ctx
        self.player = PlayerView(ctx, clips, budget_bytes=budget_bytes, autoplay=autoplay)
        self.first_clip = _clip_combo("wipe_first", clips, 0)
        self.second_clip = _clip_combo("wipe_second", clips, 1)
        self.first_clip.setToolTip("Left of the wipe handle; the difference is this minus the other")
        self.second_clip.setToolTip("Right of the wipe handle")
        for combo in (self.first_clip, self.second_clip):
            combo.currentIndexChanged.connect(lambda _i: self._on_pair())
        self.step_clip = _clip_combo("step_clip", clips, 0)
        self.step_clip.setToolTip("← / → step one frame of this clip (or click its panel); "
                                  "Shift+← / → step the common clock")
        self.step_clip.currentIndexChanged.connect(self.player.set_step_clip)
        self.player.canvas.panel_clicked.connect(self.step_clip.setCurrentIndex)
        for keys in _close_keys():
            QShortcut(keys, self, self.close, context=Qt.ShortcutContext.WindowShortcut)
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
            self.pair_label = QLabel("Clips")
            self.versus = QLabel("vs")
            for widget in (self.pair_label, self.first_clip, self.versus, self.second_clip):
                bar.addWidget(widget)
            bar.addSpacing(8)
            bar.addWidget(QLabel("Arrows step"))
            bar.addWidget(self.step_clip)
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
        self._show_pair(False)
        self.player.set_step_clip(0)

    def set_layout(self, mode: str) -> None:
        """Side by side, grid, wipe or difference (of the two clips picked)."""
        self.player.canvas.set_layout_mode(mode)
        index = self.layout_combo.findData(mode)
        if index >= 0 and index != self.layout_combo.currentIndex():
            self.layout_combo.setCurrentIndex(index)
        self._show_gain(mode == "difference")
        self._show_pair(mode in ("wipe", "difference"))
        self.player.setFocus()

    def set_pair(self, first: int, second: int) -> None:
        """Which two clips wipe and difference show (indexes into the clips)."""
        self.first_clip.setCurrentIndex(first)
        self.second_clip.setCurrentIndex(second)

    def _on_pair(self) -> None:
        first, second = self.first_clip.currentIndex(), self.second_clip.currentIndex()
        if first == second:  # one clip against itself shows nothing: swap the other one
            others = [i for i in range(self.first_clip.count()) if i != first]
            if not others:
                return
            second = others[0]
            self.second_clip.blockSignals(True)
            self.second_clip.setCurrentIndex(second)
            self.second_clip.blockSignals(False)
        self.player.canvas.set_pair(first, second)
        self.player.setFocus()

    def _show_pair(self, visible: bool) -> None:
        for name in ("pair_label", "versus"):
            if hasattr(self, name):
                getattr(self, name).setVisible(visible)
        if self.first_clip.count() > 1:
            self.first_clip.setVisible(visible)
            self.second_clip.setVisible(visible)

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
        if mode in ("wipe", "difference"):  # the export shows the pair the user picked
            first, second = player.canvas.pair
            clips = [clips[first], clips[second]]
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


def _close_keys() -> list[QKeySequence]:
    """Esc, Ctrl+W and the platform's Close keys, once each (a key bound twice would be
    ambiguous and do nothing)."""
    keys = [QKeySequence(Qt.Key.Key_Escape), QKeySequence("Ctrl+W"),
            *QKeySequence.keyBindings(QKeySequence.StandardKey.Close)]
    unique: dict[str, QKeySequence] = {}
    for key in keys:
        unique.setdefault(key.toString(), key)
    return list(unique.values())


def _clip_combo(name: str, clips: list[ClipSource], index: int) -> QComboBox:
    """A combo of the clips by title (the keys stay with the player: no focus)."""
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    # long engine titles ("RIFE ×3 (ComfyUI, rife49)") must not push the bar off the window
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(14)
    for i, clip in enumerate(clips):
        combo.addItem(f"{i + 1}. {clip.title}", i)
    combo.setCurrentIndex(min(index, len(clips) - 1))
    return combo
