"""Every route of the client against the stand-in ComfyUI (or a real one: WAN22_COMFYUI_URL).

Tests that read the stand-in's counters or change its folders ask for `standin_only`.
"""

from __future__ import annotations

import uuid

import pytest

from tests.core.comfy_fixtures import (  # noqa: F401
    comfy_session, comfy_url, make_png, slow_graph, standin_only, video_graph,
)
from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy.client import ComfyCache, ComfyClient
from wan22_gui.core.base.errors import PromptRejected


def _unique(stem: str) -> str:
    return f"{stem}_{uuid.uuid4().hex[:8]}"


def test_system_stats_and_features(comfy_session):
    client = comfy_session(start_stream=False).client
    stats = client.system_stats()
    assert stats["devices"] and "comfyui_version" in stats["system"]
    assert client.features()["supports_preview_metadata"] is True
    again = ComfyClient(client.base_url + "/").system_stats()["system"]  # trailing slash is fine
    volatile = {"ram_free"}  # a real server's free RAM moves between two calls
    assert {k: v for k, v in again.items() if k not in volatile} == {
        k: v for k, v in stats["system"].items() if k not in volatile}


def test_object_info_all_and_one_class(comfy_session):
    client = comfy_session(start_stream=False).client
    everything = client.object_info()
    assert "KSamplerAdvanced" in everything and "input" in everything["SaveVideo"]
    one = client.object_info("WanImageToVideo", refresh=True)
    assert list(one) == ["WanImageToVideo"]
    assert one["WanImageToVideo"]["input"]["required"]["length"][1]["step"] == 4
    assert client.object_info("NoSuchNodeClass") == {}
    assert client.object_info("RIFE VFI") in ({}, {"RIFE VFI": everything.get("RIFE VFI")})


def test_object_info_is_cached_and_refresh_sees_new_model_files(standin_only, standin,
                                                                 comfy_session):
    client = comfy_session(start_stream=False).client
    client.object_info()
    before = standin.counters["requests"]
    assert "UNETLoader" in client.object_info()
    assert client.object_info("UNETLoader")["UNETLoader"]["input"]["required"]["unet_name"][0] == []
    assert standin.counters["requests"] == before  # both answered from the cache

    standin.models.add("diffusion_models", "wan_new.safetensors")
    stale = client.object_info("UNETLoader")
    assert stale["UNETLoader"]["input"]["required"]["unet_name"][0] == []
    fresh = client.object_info("UNETLoader", refresh=True)
    assert fresh["UNETLoader"]["input"]["required"]["unet_name"][0] == ["wan_new.safetensors"]
    assert standin.counters["requests"] == before + 1  # only that class was read again
    merged = client.object_info()  # the full (cached) map carries the fresher class
    assert merged["UNETLoader"]["input"]["required"]["unet_name"][0] == ["wan_new.safetensors"]
    assert client.object_info(refresh=True)["UNETLoader"] == fresh["UNETLoader"]


def test_the_cache_is_per_server_url(standin_only, standin):
    cache = ComfyCache()
    first = ComfyClient(standin.url, cache=cache.for_server(standin.url))
    first.object_info()
    before = standin.counters["requests"]
    second = ComfyClient(standin.url + "/", cache=cache.for_server(standin.url + "/"))
    assert "SaveVideo" in second.object_info()
    assert standin.counters["requests"] == before
    assert cache.for_server("http://other:1") is not cache.for_server(standin.url)


def test_the_same_image_is_uploaded_once(comfy_session, tmp_path, request):
    client = comfy_session(start_stream=False).client
    name = _unique("start") + ".png"
    image = make_png(tmp_path / name)
    first = client.upload_image(image)
    assert first.name == name and first.type == "input" and first.load_value == name
    copy = make_png(tmp_path / ("copy_" + name))  # same bytes, other file name
    assert client.upload_image(copy) == first
    if "standin" in request.fixturenames:
        assert request.getfixturevalue("standin").counters["uploads"] == 1


def test_a_clashing_name_gets_the_servers_new_name(comfy_session, tmp_path):
    client = comfy_session(start_stream=False).client
    name = _unique("clash") + ".png"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = client.upload_image(make_png(tmp_path / "a" / name, (10, 10, 10)))
    second = client.upload_image(make_png(tmp_path / "b" / name, (250, 250, 250)))
    assert first.name == name
    assert second.name == name.replace(".png", " (1).png")
    forced = client.upload_image(tmp_path / "b" / name, force=True)
    assert forced.name == second.name  # identical bytes: ComfyUI reuses the name


