"""Gallery panel: every output of every job and every video the user added, as thumbnails;
details of the selected clip; play, compare, interpolate, re-run, reveal, delete.

The panel keeps no copy of the history: `core.gallery.catalog` reads the light rows once (in
the background) and then only the rows a history change names; a change no tile shows (a
running job's writes, a queue reorder) costs the window nothing. The tiles are a list model
changed row by row (`model.py`), so the selection and scroll position stay; the selected
clip's whole row (metrics, error) is read when it is selected. Delete, re-run and
interpolate are `core.gallery.GalleryActions` (called in the background, events through the
bridge); the panel only asks, shows and reports.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QMessageBox, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from wan22_gui.core.gallery.actions import GalleryActions
from wan22_gui.core.gallery.catalog import GalleryCatalog, concerns_gallery
from wan22_gui.core.gallery.trash import DeleteResult
from wan22_gui.core.gallery.undo import PendingDeletes
from wan22_gui.core.history import HistoryChange, JobRecord
from wan22_gui.core.interpolation.runner import InterpolationResult
from wan22_gui.core.jobs.extend import extend_request
from wan22_gui.core.video import library
from wan22_gui.core.video.reader import is_video_file
from wan22_gui.core.video.thumbnails import ThumbnailCache
from wan22_gui.core.workflow.calculator import describe_duration
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.gui.bridge import subscribe, unsubscribe_all
from wan22_gui.gui.common.elided_label import ElidedLabel
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.player.compare import MAX_CLIPS, CompareView
from wan22_gui.gui.gallery.details import GalleryDetails
from wan22_gui.gui.gallery.filters import GalleryFilterBar
from wan22_gui.gui.gallery.grid import GalleryGrid
from wan22_gui.gui.gallery.interpolate import InterpolateDialog
from wan22_gui.gui.gallery.undo_bar import UndoBar
from wan22_gui.gui.player.view import ClipSource

log = logging.getLogger("wan22.gui")
_REFRESH_DELAY_MS = 100  # history writes come in bursts (a job ending writes its row thrice)
_FACTS_DELAY_MS = 300
_FACT_KEYS = ("resolution", "duration")


def create_panel(ctx: AppContext) -> QWidget:
    return GalleryPanel(ctx)


def gallery_actions(ctx: AppContext, thumbnails: ThumbnailCache) -> GalleryActions:
    """The gallery actions the app root builds, with this grid's thumbnail cache to forget."""
    return ctx.app.gallery_actions(forget_thumbnail=thumbnails.forget)


