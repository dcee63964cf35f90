"""The Gallery's "Download again" for a finished clip whose download failed (issue 12, item 3):
the row says where the clip is on the server, the button fetches it, the tile plays it."""

from __future__ import annotations

import time

import pytest

from wan22_gui.app import App
from wan22_gui.core.comfy.client import ComfyClient
from wan22_gui.core.comfy.retrieve import describe
from wan22_gui.core.comfy.types import OutputFile
from wan22_gui.core.history import JobRecord
from wan22_gui.core.jobs import failures
from wan22_gui.core.video.testclip import write_test_clip
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.gallery.panel import GalleryPanel
from wan22_gui.gui.tasks import TaskRunner


@pytest.fixture
def core(app_paths):
    app_core = App.build(app_paths, history=True)
    yield app_core
    app_core.close()


def _left_on_server(core, standin) -> JobRecord:
    """A job whose clip the server finished but the app could not download."""
    clip = write_test_clip(standin.root / "output" / "video" / "fox_00001_.mp4", frames=9, fps=16,
                           size=(64, 48))
    client = ComfyClient(standin.url)
    try:
        left = describe(client, OutputFile(clip.name, "video", "output"),
                        core.paths.output_dir, "ComfyUI answered GET /view with HTTP 500.")
    finally:
        client.close()
    created = time.time() - 60
    record = JobRecord(job_id="j1", status="failed", created_at=created, started_at=created,
                       finished_at=created + 30, server_url=standin.url,
                       params={"prompt": "the fox", "width": 64, "height": 48, "frames": 9},
                       server_outputs=[left.to_dict()],
                       error=failures.not_downloaded_error("j1", [left]))
    core.history.add(record)
    return record


def test_download_again_fetches_the_clip_and_the_tile_plays_it(qtbot, core, standin, tmp_path):
    _left_on_server(core, standin)
    panel = GalleryPanel(AppContext(app=core, tasks=TaskRunner()))
    qtbot.addWidget(panel)
    panel.show()
    try:
        qtbot.waitUntil(lambda: [c.key for c in panel.grid.clips()] == ["j1"], timeout=10000)
        panel.grid.select_row(0)
        button = panel.details.buttons["fetch"]
        qtbot.waitUntil(button.isVisible, timeout=5000)  # once the job's whole row is read
        assert button.isEnabled()
        text = panel.details.text.toPlainText()
        assert "Finished, still on the server" in text and "fox_00001_.mp4" in text
        assert f"{standin.url}/view?filename=fox_00001_.mp4" in text
        button.click()
        qtbot.waitUntil(lambda: core.history.get("j1").status == "succeeded", timeout=15000)
        qtbot.waitUntil(lambda: "Downloaded fox.mp4" in panel.status.text(), timeout=5000)
        record = core.history.get("j1")
        assert record.outputs == [str(core.paths.output_dir / "fox.mp4")]
        assert record.server_outputs == [] and record.error is None
        qtbot.waitUntil(lambda: panel.grid.clips() and panel.grid.clips()[0].path is not None,
                        timeout=10000)
        panel.grid.select_row(0)
        qtbot.waitUntil(lambda: "fox.mp4" in panel.details.text.toPlainText(), timeout=5000)
        assert not panel.details.buttons["fetch"].isVisible()
        assert panel.details.buttons["play"].isEnabled()
    finally:
        panel.shutdown()
        panel.ctx.tasks.shutdown()


def test_a_failing_download_again_says_why_in_the_status_line(qtbot, core, standin):
    _left_on_server(core, standin)
    standin.faults.view_status = 404
    panel = GalleryPanel(AppContext(app=core, tasks=TaskRunner()))
    qtbot.addWidget(panel)
    panel.show()
    try:
        qtbot.waitUntil(lambda: len(panel.grid.clips()) == 1, timeout=10000)
        panel.grid.select_row(0)
        panel.download_again()
        qtbot.waitUntil(lambda: "Download failed" in panel.status.text(), timeout=15000)
        assert "HTTP 404" in panel.status.text() or "has no output file" in panel.status.text()
        assert "still on the server at" in panel.status.text()
        assert core.history.get("j1").server_outputs  # kept for another try
    finally:
        panel.shutdown()
        panel.ctx.tasks.shutdown()
