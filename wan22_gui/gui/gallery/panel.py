"""Gallery panel: every output of every job and every video the user added, as thumbnails;
details of the selected clip; play, compare, interpolate, re-run, reveal, delete.

The panel keeps no copy of the history: it reloads it (in the background) whenever the history
says it changed, and rebuilds the tiles from `core.video.library`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from wan22_gui.core.interpolation.comfy_run import open_session
from wan22_gui.core.interpolation.runner import InterpolationRequest, InterpolationRunner
from wan22_gui.core.video import library
from wan22_gui.core.video.reader import is_video_file
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.player.compare import MAX_CLIPS, CompareView
from wan22_gui.gui.gallery.details import GalleryDetails
from wan22_gui.gui.gallery.filters import GalleryFilterBar
from wan22_gui.gui.gallery.grid import GalleryGrid
from wan22_gui.gui.gallery.interpolate import InterpolateDialog
from wan22_gui.gui.player.view import ClipSource

log = logging.getLogger("wan22.gui")
_REFRESH_DELAY_MS = 300
_FACT_KEYS = ("resolution", "duration")


def create_panel(ctx: AppContext) -> QWidget:
    return GalleryPanel(ctx)


class GalleryPanel(QWidget):
    """The Gallery tab."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery_panel")
        self.setAcceptDrops(True)
        self.ctx = ctx
        self.all_clips: list[library.Clip] = []
        self.windows: list[CompareView] = []
        self.filters = GalleryFilterBar()
        self.grid = GalleryGrid(ctx)
        self.details = GalleryDetails()
        self.status = QLabel("Loading the history…")
        self.status.setObjectName("gallery_status")
        self.cancel_button = QPushButton("Cancel interpolation")
        self.cancel_button.setObjectName("cancel_interpolation")
        self.cancel_button.hide()
        self._cancel: threading.Event | None = None
        self._closed = False
        self._note = ""  # the last action's outcome, kept when the tiles are rebuilt
        self._refresh_timer = QTimer(self, singleShot=True, interval=_REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._facts_timer = QTimer(self, singleShot=True, interval=_REFRESH_DELAY_MS)
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
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.filters.changed.connect(self.apply)
        self.filters.add_requested.connect(self._ask_add)
        self.grid.itemSelectionChanged.connect(self._on_selection)
        self.grid.itemDoubleClicked.connect(lambda _item: self.play())
        self.grid.info_known.connect(self._facts_timer.start)
        self.details.action.connect(self._on_action)
        self.cancel_button.clicked.connect(self._cancel_interpolation)
        self.ctx.app.history.changed.connect(self._history_changed)

    # -- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the history and the added clips (in the background)."""
        if self._closed:
            return
        history, settings = self.ctx.app.history, self.ctx.app.settings
        self.ctx.tasks.run_in_background(
            lambda: library.collect(history.list(), library.added_clips(settings)),
            self._on_loaded, self._on_load_failed)

    def _history_changed(self, _job_id: str) -> None:  # any thread
        self.ctx.tasks.on_main(self._schedule_refresh)

    def _schedule_refresh(self) -> None:
        if not self._closed:
            self._refresh_timer.start()

    def _on_loaded(self, clips: list[library.Clip]) -> None:
        if self._closed:
            return
        self.all_clips = clips
        self.grid.request_thumbnails([c for clip in clips for c in clip.children])
        self.apply()

    def _on_load_failed(self, exc: BaseException) -> None:
        self.status.setText(f"Cannot read the history: {exc}")

    def apply(self) -> None:
        """Show the clips that pass the filter, in the chosen order."""
        clips = library.with_info(self.all_clips, self.grid.known_infos())
        self.filters.set_choices(library.choices(clips))
        wanted = self.filters.current_filter()
        key, descending = self.filters.sort_key()
        shown = library.sort_clips([c for c in clips if wanted.accepts(c)], key, descending=descending)
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
        """New facts (size, length) arrived: re-filter if the filter or order depends on them."""
        wanted = self.filters.current_filter()
        uses_facts = self.filters.sort_key()[0] in _FACT_KEYS or wanted.resolution is not None \
            or wanted.min_seconds is not None or wanted.max_seconds is not None
        if uses_facts or any(c.info is None for c in self.grid.clips() if c.path):
            self.apply()

    def selected(self) -> library.Clip | None:
        clips = self.grid.selected_clips()
        return clips[0] if clips else None

    def _on_selection(self) -> None:
        # the class, not the instance: asking the instance would build the queue as a side effect
        self.details.show_clip(self.selected(), can_rerun=self.ctx.app.jobs is not None)

    # -- actions ----------------------------------------------------------------------------

    def _on_action(self, name: str) -> None:
        {"play": self.play, "compare": self.compare, "interpolate": self.interpolate,
         "rerun": self.rerun, "reveal": self.reveal, "delete": self.delete}[name]()

    def play(self) -> CompareView | None:
        clip = self.selected()
        if clip is None or clip.path is None:
            return None
        return self.open_view([ClipSource(clip.path, clip.title)])

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

    def open_view(self, clips: list[ClipSource]) -> CompareView:
        view = CompareView(self.ctx, clips)
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
        url = self.ctx.app.connection.url
        runner = InterpolationRunner(self.ctx.app.history, self.ctx.app.paths.output_dir,
                                     comfy=(lambda: open_session(url)) if url else None)
        parent = clip.job_id if clip.job is not None and clip.job.kind == "generate" else None
        request = InterpolationRequest(clip.path, method, multiplier, parent_id=parent)
        self._cancel = threading.Event()
        cancel = self._cancel
        self.cancel_button.show()
        self.status.setText(f"Interpolating {clip.path.name} ×{multiplier} ({method})…")
        progress = self.ctx.tasks.main_thread_callback(self._on_progress)
        self.ctx.tasks.run_in_background(
            lambda: runner.run(request, progress=progress, cancel=cancel),
            self._on_interpolated, self._on_interpolation_failed)

    def _on_progress(self, done: int, total: int) -> None:
        if self._busy():
            self.status.setText(f"Interpolating… {done}/{total} frame pairs")

    def _on_interpolated(self, result) -> None:
        self._cancel = None
        self.cancel_button.hide()
        self.say(f"{result.label}: {result.frame_count} frames at {result.fps:g} fps, "
                 f"made in {result.seconds:.1f} s")
        self.refresh()

    def _on_interpolation_failed(self, exc: BaseException) -> None:
        self._cancel = None
        self.cancel_button.hide()
        text = getattr(exc, "user_text", lambda: str(exc))().replace("\n", " — ")
        self.say(f"Interpolation failed: {text}")
        if not hasattr(exc, "user_text"):
            log.error("interpolation failed", exc_info=exc)
        self.refresh()

    def _cancel_interpolation(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.status.setText("Cancelling…")

    def _busy(self) -> bool:
        return self._cancel is not None

    def rerun(self) -> None:
        """Queue a new generation with the selected job's exact settings."""
        clip = self.selected()
        jobs = self.ctx.app.jobs
        if clip is None or clip.job is None or jobs is None:
            return
        from wan22_gui.core.workflow.spec import JobSpec

        job = clip.job
        self.ctx.tasks.run_in_background(
            lambda: jobs.add(JobSpec.from_dict(job.params), label=f"Re-run of {job.job_id}"),
            lambda record: self.say(f"Queued {record.job_id} with the settings of {job.job_id}"),
            lambda exc: self.say(f"Cannot re-run: {getattr(exc, 'user_text', lambda: exc)()}"),
            serial=True)

    def reveal(self) -> None:
        clip = self.selected()
        if clip is not None and clip.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(clip.path.parent)))

    def delete(self) -> None:
        """Delete the clip's files (and its interpolations'); history rows stay, marked deleted.
        A clip the user added is only removed from the gallery, never deleted from disk."""
        clip = self.selected()
        if clip is None:
            return
        if clip.job is None:
            if self.confirm(f"Remove {clip.path.name} from the gallery? The file stays where it is."):
                library.remove_clip(self.ctx.app.settings, clip.path)
                self.refresh()
            return
        family = [clip, *clip.children]
        files = [c.path for c in family if c.path is not None and c.path.exists()]
        extra = f" and its {len(clip.children)} interpolated version(s)" if clip.children else ""
        if not self.confirm(f"Delete {clip.title}{extra}? {len(files)} file(s) will be deleted; "
                            "the history keeps the job, marked deleted."):
            return
        history = self.ctx.app.history
        job_ids = {c.job_id for c in family if c.job_id}
        self.ctx.tasks.run_in_background(
            lambda: _delete(files, job_ids, history),
            lambda failed: self.say("Deleted." if not failed else f"Could not delete: {', '.join(failed)}"),
            lambda exc: self.say(f"Delete failed: {exc}"), serial=True)

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
        self.ctx.app.history.changed.disconnect(self._history_changed)
        if self._cancel is not None:
            self._cancel.set()
        self.grid.shutdown()
        for view in list(self.windows):
            view.close()


def _delete(files: list[Path], job_ids: set[str], history) -> list[str]:
    """Delete files, mark jobs deleted; returns the names that could not be deleted."""
    failed = []
    for path in files:
        try:
            path.unlink()
        except OSError as exc:
            failed.append(f"{path.name} ({exc.strerror})")
    for job_id in job_ids:
        history.mark_deleted(job_id)
    return failed
