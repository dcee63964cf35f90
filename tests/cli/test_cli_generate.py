"""`wan22 generate` and `wan22 history` against the stand-in: progress lines, files, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from wan22_gui.cli.main import main

DEAD_URL = "http://127.0.0.1:9"


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "harbour.jpg"
    Image.new("RGB", (640, 448), (20, 90, 140)).save(path)
    return path


def generate(*args):
    return main(["generate", *map(str, args)])


def test_generate_prints_progress_writes_the_file_and_a_history_row(
        standin_with_models, picture, capsys, app_paths):
    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--prompt",
                    "waves roll in", "--server", standin_with_models.url, "--seed", 7)
    out, err = capsys.readouterr()
    assert code == 0, err
    [video] = map(Path, out.strip().splitlines())  # stdout: the result path and nothing else
    assert video.is_file() and video.parent == app_paths.output_dir
    assert video.name == "harbour_320x224_1.06s_4step_lora.mp4"
    lines = err.splitlines()  # progress goes to stderr
    assert any("High-noise pass: step 2/2" in line for line in lines)
    assert any("Low-noise pass: step 1/2" in line for line in lines)
    assert "done in" in err and "(seed 7)" in err and "High-noise pass" in err
    assert main(["history", "--json", "--limit", "1"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["status"] == "succeeded" and row["outputs"] == [str(video)]
    assert row["params"]["seed"] == 7 and row["params"]["prompt"] == "waves roll in"
    assert row["timings"]["high_noise"] > 0
    assert main(["history"]) == 0
    table = capsys.readouterr().out
    assert "succeeded" in table and "320×224" in table


def test_seconds_and_fitting_to_the_image(standin_with_models, picture, capsys):
    code = generate(picture, "--seconds", 1, "--server", standin_with_models.url, "--quiet")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert Path(out.strip()).name == "harbour_832x576_1.06s_4step_lora.mp4"  # 640×448 → 832×576


@pytest.mark.parametrize("args, words", [
    (["--frames", "80"], "4n+1"),
    (["--frames", "81", "--seconds", "3"], "disagree"),
    (["--width", "830", "--height", "480"], "multiple of 16"),
])
def test_bad_arguments_exit_2_with_a_reason(picture, capsys, args, words):
    assert generate(picture, *args, "--server", DEAD_URL) == 2
    assert words in capsys.readouterr().err


def test_not_an_image_exits_2(tmp_path, capsys):
    bogus = tmp_path / "notes.png"
    bogus.write_text("hello")
    assert generate(bogus, "--server", DEAD_URL) == 2
    assert "not an image" in capsys.readouterr().err


def test_no_server_exits_3(picture, capsys):
    assert generate(picture, "--frames", 17, "--server", DEAD_URL) == 3
    err = capsys.readouterr().err
    assert "127.0.0.1:9" in err and "Traceback" not in err


def test_oom_exits_4_with_the_fix(standin_with_models, picture, capsys):
    standin_with_models.faults.oom_at_node = "85"
    code = generate(picture, "--frames", 33, "--width", 320, "--height", 224,
                    "--server", standin_with_models.url)
    err = capsys.readouterr().err
    assert code == 4
    assert "low-noise pass" in err and "33 → 17" in err


def test_custom_workflow_file_is_patched_and_run(standin_with_models, picture, capsys, tmp_path):
    from wan22_gui.core.workflow.builder import build_wan_i2v
    from wan22_gui.core.workflow.spec import JobSpec

    workflow = tmp_path / "my_workflow_api.json"
    built = build_wan_i2v(JobSpec(image="x.png", width=640, height=640, frames=81), "x.png")
    workflow.write_text(json.dumps(built.graph))
    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--workflow",
                    workflow, "--server", standin_with_models.url, "--quiet")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert Path(out.strip()).is_file()


def test_history_when_empty(capsys):
    assert main(["history"]) == 0
    assert "No jobs yet" in capsys.readouterr().out


def test_ctrl_c_cancels_the_job_on_the_server_and_exits_130(standin_with_models, picture,
                                                            app_paths):
    import os
    import signal
    import subprocess
    import sys

    standin_with_models.faults.step_seconds = 0.5
    proc = subprocess.Popen(
        [sys.executable, "-m", "wan22_gui.cli.main", "generate", str(picture), "--frames", "17",
         "--width", "320", "--height", "224", "--server", standin_with_models.url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        for line in proc.stderr:
            if "pass: step 1/2" in line:
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "cancelling the job on the server" in err
    from wan22_gui.core.history import HistoryStore

    store = HistoryStore(app_paths.history_db)
    try:
        [row] = store.list()
        assert row.status == "cancelled" and row.outputs == []
    finally:
        store.close()


def test_missing_models_are_listed_one_per_line(standin, picture, capsys):
    assert generate(picture, "--frames", 17, "--server", standin.url) == 1
    err = capsys.readouterr().err
    assert "ComfyUI refused the job:" in err
    lines = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(lines) == 6 and any("wan_2.1_vae.safetensors" in line for line in lines)


def test_workflow_with_several_unknown_classes_lists_them_all(standin_with_models, picture,
                                                              capsys, tmp_path):
    """ComfyUI names only the first unknown class; the app names every one, with its fix."""
    from wan22_gui.core.workflow.builder import build_wan_i2v
    from wan22_gui.core.workflow.spec import JobSpec

    graph = build_wan_i2v(JobSpec(image="x.png", width=640, height=640, frames=81), "x.png").graph
    decode = next(k for k, n in graph.items() if n["class_type"] == "VAEDecode")
    graph["900"] = {"class_type": "FrameInterpolationModelLoader",
                    "inputs": {"model_name": "rife_v4.26.safetensors"}, "_meta": {"title": "m"}}
    graph["901"] = {"class_type": "FrameInterpolate", "inputs": {
        "interp_model": ["900", 0], "images": [decode, 0], "multiplier": 2}, "_meta": {"title": "i"}}
    graph["902"] = {"class_type": "PathchSageAttentionKJ", "inputs": {}, "_meta": {"title": "s"}}
    workflow = tmp_path / "newer.json"
    workflow.write_text(json.dumps(graph))
    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--workflow",
                    workflow, "--server", standin_with_models.url, "--quiet")
    err = capsys.readouterr().err
    assert code == 1
    assert "3 node type(s)" in err
    assert "FrameInterpolate (#901): update ComfyUI to 0.19.3 or newer (you have 0.3.64)" in err
    assert "FrameInterpolationModelLoader (#900): update ComfyUI to 0.19.3" in err
    assert "PathchSageAttentionKJ (#902): install the custom node pack ComfyUI-KJNodes" in err
    assert standin_with_models.counters["prompts_received"] == 0


def test_the_switch_template_runs_on_a_server_without_switch_nodes(standin_with_models, picture,
                                                                   capsys):
    from tests.core.workflow_helpers import DATA

    code = generate(picture, "--frames", 17, "--width", 320, "--height", 224, "--workflow",
                    DATA / "wan22_i2v_switch_subgraph.ui.json", "--server",
                    standin_with_models.url, "--quiet")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert Path(out.strip()).is_file()
