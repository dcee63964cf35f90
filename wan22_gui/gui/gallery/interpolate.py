"""The "Interpolate…" dialog: which engine and how many times more frames."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QRadioButton,
    QVBoxLayout, QWidget,
)

from wan22_gui.core.workflow.calculator import describe_duration, interpolated

ENGINE_TEXT = {
    "builtin": ("Optical flow (built-in)", "Runs here on the CPU, no ComfyUI or model needed; "
                                           "about 10 s for 81 frames at 832×1216 on 2 cores."),
    "rife": ("RIFE (ComfyUI)", "On your GPU in ComfyUI; needs the Frame-Interpolation nodes or "
                               "ComfyUI 0.20+ with a RIFE model."),
    "film": ("FILM (ComfyUI)", "On your GPU in ComfyUI (slower than RIFE, often cleaner on large "
                               "motion). Not offered on the CPU: it takes hours there."),
}


class InterpolateDialog(QDialog):
    """Ask for engine and multiplier. RIFE/FILM are disabled when no ComfyUI is connected."""

    def __init__(self, clip_name: str, fps: float | None, frames: int | None, *,
                 server_connected: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("interpolate_dialog")
        self.setWindowTitle(f"Interpolate {clip_name}")
        self.fps, self.frames = fps, frames
        self.group = QButtonGroup(self)
        layout = QVBoxLayout(self)
        for method, (title, tip) in ENGINE_TEXT.items():
            button = QRadioButton(title)
            button.setObjectName(f"engine_{method}")
            button.setProperty("method", method)
            enabled = method == "builtin" or server_connected
            button.setEnabled(enabled)
            button.setToolTip(tip if enabled else "Start or attach ComfyUI first (ComfyUI panel).")
            self.group.addButton(button)
            layout.addWidget(button)
            note = QLabel(tip if enabled else tip + " No ComfyUI connected.")
            note.setWordWrap(True)
            note.setStyleSheet("color: gray; margin-left: 22px;")
            layout.addWidget(note)
        self.group.buttons()[0].setChecked(True)
        self.multiplier = QComboBox()
        self.multiplier.setObjectName("multiplier_combo")
        for m in (2, 3, 4):
            self.multiplier.addItem(f"×{m}", m)
        self.multiplier.currentIndexChanged.connect(self._update_result)
        self.result = QLabel()
        form = QFormLayout()
        form.addRow("More frames", self.multiplier)
        form.addRow("Result", self.result)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._update_result()

    def _update_result(self) -> None:
        m = self.multiplier.currentData()
        if self.fps and self.frames:
            frames, fps = interpolated(self.frames, self.fps, m)
            self.result.setText(f"{describe_duration(frames, fps)} at {fps:g} fps")
        else:
            self.result.setText(f"(n−1)×{m}+1 frames at fps×{m}")

    def choice(self) -> tuple[str, int]:
        """(method, multiplier) picked."""
        return self.group.checkedButton().property("method"), self.multiplier.currentData()
