"""No ComfyUI is left behind when the app exits, crashes or is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tests.core.launcher_helpers import free_port, process_gone
from tests.fakes.fake_comfyui_install import REPO_ROOT, make_install

APP = textwrap.dedent("""
    import sys, time
    from wan22_gui.core.comfy.connection import ServerConnection
    from wan22_gui.core.presets import load_presets
    from wan22_gui.core.server.install import find_install
    from wan22_gui.core.server.launcher import ServerController

    root, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ctl = ServerController(ServerConnection(), poll_s=0.1)
    ctl.start(find_install(root), load_presets().get("cpu"), port)
    assert ctl.wait_ready(30), ctl.process.lines()
    print("PID", ctl.process.pid, flush=True)
    if mode == "exit":
        sys.exit(0)  # no ctl.close(): the atexit hook must stop ComfyUI
    if mode == "crash":
        raise RuntimeError("the app crashed")
    time.sleep(600)  # the test kills us with SIGKILL
""")


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("mode", ["exit", "crash", "sigkill"])
def test_app_exit_leaves_no_comfyui_behind(tmp_path, mode):
    root = make_install(tmp_path / "ComfyUI")
    app = subprocess.Popen([sys.executable, "-c", APP, str(root), str(free_port()), mode],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           cwd=REPO_ROOT)
    comfy_pid = None
    try:
        line = app.stdout.readline()
        assert line.startswith("PID"), app.stderr.read()
        comfy_pid = int(line.split()[1])
        if mode == "sigkill":
            app.send_signal(signal.SIGKILL)
        app.wait(30)
        assert process_gone(comfy_pid, timeout=15), f"ComfyUI {comfy_pid} outlived the app"
    finally:
        if comfy_pid is not None and not process_gone(comfy_pid, timeout=0):
            os.kill(comfy_pid, signal.SIGKILL)  # never leave a failed test's child running
        if app.poll() is None:
            app.kill()
            app.wait()
        app.stdout.close()
        app.stderr.close()
