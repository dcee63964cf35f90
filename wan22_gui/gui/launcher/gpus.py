"""The GPUs NVML sees, marking the one ComfyUI will use, or why there are none."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QLabel

from wan22_gui.core.gpu import GpuReport
from wan22_gui.gui.richtext import colored


class GpuList(QLabel):
    """A rich-text label: one line per GPU, then driver and CUDA versions."""

    def __init__(self) -> None:
        super().__init__("Looking for NVIDIA GPUs...")
        self.setObjectName("gpu_list")
        self.setWordWrap(True)

    def show_report(self, report: GpuReport, used_index: int | None) -> None:
        if not report.gpus:
            self.setText(colored(report.problem or "No NVIDIA GPU found.", "#8a5300"))
            return
        lines = []
        for gpu in report.gpus:
            mark = (" &nbsp;<b style='color:#2e7d32'>&#9664; ComfyUI will use this one</b>"
                    if gpu.index == used_index else "")
            lines.append(f"<b>{gpu.index}: {html.escape(gpu.name)}</b>{mark}<br>"
                         f"&nbsp;&nbsp;{gpu.vram_gib:.1f} GiB VRAM, compute capability "
                         f"{gpu.compute_capability_text}")
        lines.append(f"<span style='color:#555'>Driver {report.driver_version or '?'}, "
                     f"CUDA {report.cuda_version or '?'} (highest the driver supports)</span>")
        if used_index is None:
            lines.append("<span style='color:#8a5300'>ComfyUI will run on the CPU "
                         "(--cpu, or CUDA_VISIBLE_DEVICES hides every GPU).</span>")
        self.setText("<br>".join(lines))
