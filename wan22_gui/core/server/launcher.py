"""ServerController: start, watch, stop and restart a local ComfyUI, or attach to a running one.

The controller owns at most one ComfyUI. Each launch gets a supervisor thread that spawns the
process (so Linux's parent-death signal is tied to a thread that outlives the child), waits for
`/system_stats` to answer with the flags we launched, then waits for the exit. When the server
is ready (launched or attached) it sets `connection`; when it goes away it clears it and
reports the exit (`connection.report_exit`) right away, so jobs on it end within a second.

Signals (emitted on the controller's threads; the GUI marshals them):
    state_changed(str): one of the STATE_* values.
    log_line(str): each console line of the launched ComfyUI.
    crashed(CrashReport): ComfyUI stopped by itself (or never became ready).
    progress(float, str): seconds since start and what is happening, while starting.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from wan22_gui.core.comfy.connection import ServerConnection, ServerExit, ServerInfo
from wan22_gui.core.base.errors import LaunchError, ServerUnavailable
from wan22_gui.core.presets import Preset
from wan22_gui.core.server import ports
from wan22_gui.core.server.command import DEFAULT_PORT, LaunchPlan, build_plan
from wan22_gui.core.server.crash import CrashReport, classify, start_timeout
from wan22_gui.core.server.install import ComfyInstall
from wan22_gui.core.server.process import ComfyProcess
from wan22_gui.core.base.settings import declare
from wan22_gui.core.base.signals import Signal

log = logging.getLogger("wan22.server")

STATE_STOPPED = "stopped"
STATE_STARTING = "starting"
STATE_READY = "ready"
STATE_STOPPING = "stopping"
STATE_CRASHED = "crashed"
STATE_ATTACHED = "attached"

declare("launcher.ready_timeout_s", 600.0)
declare("launcher.stop_grace_s", 15.0)
declare("launcher.port", DEFAULT_PORT)
declare("launcher.listen", ports.LOOPBACK)
declare("launcher.preset", "auto")
declare("launcher.attention", "")
declare("launcher.extra_args", "")


class ComfyAlreadyRunning(LaunchError):
    """A ComfyUI already answers on the port we were asked to use; attach to it instead."""

    def __init__(self, url: str, stats: dict[str, Any]) -> None:
        version = stats.get("system", {}).get("comfyui_version", "?")
        super().__init__(f"A ComfyUI {version} is already running at {url}.",
                         "Attach to it, or stop it first, or pick another port.")
        self.url = url
        self.stats = stats


class ServerController:
    """Launches/attaches ComfyUI and keeps `connection` pointing at it.

    Args:
        connection: the app's ServerConnection.
        log_file: where the console is appended (the app's log dir / comfyui.log).
        ready_timeout_s: how long a start may take before it counts as failed.
        stop_grace_s: how long a graceful stop may take before the process tree is killed.
        poll_s: how often /system_stats is asked while starting.
    """

    def __init__(self, connection: ServerConnection, *, log_file: Path | None = None,
                 ready_timeout_s: float = 600.0, stop_grace_s: float = 15.0,
                 poll_s: float = 0.25) -> None:
        self.connection = connection
        self.log_file = log_file
        self.ready_timeout_s = ready_timeout_s
        self.stop_grace_s = stop_grace_s
        self.poll_s = poll_s
        self.state_changed = Signal("server.state_changed")
        self.log_line = Signal("server.log_line")
        self.crashed = Signal("server.crashed")
        self.progress = Signal("server.progress")
        self._lock = threading.RLock()
        self._state = STATE_STOPPED
        self._process: ComfyProcess | None = None
        self._supervisor: threading.Thread | None = None
        self._stopping = threading.Event()
        self.plan: LaunchPlan | None = None
        self.last_crash: CrashReport | None = None
        self.stats: dict[str, Any] | None = None
        self.started_at: float | None = None  # time.monotonic() of the last start
        atexit.register(self._kill_at_exit)

    # -- state -----------------------------------------------------------------------------
    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    @property
    def process(self) -> ComfyProcess | None:
        with self._lock:
            return self._process

    def elapsed(self) -> float | None:
        """Seconds since the last start began (None before the first)."""
        return None if self.started_at is None else time.monotonic() - self.started_at

    def _set_state(self, state: str) -> None:
        with self._lock:
            if state == self._state:
                return
            self._state = state
        log.info("ComfyUI server: %s", state)
        self.state_changed.emit(state)

    # -- launching -------------------------------------------------------------------------
    def prepare(self, install: ComfyInstall, preset: Preset, port: int | None = None, *,
                listen: str = ports.LOOPBACK, attention: str | None = None,
                extra_args: list[str] | None = None, extra_env: dict[str, str] | None = None,
                ) -> LaunchPlan:
        """Build the launch plan and check its port (blocking: a short HTTP probe).

        Raises:
            ComfyAlreadyRunning: a ComfyUI answers on that port (offer Attach).
            LaunchError: no free port near the one asked for.
        """
        plan = build_plan(install, preset, port=port or DEFAULT_PORT, listen=listen,
                          attention=attention, extra_args=extra_args or [], extra_env=extra_env)
        return self.check_port(plan)

    def check_port(self, plan: LaunchPlan) -> LaunchPlan:
        bind_host = plan.listen.split(",")[0].strip()
        if ports.port_is_free(plan.port, bind_host):
            return plan
        stats = ports.probe_comfy(plan.url, timeout=2.0)
        if stats is not None:
            raise ComfyAlreadyRunning(plan.url, stats)
        free = ports.next_free_port(plan.port + 1, bind_host)
        if free is None:
            raise LaunchError(f"Port {plan.port} and the 50 after it are all taken.",
                              "Close some programs or choose a port far away (e.g. 18188).")
        log.warning("port %d is taken by another program; using %d", plan.port, free)
        self.log_line.emit(f"[wan22] Port {plan.port} is taken by another program; using {free}.")
        return plan.with_port(free)

    def start(self, install: ComfyInstall, preset: Preset, port: int | None = None,
              **options: Any) -> LaunchPlan:
        """Prepare and launch (see `prepare` for options and errors). Returns once the process
        runs; readiness is reported through `state_changed`."""
        return self.start_plan(self.prepare(install, preset, port, **options))

    def start_plan(self, plan: LaunchPlan) -> LaunchPlan:
        """Launch a prepared plan. Raises LaunchError if a server runs or the spawn fails."""
        with self._lock:
            if self._state in (STATE_STARTING, STATE_READY, STATE_STOPPING):
                raise LaunchError("ComfyUI is already running.", "Stop it first, or use Restart.")
            if self._state == STATE_ATTACHED:
                self.connection.set(None)
            self.plan, self.last_crash, self.stats = plan, None, None
            self._stopping.clear()
            self.started_at = time.monotonic()
        spawned = threading.Event()
        outcome: dict[str, Any] = {}
        supervisor = threading.Thread(target=self._supervise, args=(plan, spawned, outcome),
                                      name="comfyui-supervisor", daemon=True)
        self._supervisor = supervisor
        self._set_state(STATE_STARTING)
        supervisor.start()
        spawned.wait()
        if "error" in outcome:
            supervisor.join(5)
            self._set_state(STATE_STOPPED)
            raise outcome["error"]
        return plan

    def _supervise(self, plan: LaunchPlan, spawned: threading.Event, outcome: dict) -> None:
        process = ComfyProcess(plan.argv, plan.cwd, plan.env, log_file=self.log_file,
                               on_line=self.log_line.emit)
        try:
            process.note(f"starting ComfyUI: {' '.join(plan.argv)}")
            pid = process.spawn()
        except OSError as exc:
            outcome["error"] = LaunchError(
                f"Cannot start ComfyUI's Python {plan.install.python}: {exc.strerror or exc}.",
                "Check the ComfyUI folder; the interpreter may have been moved or deleted.")
            spawned.set()
            return
        with self._lock:
            self._process = process
        spawned.set()
        ready = self._wait_ready(plan, process)
        if ready:
            self.connection.set(ServerInfo(plan.url, "launched", pid, plan.preset.reserve_vram_gb))
            self._set_state(STATE_READY)
        code = process.wait()
        exited_at = time.time()
        # a killed process's last lines are already in the pipe; a grandchild that still
        # holds it must not hold back the news for the jobs on this server
        process.finish_output(timeout=0.5)
        self._after_exit(plan, process, code, ready, exited_at)

    def _wait_ready(self, plan: LaunchPlan, process: ComfyProcess) -> bool:
        deadline = time.monotonic() + self.ready_timeout_s
        warned = False
        while not self._stopping.is_set():
            if process.poll() is not None:
                return False
            stats = ports.probe_comfy(plan.url, timeout=1.0)
            if stats is not None:
                if _argv_matches(stats, plan.flags):
                    self.stats = stats
                    return True
                if not warned:
                    process.note(f"{plan.url} answers, but with other flags: not our ComfyUI.")
                    warned = True
            elapsed = time.monotonic() - (self.started_at or time.monotonic())
            self.progress.emit(elapsed, f"waiting for ComfyUI to answer on {plan.url}")
            if time.monotonic() > deadline:
                self.last_crash = start_timeout(plan.url, self.ready_timeout_s, process.lines(80))
                process.note(self.last_crash.sentence)
                process.stop(self.stop_grace_s)
                return False
            self._stopping.wait(self.poll_s)
        return False

    def _after_exit(self, plan: LaunchPlan, process: ComfyProcess, code: int | None,
                    was_ready: bool, exited_at: float) -> None:
        info = self.connection.info
        if info is not None and info.source == "launched" and info.pid == process.pid:
            self.connection.set(None)
        if self._stopping.is_set():
            process.note(f"ComfyUI stopped (exit code {code}).")
            self._report_exit(plan, process, exited_at, "ComfyUI was stopped from the app.",
                              "Start it again, then queue the job again.")
            self._set_state(STATE_STOPPED)
            return
        report = self.last_crash or classify(code, process.lines(), str(plan.install.python),
                                             pid=process.pid)
        self.last_crash = report
        process.note(f"ComfyUI exited (code {code}): {report.sentence}")
        self._report_exit(plan, process, exited_at, report.sentence, report.fix)
        self._set_state(STATE_CRASHED)
        self.crashed.emit(report)

    def _report_exit(self, plan: LaunchPlan, process: ComfyProcess, at: float, message: str,
                     hint: str) -> None:
        self.connection.report_exit(ServerExit(plan.url, process.pid, at, message, hint))

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until ready (True) or until the start failed/timed out (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            state = self.state
            if state in (STATE_READY, STATE_ATTACHED):
                return True
            if state in (STATE_CRASHED, STATE_STOPPED):
                return False
            time.sleep(0.05)
        return False

    # -- stopping --------------------------------------------------------------------------
    def stop(self, grace_s: float | None = None) -> None:
        """Stop a launched ComfyUI (interrupt the job, SIGINT, then kill) or detach. Blocking."""
        with self._lock:
            state, process, supervisor = self._state, self._process, self._supervisor
        if state == STATE_ATTACHED:
            self.detach()
            return
        if process is None or state not in (STATE_STARTING, STATE_READY):
            return
        self._stopping.set()
        self._set_state(STATE_STOPPING)
        if state == STATE_READY and self.plan is not None:
            ports.post_interrupt(self.plan.url, timeout=2.0)
        process.stop(self.stop_grace_s if grace_s is None else grace_s)
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(30)

    def restart(self, plan: LaunchPlan | None = None) -> LaunchPlan:
        """Stop (if running) and start again: with `plan` (the user's current choices) or the
        last one. The port is checked again."""
        plan = plan or self.plan
        if plan is None:
            raise LaunchError("There is nothing to restart yet.", "Start ComfyUI first.")
        self.stop()
        return self.start_plan(self.check_port(plan))

    # -- attaching -------------------------------------------------------------------------
    def attach(self, url: str, timeout: float = 5.0) -> ServerInfo:
        """Use a ComfyUI that is already running (local or remote). Blocking HTTP probe."""
        url = normalize_url(url)
        if self.state in (STATE_STARTING, STATE_READY, STATE_STOPPING):
            raise LaunchError("A ComfyUI launched by the app is running.",
                              "Stop it before attaching to another server.")
        stats = ports.probe_comfy(url, timeout=timeout)
        if stats is None:
            raise ServerUnavailable(f"No ComfyUI answers at {url}.",
                                    "Check the address and port, and that ComfyUI is running "
                                    "(its console shows 'To see the GUI go to: ...').")
        info = ServerInfo(url, "attached", None, None)
        self.stats = stats
        self.connection.set(info)
        self._set_state(STATE_ATTACHED)
        return info

    def detach(self) -> None:
        if self.state == STATE_ATTACHED:
            self.connection.set(None)
            self._set_state(STATE_STOPPED)

    # -- shutdown --------------------------------------------------------------------------
    def close(self) -> None:
        """Stop what we launched (called by App.close) and forget the atexit hook."""
        self.stop()
        atexit.unregister(self._kill_at_exit)

    def _kill_at_exit(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.stop(grace_s=3.0)


def _argv_matches(stats: dict[str, Any], flags: list[str]) -> bool:
    """Whether /system_stats reports the flags we launched with (argv[0] is main.py's path)."""
    argv = stats.get("system", {}).get("argv")
    if not isinstance(argv, list):
        return True  # an older ComfyUI that does not report argv: trust the port check
    return [str(a) for a in argv[1:]] == flags


def normalize_url(url: str) -> str:
    """"localhost:8188" -> "http://localhost:8188"; strips a trailing slash."""
    url = url.strip()
    if not url:
        raise LaunchError("No server address given.", "Enter an address like http://127.0.0.1:8188.")
    if "://" not in url:
        url = "http://" + url
    return url.rstrip("/")


def on_state(controller: ServerController, callback: Callable[[str], None]) -> None:
    """Connect `callback` and call it once with the current state (handy for views)."""
    controller.state_changed.connect(callback)
    callback(controller.state)
