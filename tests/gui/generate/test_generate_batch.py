"""The Generate tab's Batch… dialog, end to end on the stand-in: a folder of images becomes
jobs on the app's real queue (built on the form's job), the jobs run, and the contact sheet is
written when they have finished; bad input is a message in the dialog."""

from __future__ import annotations

import cv2
import pytest
from PIL import Image

from wan22_gui.app import App
from wan22_gui.core.comfy.connection import ServerInfo
from tests.gui.generate.test_generate_panel import close_panel, show_panel


@pytest.fixture
def panel(qtbot, app_paths):
    widget = show_panel(qtbot, App.for_gui(app_paths))
    yield widget
    close_panel(widget)


@pytest.fixture
def shots(tmp_path):
    folder = tmp_path / "shots"
    folder.mkdir()
    Image.new("RGB", (640, 448), (20, 90, 140)).save(folder / "harbour.png")
    Image.new("RGB", (448, 640), (140, 90, 20)).save(folder / "tower.png")
    (folder / "tower.txt").write_text("the light turns")
    return folder


def test_a_folder_with_a_sweep_runs_on_the_queue_and_makes_a_contact_sheet(
        qtbot, panel, standin_with_models, shots, tmp_path):
    panel.form.clip.frames.setValue(17)
    panel.form.clip.max_side.setCurrentIndex(0)
    panel.form.prompt.setPlainText("waves roll in")
    panel.ctx.app.connection.set(ServerInfo(standin_with_models.url, "attached"))
    dialog = panel.open_batch()
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(shots))
    dialog.sweep.setText("shift=5,8")
    dialog.preview_button.click()
    qtbot.waitUntil(lambda: dialog.jobs.count() == 4, timeout=10000)
    texts = [dialog.jobs.item(i).text() for i in range(4)]
    assert any("tower.png" in t and "the light turns" in t for t in texts)
    assert any("harbour.png" in t and "shift 8" in t and "waves roll in" in t for t in texts)
    dialog.grab().save(str(tmp_path / "batch_dialog.png"))
    with qtbot.waitSignal(dialog.sheet_written, timeout=60000) as sheet:
        dialog.queue_button.click()
    path = sheet.args[0]
    assert path.parent == panel.ctx.app.paths.output_dir / "batches" and cv2.imread(str(path)) is not None
    assert "Contact sheet" in dialog.message.text()
    rows = [r for r in panel.ctx.app.history.list() if (r.label or "").startswith("Batch ")]
    assert len(rows) == 4 and all(r.status == "succeeded" for r in rows)
    assert {r.params["frames"] for r in rows} == {17}  # the form's job is the base


def test_an_empty_folder_and_a_bad_sweep_are_messages(qtbot, panel, tmp_path, shots):
    dialog = panel.open_batch()
    qtbot.addWidget(dialog)
    empty = tmp_path / "empty"
    empty.mkdir()
    dialog.folder.setText(str(empty))
    dialog.preview_button.click()
    qtbot.waitUntil(lambda: "is empty" in dialog.message.text(), timeout=5000)
    dialog.folder.setText(str(shots))
    dialog.sweep.setText("split=2")
    dialog.queue_button.click()
    qtbot.waitUntil(lambda: "not all valid split" in dialog.message.text(), timeout=5000)
    assert dialog.queue_button.isEnabled()
    assert not panel.ctx.app.jobs.pending()  # nothing was queued
