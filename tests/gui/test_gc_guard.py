from __future__ import annotations

import gc
import threading

from wan22_gui.gui.gc_guard import MainThreadGarbageCollector


class Cycle:
    def __init__(self, log):
        self.me = self
        self.log = log

    def __del__(self):
        self.log.append(threading.get_ident())


def test_cycles_are_freed_on_the_gui_thread_not_on_workers(qtbot):
    collector = MainThreadGarbageCollector(interval_ms=20)
    try:
        assert not gc.isenabled()
        freed: list[int] = []

        def worker():  # allocates a lot: automatic GC would have run here
            for _ in range(5000):
                Cycle(freed)
            [object() for _ in range(100_000)]

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert freed == []  # nothing collected on the worker
        qtbot.waitUntil(lambda: len(freed) == 5000, timeout=5000)
        assert set(freed) == {threading.get_ident()}
    finally:
        collector.stop()
    assert gc.isenabled()
