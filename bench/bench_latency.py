"""Progress event → progress bar with N clips in the history and the Gallery tab open: p50/p99
of the time from a job's progress emit (on the job's thread) to the bar showing the step.

A stand-in job does what the job runner does to the history (adds its row, writes queued,
the graph, running and the prompt id, and at the end its outputs, timings and metrics) and
emits 20 progress events a second in between, through the same `JobQueue.progress`-style core
Signal and `bridge.subscribe` the Generate tab uses. The app is the Generate tab's progress
widget next to a Gallery of N clips (real rows and files, `bench_gallery.py`); the reference is
the same widget and signal path with an empty history and no gallery.

    python bench/bench_latency.py [--clips 5000] [--jobs 3] [--steps 40]

Target (issue 13): p99 ≤ 30 ms with 5,000 clips in the history.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget  # noqa: E402

from bench_gallery import Heartbeat, make_home, make_thumbnails, spin_until  # noqa: E402
from wan22_gui.app import App  # noqa: E402
from wan22_gui.core.base.paths import AppPaths  # noqa: E402
from wan22_gui.core.base.signals import Signal  # noqa: E402
from wan22_gui.core.history import JobRecord  # noqa: E402
from wan22_gui.core.video.testclip import write_test_clip  # noqa: E402
from wan22_gui.gui import bridge  # noqa: E402
from wan22_gui.gui.context import AppContext  # noqa: E402
from wan22_gui.gui.gallery.panel import GalleryPanel  # noqa: E402
from wan22_gui.gui.generate.queue_progress import JobProgress  # noqa: E402
from wan22_gui.gui.tasks import TaskRunner  # noqa: E402


class Window(QWidget):
    """The progress widget, subscribed like the Generate tab, and optionally the gallery."""

    def __init__(self, ctx: AppContext, progress: Signal, *, gallery: bool) -> None:
        super().__init__()
        self.progress = JobProgress()
        self.gallery = GalleryPanel(ctx) if gallery else None
        layout = QHBoxLayout(self)
        layout.addWidget(self.progress)
        if self.gallery is not None:
            layout.addWidget(self.gallery, 3)
        self.sent: dict[tuple[str, int], float] = {}
        self.latencies: list[float] = []
        self.progress.bar.valueChanged.connect(self._shown)
        bridge.subscribe(self, progress, self.progress.on_progress)

    def _shown(self, value: int) -> None:
        sent = self.sent.pop((self.progress.job_id or "", value), None)
        if sent is not None:
            self.latencies.append((time.perf_counter() - sent) * 1000)


def stand_in_job(history, window: Window, progress: Signal, job_id: str, steps: int,
                 output: Path, started: threading.Event) -> None:
    """One job's writes and progress events, as the job runner makes them, on its thread."""
    history.add(JobRecord(job_id=job_id, status="pending", params={"prompt": "bench", "frames": 81}))
    history.update(job_id, status="queued", started_at=time.time())
    bridge.post(window.progress.job_started, history.get(job_id))
    started.wait(5)
    history.update(job_id, graph={str(i): {"class_type": "KSampler"} for i in range(40)})
    history.update(job_id, status="running")
    history.update(job_id, prompt_id=f"prompt-{job_id}")
    for step in range(1, steps + 1):
        time.sleep(0.05)
        window.sent[(job_id, step)] = time.perf_counter()
        progress.emit(job_id, "high_noise" if step <= steps // 2 else "low_noise", step, steps, 10.0)
    history.update(job_id, outputs=[str(output)])
    history.update(job_id, status="succeeded", finished_at=time.time(),
                   timings={"high_noise": 30.0}, metrics={"peak_vram_bytes": 2**34})


def measure(paths: AppPaths, clips: int, jobs: int, steps: int, *, gallery: bool) -> dict:
    core = App.build(paths, history=True)
    ctx = AppContext(app=core, tasks=TaskRunner())
    progress = Signal("bench.progress")
    window = Window(ctx, progress, gallery=gallery)
    window.resize(1600, 900)
    window.show()
    if window.gallery is not None:
        spin_until(lambda: len(window.gallery.grid.clips()) == clips, 120)
    spin_until(lambda: False, 1.0)  # the first thumbnails in
    beat = Heartbeat()
    beat.start()
    output = next((paths.output_dir / "video").glob("*.mp4"))
    for n in range(jobs):
        job_id = f"bench-job-{n}"
        started = threading.Event()
        worker = threading.Thread(target=stand_in_job, daemon=True,
                                  args=(core.history, window, progress, job_id, steps, output, started))
        worker.start()
        spin_until(lambda j=job_id: window.progress.job_id == j, 10)
        started.set()
        spin_until(lambda w=worker: not w.is_alive(), 60)
        spin_until(lambda: False, 0.5)  # the finished row reaches the gallery
    beat.stop()
    if window.gallery is not None:
        window.gallery.shutdown()
    bridge.unsubscribe_all(window)
    window.close()
    window.deleteLater()
    QApplication.processEvents()
    ctx.tasks.shutdown()
    core.close()
    return {"latencies": window.latencies, "lost": jobs * steps - len(window.latencies),
            "stalls": beat.stalls()}


def figures(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99, ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    _app = QApplication.instance() or QApplication([])  # held for the whole run
    with tempfile.TemporaryDirectory(prefix="wan22-bench-") as tmp:
        clip = write_test_clip(Path(tmp) / "clip.mp4", frames=9, fps=16, size=(96, 64))
        full = make_home(Path(tmp) / "full", args.clips, clip)
        make_thumbnails(full)
        empty = make_home(Path(tmp) / "empty", 1, clip)
        ref = measure(empty, 1, args.jobs, args.steps, gallery=False)
        app = measure(full, args.clips, args.jobs, args.steps, gallery=True)
    (r50, r99, rmax), (a50, a99, amax) = figures(ref["latencies"]), figures(app["latencies"])
    status = "OK" if a99 <= 30 else "MISSED"
    print(f"progress event → bar, {args.clips} clips in the history, Gallery open, "
          f"{len(app['latencies'])} events: app p50 {a50:.1f} ms, p99 {a99:.1f} ms, max "
          f"{amax:.1f} ms / reference (no history, no gallery) p50 {r50:.1f} ms, p99 {r99:.1f} ms, "
          f"max {rmax:.1f} ms / ratio p99 {a99 / max(r99, 0.01):.1f} [target p99 ≤ 30 ms: {status}]")
    print(f"GUI stalls > 50 ms while the jobs ran: app {len(app['stalls'])} (worst "
          f"{max(app['stalls'], default=0):.0f} ms), reference {len(ref['stalls'])}; events not "
          f"shown: app {app['lost']}, reference {ref['lost']}")


if __name__ == "__main__":
    main()
