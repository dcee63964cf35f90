"""The Generate form's end image (first/last-frame i2v): picked and previewed next to the start
image, part of the job; a bad file is refused in words; the gallery's details show both."""

from __future__ import annotations

import pytest
from PIL import Image

from wan22_gui.core.history import JobRecord
from wan22_gui.core.video.library import Clip
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.gui.gallery.details import details_html
from wan22_gui.gui.generate.form import GenerateForm
from wan22_gui.gui.tasks import TaskRunner


@pytest.fixture
def form(qtbot):
    tasks = TaskRunner()
    widget = GenerateForm(tasks)
    qtbot.addWidget(widget)
    widget.resize(1000, 800)
    widget.show()
    yield widget
    tasks.shutdown()


def test_an_end_image_is_previewed_and_goes_into_the_job(qtbot, form, tmp_path):
    start, end = tmp_path / "start.png", tmp_path / "end.png"
    Image.new("RGB", (640, 480), (200, 30, 30)).save(start)
    Image.new("RGB", (640, 480), (30, 30, 200)).save(end)
    with qtbot.waitSignal(form.image.image_loaded, timeout=10000):
        form.image.load(start)
    assert form.spec().end_image is None  # optional: without it, a plain i2v job
    with qtbot.waitSignal(form.end_image.changed, timeout=10000):
        form.end_image.load(end)
    assert form.end_image.preview.pixmap() is not None and not form.end_image.preview.pixmap().isNull()
    assert "end.png" in form.end_image.info.text() and "640×480" in form.end_image.info.text()
    assert form.spec().end_image == str(end.resolve()) and form.problems() == []
    form.grab().save(str(tmp_path / "form_end_image.png"))
    form.end_image.clear_button.click()
    assert form.spec().end_image is None


def test_a_file_that_is_no_picture_is_refused_and_not_used(qtbot, form, tmp_path):
    good, bad = tmp_path / "end.png", tmp_path / "notes.png"
    Image.new("RGB", (64, 64)).save(good)
    bad.write_text("not a picture")
    with qtbot.waitSignal(form.end_image.changed, timeout=10000):
        form.end_image.load(good)
    form.end_image.load(bad)
    qtbot.waitUntil(lambda: "notes.png" in form.end_image.info.text()
                    and "Reading" not in form.end_image.info.text(), timeout=10000)
    assert form.end_image.path is None and form.spec().end_image is None


def test_set_spec_shows_and_clears_the_end_image(qtbot, form, tmp_path):
    end = tmp_path / "end.png"
    Image.new("RGB", (64, 64)).save(end)
    with qtbot.waitSignal(form.end_image.changed, timeout=10000):
        form.set_spec(JobSpec(image="", end_image=str(end)))
    assert form.end_image.path == str(end.resolve())
    form.set_spec(JobSpec(image=""))
    assert form.end_image.path is None


def test_the_gallery_details_show_the_start_and_the_end_image():
    spec = JobSpec(image="/pics/start.png", end_image="/pics/end.png", seed=1)
    job = JobRecord(job_id="j1", status="succeeded", params=spec.to_dict())
    text = details_html(Clip(key="j1", path=None, job=job, title="j1"), job)
    assert "Start image" in text and "start.png" in text
    assert "End image" in text and "end.png" in text
