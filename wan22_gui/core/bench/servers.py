"""The two ServerManagers of a benchmark: a server given by URL, and one the benchmark launches.

- `FixedServer` (`--server URL`, or the app's current connection): it cannot be restarted, so a
  configuration runs on it only if the server's own command line (`/system_stats` argv) already
  has the flags it needs; after a crash it is waited for (someone may restart it) and then given up.
- `LaunchedServer` (`--comfyui PATH`, or the app's launcher): starts ComfyUI with each
  configuration's preset, attention and flags, restarts it when they change and after a crash.
  Given the app's own running ComfyUI (`keep_running`), it uses it as it is for configurations
  that ask for no launch flags, and puts the user's launch back when the benchmark ends.

Both describe their environment with the app's environment snapshot (`server.snapshot`), so a
report says which GPU, driver, CUDA, ComfyUI and flags produced its figures.
"""

from __future__ import annotations

import logging
import platform
import sys
import threading
import time
from typing import Any, Callable

from wan22_gui import __version__
from wan22_gui.core.bench.runner import ServerMismatch
from wan22_gui.core.bench.spec import LaunchConfig
from wan22_gui.core.base.errors import LaunchError, ServerUnavailable

log = logging.getLogger("wan22.bench")

ATTENTION_FLAGS = {"sdpa": (), "sage": ("--use-sage-attention",),
                   "flash": ("--use-flash-attention",)}
OTHER_ATTENTION = ("--use-sage-attention", "--use-flash-attention", "--use-split-cross-attention",
                   "--use-quad-cross-attention")
StatsFn = Callable[[str], "dict[str, Any] | None"]


def snapshot(gpus: Any, *, url: str | None, stats: dict[str, Any] | None, plan: Any = None,
             source: str = "attached", pid: int | None = None) -> dict[str, Any]:
    """The app's environment snapshot when the GPU report is known; else the app's own facts
    and the server's /system_stats."""
    if gpus is None:
        return {"app": {"version": __version__, "python": sys.version.split()[0],
                        "platform": platform.platform()},
                "server": {"url": url, "system_stats": stats or {}}}
    from wan22_gui.core.comfy.connection import ServerInfo
    from wan22_gui.core.server.snapshot import build_snapshot

    server = ServerInfo(url, source, pid) if url else None
    return build_snapshot(gpus, install=getattr(plan, "install", None), plan=plan,
                          server=server, stats=stats)


def _probe(url: str) -> dict[str, Any] | None:
    from wan22_gui.core.server.ports import probe_comfy

    return probe_comfy(url, timeout=5.0)


class FixedServer:
    """A ComfyUI at a fixed URL that the benchmark may use but not restart.

    Args:
        url: the server's address.
        preset_flags: maps a preset name to its ComfyUI flags (to check a configuration that
            names a preset); None when presets are unknown (such configurations are refused).
        wait_s: how long `recover` waits for a crashed server to answer again.
        gpus: the app's GpuReport, for the environment snapshot (None: not known).
    """

    def __init__(self, url: str, *, preset_flags: Callable[[str], list[str]] | None = None,
                 wait_s: float = 120.0, poll_s: float = 2.0, stats_fn: StatsFn = _probe,
                 cancel: threading.Event | None = None, gpus: Any = None) -> None:
        self.url: str | None = url.rstrip("/")
        self._gpus = gpus
        self._preset_flags = preset_flags
        self._wait_s = wait_s
        self._poll_s = poll_s
        self._stats_fn = stats_fn
        self._cancel = cancel or threading.Event()
        self._stats: dict[str, Any] | None = None
        self._used = False

    def ensure(self, launch: LaunchConfig) -> bool:
        stats = self._stats_fn(self.url or "")
        if stats is None:
            raise ServerUnavailable(f"No ComfyUI answers at {self.url}.",
                                    "Start it, or let the benchmark start one with --comfyui.")
        self._stats = stats
        missing = self._missing_flags(stats, launch)
        if missing:
            raise ServerMismatch(
                f"The server at {self.url} was not started with {' '.join(missing)}, which "
                f"'{launch.describe()}' needs, and a server given by address cannot be restarted.",
                "Start that server with these flags, or run the benchmark with --comfyui PATH so "
                "it can restart ComfyUI itself.")
        fresh, self._used = not self._used, True
        return fresh  # the first time we cannot know whether the models are loaded

    def _missing_flags(self, stats: dict[str, Any], launch: LaunchConfig) -> list[str]:
        if launch.is_default:
            return []
        argv = stats.get("system", {}).get("argv")
        required = list(launch.extra_args) + list(ATTENTION_FLAGS.get(launch.attention or "", ()))
        if launch.preset:
            if self._preset_flags is None:
                return [f"(the flags of preset {launch.preset})"]
            required += self._preset_flags(launch.preset)
        if not isinstance(argv, list):
            unknown = " (this ComfyUI does not report its command line, so it cannot be checked)"
            return [" ".join(required) + unknown] if required else []
        have = [str(a) for a in argv[1:]]
        missing = [flag for flag in required if flag not in have]
        if launch.attention == "sdpa":
            missing += [f"no {flag}" for flag in OTHER_ATTENTION if flag in have]
        return missing

    def recover(self) -> bool:
        """Wait up to `wait_s` for the server to answer again (it may be restarted by hand)."""
        deadline = time.monotonic() + self._wait_s
        while time.monotonic() < deadline and not self._cancel.is_set():
            stats = self._stats_fn(self.url or "")
            if stats is not None:
                self._stats = stats
                return True
            self._cancel.wait(self._poll_s)
        return False

    def environment(self) -> dict[str, Any]:
        return snapshot(self._gpus, url=self.url, stats=self._stats)

    def close(self) -> None:
        self._cancel.set()


