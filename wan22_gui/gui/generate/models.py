"""Model file choices, filled from the connected server's `/object_info`.

Each field is an editable combo: when a server is connected its lists show what is installed
(read in the background); without one the user can still type a name.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from wan22_gui.core.jobs.models import MODEL_SOURCES
from wan22_gui.core.workflow.spec import ModelFiles

LABELS = {
    "unet_high": "High-noise model", "unet_low": "Low-noise model",
    "lora_high": "High-noise LoRA", "lora_low": "Low-noise LoRA",
    "text_encoder": "Text encoder", "vae": "VAE",
}


class ModelsBox(QGroupBox):
    """Signals: changed() after any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Models", parent)
        self.combos: dict[str, QComboBox] = {}
        self.status = QLabel("Not connected: type file names, or connect a server to pick them.")
        self.status.setObjectName("models_status")
        self.status.setWordWrap(True)
        form = QFormLayout(self)
        defaults = ModelFiles()
        for field in MODEL_SOURCES:
            combo = QComboBox()
            combo.setObjectName(f"model_{field}")
            combo.setEditable(True)
            combo.setMinimumContentsLength(28)
            combo.setCurrentText(getattr(defaults, field))
            combo.currentTextChanged.connect(lambda _=None: self.changed.emit())
            self.combos[field] = combo
            form.addRow(LABELS[field], combo)
        form.addRow(self.status)

    def values(self) -> ModelFiles:
        return dataclasses.replace(
            ModelFiles(), **{f: c.currentText().strip() for f, c in self.combos.items()})

    def set_values(self, models: ModelFiles) -> None:
        for field, combo in self.combos.items():
            combo.setCurrentText(getattr(models, field))

    def missing(self) -> list[str]:
        """Chosen files the connected server does not list (empty when not connected)."""
        out = []
        for field, combo in self.combos.items():
            known = [combo.itemText(i) for i in range(combo.count())]
            if known and combo.currentText() not in known:
                out.append(f"{LABELS[field]}: {combo.currentText()}")
        return out

    def show_lists(self, lists: dict[str, list[str]], server: str) -> None:
        """Fill the combos with what the server has; keep the current choices."""
        for field, combo in self.combos.items():
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(lists.get(field, []))
            combo.setCurrentText(current)
            combo.blockSignals(False)
        missing = self.missing()
        self.status.setText(
            f"Models on {server}." if not missing else
            "Not on the server: " + "; ".join(missing) +
            ". Install them in ComfyUI's models folder, or pick others.")
        self.status.setStyleSheet("" if not missing else "color: #b00020;")
        self.changed.emit()

    def show_disconnected(self, why: str = "") -> None:
        for combo in self.combos.values():
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.setCurrentText(current)
            combo.blockSignals(False)
        self.status.setText(why or "Not connected: type file names, or connect a server to "
                                   "pick them.")
        self.status.setStyleSheet("")

