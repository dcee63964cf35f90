"""Writing mp4 files safely: into a temporary name, renamed only when complete.

A crash or a cancel therefore never leaves a half-written clip under the final name (the gallery
would show it as broken).

Clips are encoded as H.264 through PyAV (libx264 is in its wheels). OpenCV's pip wheels only
encode MPEG-4 Part 2 ('mp4v'), which cost ~3 dB of PSNR against the frames we computed (34.2 dB
computed, 31.4 dB in the file). Measured on the benchmark scene at 832×1216: almost all of that
loss is 4:2:0 chroma subsampling (even lossless x264 in 4:2:0 lost 2.3 dB), so the app's own
clips keep full chroma (4:4:4; the encoder settings below lose ~0.3 dB; ~10 ms a frame). 4:4:4 H.264 plays in VLC, mpv, ffmpeg and
the app, not in every browser or phone player: a video meant for sharing (the compare export)
asks for `full_chroma=False`, the 4:2:0 every player knows. When PyAV or its encoder is missing
(a trimmed frozen build), OpenCV's mp4v is used and the log says so, so a user still gets a video.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wan22_gui.core.base.errors import Wan22Error

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

FOURCC = "mp4v"  # the fallback encoder's four-character code
CODEC = "libx264"
# Constant-quality encoding (lower is better) tuned for fidelity rather than looks: the app's
# clips are compared frame by frame (difference view, PSNR). Measured at 832×1216 on the
# benchmark scene (161 frames in the file): CRF 14 with x264's default psychovisual tuning lost
# 0.7–0.85 dB against the computed frames, CRF 12 with tune=psnr 0.56 dB, CRF 9 0.43 dB (4 MB),
# CRF 6 0.33 dB (6.7 MB); bench/bench_interpolation.py prints the figure. "veryfast" was 2.5×
# faster than "medium" for 0.1 dB.
CRF = 8
TUNE = "psnr"
PRESET = "veryfast"


class ClipWriter:
    """Context manager: `with ClipWriter(dest, fps, (w, h)) as out: out.write(frame)`.

    The file appears at `dest` only when the block ends without an exception.
    """

    def __init__(self, dest: Path, fps: float, size: tuple[int, int], *,
                 full_chroma: bool = True) -> None:
        self.dest = Path(dest)
        self.full_chroma = full_chroma
        self.fps = fps
        self.size = (int(size[0]), int(size[1]))
        self.frames_written = 0
        self.codec = ""
        self._tmp = self.dest.with_name(f".{self.dest.stem}.{os.getpid()}.partial{self.dest.suffix}")
        self._encoder: _Encoder | None = None

    def __enter__(self) -> "ClipWriter":
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._encoder = _open_h264(self._tmp, self.fps, self.size, self.full_chroma)
        except _NoH264 as missing:
            log.warning("H.264 encoding is unavailable (%s); writing MPEG-4 Part 2 instead", missing)
            self._encoder = _open_mp4v(self._tmp, self.fps, self.size)
        except OSError as exc:
            self._tmp.unlink(missing_ok=True)
            raise _cannot_write(self.dest, self.size, exc) from exc
        if self._encoder is None:
            self._tmp.unlink(missing_ok=True)
            raise _cannot_write(self.dest, self.size)
        self.codec = self._encoder.codec
        return self

    def write(self, frame: "np.ndarray") -> None:
        """Append one BGR (or BGRA) frame; it is resized if it does not match the size."""
        import cv2

        if frame.shape[2] == 4:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)
        assert self._encoder is not None, "write() outside the with-block"
        try:
            self._encoder.write(frame)
        except OSError as exc:
            raise _cannot_write(self.dest, self.size, exc) from exc
        self.frames_written += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        finished = False
        try:
            if self._encoder is not None:
                self._encoder.close(flush=exc_type is None)
            finished = exc_type is None and self.frames_written > 0
        finally:
            if finished:
                os.replace(self._tmp, self.dest)
            else:
                self._tmp.unlink(missing_ok=True)


class _NoH264(Exception):
    """PyAV or its H.264 encoder is not installed."""


class _Encoder:
    """The small surface both encoders offer."""

    codec = ""

    def write(self, frame: "np.ndarray") -> None:
        raise NotImplementedError

    def close(self, flush: bool) -> None:
        raise NotImplementedError


class _PyAvEncoder(_Encoder):
    codec = "h264"

    def __init__(self, container: Any, stream: Any) -> None:
        self._container = container
        self._stream = stream

    def write(self, frame: "np.ndarray") -> None:
        import av

        picture = av.VideoFrame.from_ndarray(frame, format="bgr24")
        try:
            for packet in self._stream.encode(picture):
                self._container.mux(packet)
        except av.FFmpegError as exc:
            raise OSError(exc.errno or 0, str(exc)) from exc

    def close(self, flush: bool) -> None:
        import av

        try:
            if flush:
                for packet in self._stream.encode():
                    self._container.mux(packet)
        except av.FFmpegError as exc:
            raise OSError(exc.errno or 0, str(exc)) from exc
        finally:
            self._container.close()


class _OpenCvEncoder(_Encoder):
    codec = "mp4v"

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def write(self, frame: "np.ndarray") -> None:
        self._writer.write(frame)

    def close(self, flush: bool) -> None:
        self._writer.release()


def _open_h264(path: Path, fps: float, size: tuple[int, int], full_chroma: bool) -> _Encoder:
    try:
        import av
    except ImportError as exc:
        raise _NoH264("PyAV is not installed") from exc
    if CODEC not in av.codecs_available:
        raise _NoH264(f"this PyAV has no {CODEC} encoder")
    from fractions import Fraction

    container = av.open(str(path), mode="w", format="mp4")
    try:
        stream: Any = container.add_stream(CODEC, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = size
        # 4:2:0 also needs even sizes; an odd-sized clip keeps every pixel in 4:4:4 instead.
        even = size[0] % 2 == 0 and size[1] % 2 == 0
        stream.pix_fmt = "yuv420p" if even and not full_chroma else "yuv444p"
        stream.options = {"crf": str(CRF), "preset": PRESET, "tune": TUNE}
        # A keyframe a second (x264 would put one every 250 frames): the player seeks by
        # decoding from the keyframe before, so a jump costs at most a second of frames.
        stream.codec_context.gop_size = max(1, round(fps))
    except Exception:
        container.close()
        raise
    return _PyAvEncoder(container, stream)


def _open_mp4v(path: Path, fps: float, size: tuple[int, int]) -> _Encoder | None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*FOURCC), float(fps), size)
    if not writer.isOpened():
        writer.release()
        return None
    return _OpenCvEncoder(writer)


def _cannot_write(dest: Path, size: tuple[int, int], exc: OSError | None = None) -> Wan22Error:
    reason = f" ({exc.strerror or exc})" if exc is not None else ""
    return Wan22Error(
        f"Cannot write video {dest.name} ({size[0]}×{size[1]}){reason}.",
        f"Check that {dest.parent} exists, is writable and has free space.",
    )


def unique_path(folder: Path, stem: str, suffix: str = ".mp4") -> Path:
    """`folder/stem.mp4`, or `stem_2.mp4`, `stem_3.mp4`... so nothing is overwritten."""
    candidate = Path(folder) / f"{stem}{suffix}"
    counter = 2
    while candidate.exists():
        candidate = Path(folder) / f"{stem}_{counter}{suffix}"
        counter += 1
    return candidate
