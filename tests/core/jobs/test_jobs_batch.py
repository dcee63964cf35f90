"""Batch from a folder: images → jobs with prompts per image, seed policies and a sweep grid;
bad folders, CSVs and sweeps are refused with words; the contact sheet of results."""

from __future__ import annotations

import json
import random

import cv2
import pytest
from PIL import Image

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.history import HistoryStore, JobRecord
from wan22_gui.core.jobs import batch
from wan22_gui.core.video.testclip import write_test_clip


@pytest.fixture
def folder(tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    Image.new("RGB", (640, 480), (200, 10, 10)).save(shots / "a.png")
    Image.new("RGB", (480, 640), (10, 200, 10)).save(shots / "b.jpg")
    (shots / "b.txt").write_text("a bird takes off\n")
    (shots / "notes.md").write_text("not an image")
    return shots


def test_every_image_becomes_a_job_with_its_sidecar_prompt_and_its_own_shape(folder):
    entries = batch.with_sidecars(batch.images_in(folder))
    plan = batch.plan_batch(entries, batch.BatchSettings(prompt="slow push in", frames=17,
                                                         seed_policy="increment", seed=100))
    specs = [item.spec for item in plan.items]
    assert [p.split("/")[-1] for p in (s.image for s in specs)] == ["a.png", "b.jpg"]
    assert [s.prompt for s in specs] == ["slow push in", "a bird takes off"]
    assert [s.seed for s in specs] == [100, 101]
    assert (specs[0].width, specs[0].height) == (832, 624) and specs[1].width < specs[1].height
    assert plan.items[1].label == f"Batch {plan.batch_id}: b.jpg · seed 101"


def test_a_sweep_builds_the_grid_of_jobs_per_image(folder):
    sweep = batch.parse_sweep(["shift=5,8", "split=2/2,3/1"])
    plan = batch.plan_batch(batch.with_sidecars(batch.images_in(folder)),
                            batch.BatchSettings(frames=17, seed_policy="fixed", seed=7, sweep=sweep))
    assert len(plan.items) == 2 * 2 * 2
    cells = {(i.values["image"], i.spec.shift, i.spec.steps, i.spec.split_step) for i in plan.items}
    assert ("a.png", 8.0, 4, 3) in cells and ("b.jpg", 5.0, 4, 2) in cells and len(cells) == 8
    assert {i.spec.seed for i in plan.items} == {7}
    assert "shift 8 · split 3/1" in plan.items[3].label


def test_random_seeds_differ_per_job(folder):
    plan = batch.plan_batch(batch.with_sidecars(batch.images_in(folder)),
                            batch.BatchSettings(frames=17, sweep=batch.parse_sweep(["shift=5,6"])),
                            rng=random.Random(3))
    assert len({i.spec.seed for i in plan.items}) == 4


def test_a_csv_gives_prompts_negatives_and_seeds_per_image(folder, tmp_path):
    csv_path = tmp_path / "prompts.csv"
    csv_path.write_text("image,prompt,negative,seed\nb.jpg,\"wings, spread\",blurry,42\na.png,a red glow,,\n")
    entries = batch.read_prompt_csv(csv_path, base=folder)
    plan = batch.plan_batch(entries, batch.BatchSettings(frames=17, seed_policy="fixed", seed=1))
    first, second = (i.spec for i in plan.items)
    assert first.image.endswith("b.jpg") and first.prompt == "wings, spread"
    assert first.negative_prompt == "blurry" and first.seed == 42
    assert second.prompt == "a red glow" and second.seed == 1


@pytest.mark.parametrize("content, words", [
    ("image,prompt\nmissing.png,x\ngone.jpg,y\n", "2 image(s) that are not in"),
    ("image,prompt\n", "has no rows"),
    ("a.png\n", "needs at least image,prompt"),
    ("a.png,x,,seven\n", "seed 'seven'"),
])
def test_a_bad_csv_is_refused_with_what_is_wrong(folder, tmp_path, content, words):
    csv_path = tmp_path / "p.csv"
    csv_path.write_text(content)
    with pytest.raises(InputError) as err:
        batch.read_prompt_csv(csv_path, base=folder)
    assert words in str(err.value)


def test_empty_folders_and_folders_without_images_are_refused(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="is empty"):
        batch.images_in(empty)
    (empty / "readme.txt").write_text("x")
    with pytest.raises(InputError, match="has no images"):
        batch.images_in(empty)
    with pytest.raises(InputError, match="is not a folder"):
        batch.images_in(tmp_path / "nope")


@pytest.mark.parametrize("words, message", [
    (["shift"], "not understood"),
    (["steps=4"], "not understood"),
    (["split=2-2"], "not all valid split"),
    (["split=0/4"], "not all valid split"),
    (["shift=abc"], "not all valid shift"),
    (["shift=5", "shift=8"], "twice"),
    (["seed=-1"], "not all valid seed"),
])
def test_a_malformed_sweep_is_refused(words, message):
    with pytest.raises(InputError, match=message):
        batch.parse_sweep(words)


def test_a_sweep_too_large_is_refused_before_anything_is_queued(folder):
    sweep = batch.parse_sweep(["seed=" + ",".join(str(i) for i in range(600))])
    with pytest.raises(InputError, match="1200 jobs"):
        batch.plan_batch(batch.with_sidecars(batch.images_in(folder)),
                         batch.BatchSettings(frames=17, sweep=sweep))


class ListQueue:
    def __init__(self, store):
        self.store = store

    def add(self, spec, label=None):
        record = JobRecord(job_id=f"job{len(self.store.list())}", params=spec.to_dict(),
                           status="pending", label=label)
        self.store.add(record)
        return record


def test_the_contact_sheet_shows_each_result_and_marks_the_failed(folder, tmp_path):
    store = HistoryStore(tmp_path / "h.sqlite3")
    try:
        plan = batch.plan_batch(batch.with_sidecars(batch.images_in(folder)),
                                batch.BatchSettings(frames=17, seed_policy="fixed", seed=3))
        ids = batch.queue_batch(plan, ListQueue(store), tmp_path / "data")
        clip = write_test_clip(tmp_path / "a.mp4", frames=5, fps=16, size=(208, 160))
        store.update(ids[0], status="succeeded", outputs=[str(clip)])
        store.update(ids[1], status="failed")
        manifest = batch.load_manifest(tmp_path / "data", plan.batch_id)
        assert [j["job_id"] for j in manifest["jobs"]] == ids
        sheet = batch.write_contact_sheet(manifest, store, tmp_path / "sheet.png")
        picture = cv2.imread(str(sheet))
        assert picture is not None and picture.shape[1] == 2 * 256
        # the first cell shows the clip's first frame (not the grey of a failed one)
        assert picture[60:100, 20:200].std() > 20
        assert abs(float(picture[60:100, 256 + 20:256 + 200].mean()) - 70) < 15
    finally:
        store.close()
    with pytest.raises(InputError, match="no batch"):
        batch.load_manifest(tmp_path / "data", "batch-nope")
    assert json.loads(batch.manifest_path(tmp_path / "data", plan.batch_id).read_text())["batch_id"]


def test_the_forms_job_is_the_base_of_every_batch_job(folder):
    from wan22_gui.core.workflow.spec import JobSpec

    base = JobSpec(image="", prompt="form prompt", width=480, height=320, frames=33,
                   use_lora=False, cfg=4.5, steps=20, split_step=10, interpolation="rife")
    plan = batch.plan_batch(batch.with_sidecars(batch.images_in(folder)),
                            batch.BatchSettings(prompt="form prompt", base=base, max_side=480,
                                                sweep=batch.parse_sweep(["split=12/8"])))
    first, second = (i.spec for i in plan.items)
    assert (first.frames, first.use_lora, first.cfg, first.interpolation) == (33, False, 4.5, "rife")
    assert (first.steps, first.split_step) == (20, 12)  # the sweep's split wins
    assert first.width == 480 and second.height == 480  # fitted per image, the form's longest side
    assert first.prompt == "form prompt" and second.prompt == "a bird takes off"


def test_the_batch_estimate_adds_up_its_jobs_from_the_history(folder):
    from tests.core.workflow.test_calculator_estimate import _row
    from wan22_gui.core.workflow.estimate import estimate

    rows = [_row(w, h, n) for w, h, n in ((640, 640, 81), (832, 480, 49), (480, 480, 25),
                                          (1024, 576, 81))]
    plan = batch.plan_batch(batch.with_sidecars(batch.images_in(folder)),
                            batch.BatchSettings(frames=17, sweep=batch.parse_sweep(["shift=5,8"])))
    seconds, known = batch.batch_estimate(plan, rows)
    one = [estimate(rows, i.spec.width, i.spec.height, 17).seconds for i in plan.items]
    assert known == 4 and seconds == pytest.approx(sum(one))
    assert batch.estimate_words(plan, seconds, known).endswith("for the 4 jobs")
    assert "no estimate yet" in batch.estimate_words(plan, *batch.batch_estimate(plan, []))
