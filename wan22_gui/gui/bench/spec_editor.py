"""The spec half of the Benchmark tab: New/Load/Save, the form and the raw TOML as two tabs kept
in step, and a line that says what the matrix amounts to or what is wrong with it. Every check
is the core's (`parse_spec` / `parse_spec_text`), so the form, the file and `wan22 bench` agree."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QTabWidget, QVBoxLayout, QWidget
from PySide6.QtWidgets import QFileDialog

from wan22_gui.core.bench.spec import (
    BenchSpec, load_spec, parse_spec, parse_spec_text, spec_to_toml,
)
from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.base.resources import resource_path
from wan22_gui.core.base.settings import Settings, declare
from wan22_gui.gui import theme
from wan22_gui.gui.bench.spec_form import BenchSpecForm, make_button

LAST_SPEC_KEY = "bench.last_spec"
declare(LAST_SPEC_KEY, "")
NO_IMAGES_LINE = "images = []  # add your start images (the Form tab's Add… button)"


class BenchSpecEditor(QWidget):
    """Edits one spec; `current_spec()` gives it checked (or None, with the reason shown)."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.spec_path: Path | None = None
        self.form = BenchSpecForm()
        self.toml = QPlainTextEdit()
        self.toml.setObjectName("bench_toml")
        self.toml.setFont(QFont("monospace"))
        self.tabs = QTabWidget()
        self.tabs.setObjectName("bench_tabs")
        self.tabs.addTab(self.form, "Form")
        self.tabs.addTab(self.toml, "TOML")
        self.spec_label = QLabel()
        self.check = QLabel("")
        self.check.setObjectName("bench_check")
        self.check.setWordWrap(True)
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(300)
        self._check_timer.timeout.connect(self.check_spec)
        self._build()
        self.form.changed.connect(self._check_timer.start)
        self.toml.textChanged.connect(self._check_timer.start)
        self.tabs.currentChanged.connect(self._on_tab)
        last = str(settings.get(LAST_SPEC_KEY) or "")
        if last and Path(last).is_file():
            self.load(Path(last))
        else:
            self.new_spec()

    def _build(self) -> None:
        files = QHBoxLayout()
        files.addWidget(self.spec_label, 1)
        for text, slot in (("New", self.new_spec), ("Load…", self.load_dialog),
                           ("Save", self.save), ("Save as…", self.save_as_dialog)):
            files.addWidget(make_button(text, slot))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(files)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.check)

    # ---- files -------------------------------------------------------------------------------

    def new_spec(self) -> None:
        """Start from the documented example, without its placeholder images."""
        example = resource_path("bench_example.toml")
        self.spec_path = None
        spec = dataclasses.replace(load_spec(example, check_files=False), images=())
        text = re.sub(r"(?m)^images = \[.*\]$", NO_IMAGES_LINE, example.read_text("utf-8"))
        self._show(spec, Path.home(), text)

    def load(self, path: Path) -> None:
        try:
            spec = load_spec(path, check_files=False)
            text = Path(path).read_text(encoding="utf-8")
        except (Wan22Error, OSError) as exc:
            self._say(_text(exc), error=True)
            return
        self.spec_path = Path(path)
        self._show(spec, self.spec_path.parent, text)
        self.settings.set(LAST_SPEC_KEY, str(self.spec_path))

    def _show(self, spec: BenchSpec, base_dir: Path, text: str) -> None:
        self.form.set_spec(spec, base_dir)
        self.toml.blockSignals(True)
        self.toml.setPlainText(text)
        self.toml.blockSignals(False)
        self.spec_label.setText(f"Spec: {self.spec_path}" if self.spec_path else
                                "Spec: new (from the example; save it to keep it)")
        self.check_spec()

    def load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load benchmark spec",
                                              str(self.form.base_dir), "TOML (*.toml)")
        if path:
            self.load(Path(path))

    def save(self) -> bool:
        if self.spec_path is None:
            return self.save_as_dialog()
        return self.save_to(self.spec_path)

    def save_as_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save benchmark spec",
                                              str(self.form.base_dir / "benchmark.toml"),
                                              "TOML (*.toml)")
        return self.save_to(Path(path)) if path else False

    def save_to(self, path: Path) -> bool:
        """Write the spec being edited (image paths relative to the file where possible)."""
        spec = self.current_spec(check_files=False)
        if spec is None:
            return False
        text = spec_to_toml(spec, base_dir=Path(path).parent)
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            self._say(f"Could not save {path}: {exc.strerror or exc}", error=True)
            return False
        self.spec_path = Path(path)
        self._show(parse_spec_text(text, base_dir=self.spec_path.parent, source=self.spec_path,
                                   check_files=False), self.spec_path.parent, text)
        self.settings.set(LAST_SPEC_KEY, str(self.spec_path))
        return True

    # ---- checking ----------------------------------------------------------------------------

    def current_spec(self, *, check_files: bool) -> BenchSpec | None:
        """The spec of the tab in front, checked by the core; None (and a message) if wrong."""
        base = self.form.base_dir
        try:
            if self.tabs.currentWidget() is self.toml:
                return parse_spec_text(self.toml.toPlainText(), base_dir=base,
                                       source=self.spec_path, check_files=check_files)
            return parse_spec(self.form.data(), base_dir=base, source=self.spec_path,
                              check_files=check_files)
        except Wan22Error as exc:
            self._say(_text(exc), error=True)
            return None

    def check_spec(self) -> None:
        spec = self.current_spec(check_files=False)
        if spec is None:
            return
        cells = len(spec.images) * len(spec.resolutions) * len(spec.frames) * len(spec.configs)
        text = (f"{_n(len(spec.images), 'image')} × {_n(len(spec.resolutions), 'size')} × "
                f"{_n(len(spec.frames), 'frame count')} × "
                f"{_n(len(spec.configs), 'configuration')} = {_n(cells, 'cell')} × "
                f"{_n(spec.repeats, 'repeat')} = {_n(cells * spec.repeats, 'measured run')} "
                "(+ warm-ups).")
        missing = [p.name for p in spec.images if not p.is_file()]
        if missing:
            text += f" Images not found: {', '.join(missing)} — add your own with Add…"
        self._say(text, error=bool(missing))

    def _on_tab(self, index: int) -> None:
        """Carry the edits over to the tab just opened (a spec with mistakes stays put)."""
        going_to_toml = self.tabs.widget(index) is self.toml
        self.tabs.blockSignals(True)
        self.tabs.setCurrentIndex(1 - index)  # read the spec from the tab we came from
        spec = self.current_spec(check_files=False)
        if spec is not None:
            self.tabs.setCurrentIndex(index)
            if going_to_toml:
                self.toml.setPlainText(spec_to_toml(spec, base_dir=self.form.base_dir))
            else:
                self.form.set_spec(spec, self.form.base_dir)
        self.tabs.blockSignals(False)

    def _say(self, text: str, *, error: bool) -> None:
        self.check.setText(text)
        theme.show_status(self.check, "error" if error else "ok")


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _text(exc: BaseException) -> str:
    return exc.user_text() if isinstance(exc, Wan22Error) else str(exc)
