"""The wheel guard on its own: in any scroll area an unfocused spin box, combo or slider passes
the wheel to the area; focused, it takes it; outside a scroll area nothing changes (issue 14,
item 1)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDoubleSpinBox, QScrollArea, QSlider, QSpinBox, QVBoxLayout, QWidget,
)

from wan22_gui.gui.common.wheel_guard import WheelGuard, install_wheel_guard
from tests.gui.generate.test_generate_calm import _wheel


@pytest.fixture
def area(qtbot):
    install_wheel_guard(QApplication.instance())
    form = QWidget()
    column = QVBoxLayout(form)
    spin, double, combo = QSpinBox(), QDoubleSpinBox(), QComboBox()
    slider = QSlider(Qt.Orientation.Horizontal)
    spin.setRange(0, 100)
    spin.setValue(50)
    double.setValue(5.0)
    combo.addItems(["a", "b", "c"])
    combo.setCurrentIndex(1)
    slider.setRange(0, 100)
    slider.setValue(50)
    for widget in (spin, double, combo, slider):
        column.addWidget(widget)
        column.addSpacing(400)  # tall: the area scrolls
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(form)
    scroll.resize(300, 300)
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    return scroll, (spin, double, combo, slider)


def _values(widgets):
    spin, double, combo, slider = widgets
    return spin.value(), double.value(), combo.currentIndex(), slider.value()


def test_unfocused_settings_pass_the_wheel_to_the_scroll_area(area):
    scroll, widgets = area
    for widget in widgets:
        widget.clearFocus()  # the window gave the first one focus
    before = _values(widgets)
    for widget in widgets:
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus
        _wheel(widget)
    assert _values(widgets) == before
    assert scroll.verticalScrollBar().value() > 0


def test_a_focused_setting_takes_the_wheel(qtbot, area):
    _scroll, widgets = area
    spin, double, combo, slider = widgets
    for widget in widgets:
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus, timeout=2000)
        _wheel(widget, delta=120)
    assert _values(widgets) != (50, 5.0, 1, 50)
    assert spin.value() == 51 and combo.currentIndex() == 0


def test_outside_a_scroll_area_the_wheel_works_as_before(qtbot):
    install_wheel_guard(QApplication.instance())
    combo = QComboBox()  # e.g. the player's speed: no scroll area to hand the wheel to
    combo.addItems(["a", "b", "c"])
    qtbot.addWidget(combo)
    combo.show()
    _wheel(combo)
    assert combo.currentIndex() == 1


def test_installing_twice_keeps_one_guard():
    app = QApplication.instance()
    assert install_wheel_guard(app) is install_wheel_guard(app)
    assert len(app.findChildren(WheelGuard)) == 1
