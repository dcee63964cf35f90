"""Integration tier: checks that only make sense against a real ComfyUI.

Run with `WAN22_COMFYUI_URL=http://127.0.0.1:8188 pytest -m integration`; without the variable
these tests are skipped with the reason. (The other `test_comfy_*` modules also run against the
real server when the variable is set, skipping what needs the stand-in's scripted faults.)
"""

from __future__ import annotations

import uuid

import pytest

from tests.core.comfy_fixtures import (  # noqa: F401
    comfy_session, comfy_url, integration, make_png, needs_real_comfy, video_graph,
)
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.base.errors import PromptRejected

pytestmark = [integration, needs_real_comfy]

APP_CLASSES = ("UNETLoader", "LoraLoaderModelOnly", "CLIPLoader", "VAELoader", "LoadImage",
               "WanImageToVideo", "KSamplerAdvanced", "VAEDecode", "CreateVideo", "SaveVideo")


def test_the_server_is_comfyui_with_the_nodes_the_app_needs(comfy_session):
    client = comfy_session(start_stream=False).client
    stats = client.system_stats()
    assert stats["system"]["comfyui_version"]
    info = client.object_info()
    missing = [name for name in APP_CLASSES if name not in info]
    assert not missing, f"this ComfyUI lacks {missing}"
    assert "supports_preview_metadata" in client.features()


def test_a_small_job_end_to_end(comfy_session, tmp_path):
    session = comfy_session()
    image = session.upload(make_png(tmp_path / f"it_{uuid.uuid4().hex[:8]}.png"))
    handle, outcome = session.run(video_graph(image, prefix="video/wan22_integration"))
    assert outcome.status == "success", outcome.message
    path = session.client.download(outcome.outputs[0], tmp_path)
    assert path.stat().st_size > 0
    assert any(isinstance(e, ev.Executing) and e.is_end and e.prompt_id == handle.prompt_id
               for e in session.seen)
    session.client.delete_history([handle.prompt_id])
    assert session.client.history(handle.prompt_id) is None


def test_the_wan_template_is_accepted_or_refused_with_actionable_problems(comfy_session):
    from tests.core.workflow_helpers import API_LORA, load

    client = comfy_session(start_stream=False).client
    prompt_id = str(uuid.uuid4())
    try:
        client.queue_prompt(load(API_LORA), prompt_id=prompt_id)
    except PromptRejected as rejected:
        for problem in rejected.problems:  # only missing files or the template's image
            assert "models/" in problem.message or "Upload the image first" in problem.fix, \
                str(problem)
        return
    client.delete_from_queue([prompt_id])  # it validated: do not spend the GPU on it
    client.interrupt(prompt_id)


@pytest.mark.parametrize("name", ["nope_" + uuid.uuid4().hex[:6] + ".mp4"])
def test_a_missing_output_is_reported_clearly(comfy_session, tmp_path, name):
    from wan22_gui.core.comfy.types import OutputFile
    from wan22_gui.core.base.errors import ComfyApiError

    client = comfy_session(start_stream=False).client
    with pytest.raises(ComfyApiError, match="has no output file"):
        client.download(OutputFile(name, "", "output"), tmp_path)


def test_queue_operations_and_a_dropped_socket_during_a_real_job(comfy_session, tmp_path):
    session = comfy_session()
    client = session.client
    image = session.upload(make_png(tmp_path / f"busy_{uuid.uuid4().hex[:8]}.png"))
    busy = video_graph(image, prefix="video/wan22_integration_busy", frames=240)
    busy["2"]["inputs"].update(width=1024, height=1024)  # a few seconds of video encoding
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    handle = session.watcher.watch(first)
    client.queue_prompt(busy, prompt_id=first)
    for pid, frames in ((second, 7), (third, 9)):
        client.queue_prompt(video_graph(image, frames=frames), prompt_id=pid)
    state = client.get_queue()
    assert state.contains(first) and state.is_pending(third)
    client.delete_from_queue([second])
    assert not client.get_queue().contains(second)
    session.stream.drop_connection()  # as if the network failed mid-job
    outcome = handle.wait(300)
    assert outcome.status == "success", outcome.message
    kinds = [type(e) for e in session.seen]
    assert ev.ConnectionLost in kinds and ev.Reconnected in kinds
    client.clear_queue()
    assert client.get_queue().pending == []
    quirk = [e for e in session.seen if isinstance(e, ev.Executing) and e.prompt_id is None]
    print(f"reconnect re-sent the running node without prompt_id: {quirk}")
