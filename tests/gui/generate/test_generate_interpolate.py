"""The Generate form's "After generation" choice, offscreen: RIFE/FILM entries say what the
connected server (the stand-in ComfyUI) can run (the built-in optical flow stands in for what it
cannot), and a chosen RIFE ×2 runs in the same job.

Set WAN22_SAVE_SCREENSHOTS=1 to refresh docs/images/generate_interpolation.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from wan22_gui.core.comfy.connection import ServerInfo
from wan22_gui.core.workflow.spec import JobSpec
from tests.gui.generate.test_generate_standin import panel  # noqa: F401 (fixture: the real queue)

DOCS_IMAGE = Path(__file__).resolve().parents[3] / "docs" / "images" / "generate_interpolation.png"


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "lighthouse.png"
    Image.new("RGB", (640, 448), (30, 80, 150)).save(path)
    return path


def entries(combo):
    """(text, enabled, tooltip) of each "After generation" entry."""
    model = combo.model()
    return [(combo.itemText(i), model.item(i).isEnabled(),
             combo.itemData(i, Qt.ItemDataRole.ToolTipRole) or "") for i in range(combo.count())]


def connect(qtbot, panel, url):
    clip = panel.form.clip
    panel.ctx.app.connection.set(ServerInfo(url, "attached"))
    qtbot.waitUntil(lambda: clip._unavailable is not None, timeout=10000)


def test_without_their_nodes_rife_and_film_stay_open_and_say_the_builtin_engine_stands_in(
        qtbot, panel, standin_with_models):
    combo = panel.form.clip.after
    assert [e[0] for e in entries(combo)] == [
        "none", "RIFE ×2", "RIFE ×3", "RIFE ×4", "FILM ×2", "FILM ×3", "FILM ×4"]
    assert all(enabled for _, enabled, _ in entries(combo))  # not connected: checked at run time

    connect(qtbot, panel, standin_with_models.url)
    rows = entries(combo)
    assert all(enabled for _, enabled, _ in rows)
    assert all("Optical flow (built-in) ran instead of" in tip and "(you have 0.3.64)" in tip
               for _, _, tip in rows[1:])
    assert "built-in optical flow interpolates here" in combo.toolTip()

    standin_with_models.extra_nodes.add("RIFE VFI")  # the user installs the pack (RIFE only)
    panel.ctx.app.connection.set(None)
    connect(qtbot, panel, standin_with_models.url)
    tips = {text: tip for text, _, tip in entries(combo)}
    assert "Runs in ComfyUI" in tips["RIFE ×2"] and "instead of FILM" in tips["FILM ×2"]


def test_a_job_with_film_on_a_server_without_it_says_the_builtin_engine_will_run(
        qtbot, panel, standin_with_models, picture):
    form = panel.form
    connect(qtbot, panel, standin_with_models.url)
    form.set_spec(JobSpec(image=str(picture), prompt="x", width=320, height=224, frames=17,
                          interpolation="film", interpolation_multiplier=3))
    assert form.clip.after.currentText() == "FILM ×3"  # the job's choice is shown, not dropped
    assert not any("FILM" in p for p in form.problems())  # nothing about it stops the queue
    assert "Then Optical flow ×3 (built-in) here after the download, as this server cannot " \
        "run FILM" in form.clip.info.text()
    assert "instead of FILM" in form.clip.info.toolTip()


def test_rife_on_a_server_without_it_makes_both_clips_and_says_which_engine_ran(
        qtbot, panel, standin_with_models, picture):
    form = panel.form
    with qtbot.waitSignal(form.image.image_loaded, timeout=10000):
        form.image.load(picture)
    form.clip.max_side.setCurrentIndex(0)
    form.clip.frames.setValue(17)
    connect(qtbot, panel, standin_with_models.url)
    form.clip.after.setCurrentIndex(form.clip.after.findText("RIFE ×2"))
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.form_message.text().startswith("Done."), timeout=60000)
    message = panel.form_message.text()
    assert "interpolated clip is in the Gallery" in message
    assert "Optical flow (built-in) ran instead of RIFE" in message
    history = panel.ctx.app.history
    [parent] = history.list(kind="generate")
    [child] = history.children(parent.job_id)
    assert child.label == "Optical flow ×2 (built-in)" and Path(child.outputs[0]).is_file()


def test_rife_chosen_in_the_form_makes_both_clips_in_one_job(qtbot, panel, standin_with_models,
                                                            picture, tmp_path):
    standin_with_models.extra_nodes.add("RIFE VFI")
    form = panel.form
    with qtbot.waitSignal(form.image.image_loaded, timeout=10000):
        form.image.load(picture)
    form.clip.max_side.setCurrentIndex(0)  # 480 px: a quick job
    form.clip.frames.setValue(17)
    connect(qtbot, panel, standin_with_models.url)
    form.clip.after.setCurrentIndex(form.clip.after.findText("RIFE ×2"))
    assert "Then RIFE ×2 in the same job: a second clip of 1.03 s (33 frames) at 32 fps" in \
        form.clip.info.text()
    assert form.name_preview.text() == (
        "lighthouse_480x336_1.06s_4step_lora.mp4\n"
        "+ interpolated/lighthouse_480x336_1.06s_4step_lora_rife_x2.mp4")
    preview = form.name_preview  # every line of both names is shown, however they wrap
    qtbot.waitUntil(lambda: preview.visibleRegion().boundingRect().height()
                    >= preview.heightForWidth(preview.width()), timeout=3000)
    shot = tmp_path / "generate_interpolation.png"
    assert form.grab().save(str(shot))
    if os.environ.get("WAN22_SAVE_SCREENSHOTS"):
        form.grab().scaled(form.width() * 3 // 4, form.height() * 3 // 4,
                           Qt.AspectRatioMode.KeepAspectRatio,
                           Qt.TransformationMode.SmoothTransformation).save(str(DOCS_IMAGE))

    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.form_message.text().startswith("Done."), timeout=30000)
    assert "interpolated clip is in the Gallery" in panel.form_message.text()
    history = panel.ctx.app.history
    [parent] = history.list(kind="generate")
    [child] = history.children(parent.job_id)
    assert parent.status == "succeeded" and parent.params["interpolation"] == "rife"
    assert child.label == "RIFE ×2 (ComfyUI, rife49)" and Path(child.outputs[0]).is_file()
    assert "interpolate" in parent.timings


@pytest.mark.parametrize("comfy_profile", ["0.38.1"])
def test_rife_model_combo_lists_the_servers_core_models_and_goes_into_the_job(
        qtbot, panel, standin_with_models, picture):
    for name in ("rife_v4.25.safetensors", "rife_v4.26.safetensors", "film_net_fp16.safetensors"):
        standin_with_models.models.add("frame_interpolation", name)
    form = panel.form
    connect(qtbot, panel, standin_with_models.url)
    combo = form.clip.rife_model
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "rife_v4.25.safetensors", "rife_v4.26.safetensors"]
    assert not combo.isEnabled()  # only with RIFE chosen
    form.clip.after.setCurrentIndex(form.clip.after.findText("RIFE ×2"))
    assert combo.isEnabled()
    combo.setCurrentText("rife_v4.26.safetensors")
    with qtbot.waitSignal(form.image.image_loaded, timeout=10000):
        form.image.load(picture)
    assert form.spec().interpolation_model == "rife_v4.26.safetensors"
    form.set_spec(JobSpec(image=str(picture), prompt="x", width=320, height=224, frames=17,
                          interpolation="rife", interpolation_model="rife_v4.25.safetensors"))
    assert combo.currentText() == "rife_v4.25.safetensors"
