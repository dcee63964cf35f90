"""Sampling settings: the 4-step LoRA toggle, steps and split, CFG, shift, and the seed.

Switching the LoRA swaps steps/CFG/split/shift to the template's values for that mode, so a
20-step run never inherits the LoRA's CFG 1, and back.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QPushButton,
    QSpinBox, QWidget,
)

from wan22_gui.core.workflow import limits
from wan22_gui.core.workflow.builder import SEED_MAX, random_seed
from wan22_gui.core.workflow.spec import sampling_defaults
from wan22_gui.gui.generate.rows import hrow


class SamplingBox(QGroupBox):
    """Signals: changed() after any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sampling", parent)
        self.lora = QCheckBox("4-step LightX2V LoRA (about 8× faster)")
        self.lora.setObjectName("use_lora")
        self.lora.setChecked(True)
        self.lora.setToolTip("On: 4 steps, CFG 1, shift 5 (the template's active group).\n"
                             "Off: 20 steps, CFG 3.5, shift 8 (the template's full-quality group).")
        self.steps = QSpinBox()
        self.steps.setObjectName("steps")
        self.steps.setRange(int(limits.STEPS.low), int(limits.STEPS.high))
        self.split = QSpinBox()
        self.split.setObjectName("split_step")
        self.split.setRange(0, int(limits.STEPS.high))
        self.split.setToolTip("Steps run by the high-noise model; the low-noise model does the rest.")
        self.cfg = QDoubleSpinBox()
        self.cfg.setObjectName("cfg")
        self.cfg.setRange(limits.CFG.low, limits.CFG.high)  # the CLI's rule too
        self.cfg.setSingleStep(0.5)
        self.shift = QDoubleSpinBox()
        self.shift.setObjectName("shift")
        self.shift.setRange(limits.SHIFT.low, limits.SHIFT.high)
        self.shift.setSingleStep(0.5)
        self.random_seed = QCheckBox("new random seed each run")
        self.random_seed.setObjectName("random_seed")
        self.random_seed.setChecked(True)
        self.seed = QLineEdit()
        self.seed.setObjectName("seed")
        self.seed.setPlaceholderText("random")
        self.seed.setMinimumWidth(180)
        self.seed.setValidator(QRegularExpressionValidator(r"\d{0,20}"))
        self.seed.setEnabled(False)
        self.dice = QPushButton("New")
        self.dice.setObjectName("new_seed")
        self.dice.setToolTip("Draw a new seed and keep it fixed")
        self.seed_error = QLabel()
        self.seed_error.setStyleSheet("color: #b00020;")
        self._build()
        self._apply_defaults(True)
        self.lora.toggled.connect(self._apply_defaults)
        self.random_seed.toggled.connect(self._seed_mode)
        self.dice.clicked.connect(self._new_seed)
        for spin in (self.steps, self.split, self.cfg, self.shift):
            spin.valueChanged.connect(self._edited)
        self.steps.valueChanged.connect(lambda n: self.split.setMaximum(n))
        self.seed.textChanged.connect(self._edited)

    def _build(self) -> None:
        form = QFormLayout(self)
        form.addRow(self.lora)
        form.addRow(hrow("Steps", self.steps, "high-noise steps", self.split))
        form.addRow(hrow("CFG", self.cfg, "shift", self.shift))
        # two rows: on one the form is too wide for the Generate tab beside the ComfyUI panel
        form.addRow("Seed", self.random_seed)
        form.addRow("", hrow(self.seed, self.dice, stretch=False))
        form.addRow("", self.seed_error)

    # -- public -------------------------------------------------------------------------------

    def values(self) -> dict:
        """use_lora, steps, split_step, cfg, shift, seed (None = random)."""
        return {"use_lora": self.lora.isChecked(), "steps": self.steps.value(),
                "split_step": min(self.split.value(), self.steps.value()),
                "cfg": self.cfg.value(), "shift": self.shift.value(), "seed": self.seed_value()}

    def seed_value(self) -> int | None:
        if self.random_seed.isChecked():
            return None
        text = self.seed.text().strip()
        return int(text) if text and int(text) <= SEED_MAX else None

    def problem(self) -> str:
        """Why the seed cannot be used ("" when fine)."""
        if self.random_seed.isChecked():
            return ""
        text = self.seed.text().strip()
        if not text:
            return "Type a seed, or tick “new random seed each run”."
        if int(text) > SEED_MAX:
            return f"The seed must be at most {SEED_MAX}."
        return ""

    def set_values(self, *, use_lora: bool, steps: int, split_step: int, cfg: float,
                   shift: float, seed: int | None) -> None:
        self.lora.blockSignals(True)
        self.lora.setChecked(use_lora)
        self.lora.blockSignals(False)
        self.steps.setValue(steps)
        self.split.setMaximum(steps)
        self.split.setValue(split_step)
        self.cfg.setValue(cfg)
        self.shift.setValue(shift)
        self.set_seed(seed)

    def set_seed(self, seed: int | None) -> None:
        """Fix the seed to `seed` (None: back to random each run)."""
        self.random_seed.setChecked(seed is None)
        self.seed.setText("" if seed is None else str(seed))

    # -- slots --------------------------------------------------------------------------------

    def apply_phase_defaults(self, phases: int) -> None:
        """The defaults of the 2- or 3-phase split (the 3-phase one turns the LoRA on)."""
        if phases == 3 and not self.lora.isChecked():
            self.lora.blockSignals(True)
            self.lora.setChecked(True)
            self.lora.blockSignals(False)
        self._apply_defaults(self.lora.isChecked(), phases)

    def _apply_defaults(self, use_lora: bool, phases: int = 2) -> None:
        d = sampling_defaults(bool(use_lora), phases)
        for spin in (self.steps, self.split, self.cfg, self.shift):
            spin.blockSignals(True)
        self.steps.setValue(d.steps)
        self.split.setMaximum(d.steps)
        self.split.setValue(d.split_step)
        self.cfg.setValue(d.cfg)
        self.shift.setValue(d.shift)
        for spin in (self.steps, self.split, self.cfg, self.shift):
            spin.blockSignals(False)
        self._edited()

    def _seed_mode(self, random_each_run: bool) -> None:
        self.seed.setEnabled(not random_each_run)
        if not random_each_run and not self.seed.text():
            self.seed.setText(str(random_seed()))
        self._edited()

    def _new_seed(self) -> None:
        self.random_seed.setChecked(False)
        self.seed.setText(str(random_seed()))

    def _edited(self) -> None:
        self.seed_error.setText(self.problem())
        self.changed.emit()
