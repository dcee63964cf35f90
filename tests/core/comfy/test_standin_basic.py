"""The stand-in ComfyUI runs a stock-node video job end to end, in-process and as a process."""

from __future__ import annotations

import json
import time

import cv2
import requests
import websocket

from tests.fakes.fixtures import add_input_image

VIDEO_GRAPH = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "start.png"}},
    "2": {"class_type": "ImageScale", "inputs": {"image": ["1", 0], "upscale_method": "lanczos",
                                                 "width": 320, "height": 192, "crop": "center"}},
    "3": {"class_type": "RepeatImageBatch", "inputs": {"image": ["2", 0], "amount": 17}},
    "4": {"class_type": "CreateVideo", "inputs": {"images": ["3", 0], "fps": 16}},
    "5": {"class_type": "SaveVideo", "inputs": {"video": ["4", 0], "filename_prefix": "video/clip",
                                                "format": "auto", "codec": "auto"}},
}


def _ws(url: str, client_id: str) -> websocket.WebSocket:
    ws = websocket.create_connection(url.replace("http://", "ws://") + f"/ws?clientId={client_id}",
                                     timeout=10)
    assert json.loads(ws.recv())["type"] == "status"
    return ws


def _events_until_end(ws: websocket.WebSocket) -> list[dict]:
    events = []
    while True:
        message = ws.recv()
        if isinstance(message, bytes):
            continue
        event = json.loads(message)
        events.append(event)
        if event["type"] == "executing" and event["data"]["node"] is None:
            return events


def test_video_job_writes_a_real_mp4_and_reports_it(standin):
    add_input_image(standin.root, "start.png", (64, 48))
    ws = _ws(standin.url, "c1")
    try:
        reply = requests.post(standin.url + "/prompt", json={"prompt": VIDEO_GRAPH, "client_id": "c1"})
        assert reply.status_code == 200, reply.text
        prompt_id = reply.json()["prompt_id"]
        events = _events_until_end(ws)
    finally:
        ws.close()
    types = [e["type"] for e in events]
    assert types[:4] == ["status", "status", "execution_start", "execution_cached"]
    assert types[-3:] == ["execution_success", "status", "executing"]
    assert [e["data"]["node"] for e in events if e["type"] == "executing"] == ["1", "2", "3", "4", "5", None]
    entry = requests.get(f"{standin.url}/history/{prompt_id}").json()[prompt_id]
    saved = entry["outputs"]["5"]["images"][0]
    assert saved["subfolder"] == "video" and saved["filename"].startswith("clip_00001_")
    video = requests.get(standin.url + "/view", params={**saved})
    assert video.status_code == 200 and video.headers["Content-Type"] == "video/mp4"
    path = standin.root / "output" / "video" / saved["filename"]
    capture = cv2.VideoCapture(str(path))
    size = (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps, frames = capture.get(cv2.CAP_PROP_FPS), capture.get(cv2.CAP_PROP_FRAME_COUNT)
    capture.release()
    assert (size, fps, frames) == ((320, 192), 16, 17)


def test_process_prints_ready_and_console_lines(standin_process):
    add_input_image(standin_process.root, "start.png", (64, 48))
    stats = requests.get(standin_process.url + "/api/system_stats").json()
    assert stats["system"]["comfyui_version"] == "0.3.64"
    reply = requests.post(standin_process.url + "/prompt", json={"prompt": VIDEO_GRAPH})
    assert reply.status_code == 200, reply.text
    prompt_id = reply.json()["prompt_id"]
    deadline = time.monotonic() + 20
    while "Prompt executed in" not in standin_process.console_text and time.monotonic() < deadline:
        time.sleep(0.05)
    assert requests.get(f"{standin_process.url}/history/{prompt_id}").json()[prompt_id]["status"]["completed"]
    console = standin_process.console_text
    assert f"To see the GUI go to: {standin_process.url}" in console
    assert "got prompt" in console and "Prompt executed in" in console
