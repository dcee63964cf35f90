"""Objective figures for comparing interpolations: how steady each clip is in time, and how
close its frames are to the source's frames where both have one.

Per clip:
- warping error: each frame warped onto the next with the built-in optical flow (`flow.py`),
  mean absolute difference to that next frame (grey levels 0–255). Motion the flow can explain
  costs nothing; ghosting, tearing and popping cost. Lower is steadier.
- flicker: mean absolute change of the mean luminance from frame to frame (grey levels).
  Brightness pumping shows here. Lower is steadier.
- PSNR / SSIM against the source, at the timestamps both clips have a frame (for ×2 the
  interpolated frame 2k is the source's frame k): are the kept frames still the source's?
  Higher is closer; the source itself is the reference and has none.

Frames are measured at most `WORK_SIDE` pixels on their longer side (figures of one table are
comparable; a full-size pass would cost seconds per frame on the flow).
"""

from __future__ import annotations

import csv
import json
import math
import threading
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from wan22_gui.core.base.errors import InputError, StorageError, storage_reason
from wan22_gui.core.video.reader import probe, read_frames

if TYPE_CHECKING:
    import numpy as np

WORK_SIDE = 640
PSNR_CAP = 100.0  # dB, for identical frames

# One line per figure, for the compare view's table, the CLI and the export sidecar.
FIGURE_NOTES: dict[str, str] = {
    "warp_error": "Warping error: frame warped onto the next by optical flow vs that frame "
                  "(grey levels; lower = steadier motion, less ghosting).",
    "flicker": "Flicker: mean change of brightness frame to frame (grey levels; lower = steadier).",
    "psnr": "PSNR vs source at the shared timestamps (dB; higher = closer to the source's frames).",
    "ssim": "SSIM vs source at the shared timestamps (0–1; higher = closer structure).",
}
FIGURE_TITLES = {"warp_error": "Warp error", "flicker": "Flicker", "psnr": "PSNR", "ssim": "SSIM"}


@dataclass(frozen=True)
class ClipMetrics:
    """The figures of one clip (None where not measured: PSNR/SSIM of the reference itself,
    or no shared timestamps)."""

    path: str
    title: str
    frames: int
    fps: float
    warp_error: float | None
    flicker: float | None
    psnr: float | None
    ssim: float | None
    compared_frames: int
    reference: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    def cells(self) -> dict[str, str]:
        """The figures as text, as every view shows them."""
        return {
            "warp_error": _fmt(self.warp_error, "{:.2f}"),
            "flicker": _fmt(self.flicker, "{:.3f}"),
            "psnr": "reference" if self.reference else _fmt(self.psnr, "{:.2f} dB"),
            "ssim": "reference" if self.reference else _fmt(self.ssim, "{:.4f}"),
        }

    def caption(self) -> str:
        """One short line for a video label: 'warp 2.31 | flicker 0.120 | PSNR 34.1 dB'."""
        cells = self.cells()
        parts = [f"warp {cells['warp_error']}", f"flicker {cells['flicker']}"]
        if not self.reference and self.psnr is not None:
            parts.append(f"PSNR {cells['psnr']}")
        return " | ".join(parts)


def compare_metrics(
    clips: list[tuple[Path, str]], *, reference: int = 0,
    progress: Callable[[int, int], None] | None = None, cancel: threading.Event | None = None,
) -> list[ClipMetrics]:
    """Figures for each (path, title) in `clips`; clip `reference` is the source the others are
    compared with at the shared timestamps. Blocking (seconds): run it off the GUI thread.

    Raises:
        InputError: a clip is missing or unreadable, or the measuring was cancelled.
    """
    if not clips:
        raise InputError("No clips to measure.", "Give at least one video.")
    if not 0 <= reference < len(clips):
        raise InputError(f"The reference clip number {reference + 1} is not among the "
                         f"{len(clips)} clips.")
    infos = [probe(Path(path)) for path, _title in clips]
    source = infos[reference]
    work = _work_size(source.width, source.height)
    source_frames = list(read_frames(source.path, size=work))
    if not source_frames:
        raise InputError(f"{source.path.name} has no decodable frames.", "Is the file complete?")
    total = sum(i.frame_count for i in infos)
    done = 0
    results = []
    for index, ((_path, title), info) in enumerate(zip(clips, infos)):
        def tick(n: int, before: int = done) -> None:
            if cancel is not None and cancel.is_set():
                raise InputError("Measuring cancelled.")
            if progress is not None:
                progress(min(total, before + n), total)

        frames = source_frames if index == reference else read_frames(info.path, size=work)
        step = None if index == reference else shared_step(source.fps, info.fps)
        results.append(_measure(info, title, frames, source_frames, step, tick,
                                is_reference=index == reference))
        done += info.frame_count
    return results


