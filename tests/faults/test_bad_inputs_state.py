"""Bad-input corpus: the app's own files. A settings file with the wrong shape is kept aside
and the app starts with defaults (exit 0, a warning, the file's bytes kept); a history database
that is damaged, locked or in the way stops the command with words naming the file and never
moves or rewrites it; an app home that cannot be written says which folder and what to do."""

from __future__ import annotations

import errno
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.faults.bad_inputs import (  # noqa: F401 (fixtures)
    CASE_TIMEOUT_S, ROOT_SKIP, _corpus_summary, assert_nothing_lost, expect, run_cli,
    seeded_history,
)

pytestmark = pytest.mark.timeout(CASE_TIMEOUT_S)

SETTINGS_CASES = {
    "not_json": b"{ this is not json",
    "zero_bytes": b"",
    "json_array": b"[1, 2, 3]",
    "json_string": b'"settings"',
    "schema_version_text": b'{"schema_version": "1", "values": {}}',
    "schema_version_float": b'{"schema_version": 1.5, "values": {}}',
    "schema_version_bool": b'{"schema_version": true, "values": {}}',
    "schema_version_negative": b'{"schema_version": -3, "values": {}}',
    "schema_version_object": b'{"schema_version": {"v": 1}, "values": {}}',
    "values_list": b'{"schema_version": 1, "values": [1, 2]}',
    "values_string": b'{"schema_version": 1, "values": "server.url=x"}',
    "values_null": b'{"schema_version": 1, "values": null}',
    "binary": bytes(range(256)),
    "deeply_nested": b'{"a":' * 5000 + b"1" + b"}" * 5000,
    "not_utf8": b'{"schema_version": 1, "values": {"x": "caf\xe9"}}',
}


@pytest.mark.parametrize("name", list(SETTINGS_CASES))
def test_a_damaged_settings_file_is_kept_aside_and_the_app_starts(name, app_paths,
                                                                  seeded_history):
    content = SETTINGS_CASES[name]
    app_paths.settings_file.write_bytes(content)
    outcome = run_cli(["history", "--limit", "5"])
    expect(outcome, "20250101-120000-aaaaaaaa", code=0)  # the history is listed as usual
    assert "unreadable" in outcome.err and ".corrupt" in outcome.err  # and the user is told
    aside = app_paths.settings_file.with_suffix(".json.corrupt")
    assert aside.read_bytes() == content  # nothing the user wrote is lost
    assert_nothing_lost(seeded_history)


@pytest.mark.parametrize("url, phrase", [
    (5, "must be text, not 5"),
    ("ftp://gpu-box", "is not an http(s) address"),
    ("", "The ComfyUI address is empty"),
    ([1, 2], "must be text, not [1, 2]"),
    ({"host": "gpu-box"}, "must be text"),
])
def test_a_setting_of_the_wrong_type(url, phrase, app_paths, seeded_history, tmp_path):
    from PIL import Image

    app_paths.settings_file.write_text(json.dumps(
        {"schema_version": 1, "values": {"server.url": url}}), encoding="utf-8")
    picture = tmp_path / "start.png"
    Image.new("RGB", (64, 64)).save(picture)
    expect(run_cli(["generate", picture]), phrase)
    assert_nothing_lost(seeded_history)


# -- the history database -------------------------------------------------------------------


