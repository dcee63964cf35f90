"""Messages from the core as rich text: one rule for every label that shows them.

Core messages are plain text that may quote a command or a flag in backticks
("run `wan22 launch --comfyui PATH`"). Shown as-is, a label prints the backticks; here they
become monospace, the rest is escaped, and line breaks stay line breaks.
"""

from __future__ import annotations

import html
import re

_CODE = re.compile(r"`([^`\n]+)`")


def message_html(text: str) -> str:
    """Escaped rich text of `text`: `quoted` parts in monospace, newlines as <br>."""
    parts = _CODE.split(text or "")
    out = []
    for i, part in enumerate(parts):
        escaped = html.escape(part)
        out.append(f"<code>{escaped}</code>" if i % 2 else escaped)
    return "".join(out).replace("\n", "<br>")


def colored(text: str, color: str) -> str:
    """`message_html(text)` in one colour."""
    return f"<span style='color:{color}'>{message_html(text)}</span>"
