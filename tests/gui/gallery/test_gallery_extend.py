"""The gallery's "Extend…": Generate opens with a job that continues the clip, its joined
length shown; an extended clip's details list its parts."""

from __future__ import annotations

import time

from wan22_gui.app import App
from wan22_gui.core.history import JobRecord
from wan22_gui.core.video import library
from wan22_gui.core.video.testclip import write_test_clip
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.gallery.details import details_html
from wan22_gui.gui.mainwindow import MainWindow
from wan22_gui.gui.tasks import TaskRunner


def _row(job_id, output, **params):
    now = time.time()
    return JobRecord(job_id=job_id, status="succeeded", created_at=now, started_at=now,
                     finished_at=now + 5, outputs=[str(output)],
                     params={"prompt": "a red kite", "width": 64, "height": 48, "frames": 9,
                             "fps": 16, "seed": 7, **params})


def test_extend_opens_generate_filled_to_continue_the_clip(qtbot, app_paths):
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    clip = write_test_clip(core.paths.output_dir / "kite.mp4", frames=9, fps=16, size=(64, 48))
    core.history.add(_row("j1", clip))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    try:
        gallery = window.panel("gallery")
        qtbot.waitUntil(lambda: [c.key for c in gallery.grid.clips()] == ["j1"], timeout=10000)
        gallery.grid.select_row(0)
        assert gallery.details.buttons["extend"].isEnabled()
        gallery.details.buttons["extend"].click()
        form = window.panel("generate").form
        qtbot.waitUntil(lambda: form.extend.isVisibleTo(form), timeout=10000)
        assert "kite.mp4" in form.extend.name.text()
        form.extend.overlap.setValue(5)
        spec = form.spec()
        assert (spec.extend_clip, spec.extend_parent, spec.extend_overlap) == (str(clip), "j1", 5)
        assert (spec.prompt, spec.width, spec.height, spec.seed) == ("a red kite", 64, 48, None)
        assert form.problems() == []  # no start image needed: the clip's frames are the start
        assert f"9 + {spec.frames} − 5 = " in form.extend.joined.text()
        assert f"({9 + spec.frames - 5} frames)" in form.extend.joined.text()
        form.extend.stop.click()
        assert form.spec().extend_clip is None and not form.extend.isVisibleTo(form)
    finally:
        window.shutdown_panels()
        ctx.tasks.shutdown()
        core.close()


def test_an_extended_clips_details_list_its_parts(tmp_path):
    row = _row("j2", tmp_path / "joined.mp4", extend_parts=["/v/a.mp4", "/v/b.mp4"],
               extend_frames={"first": 17, "second": 21, "overlap": 5, "joined": 33})
    [clip] = library.collect([row])
    text = details_html(clip, row)
    assert "Parts" in text and "/v/a.mp4 (17 frames)" in text and "/v/b.mp4 (21 frames)" in text
    assert "33 frames, 5 overlapping" in text
