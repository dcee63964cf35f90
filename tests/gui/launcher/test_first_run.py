"""Issue 14, item 6: a first start without ComfyUI — the first-run page, a doctor that ends,
messages without literal backticks, and the attached server re-attached at the next start."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QPushButton

from tests.fakes.fake_comfyui_install import make_install
from tests.fakes.fake_nvml import make_nvml, rtx_5090
from wan22_gui.app import App, Given
from wan22_gui.core.server import install as install_module
from wan22_gui.core.server import launcher as L
from wan22_gui.core.telemetry.nvml import Nvml
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.launcher.panel import LauncherPanel
from wan22_gui.gui.tasks import TaskRunner


@pytest.fixture(autouse=True)
def _no_comfyui_in_the_usual_places(monkeypatch, tmp_path):
    """Whatever this machine has in ~/ComfyUI, these tests start from a computer without."""
    monkeypatch.setattr(install_module, "default_candidates", lambda home=None: [])


@pytest.fixture
def open_panel(qtbot, app_paths):
    """A launcher panel over a fresh App on the same app folders (a second call: a restart)."""
    made = []

    def _open():
        core = App.for_gui(app_paths, given=Given(
            nvml=Nvml(make_nvml(rtx_5090()), register_atexit=False)))
        ctx = AppContext(app=core, tasks=TaskRunner())
        panel = LauncherPanel(ctx)
        qtbot.addWidget(panel)
        panel.resize(380, 900)
        panel.show()
        made.append((panel, ctx))
        return panel

    yield _open
    for panel, ctx in made:
        panel.shutdown()
        ctx.app.close()
        ctx.tasks.shutdown()


def close(panel):
    panel.shutdown()
    panel.ctx.app.close()


def test_first_start_shows_the_first_run_page_and_the_doctor_ends(qtbot, open_panel):
    panel = open_panel()
    assert panel.on_first_run and panel.first_run.isVisible()
    texts = panel.first_run.findChildren(QPushButton)
    assert {"Choose the ComfyUI folder...", "Attach", "Show the full launcher"} <= {
        b.text() for b in texts}
    page = " ".join(label.text() for label in panel.first_run.findChildren(type(panel.message)))
    assert "I don't have it yet" in page and "wan_2.1_vae" in page and "href=" in page
    qtbot.waitUntil(lambda: "No ComfyUI folder is set" in panel.install_box.info.text(),
                    timeout=10000)
    qtbot.waitUntil(lambda: panel.doctor.shown() != ["Checking the launch flags..."],
                    timeout=5000)
    assert panel.doctor.shown()[0].startswith("Nothing to check yet: no ComfyUI folder")
    info = panel.install_box.info.text()
    assert "`" not in info and "<code>wan22 launch --comfyui PATH</code>" in info
    panel.first_run.findChild(QPushButton, "first_run_skip").click()
    assert not panel.on_first_run and panel.attach_button.isVisible()
    panel.findChild(QPushButton, "first_run_button").click()  # reachable again later
    assert panel.on_first_run


def test_picking_the_folder_on_the_first_run_page_loads_it(qtbot, open_panel, tmp_path,
                                                           monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    root = make_install(tmp_path / "ComfyUI", fake_torch=True)
    panel = open_panel()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(root))
    panel.first_run.pick.click()
    assert not panel.on_first_run
    qtbot.waitUntil(lambda: panel.setup.plan is not None, timeout=20000)
    assert panel.ctx.app.settings.get("launcher.comfyui_path") == str(root)


def test_attach_on_the_first_run_page_then_reattach_at_the_next_start(qtbot, open_panel,
                                                                     standin):
    panel = open_panel()
    panel.first_run.url.setText(standin.url)
    panel.first_run.attach.click()
    qtbot.waitUntil(lambda: panel.controller.state == L.STATE_ATTACHED, timeout=10000)
    qtbot.waitUntil(lambda: not panel.on_first_run, timeout=5000)
    qtbot.waitUntil(lambda: "connected to" in panel.state_label.text(), timeout=5000)
    close(panel)

    again = open_panel()  # the app's next start
    assert not again.on_first_run  # a server is remembered: no welcome page
    qtbot.waitUntil(lambda: again.controller.state == L.STATE_ATTACHED, timeout=10000)
    assert again.ctx.app.connection.url == standin.url
    qtbot.waitUntil(lambda: "Attached again to" in again.message.text(), timeout=5000)
    assert standin.url in again.message.text()


def test_a_saved_server_that_is_gone_says_so_at_start(qtbot, open_panel, standin):
    panel = open_panel()
    panel.first_run.url.setText(standin.url)
    panel.first_run.attach.click()
    qtbot.waitUntil(lambda: panel.controller.state == L.STATE_ATTACHED, timeout=10000)
    close(panel)
    standin.stop()

    again = open_panel()
    qtbot.waitUntil(lambda: "Could not attach again to" in again.message.text(), timeout=10000)
    assert "No ComfyUI answers at" in again.message.text()
    assert again.controller.state == L.STATE_STOPPED


def test_detaching_means_no_reattach_next_time(qtbot, open_panel, standin):
    panel = open_panel()
    panel.first_run.url.setText(standin.url)
    panel.first_run.attach.click()
    qtbot.waitUntil(lambda: panel.controller.state == L.STATE_ATTACHED, timeout=10000)
    qtbot.waitUntil(lambda: panel.stop_button.isEnabled(), timeout=5000)
    assert panel.stop_button.text() == "Detach"
    panel.stop_button.click()
    qtbot.waitUntil(lambda: panel.controller.state == L.STATE_STOPPED, timeout=10000)
    close(panel)

    again = open_panel()
    qtbot.wait(300)
    assert again.controller.state == L.STATE_STOPPED
    assert "Attaching again" not in again.message.text()
