"""Recommendations drawn from a benchmark's own data: the fastest configuration per frame count,
the largest frame count that ran safely, the VRAM headroom left, and the GPU tier they apply to."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Iterable

from wan22_gui.core.bench.maxframes_results import MaxFramesResult
from wan22_gui.core.bench.stats import CellSummary

GIB = 1024**3
TIGHT_HEADROOM = 1.5 * GIB  # less free VRAM than this at peak: the next driver update may OOM
# (minimum VRAM in GiB, tier name) from the largest down
TIERS = ((120, "141 GB data-centre class (H200)"),
         (70, "80 GB data-centre class (A100 80 GB, H100)"), (40, "48 GB class"),
         (30, "32 GB class (RTX 5090)"), (22, "24 GB class (RTX 4090, RTX 3090)"),
         (14, "16 GB class"), (0, "below 16 GB"))


@dataclass(frozen=True)
class Recommendation:
    """One line of advice. `topic`: tier, fastest, largest, headroom or search."""

    topic: str
    text: str


def gpu_tier(vram_total_bytes: float | None) -> str | None:
    if not vram_total_bytes:
        return None
    gib = vram_total_bytes / GIB
    return next(name for floor, name in TIERS if gib >= floor)


def recommend(cells: list[CellSummary], searches: Iterable[MaxFramesResult] = (),
              gpu_name: str = "", vram_total: float | None = None) -> list[Recommendation]:
    """Advice in the order the report shows it."""
    advice = []
    tier = gpu_tier(_vram_total(cells) or vram_total)  # NVML's own reading first
    if tier:
        on = f"; measured on {gpu_name}" if gpu_name else ""
        advice.append(Recommendation("tier", f"These findings hold for GPUs of the {tier}{on}. "
                                     "Other tiers need their own run."))
    advice += _fastest(cells)
    advice += _largest(cells)
    advice += [Recommendation("search", r.summary() + ".") for r in searches]
    return advice


def _vram_total(cells: list[CellSummary]) -> float | None:
    totals = [c.vram_total for c in cells if c.vram_total]
    return max(totals) if totals else None


def _by(cells: Iterable[CellSummary], *keys: str) -> dict[tuple, list[CellSummary]]:
    groups: dict[tuple, list[CellSummary]] = {}
    for cell in cells:
        groups.setdefault(tuple(getattr(cell, k) for k in keys), []).append(cell)
    return groups


def _fastest(cells: list[CellSummary]) -> list[Recommendation]:
    advice = []
    for (width, height, frames), group in _by(cells, "width", "height", "frames").items():
        times: dict[str, float] = {}
        failed = []
        for config, runs in _by(group, "config").items():
            if all(c.state == "ok" for c in runs):
                times[config[0]] = statistics.median(c.total.median for c in runs if c.total)
            elif any(c.measured_runs for c in runs):
                failed.append(config[0])
        where = f"{width}×{height}, {frames} frames"
        if not times:
            if failed:
                advice.append(Recommendation(
                    "fastest", f"{where}: no configuration completed every run "
                    f"(failed: {', '.join(failed)})."))
            continue
        ranked = sorted(times.items(), key=lambda item: item[1])
        best, best_s = ranked[0]
        text = f"{where}: use «{best}» (median {best_s:.0f} s)"
        if len(ranked) > 1:
            second, second_s = ranked[1]
            text += f", {second_s / best_s:.2f}× faster than «{second}» ({second_s:.0f} s)"
        if failed:
            text += f"; {', '.join(failed)} did not complete every run"
        advice.append(Recommendation("fastest", text + "."))
    return advice


def _largest(cells: list[CellSummary]) -> list[Recommendation]:
    advice = []
    for (config, width, height), group in _by(cells, "config", "width", "height").items():
        frames = sorted({c.frames for c in group})
        ok = [n for n in frames if all(c.state == "ok" for c in group if c.frames == n)]
        oom = [n for n in frames if any(c.state == "oom" for c in group if c.frames == n)]
        tried = [n for n in frames if any(c.measured_runs for c in group if c.frames == n)]
        if not tried:
            continue
        where = f"«{config}» at {width}×{height}"
        if not ok:
            advice.append(Recommendation("largest", f"{where}: no frame count ran safely."))
            continue
        safe = max(ok)
        text = f"{where}: largest safe frame count in this matrix is {safe}"
        above = [n for n in oom if n > safe]
        if above:
            text += f"; {min(above)} frames ran out of memory"
        advice.append(Recommendation("largest", text + "."))
        advice += _headroom(where, [c for c in group if c.frames == safe], safe)
    return advice


def _headroom(where: str, cells: list[CellSummary], frames: int) -> list[Recommendation]:
    peaks = [c.peak_vram.maximum for c in cells if c.peak_vram]
    total = _vram_total(cells)
    if not peaks or not total:
        return []
    free = total - max(peaks)
    text = (f"{where}, {frames} frames: peak VRAM {max(peaks) / GIB:.1f} of {total / GIB:.1f} GiB, "
            f"{free / GIB:.1f} GiB to spare")
    if free < TIGHT_HEADROOM:
        text += " — tight: keep a frame count below this one for daily use"
    return [Recommendation("headroom", text + ".")]
