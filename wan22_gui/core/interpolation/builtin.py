"""The built-in interpolation engine: no ComfyUI, no model, any machine.

The clip is decoded once into a memory-mapped scratch file; worker processes (started with
`spawn`: with `fork` they deadlocked once OpenCV had run in the parent) read pairs from it and
write their in-between frames into a second one; the parent encodes the result in order while
later chunks are still being computed. A clip of N frames at f fps becomes (N-1)·m+1 frames at
f·m fps, so its duration is unchanged and every source frame is kept.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from wan22_gui.core.base.errors import InputError, Wan22Error
from wan22_gui.core.video.reader import VideoInfo, probe, read_frames
from wan22_gui.core.video.writer import ClipWriter

log = logging.getLogger("wan22.interpolation")

ENGINE_NAME = "Optical flow"
CHUNK_PAIRS = 4  # pairs per task: small enough to encode early, large enough to amortise pickling
MAX_MULTIPLIER = 8
# below this many pixels to interpolate (pairs × width × height), starting processes costs
# more than it saves (~0.5 s each): e.g. 32 pairs at 416×608 run faster in this process
IN_PROCESS_PIXELS = 10_000_000


class Cancelled(Wan22Error):
    """The user stopped an interpolation; nothing was written."""


@dataclass(frozen=True)
class BuiltinResult:
    """What the built-in engine made.

    Attributes:
        output: the new clip.
        frame_count: frames written, (n-1)·m+1.
        fps: its frame rate, source fps · m.
        seconds: wall time of the whole run (decode, interpolate, encode).
        workers: processes used (0 = in this process).
    """

    output: Path
    frame_count: int
    fps: float
    seconds: float
    workers: int


def default_workers(info: VideoInfo | None = None) -> int:
    """One worker per core, at most 4 (beyond that encoding in the parent is the limit);
    0 (this process) for small clips or a single core."""
    cores = os.cpu_count() or 1
    if cores < 2:
        return 0
    if info is not None and (info.frame_count - 1) * info.width * info.height < IN_PROCESS_PIXELS:
        return 0
    return min(4, cores)


def interpolate_builtin(
    source: Path, dest: Path, multiplier: int = 2, *, workers: int | None = None,
    progress: Callable[[int, int], None] | None = None, cancel: threading.Event | None = None,
    scratch_dir: Path | None = None,
) -> BuiltinResult:
    """Interpolate `source` ×`multiplier` into `dest` (mp4).

    Args:
        source: the clip to interpolate.
        dest: where to write the result (written under a temporary name, renamed when done).
        multiplier: 2, 3 or 4 (up to MAX_MULTIPLIER).
        workers: worker processes; 0 computes in this process; None = `default_workers`.
        progress: called with (pairs done, pairs total) from this thread.
        cancel: set it to stop; raises Cancelled and writes nothing.
        scratch_dir: where the decoded frames are memory-mapped (default: the system temp dir).

    Raises:
        InputError: the source is unreadable, has fewer than 2 frames, or the multiplier is bad.
        Cancelled: `cancel` was set.
    """
    started = time.monotonic()
    if not 2 <= multiplier <= MAX_MULTIPLIER:
        raise InputError(f"Multiplier must be 2–{MAX_MULTIPLIER}, not {multiplier}.")
    info = probe(source)
    workers = default_workers(info) if workers is None else workers
    scratch = Path(tempfile.mkdtemp(prefix="wan22-interp-", dir=scratch_dir))
    try:
        frames = _decode_to_scratch(info, scratch / "source.raw")
        if len(frames) < 2:
            raise InputError(f"{info.path.name} has only {len(frames)} frame; interpolation needs 2.")
        job = _Job(str(scratch / "source.raw"), str(scratch / "between.raw"), frames.shape,
                   multiplier)
        job.create_output()
        with ClipWriter(dest, info.fps * multiplier, (info.width, info.height)) as out:
            _run_chunks(job, frames, out, workers, progress, cancel)
        count = out.frames_written
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.monotonic() - started
    log.info("built-in ×%d of %s: %d frames in %.1f s", multiplier, info.path.name, count, seconds)
    return BuiltinResult(Path(dest), count, info.fps * multiplier, seconds, workers)


@dataclass(frozen=True)
class _Job:
    """What a worker needs to find its frames (picklable: paths and shapes only)."""

    source_path: str
    output_path: str
    shape: tuple[int, int, int, int]  # (frames, height, width, 3)
    multiplier: int

    @property
    def output_shape(self) -> tuple[int, ...]:
        pairs = self.shape[0] - 1
        return (pairs, self.multiplier - 1, *self.shape[1:])

    def create_output(self) -> None:
        import numpy as np

        np.lib.format.open_memmap(self.output_path, mode="w+", dtype=np.uint8, shape=self.output_shape)


def _decode_to_scratch(info: VideoInfo, path: Path):
    """Decode the whole clip into a memory-mapped .npy file (truncated clips: what decodes)."""
    import numpy as np

    shape = (info.frame_count, info.height, info.width, 3)
    frames = np.lib.format.open_memmap(str(path), mode="w+", dtype=np.uint8, shape=shape)
    count = 0
    for count, frame in enumerate(read_frames(info.path, count=info.frame_count), start=1):
        frames[count - 1] = frame
    frames.flush()
    if count < info.frame_count:
        log.warning("%s: %d of %d frames decoded", info.path.name, count, info.frame_count)
    return frames[:count]


def _run_chunks(job, frames, out: ClipWriter, workers: int, progress, cancel) -> None:
    """Compute chunks (in workers or here) and write frames in order as chunks complete."""
    import numpy as np

    pairs = len(frames) - 1
    between = np.load(job.output_path, mmap_mode="r")
    chunks = [(a, min(a + CHUNK_PAIRS, pairs)) for a in range(0, pairs, CHUNK_PAIRS)]
    pool = None
    if workers > 0:
        pool = ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=get_context("spawn"))
    try:
        futures: list[Future] = [pool.submit(compute_chunk, job, a, b) for a, b in chunks] if pool else []
        for index, (a, b) in enumerate(chunks):
            if cancel is not None and cancel.is_set():
                raise Cancelled("Interpolation cancelled; nothing was written.")
            if pool:
                _result(futures[index])
            else:
                compute_chunk(job, a, b)
            for pair in range(a, b):
                out.write(frames[pair])
                for k in range(job.multiplier - 1):
                    out.write(between[pair, k])
            if progress is not None:
                progress(b, pairs)
        out.write(frames[pairs])
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _result(future: Future) -> None:
    try:
        future.result()
    except BrokenProcessPool as exc:
        raise Wan22Error(
            "An interpolation worker process stopped unexpectedly (out of memory?).",
            "Close other programs and try again, or use fewer workers (wan22 interpolate --workers 1).",
        ) from exc


def compute_chunk(job: _Job, first: int, last: int) -> None:
    """Worker entry point: in-betweens of pairs first..last-1, written into the output file."""
    import numpy as np

    from wan22_gui.core.interpolation.flow import FlowInterpolator

    frames = np.load(job.source_path, mmap_mode="r")
    between = np.load(job.output_path, mmap_mode="r+")
    times = [k / job.multiplier for k in range(1, job.multiplier)]
    engine = FlowInterpolator()
    previous = np.ascontiguousarray(frames[first])
    for pair in range(first, last):
        following = np.ascontiguousarray(frames[pair + 1])
        for k, image in enumerate(engine.between(previous, following, times)):
            between[pair, k] = image
        previous = following
    between.flush()
