"""The gallery's details pane: the selected clip's job (parameters, preset, per-pass timings,
peak VRAM, error), its interpolated versions, and the actions."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QTextBrowser, QVBoxLayout,
    QWidget,
)

from wan22_gui.core.history import JobRecord
from wan22_gui.core.jobs.phases import phase_title
from wan22_gui.core.video.library import Clip
from wan22_gui.core.workflow.calculator import describe_duration

CHILD_ROLE = Qt.ItemDataRole.UserRole + 2
# JobSpec fields worth showing, in order, with their titles
PARAMS = (("prompt", "Prompt"), ("image", "Start image"), ("end_image", "End image"),
          ("width", "Width"), ("height", "Height"),
          ("frames", "Frames"), ("fps", "FPS"), ("seed", "Seed"), ("use_lora", "4-step LoRA"),
          ("steps", "Steps"), ("split_step", "Split step"), ("cfg", "CFG"), ("shift", "Shift"),
          ("lora_strength_high", "4-step LoRA high"), ("lora_strength_low", "4-step LoRA low"),
          ("phase1_steps", "3-phase: first steps"), ("phase1_cfg", "3-phase: first CFG"),
          ("loras", "LoRAs"),
          ("sage_attention", "Sage attention"), ("interpolation", "Interpolation"),
          ("method", "Method"), ("multiplier", "Multiplier"), ("model", "Model"),
          ("source", "Source clip"))
ACTIONS = (("play", "Play"), ("compare", "Compare"), ("interpolate", "Interpolate…"),
           ("rerun", "Re-run"), ("extend", "Extend…"), ("reveal", "Show in folder"),
           ("delete", "Delete…"), ("fetch", "Download again"))


class GalleryDetails(QWidget):
    """Shows one clip; its buttons emit `action(name)`.

    Signals:
        action(str): one of play, compare, interpolate, rerun, extend, reveal, delete, fetch.
    """

    action = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery_details")
        self.setMinimumWidth(320)
        self.clip: Clip | None = None
        self.title = QLabel("Select a clip")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold; font-size: 14px;")
        self.text = QTextBrowser()
        self.text.setObjectName("details_text")
        self.text.setOpenLinks(False)
        self.children_list = QListWidget()
        self.children_list.setObjectName("interpolations_list")
        self.children_list.setMaximumHeight(110)
        self.children_list.setToolTip("Ticked versions are compared with the clip")
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, (name, title) in enumerate(ACTIONS):
            button = QPushButton(title)
            button.setObjectName(f"{name}_button")
            button.clicked.connect(lambda _=False, n=name: self.action.emit(n))
            grid.addWidget(button, i // 3, i % 3)
            self.buttons[name] = button
        self.buttons["rerun"].setToolTip("Queue a new job with exactly these settings")
        self.buttons["extend"].setToolTip("Continue this clip: Generate opens with a job that "
                                          "starts from its last frames; the parts are joined")
        self.buttons["fetch"].setToolTip("The clip is finished on the server but its download "
                                         "failed: fetch it again")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(grid)
        layout.addWidget(QLabel("Interpolated versions"))
        layout.addWidget(self.children_list)
        layout.addWidget(self.text, 1)
        self.show_clip(None)

    def show_clip(self, clip: Clip | None, *, can_rerun: bool = False,
                  record: JobRecord | None = None) -> None:
        """Fill the pane for `clip` (None: nothing selected). `record` is the clip's whole
        history row (metrics, error, preset); until it is loaded the pane says so."""
        self.clip = clip
        self.title.setText(clip.title if clip else "Select a clip")
        self.text.setHtml(details_html(clip, record) if clip else "")
        self.children_list.clear()
        for child in clip.children if clip else ():
            seconds = (child.job.timings or {}).get("interpolate") if child.job else None
            text = child.title + (f"  ·  {seconds:.1f} s" if seconds is not None else "")
            item = QListWidgetItem(text)
            item.setData(CHILD_ROLE, child)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.children_list.addItem(item)
        has_video = clip is not None and clip.path is not None
        for name in ("play", "compare", "interpolate", "extend", "reveal"):
            self.buttons[name].setEnabled(has_video)
        self.buttons["compare"].setEnabled(has_video and bool(clip.children))
        self.buttons["rerun"].setEnabled(can_rerun and clip is not None and clip.job is not None
                                         and clip.job.kind == "generate")
        self.buttons["delete"].setEnabled(clip is not None)
        # the list's light row has no server_outputs: the whole row says, once it is read
        whole = record if record is not None and clip is not None and \
            record.job_id == clip.job_id else None
        on_server = whole is not None and bool(whole.server_outputs)
        self.buttons["fetch"].setVisible(on_server)  # only for a clip left on the server
        self.buttons["fetch"].setEnabled(on_server)
        self.buttons["delete"].setText("Remove…" if clip is not None and clip.job is None else "Delete…")

    def checked_children(self) -> list[Clip]:
        """The interpolated versions ticked for comparison."""
        items = (self.children_list.item(i) for i in range(self.children_list.count()))
        return [i.data(CHILD_ROLE) for i in items if i.checkState() == Qt.CheckState.Checked]


def details_html(clip: Clip, record: JobRecord | None = None) -> str:
    """The pane's text: file, job facts, error, peak VRAM, time per pass, settings (from the
    clip's whole history row `record`; without it, a line saying it is being read)."""
    rows: list[tuple[str, str]] = [("File", str(clip.path) if clip.path else "—")]
    if clip.info is not None:
        rows.append(("Video", f"{clip.info.resolution}, {clip.info.fps:g} fps, "
                              f"{describe_duration(clip.info.frame_count, clip.info.fps)}"))
    sections = [_table(rows)]
    if clip.job is None:
        sections.append("<p>Added by you (not made by a job of this app).</p>")
        return "".join(sections)
    job = record
    if job is None or job.job_id != clip.job_id:
        sections.append("<p><i>Reading the job's details…</i></p>")
        return "".join(sections)
    facts = [("Job", job.job_id), ("Status", job.status), ("Preset", job.preset or "—")]
    if job.backend:  # several backends: which one made this clip
        facts.append(("Backend", f"{job.backend} ({job.server_url or '?'})"))
    if job.duration is not None:
        facts.append(("Took", f"{job.duration:.1f} s"))
    sections.append(_table(facts))
    if job.error:
        message = html.escape(str(job.error.get("message", "")))
        hint = html.escape(str(job.error.get("hint") or ""))
        sections.append(f"<h4 style='color:#c0392b'>Error</h4><p>{message}</p><p><i>{hint}</i></p>")
    left = getattr(job, "server_outputs", None) or []
    if left:
        sections.append("<h4>Finished, still on the server</h4>" + _table(
            [(str(f.get("filename", "")), f"{f.get('location', '')} ({f.get('url', '')})")
             for f in left]))
    metrics = job.metrics or {}
    gpu = [(title, f"{metrics[key] / 2**30:.2f} GiB") for key, title in
           (("peak_vram_bytes", "Peak VRAM (GPU)"), ("peak_process_vram_bytes", "Peak VRAM (ComfyUI)"))
           if isinstance(metrics.get(key), (int, float))]
    if gpu:
        sections.append("<h4>GPU</h4>" + _table(gpu))
    timings = [(phase_title(k), f"{v:.1f} s") for k, v in (job.timings or {}).items()
               if isinstance(v, (int, float))]
    if timings:
        sections.append("<h4>Time per pass</h4>" + _table(timings))
    sections.append(_parts_html(job.params or {}))
    params = [(title, _value(job.params[key])) for key, title in PARAMS
              if key in job.params and job.params[key] not in (None, "", [], ())]
    if params:
        sections.append("<h4>Settings</h4>" + _table(params))
    return "".join(sections)


def _parts_html(params: dict) -> str:
    """An extended clip's parts (the clip it continues, the new part) and its frame counts."""
    parts = params.get("extend_parts")
    if not isinstance(parts, list) or not parts:
        return ""
    frames = params.get("extend_frames") or {}
    counts = [frames.get("first"), frames.get("second")]
    rows = [(f"Part {i + 1}", f"{path}" + (f" ({counts[i]} frames)" if i < 2 and counts[i] else ""))
            for i, path in enumerate(parts)]
    if frames.get("joined"):
        rows.append(("Joined", f"{frames['joined']} frames, {frames.get('overlap')} overlapping"))
    return "<h4>Parts</h4>" + _table(rows)


def _value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)) and all(isinstance(v, dict) and "name" in v
                                               for v in value):
        # the job's own LoRAs: "motion.safetensors (high 1, low 0.5)"
        return "; ".join(f"{v['name']} (high {v.get('high', 1):g}, low {v.get('low', 1):g})"
                         for v in value)
    text = str(value)
    return text if len(text) < 400 else text[:400] + "…"


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='color:#888;padding-right:8px'>{html.escape(k)}</td>"
                    f"<td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"
