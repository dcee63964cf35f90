"""Before Qt starts on Linux/X11: which system libraries its xcb platform plugin lacks.

Qt's own message names one library, and often the wrong one ("xcb-cursor0 is needed" while
libxcb-icccm4 and libxcb-keysyms1 were missing). This check asks the dynamic linker about the
plugin Qt will load (`ldd` on PySide6's `plugins/platforms/libqxcb.so`; where there is no ldd,
it tries to load a known list with ctypes) and names every missing library and the Debian/Ubuntu
package that holds it. It imports no Qt: it must run before anything of Qt is loaded.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

# What libqxcb.so links against, and the Debian/Ubuntu package of each.
APT_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)

Runner = Callable[..., "subprocess.CompletedProcess[str]"]
Loader = Callable[[str], object]


def uses_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt will pick its X11 (xcb) platform plugin here."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    # Without a choice Qt 6 takes Wayland in a Wayland session and X11 otherwise.
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland")


def xcb_plugin() -> Path | None:
    """PySide6's libqxcb.so, found without importing PySide6 (which would load Qt)."""
    folders = []
    bundle = getattr(sys, "_MEIPASS", None)  # a frozen build keeps PySide6 in its own folder
    if bundle:
        folders.append(Path(bundle) / "PySide6")
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        folders.extend(Path(f) for f in spec.submodule_search_locations)
    for folder in folders:
        plugin = folder / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def missing_libraries(plugin: Path | None, *, run: Runner = subprocess.run,
                      loader: Loader = ctypes.CDLL) -> list[str]:
    """The shared libraries the xcb plugin needs and the linker cannot find, in ldd's order."""
    if plugin is not None:
        try:
            done = run(["ldd", str(plugin)], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            done = None
        if done is not None and done.returncode == 0:
            return list(dict.fromkeys(_NOT_FOUND.findall(done.stdout)))
    missing = []
    for name in APT_PACKAGES:  # no ldd (or no plugin file): try each known library
        try:
            loader(name)
        except OSError:
            missing.append(name)
    return missing


def explain(missing: list[str]) -> str:
    """The message for the terminal: each library, its package, the one command to fix it."""
    lines = ["The window cannot open: Qt's X11 (xcb) platform plugin needs system libraries "
             "that are not installed:"]
    packages = []
    for name in missing:
        package = APT_PACKAGES.get(name)
        lines.append(f"  {name}" + (f"  (Debian/Ubuntu package {package})" if package else ""))
        if package:
            packages.append(package)
    if packages:
        lines.append("Install them with:")
        lines.append(f"  sudo apt-get install {' '.join(dict.fromkeys(packages))}")
    lines.append("(On other distributions install the packages that provide these files.)")
    return "\n".join(lines)


def check_before_qt(env: Mapping[str, str] | None = None, *, plugin: Path | None = None,
                    run: Runner = subprocess.run, loader: Loader = ctypes.CDLL) -> str | None:
    """The message to print instead of starting Qt, or None when the window can open."""
    env = os.environ if env is None else env
    if not uses_xcb(env):
        return None
    plugin = plugin or xcb_plugin()
    missing = missing_libraries(plugin, run=run, loader=loader)
    return explain(missing) if missing else None
