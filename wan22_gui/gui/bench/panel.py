"""The Benchmark area: edit a spec (form or raw TOML), run it with progress and ETA, watch the
runs arrive, open the report. A thin layer over `wan22_gui.core.bench`: the run happens in the
background exactly as `wan22 bench` does it (`open_benchmark` + `BenchmarkRunner`)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QSplitter, QVBoxLayout,
    QWidget,
)

from wan22_gui.core.bench.outputs import REPORT_FILE
from wan22_gui.core.bench.results import ResultStore
from wan22_gui.core.bench.spec import BenchSpec
from wan22_gui.core.bench.stats import format_duration
from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.base.settings import declare
from wan22_gui.gui import bridge, theme
from wan22_gui.gui.bridge import on_main
from wan22_gui.gui.common.elided_label import ElidedLabel
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.bench.results_table import BenchResultsTable
from wan22_gui.gui.bench.spec_editor import BenchSpecEditor
from wan22_gui.gui.bench.spec_form import make_button as _button

log = logging.getLogger("wan22.gui")

LAST_OUT_KEY = "bench.last_out"
declare(LAST_OUT_KEY, "")
SERVER_CHOICES = ("The app's ComfyUI (current connection)", "ComfyUI at this address:",
                  "Start ComfyUI from this folder:")


def create_panel(ctx: AppContext) -> QWidget:
    return BenchmarkPanel(ctx)


class BenchmarkPanel(QWidget):
    """Spec editor, run controls, progress and results of one benchmark at a time."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.setObjectName("benchmark_panel")
        self.ctx = ctx
        self.runner: Any = None
        self._cancel = threading.Event()
        self._runner_lock = threading.Lock()
        self._queue_was_paused: bool | None = None
        self.editor = BenchSpecEditor(ctx.app.settings)
        self.out_dir = QLineEdit()
        self.out_dir.setObjectName("bench_out")
        self.server_kind = QComboBox()
        self.server_kind.addItems(list(SERVER_CHOICES))
        self.server_value = QLineEdit()
        self.server_value.setObjectName("bench_server")
        # wide enough for a local address with its port: at 1280 px it was cut to "p://127…"
        self.server_value.setMinimumWidth(
            self.server_value.fontMetrics().horizontalAdvance("http://127.0.0.1:65535") + 16)
        self.run_button = _button("Run benchmark", self.start, "bench_run")
        self.cancel_button = _button("Cancel", self.cancel, "bench_cancel")
        self.report_button = _button("Open report", self.open_report, "bench_open_report")
        self.progress = QProgressBar()
        self.progress.setObjectName("bench_progress")
        self.status = ElidedLabel(lines=2, name="bench_status")  # never resizes the run box
        self.table = BenchResultsTable()
        self._build()
        self._connect()
        self._load_initial()
        self._set_running(False)

    # ---- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        run_box = QWidget()
        run_layout = QVBoxLayout(run_box)
        run_layout.setContentsMargins(0, 0, 0, 0)
        where = QHBoxLayout()
        where.addWidget(QLabel("Results folder"))
        where.addWidget(self.out_dir, 2)
        where.addWidget(_button("Choose…", self.choose_out_dir))
        where.addWidget(self.server_kind)
        where.addWidget(self.server_value, 1)
        run_layout.addLayout(where)
        buttons = QHBoxLayout()
        for widget in (self.run_button, self.cancel_button, self.report_button):
            buttons.addWidget(widget)
        buttons.addWidget(self.progress, 1)
        run_layout.addLayout(buttons)
        run_layout.addWidget(self.status)
        run_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.editor)
        splitter.addWidget(run_box)
        splitter.setStretchFactor(0, 0)  # the spec at its natural height, the results get the rest
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        self.server_kind.currentIndexChanged.connect(self._on_server_kind)
        self.out_dir.editingFinished.connect(self._show_existing_results)
        bridge.subscribe(self, self.ctx.app.connection.changed,
                         lambda info: self._on_server_kind(self.server_kind.currentIndex()))

    def _load_initial(self) -> None:
        self.out_dir.setText(str(self.ctx.app.settings.get(LAST_OUT_KEY) or "") or
                             str(self.ctx.app.paths.output_dir / "benchmarks" / "benchmark"))
        self._on_server_kind(0)
        self._show_existing_results()

    # ---- running -----------------------------------------------------------------------------

    def choose_out_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Results folder", self.out_dir.text())
        if path:
            self.out_dir.setText(path)
            self._show_existing_results()

    def _on_server_kind(self, index: int) -> None:
        self.server_value.setEnabled(index > 0)
        self.server_value.setPlaceholderText(["", "http://127.0.0.1:8188",
                                              "folder with ComfyUI's main.py"][index])
        if index == 0:
            url = self.ctx.app.connection.url
            self.server_value.setText(url or "none connected yet")
            self.server_value.setCursorPosition(0)  # show the start of a long address, not its end
        self.server_value.setToolTip(self.server_value.text())

    def _show_existing_results(self) -> None:
        out = Path(self.out_dir.text()) if self.out_dir.text().strip() else None
        records = ResultStore(out).latest().values() if out and out.is_dir() else []
        self.table.set_records(records)
        self.report_button.setEnabled(bool(out and (out / REPORT_FILE).is_file()))

    def start(self) -> None:
        spec = self.editor.current_spec(check_files=True)
        out = self.out_dir.text().strip()
        if spec is None:
            return
        if not out:
            self._say_status("Choose a results folder first.", error=True)
            return
        server_url, comfyui = self._server_choice()
        self.ctx.app.settings.set(LAST_OUT_KEY, out)
        self._cancel.clear()
        self._pause_app_queue(True)
        self._set_running(True)
        self._say_status("Starting…", error=False)
        self._show_existing_results()
        self.ctx.tasks.run_in_background(
            lambda: self._run(spec, Path(out), server_url, comfyui), self._finished,
            self._failed)

    def _server_choice(self) -> tuple[str | None, str | None]:
        kind, value = self.server_kind.currentIndex(), self.server_value.text().strip()
        if kind == 1:
            return value or None, None
        if kind == 2:
            return None, value or None
        return None, None

    def _run(self, spec: BenchSpec, out: Path, server_url: str | None,
             comfyui: str | None) -> Any:
        """Background: the same steps as `wan22 bench` (never touches a widget)."""
        from wan22_gui.core.bench.wiring import open_benchmark

        setup = open_benchmark(self.ctx.app.bench_services(), spec, out, server_url=server_url,
                               comfyui=comfyui)
        try:
            runner = setup.runner()
            # this run's runner lives on this worker and goes with it: its handlers are @on_main
            runner.progress.connect(self._on_progress)
            runner.recorded.connect(self._on_recorded)
            runner.message.connect(self._on_message)
            runner.activity.connect(self._on_activity)
            with self._runner_lock:
                self.runner = runner
            if self._cancel.is_set():
                runner.cancel()
            return runner.run()
        finally:
            with self._runner_lock:
                self.runner = None
            setup.close()

    def cancel(self) -> None:
        """Stop after interrupting the current run (finished runs stay; Run resumes)."""
        self._cancel.set()
        with self._runner_lock:
            runner = self.runner
        if runner is not None:
            runner.cancel()
        self._say_status("Cancelling the running job…", error=False)

    @on_main
    def _on_progress(self, progress: Any) -> None:
        self.progress.setMaximum(max(1, progress.total))
        self.progress.setValue(progress.done)
        self.progress.setFormat(f"%v of %m runs · ETA {format_duration(progress.eta_s)}"
                                if progress.done < progress.total else "%v of %m runs")
        if progress.current:
            kind = " (warm-up, not counted)" if progress.warmup else ""
            self._say_status(f"Now: {progress.current}{kind}", error=False)

    @on_main
    def _on_recorded(self, record: Any) -> None:
        self.table.add_record(record)

    @on_main
    def _on_message(self, text: str) -> None:
        self._say_status(text, error=False)

    @on_main
    def _on_activity(self, text: str) -> None:
        current = self.status.text().split(" — ")[0]
        if current.startswith("Now:"):
            self.status.setText(f"{current} — {text}")

    def _finished(self, summary: Any) -> None:
        self._done_running()
        counts = ", ".join(f"{n} {s}" for s, n in sorted(summary.counts.items())) or "nothing new"
        head = "Cancelled" if summary.cancelled else "Finished"
        text = f"{head}: {counts} ({summary.already_done} of {summary.planned} were done before)."
        if summary.server_lost:
            text += " ComfyUI stopped answering; run again to resume."
        if summary.report_error:
            text += " " + summary.report_error
        self._say_status(text, error=bool(summary.server_lost or summary.report_error))
        self._show_existing_results()

    def _failed(self, exc: BaseException) -> None:
        self._done_running()
        if not isinstance(exc, Wan22Error):
            log.error("benchmark failed", exc_info=exc)
        self._say_status(f"The benchmark could not run: {_text(exc)}", error=True)

    def _done_running(self) -> None:
        self._set_running(False)
        self.progress.setFormat("%v of %m runs")  # no ETA once nothing runs
        self._pause_app_queue(False)

    def _pause_app_queue(self, pause: bool) -> None:
        """Hold the app's own queue while benchmarking, so no job competes for the GPU."""
        jobs = self.ctx.app.jobs  # None when the app was built without a queue
        if jobs is None:
            return
        if pause:
            self._queue_was_paused = jobs.paused
            jobs.set_paused(True)
        elif self._queue_was_paused is not None:
            jobs.set_paused(self._queue_was_paused)
            self._queue_was_paused = None

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.editor.setEnabled(not running)

    def _say_status(self, text: str, *, error: bool) -> None:
        self.status.setText(text)
        theme.show_status(self.status, "error" if error else None)

    def open_report(self) -> None:
        report = Path(self.out_dir.text()) / REPORT_FILE
        if report.is_file():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(report)))

    def shutdown(self) -> None:
        """Called on quit: cancel a running benchmark (its ComfyUI is stopped by the worker)."""
        bridge.unsubscribe_all(self)
        self.cancel()


def _text(exc: BaseException) -> str:
    return exc.user_text() if isinstance(exc, Wan22Error) else str(exc)
