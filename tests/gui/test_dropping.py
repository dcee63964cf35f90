"""Drag and drop: a picture anywhere on Generate is the start image; a workflow file (JSON, or
a ComfyUI PNG/MP4 with the graph inside) opens the import dialog, whose Use fills the form."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from wan22_gui.app import App
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.dropping import DropRouter
from wan22_gui.gui.mainwindow import MainWindow
from wan22_gui.gui.tasks import TaskRunner
from wan22_gui.gui.workflow_import_dialog import WorkflowImportDialog

DATA = Path(__file__).parents[1] / "core" / "comfy_data"
WORKFLOW_SPEC = JobSpec(image="x.png", prompt="a heron lifts off the lake", width=832,
                        height=480, frames=49, seed=777)


@pytest.fixture
def window(qtbot, app_paths):
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    ctx.tasks.shutdown()
    core.close()


def drop(target, path: Path) -> None:
    """Deliver a file drop the way Qt does: the target's event filters first, then the first
    widget up from the target that accepts drops. (Offscreen, QApplication.sendEvent delivers
    no drop without a drag in progress.)"""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, data,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window = target.window()
    for router in window.findChildren(DropRouter):
        if target is router.parent() or router.parent().isAncestorOf(target):
            if router.eventFilter(target, event):
                return
    widget = target
    while widget is not None and not widget.acceptDrops():
        widget = widget.parentWidget()
    assert widget is not None, "nothing takes the drop"
    widget.event(event)


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "heron.jpg"
    Image.new("RGB", (640, 480), (90, 120, 160)).save(path)
    return path


@pytest.fixture
def workflow_json(tmp_path):
    path = tmp_path / "heron workflow.json"
    path.write_text(json.dumps(build_wan_i2v(WORKFLOW_SPEC, "x.png").graph), encoding="utf-8")
    return path


def open_dialog(window, qtbot) -> WorkflowImportDialog:
    qtbot.waitUntil(lambda: window.findChild(WorkflowImportDialog) is not None
                    and window.findChild(WorkflowImportDialog).isVisible(), timeout=5000)
    return window.findChild(WorkflowImportDialog)


def test_a_picture_dropped_on_the_prompt_box_becomes_the_start_image(window, qtbot, picture):
    generate = window.panel("generate")
    generate.form.prompt.setPlainText("kept")
    with qtbot.waitSignal(generate.form.image.image_loaded, timeout=5000):
        drop(generate.form.prompt.viewport(), picture)  # a text box would insert the path
    assert generate.form.image.path == str(picture)
    assert generate.form.prompt.toPlainText() == "kept"


def test_a_workflow_json_on_generate_opens_the_dialog_and_use_fills_the_form(
        window, qtbot, workflow_json):
    generate = window.panel("generate")
    drop(generate.queue, workflow_json)
    dialog = open_dialog(window, qtbot)
    roles = {dialog.roles.topLevelItem(i).text(0) for i in range(dialog.roles.topLevelItemCount())}
    assert {"sampler_high", "sampler_low", "positive", "latent"} <= roles
    models = [dialog.models.item(i).text() for i in range(dialog.models.count())]
    assert any(WORKFLOW_SPEC.models.unet_high in m for m in models)
    assert "Problems: none found." in dialog.problems.text()
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    spec = generate.form.spec()
    assert spec.prompt == WORKFLOW_SPEC.prompt and spec.seed == 777
    assert (spec.width, spec.height, spec.frames) == (832, 480, 49)
    assert "Settings from heron workflow.json" in generate.form_message.text()


def test_cancel_leaves_the_form_alone(window, qtbot, workflow_json):
    generate = window.panel("generate")
    generate.form.prompt.setPlainText("mine")
    drop(window, workflow_json)
    dialog = open_dialog(window, qtbot)
    dialog.reject()
    assert generate.form.prompt.toPlainText() == "mine"


def test_a_comfyui_png_and_mp4_on_the_window_open_the_import(window, qtbot, tmp_path):
    info = PngInfo()
    info.add_text("prompt", json.dumps(build_wan_i2v(WORKFLOW_SPEC, "x.png").graph))
    png = tmp_path / "ComfyUI_00007_.png"
    Image.new("RGB", (16, 16)).save(png, pnginfo=info)
    drop(window, png)
    dialog = open_dialog(window, qtbot)
    assert "ComfyUI_00007_.png" in dialog.summary.text()
    dialog.reject()
    mp4 = tmp_path / "clip.mp4"
    shutil.copy(DATA / "comfyui_savevideo_output.mp4", mp4)
    drop(window, mp4)
    qtbot.waitUntil(lambda: window.workflow_import.dialog is not None
                    and "clip.mp4" in window.workflow_import.dialog.windowTitle(), timeout=5000)


def test_a_file_without_a_workflow_is_refused_in_words(window, qtbot, tmp_path):
    plain = tmp_path / "holiday.png"
    Image.new("RGB", (16, 16)).save(plain)
    drop(window, plain)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "import_refused") is not None,
                    timeout=5000)
    box = window.findChild(QMessageBox, "import_refused")
    assert "holiday.png holds no ComfyUI workflow" in box.text()


SWITCH_TEMPLATE = Path(__file__).parents[1] / "core" / "workflow_data" / \
    "wan22_i2v_switch_subgraph.ui.json"


@pytest.mark.parametrize("comfy_profile", ["0.3.64", "0.38.1"])
def test_the_2026_switch_template_dropped_shows_its_roles_and_what_this_comfyui_needs(
        window, qtbot, standin, comfy_profile):
    from wan22_gui.core.comfy.connection import ServerInfo

    window.ctx.app.connection.set(ServerInfo(standin.url, "attached"))
    generate = window.panel("generate")
    drop(generate.queue, SWITCH_TEMPLATE)
    dialog = open_dialog(window, qtbot)
    roles = {dialog.roles.topLevelItem(i).text(0) for i in range(dialog.roles.topLevelItemCount())}
    assert {"sampler_high", "sampler_low", "positive", "latent", "image"} <= roles
    assert "editor format" in dialog.summary.text()
    text = dialog.problems.text()
    if comfy_profile == "0.3.64":  # every newer core node, each with the version that has it
        assert "ComfySwitchNode (#129:153, #129:156, #129:159, #129:162, #129:163, #129:164) " \
               "is not on this ComfyUI" in text
        assert "update ComfyUI to 0.13.0 or newer (you have 0.3.64)" in text
        assert "ComfyMathExpression (#129:166)" in text
        assert "update ComfyUI to 0.38.1 or newer (you have 0.3.64)" in text
        assert "custom node pack" not in text
    else:
        assert "update ComfyUI" not in text and "no node type" not in text
    assert dialog.use_button.isEnabled()
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert "Settings from wan22_i2v_switch_subgraph.ui.json" in generate.form_message.text()
