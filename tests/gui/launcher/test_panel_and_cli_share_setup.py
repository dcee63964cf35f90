"""The launcher panel and `wan22 launch` run the same LaunchSetup: for the same install and
settings both reach its `start` with the same plan and the same doctor findings."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.core.launcher_helpers import free_port
from tests.fakes.fake_comfyui_install import make_install
from tests.fakes.fake_nvml import make_nvml, rtx_5090
from wan22_gui.cli.main import main
from wan22_gui.app import App
from wan22_gui.core.telemetry.nvml import Nvml
from wan22_gui.core.server import launcher as L
from wan22_gui.core.server.setup import LaunchSetup
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.launcher.panel import LauncherPanel
from wan22_gui.gui.tasks import TaskRunner


@pytest.fixture
def starts(monkeypatch):
    """Record every LaunchSetup.start (who, plan, findings) and answer "already running"."""
    seen = []

    def fake_start(self):
        seen.append((type(self), self.plan, [f.message for f in self.findings]))
        raise L.ComfyAlreadyRunning(self.plan.url, {"system": {"comfyui_version": "test"}})

    monkeypatch.setattr(LaunchSetup, "start", fake_start)
    # the GUI's App and the one `wan22 launch` builds both see the same fake RTX 5090
    fake = make_nvml(rtx_5090())
    monkeypatch.setattr("wan22_gui.app.Nvml", lambda: Nvml(fake, register_atexit=False))
    return seen


def test_the_panel_and_wan22_launch_use_the_same_launch_setup(qtbot, starts, app_paths,
                                                              tmp_path, monkeypatch, capsys):
    root = make_install(tmp_path / "ComfyUI", fake_torch=True)
    port = free_port()
    core = App.for_gui(app_paths)
    core.settings.set("launcher.comfyui_path", str(root))
    core.settings.set("launcher.port", port)
    ctx = AppContext(app=core, tasks=TaskRunner())
    panel = LauncherPanel(ctx)
    qtbot.addWidget(panel)
    try:
        setup = panel.setup
        qtbot.waitUntil(lambda: setup.plan is not None and setup.table is not None
                        and setup.probe is not None, timeout=20000)
        qtbot.waitUntil(lambda: panel.shown_revision == setup.revision, timeout=5000)
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
        panel.start_button.click()
        qtbot.waitUntil(lambda: len(starts) == 1, timeout=10000)
    finally:
        panel.shutdown()
        core.close()
        ctx.tasks.shutdown()
    assert main(["launch", "--comfyui", str(root), "--port", str(port)]) == 1
    assert "Nothing was started" in capsys.readouterr().err
    (gui_kind, gui_plan, gui_findings), (cli_kind, cli_plan, cli_findings) = starts
    assert gui_kind is cli_kind is LaunchSetup
    assert gui_plan.preset.name == cli_plan.preset.name == "rtx-5090"
    assert gui_plan.argv == cli_plan.argv and gui_plan.env == cli_plan.env
    assert gui_findings == cli_findings
    assert any("Nothing reads TORCH_COMPILE" in text for text in gui_findings)
