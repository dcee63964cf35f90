"""One ComfyUI child process: started without a shell in its own process group, its output read
continuously into a bounded ring and a log file, stopped gracefully or killed with its children.

Orphans: on Linux the child gets PR_SET_PDEATHSIG(SIGKILL), so it dies with the thread that
started it even when the app is killed with SIGKILL. Call `spawn()` from a thread that lives as
long as the child (the launcher's supervisor thread does). On Windows it is put into a
kill-on-close job object (`winjob.py`). Everywhere, `kill_tree()` at exit (the launcher registers
it with atexit) covers normal exits and crashes of the Python code.
"""

from __future__ import annotations

import codecs
import collections
import ctypes
import ctypes.util
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Callable, Mapping, Sequence

log = logging.getLogger("wan22.server")

RING_LINES = 5000
LOG_ROTATE_BYTES = 20 * 1024 * 1024
_SPLIT = re.compile(r"\r\n|\r|\n")
_PR_SET_PDEATHSIG = 1


def _pdeathsig_hook() -> Callable[[], None] | None:
    """A preexec_fn that asks Linux to SIGKILL the child when its parent thread dies.

    libc is looked up here, in the parent, so the child does nothing but one system call.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class ComfyProcess:
    """A started (or about to be started) ComfyUI process.

    Args:
        argv: the full command (interpreter first); never run through a shell.
        cwd: working folder.
        env: variables set on top of this process's environment.
        log_file: appended with every line (rotated once at 20 MB); None for no file.
        on_line: called with each output line, on a reader thread.
    """

    def __init__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str], *,
                 log_file: Path | None = None, on_line: Callable[[str], None] | None = None,
                 ring_lines: int = RING_LINES) -> None:
        self.argv = [str(a) for a in argv]
        self.cwd = Path(cwd)
        self.env = dict(env)
        self.log_file = log_file
        self._on_line = on_line
        self._ring: collections.deque[tuple[int, str]] = collections.deque(maxlen=ring_lines)
        self._seq = 0
        self._lock = threading.Lock()
        self._log_handle: IO[str] | None = None
        self._readers: list[threading.Thread] = []
        self.popen: subprocess.Popen[bytes] | None = None
        self._job = None  # Windows job object handle, kept open while we live

    # -- start -----------------------------------------------------------------------------
    def spawn(self) -> int:
        """Start the process and its output readers; returns the PID. Raises OSError."""
        env = dict(os.environ, **self.env, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
        kwargs: dict = {}
        if os.name == "nt":
            kwargs["creationflags"] = (subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
                                       | getattr(subprocess, "CREATE_NO_WINDOW", 0))
        else:
            kwargs["start_new_session"] = True
            kwargs["preexec_fn"] = _pdeathsig_hook()
        self._open_log()
        self.popen = subprocess.Popen(self.argv, cwd=str(self.cwd), env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
        if os.name == "nt":  # dies with the app even when the app is killed
            from wan22_gui.core.server.winjob import kill_on_close_job

            self._job = kill_on_close_job(self.popen._handle)  # type: ignore[attr-defined]
        for name, stream in (("stdout", self.popen.stdout), ("stderr", self.popen.stderr)):
            thread = threading.Thread(target=self._read, args=(stream,), daemon=True,
                                      name=f"comfyui-{name}-{self.popen.pid}")
            thread.start()
            self._readers.append(thread)
        return self.popen.pid

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def poll(self) -> int | None:
        return self.popen.poll() if self.popen else None

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code, or None if still running after `timeout` seconds."""
        if self.popen is None:
            return None
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    # -- output ----------------------------------------------------------------------------
    def lines(self, last: int | None = None) -> list[str]:
        with self._lock:
            items = [text for _, text in self._ring]
        return items[-last:] if last else items

    def lines_since(self, seq: int) -> tuple[int, list[str]]:
        """Lines after sequence number `seq`, and the newest sequence number (for polling)."""
        with self._lock:
            return self._seq, [text for number, text in self._ring if number > seq]

    def finish_output(self, timeout: float = 5.0) -> None:
        """Wait until the readers have drained the pipes (after the process exited)."""
        for thread in self._readers:
            thread.join(timeout)
        with self._lock:
            if self._log_handle is not None:
                self._log_handle.close()
                self._log_handle = None

    def note(self, text: str) -> None:
        """Add a line of our own (prefixed "[wan22]") to the ring and the log file."""
        self._add(f"[wan22] {text}")

    def _read(self, stream: IO[bytes]) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        read = getattr(stream, "read1", stream.read)
        while True:
            chunk = read(65536)
            if not chunk:
                break
            parts = _SPLIT.split(pending + decoder.decode(chunk))
            pending = parts.pop()  # the part after the last line break (maybe incomplete)
            for part in parts:
                if part:
                    self._add(part)
        tail = pending + decoder.decode(b"", final=True)
        if tail:
            self._add(tail)
        stream.close()

    def _add(self, text: str) -> None:
        with self._lock:
            self._seq += 1
            self._ring.append((self._seq, text))
            if self._log_handle is not None:
                try:
                    self._log_handle.write(text + "\n")
                    self._log_handle.flush()
                except OSError:  # a full disk must not stop ComfyUI's output from draining
                    self._log_handle = None
        if self._on_line is not None:
            try:
                self._on_line(text)
            except Exception:
                log.exception("log line subscriber failed")

    def _open_log(self) -> None:
        if self.log_file is None:
            return
        try:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            if self.log_file.exists() and self.log_file.stat().st_size > LOG_ROTATE_BYTES:
                self.log_file.replace(self.log_file.with_suffix(".log.1"))
            self._log_handle = open(self.log_file, "a", encoding="utf-8", errors="replace")
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            self._log_handle.write(f"\n===== {stamp} starting: {subprocess.list2cmdline(self.argv)}\n")
        except OSError as exc:
            log.warning("cannot write the ComfyUI log %s: %s", self.log_file, exc)
            self._log_handle = None

    # -- stop ------------------------------------------------------------------------------
    def interrupt(self) -> None:
        """Ask politely: SIGINT to the group (POSIX) / CTRL_BREAK (Windows). ComfyUI then
        prints "Stopped server" and exits."""
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            if os.name == "nt":
                os.kill(self.popen.pid, signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
            else:
                os.killpg(self.popen.pid, signal.SIGINT)
        except OSError as exc:  # e.g. no console to send CTRL_BREAK through
            log.debug("interrupt failed: %s", exc)

    def kill_tree(self) -> None:
        """Kill the process and everything it started (its process group / tree). Idempotent."""
        if self.popen is None:
            return
        if os.name == "nt":
            if self.popen.poll() is None:
                subprocess.run(["taskkill", "/PID", str(self.popen.pid), "/T", "/F"],
                               capture_output=True, timeout=30)
        else:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)  # also reaches leftover grandchildren
            except OSError:
                pass
        self.wait(10)

    def stop(self, grace_s: float = 15.0) -> int | None:
        """Interrupt, wait up to `grace_s`, then kill the tree. Returns the exit code."""
        self.interrupt()
        code = self.wait(grace_s)
        if code is None:
            self.note(f"ComfyUI did not stop within {grace_s:.0f} s; killing it.")
        self.kill_tree()
        return self.poll()
