"""The core services of one running app, built once and passed explicitly (no globals).

The GUI wraps an AppCore in its AppContext; the CLI builds one too. Services are created on
first use so that `wan22 env-snapshot` does not open the history database, for example.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from wan22_gui.core.connection import ServerConnection
from wan22_gui.core.paths import AppPaths
from wan22_gui.core.settings import Settings


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

    def close(self) -> None:
        """Release services in order (called by the GUI on quit and by the CLI at exit)."""
        if "jobs" in self.__dict__:
            self.jobs.close()
        if "sampler" in self.__dict__:
            self.sampler.stop()
        if "nvml" in self.__dict__:
            self.nvml.shutdown()
        if "history" in self.__dict__:
            self.history.close()
