"""From settings (or CLI options) to a concrete launch: which install, which preset, which flags.

The GUI panel, `wan22 launch`, `wan22 export-script` and `wan22 env-snapshot` all resolve their
choice here, so they agree on what "auto" means.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from wan22_gui.core.base.errors import LaunchError
from wan22_gui.core.gpu import GpuInfo, GpuReport, gpu_for_comfy
from wan22_gui.core.presets import Preset, PresetBook
from wan22_gui.core.server.command import DEFAULT_PORT, LaunchPlan, build_plan
from wan22_gui.core.server.install import ComfyInstall, auto_find, find_install
from wan22_gui.core.server.ports import LOOPBACK


def resolve_install(path: str | os.PathLike[str] | None, settings: Any = None) -> ComfyInstall:
    """The install at `path`, else at the `launcher.comfyui_path` setting, else a usual place."""
    chosen = path or (settings.get("launcher.comfyui_path") if settings is not None else "")
    if chosen:
        return find_install(Path(chosen))
    found = auto_find()
    if found is None:
        raise LaunchError("No ComfyUI folder is set and none was found in the usual places.",
                          "Choose the ComfyUI folder (Browse... in the launcher panel, or "
                          "`wan22 launch --comfyui PATH`).")
    return found


def parse_extra_args(text: str) -> list[str]:
    """The user's extra flags, split like a shell would (quotes allowed)."""
    try:
        return shlex.split(text or "", posix=True)
    except ValueError as exc:
        raise LaunchError(f"The extra flags cannot be read: {exc}.",
                          "Check the quotes in the extra flags.") from exc


def resolve_preset(book: PresetBook, name: str | None, report: GpuReport,
                   extra_args: list[str] | None = None) -> tuple[Preset, GpuInfo | None]:
    """`name` from the book, or the recommended preset for the GPU ComfyUI will use ("auto")."""
    extra_args = extra_args or []
    gpu = gpu_for_comfy(report, extra_args, os.environ)
    if name and name != "auto":
        preset = book.get(name)
        return preset, gpu_for_comfy(report, preset.argv() + extra_args, os.environ)
    return book.choose(gpu), gpu


def plan_from_settings(settings: Any, book: PresetBook, report: GpuReport, *,
                       install: ComfyInstall | None = None, preset: str | None = None,
                       port: int | None = None, listen: str | None = None,
                       attention: str | None = None, extra_args: list[str] | None = None,
                       ) -> LaunchPlan:
    """A LaunchPlan from explicit options, falling back to the `launcher.*` settings."""
    install = install or resolve_install(None, settings)
    if extra_args is None:
        extra_args = parse_extra_args(settings.get("launcher.extra_args", ""))
    chosen, _ = resolve_preset(book, preset or settings.get("launcher.preset", "auto"), report,
                               extra_args)
    return build_plan(
        install, chosen,
        port=int(port or settings.get("launcher.port", DEFAULT_PORT)),
        listen=listen or settings.get("launcher.listen", LOOPBACK),
        attention=attention or settings.get("launcher.attention", "") or None,
        extra_args=extra_args,
    )
