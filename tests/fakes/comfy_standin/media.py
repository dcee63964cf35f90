"""What flows along the stand-in's links (frame batches, latents, videos) and real media files.

No tensors: an IMAGE batch is its size and frame count plus where its pixels come from, which is
all the stand-in needs to write a believable mp4 with the right width, height, fps and length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


@dataclass(frozen=True)
class Frames:
    """An IMAGE batch: ``count`` frames of ``width`` x ``height``."""

    width: int
    height: int
    count: int
    source: str | None = None  # a still image or video the pixels come from

    def __str__(self) -> str:  # what `current_inputs` shows, like a tensor repr
        return f"tensor(<IMAGE batch [{self.count}, {self.height}, {self.width}, 3]>)"


@dataclass(frozen=True)
class Latent:
    """A LATENT; ``frames`` is how many pixel frames it decodes to."""

    width: int
    height: int
    frames: int
    batch: int = 1
    length: int | None = None  # WanImageToVideo's requested length
    source: str | None = None

    def __str__(self) -> str:
        return f"{{'samples': tensor(<LATENT {self.batch}x16x{self.frames}x{self.height // 8}x{self.width // 8}>)}}"


@dataclass(frozen=True)
class Video:
    """A VIDEO (CreateVideo / LoadVideo): frames plus a frame rate."""

    frames: Frames
    fps: float

    def __str__(self) -> str:
        return f"<comfy_api.latest._input_impl.video_types.VideoFromComponents object ({self.frames.count} frames)>"


@dataclass(frozen=True)
class Opaque:
    """Anything the stand-in does not model (MODEL, CLIP, VAE, CONDITIONING, ...)."""

    kind: str
    label: str = ""

    def __str__(self) -> str:
        return f"<{self.kind} {self.label}>".replace(" >", ">")


def wan_decoded_frames(length: int) -> int:
    """Pixel frames a Wan latent of ``length`` decodes to (4x temporal compression + 1)."""
    return ((max(1, int(length)) - 1) // 4) * 4 + 1


def interpolated_count(count: int, multiplier: int) -> int:
    """RIFE/FILM/FrameInterpolate rule: N frames at multiplier m give (N-1)*m+1."""
    return (count - 1) * multiplier + 1 if count > 0 else 0


# -- pixels -----------------------------------------------------------------------------------

def _base_image(frames: Frames):
    import cv2
    import numpy as np

    base = None
    if frames.source:
        base = cv2.imread(frames.source, cv2.IMREAD_COLOR)
        if base is None:  # a video source: use its first frame
            capture = cv2.VideoCapture(frames.source)
            ok, first = capture.read()
            capture.release()
            base = first if ok else None
    if base is None:
        ys, xs = np.mgrid[0:frames.height, 0:frames.width]
        base = np.dstack([xs * 255 // max(1, frames.width - 1), ys * 255 // max(1, frames.height - 1),
                          np.full_like(xs, 128)]).astype(np.uint8)
        return base
    # Resize to cover, then centre-crop (what WanImageToVideo does to start_image).
    h, w = base.shape[:2]
    scale = max(frames.width / w, frames.height / h)
    resized = cv2.resize(base, (max(frames.width, round(w * scale)), max(frames.height, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
    top = (resized.shape[0] - frames.height) // 2
    left = (resized.shape[1] - frames.width) // 2
    return resized[top:top + frames.height, left:left + frames.width].copy()


def render(frames: Frames) -> Iterator:
    """BGR uint8 frames: the source picture with a dot moving across it."""
    import cv2

    base = _base_image(frames)
    radius = max(2, min(frames.width, frames.height) // 12)
    for index in range(frames.count):
        frame = base.copy()
        x = radius + (frames.width - 2 * radius) * index // max(1, frames.count - 1)
        cv2.circle(frame, (int(x), frames.height // 2), radius, (255, 255, 255), -1)
        yield frame


def write_png(path: Path, frames: Frames, index: int = 0) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(render(Frames(frames.width, frames.height, index + 1, frames.source))):
        if i == index:
            cv2.imwrite(str(path), frame)


def encode_preview(frames: Frames | None, step: int, fmt: str = "JPEG", max_size: int = 512) -> bytes:
    """A small JPEG/PNG like a sampler's latent preview (long side <= max_size)."""
    import cv2

    width, height = (frames.width, frames.height) if frames else (64, 64)
    scale = min(1.0, 64 / max(width, height))  # keep previews tiny and fast
    small = Frames(max(8, int(width * scale)), max(8, int(height * scale)), step + 1,
                   frames.source if frames else None)
    frame = list(render(small))[-1]
    ext = ".png" if fmt == "PNG" else ".jpg"
    ok, data = cv2.imencode(ext, frame)
    if not ok:
        raise RuntimeError("preview encoding failed")
    return data.tobytes()


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image file; raises on a file that is not an image."""
    from PIL import Image

    with Image.open(path) as img:
        return img.size


def image_frames(path: Path) -> int:
    """How many pictures LoadImage makes of a file: every frame of the size of the first (an
    animated PNG/GIF/WebP becomes a batch), one for an MPO (nodes.py `excluded_formats`)."""
    from PIL import Image, ImageSequence

    with Image.open(path) as img:
        if img.format == "MPO":
            return 1
        first = img.size
        return sum(1 for frame in ImageSequence.Iterator(img) if frame.size == first)


def probe_video(path: Path) -> tuple[int, float, int, int]:
    """(frame_count, fps, width, height) of a video, counting frames by decoding them."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise RuntimeError(f"could not open video {path.name}")
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        count = 0
        while capture.grab():
            count += 1
    finally:
        capture.release()
    if count == 0:
        raise RuntimeError(f"no frames could be decoded from {path.name}")
    return count, float(fps), width, height


