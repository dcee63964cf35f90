"""The Generate form's "extend a clip" box: which clip the job continues, the overlap, the
colour match and the joined length. Hidden unless the gallery's "Extend…" filled it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget,
)

from wan22_gui.core.jobs.extend import joined_text
from wan22_gui.core.workflow.limits import MAX_OVERLAP
from wan22_gui.core.workflow.spec import JobSpec


class ExtendBox(QGroupBox):
    """Signals: changed() — the clip, the overlap or the colour match changed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Extend a clip", parent)
        self.setObjectName("extend_box")
        self.clip: str | None = None
        self.parent_id: str | None = None
        self.clip_frames: int | None = None
        self.name = QLabel()
        self.name.setObjectName("extend_clip_name")
        self.name.setWordWrap(True)
        self.overlap = QSpinBox()
        self.overlap.setObjectName("extend_overlap")
        self.overlap.setRange(1, MAX_OVERLAP)
        self.overlap.setSingleStep(4)  # 1, 5, 9…: whole latent frames
        self.overlap.setToolTip("Frames the new part shares with the clip's end (4k+1), "
                                "crossfaded in the joined clip")
        self.color_match = QCheckBox("Match colours to the clip")
        self.color_match.setObjectName("extend_color_match")
        self.joined = QLabel()
        self.joined.setObjectName("extend_joined")
        self.stop = QPushButton("Stop extending")
        self.stop.setObjectName("extend_stop")
        row = QHBoxLayout()
        row.addWidget(self.name, 1)
        row.addWidget(self.stop)
        form = QFormLayout(self)
        form.addRow(row)
        form.addRow("Overlap (frames)", self.overlap)
        form.addRow(self.color_match)
        form.addRow(self.joined)
        self.overlap.valueChanged.connect(lambda _v: self.changed.emit())
        self.color_match.toggled.connect(lambda _v: self.changed.emit())
        self.stop.clicked.connect(lambda: self.set_clip(None))
        self.setVisible(False)

    def set_clip(self, clip: str | None, *, frames: int | None = None,
                 parent_id: str | None = None, overlap: int = 1,
                 color_match: bool = False) -> None:
        """Continue `clip` (None: a plain job again)."""
        self.clip, self.clip_frames, self.parent_id = clip, frames, parent_id
        self.name.setText(f"Continues {Path(clip).name}" if clip else "")
        self.overlap.setValue(overlap)
        self.color_match.setChecked(color_match)
        self.setVisible(clip is not None)
        self.changed.emit()

    def set_spec(self, spec: JobSpec, frames: int | None = None) -> None:
        """Show a job's extend settings (none: the box hides)."""
        if spec.extend_clip != self.clip or frames is not None:
            self.set_clip(spec.extend_clip, frames=frames, parent_id=spec.extend_parent,
                          overlap=spec.extend_overlap, color_match=spec.extend_color_match)

    def values(self) -> dict[str, Any]:
        """The JobSpec fields this box sets."""
        return {"extend_clip": self.clip, "extend_overlap": self.overlap.value(),
                "extend_color_match": self.color_match.isChecked(),
                "extend_parent": self.parent_id}

    def show_length(self, new_frames: int, fps: float) -> None:
        """The calculator line for a new part of `new_frames` frames."""
        if self.clip:
            self.joined.setText(joined_text(self.clip_frames, new_frames, self.overlap.value(),
                                            fps))
