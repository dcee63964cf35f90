"""Gallery thumbnails, made once per file version and cached on disk.

The cache key is the file's path, size and modification time, so a clip that is still being
written (or is rewritten) gets a fresh thumbnail when it changes, and a broken file is not probed
again until it does. Next to each JPEG sits a small JSON with the clip's facts (size, fps,
frames), so the gallery can sort and filter by resolution and duration without opening videos.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.video.reader import VideoInfo, open_capture, probe, seek

log = logging.getLogger("wan22.video")

THUMB_SIZE = (256, 256)  # the box a thumbnail fits in (width, height)
_CACHE_VERSION = 1


@dataclass(frozen=True)
class Thumbnail:
    """A clip's thumbnail, or why there is none.

    Attributes:
        source: the video file.
        image: the cached JPEG, or None for a broken clip.
        info: the clip's facts, or None for a broken clip.
        error: what is wrong with a broken clip (shown on its tile), else None.
    """

    source: Path
    image: Path | None
    info: VideoInfo | None
    error: str | None = None

    @property
    def broken(self) -> bool:
        return self.image is None


class ThumbnailCache:
    """Thumbnails under `folder`. Thread-safe: each file version maps to its own file names."""

    def __init__(self, folder: Path, box: tuple[int, int] = THUMB_SIZE) -> None:
        self.folder = Path(folder)
        self.box = box

    def get(self, video: Path) -> Thumbnail:
        """The thumbnail of `video`, made now if not cached. Never raises for a bad file."""
        video = Path(video)
        try:
            key = self._key(video)
        except OSError:
            return Thumbnail(video, None, None, "File not found")
        meta_path = self.folder / f"{key}.json"
        cached = self._load(video, meta_path)
        if cached is not None:
            return cached
        thumb = self._make(video, self.folder / f"{key}.jpg")
        self._store(meta_path, thumb)
        return thumb

    def forget(self, video: Path) -> None:
        """Drop the cached thumbnail of `video` as it is now (before it is deleted)."""
        try:
            key = self._key(Path(video))
        except OSError:
            return
        for suffix in (".jpg", ".json"):
            (self.folder / f"{key}{suffix}").unlink(missing_ok=True)

    def _key(self, video: Path) -> str:
        stat = video.stat()
        text = f"{_CACHE_VERSION}|{video.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{self.box}"
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def _make(self, video: Path, image_path: Path) -> Thumbnail:
        import cv2

        try:
            info = probe(video)
            frame = _middle_frame(info)
        except InputError as exc:
            return Thumbnail(video, None, None, str(exc))
        scale = min(self.box[0] / info.width, self.box[1] / info.height, 1.0)
        size = (max(1, round(info.width * scale)), max(1, round(info.height * scale)))
        small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = image_path.with_suffix(f".{os.getpid()}.tmp.jpg")
        if not cv2.imwrite(str(tmp), small, [cv2.IMWRITE_JPEG_QUALITY, 88]):
            return Thumbnail(video, None, info, "Could not write the thumbnail cache")
        os.replace(tmp, image_path)
        return Thumbnail(video, image_path, info)

    def _load(self, video: Path, meta_path: Path) -> Thumbnail | None:
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            info = None
            if meta.get("info"):
                info = VideoInfo(**{**meta["info"], "path": video})
            image = Path(meta["image"]) if meta.get("image") else None
            if image is not None and not image.exists():
                return None
            return Thumbnail(video, image, info, meta.get("error"))
        except (OSError, ValueError, TypeError, KeyError):
            return None  # not cached yet, or a damaged cache entry: make it again

    def _store(self, meta_path: Path, thumb: Thumbnail) -> None:
        info = asdict(thumb.info) if thumb.info else None
        if info:
            info.pop("path")
        meta = {"image": str(thumb.image) if thumb.image else None, "info": info, "error": thumb.error}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = meta_path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(tmp, meta_path)
        except OSError as exc:
            log.warning("thumbnail cache not writable (%s): %s", self.folder, exc)


def _middle_frame(info: VideoInfo):
    """A frame from the middle (the first frame of an i2v clip is just the source image);
    the first frame when seeking fails, as it can in a truncated file."""
    cap = open_capture(info.path)
    try:
        if info.frame_count > 2:
            seek(cap, info.frame_count // 2)
            ok, frame = cap.read()
            if ok and frame is not None:
                return frame
            seek(cap, 0)
        ok, frame = cap.read()
        if not ok or frame is None:
            raise InputError(f"Cannot decode a frame of {info.path.name}")
        return frame
    finally:
        cap.release()

