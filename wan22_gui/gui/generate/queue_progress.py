"""Progress of the running job, the timings of the last one, and what went wrong.

The top line is derived from the queue model (`show_queue_state`: the job it runs, else how
many wait and why), so it never says "Running" while the queue says the job waits.

The bar follows the sampler passes step by step ("High-noise pass: step 1/2 — ETA 35 s");
between passes (loading, decoding, saving) it is busy and says which phase runs and for how
long. A failed job leaves a banner with the reason, the fix, and "Re-queue with fix".
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFrame, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from wan22_gui.core.history import JobRecord
from wan22_gui.core.jobs import phases as ph
from wan22_gui.core.jobs.phases import PhaseEvent, phase_title
from wan22_gui.gui.common.elided_label import ElidedLabel
from wan22_gui.gui.generate.queue_list import job_summary

SAMPLING = (ph.HIGH_NOISE, ph.LOW_NOISE)


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "ETA —"
    if seconds < 1:
        return "ETA under 1 s"
    seconds = int(round(seconds))
    return f"ETA {seconds} s" if seconds < 90 else f"ETA {seconds // 60} min {seconds % 60:02d} s"


def timings_lines(record: JobRecord) -> list[tuple[str, str]]:
    """(phase title, "12.3 s" [+ per step]) in phase order, for the last job's table."""
    steps = {n.get("phase"): n.get("steps") for n in record.node_timings if n.get("steps")}
    rows = []
    for phase in ph.PHASES:
        if phase not in record.timings:
            continue
        seconds = float(record.timings[phase])
        text = f"{seconds:.1f} s"
        if steps.get(phase):
            text += f"  ({seconds / steps[phase]:.1f} s/step × {steps[phase]})"
        rows.append((phase_title(phase), text))
    if record.duration is not None:
        rows.append(("Total", f"{record.duration:.1f} s"))
    return rows


