"""History store: what a user relies on is that jobs are kept, found and never lost."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from wan22_gui.core.history import SCHEMA_VERSION, HistoryStore, JobRecord, new_job_id


def _record(**kw) -> JobRecord:
    kw.setdefault("job_id", new_job_id())
    return JobRecord(**kw)


def test_a_job_round_trips_with_all_its_details(store, tmp_path):
    rec = _record(
        status="succeeded",
        params={"prompt": "a dragon", "frames": 81, "image": "C:/pics/dragon.jpg"},
        graph={"85": {"class_type": "KSamplerAdvanced", "inputs": {"steps": 4}}},
        server_url="http://127.0.0.1:8188",
        preset="rtx4090",
        prompt_id="abc",
        timings={"high_noise": 40.5, "low_noise": 38.0},
        metrics={"peak_vram_bytes": 23 * 2**30},
        outputs=[str(tmp_path / "out.mp4")],
        node_timings=[{"node_id": "86", "class_type": "KSamplerAdvanced", "seconds": 40.5}],
        phase_spans=[{"phase": "high_noise", "start": 1.0, "end": 41.5}],
        label="Wan 2.2 i2v — 你好",
    )
    store.add(rec)
    again = HistoryStore(store.db_path)  # a second connection sees the committed row
    try:
        got = again.get(rec.job_id)
    finally:
        again.close()
    assert got == rec


def test_database_is_in_wal_mode(store):
    conn = sqlite3.connect(store.db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    finally:
        conn.close()


def test_update_changes_only_the_given_fields_and_notifies(store):
    rec = _record(params={"frames": 81})
    store.add(rec)
    seen = []
    store.changed.connect(seen.append)
    assert store.update(rec.job_id, status="failed", error={"message": "boom", "oom": True})
    got = store.get(rec.job_id)
    assert got.status == "failed" and got.error["oom"] is True
    assert got.params == {"frames": 81}
    assert seen == [rec.job_id]
    assert store.update("no-such-job", status="failed") is False


def test_update_refuses_unknown_fields_and_statuses(store):
    rec = _record()
    store.add(rec)
    with pytest.raises(KeyError):
        store.update(rec.job_id, colour="red")
    with pytest.raises(ValueError):
        store.update(rec.job_id, status="exploded")
    with pytest.raises(ValueError):
        store.add(rec)  # same id twice


def test_list_filters_and_orders_newest_first(store):
    old = _record(created_at=100.0, status="succeeded")
    new = _record(created_at=200.0, status="failed")
    bench = _record(created_at=300.0, kind="bench", status="succeeded")
    gone = _record(created_at=400.0, status="succeeded")
    for r in (old, new, bench, gone):
        store.add(r)
    store.mark_deleted(gone.job_id)
    ids = [r.job_id for r in store.list()]
    assert ids == [bench.job_id, new.job_id, old.job_id]
    assert [r.job_id for r in store.list(kind="generate")] == [new.job_id, old.job_id]
    assert [r.job_id for r in store.list(status="succeeded")] == [bench.job_id, old.job_id]
    assert len(store.list(status=["succeeded", "failed"], limit=2)) == 2
    assert gone.job_id in [r.job_id for r in store.list(include_deleted=True)]


def test_children_lists_interpolations_of_a_clip(store):
    clip = _record(status="succeeded")
    rife = _record(kind="interpolate", parent_id=clip.job_id, label="RIFE ×2", created_at=2.0)
    film = _record(kind="interpolate", parent_id=clip.job_id, label="FILM ×2", created_at=3.0)
    for r in (clip, rife, film):
        store.add(r)
    assert [c.label for c in store.children(clip.job_id)] == ["RIFE ×2", "FILM ×2"]


def test_queue_order_is_kept_and_can_be_changed(store):
    jobs = [_record(queue_pos=store.next_queue_pos() + i) for i in range(3)]
    for j in jobs:
        store.add(j)
    assert [j.job_id for j in store.pending_queue()] == [j.job_id for j in jobs]
    store.set_queue_order([jobs[2].job_id, jobs[0].job_id, jobs[1].job_id])
    assert [j.job_id for j in store.pending_queue()] == [
        jobs[2].job_id, jobs[0].job_id, jobs[1].job_id]
    assert store.next_queue_pos() == 3


def test_corrupt_database_is_kept_aside_and_a_new_one_started(tmp_path):
    db = tmp_path / "history.sqlite3"
    db.write_bytes(b"this is not sqlite at all" * 100)
    store = HistoryStore(db)
    try:
        store.add(_record())
        assert len(store.list()) == 1
    finally:
        store.close()
    kept = list(tmp_path.glob("history.sqlite3.corrupt-*"))
    assert kept and kept[0].read_bytes().startswith(b"this is not sqlite")


def test_writes_from_many_threads_all_land(store):
    def work(n):
        for _ in range(10):
            store.add(_record(params={"n": n}))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.list()) == 40


def test_rows_changed_names_the_rows_and_the_fields_written(store):
    from wan22_gui.core.history import HistoryChange

    seen: list[HistoryChange] = []
    store.rows_changed.connect(seen.append)
    a, b = _record(), _record()
    store.add(a)
    store.add(b)
    store.update(a.job_id, prompt_id="p1", graph={"1": {}})
    store.mark_deleted(b.job_id)
    store.set_queue_order([b.job_id, a.job_id])
    assert [(c.ids, c.kind) for c in seen] == [
        ((a.job_id,), "added"), ((b.job_id,), "added"), ((a.job_id,), "updated"),
        ((b.job_id,), "deleted"), ((b.job_id, a.job_id), "reordered")]
    assert seen[2].fields == {"prompt_id", "graph"} and "status" in seen[0].fields
    summary_fields = frozenset({"status", "outputs"})
    assert not seen[2].touches(summary_fields) and not seen[4].touches(summary_fields)
    assert seen[3].touches(summary_fields)  # a deleted row always matters to a list


def test_summaries_are_the_light_rows_newest_first_without_deleted_ones(store, tmp_path):
    big = {str(n): {"class_type": "KSampler", "inputs": {"seed": n}} for n in range(200)}
    old = _record(created_at=100.0, status="succeeded", graph=big, outputs=[str(tmp_path / "a.mp4")],
                  params={"prompt": "a cat", "width": 832, "height": 480, "frames": 81, "fps": 16,
                          "negative_prompt": "blurry", "image": "cat.png"},
                  timings={"high_noise": 30.0}, metrics={"peak_vram_bytes": 1},
                  node_timings=[{"node_id": "1", "seconds": 2.0}], label="mine")
    child = _record(created_at=200.0, kind="interpolate", status="succeeded",
                    parent_id=old.job_id, params={"source": str(tmp_path / "a.mp4")})
    bench = _record(created_at=300.0, kind="bench", status="succeeded")
    gone = _record(created_at=400.0, status="succeeded", deleted=True)
    for record in (old, child, bench, gone):
        store.add(record)
    rows = store.summaries()
    assert [r.job_id for r in rows] == [child.job_id, old.job_id]
    first = rows[1]
    assert first.params == {"prompt": "a cat", "width": 832, "height": 480, "frames": 81, "fps": 16}
    assert first.outputs == (str(tmp_path / "a.mp4"),) and first.timings == {"high_noise": 30.0}
    assert (first.label, first.status, first.kind) == ("mine", "succeeded", "generate")
    assert not hasattr(first, "graph") and not hasattr(first, "node_timings")
    assert rows[0].parent_id == old.job_id and rows[0].params["source"].endswith("a.mp4")
    assert [r.job_id for r in store.summaries(ids=[old.job_id, gone.job_id, "unknown"])] == [old.job_id]


def test_a_row_with_damaged_json_still_lists(store):
    rec = _record(status="succeeded", params={"prompt": "ok"})
    bad = _record(status="succeeded", created_at=rec.created_at + 1)
    store.add(rec)
    store.add(bad)
    with store._conn:  # what a crash half-way through an old version's write can leave
        store._conn.execute("UPDATE jobs SET params = '{broken', outputs = 'nope' WHERE job_id = ?",
                            (bad.job_id,))
    rows = {r.job_id: r for r in store.summaries()}
    assert rows[rec.job_id].params == {"prompt": "ok"}
    assert rows[bad.job_id].params == {} and rows[bad.job_id].outputs == ()


def test_a_damaged_page_is_reported_naming_the_file_and_nothing_is_moved(tmp_path):
    from wan22_gui.core.base.errors import StorageError

    db = tmp_path / "history.sqlite3"
    store = HistoryStore(db)
    for i in range(150):
        store.add(JobRecord(f"job-{i:03d}", params={"prompt": "p" * 400}))
    store.close()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with db.open("r+b") as f:  # every page but the schema page
        for page in range(2, db.stat().st_size // 4096):
            f.seek(page * 4096 + 8)
            f.write(b"\xff" * 64)
    before = db.read_bytes()
    store = HistoryStore(db)  # the schema is fine: it opens
    try:
        with pytest.raises(StorageError, match="is damaged") as caught:
            store.list()
        assert str(db) in str(caught.value) and ".recover" in caught.value.hint
    finally:
        store.close()
    assert db.read_bytes() == before and not list(tmp_path.glob("*.corrupt-*"))


def test_a_locked_database_is_not_mistaken_for_a_corrupt_one(tmp_path, monkeypatch):
    from wan22_gui.core.base.errors import StorageError

    db = tmp_path / "history.sqlite3"
    HistoryStore(db).close()
    monkeypatch.setattr(HistoryStore, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError, match="locked by another program"):
            HistoryStore(db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(tmp_path.glob("*.corrupt-*"))  # it used to be moved aside as "corrupt"


# -- the owner lease (schema version 2) -----------------------------------------------------

def _version_1_database(path) -> None:
    """A history database as version 1 wrote it: no lease columns."""
    from wan22_gui.core.history import LEASE_FIELDS, _FIELD_NAMES

    columns = ", ".join(f"{n} TEXT" if n != "job_id" else "job_id TEXT PRIMARY KEY"
                        for n in _FIELD_NAMES if n not in LEASE_FIELDS)
    conn = sqlite3.connect(str(path))
    with conn:
        conn.execute(f"CREATE TABLE jobs ({columns})")
        conn.execute("INSERT INTO jobs (job_id, kind, status, created_at, deleted, params) "
                     "VALUES ('old-1', 'generate', 'running', 1.0, 0, '{\"seed\": 4}')")
        conn.execute("PRAGMA user_version=1")
    conn.close()


def test_a_version_1_database_gains_the_lease_columns_and_keeps_its_jobs(tmp_path):
    path = tmp_path / "history.sqlite3"
    _version_1_database(path)
    store = HistoryStore(path)
    try:
        old = store.get("old-1")
        assert old.status == "running" and old.params == {"seed": 4}
        assert old.owner_pid is None and old.heartbeat_at is None  # ownerless: recoverable
        assert store.claim("old-1", {"owner_pid": 7, "owner_started": 1.5,
                                     "owner_host": "box", "heartbeat_at": 2.0})
        assert store.get("old-1").owner_pid == 7
    finally:
        store.close()
    conn = sqlite3.connect(str(path))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_an_old_database_gains_the_backend_columns_its_jobs_ran_on_the_one_server(tmp_path):
    path = tmp_path / "history.sqlite3"
    _version_1_database(path)
    store = HistoryStore(path)
    try:
        assert store.get("old-1").backend is None
        store.update("old-1", backend="5090", requires="5090")
        again = store.get("old-1")
        assert (again.backend, again.requires) == ("5090", "5090")
    finally:
        store.close()


def test_claim_takes_a_job_only_from_the_owner_it_expects(store):
    store.add(_record(job_id="j", status="running", owner_pid=11, owner_started=5.0))
    new = {"owner_pid": 22, "owner_started": 6.0, "owner_host": "box", "heartbeat_at": 9.0}
    dead = {"owner_pid": 11, "owner_started": 5.0}
    assert store.claim("j", new, expected=dead)
    assert not store.claim("j", {**new, "owner_pid": 33}, expected=dead)  # the other lost
    assert store.get("j").owner_pid == 22
    store.update("j", status="succeeded")
    assert not store.claim("j", new)  # a finished job has no lease to take


def test_beat_renews_only_the_owners_jobs(store):
    store.add(_record(job_id="mine", status="running", owner_pid=1, heartbeat_at=1.0))
    store.add(_record(job_id="theirs", status="running", owner_pid=2, heartbeat_at=1.0))
    store.beat(["mine", "theirs"], 1, 50.0)
    assert store.get("mine").heartbeat_at == 50.0
    assert store.get("theirs").heartbeat_at == 1.0


def test_a_claimed_lease_is_a_row_change_no_list_shows(store):
    from wan22_gui.core.history import SUMMARY_FIELDS

    store.add(_record(job_id="j", status="running"))
    seen = []
    store.rows_changed.connect(seen.append)
    assert store.claim("j", {"owner_pid": 7, "owner_started": 1.5, "owner_host": "h",
                             "heartbeat_at": 2.0})
    [change] = seen
    assert (change.ids, change.kind) == (("j",), "updated") and "owner_pid" in change.fields
    assert not change.touches(SUMMARY_FIELDS)


def test_a_conditional_update_writes_only_while_the_job_has_that_status(store):
    store.add(_record(job_id="w", status="pending"))
    assert store.update("w", if_status="pending", status="queued", backend="a")
    assert not store.update("w", if_status="pending", status="queued", backend="b")
    assert store.get("w").backend == "a"
