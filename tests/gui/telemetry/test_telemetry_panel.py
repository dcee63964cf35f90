"""The Live GPU panel, driven by a fake NVML through a scripted Wan 2.2 job."""

from __future__ import annotations

import csv
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QFontMetrics, QImage
from PySide6.QtWidgets import QApplication

from tests.core.launcher_helpers import free_port
from tests.core.telemetry_helpers import (
    WALL_OFFSET, WAN_JOB_EVENTS, FakeTime, make_sampler, play_wan_job, wan_job_gpu, wan_ram,
)
from tests.fakes.fake_nvml import GPU_IS_LOST, h100, library_not_found, make_nvml, rtx_4090
from wan22_gui.app import App, Given
from wan22_gui.core.comfy.connection import ServerInfo
from wan22_gui.core.comfy.health import LOST, Health
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.telemetry.panel import SAMPLER_START_MS, TelemetryPanel
from wan22_gui.gui.tasks import TaskRunner

GIB = 1024**3
DOCS_IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"


@pytest.fixture
def make_panel(qtbot, app_paths):
    """Build a panel over a given sampler; everything is shut down after the test."""
    made = []

    def build(sampler, *, autostart=False):
        core = App.for_gui(app_paths, given=Given(sampler=sampler))
        ctx = AppContext(app=core, tasks=TaskRunner())
        panel = TelemetryPanel(ctx, autostart=autostart)
        qtbot.addWidget(panel)
        panel.resize(1400, 430)
        panel.show()
        made.append((panel, ctx, core))
        return panel

    yield build
    for panel, ctx, core in made:
        panel.shutdown()
        ctx.tasks.shutdown()
        core.close()


def watch_wan_job(make_panel, until: float):
    """A panel that watched a Wan job up to `until` s (10 Hz, fake clock); returns it and t0."""
    time_ = FakeTime()
    start = time_.now + 15
    sampler = make_sampler(make_nvml(wan_job_gpu(time_, start)), time_,
                           ram_reader=wan_ram(time_, start))
    panel = make_panel(sampler)
    panel.ctx.app.connection.set(ServerInfo(f"http://127.0.0.1:{free_port()}", "launched", 4242, 4.0))
    def live(event):  # as in the app: the panel repaints while the job goes on
        panel.add_phase_event(event)
        panel.refresh()
        QApplication.processEvents()

    play_wan_job(sampler, time_, start, live, until=until)
    panel.refresh()
    return panel, start + WALL_OFFSET


@pytest.fixture
def job_panel(make_panel):
    """A panel that has watched a whole Wan job (200 s)."""
    return watch_wan_job(make_panel, until=200)


def x_of(panel, seconds_into_job, job_t0):
    return panel.graph.buffer.x_of(job_t0 + seconds_into_job)


def test_phases_are_drawn_as_bands_in_job_order(job_panel, qtbot):
    panel, t0 = job_panel
    spans = panel.graph.phases.spans
    expected = [p for _o, p, state in WAN_JOB_EVENTS if state == "start"]
    assert [s.phase for s in spans] == expected
    assert all(s.end is not None for s in spans), "every phase was closed"
    decode = next(s for s in spans if s.phase == "vae_decode")
    assert (decode.start, decode.end) == (t0 + 150, t0 + 166)
    # the band behind the memory curve covers exactly the VAE decode, in its colour
    panel.window_box.setCurrentIndex(0)  # paint the last minute first ...
    panel.refresh()
    panel.graph.canvas.grab()
    panel.window_box.setCurrentIndex(3)  # ... then the whole job: every band must follow
    panel.refresh()
    memory_bands = panel.graph.overlay.items[1][1]
    assert memory_bands.parentItem() is not None, "the bands are in the memory plot"
    extents = [(x0, x1) for x0, x1, _color in memory_bands.bands]
    assert (x_of(panel, 150, t0), x_of(panel, 166, t0)) in extents
    colors = {color.name() for _x0, _x1, color in memory_bands.bands}
    assert len(colors) == len({s.phase for s in spans}), "one colour per phase"
    kinds = [m.kind for m in panel.graph.phases.marks]
    assert kinds == ["job_start", "job_end"]
    assert [text for _x, _c, text, _strong in memory_bands.marks] == ["start", "end"]
    assert band_pixel(panel, x_of(panel, 158, t0), 3.0) == tinted("vae_decode"), "painted"
    assert band_pixel(panel, x_of(panel, 50, t0), 3.0) == tinted("high_noise")
    titles = [label for span, label in panel.graph.overlay._titles if label.isVisible()]
    assert {"High-noise pass", "Low-noise pass", "VAE decode"} <= {t.textItem.toPlainText() for t in titles}