class LaunchedServer:
    """A ComfyUI the benchmark starts and restarts through the app's ServerController.

    Args:
        controller: a `ServerController` (owns the process).
        install: the ComfyUI install to start.
        presets: a `PresetBook` (configurations name presets from it).
        default_preset: the preset for configurations that name none (the one chosen for the GPU).
        port: where to serve (None: the launcher's default, or a free one near it).
        keep_running: the controller is the app's own and runs the user's ComfyUI: use it as it
            is where no launch flags are asked for, and restore its launch plan on `close`.
        gpus: the app's GpuReport, for the environment snapshot.
    """

    def __init__(self, controller: Any, install: Any, presets: Any, default_preset: Any, *,
                 port: int | None = None, ready_timeout_s: float = 600.0,
                 keep_running: bool = False, gpus: Any = None) -> None:
        self._controller = controller
        self._install = install
        self._presets = presets
        self._default = default_preset
        self._port = port
        self._ready_timeout_s = ready_timeout_s
        self._gpus = gpus
        self._original = controller.plan if keep_running else None
        self._used_original = False
        self._key: tuple | None = None

    @property
    def url(self) -> str | None:
        plan = self._controller.plan
        return plan.url if plan is not None else None

    def ensure(self, launch: LaunchConfig) -> bool:
        ready = self._controller.state == "ready"
        if self._original is not None and launch.is_default:
            return self._ensure_original(ready)
        preset = self._presets.get(launch.preset) if launch.preset else self._default
        key = (preset.name, launch.attention, launch.extra_args)
        if key == self._key and ready:
            return False
        self._controller.stop()
        self._key = None
        self._controller.start(self._install, preset, self._port, attention=launch.attention,
                               extra_args=list(launch.extra_args))
        self._wait(launch.describe())
        self._key = key
        return True

    def _ensure_original(self, ready: bool) -> bool:
        """The user's own launch, as it was: used as it runs, or started again as it was."""
        if ready and self._controller.plan == self._original:
            fresh, self._used_original = not self._used_original, True
            return fresh  # the first use: whether its models are loaded is unknown
        self._key = None
        self._restart_original()
        self._wait("the app's own launch settings")
        return True

    def _restart_original(self) -> None:
        # restart() stops what runs and starts `plan` again, moving to a free port if the old
        # one is still held by the system
        self._controller.plan = self._original
        self._controller.restart()

    def _wait(self, what: str) -> None:
        if not self._controller.wait_ready(self._ready_timeout_s):
            raise LaunchError(f"ComfyUI did not start with {what}: {self._why()}",
                              "Fix the flags of this configuration (see the ComfyUI log).")

    def recover(self) -> bool:
        """Start ComfyUI again with the plan it had."""
        if self._controller.plan is None:
            return False
        try:
            self._controller.restart()
        except LaunchError as exc:
            log.warning("restarting ComfyUI failed: %s", exc)
            return False
        return bool(self._controller.wait_ready(self._ready_timeout_s))

    def _why(self) -> str:
        crash = getattr(self._controller, "last_crash", None)
        return getattr(crash, "sentence", "") or f"it stopped ({self._controller.state})"

    def environment(self) -> dict[str, Any]:
        process = self._controller.process
        return snapshot(self._gpus, url=self.url, stats=self._controller.stats,
                        plan=self._controller.plan, source="launched",
                        pid=getattr(process, "pid", None))

    def close(self) -> None:
        """Stop the ComfyUI we started; for the app's own one, put the user's launch back."""
        if self._original is None:
            self._controller.stop()
            return
        if self._controller.plan == self._original and self._controller.state == "ready":
            return
        try:
            self._restart_original()
        except LaunchError as exc:
            log.warning("could not restart ComfyUI as it was before the benchmark: %s", exc)
