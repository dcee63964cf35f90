"""Fixtures shared by the launcher tests."""

from __future__ import annotations

import pytest

from wan22_gui.core.comfy.connection import ServerConnection
from wan22_gui.core.server import launcher as L


@pytest.fixture
def controller(tmp_path):
    """A ServerController with short timeouts, closed (its ComfyUI stopped) afterwards."""
    ctl = L.ServerController(ServerConnection(), log_file=tmp_path / "logs" / "comfyui.log",
                             ready_timeout_s=30, stop_grace_s=5, poll_s=0.1)
    yield ctl
    ctl.close()
