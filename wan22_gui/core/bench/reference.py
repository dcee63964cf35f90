"""The seed project's reference figures, and how a benchmark's cells compare with them.

The seed recorded a few manual measurements on an RTX 5090 and set targets for 5 s and 10 s clips
(seed status report, "User's Manual Benchmarks" and "Performance Targets"). They come with no
spread and partly unknown settings, so the report treats them as orientation, not as truth. The
per-pass figure names no frame count; its targets are for 5 s clips, so it is read as 81 frames.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from wan22_gui.core.bench.stats import CellSummary


@dataclass(frozen=True)
class ReferenceFigure:
    """One figure from the seed. `low` None means "at most `high`" (a ceiling target).

    Attributes:
        kind: "measured" (the seed author's manual run) or "target" (what the seed aimed for).
        measure: "per_pass" (seconds per sampling pass) or "total" (seconds per clip).
        width, height, frames, lora: what a cell must match; None matches anything.
    """

    label: str
    gpu: str
    kind: str
    measure: str
    low: float | None
    high: float
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    lora: bool | None = None

    def range_text(self) -> str:
        if self.low is None:
            return f"< {self.high:g} s"
        if self.low == self.high:
            return f"{self.high:g} s"
        return f"{self.low:g}–{self.high:g} s"

    def matches(self, cell: CellSummary) -> bool:
        wanted = {"width": self.width, "height": self.height, "frames": self.frames}
        if any(v is not None and getattr(cell, k) != v for k, v in wanted.items()):
            return False
        return self.lora is None or bool(cell.settings.get("lora")) == self.lora

    def conditions(self) -> str:
        parts = []
        if self.width and self.height:
            parts.append(f"{self.width}×{self.height}")
        if self.frames:
            parts.append(f"{self.frames} frames")
        if self.lora is not None:
            parts.append("4-step LoRA" if self.lora else "no LoRA")
        return ", ".join(parts) or "any cell"


SEED_FIGURES: tuple[ReferenceFigure, ...] = (
    ReferenceFigure("Manual run, 4-step LoRA, per pass (frame count not recorded; read as 81)",
                    "RTX 5090", "measured", "per_pass", 67, 83, 832, 1216, 81, True),
    ReferenceFigure("Manual run, no LoRA, 49 frames (3 s)", "RTX 5090", "measured", "total",
                    595, 595, 832, 1216, 49, False),
    ReferenceFigure("Manual run, 640×640, 81 frames (first 306 s, second 296 s)", "RTX 5090",
                    "measured", "total", 296, 306, 640, 640, 81, None),
    ReferenceFigure("Target: 5 s clip (81 frames), two passes of 67–80 s", "RTX 5090", "target",
                    "total", 134, 160, 832, 1216, 81, True),
    ReferenceFigure("Target: 10 s clip (161 frames), two passes", "RTX 5090", "target", "total",
                    None, 300, 832, 1216, 161, True),
    ReferenceFigure("Target: 5 s clip (81 frames), two passes of 80–100 s", "RTX 4090", "target",
                    "total", 160, 200, 832, 1216, 81, True),
)


@dataclass(frozen=True)
class Comparison:
    """One reference figure against one configuration: the median over its matching cells
    (one per image). `config` None: no cell matched."""

    figure: ReferenceFigure
    config: str | None
    cells: int
    value: float | None
    verdict: str
    same_gpu: bool

    @property
    def ratio(self) -> float | None:
        """Our value divided by the middle of the reference range (< 1: we are faster)."""
        if self.value is None:
            return None
        low = self.figure.low if self.figure.low is not None else self.figure.high
        return self.value / ((low + self.figure.high) / 2)


def _value(figure: ReferenceFigure, cell: CellSummary) -> float | None:
    if figure.measure == "per_pass":
        return cell.pass_s
    return cell.total.median if cell.total else None


def verdict(figure: ReferenceFigure, value: float) -> str:
    if figure.low is None:
        return "meets the target" if value <= figure.high else "misses the target"
    if value < figure.low:
        return "faster than the reference"
    if value > figure.high:
        return "slower than the reference"
    return "within the reference range"


def compare(cells: list[CellSummary], gpu_name: str = "") -> list[Comparison]:
    """Every seed figure against every configuration with matching cells (or one empty row)."""
    rows = []
    for figure in SEED_FIGURES:
        same_gpu = bool(gpu_name) and figure.gpu.lower().replace(" ", "") in (
            gpu_name.lower().replace(" ", ""))
        by_config: dict[str, list[float]] = {}
        for cell in cells:
            value = _value(figure, cell) if figure.matches(cell) else None
            if value is not None:
                by_config.setdefault(cell.config, []).append(value)
        if not by_config:
            rows.append(Comparison(figure, None, 0, None, "no matching cell", same_gpu))
        for config, values in by_config.items():
            value = statistics.median(values)
            rows.append(Comparison(figure, config, len(values), value, verdict(figure, value),
                                   same_gpu))
    return rows
