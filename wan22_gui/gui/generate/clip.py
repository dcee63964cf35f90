"""Size and length of the clip: resolution fitted to the image, frames ↔ seconds, and what
runs after generation (RIFE/FILM ×m in the same ComfyUI job, or the built-in optical flow here
after the download when the server has neither their core nodes nor the pack).

All arithmetic is the workflow calculator's; this widget only keeps the two views of the same
number (frames and seconds, or width and height from a longest side) in step.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QPushButton, QSpinBox, QWidget,
)

from wan22_gui.core.interpolation.builtin import ENGINE_NAME
from wan22_gui.core.workflow import calculator as calc
from wan22_gui.core.workflow import limits
from wan22_gui.core.workflow.spec import INTERPOLATION_METHODS
from wan22_gui.gui.generate.rows import hrow

MAX_SIDES = (480, 640, 720, 832, 960, 1024, 1216, 1280)
DEFAULT_MAX_SIDE = 832
METHOD_TITLES = {"rife": "RIFE", "film": "FILM"}
UNCHECKED_TIP = ("Runs in ComfyUI right after the clip is decoded; both clips are saved. "
                 "Connect a server to check that it has the RIFE/FILM nodes.")
AVAILABLE_TIP = ("Runs in ComfyUI right after the clip is decoded; both clips are saved "
                 "(the interpolated one under interpolated/, grouped with the clip in the "
                 "Gallery).")


class ClipBox(QGroupBox):
    """Resolution and length. Signals: changed() after any edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Clip", parent)
        self._image_size: tuple[int, int] | None = None
        self._syncing = False
        self.fps = float(calc.FPS_14B)
        self.max_side = QComboBox()
        self.max_side.setObjectName("max_side")
        for side in MAX_SIDES:
            self.max_side.addItem(f"{side} px", side)
        self.max_side.setCurrentIndex(MAX_SIDES.index(DEFAULT_MAX_SIDE))
        self.fit = QCheckBox("fit to the image")
        self.fit.setObjectName("fit_to_image")
        self.fit.setToolTip("Width and height follow the start image's shape, with this "
                            "longest side (multiples of 16).")
        self.fit.setChecked(True)
        self.width_spin = _size_spin("width")
        self.height_spin = _size_spin("height")
        self.width_spin.setValue(640)
        self.height_spin.setValue(640)
        self.frames = QSpinBox()
        self.frames.setObjectName("frames")
        self.frames.setRange(int(limits.FRAMES.low), limits.MAX_FRAMES)  # the CLI's rule too
        self.frames.setSingleStep(4)
        self.frames.setValue(81)
        self.frames.setToolTip("Wan makes 4n+1 frames (17, 33, 49, 65, 81, …); other values are "
                               "moved to the nearest one.")
        self.seconds = QDoubleSpinBox()
        self.seconds.setObjectName("seconds")
        self.seconds.setRange(0.0, limits.SECONDS.high)  # the CLI's rule too
        self.seconds.setDecimals(2)
        self.seconds.setSingleStep(0.25)
        self.seconds.setSuffix(" s")
        self.after = QComboBox()
        self.after.setObjectName("after_generation")
        self.after.addItem("none", (None, 2))
        for method in INTERPOLATION_METHODS:
            for m in calc.INTERPOLATION_MULTIPLIERS:
                self.after.addItem(f"{METHOD_TITLES[method]} ×{m}", (method, m))
        # method -> None (the server runs it) or the built-in engine's note; None: not checked
        self._unavailable: dict[str, str | None] | None = None
        self._mark_choices()
        # Which RIFE model the server runs (its frame_interpolation files or the pack's list).
        self.rife_model = QComboBox()
        self.rife_model.setObjectName("rife_model")
        self.rife_model.setToolTip("The RIFE model ComfyUI uses; the list comes from the "
                                   "connected server. Empty: the app picks one.")
        self.info = QLabel()
        self.info.setObjectName("clip_info")
        self.info.setWordWrap(True)
        self._build()
        self._connect()
        self._frames_changed()

    def _build(self) -> None:
        form = QFormLayout(self)
        form.addRow("Longest side", hrow(self.max_side, self.fit))
        form.addRow("Width × height", hrow(self.width_spin, "×", self.height_spin))
        form.addRow("Length", hrow(self.frames, "frames =", self.seconds))
        picks = QHBoxLayout()
        for seconds, frames in calc.quick_picks(self.fps):
            # labelled with the length the clip will have, as everywhere else (81 -> 5.06 s)
            button = QPushButton(calc.format_seconds(calc.clip_duration(frames, self.fps)))
            button.setObjectName(f"quick_{seconds:g}s")
            button.setToolTip(calc.describe_duration(frames, self.fps))
            # as narrow as the text allows: four buttons must fit beside the picture
            button.setMaximumWidth(max(52, button.fontMetrics().horizontalAdvance(
                button.text()) + 10))
            button.clicked.connect(lambda _=False, n=frames: self.frames.setValue(n))
            picks.addWidget(button)
        picks.addStretch(1)
        form.addRow("Quick picks", picks)
        form.addRow("After generation", hrow(self.after))
        form.addRow("RIFE model", hrow(self.rife_model))
        form.addRow("", self.info)

    def _connect(self) -> None:
        self.max_side.currentIndexChanged.connect(self._refit)
        self.fit.toggled.connect(self._refit)
        self.width_spin.valueChanged.connect(self._size_edited)
        self.height_spin.valueChanged.connect(self._size_edited)
        self.frames.valueChanged.connect(self._frames_changed)
        self.frames.editingFinished.connect(self._snap_frames)
        for spin in (self.width_spin, self.height_spin):
            spin.editingFinished.connect(lambda s=spin: s.setValue(calc.snap_size(s.value())))
        self.seconds.valueChanged.connect(self._seconds_changed)
        self.after.currentIndexChanged.connect(self._update_info)
        self.rife_model.currentIndexChanged.connect(self._update_info)

    # -- public -------------------------------------------------------------------------------

    def set_image_size(self, width: int, height: int) -> None:
        """The start image's upright size: the resolution follows its shape when fitting."""
        self._image_size = (width, height)
        self._refit()

    def values(self) -> dict:
        """width, height (snapped to ×16), frames (snapped to 4n+1), fps, interpolation,
        interpolation_multiplier, interpolation_model (the RIFE model chosen, else None)."""
        method, m = self.after.currentData()
        model = self.rife_model.currentText() if method == "rife" else ""
        return {"width": calc.snap_size(self.width_spin.value()),
                "height": calc.snap_size(self.height_spin.value()),
                "frames": calc.snap_frames(self.frames.value()), "fps": self.fps,
                "interpolation": method, "interpolation_multiplier": m,
                "interpolation_model": model or None}

    def set_values(self, width: int, height: int, frames: int, interpolation: str | None = None,
                   multiplier: int = 2, model: str | None = None) -> None:
        """Show a job's size, length and interpolation (fitting is switched off so they stay
        as given)."""
        if model:
            self.set_rife_models([self.rife_model.itemText(i)
                                  for i in range(self.rife_model.count())], keep=model)
        self.fit.setChecked(False)
        self.width_spin.setValue(width)
        self.height_spin.setValue(height)
        self.frames.setValue(frames)
        wanted = (interpolation, multiplier) if interpolation else (None, 2)
        choices = [tuple(self.after.itemData(i)) for i in range(self.after.count())]
        self.after.setCurrentIndex(choices.index(wanted) if wanted in choices else 0)

    def set_rife_models(self, names: list[str], keep: str | None = None) -> None:
        """The RIFE models the connected server lists; the current (or `keep`) stays chosen."""
        wanted = keep or self.rife_model.currentText()
        self.rife_model.blockSignals(True)
        self.rife_model.clear()
        self.rife_model.addItems(list(names))
        if wanted and wanted not in names:
            self.rife_model.addItem(wanted)  # a job's model the server lacks: shown, not lost
        if wanted:
            self.rife_model.setCurrentText(wanted)
        self.rife_model.blockSignals(False)
        self._update_info()

    def set_interpolation_support(self, unavailable: dict[str, str | None] | None) -> None:
        """What the connected server can run after generation: method -> None (it can) or the
        note of the built-in engine's run instead (neither core nodes nor pack); None when no
        server was checked (checked at run time).

        Every choice stays open: one the server cannot run says in its tooltip and in the
        info line that the built-in optical flow interpolates here after the download, and why.
        """
        self._unavailable = dict(unavailable) if unavailable is not None else None
        self._mark_choices()
        self._update_info()

    def fallback(self) -> str | None:
        """The built-in engine's note when it will stand in for the chosen method, else None."""
        method = self.after.currentData()[0]
        return (self._unavailable or {}).get(method) if method else None

    def _mark_choices(self) -> None:
        for i in range(1, self.after.count()):
            note = (self._unavailable or {}).get(self.after.itemData(i)[0])
            tip = note or (AVAILABLE_TIP if self._unavailable is not None else UNCHECKED_TIP)
            self.after.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.after.setToolTip(self._combo_tip())

    def _combo_tip(self) -> str:
        missing = [METHOD_TITLES[k] for k, v in (self._unavailable or {}).items() if v]
        if not missing:
            return AVAILABLE_TIP if self._unavailable is not None else UNCHECKED_TIP
        return (f"{' and '.join(missing)}: not on this server, so the built-in optical flow "
                "interpolates here after the download.")

    # -- keeping the views in step --------------------------------------------------------------

    def _refit(self) -> None:
        if not self.fit.isChecked() or self._image_size is None:
            self._update_info()
            return
        width, height = calc.fit_to_aspect(*self._image_size, int(self.max_side.currentData()))
        self._syncing = True
        self.width_spin.setValue(width)
        self.height_spin.setValue(height)
        self._syncing = False
        self._update_info()

    def _size_edited(self) -> None:
        if not self._syncing and self.fit.isChecked() and self.focusWidget() in (
                self.width_spin, self.height_spin):
            self.fit.setChecked(False)  # the user typed a size: stop overriding it
        self._update_info()

    def _frames_changed(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        self.seconds.setValue(calc.clip_duration(self.frames.value(), self.fps))
        self._syncing = False
        self._update_info()

    def _seconds_changed(self, seconds: float) -> None:
        if self._syncing:
            return
        self._syncing = True
        self.frames.setValue(calc.frames_for_duration(seconds, self.fps))
        self._syncing = False
        self._update_info()

    def _snap_frames(self) -> None:
        snapped = calc.snap_frames(self.frames.value())
        if snapped != self.frames.value():
            self.frames.setValue(snapped)

    def _update_info(self) -> None:
        v = self.values()
        self.rife_model.setEnabled(v["interpolation"] == "rife" and self.rife_model.count() > 0)
        method, m = v["interpolation"], v["interpolation_multiplier"]
        math = calc.clip_math(v["width"], v["height"], v["frames"], self.fps, m)
        latent = math.latent
        note = "" if v["frames"] == self.frames.value() else f" (will use {v['frames']})"
        interpolated = calc.describe_duration(math.interpolated_frames or 0,
                                              math.interpolated_fps or self.fps)
        fallback = self.fallback()
        self.info.setToolTip(fallback or "")  # the whole why and what to install
        if method and fallback:  # short here: the window must not grow with the advice
            after = (f"Then {ENGINE_NAME} ×{m} (built-in) here after the download, as this "
                     f"server cannot run {METHOD_TITLES[method]} (hover for why): a second clip "
                     f"of {interpolated} at {math.interpolated_fps:g} fps")
        elif method:
            after = (f"Then {METHOD_TITLES[method]} ×{m} in the same job: a second clip of "
                     f"{interpolated} at {math.interpolated_fps:g} fps")
        else:
            after = (f"×{m} interpolation would give {interpolated} at "
                     f"{math.interpolated_fps:g} fps (choose it above, or later in the Gallery)")
        self.info.setText(
            f"{calc.describe_duration(v['frames'], self.fps)} at {self.fps:g} fps{note} · latent "
            f"{latent.frames}×{latent.height}×{latent.width} ({latent.tokens:,} tokens)\n"
            + after)
        self.changed.emit()


def _size_spin(name: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setRange(int(limits.SIDE.low), int(limits.SIDE.high))
    spin.setSingleStep(16)
    spin.setSuffix(" px")
    spin.setToolTip("A multiple of 16 (Wan's requirement); other values are rounded.")
    return spin
