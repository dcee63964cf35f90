"""The graph during a real job: the job queue runs a Wan job on the stand-in ComfyUI and its
phase events become bands; the job's metrics land in history. The GPU is a fake NVML whose
memory follows the phases the runner reports."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PIL import Image

from tests.core.telemetry_helpers import PhaseDrivenGpu
from tests.fakes.fake_nvml import make_nvml
from wan22_gui.app import App, Given
from wan22_gui.core.comfy.connection import ServerInfo
from wan22_gui.core.telemetry.nvml import Nvml
from wan22_gui.core.telemetry.sampler import GpuSampler
from wan22_gui.core.workflow.spec import JobSpec
from wan22_gui.gui.context import AppContext
from wan22_gui.gui.telemetry.panel import TelemetryPanel
from wan22_gui.gui.tasks import TaskRunner

DOCS_IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"
GIB = 1024**3
SLOW_NODES = {  # seconds per node, so that each phase is wide enough to see
    "CLIPLoader": 0.5, "CLIPTextEncode": 0.3, "UNETLoader": 0.8, "VAELoader": 0.2,
    "VAEDecode": 1.0, "CreateVideo": 0.3, "SaveVideo": 0.4,
}


def test_a_job_on_the_standin_draws_its_phases_and_stores_metrics(
    qtbot, app_paths, standin_with_models, tmp_path
):
    standin_with_models.faults.update(step_seconds=0.6, node_seconds_by_class=SLOW_NODES)
    picture = tmp_path / "Red fox.png"
    Image.new("RGB", (480, 320), (200, 60, 20)).save(picture)
    gpu = PhaseDrivenGpu()
    sampler = GpuSampler(Nvml(make_nvml(gpu.gpu()), register_atexit=False))
    core = App.for_gui(app_paths, given=Given(sampler=sampler))
    core.jobs.phase.connect(gpu.on_phase)
    ctx = AppContext(app=core, tasks=TaskRunner())
    panel = TelemetryPanel(ctx)  # starts the sampler and listens to core.jobs.phase
    qtbot.addWidget(panel)
    panel.resize(1400, 430)
    panel.show()
    try:
        core.connection.set(ServerInfo(standin_with_models.url, "launched", 4242, 4.0))
        record = core.jobs.add(JobSpec(image=str(picture), prompt="the fox blinks", width=320,
                                       height=224, frames=17))
        qtbot.wait(1500)  # an idle baseline before the job
        core.jobs.start()
        qtbot.waitUntil(lambda: core.history.get(record.job_id).status in
                        ("succeeded", "failed", "interrupted"), timeout=60_000)
        qtbot.wait(1500)  # and after it
        panel.window_box.setCurrentIndex(3)  # whole job
        panel.refresh()
        done = core.history.get(record.job_id)
        assert done.status == "succeeded", done.error
        phases = [span.phase for span in panel.graph.phases.spans]
        for phase in ("upload", "high_noise", "low_noise", "vae_decode", "save", "download"):
            assert phase in phases, (phase, phases)
        assert [m.kind for m in panel.graph.phases.marks][-1] == "job_end"
        assert done.metrics["peak_vram_bytes"] > 17 * GIB
        assert done.metrics["phase_seconds"]["high_noise"] > 0.5
        assert done.metrics["energy_wh"] > 0
        shot = tmp_path / "telemetry_graph.png"
        panel.graph.hover_at(None)
        assert panel.grab().save(str(shot))
        if os.environ.get("WAN22_SAVE_SCREENSHOTS"):
            shutil.copy(shot, DOCS_IMAGES / "telemetry_graph.png")
    finally:
        panel.shutdown()
        ctx.tasks.shutdown()
        core.close()
