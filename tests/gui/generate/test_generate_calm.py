"""A calm form: status text never moves the Queue button, and the wheel over an unfocused
setting scrolls the form instead of changing the setting (issue 14, items 1 and 2)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea

from wan22_gui.app import App, Given
from wan22_gui.core.history import JobRecord
from wan22_gui.gui.common.wheel_guard import install_wheel_guard
from tests.core.jobs.test_jobs_queue import FakeSession
from tests.gui.generate.test_generate_panel import close_panel, fake, show_panel  # noqa: F401
from tests.core.jobs.test_jobs_runner import FAST

LONG_PATH = "/home/someone/" + "/".join(["a-rather-long-folder-name"] * 11) + "/clip_00001.mp4"


@pytest.fixture
def panel(qtbot, app_paths, fake):  # noqa: F811
    install_wheel_guard(QApplication.instance())  # as the app's main() does
    core = App.for_gui(app_paths, given=Given(
        job_session=lambda url: FakeSession(fake, url), job_times=FAST))
    widget = show_panel(qtbot, core)
    yield widget
    close_panel(widget)


def _settle(qtbot, panel):
    for _ in range(5):
        QApplication.processEvents()
        qtbot.wait(20)


def _queue_geometry(panel):
    button = panel.queue_button
    return button.mapToGlobal(QPoint(0, 0)), button.size()


@pytest.mark.parametrize("width", [1400, 1280])
def test_a_long_saved_path_does_not_move_the_queue_button(qtbot, panel, width):
    panel.resize(width, 800)
    _settle(qtbot, panel)
    before = _queue_geometry(panel)
    assert len(LONG_PATH) >= 300
    record = JobRecord(job_id="j1", kind="generate", status="succeeded", outputs=[LONG_PATH],
                       params={"image": "cat.png", "width": 832, "height": 640, "frames": 81})
    panel.progress.show_result(record)
    panel._say("Done. Seed used: 1234 (fix it in Sampling to redo this clip). " + LONG_PATH)
    panel._on_server_message("ComfyUI is not answering at " + LONG_PATH)
    _settle(qtbot, panel)
    assert _queue_geometry(panel) == before
    step = panel.progress.step_text
    assert step.text() == f"Saved {LONG_PATH}"  # the whole text is kept ...
    assert LONG_PATH in step.toolTip()  # ... and shown on hover
    assert step.is_elided()


def _wheel(widget, delta=-120):
    """One notch of the wheel over `widget` (down by default)."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, delta), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_the_form_and_leaves_unfocused_settings_alone(qtbot, panel):
    panel.resize(1000, 420)  # short: the form scrolls
    _settle(qtbot, panel)
    clip = panel.form.clip
    clip.fit.setChecked(True)
    scroll = panel.findChild(QScrollArea, "form_scroll")
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0
    before = (clip.width_spin.value(), clip.height_spin.value(), clip.max_side.currentIndex(),
              clip.frames.value())
    panel.setFocus()
    for widget in (clip.width_spin, clip.height_spin, clip.max_side, clip.frames,
                   panel.form.sampling.findChild(type(clip.frames))):
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel cannot focus it
        _wheel(widget)
    assert (clip.width_spin.value(), clip.height_spin.value(), clip.max_side.currentIndex(),
            clip.frames.value()) == before
    assert clip.fit.isChecked()
    assert bar.value() > 0  # the wheel scrolled the form instead


def test_a_focused_setting_still_takes_the_wheel(qtbot, panel):
    clip = panel.form.clip
    clip.frames.setFocus()
    qtbot.waitUntil(clip.frames.hasFocus, timeout=2000)
    before = clip.frames.value()
    _wheel(clip.frames, delta=120)
    assert clip.frames.value() == before + clip.frames.singleStep()


def test_a_long_connection_sentence_moves_nothing_beside_it(qtbot, panel):
    """The connection line above the progress keeps two lines whatever it says: "lost since
    …" with a long reason does not push the progress bar down (nor the Queue button)."""
    from wan22_gui.core.comfy.health import LOST, Health

    panel.resize(1280, 800)
    _settle(qtbot, panel)
    bar = panel.progress.bar
    before = (_queue_geometry(panel), bar.mapToGlobal(QPoint(0, 0)))
    lost = Health(state=LOST, url="http://127.0.0.1:8190", source="attached", since=0.0,
                  reason="the connection was refused at " + LONG_PATH)
    words = lost.words  # read once: it names the clock time, which moves on between reads
    panel.connection_line.setText(words)
    _settle(qtbot, panel)
    assert (_queue_geometry(panel), bar.mapToGlobal(QPoint(0, 0))) == before
    assert panel.connection_line.text() == words
    assert panel.connection_line.is_elided() and words in panel.connection_line.toolTip()
