"""The benchmark spec as a form: common settings, the image list, sizes, frame counts and a table
of configurations. It edits the same dict a TOML spec parses to; the core checks it
(`wan22_gui.core.bench.spec.parse_spec`), so the form and the file can never disagree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFileDialog, QFormLayout, QFrame, QGroupBox, QHBoxLayout,
    QHeaderView, QLineEdit, QListWidget, QPushButton, QScrollArea, QSpinBox, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from wan22_gui.core.bench.spec import ATTENTION_CHOICES, INTERPOLATION_CHOICES, BenchSpec

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp);;All files (*)"
# (column title, spec key, editor kind)
CONFIG_COLUMNS = (
    ("Name", "name", "text"), ("Preset", "preset", "text"),
    ("Attention", "attention", ATTENTION_CHOICES), ("4-step LoRA", "lora", ("true", "false")),
    ("Steps", "steps", "int"), ("Split", "split_step", "int"), ("CFG", "cfg", "float"),
    ("Interpolation", "interpolation", INTERPOLATION_CHOICES),
    ("×", "multiplier", ("2", "3", "4")), ("Launch flags", "launch_args", "args"),
    ("High model", "high_model", "text"), ("Low model", "low_model", "text"),
)
CONFIG_TIPS = (
    "Label in the report and the CSV", "Launch preset name (empty: the server's own)",
    "default: the preset's; sdpa/sage/flash restart ComfyUI; sage-node patches the workflow",
    "The 4-step LightX2V LoRA (false: the 20-step template)",
    "Empty: the template's value (4 with the LoRA, 20 without)",
    "Step where the low-noise pass takes over (empty: 2 or 10)",
    "Empty: the template's value (1.0 with the LoRA, 3.5 without)",
    "Frame interpolation after generation", "Interpolation factor (16 fps × 2 = 32 fps)",
    "Extra ComfyUI flags, e.g. --reserve-vram 4 (restarts ComfyUI)",
    "High-noise expert file (empty: the template's fp8; a .gguf file: a GGUF cell)",
    "Low-noise expert file (empty: the template's fp8)",
)


class BenchSpecForm(QWidget):
    """Form view of a spec. `data()` is the spec as a dict; `changed` fires on every edit.

    Signals:
        changed(): something was edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bench_spec_form")
        self.base_dir = Path.home()
        self._loading = False
        self.name = QLineEdit()
        self.name.setObjectName("bench_name")
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("what should happen in every clip")
        self.resolutions = QLineEdit()
        self.resolutions.setObjectName("bench_resolutions")
        self.resolutions.setPlaceholderText("832x1216, 640x640")
        self.frames = QLineEdit()
        self.frames.setObjectName("bench_frames")
        self.frames.setPlaceholderText("25, 49, 81   (4n+1 each; or seconds: 1.5s, 3s, 5s)")
        self.repeats, self.warmup = _spin(1, 100), _spin(0, 10)
        self.seed, self.fps = _spin(0, 2**31 - 1), _spin(1, 120)
        self.images = QListWidget()
        self.images.setObjectName("bench_images")
        self.images.setMaximumHeight(90)
        self.configs = QTableWidget(0, len(CONFIG_COLUMNS))
        self.configs.setObjectName("bench_configs")
        self.configs.setHorizontalHeaderLabels([c[0] for c in CONFIG_COLUMNS])
        for column, tip in enumerate(CONFIG_TIPS):
            self.configs.horizontalHeaderItem(column).setToolTip(tip)
        self.configs.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.configs.verticalHeader().hide()
        self.configs.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.configs.horizontalHeader().setStretchLastSection(True)
        self.configs.setMinimumHeight(110)
        self._build()
        for edit in (self.name, self.prompt, self.resolutions, self.frames):
            edit.textEdited.connect(self._edited)
        for spin in (self.repeats, self.warmup, self.seed, self.fps):
            spin.valueChanged.connect(self._edited)
        self.configs.itemChanged.connect(self._edited)

    def _build(self) -> None:
        common = QFormLayout()
        common.addRow("Name", self.name)
        common.addRow("Prompt", self.prompt)
        common.addRow("Sizes", self.resolutions)
        common.addRow("Frames", self.frames)
        numbers = QHBoxLayout()
        for label, spin in (("Repeats", self.repeats), ("Warm-ups", self.warmup),
                            ("Seed", self.seed), ("fps", self.fps)):
            numbers.addWidget(_label(label))
            numbers.addWidget(spin)
        numbers.addStretch(1)
        common.addRow("", numbers)
        images = QGroupBox("Images")
        image_row = QHBoxLayout(images)
        image_row.addWidget(self.images, 1)
        image_buttons = QVBoxLayout()
        image_buttons.addWidget(make_button("Add…", self._add_images, "bench_add_image"))
        image_buttons.addWidget(make_button("Remove", self._remove_image))
        image_buttons.addStretch(1)
        image_row.addLayout(image_buttons)
        configs = QGroupBox("Configurations (each runs on every image × size × frame count)")
        config_layout = QVBoxLayout(configs)
        config_layout.addWidget(self.configs)
        row = QHBoxLayout()
        row.addWidget(make_button("Add configuration", self._add_config, "bench_add_config"))
        row.addWidget(make_button("Remove", self._remove_config))
        row.addStretch(1)
        config_layout.addLayout(row)
        self._content = content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(common)
        layout.addWidget(images)
        layout.addWidget(configs, 1)
        # scrolls when the results below are given the room (the tab's splitter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def sizeHint(self) -> QSize:  # Qt override: the whole form, not a scroll area's guess
        return self._content.sizeHint()

    # ---- spec <-> form -----------------------------------------------------------------------

    def set_spec(self, spec: BenchSpec, base_dir: Path) -> None:
        """Show a spec (without emitting `changed`)."""
        self._loading = True
        try:
            self.base_dir = Path(base_dir)
            self.name.setText(spec.name)
            self.prompt.setText(spec.prompt)
            self.resolutions.setText(", ".join(f"{w}x{h}" for w, h in spec.resolutions))
            if spec.durations_s:
                self.frames.setText(", ".join(f"{d:g}s" for d in spec.durations_s))
            else:
                self.frames.setText(", ".join(str(n) for n in spec.frames))
            self.repeats.setValue(spec.repeats)
            self.warmup.setValue(spec.warmup)
            self.seed.setValue(min(spec.seed, self.seed.maximum()))
            self.fps.setValue(spec.fps)
            self.images.clear()
            self.images.addItems([_shown_path(p, self.base_dir) for p in spec.images])
            self.configs.setRowCount(0)
            for config in spec.configs:
                self._append_config(_config_values(config))
        finally:
            self._loading = False

    def data(self) -> dict[str, Any]:
        """The spec as the dict a TOML file would parse to (checked by the core, not here)."""
        data: dict[str, Any] = {
            "name": self.name.text().strip() or "benchmark", "prompt": self.prompt.text(),
            "images": [self.images.item(i).text() for i in range(self.images.count())],
            "resolutions": _split(self.resolutions.text()),
            "repeats": self.repeats.value(), "warmup": self.warmup.value(),
            "seed": self.seed.value(), "fps": self.fps.value(),
            "configs": [self._config_data(row) for row in range(self.configs.rowCount())],
        }
        data.update(_frames_or_durations(self.frames.text()))
        return data

    def _config_data(self, row: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for column, (_, key, kind) in enumerate(CONFIG_COLUMNS):
            text = self._cell_text(row, column).strip()
            if not text:
                continue
            out[key] = _typed(text, kind)
        return out

    # ---- editing -----------------------------------------------------------------------------

    def _edited(self, *args: Any) -> None:
        if not self._loading:
            self.changed.emit()

    def _add_images(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add images", str(self.base_dir),
                                                IMAGE_FILTER)
        self.images.addItems([_shown_path(Path(p), self.base_dir) for p in paths])
        if paths:
            self.changed.emit()

    def _remove_image(self) -> None:
        for item in self.images.selectedItems():
            self.images.takeItem(self.images.row(item))
        self.changed.emit()

    def _add_config(self) -> None:
        self._append_config({"name": f"config {self.configs.rowCount() + 1}",
                             "attention": "default", "lora": "true", "interpolation": "none",
                             "multiplier": "2"})
        self.changed.emit()

    def _remove_config(self) -> None:
        rows = sorted({i.row() for i in self.configs.selectedIndexes()}, reverse=True)
        for row in rows:
            self.configs.removeRow(row)
        self.changed.emit()

    def _append_config(self, values: dict[str, str]) -> None:
        was = self._loading
        self._loading = True
        row = self.configs.rowCount()
        self.configs.insertRow(row)
        for column, (_, key, kind) in enumerate(CONFIG_COLUMNS):
            value = values.get(key, "")
            if isinstance(kind, tuple):
                combo = QComboBox()
                combo.addItems(list(kind))
                combo.setCurrentText(value or kind[0])
                combo.currentTextChanged.connect(self._edited)
                self.configs.setCellWidget(row, column, combo)
            else:
                self.configs.setItem(row, column, QTableWidgetItem(value))
        self._loading = was

    def _cell_text(self, row: int, column: int) -> str:
        widget = self.configs.cellWidget(row, column)
        if isinstance(widget, QComboBox):
            return widget.currentText()
        item = self.configs.item(row, column)
        return item.text() if item is not None else ""


def _config_values(config: Any) -> dict[str, str]:
    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return {
        "name": config.name, "preset": config.preset, "attention": config.attention,
        "lora": "true" if config.lora else "false", "steps": text(config.steps),
        "split_step": text(config.split_step), "cfg": text(config.cfg),
        "interpolation": config.interpolation, "multiplier": str(config.multiplier),
        "launch_args": " ".join(config.launch_args),
        "high_model": config.high_model, "low_model": config.low_model,
    }


def _typed(text: str, kind: Any) -> Any:
    """Form text -> the type the spec expects; text that does not convert is passed on as is,
    so the core's check names the field and the value."""
    if kind == "args":
        return text.split()
    if kind in ("int", "float"):
        try:
            return int(text) if kind == "int" else float(text)
        except ValueError:
            return text
    if kind == ("true", "false"):
        return text == "true"
    if kind == ("2", "3", "4"):
        return int(text)
    return text


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _frames_or_durations(text: str) -> dict[str, Any]:
    """'25, 49, 81' -> frames; '1.5s, 3s' -> durations_s. Bad entries go through unchanged."""
    parts = _split(text)
    if parts and all(p.lower().endswith("s") for p in parts):
        return {"durations_s": [_number(p[:-1]) for p in parts]}
    return {"frames": [_number(p) for p in parts]}


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _shown_path(path: Path, base_dir: Path) -> str:
    """`path` as the spec file would name it: relative when it lies in the spec's folder,
    else in full.

    The spec's images come back absolute while the folder may be relative ("." for a spec
    opened by a relative name) or reached through a link, so both are compared as absolute
    and as resolved paths.
    """
    path, base_dir = Path(path), Path(base_dir)
    for inside, folder in ((path, base_dir), (path.absolute(), base_dir.absolute()),
                           (path.resolve(), base_dir.resolve())):
        try:
            return inside.relative_to(folder).as_posix()
        except ValueError:
            continue
    return str(path)


def _spin(low: int, high: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    return spin


def _label(text: str) -> QWidget:
    from PySide6.QtWidgets import QLabel

    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return label


def make_button(text: str, slot: Any, name: str = "") -> QPushButton:
    """A push button wired to `slot` (objectName `name` for tests)."""
    button = QPushButton(text)
    if name:
        button.setObjectName(name)
    button.clicked.connect(slot)
    return button
