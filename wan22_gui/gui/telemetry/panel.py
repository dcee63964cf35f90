"""The "Live GPU" panel: the telemetry graph with its controls.

It starts the core's sampler, follows the server connection for ComfyUI's PID (its GPU and its
own memory) and the preset's VRAM reserve, and draws the job runner's phase events. When there
is no local GPU data (no driver, NVML missing, no permission) the panel folds to one line that
says why and shows the attached server's GPU from its `/system_stats` (read by the app's
connection probe, `app.health`), so an empty graph never takes half the window.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QSizePolicy
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout,
    QWidget,
)

from wan22_gui.core.telemetry.sampler import MAX_RATE_HZ, MIN_RATE_HZ, list_devices
from wan22_gui.gui import bridge
from wan22_gui.gui.common.elided_label import ElidedLabel
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.tasks import AFTER_WINDOW_MS
from wan22_gui.gui.telemetry.graph import WINDOWS, TelemetryGraph

log = logging.getLogger("wan22.gui")
REDRAW_MS = 200  # the graph redraws at 5 Hz whatever the sampling rate
# The sampler starts once the window is up: its first row loads numpy (tens of ms of the
# interpreter) and would otherwise compete with building and painting the first frame.
SAMPLER_START_MS = AFTER_WINDOW_MS
AUTO = "auto"
GIB = 1024**3
FULL_MIN_HEIGHT = 160  # controls, readout and a graph still worth reading
QWIDGETSIZE_MAX = 16777215


def fold_text(problem: str, health: Any, latest: dict[str, float] | None = None) -> str:
    """The folded panel's line: why there is no local graph, this computer's RAM, and the
    attached server's own GPU (or the connection state when there is none)."""
    parts = [f"No local GPU data: {problem}".rstrip(".") + "." if problem else
             "No local GPU data."]
    used, total = (latest or {}).get("ram_used", math.nan), (latest or {}).get("ram_total", math.nan)
    if math.isfinite(used) and math.isfinite(total) and total > 0:
        parts.append(f"RAM {used / GIB:.1f}/{total / GIB:.0f} GiB.")
    gpu = getattr(health, "gpu", None)
    if getattr(health, "usable", False) and gpu is not None:
        parts.append(f"ComfyUI's GPU: {gpu.line}.")
    else:
        parts.append(getattr(health, "words", ""))
    return " ".join(p for p in parts if p)


def create_panel(ctx: AppContext) -> QWidget:
    return TelemetryPanel(ctx)


