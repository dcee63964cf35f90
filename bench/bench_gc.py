"""Benchmark of garbage-collection pauses on the GUI thread, the app's policy against the old one.

    python bench/bench_gc.py [--seconds 70] [--runs 1]

Each policy runs in its own process: the real main window (offscreen, a temporary home, every
tab opened), then `--seconds` of a session-like load on the event loop (short-lived cyclic
garbage, rows that stay, a widget made and dropped now and then). Every collection is timed
with `gc.callbacks`; the longest pause is what a user feels as a frozen window.

- app: `gui/gc_guard.py` as the app runs it (start-up heap frozen, young generations every
  100 ms, a full collection at most every 2 minutes and only after 5 s without input; so a
  session shorter than 2 minutes has none).
- reference: the policy before issue 13 (Python's thresholds 700/10/10 checked every 500 ms,
  no freeze: each full collection walks the whole Qt/pyqtgraph/numpy heap).

Target (issue 13): no pause over a few ms (max pause <= 10 ms on a shared 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 10.0


def child(policy: str, seconds: float) -> None:
    """Run one policy and print its pauses as JSON (in a fresh process)."""
    import gc
    import time

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from wan22_gui.app import App
    from wan22_gui.gui.context import AppContext
    from wan22_gui.gui.gc_guard import MainThreadGarbageCollector
    from wan22_gui.gui.mainwindow import MainWindow
    from wan22_gui.gui.tasks import TaskRunner

    app = QApplication.instance() or QApplication([])
    if policy == "app":
        collector: QObject = MainThreadGarbageCollector(app)
    else:
        collector = _OldCollector(app)
    core = App.for_gui()
    ctx = AppContext(app=core, tasks=TaskRunner())
    window = MainWindow(ctx)
    window.show()
    window.ensure_panels()  # the heap of a session that has visited every tab
    app.processEvents()
    if policy == "app":
        collector.after_startup()  # as gui/app.py does once the window is up

    pauses: list[tuple[int, float]] = []
    started: list[float] = []

    def timed(phase, info):
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses.append((info["generation"], time.perf_counter() - started.pop()))

    kept: list[dict] = []

    class Node:
        def __init__(self):
            self.me = self
            self.payload = [object() for _ in range(4)]

    def tick():
        for _ in range(400):
            Node()  # garbage that only the cyclic collector frees
        kept.extend({"row": i, "values": [i, i + 1]} for i in range(40))  # history rows
        if len(kept) % 4000 == 0:
            widget = QWidget()
            widget.handler = lambda w=widget: w  # a Qt object in a Python cycle
            del widget

    gc.callbacks.append(timed)
    load = QTimer()
    load.timeout.connect(tick)
    load.start(10)
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    load.stop()
    gc.callbacks.remove(timed)
    print(json.dumps({"pauses": pauses, "objects": len(gc.get_objects()),
                      "frozen": gc.get_freeze_count()}))
    sys.stdout.flush()
    os._exit(0)  # the numbers are out; skip a slow teardown of the whole window


class _OldCollector:
    """The GUI-thread collector as it was before issue 13 (for the reference run)."""

    def __init__(self, parent) -> None:
        import gc

        from PySide6.QtCore import QTimer

        gc.disable()
        self._timer = QTimer(parent)
        self._timer.timeout.connect(self.check)
        self._timer.start(500)

    def check(self) -> None:
        import gc

        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


def run_policy(policy: str, seconds: float) -> dict:
    home = tempfile.mkdtemp(prefix="wan22-bench-gc-")
    env = dict(os.environ, WAN22_HOME=home, QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, __file__, "--child", policy, "--seconds", str(seconds)],
                          env=env, capture_output=True, text=True, timeout=seconds + 120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the {policy} run failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def summary(result: dict) -> tuple[str, float]:
    pauses = result["pauses"]
    ms = sorted(p * 1e3 for _, p in pauses)
    p99 = ms[int(0.99 * (len(ms) - 1))] if ms else 0.0
    by_generation = ", ".join(
        f"gen {gen}: {len(of)} max {max(of):.1f}" for gen in (0, 1, 2)
        if (of := [p * 1e3 for g, p in pauses if g == gen]))
    text = (f"{len(ms):4d} collections, max {max(ms, default=0):7.2f} ms, p99 {p99:6.2f} ms,"
            f" median {statistics.median(ms) if ms else 0:5.2f} ms ({by_generation});"
            f" heap {result['objects']} objects + {result['frozen']} frozen")
    return text, max(ms, default=0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=70.0,
                        help="length of each session (the old policy ran a full collection about once a minute)")
    parser.add_argument("--runs", type=int, default=1, help="sessions per policy, alternated")
    parser.add_argument("--child", choices=("app", "reference"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.seconds)
        return 0
    print(f"== GC pauses on the GUI thread: {args.seconds:.0f} s session, {args.runs} run(s)"
          f" per policy, {os.cpu_count()} cores")
    worst = {"app": 0.0, "reference": 0.0}
    for run in range(args.runs):
        order = ("app", "reference") if run % 2 == 0 else ("reference", "app")
        for policy in order:
            text, longest = summary(run_policy(policy, args.seconds))
            worst[policy] = max(worst[policy], longest)
            print(f"  {policy:9s} run {run + 1}: {text}")
    ratio = worst["app"] / worst["reference"] if worst["reference"] else float("nan")
    print(f"  max pause: app {worst['app']:.2f} ms / reference {worst['reference']:.2f} ms"
          f" = {ratio:.2f} (target: app <= {TARGET_MS:.0f} ms)")
    print(f"  machine load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
