"""What the history records, checked against the stand-in ComfyUI: the launch preset of a CLI
job, the start image's VAE encode as its own phase, a cached RIFE re-run said to be one (with
the work time of the run that made it), and the benchmark's per-process VRAM."""

from __future__ import annotations

import csv
import socket

import pytest
from PIL import Image

from tests.fakes.comfy_standin import StandinServer, install_wan_models
from wan22_gui.cli.main import main
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.jobs.runner import JobRunner
from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.workflow.spec import JobSpec

FAST = FollowTimes(poll=0.05, cancel_retry=0.2)
SIZE = ["--frames", "17", "--width", "320", "--height", "224"]


@pytest.fixture
def store(tmp_path):
    history = HistoryStore(tmp_path / "history.sqlite3")
    yield history
    history.close()


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "harbour.jpg"
    Image.new("RGB", (640, 448), (20, 90, 140)).save(path)
    return path


def _last_row(app_paths):
    store = HistoryStore(app_paths.history_db)
    try:
        return store.list(kind="generate", limit=1)[0]
    finally:
        store.close()


@pytest.mark.parametrize("flags, device, preset", [
    (["--gpu-only", "--cuda-malloc"], "cuda:0 NVIDIA A100-SXM4-80GB : cudaMallocAsync", "a100"),
    (["--normalvram", "--reserve-vram", "4", "--cuda-malloc", "--use-sage-attention"],
     "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync", "rtx-4090"),
    (["--reserve-vram", "3"], "cuda:0 NVIDIA GeForce RTX 3090 : native", "vram-20-28"),
    ([], "cuda:0 NVIDIA GeForce RTX 4090 : native", None),  # no preset's flags: not named
])
def test_a_cli_job_records_the_launch_preset_the_server_runs_with(
        standin_with_models, picture, app_paths, capsys, flags, device, preset):
    standin_with_models.argv = ["main.py", "--port", str(standin_with_models.port), *flags]
    standin_with_models.devices = [{**standin_with_models.devices[0], "name": device}]
    assert main(["generate", str(picture), *SIZE, "--server", standin_with_models.url]) == 0, \
        capsys.readouterr().err
    assert _last_row(app_paths).preset == preset


def test_the_start_image_vae_encode_is_its_own_phase_not_text_encode(
        standin_with_models, picture, app_paths, capsys):
    standin_with_models.faults.node_seconds_by_class = {"WanImageToVideo": 0.4}
    assert main(["generate", str(picture), *SIZE, "--server", standin_with_models.url]) == 0
    err = capsys.readouterr().err
    row = _last_row(app_paths)
    assert row.timings["vae_encode"] >= 0.4
    assert row.timings.get("text_encode", 0.0) < 0.4 and row.timings["model_load"] < 0.4
    [latent] = [n for n in row.node_timings if n["class_type"] == "WanImageToVideo"]
    assert latent["phase"] == "vae_encode"
    assert "VAE encode (start image)" in err  # the CLI's timing line names it


def _combined_run(standin, store, tmp_path, picture):
    session = ServerSession(standin.url, unreachable_timeout=2.0, poll_interval=0.3).open()
    try:
        runner = JobRunner(session.client, session.watcher, store, tmp_path / "outputs",
                           times=FAST)
        spec = JobSpec(image=str(picture), prompt="the boat rocks", width=320, height=224,
                       frames=17, seed=5, interpolation="rife")
        result = runner.run(spec)
    finally:
        session.close()
    assert result.status == "succeeded", result.error
    [child] = store.children(result.job_id)
    return child


def test_a_cached_combined_rife_re_run_says_so_with_the_original_work_time(
        standin_with_models, store, tmp_path, picture):
    standin_with_models.extra_nodes.add("RIFE VFI")
    standin_with_models.faults.node_seconds_by_class = {"RIFE VFI": 0.3}
    first = _combined_run(standin_with_models, store, tmp_path, picture)
    again = _combined_run(standin_with_models, store, tmp_path, picture)  # same inputs
    assert not first.metrics.get("from_cache") and first.timings["interpolate"] >= 0.3
    assert again.metrics["from_cache"] is True and again.metrics["cached_from"] == first.job_id
    assert again.timings["interpolate"] == first.timings["interpolate"]  # not 0.0 s of work
    third = _combined_run(standin_with_models, store, tmp_path, picture)
    assert third.metrics["cached_from"] == first.job_id  # the run that did the work


