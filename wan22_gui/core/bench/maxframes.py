"""Max-frames search: the largest frame count (4n+1) that completes without running out of memory.

`bisect_frames` is the pure search over a `probe(frames) -> RunOutcome` callable; `MaxFramesSearch`
runs the probes as real jobs (one cell each) through the benchmark's CellRunner and ServerManager
and writes every probe to `max_frames/<name>.json` in the output folder, where the report finds it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from pathlib import Path
from typing import Callable

from wan22_gui.core.bench.matrix import make_cell_id, image_digest, Cell
# the result types live below the runner, so the report can read them without the search
from wan22_gui.core.bench.maxframes_results import (  # noqa: F401 - re-exported
    MAX_FRAMES_DIR, MaxFramesResult, Probe, load_results,
)
from wan22_gui.core.bench.runner import CellRunner, RunOutcome, RunRequest, ServerManager
from wan22_gui.core.bench.spec import BenchConfig, BenchSpec, check_frames
from wan22_gui.core.base.errors import InputError, Wan22Error

log = logging.getLogger("wan22.bench")

NO_FIT = ("oom", "crashed")  # a crash at a large size is most often host or GPU memory running out


def bisect_frames(probe: Callable[[int], RunOutcome], low: int, high: int, *,
                  result: MaxFramesResult, cancelled: Callable[[], bool] = lambda: False,
                  on_probe: Callable[[Probe], None] = lambda p: None) -> MaxFramesResult:
    """Find the largest 4n+1 frame count in [low, high] that fits, by bisection.

    Probes `low` first (is the setup sound at all?), then `high`, then halves the gap between the
    largest count that fit and the smallest that did not. An OOM or a crash means "does not fit";
    any other error stops the search, since it says nothing about memory.
    """
    lo_n, hi_n = _n(check_frames(low)), _n(check_frames(high))
    if lo_n > hi_n:
        raise InputError(f"The search range {low}–{high} frames is empty.",
                         "Give a lower bound below the upper bound.")

    def attempt(n: int) -> bool | None:
        if cancelled():
            result.stopped = "cancelled"
            return None
        outcome = probe(4 * n + 1)
        entry = Probe(4 * n + 1, outcome.status, outcome.total_s,
                      outcome.metrics.get("peak_vram_bytes"), outcome.error)
        result.probes.append(entry)
        on_probe(entry)
        if entry.fits:
            result.largest_ok = entry.frames
            return True
        if entry.status in NO_FIT:
            result.smallest_fail = entry.frames
            return False
        result.stopped = (f"{entry.frames} frames failed with an error that is not an OOM: "
                          f"{entry.error or entry.status}")
        return None

    first = attempt(lo_n)
    if not first:
        return result
    if lo_n == hi_n:
        return result
    top = attempt(hi_n)
    if top is None or top:
        return result
    good, bad = lo_n, hi_n
    while bad - good > 1:
        mid = (good + bad) // 2
        fits = attempt(mid)
        if fits is None:
            return result
        good, bad = (mid, bad) if fits else (good, mid)
    return result


def _n(frames: int) -> int:
    return (frames - 1) // 4


class MaxFramesSearch:
    """Runs `bisect_frames` with real jobs for one image, resolution and configuration.

    Signals-free on purpose: pass `on_probe` to follow it (the CLI prints each probe).
    """

    def __init__(self, spec: BenchSpec, config: BenchConfig, out_dir: Path, cells: CellRunner,
                 server: ServerManager) -> None:
        self.spec = spec
        self.config = config
        self.out_dir = Path(out_dir)
        self._cells = cells
        self._server = server
        self._cancel = threading.Event()
        self._digest = image_digest(spec.images[0])

    def cancel(self) -> None:
        self._cancel.set()
        self._cells.cancel()

    def run(self, low: int, high: int, on_probe: Callable[[Probe], None] = lambda p: None,
            ) -> MaxFramesResult:
        width, height = self.spec.resolutions[0]
        result = MaxFramesResult(self.config.name, width, height, self.config.preset, low, high)
        self._server.ensure(self.config.launch())

        def record(probe: Probe) -> None:
            self.save(result)
            on_probe(probe)

        bisect_frames(self._probe, low, high, result=result, cancelled=self._cancel.is_set,
                      on_probe=record)
        self.save(result)
        return result

    def _probe(self, frames: int) -> RunOutcome:
        image = self.spec.images[0]
        size = self.spec.resolutions[0]
        cell_id = make_cell_id(self.spec, self._digest, size, frames, self.config)
        cell = Cell(cell_id, image, size[0], size[1], frames, self.config)
        # a seed from the clock: a probe repeated on a live server must not come from its cache
        seed = self.spec.seed + (time.time_ns() // 1000) % 1_000_000_007
        request = RunRequest(cell, f"{cell_id}:probe", False, self.spec,
                             self.out_dir / MAX_FRAMES_DIR / "clips", self.spec.timeout_s, seed)
        try:
            outcome = self._cells.run(request)
        except Wan22Error as exc:
            outcome = RunOutcome("error", error=exc.user_text())
        if outcome.status == "crashed" and not self._server.recover():
            outcome.error = (outcome.error + " ComfyUI did not come back.").strip()
            outcome.status = "error"  # stops the search: nothing left to probe with
        return outcome

    def save(self, result: MaxFramesResult) -> Path:
        folder = self.out_dir / MAX_FRAMES_DIR
        folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{result.label}_{result.width}x{result.height}")
        path = folder / f"{slug}.json"
        path.write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
        return path
