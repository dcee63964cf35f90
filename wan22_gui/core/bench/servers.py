"""The two ServerManagers of a benchmark: a server given by URL, and one the benchmark launches.

- `FixedServer` (`--server URL`, or the app's current connection): it cannot be restarted, so a
  configuration runs on it only if the server's own command line (`/system_stats` argv) already
  has the flags it needs; after a crash it is waited for (someone may restart it) and then given up.
- `LaunchedServer` (`--comfyui PATH`, or the app's launcher): starts ComfyUI with each
  configuration's preset, attention and flags, restarts it when they change and after a crash.
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
from wan22_gui.core.errors import LaunchError, ServerUnavailable

log = logging.getLogger("wan22.bench")

ATTENTION_FLAGS = {"sdpa": (), "sage": ("--use-sage-attention",),
                   "flash": ("--use-flash-attention",)}
OTHER_ATTENTION = ("--use-sage-attention", "--use-flash-attention", "--use-split-cross-attention",
                   "--use-quad-cross-attention")
StatsFn = Callable[[str], "dict[str, Any] | None"]


def app_environment() -> dict[str, Any]:
    """What the report says about the machine that ran the benchmark app itself."""
    return {"app_version": __version__, "python": sys.version.split()[0],
            "platform": platform.platform(), "machine": platform.machine()}


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
    """

    def __init__(self, url: str, *, preset_flags: Callable[[str], list[str]] | None = None,
                 wait_s: float = 120.0, poll_s: float = 2.0, stats_fn: StatsFn = _probe,
                 cancel: threading.Event | None = None) -> None:
        self.url: str | None = url.rstrip("/")
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
        return {"app": app_environment(), "comfyui": self._stats or {}, "url": self.url}

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
    """

    def __init__(self, controller: Any, install: Any, presets: Any, default_preset: Any, *,
                 port: int | None = None, ready_timeout_s: float = 600.0) -> None:
        self._controller = controller
        self._install = install
        self._presets = presets
        self._default = default_preset
        self._port = port
        self._ready_timeout_s = ready_timeout_s
        self._key: tuple | None = None

    @property
    def url(self) -> str | None:  # type: ignore[override]
        plan = self._controller.plan
        return plan.url if plan is not None else None

    def ensure(self, launch: LaunchConfig) -> bool:
        preset = self._presets.get(launch.preset) if launch.preset else self._default
        key = (preset.name, launch.attention, launch.extra_args)
        if key == self._key and self._controller.state == "ready":
            return False
        self._controller.stop()
        self._controller.start(self._install, preset, self._port, attention=launch.attention,
                               extra_args=list(launch.extra_args))
        self._key = None
        if not self._controller.wait_ready(self._ready_timeout_s):
            raise LaunchError(f"ComfyUI did not start with {launch.describe()}: {self._why()}",
                              "Fix the flags of this configuration (see the ComfyUI log).")
        self._key = key
        return True

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
        plan = self._controller.plan
        launch = {}
        if plan is not None:
            launch = {"argv": list(plan.argv), "env": dict(plan.env), "preset": plan.preset.name,
                      "attention": plan.attention, "install": plan.install.describe()}
        return {"app": app_environment(), "comfyui": self._controller.stats or {},
                "launch": launch, "url": self.url}

    def close(self) -> None:
        self._controller.stop()
