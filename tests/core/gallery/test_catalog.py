"""The gallery catalog: reads every row once, then only the rows a change names, and says
when no tile changed (a running job's writes) so the window does nothing."""

from __future__ import annotations

from wan22_gui.core.base.settings import Settings
from wan22_gui.core.gallery.catalog import GalleryCatalog, concerns_gallery
from wan22_gui.core.history import HistoryChange, JobRecord


def _done(job_id, created, **kw):
    return JobRecord(job_id=job_id, status=kw.pop("status", "succeeded"), created_at=created,
                     outputs=[f"/clips/{job_id}.mp4"], params={"prompt": job_id}, **kw)


def test_a_running_job_changes_no_tile_until_it_ends(store, tmp_path):
    catalog = GalleryCatalog(store, Settings(tmp_path / "settings.json"))
    store.add(_done("old", 1.0))
    assert [c.key for c in catalog.load()] == ["old"]
    store.add(JobRecord(job_id="new", status="pending", created_at=2.0))
    for fields in ({"status": "queued"}, {"status": "running"}, {"prompt_id": "p"}):
        store.update("new", **fields)
        assert catalog.refresh(["new"]) is None
    store.update("new", status="succeeded", outputs=["/clips/new.mp4"])
    assert [c.key for c in catalog.refresh(["new"])] == ["new", "old"]
    store.update("old", label="renamed")
    assert [c.title for c in catalog.refresh(["old"])] == ["new", "renamed"]
    store.mark_deleted("new")
    assert [c.key for c in catalog.refresh(["new"])] == ["old"]


def test_an_interpolation_joins_its_parent_clip(store, tmp_path):
    catalog = GalleryCatalog(store, Settings(tmp_path / "settings.json"))
    store.add(_done("clip", 1.0))
    catalog.load()
    store.add(_done("vfi", 2.0, kind="interpolate", parent_id="clip", label="RIFE ×2"))
    [clip] = catalog.refresh(["vfi"])
    assert clip.key == "clip" and [c.title for c in clip.children] == ["RIFE ×2"]


def test_writes_no_tile_shows_are_not_the_gallerys_concern():
    assert not concerns_gallery(HistoryChange(("a",), "updated", frozenset({"graph", "prompt_id"})))
    assert not concerns_gallery(HistoryChange(("a", "b"), "reordered", frozenset({"queue_pos"})))
    assert concerns_gallery(HistoryChange(("a",), "updated", frozenset({"status"})))
    assert concerns_gallery(HistoryChange(("a",), "added", frozenset()))
