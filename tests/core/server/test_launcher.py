"""Launch, readiness, log streaming, stop, crash and port-conflict paths, with a real child
process laid out like a ComfyUI install (tests/fakes/fake_comfyui_install)."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from wan22_gui.core.comfy.connection import ServerConnection
from wan22_gui.core.base.errors import LaunchError, ServerUnavailable
from wan22_gui.core.presets import load_presets
from wan22_gui.core.server import launcher as L
from wan22_gui.core.server.install import find_install
from tests.core.launcher_helpers import free_port, process_gone, wait_for
from tests.fakes.fake_comfyui_install import make_install


@pytest.fixture
def install(tmp_path):
    return find_install(make_install(tmp_path / "ComfyUI"))


def _preset(name="rtx-4090"):
    return load_presets().get(name)


def test_launch_ready_streams_log_sets_connection_and_stops(controller, install, tmp_path):
    lines, states = [], []
    controller.log_line.connect(lines.append)
    controller.state_changed.connect(states.append)
    port = free_port()
    plan = controller.start(install, _preset(), port)
    assert controller.wait_ready(20), controller.process.lines()
    info = controller.connection.info
    assert info.url == f"http://127.0.0.1:{port}" and info.source == "launched"
    assert info.pid == controller.process.pid and info.reserve_vram_gb == 4.0
    assert controller.stats["system"]["argv"][1:] == plan.flags
    assert "--reserve-vram" in plan.flags and plan.env["TORCH_COMPILE"] == "0"
    assert any("To see the GUI go to" in line for line in lines)
    assert any("ComfyUI version: 0.3.64" in line for line in controller.process.lines())
    pid = info.pid
    controller.stop()
    assert states == [L.STATE_STARTING, L.STATE_READY, L.STATE_STOPPING, L.STATE_STOPPED]
    assert controller.connection.info is None
    assert process_gone(pid)
    log_text = (tmp_path / "logs" / "comfyui.log").read_text(encoding="utf-8")
    assert "To see the GUI go to" in log_text and "Stopped server" in log_text


def test_bad_flag_is_reported_as_a_crash_with_a_fix(controller, install):
    crashes = []
    controller.crashed.connect(crashes.append)
    controller.start(install, _preset(), free_port(), extra_args=["--no-such-flag"])
    assert not controller.wait_ready(20)
    assert controller.state == L.STATE_CRASHED
    assert crashes[0].kind == "bad_flag" and crashes[0].exit_code == 2
    assert "--no-such-flag" in crashes[0].sentence


def test_sage_attention_needs_its_package(controller, install):
    controller.start(install, _preset(), free_port(), attention="sage")
    assert not controller.wait_ready(20)
    assert controller.last_crash.kind == "missing_attention_package"
    assert "pip install sageattention" in controller.last_crash.fix
    (install.root / "site" / "sageattention.py").write_text("# importable now\n")
    controller.start(install, _preset(), free_port(), attention="sage")
    assert controller.wait_ready(20)
    assert "--use-sage-attention" in controller.stats["system"]["argv"]


def test_crash_mid_run_is_classified_and_clears_the_connection(controller, install):
    crashes = []
    controller.crashed.connect(crashes.append)
    controller.start(install, _preset(), free_port(),
                     extra_env={"FAKE_COMFY_CRASH": "oom", "FAKE_COMFY_CRASH_AFTER_S": "0.3"})
    assert controller.wait_ready(20)
    assert wait_for(lambda: controller.state == L.STATE_CRASHED, 20)
    assert crashes[0].kind == "oom" and crashes[0].exit_code == 1
    assert controller.connection.info is None


@pytest.mark.parametrize("fault,kind,words", [
    ("cuda", "cuda_unavailable", "CUDA build of PyTorch"),
    ("module:yaml", "missing_module", "pip install pyyaml"),
])
def test_start_up_failures(controller, install, fault, kind, words):
    controller.start(install, _preset(), free_port(), extra_env={"FAKE_COMFY_FAIL_AT_START": fault})
    assert not controller.wait_ready(20)
    assert controller.last_crash.kind == kind and words in controller.last_crash.fix


def test_port_taken_by_another_program_moves_to_the_next_free_port(controller, install):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        busy = blocker.getsockname()[1]
        notes = []
        controller.log_line.connect(notes.append)
        plan = controller.start(install, _preset(), busy)
        assert plan.port != busy and f"Port {busy} is taken" in notes[0]
        assert controller.wait_ready(20)


def test_port_with_a_comfyui_offers_attach(tmp_path, install, controller):
    other = L.ServerController(ServerConnection(), poll_s=0.1)
    try:
        port = free_port()
        other.start(install, _preset(), port)
        assert other.wait_ready(20)
        with pytest.raises(L.ComfyAlreadyRunning) as info:
            controller.start(install, _preset(), port)
        assert info.value.url == f"http://127.0.0.1:{port}" and "Attach" in info.value.hint
        attached = controller.attach(f"127.0.0.1:{port}/")
        assert attached.source == "attached" and attached.pid is None
        assert controller.connection.url == f"http://127.0.0.1:{port}"
        controller.stop()  # detaches only: the other server keeps running
        assert controller.connection.info is None and other.state == L.STATE_READY
    finally:
        other.close()


def test_attach_to_nothing_says_what_to_check(controller):
    with pytest.raises(ServerUnavailable) as info:
        controller.attach(f"http://127.0.0.1:{free_port()}", timeout=1)
    assert "No ComfyUI answers" in str(info.value)


def test_stop_escalates_to_killing_the_whole_tree(controller, install):
    controller.start(install, _preset(), free_port(),
                     extra_env={"FAKE_COMFY_IGNORE_SIGINT": "1", "FAKE_COMFY_CHILD": "1"})
    assert controller.wait_ready(20)
    child = next(int(line.split()[-1]) for line in controller.process.lines()
                 if line.startswith("fake child pid"))
    pid = controller.process.pid
    controller.stop(grace_s=0.5)
    assert controller.state == L.STATE_STOPPED
    assert process_gone(pid) and process_gone(child)
    assert any("did not stop within" in line for line in controller.process.lines())


def test_start_timeout_stops_the_process_and_says_so(tmp_path, install):
    ctl = L.ServerController(ServerConnection(), ready_timeout_s=1.0, stop_grace_s=2, poll_s=0.1)
    try:
        ctl.start(install, _preset(), free_port(), extra_env={"FAKE_COMFY_STARTUP_S": "60"})
        assert not ctl.wait_ready(20)
        assert ctl.last_crash.kind == "start_timeout" and "did not answer" in ctl.last_crash.sentence
        assert process_gone(ctl.process.pid)
    finally:
        ctl.close()


def test_restart_gives_a_new_process_and_refuses_double_start(controller, install):
    controller.start(install, _preset(), free_port())
    assert controller.wait_ready(20)
    with pytest.raises(LaunchError):
        controller.start(install, _preset(), free_port())
    first = controller.process.pid
    controller.restart()
    assert controller.wait_ready(20)
    assert controller.process.pid != first and process_gone(first)


def test_missing_interpreter_is_a_clear_launch_error(controller, install):
    os.remove(install.python)
    with pytest.raises(LaunchError) as info:
        controller.start(install, _preset(), free_port())
    assert "Cannot start ComfyUI's Python" in str(info.value)
    assert controller.state == L.STATE_STOPPED
    assert not [t for t in threading.enumerate() if t.name == "comfyui-supervisor" and t.is_alive()]
