"""The app's message bus: what the user should be told, from any thread, in words.

One `MessageBus` per app (the composition root owns it). Workers and the last-resort
exception hooks post `Message`s; the GUI shows them (status bar, notice, crash dialog), the CLI
prints them. Levels: "info", "warning", "error", and "critical" for an exception nobody caught
(the GUI answers that one with the crash dialog).
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import traceback
from dataclasses import dataclass

from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.base.signals import Signal

log = logging.getLogger("wan22.messages")

LEVELS = ("info", "warning", "error", "critical")


@dataclass(frozen=True)
class Message:
    """One thing to tell the user: `text` in words, `details` (a traceback) for the curious,
    `where` names the part of the app it came from ("the job queue", "thread comfy-ws")."""

    level: str
    text: str
    details: str = ""
    where: str = ""


class MessageBus:
    """Posts `Message`s to its subscribers.

    Signals:
        posted(Message): emitted on the thread that posts; the GUI marshals it.
    """

    def __init__(self) -> None:
        self.posted = Signal("messages.posted")

    def post(self, message: Message) -> Message:
        if message.level not in LEVELS:
            raise ValueError(f"unknown message level {message.level!r}")
        self.posted.emit(message)
        return message

    def info(self, text: str, details: str = "", where: str = "") -> Message:
        return self.post(Message("info", text, details, where))

    def warning(self, text: str, details: str = "", where: str = "") -> Message:
        return self.post(Message("warning", text, details, where))

    def error(self, text: str, details: str = "", where: str = "") -> Message:
        return self.post(Message("error", text, details, where))

    def report_exception(self, exc: BaseException, where: str,
                         level: str = "error") -> Message:
        """Log `exc` with its traceback and post it as a message a user can read."""
        log.error("unexpected error in %s", where or "the app",
                  exc_info=(type(exc), exc, exc.__traceback__))
        return self.post(exception_message(exc, where, level))


def exception_message(exc: BaseException, where: str, level: str = "error") -> Message:
    """The Message for an exception: its text in words, its traceback as details."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text = describe_exception(exc)
    if where:
        text = f"Unexpected problem in {where}: {text}"
    return Message(level, text, details, where)


def describe_exception(exc: BaseException) -> str:
    """One sentence about `exc` for a person, not a programmer."""
    if isinstance(exc, Wan22Error):
        return exc.user_text()
    if isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc).lower():
        return "the disk holding the app's data is full; free some space and try again."
    if isinstance(exc, sqlite3.DatabaseError):
        return f"the app's history database could not be used ({exc})."
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the disk is full; free some space and try again."
    if isinstance(exc, MemoryError):
        return "the computer ran out of memory."
    if isinstance(exc, OSError):
        return f"a file or network operation failed ({exc})."
    name = type(exc).__name__
    return f"{name}: {exc}. This is a bug in the app; the log has the details." if str(exc) \
        else f"{name}. This is a bug in the app; the log has the details."