class JobProgress(QWidget):
    """Signals: requeue_requested(job_id)."""

    requeue_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("job_progress")
        self.job_id: str | None = None
        self._queue: tuple[JobRecord | None, list[JobRecord], bool] = (None, [], False)
        self._phase: str | None = None
        self._phase_t0 = 0.0
        self._running = False
        self.now = ElidedLabel("No job running.", lines=2, name="now_running")
        self.bar = QProgressBar()
        self.bar.setObjectName("job_bar")
        self.bar.setTextVisible(False)
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.step_text = ElidedLabel(name="step_text")  # "Saved <long path>" must not widen us
        self.timings_title = QLabel("")
        self.timings_title.setStyleSheet("font-weight: bold;")
        self.timings = QGridLayout()
        self.banner = _FailureBanner()
        self.banner.requeue.clicked.connect(self._requeue)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.now)
        layout.addWidget(self.bar)
        layout.addWidget(self.step_text)
        layout.addWidget(self.banner)
        layout.addWidget(self.timings_title)
        layout.addLayout(self.timings)

    # -- the running job ----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the view shows a job as running (its end not seen yet)."""
        return self._running

    def job_started(self, record: JobRecord) -> None:
        self.job_id = record.job_id
        self._running = True
        self.now.setText(f"Running: {job_summary(record)}")
        self.banner.hide()

    def follow(self, current: JobRecord | None) -> None:
        """The queue's current job as the queue says (None: it runs nothing): the view
        comes back to it after any missed or late notification."""
        if current is not None and current.status in ("queued", "running"):
            if current.job_id != self.job_id or not self._running:
                self.job_started(current)
        elif current is None and self._running:
            self._stop()
            self.now.setText("No job running.")
            self.step_text.setText("")

    def job_updated(self, record: JobRecord) -> None:
        if record.job_id == self.job_id:
            self.now.setText(f"Running: {job_summary(record)}")

    def on_phase(self, event: PhaseEvent) -> None:
        if event.job_id != self.job_id and event.phase != ph.JOB_START:
            return
        self.job_id = event.job_id
        if event.state == "start":
            self._phase, self._phase_t0 = event.phase, time.monotonic()
            if event.phase not in SAMPLING:
                self.bar.setRange(0, 0)  # busy: this phase reports no steps
                self._ticker.start()
                self._tick()
        elif event.state == "mark" and event.phase == ph.JOB_END:
            self._stop(done=event.detail == "succeeded")
            self.step_text.setText(f"Finished: {event.detail}.")

    def on_progress(self, job_id: str, phase: str, step: int, total: int,
                    eta: float | None) -> None:
        if job_id != self.job_id:
            return
        self._ticker.stop()
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(step)
        self.step_text.setText(f"{phase_title(phase)}: step {step}/{total} — {eta_text(eta)}")

    def _stop(self, *, done: bool = False) -> None:
        """The bar and the phase clock at rest: full when the job succeeded, else empty."""
        self._ticker.stop()
        self._phase = None
        self._running = False
        self.bar.setRange(0, 1)
        self.bar.setValue(1 if done else 0)

    def show_queue_state(self, running: JobRecord | None, pending: list[JobRecord],
                         paused: bool, connection: Any) -> None:
        """The status line from the queue's own state and the app's connection state."""
        self._queue = (running, list(pending), paused)
        if running is not None:
            self.follow(running)
            return
        if self.job_id is not None and any(r.job_id == self.job_id for r in pending):
            self._given_back()  # it never reached ComfyUI: it waits again, it did not finish
        else:
            self.follow(None)
        if not pending:
            if self.now.text().startswith(("Running", "Waiting")):
                self.now.setText("No job running.")
            return
        if paused:
            why = "the queue is paused"
        elif not getattr(connection, "usable", False):
            why = getattr(connection, "words", "ComfyUI is not connected")
        else:
            why = "the next one starts in a moment"
        count = f"{len(pending)} job{'s' if len(pending) != 1 else ''}"
        self.now.setText(f"Waiting: {count} — {why}")

    def show_connection(self, connection: Any) -> None:
        """The connection changed: say again why waiting jobs wait."""
        self.show_queue_state(*self._queue, connection)

    def _given_back(self) -> None:
        self._ticker.stop()
        self._phase, self.job_id, self._running = None, None, False
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.step_text.setText("")

    def _tick(self) -> None:
        if self._phase is None:
            return
        elapsed = int(time.monotonic() - self._phase_t0)
        self.step_text.setText(f"{phase_title(self._phase)}… {elapsed} s")

    # -- the last job -------------------------------------------------------------------------

    def show_result(self, record: JobRecord) -> None:
        """Timings of a finished job, and the failure banner if it failed. When the next job
        already runs, its line and bar stay: they are the queue's state now."""
        if not (self._running and record.job_id != self.job_id):
            self._stop(done=record.status == "succeeded")
            self.now.setText(f"Last job ({record.status}): {job_summary(record)}")
            if record.status == "succeeded" and record.outputs:
                self.step_text.setText(f"Saved {record.outputs[0]}")
        _clear(self.timings)
        rows = timings_lines(record)
        self.timings_title.setText("Timings of the last job" if rows else "")
        for i, (title, text) in enumerate(rows):
            self.timings.addWidget(QLabel(title), i, 0)
            self.timings.addWidget(QLabel(text), i, 1)
        if record.status == "failed" and record.error:
            self.banner.show_error(record)
        else:
            self.banner.hide()

    def _requeue(self) -> None:
        if self.banner.job_id:
            self.requeue_requested.emit(self.banner.job_id)


class _FailureBanner(QFrame):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("failure_banner")
        self.setStyleSheet("#failure_banner { background: #fdecea; border: 1px solid #d93025; "
                           "border-radius: 4px; } QLabel { color: #5f0b06; }")
        self.job_id: str | None = None
        self.message = QLabel()
        self.message.setObjectName("failure_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("font-weight: bold;")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.log = QLabel()
        self.log.setObjectName("failure_log")
        self.log.setWordWrap(True)
        self.log.setStyleSheet("font-family: monospace; font-size: 9pt;")
        self.requeue = QPushButton("Re-queue with fix")
        self.requeue.setObjectName("requeue_with_fix")
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.hide)
        row = QHBoxLayout()
        row.addWidget(self.requeue)
        row.addWidget(dismiss)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        for widget in (self.message, self.hint, self.log):
            layout.addWidget(widget)
        layout.addLayout(row)
        self.hide()

    def show_error(self, record: JobRecord) -> None:
        error = record.error or {}
        self.job_id = record.job_id
        self.message.setText(error.get("message") or "The job failed.")
        self.hint.setText(error.get("hint") or "")
        tail = error.get("log_tail") or []
        self.log.setText("Last ComfyUI log lines:\n" + "\n".join(tail[-8:]) if tail else "")
        self.log.setVisible(bool(tail))
        fix = error.get("fix")
        self.requeue.setVisible(bool(fix))
        if fix:
            changes = ", ".join(f"{k} {record.params.get(k)} → {v}" for k, v in fix.items())
            self.requeue.setText(f"Re-queue with fix ({changes})")
        self.show()


def _clear(layout: QGridLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()
