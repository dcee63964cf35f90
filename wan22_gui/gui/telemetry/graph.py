"""The live GPU graph: memory, utilisation and (on demand) power/temperature on one time axis,
with the job's phases as bands.

Plots: VRAM in GiB (with the card's total and the preset's reserve as lines); utilisation in %
on a 0-100 axis that also carries system RAM (% of the machine's RAM) and, on demand, the
temperature in °C; power in W on demand. Each plot has one ViewBox and one y axis (no
secondary right-hand axes), which keeps repaints and the hover mapping simple.

It reads the sampler; it never gets a call per sample. `refresh()` (driven by the panel's
timer) fetches only the rows that are new and appends them to fixed numpy buffers; each curve
gets only the rows on screen, reduced to a minimum and a maximum per pixel column
(`peak_decimate`), so an hour at 10 Hz redraws in a few milliseconds. Panning or zooming by
hand pauses following; `set_live(True)` resumes it.

The plots (and pyqtgraph itself) are built when the first GPU sample arrives: with no GPU the
graph is one line of text, costs no start-up time, and keeps its options and the phases for
later. `canvas` is None until then.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from wan22_gui.gui import theme
from wan22_gui.gui.telemetry.buffer import SeriesBuffer, peak_decimate
from wan22_gui.gui.telemetry.phase_track import PhaseTrack, Span
from wan22_gui.gui.telemetry.readout import GIB, SERIES, format_readout

if TYPE_CHECKING:  # numpy, like pyqtgraph, loads with the first sample
    import numpy as np
    import pyqtgraph as pg

# (label, seconds); "job" = the newest job from start to end, None = everything kept.
WINDOWS: tuple[tuple[str, Any], ...] = (
    ("1 min", 60.0), ("5 min", 300.0), ("30 min", 1800.0), ("Whole job", "job"), ("All", None),
)
AXIS_PEN = "#455a64"
GPU_COLUMN = "vram_used"  # a finite value here means there is a GPU to draw
PLOT_GAP = 14  # px between stacked plots: each axis's end label reaches half a line past its edge

# The level lines' colours on the light theme -> on the dark theme (dark blue on near-black
# would not read).
ON_DARK = {"#0d47a1": "#8ab4f8", "#c62828": "#ff8a80", "#bf360c": "#ffab91"}



class TelemetryGraph(QWidget):
    """Plots of one sampler.

    Args:
        source: a `GpuSampler` (anything with `snapshot(since_t)` and `ring.columns/capacity`).

    Signals:
        live_changed(bool): following the newest data was switched on or off (also when the
            user pans or zooms by hand).
    """

    live_changed = Signal(bool)

    def __init__(self, source: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.buffer = SeriesBuffer(source.ring.columns, source.ring.capacity)
        self.phases = PhaseTrack()
        self.window: Any = 300.0
        self.live = True
        self.reserve_gb: float | None = None
        self._hover_index: int | None = None
        self._drawn: dict[str, tuple] = {}  # curve -> the rows and view it was last given
        self._limits_shown: tuple | None = None  # (total, reserve, power limit) on the lines
        self._phases_changed = False
        self._overlay_view: tuple[float, float] | None = None
        self._setting_range = False
        self.show_power = False
        self.show_ram = True
        self.canvas: pg.GraphicsLayoutWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.readout = QLabel("No samples yet")
        self.readout.setObjectName("telemetry_readout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setWordWrap(True)  # two lines in a narrow window rather than a wide dock
        layout.addWidget(self.readout)

    # --- construction ------------------------------------------------------------------------

    def _build_plots(self) -> None:
        """The plots, once there is GPU data; they take over the options and phases so far."""
        import pyqtgraph as pg

        from wan22_gui.gui.telemetry.phases import PhaseOverlay

        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.ci.layout.setSpacing(0)
        self.layout().addWidget(self.canvas, 1)
        self.canvas.show()  # added to a shown widget: Qt would otherwise show it a turn later
        self.lane = self._add_plot(0, "", height=22)
        self.lane.setYRange(0, 1, padding=0)
        self.lane.getAxis("left").setTicks([[]])
        self.plots = {
            "memory": self._add_plot(1, "GiB"),
            "util": self._add_plot(2, "% · °C"),
            "power": self._add_plot(3, "W"),
        }
        self.plots["util"].setYRange(0, 105, padding=0)
        for row, stretch in ((1, 3), (2, 2), (3, 2)):
            self.canvas.ci.layout.setRowStretchFactor(row, stretch)
        for row in (1, 2):  # below GiB and % · °C: room for the end labels ("0" over "100")
            self.canvas.ci.layout.setRowSpacing(row, PLOT_GAP)
        self.curves = {s.key: self._add_curve(s) for s in SERIES}
        self.curves["temp_c"].setVisible(False)
        # Labels sit just below their lines (the view's top is only 6% above the total).
        self.total_line = self._hline("memory", "#0d47a1", at=0.01)
        self.reserve_line = self._hline("memory", "#c62828", at=0.99)
        self.limit_line = self._hline("power", "#bf360c", at=0.99)
        self.cursors = [self._cursor(p) for p in (self.lane, *self.plots.values())]
        self.overlay = PhaseOverlay(self.lane, list(self.plots.values()), self.buffer.x_of)
        now = self.buffer.last_t or 0.0
        for span in self.phases.spans:
            self.overlay.add_span(span, now)
        self._phases_changed = True
        self._bottom_axis_on("util")
        self.canvas.ci.removeItem(self.plots["power"])  # shown on demand: set_show_power
        self.lane.getViewBox().sigXRangeChanged.connect(self._on_range_changed)
        self._hover_proxy = pg.SignalProxy(
            self.canvas.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved
        )
        self.set_show_ram(self.show_ram)
        self.set_show_power(self.show_power)
        self.apply_theme()
        theme.notifier().changed.connect(self.apply_theme)

    def apply_theme(self, _dark: bool | None = None) -> None:
        """Canvas, axes and phase bands in the palette's colours (the theme may change live)."""
        import pyqtgraph as pg

        colors = theme.plot_colors()
        self.canvas.setBackground(colors.background)
        for plot in (self.lane, *self.plots.values()):
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(colors.foreground)
                axis.setTextPen(colors.foreground)
        for line in (self.total_line, self.reserve_line, self.limit_line):
            fill = pg.mkColor(colors.background)
            fill.setAlpha(200)
            line.label.fill = pg.mkBrush(fill)  # the level's label box, over the plot
            color = ON_DARK.get(line.light_color, line.light_color) if theme.is_dark() \
                else line.light_color
            line.setPen(pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
            line.label.setColor(color)
        self._phases_changed = True  # the bands are tinted over the background
        if _dark is not None:  # a live change, not the first paint
            self.refresh()

    def _add_plot(self, row: int, units: str, height: int | None = None) -> pg.PlotItem:
        from wan22_gui.gui.telemetry.plot_items import ClockAxis

        plot = self.canvas.addPlot(row=row, col=0, axisItems={"bottom": ClockAxis(self.buffer)})
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=True, y=False)
        for side in ("left", "bottom", "top", "right"):
            # No SI prefixes on our units: otherwise every scroll re-renders the axis label.
            plot.getAxis(side).enableAutoSIPrefix(False)
        plot.getAxis("left").setWidth(48)
        plot.getAxis("left").setPen(AXIS_PEN)
        plot.getAxis("left").setTextPen(AXIS_PEN)
        if units:
            plot.setLabel("left", units)
        if height is not None:
            plot.setMaximumHeight(height)
            plot.setMinimumHeight(height)
        if row:
            plot.setXLink(self.lane)
        plot.getViewBox().sigRangeChangedManually.connect(self._on_manual_range)
        return plot

    def _add_curve(self, style) -> pg.PlotCurveItem:
        import pyqtgraph as pg

        from wan22_gui.gui.telemetry.plot_items import ViewCurve

        pen = pg.mkPen(style.color, width=1)
        # Clipping and peak reduction are done by _set_curve_data, once per change: pyqtgraph's
        # own (setDownsampling/setClipToView) ran twice per refresh, on setData and on the scroll.
        # So a bare curve item: PlotDataItem's data sets would only add work to each setData.
        curve = ViewCurve(pen=pen, connect="finite", name=style.name)
        self.plots[style.plot].addItem(curve)
        return curve

    def _hline(self, plot: str, color: str, *, at: float) -> pg.InfiniteLine:
        """A dashed level line labelled just below it, `at` (0..1) along its length."""
        import pyqtgraph as pg

        anchor = (round(at), 0)
        line = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine),
            label="", labelOpts={"position": at, "color": color, "anchors": [anchor, anchor],
                                "fill": (255, 255, 255, 200)},
        )
        line.light_color = color  # apply_theme picks the dark theme's counterpart
        line.setVisible(False)
        self.plots[plot].addItem(line, ignoreBounds=True)
        return line

    def _cursor(self, plot: pg.PlotItem) -> pg.InfiniteLine:
        import pyqtgraph as pg

        line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#9e9e9e", width=1))
        line.setVisible(False)
        plot.addItem(line, ignoreBounds=True)
        return line

    def _bottom_axis_on(self, name: str) -> None:
        for key, plot in [("lane", self.lane), *self.plots.items()]:
            plot.showAxis("bottom", key == name)

    # --- options -------------------------------------------------------------------------------

    def set_window(self, window: Any) -> None:
        """Seconds to show (60, 300, 1800), "job" for the newest job, or None for all."""
        self.window = window
        self.set_live(True)

    def set_live(self, live: bool) -> None:
        if live != self.live:
            self.live = live
            self.live_changed.emit(live)
        if live:
            self._follow()

    def set_show_power(self, show: bool) -> None:
        self.show_power = show
        if self.canvas is None:
            return
        power = self.plots["power"]
        if show and power.scene() is None:
            self.canvas.ci.addItem(power, row=3, col=0)
        elif not show and power.scene() is not None:
            self.canvas.ci.removeItem(power)
        self.curves["temp_c"].setVisible(show)
        self._bottom_axis_on("power" if show else "util")
        self._set_curve_data()

    def set_show_ram(self, show: bool) -> None:
        self.show_ram = show
        if self.canvas is None:
            return
        self.curves["ram_used"].setVisible(show)
        self._set_curve_data()

    def set_reserve(self, reserve_gb: float | None) -> None:
        """The launch preset's --reserve-vram, drawn below the VRAM total."""
        self.reserve_gb = reserve_gb
        self._update_limit_lines()

    def reset(self) -> None:
        """Forget the samples (the watched GPU changed); phases stay."""
        self.buffer.clear()
        self.refresh()

    # --- data ----------------------------------------------------------------------------------

    def add_phase_event(self, event: Any) -> None:
        """Draw a `PhaseEvent` from the job runner (call on the GUI thread)."""
        added = self.phases.add(event)
        now = self.buffer.last_t or event.t
        if isinstance(added, Span) and self.canvas is not None:
            self.overlay.add_span(added, now)
        self._phases_changed = True

    def refresh(self) -> bool:
        """Fetch new samples and redraw what changed; True when there were new samples."""
        rows = self.source.snapshot(since_t=self.buffer.last_t)
        new = self.buffer.extend(rows)
        if self.canvas is None and new and _has_gpu_data(rows, new):
            self._build_plots()
        if self.canvas is not None:
            self._redraw(bool(new))
        if self._hover_index is None:
            self._show_readout(len(self.buffer) - 1 if len(self.buffer) else None)
        return bool(new)

    def _redraw(self, new: bool) -> None:
        if new:
            self._update_limit_lines()
        if self.live:
            self._follow()
        self._set_curve_data()
        self._fit_memory_axis()
        view = self.visible_range()
        running = any(span.end is None for span in self.phases.spans[-4:])
        if self._phases_changed or running or view != self._overlay_view:
            self.overlay.refresh(self.phases, self.buffer.last_t or 0.0, self._units_per_px(), view,
                                 bands=self._phases_changed or running)
            self._phases_changed, self._overlay_view = False, view

    def _set_curve_data(self) -> None:
        """Give the shown curves the rows on screen, a peak pair per pixel column, when the
        rows or the view changed since they were last given."""
        import numpy as np

        width = self.plots["memory"].getViewBox().width() or self.canvas.width()
        first, end, bucket = self.buffer.visible_span(*self.visible_range(), int(width))
        key = (self.buffer.last_t, len(self.buffer), first, end, bucket)
        x = self.buffer.view("x")[first:end]
        for style in SERIES:
            curve = self.curves[style.key]
            if self._drawn.get(style.key) == key or not self._is_shown(curve):
                continue
            values = self.buffer.view(style.key)[first:end]
            if style.percent_of:
                values = 100.0 * values / self.buffer.view(style.percent_of)[first:end]
            xs, ys = peak_decimate(x, values, bucket)
            if style.scale != 1.0:  # after the reduction: fewer values, same peaks
                ys = ys * style.scale
            # We know whether there are gaps, so pyqtgraph need not look: a line with none is
            # one polygon ("all"), one with NaN gaps is drawn in finite runs.
            gaps = bool(np.isnan(ys).any())
            curve.setData(xs, ys, connect="finite" if gaps else "all", skipFiniteCheck=True)
            self._drawn[style.key] = key

    def _is_shown(self, curve: pg.PlotCurveItem) -> bool:
        return curve.isVisible() and curve.scene() is not None

    def visible_range(self) -> tuple[float, float]:
        """The x range on screen (seconds since the buffer's origin; all rows before the plots
        exist)."""
        if self.canvas is None:
            xs = self.buffer.view("x")
            return (float(xs[0]), float(xs[-1])) if xs.size else (0.0, 0.0)
        x0, x1 = self.lane.getViewBox().viewRange()[0]
        return float(x0), float(x1)

    def visible_rows(self) -> dict[str, np.ndarray]:
        """All series of the samples on screen (for export)."""
        return self.buffer.rows_between(*self.visible_range())

    def hover_at(self, x: float | None) -> str:
        """Show the cursor and readout at plot position `x` (None: back to the newest sample)."""
        index = None if x is None else self.buffer.nearest(x)
        self._hover_index = index
        for cursor in self.cursors if self.canvas is not None else ():
            cursor.setVisible(index is not None)
            if index is not None:
                cursor.setPos(float(self.buffer.view("x")[index]))
        self._show_readout(index if index is not None else len(self.buffer) - 1)
        return self.readout.text()

    # --- internals -----------------------------------------------------------------------------

    def _follow(self) -> None:
        xs = self.buffer.view("x")
        if xs.size == 0 or self.canvas is None:
            return
        last = float(xs[-1])
        if self.window is None:
            x0, x1 = float(xs[0]), last
        elif self.window == "job":
            job = self.phases.last_job_range(self.buffer.last_t or 0.0)
            if job is None:
                x0, x1 = float(xs[0]), last
            else:
                x0, x1 = self.buffer.x_of(job[0]), self.buffer.x_of(job[1])
                pad = max(2.0, 0.03 * (x1 - x0))
                x0, x1 = x0 - pad, x1 + pad
        else:
            x0, x1 = last - float(self.window), last + 0.01 * float(self.window)
        x1 = max(x1, x0 + 1.0)
        if self._moves_less_than_a_pixel(x0, x1):
            return  # a long window scrolls a fraction of a pixel per sample: redraw only data
        self._setting_range = True
        try:
            self.lane.setXRange(x0, x1, padding=0)
        finally:
            self._setting_range = False

    def _moves_less_than_a_pixel(self, x0: float, x1: float) -> bool:
        """Whether the view x0..x1 is the one on screen to within a pixel at both edges (moving
        the range re-lays every axis and linked plot, the costliest part of a redraw)."""
        width = self.lane.getViewBox().width()
        if width <= 0:
            return False
        now0, now1 = self.visible_range()
        pixel = (now1 - now0) / width
        return abs(x0 - now0) < pixel and abs(x1 - now1) < pixel

    def _on_range_changed(self, *_args: Any) -> None:
        """Scrolled, zoomed or panned: the curves get the rows now on screen."""
        self._set_curve_data()

    def _on_manual_range(self, *_args: Any) -> None:
        if not self._setting_range:
            self.set_live(False)

    def _fit_memory_axis(self) -> None:
        import numpy as np

        latest = self._latest("vram_total")
        top = latest / GIB if math.isfinite(latest) else 0.0
        if top <= 0:
            vram = self.buffer.view("vram_used")
            top = float(np.nanmax(vram)) / GIB if np.isfinite(vram).any() else 1.0
        wanted = (0.0, top * 1.06)
        current = tuple(self.plots["memory"].getViewBox().viewRange()[1])
        if abs(current[1] - wanted[1]) > 1e-6 or abs(current[0]) > 1e-6:
            self.plots["memory"].setYRange(*wanted, padding=0)

    def _update_limit_lines(self) -> None:
        if self.canvas is None:
            return
        total = self._latest("vram_total")
        has_total = math.isfinite(total)
        reserve = total / GIB - self.reserve_gb if has_total and self.reserve_gb else None
        limit = self._latest("power_limit_w")
        has_limit = math.isfinite(limit)
        wanted = (total if has_total else None, reserve, limit if has_limit else None)
        if wanted == self._limits_shown:  # unchanged: re-rendering the labels costs a redraw
            return
        self._limits_shown = wanted
        self.total_line.setVisible(has_total)
        if has_total:
            self.total_line.setPos(total / GIB)
            self.total_line.label.setFormat(f"VRAM total {total / GIB:.1f} GiB")
        self.reserve_line.setVisible(reserve is not None)
        if reserve is not None:
            self.reserve_line.setPos(reserve)
            self.reserve_line.label.setFormat(f"reserve {self.reserve_gb:g} GiB (ComfyUI keeps free)")
        self.limit_line.setVisible(has_limit)
        if has_limit:
            self.limit_line.setPos(limit)
            self.limit_line.label.setFormat(f"power limit {limit:.0f} W")
            self.plots["power"].setYRange(0, limit * 1.1, padding=0)

    def _latest(self, key: str) -> float:
        """The newest finite value of a column (NaN when there is none)."""
        import numpy as np

        values = self.buffer.view(key)
        if values.size and math.isfinite(values[-1]):  # nearly always: no scan needed
            return float(values[-1])
        finite = np.flatnonzero(np.isfinite(values))
        return float(values[finite[-1]]) if finite.size else math.nan

    def _units_per_px(self) -> float:
        width = self.lane.getViewBox().width()
        x0, x1 = self.visible_range()
        return (x1 - x0) / width if width > 0 else 0.0

    def _show_readout(self, index: int | None) -> None:
        if index is None or index < 0:
            self.readout.setText("No samples yet")
            return
        row = {name: float(self.buffer.view(name)[index]) for name in self.buffer.columns}
        span = self.phases.span_at(row["t"])
        self.readout.setText(format_readout(row, span.title if span else None))

    def _on_mouse_moved(self, event: tuple) -> None:
        pos = event[0]
        for plot in (self.lane, *self.plots.values()):
            if plot.scene() is not None and plot.sceneBoundingRect().contains(pos):
                self.hover_at(plot.getViewBox().mapSceneToView(pos).x())
                return
        if self._hover_index is not None:
            self.hover_at(None)


def _has_gpu_data(rows: dict[str, np.ndarray], new: int) -> bool:
    """Whether the newest `new` rows hold a GPU reading (without a GPU they hold only RAM)."""
    import numpy as np

    values = rows.get(GPU_COLUMN)
    return values is not None and bool(np.isfinite(values[-new:]).any())
