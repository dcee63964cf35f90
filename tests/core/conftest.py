"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def store(tmp_path):
    """A fresh history database in the test's folder, closed afterwards."""
    from wan22_gui.core.history import HistoryStore

    history = HistoryStore(tmp_path / "history.sqlite3")
    yield history
    history.close()