class GalleryPanel(QWidget):
    """The Gallery tab."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery_panel")
        self.setAcceptDrops(True)
        self.ctx = ctx
        self.all_clips: list[library.Clip] = []
        self.catalog = GalleryCatalog(ctx.app.history, ctx.app.settings)
        self._changed_ids: set[str] = set()
        self._reload_wanted = False
        self._view_wanted = False  # new facts arrived: the shown list needs working out again
        self._reading = False  # one catalog read at a time, so their results arrive in order
        self._record: JobRecord | None = None  # the selected clip's whole row, once read
        self._record_job: object = None  # the summary it was read for
        self.windows: list[CompareView] = []
        self.filters = GalleryFilterBar()
        self.grid = GalleryGrid(ctx)
        self.actions = gallery_actions(ctx, self.grid.cache)
        self.pending = PendingDeletes(self.actions)
        self.undo_bar = UndoBar()
        self.details = GalleryDetails()
        self.status = ElidedLabel("Loading the history…", name="gallery_status")
        self.cancel_button = QPushButton("Cancel interpolation")
        self.cancel_button.setObjectName("cancel_interpolation")
        self.cancel_button.hide()
        self._cancel: threading.Event | None = None
        self._closed = False
        self._loaded = False
        self._note = ""  # the last action's outcome, kept when the tiles are rebuilt
        self._refresh_timer = QTimer(self, singleShot=True, interval=_REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self._read_catalog)
        self._facts_timer = QTimer(self, singleShot=True, interval=_FACTS_DELAY_MS)
        self._facts_timer.timeout.connect(self._on_facts)
        self._build()
        self._connect()
        self.refresh()

    def _build(self) -> None:
        splitter = QSplitter()
        splitter.addWidget(self.grid)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filters)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.undo_bar)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.filters.changed.connect(self.apply)
        self.filters.add_requested.connect(self._ask_add)
        self.grid.selectionModel().selectionChanged.connect(self._on_selection)
        self.grid.clip_model.dataChanged.connect(self._on_selection)
        self.grid.doubleClicked.connect(lambda _index: self.play())
        self.grid.info_known.connect(self._facts_timer.start)
        self.details.action.connect(self._on_action)
        self.cancel_button.clicked.connect(self._cancel_interpolation)
        subscribe(self, self.ctx.app.history.rows_changed, self._history_changed)
        subscribe(self, self.actions.interpolation_progress, self._on_progress)
        subscribe(self, self.actions.interpolation_finished, self._on_interpolated)
        subscribe(self, self.actions.interpolation_failed, self._on_interpolation_failed)
        subscribe(self, self.actions.deleted, self._on_deleted)
        subscribe(self, self.actions.rerun_queued, self._on_rerun_queued)
        subscribe(self, self.pending.changed, self.apply)
        subscribe(self, self.pending.failed, self._on_delete_failed)
        self.undo_bar.undo_clicked.connect(self.undo_delete)

    # -- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the whole gallery again (in the background): the added clips changed."""
        self._reload_wanted = True
        self._read_catalog()

    def _history_changed(self, change: HistoryChange) -> None:
        if self._closed:
            return
        shown = self.details.clip
        if shown is not None and shown.job_id in change.ids:
            self._read_details(shown)  # its metrics or error may have changed, not its tile
        if not concerns_gallery(change):
            return
        self._changed_ids.update(change.ids)
        if not self._refresh_timer.isActive():  # gather a burst, but never put it off for long
            self._refresh_timer.start()

    def _read_catalog(self) -> None:
        """Start the next catalog read: everything, or just the rows that changed."""
        if self._closed or self._reading:
            return
        catalog = self.catalog
        if self._reload_wanted or not self._loaded:
            self._reload_wanted, self._changed_ids = False, set()
            read = catalog.load
        elif self._changed_ids:
            ids, self._changed_ids = self._changed_ids, set()
            read = lambda: catalog.refresh(ids)  # noqa: E731
        elif self._view_wanted:
            clips_now = self.all_clips
            read = lambda: clips_now  # noqa: E731
        else:
            return
        self._view_wanted = False
        # filtering and sorting thousands of clips happen on the worker too, for the view
        # as it is now; the GUI thread then only applies the row edit
        state, wanted, (key, descending) = self._view_state(), self.filters.current_filter(), \
            self.filters.sort_key()
        infos = self.grid.known_infos()

        def work() -> _Read | None:
            clips = read()
            if clips is None:
                return None
            known = library.with_info(clips, infos)
            return _Read(clips, library.view(known, wanted, key, descending=descending),
                         library.choices(known), state)

        self._reading = True
        self.ctx.tasks.run_in_background(work, self._on_read, self._on_load_failed)

    def _on_read(self, read: _Read | None) -> None:
        self._reading = False
        if self._closed:
            return
        if read is not None:  # None: the rows changed, but no tile did
            self._loaded = True
            self.all_clips = read.clips
            if read.state == self._view_state():
                self._show(read.shown, read.choices)
            else:  # the user changed the filter meanwhile: the next read shows that
                self._view_wanted = True
        self._read_catalog()

    def _view_state(self) -> tuple:
        """What the shown list depends on besides the clips: the filter bar's settings."""
        bar = self.filters
        return (bar.search.text(), bar.date.currentIndex(), bar.source.currentData(),
                bar.resolution.currentData(), bar.duration.currentIndex(),
                bar.status.currentData(), bar.sort_key())

    def _on_load_failed(self, exc: BaseException) -> None:
        self._reading = False
        self._reload_wanted = True  # the rows of that read are not shown: read all next time
        self.status.setText(f"Cannot read the history: {exc}")

    def apply(self) -> None:
        """Show the clips that pass the filter, in the chosen order (worked out on a worker:
        filtering and sorting 5,000 clips takes longer than a frame)."""
        self._view_wanted = True
        self._read_catalog()

    def _show(self, shown: list[library.Clip], choices: dict[str, list[str]]) -> None:
        clips = self.all_clips
        self.filters.set_choices(choices)
        going = self.pending.pending_keys()  # deleted, waiting for an Undo
        if going:
            shown = [c for c in shown if c.key not in going]
        self.grid.set_clips(shown)
        self._on_selection()
        hidden = len(clips) - len(shown)
        self._count = f"{len(shown)} clips" + (f" ({hidden} hidden by the filter)" if hidden else "")
        if not self._busy():
            self.say(self._note)

    def say(self, note: str) -> None:
        """Show `note` (an action's outcome) next to the clip count until the next note."""
        self._note = note
        count = getattr(self, "_count", "")
        self.status.setText(f"{count}  ·  {note}" if note else f"{count}  ·  drop videos here to add them")

    def _on_facts(self) -> None:
        """New facts (size, length) arrived: work the view out again (on a worker) if the
        filter or order depends on them or a shown tile can show them."""
        wanted = self.filters.current_filter()
        uses_facts = self.filters.sort_key()[0] in _FACT_KEYS or wanted.resolution is not None \
            or wanted.min_seconds is not None or wanted.max_seconds is not None
        infos = self.grid.known_infos()
        if uses_facts or any(c.info is None and c.path is not None and str(c.path) in infos
                             for c in self.grid.clips()):
            self.apply()

    def selected(self) -> library.Clip | None:
        clips = self.grid.selected_clips()
        return clips[0] if clips else None

    def _on_selection(self, *_: object) -> None:
        """Show the selected clip; its whole history row is read in the background."""
        clip = self.selected()
        if clip is not None and clip is self.details.clip:
            return
        job = clip.job if clip is not None else None
        known = self._record if job is not None and job is self._record_job else None
        self.details.show_clip(clip, can_rerun=self.actions.can_rerun, record=known)
        if clip is not None and known is None:
            self._read_details(clip)

    def _read_details(self, clip: library.Clip) -> None:
        """Read the clip's whole history row in the background, then show it."""
        job = clip.job
        if job is None:
            return
        history, job_id = self.ctx.app.history, job.job_id
        self.ctx.tasks.run_in_background(
            lambda: history.get(job_id), lambda record: self._on_record(job, record),
            lambda exc: self.say(f"Cannot read the job's details: {exc}"))

    def _on_record(self, job: object, record: JobRecord | None) -> None:
        if self._closed:
            return
        self._record, self._record_job = record, job
        clip = self.selected()
        if clip is None or clip.job is not job:
            return  # the user moved on
        if record is None:
            self.details.text.setHtml("<p>This job is no longer in the history.</p>")
        else:
            self.details.show_clip(clip, can_rerun=self.actions.can_rerun, record=record)

    # -- actions ----------------------------------------------------------------------------

    def _on_action(self, name: str) -> None:
        {"play": self.play, "compare": self.compare, "interpolate": self.interpolate,
         "rerun": self.rerun, "extend": self.extend, "reveal": self.reveal, "delete": self.delete,
         "fetch": self.download_again}[name]()

    def play(self) -> CompareView | None:
        clip = self.selected()
        if clip is None or clip.path is None:
            return None
        return self.open_view([ClipSource(clip.path, clip.title)], autoplay=True)

    def compare(self) -> CompareView | None:
        """Compare the selected clips (2–4), or one clip with its ticked interpolations."""
        chosen = [c for c in self.grid.selected_clips() if c.path is not None]
        if len(chosen) == 1:
            chosen = chosen + self.details.checked_children()
        if len(chosen) < 2:
            self.say("Select 2–4 clips, or a clip that has interpolated versions.")
            return None
        if len(chosen) > MAX_CLIPS:
            self.say(f"Comparing the first {MAX_CLIPS} of {len(chosen)} clips.")
        return self.open_view([self._source(c, first=i == 0) for i, c in enumerate(chosen[:MAX_CLIPS])])

    @staticmethod
    def _source(clip: library.Clip, *, first: bool) -> ClipSource:
        """Interpolations keep their engine label and time; the clip they came from is "Source"."""
        if clip.job is not None and clip.job.kind == "interpolate":
            return ClipSource(clip.path, clip.title, (clip.job.timings or {}).get("interpolate"))
        return ClipSource(clip.path, "Source" if first else clip.title)

    def open_view(self, clips: list[ClipSource], *, autoplay: bool = False) -> CompareView:
        """A player window; Play starts it playing, Compare opens it paused on frame 1."""
        view = CompareView(self.ctx, clips, autoplay=autoplay)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view.destroyed.connect(lambda _=None, v=view: self.windows.remove(v) if v in self.windows else None)
        self.windows.append(view)
        view.show()
        return view

    def interpolate(self) -> None:
        clip = self.selected()
        if clip is None or clip.path is None or self._busy():
            return
        choice = self.ask_interpolation(clip)
        if choice is None:
            return
        self.start_interpolation(clip, *choice)

    def ask_interpolation(self, clip: library.Clip) -> tuple[str, int] | None:
        """The engine and multiplier from the dialog (tests replace this)."""
        info = clip.info
        dialog = InterpolateDialog(clip.path.name, info.fps if info else None,
                                   info.frame_count if info else None,
                                   server_connected=self.ctx.app.connection.url is not None, parent=self)
        return dialog.choice() if dialog.exec() else None

    def start_interpolation(self, clip: library.Clip, method: str, multiplier: int) -> None:
        """Run an interpolation in the background; its row appears when the history changes."""
        self._cancel = threading.Event()
        cancel, actions = self._cancel, self.actions
        self.cancel_button.show()
        self.status.setText(f"Interpolating {clip.path.name} ×{multiplier} ({method})…")
        # the outcome arrives through interpolation_finished / interpolation_failed
        self.ctx.tasks.run_in_background(
            lambda: actions.interpolate(clip, method, multiplier, cancel=cancel),
            on_failure=self._interpolation_task_failed)

    def _on_progress(self, done: int, total: int) -> None:
        if self._busy():
            self.status.setText(f"Interpolating… {done}/{total} frame pairs")

    def _on_interpolated(self, result: InterpolationResult) -> None:
        self._cancel = None
        self.cancel_button.hide()
        note = f" {result.note}" if result.note else ""  # the built-in engine stood in
        self.say(f"{result.label}: {describe_duration(result.frame_count, result.fps)} at "
                 f"{result.fps:g} fps, made in {result.seconds:.1f} s.{note}")
        self.refresh()

    def _on_interpolation_failed(self, exc: BaseException) -> None:
        self._cancel = None
        self.cancel_button.hide()
        text = getattr(exc, "user_text", lambda: str(exc))().replace("\n", " — ")
        self.say(f"Interpolation failed: {text}")
        if not hasattr(exc, "user_text"):
            log.error("interpolation failed", exc_info=exc)
        self.refresh()

    def _interpolation_task_failed(self, exc: BaseException) -> None:
        """The run ended with an error: reported by interpolation_failed (posted first),
        unless it failed before that signal; either way the status leaves "Interpolating"."""
        if self._busy():
            self._on_interpolation_failed(exc)

    def _cancel_interpolation(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.status.setText("Cancelling…")

    def _busy(self) -> bool:
        return self._cancel is not None

    def rerun(self) -> None:
        """Queue a new generation with the selected job's exact settings."""
        clip = self.selected()
        if clip is None or clip.job is None or not self.actions.can_rerun:
            return
        job_id, actions = clip.job.job_id, self.actions
        self.ctx.tasks.run_in_background(
            lambda: actions.rerun(job_id), on_failure=lambda exc: self.say(
                f"Cannot re-run: {getattr(exc, 'user_text', lambda: exc)()}"),
            serial=True)

    def extend(self) -> None:
        """Open Generate with a job that continues the selected clip (read in the background:
        the job's whole row and, for an added clip, its size)."""
        clip = self.selected()
        if clip is None or clip.path is None:
            return
        history = self.ctx.app.history
        self.ctx.tasks.run_in_background(
            lambda: extend_request(history, clip), on_success=self._open_extend,
            on_failure=lambda exc: self.say(
                f"Cannot extend: {getattr(exc, 'user_text', lambda: exc)()}"))

    def _open_extend(self, request: tuple[JobSpec, int]) -> None:
        spec, frames = request
        open_in = getattr(self.window(), "open_in_generate", None)  # the main window's
        if open_in is None:
            self.say("Extending needs the Generate area, which this window does not have.")
            return
        open_in(spec, f"Extending {Path(spec.extend_clip or '').name}: describe what happens "
                      "next, then queue.", clip_frames=frames)

    def download_again(self) -> None:
        """Fetch the finished clip the selected job left on the server (its download failed);
        the row becomes a playable clip through the history's change signal."""
        clip = self.selected()
        if clip is None or clip.job is None:
            return
        job_id, actions = clip.job.job_id, self.actions
        self.say(f"Downloading the clip of {job_id} from ComfyUI…")
        self.ctx.tasks.run_in_background(
            lambda: actions.download_again(job_id),
            on_success=lambda paths: self.say(
                "Downloaded " + ", ".join(Path(p).name for p in paths)),
            on_failure=lambda exc: self.say(
                f"Download failed: {getattr(exc, 'user_text', lambda: exc)()}".replace(
                    "\n", " — ")),
            serial=True)

    def _on_rerun_queued(self, record: JobRecord, source_id: str) -> None:
        self.say(f"Queued {record.job_id} with the settings of {source_id}")

    def reveal(self) -> None:
        clip = self.selected()
        if clip is not None and clip.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(clip.path.parent)))

    def delete(self) -> None:
        """Move the clip's files (and its interpolations') to the trash; history rows stay,
        marked deleted. A clip the user added is only removed from the gallery, never from disk."""
        clip = self.selected()
        if clip is None or not self.confirm(_delete_question(clip)):
            return
        pending = self.pending.delete_later([clip])  # the tile goes now, the files later
        self.undo_bar.offer(pending.token, pending.title, self.pending.delay_s)

    def undo_delete(self, token: int | None = None) -> None:
        """Put a deleted clip back while its delete still waits."""
        back = self.pending.undo(token)
        self.undo_bar.hide()
        self.say(f"Restored {back.title}." if back else "Too late to undo: the files are in the "
                 "trash (restore them from there).")

    def _on_delete_failed(self, exc: BaseException) -> None:
        self.say(f"Delete failed: {getattr(exc, 'user_text', lambda: exc)()}".replace("\n", " — "))

    def _on_deleted(self, result: DeleteResult) -> None:
        self.say(result.summary())
        if result.forgotten:
            self.refresh()  # the history did not change, the added clips did

    def confirm(self, text: str) -> bool:
        """Ask yes/no (tests replace this)."""
        answer = QMessageBox.question(self, "Gallery", text)
        return answer == QMessageBox.StandardButton.Yes

    def add_videos(self, paths: list[Path]) -> int:
        """Add video files to the gallery; returns how many were videos."""
        videos = [Path(p) for p in paths if is_video_file(Path(p)) and Path(p).is_file()]
        if videos:
            library.add_clips(self.ctx.app.settings, videos)
            self.refresh()
        if len(videos) < len(paths):
            self.say(f"Skipped {len(paths) - len(videos)} file(s) that are not videos.")
        return len(videos)

    def _ask_add(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Add videos", "", "Videos (*.mp4 *.mkv *.webm "
                                                "*.mov *.avi *.m4v *.gif)")
        self.add_videos([Path(n) for n in names])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if any(is_video_file(Path(u.toLocalFile())) for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        self.add_videos([Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()])
        event.acceptProposedAction()

    def shutdown(self) -> None:
        self._closed = True
        self._refresh_timer.stop()
        self._facts_timer.stop()
        unsubscribe_all(self)
        self.pending.flush()  # the user deleted these: do it before the app goes
        if self._cancel is not None:
            self._cancel.set()
        self.grid.shutdown()
        for view in list(self.windows):
            view.close()



@dataclass(frozen=True)
class _Read:
    """A catalog read done on a worker: the clips, and the view of them for `state`."""

    clips: list[library.Clip]
    shown: list[library.Clip]
    choices: dict[str, list[str]]
    state: tuple


def _delete_question(clip: library.Clip) -> str:
    """The confirm text: an added clip is only forgotten; a job's files go to the trash."""
    if clip.job is None:
        return f"Remove {clip.path.name} from the gallery? The file stays where it is."
    files = [c.path for c in (clip, *clip.children) if c.path is not None and c.path.exists()]
    extra = f" and its {len(clip.children)} interpolated version(s)" if clip.children else ""
    return (f"Delete {clip.title}{extra}? {len(files)} file(s) will be moved to the trash "
            "(you can restore them from there); the history keeps the job, marked deleted.")
