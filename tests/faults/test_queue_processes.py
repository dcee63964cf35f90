"""Two real processes on one profile: a job another live process runs is never taken over
(no failed-then-succeeded rows, no second download), and a job of a killed `wan22 generate`
is finished by the next run (its clip downloaded once, from ComfyUI's history)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from wan22_gui.cli.main import main
from wan22_gui.core.comfy.connection import ServerConnection, ServerInfo
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.jobs.queue import JobQueue

SIZE = ["--frames", "17", "--width", "320", "--height", "224"]


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "harbour.jpg"
    Image.new("RGB", (640, 448), (20, 90, 140)).save(path)
    return path


class Cli:
    """`python -m wan22_gui generate ...` in its own process, its progress (stderr) read as it
    comes; stdout holds only the result paths."""

    def __init__(self, url: str, picture: Path, seed: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "wan22_gui", "generate", str(picture), *SIZE,
             "--server", url, "--seed", str(seed)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        self.lines: list[str] = []
        self._new = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._new:
                self.lines.append(line.rstrip("\n"))
                self._new.notify_all()

    def wait_for(self, words: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with self._new:
            while not any(words in line for line in self.lines):
                left = deadline - time.monotonic()
                assert left > 0 and self.proc.poll() is None, \
                    f"no {words!r} from wan22 generate: {self.lines}"
                self._new.wait(left)

    def finish(self, timeout: float = 120.0) -> tuple[int, str]:
        assert self.proc.stdout is not None
        self.output = self.proc.stdout.read()
        code = self.proc.wait(timeout)
        self._reader.join(5)
        with self._new:
            return code, "\n".join(self.lines)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)  # reaped, as a shell reaps a killed command

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _clips(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.mp4"))


def _queue_beside(cli: Cli, url: str, store: HistoryStore, output_dir: Path) -> tuple[int, str]:
    """Open the app's queue on the profile while `cli` runs its job; the CLI's exit code and
    stderr once it is done and the queue had time to do whatever it would do."""
    connection = ServerConnection()
    connection.set(ServerInfo(url, "attached"))
    queue = JobQueue(store, connection, output_dir)
    recovered = threading.Event()
    queue.finished.connect(lambda result: recovered.set())
    try:
        queue.start()  # the GUI opens on the same profile while the CLI job runs
        time.sleep(1.0)
        [row] = store.list()
        assert row.status in ("queued", "running") and row.error is None, row.error
        code, err = cli.finish()
        recovered.wait(3.0)  # a queue that took the job over would download it again now
    finally:
        queue.close()
    return code, err


@pytest.mark.parametrize("moment", ["sampling", "upload"])
def test_the_app_queue_leaves_a_running_cli_job_alone(standin_with_models, picture, app_paths,
                                                      moment):
    if moment == "upload":
        standin_with_models.faults.slow_reply_s = 0.7  # the upload takes a while
    else:
        standin_with_models.faults.step_seconds = 0.5
    cli = Cli(standin_with_models.url, picture, seed=1)
    store = HistoryStore(app_paths.history_db)
    try:
        cli.wait_for("Upload" if moment == "upload" else "pass: step 1/2")
        code, err = _queue_beside(cli, standin_with_models.url, store, app_paths.output_dir)
        assert code == 0, err
        [row] = store.list()
    finally:
        cli.close()
        store.close()
    assert row.status == "succeeded" and row.error is None
    assert [Path(p) for p in row.outputs] == _clips(app_paths.output_dir)  # one download


def test_two_cli_runs_on_one_profile_each_keep_their_own_job(standin_with_models, picture,
                                                             app_paths):
    standin_with_models.faults.step_seconds = 0.4
    first = Cli(standin_with_models.url, picture, seed=1)
    second = None
    try:
        first.wait_for("pass: step 1/2")
        second = Cli(standin_with_models.url, picture, seed=2)
        code2, err2 = second.finish()
        code1, err1 = first.finish()
    finally:
        first.close()
        if second is not None:
            second.close()
    assert (code1, code2) == (0, 0), err1 + err2
    assert "finishing job" not in err2
    store = HistoryStore(app_paths.history_db)
    rows = store.list()
    store.close()
    assert sorted(r.status for r in rows) == ["succeeded", "succeeded"]
    assert all(r.error is None and len(r.outputs) == 1 for r in rows)
    assert sorted(Path(r.outputs[0]) for r in rows) == _clips(app_paths.output_dir)


def test_the_next_cli_run_finishes_the_job_of_a_killed_one(standin_with_models, picture,
                                                           app_paths, capsys):
    standin_with_models.faults.step_seconds = 0.3
    killed = Cli(standin_with_models.url, picture, seed=1)
    try:
        killed.wait_for("pass: step 1/2")
        killed.kill()
    finally:
        killed.close()
    store = HistoryStore(app_paths.history_db)
    [left] = store.list()
    assert left.status in ("queued", "running") and left.prompt_id
    code = main(["generate", str(picture), *SIZE, "--server", standin_with_models.url,
                 "--seed", "2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"finishing job {left.job_id}" in err
    recovered = store.get(left.job_id)
    rows = store.list()
    store.close()
    assert recovered.status == "succeeded" and recovered.error is None
    [clip] = recovered.outputs
    assert Path(clip).is_file() and f"job {left.job_id} succeeded: {clip}" in err
    assert len(rows) == 2 and all(r.status == "succeeded" for r in rows)
    assert sorted(Path(r.outputs[0]) for r in rows) == _clips(app_paths.output_dir)
    assert Path(out.strip().splitlines()[-1]).is_file()
