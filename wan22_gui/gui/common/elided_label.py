"""A status label that never moves the layout: fixed height, elided text, full text on hover.

A plain QLabel asks for the width of its text (or, word-wrapped, a height that follows it), so
a long "Saved /very/long/path.mp4" widens its column and everything beside it moves. This one
asks for no width at all (horizontal policy Ignored), keeps the height of `lines` lines, wraps
within them and ends the last one with "…"; the tooltip holds the whole text.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QTextLayout, QTextOption
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

_MARGIN = 2  # vertical padding, so descenders are not cut


class ElidedLabel(QLabel):
    """A QLabel for changing status text: `text()` is the full text; at most `lines` lines
    show, the rest is elided."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *, lines: int = 1,
                 name: str | None = None) -> None:
        super().__init__("", parent)
        self._lines = max(1, lines)
        self._own_tip = ""
        if name:
            self.setObjectName(name)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setWordWrap(False)
        self.setText(text)
        self._fix_height()

    # -- text -------------------------------------------------------------------------------

    def setText(self, text: str) -> None:  # Qt override: keeps the tooltip in step
        super().setText(text)
        tip = text if self._own_tip == "" else f"{text}\n\n{self._own_tip}"
        super().setToolTip(tip if text else self._own_tip)
        self.update()

    def setToolTip(self, tip: str) -> None:  # Qt override: an extra tip goes below the text
        self._own_tip = tip
        self.setText(self.text())

    def is_elided(self) -> bool:
        """True when the text does not fit and part of it shows as "…"."""
        return self._layout_lines(self.width())[1]

    # -- size -------------------------------------------------------------------------------

    def changeEvent(self, event) -> None:  # Qt override: a new font or style changes the height
        super().changeEvent(event)
        self._fix_height()

    def _fix_height(self) -> None:
        margins = self.contentsMargins()  # a style sheet's padding lands here
        height = (self.fontMetrics().lineSpacing() * self._lines + 2 * _MARGIN
                  + margins.top() + margins.bottom())
        if self.minimumHeight() != height or self.maximumHeight() != height:
            self.setFixedHeight(height)

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(0, self.minimumHeight())

    def minimumSizeHint(self) -> QSize:  # Qt override
        return QSize(0, self.minimumHeight())

    # -- painting ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt override
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        line_height = self.fontMetrics().lineSpacing()
        shown, _ = self._layout_lines(self.contentsRect().width())
        rect = self.contentsRect()
        for i, line in enumerate(shown):
            row = QRectF(rect.left(), rect.top() + _MARGIN + i * line_height, rect.width(),
                         line_height)
            painter.drawText(row, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             line)
        painter.end()

    def _layout_lines(self, width: int) -> tuple[list[str], bool]:
        """The lines that show at `width`, and whether text was cut."""
        text = " ".join(self.text().split("\n")) if self._lines == 1 else self.text()
        if width <= 0 or not text:
            return [], bool(text)
        metrics = self.fontMetrics()
        wrapped = _wrap(text, self.font(), width)
        if len(wrapped) <= self._lines and all(metrics.horizontalAdvance(w) <= width
                                               for w in wrapped):
            return wrapped, False
        kept = wrapped[:self._lines]
        rest = " ".join(wrapped[self._lines - 1:])
        kept[-1] = metrics.elidedText(rest, self._elide_mode(), width)
        return kept, True

    def _elide_mode(self) -> Qt.TextElideMode:
        return Qt.TextElideMode.ElideMiddle if self._lines == 1 and _looks_like_path(
            self.text()) else Qt.TextElideMode.ElideRight


def _wrap(text: str, font, width: int) -> list[str]:
    """`text` broken into lines of at most `width` pixels (at word boundaries where it can)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        layout = QTextLayout(paragraph, font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            lines.append(paragraph[line.textStart():line.textStart() + line.textLength()].rstrip())
        layout.endLayout()
    return lines


def _looks_like_path(text: str) -> bool:
    """Ends in a path ("Saved /a/b/clip.mp4"): the file name matters most, elide the middle."""
    words = text.split()
    return bool(words) and ("/" in words[-1] or "\\" in words[-1])
