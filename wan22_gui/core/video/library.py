"""The clips the gallery shows: every output of every job, plus videos the user added.

Interpolated versions are grouped under the clip they came from (`JobRecord.parent_id`, or the
source path for clips the user added). Sorting and filtering are plain functions here, so the
CLI and tests see the same library as the window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable

from wan22_gui.core.base.settings import declare
from wan22_gui.core.video.reader import VideoInfo

ADDED_CLIPS_KEY = "gallery.added_clips"
declare(ADDED_CLIPS_KEY, [])

SORT_KEYS = ("date", "source", "resolution", "duration", "status")
FINISHED = ("succeeded", "failed", "interrupted", "cancelled")


@dataclass(frozen=True)
class Clip:
    """One tile of the gallery.

    Attributes:
        key: unique id: "<job_id>" or "<job_id>#<n>" for a job's n-th output, "file:<path>" for
            a clip the user added.
        path: the video (None for a job that ended without one).
        job: its history row (None for an added clip).
        title: the label shown under the tile.
        children: its interpolated versions.
        info: the video's facts once known (from the thumbnail cache).
    """

    key: str
    path: Path | None
    job: Any = None
    title: str = ""
    created_at: float = 0.0
    status: str = "succeeded"
    source_image: str | None = None
    children: tuple["Clip", ...] = ()
    info: VideoInfo | None = None

    @property
    def job_id(self) -> str | None:
        return self.job.job_id if self.job is not None else None

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) from the file, else from the job's settings."""
        if self.info is not None:
            return self.info.width, self.info.height
        params = self.job.params if self.job is not None else {}
        if params.get("width") and params.get("height"):
            return int(params["width"]), int(params["height"])
        return None

    @property
    def duration(self) -> float | None:
        """Seconds, from the file, else from the job's frames and fps."""
        if self.info is not None:
            return self.info.duration
        params = self.job.params if self.job is not None else {}
        if params.get("frames") and params.get("fps"):
            return float(params["frames"]) / float(params["fps"])
        return None

    @property
    def resolution(self) -> str:
        size = self.size
        return f"{size[0]}×{size[1]}" if size else "?"


@dataclass(frozen=True)
class ClipFilter:
    """What the gallery's filter bar asks for (empty/None = no restriction)."""

    text: str = ""
    status: str | None = None
    source_image: str | None = None
    resolution: str | None = None
    min_seconds: float | None = None
    max_seconds: float | None = None
    since: float | None = None  # created after this wall-clock time

    def accepts(self, clip: Clip) -> bool:
        checks = (
            not self.text or self.text.lower() in _search_text(clip),
            self.status is None or clip.status == self.status,
            self.source_image is None or clip.source_image == self.source_image,
            self.resolution is None or clip.resolution == self.resolution,
            self.min_seconds is None or (clip.duration or 0) >= self.min_seconds,
            self.max_seconds is None or (clip.duration or 0) <= self.max_seconds,
            self.since is None or clip.created_at >= self.since,
        )
        return all(checks)


def collect(records: Iterable[Any], added: Iterable[str] = ()) -> list[Clip]:
    """Gallery clips from history rows (any order) and added file paths, newest first.

    Interpolations become children of their parent's clip (or of the added clip whose path is
    their source); orphans (parent deleted or unknown) stand as clips of their own.
    """
    records = list(records)
    clips: list[Clip] = []
    for record in records:
        if record.kind == "generate" and record.status in FINISHED:
            clips.extend(_clips_of(record))
    clips.extend(_added(added, clips))
    children: dict[str, list[Clip]] = {}
    by_job = {c.job_id: c for c in clips if c.job_id}
    by_path = {str(c.path): c for c in clips if c.path is not None}
    for record in records:
        if record.kind != "interpolate" or record.status not in FINISHED:
            continue
        for child in _clips_of(record):
            parent = by_job.get(record.parent_id) or by_path.get(str(record.params.get("source")))
            if parent is None:
                clips.append(child)
            else:
                children.setdefault(parent.key, []).append(child)
    clips = [replace(c, children=tuple(sorted(children.get(c.key, []), key=lambda k: k.created_at)))
             for c in clips]
    return sort_clips(clips, "date", descending=True)


