"""Logging setup: the ring is returned (no module global) and reused; a crash can be appended
to the log file without touching the console."""

from __future__ import annotations

import logging

import pytest

from wan22_gui.core.base.logsetup import append_exception, find_ring, setup_logging


@pytest.fixture
def wan22_logger():
    logger = logging.getLogger("wan22")
    before, level = list(logger.handlers), logger.level
    yield logger
    for added in set(logger.handlers) - set(before):
        logger.removeHandler(added)
        added.close()
    logger.setLevel(level)


def test_setup_returns_the_one_ring_and_it_holds_recent_lines(wan22_logger, tmp_path):
    ring = setup_logging(tmp_path / "a.log")
    assert setup_logging(None) is ring is find_ring(wan22_logger)
    logging.getLogger("wan22.test").info("hello ring")
    assert ring.lines(last=1)[0].endswith("wan22.test: hello ring")


def test_append_exception_writes_the_traceback_to_the_file(tmp_path, capsys):
    try:
        raise RuntimeError("cli bug")
    except RuntimeError as exc:
        append_exception(tmp_path / "logs" / "wan22.log", exc, "wan22 generate failed")
    text = (tmp_path / "logs" / "wan22.log").read_text(encoding="utf-8")
    assert "wan22 generate failed" in text and "RuntimeError: cli bug" in text
    assert capsys.readouterr().err == ""
