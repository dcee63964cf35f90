"""BenchmarkRunner with a scripted cell runner and server: OOMs and crashes are results, the
benchmark goes on, resumes where it stopped, can be cancelled, and reports progress with an ETA.

`ScriptedCells` and `FakeServer` are imported by the other benchmark tests.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path
from typing import Callable

import pytest

from wan22_gui.core.bench.matrix import expand
from wan22_gui.core.bench.results import ResultStore
from wan22_gui.core.bench.runner import (
    BenchmarkRunner, RunOutcome, RunRequest, ServerMismatch,
)
from wan22_gui.core.bench.spec import LaunchConfig, parse_spec_text

GIB = 1024**3

SPEC = """
name = "matrix"
images = ["a.png", "b.png"]
resolutions = ["832x1216"]
frames = [25, 49, 81]
repeats = 2
warmup = 1
[[configs]]
name = "lora"
[[configs]]
name = "sage"
attention = "sage"
"""


def write_clip(path: Path, frames: int = 9, size: tuple[int, int] = (96, 64)) -> Path:
    """A small real mp4 (so posters can be made from it)."""
    import cv2
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 16, size)
    for i in range(frames):
        frame = np.full((size[1], size[0], 3), (30 + 20 * i) % 255, np.uint8)
        frame[:, : size[0] // 2] = (200, 120, 40)
        writer.write(frame)
    writer.release()
    return path


class ScriptedCells:
    """A CellRunner whose outcome per run comes from `script(request, call_index) -> status`.

    Times are made up from the frame count; a succeeded run writes a real clip.
    """

    def __init__(self, script: Callable[[RunRequest, int], str] = lambda r, i: "succeeded",
                 *, clips: bool = True) -> None:
        self.script = script
        self.clips = clips
        self.calls: list[RunRequest] = []
        self.cancelled = threading.Event()
        self.on_run: Callable[[RunRequest], None] = lambda r: None

    def run(self, request: RunRequest) -> RunOutcome:
        self.calls.append(request)
        self.on_run(request)
        status = self.script(request, len(self.calls) - 1)
        if status == "raise":
            raise RuntimeError("boom <script>")
        if self.cancelled.is_set():
            return RunOutcome("cancelled", error="Cancelled.")
        cell = request.cell
        pass_s = cell.frames * (0.8 if cell.config.attention == "sage" else 1.0)
        timings = {"upload": 0.2, "text_encode": 1.0, "model_load": 30.0 if request.warmup else 0.5,
                   "high_noise": pass_s, "low_noise": pass_s * 0.9, "vae_decode": 4.0}
        metrics = {"peak_vram_bytes": int((12 + cell.frames / 10) * GIB),
                   "vram_total_bytes": 32 * GIB, "mean_gpu_util": 97.0, "energy_wh": 9.5,
                   "peak_temp_c": 71.0, "mean_power_w": 450.0}
        if status != "succeeded":
            errors = {"oom": "Out of GPU memory in the high-noise pass.",
                      "crashed": "ComfyUI stopped during the high-noise pass.",
                      "error": "SafetensorError <header too small>"}
            return RunOutcome(status, timings={"upload": 0.2}, error=errors.get(status, status))
        outputs = []
        if self.clips:
            outputs.append(write_clip(request.output_dir / f"{request.run_key.replace(':', '_')}.mp4"))
        return RunOutcome("succeeded", sum(timings.values()), timings, metrics, outputs,
                          job_id=f"job{len(self.calls)}", prompt_id=f"p{len(self.calls)}")

    def cancel(self) -> None:
        self.cancelled.set()


class FakeServer:
    """A ServerManager that records what it was asked."""

    url = "http://127.0.0.1:9"

    def __init__(self, *, recover_ok: bool = True, refuse: tuple[str, ...] = ()) -> None:
        self.ensured: list[LaunchConfig] = []
        self.recoveries = 0
        self.recover_ok = recover_ok
        self.refuse = refuse
        self._current: LaunchConfig | None = None

    def ensure(self, launch: LaunchConfig) -> bool:
        if launch.attention in self.refuse:
            raise ServerMismatch(f"This server was not started with {launch.attention} attention",
                                 "Use --comfyui so the benchmark can restart it.")
        self.ensured.append(launch)
        fresh = launch != self._current
        self._current = launch
        return fresh

    def recover(self) -> bool:
        self.recoveries += 1
        return self.recover_ok

    def environment(self) -> dict:
        return {"system": {"os": "posix", "comfyui_version": "0.3.64"},
                "devices": [{"name": "cuda:0 NVIDIA GeForce RTX 5090 : cudaMallocAsync",
                             "vram_total": 32 * GIB}]}


@pytest.fixture
def spec(tmp_path):
    import cv2
    import numpy as np

    for name, color in (("a.png", (40, 90, 200)), ("b.png", (200, 90, 40))):
        cv2.imwrite(str(tmp_path / name), np.full((64, 64, 3), color, np.uint8))
    return parse_spec_text(SPEC, base_dir=tmp_path, source=tmp_path / "spec.toml")


def _is(request: RunRequest, config: str, image: str, frames: int) -> bool:
    c = request.cell
    return c.config.name == config and c.image.name == image and c.frames == frames


def statuses(out: Path, *, warmup: bool = False) -> list[str]:
    return [r.status for r in ResultStore(out).latest().values() if r.warmup == warmup]


def test_matrix_survives_an_oom_and_a_crash(spec, tmp_path):
    def script(request, index):
        if _is(request, "lora", "a.png", 49):
            return "oom"
        if _is(request, "sage", "a.png", 49) and request.run_key.endswith("r0"):
            return "crashed"
        return "succeeded"

    cells, server, out = ScriptedCells(script), FakeServer(), tmp_path / "out"
    runner = BenchmarkRunner(spec, out, cells, server)
    summary = runner.run()

    measured = statuses(out)
    assert len(measured) == 2 * 3 * 2 * 2  # every planned run has a result
    assert measured.count("oom") == 1  # the second repeat of the OOM cell is skipped, not run
    assert measured.count("skipped") == 1
    assert measured.count("crashed") == 1
    assert measured.count("succeeded") == 24 - 3
    assert server.recoveries == 1
    assert [launch.attention for launch in server.ensured] == [None, "sage"]
    # warm-ups: one per fresh server, one after the OOM (models unloaded), one after the crash
    assert len(statuses(out, warmup=True)) == 4
    assert summary.counts == {"succeeded": 21, "oom": 1, "skipped": 1, "crashed": 1}
    assert summary.report_path and summary.report_path.exists()
    rows = list(csv.DictReader(open(summary.csv_path, encoding="utf-8")))
    assert len(rows) == 24 + 4
    assert sum(r["warmup"] == "1" for r in rows) == 4
    oom_row = next(r for r in rows if r["status"] == "oom")
    assert oom_row["image"] == "a.png" and oom_row["frames"] == "49"
    assert "Out of GPU memory" in oom_row["error"]


def test_resume_after_cancel_runs_only_what_is_left(spec, tmp_path):
    out = tmp_path / "out"
    first = ScriptedCells()
    runner = BenchmarkRunner(spec, out, first, FakeServer())
    first.on_run = lambda r: runner.cancel() if len(first.calls) == 6 else None
    summary = runner.run()
    assert summary.cancelled
    done = [s for s in statuses(out) if s == "succeeded"]
    assert len(done) == 4  # warm-up + 4 measured runs, the 6th call was cancelled
    assert "cancelled" in statuses(out)

    second = ScriptedCells()
    again = BenchmarkRunner(spec, out, second, FakeServer())
    plan, pending = again.plan()
    assert len(plan) == 24 and len(pending) == 20
    summary = again.run()
    assert not summary.cancelled and summary.already_done == 4
    measured_calls = [c for c in second.calls if not c.warmup]
    assert len(measured_calls) == 20
    assert {c.run_key for c in measured_calls}.isdisjoint(
        {c.run_key for c in first.calls if not c.warmup and c is not first.calls[-1]})
    assert statuses(out).count("succeeded") == 24
    # a third run has nothing to do and starts no job
    third = ScriptedCells()
    BenchmarkRunner(spec, out, third, FakeServer()).run()
    assert third.calls == []


def test_server_that_does_not_come_back_leaves_runs_for_later(spec, tmp_path):
    out = tmp_path / "out"
    cells = ScriptedCells(lambda r, i: "crashed" if i == 3 else "succeeded")
    summary = BenchmarkRunner(spec, out, cells, FakeServer(recover_ok=False)).run()
    assert summary.server_lost
    measured = statuses(out)
    assert measured.count("crashed") == 1 and measured.count("not_run") == 24 - 2 - 1
    # resume on a healthy server finishes the not_run runs (the crash stays a result)
    cells2 = ScriptedCells()
    BenchmarkRunner(spec, out, cells2, FakeServer()).run()
    assert statuses(out).count("succeeded") == 23 and statuses(out).count("crashed") == 1
    assert len([c for c in cells2.calls if not c.warmup]) == 21


def test_config_the_server_cannot_provide_is_left_not_run(spec, tmp_path):
    out = tmp_path / "out"
    server = FakeServer(refuse=("sage",))
    summary = BenchmarkRunner(spec, out, ScriptedCells(), server).run()
    latest = ResultStore(out).latest().values()
    sage = [r for r in latest if r.config == "sage"]
    assert {r.status for r in sage} == {"not_run"}
    assert "--comfyui" in sage[0].error
    assert {r.status for r in latest if r.config == "lora" and not r.warmup} == {"succeeded"}
    assert summary.counts["not_run"] == 12


def test_a_bug_in_one_run_is_recorded_and_the_rest_goes_on(spec, tmp_path):
    out = tmp_path / "out"
    cells = ScriptedCells(lambda r, i: "raise" if i == 2 else "succeeded")
    BenchmarkRunner(spec, out, cells, FakeServer()).run()
    errors = [r for r in ResultStore(out).latest().values() if r.status == "error"]
    assert len(errors) == 1 and "boom <script>" in errors[0].error
    assert statuses(out).count("succeeded") == 23


def test_progress_counts_up_with_an_eta(spec, tmp_path):
    events = []
    runner = BenchmarkRunner(spec, tmp_path / "out", ScriptedCells(), FakeServer())
    runner.progress.connect(events.append)
    runner.run()
    assert events[0].done == 0 and events[0].total == 24 and events[0].eta_s is None
    assert events[-1].done == 24 and events[-1].fraction == 1.0
    etas = [e.eta_s for e in events if e.done and e.done < 24]
    assert etas and all(eta is not None and eta > 0 for eta in etas)
    assert any(e.warmup and e.current for e in events)


def test_retry_failed_runs_failed_cells_again(spec, tmp_path):
    out = tmp_path / "out"
    oom_first = ScriptedCells(lambda r, i: "oom" if r.cell.frames == 81 else "succeeded")
    BenchmarkRunner(spec, out, oom_first, FakeServer()).run()
    assert statuses(out).count("oom") == 4 and statuses(out).count("skipped") == 4
    plain = ScriptedCells()
    BenchmarkRunner(spec, out, plain, FakeServer()).run()
    assert plain.calls == []  # OOMs are results: a plain resume leaves them alone
    retry = ScriptedCells()
    BenchmarkRunner(spec, out, retry, FakeServer(), retry_failed=True).run()
    assert len([c for c in retry.calls if not c.warmup]) == 8
    assert statuses(out).count("succeeded") == 24


def test_corrupt_results_line_is_skipped(spec, tmp_path):
    out = tmp_path / "out"
    BenchmarkRunner(spec, out, ScriptedCells(), FakeServer(), write_outputs=False).run()
    with open(out / "results.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"run_key": "cut off mid-wri')
    store = ResultStore(out)
    assert len(store.latest()) == 24 + 2
    assert store.skipped_lines == 1
    assert len(expand(spec)) == 12
