"""The Generate form's LoRA box, offscreen against the stand-in: the server's LoRA library in
each row, a strength per expert, the 3-phase split's defaults, a GGUF pair and the fit line,
and a job with two LoRAs run through the real queue.

Set WAN22_SAVE_SCREENSHOTS=1 to refresh docs/images/generate_loras.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.fakes.comfy_standin import add_model_file
from tests.gui.generate.test_generate_interpolate import connect, picture  # noqa: F401
from tests.gui.generate.test_generate_standin import panel  # noqa: F401 (fixture: the real queue)
from wan22_gui.core.workflow.loras import LoraUse
from wan22_gui.core.workflow.spec import JobSpec

DOCS_IMAGE = Path(__file__).resolve().parents[3] / "docs" / "images" / "generate_loras.png"
LORAS = ("wan22_fast_motion.safetensors", "ink_style.safetensors")
Q6 = ("Wan2.2-I2V-A14B-HighNoise-Q6_K.gguf", "Wan2.2-I2V-A14B-LowNoise-Q6_K.gguf")


@pytest.fixture
def server(standin_with_models):
    for name in LORAS:
        add_model_file(standin_with_models.root, "loras", name)
    for name in Q6:
        add_model_file(standin_with_models.root, "diffusion_models", name)
    standin_with_models.extra_nodes.add("UnetLoaderGGUF")
    return standin_with_models


def test_loras_from_the_library_go_into_the_job_with_a_strength_per_expert(
        qtbot, panel, server, picture):
    form = panel.form
    connect(qtbot, panel, server.url)
    qtbot.waitUntil(lambda: "LoRA files on the server" in form.loras.status.text(), timeout=10000)
    box = form.loras
    qtbot.mouseClick(box.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(box.add_button, Qt.MouseButton.LeftButton)
    first, second = box._rows
    assert first.file.currentText() != second.file.currentText()  # a file not used yet
    assert set(LORAS) <= {first.file.itemText(i) for i in range(first.file.count())}
    first.file.setCurrentText(LORAS[0])
    second.file.setCurrentText(LORAS[1])
    second.high.setValue(0.0)
    second.low.setValue(0.8)
    box.speed_high.setValue(0.7)
    spec = form.spec()
    assert spec.loras == (LoraUse(LORAS[0], 1.0, 1.0), LoraUse(LORAS[1], 0.0, 0.8))
    assert (spec.lora_strength_high, spec.lora_strength_low) == (0.7, 1.0)
    qtbot.mouseClick(first.remove, Qt.MouseButton.LeftButton)
    assert form.spec().loras == (LoraUse(LORAS[1], 0.0, 0.8),)


def test_the_three_phase_split_sets_its_steps_and_a_job_keeps_its_own(qtbot, panel, server):
    form = panel.form
    form.loras.three_phase.setChecked(True)
    s = form.spec()
    assert (s.phases, s.steps, s.split_step, s.phase1()) == (3, 6, 4, (2, 3.5))
    assert form.loras.phase1_cfg.isEnabled()
    form.loras.three_phase.setChecked(False)
    assert (form.spec().phases, form.spec().steps) == (2, 4)
    job = JobSpec(image="", phases=3, steps=8, split_step=5, phase1_steps=3,
                  loras=(LoraUse(LORAS[0], 0.5, 0.25),))
    form.set_spec(job)
    shown = form.spec()
    assert (shown.phases, shown.steps, shown.split_step, shown.phase1_steps) == (3, 8, 5, 3)
    assert shown.loras == job.loras


def test_a_gguf_pair_is_offered_and_the_fit_line_speaks_to_a_16_gb_gpu(qtbot, panel, server):
    form = panel.form
    connect(qtbot, panel, server.url)
    combo = form.models.combos["unet_high"]
    qtbot.waitUntil(lambda: combo.findText(Q6[0]) >= 0, timeout=10000)
    form.show_server(list(LORAS), 16 * 2**30)  # the stand-in plays a bigger GPU
    form.clip.frames.setValue(81)
    assert "The fp8 experts need about" in form.estimate.text()
    assert f"The server's Q6_K pair fits ({Q6[0]}, {Q6[1]})" in form.estimate.text()
    form.models.setChecked(True)
    combo.setCurrentText(Q6[0])
    form.models.combos["unet_low"].setCurrentText(Q6[1])
    assert "The Q6_K experts fit in 16 GB" in form.estimate.text()


def test_a_job_with_two_loras_runs_through_the_queue(qtbot, panel, server, picture, tmp_path):
    form = panel.form
    with qtbot.waitSignal(form.image.image_loaded, timeout=10000):
        form.image.load(picture)
    form.prompt.setPlainText("the lamp sweeps across the bay")
    form.clip.max_side.setCurrentIndex(0)
    form.clip.frames.setValue(17)
    connect(qtbot, panel, server.url)
    qtbot.waitUntil(lambda: "LoRA files on the server" in form.loras.status.text(), timeout=10000)
    for name, high, low in ((LORAS[0], 1.0, 0.5), (LORAS[1], 0.0, 0.8)):
        form.loras.add_lora(LoraUse(name, high, low))
    form.loras.three_phase.setChecked(True)
    assert form.problems() == []
    shot = tmp_path / "generate_loras.png"
    assert form.grab().save(str(shot))
    if os.environ.get("WAN22_SAVE_SCREENSHOTS"):
        form.loras.grab().save(str(DOCS_IMAGE))
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.form_message.text().startswith("Done."), timeout=30000)
    [record] = panel.ctx.app.history.list(kind="generate")
    assert record.status == "succeeded"
    assert [lo["name"] for lo in record.params["loras"]] == list(LORAS)
    assert record.params["phases"] == 3


def test_the_gallery_details_list_the_jobs_loras_and_first_phase():
    from wan22_gui.core.history import JobRecord
    from wan22_gui.core.video.library import Clip
    from wan22_gui.gui.gallery.details import details_html

    spec = JobSpec(image="a.png", phases=3, loras=(LoraUse(LORAS[0], 1.0, 0.5),)).resolved()
    job = JobRecord(job_id="j1", status="succeeded", params=spec.to_dict())
    text = details_html(Clip(key="j1", path=None, job=job, title="j1"), job)
    assert f"{LORAS[0]} (high 1, low 0.5)" in text
    assert "3-phase: first steps" in text and "3.5" in text


def test_a_queued_job_says_it_runs_in_3_phases_with_its_loras():
    from wan22_gui.core.history import JobRecord
    from wan22_gui.gui.generate.queue_list import job_summary

    spec = JobSpec(image="a.png", phases=3, loras=tuple(LoraUse(n) for n in LORAS)).resolved()
    row = job_summary(JobRecord(job_id="j1", status="pending", params=spec.to_dict()))
    assert "LoRA 6 steps in 3 phases + 2 LoRAs ·" in row
