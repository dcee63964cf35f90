"""What the gallery does to clips, without Qt: delete (to the system trash), re-run, interpolate,
and download again a finished clip that was left on the server.

The gallery panel calls these methods off the GUI thread and subscribes to the signals; the CLI
(`wan22 history delete`, `wan22 interpolate`) calls the same object. `build_gallery_actions`
assembles one from the services an app has.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.gallery import trash as trash_module
from wan22_gui.core.gallery.trash import DeleteResult, Trash, TrashError, trash_files
from wan22_gui.core.history import HistoryStore, JobRecord
from wan22_gui.core.interpolation.comfy_run import open_session
from wan22_gui.core.gallery import refetch
from wan22_gui.core.interpolation.runner import (
    InterpolationRequest,
    InterpolationResult,
    InterpolationRunner,
)
from wan22_gui.core.video import library
from wan22_gui.core.video.library import Clip
from wan22_gui.core.workflow.spec import JobSpec


class Submit(Protocol):
    """Queues a generation (`JobQueue.add`)."""

    def __call__(self, spec: JobSpec, *, label: str | None = None) -> JobRecord: ...


class ThumbnailForget(Protocol):
    """Drops a video's cached thumbnail (`ThumbnailCache.forget`)."""

    def __call__(self, video: Path) -> None: ...


RunnerFactory = Callable[[], InterpolationRunner]


class GalleryActions:
    """The gallery's actions on history clips.

    Args:
        history: the job history (rows are marked deleted, interpolations recorded).
        settings: where the clips the user added are remembered.
        runners: makes the InterpolationRunner for one run (it reads the server in use then).
        submit: queues a re-run; None where there is no queue (re-run is then unavailable).
        forget_thumbnail: drops a deleted file's cached thumbnail, if the caller has a cache.
        trash: moves one file to the trash (default: the system trash).

    Signals:
        deleted(DeleteResult), rerun_queued(new JobRecord, source job id),
        interpolation_started(InterpolationRequest), interpolation_progress(done, total),
        interpolation_finished(InterpolationResult), interpolation_failed(Exception).
    """

    def __init__(self, history: HistoryStore, settings: Settings, runners: RunnerFactory, *,
                 submit: Submit | None = None, forget_thumbnail: ThumbnailForget | None = None,
                 trash: Trash | None = None) -> None:
        self.history = history
        self.settings = settings
        self._runners = runners
        self._submit = submit
        self._forget_thumbnail = forget_thumbnail
        self._trash = trash or trash_module.system_trash
        self.deleted = Signal("gallery.deleted")
        self.rerun_queued = Signal("gallery.rerun_queued")
        self.interpolation_started = Signal("gallery.interpolation_started")
        self.interpolation_progress = Signal("gallery.interpolation_progress")
        self.interpolation_finished = Signal("gallery.interpolation_finished")
        self.interpolation_failed = Signal("gallery.interpolation_failed")

    # -- delete -----------------------------------------------------------------------------

    def delete(self, items: Iterable[Clip | str]) -> DeleteResult:
        """Move the clips' files (and their interpolations') to the trash and mark their rows
        deleted; a clip the user added is only removed from the gallery, its file stays.

        `items` are gallery Clips or history job ids. Blocks (file system, database).

        Raises:
            InputError: a job id the history does not know (nothing is done then).
            TrashError: a file could not be trashed; the other files went, and only the rows
                all of whose files went are marked deleted.
        """
        clips = [c for item in items for c in self._clips(item)]
        added = [c.path for c in clips if c.job is None and c.path is not None]
        for path in added:
            library.remove_clip(self.settings, path)
        files_by_job = _files_by_job([c for c in clips if c.job is not None])
        trashed, kept = self._trash_all(files_by_job)
        kept_paths = {path for path, _ in kept}
        kept_jobs = [j for j, files in files_by_job.items() if kept_paths.intersection(files)]
        deleted_jobs = [j for j in files_by_job if j not in kept_jobs]
        for job_id in deleted_jobs:
            self.history.mark_deleted(job_id)
        result = DeleteResult(tuple(trashed), tuple(f"{p.name} ({why})" for p, why in kept),
                              tuple(deleted_jobs), tuple(kept_jobs), tuple(added))
        self.deleted.emit(result)
        if kept:
            raise TrashError(result)
        return result

    def _clips(self, item: Clip | str) -> list[Clip]:
        if isinstance(item, Clip):
            return [item]
        record = self.history.get(item)
        if record is None:
            raise InputError(f"History has no job {item}.", "List jobs with `wan22 history`.")
        family = library.collect([record, *self.history.children(item)])
        own = [c for c in family if c.job_id == item]
        return own or [Clip(key=item, path=None, job=record)]

    def _trash_all(self, files_by_job: dict[str, list[Path]]
                   ) -> tuple[list[Path], list[tuple[Path, str]]]:
        files = list(dict.fromkeys(p for paths in files_by_job.values() for p in paths))
        for path in files:
            if self._forget_thumbnail is not None:
                self._forget_thumbnail(path)
        return trash_files(files, self._trash)

    # -- re-run -----------------------------------------------------------------------------

    @property
    def can_rerun(self) -> bool:
        return self._submit is not None

    def rerun(self, job_id: str) -> JobRecord:
        """Queue a new generation with the exact settings of history job `job_id`."""
        record = self.history.get(job_id)
        if record is None or not record.params:
            raise InputError(f"History has no job {job_id} with settings to re-run.")
        if self._submit is None:
            raise InputError("There is no job queue to re-run in.")
        queued = self._submit(JobSpec.from_dict(record.params), label=f"Re-run of {job_id}")
        self.rerun_queued.emit(queued, job_id)
        return queued

    # -- download again ---------------------------------------------------------------------

    def download_again(self, job_id: str, *, server_url: str | None = None,
                       dest: Path | None = None) -> list[Path]:
        """Fetch the finished files job `job_id` left on the server (`wan22 history fetch`);
        blocks (HTTP). Raises Wan22Error saying where a file that still fails is."""
        return refetch.download_again(self.history, job_id, server_url=server_url, dest=dest)

    # -- interpolate ------------------------------------------------------------------------

    def interpolate(self, clip: Clip, method: str, multiplier: int, *, model: str | None = None,
                    cancel: threading.Event | None = None) -> InterpolationResult:
        """Interpolate a gallery clip, linked to the generation that made it (blocks)."""
        if clip.path is None:
            raise InputError(f"{clip.title or clip.key} has no video to interpolate.")
        parent = clip.job_id if clip.job is not None and clip.job.kind == "generate" else None
        return self.interpolate_file(clip.path, method, multiplier, parent_id=parent, model=model,
                                     cancel=cancel)

    def interpolate_file(self, source: Path, method: str, multiplier: int, *,
                         parent_id: str | None = None, model: str | None = None,
                         cancel: threading.Event | None = None) -> InterpolationResult:
        """Interpolate any video through the InterpolationRunner, recorded in the history."""
        request = InterpolationRequest(Path(source), method, multiplier, parent_id=parent_id,
                                       model=model)
        self.interpolation_started.emit(request)
        try:
            result = self._runners().run(request, progress=self.interpolation_progress.emit,
                                         cancel=cancel)
        except Exception as exc:
            self.interpolation_failed.emit(exc)
            raise
        self.interpolation_finished.emit(result)
        return result