class TelemetryPanel(QWidget):
    """Controls above the graph; owns the redraw timer and starts/stops the sampler."""

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, autostart: bool = True
    ) -> None:
        super().__init__(parent)
        self.setObjectName("telemetry_panel")
        self.setMinimumHeight(FULL_MIN_HEIGHT)
        self.folded = False
        self.seen_gpu = False  # a GPU that was seen and then lost keeps its graph
        self._checked_t: float | None = None
        self.ctx = ctx
        self.sampler = ctx.app.sampler
        self.graph = TelemetryGraph(self.sampler)
        self._build()
        self._apply_settings()
        self._connect_core()
        self._start_timer = QTimer(self)
        self._start_timer.setSingleShot(True)
        self._start_timer.timeout.connect(self.sampler.start)
        if autostart:  # tests that drive the sampler by hand pass False
            self._start_timer.start(SAMPLER_START_MS)
        ctx.app.health.start()  # the folded line shows its words and the server's GPU
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        ctx.tasks.run_after_window(self, lambda: list_devices(self.sampler.reader),
                                   self._fill_devices,
                                   lambda exc: log.warning("listing GPUs failed: %s", exc))

    # --- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.device_box = QComboBox()
        self.device_box.setObjectName("telemetry_device")
        self.device_box.addItem("Auto (ComfyUI's GPU)", AUTO)
        self.device_box.setToolTip("GPU to watch; Auto follows the GPU ComfyUI runs on")
        self.device_box.currentIndexChanged.connect(self._on_device_chosen)
        self.rate_box = QSpinBox()
        self.rate_box.setRange(int(MIN_RATE_HZ), int(MAX_RATE_HZ))
        self.rate_box.setSuffix(" Hz")
        self.rate_box.setToolTip("Samples per second")
        self.rate_box.valueChanged.connect(self._on_rate_chosen)
        self.window_box = QComboBox()
        for label, _value in WINDOWS:
            self.window_box.addItem(label)  # no Python objects as item data (None crashed PySide)
        self.window_box.setCurrentIndex(1)
        self.window_box.setToolTip("Time span shown")
        self.window_box.currentIndexChanged.connect(lambda i: self.graph.set_window(WINDOWS[i][1]))
        self.live_button = QPushButton("Pause")
        self.live_button.setObjectName("telemetry_live")
        self.live_button.setToolTip("Pause to scroll back (drag or wheel on the graph); Live to follow")
        self.live_button.clicked.connect(lambda: self.graph.set_live(not self.graph.live))
        self.graph.live_changed.connect(self._on_live_changed)
        self.ram_box = QCheckBox("RAM")
        self.ram_box.setChecked(True)
        self.ram_box.setToolTip("System RAM (ComfyUI moves models through it)")
        self.ram_box.toggled.connect(self.graph.set_show_ram)
        self.power_box = QCheckBox("Power && temp")
        self.power_box.toggled.connect(self.graph.set_show_power)
        csv_button = QPushButton("Export CSV…")
        csv_button.clicked.connect(lambda: self.export("csv"))
        png_button = QPushButton("Export PNG…")
        png_button.clicked.connect(lambda: self.export("png"))
        # the app's one connection state, as everywhere; in the controls row, where it costs
        # no height, elided with "…" (full text on hover) rather than widening the row
        self.connection_label = ElidedLabel(name="telemetry_connection")
        # the theme's muted text colour, so it stays readable when the theme changes
        self.connection_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        bar = QHBoxLayout()
        for widget in (self.device_box, self.rate_box, self.window_box, self.live_button,
                       self.ram_box, self.power_box):
            bar.addWidget(widget)
        bar.addSpacing(8)
        bar.addWidget(self.connection_label, 1)
        bar.addWidget(csv_button)
        bar.addWidget(png_button)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("telemetry_problem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(
            "QLabel { background: #fff3e0; color: #4e342e; border: 1px solid #ffb74d;"
            " border-radius: 3px; padding: 4px; }"
        )
        self.problem_label.setVisible(False)
        self.message = QLabel()  # result of the last export
        self.message.setObjectName("telemetry_message")
        self.message.hide()
        self.full = QWidget()
        full = QVBoxLayout(self.full)
        full.setContentsMargins(0, 0, 0, 0)
        full.addLayout(bar)
        full.addWidget(self.problem_label)
        full.addWidget(self.graph, 1)
        full.addWidget(self.message)
        self.fold_line = QLabel()  # all the panel shows without a local GPU
        self.fold_line.setObjectName("telemetry_fold")
        self.fold_line.setWordWrap(True)
        self.fold_line.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.fold_line.setToolTip("Install the NVIDIA driver on this computer to see the graph")
        self.fold_line.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.full, 1)
        layout.addWidget(self.fold_line)

    def _apply_settings(self) -> None:
        settings = self.ctx.app.settings
        try:
            rate = int(round(float(settings.get("telemetry.rate_hz"))))
        except (TypeError, ValueError):
            rate = 10
        self.rate_box.setValue(min(max(rate, int(MIN_RATE_HZ)), int(MAX_RATE_HZ)))
        self._on_rate_chosen(self.rate_box.value(), save=False)

    def _connect_core(self) -> None:
        app = self.ctx.app
        bridge.subscribe(self, app.connection.changed, self.set_server)
        bridge.subscribe(self, self.sampler.device_changed, self._on_device_changed)
        if app.jobs is not None:  # the job queue (issue 4) publishes phase events
            bridge.subscribe(self, app.jobs.phase, self.graph.add_phase_event)
        self.set_server(app.connection.info)

    # --- reactions -----------------------------------------------------------------------------

    def set_server(self, info: Any) -> None:
        """A server was launched, attached or lost: watch its PID and draw its reserve."""
        self.sampler.set_pid(getattr(info, "pid", None))
        self.graph.set_reserve(getattr(info, "reserve_vram_gb", None))

    def add_phase_event(self, event: Any) -> None:
        """For callers without a job queue in the core (tests, the benchmark runner)."""
        self.graph.add_phase_event(event)

    def refresh(self) -> None:
        problem = self.sampler.problem
        health = self.ctx.app.health.current
        latest = self.sampler.latest()
        if not self.seen_gpu and latest is not None:  # no rows yet: nothing to read (nor numpy)
            self.seen_gpu = self._new_rows_have_a_gpu()
        self._set_folded(problem is not None and not self.seen_gpu)
        if self.folded:
            text = fold_text(problem.user_text().replace("\n", " "), health, latest)
            if text != self.fold_line.text():
                self.fold_line.setText(text)
            return
        if latest is not None:  # no rows yet (the sampler starts after the window): nothing new
            self.graph.refresh()
        if health.words != self.connection_label.text():
            self.connection_label.setText(health.words)  # its tooltip follows the text
        text = f"No GPU data. {problem.user_text()}".replace("\n", " ") if problem else ""
        if text != self.problem_label.text():
            self.problem_label.setText(text)
            self.problem_label.setVisible(bool(text))

    def _new_rows_have_a_gpu(self) -> bool:
        """Whether a sample since the last look had GPU figures (only the new rows are read)."""
        rows = self.sampler.snapshot(since_t=self._checked_t)
        times = rows.get("t")
        if times is None or not len(times):
            return False
        self._checked_t = float(times[-1])
        totals = rows.get("vram_total")
        return totals is not None and any(math.isfinite(float(v)) for v in totals)

    def _set_folded(self, folded: bool) -> None:
        """One line without a local GPU; the graph (and its room) when there is one."""
        if folded == self.folded:
            return
        self.folded = folded
        self.full.setVisible(not folded)
        self.fold_line.setVisible(folded)
        if folded:  # a capped height lets the dock give the room back to the tabs
            self.setMinimumHeight(0)
            self.setMaximumHeight(self.fold_line.sizeHint().height() * 3 + 8)
        else:
            self.setMaximumHeight(QWIDGETSIZE_MAX)
            self.setMinimumHeight(FULL_MIN_HEIGHT)

    def _fill_devices(self, devices: list[tuple[int, str]]) -> None:
        wanted = str(self.ctx.app.settings.get("telemetry.device"))
        self.device_box.blockSignals(True)
        for index, name in devices:
            self.device_box.addItem(f"GPU {index}: {name}", index)
            if wanted == str(index):
                self.device_box.setCurrentIndex(self.device_box.count() - 1)
        self.device_box.blockSignals(False)
        if wanted != AUTO and self.device_box.currentData() != AUTO:
            self.sampler.set_device(self.device_box.currentData())

    def _on_device_chosen(self, position: int) -> None:
        value = self.device_box.itemData(position)
        self.sampler.set_device(None if value == AUTO else int(value))
        self.ctx.app.settings.set("telemetry.device", value if value == AUTO else int(value))

    def _on_device_changed(self, _index: int) -> None:
        self.graph.reset()

    def _on_rate_chosen(self, rate: int, save: bool = True) -> None:
        self.sampler.set_rate(rate)
        if save:
            self.ctx.app.settings.set("telemetry.rate_hz", rate)

    def _on_live_changed(self, live: bool) -> None:
        self.live_button.setText("Pause" if live else "Live")

    # --- export --------------------------------------------------------------------------------

    def export(self, kind: str, path: Path | None = None) -> None:
        """Save the visible range as CSV (all series) or PNG (the plots); asks where if no path."""
        if path is None:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            suggested = str(Path.home() / f"gpu-telemetry-{stamp}.{kind}")
            chosen, _ = QFileDialog.getSaveFileName(
                self, f"Export the visible range as {kind.upper()}", suggested,
                "CSV files (*.csv)" if kind == "csv" else "PNG images (*.png)",
            )
            if not chosen:
                return
            path = Path(chosen)
        from wan22_gui.gui.telemetry.export import write_csv, write_png  # numpy: on first use

        if kind == "png":
            try:
                self._report_export(path, write_png(self.graph.canvas or self.graph, path))
            except OSError as exc:
                self._report_export(path, exc)
            return
        rows = self.graph.visible_rows()
        phases = self.graph.phases
        self.ctx.tasks.run_in_background(
            lambda: write_csv(path, rows, phases),
            lambda count: self._report_export(path, count),
            lambda exc: self._report_export(path, exc),
        )

    def _report_export(self, path: Path, result: Any) -> None:
        if isinstance(result, BaseException):
            self.message.setText(f"Could not export to {path}: {result}. Choose another folder.")
        else:
            self.message.setText(f"Exported {result} to {path}")
        self.message.show()

    def shutdown(self) -> None:
        """Stop redrawing and sampling (the main window calls this on quit)."""
        self.timer.stop()
        self._start_timer.stop()  # quit within the first moments: it must not start after stop
        bridge.unsubscribe_all(self)
        self.sampler.stop()
