"""A folder laid out like a ComfyUI git clone, and helpers that copy it into test folders.

`make_install(dest)` lays out a launchable clone with a `venv/bin/python` that runs this test
environment's interpreter (so `tests.fakes.comfy_standin` is importable in the child), and
`make_portable(dest)` lays out the Windows portable build's tree (python_embeded, ComfyUI,
run_nvidia_gpu.bat). Tests never launch from this folder itself, so nothing is written here.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
FILES = ("main.py", "comfyui_version.py", "pyproject.toml", "requirements.txt")
FOLDERS = ("models/diffusion_models", "models/loras", "models/vae", "models/text_encoders",
           "custom_nodes", "input", "output", "user/default")


def _copy_tree(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy2(HERE / name, dest / name)
    (dest / "comfy").mkdir(exist_ok=True)
    shutil.copy2(HERE / "comfy" / "__init__.py", dest / "comfy" / "__init__.py")
    for folder in FOLDERS:
        (dest / folder).mkdir(parents=True, exist_ok=True)
    (dest / "site").mkdir(exist_ok=True)  # drop e.g. sageattention.py here to make it importable
    return dest


def _write_python_wrapper(path: Path, install_root: Path) -> Path:
    """A `python` that execs this interpreter with the repo and `site/` on its path (POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\n"
        f'PYTHONPATH="{REPO_ROOT}{os.pathsep}{install_root / "site"}'
        '${PYTHONPATH:+:$PYTHONPATH}" exec ' f'"{sys.executable}" "$@"\n',
        encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


FAKE_TORCH = """__version__ = "2.8.0+cu128"
class version:
    cuda = "12.8"
class cuda:
    @staticmethod
    def is_available():
        return True
"""


def make_install(dest: Path, *, venv: str = "venv", git: bool = False,
                 fake_torch: bool = False) -> Path:
    """A launchable git-clone-style install at `dest` (`venv` or `.venv`; optional .git).

    `fake_torch` puts a tiny `torch` module (2.8.0+cu128, CUDA available) into its `site/`, so
    the Python probe reports what a real CUDA install would.
    """
    root = _copy_tree(Path(dest))
    _write_python_wrapper(root / venv / "bin" / "python", root)
    if fake_torch:
        (root / "site" / "torch.py").write_text(FAKE_TORCH, encoding="utf-8")
    if git:
        (root / ".git" / "refs" / "heads").mkdir(parents=True, exist_ok=True)
        (root / ".git" / "HEAD").write_text("ref: refs/heads/master\n", encoding="utf-8")
        (root / ".git" / "refs" / "heads" / "master").write_text("a125cd84b054a57729b5eecab930ca9408719832\n")
    return root


def make_windows_venv(dest: Path, venv: str = ".venv") -> Path:
    """A clone with a Windows-style `Scripts\\python.exe` (for the finder only; not runnable)."""
    root = _copy_tree(Path(dest))
    exe = root / venv / "Scripts" / "python.exe"
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_bytes(b"MZ")
    return root


def make_portable(dest: Path, *, runnable: bool = False) -> Path:
    """The Windows portable build's tree at `dest`.

    With `runnable`, `python_embeded/python` is a POSIX wrapper too, so the tree can be launched
    on Linux the way the app launches the portable build on Windows.
    """
    root = Path(dest)
    comfy = _copy_tree(root / "ComfyUI")
    embedded = root / "python_embeded"
    embedded.mkdir(parents=True, exist_ok=True)
    (embedded / "python.exe").write_bytes(b"MZ")
    (embedded / "python313._pth").write_text("python313.zip\n.\n../ComfyUI\nimport site\n")
    if runnable:
        _write_python_wrapper(embedded / "python", comfy)
    (root / "update").mkdir(exist_ok=True)
    (root / "update" / "update_comfyui.bat").write_text("..\\python_embeded\\python.exe .\\update.py ..\\ComfyUI\\\r\npause\r\n")
    (root / "run_nvidia_gpu.bat").write_text(
        ".\\python_embeded\\python.exe -s ComfyUI\\main.py --windows-standalone-build\r\npause\r\n")
    (root / "run_cpu.bat").write_text(
        ".\\python_embeded\\python.exe -s ComfyUI\\main.py --cpu --windows-standalone-build\r\npause\r\n")
    return root
