"""The gallery with many clips: a history change updates its tile in place (no reset, the
selection stays), a running job's writes do nothing to the grid, thumbnails are decoded by
workers and only for tiles on screen, and the pixmap cache stays within its bound."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from wan22_gui.app import App
from wan22_gui.core.history import JobRecord
from wan22_gui.core.video.testclip import write_test_clip
from PySide6.QtCore import QItemSelectionModel

from wan22_gui.core.video.thumbnails import ThumbnailCache
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.gallery.grid import THUMB_BOX
from wan22_gui.gui.gallery.panel import GalleryPanel
from wan22_gui.gui.tasks import TaskRunner


@pytest.fixture
def core(app_paths):
    app_core = App.for_gui(app_paths)
    yield app_core
    app_core.close()


@pytest.fixture
def clip_files(core):
    """Twelve small real clips (copies of one)."""
    folder = core.paths.output_dir / "video"
    first = write_test_clip(folder / "c00.mp4", frames=5, fps=16, size=(32, 24))
    copies = [first]
    for n in range(1, 12):
        copies.append(shutil.copy(first, folder / f"c{n:02d}.mp4"))
    return copies


def _add_jobs(core, files):
    now = time.time()
    for n, path in enumerate(files):
        core.history.add(JobRecord(job_id=f"j{n:02d}", status="succeeded", created_at=now - n,
                                   outputs=[str(path)], params={"prompt": f"clip {n}"}))


@pytest.fixture
def make_panel(qtbot, core):
    made = []

    def make(size=(1200, 700)):
        ctx = AppContext(app=core, tasks=TaskRunner())
        panel = GalleryPanel(ctx)
        qtbot.addWidget(panel)
        panel.resize(*size)
        panel.show()
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.shutdown()
        panel.ctx.tasks.shutdown()


class ModelEvents:
    """Counts what the grid's model tells its view."""

    def __init__(self, model) -> None:
        self.resets = self.layouts = self.inserted = self.removed = 0
        self.changed: list[tuple[int, int]] = []
        model.modelReset.connect(lambda: self._add("resets"))
        model.layoutChanged.connect(lambda *_: self._add("layouts"))
        model.rowsInserted.connect(lambda *_: self._add("inserted"))
        model.rowsRemoved.connect(lambda *_: self._add("removed"))
        model.dataChanged.connect(lambda a, b, *_: self.changed.append((a.row(), b.row())))

    def _add(self, name: str) -> None:
        setattr(self, name, getattr(self, name) + 1)


def _settle(qtbot, panel, count):
    """Until the tiles on screen have their pictures and their facts are applied."""
    qtbot.waitUntil(lambda: len(panel.grid.clips()) == count, timeout=10000)
    grid = panel.grid
    qtbot.waitUntil(lambda: any(grid.thumbnail(c) for c in grid.clips()) and all(
        c.info is not None for c in grid.clips() if grid.thumbnail(c) is not None)
        and not getattr(getattr(grid, "thumbs", None), "busy", False)
        and not getattr(panel, "_reading", False), timeout=15000)
    qtbot.wait(400)  # facts that came with the thumbnails are applied


def _select_row(panel, row):
    grid = panel.grid
    grid.selectionModel().setCurrentIndex(grid.model().index(row, 0),
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect)


def _titles(panel):
    return [c.title for c in panel.grid.clips()]


def test_a_changed_row_updates_its_tile_without_a_reset_and_the_selection_stays(
        qtbot, core, clip_files, make_panel):
    _add_jobs(core, clip_files)
    panel = make_panel()
    _settle(qtbot, panel, 12)
    _select_row(panel, 5)
    events = ModelEvents(panel.grid.model())
    core.history.update("j02", label="Renamed clip")
    qtbot.waitUntil(lambda: _titles(panel)[2] == "Renamed clip", timeout=5000)
    assert (events.resets, events.layouts, events.inserted, events.removed) == (0, 0, 0, 0)
    assert events.changed == [(2, 2)]
    assert [c.key for c in panel.grid.selected_clips()] == ["j05"]
    assert panel.grid.model().rowCount() == 12
    core.history.mark_deleted("j00")  # the newest goes: one row removed, the selection follows
    qtbot.waitUntil(lambda: len(panel.grid.clips()) == 11, timeout=5000)
    assert (events.resets, events.removed) == (0, 1)
    assert [c.key for c in panel.grid.selected_clips()] == ["j05"]
    assert panel.details.clip.key == "j05"


