"""End to end, offscreen: the Generate panel drives the app's real queue against the stand-in
ComfyUI. Image in, job queued, progress shown, per-pass timings recorded, file on disk, history
row written.

Set WAN22_SCREENSHOTS=<folder> to keep the mid-job screenshot.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt

from wan22_gui.app import App
from wan22_gui.core.comfy.connection import ServerInfo
from tests.gui.generate.test_generate_panel import close_panel, show_panel


@pytest.fixture
def panel(qtbot, app_paths):
    widget = show_panel(qtbot, App.for_gui(app_paths))  # the app's real queue
    yield widget
    close_panel(widget)


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "white dragon.jpg"
    image = Image.new("RGB", (832, 1216), (36, 70, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse((180, 300, 650, 900), fill=(235, 235, 225))
    draw.polygon([(400, 250), (520, 60), (560, 300)], fill=(235, 235, 225))
    image.save(path)
    return path


def test_form_to_file_through_the_real_queue(qtbot, panel, standin_with_models, picture,
                                             tmp_path):
    standin_with_models.faults.step_seconds = 0.6  # slow enough to see the passes
    form = panel.form
    with qtbot.waitSignal(form.image.image_loaded, timeout=10000):
        form.image.load(picture)
    form.prompt.setPlainText("The white dragon warrior turns its head, wind in the mane")
    form.clip.max_side.setCurrentIndex(0)  # 480 px longest side: a quick job
    form.clip.frames.setValue(17)
    panel.ctx.app.connection.set(ServerInfo(standin_with_models.url, "attached"))
    qtbot.waitUntil(lambda: form.models.status.text().startswith("Models on"), timeout=10000)
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "pass: step" in panel.progress.step_text.text(), timeout=20000)
    assert "ETA" in panel.progress.step_text.text()
    assert panel.progress.bar.maximum() == 2  # the 4-step template: 2 steps per pass
    assert "Running" in panel.queue.list.item(0).text()
    shot = tmp_path / "generate_mid_job.png"
    assert panel.grab().save(str(shot)) and shot.stat().st_size > 10_000
    keep = os.environ.get("WAN22_SCREENSHOTS")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)

    qtbot.waitUntil(lambda: "Timings of the last job" in panel.progress.timings_title.text(),
                    timeout=30000)
    [record] = panel.ctx.app.history.list()
    assert record.status == "succeeded", record.error
    assert record.timings["high_noise"] > 0.5 and record.timings["low_noise"] > 0.5
    assert record.params["width"] == 336 and record.params["height"] == 480
    [output] = record.outputs
    assert Path(output).is_file() and Path(output).parent == panel.ctx.app.paths.output_dir
    assert Path(output).name.startswith("white dragon_336x480_1.06s_4step_lora")
    assert panel.progress.step_text.text() == f"Saved {output}"
