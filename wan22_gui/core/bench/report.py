"""The self-contained HTML report: summary, charts, clips, reference comparison, recommendations,
failures, environment and the CSV column guide. Inline CSS and SVG only; clips and posters are
referenced relative to the benchmark folder, so the folder can be zipped and moved as a whole.

Every string that came from a user, a file or a server passes through `html.escape` (`_e`).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from html import escape
from typing import Any, Iterable

from wan22_gui.core.bench.charts import Series, line_chart, stacked_bars
from wan22_gui.core.bench.maxframes_results import MaxFramesResult
from wan22_gui.core.bench.recommend import GIB, Recommendation
from wan22_gui.core.bench.reference import Comparison
from wan22_gui.core.bench.results import RunRecord
from wan22_gui.core.bench.stats import BAR_PHASES, CellSummary, WarmupSummary

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1240px;padding:0 24px 48px;
color:#222;background:#fafafa}
h1{font-size:24px;margin:24px 0 4px}h2{font-size:19px;margin:32px 0 10px;
border-bottom:2px solid #ddd;padding-bottom:4px}
.meta{color:#555;margin:0 0 8px}nav a{margin-right:14px}
table{border-collapse:collapse;background:#fff;margin:6px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.st-ok{color:#1b5e20;font-weight:600}.st-oom{color:#b71c1c;font-weight:600}
.st-failed,.st-partial{color:#e65100;font-weight:600}.st-pending{color:#777}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts svg{background:#fff;border:1px solid #ddd}
.clips{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;background:#fff;border:1px solid #ddd;padding:6px;width:330px}
figure video{width:320px;max-height:360px;background:#000}figcaption{font-size:12px;color:#444}
.note{color:#666;font-size:13px}.err{font-family:monospace;font-size:12px;white-space:pre-wrap}
"""


@dataclass
class ReportData:
    """Everything the report shows; `posters` maps cell id -> poster path (relative)."""

    title: str
    description: str
    cells: list[CellSummary]
    records: list[RunRecord]
    environment: dict[str, Any]
    comparisons: list[Comparison]
    recommendations: list[Recommendation]
    searches: list[MaxFramesResult]
    csv_columns: list[tuple[str, str]]
    csv_name: str
    gpu_name: str = ""
    posters: dict[str, str] = field(default_factory=dict)
    generated_at: float = 0.0
    warmups: list[WarmupSummary] = field(default_factory=list)


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _num(value: float | None, digits: int | None = None) -> str:
    """A number for a table: `digits` decimals, or by size (2 below 10, 1 below 100, else 0)."""
    if value is None:
        return "–"
    if digits is None:
        digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
    return f"{value:.{digits}f}"


def render_report(data: ReportData) -> str:
    """The whole HTML document as text."""
    when = dt.datetime.fromtimestamp(data.generated_at or 0).strftime("%Y-%m-%d %H:%M")
    measured = [r for r in data.records if not r.warmup]
    meta = (f"Generated {when} · {len(data.cells)} cells · {len(measured)} measured runs "
            f"({sum(r.ok for r in measured)} succeeded) · "
            f"{sum(r.warmup for r in data.records)} warm-up runs (left out of the statistics)")
    if data.gpu_name:
        meta += f" · GPU: {data.gpu_name}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Benchmark: {_e(data.title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>Benchmark: {_e(data.title)}</h1><p class=\"meta\">{_e(meta)}</p>",
    ]
    if data.description:
        parts.append(f"<p>{_e(data.description)}</p>")
    parts.append(_nav())
    parts.append("</header>")
    parts += [_summary(data), _charts(data), _clips(data), _reference(data),
              _recommendations(data), _failures(data), _environment(data), _csv_doc(data)]
    parts.append("</body></html>")
    return "\n".join(parts)


SECTIONS = (("summary", "Summary"), ("charts", "Charts"), ("clips", "Clips"),
            ("reference", "Reference figures"), ("recommendations", "Recommendations"),
            ("failures", "Failures"), ("environment", "Environment"),
            ("csv-columns", "CSV columns"))


def _nav() -> str:
    return "<nav>" + "".join(f'<a href="#{i}">{_e(t)}</a>' for i, t in SECTIONS) + "</nav>"


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>\n{body}\n</section>'


def _table(head: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "") -> str:
    """`rows` hold ready HTML cells (already escaped); `head` is plain text."""
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def _td(value: Any, numeric: bool = False, cls: str = "") -> str:
    classes = " ".join(c for c in ("n" if numeric else "", cls) if c)
    return f'<td class="{classes}">{_e(value)}</td>' if classes else f"<td>{_e(value)}</td>"


def _spread_text(cell: CellSummary) -> str:
    if not cell.total:
        return "–"
    t = cell.total
    if t.n == 1:
        return "one run"
    return f"{_num(t.minimum)}–{_num(t.maximum)}, sd {_num(t.stdev)}"


