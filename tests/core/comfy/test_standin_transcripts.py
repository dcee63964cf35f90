"""Replaying the recorded ComfyUI 0.3.64 session against the stand-in gives the same replies.

The recordings (tests/fakes/comfy_standin/data/transcripts) were made in one server session, in
SESSION_ORDER. Replaying them in that order on one fresh stand-in reproduces even the prompt
numbers (0..24) and which nodes come from the cache, so those are compared exactly; everything
else is compared by shape (status, content type, JSON keys and types) and by WebSocket message
order. Where the recording raced (a harness node kept stepping while the client talked to the
server, a reconnect) the replay tolerates more or fewer progress messages.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import cv2
import pytest
import requests
from PIL import Image

from tests.fakes.comfy_standin import StandinServer, load_dump
from tests.fakes.comfy_standin.replay import SESSION_ORDER, Replayer, load

TOLERANT = {"07_interrupt_and_queue", "09b_ws_reconnect_same_client_id"}


def _png(size: int) -> bytes:
    """A valid PNG per recorded upload size (758 and 152 bytes were two different pictures)."""
    side, colour = (64, (200, 40, 40)) if size >= 500 else (16, (40, 40, 200))
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), colour).save(buffer, format="PNG")
    return buffer.getvalue()


RECORDED_DEVICE = {"name": "cpu", "type": "cpu", "index": None, "vram_total": 25276063744,
                   "vram_free": 23841583104, "torch_vram_total": 25276063744,
                   "torch_vram_free": 23841583104}


class _Session:
    def __init__(self, root: Path) -> None:
        self.server = StandinServer(root, devices=[RECORDED_DEVICE])
        self.server.start()
        self.replayer = Replayer(self.server.url, lambda name, size: _png(size))
        self.mismatches: dict[str, list[str]] = {}
        self.replies: dict[str, list] = {}
        self.ws_texts: dict[str, list[dict]] = {}

    def run(self) -> None:
        for name in SESSION_ORDER:
            self._prepare(name)
            before = len(self.replayer.mismatches), len(self.replayer.replies), len(self.replayer.ws_messages)
            self.replayer.run(name, tolerant=name in TOLERANT)
            self.mismatches[name] = self.replayer.mismatches[before[0]:]
            self.replies[name] = self.replayer.replies[before[1]:]
            self.ws_texts[name] = [json.loads(m) for m in self.replayer.ws_messages[before[2]:]
                                   if isinstance(m, str)]
            self._cleanup(name)

    def _prepare(self, name: str) -> None:
        # The recording session was idle between scenarios: let a job queued by the previous
        # one (08 ends with a prompt that runs) finish before connecting new sockets.
        deadline = time.monotonic() + 20
        while self.server.queue.tasks_remaining() and time.monotonic() < deadline:
            time.sleep(0.02)
        faults = self.server.faults
        if name == "07b_interrupt_stock_nodes":
            # The real node spent ~20 ms PNG-encoding each 768x768 frame; one second per frame
            # makes sure the client's interrupt lands before the first progress call here too.
            faults.update(node_seconds_by_class={"SaveImageWebsocket": 1.0})
        if name == "12_execution_error_wan_dummy_models":
            for relative in load(name)["dummy_files_created"]:
                path = self.server.root / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(b"")
            faults.update(fail_empty_model_files=True)


    def _cleanup(self, name: str) -> None:
        self.server.faults.update(node_seconds_by_class={}, fail_empty_model_files=False)
        if name == "12_execution_error_wan_dummy_models":  # the recorder removed them again
            for relative in load(name)["dummy_files_created"]:
                (self.server.root / relative).unlink()


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> _Session:
    replay = _Session(tmp_path_factory.mktemp("standin-session"))
    try:
        replay.run()
        yield replay
    finally:
        replay.server.stop()


@pytest.mark.parametrize("name", SESSION_ORDER)
def test_replies_and_ws_messages_match_the_recording(session, name):
    assert session.mismatches[name] == []


def _recorded_prompt_replies(name: str) -> list[dict]:
    return [e["response_json"] for e in load(name)["events"]
            if e["kind"] == "http" and e["method"] == "POST" and e["path"] == "/prompt"]


def test_prompt_numbers_follow_the_recorded_session(session):
    for name in SESSION_ORDER:
        got = [r.json().get("number") for e, r in session.replies[name]
               if e["method"] == "POST" and e["path"] == "/prompt"]
        assert got == [r.get("number") for r in _recorded_prompt_replies(name)], name


def test_cached_nodes_match_the_recording(session):
    for name in SESSION_ORDER:
        recorded = [e["json"]["data"]["nodes"] for e in load(name)["events"]
                    if e["kind"] == "ws_recv" and e["json"]["type"] == "execution_cached"]
        got = [m["data"]["nodes"] for m in session.ws_texts[name] if m["type"] == "execution_cached"]
        assert got == recorded, name


def _sorted_errors(body: dict) -> dict:
    body = json.loads(json.dumps(body))
    body.pop("prompt_id", None)
    for entry in body.get("node_errors", {}).values():
        entry["errors"].sort(key=lambda e: (e["type"], e["details"]))
    return body


@pytest.mark.parametrize("name", ["08_validation_failures", "10_validation_wan_template_without_models"])
def test_validation_replies_match_message_for_message(session, name):
    got = [_sorted_errors(r.json()) for e, r in session.replies[name]
           if e["method"] == "POST" and e["path"] == "/prompt"]
    assert got == [_sorted_errors(r) for r in _recorded_prompt_replies(name)]


def test_error_payloads_match_the_recording_apart_from_tracebacks(session):
    for name in ("12_execution_error_wan_dummy_models", "13_execution_error_oom_simulated"):
        recorded = next(e["json"]["data"] for e in load(name)["events"]
                        if e["kind"] == "ws_recv" and e["json"]["type"] == "execution_error")
        got = next(m["data"] for m in session.ws_texts[name] if m["type"] == "execution_error")
        for key in ("node_id", "node_type", "executed", "exception_type", "exception_message"):
            assert got[key] == recorded[key], (name, key)
        assert sorted(got["current_outputs"]) == sorted(recorded["current_outputs"])
        assert sorted(got["current_inputs"]) == sorted(recorded["current_inputs"])


def test_fresh_object_info_is_the_recorded_dump(session):
    """Apart from LoadImage's file list (a real checkout ships input/example.png) and the two
    harness nodes, a fresh stand-in answers /object_info exactly as the recording."""
    fresh = StandinServer(session.server.root.parent / "fresh")
    with fresh:
        info = requests.get(fresh.url + "/object_info", timeout=30).json()
    recorded = load_dump()
    assert set(info) - set(recorded) == {"HarnessSlowProgress", "HarnessRaiseOOM"}
    assert [k for k in recorded if info[k] != recorded[k]] == ["LoadImage", "LoadImageMask"]


def test_saved_video_matches_the_recorded_probe(session):
    probe = load("02_success_video_core_nodes")["output_probe"]
    _event, reply = next((e, r) for e, r in session.replies["02_success_video_core_nodes"]
                         if e["path"].startswith("/history/"))
    entry = next(iter(reply.json().values()))
    saved = entry["outputs"]["5"]["images"][0]
    capture = cv2.VideoCapture(str(session.server.root / "output" / saved["subfolder"] / saved["filename"]))
    got = {"width": int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
           "height": int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
           "average_rate": str(round(capture.get(cv2.CAP_PROP_FPS))),
           "frames": int(capture.get(cv2.CAP_PROP_FRAME_COUNT))}
    capture.release()
    assert got == {k: probe[k] for k in got}


# Scenarios that need no test-only nodes, no files placed on the server and no lucky timing.
REAL_SERVER_SCENARIOS = ("01_upload_image", "02_success_video_core_nodes", "03_cached_rerun",
                         "04_ws_binary_frames_legacy", "05_ws_binary_frames_with_metadata",
                         "08_validation_failures", "10_validation_wan_template_without_models")


@pytest.mark.integration
def test_a_real_server_matches_the_same_recordings():
    """Checks the replay itself: a real ComfyUI 0.3.64 (WAN22_COMFYUI_URL) passes it too.

    The recordings were made on a freshly started server without the Wan model files, so run
    this first against such a server: a warm node cache changes `execution_cached`, and
    installed models turn transcript 10's validation errors into a success.
    """
    url = os.environ.get("WAN22_COMFYUI_URL")
    if not url:
        pytest.skip("WAN22_COMFYUI_URL is not set")
    replayer = Replayer(url, lambda name, size: _png(size))
    for name in REAL_SERVER_SCENARIOS:
        time.sleep(0.5)  # let the previous scenario's job finish, as the recorder did
        replayer.run(name)
    assert replayer.mismatches == []
