"""The benchmark CSV: one row per run (warm-ups included, flagged), columns documented here.

`COLUMNS` is the single source of the column list and its documentation; the HTML report and
the docs print `column_doc()`.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any, Callable, Iterable

from wan22_gui.core.bench.results import RunRecord
from wan22_gui.core.base.redact import redact

CSV_FILE = "results.csv"
PHASE_COLUMNS = ("upload", "queued", "text_encode", "model_load", "high_noise", "low_noise",
                 "vae_decode", "save", "interpolate", "download")


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds") if t else ""


def _metric(key: str) -> Callable[[RunRecord], Any]:
    return lambda r: r.metrics.get(key, "")


def _bytes(key: str) -> Callable[[RunRecord], Any]:
    def value(r: RunRecord) -> Any:
        raw = r.metrics.get(key)
        return int(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else ""
    return value


def _setting(key: str) -> Callable[[RunRecord], Any]:
    return lambda r: r.settings.get(key, "")


def _per_frame(r: RunRecord) -> Any:
    return round(r.total_s / r.frames, 4) if r.total_s and r.frames else ""


def _phase(name: str) -> Callable[[RunRecord], Any]:
    return lambda r: r.timings.get(name, "")


# (column, meaning, value of a record)
COLUMNS: list[tuple[str, str, Callable[[RunRecord], Any]]] = [
    ("run_key", "Stable id of the run: cell id, then r<repeat> or w<session>-<n> for a warm-up.",
     lambda r: r.run_key),
    ("cell_id", "Stable id of the cell (hash of the image's name and content, size, frames, "
                "settings, prompt, seed); a cell keeps its id when the spec is edited.",
     lambda r: r.cell_id),
    ("config", "Configuration name from the spec.", lambda r: r.config),
    ("preset", "Launch preset (empty: the server as it was).", _setting("preset")),
    ("attention", "Attention backend: default (the preset's), sdpa, sage, flash or sage-node.",
     _setting("attention")),
    ("lora", "Whether the 4-step LoRA was used (true/false).",
     lambda r: str(r.settings.get("lora", "")).lower()),
    ("steps", "Sampling steps in total.", _setting("steps")),
    ("split_step", "Step at which the high-noise model hands over to the low-noise model.",
     _setting("split_step")),
    ("interpolation", "Frame interpolation after generation: none, rife or film.",
     _setting("interpolation")),
    ("multiplier", "Interpolation frame multiplier (1 without interpolation).",
     _setting("multiplier")),
    ("image", "File name of the input image.", lambda r: r.image),
    ("width", "Video width in pixels.", lambda r: r.width),
    ("height", "Video height in pixels.", lambda r: r.height),
    ("frames", "Frames generated (4n+1).", lambda r: r.frames),
    ("fps", "Frame rate of the saved clip.", lambda r: r.fps),
    ("repeat", "Repeat index within the cell (warm-ups count separately).", lambda r: r.repeat),
    ("seed", "Noise seed of the run: the spec's seed + repeat; a warm-up gets a fresh one "
             "(ComfyUI would answer a repeated prompt from its cache).", lambda r: r.seed),
    ("warmup", "1 for a warm-up run (recorded, left out of every statistic), else 0.",
     lambda r: int(r.warmup)),
    ("status", "succeeded, oom, error, crashed (server died), skipped (after an OOM in the "
               "cell), cancelled or not_run (no server; resumed later).", lambda r: r.status),
    ("error", "What went wrong, when something did.", lambda r: r.error),
    ("started_at", "Start of the run, local time (ISO 8601).", lambda r: _iso(r.started_at)),
    ("total_s", "Seconds from upload to the last output downloaded, plus the interpolation "
                "when the configuration has one.",
     lambda r: "" if r.total_s is None else round(r.total_s, 3)),
    *[(f"{p}_s", f"Seconds spent in the {p} phase (empty if the phase did not occur).",
       _phase(p)) for p in PHASE_COLUMNS],
    ("s_per_frame", "total_s divided by frames.", _per_frame),
    ("peak_vram_bytes", "Peak GPU memory in use on the device during the job (NVML), bytes.",
     _bytes("peak_vram_bytes")),
    ("peak_process_vram_bytes", "Peak GPU memory of the ComfyUI process, bytes (when known).",
     _bytes("peak_process_vram_bytes")),
    ("vram_total_bytes", "GPU memory of the device, bytes.", _bytes("vram_total_bytes")),
    ("mean_gpu_util_pct", "Mean GPU utilisation during the job, percent.",
     _metric("mean_gpu_util")),
    ("mean_power_w", "Mean board power during the job, watts.", _metric("mean_power_w")),
    ("peak_power_w", "Highest board power during the job, watts.", _metric("peak_power_w")),
    ("energy_wh", "Energy used by the GPU during the job, watt-hours.", _metric("energy_wh")),
    ("peak_temp_c", "Highest GPU temperature during the job, °C.", _metric("peak_temp_c")),
    ("output", "First output file, relative to the benchmark folder.",
     lambda r: r.outputs[0] if r.outputs else ""),
    ("server_url", "ComfyUI server that ran the job.", lambda r: r.server_url),
    ("job_id", "Job id in the app's history.", lambda r: r.job_id),
    ("prompt_id", "ComfyUI prompt id.", lambda r: r.prompt_id),
]


def _cell(value: Any) -> Any:
    # A text cell starting with = + or @ would run as a formula in a spreadsheet.
    if isinstance(value, str):
        value = redact(value)  # an error text may quote a proxy's token
        return "'" + value if value[:1] in ("=", "+", "@") else value
    return value


def column_names() -> list[str]:
    return [name for name, _, _ in COLUMNS]


def column_doc() -> list[tuple[str, str]]:
    """(column, meaning) pairs, in CSV order."""
    return [(name, doc) for name, doc, _ in COLUMNS]


def write_csv(records: Iterable[RunRecord], path: Path) -> Path:
    """Write one row per record (in the order given); returns the path."""
    path = Path(path)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(column_names())
        for record in records:
            writer.writerow([_cell(getter(record)) for _, _, getter in COLUMNS])
    tmp.replace(path)
    return path