def _summary(data: ReportData) -> str:
    head = ("Configuration", "Image", "Size", "Frames", "OK / runs", "Median total (s)",
            "Spread (s)", "High / low pass (s)", "s per frame", "Model load (s)",
            "Peak VRAM (GiB)", "Energy (Wh)", "GPU util (%)", "Status")
    rows = []
    for c in data.cells:
        passes = f"{_num(c.phases.get('high_noise'))} / {_num(c.phases.get('low_noise'))}"
        vram = c.peak_vram.median / GIB if c.peak_vram else None
        rows.append([
            _td(c.config), _td(c.image), _td(f"{c.width}×{c.height}"), _td(c.frames, True),
            _td(f"{c.ok_runs} / {c.measured_runs}", True),
            _td(_num(c.total.median if c.total else None), True), _td(_spread_text(c), True),
            _td(passes, True), _td(_num(c.per_frame_s, 3), True), _td(_num(c.model_load_s), True),
            _td(_num(vram, 2), True), _td(_num(c.energy_wh, 2), True),
            _td(_num(c.mean_util, 0), True), _td(c.state, cls=f"st-{c.state}"),
        ])
    note = ('<p class="note">Median and spread over the measured runs of each cell that '
            "succeeded; warm-up runs are excluded. Spread: min–max and standard deviation "
            "(sd). Model load: in measured runs (near zero when the warm-ups kept the models "
            "loaded).</p>")
    return _section("summary", "Summary", _table(head, rows, "summary") + note + _warmups(data))


def _warmups(data: ReportData) -> str:
    if not data.warmups:
        return ""
    rows = [[_td(w.config), _td(w.runs, True), _td(_num(w.total), True),
             _td(_num(w.model_load_s), True)] for w in data.warmups]
    intro = ('<p>Warm-up runs: the first run of each configuration, after ComfyUI starts, and '
             "after an OOM or a crash (both unload the models). They are recorded but left out "
             "of every statistic; this is what a first run costs.</p>")
    return intro + _table(("Configuration", "Warm-ups", "Median total (s)",
                           "Median model load (s)"), rows)


def _grouped_points(cells: list[CellSummary], value) -> list[Series]:  # noqa: ANN001
    """One series per configuration (and size when there are several): medians over images."""
    sizes = {(c.width, c.height) for c in cells}
    groups: dict[str, dict[int, list[CellSummary]]] = {}
    for c in cells:
        name = c.config if len(sizes) == 1 else f"{c.config} · {c.width}×{c.height}"
        groups.setdefault(name, {}).setdefault(c.frames, []).append(c)
    series = []
    for name, by_frames in groups.items():
        line = Series(name)
        for frames, group in sorted(by_frames.items()):
            spreads = [value(c) for c in group if value(c) is not None]
            if spreads:
                line.points.append((frames, statistics.median(s.median for s in spreads),
                                    min(s.minimum for s in spreads),
                                    max(s.maximum for s in spreads)))
        series.append(line)
    return series


def _charts(data: ReportData) -> str:
    times = _grouped_points(data.cells, lambda c: c.total)
    vram = [Series(s.name, [(x, y / GIB, lo / GIB, hi / GIB) for x, y, lo, hi in s.points])
            for s in _grouped_points(data.cells, lambda c: c.peak_vram)]
    no_vram = ("no GPU memory readings (NVML was not available during the runs)"
               if any(c.ok_runs for c in data.cells) else "no successful runs yet")
    totals = [c.vram_total for c in data.cells if c.vram_total]
    card = max(totals) / GIB if totals else None
    peak = max((y for s in vram for _, _, _, y in s.points), default=0.0)
    vram_label = "GiB (median; bar = min–max)"
    hlines: tuple[tuple[float, str], ...] = ()
    if card and peak >= card / 2:
        hlines = ((card, "GPU memory"),)
    elif card:  # a line far above the data would squash it flat
        vram_label = f"GiB of {card:.0f} (median; bar = min–max)"
    bars = [(f"{c.config} · {c.image} · {c.width}×{c.height} · {c.frames} f",
             {p: c.phases[p] for p in BAR_PHASES if p in c.phases}) for c in data.cells]
    body = ('<div class="charts">'
            + line_chart(times, title="Time per clip vs frames", x_label="frames",
                         y_label="seconds (median; bar = min–max)")
            + line_chart(vram, title="Peak VRAM vs frames", x_label="frames",
                         y_label=vram_label, hlines=hlines,
                         empty_text=no_vram)
            + stacked_bars(bars, BAR_PHASES, title="Where the time goes (median s per phase)")
            + "</div>")
    return _section("charts", "Charts", body)


