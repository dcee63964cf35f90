"""The Generate tab's "Running…" line and bar follow the app's queue, and only it: a RIFE run
from the Gallery or a benchmark writes history rows too, and once they end nothing on the
Generate tab may still say "Running" or keep a busy bar (issue 14, item 3)."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from wan22_gui.app import App
from wan22_gui.core.comfy.connection import ServerInfo
from wan22_gui.core.history import JobRecord
from wan22_gui.core.video.testclip import write_test_clip
from wan22_gui.gui.bench.panel import BenchmarkPanel
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.gallery.panel import GalleryPanel
from wan22_gui.gui.tasks import TaskRunner
from tests.gui.generate.test_generate_panel import (  # noqa: F401 (fixtures)
    close_panel, connect, fake, fill_form, panel, picture, show_panel,
)

SPEC = """
name = "other jobs"
images = ["a.png"]
resolutions = ["128x96"]
frames = [5]
repeats = 1
warmup = 0
[[configs]]
name = "lora"
"""


@pytest.fixture
def generate(qtbot, app_paths):
    widget = show_panel(qtbot, App.for_gui(app_paths))  # the app's real queue
    yield widget
    close_panel(widget)


def _second_panel(qtbot, generate, cls):
    ctx = AppContext(app=generate.ctx.app, tasks=TaskRunner())
    panel = cls(ctx)
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    return panel


def assert_idle(progress):
    """What the user sees on the Generate tab when the app's queue runs nothing."""
    assert "Running" not in progress.now.text(), progress.now.text()
    assert "0 frames (0.0 s)" not in progress.now.text()
    assert progress.bar.maximum() != 0, "the bar is still busy"
    assert not progress._ticker.isActive()


def test_a_gallery_rife_run_never_shows_as_running_on_generate(qtbot, generate,
                                                               standin_with_models):
    standin_with_models.extra_nodes.add("RIFE VFI")
    core = generate.ctx.app
    clip = write_test_clip(core.paths.output_dir / "video" / "a.mp4", frames=9, fps=16,
                           size=(64, 48))
    core.history.add(JobRecord(job_id="j1", kind="generate", status="succeeded",
                               outputs=[str(clip)], params={"frames": 9, "fps": 16}))
    core.connection.set(ServerInfo(standin_with_models.url, "attached"))
    gallery = _second_panel(qtbot, generate, GalleryPanel)
    try:
        qtbot.waitUntil(lambda: [c.key for c in gallery.grid.clips()] == ["j1"], timeout=10000)
        gallery.grid.select_row(0)
        qtbot.waitUntil(lambda: gallery.selected() is not None, timeout=5000)
        gallery.start_interpolation(gallery.selected(), "rife", 2)
        qtbot.waitUntil(lambda: "RIFE ×2" in gallery.status.text(), timeout=30000)
        assert "0.53 s (17 frames) at 32 fps" in gallery.status.text()  # the end state, not "…ing"
        assert not gallery.cancel_button.isVisibleTo(gallery)
        qtbot.wait(300)  # every history notification of the run has reached the panel
        assert_idle(generate.progress)
    finally:
        gallery.shutdown()
        gallery.ctx.tasks.shutdown()


def test_a_benchmark_never_shows_as_running_on_generate(qtbot, generate, standin_with_models,
                                                        tmp_path):
    Image.new("RGB", (128, 96), (200, 50, 50)).save(tmp_path / "a.png")
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    bench = _second_panel(qtbot, generate, BenchmarkPanel)
    try:
        bench.editor.load(tmp_path / "spec.toml")
        bench.out_dir.setText(str(tmp_path / "out"))
        bench.server_kind.setCurrentIndex(1)
        bench.server_value.setText(standin_with_models.url)
        bench.start()
        qtbot.waitUntil(lambda: bench.run_button.isEnabled(), timeout=60000)
        assert bench.status.text().startswith("Finished: 1 succeeded"), bench.status.text()
        assert bench.progress.value() == bench.progress.maximum() == 1
        assert not bench.cancel_button.isEnabled()
        qtbot.wait(300)
        assert_idle(generate.progress)
    finally:
        bench.shutdown()
        bench.ctx.tasks.shutdown()


def test_another_row_running_meanwhile_does_not_take_over_the_bar(qtbot, panel, fake, picture):
    """A Gallery run starts while a queued job runs: the bar and line stay with the queue's
    job, and when it ends the bar stops (it used to stay busy for minutes)."""
    fake.step_pause = 0.2
    fill_form(qtbot, panel, picture)
    connect(panel, fake)
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress.running, timeout=10000)
    own = panel.progress.job_id
    panel.ctx.app.history.add(JobRecord(job_id="gallery-rife", kind="interpolate",
                                        status="running", label="RIFE ×2 (ComfyUI)"))
    qtbot.wait(200)
    assert panel.progress.job_id == own and "RIFE" not in panel.progress.now.text()
    qtbot.waitUntil(lambda: "Last job (succeeded)" in panel.progress.now.text(), timeout=15000)
    assert_idle(panel.progress)
    assert panel.progress.bar.value() == 1  # full: it succeeded
