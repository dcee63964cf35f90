"""Real video files for the stand-in's save nodes, chosen by file extension."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.comfy_standin.media import Frames, render

# OpenCV's pip wheels have no H.264 encoder, so mp4/mov/mkv get MPEG-4 Part 2 ("mp4v").
_FOURCC = {"mp4": "mp4v", "mov": "mp4v", "mkv": "mp4v", "webm": "VP80"}


def write_video(path: Path, frames: Frames, fps: float) -> None:
    """Write ``frames`` at ``fps`` to ``path`` (mp4/mov/mkv/webm with OpenCV, gif/webp with Pillow)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = path.suffix.lower().lstrip(".")
    if ext in ("gif", "webp"):
        _write_animated_image(path, frames, fps)
    else:
        _write_opencv(path, frames, fps, _FOURCC.get(ext, "mp4v"))


def _write_opencv(path: Path, frames: Frames, fps: float, fourcc: str) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), float(fps),
                             (frames.width, frames.height))
    if not writer.isOpened():
        raise RuntimeError(f"could not open a {fourcc} video writer for {path.name}")
    try:
        for frame in render(frames):
            writer.write(frame)
    finally:
        writer.release()


def _write_animated_image(path: Path, frames: Frames, fps: float) -> None:
    from PIL import Image

    images = [Image.fromarray(frame[:, :, ::-1]) for frame in render(frames)]
    images[0].save(path, save_all=True, append_images=images[1:],
                   duration=max(1, round(1000 / max(fps, 0.001))), loop=0)