def _files_by_job(clips: list[Clip]) -> dict[str, list[Path]]:
    """Each job of the clips and their interpolations -> its files that exist."""
    files: dict[str, list[Path]] = {}
    for clip in (member for c in clips for member in (c, *c.children)):
        if clip.job_id is None:
            continue
        paths = files.setdefault(clip.job_id, [])
        if clip.path is not None and clip.path.exists() and clip.path not in paths:
            paths.append(clip.path)
    return files


def interpolation_runners(history: HistoryStore, output_dir: Path,
                          server_url: Callable[[], str | None], *,
                          workers: int | None = None) -> RunnerFactory:
    """Runners for the ComfyUI at `server_url()` (asked at each run; None = built-in only)."""

    def make() -> InterpolationRunner:
        url = server_url()
        return InterpolationRunner(history, output_dir, workers=workers,
                                   comfy=(lambda: open_session(url)) if url else None)

    return make


def build_gallery_actions(history: HistoryStore, settings: Settings, output_dir: Path,
                          server_url: Callable[[], str | None], *, submit: Submit | None = None,
                          forget_thumbnail: ThumbnailForget | None = None,
                          workers: int | None = None) -> GalleryActions:
    """The one way to assemble GalleryActions from an app's services (GUI, CLI, app root)."""
    return GalleryActions(history, settings,
                          interpolation_runners(history, output_dir, server_url, workers=workers),
                          submit=submit, forget_thumbnail=forget_thumbnail)
