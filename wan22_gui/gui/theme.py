"""The app's look: the Fusion style on one dark and one light palette, chosen by the user.

`View → Theme → System / Dark / Light` is saved as the setting `view.theme`. "System" follows
the desktop's colour scheme (`QStyleHints.colorScheme()`, Qt 6.5+) and changes with it. Widgets
that paint their own colours (the pyqtgraph plots) connect to `notifier().changed` and read
`plot_colors()`; everything else takes its colours from the palette.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from wan22_gui.core.base.settings import Settings, declare

THEME_KEY = "view.theme"
CHOICES = ("system", "dark", "light")
declare(THEME_KEY, "system")

# Layout rhythm shared by the panels: margins around an area, spacing between its rows.
MARGIN = 8
SPACING = 6


@dataclass(frozen=True)
class Colors:
    """The handful of colours the app names itself; the palette is built from them."""

    window: str
    base: str
    alternate: str
    text: str
    muted: str
    button: str
    highlight: str
    highlighted_text: str
    link: str
    grid: str


DARK = Colors(window="#202124", base="#17181a", alternate="#26282b", text="#e8eaed",
              muted="#9aa0a6", button="#2d2f33", highlight="#3d7bd9", highlighted_text="#ffffff",
              link="#8ab4f8", grid="#3c4043")
LIGHT = Colors(window="#f3f3f3", base="#ffffff", alternate="#f5f7fa", text="#202124",
               muted="#5f6368", button="#e9e9e9", highlight="#1a73e8", highlighted_text="#ffffff",
               link="#1a5fb4", grid="#dadce0")


def build_palette(colors: Colors) -> QPalette:
    """A complete QPalette (active, inactive and disabled groups) from `colors`."""
    palette = QPalette()
    role = QPalette.ColorRole
    pairs = {
        role.Window: colors.window, role.WindowText: colors.text, role.Base: colors.base,
        role.AlternateBase: colors.alternate, role.Text: colors.text, role.Button: colors.button,
        role.ButtonText: colors.text, role.ToolTipBase: colors.alternate,
        role.ToolTipText: colors.text, role.Highlight: colors.highlight,
        role.HighlightedText: colors.highlighted_text, role.Link: colors.link,
        role.PlaceholderText: colors.muted, role.BrightText: "#ff5252",
        role.Light: colors.alternate, role.Midlight: colors.button, role.Mid: colors.grid,
        role.Dark: colors.grid, role.Shadow: "#000000",
    }
    for r, value in pairs.items():
        palette.setColor(r, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, r, QColor(colors.muted))
    return palette


def indicator_palette(palette: QPalette, dark: bool) -> QPalette:
    """The palette check boxes and radio buttons draw their box with. Fusion outlines the box in
    the window colour darkened and fills it with the base colour: on the dark theme both are
    within a few shades of the window, so an unticked box could not be seen. These widgets do not
    fill their background, so a lighter window colour changes only the outline."""
    out = QPalette(palette)
    if dark:
        out.setColor(QPalette.ColorRole.Window, QColor("#8a8f96"))
        out.setColor(QPalette.ColorRole.Base, QColor("#2d2f33"))
    return out


class _Notifier(QObject):
    """Tells widgets with their own colours that the theme changed (argument: dark or not)."""

    changed = Signal(bool)


_notifier: _Notifier | None = None
_dark = False


def notifier() -> _Notifier:
    """The one process-wide notifier (made on first use, on the GUI thread)."""
    global _notifier
    if _notifier is None:
        _notifier = _Notifier()
    return _notifier


def is_dark() -> bool:
    """Whether the theme applied last is dark."""
    return _dark


def colors() -> Colors:
    return DARK if _dark else LIGHT


@dataclass(frozen=True)
class PlotColors:
    background: str
    foreground: str
    grid: str


def plot_colors() -> PlotColors:
    """Colours for pyqtgraph: the canvas, axes and text, and grid lines."""
    c = colors()
    return PlotColors(background=c.base, foreground=c.muted, grid=c.grid)


_STATUS = {  # text colours that read on each theme's window colour
    "error": ("#ff8a80", "#b00020"),
    "ok": ("#81c995", "#1b5e20"),
}


_STATUS_KIND = "wan22_status_kind"  # the widget property show_status keeps its kind in


def status_color(kind: str) -> str:
    """The colour of a one-line outcome: "error" or "ok"."""
    dark, light = _STATUS[kind]
    return dark if _dark else light


def show_status(widget: QWidget, kind: str | None) -> None:
    """Colour `widget`'s text as an outcome ("ok" or "error"; None: plain text). It takes the
    new theme's colour for that kind when the theme changes, so it always reads."""
    widget.setProperty(_STATUS_KIND, kind or "")
    widget.setStyleSheet(f"color: {status_color(kind)};" if kind else "")


def _recolour_statuses(app: QApplication) -> None:
    for widget in app.allWidgets():
        kind = widget.property(_STATUS_KIND)
        if kind:
            widget.setStyleSheet(f"color: {status_color(kind)};")


def system_prefers_dark() -> bool:
    """The desktop's choice (Qt 6.5+); a desktop that says nothing counts as light."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def choice_of(settings: Settings) -> str:
    value = str(settings.get(THEME_KEY) or "system").lower()
    return value if value in CHOICES else "system"


def apply(choice: str, app: QApplication | None = None) -> bool:
    """Put the Fusion style and the palette for `choice` on the app; returns whether dark."""
    global _dark
    app = app or QApplication.instance()  # type: ignore[assignment]
    dark = system_prefers_dark() if choice == "system" else choice == "dark"
    if app is not None:
        if app.style().name().lower() != "fusion":
            app.setStyle("Fusion")  # the one style that honours a palette on every platform
        palette = build_palette(DARK if dark else LIGHT)
        app.setPalette(palette)
        for name in ("QCheckBox", "QRadioButton"):
            app.setPalette(indicator_palette(palette, dark), name)
        _repolish_styled(app)
        _recolour_links(app)
    changed = dark != _dark
    _dark = dark
    if app is not None:
        _recolour_statuses(app)
    if changed:
        notifier().changed.emit(dark)
    return dark


def _repolish_styled(app: QApplication) -> None:
    """Widgets with a style sheet keep the palette they were polished with; polish them again
    so their text takes the new colours."""
    for widget in app.allWidgets():
        if widget.styleSheet():
            widget.setStyleSheet(widget.styleSheet())


def _recolour_links(app: QApplication) -> None:
    """Qt colours a rich-text link when the text is set (from the palette of that moment), so a
    link set in the light theme stays dark blue on the dark one; setting the text again
    recolours it (the same text is ignored, hence the blank in between)."""
    for widget in app.allWidgets():
        if isinstance(widget, QLabel) and "<a " in (text := widget.text()):
            widget.setText("")
            widget.setText(text)


def choose(settings: Settings, choice: str, app: QApplication | None = None) -> bool:
    """The user picked a theme in the menu: save it and apply it."""
    if choice not in CHOICES:
        raise ValueError(f"unknown theme {choice!r}; one of {', '.join(CHOICES)}")
    settings.set(THEME_KEY, choice)
    return apply(choice, app)


def install(app: QApplication, settings: Settings) -> None:
    """Apply the saved theme, and follow the desktop while the choice is "System"."""
    apply(choice_of(settings), app)
    hints = app.styleHints()
    signal = getattr(hints, "colorSchemeChanged", None)
    if signal is not None:
        signal.connect(lambda _scheme: _follow_system(app, settings))


def _follow_system(app: QApplication, settings: Settings) -> None:
    if choice_of(settings) == "system":
        apply("system", app)
