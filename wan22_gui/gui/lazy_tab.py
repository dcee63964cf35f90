"""A tab page that builds its panel the first time it is shown.

Until then it holds one label, so start-up pays only for the tab the user sees (the other
panels, and the modules they import, load when their tab is first opened). A panel that fails
to build says so on its page in words, and the rest of the window goes on.
"""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

log = logging.getLogger("wan22.gui")


class LazyTab(QWidget):
    """The page of one tab: a placeholder, then the panel `build()` returns.

    Args:
        title: the tab's title (for the placeholder and the failure text).
        build: makes the panel; called once, on the GUI thread, when the page is first shown
            or `ensure_panel()` is called.
        on_built: told the panel once it exists.
    """

    def __init__(self, title: str, build: Callable[[], QWidget],
                 on_built: Callable[[QWidget], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self._build = build
        self._on_built = on_built
        self.panel: QWidget | None = None
        self.problem: str | None = None  # why the panel could not be built
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel(f"Opening {title}…")
        self.placeholder.setObjectName("lazy_tab_placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        layout.addWidget(self.placeholder)

    def showEvent(self, event: QShowEvent) -> None:  # Qt override
        super().showEvent(event)
        self.ensure_panel()

    def ensure_panel(self) -> QWidget | None:
        """The panel, built now if it was not yet (None when building it failed)."""
        if self.panel is not None or self.problem is not None:
            return self.panel
        try:
            panel = self._build()
        except Exception as exc:  # one broken tab must not take the window down
            log.exception("the %s tab could not be opened", self.title)
            self.problem = f"{type(exc).__name__}: {exc}"
            self.placeholder.setText(
                f"The {self.title} tab could not be opened: {self.problem}\n"
                "Help → Reveal log shows the details.")
            return None
        self.panel = panel
        self.layout().replaceWidget(self.placeholder, panel)
        self.placeholder.hide()
        self.placeholder.deleteLater()
        panel.show()  # added to a visible page: Qt would otherwise show it a turn later
        if self._on_built is not None:
            self._on_built(panel)
        return panel
