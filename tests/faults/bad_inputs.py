"""Machinery of the bad-input corpus (`test_bad_inputs_*.py`): run one `wan22` command line
in-process, check what a user would see, and keep the tally the corpus prints at the end.

Every case asserts: the exit code (non-zero unless the app is meant to recover, e.g. a
damaged settings file that is kept aside), a phrase that says what is wrong, no "Traceback",
no "unexpected error" (the CLI's words for a bug), no hang (pytest-timeout per case), and, with
`seeded_history`, that the jobs already in the history and their video files are untouched.
"""

from __future__ import annotations

import io
import os
import socket
import threading
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from wan22_gui.cli.main import main

CASE_TIMEOUT_S = 30  # a case that takes longer is a hang (pytest-timeout fails it)
DEAD_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there
BUG_WORDS = "unexpected error"  # what wan22 prints for an exception no command expected
TALLY: Counter = Counter()
ROOT_SKIP = pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                               reason="file permissions do not stop root")


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(argv: list[str]) -> Outcome:
    """`wan22 ARGV` in this process, stdout and stderr captured separately."""
    out, err = io.StringIO(), io.StringIO()
    TALLY["tried"] += 1
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse refusing an argument
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException:
            TALLY["crashes"] += 1
            raise
    TALLY["finished"] += 1
    return Outcome(int(code), out.getvalue(), err.getvalue())


def expect(outcome: Outcome, phrase: str, *, code: int | None = None) -> None:
    """The checks every case makes; the tally counts what went wrong."""
    text = outcome.text
    if "Traceback" in text:
        TALLY["tracebacks"] += 1
    if BUG_WORDS in text:
        TALLY["crashes"] += 1
    assert "Traceback" not in text, text
    assert BUG_WORDS not in text, text
    if code is None:
        assert outcome.code != 0, f"exit 0 for a bad input:\n{text}"
    else:
        assert outcome.code == code, f"exit {outcome.code}, expected {code}:\n{text}"
    assert phrase.lower() in text.lower(), f"{phrase!r} not in:\n{text}"
    assert outcome.err.count(_first_line(outcome.err)) <= 1 or not outcome.err.strip(), \
        f"the same error printed twice:\n{outcome.err}"
    TALLY["passed"] += 1


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0] or "\0"


# -- the history that must survive every case ---------------------------------------------


@dataclass(frozen=True)
class Seeded:
    db: Path
    video: Path
    video_bytes: bytes
    job_ids: tuple[str, ...]


@pytest.fixture
def seeded_history(app_paths) -> Seeded:
    """Two finished jobs and one video in the output folder, before the case runs."""
    from wan22_gui.core.history import HistoryStore, JobRecord

    video = app_paths.output_dir / "earlier_clip.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 earlier work")
    store = HistoryStore(app_paths.history_db)
    try:
        store.add(JobRecord("20250101-120000-aaaaaaaa", status="succeeded",
                            params={"width": 640, "height": 640, "frames": 81},
                            outputs=[str(video)]))
        store.add(JobRecord("20250101-120500-bbbbbbbb", status="failed",
                            error={"message": "earlier failure"}))
    finally:
        store.close()
    return Seeded(app_paths.history_db, video, video.read_bytes(),
                  ("20250101-120000-aaaaaaaa", "20250101-120500-bbbbbbbb"))


def assert_nothing_lost(seeded: Seeded) -> None:
    """The earlier jobs are still in the history, with their video byte for byte."""
    from wan22_gui.core.history import HistoryStore

    intact = seeded.video.is_file() and seeded.video.read_bytes() == seeded.video_bytes
    store = HistoryStore(seeded.db)
    try:
        rows = {job_id: store.get(job_id) for job_id in seeded.job_ids}
    finally:
        store.close()
    kept = all(r is not None and not r.deleted for r in rows.values())
    if not (intact and kept):
        TALLY["lost"] += 1
    assert intact, "an earlier video was changed or removed"
    assert kept, f"earlier jobs missing from the history: {rows}"


# -- small servers that are not ComfyUI -----------------------------------------------------


class RawServer:
    """A TCP server on a free port that answers every connection with fixed bytes (or
    nothing, holding it open for `hold_s`)."""

    def __init__(self, reply: bytes, *, hold_s: float = 0.0) -> None:
        self.reply, self.hold_s = reply, hold_s
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="raw-server")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.recv(65536)
                    if self.reply:
                        conn.sendall(self.reply)
                    self._stop.wait(self.hold_s)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


def http_reply(status: str, body: bytes, content_type: str = "text/html") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}"
            "\r\nConnection: close\r\n\r\n").encode() + body


# -- the printed summary --------------------------------------------------------------------


class _Summary:
    """Prints the corpus's counts after the test run."""

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not TALLY["tried"]:
            return
        hangs = TALLY["tried"] - TALLY["finished"] - TALLY["crashes"]
        terminalreporter.write_sep("-", "bad-input corpus")
        terminalreporter.write_line(
            f"cases tried {TALLY['tried']}, passed {TALLY['passed']}, "
            f"crashes {TALLY['crashes']}, tracebacks {TALLY['tracebacks']}, "
            f"hangs {max(hangs, 0)}, records lost {TALLY['lost']}")


@pytest.fixture(autouse=True, scope="session")
def _corpus_summary(request):
    manager = request.config.pluginmanager
    if not manager.has_plugin("bad-input-corpus-summary"):
        manager.register(_Summary(), "bad-input-corpus-summary")
    yield
