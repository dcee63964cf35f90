"""The series the graph draws, and the one-line readout of all of them at one moment.

The readout doubles as the legend: each value is written in its curve's colour.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Mapping

GIB = 1024**3


@dataclass(frozen=True)
class SeriesStyle:
    """How one sampler column is drawn. Pens are solid and 1 px: wider or dashed pens made a
    repaint of an hour of data several times slower (bench/bench_telemetry.py)."""

    key: str  # sampler column
    plot: str  # "memory" (GiB), "util" (% and °C) or "power" (W)
    name: str
    color: str
    scale: float = 1.0  # plotted value = raw * scale
    percent_of: str | None = None  # plotted value = 100 * raw / this column


SERIES: tuple[SeriesStyle, ...] = (
    SeriesStyle("vram_used", "memory", "VRAM used", "#1565c0", scale=1 / GIB),
    SeriesStyle("proc_vram", "memory", "ComfyUI", "#7b1fa2", scale=1 / GIB),
    SeriesStyle("ram_used", "util", "System RAM", "#9e9e9e", percent_of="ram_total"),
    SeriesStyle("gpu_util", "util", "GPU util", "#2e7d32"),
    SeriesStyle("mem_util", "util", "Mem-ctrl util", "#ef6c00"),
    SeriesStyle("power_w", "power", "Power", "#d84315"),
    SeriesStyle("temp_c", "util", "Temp", "#8d6e63"),
)
STYLE = {s.key: s for s in SERIES}


def clock_text(t: float, *, tenths: bool = True) -> str:
    """Local wall-clock time of a sample, e.g. 14:03:22.4."""
    text = time.strftime("%H:%M:%S", time.localtime(t))
    return f"{text}.{int((t % 1) * 10)}" if tenths else text


def format_readout(row: Mapping[str, float], phase: str | None = None, *, html: bool = True) -> str:
    """All series at one sample, e.g. "14:03:22.4 VRAM used 23.41/24.00 GiB  GPU util 98% ..."."""

    def num(key: str, fmt: str, scale: float = 1.0) -> str:
        value = row.get(key, math.nan)
        return "n/a" if value is None or not math.isfinite(value) else fmt.format(value * scale)

    def colored(key: str, text: str) -> str:
        style = STYLE.get(key)
        if not html or style is None:
            return text
        return f'<span style="color:{style.color}">■</span>&nbsp;{text}'

    def pair(label: str, key: str, of: str, fmt: str, of_fmt: str, unit: str, scale: float) -> str:
        if num(key, fmt, scale) == "n/a":
            return f"{label}n/a"
        total = num(of, of_fmt, scale)
        return f"{label}{num(key, fmt, scale)}" + (f"/{total}" if total != "n/a" else "") + unit

    parts = [
        clock_text(row["t"]) if math.isfinite(row.get("t", math.nan)) else "--:--:--",
        colored("vram_used", pair("VRAM ", "vram_used", "vram_total", "{:.2f}", "{:.1f}", " GiB",
                                  1 / GIB)),
        colored("proc_vram", "ComfyUI " + _unit(num("proc_vram", "{:.2f}", 1 / GIB), " GiB")),
        colored("ram_used", pair("RAM ", "ram_used", "ram_total", "{:.1f}", "{:.0f}", " GiB",
                                 1 / GIB)),
        colored("gpu_util", "GPU " + _unit(num("gpu_util", "{:.0f}"), "%")),
        colored("mem_util", "mem-ctrl " + _unit(num("mem_util", "{:.0f}"), "%")),
        colored("power_w", pair("", "power_w", "power_limit_w", "{:.0f}", "{:.0f}", " W", 1.0)
                .replace("n/a", "power n/a")),
        colored("temp_c", _unit(num("temp_c", "{:.0f}"), " °C").replace("n/a", "temp n/a")),
        "SM " + _unit(num("sm_clock_mhz", "{:.0f}"), " MHz"),
        f"PCIe ↓{num('pcie_rx', '{:.2f}', 1e-9)} ↑{num('pcie_tx', '{:.2f}', 1e-9)} GB/s"
        if num("pcie_rx", "{}") != "n/a" else "PCIe n/a",
    ]
    if phase:
        parts.append(f"<b>{phase}</b>" if html else phase)
    return ("&nbsp;&nbsp;" if html else "  ").join(parts)


def _unit(text: str, unit: str) -> str:
    return text if text == "n/a" else text + unit
