"""Draw a run recorded by `bench/real_gpu_run.py` in the app's live graph, offscreen, as a PNG.

    python bench/show_recorded_run.py real_run.json graph.png [--width 1400 --height 460]

The samples and phase events are fed to the same `TelemetryGraph` widget the app shows, so the
picture is what a user would have seen live at the end of that job. It also prints the job's
per-phase timings and metrics.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class RecordedSource:
    """Looks like a GpuSampler to the graph: `ring.columns`, `ring.capacity`, `snapshot()`."""

    def __init__(self, samples: dict[str, list[float]]) -> None:
        self.columns = {k: np.asarray(v, dtype=np.float64) for k, v in samples.items()}
        self.ring = SimpleNamespace(columns=tuple(self.columns), capacity=len(self.columns["t"]))

    def snapshot(self, since_t: float | None = None) -> dict[str, np.ndarray]:
        keep = self.columns["t"] > since_t if since_t is not None else slice(None)
        return {k: v[keep] for k, v in self.columns.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("record", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=460)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    record = json.loads(args.record.read_text(encoding="utf-8"))

    from PySide6.QtWidgets import QApplication

    from wan22_gui.gui.telemetry.graph import TelemetryGraph

    app = QApplication.instance() or QApplication([])
    graph = TelemetryGraph(RecordedSource(record["samples"]))
    graph.resize(args.width, args.height)
    graph.refresh()
    for event in record.get("phases", []):
        graph.add_phase_event(SimpleNamespace(**event))
    graph.set_show_power(True)
    graph.set_window("job")
    graph.show()
    for _ in range(3):
        graph.refresh()
        app.processEvents()
    graph.grab().save(str(args.png))
    result = record.get("result", {})
    print(f"preset {record.get('preset')}; ready after {record.get('launch_seconds', 0):.1f} s")
    print("timings:", json.dumps(result.get("timings", {})))
    print("metrics:", json.dumps((record.get("job") or {}).get("metrics", {}), default=str))
    print(f"wrote {args.png}")
    graph.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
