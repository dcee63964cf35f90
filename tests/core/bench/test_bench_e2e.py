"""End to end: a 2 images × 3 frame counts × 2 configurations matrix through the real JobRunner
against the stand-in ComfyUI, with a scripted OOM in one cell and the server killed in another;
then the CSV and the HTML report (checked in headless Chromium when it is installed). Also:
cancelling a real benchmark and resuming it, and a server given by URL that is waited for."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from tests.core.bench.test_bench_report import Page, chromium_screenshot_ok
from tests.fakes.comfy_standin import StandinServer, install_wan_models
from wan22_gui.core.bench.jobcells import JobCellRunner
from wan22_gui.core.bench.results import ResultStore
from wan22_gui.core.bench.runner import BenchmarkRunner, RunRequest
from wan22_gui.core.bench.servers import FixedServer
from wan22_gui.core.bench.spec import LaunchConfig, parse_spec_text
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.comfy.session import ServerSession

SPEC = """
name = "stand-in matrix"
images = ["red.png", "blue.png"]
resolutions = ["128x96"]
frames = [5, 9, 13]
repeats = 2
warmup = 1
[[configs]]
name = "4-step LoRA"
[[configs]]
name = "20 steps"
lora = false
"""
OOM_CELL = ("20 steps", "blue.png", 9)
KILL_CELL = ("4-step LoRA", "red.png", 13)
FAST = {"step_seconds": 0.005, "node_seconds": 0.002}


class StandinManager:
    """A ServerManager over in-process stand-ins: a dead one is replaced by a new one (as a
    launcher restarting ComfyUI would do), on a new port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.servers: list[StandinServer] = []
        self.used = False
        self._start()

    def _start(self) -> None:
        server = StandinServer(self.root, faults=dict(FAST))
        server.start()
        self.servers.append(server)

    @property
    def current(self) -> StandinServer:
        return self.servers[-1]

    @property
    def url(self) -> str:
        return self.current.url

    def ensure(self, launch: LaunchConfig) -> bool:
        fresh, self.used = not self.used, True
        return fresh

    def recover(self) -> bool:
        self.current.stop()
        self._start()
        return True

    def environment(self) -> dict:
        return {"comfyui": {"system": {"comfyui_version": "stand-in"},
                            "devices": self.current.devices}}

    def close(self) -> None:
        for server in self.servers:
            server.stop()


class FaultScript:
    """Wraps the real cell runner and scripts the stand-in's faults for chosen cells."""

    def __init__(self, inner: JobCellRunner, manager: StandinManager) -> None:
        self.inner = inner
        self.manager = manager

    def run(self, request: RunRequest) -> object:
        cell = request.cell
        key = (cell.config.name, cell.image.name, cell.frames)
        faults = self.manager.current.faults
        faults.oom_above_frames = cell.frames - 1 if key == OOM_CELL else None
        faults.die_mid_job = key == KILL_CELL and request.run_key.endswith(":r0")
        return self.inner.run(request)

    def cancel(self) -> None:
        self.inner.cancel()


def quick_session(url: str) -> ServerSession:
    return ServerSession(url, connect_timeout=5.0, unreachable_timeout=1.0,
                         poll_interval=0.2).open()


@pytest.fixture
def stand(tmp_path):
    from PIL import Image

    for name, color in (("red.png", (200, 40, 40)), ("blue.png", (40, 60, 200))):
        Image.new("RGB", (128, 96), color).save(tmp_path / name)
    install_wan_models(tmp_path / "comfy")
    spec = parse_spec_text(SPEC, base_dir=tmp_path, source=tmp_path / "spec.toml")
    manager = StandinManager(tmp_path / "comfy")
    history = HistoryStore(tmp_path / "history.sqlite3")
    cells = JobCellRunner(manager, history, session_factory=quick_session,
                          times=FollowTimes(poll=0.05, cancel_retry=0.2))
    yield spec, manager, cells, history
    cells.close()
    manager.close()
    history.close()


def test_matrix_end_to_end_with_an_oom_and_a_killed_server(stand, tmp_path):
    spec, manager, cells, history = stand
    out = tmp_path / "out"
    summary = BenchmarkRunner(spec, out, FaultScript(cells, manager), manager).run()

    assert summary.counts == {"succeeded": 21, "oom": 1, "skipped": 1, "crashed": 1}
    assert len(manager.servers) == 2  # the killed server was replaced and the run went on
    latest = ResultStore(out).latest().values()
    by_cell = {(r.config, r.image, r.frames, r.repeat): r for r in latest if not r.warmup}
    assert by_cell[(*OOM_CELL, 0)].status == "oom"
    assert "memory" in by_cell[(*OOM_CELL, 0)].error.lower()
    assert by_cell[(*KILL_CELL, 0)].status == "crashed"
    assert by_cell[(*KILL_CELL, 1)].status == "succeeded"  # after the restart
    warmups = [r for r in latest if r.warmup]
    # first start, after the crash, on switching to "20 steps" (other models), after the OOM
    assert len(warmups) == 4 and all(w.ok for w in warmups)
    ok = [r for r in latest if r.ok and not r.warmup]
    assert all({"upload", "high_noise", "low_noise", "download"} <= set(r.timings) for r in ok)
    assert all((out / r.outputs[0]).is_file() for r in ok)
    assert len({r.seed for r in ok if r.cell_id == ok[0].cell_id}) == 2  # no cached repeats
    bench_jobs = history.list(kind="bench")
    assert len(bench_jobs) == len(list(latest)) - 1  # every run but the skipped one is a job

    rows = list(csv.DictReader(open(summary.csv_path, encoding="utf-8")))
    assert {r["status"] for r in rows} == {"succeeded", "oom", "skipped", "crashed"}
    page = Page()
    page.feed(summary.report_path.read_text(encoding="utf-8"))
    assert len(page.all("video")) == 11  # 12 cells, one never succeeded (the OOM cell)
    assert all((out / v["poster"]).is_file() for v in page.all("video"))
    if shutil.which("chromium"):
        assert chromium_screenshot_ok(summary.report_path, tmp_path / "shot.png")


