"""The gallery: tiles from history and added files, broken clips, grouping of interpolations,
filters and sorting, details, and the actions (play, compare, interpolate, re-run, delete)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from wan22_gui.app import App
from wan22_gui.core.history import JobRecord
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.core.video.testclip import write_test_clip
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.gallery.panel import GalleryPanel
from wan22_gui.gui.tasks import TaskRunner


@pytest.fixture
def core(app_paths):
    app_core = App.for_gui(app_paths)
    yield app_core
    app_core.close()


@pytest.fixture(autouse=True)
def trash(tmp_path, monkeypatch):
    """A trash folder in the test's folder instead of the user's system trash."""
    folder = tmp_path / "trash"
    folder.mkdir()
    monkeypatch.setattr("wan22_gui.core.gallery.trash.system_trash",
                        lambda path: Path(path).rename(folder / Path(path).name))
    return folder


@pytest.fixture
def videos(core):
    folder = core.paths.output_dir / "video"
    a = write_test_clip(folder / "a.mp4", frames=9, fps=16, size=(64, 48), speed=2)
    b = write_test_clip(folder / "b.mp4", frames=17, fps=16, size=(48, 64))
    broken = folder / "broken.mp4"
    broken.write_bytes(a.read_bytes()[:500])  # half-written
    return a, b, broken


def _job(job_id, output, *, hours_ago=1.0, source="cat.png", size=(64, 48), frames=9, **kw):
    created = time.time() - hours_ago * 3600
    return JobRecord(job_id=job_id, status=kw.pop("status", "succeeded"), created_at=created,
                     started_at=created, finished_at=created + 60,
                     outputs=[str(output)] if output else [], source_image=source,
                     params={"prompt": f"prompt of {job_id}", "width": size[0], "height": size[1],
                             "frames": frames, "fps": 16, "seed": 7},
                     timings={"high_noise": 31.5, "low_noise": 30.0},
                     metrics={"peak_vram_bytes": 21 * 2**30}, preset="rtx4090-24gb", **kw)


@pytest.fixture
def make_panel(qtbot, core):
    made = []

    def make():
        ctx = AppContext(app=core, tasks=TaskRunner())
        panel = GalleryPanel(ctx)
        qtbot.addWidget(panel)
        panel.resize(1200, 700)
        panel.show()
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.shutdown()
        panel.ctx.tasks.shutdown()


def _keys(panel):
    return [c.key for c in panel.grid.clips()]


def _select(panel, key):
    for i, clip in enumerate(panel.grid.clips()):
        if clip.key == key:
            panel.grid.select_row(i)
            return clip
    raise AssertionError(f"{key} not shown: {_keys(panel)}")


def _wait_thumbs(qtbot, panel):
    qtbot.waitUntil(lambda: all(panel.grid.thumbnail(c) is not None
                                for c in panel.grid.clips() if c.path), timeout=15000)


def test_every_job_output_and_added_clip_is_a_tile_and_a_broken_file_does_not_block(
        qtbot, core, videos, make_panel, tmp_path):
    a, b, broken = videos
    core.history.add(_job("j1", a, hours_ago=3))
    core.history.add(_job("j2", b, hours_ago=2, size=(48, 64), frames=17))
    core.history.add(_job("j3", broken, hours_ago=1))
    core.history.add(_job("j4", None, hours_ago=0.5, status="failed",
                          error={"message": "Out of GPU memory", "hint": "Use fewer frames"}))
    core.history.add(_job("gone", a, hours_ago=5, deleted=True))
    mine = write_test_clip(tmp_path / "mine.mp4", frames=5, fps=24, size=(32, 32))
    panel = make_panel()
    qtbot.waitUntil(lambda: len(panel.grid.clips()) == 4, timeout=10000)
    assert panel.add_videos([mine, tmp_path / "notes.txt"]) == 1
    qtbot.waitUntil(lambda: len(panel.grid.clips()) == 5, timeout=10000)
    # newest first (the added file is newest); the deleted job is hidden
    assert _keys(panel) == [f"file:{mine.resolve()}", "j4", "j3", "j2", "j1"]
    _wait_thumbs(qtbot, panel)
    tiles = {c.key: panel.grid.thumbnail(c) for c in panel.grid.clips() if c.path}
    assert tiles["j3"].broken and "not finished writing" in tiles["j3"].error
    assert not tiles["j1"].broken and panel.grid.pixmap(_select(panel, "j1")) is not None
    assert not tiles[f"file:{mine.resolve()}"].broken
    # the details pane shows what the job was
    _select(panel, "j2")
    qtbot.waitUntil(lambda: "rtx4090-24gb" in panel.details.text.toPlainText(), timeout=5000)
    text = panel.details.text.toPlainText()
    assert "prompt of j2" in text and "rtx4090-24gb" in text and "21.00 GiB" in text
    assert "High-noise pass" in text and "31.5 s" in text
    _select(panel, "j4")
    qtbot.waitUntil(lambda: "Out of GPU memory" in panel.details.text.toPlainText(), timeout=5000)
    assert not panel.details.buttons["play"].isEnabled()


def test_interpolations_are_grouped_under_their_clip(qtbot, core, videos, make_panel):
    a, b, _ = videos
    core.history.add(_job("j1", a))
    core.history.add(JobRecord(job_id="i1", kind="interpolate", status="succeeded", parent_id="j1",
                               outputs=[str(b)], label="RIFE ×2 (ComfyUI, rife49)",
                               timings={"interpolate": 4.2}, params={"source": str(a)}))
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    clip = _select(panel, "j1")
    assert [c.title for c in clip.children] == ["RIFE ×2 (ComfyUI, rife49)"]
    assert panel.details.children_list.count() == 1
    assert "4.2 s" in panel.details.children_list.item(0).text()
    assert panel.details.buttons["compare"].isEnabled()


def test_filters_and_sorting(qtbot, core, videos, make_panel):
    a, b, _ = videos
    core.history.add(_job("small", a, hours_ago=48, source="/pics/cat.png"))
    core.history.add(_job("tall", b, hours_ago=1, source="/pics/dog.png", size=(48, 64), frames=17))
    core.history.add(_job("failed", None, hours_ago=2, status="failed", size=(1280, 720)))
    panel = make_panel()
    qtbot.waitUntil(lambda: len(panel.grid.clips()) == 3, timeout=10000)
    bar = panel.filters

    def shows(expected, check=lambda keys, expected: keys == expected):
        qtbot.waitUntil(lambda: check(_keys(panel), expected), timeout=5000)

    bar.status.setCurrentIndex(bar.status.findData("failed"))
    shows(["failed"])
    bar.status.setCurrentIndex(0)
    bar.source.setCurrentIndex(bar.source.findData("/pics/dog.png"))
    shows(["tall"])
    bar.source.setCurrentIndex(0)
    bar.resolution.setCurrentIndex(bar.resolution.findData("64×48"))
    shows(["small"])
    bar.resolution.setCurrentIndex(0)
    bar.date.setCurrentIndex(bar.date.findText("Today"))
    shows({"tall", "failed"}, lambda keys, expected: set(keys) == expected)
    bar.date.setCurrentIndex(0)
    bar.search.setText("prompt of small")
    shows(["small"])
    bar.search.clear()
    bar.sort.setCurrentIndex(bar.sort.findData("duration"))
    shows("tall", lambda keys, first: len(keys) == 3 and keys[0] == first)  # 17 frames: longest
    bar.order.setChecked(False)
    shows("tall", lambda keys, last: len(keys) == 3 and keys[-1] == last)
    bar.duration.setCurrentIndex(bar.duration.findText("Under 3 s"))
    shows("small", lambda keys, key: key in keys)


def test_delete_asks_first_then_trashes_files_and_keeps_the_row(qtbot, core, videos, make_panel,
                                                                 trash):
    a, b, _ = videos
    core.history.add(_job("j1", a))
    core.history.add(JobRecord(job_id="i1", kind="interpolate", status="succeeded", parent_id="j1",
                               outputs=[str(b)], label="Optical flow ×2 (built-in)"))
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    panel.confirm = lambda text: False
    panel.delete()
    assert a.exists() and not core.history.get("j1").deleted
    asked = []
    panel.confirm = lambda text: asked.append(text) or True
    panel.delete()
    assert "1 interpolated" in asked[0] and "trash" in asked[0]
    qtbot.waitUntil(lambda: _keys(panel) == [], timeout=10000)
    panel.pending.flush()  # the Undo time passes
    assert not a.exists() and not b.exists()
    assert sorted(p.name for p in trash.iterdir()) == ["a.mp4", "b.mp4"]
    qtbot.waitUntil(lambda: "Moved 2 file(s) to the trash" in panel.status.text(), timeout=5000)
    assert core.history.get("j1").deleted and core.history.get("i1").deleted
    assert core.history.get("j1").status == "succeeded"  # the row stays


def test_a_file_the_trash_refuses_is_named_and_its_row_stays(qtbot, core, videos, make_panel,
                                                             monkeypatch):
    a, _, _ = videos
    core.history.add(_job("j1", a))

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("wan22_gui.core.gallery.trash.system_trash", refuse)
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    panel.confirm = lambda text: True
    panel.delete()
    panel.pending.flush()  # the Undo time passes
    qtbot.waitUntil(lambda: "Delete failed" in panel.status.text(), timeout=10000)
    assert "a.mp4 (Permission denied)" in panel.status.text()
    assert a.exists() and not core.history.get("j1").deleted
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=5000)  # the grid is read again


def test_removing_an_added_clip_keeps_the_file(qtbot, core, make_panel, tmp_path):
    mine = write_test_clip(tmp_path / "mine.mp4", frames=5, fps=16, size=(32, 32))
    panel = make_panel()
    panel.add_videos([mine])
    qtbot.waitUntil(lambda: len(panel.grid.clips()) == 1, timeout=10000)
    _select(panel, f"file:{mine.resolve()}")
    assert panel.details.buttons["delete"].text() == "Remove…"
    panel.confirm = lambda text: True
    panel.delete()
    qtbot.waitUntil(lambda: len(panel.grid.clips()) == 0, timeout=10000)
    assert mine.exists()


def test_interpolate_runs_in_the_background_and_the_result_is_grouped(qtbot, core, videos, make_panel):
    a, _, _ = videos
    core.history.add(_job("j1", a))
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    panel.ask_interpolation = lambda clip: ("builtin", 2)
    panel.interpolate()
    assert panel.cancel_button.isVisibleTo(panel)
    qtbot.waitUntil(lambda: bool(panel.grid.clips() and panel.grid.clips()[0].children), timeout=30000)
    child = panel.grid.clips()[0].children[0]
    assert child.title == "Optical flow ×2 (built-in)"
    assert child.job.parent_id == "j1" and child.job.timings["interpolate"] > 0
    assert "0.53 s (17 frames) at 32 fps" in panel.status.text()
    assert not panel.cancel_button.isVisibleTo(panel)


def test_rife_without_a_server_fails_with_a_clear_message(qtbot, core, videos, make_panel):
    a, _, _ = videos
    core.history.add(_job("j1", a))
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    panel.start_interpolation(panel.selected(), "rife", 2)
    qtbot.waitUntil(lambda: "failed" in panel.status.text(), timeout=10000)
    assert "no server" in panel.status.text() and "built-in" in panel.status.text()


def test_rife_on_a_server_with_neither_engine_runs_the_builtin_one_and_says_why(
        qtbot, core, videos, make_panel, standin):
    from wan22_gui.core.comfy.connection import ServerInfo

    a, _, _ = videos
    core.history.add(_job("j1", a))
    core.connection.set(ServerInfo(standin.url, "attached"))  # 0.3.64, no Frame-Interpolation
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    panel.start_interpolation(panel.selected(), "rife", 2)
    qtbot.waitUntil(lambda: "made in" in panel.status.text(), timeout=30000)
    text = panel.status.text()
    assert "Optical flow ×2 (built-in)" in text and "ran instead of RIFE" in text
    assert "(you have 0.3.64)" in text


def test_play_and_compare_open_views_of_the_right_clips(qtbot, core, videos, make_panel):
    a, b, _ = videos
    core.history.add(_job("j1", a))
    core.history.add(JobRecord(job_id="i1", kind="interpolate", status="succeeded", parent_id="j1",
                               outputs=[str(b)], label="FILM ×2 (ComfyUI)", timings={"interpolate": 9.5}))
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    player = panel.play()
    assert [c.path for c in player.player.clips] == [a]
    compare = panel.compare()
    assert [(c.title, c.seconds) for c in compare.player.clips] == [("Source", None),
                                                                   ("FILM ×2 (ComfyUI)", 9.5)]
    qtbot.waitUntil(lambda: compare.player.clock is not None, timeout=10000)
    assert len(panel.windows) == 2
    compare.close()
    qtbot.waitUntil(lambda: len(panel.windows) == 1, timeout=5000)


def test_rerun_queues_the_same_settings_when_the_queue_exists(qtbot, core, videos, make_panel):
    a, _, _ = videos
    job = _job("j1", a)
    job.params["image"] = str(a.with_name("cat.png"))  # the spec names its start image
    core.history.add(job)
    panel = make_panel()  # the App's own queue, not started: the re-run waits in it
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    assert panel.details.buttons["rerun"].isEnabled()
    panel.rerun()
    qtbot.waitUntil(lambda: bool(core.jobs.pending()), timeout=5000)
    [queued] = core.jobs.pending()
    spec = JobSpec.from_dict(queued.params)
    assert (spec.prompt, spec.width, spec.frames, spec.seed) == ("prompt of j1", 64, 9, 7)
    assert spec.image == job.params["image"] and "j1" in queued.label
    qtbot.waitUntil(lambda: f"Queued {queued.job_id}" in panel.status.text(), timeout=5000)


def test_new_history_rows_appear_without_a_manual_refresh(qtbot, core, videos, make_panel):
    a, b, _ = videos
    panel = make_panel()
    qtbot.waitUntil(lambda: "0 clips" in panel.status.text(), timeout=10000)
    core.history.add(_job("late", a))
    qtbot.waitUntil(lambda: _keys(panel) == ["late"], timeout=10000)


LONG_PATH = "/home/someone/" + "/".join(["a-rather-long-folder-name"] * 11) + "/clip_00001.mp4"


def test_a_long_status_moves_nothing(qtbot, core, videos, make_panel):
    """The status line holds any text in one line (elided, all of it in the tooltip); the
    window, the tiles and the buttons stay where they are (issue 14, item 2)."""
    a, _, _ = videos
    core.history.add(_job("j1", a))
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    qtbot.wait(50)
    play = panel.details.buttons["play"]
    before = (panel.window().size(), play.mapToGlobal(play.rect().topLeft()), panel.grid.size())
    panel.say(f"Interpolated into {LONG_PATH}")
    qtbot.wait(50)
    assert (panel.window().size(), play.mapToGlobal(play.rect().topLeft()),
            panel.grid.size()) == before
    assert LONG_PATH in panel.status.text() and LONG_PATH in panel.status.toolTip()


def test_an_interpolation_that_fails_before_it_starts_does_not_stay_running(
        qtbot, core, videos, make_panel, monkeypatch):
    """Whatever way the run ends, the status leaves "Interpolating…" (issue 14, item 3)."""
    from wan22_gui.core.base.errors import InputError

    a, _, _ = videos
    core.history.add(_job("j1", a))
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")

    def refuse(*_a, **_kw):
        raise InputError("The clip's folder is gone.", "Re-run the job.")

    monkeypatch.setattr(panel.actions, "interpolate", refuse)  # fails before any signal
    panel.start_interpolation(panel.selected(), "rife", 2)
    qtbot.waitUntil(lambda: "Interpolating" not in panel.status.text(), timeout=5000)
    assert "Interpolation failed: The clip's folder is gone." in panel.status.text()
    assert not panel.cancel_button.isVisibleTo(panel)


def test_play_starts_playing_and_compare_opens_paused_on_frame_1(qtbot, core, videos,
                                                                  make_panel):
    """Play means play (it used to open paused on frame 1); a comparison waits for the user
    to step or play (issue 14, item 8)."""
    a, b, _ = videos
    core.history.add(_job("j1", a))
    core.history.add(JobRecord(job_id="i1", kind="interpolate", status="succeeded", parent_id="j1",
                               outputs=[str(b)], label="FILM ×2 (ComfyUI)"))
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    player = panel.play()
    qtbot.waitUntil(lambda: player.player.clock is not None, timeout=10000)
    qtbot.waitUntil(lambda: player.player.clock.playing, timeout=3000)
    compare = panel.compare()
    qtbot.waitUntil(lambda: compare.player.clock is not None, timeout=10000)
    assert not compare.player.clock.playing and compare.player.clock.tick == 0
    player.close()
    compare.close()