def test_uploads_into_a_subfolder(comfy_session, tmp_path):
    client = comfy_session(start_stream=False).client
    uploaded = client.upload_image(make_png(tmp_path / "in_sub.png"), subfolder="wan22")
    assert (uploaded.subfolder, uploaded.load_value) == ("wan22", "wan22/in_sub.png")


def test_an_upload_removed_on_the_server_is_uploaded_again(standin_only, standin,
                                                           comfy_session, tmp_path):
    client = comfy_session(start_stream=False).client
    uploaded = client.upload_image(make_png(tmp_path / "gone.png"))
    (standin.root / "input" / uploaded.name).unlink()
    assert client.upload_image(tmp_path / "gone.png") == uploaded
    assert standin.counters["uploads"] == 2
    assert (standin.root / "input" / uploaded.name).exists()


def test_a_job_runs_and_its_video_downloads(comfy_session, tmp_path):
    session = comfy_session()
    image = session.upload(make_png(tmp_path / (_unique("job") + ".png")))
    prompt_id = str(uuid.uuid4())
    handle = session.watcher.watch(prompt_id)
    queued = session.client.queue_prompt(video_graph(image), prompt_id=prompt_id)
    assert queued.prompt_id == prompt_id and queued.node_errors == {}
    outcome = handle.wait(60)
    assert outcome.status == "success" and outcome.ok and outcome.message == ""
    assert outcome.history is not None and outcome.history.succeeded
    [video] = outcome.outputs
    assert video.filename.endswith(".mp4") and video.subfolder == "video"

    kinds = [type(e) for e in session.seen if getattr(e, "prompt_id", None) == prompt_id]
    for kind in (ev.ExecutionStart, ev.ExecutionCached, ev.Executing, ev.ProgressState,
                 ev.Executed, ev.ExecutionSuccess):
        assert kind in kinds, kind
    end = [e for e in session.seen if isinstance(e, ev.Executing) and e.prompt_id == prompt_id][-1]
    assert end.is_end
    assert any(isinstance(e, ev.Status) and e.sid == session.client.client_id
               for e in session.seen)
    assert any(isinstance(e, ev.FeatureFlags) for e in session.seen)

    path = session.client.download(video, tmp_path / "out")
    assert path.read_bytes()[4:8] == b"ftyp"  # a real mp4
    assert session.client.download(video, tmp_path / "out").name == \
        video.filename.replace(".mp4", " (2).mp4")
    assert session.client.view_url(video).startswith(session.client.base_url + "/view?")


def test_a_cached_rerun_reports_the_cached_nodes(comfy_session, tmp_path):
    session = comfy_session()
    graph = video_graph(session.upload(make_png(tmp_path / (_unique("cache") + ".png"))))
    session.run(graph)
    _, outcome = session.run(graph)
    assert outcome.ok
    cached = [e for e in session.seen
              if isinstance(e, ev.ExecutionCached) and e.prompt_id == outcome.prompt_id]
    assert set(cached[0].nodes) >= {"1", "2", "3", "4"}


def test_history_one_all_paging_delete_and_clear(comfy_session, tmp_path):
    session = comfy_session()
    client = session.client
    image = session.upload(make_png(tmp_path / (_unique("hist") + ".png")))
    ids = [session.run(video_graph(image, frames=n))[1].prompt_id for n in (3, 4)]
    entry = client.history(ids[0])
    assert entry.prompt_id == ids[0] and entry.succeeded and entry.output_files
    assert entry.prompt[1] == ids[0]
    newest = client.history_all(max_items=1)
    assert list(newest) == [ids[1]]
    everything = client.history_all()
    assert list(everything)[-2:] == ids
    offset = len(everything) - 2
    assert list(client.history_all(max_items=1, offset=offset)) == [ids[0]]
    client.delete_history([ids[0]])
    assert client.history(ids[0]) is None
    assert client.history("00000000-0000-0000-0000-000000000000") is None


def test_clear_history_and_free(standin_only, standin, comfy_session, tmp_path):
    session = comfy_session()
    session.run(video_graph(session.upload(make_png(tmp_path / "c.png"))))
    session.client.clear_history()
    assert session.client.history_all() == {}
    session.client.free(unload_models=True, free_memory=False)
    assert standin.counters["frees"] == 1


def test_a_rejected_prompt_names_each_problem(comfy_session):
    client = comfy_session(start_stream=False).client
    graph = video_graph(_unique("never_uploaded") + ".png")
    graph["2"]["inputs"]["width"] = 999999
    with pytest.raises(PromptRejected) as info:
        client.queue_prompt(graph)
    text = info.value.user_text()
    assert "Node 'Start image' (#1, LoadImage), input 'image'" in text
    assert "Upload the image first" in text
    assert "The allowed range is 0 to 16384." in text


