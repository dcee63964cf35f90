"""The live preview keeps only the newest frame and shows at most 10 a second."""

from __future__ import annotations

import io
import time

from PIL import Image

from wan22_gui.core.comfy.events import PreviewImage
from wan22_gui.gui.generate.live_preview import MAX_FPS, LivePreview
from wan22_gui.gui.tasks import TaskRunner


def jpeg(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (shade, 0, 0)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_burst_of_frames_is_throttled_and_the_last_one_wins(qtbot):
    tasks = TaskRunner()
    view = LivePreview(tasks)
    qtbot.addWidget(view)
    started = time.monotonic()
    for shade in range(0, 250, 5):  # 50 frames at once, far above 10 fps
        view.on_preview("job-1", PreviewImage(image=jpeg(shade), mime="image/jpeg"))
        qtbot.wait(4)
    qtbot.waitUntil(lambda: view._pending is None and not view._decoding, timeout=3000)
    qtbot.wait(150)
    elapsed = time.monotonic() - started
    assert 1 <= view.shown_count <= elapsed * MAX_FPS + 2
    shown = view.picture.pixmap().toImage()
    assert shown.pixelColor(shown.width() // 2, shown.height() // 2).red() > 220  # the last
    tasks.shutdown()


def test_a_broken_frame_is_skipped_and_the_next_shows(qtbot):
    tasks = TaskRunner()
    view = LivePreview(tasks)
    qtbot.addWidget(view)
    view.on_preview("job-1", PreviewImage(image=b"not a picture", mime="image/jpeg"))
    qtbot.wait(150)
    assert view.shown_count == 0 and not view.isVisible()
    view.on_preview("job-1", PreviewImage(image=jpeg(200), mime="image/jpeg"))
    qtbot.waitUntil(lambda: view.shown_count == 1, timeout=3000)
    view.job_started("job-2")
    assert view.picture.pixmap() is None or view.picture.pixmap().isNull()
    tasks.shutdown()
