"""Which phase each node of a Wan graph counts towards."""

from __future__ import annotations

from wan22_gui.core.jobs import phases
from wan22_gui.core.jobs.phases import PhaseEvent, node_phases, phase_title

# The shape of the official 4-step template (same ids and classes, inputs trimmed).
WAN_GRAPH = {
    "84": {"class_type": "CLIPLoader", "inputs": {}},
    "89": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["84", 0]}},
    "93": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["84", 0]}},
    "90": {"class_type": "VAELoader", "inputs": {}},
    "95": {"class_type": "UNETLoader", "inputs": {}},
    "96": {"class_type": "UNETLoader", "inputs": {}},
    "101": {"class_type": "LoraLoaderModelOnly", "inputs": {"model": ["95", 0]}},
    "102": {"class_type": "LoraLoaderModelOnly", "inputs": {"model": ["96", 0]}},
    "104": {"class_type": "ModelSamplingSD3", "inputs": {"model": ["101", 0]}},
    "103": {"class_type": "ModelSamplingSD3", "inputs": {"model": ["102", 0]}},
    "97": {"class_type": "LoadImage", "inputs": {}},
    "98": {"class_type": "WanImageToVideo", "inputs": {"start_image": ["97", 0]}},
    "86": {"class_type": "KSamplerAdvanced", "inputs": {"model": ["104", 0], "latent_image": ["98", 2]}},
    "85": {"class_type": "KSamplerAdvanced", "inputs": {"model": ["103", 0], "latent_image": ["86", 0]}},
    "87": {"class_type": "VAEDecode", "inputs": {"samples": ["85", 0]}},
    "94": {"class_type": "CreateVideo", "inputs": {"images": ["87", 0]}},
    "108": {"class_type": "SaveVideo", "inputs": {"video": ["94", 0]}},
}


def test_roles_decide_which_sampler_is_which_pass():
    # Roles deliberately swapped against the wiring: roles must win.
    got = node_phases(WAN_GRAPH, {"sampler_high": "85", "sampler_low": "86"})
    assert got["85"] == "high_noise" and got["86"] == "low_noise"


def test_every_template_node_class_lands_in_the_expected_phase():
    got = node_phases(WAN_GRAPH, {"sampler_high": "86", "sampler_low": "85"})
    assert {got[n] for n in ("84", "89", "93")} == {"text_encode"}
    assert {got[n] for n in ("95", "96", "101", "102", "103", "104", "90")} == {"model_load"}
    assert got["87"] == "vae_decode"
    assert got["94"] == "save" and got["108"] == "save"
    assert "97" not in got  # image loading is no phase of its own


def test_without_roles_the_sampler_fed_by_the_other_is_the_low_noise_pass():
    got = node_phases(WAN_GRAPH, None)
    assert got["86"] == "high_noise" and got["85"] == "low_noise"


def test_a_single_sampler_counts_as_high_noise():
    graph = {k: v for k, v in WAN_GRAPH.items() if k != "85"}
    assert node_phases(graph, {})["86"] == "high_noise"


def test_phase_names_titles_and_event_shape():
    assert phases.PHASES[:2] == ("upload", "queued")
    assert "download" in phases.PHASES and "oom" in phases.MARKS
    assert phase_title("high_noise") == "High-noise pass"
    assert phase_title("something_new") == "Something new"
    ev = PhaseEvent("j1", "high_noise", "start", 12.5)
    assert ev.to_dict() == {"job_id": "j1", "phase": "high_noise", "state": "start", "t": 12.5,
                            "detail": ""}
