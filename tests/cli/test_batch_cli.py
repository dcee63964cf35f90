"""`wan22 batch` end to end on the stand-in: a folder of images runs as jobs on the app's
queue, with a contact sheet; bad folders, CSVs and sweeps are messages and non-zero exits."""

from __future__ import annotations

import json

import cv2
import pytest
from PIL import Image

from wan22_gui.cli.main import main


@pytest.fixture
def shots(tmp_path):
    folder = tmp_path / "shots"
    folder.mkdir()
    Image.new("RGB", (640, 448), (20, 90, 140)).save(folder / "harbour.png")
    Image.new("RGB", (448, 640), (140, 90, 20)).save(folder / "tower.jpg")
    (folder / "tower.txt").write_text("the tower's light turns")
    return folder


def test_a_folder_runs_as_a_batch_with_a_sweep_and_a_contact_sheet(
        standin_with_models, shots, capsys, app_paths):
    code = main(["batch", str(shots), "--prompt", "waves roll in", "--frames", "17",
                 "--width", "320", "--height", "224", "--seeds", "fixed", "--seed", "5",
                 "--sweep", "shift=5,8", "--server", standin_with_models.url])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    batch_id = out.splitlines()[0].split(":")[0]
    assert f"{batch_id}: 4 job(s)" in out and "queued 4 job(s)" in out
    assert out.count("succeeded:") == 4
    sheet = app_paths.output_dir / "batches" / f"{batch_id}_contact.png"
    assert f"contact sheet: {sheet}" in out and cv2.imread(str(sheet)).shape[1] == 2 * 256
    assert main(["history", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    batch_rows = [r for r in rows if (r.get("label") or "").startswith(f"Batch {batch_id}")]
    assert len(batch_rows) == 4 and all(r["status"] == "succeeded" for r in batch_rows)
    prompts = {r["params"]["prompt"] for r in batch_rows}
    assert prompts == {"waves roll in", "the tower's light turns"}  # the sidecar won for tower
    assert {r["params"]["shift"] for r in batch_rows} == {5.0, 8.0}
    assert {r["params"]["seed"] for r in batch_rows} == {5}
    sheet.unlink()
    assert main(["batch", "--contact-sheet", batch_id]) == 0
    assert sheet.is_file()


def test_dry_run_prints_the_plan_and_queues_nothing(shots, capsys, app_paths):
    code = main(["batch", str(shots), "--frames", "17", "--sweep", "split=2/2,3/1", "seed=1,2",
                 "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "8 job(s)" in out and "harbour.png · seed 2 · split 3/1" in out
    assert not (app_paths.data_dir / "batches").exists()


@pytest.mark.parametrize("make, args, words", [
    (lambda d: d.mkdir(), [], "is empty"),
    (lambda d: (d.mkdir(), (d / "a.txt").write_text("x")), [], "has no images"),
    (lambda d: None, [], "does not exist"),
    (lambda d: d.mkdir(), ["--sweep", "split=2"], "not all valid split"),
    (lambda d: d.mkdir(), ["--seed", "3"], "--seeds fixed"),
])
def test_bad_input_is_a_message_and_a_non_zero_exit(tmp_path, capsys, make, args, words):
    folder = tmp_path / "in"
    make(folder)
    if "--sweep" in args or "--seed" in args:
        Image.new("RGB", (64, 64)).save(folder / "x.png")
    assert main(["batch", str(folder), *args]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_a_csv_naming_missing_images_is_refused(shots, tmp_path, capsys):
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("image,prompt\nharbour.png,ok\nlost.png,where\n")
    assert main(["batch", str(shots), "--prompts-csv", str(csv_path), "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert "lost.png" in err and "not in" in err


def test_no_server_keeps_the_jobs_queued_and_says_so(shots, capsys):
    code = main(["batch", str(shots), "--frames", "17", "--server", "http://127.0.0.1:9"])
    out, err = capsys.readouterr()
    assert code == 3
    assert "queued 2 job(s)" in out and "no ComfyUI answers" in err
