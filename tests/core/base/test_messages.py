"""The message bus: messages in words, exceptions logged with their traceback."""

from __future__ import annotations

import errno
import logging
import sqlite3

import pytest

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.messages import Message, MessageBus, describe_exception


def _raised(exc):
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 - the test wants the traceback
        return caught


def test_helpers_post_frozen_messages_of_their_level():
    bus, seen = MessageBus(), []
    bus.posted.connect(seen.append)
    bus.info("hello", where="x")
    bus.warning("careful")
    bus.error("broken", details="trace")
    assert [m.level for m in seen] == ["info", "warning", "error"]
    assert seen[0] == Message("info", "hello", "", "x")
    with pytest.raises(AttributeError):
        seen[0].text = "changed"  # type: ignore[misc]
    with pytest.raises(ValueError):
        bus.post(Message("loud", "?"))


def test_report_exception_logs_the_traceback_and_posts_words(caplog):
    bus, seen = MessageBus(), []
    bus.posted.connect(seen.append)
    exc = _raised(sqlite3.OperationalError("database or disk is full"))
    with caplog.at_level(logging.ERROR, logger="wan22"):
        message = bus.report_exception(exc, "the job queue")
    assert seen == [message]
    assert message.level == "error" and message.where == "the job queue"
    assert "the disk holding the app's data is full" in message.text
    assert "Traceback" in message.details and "OperationalError" in message.details
    assert caplog.records[-1].exc_info is not None


@pytest.mark.parametrize("exc, words", [
    (InputError("Bad image.", "Pick another."), "Bad image.\nPick another."),
    (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
    (MemoryError(), "ran out of memory"),
    (KeyError("frames"), "KeyError: 'frames'. This is a bug in the app"),
])
def test_describe_exception_speaks_to_a_user(exc, words):
    assert words in describe_exception(exc)
