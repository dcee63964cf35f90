"""`wan22 generate --extend` against the stand-in: the next part starts from the clip's last
frames, and the parts come back joined into one clip with the right length."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from wan22_gui.cli.main import main
from wan22_gui.core.video.reader import probe, read_frames

DEAD_URL = "http://127.0.0.1:9"


@pytest.fixture
def first_clip(standin_with_models, tmp_path, capsys):
    picture = tmp_path / "harbour.jpg"
    Image.new("RGB", (320, 224), (20, 90, 140)).save(picture)
    code = main(["generate", str(picture), "--frames", "17", "--width", "320", "--height", "224",
                 "--server", standin_with_models.url, "--seed", "1", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert main(["history", "--json", "--limit", "1"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    return row["job_id"], Path(out.strip())


def _last_row(capsys):
    assert main(["history", "--json", "--limit", "1"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    return row


def test_extend_a_history_clip_joins_the_parts_into_one_clip(standin_with_models, first_clip,
                                                             capsys):
    parent_id, clip = first_clip
    code = main(["generate", "--extend", parent_id, "--overlap", "5", "--frames", "21",
                 "--color-match", "--server", standin_with_models.url, "--seed", "2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    joined, part = map(Path, out.strip().splitlines())  # the joined clip first, then the part
    assert joined.is_file() and part.is_file() and clip.is_file()  # every part is kept
    assert sum(1 for _ in read_frames(joined)) == 17 + 21 - 5
    assert (probe(joined).width, probe(joined).height) == (320, 224)
    row = _last_row(capsys)
    assert row["parent_id"] == parent_id and row["outputs"] == [str(joined)]  # one clip
    assert row["params"]["extend_parts"] == [str(clip), str(part)]
    assert row["params"]["extend_frames"]["joined"] == 33
    # The upload is the clip's last 5 frames as one multi-frame picture, fed to WanImageToVideo.
    [load] = [n for n in row["graph"].values() if n["class_type"] == "LoadImage"]
    assert load["inputs"]["image"].endswith("_last5.png")
    latent = next(n for n in row["graph"].values() if n["class_type"] == "WanImageToVideo")
    assert latent["inputs"]["length"] == 21


def test_extend_a_clip_file_with_one_frame_overlap(standin_with_models, first_clip, capsys):
    _, clip = first_clip
    code = main(["generate", "--extend", str(clip), "--frames", "9", "--quiet",
                 "--server", standin_with_models.url])
    out, err = capsys.readouterr()
    assert code == 0, err
    joined = Path(out.strip().splitlines()[0])
    assert sum(1 for _ in read_frames(joined)) == 17 + 9 - 1
    assert _last_row(capsys)["parent_id"] is None  # a file, not a history row


@pytest.mark.parametrize("args, words", [
    (["--extend", "no-such-job"], "neither a clip nor a job"),
    (["--overlap", "5"], "only apply with --extend"),
    ([], "--extend CLIP"),
])
def test_extend_mistakes_are_usage_errors(args, words, capsys):
    assert main(["generate", *args, "--server", DEAD_URL]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_an_overlap_that_is_not_4k_plus_1_is_refused(first_clip, capsys):
    _, clip = first_clip
    assert main(["generate", "--extend", str(clip), "--overlap", "4", "--server", DEAD_URL]) == 2
    assert "4k+1" in capsys.readouterr().err


def test_a_join_that_fails_keeps_the_new_part_and_says_so(standin_with_models, first_clip,
                                                          capsys, monkeypatch):
    from wan22_gui.core.base.errors import Wan22Error

    def full_disk(*_args, **_kw):
        raise Wan22Error("Cannot write video x_joined.mp4 (320×224) (No space left on device).",
                         "Free some space.")

    monkeypatch.setattr("wan22_gui.core.jobs.extend.join_clips", full_disk)
    _, clip = first_clip
    code = main(["generate", "--extend", str(clip), "--frames", "9", "--quiet",
                 "--server", standin_with_models.url])
    out, err = capsys.readouterr()
    assert code == 1
    [part] = map(Path, out.strip().splitlines())
    assert part.is_file() and clip.is_file()  # nothing the user made is lost
    assert "new part was saved" in err and "No space left" in err and "Free some space" in err
    row = _last_row(capsys)
    assert row["status"] == "failed" and row["outputs"] == [str(part)]
