"""The composition root: every service of one running app, built in dependency order.

`App.build(paths, history=..., server=..., telemetry=..., jobs=...)` constructs each service
with explicit constructor arguments; a service not asked for is None, so `wan22 env-snapshot`
opens no history database and the CLI starts no NVML sampling it does not need. `close()`
releases what was built in reverse order (safe to call twice). The GUI and every CLI command
build their services here; no domain module ever sees the App (it passes them the services).

Qt-free: it sits above the domain (`wan22_gui.core`) and below `gui/` and `cli/`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.paths import AppPaths
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.comfy.connection import ServerConnection
from wan22_gui.core.comfy.health import ServerHealth
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.gpu_inventory import GpuInventory
from wan22_gui.core.history import HistoryStore
from wan22_gui.core.jobs.queue import JobQueue, SessionFactory
from wan22_gui.core.presets import PresetBook, load_presets
from wan22_gui.core.server.launcher import ServerController
from wan22_gui.core.server.setup import LaunchSetup
from wan22_gui.core.telemetry.nvml import Nvml
from wan22_gui.core.telemetry.sampler import GpuSampler

if TYPE_CHECKING:  # imported where used: the benchmark and the gallery load when first opened
    from wan22_gui.core.bench.wiring import BenchServices
    from wan22_gui.core.comfy.prompt import FollowTimes
    from wan22_gui.core.gallery.actions import GalleryActions, ThumbnailForget

log = logging.getLogger("wan22.app")

Closer = tuple[str, Callable[[], None]]


@dataclass(frozen=True)
class Given:
    """Parts handed in instead of built (tests: a fake GPU, a sampler on a fake clock, a queue
    talking to a stand-in); each is used as it is, and closed by the App like its own."""

    nvml: Nvml | None = None
    sampler: GpuSampler | None = None  # implies telemetry
    job_session: SessionFactory | None = None
    job_times: FollowTimes | None = None


@dataclass(frozen=True)
class App:
    """The services of one process; optional ones are None when not asked for."""

    paths: AppPaths
    settings: Settings
    messages: MessageBus  # failures in words, for the crash dialog / status bar / CLI
    connection: ServerConnection
    health: ServerHealth  # is that server there: one state for every view (GUI starts it)
    presets: PresetBook
    nvml: Nvml
    gpus: GpuInventory
    history: HistoryStore | None = None
    sampler: GpuSampler | None = None  # built, not started: the telemetry panel starts it
    server: ServerController | None = None
    jobs: JobQueue | None = None  # built, not started: the GUI calls start()
    _closers: list[Closer] = field(default_factory=list, repr=False, compare=False)
    _lazy: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, paths: AppPaths | None = None, *, history: bool = False,
              server: bool = False, telemetry: bool = False, jobs: bool = False,
              given: Given | None = None) -> App:
        """Build the services asked for (`jobs` needs and implies `history`)."""
        paths = (paths or AppPaths.default()).ensure()
        settings = Settings.load(paths.settings_file)
        closers: list[Closer] = []
        try:
            return cls._assemble(paths, settings, closers, given or Given(),
                                 history=history or jobs, server=server,
                                 telemetry=telemetry, jobs=jobs)
        except BaseException:
            _close_all(closers)
            raise

    @classmethod
    def _assemble(cls, paths: AppPaths, settings: Settings, closers: list[Closer],
                  given: Given, *, history: bool, server: bool, telemetry: bool,
                  jobs: bool) -> App:
        """Each service in dependency order; its closer is recorded as soon as it exists."""
        messages = MessageBus()
        connection = ServerConnection()
        health = ServerHealth(connection, bus=messages)
        _track(closers, "health", health.close)
        presets = load_presets(paths.config_dir)
        store = HistoryStore(paths.history_db) if history else None
        _track(closers, "history", store.close if store else None)
        nvml = given.nvml or Nvml()  # shared by the sampler and GPU detection; lazy init
        _track(closers, "nvml", nvml.shutdown)
        sampler = given.sampler or (GpuSampler(nvml, bus=messages) if telemetry else None)
        _track(closers, "sampler", sampler.stop if sampler else None)
        controller = _server(paths, settings, connection) if server else None
        _track(closers, "server", controller.close if controller else None)  # stops ours
        if controller is not None:
            _report_exits(controller, health)
        queue = None
        if jobs and store is not None:
            queue = JobQueue.wired(store, connection, settings, paths.output_dir,
                                   server=controller, sampler=sampler, bus=messages,
                                   session_factory=_feeding(health, given.job_session,
                                                            settings, messages),
                                   times=given.job_times)
        _track(closers, "jobs", queue.close if queue else None)
        return cls(paths=paths, settings=settings, messages=messages, connection=connection,
                   health=health, presets=presets,
                   nvml=nvml, gpus=GpuInventory(nvml), history=store, sampler=sampler,
                   server=controller, jobs=queue, _closers=closers)

    @classmethod
    def for_gui(cls, paths: AppPaths | None = None, *, given: Given | None = None) -> App:
        """Everything: the desktop app shows the queue, the launcher and the telemetry."""
        return cls.build(paths, history=True, server=True, telemetry=True, jobs=True,
                         given=given)

    def built(self) -> tuple[str, ...]:
        """The names of the services that need closing, in the order they were built."""
        return tuple(name for name, _ in self._closers)

    def bench_services(self) -> BenchServices:
        """What `open_benchmark` uses of this app (it needs the history)."""
        from wan22_gui.core.bench.wiring import BenchServices

        if self.history is None:
            raise ValueError("a benchmark needs the history: build the App with history=True")
        return BenchServices(settings=self.settings, connection=self.connection,
                             history=self.history, presets=self.presets, gpus=self.gpus,
                             log_dir=self.paths.log_dir, controller=self.server,
                             sampler=self.sampler)

    def launch_setup(self, *, remember: bool) -> LaunchSetup:
        """The launch feature model over this app's controller (build with server=True). The
        GUI remembers the choices in the settings; `wan22 launch` does not (`remember=False`)."""
        if self.server is None:
            raise ValueError("a launch setup needs the server: build the App with server=True")
        return LaunchSetup.for_services(self.settings, self.paths, self.presets, self.server,
                                        self.gpus.report, persist=remember)

    def gallery_actions(self, *, forget_thumbnail: ThumbnailForget | None = None,
                        server_url: Callable[[], str | None] | None = None,
                        workers: int | None = None) -> GalleryActions:
        """Delete to the trash, re-run and interpolate over this app's history (and its queue,
        when there is one): the Gallery tab and `wan22 history delete` / `wan22 interpolate`.
        `server_url` names the ComfyUI to interpolate on (default: the one the app uses)."""
        from wan22_gui.core.gallery.actions import build_gallery_actions

        if self.history is None:
            raise ValueError("gallery actions need the history: build the App with history=True")
        queue = self.jobs
        submit = None if queue is None else (
            lambda spec, *, label=None: queue.add(spec, label=label))
        return build_gallery_actions(self.history, self.settings, self.paths.output_dir,
                                     server_url or (lambda: self.connection.url), submit=submit,
                                     forget_thumbnail=forget_thumbnail, workers=workers)

    def backends(self) -> Any:
        """The backend pool and its scheduler (`core.backends.wiring.BackendServices`), built
        on first use and closed with the app; needs the history."""
        if "backends" not in self._lazy:
            from wan22_gui.core.backends.wiring import BackendServices

            if self.history is None:
                raise RuntimeError("the backend pool needs the app built with history=True")
            services = BackendServices.open(self.settings, self.history, self.paths.output_dir)
            self._lazy["backends"] = services
            _track(self._closers, "backends", services.close)
        return self._lazy["backends"]

    def close(self) -> None:
        """Release services in reverse build order (the GUI on quit, the CLI at exit)."""
        _close_all(self._closers)


def _track(closers: list[Closer], name: str, close: Callable[[], None] | None) -> None:
    if close is not None:
        closers.append((name, close))


def _server(paths: AppPaths, settings: Settings,
            connection: ServerConnection) -> ServerController:
    return ServerController(
        connection, log_file=paths.log_dir / "comfyui.log",
        ready_timeout_s=float(settings.get("launcher.ready_timeout_s", 600.0)),
        stop_grace_s=float(settings.get("launcher.stop_grace_s", 15.0)))


def _report_exits(controller: ServerController, health: ServerHealth) -> None:
    """A launched ComfyUI that exits by itself is lost at once, with the crash in words."""
    def crashed(report) -> None:
        plan = controller.plan
        health.mark_lost(report.sentence, url=plan.url if plan else None, source="launched")

    controller.crashed.connect(crashed)


def _feeding(health: ServerHealth, factory: SessionFactory | None, settings: Settings,
             messages: MessageBus) -> SessionFactory:
    """The queue's sessions, whose websocket dropping makes the health probe look at once."""
    from wan22_gui.core.comfy.session import stable_client_id

    def open_session(url: str) -> ServerSession:
        session = factory(url) if factory is not None else ServerSession(
            url, client_id=stable_client_id(settings), bus=messages).open()
        if getattr(session, "stream", None) is not None:
            health.follow_stream(session.stream)
        return session

    return open_session


def _close_all(closers: list[Closer]) -> None:
    """Run and forget every closer, newest first; one failing does not stop the others."""
    while closers:
        name, close = closers.pop()
        try:
            close()
        except Exception:  # a launched ComfyUI must still be stopped
            log.exception("closing the %s failed", name)