def sort_clips(clips: list[Clip], key: str, *, descending: bool = False) -> list[Clip]:
    """`clips` ordered by one of SORT_KEYS (unknown values last)."""
    makers: dict[str, Callable[[Clip], Any]] = {
        "date": lambda c: c.created_at,
        "source": lambda c: (c.source_image or "").lower(),
        "resolution": lambda c: (c.size or (0, 0))[0] * (c.size or (0, 0))[1],
        "duration": lambda c: c.duration or 0.0,
        "status": lambda c: c.status,
    }
    if key not in makers:
        raise ValueError(f"unknown sort key {key!r}; expected one of {SORT_KEYS}")
    return sorted(clips, key=lambda c: (makers[key](c), c.created_at), reverse=descending)


def with_info(clips: list[Clip], infos: dict[str, VideoInfo]) -> list[Clip]:
    """`clips` with the facts known so far (keyed by path string) filled in; a clip with
    nothing new is the same object, so a list model sees it unchanged."""
    if not infos:
        return clips
    return [_with_info(c, infos) for c in clips]


def _with_info(clip: Clip, infos: dict[str, VideoInfo]) -> Clip:
    info = infos.get(str(clip.path), clip.info) if clip.path is not None else clip.info
    children = tuple(with_info(list(clip.children), infos)) if clip.children else ()
    if info is clip.info and all(a is b for a, b in zip(children, clip.children)):
        return clip
    return replace(clip, info=info, children=children)


def view(clips: list[Clip], wanted: ClipFilter, key: str, *, descending: bool,
         infos: dict[str, VideoInfo] | None = None) -> list[Clip]:
    """What the gallery shows: `clips` with their known facts, filtered and sorted."""
    clips = with_info(clips, infos or {})
    return sort_clips([c for c in clips if wanted.accepts(c)], key, descending=descending)


def choices(clips: list[Clip]) -> dict[str, list[str]]:
    """Values offered by the filter bar: source images, resolutions, statuses present."""
    return {
        "source": sorted({c.source_image for c in clips if c.source_image}),
        "resolution": sorted({c.resolution for c in clips if c.size},
                             key=lambda r: [int(p) for p in r.split("×")]),
        "status": sorted({c.status for c in clips}),
    }


def added_clips(settings) -> list[str]:
    return [str(p) for p in settings.get(ADDED_CLIPS_KEY, []) or []]


def add_clips(settings, paths: Iterable[Path]) -> list[str]:
    """Remember user-added videos (absolute paths, no duplicates); returns the new list."""
    current = added_clips(settings)
    for path in paths:
        text = str(Path(path).resolve())
        if text not in current:
            current.append(text)
    settings.set(ADDED_CLIPS_KEY, current)
    return current


def remove_clip(settings, path: Path) -> None:
    """Forget a user-added video (the file itself stays where the user keeps it)."""
    text = str(Path(path).resolve())
    settings.set(ADDED_CLIPS_KEY, [p for p in added_clips(settings) if p != text])


def _clips_of(record: Any) -> list[Clip]:
    base = dict(job=record, created_at=record.created_at, status=record.status,
                source_image=record.source_image, title=_title(record))
    outputs = [o for o in record.outputs if str(o).lower().endswith(
        (".mp4", ".webm", ".mkv", ".mov", ".gif", ".avi", ".m4v"))]
    if not outputs:
        return [Clip(key=record.job_id, path=None, **base)]
    return [Clip(key=record.job_id if i == 0 else f"{record.job_id}#{i}", path=Path(o), **base)
            for i, o in enumerate(outputs)]


def _added(paths: Iterable[str], known: list[Clip]) -> list[Clip]:
    known_paths = {str(c.path) for c in known}
    out = []
    for text in paths:
        if text in known_paths:
            continue
        path = Path(text)
        try:
            created = path.stat().st_mtime
        except OSError:
            created = time.time()
        out.append(Clip(key=f"file:{text}", path=path, title=path.name, created_at=created,
                        status="added"))
    return out


def _title(record: Any) -> str:
    if record.label:
        return record.label
    prompt = str(record.params.get("prompt") or "").strip()
    return (prompt[:60] + "…") if len(prompt) > 60 else (prompt or record.job_id)


def _search_text(clip: Clip) -> str:
    parts = [clip.title, clip.source_image or "", str(clip.path or "")]
    if clip.job is not None:
        parts.append(str(clip.job.params.get("prompt") or ""))
    return " ".join(parts).lower()
