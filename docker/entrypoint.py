"""Container entry: start ComfyUI headless with a Wan 2.2 Studio launch preset.

The preset (flags and environment variables) comes from the app's presets.json, copied into the
image, so the container and the desktop launcher use the same settings. Environment:

    WAN22_PRESET        preset name (e.g. rtx-4090, h100-h200, vram-12-20) or "none"
    WAN22_ATTENTION     "" (the preset's), sdpa, sage or flash
    WAN22_EXTRA_ARGS    more ComfyUI flags, appended after the preset's
    WAN22_PORT          port inside the container (8188)
    COMFYUI_DIR         where ComfyUI's main.py is (/opt/ComfyUI)
    WAN22_PRESETS_FILE  the presets file (/opt/wan22/presets.json)

`--dry-run` prints the command and the variables instead of starting ComfyUI.
Stdlib only: it runs in ComfyUI's own Python.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path

ATTENTION_FLAGS = {"sdpa": [], "sage": ["--use-sage-attention"], "flash": ["--use-flash-attention"]}
EXIT_CONFIG = 2


class ConfigError(Exception):
    """A setting of the container is wrong; the message says which and what to do."""


def load_presets(path: Path) -> dict[str, dict]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the presets file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the presets file {path} is not valid JSON (line {exc.lineno}: "
                          f"{exc.msg})") from exc
    return {entry["name"]: entry for entry in doc.get("presets", []) if "name" in entry}


def comfyui_version(comfy: Path) -> tuple[int, ...] | None:
    """The checked-out ComfyUI's version from comfyui_version.py (None when unreadable)."""
    try:
        text = (comfy / "comfyui_version.py").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r"__version__\s*=\s*[\"']v?(\d+(?:\.\d+)*)", text)
    return _version(match.group(1)) if match else None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in str(text).lstrip("v").split(".") if p.isdigit())


def _used_on(item: dict, version: tuple[int, ...] | None) -> bool:
    """A preset flag's `since`/`until` (ComfyUI versions) allow it on `version`."""
    if version is None:
        return True
    since, until = item.get("since"), item.get("until")
    return not ((since and version < _version(since)) or (until and version >= _version(until)))


def preset_parts(preset: dict, attention: str, version: tuple[int, ...] | None = None
                 ) -> tuple[list[str], dict[str, str]]:
    """The preset's flags for ComfyUI `version` (with the attention flag) and its variables."""
    args: list[str] = []
    for item in preset.get("args", []):
        if isinstance(item, str):
            args.append(item)
        elif _used_on(item, version):
            args.append(item["flag"])
            if item.get("value") is not None:
                args.append(str(item["value"]))
    choice = attention or preset.get("attention", "sdpa")
    if choice not in ATTENTION_FLAGS:
        raise ConfigError(f"WAN22_ATTENTION={choice!r} is not one of: {', '.join(ATTENTION_FLAGS)}")
    env = {name: str(spec["value"] if isinstance(spec, dict) else spec)
           for name, spec in preset.get("env", {}).items()}
    return args + ATTENTION_FLAGS[choice], env


def build_command(environ: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """(argv, extra environment) for ComfyUI from the container's environment."""
    comfy = Path(environ.get("COMFYUI_DIR", "/opt/ComfyUI"))
    port = environ.get("WAN22_PORT", "8188")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"WAN22_PORT={port!r} is not a port number (1-65535)")
    name = environ.get("WAN22_PRESET", "none").strip() or "none"
    attention = environ.get("WAN22_ATTENTION", "").strip()
    args: list[str] = []
    env: dict[str, str] = {}
    if name != "none":
        presets = load_presets(Path(environ.get("WAN22_PRESETS_FILE", "/opt/wan22/presets.json")))
        if name not in presets:
            raise ConfigError(f"WAN22_PRESET={name!r} is not a preset. Known presets: "
                              f"{', '.join(sorted(presets))}, or none")
        args, env = preset_parts(presets[name], attention, comfyui_version(comfy))
    elif attention:
        args, env = preset_parts({}, attention)
    try:
        extra = shlex.split(environ.get("WAN22_EXTRA_ARGS", ""))
    except ValueError as exc:
        raise ConfigError(f"WAN22_EXTRA_ARGS cannot be read ({exc}); check its quotes") from exc
    if "--listen" in extra or "--port" in extra:
        raise ConfigError("set the address with the published port in compose.yaml and the port "
                          "with WAN22_PORT, not with --listen/--port in WAN22_EXTRA_ARGS")
    # 0.0.0.0 inside the container: Docker's port publishing decides who can reach it.
    argv = [sys.executable, str(comfy / "main.py"), "--listen", "0.0.0.0", "--port", port,
            "--disable-auto-launch", *args, *extra]
    return argv, env


def main(argv: list[str]) -> int:
    try:
        command, env = build_command(dict(os.environ))
    except ConfigError as exc:
        print(f"wan22 container: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    for name, value in env.items():
        print(f"wan22 container: {name}={value}", flush=True)
    print(f"wan22 container: {shlex.join(command)}", flush=True)
    if "--dry-run" in argv:
        return 0
    main_py = Path(command[1])
    if not main_py.is_file():
        print(f"wan22 container: ComfyUI not found at {main_py}; set COMFYUI_DIR", file=sys.stderr)
        return EXIT_CONFIG
    os.chdir(main_py.parent)
    os.execve(command[0], command, {**os.environ, **env})  # ComfyUI replaces this process
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
