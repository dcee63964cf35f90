"""`wan22-gui --startup-report`: how fast the window became usable and what it holds at idle.

Printed, one `startup:` line each, for `bench/bench_startup.py` and for a user who wants to
see why the app starts slowly on their machine: the time from `main()` to a usable window
(shown, its first frame painted, the visible tab's panel built), the wall-clock time of that
moment (the benchmark subtracts its own launch time), the CPU time used by then, which heavy
modules the usable window had loaded, the memory in use after some idle seconds, how many
objects the garbage collector froze, and which heavy libraries were loaded by then (the others
load when a tab or a feature first needs them).
"""

from __future__ import annotations

import sys
import time

# Loaded only when first needed; the report names the ones that are in memory anyway.
HEAVY_MODULES = ("requests", "cv2", "numpy", "pyqtgraph", "PIL", "websocket",
                 "wan22_gui.core.bench.wiring", "wan22_gui.gui.player.compare",
                 "wan22_gui.gui.bench.panel", "wan22_gui.gui.gallery.panel",
                 "wan22_gui.core.jobs.runner", "wan22_gui.core.comfy.watcher")
IDLE_S = 2.0


def loaded_heavy_modules() -> list[str]:
    return [name for name in HEAVY_MODULES if name in sys.modules]


def resident_mib() -> float | None:
    """This process's resident memory in MiB (None where the platform does not say)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource  # macOS: the peak, in bytes

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)
    except (ImportError, AttributeError):
        return None


def report_when_usable(app, collector, started: float, idle_s: float = IDLE_S) -> None:
    """Call right after `window.show()`: prints the report and quits the app."""
    from PySide6.QtCore import QTimer

    def usable() -> None:
        print(f"startup: usable after {time.perf_counter() - started:.3f} s")
        print(f"startup: usable at {time.time():.6f}")
        print(f"startup: cpu used {time.process_time():.3f} s")  # steadier than wall on a busy machine
        print(f"startup: usable with: {', '.join(loaded_heavy_modules()) or 'none'}")
        sys.stdout.flush()
        QTimer.singleShot(int(idle_s * 1000), idle)

    def idle() -> None:
        rss = resident_mib()
        print(f"startup: idle rss {rss:.1f} MiB" if rss is not None else "startup: idle rss n/a")
        print(f"startup: gc frozen {collector.frozen} objects")
        print(f"startup: heavy modules loaded: {', '.join(loaded_heavy_modules()) or 'none'}")
        sys.stdout.flush()
        app._wan22_code = 0
        app.quit()

    QTimer.singleShot(0, usable)  # runs once the show and the first paint were handled
