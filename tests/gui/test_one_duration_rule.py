"""One rule for a clip's length in every view and command: frames / fps, two decimals, with the
frame count ("1.56 s (25 frames)"), written by `core.workflow.calculator.describe_duration`
(issue 14, item 7). 25 frames used to read 1.6 s, 1.50 s, "1.5s", 1.6 s and 1.56 s."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QPushButton

from wan22_gui.core.history import JobRecord
from wan22_gui.core.video.library import Clip
from wan22_gui.core.video.reader import VideoInfo
from wan22_gui.core.workflow import naming
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.gui.gallery.details import details_html
from wan22_gui.gui.gallery.grid import _facts
from wan22_gui.gui.generate.clip import ClipBox
from wan22_gui.gui.generate.queue_list import job_summary

PACKAGE = Path(__file__).resolve().parents[2] / "wan22_gui"
# Ways a view or command could work out or print a clip's length by itself.
OWN_DURATION = [
    re.compile(r"frames?\s*-\s*1\s*,?\s*0?\)?\s*/"),          # (frames - 1) / fps
    re.compile(r"\b(seconds_for_frames|playback_seconds)\("),  # the calculator's other rules
    re.compile(r"(info|clip|timeline)\)?\.duration\)?\s*:"),    # f"{clip.duration:.1f} s"
    re.compile(r"(frame_count|frames)\s*/\s*\(?\w*fps"),        # frames / fps
]


def test_no_view_or_command_computes_a_clip_length_itself():
    offenders = []
    for folder in ("gui", "cli"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            name = path.relative_to(PACKAGE).as_posix()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if any(p.search(line) for p in OWN_DURATION):
                    offenders.append(f"{name}:{number}: {line.strip()}")
    assert not offenders, "use calculator.describe_duration:\n" + "\n".join(offenders)


def test_25_frames_read_the_same_in_the_form_queue_gallery_and_file_name(qtbot):
    box = ClipBox()
    qtbot.addWidget(box)
    box.frames.setValue(25)
    assert box.seconds.text() == "1.56 s"
    assert box.info.text().startswith("1.56 s (25 frames) at 16 fps")
    pick = box.findChild(QPushButton, "quick_1.6s")
    assert (pick.text(), pick.toolTip()) == ("1.56 s", "1.56 s (25 frames)")
    record = JobRecord(job_id="j", params={"image": "cat.png", "width": 832, "height": 640,
                                           "frames": 25, "fps": 16})
    assert "· 1.56 s (25 frames) ·" in job_summary(record)
    clip = Clip(key="j", path=Path("cat.mp4"), job=None,
                info=VideoInfo(Path("cat.mp4"), 832, 640, 16.0, 25))
    assert "1.56 s (25 frames)" in details_html(clip)
    assert _facts(clip) == "832×640 · 1.56 s (25 frames)"  # the gallery tile
    queued = Clip(key="q", path=None, job=record, info=None)  # no file yet: the job's settings
    assert _facts(queued) == "832×640 · 1.56 s (25 frames)"
    spec = JobSpec(image="cat.png", frames=25, fps=16)
    assert naming.name_fields(spec)["seconds"] == "1.56"
