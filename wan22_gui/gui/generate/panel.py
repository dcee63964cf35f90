"""The Generate area: the form on the left, the running job and the queue on the right.

A thin layer over `core.jobs` (the persistent JobQueue): every action is one call to it in the
background, and the views refresh from the queue's signals, marshalled onto the GUI thread.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QHBoxLayout, QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget,
)

from wan22_gui.core import keyboard
from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.history import JobRecord
from wan22_gui.core.jobs.models import ServerChoices, server_choices_at
from wan22_gui.core.workflow.naming import NAME_PATTERN_KEY
from wan22_gui.core.workflow.embedded import is_workflow_file
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.gui import bridge, theme
from wan22_gui.gui.common.elided_label import ElidedLabel
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.dropping import DropRouter, WorkflowImport, is_image
from wan22_gui.gui.generate.batch_dialog import BatchDialog
from wan22_gui.gui.generate.form import GenerateForm
from wan22_gui.gui.generate.live_preview import LivePreview
from wan22_gui.gui.generate.queue_list import QueueList, job_summary
from wan22_gui.gui.generate.queue_progress import JobProgress

log = logging.getLogger("wan22.gui")
ESTIMATE_ROWS = 200  # finished jobs the estimate learns from


def create_panel(ctx: AppContext) -> QWidget:
    return GeneratePanel(ctx)


class GeneratePanel(QWidget):
    """Form, queue button, progress and queue list, wired to `ctx.app.jobs`."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.setObjectName("generate_panel")
        self.ctx = ctx
        self.jobs = ctx.app.jobs
        self.editing: str | None = None
        self.form = GenerateForm(ctx.tasks)
        self.form.set_pattern(str(ctx.app.settings.get(NAME_PATTERN_KEY)))
        self.queue_button = QPushButton("Queue")
        self.queue_button.setObjectName("queue_button")
        self.queue_button.setDefault(True)
        self.queue_button.setToolTip(keyboard.with_key("Queue the job", "queue"))
        self.stop_edit = QPushButton("Stop editing")
        self.stop_edit.hide()
        self.batch_button = QPushButton("Batch…")  # a folder of images as jobs (batch_dialog.py)
        self.batch_button.setObjectName("batch_button")
        self.batch_dialog: BatchDialog | None = None
        # status text never resizes its row: a long message must not move the Queue button
        self.form_message = ElidedLabel(lines=2, name="form_message")
        self.server_message = ElidedLabel(lines=2, name="server_message")
        self.server_message.setStyleSheet("background: #fff4ce; color: #3c2f00; padding: 4px;")
        self.server_message.hide()
        self.connection_line = ElidedLabel(ctx.app.health.current.words, lines=2,
                                           name="connection_state")
        # the theme's muted text colour, readable in either theme
        self.connection_line.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.progress = JobProgress()
        self.live_preview = LivePreview(ctx.tasks)
        self.queue = QueueList()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(100)  # many row updates per second become one refresh
        self._refresh_timer.timeout.connect(self._refresh_queue)
        self._build()
        self._connect()
        self.workflow_import = WorkflowImport(self, ctx.tasks, self.form.spec, self.use_settings,
                                              server_url=lambda: ctx.app.connection.url)
        self._drops = DropRouter(self, _file_drop, self._on_files_dropped)
        self.jobs.start()
        self._refresh_queue()
        self._load_history_rows()
        self._on_connection(ctx.app.connection.info)
        ctx.app.health.start()  # idempotent: the window starts it too

    def _build(self) -> None:
        scroll = _FormScroll()
        scroll.setObjectName("form_scroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        buttons = QHBoxLayout()  # outside the scroll area: always in view
        buttons.addWidget(self.form_message, 1)
        buttons.addWidget(self.stop_edit)
        buttons.addWidget(self.batch_button)
        buttons.addWidget(self.queue_button)
        left_layout.addLayout(buttons)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(theme.MARGIN, 0, 0, 0)
        side_layout.addWidget(self.connection_line)
        side_layout.addWidget(self.server_message)
        side_layout.addWidget(self.progress)
        side_layout.addWidget(self.live_preview)
        side_layout.addWidget(self.queue, 1)
        side_scroll = QScrollArea()  # on a small screen the queue scrolls, not the window
        side_scroll.setWidgetResizable(True)
        side_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        side_scroll.setWidget(side)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = side_scroll.verticalScrollBar().sizeHint().width()
        side_scroll.setMinimumWidth(side.minimumSizeHint().width() + bar)  # never cut at the side
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(side_scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([960, 440])  # the form's two columns need the room
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        for signal, slot in (
            (self.jobs.phase, self.progress.on_phase),
            (self.jobs.progress, self.progress.on_progress),
            (self.jobs.preview, self.live_preview.on_preview),
            (self.jobs.queue_changed, self._schedule_refresh),
            (self.jobs.job_changed, self._on_job_changed),
            (self.jobs.message, self._on_server_message),
            (self.jobs.finished, self._on_finished),
            (self.ctx.app.connection.changed, self._on_connection),
            (self.ctx.app.health.changed, self._on_health),
        ):
            bridge.subscribe(self, signal, slot)
        self.form.changed.connect(lambda: self.form_message.setText(""))
        theme.notifier().changed.connect(self._colour_message)
        self.queue_button.clicked.connect(self._queue_clicked)
        self.batch_button.clicked.connect(self.open_batch)
        self.stop_edit.clicked.connect(lambda: self._set_editing(None))
        self.queue.move_requested.connect(lambda j, d: self._do(lambda: self.jobs.move(j, d)))
        self.queue.reorder_requested.connect(lambda ids: self._do(lambda: self.jobs.reorder(ids)))
        self.queue.remove_requested.connect(lambda j: self._do(lambda: self.jobs.remove(j)))
        self.queue.cancel_requested.connect(lambda j: self._do(lambda: self.jobs.cancel(j)))
        self.queue.pause_toggled.connect(lambda on: self._do(lambda: self.jobs.set_paused(on)))
        self.queue.resume_requested.connect(lambda: self._do(lambda: self.jobs.set_paused(False)))
        self.queue.edit_requested.connect(self._edit)
        self.progress.requeue_requested.connect(self._requeue)

    def shutdown(self) -> None:
        """Stop listening to the core (the queue itself is closed by App.close)."""
        bridge.unsubscribe_all(self)
        self._refresh_timer.stop()
        self.live_preview.stop()

    # -- actions ------------------------------------------------------------------------------

    def queue_now(self) -> None:
        """The Queue shortcut: what clicking the button does, when the button can be clicked."""
        if self.queue_button.isEnabled():
            self.queue_button.click()

    def _on_files_dropped(self, paths: list) -> None:
        """A picture anywhere on Generate is the start image (a ComfyUI PNG too: to import
        its workflow, drop it on another area); a JSON or video workflow opens the import."""
        path = paths[0]
        if is_workflow_file(path) and not is_image(path):
            self.workflow_import.open(path)
        else:
            self.form.image.load(path)  # a file that is not a picture is refused there, in words

    def use_settings(self, spec: JobSpec, note: str) -> None:
        """Show settings taken from elsewhere (an imported workflow) in the form."""
        if self.editing:
            self._set_editing(None)
        self.form.set_spec(spec)
        self._say(note)

    def choose_image(self) -> None:
        """The Open-image shortcut: the start image's file dialog."""
        self.form.image.choose.click()

    def _queue_clicked(self) -> None:
        problems = self.form.problems()
        if problems:
            self._say(" ".join(problems), error=True)
            return
        spec, pattern, editing = self.form.spec(), self.form.pattern, self.editing
        settings = self.ctx.app.settings

        def work() -> JobRecord:
            if settings.get(NAME_PATTERN_KEY) != pattern:
                settings.set(NAME_PATTERN_KEY, pattern)
            return self.jobs.edit(editing, spec) if editing else self.jobs.add(spec)

        self.queue_button.setEnabled(False)
        self.ctx.tasks.run_in_background(work, self._queued, self._queue_failed)

    def open_batch(self) -> BatchDialog:
        """The Batch… dialog, built on the form's job as it is now."""
        self.batch_dialog = BatchDialog(self.ctx, self.form.spec(), self)
        self.batch_dialog.queued.connect(lambda batch_id, n: self._say(f"Queued {n} job(s) as {batch_id}"))
        self.batch_dialog.show()
        return self.batch_dialog

    def _queue_failed(self, exc: BaseException) -> None:
        if self.editing:
            self._set_editing(None)  # e.g. the job started meanwhile: nothing left to edit
        self._action_failed(exc)

    def _queued(self, record: JobRecord) -> None:
        self.queue_button.setEnabled(True)
        verb = "Saved changes to the waiting job" if self.editing else "Queued"
        self._set_editing(None)
        self._say(f"{verb}: {job_summary(record)}")

    def _edit(self, job_id: str) -> None:
        def load() -> JobSpec:
            record = self.ctx.app.history.get(job_id)
            if record is None or record.status != "pending":
                raise Wan22Error("This job has already started; it can no longer be edited.")
            return JobSpec.from_dict(record.params)

        def show(spec: JobSpec) -> None:
            self.form.set_spec(spec)
            self._set_editing(job_id)

        self.ctx.tasks.run_in_background(load, show, self._action_failed)

    def _set_editing(self, job_id: str | None) -> None:
        self.editing = job_id
        self.queue_button.setText("Save changes" if job_id else "Queue")
        self.stop_edit.setVisible(job_id is not None)
        if job_id:
            self._say(f"Editing waiting job {job_id}: change the settings, then Save changes.")

    def _requeue(self, job_id: str) -> None:
        self.ctx.tasks.run_in_background(
            lambda: self.jobs.requeue_with_fix(job_id),
            lambda r: self._say(f"Queued again: {r.label}."), self._action_failed)

    def _do(self, fn: Any) -> None:
        self.ctx.tasks.run_in_background(fn, None, self._action_failed)

    def _action_failed(self, exc: BaseException) -> None:
        self.queue_button.setEnabled(True)
        text = exc.user_text() if isinstance(exc, Wan22Error) else f"Unexpected error: {exc}"
        if not isinstance(exc, Wan22Error):
            log.error("generate panel action failed", exc_info=exc)
        self._say(text, error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.form_message.setText(text)
        self._message_is_error = error
        self._colour_message()

    def _colour_message(self, _dark: bool | None = None) -> None:
        """The outcome line in the theme's red or green (again when the theme changes)."""
        kind = "error" if getattr(self, "_message_is_error", False) else "ok"
        self.form_message.setStyleSheet(f"color: {theme.status_color(kind)};")

    # -- core notifications (on the GUI thread) -----------------------------------------------

    def _schedule_refresh(self) -> None:
        self._refresh_timer.start()

    def _refresh_queue(self) -> None:
        jobs, history = self.jobs, self.ctx.app.history

        def read() -> tuple[JobRecord | None, list[JobRecord], bool, str | None]:
            current = jobs.current_job_id
            return ((history.get(current) if current else None), jobs.pending(), jobs.paused,
                    jobs.pause_reason)

        # serial: reads finish in order, so the last one shown is the queue's latest state
        self.ctx.tasks.run_in_background(read, self._show_queue, serial=True)

    def _show_queue(self, state: tuple[JobRecord | None, list[JobRecord], bool, str | None]
                    ) -> None:
        current, pending, paused, pause_reason = state
        self.queue.show_queue(current, pending, paused, pause_reason)
        self.progress.show_queue_state(current, pending, paused, self.ctx.app.health.current)

    def _on_health(self, health: Any) -> None:
        """The app's one connection state, in the status bar's words."""
        self.connection_line.setText(health.words)
        self.progress.show_connection(health)

    def _on_job_changed(self, record: JobRecord) -> None:
        # every history row passes here (Gallery RIFE runs, benchmark runs): only the queue's
        # own job is "running" on this tab; the refresh brings the view back to the queue
        if record.status in ("queued", "running") and record.job_id == self.jobs.current_job_id:
            if record.job_id != self.progress.job_id:
                self.progress.job_started(record)
                self.live_preview.job_started(record.job_id)
            else:
                self.progress.job_updated(record)  # e.g. the seed drawn for this run
        self._schedule_refresh()

    def _on_finished(self, result: Any) -> None:
        if result.job_id == self.live_preview.job_id:
            self.live_preview.stop()
            self.live_preview.hide()  # the clip itself is the picture now
        history = self.ctx.app.history
        self.ctx.tasks.run_in_background(lambda: history.get(result.job_id),
                                         lambda record: self._show_finished(record, result))
        self._load_history_rows()

    def _show_finished(self, record: JobRecord | None, result: Any = None) -> None:
        if record is not None:
            self.progress.show_result(record)
            seed = (record.params or {}).get("seed")
            if record.status == "succeeded" and seed is not None:
                also = (" The interpolated clip is in the Gallery under it."
                        if getattr(result, "interpolation_job_id", None) else "")
                note = getattr(result, "interpolation_note", "")
                also += f" {note}" if note else ""  # which engine interpolated, and why
                self._say(f"Done. Seed used: {seed} (fix it in Sampling to redo this clip).{also}")

    def _on_server_message(self, text: str) -> None:
        self.server_message.setText(text)
        self.server_message.setVisible(bool(text))

    def _load_history_rows(self) -> None:
        history = self.ctx.app.history
        self.ctx.tasks.run_in_background(
            lambda: history.list(status="succeeded", limit=ESTIMATE_ROWS),
            self.form.set_history_rows)

    def _on_connection(self, info: Any) -> None:
        url = getattr(info, "url", None)
        if not url:
            self._show_disconnected()
            return
        self.ctx.tasks.run_in_background(
            lambda: server_choices_at(url), lambda choices: self._show_choices(choices, url),
            lambda exc: self._show_disconnected(
                f"Could not read the model lists from {url}: {exc}"))

    def _show_choices(self, choices: ServerChoices, url: str) -> None:
        if url != getattr(self.ctx.app.connection.info, "url", None):
            return  # an older read that finished after the server changed
        self.form.models.show_lists(choices.models, url)
        self.form.show_server(choices.models.get("loras", []), choices.vram_total)
        self.form.clip.set_interpolation_support(choices.interpolation)
        self.form.clip.set_rife_models(choices.rife_models)

    def _show_disconnected(self, why: str = "") -> None:
        self.form.models.show_disconnected(why)
        self.form.show_server([], None)
        self.form.clip.set_interpolation_support(None)


def _file_drop(paths: list) -> bool:
    return bool(paths)  # every file: images are used, anything else is refused in words


class _FormScroll(QScrollArea):
    """The form's scroll area: tells the form its width, so it can fold its two columns into
    one rather than scroll sideways."""

    def resizeEvent(self, event) -> None:  # Qt override
        form = self.widget()
        if isinstance(form, GenerateForm):
            # the width as if a vertical scroll bar were shown: whether one is shown depends on
            # the folding, and the choice must not flip back and forth with it
            bar = self.verticalScrollBar().sizeHint().width()
            form.fit_to_width(self.contentsRect().width() - bar)
        super().resizeEvent(event)