def band_pixel(panel, x: float, gib: float) -> str:
    """The colour on screen at plot position (x, gib) of the memory plot."""
    from PySide6.QtCore import QPointF

    canvas = panel.graph.canvas
    scene_point = panel.graph.plots["memory"].getViewBox().mapViewToScene(QPointF(x, gib))
    pixel = canvas.mapFromScene(scene_point)
    return canvas.grab().toImage().pixelColor(pixel.x(), pixel.y()).name()


def tinted(phase: str) -> str:
    from wan22_gui.gui.telemetry.phases import BAND_ALPHA, PHASE_COLORS, _tint

    return _tint(PHASE_COLORS[phase], BAND_ALPHA).name()


def test_hover_reads_every_series_at_that_moment(job_panel):
    panel, t0 = job_panel
    text = panel.graph.hover_at(x_of(panel, 157, t0))  # inside the VAE decode spike
    assert "VRAM 21.9" in text and "/24.0 GiB" in text
    assert "ComfyUI 21.4" in text
    assert "VAE decode" in text
    for words in ("GPU ", "mem-ctrl", " W", "°C", "SM ", "PCIe", "RAM 52.0/64 GiB"):
        assert words in text, words
    assert all(c.isVisible() for c in panel.graph.cursors)
    latest = panel.graph.hover_at(None)
    assert "VRAM 1.30" in latest, "away from the plot the readout shows the newest sample"


def test_windows_show_the_chosen_span(job_panel):
    panel, t0 = job_panel
    graph = panel.graph
    last = float(graph.buffer.view("x")[-1])
    panel.window_box.setCurrentIndex(0)  # 1 min
    x0, x1 = graph.visible_range()
    assert x1 == pytest.approx(last, abs=1.0) and x1 - x0 == pytest.approx(60.6, abs=0.5)
    panel.window_box.setCurrentIndex(3)  # whole job
    x0, x1 = graph.visible_range()
    assert x0 < x_of(panel, 0, t0) < x_of(panel, 191.5, t0) < x1
    assert x_of(panel, 0, t0) - x0 < 10 and x1 - x_of(panel, 191.5, t0) < 10
    panel.window_box.setCurrentIndex(4)  # all
    first = float(graph.buffer.view("x")[0])
    assert graph.visible_range() == pytest.approx((first, last), abs=0.01)


def test_panning_pauses_and_live_resumes(job_panel, qtbot):
    panel, _t0 = job_panel
    graph = panel.graph
    graph.plots["memory"].getViewBox().translateBy(x=-120)  # as a mouse drag does
    graph.plots["memory"].getViewBox().sigRangeChangedManually.emit([True, False])
    assert not graph.live and panel.live_button.text() == "Live"
    paused = graph.visible_range()
    graph.refresh()
    assert graph.visible_range() == pytest.approx(paused), "paused view stays where it was"
    qtbot.mouseClick(panel.live_button, qtbot_left())
    assert graph.live and panel.live_button.text() == "Pause"
    assert graph.visible_range()[1] == pytest.approx(float(graph.buffer.view("x")[-1]), abs=5)


