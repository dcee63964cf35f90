"""Generation followed by RIFE/FILM in one prompt (the seed's combined workflows), run by the
job runner against the stand-in ComfyUI: both clips on disk, two linked history rows, the
interpolation phase in the timings; a server with neither core nodes nor pack makes the clip
and the built-in engine interpolates it here, saying why; a chosen model it lacks is refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from wan22_gui.core.interpolation.comfy_vfi import append_vfi, plan_vfi
from wan22_gui.core.jobs import phases as ph
from wan22_gui.core.jobs.runner import JobRunner
from wan22_gui.core.jobs.vfi import CombinedVfi
from wan22_gui.core.video.library import collect
from wan22_gui.core.video.reader import probe
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.spec import JobSpec
from tests.core.jobs.test_jobs_standin import FAST, picture, session  # noqa: F401 (fixtures)


def run_job(session, store, tmp_path, picture, **kw):
    runner = JobRunner(session.client, session.watcher, store, tmp_path / "outputs", times=FAST)
    events = []
    runner.phase.connect(events.append)
    spec = JobSpec(image=str(picture), prompt="the fox blinks", width=320, height=224,
                   frames=17, **kw)
    return runner.run(spec), events


@pytest.mark.parametrize("method, m", [("rife", 2), ("film", 3)])
def test_combined_job_leaves_the_clip_and_its_interpolation_linked_in_history(
        standin_with_models, session, store, tmp_path, picture, method, m):
    standin_with_models.extra_nodes.add("RIFE VFI")
    standin_with_models.extra_nodes.add("FILM VFI")
    standin_with_models.faults.node_seconds_by_class = {"RIFE VFI": 0.2, "FILM VFI": 0.2}
    result, events = run_job(session, store, tmp_path, picture, interpolation=method,
                             interpolation_multiplier=m)
    assert result.status == "succeeded", result.error
    clip, interpolated = result.outputs
    assert (probe(clip).frame_count, probe(clip).fps) == (17, 16)
    assert (probe(interpolated).frame_count, probe(interpolated).fps) == ((17 - 1) * m + 1, 16 * m)
    assert interpolated.name.startswith(f"Red fox_320x224_1.06s_4step_lora_{method}_x{m}")
    assert interpolated.parent == tmp_path / "outputs" / "interpolated"

    parent = store.get(result.job_id)
    assert parent.kind == "generate" and parent.status == "succeeded"
    assert parent.outputs == [str(clip)]  # the gallery shows the clip once, its child under it
    assert parent.params["interpolation"] == method
    assert ph.INTERPOLATE in parent.timings and "vae_decode" in parent.timings
    vfi_nodes = [n for n in parent.node_timings if n["class_type"] == f"{method.upper()} VFI"]
    assert [n["phase"] for n in vfi_nodes] == [ph.INTERPOLATE]
    assert ("interpolate", "start") in [(e.phase, e.state) for e in events]  # live graph band

    [child] = store.children(result.job_id)
    assert child.job_id == result.interpolation_job_id
    assert child.kind == "interpolate" and child.status == "succeeded"
    assert child.outputs == [str(interpolated)]
    assert child.label == ("RIFE ×2 (ComfyUI, rife49)" if method == "rife"
                           else "FILM ×3 (ComfyUI)")
    assert child.timings["interpolate"] == pytest.approx(vfi_nodes[0]["seconds"], abs=0.01)
    assert child.timings["interpolate"] >= 0.2 and parent.timings["interpolate"] >= 0.2
    assert child.params["source"] == str(clip.resolve()) and child.params["multiplier"] == m
    assert child.source_image == parent.source_image and child.prompt_id == parent.prompt_id

    [tile] = [c for c in collect(store.list(), []) if c.key == result.job_id]
    assert [c.path for c in tile.children] == [interpolated]  # grouped under the clip


@pytest.mark.parametrize("comfy_profile", ["0.3.64", "0.38.1"])
def test_server_with_neither_core_nodes_nor_pack_gets_the_builtin_engine_after_download(
        standin_with_models, session, store, tmp_path, picture, comfy_profile):
    # 0.3.64: no FrameInterpolate, no pack. 0.38.1: the core nodes, but no RIFE model file.
    result, events = run_job(session, store, tmp_path, picture, interpolation="rife")
    assert result.status == "succeeded", result.error
    clip, interpolated = result.outputs
    assert (probe(interpolated).frame_count, probe(interpolated).fps) == (33, 32)
    assert interpolated.parent == tmp_path / "outputs" / "interpolated"
    assert result.interpolation_note.startswith("Optical flow (built-in) ran instead of RIFE: ")
    if comfy_profile == "0.3.64":
        assert "update ComfyUI to 0.19.3 or newer (you have 0.3.64)" in result.interpolation_note
    else:
        assert "rife_v4.25.safetensors" in result.interpolation_note
        assert "models/frame_interpolation/" in result.interpolation_note
    parent = store.get(result.job_id)
    assert not any(n["class_type"] in ("RIFE VFI", "FrameInterpolate") for n in parent.graph.values())
    assert ph.INTERPOLATE in parent.timings
    assert ("interpolate", "start") in [(e.phase, e.state) for e in events]
    [child] = store.children(result.job_id)
    assert child.job_id == result.interpolation_job_id and child.status == "succeeded"
    assert child.label == "Optical flow ×2 (built-in)" and child.outputs == [str(interpolated)]
    assert child.params["requested_method"] == "rife"
    assert child.params["note"] == result.interpolation_note


@pytest.mark.parametrize("comfy_profile", ["0.38.1"])
def test_a_chosen_rife_model_the_server_lacks_is_refused_before_anything_is_sent(
        standin_with_models, session, store, tmp_path, picture, comfy_profile):
    standin_with_models.models.add("frame_interpolation", "rife_v4.25.safetensors")
    before = standin_with_models.counters.snapshot()
    result, _ = run_job(session, store, tmp_path, picture, interpolation="rife",
                        interpolation_model="rife_v9.safetensors")
    assert result.status == "failed" and result.reason == "input" and not result.submitted
    assert "rife_v9.safetensors" in result.error
    after = standin_with_models.counters.snapshot()
    for counter in ("uploads", "prompts_received", "prompts_queued"):
        assert after.get(counter, 0) == before.get(counter, 0), counter
    row = store.get(result.job_id)
    assert "rife_v4.25.safetensors" in row.error["hint"]  # the ones it has
    assert JobSpec.from_dict(row.params).interpolation_model == "rife_v9.safetensors"
    assert not list((tmp_path / "outputs").rglob("*.mp4"))


def test_a_failing_interpolation_keeps_the_clip_and_says_so(
        standin_with_models, session, store, tmp_path, picture):
    standin_with_models.extra_nodes.add("RIFE VFI")
    standin_with_models.faults.update(error_at_node="RIFE VFI", error_type="RuntimeError",
                                      error_message="Tried all URLs, none worked")
    result, _ = run_job(session, store, tmp_path, picture, interpolation="rife")
    row = store.get(result.job_id)
    assert result.status == "failed" and row.error["phase"] == ph.INTERPOLATE
    assert "rife49.pth" in row.error["message"] and "ckpts/rife" in row.error["hint"]
    # the 16 fps clip was saved before RIFE ran (as ComfyUI orders these outputs): it is kept
    assert result.outputs == [Path(row.outputs[0])] and probe(row.outputs[0]).frame_count == 17
    assert f"The clip itself was saved: {row.outputs[0]}" in row.error["message"]
    [child] = store.children(result.job_id)
    assert child.status == "failed" and child.label == "RIFE ×2 (ComfyUI, rife49)"
    assert "rife49.pth" in child.error["message"] and "saved" not in child.error["message"]


def test_a_combined_job_recovered_after_the_app_restarted_gets_both_rows(
        standin_with_models, session, store, tmp_path, picture):
    standin_with_models.extra_nodes.add("RIFE VFI")
    standin_with_models.faults.step_seconds = 0.3
    first = JobRunner(session.client, session.watcher, store, tmp_path / "outputs", times=FAST)
    stepping = threading.Event()
    first.progress.connect(lambda *a: stepping.set())
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", first.run(JobSpec(
        image=str(picture), prompt="x", width=320, height=224, frames=17,
        interpolation="rife"))))
    worker.start()
    assert stepping.wait(20)
    first.detach_all()  # the app quits mid-pass; ComfyUI carries on
    worker.join(20)
    assert box["r"].status == "detached"

    later = JobRunner(session.client, session.watcher, store, tmp_path / "outputs", times=FAST)
    result = later.recover(store.get(box["r"].job_id))  # the next start of the app
    row = store.get(result.job_id)
    assert row.status == "succeeded", row.error
    [child] = store.children(result.job_id)
    assert child.label == "RIFE ×2 (ComfyUI, rife49)" and child.status == "succeeded"
    assert probe(row.outputs[0]).frame_count == 17 and probe(child.outputs[0]).frame_count == 33
    assert result.outputs == [Path(row.outputs[0]), Path(child.outputs[0])]


def test_node_phases_put_both_vfi_families_in_the_interpolation_phase():
    spec = JobSpec(image="a.png", prompt="x", frames=17, width=320, height=224)
    built = build_wan_i2v(spec, "a.png")
    info = {"FrameInterpolationModelLoader": {"input": {"required": {
                "model_name": ["COMBO", {"options": ["rife_v4.26.safetensors"]}]}},
                "output": ["INTERP_MODEL"]},
            "FrameInterpolate": {"input": {"required": {
                "interp_model": ["INTERP_MODEL", {}], "images": ["IMAGE", {}],
                "multiplier": ["INT", {"default": 2, "min": 2, "max": 16}]}}, "output": ["IMAGE"]},
            "CreateVideo": {"input": {"required": {}}}, "SaveVideo": {"input": {"required": {}}}}
    graph, roles = append_vfi(built.graph, built.roles, plan_vfi(info, "rife"), 2, 16,
                              "video/x_rife_x2", info)
    phases = ph.node_phases(graph, roles)
    added = sorted(set(graph) - set(built.graph), key=int)
    assert [graph[n]["class_type"] for n in added] == [
        "FrameInterpolationModelLoader", "FrameInterpolate", "CreateVideo", "SaveVideo"]
    assert [phases[n] for n in added] == [ph.INTERPOLATE, ph.INTERPOLATE, ph.SAVE, ph.SAVE]
    vfi = CombinedVfi.of(spec.replace(interpolation="rife", filename_prefix="video/x"), graph)
    assert vfi.label == "RIFE ×2 (ComfyUI, rife_v4.26)" and vfi.save_id == added[-1]
