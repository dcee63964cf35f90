"""The transport bar: play/pause, frame step, Home/End, loop, speed, scrubber, zoom, position."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QVBoxLayout, QWidget,
)

from wan22_gui.core.workflow.calculator import format_seconds
from wan22_gui.gui.player.clock import SPEEDS, PlaybackClock


class PlayerControls(QWidget):
    """Buttons and scrubber bound to a PlaybackClock.

    Signals:
        zoom_requested(object): None for fit, 1.0 for 1:1.
        step_requested(int): -1 / +1, one frame of the selected clip (the view knows which).
    """

    zoom_requested = Signal(object)
    step_requested = Signal(int)

    def __init__(self, clock: PlaybackClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("player_controls")
        self.clock = clock
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("scrubber")
        self.slider.setRange(0, clock.timeline.tick_count - 1)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self._on_slider)
        self.position = QLabel()
        self.position.setObjectName("position_label")
        self.position.setMinimumWidth(260)
        self.play_button = self._button(QStyle.StandardPixmap.SP_MediaPlay, "Play / pause (Space)",
                                        clock.toggle, "play_button")
        self.loop_button = self._button(None, "Loop", None, "loop_button", text="Loop")
        self.loop_button.setCheckable(True)
        self.loop_button.setChecked(clock.loop)
        self.loop_button.toggled.connect(lambda on: setattr(self.clock, "loop", on))
        self.speed = QComboBox()
        self.speed.setObjectName("speed_combo")
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for value in SPEEDS:
            self.speed.addItem(f"{value:g}×", value)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(lambda i: clock.set_speed(self.speed.itemData(i)))
        self.zoom_label = QLabel("Fit")
        self.zoom_label.setMinimumWidth(44)
        self._build()
        clock.tick_changed.connect(self._on_tick)
        clock.playing_changed.connect(self._on_playing)
        self._on_tick(clock.tick)

    def _build(self) -> None:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._button(QStyle.StandardPixmap.SP_MediaSkipBackward, "First frame (Home)",
                                   self.clock.home, "home_button"))
        row.addWidget(self._button(QStyle.StandardPixmap.SP_MediaSeekBackward,
                                   "Previous frame of the selected clip (←; Shift+← for the "
                                   "common clock)", lambda: self.step_requested.emit(-1),
                                   "step_back_button"))
        row.addWidget(self.play_button)
        row.addWidget(self._button(QStyle.StandardPixmap.SP_MediaSeekForward,
                                   "Next frame of the selected clip (→; Shift+→ for the "
                                   "common clock)", lambda: self.step_requested.emit(+1),
                                   "step_forward_button"))
        row.addWidget(self._button(QStyle.StandardPixmap.SP_MediaSkipForward, "Last frame (End)",
                                   self.clock.end, "end_button"))
        row.addWidget(self.loop_button)
        row.addWidget(QLabel("Speed"))
        row.addWidget(self.speed)
        row.addSpacing(12)
        row.addWidget(self.position)
        row.addStretch(1)
        row.addWidget(self._button(None, "Fit the picture to the panel", lambda: self.zoom_requested.emit(None),
                                   "fit_button", text="Fit"))
        row.addWidget(self._button(None, "One video pixel per screen pixel",
                                   lambda: self.zoom_requested.emit(1.0), "zoom_1to1_button", text="1:1"))
        row.addWidget(self.zoom_label)
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 2, 6, 4)
        column.setSpacing(2)
        column.addWidget(self.slider)
        column.addLayout(row)

    def _button(self, icon, tip: str, slot, name: str, *, text: str = "") -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the view
        if icon is not None:
            button.setIcon(self.style().standardIcon(icon))
        if text:
            button.setText(text)
        if slot is not None:
            button.clicked.connect(slot)
        return button

    def show_zoom(self, zoom: float | None, effective: float) -> None:
        self.zoom_label.setText("Fit" if zoom is None else f"{effective * 100:.0f}%")

    def position_text(self, tick: int) -> str:
        """'frame 12/81 · 0.750 s / 5.06 s'; with several clips each panel shows its own frame."""
        timeline = self.clock.timeline
        seconds = f"{float(timeline.time_of(tick)):.3f} s / {format_seconds(float(timeline.duration))}"
        if len(timeline.rates) > 1:
            return f"{seconds}  ·  frame numbers on each panel"
        return f"frame {timeline.frame_at(0, tick) + 1}/{timeline.frame_counts[0]}  ·  {seconds}"

    def _on_tick(self, tick: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(tick)
        self.slider.blockSignals(False)
        self.position.setText(self.position_text(tick))

    def _on_slider(self, value: int) -> None:
        self.clock.seek(value)

    def _on_playing(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
