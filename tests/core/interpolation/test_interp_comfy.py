"""RIFE/FILM through ComfyUI: node family choice, graphs for both families, the combined
generation + VFI workflow, failure messages, and the runner's history rows."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.comfy.session import ServerSession
from wan22_gui.core.interpolation.comfy_run import explain_failure
from wan22_gui.core.interpolation.comfy_vfi import (
    model_choices,
    append_vfi,
    build_interpolation_graph,
    plan_vfi,
)
from wan22_gui.core.interpolation.runner import InterpolationRequest, InterpolationRunner

# Shapes as a real /object_info reports them (pack: ComfyUI-Frame-Interpolation 2026-03; core
# video nodes: ComfyUI 0.3.64; FrameInterpolate*: ComfyUI 0.20, which lists its model files).
RIFE_VFI = {"input": {"required": {
    "ckpt_name": [["sudo_rife4_269.662_testV1_scale1.pth", "rife47.pth", "rife49.pth", "rife417.pth",
                   "rife426.pth"], {"default": "rife49.pth"}],
    "frames": ["IMAGE"], "clear_cache_after_n_frames": ["INT", {"default": 10, "min": 1, "max": 1000}],
    "multiplier": ["INT", {"default": 2, "min": 1}], "fast_mode": ["BOOLEAN", {"default": True}],
    "ensemble": ["BOOLEAN", {"default": True}],
    "scale_factor": [[0.25, 0.5, 1.0, 2.0, 4.0], {"default": 1.0}]}}, "output": ["IMAGE"]}
FILM_VFI = {"input": {"required": {
    "ckpt_name": [["film_net_fp32.pt"]], "frames": ["IMAGE"],
    "clear_cache_after_n_frames": ["INT", {"default": 10, "min": 1, "max": 1000}],
    "multiplier": ["INT", {"default": 2, "min": 2, "max": 1000}]}}, "output": ["IMAGE"]}
VIDEO_NODES = {
    "LoadVideo": {"input": {"required": {"file": ["COMBO", {"options": [], "video_upload": True}]}},
                  "output": ["VIDEO"]},
    "GetVideoComponents": {"input": {"required": {"video": ["VIDEO", {}]}},
                           "output": ["IMAGE", "AUDIO", "FLOAT"]},
    "CreateVideo": {"input": {"required": {"images": ["IMAGE", {}], "fps": [
        "FLOAT", {"default": 30.0, "min": 1.0, "max": 120.0}]}}, "output": ["VIDEO"]},
    "SaveVideo": {"input": {"required": {"video": ["VIDEO", {}], "filename_prefix": ["STRING", {}],
                                         "format": ["COMBO", {"options": ["auto", "mp4"]}],
                                         "codec": ["COMBO", {"options": ["auto", "h264"]}]}},
                  "output": [], "output_node": True},
    "VAEDecode": {"input": {"required": {"samples": ["LATENT"], "vae": ["VAE"]}}, "output": ["IMAGE"]},
}


def core_nodes(models):
    return {
        "FrameInterpolationModelLoader": {"input": {"required": {
            "model_name": ["COMBO", {"options": models}]}}, "output": ["INTERP_MODEL"]},
        "FrameInterpolate": {"input": {"required": {
            "interp_model": ["INTERP_MODEL", {}], "images": ["IMAGE", {}],
            "multiplier": ["INT", {"default": 2, "min": 2, "max": 16}]}}, "output": ["IMAGE"]},
    }


PACK_INFO = {**VIDEO_NODES, "RIFE VFI": RIFE_VFI, "FILM VFI": FILM_VFI}
CORE_INFO = {**VIDEO_NODES, **core_nodes(["film_net_fp16.safetensors", "rife_v4.26.safetensors"])}


def _links_resolve(graph):
    for node in graph.values():
        for value in node["inputs"].values():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
                assert value[0] in graph, value


def test_pack_is_chosen_with_rife49_and_labelled():
    plan = plan_vfi(PACK_INFO, "rife")
    assert (plan.family, plan.model) == ("pack", "rife49.pth")
    assert plan.label(2) == "RIFE ×2 (ComfyUI, rife49)"
    assert plan_vfi(PACK_INFO, "rife", model="rife426.pth").model == "rife426.pth"
    film = plan_vfi(PACK_INFO, "film")
    assert (film.model, film.label(3)) == ("film_net_fp32.pt", "FILM ×3 (ComfyUI)")
    assert film.weights_location().endswith(
        "custom_nodes/ComfyUI-Frame-Interpolation/ckpts/film/film_net_fp32.pt")


def test_old_pack_versions_fall_back_to_an_offered_checkpoint():
    old = {**PACK_INFO, "RIFE VFI": {"input": {"required": {
        "ckpt_name": [["rife40.pth", "rife47.pth"]], "frames": ["IMAGE"]}}}}
    assert plan_vfi(old, "rife").model == "rife40.pth"


def test_pack_graph_loads_interpolates_and_saves_at_fps_times_m():
    plan = plan_vfi(PACK_INFO, "rife")
    graph, save_id = build_interpolation_graph(plan, "clip.mp4", 2, 16.0, "video/x", PACK_INFO)
    by_class = {n["class_type"]: (k, n) for k, n in graph.items()}
    assert set(by_class) == {"LoadVideo", "GetVideoComponents", "RIFE VFI", "CreateVideo", "SaveVideo"}
    rife = by_class["RIFE VFI"][1]["inputs"]
    assert rife["multiplier"] == 2 and rife["ckpt_name"] == "rife49.pth"
    assert rife["frames"] == [by_class["GetVideoComponents"][0], 0]
    assert by_class["LoadVideo"][1]["inputs"]["file"] == "clip.mp4"
    assert by_class["CreateVideo"][1]["inputs"]["fps"] == 32.0
    assert save_id == by_class["SaveVideo"][0]
    _links_resolve(graph)


def test_core_family_reads_input_names_and_models_from_object_info():
    plan = plan_vfi(CORE_INFO, "film")
    assert (plan.family, plan.model) == ("core", "film_net_fp16.safetensors")
    assert plan_vfi(CORE_INFO, "rife").model == "rife_v4.26.safetensors"
    graph, _ = build_interpolation_graph(plan, "in/clip.mp4", 4, 16.0, "video/x", CORE_INFO)
    loader = next(k for k, n in graph.items() if n["class_type"] == "FrameInterpolationModelLoader")
    interp = next(n for n in graph.values() if n["class_type"] == "FrameInterpolate")
    assert graph[loader]["inputs"] == {"model_name": "film_net_fp16.safetensors"}
    assert interp["inputs"]["interp_model"] == [loader, 0] and interp["inputs"]["multiplier"] == 4
    assert next(n for n in graph.values() if n["class_type"] == "CreateVideo")["inputs"]["fps"] == 64
    _links_resolve(graph)


def test_missing_nodes_say_how_to_install_them():
    with pytest.raises(WorkflowError) as err:
        plan_vfi(VIDEO_NODES, "film")
    assert "FILM VFI" in str(err.value) and "ComfyUI-Frame-Interpolation" in err.value.hint


def test_core_nodes_without_weights_name_the_file_and_folder():
    info = {**VIDEO_NODES, **core_nodes([])}
    with pytest.raises(WorkflowError) as err:
        plan_vfi(info, "film")
    assert "film_net_fp16.safetensors" in err.value.hint
    assert "models/frame_interpolation" in err.value.hint


def test_multiplier_and_fps_limits_are_checked_before_sending():
    plan = plan_vfi(CORE_INFO, "rife")
    with pytest.raises(WorkflowError, match="×20"):
        build_interpolation_graph(plan, "c.mp4", 20, 16.0, "video/x", CORE_INFO)
    with pytest.raises(WorkflowError, match="fps"):
        build_interpolation_graph(plan, "c.mp4", 4, 60.0, "video/x", CORE_INFO)


def test_combined_workflow_appends_vfi_after_vae_decode_and_a_second_save():
    base = {
        "87": {"class_type": "VAEDecode", "inputs": {"samples": ["85", 0], "vae": ["90", 0]}},
        "94": {"class_type": "CreateVideo", "inputs": {"images": ["87", 0], "fps": 16}},
        "108": {"class_type": "SaveVideo", "inputs": {"video": ["94", 0], "filename_prefix": "video/a",
                                                      "format": "auto", "codec": "auto"}},
    }
    roles = {"vae_decode": "87", "create_video": "94", "save": "108"}
    plan = plan_vfi(PACK_INFO, "film")
    graph, new_roles = append_vfi(base, roles, plan, 2, 16, "video/a_film_x2", PACK_INFO)
    assert "87" in graph and graph["108"] == base["108"]  # the 16 fps save stays
    assert len(base) == 3  # the builder's graph is not modified
    vfi = graph[new_roles["vfi"]]
    assert vfi["class_type"] == "FILM VFI" and vfi["inputs"]["frames"] == ["87", 0]
    save = graph[new_roles["vfi_save"]]
    create = graph[save["inputs"]["video"][0]]
    assert create["inputs"] == {"images": [new_roles["vfi"], 0], "fps": 32}
    assert save["inputs"]["filename_prefix"] == "video/a_film_x2"
    with pytest.raises(WorkflowError):
        append_vfi(base, {}, plan, 2, 16, "p", PACK_INFO)


def test_combined_workflow_on_the_real_builder():
    from wan22_gui.core.workflow.builder import build_wan_i2v
    from wan22_gui.core.workflow.spec import JobSpec

    built = build_wan_i2v(JobSpec(image="a.png", prompt="x"), "a.png")
    graph, roles = append_vfi(built.graph, built.roles, plan_vfi(PACK_INFO, "rife"), 2, 16, "v/p",
                              PACK_INFO)
    assert graph[roles["vfi"]]["inputs"]["frames"] == [built.roles["vae_decode"], 0]
    assert len(graph) == len(built.graph) + 3
    _links_resolve(graph)


@dataclass
class _Outcome:
    status: str
    message: str = ""
    error: object = None
    history: object = None
    outputs: tuple = ()

    @property
    def ok(self):
        return self.status == "success"


@dataclass
class _Err:
    node_type: str
    exception_message: str


def test_missing_pack_weights_are_named_with_their_folder():
    plan = plan_vfi(PACK_INFO, "rife")
    err = explain_failure(plan, _Outcome("error", "RIFE VFI failed", _Err(
        "RIFE VFI", "Tried all urls to download rife49.pth. If you're having network issues, ...")))
    assert "rife49.pth" in str(err)
    assert "ComfyUI-Frame-Interpolation/ckpts/rife/" in err.hint
    other = explain_failure(plan, _Outcome("error", "CUDA error: device-side assert", _Err("RIFE VFI", "x")))
    assert "failed" in str(other) and "CUDA" in str(other)


# --- the runner against a scripted ComfyUI ---------------------------------------------------

@dataclass
class _Uploaded:
    name: str
    subfolder: str = ""

    @property
    def load_value(self):
        return self.name


@dataclass
class _FakeClient:
    result_clip: Path
    base_url: str = "http://comfy.test"
    queued: list = field(default_factory=list)

    def object_info(self, node_class=None, *, refresh=False):
        return PACK_INFO if node_class is None else (
            {node_class: PACK_INFO[node_class]} if node_class in PACK_INFO else {})

    def system_stats(self):
        return {"system": {"comfyui_version": "0.3.64"}}

    def upload_image(self, path, **kw):
        return _Uploaded(Path(path).name)

    def queue_prompt(self, graph, *, prompt_id=None, **kw):
        self.queued.append((prompt_id, graph))

    def download(self, ref, dest_dir, **kw):
        dest = Path(dest_dir) / ref.filename
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(self.result_clip.read_bytes())
        return dest

    def interrupt(self, prompt_id=None):
        pass

    def delete_from_queue(self, ids):
        pass


class _FakeWatcher:
    def __init__(self, client, status="success"):
        self.client, self.status = client, status

    def watch(self, prompt_id):
        watcher = self

        class Handle:
            from wan22_gui.core.base.signals import Signal
            events = Signal("events")

            def wait(self, timeout):
                from wan22_gui.core.comfy.events import Executing
                from wan22_gui.core.comfy.types import OutputFile

                graph = watcher.client.queued[-1][1]
                vfi = next(k for k, n in graph.items() if n["class_type"] == "RIFE VFI")
                for node in (vfi, None):
                    self.events.emit(Executing(prompt_id, node))
                if watcher.status != "success":
                    return _Outcome("error", "RIFE VFI failed", _Err("RIFE VFI", "Tried all urls"))
                return _Outcome("success", outputs=(OutputFile("interp_00001_.mp4", "video"),))
        return Handle()

    def forget(self, prompt_id):
        pass


def _runner(tmp_path, app_history, clip, status="success"):
    client = _FakeClient(clip)
    closed = []

    def session() -> ServerSession:
        return ServerSession.of(client, _FakeWatcher(client, status),
                                close=lambda: closed.append(1))

    return InterpolationRunner(app_history, tmp_path / "out", comfy=session, workers=0), client, closed


@pytest.fixture
def history(store):
    return store


@pytest.fixture
def clips(tmp_path):
    from wan22_gui.core.video.testclip import write_test_clip

    src = write_test_clip(tmp_path / "src.mp4", frames=9, fps=16, size=(64, 48), speed=2)
    done = write_test_clip(tmp_path / "done.mp4", frames=17, fps=32, size=(64, 48))
    return src, done


def test_runner_records_a_comfyui_rife_run_linked_to_its_parent(tmp_path, history, clips):
    from wan22_gui.core.history import JobRecord

    src, done = clips
    history.add(JobRecord(job_id="gen1", status="succeeded", outputs=[str(src)], source_image="a.png"))
    runner, client, closed = _runner(tmp_path, history, done)
    result = runner.run(InterpolationRequest(src, "rife", 2, parent_id="gen1"))
    row = history.get(result.job_id)
    assert row.kind == "interpolate" and row.status == "succeeded"
    assert row.parent_id == "gen1" and row.source_image == "a.png"
    assert row.label == "RIFE ×2 (ComfyUI, rife49)" == result.label
    assert row.outputs == [str(result.output)] and result.output.exists()
    assert row.timings["interpolate"] >= 0 and "upload" in row.timings
    assert row.graph == client.queued[0][1] and row.prompt_id == client.queued[0][0]
    assert row.params["source"] == str(src.resolve())
    assert (result.frame_count, result.fps) == (17, 32)
    assert [c.job_id for c in history.children("gen1")] == [result.job_id]
    assert closed == [1]


def test_runner_records_a_failed_run_with_the_weights_hint(tmp_path, history, clips):
    src, done = clips
    runner, _, _ = _runner(tmp_path, history, done, status="error")
    with pytest.raises(WorkflowError):
        runner.run(InterpolationRequest(src, "rife", 2))
    row = history.list(kind="interpolate")[0]
    assert row.status == "failed" and "rife49.pth" in row.error["message"]
    assert "ckpts/rife" in row.error["hint"] and row.parent_id is None


def test_runner_builtin_needs_no_server_and_labels_the_engine(tmp_path, history, clips):
    src, _ = clips
    runner = InterpolationRunner(history, tmp_path / "out", workers=0)
    result = runner.run(InterpolationRequest(src, "builtin", 3))
    row = history.get(result.job_id)
    assert row.label == "Optical flow ×3 (built-in)" and row.status == "succeeded"
    assert (result.frame_count, result.fps) == (25, 48)
    assert result.output.parent == tmp_path / "out" / "interpolated"
    assert row.timings["interpolate"] > 0 and row.params["method"] == "builtin"


def test_runner_without_a_server_says_so(tmp_path, history, clips):
    runner = InterpolationRunner(history, tmp_path / "out", workers=0)
    with pytest.raises(Exception, match="no server"):
        runner.run(InterpolationRequest(clips[0], "film", 2))
    assert history.list(kind="interpolate") == []  # refused before any work: no half row


def test_runner_cancel_is_recorded_as_cancelled(tmp_path, history, clips):
    runner = InterpolationRunner(history, tmp_path / "out", workers=0)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Exception):
        runner.run(InterpolationRequest(clips[0], "builtin", 2), cancel=cancel)
    assert history.list(kind="interpolate")[0].status == "cancelled"


# --- against the stand-in ComfyUI (real HTTP, WebSocket, validation, mp4 output) -------------

@pytest.mark.parametrize("method", ["rife", "film"])
def test_stand_in_validates_and_runs_the_vfi_workflow(standin, history, clips, tmp_path, method):
    from wan22_gui.core.interpolation.comfy_run import open_session
    from wan22_gui.core.video.reader import probe

    standin.extra_nodes.add("RIFE VFI")
    standin.extra_nodes.add("FILM VFI")
    src, _ = clips
    runner = InterpolationRunner(history, tmp_path / "out", comfy=lambda: open_session(standin.url))
    result = runner.run(InterpolationRequest(src, method, 3))
    info = probe(result.output)
    assert (info.frame_count, info.fps) == (8 * 3 + 1, 48)  # (n-1)·m+1 at fps·m
    row = history.get(result.job_id)
    vfi = [n for n in row.graph.values() if n["class_type"].endswith("VFI")]
    assert [n["class_type"] for n in vfi] == [f"{method.upper()} VFI"]
    assert row.label == ("RIFE ×3 (ComfyUI, rife49)" if method == "rife" else "FILM ×3 (ComfyUI)")
    assert row.server_url and row.prompt_id and row.timings["interpolate"] >= 0
    assert f"src_{method}_x3" in result.output.name  # the file name says which engine made it


@pytest.mark.parametrize("comfy_profile", ["0.3.64", "0.38.1"])
def test_stand_in_without_an_engine_for_the_method_runs_the_builtin_one_and_says_why(
        standin, history, clips, tmp_path, comfy_profile):
    from wan22_gui.core.interpolation.comfy_run import open_session

    # 0.3.64: neither core nodes nor pack; 0.38.1: core nodes, but no FILM model file
    runner = InterpolationRunner(history, tmp_path / "out", comfy=lambda: open_session(standin.url))
    result = runner.run(InterpolationRequest(clips[0], "film", 2))
    assert result.label == "Optical flow ×2 (built-in)" and result.output.is_file()
    assert result.note.startswith("Optical flow (built-in) ran instead of FILM: ")
    fix = ("update ComfyUI to 0.19.3 or newer (you have 0.3.64)" if comfy_profile == "0.3.64"
           else "film_net_fp16.safetensors")
    assert fix in result.note
    row = history.get(result.job_id)
    assert row.params["method"] == "builtin" and row.params["requested_method"] == "film"
    assert standin.counters["prompts_received"] == 0  # nothing was sent


def test_stand_in_with_a_rife_model_it_lacks_refuses_it(standin, history, clips, tmp_path):
    from wan22_gui.core.interpolation.comfy_run import open_session

    standin.extra_nodes.add("RIFE VFI")
    runner = InterpolationRunner(history, tmp_path / "out", comfy=lambda: open_session(standin.url))
    with pytest.raises(WorkflowError) as err:
        runner.run(InterpolationRequest(clips[0], "rife", 2, model="nope.pth"))
    assert "rife49.pth" in err.value.hint  # the ones it has


def test_stand_in_accepts_the_combined_generation_plus_rife_workflow(standin_with_models):
    from wan22_gui.core.comfy.client import ComfyClient
    from wan22_gui.core.workflow.builder import build_wan_i2v
    from wan22_gui.core.workflow.spec import JobSpec

    standin_with_models.extra_nodes.add("RIFE VFI")
    client = ComfyClient(standin_with_models.url)
    try:
        info = client.object_info()
        built = build_wan_i2v(JobSpec(image="input-18.jpg", prompt="x", frames=17, width=320,
                                      height=224), "input-18.jpg")
        graph, roles = append_vfi(built.graph, built.roles, plan_vfi(info, "rife"), 2, 16,
                                  "video/combined_rife_x2", info)
        queued = client.queue_prompt(graph)  # raises PromptRejected if it does not validate
        assert not queued.node_errors
        client.interrupt()
    finally:
        client.close()


def test_stand_in_cancel_of_a_waiting_interpolation_deletes_only_it(standin, history, clips,
                                                                     tmp_path):
    """The targeted cancel (as for a generation job): the waiting VFI prompt leaves the queue;
    the prompt running ahead of it is not interrupted and runs to its end."""
    from tests.core.comfy_fixtures import make_png, slow_graph
    from wan22_gui.core.base.errors import Wan22Error
    from wan22_gui.core.comfy.prompt import PromptRun
    from wan22_gui.core.interpolation.comfy_run import open_session

    standin.extra_nodes.add("RIFE VFI")
    ahead_session = open_session(standin.url)
    try:
        ahead = PromptRun(ahead_session.client, ahead_session.watcher)
        image = ahead.upload(make_png(tmp_path / "start.png")).load_value
        ahead.submit(slow_graph(image, steps=100, seconds_per_step=0.05))
        runner = InterpolationRunner(history, tmp_path / "out",
                                     comfy=lambda: open_session(standin.url))
        cancel = threading.Event()
        cancel.set()
        with pytest.raises(Wan22Error, match="interpolation was interrupted; nothing was saved"):
            runner.run(InterpolationRequest(clips[0], "rife", 2), cancel=cancel)
        assert history.list(kind="interpolate")[0].status == "cancelled"
        assert standin.counters["interrupts"] == 0
        assert ahead.follow(timeout=30).status == "success"
    finally:
        ahead_session.close()


def test_core_nodes_win_over_the_pack_when_they_have_a_model():
    both = {**CORE_INFO, **PACK_INFO}
    plan = plan_vfi(both, "rife")
    assert (plan.family, plan.model) == ("core", "rife_v4.26.safetensors")
    # core nodes without a RIFE model: the pack still runs it
    film_only = {**VIDEO_NODES, **core_nodes(["film_net_fp16.safetensors"]), **PACK_INFO}
    assert plan_vfi(film_only, "rife").family == "pack"
    assert model_choices(both, "rife") == ["rife_v4.26.safetensors"]
    pack_ckpts = RIFE_VFI["input"]["required"]["ckpt_name"][0]
    assert model_choices(film_only, "rife")[0] == "rife49.pth"  # what the app picks comes first
    assert sorted(model_choices(film_only, "rife")) == sorted(pack_ckpts)
