"""The core services of one running app, built once and passed explicitly (no globals).

The GUI wraps an AppCore in its AppContext; the CLI builds one too. Services are created on
first use so that `wan22 env-snapshot` does not open the history database, for example.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from wan22_gui.core.comfy.connection import ServerConnection
from wan22_gui.core.base.paths import AppPaths
from wan22_gui.core.base.settings import Settings


@dataclass
class AppCore:
    paths: AppPaths
    settings: Settings
    connection: ServerConnection = field(default_factory=ServerConnection)

    @classmethod
    def create(cls, paths: AppPaths | None = None) -> "AppCore":
        paths = (paths or AppPaths.default()).ensure()
        return cls(paths=paths, settings=Settings.load(paths.settings_file))

    @functools.cached_property
    def history(self):  # -> wan22_gui.core.history.HistoryStore
        from wan22_gui.core.history import HistoryStore

        return HistoryStore(self.paths.history_db)

    @functools.cached_property
    def nvml(self):  # -> wan22_gui.core.telemetry.nvml.Nvml (shared by sampler and detection)
        from wan22_gui.core.telemetry.nvml import Nvml

        return Nvml()

    @functools.cached_property
    def sampler(self):  # -> wan22_gui.core.telemetry.sampler.GpuSampler (started by the GUI)
        from wan22_gui.core.telemetry.sampler import GpuSampler

        return GpuSampler(self.nvml)

    @functools.cached_property
    def jobs(self):  # -> wan22_gui.core.jobs.queue.JobQueue (the GUI calls start())
        from wan22_gui.core.jobs.queue import JobQueue

        return JobQueue.for_core(self)

    @functools.cached_property
    def server(self):  # -> wan22_gui.core.server.launcher.ServerController (sets .connection)
        from wan22_gui.core.server.launcher import ServerController

        return ServerController(
            self.connection, log_file=self.paths.log_dir / "comfyui.log",
            ready_timeout_s=float(self.settings.get("launcher.ready_timeout_s", 600.0)),
            stop_grace_s=float(self.settings.get("launcher.stop_grace_s", 15.0)))

    @functools.cached_property
    def gpus(self):  # -> wan22_gui.core.gpu.GpuReport (detected once, through the shared nvml)
        from wan22_gui.core.gpu import detect_gpus

        return detect_gpus(self.nvml)

    @functools.cached_property
    def presets(self):  # -> wan22_gui.core.presets.PresetBook (built-in + the user's file)
        from wan22_gui.core.presets import load_presets

        return load_presets(self.paths.config_dir)

    def close(self) -> None:
        """Release services in order (called by the GUI on quit and by the CLI at exit)."""
        if "jobs" in self.__dict__:
            self.jobs.close()
        if "server" in self.__dict__:
            self.server.close()  # stops a ComfyUI we launched (attached ones keep running)
        if "sampler" in self.__dict__:
            self.sampler.stop()
        if "nvml" in self.__dict__:
            self.nvml.shutdown()
        if "history" in self.__dict__:
            self.history.close()
