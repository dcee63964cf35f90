"""Putting a benchmark together from the app's services: which server, cell runner, sampler.

The CLI (`wan22 bench`, `wan22 max-frames`) and the GUI's Benchmark tab both call
`open_benchmark`, so a benchmark behaves the same in both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from wan22_gui.core.base.settings import Settings
from wan22_gui.core.bench.jobcells import JobCellRunner
from wan22_gui.core.bench.runner import BenchmarkRunner
from wan22_gui.core.bench.servers import FixedServer, LaunchedServer
from wan22_gui.core.bench.spec import BenchSpec
from wan22_gui.core.comfy.connection import ServerConnection
from wan22_gui.core.gpu_inventory import GpuInventory
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.presets import PresetBook
from wan22_gui.core.server.listener import pid_of_local_server

if TYPE_CHECKING:
    from wan22_gui.core.server.launcher import ServerController
    from wan22_gui.core.telemetry.sampler import GpuSampler

log = logging.getLogger("wan22.bench")


@dataclass
class BenchSetup:
    """The parts of one benchmark; `close()` stops what `open_benchmark` started."""

    server: Any
    cells: JobCellRunner
    spec: BenchSpec
    out_dir: Path
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def runner(self, *, retry_failed: bool = False) -> BenchmarkRunner:
        return BenchmarkRunner(self.spec, self.out_dir, self.cells, self.server,
                               retry_failed=retry_failed)

    def close(self) -> None:
        for close in reversed(self._closers):
            try:
                close()
            except Exception:  # closing goes on: a launched ComfyUI must be stopped
                log.exception("closing a benchmark part failed")
        self._closers.clear()


@dataclass(frozen=True)
class BenchServices:
    """What a benchmark uses of the app; `controller` is the app's own launcher (if any) and
    `sampler` its GPU sampler (if any; started here when nobody has)."""

    settings: Settings
    connection: ServerConnection
    history: HistoryStore
    presets: PresetBook
    gpus: GpuInventory
    log_dir: Path
    controller: ServerController | None = None
    sampler: GpuSampler | None = None


def open_benchmark(services: BenchServices, spec: BenchSpec, out_dir: Path, *,
                   server_url: str | None = None, comfyui: str | Path | None = None,
                   port: int | None = None, sampler: bool = True, session_factory: Any = None,
                   times: Any = None) -> BenchSetup:
    """Choose the server and wire a JobCellRunner to it. The server: launched from `comfyui`;
    else the one at `server_url`; else the app's current one (the app's own launcher when it
    started it, so configurations with other flags can restart it; else by its address).
    Raises LaunchError / PresetError for a bad install or preset.
    """
    closers: list[Callable[[], None]] = []
    presets = services.presets
    controller = services.controller
    if comfyui is not None:
        server: Any = _launched(services, comfyui, port)
    elif server_url is None and controller is not None and _app_launched(services, controller):
        assert controller.plan is not None
        # configurations with other flags restart the user's ComfyUI on its own port (not
        # the launcher's default, where another ComfyUI may answer)
        server = LaunchedServer(controller, controller.plan.install, presets,
                                controller.plan.preset, port=controller.plan.port,
                                keep_running=True, gpus=services.gpus.report())
    else:
        url = server_url or services.connection.url or str(services.settings.get("server.url"))
        server = FixedServer(url, preset_flags=lambda name: presets.get(name).argv(),
                             gpus=services.gpus.report())
    closers.append(server.close)
    gpu_sampler = _start_sampler(services.sampler, closers) if sampler else None
    if gpu_sampler is not None:
        _follow_comfyui_pid(gpu_sampler, services.connection, server, closers)
    extra = {"times": times} if times is not None else {}
    cells = JobCellRunner(server, services.history, sampler=gpu_sampler,
                          session_factory=session_factory, label=f"Benchmark {spec.name}",
                          **extra)
    closers.append(cells.close)
    return BenchSetup(server, cells, spec, Path(out_dir), closers)


def _app_launched(services: BenchServices, controller: ServerController) -> bool:
    """Whether the app's own launcher runs the current server."""
    info = services.connection.info
    return (controller.plan is not None and controller.state == "ready"
            and info is not None and info.source == "launched")


def _launched(services: BenchServices, comfyui: str | Path, port: int | None) -> LaunchedServer:
    from wan22_gui.core.server.install import find_install
    from wan22_gui.core.server.launcher import ServerController

    install = find_install(comfyui)
    report = services.gpus.report()
    presets = services.presets
    default = presets.choose(report.gpus[0] if report.gpus else None)
    controller = ServerController(services.connection,
                                  log_file=services.log_dir / "comfyui-bench.log")
    return LaunchedServer(controller, install, presets, default, port=port, gpus=report)


def _follow_comfyui_pid(sampler: GpuSampler, connection: ServerConnection, server: Any,
                       closers: list[Callable[[], None]]) -> None:
    """Tell the sampler ComfyUI's pid (its own VRAM is `peak_process_vram_bytes`), now and
    after every launch or restart; the GUI's telemetry panel does the same for its graph."""
    def follow(info: Any) -> None:
        sampler.set_pid(getattr(info, "pid", None))

    follow(connection.info)
    if getattr(connection.info, "pid", None) is None:  # attached by address: who listens?
        url = getattr(server, "url", None) or getattr(connection.info, "url", None)
        pid = pid_of_local_server(url) if url else None
        if pid is not None:
            sampler.set_pid(pid)
    connection.changed.connect(follow)
    closers.append(lambda: connection.changed.disconnect(follow))


def _start_sampler(sampler: GpuSampler | None,
                   closers: list[Callable[[], None]]) -> GpuSampler | None:
    """The app's GPU sampler, started here if nobody has (the CLI); None without one or NVML."""
    if sampler is None:
        return None
    try:
        if not sampler.running:
            sampler.start()
            closers.append(sampler.stop)
    except Exception as exc:  # telemetry is optional: the benchmark runs without it
        log.warning("GPU sampler unavailable, runs will have no NVML metrics: %s", exc)
        return None
    return sampler
