"""Gallery panel (placeholder until its issue lands)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from wan22_gui.gui.context import AppContext


def create_panel(ctx: AppContext) -> QWidget:
    widget = QWidget()
    widget.setObjectName("gallery_panel")
    layout = QVBoxLayout(widget)
    label = QLabel("Gallery")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    layout.addWidget(label)
    return widget