def _checkpoint(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every row in the main file, still WAL
    conn.close()


def _fill(db: Path, rows: int = 200) -> None:
    from wan22_gui.core.history import HistoryStore, JobRecord

    store = HistoryStore(db)
    try:
        for i in range(rows):
            store.add(JobRecord(f"20250102-0000{i:02d}-{i:08x}", params={"prompt": "x" * 400}))
    finally:
        store.close()
    _checkpoint(db)


def test_a_corrupt_inner_page_is_reported_and_the_file_left_alone(app_paths):
    db = app_paths.history_db
    _fill(db)
    with db.open("r+b") as f:  # damage every page but the first (the schema stays readable)
        size = db.stat().st_size
        for page in range(2, size // 4096):
            f.seek(page * 4096 + 8)
            f.write(b"\xff" * 64)
    before = db.read_bytes()
    outcome = run_cli(["history"])
    expect(outcome, "is damaged", code=1)
    assert str(db) in outcome.err and ".recover" in outcome.err
    assert db.read_bytes() == before  # not moved, not rewritten: the user can still recover it


@pytest.mark.parametrize("content", [b"this is not a database" * 50, b"SQLite format 3\x00" +
                                     b"\xff" * 200], ids=["garbage", "bad_header"])
def test_a_database_that_is_not_sqlite_is_kept_aside(content, app_paths):
    db = app_paths.history_db
    db.write_bytes(content)
    outcome = run_cli(["history"])
    expect(outcome, "No jobs yet", code=0)
    assert "kept as" in outcome.err
    [aside] = db.parent.glob("history.sqlite3.corrupt-*")
    assert aside.read_bytes() == content


def test_a_zero_byte_database_starts_a_new_history(app_paths):
    app_paths.history_db.write_bytes(b"")
    expect(run_cli(["history"]), "No jobs yet", code=0)


def test_a_locked_database(app_paths, seeded_history, monkeypatch):
    from wan22_gui.core.history import HistoryStore

    monkeypatch.setattr(HistoryStore, "BUSY_TIMEOUT_S", 0.3)
    holder = sqlite3.connect(seeded_history.db, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        outcome = run_cli(["history"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    expect(outcome, "is locked by another program", code=1)
    assert_nothing_lost(seeded_history)


def test_a_folder_where_the_database_should_be(app_paths):
    app_paths.history_db.mkdir()
    outcome = run_cli(["history"])
    expect(outcome, "cannot be opened", code=1)
    assert app_paths.history_db.is_dir()


@ROOT_SKIP
def test_a_read_only_database(app_paths, seeded_history):
    seeded_history.db.chmod(0o444)
    seeded_history.db.parent.chmod(0o555)
    try:
        expect(run_cli(["history"]), "read-only", code=1)
    finally:
        seeded_history.db.parent.chmod(0o755)
        seeded_history.db.chmod(0o644)
    assert_nothing_lost(seeded_history)


# -- the app home ---------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["history"], ["presets"], ["interpolate", "--job", "x"],
                                  ["workflow", "calc", "--frames", "81"]])
def test_an_app_home_that_is_a_file(argv, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("WAN22_HOME", str(home))
    outcome = run_cli(argv)
    if argv[0] == "workflow":  # the calculator needs no app folders
        expect(outcome, "(81 frames) at 16 fps", code=0)
        return
    expect(outcome, "cannot create its folder", code=1)
    assert str(home) in outcome.err and "WAN22_HOME" in outcome.err
    assert home.read_text() == "not a folder"


@pytest.mark.parametrize("number, phrase", [(errno.ENOSPC, "the disk is full"),
                                            (errno.EACCES, "permission denied"),
                                            (errno.EROFS, "the disk is read-only"),
                                            (errno.EDQUOT, "quota")],
                         ids=["full", "no_permission", "read_only", "quota"])
def test_an_app_home_that_cannot_be_written(number, phrase, tmp_path, monkeypatch):
    monkeypatch.setenv("WAN22_HOME", str(tmp_path / "fresh_home"))
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if "fresh_home" in str(self):
            raise OSError(number, "simulated")
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    outcome = run_cli(["history"])
    expect(outcome, phrase, code=1)
    assert "cannot create its folder" in outcome.err


def test_settings_that_cannot_be_saved_keep_the_old_file(app_paths, monkeypatch):
    from wan22_gui.core.base.errors import StorageError
    from wan22_gui.core.base.settings import Settings

    app_paths.settings_file.write_text('{"schema_version": 1, "values": {"a": 1}}')
    settings = Settings.load(app_paths.settings_file)
    real_write = Path.write_text

    def full_disk(self, *args, **kwargs):
        if self.name.endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(StorageError, match="the disk is full"):
        settings.set("a", 2)
    monkeypatch.undo()
    assert json.loads(app_paths.settings_file.read_text())["values"] == {"a": 1}
    assert not list(app_paths.config_dir.glob("*.tmp"))


# -- paths given on the command line --------------------------------------------------------


@pytest.fixture
def clip(tmp_path) -> Path:
    from wan22_gui.core.video.testclip import write_test_clip

    return write_test_clip(tmp_path / "clip.mp4", frames=5, fps=16, size=(32, 32))


@pytest.mark.parametrize("dest, phrase", [
    ("in_the_way/cmp.mp4", "a file is in the way"),
    ("a_folder", "is a folder"),
], ids=["parent_is_a_file", "destination_is_a_folder"])
def test_interpolate_compare_into_a_place_that_cannot_take_it(dest, phrase, clip, tmp_path,
                                                              seeded_history, app_paths):
    (tmp_path / "in_the_way").write_text("a file")
    (tmp_path / "a_folder").mkdir()
    outcome = run_cli(["interpolate", clip, "--compare", tmp_path / dest, "--workers", "1"])
    expect(outcome, phrase, code=1)
    assert not list(app_paths.output_dir.rglob("*flow*"))  # refused before interpolating
    assert_nothing_lost(seeded_history)


@ROOT_SKIP
def test_interpolate_compare_into_a_read_only_folder(clip, tmp_path, seeded_history):
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        outcome = run_cli(["interpolate", clip, "--compare", folder / "cmp.mp4"])
    finally:
        folder.chmod(0o755)
    expect(outcome, "permission denied", code=1)
    assert_nothing_lost(seeded_history)


@pytest.mark.parametrize("make, phrase", [
    (lambda d: d / "missing.mp4", "Video not found"),
    (lambda d: (d / "folder.mp4").mkdir() or d / "folder.mp4", "folder"),
    (lambda d: (d / "empty.mp4").write_bytes(b"") and d / "empty.mp4" or d / "empty.mp4",
     "empty.mp4"),
    (lambda d: (d / "text.mp4").write_text("not a video") and d / "text.mp4", "text.mp4"),
], ids=["missing", "folder", "zero_bytes", "text"])
def test_interpolate_a_clip_that_is_not_one(make, phrase, tmp_path, seeded_history):
    expect(run_cli(["interpolate", make(tmp_path), "--workers", "1"]), phrase, code=1)
    assert_nothing_lost(seeded_history)


def test_concurrent_history_reader_while_a_case_fails(app_paths, seeded_history):
    """A second process-like reader (a thread) sees the history whole while a command fails."""
    from wan22_gui.core.history import HistoryStore

    seen: list[int] = []

    def reader() -> None:
        store = HistoryStore(seeded_history.db)
        try:
            seen.append(len(store.list()))
        finally:
            store.close()

    thread = threading.Thread(target=reader)
    thread.start()
    expect(run_cli(["interpolate", "--job", "nope"]), "History has no job", code=1)
    thread.join(10)
    assert seen == [2]
    assert_nothing_lost(seeded_history)
