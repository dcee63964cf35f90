"""The Generate tab's "Batch…" dialog: a folder (or chosen images) becomes jobs on the queue,
built on the form's current job (models, length, steps, LoRA), with one prompt for all, sidecar
`.txt` prompts or a CSV, a seed policy and an optional sweep; a preview lists the jobs first.
The contact sheet is written when the batch has finished (`core.jobs.batch.SheetWhenDone`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from wan22_gui.core.jobs import batch
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.gui import bridge
from wan22_gui.gui.context import AppContext

SEED_TITLES = {"random": "Random per job", "fixed": "Same seed for all", "increment": "+1 per image"}


class BatchDialog(QDialog):
    """Signals: queued(str batch_id, int jobs), sheet_written(Path)."""

    queued = Signal(str, int)
    sheet_written = Signal(Path)

    def __init__(self, ctx: AppContext, base: JobSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("batch_dialog")
        self.setWindowTitle("Batch from a folder")
        self.ctx, self.base = ctx, base
        self.selection: list[Path] = []
        self.watchers: list[batch.SheetWhenDone] = []
        self.folder = QLineEdit()
        self.folder.setObjectName("batch_folder")
        self.folder.setPlaceholderText("Folder of start images")
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        pick = QPushButton("Images…")
        pick.clicked.connect(self._pick_images)
        self.prompt = QLineEdit(base.prompt)
        self.prompt.setObjectName("batch_prompt")
        self.prompt.setToolTip("For every image; an image with a NAME.txt next to it uses that text")
        self.csv = QLineEdit()
        self.csv.setObjectName("batch_csv")
        self.csv.setPlaceholderText("optional: CSV image,prompt[,negative,seed]")
        csv_button = QPushButton("CSV…")
        csv_button.clicked.connect(self._pick_csv)
        self.seed_policy = QComboBox()
        self.seed_policy.setObjectName("batch_seed_policy")
        for key, title in SEED_TITLES.items():
            self.seed_policy.addItem(title, key)
        self.seed = QSpinBox()
        self.seed.setObjectName("batch_seed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(base.seed or 0)
        self.sweep = QLineEdit()
        self.sweep.setObjectName("batch_sweep")
        self.sweep.setPlaceholderText("optional: shift=5,8 split=2/2,3/1 seed=1,2")
        self.jobs = QListWidget()
        self.jobs.setObjectName("batch_jobs")
        self.message = QLabel()
        self.message.setObjectName("batch_message")
        self.message.setWordWrap(True)
        self.preview_button = QPushButton("Preview")
        self.preview_button.setObjectName("batch_preview")
        self.preview_button.clicked.connect(self.preview)
        self.queue_button = QPushButton("Queue batch")
        self.queue_button.setObjectName("batch_queue")
        self.queue_button.clicked.connect(self.queue_batch)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow("Images", _row(self.folder, browse, pick))
        form.addRow("Prompt", self.prompt)
        form.addRow("Prompts CSV", _row(self.csv, csv_button))
        form.addRow("Seeds", _row(self.seed_policy, self.seed))
        form.addRow("Sweep", self.sweep)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        for button in (self.preview_button, self.queue_button, close):
            buttons.addWidget(button)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(QLabel(f"Each job: {base.frames} frames, {'LoRA' if base.use_lora else 'no LoRA'}, "
                                "size fitted to the image (as on the form)"))
        column.addWidget(self.jobs, 1)
        column.addLayout(buttons)
        self.resize(720, 480)

    # -- choosing -------------------------------------------------------------------------

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of start images", self.folder.text())
        if path:
            self.selection = []
            self.folder.setText(path)

    def _pick_images(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Start images", self.folder.text(),
                                                "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)")
        if files:
            self.selection = [Path(f) for f in files]
            self.folder.setText(str(self.selection[0].parent))

    def _pick_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Prompts CSV", self.folder.text(), "CSV (*.csv)")
        if path:
            self.csv.setText(path)

    # -- planning and queueing (files are read off the GUI thread) -------------------------

    def plan(self) -> batch.BatchPlan:
        """The batch the dialog describes (blocking: reads the folder and the images)."""
        folder = Path(self.folder.text().strip()) if self.folder.text().strip() else None
        if self.csv.text().strip():
            entries = batch.read_prompt_csv(Path(self.csv.text().strip()), base=folder)
        elif self.selection:
            entries = batch.with_sidecars(self.selection)
        elif folder is not None:
            entries = batch.with_sidecars(batch.images_in(folder))
        else:
            raise batch.InputError("Choose a folder of images (or the images).")
        settings = batch.BatchSettings(
            prompt=self.prompt.text().strip(), seed_policy=self.seed_policy.currentData(),
            seed=self.seed.value(), sweep=batch.parse_sweep(self.sweep.text().split()),
            max_side=max(self.base.width, self.base.height), base=self.base)
        return batch.plan_batch(entries, settings)

    def preview(self) -> None:
        history = self.ctx.app.history

        def work() -> tuple[batch.BatchPlan, str]:
            plan = self.plan()
            rows = history.list(kind="generate", status="succeeded", limit=500) if history else []
            return plan, batch.estimate_words(plan, *batch.batch_estimate(plan, rows))

        self._busy("Reading the images…")
        self.ctx.tasks.run_in_background(work, lambda r: self._show_plan(*r), self._failed)

    def queue_batch(self) -> None:
        queue, paths, history = self.ctx.app.jobs, self.ctx.app.paths, self.ctx.app.history

        def work() -> tuple[batch.BatchPlan, list[str]]:
            plan = self.plan()
            ids = batch.queue_batch(plan, queue, paths.data_dir)
            watcher = batch.SheetWhenDone(queue, history, paths.data_dir,
                                          paths.output_dir / "batches", plan.batch_id, ids)
            return plan, ids, watcher

        self._busy("Queueing…")
        self.ctx.tasks.run_in_background(work, self._on_queued, self._failed)

    def _show_plan(self, plan: batch.BatchPlan, estimate: str = "") -> None:
        self._idle()
        self.jobs.clear()
        self.jobs.addItems(batch.batch_summary(plan))
        estimate = f" Estimate: {estimate}." if estimate else ""
        self.message.setText(f"{len(plan.items)} job(s).{estimate} Queue batch to put them on the queue.")

    def _on_queued(self, result) -> None:
        plan, ids, watcher = result
        self.watchers.append(watcher)
        bridge.subscribe(self, watcher.written, self._on_sheet)
        bridge.subscribe(self, watcher.failed, self._failed)
        self._show_plan(plan)
        self.message.setText(f"Queued {len(ids)} job(s) as {plan.batch_id}; the contact sheet "
                             "is written to the output folder's batches/ when they have run.")
        self.queued.emit(plan.batch_id, len(ids))
        if watcher.path is not None:  # the jobs ran before we listened
            self._on_sheet(watcher.path)

    def _on_sheet(self, path: Path) -> None:
        self.message.setText(f"Contact sheet: {path}")
        self.sheet_written.emit(path)

    def _failed(self, exc: BaseException) -> None:
        self._idle()
        text = getattr(exc, "user_text", lambda: str(exc))()
        self.message.setText(text)
        self.message.setStyleSheet("color: #d9534f;")

    def _busy(self, text: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(text)
        self.preview_button.setEnabled(False)
        self.queue_button.setEnabled(False)

    def _idle(self) -> None:
        self.preview_button.setEnabled(True)
        self.queue_button.setEnabled(True)


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    for i, widget in enumerate(widgets):
        row.addWidget(widget, 1 if i == 0 else 0)
    return holder
