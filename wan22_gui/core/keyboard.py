"""The app's keyboard shortcuts, in one Qt-free table.

The menus, the buttons' tooltips and the user guide all read this table, so what a tooltip
promises is what the key does. Keys are written the way Qt's `QKeySequence` parses them
("Ctrl+Return"); `display` gives the text shown to the user.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shortcut:
    """One command's keys: the first is shown; the others also work (e.g. keypad Enter)."""

    name: str
    keys: tuple[str, ...]
    what: str

    @property
    def display(self) -> str:
        return display(self.keys[0])


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("queue", ("Ctrl+Return", "Ctrl+Enter"), "Queue the job in the Generate form"),
    Shortcut("open_image", ("Ctrl+O",), "Choose the start image"),
    Shortcut("area_launcher", ("Ctrl+1",), "Go to the ComfyUI launcher"),
    Shortcut("area_generate", ("Ctrl+2",), "Go to Generate"),
    Shortcut("area_gallery", ("Ctrl+3",), "Go to the Gallery"),
    Shortcut("area_benchmark", ("Ctrl+4",), "Go to the Benchmark"),
    Shortcut("undo_delete", ("Ctrl+Z",), "Undo the last delete in the Gallery"),
    Shortcut("quit", ("Ctrl+Q",), "Quit"),
)
BY_NAME = {s.name: s for s in SHORTCUTS}

# The areas Ctrl+1..4 go to, in key order (panel names of the main window).
AREA_KEYS = ("launcher", "generate", "gallery", "benchmark")


def display(key: str) -> str:
    """How a key reads on screen: "Ctrl+Return" -> "Ctrl+Enter"."""
    return key.replace("Return", "Enter")


def keys_of(name: str) -> tuple[str, ...]:
    return BY_NAME[name].keys


def with_key(text: str, name: str) -> str:
    """A tooltip that names the shortcut: "Queue the job (Ctrl+Enter)"."""
    return f"{text} ({BY_NAME[name].display})"