def shared_step(source_fps: float, clip_fps: float) -> Fraction | None:
    """Clip frames per source frame when their timestamps meet (2 for ×2, 1 for the same rate),
    or None when they never meet regularly (a rate ratio that is no simple fraction)."""
    if source_fps <= 0 or clip_fps <= 0:
        return None
    ratio = Fraction(clip_fps / source_fps).limit_denominator(8)
    if abs(float(ratio) - clip_fps / source_fps) > 1e-3:
        return None
    return ratio


def _measure(info, title: str, frames, source_frames: list, step: Fraction | None,
             tick: Callable[[int], None], *, is_reference: bool) -> ClipMetrics:
    import cv2
    import numpy as np

    from wan22_gui.core.interpolation.flow import FlowWarper

    warper = FlowWarper()
    warp_errors, luma_changes, psnrs, ssims = [], [], [], []
    previous = None
    previous_luma = 0.0
    count = 0
    for i, frame in enumerate(frames):
        if frame.shape[:2] != source_frames[0].shape[:2]:
            frame = cv2.resize(frame, (source_frames[0].shape[1], source_frames[0].shape[0]),
                               interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
        luma = float(grey.mean())
        if previous is not None:
            warped = cv2.cvtColor(warper.warp_onto(previous, frame), cv2.COLOR_BGR2GRAY)
            warp_errors.append(float(np.abs(warped.astype(np.float32) - grey).mean()))
            luma_changes.append(abs(luma - previous_luma))
        if step is not None and not is_reference:
            k = Fraction(i) / step  # the source frame at this clip frame's timestamp
            if k.denominator == 1 and int(k) < len(source_frames):
                psnrs.append(psnr(frame, source_frames[int(k)]))
                ssims.append(ssim(frame, source_frames[int(k)]))
        previous, previous_luma = frame, luma
        count += 1
        tick(count)
    return ClipMetrics(
        path=str(info.path), title=title, frames=count, fps=info.fps,
        warp_error=_mean(warp_errors), flicker=_mean(luma_changes),
        psnr=_mean(psnrs),
        ssim=_mean(ssims), compared_frames=len(psnrs), reference=is_reference)


def psnr(a: "np.ndarray", b: "np.ndarray") -> float:
    """Peak signal-to-noise ratio of two same-size uint8 frames (dB), capped at `PSNR_CAP` for
    identical frames (so a mean stays a number)."""
    import numpy as np

    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return PSNR_CAP if mse == 0 else min(PSNR_CAP, 10 * math.log10(255.0 ** 2 / mse))


def ssim(a: "np.ndarray", b: "np.ndarray") -> float:
    """Structural similarity of the grey images of two frames (Wang et al. 2004, 11×11
    Gaussian window, σ 1.5), averaged over the picture."""
    import cv2
    import numpy as np

    x = cv2.cvtColor(a, cv2.COLOR_BGR2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_BGR2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(img):
        return cv2.GaussianBlur(img, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    value = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(value.mean())


def metrics_table(rows: list[ClipMetrics]) -> str:
    """The figures as a text table with one explanatory line per figure (the CLI's output)."""
    header = ["Clip", *FIGURE_TITLES.values()]
    body = [[f"{i + 1}. {r.title}", *r.cells().values()] for i, r in enumerate(rows)]
    widths = [max(len(line[c]) for line in [header, *body]) for c in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
             for line in [header, *body]]
    lines.append("")
    lines.extend(FIGURE_NOTES.values())
    return "\n".join(lines)


def sidecar_paths(video: Path) -> tuple[Path, Path]:
    """Where the figures of an exported comparison go: `<video>.metrics.json` and `.csv`."""
    return video.with_name(video.stem + ".metrics.json"), video.with_name(video.stem + ".metrics.csv")


def write_sidecar(video: Path, rows: list[ClipMetrics], *, blind_tally: list[dict] | None = None) -> tuple[Path, Path]:
    """Write the figures (and the blind A/B tally, if any) next to an exported video.

    Raises:
        StorageError: the folder cannot be written.
    """
    json_path, csv_path = sidecar_paths(video)
    data = {"video": video.name, "notes": FIGURE_NOTES, "clips": [r.to_dict() for r in rows],
            "blind_ab": blind_tally or []}
    try:
        json_path.write_text(json.dumps(data, indent=2, allow_nan=False, default=str), encoding="utf-8")
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["clip", "path", "frames", "fps", *FIGURE_TITLES, "compared_frames"])
            for r in rows:
                writer.writerow([r.title, r.path, r.frames, f"{r.fps:g}", *_csv_values(r), r.compared_frames])
    except OSError as exc:
        raise StorageError(f"Cannot write the figures next to {video}: {storage_reason(exc)}.",
                           "Export to a folder you can write to.") from None
    return json_path, csv_path


def _csv_values(r: ClipMetrics) -> list[str]:
    return ["" if v is None else f"{v:.6g}" for v in (r.warp_error, r.flicker, r.psnr, r.ssim)]


def _work_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, WORK_SIDE / max(width, height))
    return max(16, round(width * scale)), max(16, round(height * scale))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _fmt(value: float | None, pattern: str) -> str:
    if value is None:
        return "—"
    return pattern.format(value)
