"""Start the stand-in as a child process (``python -m tests.fakes.comfy_standin``) and drive it."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]


class StandinProcess:
    """A running stand-in process: ``url``, ``root``, console lines, faults and counters."""

    def __init__(self, root: Path, *, args: list[str] = (), faults: dict | None = None,
                 startup_timeout: float = 30.0, env: dict[str, str] | None = None) -> None:
        self.root = Path(root)
        command = [sys.executable, "-m", "tests.fakes.comfy_standin", "--port", "0",
                   "--base-directory", str(self.root), *args]  # ComfyUI's own flag
        if faults:
            command += ["--faults", json.dumps(faults)]
        self.command = command
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        self._stderr: list[str] = []
        self._ready: queue.Queue[str] = queue.Queue()
        self._pumps = [threading.Thread(target=self._pump_stdout, daemon=True),
                       threading.Thread(target=self._pump_stderr, daemon=True)]
        for pump in self._pumps:
            pump.start()
        try:
            line = self._ready.get(timeout=startup_timeout)
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"stand-in did not print READY; stderr:\n{self.console_text}") from None
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"stand-in exited before READY; stderr:\n{self.console_text}")
        self.url = line.split(" ", 1)[1].strip()

    def _pump_stdout(self) -> None:
        for line in self.process.stdout:
            if line.startswith("READY "):
                self._ready.put(line)
        self._ready.put("EOF")

    def _pump_stderr(self) -> None:
        for line in self.process.stderr:
            self._stderr.append(line.rstrip("\n"))

    @property
    def console_lines(self) -> list[str]:
        return list(self._stderr)

    @property
    def console_text(self) -> str:
        return "\n".join(self._stderr)

    def _control(self, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/__standin__/" + path, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())

    def set_faults(self, **changes: Any) -> dict:
        """Change scripted faults of the running process (same names as ``Faults``)."""
        return self._control("faults", changes)

    def counters(self) -> dict[str, int]:
        return self._control("counters")

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then kill if it lingers; returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        for pump in self._pumps:  # they end at EOF, now that the process is gone
            pump.join(timeout=timeout)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode
