"""The LoRA box of the Generate form: the 4-step LoRA's strength per expert, the 3-phase split,
and the user's own LoRAs from the server's `loras` folder with a strength per expert.

It only shows and reads back JobSpec fields (`lora_strength_*`, `phases`, `phase1_*`,
`loras`); the LoRA list is filled from the connected server's library by the panel.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QGroupBox, QLabel,
    QPushButton, QSpinBox, QWidget,
)

from wan22_gui.core.workflow import limits
from wan22_gui.core.workflow.loras import MAX_LORAS, LoraUse
from wan22_gui.core.workflow.spec import PHASE1_CFG, PHASE1_STEPS, JobSpec
from wan22_gui.gui.generate.rows import hrow


def _strength(value: float = 1.0, name: str = "") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setObjectName(name)
    spin.setRange(-4.0, 4.0)  # the useful range; the spec refuses beyond LORA_STRENGTH anyway
    spin.setSingleStep(0.1)
    spin.setDecimals(2)
    spin.setValue(value)
    return spin


class _LoraRow:
    """One user LoRA: an editable file combo, two strengths and a remove button."""

    def __init__(self, names: list[str], lora: LoraUse) -> None:
        self.file = QComboBox()
        self.file.setObjectName("lora_file")
        self.file.setEditable(True)
        self.file.setMinimumContentsLength(20)
        self.file.addItems(names)
        self.file.setCurrentText(lora.name)
        self.high = _strength(lora.high, "lora_row_high")
        self.low = _strength(lora.low, "lora_row_low")
        self.remove = QPushButton("Remove")
        self.remove.setObjectName("lora_remove")

    def widgets(self) -> tuple[QWidget, ...]:
        return self.file, self.high, self.low, self.remove

    def value(self) -> LoraUse:
        return LoraUse(self.file.currentText().strip(), self.high.value(), self.low.value())


class LoraBox(QGroupBox):
    """Signals: changed() after any edit; phases_changed(int) when the split is switched."""

    changed = Signal()
    phases_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("LoRAs", parent)
        self.setObjectName("lora_box")
        self._library: list[str] = []
        self._rows: list[_LoraRow] = []
        self.speed_high = _strength(1.0, "speed_lora_high")
        self.speed_low = _strength(1.0, "speed_lora_low")
        self.speed_high.setToolTip("A lower high-noise strength (0.5-0.8) is a common fix for "
                                   "the slow motion the 4-step LoRA gives.")
        self.three_phase = QCheckBox("3-phase split: first steps without the 4-step LoRA")
        self.three_phase.setObjectName("three_phase")
        self.three_phase.setToolTip(
            "Another fix for slow motion: the first steps run on the high-noise model without "
            "the 4-step LoRA at a real CFG (they set the motion), then high noise with it, then "
            "low noise. Sets 6 steps: 2 + 2 + 2.")
        self.phase1_steps = QSpinBox()
        self.phase1_steps.setObjectName("phase1_steps")
        self.phase1_steps.setRange(1, int(limits.STEPS.high) - 1)
        self.phase1_steps.setValue(PHASE1_STEPS)
        self.phase1_cfg = QDoubleSpinBox()
        self.phase1_cfg.setObjectName("phase1_cfg")
        self.phase1_cfg.setRange(limits.CFG.low, limits.CFG.high)
        self.phase1_cfg.setSingleStep(0.5)
        self.phase1_cfg.setValue(PHASE1_CFG)
        self.add_button = QPushButton("Add LoRA")
        self.add_button.setObjectName("lora_add")
        self.status = QLabel("Your LoRAs (from ComfyUI's models/loras), a strength per expert; "
                             "0 leaves that expert without it.")
        self.status.setObjectName("lora_status")
        self.status.setWordWrap(True)
        self._grid = QGridLayout()
        self._build()
        self._connect()
        self._phase_mode(False)

    def _build(self) -> None:
        form = QFormLayout(self)
        form.addRow("4-step LoRA", hrow("high", self.speed_high, "low", self.speed_low))
        form.addRow(self.three_phase)
        form.addRow("", hrow("steps", self.phase1_steps, "CFG", self.phase1_cfg))
        for column, title in enumerate(("File", "High", "Low")):
            self._grid.addWidget(QLabel(title), 0, column)
        form.addRow(self._grid)
        form.addRow(hrow(self.add_button))
        form.addRow(self.status)

    def _connect(self) -> None:
        for spin in (self.speed_high, self.speed_low, self.phase1_steps, self.phase1_cfg):
            spin.valueChanged.connect(lambda _=None: self.changed.emit())
        self.three_phase.toggled.connect(self._phase_mode)
        self.three_phase.toggled.connect(lambda on: self.phases_changed.emit(3 if on else 2))
        self.add_button.clicked.connect(lambda: self.add_lora())

    # -- public -------------------------------------------------------------------------------

    def values(self) -> dict:
        """The JobSpec fields this box sets."""
        three = self.three_phase.isChecked()
        return {"lora_strength_high": self.speed_high.value(),
                "lora_strength_low": self.speed_low.value(),
                "phases": 3 if three else 2,
                "phase1_steps": self.phase1_steps.value() if three else None,
                "phase1_cfg": self.phase1_cfg.value() if three else None,
                "loras": tuple(row.value() for row in self._rows)}

    def set_values(self, spec: JobSpec) -> None:
        """Show a job's LoRA settings (no phases_changed: the job's sampling is shown as is)."""
        self.blockSignals(True)
        try:
            self.speed_high.setValue(spec.lora_strength_high)
            self.speed_low.setValue(spec.lora_strength_low)
            self.three_phase.setChecked(spec.phases == 3)
            steps, cfg = spec.phase1()
            self.phase1_steps.setValue(steps)
            self.phase1_cfg.setValue(cfg)
            while self._rows:
                self._remove(self._rows[-1])
            for lora in spec.loras:
                self.add_lora(lora)
        finally:
            self.blockSignals(False)
        self._phase_mode(spec.phases == 3)

    def add_lora(self, lora: LoraUse | None = None) -> None:
        """A new row (the first library file not used yet, when no LoRA is given)."""
        if len(self._rows) >= MAX_LORAS:
            return
        used = {r.value().name for r in self._rows}
        if lora is None:
            lora = LoraUse(next((n for n in self._library if n not in used), ""))
        row = _LoraRow(self._library, lora)
        line = len(self._rows) + 1
        for column, widget in enumerate(row.widgets()):
            self._grid.addWidget(widget, line, column)
            widget.show()  # a layout shows a child added to a visible box only later
        row.file.currentTextChanged.connect(lambda _=None: self.changed.emit())
        row.high.valueChanged.connect(lambda _=None: self.changed.emit())
        row.low.valueChanged.connect(lambda _=None: self.changed.emit())
        row.remove.clicked.connect(lambda: self._remove(row))
        self._rows.append(row)
        self.add_button.setEnabled(len(self._rows) < MAX_LORAS)
        self.changed.emit()

    def show_library(self, names: list[str]) -> None:
        """The server's LoRA files, offered in every row (the choices already made stay)."""
        self._library = list(names)
        for row in self._rows:
            current = row.file.currentText()
            row.file.blockSignals(True)
            row.file.clear()
            row.file.addItems(self._library)
            row.file.setCurrentText(current)
            row.file.blockSignals(False)
        count = len(self._library)
        self.status.setText(f"{count} LoRA file{'s' if count != 1 else ''} on the server; a "
                            "strength per expert (0 leaves that expert without it).")

    def missing(self) -> list[str]:
        """Chosen LoRAs the server does not list (empty when it lists none: not connected)."""
        if not self._library:
            return []
        return [r.value().name for r in self._rows if r.value().name not in self._library]

    # -- slots --------------------------------------------------------------------------------

    def _remove(self, row: _LoraRow) -> None:
        index = self._rows.index(row)
        for widget in row.widgets():
            self._grid.removeWidget(widget)
            widget.deleteLater()
        self._rows.pop(index)
        for line, later in enumerate(self._rows[index:], start=index + 1):
            for column, widget in enumerate(later.widgets()):
                self._grid.addWidget(widget, line, column)
        self.add_button.setEnabled(True)
        self.changed.emit()

    def _phase_mode(self, on: bool) -> None:
        self.phase1_steps.setEnabled(on)
        self.phase1_cfg.setEnabled(on)
        self.changed.emit()
