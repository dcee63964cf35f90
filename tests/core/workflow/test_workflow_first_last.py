"""First/last-frame i2v: with an end image the two-pass graph's latent is ComfyUI's core
`WanFirstLastFrameToVideo` fed by both images, and the stand-in (whose object_info is the
recorded core's) accepts and validates it."""

from __future__ import annotations

import pytest
import requests

from wan22_gui.core.base.errors import WorkflowError
from wan22_gui.core.workflow.builder import build_wan_i2v
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.core.workflow.validate import validate

TEMPLATE_IMAGE = "input-18.jpg"


@pytest.mark.parametrize("use_lora", [True, False])
def test_an_end_image_makes_the_latent_first_last_frame(use_lora):
    spec = JobSpec(image="a.jpg", end_image="b.jpg", seed=1, use_lora=use_lora)
    built = build_wan_i2v(spec, "a.jpg", end_image_name="b (1).jpg")
    latent = built.graph[built.roles["latent"]]
    assert latent["class_type"] == "WanFirstLastFrameToVideo"
    assert latent["inputs"]["start_image"] == [built.roles["image"], 0]
    assert latent["inputs"]["end_image"] == [built.roles["end_image"], 0]
    end = built.graph[built.roles["end_image"]]
    assert end["class_type"] == "LoadImage" and end["inputs"]["image"] == "b (1).jpg"
    plain = build_wan_i2v(spec.replace(end_image=None), "a.jpg")
    assert plain.graph[plain.roles["latent"]]["class_type"] == "WanImageToVideo"
    assert "end_image" not in plain.roles


def test_an_end_image_that_was_not_uploaded_is_refused():
    with pytest.raises(WorkflowError, match="end image"):
        build_wan_i2v(JobSpec(image="a.jpg", end_image="b.jpg"), "a.jpg")


def test_the_spec_keeps_its_end_image_through_history():
    spec = JobSpec(image="a.jpg", end_image="/pics/b.jpg")
    assert JobSpec.from_dict(spec.to_dict()).end_image == "/pics/b.jpg"
    assert JobSpec.from_dict({"image": "a.jpg"}).end_image is None  # rows from before


def test_the_standin_validates_and_accepts_a_first_last_frame_graph(standin_with_models):
    info = requests.get(f"{standin_with_models.url}/object_info", timeout=10).json()
    assert "end_image" in info["WanFirstLastFrameToVideo"]["input"]["optional"]
    spec = JobSpec(image="x", end_image="y", seed=3, frames=17, width=320, height=224)
    graph = build_wan_i2v(spec, TEMPLATE_IMAGE, end_image_name=TEMPLATE_IMAGE).graph
    assert validate(graph, info) == []
    reply = requests.post(f"{standin_with_models.url}/prompt",
                          json={"prompt": graph, "client_id": "flf"}, timeout=10)
    assert reply.status_code == 200, reply.text
