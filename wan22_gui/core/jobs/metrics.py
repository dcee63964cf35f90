"""Per-job figures from the sampler's series and the job's phase events.

The job runner calls `job_metrics` when a job ends and stores the result in
`JobRecord.metrics`; the job details view shows it with `summary_lines`. Every value is plain
JSON (floats, ints, None; never NaN), so it survives the history database unchanged.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from wan22_gui.core.jobs.phases import PHASES, phase_title

GIB = 1024**3


def job_metrics(
    samples: Mapping[str, np.ndarray],
    t0: float,
    t1: float,
    phases: Iterable[Any] = (),
) -> dict[str, Any]:
    """Summarize one job.

    Args:
        samples: `GpuSampler.snapshot()` (may cover more than the job; only [t0, t1] is used).
        t0, t1: the job's start and end, wall clock seconds.
        phases: the job's `PhaseEvent`s (objects or dicts with phase, state, t); "mark" events
            are ignored here.

    Returns:
        peak_vram_bytes, peak_process_vram_bytes, mean_gpu_util (percent), energy_wh,
        peak_temp_c, peak_power_w, peak_ram_bytes, sample_count, duration_s,
        phase_seconds {phase: seconds}, phase_peak_vram_bytes {phase: bytes}. A value the GPU
        did not report is None.
    """
    t = np.asarray(samples.get("t", ()), dtype=np.float64)
    inside = (t >= t0) & (t <= t1)

    def column(name: str) -> np.ndarray:
        values = samples.get(name)
        if values is None or len(values) != len(t):
            return np.full(int(inside.sum()), np.nan)
        return np.asarray(values, dtype=np.float64)[inside]

    spans = phase_spans(phases, t1)
    times = t[inside]
    return {
        "peak_vram_bytes": _peak(column("vram_used")),
        "peak_process_vram_bytes": _peak(column("proc_vram")),
        "mean_gpu_util": _mean(column("gpu_util")),
        "energy_wh": _energy_wh(times, column("power_w")),
        "peak_temp_c": _peak(column("temp_c")),
        "peak_power_w": _peak(column("power_w")),
        "peak_ram_bytes": _peak(column("ram_used")),
        "sample_count": int(times.size),
        "duration_s": round(max(0.0, t1 - t0), 3),
        "phase_seconds": phase_seconds(spans),
        "phase_peak_vram_bytes": _phase_peaks(spans, times, column("vram_used")),
    }


def phase_spans(phases: Iterable[Any], t_end: float) -> list[tuple[str, float, float]]:
    """Pair start/end events into (phase, start, end) spans, in start order.

    A phase that started but never ended (the job failed inside it) ends at `t_end`; an end
    without a start is ignored.
    """
    open_at: dict[str, float] = {}
    spans: list[tuple[str, float, float]] = []
    for event in sorted(phases, key=lambda e: _field(e, "t")):
        phase, state, t = _field(event, "phase"), _field(event, "state"), float(_field(event, "t"))
        if state == "start":
            if phase in open_at:  # started again without an end: close the first one here
                spans.append((phase, open_at.pop(phase), t))
            open_at[phase] = t
        elif state == "end" and phase in open_at:
            spans.append((phase, open_at.pop(phase), t))
    spans.extend((phase, start, max(start, t_end)) for phase, start in open_at.items())
    return sorted(spans, key=lambda span: span[1])


def phase_seconds(spans: Iterable[tuple[str, float, float]]) -> dict[str, float]:
    """Total seconds per phase (a phase entered twice, like two model loads, is summed)."""
    totals: dict[str, float] = {}
    for phase, start, end in spans:
        totals[phase] = totals.get(phase, 0.0) + max(0.0, end - start)
    return {phase: round(seconds, 3) for phase, seconds in _in_phase_order(totals)}


def summary_lines(metrics: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) rows for a job's details view; missing values read "not measured"."""

    def gib(key: str) -> str:
        value = metrics.get(key)
        return f"{value / GIB:.2f} GiB" if value is not None else "not measured"

    def number(key: str, unit: str, digits: int = 0) -> str:
        value = metrics.get(key)
        return f"{value:.{digits}f} {unit}" if value is not None else "not measured"

    rows = [
        ("Peak VRAM (GPU)", gib("peak_vram_bytes")),
        ("Peak VRAM (ComfyUI)", gib("peak_process_vram_bytes")),
        ("Mean GPU utilisation", number("mean_gpu_util", "%")),
        ("Energy", number("energy_wh", "Wh", 2)),
        ("Peak temperature", number("peak_temp_c", "°C")),
    ]
    for phase, seconds in (metrics.get("phase_seconds") or {}).items():
        rows.append((phase_title(phase), f"{seconds:.1f} s"))
    if metrics.get("from_cache"):  # a re-run ComfyUI answered from its cache
        origin = metrics.get("cached_from")
        rows.append(("Result", f"reused from ComfyUI's cache (made by job {origin})" if origin
                     else "reused from ComfyUI's cache; no work was done this time"))
    return rows


def _field(event: Any, name: str) -> Any:
    return event[name] if isinstance(event, Mapping) else getattr(event, name)


def _in_phase_order(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    order = {phase: i for i, phase in enumerate(PHASES)}
    return sorted(values.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def _peak(values: np.ndarray) -> float | None:
    finite = _finite(values)
    return float(finite.max()) if finite.size else None


def _mean(values: np.ndarray) -> float | None:
    finite = _finite(values)
    return round(float(finite.mean()), 2) if finite.size else None


def _energy_wh(times: np.ndarray, power_w: np.ndarray) -> float | None:
    """Trapezoid integral of power over time; intervals with a missing end are not counted."""
    if times.size < 2:
        return None
    dt = np.diff(times)
    mid = (power_w[1:] + power_w[:-1]) / 2.0
    known = np.isfinite(mid) & (dt > 0)
    if not known.any():
        return None
    return round(float(np.sum(mid[known] * dt[known])) / 3600.0, 4)


def _phase_peaks(
    spans: list[tuple[str, float, float]], times: np.ndarray, vram: np.ndarray
) -> dict[str, float]:
    """Peak VRAM per phase: what the calculator needs to warn before a decode runs out."""
    peaks: dict[str, float] = {}
    for phase, start, end in spans:
        value = _peak(vram[(times >= start) & (times <= end)])
        if value is not None:
            peaks[phase] = max(value, peaks.get(phase, value))
    return dict(_in_phase_order(peaks))
