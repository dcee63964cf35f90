"""The live state of every backend: health, capabilities and GPU, kept fresh by a probe loop.

Each backend in the store is asked `/system_stats` every `interval_s` (its health, and its GPU
as the server sees it: for a local one that is the GPU it was launched on with
`--cuda-device`), and `/object_info` whenever it (re)connects (which nodes and model files it
has). A local backend is launched through its own `ServerController` (one per backend) with its
GPU index, preset and port. Views and the scheduler read `state(name)`; `changed` tells them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from wan22_gui.core.backends.capabilities import Capabilities
from wan22_gui.core.backends.spec import BackendSpec
from wan22_gui.core.backends.store import BackendStore
from wan22_gui.core.base.errors import InputError, Wan22Error
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.base.supervise import Supervisor
from wan22_gui.core.comfy.health import CONNECTED, CONNECTING, LOST, RemoteGpu, gpus_of

if TYPE_CHECKING:
    from wan22_gui.core.presets import Preset
    from wan22_gui.core.server.install import ComfyInstall
    from wan22_gui.core.server.launcher import ServerController

log = logging.getLogger("wan22.backends")

PAUSED = "paused"
AskFn = Callable[[str, str, float], dict]  # (base url, "system_stats"|"object_info", timeout)


@dataclass(frozen=True)
class BackendState:
    """One backend now. `since` is wall clock; `reason` says why it is lost."""

    spec: BackendSpec
    state: str = CONNECTING
    since: float = field(default_factory=time.time)
    reason: str = ""
    gpu: RemoteGpu | None = None
    capabilities: Capabilities | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def usable(self) -> bool:
        """Healthy, not paused, and its nodes and models known: it may take a job."""
        return self.state == CONNECTED and not self.spec.paused and self.capabilities is not None

    @property
    def words(self) -> str:
        where = f"{self.name} ({self.spec.base_url})"
        if self.spec.paused:
            return f"{where}: paused"
        if self.state == CONNECTED:
            return f"{where}: connected" + (f" — {self.gpu.line}" if self.gpu else "")
        if self.state == LOST:
            return f"{where}: not answering — {self.reason}"
        return f"{where}: connecting..."


def _default_ask(url: str, what: str, timeout: float) -> dict:
    from wan22_gui.core.comfy.client import ComfyClient

    client = ComfyClient(url, timeout=timeout)
    try:
        return client.system_stats() if what == "system_stats" else client.object_info()
    finally:
        client.close()


class BackendPool:
    """Follows every backend of `store`. Signals: changed(BackendState), on the probe thread
    or the thread that changed the store."""

    def __init__(self, store: BackendStore, *, ask: AskFn | None = None,
                 interval_s: float = 1.5, timeout_s: float = 2.0,
                 controller_factory: Callable[[BackendSpec], ServerController] | None = None
                 ) -> None:
        self.store = store
        self.changed = Signal("backends.state_changed")
        self._ask = ask or _default_ask
        self._interval_s, self._timeout_s = interval_s, timeout_s
        self._controller_factory = controller_factory
        self._lock = threading.Lock()
        self._states: dict[str, BackendState] = {}
        self._controllers: dict[str, ServerController] = {}
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._supervisor = Supervisor("the backend health check")
        store.changed.connect(self._on_specs)
        self._on_specs(store.list())

    # -- reading ------------------------------------------------------------------------------
    def states(self) -> list[BackendState]:
        with self._lock:
            return list(self._states.values())

    def state(self, name: str) -> BackendState | None:
        with self._lock:
            return self._states.get(name)

    # -- following the store ------------------------------------------------------------------
    def _on_specs(self, specs: list[BackendSpec]) -> None:
        with self._lock:
            old = self._states
            self._states = {s.name: replace(old[s.name], spec=s) if s.name in old
                            else BackendState(s) for s in specs}
            fresh = [self._states[s.name] for s in specs if old.get(s.name) != self._states[s.name]]
            # a removed backend is announced once as gone: its lane stops taking jobs
            fresh += [replace(v, spec=replace(v.spec, paused=True), state=LOST, reason="removed")
                      for k, v in old.items() if k not in self._states]
        for state in fresh:
            self.changed.emit(state)
        self._wake.set()

    # -- probing ------------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(target=self._loop, name="wan22-backends",
                                                daemon=True)
                self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        self.store.changed.disconnect(self._on_specs)
        self._closed.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        for controller in list(self._controllers.values()):
            controller.close()

    def check_now(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._closed.is_set():
            self._supervisor.guard(self.probe_all)
            self._wake.wait(self._interval_s)
            self._wake.clear()

    def probe_all(self) -> None:
        """Probe every backend once (blocking: one short HTTP call each)."""
        for state in self.states():
            self.probe(state.name)

    def probe(self, name: str) -> BackendState | None:
        """Ask one backend `/system_stats` (and `/object_info` when it was not connected)."""
        state = self.state(name)
        if state is None:
            return None
        try:
            stats = self._ask(state.spec.base_url, "system_stats", self._timeout_s)
            caps = state.capabilities
            if state.state != CONNECTED or caps is None:
                caps = Capabilities.of(self._ask(state.spec.base_url, "object_info",
                                                 max(self._timeout_s, 10.0)))
        except Wan22Error as exc:
            return self._set(name, state.state if state.state == LOST else LOST, str(exc))
        gpus = gpus_of(stats)
        return self._set(name, CONNECTED, "", gpu=gpus[0] if gpus else None, caps=caps)

    def mark_lost(self, name: str, reason: str) -> None:
        """Something else saw the backend go (its process exited, its socket closed)."""
        self._set(name, LOST, reason)

    def _set(self, name: str, state: str, reason: str, *, gpu: RemoteGpu | None = None,
             caps: Capabilities | None = None) -> BackendState | None:
        with self._lock:
            was = self._states.get(name)
            if was is None:
                return None
            now = replace(was, state=state, reason=reason or was.reason if state == LOST else "",
                          since=time.time() if state != was.state else was.since,
                          gpu=gpu or was.gpu, capabilities=caps or was.capabilities)
            self._states[name] = now
        if (was.state, was.reason, was.capabilities is None) != \
                (now.state, now.reason, now.capabilities is None):
            log.info("%s", now.words)
            self.changed.emit(now)
        return now

    # -- local backends -----------------------------------------------------------------------
    def controller(self, name: str) -> ServerController:
        """The launcher of a local backend (made once per backend)."""
        spec = self.store.get(name)
        if spec.kind != "local":
            raise InputError(f"{name!r} is a remote backend; the app does not launch it.",
                             "Start that ComfyUI on its own machine.")
        with self._lock:
            if name not in self._controllers:
                self._controllers[name] = self._make_controller(spec)
            return self._controllers[name]

    def _make_controller(self, spec: BackendSpec) -> ServerController:
        if self._controller_factory is not None:
            return self._controller_factory(spec)
        from wan22_gui.core.comfy.connection import ServerConnection
        from wan22_gui.core.server.launcher import ServerController

        return ServerController(ServerConnection())

    def launch(self, name: str, install: ComfyInstall, preset: Preset, **options: Any) -> Any:
        """Start a local backend's ComfyUI on its GPU (`--cuda-device N`) and port."""
        spec = self.store.get(name)
        controller = self.controller(name)
        extra = list(options.pop("extra_args", None) or [])
        extra += ["--cuda-device", str(spec.cuda_device)]
        plan = controller.start(install, preset, spec.port, extra_args=extra, **options)
        controller.connection.exited.connect(lambda exit: self.mark_lost(name, exit.message))
        self.check_now()
        return plan