_PREFIX_VARS = re.compile(r"%(year|month|day|hour|minute|second|width|height)%")


def next_save_path(output_dir: Path, prefix: str, ext: str, *, trailing_underscore: bool = True,
                   width: int = 0, height: int = 0) -> tuple[Path, str, str]:
    """ComfyUI's save naming: ``<subfolder>/<name>_00001_.<ext>``, counting past existing files.

    Returns (path, filename, subfolder). Raises like ComfyUI when the prefix leaves the folder.
    """
    import os
    import time

    now = time.localtime()
    values = {"year": str(now.tm_year), "month": f"{now.tm_mon:02}", "day": f"{now.tm_mday:02}",
              "hour": f"{now.tm_hour:02}", "minute": f"{now.tm_min:02}",
              "second": f"{now.tm_sec:02}", "width": str(width), "height": str(height)}
    prefix = _PREFIX_VARS.sub(lambda m: values[m.group(1)], prefix)
    normal = os.path.normpath(prefix)
    subfolder, name = os.path.dirname(normal), os.path.basename(normal)
    folder = (output_dir / subfolder).resolve()
    if os.path.commonpath((str(output_dir.resolve()), str(folder))) != str(output_dir.resolve()):
        raise RuntimeError("**** ERROR: Saving image outside the output folder is not allowed."
                           f"\n full_output_folder: {folder}\n         output_dir: {output_dir}")
    folder.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(re.escape(name) + r"_(\d+)" + ("_" if trailing_underscore else r"\D*") + r"\..+$")
    counters = [int(m.group(1)) for f in os.listdir(folder) if (m := pattern.match(f))]
    counter = max(counters, default=0) + 1
    while True:  # never overwrite, even if a file appeared meanwhile
        filename = f"{name}_{counter:05}{'_' if trailing_underscore else ''}.{ext}"
        if not (folder / filename).exists():
            break
        counter += 1
    return folder / filename, filename, subfolder.replace(os.sep, "/")
