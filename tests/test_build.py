"""The double-click build: PyInstaller turns build_installer.spec into a folder whose app passes
its own --self-test offscreen. Slow (about a minute on two cores), but part of the default run so
CI catches a module or resource the build leaves out."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = "wan22-studio"
BUILD_TIMEOUT_S = 600

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def build_dir():
    # A private folder rather than pytest's tmp_path: pytest prunes old basetemp folders when
    # other pytest runs start, and a build vanishing under the running app makes it crash.
    with tempfile.TemporaryDirectory(prefix="wan22-build-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def built_app(build_dir) -> Path:
    pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pip install -e '.[test]')")
    out = build_dir
    done = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(out / "dist"), "--workpath", str(out / "work"),
         str(ROOT / "build_installer.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    assert done.returncode == 0, f"build failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    folder = out / "dist" / APP
    assert folder.is_dir(), done.stderr[-3000:]
    return folder


def _exe(folder: Path) -> Path:
    return folder / (f"{APP}.exe" if sys.platform == "win32" else APP)


def test_built_app_passes_its_self_test(built_app, build_dir):
    home = build_dir / "home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WAN22_HOME=str(home))
    done = subprocess.run([str(_exe(built_app)), "--self-test"], capture_output=True, text=True,
                          timeout=180, env=env, cwd=build_dir)
    assert done.returncode == 0, f"self-test failed:\n{done.stdout}\n{done.stderr}"
    assert "self-test: ok" in done.stdout
    # The app kept its files under WAN22_HOME, not next to the binary or in the user's home.
    assert "self-test: ok" in (home / "logs" / "wan22.log").read_text(encoding="utf-8")


def test_built_app_reports_its_version(built_app):
    from wan22_gui import __version__

    done = subprocess.run([str(_exe(built_app)), "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and __version__ in done.stdout


def test_build_carries_resources_and_shortcut(built_app):
    internal = built_app / "_internal"
    resources = internal / "wan22_gui" / "resources"
    assert (resources / "presets.json").is_file()
    assert (resources / "icons" / "wan22-studio.ico").is_file()
    if sys.platform.startswith("linux"):
        entry = (built_app / f"{APP}.desktop").read_text(encoding="utf-8")
        assert f'Exec="{_exe(built_app)}"' in entry
        icon = next(line.split("=", 1)[1] for line in entry.splitlines() if line.startswith("Icon="))
        assert Path(icon).is_file()
    elif sys.platform == "win32":
        assert (built_app / "Wan 2.2 Studio.url").is_file()


def test_build_leaves_out_what_the_app_does_not_use(built_app):
    names = {p.name for p in (built_app / "_internal").rglob("*")}
    unwanted = [n for n in names if n.startswith(("tkinter", "_tkinter", "libQt6Quick", "libQt6Qml",
                                                  "libQt6WebEngine", "PyQt5", "PyQt6", "matplotlib",
                                                  "torch", "IPython", "pytest"))]
    assert not unwanted, f"the build carries unused packages: {sorted(unwanted)[:10]}"
