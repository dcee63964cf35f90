"""Finding a ComfyUI install and the Python that runs it.

Three layouts are recognized:
- the Windows portable build: `python_embeded\\python.exe` next to `ComfyUI\\main.py`; it is run
  as `python_embeded\\python.exe -s ComfyUI\\main.py --windows-standalone-build
  --disable-auto-launch` (never through its .bat, which opens a browser and ends in `pause`);
- a git clone (or release archive) with its own `venv` or `.venv`;
- any folder with `main.py`, run by the `python3` found on PATH (said so in `notes`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from wan22_gui.core.base.errors import LaunchError
from wan22_gui.core.base.settings import declare

declare("launcher.comfyui_path", "")

PORTABLE_PYTHON_DIR = "python_embeded"  # sic: the portable build spells it with one "d"
PORTABLE_ARGS = ["--windows-standalone-build", "--disable-auto-launch"]
VENV_DIRS = ("venv", ".venv")


@dataclass(frozen=True)
class ComfyInstall:
    """A ComfyUI install we can launch.

    Attributes:
        home: the folder the user picked (the portable root, or the repo).
        root: the ComfyUI repo folder (holds main.py).
        python: the interpreter that runs it.
        kind: "portable", "venv" or "system".
        version: ComfyUI's version (comfyui_version.py, pyproject.toml or git describe).
        commit: the git commit, when the folder is a clone.
        notes: things the user should know about this install (shown under the path).
    """

    home: Path
    root: Path
    python: Path
    kind: str
    version: str | None = None
    commit: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def main_py(self) -> Path:
        return self.root / "main.py"

    @property
    def python_args(self) -> list[str]:
        """Interpreter options: `-s` keeps the portable Python away from user site-packages."""
        return ["-s"] if self.kind == "portable" else []

    @property
    def fixed_args(self) -> list[str]:
        """ComfyUI flags this layout always needs (the portable build's own)."""
        return list(PORTABLE_ARGS) if self.kind == "portable" else []

    @property
    def cwd(self) -> Path:
        return self.home if self.kind == "portable" else self.root

    def command(self) -> list[str]:
        """`[python, *python_args, main.py]`, the start of every launch command."""
        main = Path("ComfyUI", "main.py") if self.kind == "portable" else Path("main.py")
        return [str(self.python), *self.python_args, str(main)]

    def describe(self) -> str:
        version = f"ComfyUI {self.version}" if self.version else "ComfyUI (version unknown)"
        commit = f" ({self.commit[:8]})" if self.commit else ""
        return f"{version}{commit}, {self.kind} install, Python {self.python}"


def find_install(path: str | os.PathLike[str], *, windows: bool | None = None) -> ComfyInstall:
    """Recognize the ComfyUI install at `path` (the portable root, its ComfyUI folder, or a repo).

    Raises:
        LaunchError: the folder is missing or holds no ComfyUI, with a hint what to pick.
    """
    windows = (os.name == "nt") if windows is None else windows
    home = Path(path).expanduser()
    if not home.is_dir():
        raise LaunchError(f"The ComfyUI folder {home} does not exist.",
                          "Pick the folder that contains ComfyUI's main.py (or the portable "
                          "build's folder with python_embeded).")
    home = home.resolve()
    portable = _portable_root(home)
    if portable is not None:
        python = portable / PORTABLE_PYTHON_DIR / ("python.exe" if windows else "python")
        if not python.exists():  # a portable tree copied to Linux/macOS for inspection
            python = portable / PORTABLE_PYTHON_DIR / "python.exe"
        return _with_version(ComfyInstall(portable, portable / "ComfyUI", python, "portable"))
    if not (home / "main.py").is_file():
        raise LaunchError(
            f"{home} is not a ComfyUI folder: there is no main.py in it.",
            "Pick the ComfyUI folder itself (the one with main.py, comfy/ and models/), or the "
            "Windows portable folder (with python_embeded and ComfyUI inside).")
    venv_python = _venv_python(home, windows)
    if venv_python is not None:
        return _with_version(ComfyInstall(home, home, venv_python, "venv"))
    system = shutil.which("python" if windows else "python3") or shutil.which("python")
    if system is None:
        raise LaunchError(f"{home} has no venv or .venv, and no Python is on PATH.",
                          "Create a venv in the ComfyUI folder and install its requirements.")
    note = (f"No venv or .venv in this folder: using {system} from PATH. If ComfyUI lives in a "
            "conda environment, start the app from that environment.")
    return _with_version(ComfyInstall(home, home, Path(system), "system", notes=[note]))


def _portable_root(home: Path) -> Path | None:
    for candidate in (home, home.parent):
        if (candidate / PORTABLE_PYTHON_DIR).is_dir() and (candidate / "ComfyUI" / "main.py").is_file():
            return candidate
    return None


def _venv_python(root: Path, windows: bool) -> Path | None:
    relative = Path("Scripts", "python.exe") if windows else Path("bin", "python")
    for name in VENV_DIRS:
        python = root / name / relative
        if python.exists():
            return python
    return None


def _with_version(install: ComfyInstall) -> ComfyInstall:
    return ComfyInstall(install.home, install.root, install.python, install.kind,
                        comfyui_version(install.root), git_commit(install.root), install.notes)


def comfyui_version(root: Path) -> str | None:
    """ComfyUI's version from comfyui_version.py, else pyproject.toml, else `git describe`."""
    patterns = (("comfyui_version.py", r"__version__\s*=\s*[\"']([^\"']+)[\"']"),
                ("pyproject.toml", r"(?m)^version\s*=\s*[\"']([^\"']+)[\"']"))
    for name, pattern in patterns:
        try:
            match = re.search(pattern, (root / name).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if match:
            return match.group(1)
    if (root / ".git").exists() and shutil.which("git"):
        try:
            out = subprocess.run(["git", "-C", str(root), "describe", "--tags", "--always"],
                                 capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() or None
    return None


def git_commit(root: Path) -> str | None:
    """The checked-out commit, read from .git without running git (None if not a clone)."""
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head.split(":", 1)[1].strip()
        ref_file = git / ref
        if ref_file.exists():
            return ref_file.read_text(encoding="utf-8").strip() or None
        packed = (git / "packed-refs").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in packed.splitlines():
        if line.endswith(" " + ref):
            return line.split()[0]
    return None


def default_candidates(home: Path | None = None) -> list[Path]:
    """Places people usually put ComfyUI; the panel tries them when no path is set yet."""
    home = home or Path.home()
    names = ("ComfyUI", "ComfyUI_windows_portable", "comfyui", "src/ComfyUI", "Documents/ComfyUI")
    return [home / name for name in names if (home / name).is_dir()]


def auto_find(home: Path | None = None) -> ComfyInstall | None:
    """The first recognizable install among `default_candidates` (None when there is none)."""
    for candidate in default_candidates(home):
        try:
            return find_install(candidate)
        except LaunchError:
            continue
    return None
