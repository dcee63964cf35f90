"""The Generate form, offscreen: what a user sees change when they pick, toggle and type."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from wan22_gui.gui.tasks import TaskRunner
from wan22_gui.gui.generate.form import GenerateForm


@pytest.fixture
def form(qtbot):
    tasks = TaskRunner()
    widget = GenerateForm(tasks)
    qtbot.addWidget(widget)
    widget.resize(1000, 800)
    widget.show()
    yield widget
    tasks.shutdown()


def load(qtbot, form, path):
    with qtbot.waitSignal(form.image.image_loaded, timeout=10000):
        form.image.load(path)


def test_a_sideways_phone_photo_is_shown_upright_and_sizes_follow_it(qtbot, form, tmp_path):
    path = tmp_path / "phone.jpg"
    img = Image.new("RGB", (1600, 1200), (30, 30, 200))  # stored landscape...
    exif = img.getexif()
    exif[0x0112] = 6  # ...but EXIF says: turn it to portrait
    img.save(path, exif=exif)
    load(qtbot, form, path)
    assert "1200×1600" in form.image.info.text() and "upright" in form.image.info.text()
    pixmap = form.image.preview.pixmap()
    assert pixmap.height() > pixmap.width()
    spec = form.spec()
    assert spec.height > spec.width  # portrait clip: 624×832 for the 832 longest side
    assert (spec.width, spec.height) == (624, 832)
    assert spec.width % 16 == 0 and spec.height % 16 == 0


def test_a_file_that_is_not_a_picture_is_refused_with_a_message(qtbot, form, tmp_path):
    good = tmp_path / "good.png"
    Image.new("RGB", (64, 64)).save(good)
    load(qtbot, form, good)
    path = tmp_path / "holiday.jpg"
    path.write_text("this is a text file with a .jpg name")
    with qtbot.waitSignal(form.image.image_refused, timeout=10000) as refused:
        form.image.load(path)
    assert "not an image" in refused.args[0]
    assert "not an image" in form.image.info.text()
    assert form.image.preview.pixmap().isNull()  # the earlier picture is not kept silently
    assert form.problems()[0] == "Choose a start image."


def test_lora_toggle_swaps_the_sampling_defaults(form):
    s = form.sampling
    assert (s.steps.value(), s.split.value(), s.cfg.value(), s.shift.value()) == (4, 2, 1.0, 5.0)
    s.lora.setChecked(False)
    assert (s.steps.value(), s.split.value(), s.cfg.value(), s.shift.value()) == (20, 10, 3.5, 8.0)
    assert form.spec().use_lora is False and form.spec().steps == 20
    s.lora.setChecked(True)
    assert form.spec().cfg == 1.0


def test_frames_and_seconds_stay_in_step(qtbot, form):
    clip = form.clip
    clip.seconds.setValue(3.0)
    assert clip.frames.value() == 49
    qtbot.mouseClick(clip.findChild(QPushButton, "quick_10s"), Qt.MouseButton.LeftButton)
    assert clip.frames.value() == 161 and clip.seconds.value() == pytest.approx(10.06)
    clip.frames.setValue(80)  # not 4n+1: the job uses the nearest valid count
    assert form.spec().frames == 81
    assert "will use 81" in clip.info.text()
    assert "×2 interpolation would give 5.03 s (161 frames) at 32 fps" in clip.info.text()


def test_name_preview_follows_settings_and_is_safe_on_windows(qtbot, form, tmp_path):
    path = tmp_path / "My dragon.png"
    Image.new("RGB", (640, 640)).save(path)
    load(qtbot, form, path)
    form.clip.frames.setValue(49)
    assert form.name_preview.text() == "My dragon_832x832_3.06s_4step_lora.mp4"
    form.set_pattern("{source}: take?{seed}")
    assert form.name_preview.text() == "My dragon_ take_random.mp4"
    form.set_pattern("{source}_{nope}")
    assert "unknown field" in form.name_preview.text()
    assert any("unknown field" in p for p in form.problems())


def test_fixed_seed_and_random_seed(form):
    s = form.sampling
    assert form.spec().seed is None
    s.random_seed.setChecked(False)
    assert form.spec().seed is not None  # a seed is drawn so the field is never empty
    s.seed.setText("42")
    assert form.spec().seed == 42
    s.seed.setText("")
    assert "Type a seed" in " ".join(form.problems())


def test_estimate_line_learns_from_finished_runs(form, tmp_path):
    assert form.estimate.text() == "Estimate: no estimate yet"
    rows = [
        {"status": "succeeded", "kind": "generate",
         "params": {"width": w, "height": w, "frames": 81, "use_lora": True, "steps": 4, "cfg": 1.0},
         "timings": {"high_noise": t, "low_noise": t, "vae_decode": 5.0, "model_load": 10.0},
         "metrics": {"peak_vram_bytes": 20 * 2**30}}
        for w, t in ((640, 40.0), (832, 70.0), (480, 25.0))
    ]
    form.set_history_rows(rows)
    assert form.estimate.text().startswith("Estimate: about")
    assert "from 3 runs" in form.estimate.text()


def test_an_animated_gif_is_refused_instead_of_previewed_as_one_frame(qtbot, form, tmp_path):
    frames = [Image.new("RGB", (64, 64), (30 * i, 0, 0)) for i in range(8)]
    path = tmp_path / "dance.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with qtbot.waitSignal(form.image.image_refused, timeout=10000) as refused:
        form.image.load(path)
    assert "dance.gif holds 8 frames" in refused.args[0]
    assert "Save the frame you want as a PNG or JPEG" in form.image.info.text()
    assert form.problems()[0] == "Choose a start image."


def test_the_form_offers_exactly_the_range_the_cli_accepts(form):
    """One rule (core/workflow/limits.py): no value the form allows is refused by the CLI and
    the builder, and the CLI's range is not cut short in the form."""
    from wan22_gui.core.workflow import limits

    s, c = form.sampling, form.clip
    assert (s.steps.minimum(), s.steps.maximum()) == (limits.STEPS.low, limits.STEPS.high)
    assert (s.cfg.minimum(), s.cfg.maximum()) == (limits.CFG.low, limits.CFG.high)
    assert (s.shift.minimum(), s.shift.maximum()) == (limits.SHIFT.low, limits.SHIFT.high)
    assert (c.frames.minimum(), c.frames.maximum()) == (limits.FRAMES.low, limits.MAX_FRAMES)
    assert c.seconds.maximum() == pytest.approx(limits.SECONDS.high)
    for spin in (c.width_spin, c.height_spin):
        assert (spin.minimum(), spin.maximum()) == (limits.SIDE.low, limits.SIDE.high)
    s.cfg.setValue(limits.CFG.high)
    c.frames.setValue(limits.MAX_FRAMES)
    assert not form.spec().problems()  # the form's extremes are valid jobs
