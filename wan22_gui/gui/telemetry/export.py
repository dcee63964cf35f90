"""Export of the graph's visible range: CSV with every series, PNG of the plots."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Mapping

import numpy as np
from PySide6.QtWidgets import QWidget

from wan22_gui.gui.telemetry.phase_track import PhaseTrack

# (sampler column, CSV header with its unit)
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("t", "unix_time_s"),
    ("vram_used", "vram_used_bytes"),
    ("vram_total", "vram_total_bytes"),
    ("proc_vram", "comfyui_vram_bytes"),
    ("gpu_util", "gpu_util_pct"),
    ("mem_util", "mem_ctrl_util_pct"),
    ("temp_c", "temp_c"),
    ("power_w", "power_w"),
    ("power_limit_w", "power_limit_w"),
    ("sm_clock_mhz", "sm_clock_mhz"),
    ("pcie_rx", "pcie_rx_bytes_per_s"),
    ("pcie_tx", "pcie_tx_bytes_per_s"),
    ("ram_used", "ram_used_bytes"),
    ("ram_total", "ram_total_bytes"),
)


def write_csv(path: Path, rows: Mapping[str, np.ndarray], phases: PhaseTrack | None = None) -> str:
    """Write one line per sample (missing values empty) plus the phase running at that moment.

    Returns a short description ("1,234 samples") for the panel's message line.
    Raises OSError when the file cannot be written.
    """
    times = rows.get("t", np.array([]))
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["local_time"] + [h for _k, h in CSV_COLUMNS] + ["phase", "job_id"])
        columns = [rows.get(key, np.full(len(times), np.nan)) for key, _h in CSV_COLUMNS]
        phase, job = _phase_columns(times, phases)
        for i, t in enumerate(times):
            writer.writerow(
                [_iso(float(t))] + [_cell(column[i]) for column in columns] + [phase[i], job[i]]
            )
    tmp.replace(path)  # never leave half a file under the chosen name
    return f"{len(times):,} samples"


def write_png(widget: QWidget, path: Path) -> str:
    """Save what `widget` shows; raises OSError when the image cannot be written."""
    pixmap = widget.grab()
    if not pixmap.save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return f"a {pixmap.width()}×{pixmap.height()} image"


def _phase_columns(times: np.ndarray, phases: PhaseTrack | None) -> tuple[np.ndarray, np.ndarray]:
    """The phase (and job) running at each sample; later-started spans win where they nest."""
    phase = np.full(len(times), "", dtype=object)
    job = np.full(len(times), "", dtype=object)
    for span in sorted(phases.spans if phases else [], key=lambda s: s.start):
        end = span.end if span.end is not None else np.inf
        inside = (times >= span.start) & (times <= end)
        phase[inside] = span.phase
        job[inside] = span.job_id
    return phase, job


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t)) + f".{int((t % 1) * 1000):03d}"


def _cell(value: float) -> str:
    value = float(value)
    if not math.isfinite(value):
        return ""
    return str(int(value)) if value.is_integer() else f"{value:.3f}"
