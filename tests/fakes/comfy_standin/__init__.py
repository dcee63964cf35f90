"""A stand-in for ComfyUI 0.3.64 (profile "0.38.1": the newer core nodes too) that the test suite runs against (see docs/dev/CONTRACTS.md §2).

It speaks the real HTTP + WebSocket protocol with the shapes and event orders recorded from a
real server, validates prompts against the recorded `/object_info`, writes real video files and
can be scripted to fail (OOM, errors, dropped sockets, a dying server, slow or broken replies).
"""

from tests.fakes.comfy_standin.catalog import (APP_CUSTOM_NODES, CORE_DUMP, CUSTOM_DUMP, NEWER_CORE_DUMP,
                                              PROFILES, ExtraNodes, load_dump)
from tests.fakes.comfy_standin.faults import Counters, Faults
from tests.fakes.comfy_standin.folders import WAN_MODEL_FILES, add_model_file, install_wan_models
from tests.fakes.comfy_standin.server import StandinServer

__all__ = [
    "APP_CUSTOM_NODES", "CORE_DUMP", "CUSTOM_DUMP", "NEWER_CORE_DUMP", "PROFILES", "Counters", "ExtraNodes", "Faults",
    "StandinServer", "WAN_MODEL_FILES", "add_model_file", "install_wan_models", "load_dump",
]
