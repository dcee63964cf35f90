"""The Generate panel over the real JobQueue and a scripted ComfyUI: queueing, progress,
failures and the queue list, as a user drives them."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QScrollArea

from wan22_gui.app import App, Given
from wan22_gui.core.comfy.connection import ServerInfo
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.generate.panel import GeneratePanel
from wan22_gui.gui.tasks import TaskRunner
from tests.core.jobs.test_jobs_queue import FakeSession
from tests.core.jobs.test_jobs_runner import FAST, FakeComfy

DEAD_URL = "http://127.0.0.1:9"  # refuses at once: the model-list read fails fast


@pytest.fixture
def fake():
    comfy = FakeComfy(step_pause=0.02)
    comfy.base_url = DEAD_URL
    yield comfy
    comfy.hold.set()
    comfy.join()


def show_panel(qtbot, core):
    """The Generate panel over `core`, shown offscreen (close it with `close_panel`)."""
    widget = GeneratePanel(AppContext(app=core, tasks=TaskRunner()))
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    return widget


def close_panel(widget):
    widget.shutdown()
    widget.ctx.app.close()
    widget.ctx.tasks.shutdown()


@pytest.fixture
def panel(qtbot, app_paths, fake):
    core = App.for_gui(app_paths, given=Given(
        job_session=lambda url: FakeSession(fake, url), job_times=FAST))
    widget = show_panel(qtbot, core)
    yield widget
    close_panel(widget)


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "cat.png"
    Image.new("RGB", (640, 480), (220, 120, 40)).save(path)
    return path


def fill_form(qtbot, panel, picture, frames=17):
    with qtbot.waitSignal(panel.form.image.image_loaded, timeout=10000):
        panel.form.image.load(picture)
    panel.form.prompt.setPlainText("the cat yawns")
    panel.form.clip.frames.setValue(frames)
    panel.form.clip.max_side.setCurrentIndex(0)  # 480 px: small and quick


def connect(panel, fake):
    panel.ctx.app.connection.set(ServerInfo(fake.base_url, "attached"))


def test_queue_runs_the_job_and_shows_timings(qtbot, panel, fake, picture):
    fill_form(qtbot, panel, picture)
    connect(panel, fake)
    steps_seen = []
    panel.jobs.progress.connect(lambda *a: steps_seen.append(a))
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Timings of the last job" in panel.progress.timings_title.text(),
                    timeout=15000)
    record = panel.ctx.app.history.list()[0]
    assert record.status == "succeeded"
    assert record.params["prompt"] == "the cat yawns" and record.params["frames"] == 17
    assert "High-noise pass" in [panel.progress.timings.itemAtPosition(i, 0).widget().text()
                                 for i in range(panel.progress.timings.rowCount())
                                 if panel.progress.timings.itemAtPosition(i, 0)]
    assert "Seed used" in panel.form_message.text()
    assert steps_seen  # the bar was driven step by step


def test_invalid_form_is_explained_not_queued(qtbot, panel):
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    assert "Choose a start image" in panel.form_message.text()
    assert panel.ctx.app.history.list() == []


def test_without_a_server_the_job_waits_and_the_panel_says_why(qtbot, panel, picture):
    fill_form(qtbot, panel, picture)
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "No ComfyUI server is connected" in panel.server_message.text(),
                    timeout=10000)
    assert panel.server_message.isVisible()
    qtbot.waitUntil(lambda: panel.queue.list.count() == 1, timeout=5000)
    assert panel.ctx.app.history.list()[0].status == "pending"


def test_oom_shows_the_banner_and_requeue_with_fix_queues_fewer_frames(qtbot, panel, fake,
                                                                       picture):
    fake.oom_at = "85"
    fill_form(qtbot, panel, picture, frames=81)
    connect(panel, fake)
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    banner = panel.progress.banner
    qtbot.waitUntil(banner.isVisible, timeout=15000)
    assert "out of GPU memory in the low-noise pass" in banner.message.text()
    assert banner.requeue.text() == "Re-queue with fix (frames 81 → 65)"
    fake.oom_at = None
    panel.jobs.set_paused(True)
    qtbot.mouseClick(banner.requeue, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Queued again" in panel.form_message.text(), timeout=5000)
    history = panel.ctx.app.history
    retry = [r for r in history.list() if r.status == "pending"][0]
    assert retry.params["frames"] == 65 and retry.label == "Retry: 65 frames"
    assert [r.status for r in history.list()].count("failed") == 1  # the original stays
    qtbot.waitUntil(lambda: panel.queue.pause.isChecked(), timeout=5000)  # shows core state
    assert "(paused)" in panel.queue.title.text()


def test_waiting_jobs_can_be_reordered_edited_and_removed(qtbot, panel, picture):
    panel.jobs.set_paused(True)
    fill_form(qtbot, panel, picture)
    for frames in (17, 33, 49):
        panel.form.clip.frames.setValue(frames)
        qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.queue_button.isEnabled(), timeout=5000)
    frames_order = lambda: [r.params["frames"] for r in panel.jobs.pending()]  # noqa: E731
    shown_ids = lambda: [panel.queue.list.item(i).data(Qt.ItemDataRole.UserRole)  # noqa: E731
                         for i in range(panel.queue.list.count())]
    in_sync = lambda: shown_ids() == [r.job_id for r in panel.jobs.pending()]  # noqa: E731
    qtbot.waitUntil(lambda: len(shown_ids()) == 3 and in_sync(), timeout=5000)
    assert frames_order() == [17, 33, 49]
    panel.queue.list.setCurrentRow(2)
    qtbot.mouseClick(panel.queue.buttons["up"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: frames_order() == [17, 49, 33], timeout=5000)
    # edit the first waiting job: the form shows it, Save changes writes it back
    qtbot.waitUntil(in_sync, timeout=5000)
    panel.queue.list.setCurrentRow(0)
    qtbot.mouseClick(panel.queue.buttons["edit"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.queue_button.text() == "Save changes", timeout=5000)
    assert panel.form.clip.frames.value() == 17
    panel.form.clip.frames.setValue(65)
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: frames_order() == [65, 49, 33], timeout=5000)
    assert panel.queue_button.text() == "Queue"
    qtbot.waitUntil(in_sync, timeout=5000)
    panel.queue.list.setCurrentRow(1)
    qtbot.mouseClick(panel.queue.buttons["remove"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: frames_order() == [65, 33], timeout=5000)


def test_queue_rows_say_when_a_job_interpolates_after_generation(qtbot, panel, picture):
    panel.jobs.set_paused(True)
    fill_form(qtbot, panel, picture)
    after = panel.form.clip.after
    for title in ("RIFE ×2", "none", "FILM ×3"):
        after.setCurrentIndex(after.findText(title))
        qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.queue_button.isEnabled(), timeout=5000)
    qtbot.waitUntil(lambda: panel.queue.list.count() == 3, timeout=5000)
    rows = [panel.queue.list.item(i).text() for i in range(3)]
    assert "LoRA 4 steps + RIFE ×2 ·" in rows[0]
    assert "RIFE" not in rows[1] and "FILM" not in rows[1]
    assert "LoRA 4 steps + FILM ×3 ·" in rows[2]


@pytest.mark.parametrize("width, side_by_side", [(1090, True), (760, False)])
def test_the_form_is_never_cut_off_at_the_side(qtbot, panel, width, side_by_side):
    """1090 px is what the tab gets beside the ComfyUI panel in the first window; narrower,
    the settings move below the picture and the form scrolls down instead of sideways."""
    panel.resize(width, 700)
    scroll = panel.findChild(QScrollArea, "form_scroll")
    form, clip = panel.form, panel.form.clip

    def settled() -> bool:
        right_of_picture = clip.mapTo(form, QPoint(0, 0)).x() >= form.image.width()
        return (right_of_picture == side_by_side
                and scroll.horizontalScrollBar().maximum() == 0)

    qtbot.waitUntil(settled, timeout=3000)
    assert form.width() <= scroll.viewport().width()
    info = clip.info  # the clip's facts wrap inside the box instead of running off
    assert info.mapTo(form, QPoint(info.width(), 0)).x() <= scroll.viewport().width()


def test_a_dead_server_never_shows_running_finished_and_waiting_at_once(qtbot, panel, fake,
                                                                        picture):
    """Issue 14: the job that could not reach a dead server waits again; the status line says
    so (in the app's connection words) instead of "Running" next to "1 waiting"."""
    fill_form(qtbot, panel, picture)
    fake.alive = False  # the upload is refused: the job goes back to the queue
    connect(panel, fake)
    tried = []
    panel.jobs.phase.connect(lambda event: tried.append(event.phase))
    qtbot.mouseClick(panel.queue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "job_end" in tried, timeout=10000)  # it was tried, and given back
    qtbot.waitUntil(lambda: "1 waiting" in panel.queue.title.text(), timeout=10000)
    qtbot.waitUntil(lambda: panel.progress.now.text().startswith("Waiting: 1 job"), timeout=5000)
    assert "Running" not in panel.progress.now.text()
    assert "Finished" not in panel.progress.step_text.text()
    health = panel.ctx.app.health
    qtbot.waitUntil(lambda: health.current.state == "lost", timeout=5000)
    qtbot.waitUntil(lambda: panel.connection_line.text() == health.current.words, timeout=3000)
    assert health.current.words.startswith("ComfyUI: lost since")
    qtbot.waitUntil(lambda: "ComfyUI: lost since" in panel.progress.now.text(), timeout=3000)
