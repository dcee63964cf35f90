"""Exception hierarchy. Every message is written for the person using the app."""

from __future__ import annotations


class Wan22Error(Exception):
    """Base class of every error the app reports to a user.

    Attributes:
        hint: one sentence telling the user what to do about it (may be empty).
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def user_text(self) -> str:
        """The message and the hint, as shown in a dialog or printed by the CLI."""
        text = str(self)
        return f"{text}\n{self.hint}" if self.hint else text


class ServerUnavailable(Wan22Error):
    """No ComfyUI answers at the URL (refused, timed out, DNS, not ComfyUI at all)."""


class ComfyApiError(Wan22Error):
    """ComfyUI answered, but not the way the API says it should (status, malformed JSON)."""


class PromptRejected(Wan22Error):
    """POST /prompt returned 400. `problems` lists what is wrong, node by node."""

    def __init__(self, message: str, problems: list | None = None, hint: str = "") -> None:
        super().__init__(message, hint)
        self.problems = list(problems or [])

    def user_text(self) -> str:
        lines = [str(self)] + [f"  - {p}" for p in self.problems]
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class UnsafePath(Wan22Error):
    """A filename from the server tried to escape the folder it belongs in."""


class LaunchError(Wan22Error):
    """ComfyUI could not be started (install not found, port busy, bad flags)."""


class PresetError(Wan22Error):
    """A launch preset file is malformed or names an unknown preset."""


class NvmlUnavailable(Wan22Error):
    """NVML cannot be used: no NVIDIA driver, library missing, or no permission."""


class WorkflowError(Wan22Error):
    """A workflow cannot be built, imported or validated."""


class InputError(Wan22Error):
    """Bad user input: unreadable image, wrong path, impossible frame count, ..."""


class StorageError(Wan22Error):
    """The app's own files cannot be used: its folders are not writable, the disk is full,
    or the history database is locked, read-only or damaged."""


def storage_reason(exc: BaseException) -> str:
    """A few words for why a file operation failed ("permission denied", "the disk is full")."""
    import errno

    words = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
             errno.ENOSPC: "the disk is full", errno.EROFS: "the disk is read-only",
             errno.EDQUOT: "the disk quota is used up", errno.ENOTDIR: "a file is in the way",
             errno.EEXIST: "a file is in the way"}
    number = getattr(exc, "errno", None)
    return words.get(number or -1) or getattr(exc, "strerror", None) or str(exc) or \
        type(exc).__name__
