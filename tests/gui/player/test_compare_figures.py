"""The compare view's figures table, its export sidecar, and blind A/B (titles hidden, the
verdict counted for the clip picked, the tally shown and stored)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wan22_gui.app import App
from wan22_gui.core.interpolation.blind import BlindTally
from wan22_gui.core.video.testclip import TestScene, write_test_clip
from wan22_gui.core.video.writer import ClipWriter
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.player.compare import CompareView
from wan22_gui.gui.player.view import ClipSource
from wan22_gui.gui.tasks import TaskRunner

SIZE = (96, 64)


@pytest.fixture
def ctx(app_paths):
    core = App.for_gui(app_paths)
    context = AppContext(app=core, tasks=TaskRunner())
    yield context
    context.tasks.shutdown()
    core.close()


@pytest.fixture
def clips(tmp_path):
    scene = TestScene(*SIZE, speed=4)
    source = write_test_clip(tmp_path / "source.mp4", frames=9, fps=8, size=SIZE, speed=4)
    good = tmp_path / "good_x2.mp4"
    with ClipWriter(good, 16, SIZE) as out:
        for i in range(17):
            out.write(scene.frame(i / 2))
    flicker = tmp_path / "flicker_x2.mp4"
    with ClipWriter(flicker, 16, SIZE) as out:
        for i in range(17):
            frame = scene.frame(i / 2)
            out.write(frame if i % 2 == 0 else np.clip(frame.astype(int) + 50, 0, 255).astype(np.uint8))
    return [ClipSource(source, "Source"), ClipSource(good, "Good ×2", 1.0),
            ClipSource(flicker, "Flickery ×2", 1.0)]


def _open(qtbot, ctx, clips, **kw):
    view = CompareView(ctx, clips, **kw)
    qtbot.addWidget(view)
    view.resize(900, 640)
    view.show()
    qtbot.waitUntil(lambda: view.player.clock is not None, timeout=10000)
    return view


def test_measure_fills_a_table_per_clip_with_what_each_figure_means(qtbot, ctx, clips, tmp_path):
    view = _open(qtbot, ctx, clips)
    with qtbot.waitSignal(view.metrics.measured, timeout=20000):
        view.metrics.measure_button.click()
    table = view.metrics.table
    assert table.isVisible() and table.rowCount() == 3
    assert table.item(0, 0).text() == "1. Source" and table.item(0, 3).text() == "reference"
    assert table.item(1, 3).text().endswith("dB")
    flicker_good, flicker_bad = float(table.item(1, 2).text()), float(table.item(2, 2).text())
    assert flicker_bad > 10 * flicker_good  # what the user reads: the pumping clip flickers
    assert "Warping error" in view.metrics.notes.text() and "Flicker" in view.metrics.notes.text()
    with qtbot.waitSignal(view.exported, timeout=30000) as done:
        view.export_to(tmp_path / "cmp.mp4")
    data = json.loads((tmp_path / "cmp.metrics.json").read_text())
    assert [c["title"] for c in data["clips"]] == ["Source", "Good ×2", "Flickery ×2"]
    assert done.args[0] == tmp_path / "cmp.mp4" and (tmp_path / "cmp.metrics.csv").is_file()
    view.shutdown()


def test_a_bad_clip_is_a_message_in_the_table_not_a_crash(qtbot, ctx, clips, tmp_path):
    view = _open(qtbot, ctx, clips[:2])
    clips[1].path.write_bytes(b"gone")  # broken after the player opened it
    view.metrics.measure_button.click()
    qtbot.waitUntil(lambda: "Cannot measure" in view.metrics.status.text(), timeout=20000)
    assert "good_x2.mp4" in view.metrics.status.text()
    assert view.metrics.measure_button.isEnabled()
    view.shutdown()


def test_blind_ab_hides_titles_and_counts_the_verdict_for_the_clip_picked(qtbot, ctx, clips, app_paths):
    view = _open(qtbot, ctx, clips)
    view.set_pair(1, 2)
    blind = view.open_blind()
    qtbot.addWidget(blind)
    qtbot.waitUntil(lambda: blind.player.clock is not None, timeout=10000)
    qtbot.waitUntil(lambda: not blind.player.waiting_for_frames(), timeout=10000)
    labels = [p.label for p in blind.player.canvas.panels]
    assert labels == ["A", "B"]  # no title, no fps, no frame count
    assert blind.windowTitle() == "Blind A/B" and blind.metrics is None
    shown = blind.blind_bar.round.shown
    assert set(shown) == {str(clips[1].path), str(clips[2].path)}
    letter = "a" if shown[0] == str(clips[1].path) else "b"  # the user prefers the good clip
    with qtbot.waitSignal(blind.blind_bar.judged, timeout=5000):
        blind.blind_bar.buttons[letter].click()
    text = blind.blind_bar.result.text()
    assert "A was" in text and "B was" in text
    assert "Good ×2 1" in text and "Flickery ×2 0" in text and "same 0 (1 round)" in text
    assert all(not b.isEnabled() for b in blind.blind_bar.buttons.values())
    stored = BlindTally.in_folder(app_paths.data_dir).tally(clips[1].path, clips[2].path)
    assert stored.wins_of(clips[1].path) == 1 and stored.rounds == 1
    blind.shutdown()
    view.shutdown()
