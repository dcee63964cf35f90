"""The Generate form: start image, prompts, clip, sampling, LoRAs, models and output name →
JobSpec.

The form holds no job logic: it shows a JobSpec and reads one back. Names, sizes, frames and
estimates come from the workflow package, so the CLI computes exactly the same.
"""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QBoxLayout, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
    QVBoxLayout, QWidget,
)

from wan22_gui.core.images import LoadedImage
from wan22_gui.core.workflow import naming
from wan22_gui.core.workflow.calculator import estimate_text
from wan22_gui.core.workflow.estimate import estimate_for_spec
from wan22_gui.core.workflow.experts import fit_advice
from wan22_gui.core.workflow.spec import DEFAULT_NEGATIVE_PROMPT, JobSpec
from wan22_gui.gui.tasks import TaskRunner
from wan22_gui.gui.generate.clip import ClipBox
from wan22_gui.gui.generate.image import ImagePicker
from wan22_gui.gui.generate.end_image import EndImagePicker
from wan22_gui.gui.generate.loras import LoraBox
from wan22_gui.gui.generate.extend_box import ExtendBox
from wan22_gui.gui.generate.models import ModelsBox
from wan22_gui.gui.generate.sampling import SamplingBox

NEGATIVE_TRANSLATION = (
    "The template's negative prompt, which Wan was tuned with (in English): garish colours, "
    "overexposed, static, blurry details, subtitles, style, artwork, painting, still frame, "
    "greyish overall, worst quality, low quality, JPEG artefacts, ugly, mutilated, extra "
    "fingers, badly drawn hands, badly drawn face, deformed, disfigured, malformed limbs, "
    "fused fingers, motionless picture, cluttered background, three legs, crowded background, "
    "walking backwards."
)


def local_name_preview(pattern: str, spec: JobSpec) -> str:
    """The file the job will leave in the output folder (or why the pattern is wrong).

    The runner drops ComfyUI's "_00001_" counter from the downloaded name and never
    overwrites: an existing name gets " (1)".
    """
    problem = naming.check_pattern(pattern)
    if problem:
        return problem
    name = naming.render_name(pattern, naming.name_fields(spec))
    if spec.interpolation:  # the same suffix the runner gives the second save
        return (f"{name}.mp4\n+ interpolated/{name}_{spec.interpolation}_x"
                f"{spec.interpolation_multiplier}.mp4")
    return name + ".mp4"


_UNLIMITED = 16777215  # QWIDGETSIZE_MAX


