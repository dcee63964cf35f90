"""The gallery's filter bar in a narrow window: the search box stays usable, nothing overlaps."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from wan22_gui.gui.gallery.filters import SEARCH_MIN_WIDTH, GalleryFilterBar


@pytest.mark.parametrize("width", [1880, 880])  # the gallery tab at 1920 and at 1280 px
def test_the_search_box_keeps_its_room_and_no_control_overlaps(qtbot, width):
    bar = GalleryFilterBar()
    qtbot.addWidget(bar)
    bar.resize(width, 40)
    bar.show()
    QApplication.processEvents()
    assert bar.search.width() >= SEARCH_MIN_WIDTH  # was squeezed to "S…" at 1280 px
    controls = [w for w in bar.findChildren(QWidget) if w.parent() is bar and w.isVisible()]
    rects = sorted((w.geometry() for w in controls), key=lambda r: r.left())
    for left, right in zip(rects, rects[1:]):
        assert left.right() < right.left(), "two controls overlap"
    assert rects[-1].right() <= bar.width(), "the last control is cut off"
    if width > 1500:  # with room, every choice reads in full
        assert not any(c.width() < c.sizeHint().width() for c in
                       (bar.date, bar.source, bar.resolution, bar.duration, bar.status, bar.sort))
