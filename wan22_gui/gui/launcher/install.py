"""The ComfyUI folder: its path with Browse..., and what was found there (version, Python,
torch, CUDA) or why it is not usable."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from wan22_gui.core.server.install import ComfyInstall
from wan22_gui.core.server.probe import PythonProbe
from wan22_gui.gui.richtext import colored, message_html


class InstallBox(QWidget):
    """Signals:
        path_chosen(str): the user typed or browsed to a folder.
    """

    path_chosen = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.path = QLineEdit()
        self.path.setObjectName("comfyui_path")
        self.path.setPlaceholderText("ComfyUI folder (with main.py) or the portable folder")
        self.browse = QPushButton("Browse...")
        self.browse.clicked.connect(self._browse)
        self.path.editingFinished.connect(lambda: self.path_chosen.emit(self.path.text().strip()))
        self.info = QLabel(wordWrap=True)
        self.info.setObjectName("install_info")
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.info)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the ComfyUI folder",
                                                  self.path.text())
        if folder:
            self.path.setText(folder)
            self.path_chosen.emit(folder)

    def show_install(self, install: ComfyInstall, probe: PythonProbe | None) -> None:
        self.path.setText(str(install.home))
        lines = [message_html(install.describe())]
        if probe is None:
            lines.append("<i>Checking its Python and torch...</i>")
        elif probe.error:
            lines.append(colored(probe.error, "#b00020"))
        else:
            color = "#8a5300" if probe.cuda_available is False else "#333"
            lines.append(colored(probe.summary(), color))
        lines += [colored(n, "#8a5300") for n in install.notes]
        self.info.setText("<br>".join(lines))

    def show_problem(self, text: str) -> None:
        self.info.setText(colored(text, "#b00020"))