def _clips(data: ReportData) -> str:
    figures = []
    for c in data.cells:
        if not c.clip:
            continue
        poster = data.posters.get(c.cell_id)
        poster_attr = f' poster="{_e(poster)}"' if poster else ""
        caption = f"{c.config} · {c.image} · {c.width}×{c.height} · {c.frames} frames"
        figures.append(f'<figure><video controls preload="none"{poster_attr} '
                       f'src="{_e(c.clip)}"></video><figcaption>{_e(caption)}</figcaption>'
                       "</figure>")
    body = ('<div class="clips">' + "".join(figures) + "</div>" if figures
            else '<p class="note">No clip yet: no cell has a successful run.</p>')
    return _section("clips", "Clips", body)


def _reference(data: ReportData) -> str:
    head = ("Reference (seed)", "GPU", "Kind", "Reference", "Conditions", "Our configuration",
            "Ours (s)", "Ratio", "Verdict")
    rows = []
    for comp in data.comparisons:
        f = comp.figure
        cell = "–"
        if comp.config is not None:
            cell = comp.config + (f" (median of {comp.cells} images)" if comp.cells > 1 else "")
        measure = "per pass" if f.measure == "per_pass" else "per clip"
        rows.append([_td(f.label), _td(f.gpu), _td(f"{f.kind}, {measure}"),
                     _td(f.range_text(), True), _td(f.conditions()), _td(cell),
                     _td(_num(comp.value), True),
                     _td("–" if comp.ratio is None else f"{comp.ratio:.2f}×", True),
                     _td(comp.verdict)])
    gpu = data.gpu_name or "an unknown GPU"
    note = (f'<p class="note">The seed measured by hand on an RTX 5090 and set targets; this '
            f"benchmark ran on {_e(gpu)}. Ratio = ours ÷ middle of the reference range "
            "(below 1 is faster). A figure from another GPU is for orientation only.</p>")
    return _section("reference", "Compared with the seed's reference figures",
                    note + _table(head, rows))


def _recommendations(data: ReportData) -> str:
    if not data.recommendations:
        body = '<p class="note">No recommendation yet: no cell has finished.</p>'
    else:
        body = "<ul>" + "".join(f"<li>{_e(r.text)}</li>" for r in data.recommendations) + "</ul>"
    return _section("recommendations", "Recommendations", body)


def _failures(data: ReportData) -> str:
    failed = [r for r in data.records if r.status not in ("succeeded",)]
    if not failed:
        return _section("failures", "Failures", '<p class="note">Every run succeeded.</p>')
    rows = [[_td(r.config), _td(r.image), _td(f"{r.width}×{r.height}"), _td(r.frames, True),
             _td("warm-up" if r.warmup else f"repeat {r.repeat}"), _td(r.status),
             f'<td class="err">{_e(r.error)}</td>'] for r in failed]
    return _section("failures", "Failures",
                    _table(("Configuration", "Image", "Size", "Frames", "Run", "Status",
                            "What happened"), rows))


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested dicts/lists as (key path, text) rows; long texts are cut at 400 characters."""
    if isinstance(value, dict):
        rows = []
        for key, item in value.items():
            rows += flatten(item, f"{prefix} › {key}" if prefix else str(key))
        return rows
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        rows = []
        for index, item in enumerate(value):
            rows += flatten(item, f"{prefix}[{index}]")
        return rows
    text = " ".join(map(str, value)) if isinstance(value, list) else _leaf_text(prefix, value)
    return [(prefix, text if len(text) <= 400 else text[:400] + " …")]


def _leaf_text(key: str, value: Any) -> str:
    """Byte counts also in GiB, epoch times as dates (the snapshot stores raw numbers)."""
    name = key.rsplit(" › ", 1)[-1].lower()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if ("vram" in name or "ram_" in name or name.endswith("_bytes")) and value > 2**20:
            return f"{value:,.0f} bytes ({value / GIB:.1f} GiB)"
        if name.endswith("_at") and value > 1e9:
            return dt.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _environment(data: ReportData) -> str:
    if not data.environment:
        return _section("environment", "Environment",
                        '<p class="note">No environment snapshot was recorded.</p>')
    rows = [[_td(k), _td(v)] for k, v in flatten(data.environment)]
    return _section("environment", "Environment", _table(("Item", "Value"), rows))


def _csv_doc(data: ReportData) -> str:
    intro = (f'<p>The CSV <a href="{_e(data.csv_name)}">{_e(data.csv_name)}</a> has one row per '
             "run (warm-ups included and flagged). Columns:</p>")
    rows = [[f"<td><code>{_e(name)}</code></td>", _td(doc)] for name, doc in data.csv_columns]
    return _section("csv-columns", "CSV columns", intro + _table(("Column", "Meaning"), rows))