class GenerateForm(QWidget):
    """Signals: changed() after any edit (the spec may be different)."""

    changed = Signal()

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("generate_form")
        self._history_rows: Sequence[Any] = ()
        self._pattern = naming.DEFAULT_PATTERN
        self.image = ImagePicker(tasks)
        self.end_image = EndImagePicker(tasks)  # optional: first/last-frame i2v
        self.extend = ExtendBox()  # shown when the job continues a clip (gallery "Extend…")
        self.prompt = QPlainTextEdit()
        self.prompt.setObjectName("prompt")
        self.prompt.setPlaceholderText("What should happen: “the dragon turns its head and "
                                       "roars, camera slowly pushes in”")
        self.negative = QPlainTextEdit(DEFAULT_NEGATIVE_PROMPT)
        self.negative.setObjectName("negative_prompt")
        self.negative.setToolTip(NEGATIVE_TRANSLATION)
        self.reset_negative = QPushButton("Default")
        self.reset_negative.setToolTip("Back to the template's negative prompt")
        self.clip = ClipBox()
        self.sampling = SamplingBox()
        self.loras = LoraBox()
        self._vram_total: int | None = None  # the server's GPU, for "which experts fit"
        self.models = ModelsBox()
        self.models.setCheckable(True)
        self.models.setChecked(False)  # folded: most people keep the template's files
        self.pattern_edit = QLineEdit(self._pattern)
        self.pattern_edit.setObjectName("name_pattern")
        self.pattern_edit.setToolTip("Fields: " + ", ".join("{" + f + "}" for f in naming.FIELDS))
        self.name_preview = QLabel()
        self.name_preview.setObjectName("name_preview")
        self.name_preview.setWordWrap(True)
        self.estimate = QLabel("Estimate: no estimate yet")
        self.estimate.setObjectName("estimate")
        self.estimate.setWordWrap(True)
        self._build()
        self._connect()
        self._update()

    def _build(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self.image, 3)
        left.addWidget(self.end_image)
        left.addWidget(self.extend)
        prompts = QGroupBox("Prompt")
        form = QFormLayout(prompts)
        form.addRow(self.prompt)
        neg_label = QHBoxLayout()
        # short, so the prompts box never makes the form too wide for its two columns
        negative_title = QLabel("Negative prompt")
        negative_title.setToolTip("The default is Wan's own Chinese negative prompt: hover over "
                                  "the text for it in English.")
        neg_label.addWidget(negative_title)
        neg_label.addStretch(1)
        neg_label.addWidget(self.reset_negative)
        form.addRow(neg_label)
        form.addRow(self.negative)
        self.prompt.setMinimumHeight(60)
        self.prompt.setMaximumHeight(110)
        self.negative.setMaximumHeight(100)
        left.addWidget(prompts)
        right = QVBoxLayout()
        right.addWidget(self.clip)
        right.addWidget(self.sampling)
        right.addWidget(self.loras)
        right.addWidget(self.models)
        output = QGroupBox("Output name")
        out_form = QFormLayout(output)
        out_form.addRow("Pattern", self.pattern_edit)
        out_form.addRow("Next file", self.name_preview)
        self.name_preview.setToolTip("Saved in the app's output folder; if the name exists, "
                                     "\" (1)\" is added: nothing is ever overwritten.")
        right.addWidget(output)
        right.addWidget(self.estimate)
        right.addStretch(1)
        self._columns = QHBoxLayout(self)
        self._columns.setContentsMargins(0, 0, 0, 0)
        self._columns.addLayout(left, 1)
        self._columns.addLayout(right, 1)

    def _connect(self) -> None:
        self.image.image_loaded.connect(self._on_image)
        self.prompt.textChanged.connect(self._update)
        self.negative.textChanged.connect(self._update)
        self.reset_negative.clicked.connect(
            lambda: self.negative.setPlainText(DEFAULT_NEGATIVE_PROMPT))
        for box in (self.clip, self.sampling, self.loras, self.models, self.extend):
            box.changed.connect(self._update)
        self.loras.phases_changed.connect(self.sampling.apply_phase_defaults)
        self.models.toggled.connect(self._fold_models)
        self._fold_models(False)
        self.pattern_edit.textChanged.connect(self._pattern_changed)

    # -- public -------------------------------------------------------------------------------

    @property
    def pattern(self) -> str:
        return self._pattern

    def set_pattern(self, pattern: str) -> None:
        self.pattern_edit.setText(pattern)

    def fit_to_width(self, width: int) -> None:
        """Two columns when both fit in `width`, else the settings below the picture and the
        prompts, so a narrow tab scrolls down instead of cutting the form off at the side."""
        left, right = (self._columns.itemAt(i).layout() for i in range(2))
        two_columns = (left.minimumSize().width() + right.minimumSize().width()
                       + self._columns.spacing())
        direction = (QBoxLayout.Direction.LeftToRight if width >= two_columns
                     else QBoxLayout.Direction.TopToBottom)
        if self._columns.direction() != direction:
            self._columns.setDirection(direction)

    def spec(self) -> JobSpec:
        """The job the form describes now (check `problems()` before queueing it)."""
        clip, sampling = self.clip.values(), self.sampling.values()
        return JobSpec(image=self.image.path, prompt=self.prompt.toPlainText().strip(),
                       negative_prompt=self.negative.toPlainText().strip(),
                       models=self.models.values(), end_image=self.end_image.path,
                       **clip, **sampling, **self.loras.values(), **self.extend.values())

    def problems(self) -> list[str]:
        """What stops the form's job from being queued, one sentence each."""
        out = [] if self.image.path or self.extend.clip else ["Choose a start image."]
        if self.sampling.problem():
            out.append(self.sampling.problem())
        pattern_problem = naming.check_pattern(self._pattern)
        if pattern_problem:
            out.append(pattern_problem)
        return out + self.spec().problems()

    def set_spec(self, spec: JobSpec) -> None:
        """Show a job's settings (to edit a waiting job or redo a past one)."""
        if spec.image and spec.image != self.image.path:
            self.image.load(spec.image)
        if spec.end_image and spec.end_image != self.end_image.path:
            self.end_image.load(spec.end_image)
        elif not spec.end_image and self.end_image.path:
            self.end_image.clear()
        self.prompt.setPlainText(spec.prompt)
        self.negative.setPlainText(spec.negative_prompt)
        self.clip.set_values(spec.width, spec.height, spec.frames, spec.interpolation,
                             spec.interpolation_multiplier, spec.interpolation_model)
        s = spec.sampling()
        self.sampling.set_values(use_lora=spec.use_lora, steps=s.steps, split_step=s.split_step,
                                 cfg=s.cfg, shift=s.shift, seed=spec.seed)
        self.loras.set_values(spec)
        self.models.set_values(spec.models)
        self.extend.set_spec(spec)
        self._update()

    def show_server(self, lora_library: list[str], vram_total: int | None) -> None:
        """The connected server's LoRA files and GPU memory (None: unknown or not connected)."""
        self.loras.show_library(lora_library)
        self._vram_total = vram_total
        self._update_estimate(self.spec())

    def set_history_rows(self, rows: Sequence[Any]) -> None:
        """Finished jobs the estimate learns from (read in the background by the panel)."""
        self._history_rows = list(rows)
        self._update_estimate(self.spec())

    # -- slots --------------------------------------------------------------------------------

    def _on_image(self, loaded: LoadedImage) -> None:
        self.clip.set_image_size(loaded.width, loaded.height)
        self._update()

    def _pattern_changed(self, text: str) -> None:
        self._pattern = text
        self._update()

    def _fold_models(self, unfolded: bool) -> None:
        for combo in self.models.combos.values():
            combo.setVisible(unfolded)
        self.models.status.setVisible(unfolded)
        self.models.setTitle("Models" if unfolded else "Models (template files; tick to change)")
        self.models.setFlat(not unfolded)
        # Folded, the box is only its title line: hidden rows would still leave their spacing.
        self.models.setMaximumHeight(
            _UNLIMITED if unfolded else self.models.fontMetrics().height() + 6)
        layout = self.models.layout()
        for i in range(layout.rowCount()):  # type: ignore[attr-defined]
            label = layout.itemAt(i, QFormLayout.ItemRole.LabelRole)  # type: ignore[attr-defined]
            if label is not None and label.widget() is not None:
                label.widget().setVisible(unfolded)

    def _update(self) -> None:
        spec = self.spec()
        # an extend job is named after the clip it continues (the runner names its start so)
        preview_spec = spec if spec.image else spec.replace(
            image=spec.extend_clip or "start image.png")
        text = local_name_preview(self._pattern, preview_spec)
        self.name_preview.setText(text)
        # a squeezed form shrinks wrapped labels below their text: keep every line visible
        line = self.name_preview.fontMetrics().lineSpacing()
        self.name_preview.setMinimumHeight(line * (text.count("\n") + 1) + 4)
        self._update_estimate(spec)
        self.extend.show_length(spec.frames, spec.fps)
        self.changed.emit()

    def _update_estimate(self, spec: JobSpec) -> None:
        est = None if spec.problems() else estimate_for_spec(self._history_rows, spec)
        text = f"Estimate: {estimate_text(est)}"
        if self._vram_total and not spec.problems():
            m = spec.models
            installed = [self.models.combos["unet_high"].itemText(i)
                         for i in range(self.models.combos["unet_high"].count())]
            text += "\n" + fit_advice(self._vram_total, spec.width, spec.height, spec.frames,
                                      m.unet_high, m.unet_low, installed)
        self.estimate.setText(text)
