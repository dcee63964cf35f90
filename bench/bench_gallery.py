"""The Gallery tab with 100 / 1,000 / 5,000 clips: time until settled, GUI stalls, memory, and
cold thumbnails; against a reference that only lists the rows and stats their files.

Every clip is a real history row (with a graph, node timings, phase spans and metrics, as a
finished job writes them) and a small real video file. "Started" is the Gallery panel built
and shown as the window shows it on its tab; "settled" is every clip in the grid, no history
read in flight and every tile on screen painted with its thumbnail. A stall is a gap > 50 ms
between beats of a 5 ms QTimer on the GUI thread. Warm: the thumbnails are cached on disk
(the usual start); cold: the thumbnail cache is empty (the first start), measured until the
tiles on screen have their pictures, then while scrolling to the end of the grid.

    python bench/bench_gallery.py [--clips 100 1000 5000] [--window 1400x900]

Runs offscreen (QT_QPA_PLATFORM=offscreen unless set). Targets (issue 13): settled ≤ 0.5 s at
1,000 clips and ≤ 1 s at 5,000, no stall > 50 ms, RSS ≤ 400 MiB at 5,000; cold thumbnails
in the background with no stall > 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import qtloop  # noqa: E402
from wan22_gui.app import App  # noqa: E402
from wan22_gui.core.base.paths import AppPaths  # noqa: E402
from wan22_gui.core.history import HistoryStore, JobRecord  # noqa: E402
from wan22_gui.core.video.testclip import write_test_clip  # noqa: E402
from wan22_gui.core.video.thumbnails import ThumbnailCache  # noqa: E402
from wan22_gui.gui.context import AppContext  # noqa: E402
from wan22_gui.gui.gallery.panel import GalleryPanel  # noqa: E402
from wan22_gui.gui.tasks import TaskRunner  # noqa: E402

STALL_MS = 50.0


class Heartbeat:
    """A 5 ms timer on the GUI thread; every gap over STALL_MS between its beats is a stall."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._beat)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._beat()
        self._timer.stop()

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def stalls(self) -> list[float]:
        return [g for g in self.gaps if g > STALL_MS]


def spin_until(condition, timeout_s: float) -> bool:
    """The shared event-loop wait, looking at `condition` every 10 ms."""
    return qtloop.spin_until(condition, timeout_s, wake_ms=10)


def rss_mib() -> float:
    return qtloop.rss_bytes() / 2**20


def finished_job(n: int, path: Path, now: float) -> JobRecord:
    """A finished generation as the job runner records it (graph, node timings, spans...)."""
    graph = {str(i): {"class_type": "KSamplerAdvanced", "inputs": {"seed": n, "steps": 4,
                                                                  "model": [str(i - 1), 0]},
                      "_meta": {"title": f"node {i}"}} for i in range(40)}
    nodes = [{"node_id": str(i), "class_type": "KSamplerAdvanced", "phase": "high_noise",
              "start": now + i, "end": now + i + 1, "seconds": 1.0, "steps": 4} for i in range(40)]
    spans = [{"phase": p, "start": now + i, "end": now + i + 10}
             for i, p in enumerate(("load", "encode", "high_noise", "low_noise", "decode", "save"))]
    created = now - n * 60
    return JobRecord(
        job_id=f"job-{n:05d}", status="succeeded" if n % 20 else "failed", created_at=created,
        started_at=created, finished_at=created + 90, outputs=[str(path)] if n % 20 else [],
        source_image=f"/pictures/source-{n % 7}.png", server_url="http://127.0.0.1:8000",
        preset="rtx4090-24gb", prompt_id=f"prompt-{n}", graph=graph, node_timings=nodes,
        phase_spans=spans,
        params={"prompt": f"a cat walking through a garden, take {n}", "negative_prompt": "blurry",
                "image": f"/pictures/source-{n % 7}.png", "width": 832, "height": 480,
                "frames": 81, "fps": 16, "seed": n, "steps": 4, "split_step": 2},
        timings={"load": 12.0, "high_noise": 31.5, "low_noise": 30.2, "decode": 3.7},
        metrics={"peak_vram_bytes": 21 * 2**30, "mean_gpu_util": 88.0, "energy_wh": 13.8},
        error=None if n % 20 else {"message": "Out of GPU memory", "hint": "Use fewer frames"})