def test_curves_follow_a_view_panned_into_the_past(job_panel):
    panel, _t0 = job_panel
    graph = panel.graph
    panel.window_box.setCurrentIndex(0)  # 1 min: only the newest rows are handed to the curve
    graph.plots["memory"].getViewBox().translateBy(x=-90)  # as a mouse drag does
    x0, x1 = graph.visible_range()
    xs, ys = graph.curves["vram_used"].getData()
    assert xs[0] <= x0 and xs[-1] >= x1, "the line runs from edge to edge of the panned view"
    shown = (graph.buffer.view("x") >= x0) & (graph.buffer.view("x") <= x1)
    assert np.nanmax(ys) == pytest.approx(np.nanmax(graph.buffer.view("vram_used")[shown]) / GIB)


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_export_csv_and_png_of_the_visible_range(job_panel, qtbot, tmp_path):
    panel, t0 = job_panel
    panel.window_box.setCurrentIndex(3)  # whole job
    csv_path, png_path = tmp_path / "run.csv", tmp_path / "run.png"
    panel.export("csv", csv_path)
    qtbot.waitUntil(lambda: "Exported" in panel.message.text(), timeout=10_000)
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    x0, x1 = panel.graph.visible_range()
    assert len(rows) == pytest.approx((x1 - x0) * 10, abs=2)
    assert {"unix_time_s", "vram_used_bytes", "power_w", "phase", "job_id"} <= set(rows[0])
    decode = [r for r in rows if r["phase"] == "vae_decode"]
    assert len(decode) == pytest.approx(160, abs=2)
    assert max(int(r["vram_used_bytes"]) for r in decode) > 21.5 * GIB
    panel.export("png", png_path)
    image = QImage(str(png_path))
    assert image.width() > 1000 and image.height() > 200
    assert f"Exported a {image.width()}" in panel.message.text()


def test_export_to_an_unwritable_place_says_so(job_panel, qtbot, tmp_path):
    panel, _t0 = job_panel
    target = tmp_path / "missing-folder" / "run.csv"
    panel.export("csv", target)
    qtbot.waitUntil(lambda: "Could not export" in panel.message.text(), timeout=10_000)
    assert "Choose another folder" in panel.message.text()
    panel.export("png", tmp_path / "missing-folder" / "run.png")
    assert "Could not export" in panel.message.text()


def test_server_pid_and_reserve_follow_the_connection(make_panel, qtbot):
    time_ = FakeTime()
    fake = make_nvml(rtx_4090(memory_used=6 * GIB), h100(memory_used=30 * GIB, processes=[(999, 29 * GIB)]))
    panel = make_panel(make_sampler(fake, time_))
    panel.ctx.app.connection.set(ServerInfo(f"http://127.0.0.1:{free_port()}", "launched", 999, 6.0))
    qtbot.waitUntil(lambda: panel.sampler.pid == 999, timeout=5000)
    panel.sampler.sample_once()
    panel.sampler.sample_once()  # auto: found ComfyUI on GPU 1 and switched
    qtbot.waitUntil(lambda: panel.sampler.device_index == 1, timeout=5000)
    panel.sampler.sample_once()
    panel.refresh()
    graph = panel.graph
    assert graph.reserve_line.isVisible()
    assert graph.reserve_line.value() == pytest.approx(81559 / 1024 - 6.0, abs=0.01)
    assert "VRAM 30.00" in graph.readout.text() and "ComfyUI 29.00" in graph.readout.text()
    panel.ctx.app.connection.set(None)  # server gone
    qtbot.waitUntil(lambda: panel.sampler.pid is None, timeout=5000)
    panel.refresh()
    assert not graph.reserve_line.isVisible()


def test_gpu_choice_and_rate_are_applied_and_remembered(make_panel, qtbot):
    fake = make_nvml(rtx_4090(), h100())
    panel = make_panel(make_sampler(fake))
    qtbot.waitUntil(lambda: panel.device_box.count() == 3, timeout=5000)
    assert panel.device_box.itemText(2) == "GPU 1: NVIDIA H100 80GB HBM3"
    panel.device_box.setCurrentIndex(2)
    assert panel.sampler.device_index == 1 and not panel.sampler.auto_device
    assert panel.ctx.app.settings.get("telemetry.device") == 1
    panel.rate_box.setValue(20)
    assert panel.sampler.rate_hz == 20
    assert panel.ctx.app.settings.get("telemetry.rate_hz") == 20
    panel.rate_box.setValue(50)
    assert panel.sampler.rate_hz == 20, "the box stops at 20 Hz"
    panel.device_box.setCurrentIndex(0)
    assert panel.sampler.auto_device


def test_no_gpu_folds_to_one_line_that_says_why_and_still_shows_ram(make_panel):
    panel = make_panel(make_sampler(library_not_found()))
    panel.sampler.sample_once()
    panel.refresh()
    assert panel.folded and panel.fold_line.isVisible() and not panel.graph.isVisible()
    text = panel.fold_line.text()
    assert "No local GPU data: No NVIDIA driver found" in text
    assert "Install the NVIDIA driver" in text and "RAM 8.0/64 GiB" in text
    assert text.endswith("ComfyUI: not connected")
    assert panel.maximumHeight() < 100  # one line, not half the window
    assert panel.device_box.count() == 1  # only "Auto"


