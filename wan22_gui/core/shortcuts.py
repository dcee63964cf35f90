"""Desktop shortcuts for the built app: a Linux .desktop entry, Windows .lnk and .url files.

The build writes them next to the app folder (`packaging/make_shortcuts.py`); the app writes
them into the user's menu with `wan22-studio --install-shortcut`, from wherever the folder lies
now (a shortcut holds an absolute path, so a moved folder needs a new one). Qt-free, stdlib only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

from wan22_gui import APP_NAME

APP_ID = "wan22-studio"  # executable, .desktop file, icon and Wayland app id
COMMENT = "Turn still images into short videos with Wan 2.2 on a local ComfyUI"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)

Runner = Callable[..., "subprocess.CompletedProcess"]


def _desktop_quote(text: str) -> str:
    """Quote one Exec argument as the Desktop Entry spec asks (and escape field codes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    escaped = escaped.replace("$", "\\$").replace("%", "%%")
    return f'"{escaped}"'


def desktop_entry(exe: Path, icon: Path | str, version: str) -> str:
    """The text of a freedesktop.org .desktop file that starts `exe`."""
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        f"Name={APP_NAME}",
        "GenericName=Image-to-video studio",
        f"Comment={COMMENT}",
        f"Exec={_desktop_quote(str(exe))}",
        f"TryExec={exe}",
        f"Path={Path(exe).parent}",
        f"Icon={icon}",
        "Terminal=false",
        "Categories=AudioVideo;Video;Graphics;",
        "Keywords=Wan;ComfyUI;video;image-to-video;",
        f"StartupWMClass={APP_ID}",
        "StartupNotify=true",
        f"X-Wan22-Version={version}",
        "",
    ])


def url_shortcut(exe: Path) -> str:
    """An Internet Shortcut (.url) to `exe`: Windows shows it with the app's icon."""
    return "\r\n".join([
        "[InternetShortcut]",
        f"URL={Path(exe).resolve().as_uri()}",
        f"IconFile={exe}",
        "IconIndex=0",
        "",
    ])


def lnk_script(lnk: Path, exe: Path) -> str:
    """A PowerShell script that writes a real .lnk shell link (Windows' usual shortcut)."""
    def q(value: object) -> str:
        return "'" + str(value).replace("'", "''") + "'"

    return "; ".join([
        f"$s = (New-Object -ComObject WScript.Shell).CreateShortcut({q(lnk)})",
        f"$s.TargetPath = {q(exe)}",
        f"$s.WorkingDirectory = {q(Path(exe).parent)}",
        f"$s.IconLocation = {q(str(exe) + ',0')}",
        f"$s.Description = {q(COMMENT)}",
        "$s.Save()",
    ])


def write_linux_entry(folder: Path, exe: Path, icon: Path | str, version: str) -> Path:
    """Write `<folder>/wan22-studio.desktop` (executable, so file managers trust it)."""
    path = Path(folder) / f"{APP_ID}.desktop"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(desktop_entry(exe, icon, version), encoding="utf-8")
    path.chmod(0o755)
    return path


def write_windows_shortcuts(folder: Path, exe: Path, *, run: Runner = subprocess.run,
                            on_windows: bool = sys.platform == "win32") -> list[Path]:
    """Write `<APP_NAME>.url`, and `<APP_NAME>.lnk` where PowerShell can make one."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    url = folder / f"{APP_NAME}.url"
    url.write_text(url_shortcut(exe), encoding="utf-8")
    written = [url]
    if on_windows:
        lnk = folder / f"{APP_NAME}.lnk"
        try:
            run(["powershell", "-NoProfile", "-NonInteractive", "-Command", lnk_script(lnk, exe)],
                check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            pass  # the .url shortcut still works
        if lnk.exists():
            written.append(lnk)
    return written


def bundled_icon(exe: Path, size: int = 256) -> Path:
    """The PNG icon inside a built app folder (PyInstaller puts data under _internal/)."""
    return Path(exe).parent / "_internal" / "wan22_gui" / "resources" / "icons" / \
        f"{APP_ID}-{size}.png"


def install_for_user(exe: Path, icon_dir: Path, version: str, *,
                     platform: str = sys.platform, env: dict[str, str] | None = None,
                     run: Runner = subprocess.run) -> list[Path]:
    """Add the app to the user's menu: XDG applications + hicolor icons, or the Start Menu.

    Returns the files written. `icon_dir` holds wan22-studio-<size>.png.
    """
    env = dict(os.environ if env is None else env)
    if platform == "win32":
        programs = Path(env.get("APPDATA", Path.home() / "AppData" / "Roaming"),
                        "Microsoft", "Windows", "Start Menu", "Programs")
        return write_windows_shortcuts(programs, exe, run=run, on_windows=True)
    if platform == "darwin":
        return []  # macOS apps live in an .app bundle, which this build does not make
    data_home = Path(env.get("XDG_DATA_HOME") or Path(env.get("HOME", Path.home()), ".local",
                                                          "share"))
    written = []
    for size in ICON_SIZES:
        source = Path(icon_dir) / f"{APP_ID}-{size}.png"
        if source.is_file():
            target = data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            written.append(target)
    written.append(write_linux_entry(data_home / "applications", exe, APP_ID, version))
    return written