def make_home(root: Path, count: int, clip: Path) -> AppPaths:
    """An app home with `count` finished jobs, each with its own small video file."""
    paths = AppPaths.under(root).ensure()
    folder = paths.output_dir / "video"
    folder.mkdir(parents=True, exist_ok=True)
    history = HistoryStore(paths.history_db)
    now = time.time()
    try:
        for n in range(count):
            target = folder / f"clip-{n:05d}.mp4"
            shutil.copyfile(clip, target)
            history.add(finished_job(n, target, now))
    finally:
        history.close()
    return paths


def make_thumbnails(paths: AppPaths) -> None:
    cache = ThumbnailCache(paths.thumbnail_dir)
    for video in sorted((paths.output_dir / "video").glob("*.mp4")):
        cache.get(video)


def reference(paths: AppPaths) -> float:
    """Seconds to list the rows' outputs from SQLite and stat every file."""
    started = time.perf_counter()
    conn = sqlite3.connect(str(paths.history_db))
    try:
        rows = conn.execute("SELECT job_id, outputs FROM jobs WHERE deleted = 0").fetchall()
    finally:
        conn.close()
    for _job_id, outputs in rows:
        for output in json.loads(outputs or "[]"):
            try:
                os.stat(output)
            except OSError:
                pass
    return time.perf_counter() - started


class PaintWatch(QObject):
    """Records when the grid last painted and when a tile last asked for a picture."""

    def __init__(self, panel: GalleryPanel) -> None:
        super().__init__()
        self.painted = self.asked = self.laid_out = 0.0
        # the grid lays out thousands of tiles in batches: the scroll range grows until done
        panel.grid.verticalScrollBar().rangeChanged.connect(self._on_range)
        thumbs = panel.grid.thumbs
        want = thumbs.want

        def asking(path):
            self.asked = time.perf_counter()
            want(path)

        thumbs.want = asking  # the delegate calls it by attribute
        panel.grid.viewport().installEventFilter(self)

    def _on_range(self, *_) -> None:
        self.laid_out = time.perf_counter()

    def eventFilter(self, watched, event) -> bool:  # Qt override
        if event.type() == QEvent.Type.Paint:
            self.painted = time.perf_counter()
        return False

    def mark(self) -> None:
        self.marked = time.perf_counter()
        self.painted = 0.0


def settled(panel: GalleryPanel, count: int, watch: PaintWatch) -> bool:
    """All clips shown, no read or thumbnail pending, and the tiles painted since the mark
    had their pictures (no tile asked for one, and the layout did not grow, in the last 30 ms)."""
    if panel._reading or panel.grid.thumbs.busy or panel.grid.clip_model.rowCount() != count:
        return False
    now = time.perf_counter()
    return (watch.painted > 0 and now - watch.asked > 0.03 and now - watch.painted > 0.03
            and now - watch.laid_out > 0.03)


