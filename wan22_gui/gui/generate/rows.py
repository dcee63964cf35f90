"""One helper for the form's rows of small widgets (labels given as plain text)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget


def hrow(*items: QWidget | str, stretch: bool = True) -> QHBoxLayout:
    """A left-aligned horizontal row: widgets as given, strings as labels."""
    row = QHBoxLayout()
    for item in items:
        row.addWidget(QLabel(item) if isinstance(item, str) else item)
    if stretch:
        row.addStretch(1)
    return row
