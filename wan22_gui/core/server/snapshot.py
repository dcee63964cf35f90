"""Environment snapshot: one JSON document with everything that decides how ComfyUI runs here
(GPU, driver, CUDA, ComfyUI/Python/torch versions, flags, environment), for bug reports and for
comparing benchmark machines."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from wan22_gui import __version__
from wan22_gui.core.comfy.connection import ServerInfo
from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.redact import redact_data
from wan22_gui.core.gpu import GpuReport
from wan22_gui.core.server.command import LaunchPlan
from wan22_gui.core.server.install import ComfyInstall
from wan22_gui.core.server.probe import PythonProbe

SCHEMA = "wan22-env-snapshot/1"
ENV_KEYS = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "PYTORCH_CUDA_ALLOC_CONF",
            "TORCH_COMPILE", "TORCH_COMPILE_DISABLE", "TORCHDYNAMO_DISABLE", "HF_HOME",
            "COMFYUI_PATH", "PYTHONPATH")
TOKEN_ENV_PREFIX = "WAN22_TOKEN_"  # core.backends.secrets' headless fallback for a token


def build_snapshot(report: GpuReport, *, install: ComfyInstall | None = None,
                   probe: PythonProbe | None = None, plan: LaunchPlan | None = None,
                   server: ServerInfo | None = None, stats: dict[str, Any] | None = None,
                   problems: list[str] | None = None) -> dict[str, Any]:
    """The snapshot as a JSON-ready dict (pure: the caller gathers the parts), secrets masked:
    a snapshot goes into bug reports, so a token in a flag, a URL or the environment never does."""
    return redact_data({
        "schema": SCHEMA,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "app": {"version": __version__, "python": sys.version.split()[0],
                "platform": platform.platform()},
        "gpus": report.to_dict(),
        "comfyui": _install_part(install, probe),
        "launch": None if plan is None else {
            "preset": plan.preset.name, "attention": plan.attention, "flags": plan.flags,
            "env": plan.env, "argv": plan.argv, "cwd": str(plan.cwd)},
        "server": None if server is None else {
            "url": server.url, "source": server.source, "pid": server.pid,
            "system_stats": stats},
        "environment": _environment(),
        "problems": list(problems or []),
    })


def _environment() -> dict[str, str]:
    """The variables that change how ComfyUI runs, plus which backend tokens are set (the
    names say a token is configured; redact_data masks the values)."""
    keys = [*ENV_KEYS, *sorted(k for k in os.environ if k.startswith(TOKEN_ENV_PREFIX))]
    return {key: os.environ[key] for key in keys if key in os.environ}


def _install_part(install: ComfyInstall | None, probe: PythonProbe | None) -> dict | None:
    if install is None:
        return None
    part: dict[str, Any] = {"path": str(install.home), "kind": install.kind,
                            "version": install.version, "commit": install.commit,
                            "python": str(install.python)}
    if probe is not None:
        part.update(python_version=probe.python_version, torch_version=probe.torch_version,
                    torch_cuda=probe.torch_cuda, cuda_available=probe.cuda_available,
                    packages=probe.modules, probe_error=probe.error)
    return part


def write_snapshot(snapshot: dict[str, Any], path: Path) -> Path:
    """Write the snapshot as indented JSON; raises InputError naming the path on failure."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(snapshot, indent=2, default=str) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot write the snapshot to {path}: {exc.strerror}.",
                         "Choose a folder you can write to.") from exc
    return path


class SnapshotSource(Protocol):
    """What a snapshot reads: a LaunchSetup (core.server.setup) after its pipeline ran."""

    report: GpuReport | None
    install: ComfyInstall | None
    probe: PythonProbe | None
    plan: LaunchPlan | None

    @property
    def problems(self) -> list[str]: ...

    @property
    def server_info(self) -> ServerInfo | None: ...


def collect_snapshot(source: SnapshotSource) -> dict[str, Any]:
    """Gather a snapshot from a launch setup (blocking: one HTTP call to a running ComfyUI)."""
    from wan22_gui.core.server.ports import probe_comfy

    server = source.server_info
    stats = probe_comfy(server.url) if server is not None else None
    return build_snapshot(source.report or GpuReport(), install=source.install,
                          probe=source.probe, plan=source.plan, server=server, stats=stats,
                          problems=source.problems)
