"""The launcher's CLI commands: launch (foreground, Ctrl+C stops), gpus, presets,
export-script and env-snapshot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from wan22_gui.cli.main import main
from wan22_gui.core.gpu_inventory import GpuInventory
from wan22_gui.core.gpu import detect_gpus
from tests.core.launcher_helpers import free_port, process_gone
from tests.fakes.fake_comfyui_install import REPO_ROOT, make_install
from tests.fakes.fake_nvml import make_nvml, rtx_4090, rtx_5090


@pytest.fixture
def fake_gpus(monkeypatch):
    report = detect_gpus(make_nvml(rtx_5090(), rtx_4090()))
    monkeypatch.setattr(GpuInventory, "report", lambda self: report)
    return report


def test_gpus_lists_cards_with_their_presets_and_the_one_comfyui_uses(fake_gpus, capsys,
                                                                      monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert main(["gpus"]) == 0
    out = capsys.readouterr().out
    assert "driver 570.86.10, CUDA 12.8" in out
    assert "0: NVIDIA GeForce RTX 5090, 31.8 GiB, compute 12.0, preset rtx-5090\n" in out
    assert "RTX 4090, 24.0 GiB, compute 8.9, preset rtx-4090  <- ComfyUI will use" in out


def test_gpus_without_nvidia_says_so(capsys):
    assert main(["gpus"]) == 0
    assert "No NVIDIA GPU found" in capsys.readouterr().out


def test_presets_list_and_show(fake_gpus, capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "* rtx-5090" in out and "recommended for NVIDIA GeForce RTX 5090" in out
    assert main(["presets", "--show", "rtx-5090"]) == 0
    shown = capsys.readouterr().out
    assert "--reserve-vram 4" in shown and "TORCH_COMPILE=0" in shown and "Nothing reads" in shown
    assert main(["presets", "--show", "nope"]) == 1
    assert "no launch preset named 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["sh", "bat"])
def test_export_script(tmp_path, fake_gpus, capsys, fmt):
    root = make_install(tmp_path / "ComfyUI")
    out = tmp_path / f"start.{fmt}"
    assert main(["export-script", "--preset", "rtx-4090", "--format", fmt, "--comfyui",
                 str(root), "--out", str(out)]) == 0
    text = out.read_bytes().decode()
    assert "--reserve-vram 4 --cuda-malloc --preview-method latent2rgb --listen 127.0.0.1 --port 8188" in text
    assert "cudaMallocAsync" in text and "pause" not in text
    if fmt == "sh":
        assert os.access(out, os.X_OK) and "export TORCH_COMPILE=0" in text
        assert subprocess.run(["bash", "-n", str(out)]).returncode == 0
    else:
        assert "\r\n" in text and 'set "TORCH_COMPILE=0"' in text and text.startswith("@echo off")


def test_export_script_for_a_missing_folder_is_a_message(tmp_path, capsys):
    assert main(["export-script", "--comfyui", str(tmp_path / "nope")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_env_snapshot(tmp_path, fake_gpus, capsys):
    root = make_install(tmp_path / "ComfyUI")
    out = tmp_path / "snap.json"
    assert main(["env-snapshot", "--comfyui", str(root), "--out", str(out)]) == 0
    snap = json.loads(out.read_text())
    assert snap["gpus"]["gpus"][0]["name"] == "NVIDIA GeForce RTX 5090"
    assert snap["gpus"]["cuda_version"] == "12.8" and snap["gpus"]["driver_version"]
    assert snap["comfyui"]["version"] == "0.3.64" and snap["comfyui"]["python_version"]
    assert snap["launch"]["preset"] == "rtx-5090"
    assert "--reserve-vram" in snap["launch"]["flags"]
    assert snap["launch"]["env"]["TORCH_COMPILE"] == "0"


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_launch_runs_in_the_foreground_and_ctrl_c_stops_comfyui(tmp_path):
    root = make_install(tmp_path / "ComfyUI")
    env = dict(os.environ, WAN22_HOME=str(tmp_path / "home"))
    app = subprocess.Popen([sys.executable, "-m", "wan22_gui.cli.main", "launch", "--comfyui",
                            str(root), "--port", str(free_port()), "--preset", "cpu"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           cwd=REPO_ROOT, env=env)
    seen = []
    watchdog = threading.Timer(90, app.kill)  # never hang the suite if "ready" never comes
    watchdog.start()
    try:
        for line in app.stdout:
            seen.append(line)
            if ") is ready at" in line:
                break
        pid = int(seen[-1].split("(pid ")[1].split(")")[0])
        app.send_signal(signal.SIGINT)
        rest = app.communicate(timeout=60)[0]
    finally:
        watchdog.cancel()
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode == 0, "".join(seen) + rest
    assert "To see the GUI go to" in "".join(seen) and "Stopped server" in rest
    assert process_gone(pid)



def test_portable_bat_uses_the_embedded_python_relative_to_its_folder(tmp_path):
    from wan22_gui.core.presets import load_presets
    from wan22_gui.core.server.command import build_plan
    from wan22_gui.core.server.install import find_install
    from wan22_gui.core.server.scripts import render_script
    from tests.fakes.fake_comfyui_install import make_portable

    install = find_install(make_portable(tmp_path / "ComfyUI_windows_portable"), windows=True)
    text = render_script(build_plan(install, load_presets().get("rtx-5090")), "bat")
    assert ("python_embeded\\python.exe -s ComfyUI\\main.py --windows-standalone-build "
            "--disable-auto-launch --reserve-vram 4") in text
    assert "run_nvidia_gpu.bat" not in text and "pause" not in text