def start_gallery(paths: AppPaths, count: int, window: tuple[int, int], beat: Heartbeat,
                  *, scroll: bool = False) -> dict:
    """Build and show the Gallery panel; measure until it settles (and a scroll to the end)."""
    core = App.build(paths, history=True)
    ctx = AppContext(app=core, tasks=TaskRunner())
    beat.start()
    started = time.perf_counter()
    panel = GalleryPanel(ctx)
    watch = PaintWatch(panel)
    watch.mark()
    panel.resize(*window)
    panel.show()
    ok = spin_until(lambda: settled(panel, count, watch), 600)
    took = time.perf_counter() - started
    result = {"settled_s": took if ok else float("nan"), "rss_mib": rss_mib()}
    if scroll:
        bar = panel.grid.verticalScrollBar()
        last = -1
        while bar.maximum() != last:  # the batched layout has placed every tile
            last = bar.maximum()
            spin_until(lambda: False, 0.2)
        steps = max(1, bar.maximum() // max(1, bar.pageStep()))
        missed = 0
        for i in range(1, min(steps, 40) + 1):  # at most 40 pages: the LRU turns over
            watch.mark()
            bar.setValue(bar.maximum() * i // min(steps, 40))
            missed += not spin_until(lambda: settled(panel, count, watch), 30)
        result["unsettled_pages"] = missed
        result["scrolled_s"] = time.perf_counter() - started - took
        result["rss_after_scroll_mib"] = rss_mib()
    beat.stop()
    result["stalls"] = beat.stalls()
    panel.shutdown()
    panel.close()
    panel.deleteLater()
    QApplication.processEvents()
    ctx.tasks.shutdown()
    core.close()
    return result


def idle_stalls(beat: Heartbeat, seconds: float) -> list[float]:
    """The machine's noise floor: stalls of the same heartbeat with the GUI thread idle."""
    beat.start()
    spin_until(lambda: False, seconds)
    beat.stop()
    return beat.stalls()


def describe(stalls: list[float]) -> str:
    worst = max(stalls, default=0.0)
    return f"{len(stalls)} stalls > {STALL_MS:.0f} ms (worst {worst:.0f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--window", default="1400x900")
    args = parser.parse_args()
    window = tuple(int(v) for v in args.window.split("x"))
    _app = QApplication.instance() or QApplication([])  # held for the whole run
    beat = Heartbeat()
    with tempfile.TemporaryDirectory(prefix="wan22-bench-") as tmp:
        clip = write_test_clip(Path(tmp) / "clip.mp4", frames=9, fps=16, size=(96, 64))
        for count in args.clips:
            made = time.perf_counter()
            paths = make_home(Path(tmp) / f"home{count}", count, clip)
            ref = reference(paths)
            cold = start_gallery(paths, count, window, beat, scroll=True)
            cold_floor = idle_stalls(beat, min(10.0, cold["settled_s"] + cold["scrolled_s"]))
            make_thumbnails(paths)  # every thumbnail cached on disk: the usual start
            print(f"-- {count} clips (history and files made in {time.perf_counter() - made:.0f} s)")
            ref = min(ref, reference(paths))
            warm = start_gallery(paths, count, window, beat)
            floor = idle_stalls(beat, max(1.0, warm["settled_s"]))
            target_s = 0.5 if count <= 1000 else 1.0
            status = "OK" if warm["settled_s"] <= target_s and not warm["stalls"] else "MISSED"
            print(f"started on the Gallery tab until settled: app {warm['settled_s']:.3f} s / "
                  f"reference (list rows + stat files) {ref:.3f} s / ratio "
                  f"{warm['settled_s'] / ref:.1f}; {describe(warm['stalls'])} (idle event loop "
                  f"as long: {len(floor)}); RSS "
                  f"{warm['rss_mib']:.0f} MiB [target ≤ {target_s:g} s, no stall: {status}]")
            status = "OK" if not cold["stalls"] else "MISSED"
            print(f"cold thumbnails: tiles on screen after {cold['settled_s']:.2f} s, then "
                  f"scrolled to the end in {cold['scrolled_s']:.2f} s; {describe(cold['stalls'])} "
                  f"(idle event loop as long, up to 10 s: {len(cold_floor)}); "
                  f"RSS {cold['rss_after_scroll_mib']:.0f} MiB after the scroll"
                  f"{'' if not cold['unsettled_pages'] else ', pages never settled: ' + str(cold['unsettled_pages'])} "
                  f"[target: no stall: {status}]")
            shutil.rmtree(Path(tmp) / f"home{count}", ignore_errors=True)


if __name__ == "__main__":
    main()
