"""The gallery's details name the backend that made a clip (the user has several)."""

from __future__ import annotations

from wan22_gui.core.history import JobRecord
from wan22_gui.core.video.library import Clip
from wan22_gui.gui.gallery.details import details_html


def test_a_clip_made_on_a_backend_names_it_and_one_from_the_one_server_does_not():
    pooled = JobRecord(job_id="j1", status="succeeded", backend="5090",
                       server_url="http://127.0.0.1:8190")
    text = details_html(Clip(key="j1", path=None, job=pooled), pooled)
    assert "Backend" in text and "5090 (http://127.0.0.1:8190)" in text
    single = JobRecord(job_id="j2", status="succeeded", server_url="http://127.0.0.1:8190")
    assert "Backend" not in details_html(Clip(key="j2", path=None, job=single), single)