def test_the_wan_template_without_models_names_every_missing_file(standin_only, comfy_session):
    from tests.core.workflow_helpers import API_LORA, load

    client = comfy_session(start_stream=False).client
    with pytest.raises(PromptRejected) as info:
        client.queue_prompt(load(API_LORA))
    problems = info.value.problems
    folders = " ".join(str(p) for p in problems)
    for where in ("models/diffusion_models/", "models/loras/", "models/vae/",
                  "models/text_encoders/"):
        assert where in folders
    assert any("Upload the image first" in p.fix for p in problems)


def test_the_wan_template_with_models_is_accepted(standin_only, standin_with_models):
    from tests.core.workflow_helpers import API_LORA, load

    client = ComfyClient(standin_with_models.url)
    queued = client.queue_prompt(load(API_LORA), prompt_id="wan-1")
    assert queued.prompt_id == "wan-1"
    client.interrupt("wan-1")
    client.close()


def test_an_unknown_node_names_the_pack_to_install(comfy_session):
    client = comfy_session(start_stream=False).client
    graph = {"1": {"class_type": "VHS_NoSuchNode_" + uuid.uuid4().hex[:6], "inputs": {}}}
    with pytest.raises(PromptRejected) as info:
        client.queue_prompt(graph)
    assert "ComfyUI-VideoHelperSuite (by Kosinkadink)" in info.value.user_text()


def test_queue_list_delete_clear_and_targeted_interrupt(standin_only, comfy_session, tmp_path):
    session = comfy_session()
    client = session.client
    image = session.upload(make_png(tmp_path / "q.png"))
    ids = [str(uuid.uuid4()) for _ in range(3)]
    handles = [session.watcher.watch(pid) for pid in ids]
    for n, pid in enumerate(ids):
        client.queue_prompt(slow_graph(image, steps=400, seconds_per_step=0.02,
                                       prefix=f"video/q{n}"), prompt_id=pid)
    state = client.get_queue()
    assert [i.prompt_id for i in state.running] == [ids[0]]
    assert sorted(i.prompt_id for i in state.pending) == sorted(ids[1:])
    assert state.running[0].extra_data["client_id"] == client.client_id
    assert state.running[0].outputs_to_execute == ["5"]

    client.delete_from_queue([ids[1]])
    assert not client.get_queue().contains(ids[1])
    assert handles[1].wait(10).status == "lost"  # removed: in neither queue nor history
    client.interrupt("not-the-running-id")  # ignored by ComfyUI
    assert client.get_queue().is_running(ids[0])
    client.clear_queue()
    assert client.get_queue().pending == []
    client.interrupt(ids[0])
    outcome = handles[0].wait(20)
    assert outcome.status == "interrupted" and outcome.history.interrupted
    assert "interrupted" in outcome.message
    assert any(isinstance(e, ev.ExecutionInterrupted) and e.prompt_id == ids[0]
               for e in session.seen)


def test_an_interrupt_without_id_stops_whatever_runs(standin_only, comfy_session, tmp_path):
    session = comfy_session()
    image = session.upload(make_png(tmp_path / "i.png"))
    prompt_id = str(uuid.uuid4())
    handle = session.watcher.watch(prompt_id)
    handle.events.connect(lambda e: isinstance(e, ev.Progress) and session.client.interrupt())
    session.client.queue_prompt(slow_graph(image, steps=400, seconds_per_step=0.02),
                                prompt_id=prompt_id)
    assert handle.wait(20).status == "interrupted"


@pytest.mark.parametrize("announce, mime, has_ids", [
    (True, "image/jpeg", True), (False, "image/jpeg", False),
])
def test_preview_frames_of_both_formats(standin_only, comfy_session, tmp_path, announce, mime,
                                        has_ids):
    session = comfy_session(announce=announce)
    image = session.upload(make_png(tmp_path / "p.png"))
    handle, outcome = session.run(slow_graph(image, steps=3, seconds_per_step=0.01,
                                             send_preview=True))
    previews = [e for e in session.seen if isinstance(e, ev.PreviewImage)]
    assert len(previews) == 3 and all(p.mime == mime for p in previews)
    assert all(p.image[:2] == b"\xff\xd8" for p in previews)
    assert all((p.prompt_id == outcome.prompt_id) == has_ids for p in previews)
    assert any(isinstance(e, ev.FeatureFlags) for e in session.seen) == announce
    progress = [e for e in session.seen if isinstance(e, ev.Progress)]
    assert [(p.value, p.max) for p in progress] == [(1, 3), (2, 3), (3, 3)]
