"""Turning a benchmark folder's results into `results.csv`, posters and `report.html`.

Works on any folder with a `results.jsonl` (also one that is still being filled, or cancelled),
so `wan22 bench --report-only DIR` can rebuild the report after the fact.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from wan22_gui.core.bench.csv_out import CSV_FILE, column_doc, write_csv
from wan22_gui.core.bench.matrix import expand
from wan22_gui.core.bench.maxframes_results import load_results
from wan22_gui.core.bench.recommend import recommend
from wan22_gui.core.bench.reference import compare
from wan22_gui.core.bench.report import ReportData, render_report
from wan22_gui.core.bench.results import ResultStore, latest_by_key
from wan22_gui.core.bench.results import ENV_FILE
from wan22_gui.core.bench.spec import BenchSpec
from wan22_gui.core.bench.stats import CellSummary, summarize, summarize_warmups
from wan22_gui.core.bench.thumbs import write_poster
from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.redact import redact

log = logging.getLogger("wan22.bench")

REPORT_FILE = "report.html"
THUMB_DIR = "thumbs"


def write_outputs(out_dir: Path, spec: BenchSpec | None = None) -> tuple[Path, Path]:
    """Write the CSV and the HTML report of `out_dir`; returns their paths."""
    out_dir = Path(out_dir)
    store = ResultStore(out_dir)
    records = store.load()
    if not records:
        raise InputError(f"No benchmark results in {out_dir}.",
                         "Run a benchmark into this folder first.")
    runs = sorted(latest_by_key(records).values(), key=lambda r: (r.started_at, r.run_key))
    csv_path = write_csv(runs, out_dir / CSV_FILE)
    cells = summarize(runs, expand(spec) if spec else ())
    env = read_environment(out_dir)
    gpu_name, vram_total = gpu_from_environment(env)
    searches = load_results(out_dir)
    data = ReportData(
        title=spec.name if spec else out_dir.name,
        description=spec.description if spec else "",
        cells=cells, records=runs, environment=env,
        comparisons=compare(cells, gpu_name),
        recommendations=recommend(cells, searches, gpu_name, vram_total),
        searches=searches, csv_columns=column_doc(), csv_name=CSV_FILE, gpu_name=gpu_name,
        posters=_posters(out_dir, cells), generated_at=time.time(),
        warmups=summarize_warmups(runs),
    )
    report_path = out_dir / REPORT_FILE
    tmp = report_path.with_suffix(".html.tmp")
    tmp.write_text(redact(render_report(data)), encoding="utf-8")  # reports get shared
    tmp.replace(report_path)
    return csv_path, report_path


def read_environment(out_dir: Path) -> dict[str, Any]:
    path = Path(out_dir) / ENV_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("environment snapshot %s unreadable: %s", path, exc)
        return {"problem": f"{ENV_FILE} could not be read: {exc}"}
    return data if isinstance(data, dict) else {}


def gpu_from_environment(env: Any) -> tuple[str, float | None]:
    """(GPU name, VRAM bytes) from the first device-like entry (name + vram_total) found."""
    if isinstance(env, dict):
        if isinstance(env.get("name"), str) and isinstance(env.get("vram_total"), (int, float)):
            return _clean_device_name(env["name"]), float(env["vram_total"])
        items = list(env.values())
    elif isinstance(env, list):
        items = env
    else:
        return "", None
    for item in items:
        name, total = gpu_from_environment(item)
        if name:
            return name, total
    return "", None


def _clean_device_name(name: str) -> str:
    # ComfyUI's /system_stats names devices "cuda:0 NVIDIA GeForce RTX 5090 : cudaMallocAsync".
    name = name.split(" : ")[0]
    return name.split(" ", 1)[1] if name.startswith("cuda:") and " " in name else name


def _posters(out_dir: Path, cells: list[CellSummary]) -> dict[str, str]:
    posters = {}
    for cell in cells:
        if not cell.clip:
            continue
        clip = out_dir / cell.clip
        if not clip.is_file():
            continue
        rel = f"{THUMB_DIR}/{cell.cell_id}.jpg"
        dest = out_dir / rel
        fresh = dest.exists() and dest.stat().st_mtime >= clip.stat().st_mtime
        if fresh or write_poster(clip, dest):
            posters[cell.cell_id] = rel
    return posters