def test_cancel_a_real_benchmark_then_resume(stand, tmp_path):
    spec, manager, cells, history = stand
    out = tmp_path / "out"
    runner = BenchmarkRunner(spec, out, cells, manager, write_outputs=False)
    runner.recorded.connect(lambda record: runner.cancel() if not record.warmup and
                            record.repeat == 1 and record.frames == 9 else None)
    first = runner.run()
    assert first.cancelled and first.counts == {"succeeded": 4}
    second = BenchmarkRunner(spec, out, cells, manager).run()
    assert not second.cancelled and second.already_done == 4
    assert second.counts == {"succeeded": 20}
    measured = [r for r in ResultStore(out).load() if not r.warmup]
    assert len(measured) == 24  # each run once: nothing ran twice
    assert second.report_path.is_file()


def test_server_given_by_url_is_waited_for_after_a_crash(tmp_path):
    answers = iter([None, None, {"system": {"argv": ["main.py"]}}])
    server = FixedServer("http://127.0.0.1:9", wait_s=5, poll_s=0.01,
                         stats_fn=lambda url: next(answers))
    assert server.recover()
    server = FixedServer("http://127.0.0.1:9", wait_s=0.05, poll_s=0.01,
                         stats_fn=lambda url: None)
    assert not server.recover()


def test_runs_carry_the_same_nvml_metrics_as_normal_jobs(stand, tmp_path):
    """A sampler over a fake RTX 5090 feeds job_metrics; the benchmark adds the card's memory
    and the mean power, and the CSV carries them."""
    from tests.fakes.fake_nvml import FakeNvml, rtx_5090
    from wan22_gui.core.telemetry.nvml import Nvml
    from wan22_gui.core.telemetry.sampler import GpuSampler

    spec, manager, _, history = stand
    manager.current.faults.step_seconds = 0.03
    gpu = rtx_5090(memory_used=21 * 1024**3, util_gpu=96, power_mw=500_000, temp_c=70)
    sampler = GpuSampler(Nvml(FakeNvml([gpu]), register_atexit=False), device_index=0,
                         rate_hz=20.0)
    sampler.start()
    cells = JobCellRunner(manager, history, sampler=sampler, session_factory=quick_session,
                          times=FollowTimes(poll=0.05, cancel_retry=0.2))
    one = parse_spec_text(SPEC.replace("frames = [5, 9, 13]", "frames = [5]").replace(
        "repeats = 2", "repeats = 1").replace('["red.png", "blue.png"]', '["red.png"]'),
        base_dir=tmp_path)
    try:
        summary = BenchmarkRunner(one, tmp_path / "out", cells, manager).run()
    finally:
        cells.close()
        sampler.stop()
    rows = [r for r in csv.DictReader(open(summary.csv_path, encoding="utf-8"))
            if r["warmup"] == "0"]
    assert len(rows) == 2 and {r["status"] for r in rows} == {"succeeded"}
    for row in rows:
        assert int(row["peak_vram_bytes"]) == 21 * 1024**3
        assert int(row["vram_total_bytes"]) == 32607 * 1024**2
        assert float(row["mean_gpu_util_pct"]) == pytest.approx(96)
        assert float(row["mean_power_w"]) == pytest.approx(500, rel=0.05)
        assert float(row["peak_temp_c"]) == 70
        assert float(row["energy_wh"]) > 0
    html = summary.report_path.read_text(encoding="utf-8")
    assert "32 GB class (RTX 5090)" in html  # NVML's reading beats the server's snapshot


def test_interpolation_and_sage_node_configurations(stand, tmp_path):
    """RIFE runs after generation through the app's InterpolationRunner (its time is the
    `interpolate` phase); "sage-node" patches SageAttention into the workflow, no restart."""
    from wan22_gui.core.video.reader import probe

    spec, manager, cells, history = stand
    for node in ("RIFE VFI", "PathchSageAttentionKJ"):
        manager.current.extra_nodes.add(node)
    two = parse_spec_text(
        'images = ["red.png"]\nresolutions = ["128x96"]\nframes = [9]\nrepeats = 1\nwarmup = 0\n'
        '[[configs]]\nname = "rife"\ninterpolation = "rife"\n'
        '[[configs]]\nname = "sage"\nattention = "sage-node"\n', base_dir=tmp_path)
    summary = BenchmarkRunner(two, tmp_path / "out", cells, manager).run()
    assert summary.counts == {"succeeded": 2}, ResultStore(tmp_path / "out").load()
    runs = {r.config: r for r in ResultStore(tmp_path / "out").latest().values()}
    rife = runs["rife"]
    assert "interpolate" in rife.timings and len(rife.outputs) == 2
    assert probe(tmp_path / "out" / rife.outputs[1]).frame_count == (9 - 1) * 2 + 1
    assert "interpolate" not in runs["sage"].timings
    job = history.get(runs["sage"].job_id)
    assert any(node["class_type"] == "PathchSageAttentionKJ" for node in job.graph.values())
    assert [r.kind for r in history.list() if r.parent_id == rife.job_id] == ["interpolate"]
