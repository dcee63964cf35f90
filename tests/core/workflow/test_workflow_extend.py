"""Extend a clip: the spec's extend fields, and the graph it runs with (the app's own, whose
WanImageToVideo takes the clip's last frames as a batch of start images) validated against the
stand-in's recorded object_info, whose LoadImage makes a multi-frame PNG such a batch."""

from __future__ import annotations

import requests
from PIL import Image

from tests.fakes.comfy_standin.media import image_frames
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.core.workflow.validate import validate


def test_the_extend_fields_survive_the_history_and_are_checked():
    spec = JobSpec(extend_clip="/clips/a.mp4", extend_overlap=5, extend_color_match=True,
                   extend_parent="job-1", frames=33)
    back = JobSpec.from_dict(spec.to_dict())
    assert (back.extend_clip, back.extend_overlap, back.extend_color_match,
            back.extend_parent) == ("/clips/a.mp4", 5, True, "job-1")
    assert spec.problems() == []
    assert any("4k+1" in p for p in spec.replace(extend_overlap=6).problems())
    assert any("shorter" in p for p in spec.replace(extend_overlap=33).problems())
    assert JobSpec(extend_overlap=6).problems() == []  # only checked when extending


def test_the_standin_validates_and_runs_a_graph_with_several_start_frames(standin_with_models,
                                                                          tmp_path):
    frames = [Image.new("RGB", (320, 224), (10 * i, 80, 120)) for i in range(5)]
    start = tmp_path / "clip_last5.png"
    frames[0].save(start, save_all=True, append_images=frames[1:])
    assert image_frames(start) == 5  # what ComfyUI's LoadImage gives WanImageToVideo
    with start.open("rb") as f:
        up = requests.post(f"{standin_with_models.url}/upload/image",
                           files={"image": (start.name, f, "image/png")}, timeout=10)
    assert up.status_code == 200, up.text
    info = requests.get(f"{standin_with_models.url}/object_info", timeout=10).json()
    assert "IMAGE" in info["WanImageToVideo"]["input"]["optional"]["start_image"][0]
    spec = JobSpec(extend_clip="a.mp4", extend_overlap=5, seed=3, frames=17, width=320,
                   height=224)
    graph = build_wan_i2v(spec, up.json()["name"]).graph
    assert validate(graph, info) == []
    reply = requests.post(f"{standin_with_models.url}/prompt",
                          json={"prompt": graph, "client_id": "extend"}, timeout=10)
    assert reply.status_code == 200, reply.text
