"""The Benchmark tab: edit a spec in the form or as TOML, see mistakes named, save and load it,
run it against the stand-in ComfyUI with progress, cancel and resume, open the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QScrollArea, QSplitter

from tests.fakes.comfy_standin import StandinServer, install_wan_models
from wan22_gui.app import App
from wan22_gui.core.bench.spec import load_spec
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.bench.panel import BenchmarkPanel
from wan22_gui.gui.tasks import TaskRunner

SPEC = """
name = "panel"
images = ["a.png", "b.png"]
resolutions = ["128x96"]
frames = [5, 9]
repeats = 2
[[configs]]
name = "lora"
[[configs]]
name = "base"
lora = false
"""


@pytest.fixture
def panel(qtbot, app_paths, tmp_path):
    from PIL import Image

    for name, color in (("a.png", (200, 50, 50)), ("b.png", (50, 50, 200))):
        Image.new("RGB", (128, 96), color).save(tmp_path / name)
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    widget = BenchmarkPanel(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 860)
    widget.show()
    widget.editor.load(tmp_path / "spec.toml")
    widget.out_dir.setText(str(tmp_path / "out"))
    yield widget
    widget.shutdown()
    ctx.tasks.shutdown()
    core.close()


@pytest.fixture
def standin(tmp_path):
    install_wan_models(tmp_path / "comfy")
    server = StandinServer(tmp_path / "comfy", faults={"step_seconds": 0.005})
    server.start()
    yield server
    server.stop()


def test_form_counts_the_matrix_and_names_mistakes(panel, qtbot):
    assert "2 images × 1 size × 2 frame counts × 2 configurations = 8 cells" in panel.editor.check.text()
    assert "16 measured runs" in panel.editor.check.text()
    panel.editor.form.frames.setText("5, 80")
    panel.editor.form.frames.textEdited.emit("5, 80")
    qtbot.waitUntil(lambda: "4n+1" in panel.editor.check.text(), timeout=3000)
    assert "77 or 81" in panel.editor.check.text()
    panel.editor.form.frames.setText("1.5s, 3s")
    panel.editor.form.frames.textEdited.emit("1.5s, 3s")
    qtbot.waitUntil(lambda: "cells" in panel.editor.check.text(), timeout=3000)


def test_form_and_toml_carry_edits_both_ways(panel):
    panel.editor.form.name.setText("renamed <in form>")
    panel.editor.tabs.setCurrentWidget(panel.editor.toml)
    assert 'name = "renamed <in form>"' in panel.editor.toml.toPlainText()
    panel.editor.toml.setPlainText(panel.editor.toml.toPlainText().replace("frames = [5, 9]",
                                                             "frames = [5, 9, 13]"))
    panel.editor.tabs.setCurrentWidget(panel.editor.form)
    assert panel.editor.form.frames.text() == "5, 9, 13"
    panel.editor.tabs.setCurrentWidget(panel.editor.toml)
    panel.editor.toml.setPlainText("name = \n")  # broken TOML: the tab stays and says why
    panel.editor.tabs.setCurrentWidget(panel.editor.form)
    assert panel.editor.tabs.currentWidget() is panel.editor.toml
    assert "not valid TOML" in panel.editor.check.text()


def test_configuration_table_edits_reach_the_spec(panel, tmp_path):
    combo = panel.editor.form.configs.cellWidget(1, 2)
    assert isinstance(combo, QComboBox)
    combo.setCurrentText("sage")
    panel.editor.form._add_config()
    assert panel.editor.save_to(tmp_path / "saved.toml")
    saved = load_spec(tmp_path / "saved.toml")
    assert [c.name for c in saved.configs] == ["lora", "base", "config 3"]
    assert saved.configs[1].attention == "sage" and not saved.configs[1].lora
    assert 'images = ["a.png", "b.png"]' in (tmp_path / "saved.toml").read_text("utf-8")


def test_the_results_can_be_given_the_room_of_the_spec_form(panel, qtbot):
    """Dragging the divider up shows more result rows; the spec form then scrolls."""
    panel.resize(1090, 700)  # the tab in the first window
    splitter = panel.findChild(QSplitter)
    qtbot.waitUntil(lambda: sum(splitter.sizes()) < 700)  # laid out at the new size
    before = panel.table.height()
    splitter.setSizes([200, sum(splitter.sizes()) - 200])  # what a drag does
    qtbot.waitUntil(lambda: panel.table.height() >= before + 250, timeout=3000)
    form_scroll = panel.editor.form.findChild(QScrollArea)
    assert form_scroll.verticalScrollBar().maximum() > 0  # the rest of the form is reachable


def shown_images(panel) -> list[str]:
    return [panel.editor.form.images.item(i).text()
            for i in range(panel.editor.form.images.count())]


def test_images_next_to_the_spec_are_shown_by_name_however_the_spec_was_opened(
        panel, tmp_path, monkeypatch):
    assert shown_images(panel) == ["a.png", "b.png"]
    monkeypatch.chdir(tmp_path)
    panel.editor.load(Path("spec.toml"))  # a relative name: its folder is "."
    assert shown_images(panel) == ["a.png", "b.png"]
    link = tmp_path.parent / f"{tmp_path.name}-link"
    try:
        link.symlink_to(tmp_path, target_is_directory=True)
    except OSError:
        pytest.skip("no symbolic links here")
    try:
        panel.editor.load(link / "spec.toml")
        assert shown_images(panel) == ["a.png", "b.png"]
        outside = tmp_path.parent / f"{tmp_path.name}-outside.png"
        panel.editor.form.images.addItem(str(outside))  # elsewhere: the full path stays
        assert panel.editor.save_to(link / "saved.toml")
        assert f'images = ["a.png", "b.png", "{outside.as_posix()}"]' in (
            link / "saved.toml").read_text("utf-8")
    finally:
        link.unlink()


def test_new_spec_starts_from_the_example_and_asks_for_images(panel):
    panel.editor.new_spec()
    assert panel.editor.form.images.count() == 0
    assert "images" in panel.editor.check.text() and "at least one" in panel.editor.check.text()
    assert "RTX 5090" in panel.editor.form.name.text()


def run_until_done(panel, qtbot, timeout=60_000):
    panel.start()
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=timeout)


def test_run_against_the_standin_with_progress_and_report(panel, qtbot, standin, tmp_path):
    panel.server_kind.setCurrentIndex(1)
    panel.server_value.setText(standin.url)
    run_until_done(panel, qtbot)
    assert panel.status.text().startswith("Finished: 16 succeeded"), panel.status.text()
    assert panel.progress.value() == panel.progress.maximum() == 16
    statuses = panel.table.statuses()
    assert statuses.count("succeeded") == len(statuses) > 16  # 16 runs + warm-ups
    assert panel.report_button.isEnabled()
    assert (tmp_path / "out" / "report.html").is_file()


def test_cancel_then_resume(panel, qtbot, standin, tmp_path):
    standin.faults.step_seconds = 0.05
    panel.server_kind.setCurrentIndex(1)
    panel.server_value.setText(standin.url)
    panel.start()
    qtbot.waitUntil(lambda: panel.progress.value() >= 2, timeout=30_000)
    panel.cancel()
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=30_000)
    assert panel.status.text().startswith("Cancelled"), panel.status.text()
    assert "ETA" not in panel.progress.format()  # nothing runs: no time left is promised
    done_before = panel.progress.value()
    assert 2 <= done_before < 16
    standin.faults.step_seconds = 0.005
    run_until_done(panel, qtbot)
    assert f"({done_before} of 16 were done before)" in panel.status.text()


def test_bad_server_address_is_explained(panel, qtbot):
    panel.server_kind.setCurrentIndex(1)
    panel.server_value.setText("http://127.0.0.1:9")
    run_until_done(panel, qtbot)
    assert "No ComfyUI answers at http://127.0.0.1:9" in panel.status.text() or \
        "ComfyUI stopped answering" in panel.status.text() or \
        "not_run" in panel.status.text(), panel.status.text()
    assert "not_run" in panel.table.statuses()


def test_a_long_status_moves_nothing(panel, qtbot):
    """A long message (a path, a server's error) stays in its two lines: the buttons and the
    results table do not move (issue 14, item 2)."""
    qtbot.wait(50)
    run = panel.run_button
    before = (panel.window().size(), run.mapToGlobal(run.rect().topLeft()), panel.table.geometry())
    long_path = "/home/someone/" + "/".join(["a-rather-long-folder-name"] * 11) + "/report.html"
    panel._say_status(f"Report written to {long_path} " * 3, error=False)
    qtbot.wait(50)
    assert (panel.window().size(), run.mapToGlobal(run.rect().topLeft()),
            panel.table.geometry()) == before
    assert long_path in panel.status.toolTip()


def test_the_current_connection_address_is_shown_from_its_start_at_1280(panel, qtbot):
    """At 1280×720 the address field was cut to "p://127.0.0.1:34679": a person reads an
    address from its start; the whole one is in the tooltip."""
    panel.resize(850, 650)
    panel.server_kind.setCurrentIndex(1)
    panel.server_kind.setCurrentIndex(0)
    qtbot.wait(20)
    field = panel.server_value
    assert field.cursorPosition() == 0
    assert field.width() >= field.fontMetrics().horizontalAdvance("http://127.0.0.1:65535")
    assert field.toolTip() == field.text()
