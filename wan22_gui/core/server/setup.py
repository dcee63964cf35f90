"""LaunchSetup: the launcher's feature model, Qt-free. One pipeline for the GUI panel,
`wan22 launch` and the environment snapshot:

    install (find the folder) -> probe (its Python) -> flag table (`main.py --help`)
    -> GPUs and the recommended preset -> choices -> LaunchPlan -> doctor findings

The blocking steps (`load_install`, `detect_gpus`, `start`, `stop`, `restart`, `attach`,
`export_script`, `snapshot`) are called on a worker thread by the GUI and directly by the CLI;
`choose` is pure and fast. The state lives here; views read it after each `changed` event.

Signals:
    changed(str): one part changed: "install", "probe", "flags", "gpus" or "plan".
The controller keeps its own signals (state_changed, log_line, crashed, progress).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from wan22_gui.core.base.errors import LaunchError, Wan22Error
from wan22_gui.core.base.paths import AppPaths
from wan22_gui.core.base.settings import declare
from wan22_gui.core.base.signals import Signal
from wan22_gui.core.comfy.connection import ServerInfo
from wan22_gui.core.gpu import GpuInfo, GpuReport, comfy_gpu_index
from wan22_gui.core.presets import Preset, PresetBook
from wan22_gui.core.server import launcher as L
from wan22_gui.core.server.cache import JsonCache, launcher_cache
from wan22_gui.core.server.choice import parse_extra_args, resolve_install, resolve_preset
from wan22_gui.core.server.command import LaunchPlan, build_plan
from wan22_gui.core.server.doctor import (Finding, FlagTable, check, expert_fit,
                                          installed_experts, load_flag_table)
from wan22_gui.core.server.install import ComfyInstall
from wan22_gui.core.server.probe import PythonProbe, probe_python
from wan22_gui.core.server.scripts import write_script
from wan22_gui.core.server.setup_choices import AUTO, LaunchChoices, SettingsStore
from wan22_gui.core.server.snapshot import collect_snapshot, write_snapshot

log = logging.getLogger("wan22.server")

declare("server.reattach", False)  # attach to `server.url` again at start (False once detached)


def _words(exc: BaseException) -> str:
    return exc.user_text() if isinstance(exc, Wan22Error) else str(exc)


class LaunchSetup:
    """See the module docstring.

    Args:
        settings: the app's settings (`launcher.*` keys, `server.url`).
        cache: where probe results and `--help` tables are cached.
        presets: the preset book.
        controller: the ServerController that starts, stops and attaches.
        gpu_source: returns the GPU report (blocking: NVML).
        persist: save choices and the install path to the settings (False for the CLI, whose
            options are for one run only).
    """

    def __init__(self, settings: SettingsStore, cache: JsonCache, presets: PresetBook,
                 controller: L.ServerController, gpu_source: Callable[[], GpuReport], *,
                 persist: bool = True) -> None:
        self.settings, self.cache, self.presets = settings, cache, presets
        self.controller, self.gpu_source, self.persist = controller, gpu_source, persist
        self.changed = Signal("launch_setup.changed")
        self._lock = threading.RLock()
        self._request = 0  # a slower, older install lookup must not win over a newer one
        self.revision = 0  # bumped at every `changed`; lets a view tell it is up to date
        self.choices = LaunchChoices.from_settings(settings)
        self.install: ComfyInstall | None = None
        self.install_problem: str | None = None
        self.looking = False
        self.probe: PythonProbe | None = None
        self.table: FlagTable | None = None
        self.help_problem: str | None = None
        self.report: GpuReport | None = None
        self.recommended: Preset | None = None
        self.gpu: GpuInfo | None = None
        self.extra_problem: str | None = None
        self.plan_problem: str | None = None
        self.plan: LaunchPlan | None = None
        self.findings: list[Finding] = []
        self.expert_files: list[str] = []  # the Wan experts in the install (doctor's fit check)

    @classmethod
    def for_services(cls, settings: SettingsStore, paths: AppPaths, presets: PresetBook,
                     controller: L.ServerController, gpu_source: Callable[[], GpuReport], *,
                     persist: bool = True) -> LaunchSetup:
        """The one factory the panel and the CLI use (and the composition root, later)."""
        return cls(settings, launcher_cache(paths), presets, controller, gpu_source,
                   persist=persist)

    # -- reading ---------------------------------------------------------------------------
    @property
    def flags_pending(self) -> bool:
        """True while `--help` has neither answered nor failed."""
        return self.install is not None and self.table is None and self.help_problem is None

    @property
    def problems(self) -> list[str]:
        """Everything that kept the pipeline from a plan, in words (for the snapshot)."""
        found = [self.install_problem, self.extra_problem, self.plan_problem]
        return list(self.presets.problems) + [p for p in found if p]

    @property
    def server_info(self) -> ServerInfo | None:
        return self.controller.connection.info

    def used_gpu_index(self) -> int | None:
        """The NVML index ComfyUI will compute on with the current plan (None: the CPU)."""
        return comfy_gpu_index(self.plan.flags if self.plan else [], os.environ)

    # -- install, probe, flag table --------------------------------------------------------
    def load_install(self, path: str | os.PathLike[str] | None) -> ComfyInstall | None:
        """Find the install at `path` (else the setting, else a usual place), then probe its
        Python and read its flags. Returns None when a newer lookup overtook this one.

        Raises:
            LaunchError: no usable install there (also recorded as `install_problem`).
        """
        with self._lock:
            self._request += 1
            request, self.looking = self._request, True
        self._publish("install")
        try:
            install = resolve_install(path, self.settings)
        except Exception as exc:
            if self._forget(request, _words(exc)):
                raise
            return None
        if not self._adopt(install, request):
            return None
        self._probe(install)
        self._read_flags(install)
        return install

    def _forget(self, request: int, problem: str) -> bool:
        with self._lock:
            if request != self._request:
                return False
            self.install, self.install_problem, self.looking = None, problem, False
            self.probe, self.table, self.help_problem = None, None, None
            self._rebuild()
        self._publish("install", "plan")
        return True

    def _adopt(self, install: ComfyInstall, request: int) -> bool:
        files = installed_experts(install.root)  # a folder walk: not under the lock
        with self._lock:
            if request != self._request:
                return False
            self.install, self.install_problem, self.looking = install, None, False
            self.probe, self.table, self.help_problem = None, None, None
            self.expert_files = files
            if self.persist:
                self.settings.set("launcher.comfyui_path", str(install.home))
            self._rebuild()
        self._publish("install", "plan")
        return True

    def _probe(self, install: ComfyInstall) -> None:
        probe = probe_python(install, self.cache)
        with self._lock:
            if install is not self.install:
                return  # another folder was picked meanwhile
            self.probe = probe
            self._rebuild()
        self._publish("probe", "plan")

    def _read_flags(self, install: ComfyInstall) -> None:
        table, problem = load_flag_table(install, self.cache)
        with self._lock:
            if install is not self.install:
                return
            self.table, self.help_problem = table, problem
            self._rebuild()
        self._publish("flags", "plan")

    # -- GPUs and choices ------------------------------------------------------------------
    def detect_gpus(self) -> GpuReport:
        """Ask for the GPU report and pick the recommended preset for the GPU ComfyUI uses."""
        report = self.gpu_source()
        with self._lock:
            self.report = report
            extra = self._parse_extra(self.choices.extra_args)
            self.recommended, self.gpu = resolve_preset(self.presets, AUTO, report, extra)
            self._rebuild()
        self._publish("gpus", "plan")
        return report

    def choose(self, *, preset: str | None = None, attention: str | None = None,
               extra_args: str | None = None, port: int | None = None,
               listen: str | None = None) -> LaunchPlan | None:
        """Change some choices (None keeps one), save them, rebuild the plan and the doctor.

        Raises:
            PresetError: `preset` names no preset in the book (nothing is changed then).
        """
        if preset not in (None, "", AUTO):
            self.presets.get(preset)
        with self._lock:
            self.choices = self.choices.updated(preset=preset, attention=attention,
                                                extra_args=extra_args, port=port, listen=listen)
            if self.persist:
                self.choices.save(self.settings)
            plan = self._rebuild()
        self._publish("plan")
        return plan

    def _parse_extra(self, text: str) -> list[str]:
        try:
            self.extra_problem = None
            return parse_extra_args(text)
        except Wan22Error as exc:
            self.extra_problem = exc.user_text()
            return []

    def _preset(self) -> Preset | None:
        self.plan_problem = None
        name = self.choices.preset
        if name in ("", AUTO):
            return self.recommended
        try:
            return self.presets.get(name)
        except Wan22Error as exc:
            self.plan_problem = exc.user_text()
            return self.recommended

    def _rebuild(self) -> LaunchPlan | None:
        """The plan from the current choices and the doctor's findings on it (pure; locked)."""
        extra = self._parse_extra(self.choices.extra_args)
        preset, install = self._preset(), self.install
        self.plan, self.findings = None, []
        if install is not None and preset is not None:
            self.plan = build_plan(install, preset, port=self.choices.port,
                                   listen=self.choices.listen,
                                   attention=self.choices.attention or None, extra_args=extra)
            self.findings = check(self.plan.flags, self.plan.env, table=self.table,
                                  version=install.version, probe=self.probe)
            self.findings += [Finding("info", flag, why, "The app leaves it out for this version.")
                              for flag, why in self.plan.dropped]
            self.findings += expert_fit(self.gpu.vram_total if self.gpu else None,
                                        self.expert_files)
        return self.plan

    def _publish(self, *parts: str) -> None:
        with self._lock:
            self.revision += 1
        for part in parts:
            self.changed.emit(part)

    # -- running ---------------------------------------------------------------------------
    def _require_plan(self) -> LaunchPlan:
        plan = self.plan
        if plan is None:
            raise LaunchError("There is no launch to run yet.",
                              "Choose a ComfyUI folder first (Browse...) and a preset.")
        return plan

    def start(self) -> LaunchPlan:
        """Check the port and launch the current plan (raises ComfyAlreadyRunning: attach)."""
        plan = self._require_plan()
        return self.controller.start_plan(self.controller.check_port(plan))

    def stop(self) -> None:
        """Stop what we launched, or detach (then the next start does not re-attach)."""
        if self.controller.state == L.STATE_ATTACHED and self.persist:
            self.settings.set("server.reattach", False)
        self.controller.stop()

    def restart(self) -> LaunchPlan:
        """Stop and start again with the current choices (a fixed flag takes effect)."""
        if self.plan is None or self.controller.state == L.STATE_ATTACHED:
            return self.start()
        return self.controller.restart(self.plan)

    def attach(self, url: str) -> ServerInfo:
        """Use a ComfyUI that already runs; its address is remembered as `server.url`."""
        info = self.controller.attach(url)
        if self.persist:
            self.settings.set("server.url", info.url, save=False)
            self.settings.set("server.reattach", True)
        return info

    @property
    def saved_attach_url(self) -> str:
        """The server attached last time, if the user did not detach from it ("" if none)."""
        if not self.settings.get("server.reattach", False):
            return ""
        return str(self.settings.get("server.url", "") or "")

    @property
    def first_run(self) -> bool:
        """No ComfyUI folder chosen and no server ever attached: a newcomer's first start."""
        return not (self.settings.get("launcher.comfyui_path", "") or self.saved_attach_url)

    def reattach(self) -> ServerInfo | None:
        """Attach again to `saved_attach_url` (at start); None when there is none.

        Raises:
            Wan22Error: it does not answer (the address stays saved for the next try).
        """
        url = self.saved_attach_url
        if not url or self.controller.state != L.STATE_STOPPED:
            return None
        return self.controller.attach(url)

    def export_script(self, fmt: str, path: Path) -> Path:
        return write_script(self._require_plan(), fmt, Path(path))

    def snapshot(self, path: Path) -> Path:
        """Write the environment snapshot of this setup (blocking: NVML, one HTTP call)."""
        if self.report is None:
            self.detect_gpus()
        return write_snapshot(collect_snapshot(self), Path(path))
