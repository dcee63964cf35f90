"""Every WebSocket message ComfyUI sent in the recorded transcripts parses to a typed event."""

from __future__ import annotations

import json
import struct

import pytest

from tests.core import comfy_transcripts as tr
from wan22_gui.core.comfy import events as ev

EXPECTED_CLASS = {
    "status": ev.Status,
    "execution_start": ev.ExecutionStart,
    "execution_cached": ev.ExecutionCached,
    "executing": ev.Executing,
    "progress": ev.Progress,
    "progress_state": ev.ProgressState,
    "executed": ev.Executed,
    "execution_success": ev.ExecutionSuccess,
    "execution_error": ev.ExecutionError,
    "execution_interrupted": ev.ExecutionInterrupted,
    "feature_flags": ev.FeatureFlags,
}


@pytest.mark.parametrize("name", tr.names())
def test_every_text_message_of_a_transcript_parses_to_its_event(name):
    for message in tr.ws_messages(name):
        event = ev.parse_text(json.dumps(message))
        assert type(event) is EXPECTED_CLASS[message["type"]], message
        data = message["data"]
        if "prompt_id" in data:
            assert event.prompt_id == data["prompt_id"]
        if message["type"] in ("executing", "executed", "progress"):
            assert event.node == data.get("node")


def test_every_recorded_binary_frame_parses_to_a_preview_of_the_right_kind():
    seen = 0
    for name in tr.names():
        for recorded in tr.events(name, "ws_recv_binary"):
            frame = tr.binary_frame(recorded)
            assert len(frame) == recorded["length"]  # the rebuilt frame has the recorded layout
            event = ev.parse_binary(frame)
            assert isinstance(event, ev.PreviewImage)
            assert event.mime == f"image/{recorded['image_magic']}"
            assert len(event.image) == recorded["image_bytes"]
            if recorded["event_type"] == 4:
                assert event.prompt_id == recorded["metadata"]["prompt_id"]
                assert event.node_id == recorded["metadata"]["node_id"]
                assert event.image.startswith(b"\x89PNG")
            else:
                assert event.prompt_id is None and event.node_id is None
            seen += 1
    assert seen == 10  # 3 legacy PNG + 4 legacy JPEG + 3 with metadata


def test_the_end_of_a_job_is_executing_with_node_null():
    messages = list(tr.ws_messages("02_success_video_core_nodes.json"))
    last = ev.parse_text(json.dumps(messages[-1]))
    assert isinstance(last, ev.Executing) and last.is_end
    start = [m for m in messages if m["type"] == "execution_start"][0]
    assert last.prompt_id == start["data"]["prompt_id"]
    running = [ev.parse_text(json.dumps(m)) for m in messages if m["type"] == "executing"][:-1]
    assert running and not any(e.is_end for e in running)


def test_reconnect_quirk_executing_without_prompt_id():
    quirk = [m for m in tr.ws_messages("09b_ws_reconnect_same_client_id.json")
             if m["type"] == "executing" and "prompt_id" not in m["data"]]
    assert len(quirk) == 1
    event = ev.parse_text(json.dumps(quirk[0]))
    assert event == ev.Executing(prompt_id=None, node="6", display_node=None)
    assert not event.is_end


def test_status_carries_the_queue_and_the_sid_of_the_first_message():
    first = next(tr.ws_messages("05_ws_binary_frames_with_metadata.json"))
    event = ev.parse_text(json.dumps(first))
    assert event == ev.Status(queue_remaining=0, sid="17845ff0041f445dbdbd30aa5df7665a")


def test_feature_flags_answer_is_parsed():
    answer = [m for m in tr.ws_messages("05_ws_binary_frames_with_metadata.json")
              if m["type"] == "feature_flags"][0]
    event = ev.parse_text(json.dumps(answer))
    assert event.flags["supports_preview_metadata"] is True
    assert event.flags["max_upload_size"] == 104857600


def test_executed_keeps_the_output_files():
    executed = [m for m in tr.ws_messages("02_success_video_core_nodes.json")
                if m["type"] == "executed"][0]
    event = ev.parse_text(json.dumps(executed))
    assert event.output["images"][0]["filename"].endswith(".mp4")


def _error_message(name: str) -> dict:
    return [m for m in tr.ws_messages(name) if m["type"] == "execution_error"][0]


def test_oom_error_from_transcript_13_is_recognised():
    event = ev.parse_text(json.dumps(_error_message("13_execution_error_oom_simulated.json")))
    assert isinstance(event, ev.ExecutionError)
    assert event.is_oom
    assert event.node_id == "2" and event.node_type == "HarnessRaiseOOM"
    assert event.exception_type == "torch.OutOfMemoryError"
    assert event.traceback and all(isinstance(line, str) for line in event.traceback)
    assert "message" in event.current_inputs


def test_a_non_oom_error_is_not_mistaken_for_oom():
    event = ev.parse_text(json.dumps(_error_message("12_execution_error_wan_dummy_models.json")))
    assert isinstance(event, ev.ExecutionError)
    assert not event.is_oom
    assert event.node_type == "VAELoader"
    assert "header too small" in event.exception_message


@pytest.mark.parametrize("exc_type, message", [
    ("torch.cuda.OutOfMemoryError", "boom"),
    ("RuntimeError", "CUDA error: out of memory"),
    ("RuntimeError", "x\nThis error means you ran out of memory on your GPU.\n"),
])
def test_oom_is_recognised_by_type_or_message(exc_type, message):
    error = ev.ExecutionError("p", "1", "KSampler", exc_type, message)
    assert error.is_oom


def test_interrupted_event_names_the_node():
    message = [m for m in tr.ws_messages("07_interrupt_and_queue.json")
               if m["type"] == "execution_interrupted"][0]
    event = ev.parse_text(json.dumps(message))
    assert event.node_id == "6" and event.node_type == "HarnessSlowProgress"
    assert set(event.executed) == {"2", "3"}


def test_binary_text_frame():
    node = b"12"
    frame = struct.pack(">II", 3, len(node)) + node + "héllo".encode()
    assert ev.parse_binary(frame) == ev.TextOutput(node_id="12", text="héllo")


@pytest.mark.parametrize("frame", [
    b"",
    b"\x00\x00\x00\x01",
    struct.pack(">II", 9, 0) + b"x",
    struct.pack(">II", 4, 500) + b"{}",  # metadata longer than the frame
    struct.pack(">II", 4, 2) + b"[]" + b"img",  # metadata not an object
    struct.pack(">II", 4, 3) + b"\xff\xfe\x00",  # metadata not UTF-8 JSON
])
def test_malformed_binary_frames_become_unknown_events(frame):
    assert isinstance(ev.parse_binary(frame), ev.UnknownEvent)


@pytest.mark.parametrize("text", [
    "not json", "[1, 2]", '{"data": {}}', '{"type": "progress", "data": {"value": "x"}}',
    '{"type": "execution_start", "data": {}}', '{"type": "status", "data": null}',
])
def test_malformed_text_frames_become_unknown_events(text):
    assert isinstance(ev.parse_text(text), ev.UnknownEvent)


def test_an_unknown_message_type_keeps_its_data():
    event = ev.parse_text('{"type": "crystools.monitor", "data": {"cpu": 3}}')
    assert event == ev.UnknownEvent("crystools.monitor", {"cpu": 3})


def test_text_frames_may_arrive_as_bytes():
    assert ev.parse_text(b'{"type": "executing", "data": {"node": null, "prompt_id": "a"}}') \
        == ev.Executing("a", None)
