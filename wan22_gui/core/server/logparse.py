"""Pure functions over ComfyUI's console lines (what it prints while starting and running)."""

from __future__ import annotations

import re
from typing import Iterable

READY_RE = re.compile(r"To see the GUI go to:\s*(https?://\S+)")
_FACTS = {
    "comfyui_version": re.compile(r"^ComfyUI version:\s*(\S+)"),
    "pytorch_version": re.compile(r"^pytorch version:\s*(\S+)"),
    "python_version": re.compile(r"^Python version:\s*(\S+)"),
    "device": re.compile(r"^Device:\s*(.+)$"),
    "vram_state": re.compile(r"^Set vram state to:\s*(\S+)"),
    "total_vram_mb": re.compile(r"^Total VRAM (\d+) MB"),
}
# The last line of a Python traceback: "OSError: [Errno 98] ...", "torch.OutOfMemoryError: ...".
EXCEPTION_RE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)):\s?(.*)$")
MODULE_RE = re.compile(r"No module named '([^']+)'")


def ready_url(line: str) -> str | None:
    """The URL in ComfyUI's "To see the GUI go to: ..." line (None for other lines)."""
    match = READY_RE.search(line)
    return match.group(1) if match else None


def startup_facts(lines: Iterable[str]) -> dict[str, str]:
    """Versions, device and VRAM mode that ComfyUI prints while it starts."""
    facts: dict[str, str] = {}
    for line in lines:
        text = line.strip()
        for key, pattern in _FACTS.items():
            match = pattern.match(text)
            if match and key not in facts:
                facts[key] = match.group(1).strip()
    return facts


def last_exception(lines: list[str]) -> tuple[int, str, str] | None:
    """(line index, exception type, message) of the last exception line, or None."""
    for index in range(len(lines) - 1, -1, -1):
        match = EXCEPTION_RE.match(lines[index].strip())
        if match:
            return index, match.group(1), match.group(2)
    return None


def missing_module(text: str) -> str | None:
    """'torchaudio' from "ModuleNotFoundError: No module named 'torchaudio'" (top package)."""
    match = MODULE_RE.search(text)
    return match.group(1).split(".")[0] if match else None
