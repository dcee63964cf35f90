"""The interpolation figures (warping error, flicker, PSNR/SSIM at the shared timestamps), the
export sidecar and the blind A/B tally, on synthetic clips whose true in-betweens are known."""

from __future__ import annotations

import csv
import json
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.interpolation.blind import BlindRound, BlindTally
from wan22_gui.core.interpolation.metrics import (
    FIGURE_NOTES, compare_metrics, metrics_table, shared_step, write_sidecar,
)
from wan22_gui.core.video.testclip import TestScene, write_test_clip
from wan22_gui.core.video.writer import ClipWriter

SIZE = (160, 96)
SPEED = 6.0  # fast enough that a cross-fade leaves visible double edges


def _clip(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    with ClipWriter(path, fps, SIZE) as out:
        for frame in frames:
            out.write(frame)
    return path


@pytest.fixture
def clips(tmp_path):
    """A source at 8 fps, its true ×2 (the scene at half steps), a ×2 whose in-betweens are
    cross-fades of their neighbours (ghosting), and a ×2 whose in-betweens pump the
    brightness (flicker)."""
    scene = TestScene(*SIZE, speed=SPEED)
    source = write_test_clip(tmp_path / "source.mp4", frames=9, fps=8, size=SIZE, speed=SPEED)
    truth = [scene.frame(i / 2) for i in range(17)]
    ghosted = [scene.frame(i / 2) if i % 2 == 0 else
               ((scene.frame(i // 2).astype(np.uint16) + scene.frame(i // 2 + 1)) // 2).astype(np.uint8)
               for i in range(17)]
    pumped = [f if i % 2 == 0 else np.clip(f.astype(int) + 40, 0, 255).astype(np.uint8)
              for i, f in enumerate(truth)]
    return {
        "source": source,
        "good": _clip(tmp_path / "good_x2.mp4", truth, 16),
        "ghosted": _clip(tmp_path / "ghosted_x2.mp4", ghosted, 16),
        "pumped": _clip(tmp_path / "pumped_x2.mp4", pumped, 16),
    }


def test_the_figures_rank_a_true_interpolation_above_judder_and_flicker(clips):
    rows = compare_metrics([(clips["source"], "Source"), (clips["good"], "Good"),
                            (clips["ghosted"], "Ghosted"), (clips["pumped"], "Pumped")])
    source, good, ghosted, pumped = rows
    assert source.reference and source.psnr is None and source.ssim is None
    # the kept frames of every ×2 are the source's: compared at 9 shared timestamps
    assert good.compared_frames == ghosted.compared_frames == 9
    assert good.psnr > 30 and good.ssim > 0.95
    # brightness pumping shows as flicker, well above the steady clip
    assert pumped.flicker > 10 * good.flicker
    assert pumped.flicker > 15
    # double edges that no motion explains: the warping error sees them
    assert ghosted.warp_error > 1.5 * good.warp_error
    assert good.frames == 17 and good.fps == 16


def test_the_shared_timestamps_follow_the_frame_rates():
    assert shared_step(16, 32) == 2
    assert shared_step(16, 48) == 3
    assert shared_step(16, 16) == 1
    assert shared_step(16, 24) == Fraction(3, 2)
    assert shared_step(16, 16 * 1.234567) is None


def test_the_table_names_every_figure_and_says_what_it_means(clips):
    rows = compare_metrics([(clips["source"], "Source"), (clips["good"], "RIFE ×2")])
    text = metrics_table(rows)
    assert "1. Source" in text and "2. RIFE ×2" in text and "reference" in text
    assert "dB" in text
    for note in FIGURE_NOTES.values():
        assert note in text


def test_the_sidecar_holds_the_figures_and_the_tally(clips, tmp_path):
    rows = compare_metrics([(clips["source"], "Source"), (clips["good"], "Good")])
    video = tmp_path / "compare_source.mp4"
    json_path, csv_path = write_sidecar(video, rows, blind_tally=[{"clips": ["a", "b"], "wins": [2, 1], "same": 0}])
    assert json_path.name == "compare_source.metrics.json"
    data = json.loads(json_path.read_text())
    assert [c["title"] for c in data["clips"]] == ["Source", "Good"]
    assert data["clips"][1]["psnr"] == pytest.approx(rows[1].psnr)
    assert data["blind_ab"][0]["wins"] == [2, 1]
    with csv_path.open() as handle:
        table = list(csv.DictReader(handle))
    assert table[0]["psnr"] == "" and float(table[1]["psnr"]) == pytest.approx(rows[1].psnr, rel=1e-4)


def test_a_missing_clip_is_named(clips, tmp_path):
    with pytest.raises(InputError) as err:
        compare_metrics([(clips["source"], "Source"), (tmp_path / "gone.mp4", "Gone")])
    assert "gone.mp4" in str(err.value)


def test_blind_verdicts_count_for_the_clip_that_was_picked_whatever_its_letter(tmp_path):
    tally = BlindTally.in_folder(tmp_path)
    rife, film = tmp_path / "rife.mp4", tmp_path / "film.mp4"
    letters = set()
    for seed in range(6):
        round_ = BlindRound.draw(rife, film, random.Random(seed))
        letters.add(round_.shown[0])
        pick = "a" if round_.shown[0] == str(rife) else "b"  # the user always prefers RIFE
        result = tally.record(round_, pick)
    assert letters == {str(rife), str(film)}  # both were shown as A at some point
    tally.record(BlindRound.draw(rife, film, random.Random(1)), "same")
    again = BlindTally.in_folder(tmp_path).tally(film, rife)  # stored; order of asking is free
    assert again == result.__class__(result.clips, result.wins, 1)
    assert again.wins_of(rife) == 6 and again.wins_of(film) == 0 and again.rounds == 7
    assert "rife.mp4 6" in again.text() and "same 1" in again.text()


def test_a_damaged_tally_file_is_kept_aside_and_counting_goes_on(tmp_path):
    (tmp_path / "blind_ab.json").write_text("{not json")
    tally = BlindTally.in_folder(tmp_path)
    result = tally.record(BlindRound(("x.mp4", "y.mp4")), "b")
    assert result.wins_of("y.mp4") == 1
    assert (tmp_path / "blind_ab.json.corrupt").read_text() == "{not json"
    with pytest.raises(InputError):
        tally.record(BlindRound(("x.mp4", "y.mp4")), "left")
