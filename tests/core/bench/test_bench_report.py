"""The HTML report: its structure, escaping of every user string, playable clips with posters,
statistics and reference figures; and, where Chromium is installed, that it really renders."""

from __future__ import annotations

import csv
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.core.bench.test_bench_runner import FakeServer, ScriptedCells
from wan22_gui.core.bench.csv_out import column_names
from wan22_gui.core.bench.outputs import gpu_from_environment, write_outputs
from wan22_gui.core.bench.recommend import gpu_tier
from wan22_gui.core.bench.reference import SEED_FIGURES, verdict
from wan22_gui.core.bench.runner import BenchmarkRunner
from wan22_gui.core.bench.spec import parse_spec_text
from wan22_gui.core.bench.stats import describe
from wan22_gui.core.base.errors import InputError

EVIL_CONFIG = '<script>alert("cfg")</script>'
EVIL_IMAGE = '"><img src=x onerror=alert(1)>.png'

SPEC = f"""
name = "report <b>test</b> & co"
description = "desc <iframe src=x></iframe>"
images = ["plain.png", {EVIL_IMAGE!r}]
resolutions = ["832x1216"]
frames = [25, 49, 81]
repeats = 2
[[configs]]
name = '{EVIL_CONFIG}'
[[configs]]
name = "base"
lora = false
"""


class Page(HTMLParser):
    """Collects tags, attributes and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture
def bench_dir(tmp_path) -> Path:
    import cv2
    import numpy as np

    for name in ("plain.png", EVIL_IMAGE):
        ok, data = cv2.imencode(".png", np.full((32, 32, 3), 128, np.uint8))
        (tmp_path / name).write_bytes(data.tobytes())
    spec = parse_spec_text(SPEC, base_dir=tmp_path, source=tmp_path / "spec.toml")

    def script(request, index):
        cell = request.cell
        if cell.config.name == "base" and cell.frames == 81:
            return "oom"
        if cell.config.name == "base" and cell.frames == 49 and cell.image.name == "plain.png":
            return "error"
        return "succeeded"

    out = tmp_path / "out"
    summary = BenchmarkRunner(spec, out, ScriptedCells(script), FakeServer()).run()
    assert summary.report_path == out / "report.html"
    return out


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_report_escapes_every_user_string(bench_dir):
    html = (bench_dir / "report.html").read_text(encoding="utf-8")
    page = parse(bench_dir / "report.html")
    assert not page.all("script") and not page.all("iframe")
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    assert [a for a in page.all("img")] == []
    text = "".join(page.text)
    assert EVIL_CONFIG in text and EVIL_IMAGE in text  # shown as text, not run
    assert "report <b>test</b> & co" in text
    assert "<header too small>" in text  # error messages from the server, escaped too
    assert "<script>" not in html and "<b>test" not in html


def test_report_structure_clips_and_figures(bench_dir):
    page = parse(bench_dir / "report.html")
    ids = {attrs.get("id") for _, attrs in page.tags if attrs.get("id")}
    assert {"summary", "charts", "clips", "reference", "recommendations", "failures",
            "environment", "csv-columns"} <= ids
    assert len(page.all("svg")) == 3
    videos = page.all("video")
    assert len(videos) == 9  # every cell with a success: 6 + 2 (25 f) + 1 (49 f) of 12
    for video in videos:
        assert "controls" in video
        src, poster = video["src"], video["poster"]
        assert not Path(src).is_absolute() and (bench_dir / src).is_file()
        assert poster.endswith(".jpg") and (bench_dir / poster).stat().st_size > 500
    text = " ".join(page.text)
    assert "RTX 5090" in text and "67–83 s" in text and "595 s" in text and "< 300 s" in text
    assert ("«base» at 832×1216: largest safe frame count in this matrix is 25; 81 frames ran "
            "out of memory") in text
    assert "32 GB class" in text
    for column in column_names():
        assert column in text


def test_summary_median_and_spread_leave_out_warmups(bench_dir):
    rows = list(csv.DictReader(open(bench_dir / "results.csv", encoding="utf-8")))
    warm = [r for r in rows if r["warmup"] == "1"]
    assert warm and all(float(r["model_load_s"]) == 30.0 for r in warm)
    measured = [r for r in rows if r["warmup"] == "0" and r["status"] == "succeeded"]
    assert all(float(r["model_load_s"]) == 0.5 for r in measured)
    html = (bench_dir / "report.html").read_text(encoding="utf-8")
    states = {s: html.count(f'class="st-{s}"') for s in ("ok", "oom", "failed", "partial")}
    assert states == {"ok": 9, "oom": 2, "failed": 1, "partial": 0}


def test_describe_statistics():
    s = describe([10.0, 12.0, 11.0, 30.0, None])
    assert (s.n, s.median, s.minimum, s.maximum) == (4, 11.5, 10.0, 30.0)
    assert round(s.q3 - s.q1, 2) == 5.75 and s.cv > 0.4
    assert describe([]) is None and describe([5.0]).stdev == 0.0


def test_reference_verdicts_and_tiers():
    target_161 = next(f for f in SEED_FIGURES if f.frames == 161)
    assert verdict(target_161, 290) == "meets the target"
    assert verdict(target_161, 310) == "misses the target"
    per_pass = SEED_FIGURES[0]
    assert (verdict(per_pass, 50), verdict(per_pass, 70), verdict(per_pass, 90)) == (
        "faster than the reference", "within the reference range", "slower than the reference")
    assert "4090" in gpu_tier(24 * 1024**3) and "5090" in gpu_tier(32 * 1024**3)
    assert "H100" in gpu_tier(80 * 1024**3) and gpu_tier(None) is None
    assert "H200" in gpu_tier(150_754_820_096)  # what NVML reports on an H200


def test_gpu_found_in_either_snapshot_shape():
    stats = {"devices": [{"name": "cuda:0 NVIDIA H100 80GB HBM3 : cudaMallocAsync",
                          "vram_total": 85e9}]}
    assert gpu_from_environment({"servers": {"x": stats}}) == ("NVIDIA H100 80GB HBM3", 85e9)
    assert gpu_from_environment({"gpus": [{"name": "RTX 4090", "vram_total": 1}]})[0] == "RTX 4090"
    assert gpu_from_environment({}) == ("", None)


def test_report_of_an_empty_folder_says_what_to_do(tmp_path):
    with pytest.raises(InputError, match="No benchmark results"):
        write_outputs(tmp_path)


def chromium_screenshot_ok(report: Path, shot: Path) -> bool:
    """Render `report` in headless Chromium and check the screenshot is a page, not a blank."""
    from PIL import Image, ImageStat

    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={shot.parent / 'chromium-profile'}",
         f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri()],
        capture_output=True, timeout=120, check=False,
    )
    assert shot.is_file(), "chromium wrote no screenshot"
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is None or len(colors) > 200  # text, tables, charts: far from blank
    assert max(ImageStat.Stat(image).stddev) > 20
    top = image.crop((0, 0, 1280, 60)).convert("L")
    assert top.getextrema()[0] < 100  # the dark title text is drawn at the top
    return True


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed")
def test_report_renders_in_headless_chromium(bench_dir, tmp_path):
    assert chromium_screenshot_ok(bench_dir / "report.html", tmp_path / "shot.png")
