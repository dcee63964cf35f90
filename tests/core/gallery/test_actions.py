"""GalleryActions: delete goes to the trash (and a file that cannot go keeps its row), re-run
queues the stored spec, interpolate runs through the InterpolationRunner as before."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.gallery.actions import GalleryActions, build_gallery_actions
from wan22_gui.core.gallery.trash import TrashError
from wan22_gui.core.history import JobRecord
from wan22_gui.core.video import library
from wan22_gui.core.video.testclip import write_test_clip
from wan22_gui.core.video.thumbnails import ThumbnailCache


class FakeTrash:
    """A trash folder; files named in `refuse` cannot go (like a file another program holds)."""

    def __init__(self, folder: Path, refuse: tuple[str, ...] = ()) -> None:
        self.folder, self.refuse = folder, refuse
        folder.mkdir(exist_ok=True)

    def __call__(self, path: Path) -> None:
        if path.name in self.refuse:
            raise PermissionError(13, "Permission denied", str(path))
        path.rename(self.folder / path.name)

    def names(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir())


@pytest.fixture
def settings(tmp_path):
    return Settings.load(tmp_path / "settings.toml")


@pytest.fixture
def family(store, tmp_path):
    """Job j1 (a.mp4) with one interpolation i1 (a_x2.mp4), and an unrelated j2 (c.mp4)."""
    out = tmp_path / "out"
    paths = [write_test_clip(out / n, frames=5, fps=16, size=(32, 32))
             for n in ("a.mp4", "a_x2.mp4", "c.mp4")]
    store.add(JobRecord(job_id="j1", status="succeeded", outputs=[str(paths[0])],
                        params={"prompt": "a cat", "width": 32, "height": 32, "frames": 5,
                                "fps": 16, "seed": 7}))
    store.add(JobRecord(job_id="i1", kind="interpolate", status="succeeded", parent_id="j1",
                        outputs=[str(paths[1])], params={"source": str(paths[0])}))
    store.add(JobRecord(job_id="j2", status="succeeded", outputs=[str(paths[2])]))
    return paths


def _actions(store, settings, tmp_path, **kw) -> GalleryActions:
    kw.setdefault("trash", FakeTrash(tmp_path / "trash"))
    return GalleryActions(store, settings, lambda: None, **kw)  # no runner: delete and re-run


def test_delete_moves_the_clip_and_its_interpolations_to_the_trash(store, settings, family,
                                                                   tmp_path):
    a, _, c = family
    trash = FakeTrash(tmp_path / "trash")
    thumbs = ThumbnailCache(tmp_path / "thumbs")
    thumbs.get(a)
    actions = _actions(store, settings, tmp_path, trash=trash, forget_thumbnail=thumbs.forget)
    events = []
    actions.deleted.connect(events.append)
    result = actions.delete(["j1"])
    assert trash.names() == ["a.mp4", "a_x2.mp4"] and c.exists()
    assert set(result.deleted_jobs) == {"j1", "i1"} and not result.kept
    assert store.get("j1").deleted and store.get("i1").deleted and not store.get("j2").deleted
    assert store.get("j1").status == "succeeded"  # the row stays, marked deleted
    assert list((tmp_path / "thumbs").iterdir()) == []
    assert events == [result] and "Moved 2 file(s) to the trash" in result.summary()


def test_a_file_that_cannot_be_trashed_keeps_its_row_and_is_named(store, settings, family,
                                                                  tmp_path):
    _, a_x2, _ = family
    trash = FakeTrash(tmp_path / "trash", refuse=("a_x2.mp4",))
    actions = _actions(store, settings, tmp_path, trash=trash)
    clip = next(c for c in library.collect(store.list()) if c.job_id == "j1")
    with pytest.raises(TrashError) as caught:
        actions.delete([clip])
    assert "a_x2.mp4 (Permission denied)" in caught.value.user_text()
    assert "rows are kept" in caught.value.user_text()
    assert isinstance(caught.value, InputError)
    assert trash.names() == ["a.mp4"] and a_x2.exists()
    assert store.get("j1").deleted  # its file went
    assert not store.get("i1").deleted  # its file stayed, so its row stays
    assert caught.value.result.kept_jobs == ("i1",)


def test_an_unknown_job_id_deletes_nothing(store, settings, family, tmp_path):
    trash = FakeTrash(tmp_path / "trash")
    with pytest.raises(InputError, match="no job nope"):
        _actions(store, settings, tmp_path, trash=trash).delete(["j2", "nope"])
    assert trash.names() == [] and not store.get("j2").deleted


def test_an_added_clip_is_only_removed_from_the_gallery(store, settings, tmp_path):
    mine = write_test_clip(tmp_path / "mine.mp4", frames=5, fps=16, size=(32, 32))
    library.add_clips(settings, [mine])
    [clip] = library.collect([], library.added_clips(settings))
    result = _actions(store, settings, tmp_path).delete([clip])
    assert mine.exists() and library.added_clips(settings) == []
    assert result.forgotten == (mine.resolve(),)


def test_the_default_trash_is_the_system_trash(store, settings, family, tmp_path, monkeypatch):
    sent = []
    monkeypatch.setattr("send2trash.send2trash", sent.append)
    actions = GalleryActions(store, settings, lambda: None)
    actions.delete(["j2"])
    assert sent == [str(family[2])]


def test_rerun_queues_the_stored_spec(store, settings, family, tmp_path):
    queued = []

    def submit(spec, *, label=None):
        queued.append((spec, label))
        return JobRecord(job_id="new1", status="pending")

    actions = _actions(store, settings, tmp_path, submit=submit)
    events = []
    actions.rerun_queued.connect(lambda record, source: events.append((record.job_id, source)))
    assert actions.can_rerun and actions.rerun("j1").job_id == "new1"
    spec, label = queued[0]
    assert (spec.prompt, spec.width, spec.frames, spec.seed) == ("a cat", 32, 5, 7)
    assert label == "Re-run of j1" and events == [("new1", "j1")]
    assert not _actions(store, settings, tmp_path).can_rerun
    with pytest.raises(InputError):
        actions.rerun("nope")


def test_interpolate_runs_through_the_runner_and_links_the_job(store, settings, family, tmp_path):
    actions = build_gallery_actions(store, settings, tmp_path / "out", lambda: None, workers=0)
    events = []
    actions.interpolation_started.connect(lambda r: events.append(("started", r.method)))
    actions.interpolation_progress.connect(lambda done, total: events.append(("progress", total)))
    actions.interpolation_finished.connect(lambda r: events.append(("finished", r.label)))
    clip = next(c for c in library.collect(store.list()) if c.job_id == "j1")
    result = actions.interpolate(clip, "builtin", 2, cancel=threading.Event())
    assert result.label == "Optical flow ×2 (built-in)" and result.frame_count == 9
    assert result.output.parent == tmp_path / "out" / "interpolated"
    row = store.get(result.job_id)
    assert row.kind == "interpolate" and row.parent_id == "j1" and row.status == "succeeded"
    assert events[0] == ("started", "builtin") and events[-1] == ("finished", result.label)
    assert ("progress", 4) in events


def test_interpolate_failures_are_published_and_raised(store, settings, family, tmp_path):
    actions = build_gallery_actions(store, settings, tmp_path / "out", lambda: None)
    failed = []
    actions.interpolation_failed.connect(failed.append)
    with pytest.raises(Exception, match="no server is connected"):
        actions.interpolate_file(family[0], "rife", 2, parent_id="j1")
    assert len(failed) == 1 and "built-in" in failed[0].user_text()
