"""Real video files for the stand-in's save nodes, chosen by file extension."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.comfy_standin.media import Frames, render

# ComfyUI's SaveVideo writes mp4 as H.264 in 4:2:0 through PyAV (comfy_api's video_types.py:
# add_stream('h264'), pix_fmt 'yuv420p'), and so does the stand-in; other containers get
# OpenCV's encoders (its pip wheels have no H.264).
_FOURCC = {"mov": "mp4v", "mkv": "mp4v", "webm": "VP80"}


def write_video(path: Path, frames: Frames, fps: float) -> None:
    """Write ``frames`` at ``fps`` to ``path`` (mp4/mov/mkv/webm with OpenCV, gif/webp with Pillow)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = path.suffix.lower().lstrip(".")
    if ext in ("gif", "webp"):
        _write_animated_image(path, frames, fps)
    elif ext == "mp4":
        _write_h264(path, frames, fps)
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


def _write_h264(path: Path, frames: Frames, fps: float) -> None:
    from fractions import Fraction

    import av

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("h264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = frames.width, frames.height
        stream.pix_fmt = "yuv420p"
        for frame in render(frames):
            picture = av.VideoFrame.from_ndarray(frame, format="bgr24")
            for packet in stream.encode(picture):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _write_animated_image(path: Path, frames: Frames, fps: float) -> None:
    from PIL import Image

    images = [Image.fromarray(frame[:, :, ::-1]) for frame in render(frames)]
    images[0].save(path, save_all=True, append_images=images[1:],
                   duration=max(1, round(1000 / max(fps, 0.001))), loop=0)
