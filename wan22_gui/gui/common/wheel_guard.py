"""The wheel guard: scrolling a form never changes its settings.

Spin boxes, combo boxes and sliders take the mouse wheel only once they have focus (a click
or Tab); an unfocused one under the pointer passes the wheel to the scroll area it sits in, so
the form scrolls on. One event filter on the QApplication covers every panel, also widgets
made later (model combos filled from the server, rows added by a spec).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox, QSlider, QWidget

GUARDED = (QAbstractSpinBox, QComboBox, QSlider)


class WheelGuard(QObject):
    """Event filter: StrongFocus for the guarded widgets, and their unfocused wheel to the
    enclosing scroll area."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # Qt override
        kind = event.type()
        if kind not in (QEvent.Type.Polish, QEvent.Type.Wheel) or not isinstance(obj, GUARDED):
            return False
        if kind == QEvent.Type.Polish:
            calm(obj)
            return False
        if obj.hasFocus():
            return False
        area = scroll_area_of(obj)
        if area is None:
            return False
        # the scroll area scrolls as if the pointer were over its empty viewport
        QCoreApplication.sendEvent(area.viewport(), event)
        return True


def calm(widget: QWidget) -> None:
    """Focus by click or Tab only: with WheelFocus the wheel would focus it and then turn it."""
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area `widget` is inside (not counting a combo's own popup list)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def install_wheel_guard(app: QCoreApplication) -> WheelGuard:
    """Put the guard on `app` once (later calls return the same guard)."""
    existing = app.findChild(WheelGuard)
    if existing is not None:
        return existing
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    for widget in app.allWidgets() if hasattr(app, "allWidgets") else ():
        if isinstance(widget, GUARDED):
            calm(widget)  # widgets polished before the guard came
    return guard
