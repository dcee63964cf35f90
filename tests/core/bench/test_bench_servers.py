"""The benchmark's servers: one given by URL (flags checked, never restarted) and one the
benchmark launches (restarted between configurations and after a crash), the latter with the
real launcher and a fake ComfyUI install that serves the stand-in."""

from __future__ import annotations

import pytest
import requests

from tests.core.launcher_helpers import free_port
from tests.core.bench.test_bench_e2e import quick_session
from tests.fakes.comfy_standin import install_wan_models
from tests.fakes.fake_comfyui_install import make_install
from wan22_gui.app import App
from wan22_gui.core.bench.results import ResultStore
from wan22_gui.core.bench.runner import BenchmarkRunner, RunRequest, ServerMismatch
from wan22_gui.core.bench.servers import FixedServer
from wan22_gui.core.bench.spec import LaunchConfig, parse_spec_text
from wan22_gui.core.bench.wiring import open_benchmark
from wan22_gui.core.base.errors import ServerUnavailable
from wan22_gui.core.comfy.prompt import FollowTimes


def fixed(argv):
    stats = {"system": {"argv": argv}} if argv is not None else {"system": {}}
    return FixedServer("http://gpu-box:8188/", stats_fn=lambda url: stats,
                       preset_flags=lambda name: ["--reserve-vram", "4"])


def test_fixed_server_checks_the_flags_it_was_started_with():
    server = fixed(["main.py", "--use-sage-attention", "--reserve-vram", "4"])
    assert server.url == "http://gpu-box:8188"
    assert server.ensure(LaunchConfig()) is True  # first use: models may not be loaded
    assert server.ensure(LaunchConfig(attention="sage")) is False
    assert server.ensure(LaunchConfig(preset="rtx-5090", attention="sage")) is False
    with pytest.raises(ServerMismatch) as info:
        server.ensure(LaunchConfig(attention="sdpa"))
    assert "no --use-sage-attention" in str(info.value) and "--comfyui" in info.value.hint
    with pytest.raises(ServerMismatch, match="--fast"):
        server.ensure(LaunchConfig(extra_args=("--fast",)))
    with pytest.raises(ServerMismatch, match="does not report"):
        fixed(None).ensure(LaunchConfig(attention="sage"))
    dead = FixedServer("http://127.0.0.1:9", stats_fn=lambda url: None)
    with pytest.raises(ServerUnavailable, match="No ComfyUI answers"):
        dead.ensure(LaunchConfig())


class CrashOnce:
    """Wraps a cell runner: the first run of config `plain` kills the stand-in mid-job."""

    def __init__(self, inner, server) -> None:
        self.inner, self.server, self.killed = inner, server, False

    def run(self, request: RunRequest):
        kill = request.cell.config.name == "plain" and not self.killed
        self.killed = self.killed or kill
        requests.post(f"{self.server.url}/__standin__/faults", timeout=5,
                      json={"step_seconds": 0.005, "node_seconds": 0.002, "die_mid_job": kill})
        return self.inner.run(request)

    def cancel(self) -> None:
        self.inner.cancel()


def install_and_spec(tmp_path, first: str, *, repeats: int):
    """A fake ComfyUI install with the Wan models, and a spec of two configurations: `first`
    (no launch flags) and "reserve" (--reserve-vram 2, so a restart)."""
    from PIL import Image

    install = make_install(tmp_path / "ComfyUI")
    install_wan_models(install)
    Image.new("RGB", (96, 64), (10, 120, 200)).save(tmp_path / "a.png")
    spec = parse_spec_text(
        f'images = ["a.png"]\nresolutions = ["96x64"]\nframes = [5]\nrepeats = {repeats}\n'
        f'warmup = 0\n[[configs]]\nname = "{first}"\n[[configs]]\nname = "reserve"\n'
        'launch_args = ["--reserve-vram", "2"]\n', base_dir=tmp_path)
    return install, spec


def test_launched_comfyui_restarts_between_configs_and_after_a_crash(tmp_path, app_paths):
    install, spec = install_and_spec(tmp_path, "plain", repeats=2)
    core = App.build(app_paths, history=True, server=True)
    out = tmp_path / "out"
    setup = open_benchmark(core.bench_services(), spec, out, comfyui=install, port=free_port(), sampler=False,
                           session_factory=quick_session,
                           times=FollowTimes(poll=0.05, cancel_retry=0.2))
    try:
        summary = BenchmarkRunner(spec, out, CrashOnce(setup.cells, setup.server),
                                  setup.server).run()
        env = (out / "environment.json").read_text(encoding="utf-8")
    finally:
        setup.close()
        core.close()
    assert summary.counts == {"succeeded": 3, "crashed": 1}, summary
    latest = {(r.config, r.repeat): r for r in ResultStore(out).latest().values()}
    assert latest[("plain", 0)].status == "crashed"
    assert latest[("plain", 1)].status == "succeeded"  # on the restarted ComfyUI
    assert {latest[("reserve", i)].status for i in (0, 1)} == {"succeeded"}
    assert '"--reserve-vram",\n' in env or '"--reserve-vram"' in env
    assert core.connection.info is None  # the launched ComfyUI was stopped


def test_the_apps_own_comfyui_is_used_as_it_runs_and_put_back(tmp_path, app_paths):
    """With no address given, a ComfyUI the app launched serves configurations without launch
    flags as it is; one with flags restarts it, and the user's launch comes back at the end."""
    from wan22_gui.core.server.install import find_install

    install, spec = install_and_spec(tmp_path, "as it runs", repeats=1)
    core = App.build(app_paths, history=True, server=True)
    controller = core.server
    user_plan = controller.start(find_install(install), core.presets.get("rtx-4090"), free_port())
    assert controller.wait_ready(30)
    first_pid = controller.process.pid
    out = tmp_path / "out"
    setup = open_benchmark(core.bench_services(), spec, out, sampler=False, session_factory=quick_session,
                           times=FollowTimes(poll=0.05, cancel_retry=0.2))
    try:
        summary = setup.runner().run()
        assert summary.counts == {"succeeded": 2}, ResultStore(out).load()
        runs = {r.config: r for r in ResultStore(out).latest().values()}
        assert runs["as it runs"].server_url == user_plan.url  # no restart for it
        env = (out / "environment.json").read_text(encoding="utf-8")
        assert '"--reserve-vram",\n' in env and '"gpus"' in env
    finally:
        setup.close()
    assert controller.wait_ready(30)
    assert controller.process.pid != first_pid
    assert controller.plan.flags[:-4] == user_plan.flags[:-4]  # the user's flags (port aside)
    assert "--reserve-vram" in user_plan.flags and "2" not in controller.plan.flags
    core.close()
