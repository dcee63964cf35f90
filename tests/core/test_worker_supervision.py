"""The GPU sampler, the event reader and the prompt watcher keep going after an exception,
and tell the message bus once."""

from __future__ import annotations

import threading

import websocket

from tests.core.comfy.test_comfy_stream_units import FakeClient, FakeSocket, FakeStream, \
    ScriptedStream, _run, _text
from tests.core.telemetry_helpers import make_sampler
from tests.fakes.fake_nvml import h100, make_nvml
from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy import stream as stream_module
from wan22_gui.core.comfy.watcher import PromptWatcher


def _bus():
    bus, posted = MessageBus(), []
    bus.posted.connect(posted.append)
    return bus, posted


def test_a_failing_sampler_pass_is_reported_once_and_sampling_goes_on():
    bus, posted = _bus()
    sampler = make_sampler(make_nvml(h100()), bus=bus)
    calls = [0]
    real = sampler.sample_once

    def flaky():
        calls[0] += 1
        if calls[0] <= 3:
            raise RuntimeError("nvml went odd")
        return real()

    sampler.sample_once = flaky
    sampler.run_blocking(max_samples=6)
    assert len(sampler.ring) == 3
    assert len(posted) == 1 and "nvml went odd" in posted[0].text
    assert posted[0].where == "the GPU sampler"


def test_a_frame_that_cannot_be_parsed_is_skipped_and_reading_goes_on(monkeypatch):
    bus, posted = _bus()
    real = stream_module.parse_text

    def parse(data):
        if b"boom" in data:
            raise RuntimeError("parser bug")
        return real(data)

    monkeypatch.setattr(stream_module, "parse_text", parse)
    frames = [_text("boom"), _text('{"type": "status", "data": {"status": {}, "sid": "c"}}'),
              (websocket.ABNF.OPCODE_CLOSE, b"")]
    seen = _run(ScriptedStream([FakeSocket(frames)], bus=bus))
    assert [type(e) for e in seen] == [ev.Status, ev.ConnectionLost]
    assert len(posted) == 1 and "parser bug" in posted[0].text


def test_a_failing_watcher_check_is_reported_and_the_poller_goes_on():
    bus, posted = _bus()
    client = FakeClient()
    calls, twice = [0], threading.Event()

    def get_queue():
        calls[0] += 1
        if calls[0] >= 2:
            twice.set()
        raise RuntimeError("queue parser bug")

    client.get_queue = get_queue
    watcher = PromptWatcher(client, FakeStream(), poll_interval=0.02, bus=bus)
    try:
        watcher.watch("a")
        assert twice.wait(5), "the poller died after the first exception"
    finally:
        watcher.close()
    assert len(posted) == 1 and posted[0].where == "the ComfyUI job watcher"
