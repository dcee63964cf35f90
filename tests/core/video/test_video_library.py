"""The gallery's library: which clips exist, how interpolations group, filters and sorting."""

from __future__ import annotations

from pathlib import Path

import pytest

from wan22_gui.core.history import JobRecord
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.video import library
from wan22_gui.core.video.reader import VideoInfo


def _gen(job_id, created, outputs=("x.mp4",), status="succeeded", **params):
    return JobRecord(job_id=job_id, created_at=created, status=status, outputs=list(outputs),
                     source_image=params.pop("source", None), params=params)


def test_jobs_added_files_and_grouping():
    records = [
        _gen("a", 1, ["/v/a.mp4"], prompt="a cat", width=832, height=1216, frames=81, fps=16),
        _gen("b", 2, ["/v/b.mp4", "/v/b_preview.png", "/v/b2.mp4"]),
        _gen("running", 3, [], status="running"),
        _gen("fail", 4, [], status="failed"),
        JobRecord(job_id="i1", kind="interpolate", status="succeeded", created_at=5, parent_id="a",
                  outputs=["/v/a_rife.mp4"], label="RIFE ×2 (ComfyUI, rife49)"),
        JobRecord(job_id="i2", kind="interpolate", status="succeeded", created_at=6,
                  outputs=["/v/mine_flow.mp4"], params={"source": "/home/me/mine.mp4"},
                  label="Optical flow ×2 (built-in)"),
        JobRecord(job_id="i3", kind="interpolate", status="succeeded", created_at=7, parent_id="gone",
                  outputs=["/v/orphan.mp4"], label="FILM ×2 (ComfyUI)"),
    ]
    clips = library.collect(records, ["/home/me/mine.mp4", "/v/a.mp4"])
    keys = [c.key for c in clips]
    assert "running" not in keys  # not finished yet
    assert keys[:3] == ["file:/home/me/mine.mp4", "i3", "fail"]  # newest first (a missing
    # added file counts as new); an orphan interpolation stands alone
    assert {"b", "b#1", "a", "file:/home/me/mine.mp4"} <= set(keys)
    assert not [c for c in clips if str(c.path).endswith(".png")]  # a png is not a clip
    assert keys.count("file:/v/a.mp4") == 0  # already shown as job a's output
    by_key = {c.key: c for c in clips}
    assert [c.key for c in by_key["a"].children] == ["i1"]
    assert [c.title for c in by_key["file:/home/me/mine.mp4"].children] == ["Optical flow ×2 (built-in)"]
    assert by_key["a"].title == "a cat" and by_key["a"].resolution == "832×1216"
    assert by_key["a"].duration == pytest.approx(81 / 16)
    assert by_key["fail"].path is None


def test_facts_from_the_file_win_over_the_job_settings():
    clip = library.collect([_gen("a", 1, ["/v/a.mp4"], width=832, height=1216, frames=81, fps=16)])
    info = VideoInfo(Path("/v/a.mp4"), 640, 640, 32.0, 161)
    [known] = library.with_info(clip, {"/v/a.mp4": info})
    assert known.resolution == "640×640" and known.duration == pytest.approx(161 / 32)


def test_filters_and_sorts():
    clips = library.collect([
        _gen("short", 1, ["/v/1.mp4"], source="/p/cat.png", width=640, height=640, frames=33, fps=16),
        _gen("long", 2, ["/v/2.mp4"], source="/p/dog.png", width=832, height=1216, frames=121, fps=16),
        _gen("bad", 3, [], status="failed", source="/p/cat.png", width=640, height=640, frames=81, fps=16,
             prompt="Dog running"),
    ])

    def keys(f=library.ClipFilter(), sort="date", desc=False):
        return [c.key for c in library.sort_clips([c for c in clips if f.accepts(c)], sort, descending=desc)]

    assert keys() == ["short", "long", "bad"]
    assert keys(sort="duration", desc=True) == ["long", "bad", "short"]
    assert keys(sort="resolution") == ["short", "bad", "long"]
    assert keys(library.ClipFilter(status="failed")) == ["bad"]
    assert keys(library.ClipFilter(source_image="/p/cat.png")) == ["short", "bad"]
    assert keys(library.ClipFilter(resolution="832×1216")) == ["long"]
    assert keys(library.ClipFilter(min_seconds=3, max_seconds=6)) == ["bad"]
    assert keys(library.ClipFilter(text="dog")) == ["long", "bad"]  # source name or prompt
    assert keys(library.ClipFilter(since=2)) == ["long", "bad"]
    choices = library.choices(clips)
    assert choices["resolution"] == ["640×640", "832×1216"]
    assert choices["source"] == ["/p/cat.png", "/p/dog.png"]
    with pytest.raises(ValueError):
        library.sort_clips(clips, "colour")


def test_added_clips_are_remembered_in_the_settings(tmp_path):
    settings = Settings(tmp_path / "s.json")
    library.add_clips(settings, [tmp_path / "a.mp4", tmp_path / "a.mp4", tmp_path / "b.mp4"])
    assert library.added_clips(Settings.load(tmp_path / "s.json")) == [
        str((tmp_path / "a.mp4").resolve()), str((tmp_path / "b.mp4").resolve())]
    library.remove_clip(settings, tmp_path / "a.mp4")
    assert library.added_clips(settings) == [str((tmp_path / "b.mp4").resolve())]
