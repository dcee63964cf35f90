"""Moving a clip's files to the system trash, and what happens when one cannot go.

`send2trash` is the one cross-platform way: the Windows recycle bin, the macOS Trash, the
freedesktop trash on Linux. A delete in the gallery is undoable from the desktop's trash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import send2trash  # type: ignore[import-untyped]  # no stubs shipped

from wan22_gui.core.base.errors import InputError

Trash = Callable[[Path], None]


def system_trash(path: Path) -> None:
    """Move `path` to the system trash (raises OSError when it cannot)."""
    send2trash.send2trash(str(path))


@dataclass(frozen=True)
class DeleteResult:
    """What a delete did.

    Attributes:
        trashed: files now in the trash.
        kept: files that stayed, as "name (why)".
        deleted_jobs: history rows marked deleted.
        kept_jobs: rows left as they were, because one of their files stayed.
        forgotten: clips the user added, removed from the gallery (their files stay).
    """

    trashed: tuple[Path, ...] = ()
    kept: tuple[str, ...] = ()
    deleted_jobs: tuple[str, ...] = ()
    kept_jobs: tuple[str, ...] = ()
    forgotten: tuple[Path, ...] = ()

    def summary(self) -> str:
        """One line for the status bar or the terminal."""
        parts = []
        if self.trashed:
            parts.append(f"Moved {len(self.trashed)} file(s) to the trash.")
        if self.forgotten:
            parts.append(f"Removed {len(self.forgotten)} added clip(s) from the gallery.")
        if self.deleted_jobs and not self.trashed:
            parts.append(f"Removed {len(self.deleted_jobs)} job(s) from the history.")
        return " ".join(parts) or "Nothing to delete."


class TrashError(InputError):
    """Some files could not be moved to the trash; `result` says what was done and what kept."""

    def __init__(self, result: DeleteResult) -> None:
        super().__init__(
            f"Could not move {len(result.kept)} file(s) to the trash: {', '.join(result.kept)}.",
            "Their history rows are kept. Close any program using them, or check the "
            "permissions, then delete again.")
        self.result = result


def trash_files(files: list[Path], trash: Trash) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Trash each file; returns (trashed, [(kept, why)])."""
    trashed, kept = [], []
    for path in files:
        try:
            trash(path)
        except OSError as exc:
            kept.append((path, exc.strerror or str(exc)))
        else:
            trashed.append(path)
    return trashed, kept
