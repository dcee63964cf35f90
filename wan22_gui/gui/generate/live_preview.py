"""The sampler's latent preview while a job runs: the newest frame ComfyUI sent, at most 10 a second.

Frames arrive as JPEG/PNG bytes (`app.jobs.preview`). The view keeps only the newest; a timer
hands it to a background decode (QImage is safe off the GUI thread, QPixmap is not), one at a
time, so a fast sampler never queues decodes and the GUI thread only swaps a picture.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from wan22_gui.gui.tasks import TaskRunner

MAX_FPS = 10
SIDE = 160  # px: the preview's box on the side of the Generate tab


def decode(data: bytes) -> QImage:
    """Bytes to an image (runs off the GUI thread); ValueError when they are not one."""
    image = QImage.fromData(data)
    if image.isNull():
        raise ValueError("the preview frame is not an image")
    return image


class LivePreview(QWidget):
    """Hidden until a preview arrives; cleared when the next job starts."""

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("live_preview")
        self._tasks = tasks
        self.job_id: str | None = None
        self.shown_count = 0  # frames put on screen (tests read it)
        self._pending: tuple[str, bytes] | None = None
        self._decoding = False
        self._pixmap: QPixmap | None = None
        self.caption = QLabel("Live preview (the sampler's current guess, not the final clip)")
        self.caption.setObjectName("live_preview_caption")
        self.caption.setWordWrap(True)
        self.picture = QLabel()
        self.picture.setObjectName("live_preview_picture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(SIDE // 2, SIDE // 2)
        self.picture.setMaximumHeight(SIDE)
        self.picture.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.picture)
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // MAX_FPS)
        self._timer.timeout.connect(self._decode_next)
        self.hide()

    def on_preview(self, job_id: str, event: object) -> None:
        """A frame from the core (on the GUI thread): keep it; the timer decodes the newest."""
        data = getattr(event, "image", b"")
        if not data:
            return
        if job_id != self.job_id:
            self.job_started(job_id)
        self._pending = (job_id, data)
        if not self._timer.isActive():
            self._decode_next()  # the first frame shows at once, the rest at the timer's pace
            self._timer.start()

    def job_started(self, job_id: str) -> None:
        """A new job: the previous job's picture is not its preview."""
        self.job_id = job_id
        self._pixmap = None
        self.picture.clear()

    def stop(self) -> None:
        self._timer.stop()
        self._pending = None

    def _decode_next(self) -> None:
        if self._decoding:
            return
        if self._pending is None:
            self._timer.stop()  # quiet: no ticking between jobs
            return
        job_id, data = self._pending
        self._pending = None
        self._decoding = True
        self._tasks.run_in_background(lambda: decode(data), lambda image: self._show(job_id, image),
                                      self._decode_failed)

    def _show(self, job_id: str, image: QImage) -> None:
        self._decoding = False
        if job_id != self.job_id:
            return  # a frame of the job before
        self._pixmap = QPixmap.fromImage(image)
        self._fit()
        self.shown_count += 1
        self.show()

    def _decode_failed(self, _exc: BaseException) -> None:
        self._decoding = False  # one broken frame: the next one will do

    def resizeEvent(self, event) -> None:  # Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap is not None:
            box = self.picture.contentsRect().size().boundedTo(self._pixmap.size() * 2)
            self.picture.setPixmap(self._pixmap.scaled(
                box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