def test_a_cached_standalone_rife_re_run_says_so_with_the_original_work_time(
        standin, store, tmp_path):
    from wan22_gui.core.interpolation.comfy_run import open_session
    from wan22_gui.core.interpolation.runner import InterpolationRequest, InterpolationRunner
    from wan22_gui.core.jobs.metrics import summary_lines
    from wan22_gui.core.video.testclip import write_test_clip

    standin.extra_nodes.add("RIFE VFI")
    standin.faults.node_seconds_by_class = {"RIFE VFI": 0.3}
    clip = write_test_clip(tmp_path / "src.mp4", frames=9, fps=16, size=(64, 48), speed=2)
    runner = InterpolationRunner(store, tmp_path / "out", comfy=lambda: open_session(standin.url))
    first = runner.run(InterpolationRequest(clip, "rife", 2))
    again = runner.run(InterpolationRequest(clip, "rife", 2))
    original, cached = store.get(first.job_id), store.get(again.job_id)
    assert not original.metrics.get("from_cache") and original.timings["interpolate"] >= 0.3
    assert cached.metrics["from_cache"] is True and cached.metrics["cached_from"] == first.job_id
    assert cached.timings["interpolate"] == pytest.approx(original.timings["interpolate"])
    assert again.seconds == pytest.approx(original.timings["interpolate"])
    assert ("Result", f"reused from ComfyUI's cache (made by job {first.job_id})") in \
        summary_lines(cached.metrics)


def test_the_cli_benchmark_measures_comfyuis_own_vram(tmp_path, monkeypatch, capsys):
    """The sampler is told ComfyUI's pid (here: the process listening on the server's port,
    this test's own, where the stand-in runs), so the per-process peak is filled in."""
    import os

    from tests.fakes.fake_nvml import FakeNvml, rtx_5090
    from wan22_gui.core.telemetry import nvml as nvml_module

    comfy_vram = 17 * 1024**3
    fake = FakeNvml([rtx_5090(memory_used=21 * 1024**3,
                              processes=[(os.getpid(), comfy_vram)])])
    real_nvml = nvml_module.Nvml
    monkeypatch.setattr("wan22_gui.app.Nvml",
                        lambda *a, **kw: real_nvml(fake, register_atexit=False))
    Image.new("RGB", (128, 128), (200, 50, 50)).save(tmp_path / "a.png")
    (tmp_path / "spec.toml").write_text(
        'name = "pid"\nimages = ["a.png"]\nresolutions = ["128x128"]\nframes = [5]\n'
        'repeats = 1\nwarmup = 0\n[[configs]]\nname = "lora"\n', encoding="utf-8")
    install_wan_models(tmp_path / "comfy")
    server = StandinServer(tmp_path / "comfy", faults={"step_seconds": 0.1})
    server.start()
    try:
        code = main(["bench", str(tmp_path / "spec.toml"), "--server", server.url,
                     "--out", str(tmp_path / "out")])
    finally:
        server.stop()
    assert code == 0, capsys.readouterr().err
    [row] = list(csv.DictReader(open(tmp_path / "out" / "results.csv", encoding="utf-8")))
    assert row["status"] == "succeeded"
    assert int(row["peak_process_vram_bytes"]) == comfy_vram


def test_the_pid_listening_on_a_local_port_is_found():
    import os
    import sys

    from wan22_gui.core.server.listener import listening_pid, pid_of_local_server

    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert listening_pid(port) == os.getpid()
        assert pid_of_local_server(f"http://127.0.0.1:{port}") == os.getpid()
    assert pid_of_local_server(f"http://gpu-box:{port}") is None  # another machine
    assert listening_pid(port) is None  # closed: nobody listens
