"""A full disk while a job records its clip: the clip stays and is named, the job ends in words,
the queue pauses with the reason (not the next job into the same disk) and resumes on request.

The disk fills at SQLite's write layer: from the write that records the downloaded clip on,
every INSERT/UPDATE answers "database or disk is full", as SQLite does on a full disk.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from wan22_gui.cli.main import main
from wan22_gui.core.comfy.connection import ServerConnection, ServerInfo
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.jobs.queue import JobQueue
from wan22_gui.core.workflow.spec import JobSpec

DISK_FULL = "the disk holding the app's data is full"


class FullDisk:
    """Fills the disk under the history database when the clip's path is written."""

    def __init__(self) -> None:
        self.filling = True  # arms itself at the clip's write
        self.full = False

    def free_space(self) -> None:
        self.filling = self.full = False

    def connection(self, real: sqlite3.Connection) -> _FullDiskConnection:
        return _FullDiskConnection(real, self)


class _FullDiskConnection:
    def __init__(self, real: sqlite3.Connection, disk: FullDisk) -> None:
        self._real, self._disk = real, disk

    def execute(self, sql: str, *args):
        head = sql.lstrip().upper()
        writes = head.startswith(("UPDATE", "INSERT"))
        if self._disk.filling and writes and "OUTPUTS = ?" in head:
            self._disk.full = True
        if self._disk.full and writes:
            raise sqlite3.OperationalError("database or disk is full")
        return self._real.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __enter__(self):
        self._real.__enter__()
        return self

    def __exit__(self, *exc):
        return self._real.__exit__(*exc)


@pytest.fixture
def full_disk(monkeypatch):
    disk = FullDisk()
    connect = HistoryStore._connect
    monkeypatch.setattr(HistoryStore, "_connect", lambda self: disk.connection(connect(self)))
    return disk


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "harbour.jpg"
    Image.new("RGB", (640, 448), (20, 90, 140)).save(path)
    return path


def test_cli_on_a_full_disk_prints_the_clip_it_downloaded_and_exits_5_without_a_traceback(
        standin_with_models, picture, capsys, app_paths, full_disk):
    code = main(["generate", str(picture), "--frames", "17", "--width", "320", "--height",
                 "224", "--server", standin_with_models.url, "--seed", "3"])
    out, err = capsys.readouterr()
    assert code == 5, err
    assert full_disk.full
    clip = Path(out.strip().splitlines()[-1])
    assert clip.is_file() and clip.parent == app_paths.output_dir and clip.stat().st_size > 0
    assert DISK_FULL in err and " free at " in err and str(clip) in err
    assert "Traceback" not in err


def _spec(image: Path, seed: int) -> JobSpec:
    return JobSpec(image=str(image), prompt="waves", width=320, height=224, frames=17, seed=seed)


def _wait(condition, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_queue_pauses_on_a_full_disk_keeps_the_clip_and_resumes_when_asked(
        standin_with_models, picture, app_paths, full_disk):
    store = HistoryStore(app_paths.history_db)
    connection = ServerConnection()
    connection.set(ServerInfo(standin_with_models.url, "attached"))
    queue = JobQueue(store, connection, app_paths.output_dir)
    results, lock = [], threading.Lock()
    queue.finished.connect(lambda r: (lock.acquire(), results.append(r), lock.release()))
    try:
        first, second = queue.add(_spec(picture, 1)), queue.add(_spec(picture, 2))
        queue.start()
        assert _wait(lambda: queue.paused and queue.pause_reason)
        [ended] = results
        assert ended.job_id == first.job_id and ended.status == "failed"
        [clip] = ended.outputs
        assert clip.is_file() and clip.parent == app_paths.output_dir
        assert DISK_FULL in ended.error and str(clip) in ended.error
        assert DISK_FULL in queue.pause_reason and " free at " in queue.pause_reason
        time.sleep(1.5)  # paused: the second job does not run into the same full disk
        assert store.get(second.job_id).status == "pending"
        assert [r.job_id for r in queue.pending()] == [second.job_id]

        full_disk.free_space()
        queue.set_paused(False)  # the user clicks Resume
        assert _wait(lambda: len(results) == 2, timeout=30)
        assert results[1].job_id == second.job_id and results[1].status == "succeeded"
        record = store.get(first.job_id)
        assert record.status == "failed" and record.outputs == [str(clip)]
        assert DISK_FULL in record.error["message"]
        assert clip.is_file()
    finally:
        queue.close()
        store.close()
