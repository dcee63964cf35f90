"""The app shell: self-test, single-instance guard, window state, menus and shortcuts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDockWidget

from wan22_gui.core import shortcuts
from wan22_gui.app import App
from wan22_gui.gui import selftest, window_menu
from wan22_gui.gui.app import app_icon
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.mainwindow import MainWindow
from wan22_gui.gui.single_instance import SingleInstance, server_name
from wan22_gui.gui.tasks import TaskRunner

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot, app_paths):
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.setWindowIcon(app_icon())
    win.show()
    yield win
    win.close()
    ctx.tasks.shutdown()
    core.close()


def test_self_test_passes_on_a_good_window(window):
    assert selftest.run_self_test(window) == []


def test_self_test_names_a_damaged_resource_and_a_missing_panel(window, tmp_path, monkeypatch):
    fake = tmp_path / "resources"
    (fake / "icons").mkdir(parents=True)
    (fake / "presets.json").write_text("{not json", encoding="utf-8")
    (fake / "icons" / "wan22-studio-256.png").write_bytes(b"not a png")
    monkeypatch.setattr(selftest, "resource_path", lambda *parts: fake.joinpath(*parts))
    window.ensure_panels()
    window.panels.pop("gallery")

    def missing(*parts):
        raise FileNotFoundError(2, "No such file or directory", "presets.json")

    monkeypatch.setattr("wan22_gui.core.presets.read_text", missing)
    problems = selftest.run_self_test(window)
    text = "\n".join(problems)
    assert "panel 'gallery' is missing" in text
    assert "presets.json is damaged" in text
    assert "icons/wan22-studio-256.png cannot be decoded" in text
    assert "icons/wan22-studio.ico is missing" in text
    assert "launch presets do not load" in text


def test_app_icon_has_every_size():
    icon = app_icon()
    assert not icon.isNull()
    sizes = {size.width() for size in icon.availableSizes()}
    assert {16, 32, 48, 256} <= sizes


def test_window_state_and_tab_come_back(qtbot, app_paths):
    store_path = app_paths.config_dir / "window.ini"

    def session(work):
        core = App.for_gui(app_paths)
        ctx = AppContext(app=core, tasks=TaskRunner())
        win = MainWindow(ctx)
        qtbot.addWidget(win)
        try:
            win.restore_geometry(QSettings(str(store_path), QSettings.Format.IniFormat))
            win.show()
            return work(win)
        finally:
            win.close()
            ctx.tasks.shutdown()
            core.close()

    def first(win):
        # Size and position are saved too, but the offscreen screen (800x800) is smaller than the
        # window, so Qt clamps the restored geometry here: only the layout is checked.
        win.tabs.setCurrentIndex(win.tabs.indexOf(win.pages["gallery"]))
        win.findChild(QDockWidget, "telemetry_dock").hide()
        win.save_geometry(QSettings(str(store_path), QSettings.Format.IniFormat))

    def second(win):
        assert win.tabs.tabText(win.tabs.currentIndex()) == "Gallery"
        assert not win.findChild(QDockWidget, "telemetry_dock").isVisible()
        win.reset_layout()
        assert win.findChild(QDockWidget, "telemetry_dock").isVisible()

    session(first)
    assert store_path.is_file()
    assert "main_window" in store_path.read_text(encoding="utf-8")
    session(second)


def test_reveal_log_opens_the_log_folder(window, monkeypatch):
    opened = []
    monkeypatch.setattr(window_menu, "open_url", lambda url: opened.append(url) or True)
    monkeypatch.setattr(window_menu.sys, "platform", "linux")
    window.actions_by_name["reveal_log"].trigger()
    log_dir = window.ctx.app.paths.log_dir
    assert [Path(url.toLocalFile()) for url in opened] == [log_dir]
    assert str(window.ctx.app.paths.log_file) in window.statusBar().currentMessage()


def test_menus_offer_the_panels_and_the_folders(window):
    names = set(window.actions_by_name)
    assert {"reveal_log", "open_settings", "open_outputs", "quit", "reset_layout"} <= names
    assert "toggle_launcher_dock" in names and "toggle_telemetry_dock" in names
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["&File", "&View", "&Help"]


def test_second_launch_activates_the_first(qtbot, tmp_path):
    name = server_name(tmp_path / "profile")
    first = SingleInstance(name)
    second = SingleInstance(name)
    try:
        assert first.acquire() is True
        assert first.listening
        with qtbot.waitSignal(first.activate_requested, timeout=5000):
            assert second.acquire() is False
        assert not second.listening
    finally:
        first.close()
        second.close()
    # Once the first is gone, the next launch is first again (no stale socket left behind).
    third = SingleInstance(name)
    try:
        assert third.acquire() is True
    finally:
        third.close()


def test_profiles_do_not_share_a_guard(tmp_path):
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")


def test_second_process_exits_and_raises_the_first(qtbot, tmp_path, app_paths):
    """A real second launch (same WAN22_HOME) exits 0 at once and the first is asked to show."""
    guard = SingleInstance(server_name(app_paths.config_dir))
    assert guard.acquire()
    asked = []
    guard.activate_requested.connect(lambda: asked.append(True))
    try:
        proc = subprocess.Popen([sys.executable, "-m", "wan22_gui"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            qtbot.waitUntil(lambda: proc.poll() is not None and bool(asked), timeout=60000)
        finally:
            if proc.poll() is None:
                proc.kill()
            out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "already running" in out
    finally:
        guard.close()


def test_desktop_entry_quotes_paths_with_spaces(tmp_path):
    exe = tmp_path / "My Apps" / "wan22-studio"
    entry = shortcuts.desktop_entry(exe, tmp_path / "icon.png", "1.2.3")
    lines = dict(line.split("=", 1) for line in entry.splitlines() if "=" in line)
    assert lines["Exec"] == f'"{exe}"'
    assert lines["Name"] == "Wan 2.2 Studio"
    assert lines["Terminal"] == "false"
    assert lines["StartupWMClass"] == "wan22-studio"
    percent = shortcuts.desktop_entry(Path("/opt/100%/wan22-studio"), "i", "1")
    assert 'Exec="/opt/100%%/wan22-studio"' in percent


def test_windows_shortcuts_without_powershell(tmp_path):
    exe = tmp_path / "Wan Studio" / "wan22-studio.exe"
    calls = []

    def fake_run(argv, **kw):
        calls.append(argv)
        Path(tmp_path / "out" / "Wan 2.2 Studio.lnk").write_bytes(b"L")  # what PowerShell makes
        return subprocess.CompletedProcess(argv, 0)

    written = shortcuts.write_windows_shortcuts(tmp_path / "out", exe, run=fake_run, on_windows=True)
    assert [p.name for p in written] == ["Wan 2.2 Studio.url", "Wan 2.2 Studio.lnk"]
    url = written[0].read_text(encoding="utf-8")
    assert "URL=file://" in url and f"IconFile={exe}" in url
    assert calls and calls[0][0] == "powershell" and "CreateShortcut" in calls[0][-1]


def test_user_install_writes_menu_entry_and_icons(tmp_path):
    exe = tmp_path / "dist" / "wan22-studio"
    icons = ROOT / "resources" / "icons"
    written = shortcuts.install_for_user(exe, icons, "0.1.0", platform="linux",
                                         env={"XDG_DATA_HOME": str(tmp_path / "share")})
    entry = tmp_path / "share" / "applications" / "wan22-studio.desktop"
    assert entry in written
    assert f'Exec="{exe}"' in entry.read_text(encoding="utf-8")
    assert (tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "wan22-studio.png").is_file()


def test_make_shortcuts_writes_into_the_build_folder(tmp_path):
    dist = tmp_path / "wan22-studio"
    dist.mkdir()
    done = subprocess.run([sys.executable, str(ROOT / "packaging" / "make_shortcuts.py"),
                           "--dist", str(dist), "--version", "9.9"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    if sys.platform.startswith("linux"):
        assert "X-Wan22-Version=9.9" in (dist / "wan22-studio.desktop").read_text(encoding="utf-8")
    missing = subprocess.run([sys.executable, str(ROOT / "packaging" / "make_shortcuts.py"),
                              "--dist", str(tmp_path / "nope"), "--version", "1"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "build the app first" in missing.stderr


def test_install_shortcut_refuses_outside_a_build(capsys):
    from wan22_gui.gui.app import main

    assert main(["--install-shortcut"]) == 2
    assert "built app" in capsys.readouterr().err


def test_icon_files_match_the_script(tmp_path):
    """The committed PNGs are what packaging/make_icons.py renders (so nobody edits one alone)."""
    done = subprocess.run([sys.executable, str(ROOT / "packaging" / "make_icons.py"),
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    from PIL import Image, ImageChops

    for size in (16, 256):
        made = Image.open(tmp_path / f"wan22-studio-{size}.png").convert("RGBA")
        kept = Image.open(ROOT / "resources" / "icons" / f"wan22-studio-{size}.png").convert("RGBA")
        assert made.size == kept.size == (size, size)
        assert ImageChops.difference(made, kept).getbbox() is None
    assert {(16, 16), (32, 32), (256, 256)} <= set(Image.open(tmp_path / "wan22-studio.ico").info["sizes"])


def test_startup_report_a_usable_window_without_the_heavy_modules(tmp_path):
    """Start-up builds what is on screen: the benchmark, the gallery, the compare player, HTTP
    and the plots (no GPU here) load when first needed; the start-up heap is frozen for the GC."""
    env = dict(os.environ, WAN22_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "wan22_gui", "--startup-report"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said = {}
    for line in done.stdout.splitlines():
        if line.startswith("startup: "):
            words = line.removeprefix("startup: ").split(" ")
            said[" ".join(words[:2])] = words[2:]
    assert 0 < float(said["usable after"][0]) < 120
    assert float(said["idle rss"][0]) > 0
    assert int(said["gc frozen"][0]) > 10_000
    loaded = " ".join(said["heavy modules"]).removeprefix("loaded: ").split(", ")
    for lazy in ("requests", "cv2", "pyqtgraph", "wan22_gui.core.bench.wiring",
                 "wan22_gui.gui.player.compare", "wan22_gui.gui.bench.panel",
                 "wan22_gui.gui.gallery.panel"):
        assert lazy not in loaded, f"{lazy} is imported at start-up"
    when_usable = " ".join(said["usable with:"]).split(", ")
    for later in ("numpy", "wan22_gui.core.jobs.runner", "wan22_gui.core.comfy.watcher"):
        # numpy comes with the first GPU sample, the runner with the first job: after the window
        assert later not in when_usable, f"{later} is imported before the window is usable"
