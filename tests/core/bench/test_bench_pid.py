"""The benchmark tells the GPU sampler ComfyUI's pid, and the new one after each restart, so
runs carry ComfyUI's own peak VRAM (`peak_process_vram_bytes`)."""

from __future__ import annotations

import dataclasses

from wan22_gui.app import App
from wan22_gui.core.bench.spec import parse_spec_text
from wan22_gui.core.bench.wiring import open_benchmark
from wan22_gui.core.comfy.connection import ServerInfo


class RecordingSampler:
    running = True

    def __init__(self):
        self.pids = []

    def set_pid(self, pid):
        self.pids.append(pid)


def test_the_sampler_follows_comfyuis_pid_across_restarts_until_the_benchmark_closes(
        tmp_path, app_paths):
    (tmp_path / "a.png").write_bytes(b"")
    spec = parse_spec_text('images = ["a.png"]\nresolutions = ["96x64"]\nframes = [5]\n'
                           '[[configs]]\nname = "x"\n', base_dir=tmp_path)
    core = App.build(app_paths, history=True)
    sampler = RecordingSampler()
    services = dataclasses.replace(core.bench_services(), sampler=sampler)
    url = "http://gpu-box:8188"  # another machine: no local process to find
    core.connection.set(ServerInfo(url, "launched", pid=4242))
    setup = open_benchmark(services, spec, tmp_path / "out", server_url=url)
    try:
        core.connection.set(ServerInfo(url, "launched", pid=5151))  # restarted between configs
        assert sampler.pids == [4242, 5151]
    finally:
        setup.close()
        core.connection.set(ServerInfo(url, "launched", pid=6))
        core.close()
    assert sampler.pids == [4242, 5151]  # closed: no longer following
