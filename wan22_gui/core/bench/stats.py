"""Statistics per cell (median and spread of measured runs) and the benchmark's ETA.

Warm-up runs never enter the timing statistics; they only supply the model-load time, which is
what a warm-up mostly measures.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from wan22_gui.core.bench.matrix import Cell
from wan22_gui.core.bench.results import RunRecord, latest_by_key

PASS_PHASES = ("high_noise", "low_noise")
# Phases shown in the per-pass bars, in pipeline order (CONTRACTS §5).
BAR_PHASES = ("upload", "queued", "text_encode", "model_load", "high_noise", "low_noise",
              "vae_decode", "save", "interpolate", "download")


@dataclass(frozen=True)
class Spread:
    """Median and spread of a sample (n ≥ 1)."""

    n: int
    median: float
    mean: float
    stdev: float
    minimum: float
    maximum: float
    q1: float
    q3: float

    @property
    def cv(self) -> float:
        """Coefficient of variation (stdev / mean); 0 for one value."""
        return self.stdev / self.mean if self.mean else 0.0


def describe(values: Iterable[float | None]) -> Spread | None:
    """Median, mean, sample stdev, min/max and quartiles; None when there are no values."""
    data = sorted(float(v) for v in values if v is not None)
    if not data:
        return None
    if len(data) == 1:
        v = data[0]
        return Spread(1, v, v, 0.0, v, v, v, v)
    q1, _, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return Spread(len(data), statistics.median(data), statistics.fmean(data),
                  statistics.stdev(data), data[0], data[-1], q1, q3)


@dataclass
class CellSummary:
    """What the report's summary table shows for one cell."""

    cell_id: str
    config: str
    settings: dict[str, Any]
    image: str
    width: int
    height: int
    frames: int
    fps: int
    counts: dict[str, int] = field(default_factory=dict)  # status -> measured runs
    total: Spread | None = None
    phases: dict[str, float] = field(default_factory=dict)  # median seconds per phase
    peak_vram: Spread | None = None
    vram_total: float | None = None
    energy_wh: float | None = None
    mean_util: float | None = None
    mean_power_w: float | None = None
    peak_temp_c: float | None = None
    model_load_s: float | None = None
    clip: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok_runs(self) -> int:
        return self.counts.get("succeeded", 0)

    @property
    def measured_runs(self) -> int:
        return sum(self.counts.values())

    @property
    def state(self) -> str:
        """"ok" (every measured run succeeded), "oom", "failed", "partial" or "pending"."""
        if not self.measured_runs:
            return "pending"
        if self.ok_runs == self.measured_runs:
            return "ok"
        if self.counts.get("oom"):
            return "oom"
        return "partial" if self.ok_runs else "failed"

    @property
    def per_frame_s(self) -> float | None:
        return self.total.median / self.frames if self.total else None

    @property
    def pass_s(self) -> float | None:
        """Median seconds per sampling pass (mean of the high- and low-noise passes)."""
        values = [self.phases[p] for p in PASS_PHASES if p in self.phases]
        return sum(values) / len(values) if values else None


def summarize(records: Iterable[RunRecord], order: Sequence[Cell] = ()) -> list[CellSummary]:
    """One summary per cell, in `order` (the spec's cells) first, then any others as recorded."""
    latest = list(latest_by_key(records).values())
    by_cell: dict[str, list[RunRecord]] = {}
    for record in latest:
        by_cell.setdefault(record.cell_id, []).append(record)
    ids = [c.cell_id for c in order if c.cell_id in by_cell]
    ids += [cid for cid in by_cell if cid not in ids]
    return [_summarize_cell(by_cell[cid]) for cid in ids]


def _median(values: Iterable[Any]) -> float | None:
    data = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return statistics.median(data) if data else None


def _summarize_cell(records: list[RunRecord]) -> CellSummary:
    first = records[0]
    summary = CellSummary(first.cell_id, first.config, first.settings, first.image, first.width,
                          first.height, first.frames, first.fps)
    measured = [r for r in records if not r.warmup and r.is_final]
    for record in measured:
        summary.counts[record.status] = summary.counts.get(record.status, 0) + 1
    ok = [r for r in measured if r.ok]
    summary.total = describe(r.total_s for r in ok)
    phase_names = {name for r in ok for name in r.timings}
    phases = {p: _median(r.timings.get(p) for r in ok) for p in phase_names}
    summary.phases = {p: v for p, v in phases.items() if v is not None}
    summary.peak_vram = describe(r.metrics.get("peak_vram_bytes") for r in ok)
    summary.vram_total = _median(r.metrics.get("vram_total_bytes") for r in records)
    summary.energy_wh = _median(r.metrics.get("energy_wh") for r in ok)
    summary.mean_util = _median(r.metrics.get("mean_gpu_util") for r in ok)
    summary.mean_power_w = _median(r.metrics.get("mean_power_w") for r in ok)
    temps = [r.metrics["peak_temp_c"] for r in ok if r.metrics.get("peak_temp_c") is not None]
    summary.peak_temp_c = max(temps) if temps else None
    # measured runs only: near zero when the warm-ups did their job (models stayed loaded)
    summary.model_load_s = _median(r.timings.get("model_load") for r in ok)
    clips = [o for r in ok for o in r.outputs if o.lower().endswith((".mp4", ".webm", ".mov"))]
    summary.clip = clips[0] if clips else None
    summary.errors = list(dict.fromkeys(r.error for r in measured if r.error))
    return summary


@dataclass
class WarmupSummary:
    """The warm-ups of one configuration: what a first run after a (re)start costs."""

    config: str
    runs: int
    total: float | None
    model_load_s: float | None


def summarize_warmups(records: Iterable[RunRecord]) -> list[WarmupSummary]:
    """Per configuration, in the order first seen: count and medians of warm-up runs."""
    groups: dict[str, list[RunRecord]] = {}
    for record in latest_by_key(records).values():
        if record.warmup:
            groups.setdefault(record.config, []).append(record)
    return [WarmupSummary(config, len(runs), _median(r.total_s for r in runs if r.ok),
                          _median(r.timings.get("model_load") for r in runs if r.ok))
            for config, runs in groups.items()]


def format_duration(seconds: float | None) -> str:
    """"1 h 02 min", "4 min 05 s", "12 s"; "?" when unknown."""
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


class EtaEstimator:
    """Guesses how long runs still to come will take from the runs already finished.

    A cell that has run predicts itself; otherwise seconds per (frame × pixel) of the same
    configuration, else of any configuration, scale to the cell's size. None until one run ends.
    """

    def __init__(self) -> None:
        self._cell: dict[str, list[float]] = {}
        self._config: dict[str, list[float]] = {}
        self._all: list[float] = []

    def add(self, record: RunRecord) -> None:
        seconds = record.finished_at - record.started_at
        if seconds <= 0 or record.status not in ("succeeded", "oom", "error"):
            return
        work = max(1, record.frames * record.width * record.height)
        self._cell.setdefault(record.cell_id, []).append(seconds)
        self._config.setdefault(record.config, []).append(seconds / work)
        self._all.append(seconds / work)

    def estimate(self, cell: Cell) -> float | None:
        if cell.cell_id in self._cell:
            return statistics.fmean(self._cell[cell.cell_id])
        rates = self._config.get(cell.config.name) or self._all
        if not rates:
            return None
        return statistics.fmean(rates) * cell.frames * cell.width * cell.height

    def remaining(self, cells: Iterable[Cell]) -> float | None:
        total = 0.0
        for cell in cells:
            guess = self.estimate(cell)
            if guess is None:
                return None
            total += guess
        return total
