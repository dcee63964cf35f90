"""Run one real job against a real ComfyUI stand-in process and `kill -9` it mid-pass.

`run_and_kill` starts the job on a thread, sends SIGKILL to the server's process at the first
sampler step of the high-noise pass, and reports when the kill happened and when the job ended
(monotonic for the detection time, wall clock to compare with the recorded phase spans).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from wan22_gui.core.workflow.spec import JobSpec

STEP_SECONDS = 1.0  # one sampler step of the stand-in: the kill lands well inside the pass


@dataclass
class KillRun:
    result: Any
    killed_at: float  # time.time() of the kill
    detection_s: float  # from the kill to the end of `run`


def start_image(folder: Path) -> Path:
    path = folder / "fox.png"
    Image.new("RGB", (320, 224), (200, 60, 20)).save(path)
    return path


def job_spec(image: Path) -> JobSpec:
    return JobSpec(image=str(image), prompt="the fox blinks", width=320, height=224, frames=17)


def run_and_kill(runner: Any, spec: JobSpec, pid: int, timeout: float = 60.0) -> KillRun:
    """Run `spec`, SIGKILL `pid` at the first high-noise step, return the timings."""
    kill: dict[str, float] = {}

    def on_progress(job_id: str, phase: str, step: int, total: int, eta: Any) -> None:
        if phase == "high_noise" and not kill:
            kill["wall"], kill["mono"] = time.time(), time.monotonic()
            os.kill(pid, signal.SIGKILL)

    runner.progress.connect(on_progress)
    done: dict[str, Any] = {}

    def work() -> None:
        done["result"] = runner.run(spec)
        done["ended"] = time.monotonic()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout)
    assert "result" in done, f"the job did not end within {timeout} s"
    assert kill, f"the job never reached the high-noise pass: {done['result']}"
    return KillRun(done["result"], kill["wall"], done["ended"] - kill["mono"])


def span(record: Any, phase: str) -> dict:
    [found] = [s for s in record.phase_spans if s["phase"] == phase]
    return found
