"""Benchmark of the app's start-up: time to a usable window and idle memory, against a bare window.

    python bench/bench_startup.py [--runs 5] [--idle 2] [--no-bytecode-cache]

Each run starts two fresh processes, alternating which goes first:
- app: `python -m wan22_gui --startup-report` (offscreen; a temporary home, so no settings,
  history or GPU of yours are involved): usable = the window shown, its first frame painted and
  the visible tab's panel built.
- reference: a bare PySide6 + pyqtgraph window with 5 tabs (one holding a plot), shown the
  same way.
Start-up is measured from just before the process is launched to the moment the child reports
its window usable (so the interpreter's own start counts for both); the resident memory is read
after `--idle` seconds of idle. Each child also says the CPU time it had used when usable (all its
threads): on a loaded machine that ratio is the steadier figure. `--no-bytecode-cache` gives each process an empty bytecode cache
(a first start after an install or update). Prints app / reference / ratio.

Targets (issue 13): start-up <= 1.3x the reference; idle memory <= 150 MiB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.3
TARGET_RSS_MIB = 150.0

REFERENCE = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QTabWidget
import pyqtgraph as pg

idle_s = float(sys.argv[1])
app = QApplication(sys.argv[:1])
window = QMainWindow()
tabs = QTabWidget()
for name in ("ComfyUI", "Generate", "Gallery", "Benchmark"):
    tabs.addTab(QLabel(name), name)
tabs.addTab(pg.PlotWidget(), "Live GPU")
window.setCentralWidget(tabs)
window.resize(1480, 940)
window.show()

def idle():
    rss = next(int(line.split()[1]) / 1024 for line in open("/proc/self/status")
               if line.startswith("VmRSS:"))
    print(f"startup: idle rss {rss:.1f} MiB", flush=True)
    app.quit()

def usable():
    print(f"startup: usable at {time.time():.6f}", flush=True)
    print(f"startup: cpu used {time.process_time():.3f} s", flush=True)
    QTimer.singleShot(int(idle_s * 1000), idle)

QTimer.singleShot(0, usable)
app.exec()
"""


def launch(kind: str, idle_s: float, home: str, no_cache: bool) -> tuple[float, float, float]:
    """One start: (seconds to a usable window, idle RSS in MiB, CPU seconds until usable)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WAN22_HOME=home,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    if no_cache:
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="wan22-bench-pycache-")
    if kind == "app":
        argv = [sys.executable, "-m", "wan22_gui", "--startup-report"]
    else:
        argv = [sys.executable, "-c", REFERENCE, str(idle_s)]
    launched = time.time()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180)
    said = {}
    for line in done.stdout.splitlines():
        if line.startswith("startup: "):
            words = line.removeprefix("startup: ").split(" ")
            said[" ".join(words[:2])] = words[2]
    if done.returncode != 0 or "usable at" not in said:
        raise SystemExit(f"the {kind} start failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return (float(said["usable at"]) - launched, float(said.get("idle rss", "nan")),
            float(said.get("cpu used", "nan")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="starts of each, alternated")
    parser.add_argument("--idle", type=float, default=2.0, help="seconds idle before the RSS")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="every process compiles from source (a first start)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="wan22-bench-startup-")
    print(f"== start-up to a usable window, offscreen, {args.runs} runs each, alternated"
          f"{', no bytecode cache' if args.no_bytecode_cache else ''}; {os.cpu_count()} cores")
    for kind in ("app", "reference"):  # warm the file cache (and the app's home) first
        launch(kind, 0.1, home, no_cache=False)
    times: dict[str, list[float]] = {"app": [], "reference": []}
    rss: dict[str, list[float]] = {"app": [], "reference": []}
    cpu: dict[str, list[float]] = {"app": [], "reference": []}
    for run in range(args.runs):
        order = ("app", "reference") if run % 2 == 0 else ("reference", "app")
        for kind in order:
            seconds, mib, used = launch(kind, args.idle, home, args.no_bytecode_cache)
            times[kind].append(seconds)
            rss[kind].append(mib)
            cpu[kind].append(used)
        print(f"  run {run + 1}: app {times['app'][-1]:.3f} s {rss['app'][-1]:.0f} MiB"
              f" {cpu['app'][-1]:.3f} s CPU, reference {times['reference'][-1]:.3f} s"
              f" {rss['reference'][-1]:.0f} MiB {cpu['reference'][-1]:.3f} s CPU")
    app_s, ref_s = statistics.median(times["app"]), statistics.median(times["reference"])
    app_mib, ref_mib = statistics.median(rss["app"]), statistics.median(rss["reference"])
    print(f"  start-up (median): app {app_s:.3f} s / reference {ref_s:.3f} s ="
          f" {app_s / ref_s:.2f}x (target <= {TARGET_RATIO}x)")
    app_cpu, ref_cpu = statistics.median(cpu["app"]), statistics.median(cpu["reference"])
    print(f"  CPU time until usable (median; depends much less on the load): app {app_cpu:.3f} s"
          f" / reference {ref_cpu:.3f} s = {app_cpu / ref_cpu:.2f}x")
    print(f"  idle RSS (median): app {app_mib:.1f} MiB / reference {ref_mib:.1f} MiB ="
          f" {app_mib / ref_mib:.2f}x (target app <= {TARGET_RSS_MIB:.0f} MiB)")
    print(f"  machine load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
          " (wall times grow with load)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
