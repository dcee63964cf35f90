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
    # full collections allowed at once: where the cycles end up depends on earlier tests
    collector = MainThreadGarbageCollector(interval_ms=20, full_every_s=0, idle_for_full_s=0)
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
        # the collector's own check, as its timer calls it on the GUI thread (after test_app
        # has run the app's main() in this process, that timer is not always served in time)
        qtbot.waitUntil(lambda: collector.check() or len(freed) == 5000, timeout=5000)
        assert set(freed) == {threading.get_ident()}
    finally:
        collector.stop()
    assert gc.isenabled()


def _collections_during(work) -> list[int]:
    """The generations of the collections that ran during `work()`."""
    seen: list[int] = []

    def record(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    try:
        work()
    finally:
        gc.callbacks.remove(record)
    return seen


def test_after_startup_freezes_what_is_alive_so_collections_skip_it(qtbot):
    collector = MainThreadGarbageCollector(interval_ms=10_000)
    try:
        started_with = Cycle([])  # stands for the widgets and modules made during start-up
        assert any(obj is started_with for obj in gc.get_objects())
        assert collector.after_startup() > 1000
        # A collection examines only gc.get_objects(); the start-up heap is no longer in it.
        assert not any(obj is started_with for obj in gc.get_objects())
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0
    assert any(obj is started_with for obj in gc.get_objects())  # collectable again


def test_young_generations_are_collected_often_and_the_full_one_rarely(qtbot):
    before = gc.get_threshold()
    collector = MainThreadGarbageCollector(interval_ms=10_000, full_every_s=3600, idle_for_full_s=0)
    try:
        assert gc.get_threshold()[0] > before[0]  # fewer, still short passes of generation 0
        log: list[int] = []

        def churn():
            for _ in range(200):
                for _ in range(6000):
                    Cycle(log)
                collector.check()

        generations = _collections_during(churn)
        assert generations and 2 not in generations
        assert 1 in generations and 0 in generations
        assert len(log) >= 190 * 6000  # the cycles were freed by the young passes
        collector.full_every_s = 0
        assert _collections_during(lambda: [collector.check() for _ in range(3)]) == [2]
    finally:
        collector.stop()
    assert gc.get_threshold() == before


def test_a_full_collection_waits_for_a_moment_without_input(qtbot):
    """A full pass can take tens of ms on a big heap: it runs while nobody types or clicks."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication, QLineEdit

    field = QLineEdit()
    qtbot.addWidget(field)
    collector = MainThreadGarbageCollector(interval_ms=10_000, full_every_s=0,
                                           idle_for_full_s=0.3, full_at_latest_s=3600)
    try:
        def typing_then_check():
            for _ in range(150):  # enough passes of the young generations to make a full one due
                QApplication.sendEvent(field, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A,
                                                        Qt.KeyboardModifier.NoModifier, "a"))
                [Cycle([]) for _ in range(6000)]
                collector.check()

        assert 2 not in _collections_during(typing_then_check), "not while the user types"
        qtbot.wait(400)
        assert _collections_during(collector.check) == [2]  # idle: the full pass runs
        collector.full_at_latest_s = 0  # long overdue: it runs even during input
        assert 2 in _collections_during(typing_then_check)
    finally:
        collector.stop()