def test_driver_loss_mid_run_is_explained_then_clears(make_panel):
    time_ = FakeTime()
    fake = make_nvml(h100(memory_used=10 * GIB))
    panel = make_panel(make_sampler(fake, time_))
    panel.sampler.run_blocking(max_samples=3)
    fake.fail("nvmlDeviceGetMemoryInfo", GPU_IS_LOST)
    panel.sampler.run_blocking(max_samples=3)
    panel.refresh()
    assert "GPU stopped answering" in panel.problem_label.text()
    fake.fail("nvmlDeviceGetMemoryInfo", None)
    panel.sampler.run_blocking(max_samples=60)
    panel.refresh()
    assert not panel.problem_label.isVisible()
    vram = panel.graph.buffer.view("vram_used")
    assert math.isnan(vram[4]) and vram[-1] == 10 * GIB, "a gap, then the series resumes"


def test_panel_starts_the_sampler_and_stops_it_on_shutdown(make_panel, qtbot):
    from wan22_gui.core.telemetry.nvml import Nvml
    from wan22_gui.core.telemetry.sampler import GpuSampler

    sampler = GpuSampler(Nvml(make_nvml(h100()), register_atexit=False), rate_hz=20)
    panel = make_panel(sampler, autostart=True)
    qtbot.waitUntil(lambda: sampler.running, timeout=5_000)  # once the window is up
    qtbot.waitUntil(lambda: len(panel.graph.buffer) >= 3, timeout=10_000)  # the timer redraws
    panel.shutdown()
    assert not sampler.running


def test_a_panel_shut_down_at_once_never_starts_the_sampler(make_panel, qtbot):
    from wan22_gui.core.telemetry.nvml import Nvml
    from wan22_gui.core.telemetry.sampler import GpuSampler

    sampler = GpuSampler(Nvml(make_nvml(h100()), register_atexit=False), rate_hz=20)
    panel = make_panel(sampler, autostart=True)
    panel.shutdown()  # the app quit before its window was up
    qtbot.wait(SAMPLER_START_MS + 200)
    assert not sampler.running


def test_screenshot_during_a_job(make_panel, tmp_path):
    """The picture in docs/images: the panel during the interpolation step of a job."""
    panel, t0 = watch_wan_job(make_panel, until=185)
    panel.window_box.setCurrentIndex(3)
    panel.power_box.setChecked(True)
    panel.refresh()
    panel.graph.hover_at(panel.graph.buffer.x_of(t0 + 157))  # the readout at the VAE spike
    shot = tmp_path / "telemetry_graph.png"
    assert panel.grab().save(str(shot))
    assert QImage(str(shot)).width() == panel.width()
    if os.environ.get("WAN22_SAVE_SCREENSHOTS"):
        shutil.copy(shot, DOCS_IMAGES / "telemetry_graph.png")


def test_the_plots_are_built_only_once_there_is_gpu_data(make_panel, tmp_path):
    """No GPU: one line of text and no plots (no start-up cost); the first GPU sample builds
    them with the options and phases chosen meanwhile."""
    from wan22_gui.core.jobs.phases import PhaseEvent

    time_ = FakeTime()
    fake = make_nvml(h100(memory_used=10 * GIB))
    fake.fail("nvmlDeviceGetMemoryInfo", GPU_IS_LOST)
    panel = make_panel(make_sampler(fake, time_))
    panel.sampler.run_blocking(max_samples=3)
    panel.refresh()
    graph = panel.graph
    assert graph.canvas is None  # no plots (and no pyqtgraph) while there is no GPU data
    panel.power_box.setChecked(True)
    now = float(panel.sampler.latest()["t"])
    graph.add_phase_event(PhaseEvent("j1", "model_load", "start", now))
    panel.export("csv", tmp_path / "early.csv")  # exporting before the plots exist does not fail
    fake.fail("nvmlDeviceGetMemoryInfo", None)
    panel.sampler.run_blocking(max_samples=60)
    panel.refresh()
    assert graph.canvas is not None and graph.canvas.isVisible()
    assert graph.plots["power"].scene() is not None, "the power plot chosen before is shown"
    assert [span.phase for span, _label in graph.overlay._titles] == ["model_load"]
    xs, ys = graph.curves["vram_used"].getData()
    assert np.nanmax(ys) == pytest.approx(10.0)


