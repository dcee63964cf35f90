"""Launch scripts (.sh and .bat) that start ComfyUI exactly the way the app would, with each
flag's and variable's reason as a comment. The .bat never ends in `pause` and never opens a
browser (the portable build's flags include --disable-auto-launch)."""

from __future__ import annotations

import shlex
import textwrap
import time
from pathlib import Path

from wan22_gui import __version__
from wan22_gui.core.base.errors import InputError
from wan22_gui.core.server.command import LaunchPlan

FORMATS = ("sh", "bat")


def render_script(plan: LaunchPlan, fmt: str) -> str:
    """The script text for `fmt` ("sh" or "bat")."""
    if fmt not in FORMATS:
        raise InputError(f"Unknown script format '{fmt}'.", "Use sh (Linux/macOS) or bat (Windows).")
    return _sh(plan) if fmt == "sh" else _bat(plan)


def write_script(plan: LaunchPlan, fmt: str, path: Path) -> Path:
    """Write the script (executable for .sh); CRLF line ends for .bat."""
    text = render_script(plan, fmt)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        newline = "\r\n" if fmt == "bat" else "\n"
        path.write_text(text, encoding="utf-8", newline=newline)
        if fmt == "sh":
            path.chmod(0o755)
    except OSError as exc:
        raise InputError(f"Cannot write the script to {path}: {exc.strerror}.",
                         "Choose a folder you can write to.") from exc
    return path


def default_name(plan: LaunchPlan, fmt: str) -> str:
    return f"launch_comfyui_{plan.preset.name}.{fmt}"


def _reasons(plan: LaunchPlan) -> list[str]:
    lines = [f"Preset '{plan.preset.name}' ({plan.preset.title}): {plan.preset.description}"]
    dropped = dict(plan.dropped)
    for spec in plan.preset.args:
        if spec.flag in dropped:  # the preset's flag this ComfyUI version does not use
            lines.append(f"not passed: {dropped[spec.flag]}")
        else:
            lines.append(f"{' '.join(spec.argv())}: {spec.reason}")
    if plan.attention != "sdpa":
        lines.append(f"attention: {plan.attention} (checked importable when exported)")
    if plan.extra_args:
        lines.append(f"your extra flags: {' '.join(plan.extra_args)}")
    if plan.install.fixed_args:
        lines.append(f"{' '.join(plan.install.fixed_args)}: the portable build's own flags, "
                     "without the browser window")
    lines.append(f"--listen {plan.listen} --port {plan.port}: where the app expects the server")
    return lines


def _header(plan: LaunchPlan, comment: str) -> list[str]:
    stamp = time.strftime("%Y-%m-%d %H:%M")
    out = [f"{comment} Start ComfyUI for Wan 2.2 Studio {__version__} (exported {stamp}).",
           f"{comment} {plan.install.describe()}"]
    for line in _reasons(plan):
        out += _comment(line, comment)
    return out


def _comment(text: str, comment: str) -> list[str]:
    return textwrap.wrap(text, width=96, initial_indent=f"{comment} ",
                         subsequent_indent=f"{comment}     ")


def _env_block(plan: LaunchPlan, comment: str, assign) -> list[str]:
    """Each variable's reason as a comment, then the assignments (PYTHONUNBUFFERED last)."""
    out: list[str] = []
    for name, spec in plan.preset.env.items():
        if name in plan.env:
            out += _comment(f"{name}: {spec.reason}", comment)
    return out + [assign(name, value) for name, value in plan.env.items()] + [
        assign("PYTHONUNBUFFERED", "1")]


def _sh(plan: LaunchPlan) -> str:
    out = ["#!/usr/bin/env bash", *_header(plan, "#"), "set -e"]
    out += _env_block(plan, "#", lambda name, value: f"export {name}={shlex.quote(value)}")
    out.append(f"cd {shlex.quote(str(plan.cwd))}")
    command = " ".join(shlex.quote(part) for part in plan.argv)
    out.append(f'exec {command} "$@"')
    return "\n".join(out) + "\n"


def _bat_quote(part: str) -> str:
    return f'"{part}"' if any(ch in part for ch in ' &()^%!,;=') or not part else part


def _bat(plan: LaunchPlan) -> str:
    out = ["@echo off", *_header(plan, "REM"), "setlocal"]
    out += _env_block(plan, "REM", lambda name, value: f'set "{name}={value.replace("%", "%%")}"')
    out.append(f'cd /d "{plan.cwd}"')
    argv = list(plan.argv)
    if plan.install.kind == "portable":  # relative, so the folder can be moved
        argv[0] = "python_embeded\\python.exe"
        argv = [a.replace("/", "\\") if a.endswith("main.py") else a for a in argv]
    out.append(" ".join(_bat_quote(part) for part in argv) + " %*")
    return "\n".join(out) + "\n"
