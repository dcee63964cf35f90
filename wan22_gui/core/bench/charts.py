"""Inline SVG charts for the HTML report (no JavaScript, nothing fetched from the internet).

Every label passes through `html.escape`; numbers are formatted here, never taken as text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

PALETTE = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477",
           "#66aa00", "#b82e2e", "#316395")
PHASE_COLORS = {
    "upload": "#b0bec5", "queued": "#cfd8dc", "text_encode": "#8d6e63", "model_load": "#ffb300",
    "high_noise": "#1e88e5", "low_noise": "#43a047", "vae_decode": "#8e24aa", "save": "#78909c",
    "interpolate": "#f4511e", "download": "#90a4ae",
}
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


@dataclass
class Series:
    """A named line; points are (x, y, y_low, y_high) with the spread drawn as an error bar."""

    name: str
    points: list[tuple[float, float, float, float]] = field(default_factory=list)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 × a power of ten apart)."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [round(math.floor(low / step) * step, 10)]
    while ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def line_chart(series: list[Series], *, title: str, x_label: str, y_label: str,
               hlines: tuple[tuple[float, str], ...] = (), width: int = 560,
               height: int = 320, empty_text: str = "no successful runs yet") -> str:
    """A line chart with error bars; an empty chart says why instead of drawing axes."""
    points = [p for s in series for p in s.points]
    if not points:
        return _empty(title, width, empty_text)
    left, right, top = 56, 16, 30
    legend = [(s.name, PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]
    bottom = 56 + 14 * legend_rows(legend, width - left)
    height += bottom - 70
    xs = [p[0] for p in points]
    ys = [v for p in points for v in p[1:]] + [y for y, _ in hlines] + [0.0]
    x_ticks = sorted(set(xs))
    y_ticks = nice_ticks(0.0, max(ys))
    x_lo, x_hi = min(x_ticks), max(x_ticks)
    x_span = (x_hi - x_lo) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        if x_hi == x_lo:
            return left + plot_w / 2
        return left + (x - x_lo) / x_span * plot_w

    def sy(y: float) -> float:
        return top + plot_h - y / y_ticks[-1] * plot_h

    parts = [_open(width, height, title), _text(width / 2, 18, title, anchor="middle", bold=True)]
    for tick in y_ticks:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(tick):.1f}" '
                     f'y2="{sy(tick):.1f}" stroke="#e5e5e5"/>')
        parts.append(_text(left - 6, sy(tick) + 4, _fmt(tick), anchor="end"))
    for tick in x_ticks:
        parts.append(_text(sx(tick), top + plot_h + 16, _fmt(tick), anchor="middle"))
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#888"/>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}" stroke="#888"/>')
    parts.append(_text(left + plot_w / 2, top + plot_h + 32, x_label, anchor="middle"))
    parts.append(f'<text transform="translate(14,{top + plot_h / 2:.0f}) rotate(-90)" '
                 f'text-anchor="middle" {FONT}>{escape(y_label)}</text>')
    for y, label in hlines:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" '
                     'stroke="#c62828" stroke-dasharray="5,4"/>')
        parts.append(_text(width - right - 4, sy(y) - 4, label, anchor="end", color="#c62828"))
    for index, line in enumerate(series):
        parts.append(_series(line, PALETTE[index % len(PALETTE)], sx, sy))
    parts.append(_legend(legend, left, top + plot_h + 48, width - left))
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_bars(bars: list[tuple[str, dict[str, float]]], phases: tuple[str, ...], *,
                 title: str, width: int = 900) -> str:
    """One horizontal bar per label, split into the median seconds of each phase."""
    bars = [(label, values) for label, values in bars if sum(values.values()) > 0]
    if not bars:
        return _empty(title, width, "no successful runs yet")
    label_w, row_h, top = 330, 22, 30
    used = [p for p in phases if any(p in values for _, values in bars)]
    legend = [(p, PHASE_COLORS.get(p, "#999")) for p in used]
    height = top + row_h * len(bars) + 46 + 14 * legend_rows(legend, width - label_w)
    longest = max(sum(values.get(p, 0.0) for p in used) for _, values in bars)
    ticks = nice_ticks(0.0, longest)
    scale = (width - label_w - 30) / ticks[-1]
    parts = [_open(width, height, title), _text(width / 2, 18, title, anchor="middle", bold=True)]
    for tick in ticks:
        x = label_w + tick * scale
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + row_h * len(bars)}" '
                     'stroke="#eee"/>')
        parts.append(_text(x, top + row_h * len(bars) + 14, f"{_fmt(tick)} s", anchor="middle"))
    for row, (label, values) in enumerate(bars):
        y = top + row * row_h
        parts.append(_text(label_w - 8, y + 15, label, anchor="end"))
        x = float(label_w)
        for phase in used:
            seconds = values.get(phase, 0.0)
            if seconds <= 0:
                continue
            w = seconds * scale
            parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                         f'fill="{PHASE_COLORS.get(phase, "#999")}"><title>'
                         f'{escape(label)}: {escape(phase)} {seconds:.1f} s</title></rect>')
            x += w
    parts.append(_legend(legend, label_w, top + row_h * len(bars) + 40, width - label_w))
    parts.append("</svg>")
    return "\n".join(parts)


def _series(line: Series, color: str, sx, sy) -> str:  # noqa: ANN001 (local scale functions)
    pts = sorted(line.points)
    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y, _, _ in pts)
    out = [f'<g><title>{escape(line.name)}</title>',
           f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>']
    for x, y, lo, hi in pts:
        if hi > lo:
            out.append(f'<line x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{sy(lo):.1f}" '
                       f'y2="{sy(hi):.1f}" stroke="{color}" stroke-width="1.5"/>')
        out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{color}">'
                   f'<title>{escape(line.name)}: {_fmt(x)} → {y:.1f}</title></circle>')
    out.append("</g>")
    return "\n".join(out)


def _legend_layout(items: list[tuple[str, str]], max_w: float) -> list[tuple[float, int]]:
    """(x offset, row) of each legend entry, wrapping at `max_w`."""
    out, x, row = [], 0.0, 0
    for name, _ in items:
        w = 22 + 7 * len(name)
        if x + w > max_w and x > 0:
            x, row = 0.0, row + 1
        out.append((x, row))
        x += w
    return out


def legend_rows(items: list[tuple[str, str]], max_w: float) -> int:
    layout = _legend_layout(items, max_w)
    return layout[-1][1] + 1 if layout else 0


def _legend(items: list[tuple[str, str]], x0: float, y: float, max_w: float) -> str:
    out = []
    for (name, color), (dx, row) in zip(items, _legend_layout(items, max_w)):
        x = x0 + dx
        out.append(f'<rect x="{x:.0f}" y="{y - 9 + row * 14:.0f}" width="10" height="10" '
                   f'fill="{color}"/>')
        out.append(_text(x + 14, y + row * 14, name))
    return "\n".join(out)


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">')


def _text(x: float, y: float, text: str, *, anchor: str = "start", bold: bool = False,
          color: str = "#333") -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{color}" {FONT}'
            f'{weight}>{escape(text)}</text>')


def _empty(title: str, width: int, why: str) -> str:
    return f'{_open(width, 60, title)}{_text(width / 2, 34, f"{title}: {why}", anchor="middle")}</svg>'
