"""The dark/light theme: View → Theme, saved in settings, following the desktop on "System"."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel

from wan22_gui.app import App
from wan22_gui.gui import theme
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.mainwindow import MainWindow
from wan22_gui.gui.tasks import TaskRunner


@pytest.fixture
def window(qtbot, app_paths):
    core = App.for_gui(app_paths)
    ctx = AppContext(app=core, tasks=TaskRunner())
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    yield win
    theme.apply("light")  # the next test starts from the default look
    win.close()
    ctx.tasks.shutdown()
    core.close()


def window_lightness() -> int:
    return QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness()


def test_dark_from_the_view_menu_is_applied_saved_and_reaches_the_gpu_graph(window, app_paths):
    window.actions_by_name["theme_dark"].trigger()
    assert window_lightness() < 60
    assert QApplication.instance().style().name().lower() == "fusion"
    saved = json.loads((app_paths.config_dir / "settings.json").read_text())
    assert saved["values"]["view.theme"] == "dark"
    graph = window.panels["telemetry"].graph
    graph._build_plots()  # (no GPU here) the plots are built with the first GPU sample
    assert graph.canvas.backgroundBrush().color().name() == theme.DARK.base
    assert window.actions_by_name["theme_dark"].isChecked()

    window.actions_by_name["theme_light"].trigger()
    assert window_lightness() > 200
    assert graph.canvas.backgroundBrush().color().name() == theme.LIGHT.base


def test_system_follows_the_desktop_while_chosen(window, monkeypatch):
    desktop_dark = [False]
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: desktop_dark[0])
    settings = window.ctx.app.settings
    theme.install(QApplication.instance(), settings)  # what the app does at start
    window.actions_by_name["theme_system"].trigger()
    assert window_lightness() > 200
    desktop_dark[0] = True
    QApplication.instance().styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert window_lightness() < 60
    window.actions_by_name["theme_light"].trigger()  # a fixed choice ignores the desktop
    QApplication.instance().styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert window_lightness() > 200


def test_a_saved_theme_is_used_at_the_next_start(app_paths):
    core = App.build(app_paths)
    core.settings.set(theme.THEME_KEY, "dark")
    core.close()
    again = App.build(app_paths)
    try:
        theme.install(QApplication.instance(), again.settings)
        assert theme.is_dark() and window_lightness() < 60
    finally:
        theme.apply("light")
        again.close()


def test_outcome_lines_switch_to_colours_that_read_on_the_new_palette(window):
    generate = window.panel("generate")
    generate._say("Done. Seed used: 7")  # said in the light theme
    assert theme._STATUS["ok"][1] in generate.form_message.styleSheet()
    window.actions_by_name["theme_dark"].trigger()
    assert theme._STATUS["ok"][0] in generate.form_message.styleSheet()


def test_labels_with_a_style_sheet_follow_the_palette_too(window):
    """Qt keeps the old palette on a widget that has a style sheet; the theme re-polishes it."""
    title = window.panel("generate").progress.timings_title
    assert title.styleSheet()
    window.actions_by_name["theme_dark"].trigger()
    assert title.palette().color(QPalette.ColorRole.WindowText).lightness() > 180


def _has_colour(label, colour: str) -> bool:
    """Whether any pixel of the label is (nearly) `colour`."""
    image = label.grab().toImage()
    want = QColor(colour)
    for y in range(image.height()):
        for x in range(image.width()):
            got = image.pixelColor(x, y)
            if (abs(got.red() - want.red()) + abs(got.green() - want.green())
                    + abs(got.blue() - want.blue())) < 40:
                return True
    return False


def test_links_take_the_link_colour_of_the_new_theme(window, qtbot):
    """The first-run page's links were set in the light theme; on the dark one they must be
    the light blue that reads on it, not the light theme's dark blue."""
    theme.apply("light")
    label = QLabel("see the <a href='https://example.org/guide'>install guide</a>")
    qtbot.addWidget(label)
    label.show()
    assert _has_colour(label, theme.LIGHT.link)
    window.actions_by_name["theme_dark"].trigger()
    assert _has_colour(label, theme.DARK.link)
    assert not _has_colour(label, theme.LIGHT.link)


def test_an_outcome_set_with_show_status_takes_the_new_themes_colour(window):
    """The benchmark's spec check ("1 image × … = 4 cells") was dark green on the dark theme;
    an outcome line now follows the theme like Generate's does."""
    theme.apply("light")
    line = QLabel("1 image × 1 size = 1 cell")
    theme.show_status(line, "ok")
    assert theme._STATUS["ok"][1] in line.styleSheet()
    window.actions_by_name["theme_dark"].trigger()
    assert theme._STATUS["ok"][0] in line.styleSheet()
    theme.show_status(line, None)  # plain text again: no colour comes back on a switch
    window.actions_by_name["theme_light"].trigger()
    assert line.styleSheet() == ""


def test_an_unticked_check_box_can_be_seen_on_the_dark_theme(qtbot):
    """Fusion drew the dark theme's unticked box within 11 shades of the window colour."""
    from PySide6.QtWidgets import QCheckBox

    theme.apply("dark")
    try:
        box = QCheckBox("Fit to the image")
        qtbot.addWidget(box)
        box.show()
        image = box.grab().toImage()
        window = QColor(theme.DARK.window).lightness()
        indicator = box.style().subElementRect(
            box.style().SubElement.SE_CheckBoxIndicator, _option(box), box)
        contrast = max(abs(image.pixelColor(x, y).lightness() - window)
                       for x in range(indicator.left(), indicator.right() + 1)
                       for y in range(indicator.top(), indicator.bottom() + 1))
        assert contrast >= 40, contrast
    finally:
        theme.apply("light")


def _option(box):
    from PySide6.QtWidgets import QStyleOptionButton

    option = QStyleOptionButton()
    option.initFrom(box)
    return option
