"""Jobs on the stand-in: Wan passes, real outputs, queue order, interrupts, targeting, previews."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from tests.fakes.comfy_standin.media import interpolated_count
from tests.fakes.comfy_standin.rawclient import RawClient, types, wait_for_history
from tests.fakes.fixtures import add_input_image

TEMPLATES = Path(__file__).resolve().parents[1] / "workflow_data"


def wan_graph(name: str = "video_wan2_2_14B_i2v.api.from-0.1.95.json", *, width: int = 96,
              height: int = 64, length: int = 9) -> dict:
    graph = json.loads((TEMPLATES / name).read_text(encoding="utf-8"))
    latent = next(n for n in graph.values() if n["class_type"] == "WanImageToVideo")
    latent["inputs"].update(width=width, height=height, length=length)
    return graph


def _probe(path: Path) -> tuple[int, int, float, int]:
    capture = cv2.VideoCapture(str(path))
    try:
        return (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                capture.get(cv2.CAP_PROP_FPS), int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
    finally:
        capture.release()


def _progress(messages: list) -> list[tuple[str, int, int]]:
    return [(m["data"]["node"], m["data"]["value"], m["data"]["max"])
            for m in messages if isinstance(m, dict) and m["type"] == "progress"]


@pytest.mark.parametrize("template, passes", [
    ("video_wan2_2_14B_i2v.api.from-0.1.95.json", {"86": 2, "85": 2}),
    ("video_wan2_2_14B_i2v.api.from-0.1.95.fp8-20step-variant.json", {"57": 10, "58": 10}),
])
def test_wan_passes_report_their_slice_of_steps_and_save_the_video(standin_with_models, template, passes):
    standin_with_models.faults.step_seconds = 0.001
    with RawClient(standin_with_models.url) as client:
        prompt_id, messages = client.run(wan_graph(template, length=22))
    steps = _progress(messages)
    for node, count in passes.items():
        assert [(v, m) for n, v, m in steps if n == node] == [(i, count) for i in range(1, count + 1)]
    assert [n for n, _, _ in steps] == sorted((n for n, _, _ in steps), key=list(passes).index)
    saved = next(iter(client.history(prompt_id)["outputs"].values()))["images"][0]
    path = standin_with_models.root / "output" / saved["subfolder"] / saved["filename"]
    assert _probe(path) == (96, 64, 16.0, 21)  # length 22 decodes to 21 frames, like Wan's VAE


def test_queue_runs_by_number_and_front_jumps_ahead(standin_with_models):
    standin_with_models.faults.step_seconds = 0.05
    url = standin_with_models.url
    with RawClient(url) as client:
        graphs = [wan_graph(length=9 + 4 * i) for i in range(4)]
        first = client.queue(graphs[0]).json()
        later = client.queue(graphs[1]).json()
        urgent = client.queue(graphs[2], front=True).json()
        explicit = client.queue(graphs[3], number=-100).json()
        assert (first["number"], later["number"], urgent["number"], explicit["number"]) == (0, 1, -2, -100.0)
        finished = []
        for _ in range(4):
            message = client.ws.recv()
            while not (isinstance(message, str) and '"execution_success"' in message):
                message = client.ws.recv()
            finished.append(json.loads(message)["data"]["prompt_id"])
    assert finished == [first["prompt_id"], explicit["prompt_id"], urgent["prompt_id"], later["prompt_id"]]


def test_interrupt_only_stops_the_named_running_prompt(standin_with_models):
    standin_with_models.faults.step_seconds = 0.2
    url = standin_with_models.url
    with RawClient(url) as client:
        prompt_id = client.queue(wan_graph()).json()["prompt_id"]
        while '"progress"' not in client.ws.recv():
            pass
        requests.post(url + "/interrupt", json={"prompt_id": "someone-else"}, timeout=10)
        requests.post(url + "/interrupt", json={"prompt_id": prompt_id}, timeout=10)
        rest = client.until_end(prompt_id)
    assert types(rest)[-3:] == ["execution_interrupted", "status", "executing"]
    interrupted = rest[-3]["data"]
    assert interrupted["node_id"] == "86" and interrupted["node_type"] == "KSamplerAdvanced"
    entry = wait_for_history(url, prompt_id)
    assert (entry["status"]["status_str"], entry["status"]["completed"]) == ("error", False)
    assert entry["status"]["messages"][-1][0] == "execution_interrupted"
    console = standin_with_models.console.lines
    assert "Prompt someone-else is not currently running, skipping interrupt" in console
    assert f"Interrupting prompt {prompt_id}" in console and "Processing interrupted" in console


def test_an_idle_interrupt_does_not_stop_the_next_prompt(standin_with_models):
    requests.post(standin_with_models.url + "/interrupt", json={}, timeout=10)
    with RawClient(standin_with_models.url) as client:
        _, messages = client.run(wan_graph())
    assert "execution_success" in types(messages)


def test_without_client_id_only_status_and_progress_are_broadcast(standin_with_models):
    with RawClient(standin_with_models.url) as watcher:
        prompt_id = watcher.queue(wan_graph(), client_id=None).json()["prompt_id"]
        entry = wait_for_history(standin_with_models.url, prompt_id)
        time.sleep(0.2)
        watcher.ws.settimeout(0.5)
        seen = set()
        try:
            while True:
                seen.add(json.loads(watcher.ws.recv())["type"])
        except Exception:  # noqa: BLE001 - the socket went quiet
            pass
    assert seen == {"status", "progress", "progress_state"}
    assert entry["status"]["status_str"] == "success"


def test_reconnecting_with_the_same_id_gets_the_running_node(standin_with_models):
    standin_with_models.faults.step_seconds = 0.15
    url = standin_with_models.url
    client = RawClient(url, "same-id")
    prompt_id = client.queue(wan_graph()).json()["prompt_id"]
    while '"progress"' not in client.ws.recv():
        pass
    client.close()
    with RawClient(url, "same-id") as again:
        assert again.hello["data"]["sid"] == "same-id"
        resumed = json.loads(again.ws.recv())
        assert resumed == {"type": "executing", "data": {"node": "86"}}
        assert types(again.until_end(prompt_id))[-1] == "executing"


@pytest.mark.parametrize("metadata", [False, True])
def test_sampler_previews_use_the_negotiated_binary_format(standin_with_models, metadata):
    standin_with_models.faults.update(preview=True, step_seconds=0.001)
    with RawClient(standin_with_models.url, preview_metadata=metadata) as client:
        _, messages = client.run(wan_graph())
    kinds = types(messages)
    assert ("feature_flags" in kinds) is metadata
    first = kinds.index("progress")
    if metadata:
        assert kinds[first - 1] == "binary4"
        header = messages[first - 1][2]
        assert header["image_type"] == "image/jpeg" and header["node_id"] == "86"
    else:
        assert kinds[first + 1] == "binary1" and messages[first + 1][2] == 1  # JPEG
    image = messages[first - 1 if metadata else first + 1][3]
    assert image[:2] == b"\xff\xd8"
    assert kinds.count("binary4" if metadata else "binary1") == 4


def _clip(root: Path, name: str, frames: int, fps: float) -> None:
    path = root / "input" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), i * 10 % 255, np.uint8))
    writer.release()


def test_rife_between_vhs_nodes_gives_n_minus_one_times_m_plus_one_frames(standin):
    standin.extra_nodes.add_app_nodes()
    _clip(standin.root, "clip.mp4", frames=17, fps=16)
    graph = {
        "1": {"class_type": "VHS_LoadVideo", "inputs": {
            "video": "clip.mp4", "force_rate": 0, "custom_width": 0, "custom_height": 0,
            "frame_load_cap": 0, "skip_first_frames": 0, "select_every_nth": 1}},
        "2": {"class_type": "RIFE VFI", "inputs": {
            "ckpt_name": "rife49.pth", "frames": ["1", 0], "clear_cache_after_n_frames": 10,
            "multiplier": 3, "fast_mode": True, "ensemble": True, "scale_factor": 1.0,
            "dtype": "float32", "torch_compile": False, "batch_size": 1}},
        "3": {"class_type": "VHS_VideoCombine", "inputs": {
            "images": ["2", 0], "frame_rate": 48, "loop_count": 0, "filename_prefix": "interp/rife",
            "format": "video/h264-mp4", "pingpong": False, "save_output": True}},
    }
    with RawClient(standin.url) as client:
        prompt_id, messages = client.run(graph)
    assert not [m for m in messages if isinstance(m, dict) and m["type"] == "progress"]
    gif = client.history(prompt_id)["outputs"]["3"]["gifs"][0]
    assert set(gif) == {"filename", "subfolder", "type", "format", "frame_rate", "workflow", "fullpath"}
    assert gif["filename"] == "rife_00001.mp4" and gif["subfolder"] == "interp"
    assert _probe(Path(gif["fullpath"])) == (64, 48, 48.0, interpolated_count(17, 3))


def test_film_between_core_video_nodes(standin):
    standin.extra_nodes.add("FILM VFI")
    _clip(standin.root, "clip.mp4", frames=9, fps=8)
    graph = {
        "1": {"class_type": "LoadVideo", "inputs": {"file": "clip.mp4"}},
        "2": {"class_type": "GetVideoComponents", "inputs": {"video": ["1", 0]}},
        "3": {"class_type": "FILM VFI", "inputs": {"ckpt_name": "film_net_fp32.pt", "frames": ["2", 0],
                                                   "clear_cache_after_n_frames": 10, "multiplier": 2}},
        "4": {"class_type": "CreateVideo", "inputs": {"images": ["3", 0], "fps": 16}},
        "5": {"class_type": "SaveVideo", "inputs": {"video": ["4", 0], "filename_prefix": "film",
                                                    "format": "auto", "codec": "auto"}},
    }
    with RawClient(standin.url) as client:
        prompt_id, _ = client.run(graph)
    saved = client.history(prompt_id)["outputs"]["5"]
    assert saved["animated"] == [True]
    assert _probe(standin.root / "output" / saved["images"][0]["filename"]) == (64, 48, 16.0, 17)


def test_saving_never_overwrites(standin):
    add_input_image(standin.root, "p.png", (16, 16))
    (standin.root / "output" / "shot_00007_.png").write_bytes(b"keep")
    graph = {"1": {"class_type": "LoadImage", "inputs": {"image": "p.png"}},
             "2": {"class_type": "RepeatImageBatch", "inputs": {"image": ["1", 0], "amount": 2}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "shot"}}}
    with RawClient(standin.url) as client:
        prompt_id, _ = client.run(graph)
    names = [i["filename"] for i in client.history(prompt_id)["outputs"]["3"]["images"]]
    assert names == ["shot_00008_.png", "shot_00009_.png"]
    assert (standin.root / "output" / "shot_00007_.png").read_bytes() == b"keep"
