"""The launcher panel over a real ServerController and a fake ComfyUI install."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from wan22_gui.app import App, Given
from wan22_gui.core.server import launcher as L
from wan22_gui.core.telemetry.nvml import Nvml
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.launcher.panel import LauncherPanel
from wan22_gui.gui.tasks import TaskRunner
from tests.core.launcher_helpers import free_port
from tests.fakes.fake_comfyui_install import make_install
from tests.fakes.fake_nvml import driver_not_loaded, make_nvml, rtx_5090

DOCS_IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"


@pytest.fixture
def make_panel(qtbot, app_paths, tmp_path):
    made = []

    def _make(nvml=None, *, install=True, port=None):
        fake = Nvml(nvml or make_nvml(rtx_5090()), register_atexit=False)
        core = App.for_gui(app_paths, given=Given(nvml=fake))
        core.server.poll_s = 0.1
        if install:
            root = make_install(tmp_path / "ComfyUI", fake_torch=True)
            core.settings.set("launcher.comfyui_path", str(root))
        core.settings.set("launcher.port", port or free_port())
        ctx = AppContext(app=core, tasks=TaskRunner())
        panel = LauncherPanel(ctx)
        qtbot.addWidget(panel)
        panel.resize(380, 1350)
        panel.show()
        made.append((panel, ctx))
        return panel

    yield _make
    for panel, ctx in made:
        panel.shutdown()
        ctx.app.close()
        ctx.tasks.shutdown()


def _wait_loaded(qtbot, panel):
    setup = panel.setup
    qtbot.waitUntil(lambda: setup.plan is not None and setup.table is not None
                    and setup.probe is not None and setup.report is not None, timeout=20000)
    qtbot.waitUntil(lambda: panel.shown_revision == setup.revision, timeout=5000)


def test_recommended_preset_with_reasons_and_doctor_warnings(qtbot, make_panel, tmp_path):
    panel = make_panel()
    _wait_loaded(qtbot, panel)
    combo = panel.preset_box.combo
    assert combo.currentText() == "RTX 5090 (32 GB) ★ recommended"
    assert ("Recommended for NVIDIA GeForce RTX 5090, the GPU ComfyUI will use"
            in panel.preset_box.description.text())
    rows = dict(panel.preset_box.table.rows())
    assert "already turns it on" in rows["--cuda-malloc"] and "--normalvram" not in rows
    assert "TORCH_COMPILE=0" in rows and "Nothing reads" in rows["TORCH_COMPILE=0"]
    assert any("warning: Nothing reads TORCH_COMPILE" in t for t in panel.doctor.texts())
    assert "ComfyUI will use this one" in panel.gpu_list.text()
    assert "ComfyUI 0.3.64" in panel.install_box.info.text()
    assert "Python" in panel.install_box.info.text()
    assert "torch 2.8.0+cu128, CUDA 12.8 available" in panel.install_box.info.text()
    panel.resize(380, 1850)  # tall enough to show every section without scrolling
    panel.splitter.setSizes([1500, 330])
    qtbot.wait(50)
    shot = panel.grab()
    assert shot.save(str(tmp_path / "launcher_panel.png"))
    if os.environ.get("WAN22_SAVE_SCREENSHOTS"):  # refresh the picture in docs/images
        assert shot.save(str(DOCS_IMAGES / "launcher_panel.png"))


def test_no_gpu_shows_the_message_and_recommends_cpu(qtbot, make_panel):
    panel = make_panel(driver_not_loaded())
    _wait_loaded(qtbot, panel)
    assert "No NVIDIA GPU found" in panel.gpu_list.text()
    assert "driver is not loaded" in panel.gpu_list.text()
    assert panel.preset_box.combo.currentText().startswith("CPU only")
    assert panel.setup.plan.flags[0] == "--cpu"


def test_start_shows_progress_log_and_ready_then_stop(qtbot, make_panel):
    panel = make_panel()
    _wait_loaded(qtbot, panel)
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.controller.state == L.STATE_READY, timeout=20000)
    qtbot.waitUntil(lambda: "connected to http://127.0.0.1:" in panel.state_label.text(), timeout=5000)
    qtbot.waitUntil(lambda: "To see the GUI go to" in panel.log_view.text(), timeout=5000)
    assert panel.app.connection.info.source == "launched"
    assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.controller.state == L.STATE_STOPPED, timeout=20000)
    qtbot.waitUntil(lambda: "not connected" in panel.state_label.text(), timeout=5000)
    assert panel.app.connection.info is None


def test_crash_banner_explains_and_restart_button_restarts(qtbot, make_panel):
    panel = make_panel()
    _wait_loaded(qtbot, panel)
    panel.preset_box.extra.setText("--lowvram --highvram")  # two of one exclusive group
    panel.preset_box.extra.editingFinished.emit()
    assert any("cannot be used together" in t for t in panel.doctor.texts())
    panel.start_button.click()
    qtbot.waitUntil(panel.crash_banner.isVisible, timeout=20000)
    assert "not allowed with argument" in panel.crash_banner.sentence.text()
    assert "only one" in panel.crash_banner.fix.text()
    health = panel.app.health.current  # the one connection state says it too, with the reason
    assert health.state == "lost" and health.reason == panel.controller.last_crash.sentence
    qtbot.waitUntil(lambda: "lost since" in panel.state_label.text(), timeout=5000)
    panel.preset_box.extra.setText("")
    panel.preset_box.extra.editingFinished.emit()
    panel.crash_banner.restart.click()
    qtbot.waitUntil(lambda: panel.controller.state == L.STATE_READY, timeout=20000)
    assert not panel.crash_banner.isVisible()


def test_listening_on_all_networks_needs_a_confirmation(qtbot, make_panel, monkeypatch):
    panel = make_panel()
    _wait_loaded(qtbot, panel)
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: answers.pop(0))
    panel.listen.setCurrentIndex(1)
    panel.listen.activated.emit(1)
    assert panel.listen.currentData() == "127.0.0.1" and "--listen" in panel.setup.plan.flags
    assert panel.setup.plan.listen == "127.0.0.1"
    panel.listen.setCurrentIndex(1)
    panel.listen.activated.emit(1)
    assert panel.setup.plan.listen == "0.0.0.0"
    assert any("no authentication" in t for t in panel.doctor.texts())


def test_port_with_a_running_comfyui_offers_attach(qtbot, make_panel, monkeypatch):
    first = make_panel()
    _wait_loaded(qtbot, first)
    first.start_button.click()
    qtbot.waitUntil(lambda: first.controller.state == L.STATE_READY, timeout=20000)
    second = make_panel(port=first.setup.plan.port, install=False)
    second.install_box.path_chosen.emit(str(first.setup.install.home))
    _wait_loaded(qtbot, second)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    second.start_button.click()
    qtbot.waitUntil(lambda: second.controller.state == L.STATE_ATTACHED, timeout=20000)
    assert second.app.connection.url == first.setup.plan.url
    qtbot.waitUntil(lambda: "(attached)" in second.state_label.text(), timeout=5000)
    assert second.stop_button.text() == "Detach"


def test_bad_folder_says_what_to_pick(qtbot, make_panel, tmp_path):
    panel = make_panel(install=False)
    panel.install_box.path_chosen.emit(str(tmp_path))
    qtbot.waitUntil(lambda: "no main.py" in panel.install_box.info.text(), timeout=10000)
    assert not panel.start_button.isEnabled()


def test_start_up_shows_elapsed_seconds(qtbot, make_panel, monkeypatch):
    monkeypatch.setenv("FAKE_COMFY_STARTUP_S", "2")  # the child inherits it: a slow start
    panel = make_panel()
    _wait_loaded(qtbot, panel)
    panel.start_button.click()
    qtbot.waitUntil(lambda: "Starting... " in panel.state_label.text(), timeout=10000)
    assert "waiting for http://127.0.0.1:" in panel.state_label.text()
    assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: panel.controller.state == L.STATE_READY, timeout=20000)


def test_export_script_and_env_snapshot_buttons_write_files(qtbot, make_panel, monkeypatch,
                                                            tmp_path):
    import json

    from PySide6.QtWidgets import QFileDialog, QPushButton

    panel = make_panel()
    _wait_loaded(qtbot, panel)
    targets = [str(tmp_path / "start.sh"), str(tmp_path / "env.json")]
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (targets.pop(0), "Shell script (*.sh)"))
    panel.findChild(QPushButton, "export_button").click()
    qtbot.waitUntil(lambda: (tmp_path / "start.sh").exists(), timeout=10000)
    assert "--reserve-vram 4" in (tmp_path / "start.sh").read_text()
    panel.findChild(QPushButton, "snapshot_button").click()
    qtbot.waitUntil(lambda: (tmp_path / "env.json").exists(), timeout=20000)
    snap = json.loads((tmp_path / "env.json").read_text())
    assert snap["gpus"]["gpus"][0]["name"] == "NVIDIA GeForce RTX 5090"
    assert snap["comfyui"]["torch_version"] == "2.8.0+cu128"
    qtbot.waitUntil(lambda: "Saved" in panel.message.text(), timeout=5000)