def test_a_running_jobs_writes_do_not_touch_the_grid(qtbot, core, clip_files, make_panel):
    _add_jobs(core, clip_files[:3])
    panel = make_panel()
    _settle(qtbot, panel, 3)
    events = ModelEvents(panel.grid.model())
    core.history.add(JobRecord(job_id="live", status="pending", created_at=time.time() + 5))
    for fields in ({"status": "queued", "started_at": time.time()}, {"graph": {"1": {}}},
                   {"status": "running"}, {"prompt_id": "p"}):
        core.history.update("live", **fields)
    core.history.set_queue_order(["live"])
    qtbot.wait(400)  # longer than the gallery gathers changes for
    assert (events.resets, events.layouts, events.inserted, events.changed) == (0, 0, 0, [])
    core.history.update("live", status="succeeded", outputs=[str(clip_files[3])])
    qtbot.waitUntil(lambda: [c.key for c in panel.grid.clips()][:1] == ["live"], timeout=5000)
    assert (events.resets, events.inserted) == (0, 1)


def test_thumbnails_are_decoded_by_workers_and_only_for_tiles_on_screen(
        qtbot, core, clip_files, make_panel, monkeypatch):
    from wan22_gui.gui.gallery import thumbs

    _add_jobs(core, clip_files)
    decoded_on: list[str] = []
    real_decode = thumbs.decode

    def recording(cache, path, box):
        decoded_on.append(threading.current_thread().name)
        return real_decode(cache, path, box)

    monkeypatch.setattr(thumbs, "decode", recording)
    panel = make_panel(size=(560, 420))  # room for a few tiles of twelve
    qtbot.waitUntil(lambda: len(panel.grid.clips()) == 12, timeout=10000)
    first = panel.grid.clips()[0]
    qtbot.waitUntil(lambda: panel.grid.pixmap(first) is not None, timeout=15000)
    qtbot.wait(300)
    assert decoded_on and threading.main_thread().name not in decoded_on
    assert all(name.startswith("wan22-bg") for name in decoded_on)
    assert len(decoded_on) < 12  # the tiles below the fold were never asked for
    pixmap = panel.grid.pixmap(first)
    assert pixmap.width() <= THUMB_BOX.width() and pixmap.height() <= THUMB_BOX.height()
    panel.grid.scrollToBottom()
    last = panel.grid.clips()[-1]
    qtbot.waitUntil(lambda: panel.grid.pixmap(last) is not None, timeout=15000)


def test_the_pixmap_cache_keeps_only_the_most_recent_within_its_bound(qtbot, core, clip_files):
    from wan22_gui.gui.gallery.thumbs import ThumbnailStore

    tasks = TaskRunner()
    store = ThumbnailStore(tasks, ThumbnailCache(core.paths.thumbnail_dir), THUMB_BOX, capacity=3)
    try:
        for path in clip_files[:6]:
            store.want(path)
            qtbot.waitUntil(lambda p=path: store.pixmap(p) is not None, timeout=15000)
        held = [p for p in clip_files[:6] if str(p) in store._pixmaps]
        assert held == clip_files[3:6]
        assert len(store.infos()) == 6  # the facts of every clip seen are kept (they are small)
        store.want(clip_files[0])  # evicted: asked again, it comes back and another goes
        qtbot.waitUntil(lambda: store.pixmap(clip_files[0]) is not None, timeout=15000)
        assert len(store._pixmaps) == 3 and str(clip_files[3]) not in store._pixmaps
    finally:
        store.shutdown()
        tasks.shutdown()


def test_the_details_follow_a_change_of_the_selected_jobs_row(qtbot, core, clip_files, make_panel):
    _add_jobs(core, clip_files[:3])
    core.history.update("j01", metrics={"peak_vram_bytes": 20 * 2**30})
    panel = make_panel()
    _settle(qtbot, panel, 3)
    _select_row(panel, 1)
    qtbot.waitUntil(lambda: "20.00 GiB" in panel.details.text.toPlainText(), timeout=5000)
    core.history.update("j01", metrics={"peak_vram_bytes": 22 * 2**30})  # no tile shows it
    qtbot.waitUntil(lambda: "22.00 GiB" in panel.details.text.toPlainText(), timeout=5000)


def test_a_failed_read_is_said_and_no_change_is_lost(qtbot, core, clip_files, make_panel,
                                                    monkeypatch):
    import sqlite3

    from wan22_gui.core.gallery.catalog import GalleryCatalog

    _add_jobs(core, clip_files[:2])
    panel = make_panel()
    _settle(qtbot, panel, 2)
    real, failed = GalleryCatalog.refresh, []

    def locked_once(self, ids):
        if not failed:
            failed.append(ids)
            raise sqlite3.OperationalError("database is locked")
        return real(self, ids)

    monkeypatch.setattr(GalleryCatalog, "refresh", locked_once)
    core.history.update("j00", label="First rename")
    qtbot.waitUntil(lambda: "Cannot read the history: database is locked" in panel.status.text(),
                    timeout=5000)
    core.history.update("j01", label="Second rename")
    qtbot.waitUntil(lambda: _titles(panel) == ["First rename", "Second rename"], timeout=5000)