def _subpaths(curve) -> int:
    """How many separate runs the drawn line of a curve has (a gap starts a new one)."""
    from PySide6.QtGui import QPainterPath

    path = curve.getPath()
    return sum(path.elementAt(i).type == QPainterPath.ElementType.MoveToElement
               for i in range(path.elementCount()))


def test_a_lost_gpu_is_a_gap_in_the_drawn_line_and_the_live_edge_stays_on_screen(make_panel):
    time_ = FakeTime()
    fake = make_nvml(h100(memory_used=10 * GIB))
    panel = make_panel(make_sampler(fake, time_))
    panel.window_box.setCurrentIndex(2)  # 30 min: a refresh scrolls less than a pixel
    panel.sampler.run_blocking(max_samples=50)
    panel.refresh()
    curve = panel.graph.curves["vram_used"]
    assert _subpaths(curve) == 1 and curve.getPath().elementCount() > 10
    fake.fail("nvmlDeviceGetMemoryInfo", GPU_IS_LOST)
    panel.sampler.run_blocking(max_samples=20)
    fake.fail("nvmlDeviceGetMemoryInfo", None)
    for _ in range(40):  # two samples per redraw, as at 10 Hz with the 5 Hz redraw
        panel.sampler.run_blocking(max_samples=2)
        panel.refresh()
        newest = panel.graph.buffer.view("x")[-1]
        x0, x1 = panel.graph.visible_range()
        assert x0 < newest <= x1, "the newest sample is always on screen"
    assert _subpaths(curve) == 2, "the lost stretch is a gap, not a line across it"


def test_without_a_local_gpu_the_line_shows_the_attached_servers_gpu(make_panel, qtbot,
                                                                     standin):
    panel = make_panel(make_sampler(library_not_found()))
    panel.sampler.sample_once()
    panel.ctx.app.connection.set(ServerInfo(standin.url, "attached"))
    qtbot.waitUntil(lambda: "ComfyUI's GPU" in (panel.refresh() or panel.fold_line.text()),
                    timeout=5000)
    assert ("ComfyUI's GPU: NVIDIA GeForce RTX 4090 — VRAM 1.3 / 23.6 GiB used."
            in panel.fold_line.text())


def test_a_long_connection_state_is_elided_with_the_full_text_on_hover(make_panel, qtbot,
                                                                      monkeypatch):
    """A narrow window (1280 px) cuts the connection line with "…", never mid-letter, and the
    controls beside it stay where they were."""
    panel, _t0 = watch_wan_job(make_panel, until=30)
    panel.resize(900, 430)
    qtbot.wait(0)
    label = panel.connection_label
    export_x = panel.findChildren(type(panel.live_button))[-1].x()
    lost = Health(state=LOST, url="http://127.0.0.1:38533", source="attached", since=0.0,
                  reason="the server stopped answering " * 6)
    monkeypatch.setattr(type(panel.ctx.app.health), "current", property(lambda _self: lost))
    words = lost.words
    panel.refresh()
    qtbot.wait(0)
    assert label.text() == words and words in label.toolTip()
    assert label.is_elided()
    assert panel.findChildren(type(panel.live_button))[-1].x() == export_x


def test_the_end_labels_of_stacked_axes_do_not_meet(make_panel):
    """The GiB axis's "0" and the % · °C axis's "100" sit where the two plots meet: there is
    a gap of at least one label height between them."""
    panel, _t0 = watch_wan_job(make_panel, until=60)
    panel.resize(1280, 320)
    panel.refresh()
    graph = panel.graph
    memory = graph.plots["memory"].getViewBox().sceneBoundingRect()
    util = graph.plots["util"].getViewBox().sceneBoundingRect()
    label_height = QFontMetrics(graph.plots["util"].getAxis("left").style["tickFont"]
                                or panel.font()).height()
    # each end label is centred on its tick, so half of it reaches past the plot's edge
    assert util.top() - memory.bottom() >= label_height * 0.7
