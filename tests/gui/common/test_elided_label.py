"""The status label: its size never depends on its text; the whole text stays reachable
(issue 14, item 2)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from wan22_gui.gui.common.elided_label import ElidedLabel

LONG = "Saved /home/someone/" + "/".join(["folder"] * 40) + "/clip.mp4"


def test_text_changes_neither_the_size_nor_the_neighbours(qtbot):
    row = QWidget()
    layout = QHBoxLayout(row)
    label, button = ElidedLabel(lines=2), QPushButton("Queue")
    layout.addWidget(label, 1)
    layout.addWidget(button)
    qtbot.addWidget(row)
    row.resize(400, 60)
    row.show()
    qtbot.waitExposed(row)
    before = (label.height(), button.geometry(), row.minimumSizeHint())
    label.setText(LONG)
    qtbot.wait(20)
    assert (label.height(), button.geometry(), row.minimumSizeHint()) == before
    assert label.text() == LONG and label.toolTip() == LONG
    assert label.is_elided()
    label.setText("Queued.")
    assert not label.is_elided() and label.toolTip() == "Queued."


def test_an_own_tooltip_stays_below_the_text(qtbot):
    label = ElidedLabel("Running", name="state")
    qtbot.addWidget(label)
    label.setToolTip("What the states mean")
    assert label.toolTip() == "Running\n\nWhat the states mean"
    label.setText("")
    assert label.toolTip() == "What the states mean"
    assert label.objectName() == "state"


def test_a_padded_style_keeps_every_line_visible(qtbot):
    label = ElidedLabel(lines=2)
    qtbot.addWidget(label)
    plain = label.height()
    label.setStyleSheet("padding: 4px;")
    label.show()
    qtbot.waitExposed(label)
    assert label.height() >= plain + 8
