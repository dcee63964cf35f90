"""`wan22 history delete`: the gallery's delete from the terminal (to the system trash)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wan22_gui.cli.main import main
from wan22_gui.app import App
from wan22_gui.core.history import JobRecord
from wan22_gui.core.video.testclip import write_test_clip


def _jobs(app_paths, folder: Path) -> tuple[Path, Path]:
    clip = write_test_clip(folder / "gen.mp4", frames=5, fps=16, size=(32, 32))
    x2 = write_test_clip(folder / "gen_x2.mp4", frames=9, fps=32, size=(32, 32))
    core = App.build(app_paths, history=True)
    core.history.add(JobRecord(job_id="gen1", status="succeeded", outputs=[str(clip)]))
    core.history.add(JobRecord(job_id="int1", kind="interpolate", status="succeeded",
                               parent_id="gen1", outputs=[str(x2)]))
    core.close()
    return clip, x2


def _deleted(app_paths, job_id: str) -> bool:
    core = App.build(app_paths, history=True)
    try:
        return core.history.get(job_id).deleted
    finally:
        core.close()


def test_delete_trashes_the_outputs_and_hides_the_jobs(app_paths, capsys, tmp_path, monkeypatch):
    clip, x2 = _jobs(app_paths, tmp_path / "videos")
    trashed = []
    monkeypatch.setattr("wan22_gui.core.gallery.trash.system_trash", trashed.append)
    assert main(["history", "delete", "gen1"]) == 0
    assert "Moved 2 file(s) to the trash" in capsys.readouterr().out
    assert trashed == [clip, x2]
    assert _deleted(app_paths, "gen1") and _deleted(app_paths, "int1")
    assert main(["history", "--json"]) == 0
    assert "gen1" not in capsys.readouterr().out


def test_an_unknown_job_is_a_message_and_deletes_nothing(app_paths, capsys, tmp_path):
    clip, _ = _jobs(app_paths, tmp_path / "videos")
    assert main(["history", "delete", "gen1", "nope"]) == 1
    assert "no job nope" in capsys.readouterr().err
    assert clip.exists() and not _deleted(app_paths, "gen1")


def test_a_file_that_cannot_be_trashed_is_named(app_paths, capsys, tmp_path, monkeypatch):
    clip, _ = _jobs(app_paths, tmp_path / "videos")

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("wan22_gui.core.gallery.trash.system_trash", refuse)
    assert main(["history", "delete", "gen1"]) == 1
    err = capsys.readouterr().err
    assert "gen.mp4 (Permission denied)" in err and "Traceback" not in err
    assert clip.exists() and not _deleted(app_paths, "gen1")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the freedesktop trash")
def test_the_real_trash_is_the_freedesktop_one(app_paths, tmp_path):
    clip, x2 = _jobs(app_paths, tmp_path / "videos")
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}  # the trash is in tmp
    done = subprocess.run([sys.executable, "-m", "wan22_gui.cli.main", "history", "delete", "gen1"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    files = tmp_path / "xdg" / "Trash" / "files"
    assert sorted(p.name for p in files.iterdir()) == ["gen.mp4", "gen_x2.mp4"]
    assert not clip.exists() and not x2.exists()
    assert (tmp_path / "xdg" / "Trash" / "info" / "gen.mp4.trashinfo").exists()
