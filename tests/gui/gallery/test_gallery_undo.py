"""Delete in the gallery offers Undo: the tile goes at once, the files only after the Undo
time; Undo (the button or Ctrl+Z) brings the clip back with its files and history row."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.gallery.test_gallery import (  # noqa: F401 - fixtures
    _job, _keys, _select, core, make_panel, trash, videos,
)


def test_undo_puts_the_clip_back_before_anything_is_trashed(qtbot, core, videos,  # noqa: F811
                                                            make_panel, trash):  # noqa: F811
    a, _, _ = videos
    core.history.add(_job("j1", a))
    panel = make_panel()
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=10000)
    _select(panel, "j1")
    panel.confirm = lambda text: True
    panel.delete()
    qtbot.waitUntil(lambda: _keys(panel) == [], timeout=5000)
    assert panel.undo_bar.isVisible() and "Deleted" in panel.undo_bar.text.text()
    assert a.exists() and "Ctrl+Z" in panel.undo_bar.button.toolTip()
    qtbot.mouseClick(panel.undo_bar.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _keys(panel) == ["j1"], timeout=5000)
    assert not panel.undo_bar.isVisible() and "Restored" in panel.status.text()
    panel.pending.flush()  # the time would have passed: nothing is left to delete
    assert a.exists() and not core.history.get("j1").deleted
    assert list(trash.iterdir()) == []


def test_ctrl_z_undoes_and_closing_the_app_carries_out_a_pending_delete(
        qtbot, core, videos, make_panel, trash):  # noqa: F811
    a, b, _ = videos
    core.history.add(_job("j1", a))
    core.history.add(_job("j2", b, hours_ago=2))
    panel = make_panel()
    qtbot.waitUntil(lambda: sorted(_keys(panel)) == ["j1", "j2"], timeout=10000)
    panel.confirm = lambda text: True
    _select(panel, "j1")
    panel.delete()
    qtbot.waitUntil(lambda: _keys(panel) == ["j2"], timeout=5000)
    qtbot.keyClick(panel.undo_bar.button, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: sorted(_keys(panel)) == ["j1", "j2"], timeout=5000)
    _select(panel, "j2")
    panel.delete()
    panel.shutdown()  # the app closes within the Undo time: the user's delete still happens
    assert not b.exists() and core.history.get("j2").deleted and a.exists()
